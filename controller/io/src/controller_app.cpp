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

#include "l1net/controller/io/controller_daemon.hpp"
#include "l1net/controller/io/state_file.hpp"
#include "l1net/controller/io/status_sink.hpp"
#include "l1net/io/http_server.hpp"
#include "l1net/io/manifest_files.hpp"
#include "l1net/io/object_source.hpp"
#include "l1net/io/signals.hpp"
#include "l1net/manifest/emit.hpp"
#include "l1net/manifest/load.hpp"
#include "l1net/metrics/registry.hpp"

namespace l1net::controller {
namespace {

namespace po = boost::program_options;

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
  std::string mode = "file";
  std::string leader_elect;
  double release_hold_s = 30.0;
  po::options_description desc(
      "Usage: l1net-controller --manifests PATH... [options]\n"
      "       l1net-controller --mode kubernetes [--kubeconfig FILE] [options]\nOptions");
  desc.add_options()("help,h", "show this help")(
      "mode", po::value<std::string>(&mode)->default_value("file"),
      "file (--manifests in, --state out) or kubernetes (the API server)")(
      "kubeconfig", po::value<std::string>(&opts.kubeconfig),
      "kubernetes mode: kubeconfig file (default: the in-cluster service account)")(
      "namespace", po::value<std::string>(&opts.kube_namespace)->default_value(opts.kube_namespace),
      "kubernetes mode: namespace of the pools, advertisements and the leader Lease")(
      "leader-elect", po::value<std::string>(&leader_elect)->implicit_value("true"),
      "kubernetes mode: elect a leader with Lease l1net-controller; only the leader writes "
      "(default true; --leader-elect=false to turn off)")(
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
  if (mode == "kubernetes") {
    opts.mode = Mode::kKubernetes;
  } else if (mode != "file") {
    err << "l1net-controller: --mode must be file or kubernetes, not '"
        << l1net::io::escapeForLog(mode) << "'\n";
    return {std::nullopt, kExitInvalid};
  }
  if (leader_elect == "false" || leader_elect == "0") {
    opts.leader_elect = false;
  } else if (!leader_elect.empty() && leader_elect != "true" && leader_elect != "1") {
    err << "l1net-controller: --leader-elect must be true or false\n";
    return {std::nullopt, kExitInvalid};
  }
  if (opts.mode == Mode::kFile && opts.manifests.empty()) {
    err << "l1net-controller: --manifests is required\n" << desc << "\n";
    return {std::nullopt, kExitInvalid};
  }
  if (opts.mode == Mode::kKubernetes && (!opts.manifests.empty() || opts.once)) {
    err << "l1net-controller: --manifests and --once are file mode only\n";
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
  if (opts.mode == Mode::kKubernetes) {
    opts.release_hold = std::chrono::milliseconds(0);  // deletes are explicit: release at once
  }
  return {std::move(opts), kExitOk};
}

std::string renderOutput(const ReconcileResult& result, OutputFormat format) {
  if (format == OutputFormat::kJson) {
    return formatResultJson(result) + "\n";
  }
  std::string out;  // emitServicesYaml(stateServices(result)) without copying the services
  forEachStateService(result, [&out](const manifest::Service& svc) {
    if (!out.empty()) {
      out += "---\n";
    }
    out += manifest::emitServiceYaml(svc);
  });
  return out;
}

int runOnce(const ControllerOptions& opts, std::ostream& out, std::ostream& err) {
  const auto logger = l1net::io::makeLogger("controller");
  auto loaded =
      l1net::io::loadManifestPaths(opts.manifests, {.max_file_bytes = opts.max_manifest_bytes});
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
    if (const auto written = writeStateFile(opts.state, renderStateFor(result)); !written) {
      err << "error: " << describeWriteError(opts.state, written.error()) << "\n";
      return kExitFailure;
    }
  }
  out << renderOutput(result,
                      opts.output == OutputFormat::kNone ? OutputFormat::kYaml : opts.output);
  out.flush();
  return kExitOk;
}

bool serveControllerEndpoints(l1net::io::HttpServer& server, const metrics::Registry& registry,
                              const std::string& addr, spdlog::logger& logger,
                              std::function<bool()> reconciled,
                              std::function<std::string()> problem) {
  l1net::io::serveMetrics(server, registry, std::move(reconciled), std::move(problem));
  const auto bound = server.listen(addr);
  if (!bound) {
    logger.error("metrics address {}: {}", addr, bound.error().message());
    return false;
  }
  logger.info("serving /metrics and /healthz on {}:{}", bound->address().to_string(),
              bound->port());
  return true;
}

int runDaemon(const ControllerOptions& opts) {
  const auto logger = l1net::io::makeLogger("controller");
  if (opts.mode != Mode::kFile) {
    logger->error("--mode kubernetes runs runKubeDaemon (controller/kube), not runDaemon");
    return kExitInvalid;
  }
  boost::asio::io_context ioc;
  metrics::Registry registry;

  // The two seams, chosen by configuration: where snapshots come from, where results go.
  l1net::io::FileObjectSourceOptions source_opts;
  source_opts.registry = &registry;
  source_opts.load = {.max_file_bytes = opts.max_manifest_bytes};
  l1net::io::FileObjectSource source(ioc.get_executor(), opts.manifests,
                                     l1net::io::makeLogger("controller.source"), source_opts);
  StateFileSink sink(ioc.get_executor(),
                     {.path = opts.state,
                      .recover = opts.state_recover,
                      .dry_run = opts.dry_run,
                      .retry_initial = opts.state_retry_initial,
                      .retry_max = opts.state_retry_max,
                      .open = {}},
                     l1net::io::makeLogger("controller.state"), &registry);

  const bool print = opts.output != OutputFormat::kNone || opts.dry_run;
  ControllerDaemon daemon(ioc.get_executor(), source, sink, registry, logger,
                          {.lb_class = opts.lb_class,
                           .release_hold = opts.release_hold,
                           .print = print ? &std::cout : nullptr,
                           .print_json = opts.output == OutputFormat::kJson});

  l1net::io::HttpServer server(ioc.get_executor(), l1net::io::makeLogger("controller.http"));
  std::optional<l1net::io::StopSignal> stop;
  int exit_code = kExitOk;
  bool failed = false;
  daemon.start([&](int code) {
    exit_code = code;
    failed = true;
    server.stop();
    stop.reset();
    ioc.stop();
  });
  if (failed) {
    return exit_code;  // the file source syncs synchronously: invalid manifests, bad state
  }

  if (!serveControllerEndpoints(
          server, registry, opts.metrics_addr, *logger, [&] { return daemon.reconciled(); },
          [&] { return daemon.healthProblem(); })) {
    return kExitFailure;
  }
  stop.emplace(l1net::io::awaitStopSignal(ioc.get_executor(), [&](int signal) {
    logger->info("signal {}: stopping", signal);
    daemon.stop();
    server.stop();
  }));
  ioc.run();
  return exit_code;
}

}  // namespace l1net::controller
