#include "l1net/controller/io/controller_app.hpp"

#include <iostream>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/program_options.hpp>
#include <spdlog/spdlog.h>

#include "l1net/controller/io/pool_metrics.hpp"
#include "l1net/controller/io/state_file.hpp"
#include "l1net/io/http_server.hpp"
#include "l1net/io/object_source.hpp"
#include "l1net/io/signals.hpp"
#include "l1net/manifest/emit.hpp"
#include "l1net/manifest/load.hpp"
#include "l1net/metrics/registry.hpp"

namespace l1net::controller {
namespace {

namespace po = boost::program_options;

void logResult(spdlog::logger& logger, const ReconcileResult& result) {
  for (const auto& d : result.services) {
    for (const auto& e : d.events) {
      if (e.type == EventType::kWarning) {
        logger.warn("service {}: {}: {}", d.key, e.reason, e.message);
      } else {
        logger.info("service {}: {}: {}", d.key, e.reason, e.message);
      }
    }
    if (d.error && d.events.empty()) {
      logger.warn("service {}: {}", d.key, *d.error);
    }
  }
  for (const auto& key : result.released) {
    logger.info("service {}: deleted, its IPs are free", key);
  }
}

}  // namespace

CommandLine parseCommandLine(int argc, const char* const* argv, std::ostream& out,
                             std::ostream& err) {
  ControllerOptions opts;
  std::string output;
  std::string lb_class;
  po::options_description desc("Usage: l1net-controller --manifests PATH... [options]\nOptions");
  desc.add_options()("help,h", "show this help")(
      "manifests", po::value<std::vector<std::string>>(&opts.manifests)->multitoken()->composing(),
      "manifest files or directories (*.yaml, *.yml); repeatable")(
      "state", po::value<std::string>(&opts.state),
      "state file: previous assignments are read at start, results written atomically")(
      "once", po::bool_switch(&opts.once), "load, allocate, print and exit")(
      "dry-run", po::bool_switch(&opts.dry_run), "compute and print, write nothing")(
      "output,o", po::value<std::string>(&output), "print results as yaml or json")(
      "metrics-addr", po::value<std::string>(&opts.metrics_addr)->default_value(opts.metrics_addr),
      "HOST:PORT for /metrics and /healthz (daemon mode)")(
      "lb-class", po::value<std::string>(&lb_class),
      "handle only services of this spec.loadBalancerClass (default: only class-less ones)");
  l1net::io::addLogOptions(desc, opts.log);

  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(desc).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    err << "l1net-controller: " << e.what() << "\n" << desc << "\n";
    return {std::nullopt, kExitInvalid};
  }
  if (vm.count("help") != 0) {
    out << desc << "\n";
    return {std::nullopt, kExitOk};
  }
  if (opts.manifests.empty()) {
    err << "l1net-controller: --manifests is required\n" << desc << "\n";
    return {std::nullopt, kExitInvalid};
  }
  if (output == "json") {
    opts.output = OutputFormat::kJson;
  } else if (output == "yaml") {
    opts.output = OutputFormat::kYaml;
  } else if (!output.empty()) {
    err << "l1net-controller: -o must be yaml or json, not '" << output << "'\n";
    return {std::nullopt, kExitInvalid};
  }
  if (vm.count("lb-class") != 0) {
    opts.lb_class = lb_class;
  }
  return {std::move(opts), kExitOk};
}

std::string renderOutput(const ReconcileResult& result, OutputFormat format) {
  if (format == OutputFormat::kJson) {
    return formatResultJson(result) + "\n";
  }
  return manifest::emitServicesYaml(stateServices(result));
}

