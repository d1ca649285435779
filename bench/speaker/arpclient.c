/* arpclient: the raw-socket client of the speaker benchmarks (C: the kernel answers ARP in a few
 * microseconds, less than one system call of a scripting language).
 *
 *   arpclient IFACE SRC_IP latency N IP_A IP_B
 *       N rounds, each one ARP request for IP_A then one for IP_B (interleaved, same run), each
 *       waiting for its reply (100 ms timeout = lost). Prints per target median, p99 and lost,
 *       and the ratio of medians A/B. The time is from just before sendto() to the kernel's
 *       receive timestamp of the reply (SO_TIMESTAMPNS), both CLOCK_REALTIME.
 *   arpclient IFACE SRC_IP storm RATE SECONDS OWNED_FILE UNOWNED_FILE
 *       Sends ARP requests at RATE/s for SECONDS, alternating one owned and one unowned target
 *       (IPs one per line in each file), and counts the replies per class from a receiver thread
 *       (socket buffer forced to 64 MiB). Prints "sent_owned replies_owned sent_unowned
 *       replies_unowned achieved_rate".
 *   arpclient IFACE SRC_IP probe IP EVERY_US SECONDS
 *       Sends a request for IP every EVERY_US until SECONDS passed, and prints: the
 *       CLOCK_REALTIME (ns) of the first reply, or 0 when none came; the largest gap (ns)
 *       between consecutive replies; the count of replies; the longest time (ns) a request
 *       sent after the first reply waited for the next reply, and how many waited over 5 ms; the
 *       count of requests. Waits are kernel timestamps on both ends (the request as it left,
 *       the reply as it came), so they do not include this client's own scheduling; the gap
 *       does.
 *
 * Only sends on IFACE, which the benchmark scripts create inside their own network namespaces.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FRAME_LEN 42
#define MAX_TARGETS 65536

static int fd = -1;
static int ifindex = 0;
static uint8_t mac[6];
static uint32_t src_ip;

static int64_t now_ns(clockid_t c) {
  struct timespec ts;
  clock_gettime(c, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char* what) {
  perror(what);
  exit(1);
}

/* A packet socket for `protocol` (host order) bound to ifindex, kernel receive timestamps on. */
static int bound_socket(int protocol) {
  const int s = socket(AF_PACKET, SOCK_RAW, htons(protocol));
  if (s < 0) die("socket");
  struct sockaddr_ll sll;
  memset(&sll, 0, sizeof sll);
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(protocol);
  sll.sll_ifindex = ifindex;
  if (bind(s, (struct sockaddr*)&sll, sizeof sll) != 0) die("bind");
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
  return s;
}

static void open_socket(const char* iface) {
  ifindex = (int)if_nametoindex(iface);
  if (ifindex == 0) die("if_nametoindex");
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", iface);
  fd = bound_socket(ETH_P_ARP);
  if (ioctl(fd, SIOCGIFHWADDR, &ifr) != 0) die("SIOCGIFHWADDR");
  memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
  int one = 1;
  /* Our own requests are not looped back to us: the receiver sees replies only. */
  setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
  int big = 64 << 20;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  }
}

static void build_request(uint8_t* f, uint32_t target) {
  memset(f, 0xff, 6);
  memcpy(f + 6, mac, 6);
  f[12] = 0x08;
  f[13] = 0x06;
  const uint8_t hdr[8] = {0, 1, 8, 0, 6, 4, 0, 1};
  memcpy(f + 14, hdr, 8);
  memcpy(f + 22, mac, 6);
  memcpy(f + 28, &src_ip, 4);
  memset(f + 32, 0, 6);
  memcpy(f + 38, &target, 4);
}

/* The link-layer broadcast destination on the client interface. */
static struct sockaddr_ll broadcast_to(void) {
  struct sockaddr_ll to;
  memset(&to, 0, sizeof to);
  to.sll_family = AF_PACKET;
  to.sll_ifindex = ifindex;
  to.sll_halen = 6;
  memset(to.sll_addr, 0xff, 6);
  return to;
}

static void send_frame(const uint8_t* f) {
  struct sockaddr_ll to = broadcast_to();
  while (sendto(fd, f, FRAME_LEN, 0, (struct sockaddr*)&to, sizeof to) < 0) {
    if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR) die("sendto");
  }
}

