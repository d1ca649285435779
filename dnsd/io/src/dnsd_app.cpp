#include "l1net/dnsd/io/dnsd_app.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <utility>
#include <variant>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/program_options.hpp>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include "l1net/dnsd/io/configmap_ledger.hpp"
#include "l1net/dnsd/io/dns_transport.hpp"
#include "l1net/dnsd/io/kube_source.hpp"
#include "l1net/dnsd/io/syncer.hpp"
#include "l1net/dnsd/providers/hostsfile.hpp"
#include "l1net/dnsd/providers/pihole.hpp"
#include "l1net/dnsd/sources.hpp"
#include "l1net/io/http_server.hpp"
#include "l1net/io/manifest_files.hpp"
#include "l1net/io/object_source.hpp"
#include "l1net/io/signals.hpp"
#include "l1net/kube/config.hpp"
#include "l1net/kubeapi/client.hpp"
#include "l1net/manifest/load.hpp"
#include "l1net/metrics/registry.hpp"

#ifndef L1NET_VERSION
#define L1NET_VERSION "0.0.0"
#endif

namespace l1net::dnsd {

namespace asio = boost::asio;
namespace po = boost::program_options;

namespace {

std::optional<std::chrono::seconds> parseDuration(const std::string& text) {
  if (auto s = parseTtl(text)) {
    return std::chrono::seconds(*s);
  }
  return std::nullopt;
}

std::string readSecretFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error("--pihole-password-file " + path + ": cannot read");
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  auto s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) {
    s.pop_back();
  }
  return s;
}

// The controller's state file as Services; a missing file is an empty state.
std::optional<std::vector<manifest::Service>> readControllerState(const std::string& path,
                                                                  spdlog::logger& log) {
  if (path.empty()) {
    return std::vector<manifest::Service>{};
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return std::vector<manifest::Service>{};
  }
  auto r = l1net::io::loadManifestPaths({path});
  if (!r.ok()) {
    for (const auto& d : r.errors) {
      log.warn("controller state: {}", d.format());
    }
    return std::nullopt;
  }
  return r.set.services;
}

struct Objects {
  std::optional<manifest::ManifestSet> manifests;
  std::vector<manifest::Service> state;
};

DesiredRecords computeDesired(const DnsdOptions& opts, const Objects& objs) {
  SourceOptions so;
  if (opts.require_announced) {
    so.announced = announcedIps(objs.state);
  }
  return desiredRecords(mergeControllerState(*objs.manifests, objs.state), so);
}

std::pair<std::int64_t, std::int64_t> fileStamp(const std::string& path) {
  struct stat st {};
  if (path.empty() || ::stat(path.c_str(), &st) != 0) {
    return {0, 0};
  }
  return {static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec,
          static_cast<std::int64_t>(st.st_size)};
}

double unixNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// The API client of kubernetes mode: kubeconfig (--kubeconfig) or the in-cluster service account
// (a projected token file is re-read as it rotates: kubeapi::ApiClient). Errors go to *why.
std::shared_ptr<kubeapi::ApiClient> makeApiClient(const asio::any_io_executor& ex,
                                                  const DnsdOptions& opts, std::string* why) {
  const auto got = kubeapi::loadClusterConfig(opts.kubeconfig);
  if (const auto* e = std::get_if<kube::ConfigError>(&got)) {
    *why = e->message;
    return nullptr;
  }
  const auto& cfg = std::get<kube::ClusterConfig>(got);
  auto client = kubeapi::ApiClient::create(ex, cfg, {.user_agent = "l1net-dnsd"});
  if (!client) {
    *why = "kubernetes API " + cfg.scheme + "://" + cfg.host + ":" + cfg.port + ": " +
           client.error().message();
    return nullptr;
  }
  return *client;
}

void logReport(spdlog::logger& log, const DnsdOptions& opts, const CycleReport& rep) {
  if (opts.dry_run) {
    log.info("dry-run done: would create {}, would delete {}; {} foreign skipped; nothing written",
             rep.creates, rep.deletes, rep.foreign_skipped);
    return;
  }
  const bool quiet = !opts.once && rep.ok && rep.creates + rep.deletes == 0;
  log.log(quiet ? spdlog::level::debug : spdlog::level::info,
          "sync done: {} created, {} deleted, {} failed, {} foreign skipped", rep.creates,
          rep.deletes, rep.failed, rep.foreign_skipped);
}

}  // namespace

