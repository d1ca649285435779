#include "l1net/controller/io/controller_app.hpp"

#include <algorithm>
#include <chrono>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/program_options.hpp>
#include <spdlog/spdlog.h>

#include "l1net/controller/io/pool_metrics.hpp"
#include "l1net/controller/io/state_file.hpp"
#include "l1net/controller/release_hold.hpp"
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

// The previous services from the state file; nullopt = stop (errors already reported).
// Stale temp files are removed first. Errors go to `errors`, each naming the file.
std::optional<std::vector<manifest::Service>> loadState(const ControllerOptions& opts,
                                                        spdlog::logger& logger,
                                                        std::vector<std::string>& errors) {
  if (opts.state.empty()) {
    return std::vector<manifest::Service>{};
  }
  for (const auto& removed :
       opts.dry_run ? std::vector<std::string>{} : removeStaleTempFiles(opts.state)) {
    logger.warn("removed stale temporary file {} (left by an interrupted state write)", removed);
  }
  auto state = readStateFile(opts.state);
  if (state.status == StateStatus::kIncomplete && opts.state_recover) {
    for (const auto& e : state.errors) {
      logger.warn("state file: {}", e);
    }
    logger.warn(
        "--state-recover: starting from the {} services {} still holds; it will be "
        "rewritten",
        state.services.size(), opts.state);
    return std::move(state.services);
  }
  if (!state.ok()) {
    errors = std::move(state.errors);
    return std::nullopt;
  }
  return std::move(state.services);
}

}  // namespace