/* An ARP reply to us: returns the sender IP (network order) and the receive time, or 0. */
static uint32_t recv_reply(int timeout_ms, int64_t* rx_ns) {
  uint8_t buf[256];
  char ctrl[256];
  int waited = 0;
  for (;;) {
    struct iovec iov = {.iov_base = buf, .iov_len = sizeof buf};
    struct msghdr m;
    memset(&m, 0, sizeof m);
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = ctrl;
    m.msg_controllen = sizeof ctrl;
    ssize_t n = recvmsg(fd, &m, MSG_DONTWAIT); /* poll only when the queue is empty */
    if (n < 0) {
      if (waited) return 0;
      struct pollfd p = {.fd = fd, .events = POLLIN};
      if (poll(&p, 1, timeout_ms) <= 0) return 0;
      waited = 1;
      continue;
    }
    waited = 0;
    if (n < 42) continue;
    if (buf[20] != 0 || buf[21] != 2) continue;              /* ARP reply */
    if (memcmp(buf + 38, &src_ip, 4) != 0) continue;          /* to us */
    *rx_ns = now_ns(CLOCK_REALTIME);
    for (struct cmsghdr* c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPNS) {
        struct timespec ts;
        memcpy(&ts, CMSG_DATA(c), sizeof ts);
        *rx_ns = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
      }
    }
    uint32_t sender;
    memcpy(&sender, buf + 28, 4);
    return sender;
  }
}

static int cmp64(const void* a, const void* b) {
  int64_t x = *(const int64_t*)a, y = *(const int64_t*)b;
  return (x > y) - (x < y);
}

static int latency(int n, uint32_t a, uint32_t b) {
  int64_t* s[2] = {calloc((size_t)n, 8), calloc((size_t)n, 8)};
  int got[2] = {0, 0}, lost[2] = {0, 0};
  uint32_t t[2] = {a, b};
  uint8_t f[FRAME_LEN];
  for (int i = 0; i < n; i++) {
    for (int k = 0; k < 2; k++) {
      build_request(f, t[k]);
      int64_t rx = 0;
      int64_t tx = now_ns(CLOCK_REALTIME);
      send_frame(f);
      uint32_t who;
      int64_t deadline = now_ns(CLOCK_MONOTONIC) + 100000000LL;
      do {
        who = recv_reply(100, &rx);
      } while (who != 0 && who != t[k] && now_ns(CLOCK_MONOTONIC) < deadline);
      if (who == t[k]) {
        s[k][got[k]++] = rx - tx;
      } else {
        lost[k]++;
      }
      usleep(200); /* let both sides go idle: each request pays a wake-up, as in real traffic */
    }
  }
  for (int k = 0; k < 2; k++) {
    qsort(s[k], (size_t)got[k], 8, cmp64);
    double med = got[k] ? (double)s[k][got[k] / 2] / 1000.0 : -1;
    double p99 = got[k] ? (double)s[k][(int)((double)got[k] * 0.99)] / 1000.0 : -1;
    printf("%c median_us=%.2f p99_us=%.2f replies=%d lost=%d\n", 'A' + k, med, p99, got[k],
           lost[k]);
  }
  return 0;
}

static uint32_t* load_ips(const char* path, int* count) {
  FILE* f = fopen(path, "r");
  if (!f) die(path);
  uint32_t* out = calloc(MAX_TARGETS, 4);
  char line[128];
  *count = 0;
  while (fgets(line, sizeof line, f) && *count < MAX_TARGETS) {
    line[strcspn(line, "\r\n ")] = 0;
    struct in_addr a;
    if (inet_pton(AF_INET, line, &a) == 1) out[(*count)++] = a.s_addr;
  }
  fclose(f);
  return out;
}

static atomic_int stop_rx;
static atomic_long rx_owned, rx_unowned;
static uint8_t is_owned[65536]; /* by the low 16 bits of the target: the scripts keep them unique */

static void* receiver(void* arg) {
  (void)arg;
  while (!atomic_load(&stop_rx)) {
    int64_t rx;
    uint32_t who = recv_reply(50, &rx);
    if (who == 0) continue;
    if (is_owned[ntohl(who) & 0xffff]) {
      atomic_fetch_add(&rx_owned, 1);
    } else {
      atomic_fetch_add(&rx_unowned, 1);
    }
  }
  return NULL;
}