CommandLine parseCommandLine(int argc, const char* const* argv, std::ostream& out,
                             std::ostream& err) {
  DnsdOptions o;
  std::string policy = "sync";
  std::string interval = "60s";
  std::string min_event = "5s";
  std::string password_file;
  std::string config_file;
  po::options_description desc("l1net-dnsd options");
  desc.add_options()("help,h", "show this help")("version", "print the version and exit")(
      "config", po::value(&config_file), "read options from FILE (\"name = value\" lines)")(
      "mode", po::value(&o.mode)->default_value("file"), "file | kubernetes")(
      "kubeconfig", po::value(&o.kubeconfig),
      "kubernetes mode: kubeconfig file (default: the in-cluster service account)")(
      "namespace", po::value(&o.ns)->default_value("l1net-system"),
      "kubernetes mode: namespace of the ledger ConfigMap and the ServiceL2Status objects")(
      "ledger-configmap", po::value(&o.ledger_configmap)->default_value("l1net-dnsd-ledger"),
      "kubernetes mode: the ownership ledger ConfigMap")(
      "manifests", po::value(&o.manifests)->composing(),
      "manifest file or directory (repeatable); watched with inotify")(
      "controller-state", po::value(&o.controller_state),
      "file mode: the controller's --state file (load-balancer IPs, what is announced)")(
      "state", po::value(&o.state), "ownership ledger file (file mode)")(
      "provider", po::value(&o.provider)->default_value("pihole"), "pihole | hostsfile")(
      "pihole-url", po::value(&o.pihole_urls)->composing(), "Pi-hole v6 base URL (repeatable)")(
      "pihole-password-file", po::value(&password_file),
      "file holding the Pi-hole password (else $PIHOLE_PASSWORD)")(
      "pihole-ca-file", po::value(&o.pihole_ca_file), "CA bundle to verify the Pi-hole's TLS")(
      "pihole-tls-skip-verify", po::bool_switch(&o.pihole_tls_skip_verify),
      "do not verify the Pi-hole's TLS certificate")(
      "hosts-file", po::value(&o.hosts_file), "hostsfile provider: the dnsmasq addn-hosts file")(
      "dnsmasq-pid-file", po::value(&o.dnsmasq_pid_file),
      "hostsfile provider: SIGHUP the pid in this file after writing")(
      "policy", po::value(&policy)->default_value("sync"), "sync | upsert-only | create-only")(
      "domain-filter", po::value(&o.domain_filter)->composing(),
      "only manage names in this domain (repeatable; leading '.' = subdomains only)")(
      "exclude-domains", po::value(&o.exclude_domains)->composing(),
      "never manage names in this domain (repeatable)")(
      "adopt", po::bool_switch(&o.adopt),
      "take over existing records that exactly match a desired record")(
      "require-announced", po::value(&o.require_announced),
      "publish only announced IPs: the controller's state (file mode) or Services with a "
      "ServiceL2Status (kubernetes mode; default true there, false in file mode)")(
      "verify-server", po::value(&o.verify_server),
      "after applying, query this DNS server (IP[:port]) for each changed name")(
      "interval", po::value(&interval)->default_value("60s"), "full sync period (Go duration)")(
      "min-event-interval", po::value(&min_event)->default_value("5s"),
      "minimum time between event-driven syncs (>= 5s)")("once", po::bool_switch(&o.once),
                                                         "one sync, then exit")(
      "dry-run", po::bool_switch(&o.dry_run), "read and log every planned call; write nothing")(
      "metrics-addr", po::value(&o.metrics_addr)->default_value("127.0.0.1:7979"),
      "address for /metrics and /healthz");
  l1net::io::addLogOptions(desc, o.log);
  CommandLine cmd;
  try {
    po::variables_map vm;
    po::store(po::parse_command_line(argc, argv, desc), vm);
    if (vm.count("config") != 0U) {
      const auto path = vm["config"].as<std::string>();
      std::ifstream in(path);
      if (!in) {
        err << "l1net-dnsd: --config " << path << ": cannot read\n";
        cmd.exit_code = kExitInvalid;
        return cmd;
      }
      po::store(po::parse_config_file(in, desc), vm);
    }
    if (vm.count("help") != 0U) {
      out << desc << "\n";
      return cmd;
    }
    if (vm.count("version") != 0U) {
      out << "l1net-dnsd " << L1NET_VERSION << "\n";
      return cmd;
    }
    po::notify(vm);
    auto fail = [&](const std::string& msg) {
      err << "l1net-dnsd: " << msg << "\n";
      cmd.exit_code = kExitInvalid;
      return cmd;
    };
    if (o.mode != "file" && o.mode != "kubernetes") {
      return fail("--mode must be file or kubernetes");
    }
    if (o.mode == "file" && o.manifests.empty()) {
      return fail("--manifests is required in file mode");
    }
    if (o.mode == "kubernetes" && !o.manifests.empty()) {
      return fail("--manifests is for file mode; kubernetes mode reads the API");
    }
    if (vm.count("require-announced") == 0U) {
      o.require_announced = o.mode == "kubernetes";
    }
    if (!parsePolicy(policy, o.policy)) {
      return fail("--policy must be sync, upsert-only or create-only, not \"" + policy + "\"");
    }
    const auto iv = parseDuration(interval);
    const auto me = parseDuration(min_event);
    if (!iv) {
      return fail("--interval: not a duration: " + interval);
    }
    if (!me || *me < std::chrono::seconds(5)) {
      return fail("--min-event-interval: want a duration of at least 5s");
    }
    o.interval = *iv;
    o.min_event_interval = *me;
    if (o.provider == "pihole") {
      if (o.pihole_urls.empty()) {
        return fail("--provider pihole needs at least one --pihole-url");
      }
      if (!password_file.empty()) {
        o.pihole_password = readSecretFile(password_file);
      } else if (const char* env = std::getenv("PIHOLE_PASSWORD"); env != nullptr) {
        o.pihole_password = env;
      } else if (!o.dry_run) {
        return fail("--provider pihole needs --pihole-password-file or $PIHOLE_PASSWORD");
      }
    } else if (o.provider == "hostsfile") {
      if (o.hosts_file.empty()) {
        return fail("--provider hostsfile needs --hosts-file");
      }
    } else {
      return fail("--provider must be pihole or hostsfile");
    }
  } catch (const std::exception& e) {
    err << "l1net-dnsd: " << e.what() << "\n";
    cmd.exit_code = kExitInvalid;
    return cmd;
  }
  cmd.options = std::move(o);
  return cmd;
}

