/* minresponder IFACE IP: the minimal AF_PACKET ARP responder the arp_latency benchmark compares
 * the speaker with: one blocking recvfrom()/sendto() per frame, a classic BPF filter admitting
 * ARP requests for IP only, nothing else. Bounds what any user-space responder pays (a wake-up
 * on another CPU) compared with the kernel answering in the sender's softirq. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: minresponder IFACE IP\n");
    return 2;
  }
  struct in_addr ip;
  if (inet_pton(AF_INET, argv[2], &ip) != 1) return 2;
  int fd = socket(AF_PACKET, SOCK_RAW, 0);
  if (fd < 0) {
    perror("socket");
    return 1;
  }
  const uint32_t want = ntohl(ip.s_addr);
  struct sock_filter code[] = {
      {0x28, 0, 0, 12},         {0x15, 0, 5, 0x0806}, /* ethertype ARP */
      {0x28, 0, 0, 20},         {0x15, 0, 3, 1},      /* request */
      {0x20, 0, 0, 38},         {0x15, 0, 1, want},   /* target IP */
      {0x06, 0, 0, 0x40000},    {0x06, 0, 0, 0},
  };
  struct sock_fprog prog = {.len = sizeof code / sizeof code[0], .filter = code};
  setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog);
  int ifindex = (int)if_nametoindex(argv[1]);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", argv[1]);
  if (ioctl(fd, SIOCGIFHWADDR, &ifr) != 0) {
    perror("SIOCGIFHWADDR");
    return 1;
  }
  uint8_t mac[6];
  memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
  struct sockaddr_ll sll;
  memset(&sll, 0, sizeof sll);
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ARP);
  sll.sll_ifindex = ifindex;
  if (bind(fd, (struct sockaddr*)&sll, sizeof sll) != 0) {
    perror("bind");
    return 1;
  }
  uint8_t f[256];
  for (;;) {
    ssize_t n = recv(fd, f, sizeof f, 0);
    if (n < 42) continue;
    uint8_t out[42];
    memcpy(out, f + 6, 6);   /* to the requester */
    memcpy(out + 6, mac, 6);
    out[12] = 0x08;
    out[13] = 0x06;
    memcpy(out + 14, f + 14, 6);
    out[20] = 0;
    out[21] = 2;
    memcpy(out + 22, mac, 6);
    memcpy(out + 28, f + 38, 4); /* sender = the requested IP */
    memcpy(out + 32, f + 22, 10); /* target = the requester's MAC and IP */
    send(fd, out, sizeof out, 0);
  }
}
