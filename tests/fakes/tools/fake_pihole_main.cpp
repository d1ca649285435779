// fake-pihole: the FakePihole fixture as a process, for tests and benchmarks that run the real
// l1net-dnsd binary. Listens on 127.0.0.1 (ephemeral port), prints "PORT <n>" on stdout, serves
// until SIGTERM/SIGINT. GET /__fixture/state (no session needed) answers
// {"live_sessions","logins","restarts","requests","hosts":[...],"cnames":[...]}.
// Usage: fake-pihole [--password PW] [--app-password PW] [--app-sudo true|false]
//                    [--max-sessions N] [--throttle N[:RETRY_AFTER]] [--seed-host "IP NAME"]...
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "l1net/testing/fake_pihole.hpp"

int main(int argc, char** argv) {
  l1net::testing::FakePiholeOptions opts;
  std::vector<std::string> seed;
  std::size_t throttle_n = 0;
  std::string throttle_after;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const std::string v = argv[i + 1];
    if (k == "--password") {
      opts.password = v;
    } else if (k == "--max-sessions") {
      opts.max_sessions = std::stoul(v);
    } else if (k == "--app-password") {
      opts.app_password = v;
    } else if (k == "--app-sudo") {
      opts.app_sudo = v == "true";
    } else if (k == "--throttle") {
      const auto colon = v.find(':');
      throttle_n = std::stoul(v.substr(0, colon));
      throttle_after = colon == std::string::npos ? "" : v.substr(colon + 1);
    } else if (k == "--seed-host") {
      seed.push_back(v);
    } else {
      std::cerr << "fake-pihole: unknown option " << k << "\n";
      return 2;
    }
  }
  boost::asio::io_context ioc;
  l1net::testing::FakePihole ph(ioc.get_executor(), opts);
  ph.hosts() = seed;
  ph.throttle(throttle_n, throttle_after);
  boost::asio::signal_set signals(ioc, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code&, int) {
    ph.server().stop();
    ioc.stop();
  });
  std::cout << "PORT " << ph.server().port() << std::endl;
  ioc.run();
  return 0;
}
