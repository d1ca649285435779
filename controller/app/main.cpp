// l1net-controller: MetalLB's controller, file mode (controller_app.hpp) or Kubernetes mode
// (kube_mode.hpp). Wiring only.
#include <exception>
#include <iostream>

#include "l1net/controller/io/controller_app.hpp"
#include "l1net/controller/kube/kube_mode.hpp"
#include "l1net/io/heap.hpp"
#include "l1net/io/logging.hpp"
#include "l1net/io/version.hpp"

int main(int argc, char** argv) {
  namespace ctl = l1net::controller;
  if (l1net::io::printVersionIfAsked(argc, argv, "l1net-controller")) {
    return 0;
  }
  l1net::io::tuneHeapForManifests();
  const auto cmd = ctl::parseCommandLine(argc, argv, std::cout, std::cerr);
  if (!cmd.options) {
    return cmd.exit_code;
  }
  const ctl::ControllerOptions& opts = *cmd.options;
  try {
    l1net::io::setupLogging(opts.log);
  } catch (const std::exception& e) {
    std::cerr << "l1net-controller: " << e.what() << "\n";
    return ctl::kExitInvalid;
  }
  try {
    if (opts.mode == ctl::Mode::kKubernetes) {
      return ctl::runKubeDaemon(opts);
    }
    return opts.once ? ctl::runOnce(opts, std::cout, std::cerr) : ctl::runDaemon(opts);
  } catch (const std::exception& e) {
    std::cerr << "l1net-controller: " << e.what() << "\n";
    return ctl::kExitFailure;
  }
}