int run(const DnsdOptions& opts) {
  auto log = l1net::io::makeLogger("dnsd");
  asio::io_context ioc;
  metrics::Registry registry;
  auto& sessions = registry.counter("l1net_dnsd_pihole_sessions_opened_total",
                                    "Pi-hole sessions opened (logins), per instance.");
  auto& relogins = registry.counter("l1net_dnsd_pihole_relogins_total",
                                    "Pi-hole logins after a 401, per instance.");
  auto& logouts =
      registry.counter("l1net_dnsd_pihole_sessions_closed_total", "Pi-hole sessions closed.");
  auto& rate_limited = registry.counter("l1net_dnsd_pihole_rate_limited_total",
                                        "Pi-hole answers 429 (rate limited), per instance.");
  auto& backoff_skips =
      registry.counter("l1net_dnsd_pihole_backoff_skipped_calls_total",
                       "Pi-hole calls not sent because the instance was backing off.");

  std::vector<std::unique_ptr<Provider>> owned_providers;
  std::vector<PiholeProvider*> piholes;
  try {
    if (opts.provider == "pihole") {
      for (const auto& url : opts.pihole_urls) {
        auto p = std::make_unique<PiholeProvider>(
            ioc.get_executor(),
            PiholeOptions{
                .url = url,
                .password = opts.pihole_password,
                .tls = {.verify = !opts.pihole_tls_skip_verify, .ca_file = opts.pihole_ca_file}},
            l1net::io::makeLogger("dnsd.pihole"));
        piholes.push_back(p.get());
        owned_providers.push_back(std::move(p));
      }
    } else {
      owned_providers.push_back(std::make_unique<HostsFileProvider>(
          HostsFileOptions{.path = opts.hosts_file, .dnsmasq_pid_file = opts.dnsmasq_pid_file},
          l1net::io::makeLogger("dnsd.hostsfile")));
    }
  } catch (const std::exception& e) {
    log->error("{}", e.what());
    return kExitInvalid;
  }
  std::vector<Provider*> providers;
  for (auto& p : owned_providers) {
    providers.push_back(p.get());
  }
  std::unique_ptr<DnsTransport> verifier;
  if (!opts.verify_server.empty()) {
    try {
      verifier = makeCaresTransport(ioc.get_executor(), opts.verify_server);
    } catch (const std::exception& e) {
      log->error("{}", e.what());
      return kExitInvalid;
    }
  }
  const bool kube_mode = opts.mode == "kubernetes";
  std::shared_ptr<kubeapi::ApiClient> api;
  std::unique_ptr<ConfigMapLedgerStore> kube_ledger;
  if (kube_mode) {
    std::string why;
    api = makeApiClient(ioc.get_executor(), opts, &why);
    if (!api) {
      log->error("{}", why);
      return kExitInvalid;
    }
    kube_ledger = std::make_unique<ConfigMapLedgerStore>(
        *api, ConfigMapLedgerOptions{.ns = opts.ns, .name = opts.ledger_configmap},
        l1net::io::makeLogger("dnsd.ledger"));
  }
  std::unique_ptr<Syncer> syncer;
  try {
    syncer = std::make_unique<Syncer>(
        providers,
        SyncOptions{.policy = opts.policy,
                    .filter = DomainFilter(opts.domain_filter, opts.exclude_domains),
                    .adopt = opts.adopt,
                    .dry_run = opts.dry_run,
                    .ledger_path = kube_mode ? std::string() : opts.state,
                    .ledger_store = kube_ledger.get()},
        log, registry, verifier.get());
  } catch (const std::exception& e) {
    log->error("ownership ledger: {}", e.what());
    return kExitInvalid;
  }
  auto updateSessionMetrics = [&] {
    for (auto* p : piholes) {
      sessions.set({{"instance", p->id()}}, static_cast<double>(p->stats().logins));
      relogins.set({{"instance", p->id()}}, static_cast<double>(p->stats().relogins));
      logouts.set({{"instance", p->id()}}, static_cast<double>(p->stats().logouts));
      rate_limited.set({{"instance", p->id()}}, static_cast<double>(p->stats().rate_limited));
      backoff_skips.set({{"instance", p->id()}}, static_cast<double>(p->stats().backoff_skips));
    }
  };

  // ---- Objects: what the next cycle syncs to (nullopt = not known yet) ----
  asio::steady_timer wake(ioc);
  bool dirty = true;  // an event came in since the last cycle
  bool stopping = false;
  auto requestSync = [&] {
    dirty = true;
    wake.cancel();  // the loop recomputes when the next cycle is due
  };
  std::function<std::optional<DesiredRecords>()> desired;
  std::unique_ptr<KubeSource> kube_source;
  std::unique_ptr<l1net::io::ObjectSource> file_source;
  Objects objs;
  asio::steady_timer poll(ioc);
  if (kube_mode) {
    // Informers (list, then watch) on Services, Ingresses and ServiceL2Status: every change
    // requests a sync; --interval resyncs anyway.
    kube_source = std::make_unique<KubeSource>(
        *api, KubeSourceOptions{.ns = opts.ns, .with_l2_status = opts.require_announced},
        l1net::io::makeLogger("dnsd.kube"), requestSync);
    desired = [&]() -> std::optional<DesiredRecords> {
      if (!kube_source->synced()) {
        return std::nullopt;  // a partial view would delete records dnsd still owns
      }
      const auto v = kube_source->view();
      SourceOptions so;
      if (opts.require_announced) {
        so.announced = v.announced_ips;
      }
      return desiredRecords(v.set, so);
    };
  } else {
    objs.manifests = l1net::io::loadInitialManifests(opts.manifests, *log);
    if (!objs.manifests) {
      return kExitInvalid;
    }
    desired = [&]() -> std::optional<DesiredRecords> {
      auto st = readControllerState(opts.controller_state, *log);
      if (!st) {
        return std::nullopt;
      }
      objs.state = std::move(*st);
      return computeDesired(opts, objs);
    };
  }

  // ---- The end of every run: sessions closed, metrics updated, serving stopped ----
  int exit_code = kExitOk;
  l1net::io::HttpServer server(ioc.get_executor(), l1net::io::makeLogger("dnsd.http"));
  auto stop = l1net::io::awaitStopSignal(ioc.get_executor(), [&](int sig) {
    log->info("signal {}: stopping", sig);
    stopping = true;
    wake.cancel();
    poll.cancel();
    if (file_source) {
      file_source->stop();
    }
  });
  auto shutdown = [&]() -> asio::awaitable<void> {
    if (kube_source) {
      kube_source->stop();
    }
    if (file_source) {
      file_source->stop();
    }
    poll.cancel();
    for (auto* p : providers) {
      co_await p->shutdown();  // Pi-hole: DELETE /api/auth, so restarts leak no session
    }
    updateSessionMetrics();
    server.stop();
    stop.cancel();
  };
  auto completion = [&](const std::exception_ptr& e) {
    if (e) {
      log->error("sync loop failed with an exception");
      exit_code = kExitFailure;
      ioc.stop();
    }
  };
  auto runOneCycle = [&](const DesiredRecords& d) -> asio::awaitable<CycleReport> {
    auto rep = co_await syncer->runCycle(d, unixNow());
    updateSessionMetrics();
    logReport(*log, opts, rep);
    co_return rep;
  };

  if (opts.once) {
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
          std::optional<DesiredRecords> d;
          if (kube_mode) {
            // Wait for every informer's first list; the first failed request ends the run.
            kube_source->start();
            while (!stopping && !kube_source->synced() && kube_source->healthProblem().empty()) {
              poll.expires_after(std::chrono::milliseconds(20));
              co_await poll.async_wait(asio::as_tuple(asio::use_awaitable));
            }
            if (!kube_source->synced()) {
              log->error("kubernetes API: {}", stopping
                                                   ? std::string("stopped before the first list")
                                                   : kube_source->healthProblem());
              exit_code = kExitFailure;
            }
          }
          if (exit_code == kExitOk && !stopping) {
            d = desired();
            if (!d) {
              exit_code = kExitFailure;
            }
          }
          if (d) {
            const auto rep = co_await runOneCycle(*d);
            if (opts.dry_run) {
              // The planned calls on stdout, one a line (the log on stderr says the same).
              for (const auto& c : rep.calls) {
                std::cout << c << "\n";
              }
              std::cout.flush();
            }
            if (!rep.ok) {
              exit_code = kExitFailure;
            }
          }
          co_await shutdown();
        },
        completion);
    ioc.run();
    return exit_code;
  }

  // ---- Daemon: periodic (--interval) plus event-driven (at least --min-event-interval apart) ----
  auto last_ok = std::chrono::steady_clock::now();
  l1net::io::serveMetrics(server, registry, [&] {
    return std::chrono::steady_clock::now() - last_ok <
           3 * opts.interval + std::chrono::seconds(30);
  });
  if (auto bound = server.listen(opts.metrics_addr); !bound) {
    log->error("--metrics-addr {}: {}", opts.metrics_addr, bound.error().message());
    return kExitFailure;
  }
  if (kube_mode) {
    kube_source->start();
  } else {
    // The object seam: --manifests watched with inotify; the controller's state file polled (it
    // may not exist yet).
    file_source = std::make_unique<l1net::io::FileObjectSource>(
        ioc.get_executor(), opts.manifests, l1net::io::makeLogger("dnsd.source"));
    file_source->start([&](const manifest::ManifestSet& set) {
      objs.manifests = set;
      requestSync();
    });
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
          auto stamp = fileStamp(opts.controller_state);
          while (!stopping) {
            poll.expires_after(std::chrono::seconds(1));
            co_await poll.async_wait(asio::as_tuple(asio::use_awaitable));
            if (const auto s = fileStamp(opts.controller_state); s != stamp) {
              stamp = s;
              requestSync();
            }
          }
        },
        asio::detached);
  }
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        std::optional<std::chrono::steady_clock::time_point> last_cycle;
        while (!stopping) {
          if (auto d = desired()) {
            dirty = false;
            last_cycle = std::chrono::steady_clock::now();
            const auto rep = co_await runOneCycle(*d);
            if (rep.ok) {
              last_ok = std::chrono::steady_clock::now();
            }
          }
          // Next cycle: --interval after the last one, or --min-event-interval after it when an
          // event came in (whichever is sooner); before the first cycle (objects not known yet),
          // at the next event.
          for (;;) {
            if (stopping) {
              break;
            }
            if (!last_cycle) {
              if (dirty) {
                dirty = false;
                break;
              }
              wake.expires_at(std::chrono::steady_clock::time_point::max());
            } else {
              const auto due =
                  *last_cycle +
                  (dirty ? std::min(opts.min_event_interval, opts.interval) : opts.interval);
              if (std::chrono::steady_clock::now() >= due) {
                break;
              }
              wake.expires_at(due);
            }
            co_await wake.async_wait(asio::as_tuple(asio::use_awaitable));
          }
        }
        co_await shutdown();
      },
      completion);
  ioc.run();
  return exit_code;
}

}  // namespace l1net::dnsd