CommandLine parseCommandLine(int argc, const char* const* argv, std::ostream& out,
                             std::ostream& err) {
  ControllerOptions opts;
  std::string output;
  std::string lb_class;
  double release_hold_s = 30.0;
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
      "handle only services of this spec.loadBalancerClass (default: only class-less ones)")(
      "release-hold", po::value<double>(&release_hold_s)->default_value(30.0, "30"),
      "seconds the IPs of a Service removed from the manifests stay reserved for it; 0 = release "
      "at once (MetalLB)")(
      "max-manifest-bytes",
      po::value<std::size_t>(&opts.max_manifest_bytes)->default_value(opts.max_manifest_bytes),
      "largest manifest file accepted, in bytes (default 16 MiB)")(
      "state-recover", po::bool_switch(&opts.state_recover),
      "start from an incomplete state file (keep what it still holds) and rewrite it");
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
    err << "l1net-controller: -o must be yaml or json, not '" << l1net::io::escapeForLog(output)
        << "'\n";
    return {std::nullopt, kExitInvalid};
  }
  if (vm.count("lb-class") != 0) {
    opts.lb_class = lb_class;
  }
  if (!(release_hold_s >= 0.0 && release_hold_s <= 86400.0 * 365)) {
    err << "l1net-controller: --release-hold must be a number of seconds >= 0\n";
    return {std::nullopt, kExitInvalid};
  }
  opts.release_hold = std::chrono::milliseconds(static_cast<std::int64_t>(release_hold_s * 1000));
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
  auto loaded =
      manifest::loadManifestPaths(opts.manifests, {.max_file_bytes = opts.max_manifest_bytes});
  for (const auto& w : loaded.warnings) {
    err << "warning: " << l1net::io::escapeForLog(w.format()) << "\n";
  }
  for (const auto& e : loaded.errors) {
    err << "error: " << l1net::io::escapeForLog(e.format()) << "\n";
  }
  if (!loaded.ok()) {
    return kExitInvalid;
  }
  std::vector<std::string> state_errors;
  auto previous = loadState(opts, *logger, state_errors);
  if (!previous) {
    for (const auto& e : state_errors) {
      err << "error: state file: " << l1net::io::escapeForLog(e) << "\n";
    }
    return kExitFailure;
  }
  const ReconcileResult result =
      reconcile(makeInput(std::move(loaded.set), std::move(*previous), opts.lb_class));
  logResult(*logger, result);
  if (!opts.state.empty() && !opts.dry_run) {
    if (const auto written = writeStateFile(opts.state, renderState(stateServices(result)));
        !written) {
      err << "error: " << describeWriteError(opts.state, written.error()) << "\n";
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
  const manifest::LoadOptions load_opts{.max_file_bytes = opts.max_manifest_bytes};
  if (!l1net::io::loadInitialManifests(opts.manifests, *logger, load_opts)) {
    return kExitInvalid;
  }
  std::vector<std::string> state_errors;
  auto loaded_state = loadState(opts, *logger, state_errors);
  if (!loaded_state) {
    for (const auto& e : state_errors) {
      logger->error("state file: {}", e);
    }
    return kExitFailure;
  }
  std::vector<manifest::Service> current = std::move(*loaded_state);
  if (!opts.state.empty()) {
    logger->info("state file {}: {} services", opts.state, current.size());
  }

  boost::asio::io_context ioc;
  metrics::Registry registry;
  PoolMetrics pool_metrics(registry);
  auto& reconciles = registry.counter("l1net_controller_reconciles_total",
                                      "Reconciles of a valid manifest snapshot");
  auto& write_errors = registry.counter("l1net_controller_state_write_errors_total",
                                        "Failed writes of the state file");
  auto& held_gauge = registry.gauge("l1net_controller_held_services",
                                    "Services removed from the manifests whose IPs are held");
  bool reconciled = false;
  std::string state_problem;  // "" = the state file holds the last result

  l1net::io::FileObjectSourceOptions source_opts;
  source_opts.registry = &registry;
  source_opts.load = load_opts;
  l1net::io::FileObjectSource source(ioc.get_executor(), opts.manifests,
                                     l1net::io::makeLogger("controller.source"), source_opts);

  l1net::io::HttpServer server(ioc.get_executor(), l1net::io::makeLogger("controller.http"));
  l1net::io::serveMetrics(
      server, registry, [&] { return reconciled; },
      [&] { return state_problem.empty() ? source.healthProblem() : state_problem; });
  const auto bound = server.listen(opts.metrics_addr);
  if (!bound) {
    logger->error("metrics address {}: {}", opts.metrics_addr, bound.error().message());
    return kExitFailure;
  }
  logger->info("serving /metrics and /healthz on {}:{}", bound->address().to_string(),
               bound->port());

  // State writes: the newest text is written; a failure is retried with backoff until it works.
  std::string last_written;
  std::string pending;
  boost::asio::steady_timer retry(ioc);
  std::chrono::milliseconds backoff = opts.state_retry_initial;
  bool retry_pending = false;
  std::function<void()> write_state = [&] {
    if (pending == last_written) {
      state_problem.clear();
      return;
    }
    if (const auto written = writeStateFile(opts.state, pending); !written) {
      write_errors.inc();
      state_problem = describeWriteError(opts.state, written.error()) + "; retrying";
      logger->warn("{}; retrying in {} ms", describeWriteError(opts.state, written.error()),
                   backoff.count());
      retry.expires_after(backoff);
      retry_pending = true;
      retry.async_wait([&](const boost::system::error_code& ec) {
        retry_pending = false;
        if (!ec) {
          write_state();
        }
      });
      backoff = std::min(backoff * 2, opts.state_retry_max);
      return;
    }
    backoff = opts.state_retry_initial;
    if (!state_problem.empty()) {
      logger->info("state file {} written after earlier failures", opts.state);
    }
    state_problem.clear();
    last_written = pending;
    logger->info("state file {} written: {} services", opts.state, current.size());
  };

  ReleaseHold hold(opts.release_hold);
  boost::asio::steady_timer hold_timer(ioc);
  std::optional<manifest::ManifestSet> last_set;
  const bool print = opts.output != OutputFormat::kNone || opts.dry_run;
  const OutputFormat format =
      opts.output == OutputFormat::kNone ? OutputFormat::kYaml : opts.output;
  std::function<void()> reconcile_last = [&] {
    const auto now = ReleaseHold::Clock::now();
    ReconcileInput input = makeInput(*last_set, current, opts.lb_class);
    std::vector<std::string> expired;
    input.held = hold.due(now, expired);
    input.hold_vanished = hold.enabled();
    for (const auto& key : expired) {
      logger->info("service {}: release hold of {} ms over, its IPs are free", key,
                   opts.release_hold.count());
    }
    const ReconcileResult result = reconcile(std::move(input));
    reconciles.inc();
    logResult(*logger, result);
    for (const auto& key : hold.record(result, now)) {
      logger->info("service {}: gone from the manifests; its IPs are held for it for {} ms", key,
                   opts.release_hold.count());
    }
    held_gauge.set({}, static_cast<double>(hold.size()));
    if (const auto next = hold.nextExpiry()) {
      hold_timer.expires_at(*next);
      hold_timer.async_wait([&](const boost::system::error_code& ec) {
        if (!ec) {
          reconcile_last();
        }
      });
    } else {
      hold_timer.cancel();
    }
    current = stateServices(result);
    pool_metrics.update(result.pools);
    reconciled = true;
    if (!opts.state.empty() && !opts.dry_run) {
      pending = renderState(current);
      if (!retry_pending) {
        write_state();  // else the pending retry writes the newest text
      }
    }
    if (print) {
      std::cout << renderOutput(result, format) << std::flush;
    }
  };
  const auto apply = [&](const manifest::ManifestSet& set) {
    last_set = set;
    reconcile_last();
  };

  source.start(apply);
  auto stop = l1net::io::awaitStopSignal(ioc.get_executor(), [&](int signal) {
    logger->info("signal {}: stopping", signal);
    source.stop();
    server.stop();
    retry.cancel();
    hold_timer.cancel();
  });
  ioc.run();
  return kExitOk;
}

}  // namespace l1net::controller