static int storm(double rate, double seconds, const char* owned_path, const char* unowned_path) {
  int no = 0, nu = 0;
  uint32_t* owned = load_ips(owned_path, &no);
  uint32_t* unowned = load_ips(unowned_path, &nu);
  if (no == 0) {
    fprintf(stderr, "arpclient: no owned IPs\n");
    return 2;
  }
  for (int i = 0; i < no; i++) is_owned[ntohl(owned[i]) & 0xffff] = 1;
  pthread_t th;
  pthread_create(&th, NULL, receiver, NULL);
  /* Paced in batches: every frame due by now goes out in one sendmmsg(); ahead of schedule the
   * sender sleeps, so the receiver thread (same CPU) is not starved by a busy wait. */
  enum { kBatch = 64 };
  static uint8_t frames[kBatch][FRAME_LEN];
  struct mmsghdr msgs[kBatch];
  struct iovec iovs[kBatch];
  struct sockaddr_ll to = broadcast_to();
  long sent_owned = 0, sent_unowned = 0;
  const int64_t start = now_ns(CLOCK_MONOTONIC);
  const int64_t end = start + (int64_t)(seconds * 1e9);
  const double gap = 1e9 / rate;
  const long total = (long)(seconds * rate);
  long i = 0;
  while (i < total) {
    const int64_t t = now_ns(CLOCK_MONOTONIC);
    if (t >= end) break;
    long due = (long)((double)(t - start) / gap) + 1;
    if (due > total) due = total;
    if (due <= i) {
      const int64_t next = start + (int64_t)((double)i * gap);
      struct timespec ts = {.tv_sec = next / 1000000000LL, .tv_nsec = next % 1000000000LL};
      clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
      continue;
    }
    int n = 0;
    for (; i < due && n < kBatch; i++, n++) {
      if (nu > 0 && (i & 1)) {
        build_request(frames[n], unowned[(i / 2) % nu]);
        sent_unowned++;
      } else {
        build_request(frames[n], owned[(nu > 0 ? i / 2 : i) % no]);
        sent_owned++;
      }
      iovs[n].iov_base = frames[n];
      iovs[n].iov_len = FRAME_LEN;
      memset(&msgs[n], 0, sizeof msgs[n]);
      msgs[n].msg_hdr.msg_name = &to;
      msgs[n].msg_hdr.msg_namelen = sizeof to;
      msgs[n].msg_hdr.msg_iov = &iovs[n];
      msgs[n].msg_hdr.msg_iovlen = 1;
    }
    for (int off = 0; off < n;) {
      int r = sendmmsg(fd, msgs + off, (unsigned)(n - off), 0);
      if (r < 0) {
        if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR) die("sendmmsg");
        continue;
      }
      off += r;
    }
  }
  const double took = (double)(now_ns(CLOCK_MONOTONIC) - start) / 1e9;
  usleep(300000); /* late replies */
  atomic_store(&stop_rx, 1);
  pthread_join(th, NULL);
  printf("%ld %ld %ld %ld %.0f\n", sent_owned, atomic_load(&rx_owned), sent_unowned,
         atomic_load(&rx_unowned), (double)(sent_owned + sent_unowned) / took);
  return 0;
}

/* Probe receive: one frame seen on the socket, outgoing ones included. Returns 1 for our own
 * request for `ip` going out, 2 for a reply from `ip` to us, 0 for anything else, -1 when nothing
 * came within timeout_ms. *ts_ns is the kernel's timestamp of the frame (SO_TIMESTAMPNS: taken
 * when the frame was handed to the device, or when it arrived). */
static int probe_recv(int rfd, uint32_t ip, int timeout_ms, int64_t* ts_ns) {
  uint8_t buf[256];
  char ctrl[256];
  struct sockaddr_ll from;
  struct iovec iov = {.iov_base = buf, .iov_len = sizeof buf};
  struct msghdr m;
  memset(&m, 0, sizeof m);
  m.msg_name = &from;
  m.msg_namelen = sizeof from;
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = ctrl;
  m.msg_controllen = sizeof ctrl;
  ssize_t n = recvmsg(rfd, &m, MSG_DONTWAIT);
  if (n < 0) {
    struct pollfd p = {.fd = rfd, .events = POLLIN};
    if (poll(&p, 1, timeout_ms) <= 0) return -1;
    m.msg_namelen = sizeof from;
    m.msg_controllen = sizeof ctrl;
    n = recvmsg(rfd, &m, MSG_DONTWAIT);
    if (n < 0) return -1;
  }
  if (n < 42 || buf[12] != 0x08 || buf[13] != 0x06 || buf[20] != 0) return 0;
  *ts_ns = now_ns(CLOCK_REALTIME);
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPNS) {
      struct timespec ts;
      memcpy(&ts, CMSG_DATA(c), sizeof ts);
      *ts_ns = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
    }
  }
  if (from.sll_pkttype == PACKET_OUTGOING) {
    return buf[21] == 1 && memcmp(buf + 38, &ip, 4) == 0 ? 1 : 0;
  }
  return buf[21] == 2 && memcmp(buf + 28, &ip, 4) == 0 && memcmp(buf + 38, &src_ip, 4) == 0 ? 2
                                                                                                : 0;
}