int runOnce(const ControllerOptions& opts, std::ostream& out, std::ostream& err) {
  const auto logger = l1net::io::makeLogger("controller");
  const auto loaded = manifest::loadManifestPaths(opts.manifests);
  for (const auto& w : loaded.warnings) {
    err << "warning: " << w.format() << "\n";
  }
  for (const auto& e : loaded.errors) {
    err << "error: " << e.format() << "\n";
  }
  if (!loaded.ok()) {
    return kExitInvalid;
  }
  std::vector<manifest::Service> previous;
  if (!opts.state.empty()) {
    auto state = readStateFile(opts.state);
    if (!state.ok()) {
      for (const auto& e : state.errors) {
        err << "error: state file: " << e << "\n";
      }
      return kExitFailure;
    }
    previous = std::move(state.services);
  }
  const ReconcileResult result =
      reconcile(makeInput(loaded.set, std::move(previous), opts.lb_class));
  logResult(*logger, result);
  if (!opts.state.empty() && !opts.dry_run) {
    if (const auto written = writeStateFile(opts.state, renderState(stateServices(result)));
        !written) {
      err << "error: writing " << opts.state << ": " << written.error().message() << "\n";
      return kExitFailure;
    }
  }
  out << renderOutput(result,
                      opts.output == OutputFormat::kNone ? OutputFormat::kYaml : opts.output);
  out.flush();
  return kExitOk;
}

int runDaemon(const ControllerOptions& opts) {
  const auto logger = l1net::io::makeLogger("controller");
  if (!l1net::io::loadInitialManifests(opts.manifests, *logger)) {
    return kExitInvalid;
  }
  std::vector<manifest::Service> current;
  if (!opts.state.empty()) {
    auto state = readStateFile(opts.state);
    if (!state.ok()) {
      for (const auto& e : state.errors) {
        logger->error("state file: {}", e);
      }
      return kExitFailure;
    }
    current = std::move(state.services);
    logger->info("state file {}: {} services", opts.state, current.size());
  }

  boost::asio::io_context ioc;
  metrics::Registry registry;
  PoolMetrics pool_metrics(registry);
  auto& reconciles = registry.counter("l1net_controller_reconciles_total",
                                      "Reconciles of a valid manifest snapshot");
  auto& write_errors = registry.counter("l1net_controller_state_write_errors_total",
                                        "Failed writes of the state file");
  bool healthy = false;

  l1net::io::HttpServer server(ioc.get_executor(), l1net::io::makeLogger("controller.http"));
  l1net::io::serveMetrics(server, registry, [&healthy] { return healthy; });
  const auto bound = server.listen(opts.metrics_addr);
  if (!bound) {
    logger->error("metrics address {}: {}", opts.metrics_addr, bound.error().message());
    return kExitFailure;
  }
  logger->info("serving /metrics and /healthz on {}:{}", bound->address().to_string(),
               bound->port());

  std::string last_written;
  const bool print = opts.output != OutputFormat::kNone || opts.dry_run;
  const OutputFormat format =
      opts.output == OutputFormat::kNone ? OutputFormat::kYaml : opts.output;
  const auto apply = [&](const manifest::ManifestSet& set) {
    const ReconcileResult result = reconcile(makeInput(set, current, opts.lb_class));
    reconciles.inc();
    logResult(*logger, result);
    current = stateServices(result);
    pool_metrics.update(result.pools);
    healthy = true;
    if (!opts.state.empty() && !opts.dry_run) {
      std::string text = renderState(current);
      if (text != last_written) {
        if (const auto written = writeStateFile(opts.state, text); !written) {
          write_errors.inc();
          healthy = false;
          logger->warn("writing state file {}: {}", opts.state, written.error().message());
        } else {
          last_written = std::move(text);
          logger->info("state file {} written: {} services", opts.state, current.size());
        }
      }
    }
    if (print) {
      std::cout << renderOutput(result, format) << std::flush;
    }
  };

  l1net::io::FileObjectSource source(ioc.get_executor(), opts.manifests,
                                     l1net::io::makeLogger("controller.source"));
  source.start(apply);
  auto stop = l1net::io::awaitStopSignal(ioc.get_executor(), [&](int signal) {
    logger->info("signal {}: stopping", signal);
    source.stop();
    server.stop();
  });
  ioc.run();
  return kExitOk;
}

}  // namespace l1net::controller
