/* wakefloor SECONDS: the machine's own wake-up floor. A thread sleeps 1 ms at a time and
 * measures how late each wake-up is (CLOCK_MONOTONIC). It does no other work, so lateness is
 * what the kernel and the hypervisor cost any thread at its priority and CPU (run it with chrt and
 * taskset). Prints: "<max lateness ns> <wake-ups late by over 5 ms> <wake-ups>". */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char** argv) {
  if (argc != 2 || atof(argv[1]) <= 0) {
    fprintf(stderr, "usage: wakefloor SECONDS\n");
    return 2;
  }
  const long long end = now_ns() + (long long)(atof(argv[1]) * 1e9);
  long long max_late = 0;
  long over_5ms = 0, wakeups = 0;
  for (long long t = now_ns(); t < end;) {
    const struct timespec period = {.tv_sec = 0, .tv_nsec = 1000000};
    nanosleep(&period, NULL);
    const long long woke = now_ns();
    const long long late = woke - t - period.tv_nsec;
    if (late > max_late) max_late = late;
    if (late > 5000000) over_5ms++;
    wakeups++;
    t = woke;
  }
  printf("%lld %ld %ld\n", max_late, over_5ms, wakeups);
  return 0;
}
