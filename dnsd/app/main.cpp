// l1net-dnsd: DNS records for load-balanced Services and Ingresses in Pi-hole v6 or a dnsmasq
// hosts file, with an ownership ledger. Wiring only; see dnsd_app.hpp.
#include <exception>
#include <iostream>

#include "l1net/dnsd/io/dnsd_app.hpp"
#include "l1net/io/logging.hpp"

int main(int argc, char** argv) {
  namespace dnsd = l1net::dnsd;
  const auto cmd = dnsd::parseCommandLine(argc, argv, std::cout, std::cerr);
  if (!cmd.options) {
    return cmd.exit_code;
  }
  try {
    l1net::io::setupLogging(cmd.options->log);
  } catch (const std::exception& e) {
    std::cerr << "l1net-dnsd: " << e.what() << "\n";
    return dnsd::kExitInvalid;
  }
  try {
    return dnsd::run(*cmd.options);
  } catch (const std::exception& e) {
    std::cerr << "l1net-dnsd: " << e.what() << "\n";
    return dnsd::kExitFailure;
  }
}