static int probe(uint32_t ip, long every_us, double seconds) {
  /* A second socket sees our requests as they leave and the replies as they come, with kernel
   * timestamps (ETH_P_ALL: only such sockets see transmitted frames, and never the socket that
   * sent them). */
  const int rfd = bound_socket(ETH_P_ALL);
  uint8_t f[FRAME_LEN];
  build_request(f, ip);
  const long cap = (long)(seconds * 1e6 / (double)(every_us > 0 ? every_us : 1)) + 4096;
  int64_t* tx = calloc((size_t)cap, 8);
  int64_t* rx = calloc((size_t)cap, 8);
  long requests = 0, replies = 0;
  const int64_t end = now_ns(CLOCK_MONOTONIC) + (int64_t)(seconds * 1e9);
  /* Requests until `end`, then 100 ms more of listening only, for the last replies. */
  for (int sending = 1; sending || now_ns(CLOCK_MONOTONIC) < end + 100000000LL;) {
    if (sending) send_frame(f);
    const int64_t next = now_ns(CLOCK_MONOTONIC) + every_us * 1000;
    while (now_ns(CLOCK_MONOTONIC) < next) {
      int64_t left = (next - now_ns(CLOCK_MONOTONIC)) / 1000000;
      int64_t ts = 0;
      int kind = probe_recv(rfd, ip, left > 0 ? (int)left : 0, &ts);
      if (kind == 1 && requests < cap) tx[requests++] = ts;
      if (kind == 2 && replies < cap) rx[replies++] = ts;
    }
    sending = now_ns(CLOCK_MONOTONIC) < end;
  }
  /* The wait of a request is the time until the next reply after it left: while a responder is
   * deaf, every request sent waits until it answers again. Requests sent before the first reply
   * (the start) or with no reply after them (the end) are not counted. */
  int64_t max_gap = 0, max_wait = 0;
  long over_5ms = 0;
  for (long i = 1; i < replies; i++) {
    if (rx[i] - rx[i - 1] > max_gap) max_gap = rx[i] - rx[i - 1];
  }
  const int print_late = getenv("ARPCLIENT_LATE") != NULL; /* each wait over 5 ms, to stderr */
  long j = 0;
  for (long i = 0; i < requests && replies > 0; i++) {
    if (tx[i] <= rx[0]) continue;
    while (j < replies && rx[j] < tx[i]) j++;
    if (j == replies) break;
    const int64_t wait = rx[j] - tx[i];
    if (wait > max_wait) max_wait = wait;
    if (wait > 5000000) {
      over_5ms++;
      if (print_late) fprintf(stderr, "late %lld %lld\n", (long long)tx[i], (long long)wait);
    }
  }
  printf("%lld %lld %ld %lld %ld %ld\n", (long long)(replies ? rx[0] : 0), (long long)max_gap,
         replies, (long long)max_wait, over_5ms, requests);
  free(tx);
  free(rx);
  close(rfd);
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: arpclient IFACE SRC_IP latency|storm|probe ...\n");
    return 2;
  }
  struct in_addr a;
  if (inet_pton(AF_INET, argv[2], &a) != 1) {
    fprintf(stderr, "arpclient: bad source IP %s\n", argv[2]);
    return 2;
  }
  src_ip = a.s_addr;
  open_socket(argv[1]);
  if (strcmp(argv[3], "latency") == 0 && argc == 7) {
    struct in_addr x, y;
    if (inet_pton(AF_INET, argv[5], &x) != 1 || inet_pton(AF_INET, argv[6], &y) != 1) return 2;
    return latency(atoi(argv[4]), x.s_addr, y.s_addr);
  }
  if (strcmp(argv[3], "storm") == 0 && argc == 8) {
    return storm(atof(argv[4]), atof(argv[5]), argv[6], argv[7]);
  }
  if (strcmp(argv[3], "probe") == 0 && argc == 7) {
    struct in_addr x;
    if (inet_pton(AF_INET, argv[4], &x) != 1) return 2;
    return probe(x.s_addr, atol(argv[5]), atof(argv[6]));
  }
  fprintf(stderr, "arpclient: bad arguments\n");
  return 2;
}
