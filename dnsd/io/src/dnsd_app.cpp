#include "l1net/dnsd/io/dnsd_app.hpp"

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
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
#include "l1net/dnsd/io/kube_objects.hpp"
#include "l1net/dnsd/io/syncer.hpp"
#include "l1net/dnsd/providers/hostsfile.hpp"
#include "l1net/dnsd/providers/pihole.hpp"
#include "l1net/dnsd/sources.hpp"
#include "l1net/http/client.hpp"
#include "l1net/io/http_server.hpp"
#include "l1net/io/manifest_files.hpp"
#include "l1net/io/object_source.hpp"
#include "l1net/io/signals.hpp"
#include "l1net/kube/config.hpp"
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

// The API client of kubernetes mode: kubeconfig (--kubeconfig) or the in-cluster service account.
// Errors go to *why (start-up configuration).
std::optional<KubeCall> makeKubeCall(const asio::any_io_executor& ex, const DnsdOptions& opts,
                                     std::string* why) {
  std::variant<kube::ClusterConfig, kube::ConfigError> got;
  if (!opts.kubeconfig.empty()) {
    std::ifstream in(opts.kubeconfig, std::ios::binary);
    if (!in) {
      *why = "--kubeconfig " + opts.kubeconfig + ": cannot read";
      return std::nullopt;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    got = kube::parseKubeconfig(ss.str(), opts.kubeconfig, "");
  } else {
    auto env = [](const char* n) -> std::optional<std::string> {
      const char* v = std::getenv(n);
      return v == nullptr ? std::nullopt : std::optional<std::string>(v);
    };
    got = kube::inClusterConfig(env("KUBERNETES_SERVICE_HOST"), env("KUBERNETES_SERVICE_PORT"),
                                kube::kServiceAccountDir);
  }
  if (const auto* e = std::get_if<kube::ConfigError>(&got)) {
    *why = e->message;
    return std::nullopt;
  }
  const auto cfg = std::get<kube::ClusterConfig>(got);
  const auto host = cfg.host.find(':') != std::string::npos ? "[" + cfg.host + "]" : cfg.host;
  const auto url = cfg.scheme + "://" + host + ":" + cfg.port + cfg.base_path;
  auto client = http::Client::create(ex, url,
                                     {.user_agent = "l1net-dnsd",
                                      .tls = {.verify = !cfg.insecure_skip_tls_verify,
                                              .ca_file = cfg.ca_file,
                                              .ca_pem = cfg.ca_pem,
                                              .cert_file = cfg.client_cert_file,
                                              .cert_pem = cfg.client_cert_pem,
                                              .key_file = cfg.client_key_file,
                                              .key_pem = cfg.client_key_pem,
                                              .server_name = cfg.tls_server_name}});
  if (!client) {
    *why = "kubernetes API " + url + ": " + client.error().message();
    return std::nullopt;
  }
  if (cfg.token_file.empty()) {
    return httpKubeCall(*client, cfg.token);
  }
  // A projected service-account token rotates: read it for every request.
  return KubeCall([client = *client, file = cfg.token_file](
                      std::string method, std::string target,
                      std::string body) -> asio::awaitable<Result<KubeReply>> {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    auto token = ss.str();
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) {
      token.pop_back();
    }
    co_return co_await httpKubeCall(client, token)(std::move(method), std::move(target),
                                                   std::move(body));
  });
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
  std::optional<KubeCall> kube_call;
  std::unique_ptr<ConfigMapLedgerStore> kube_ledger;
  if (kube_mode) {
    std::string why;
    kube_call = makeKubeCall(ioc.get_executor(), opts, &why);
    if (!kube_call) {
      log->error("{}", why);
      return kExitInvalid;
    }
    kube_ledger = std::make_unique<ConfigMapLedgerStore>(
        *kube_call, ConfigMapLedgerOptions{.ns = opts.ns, .name = opts.ledger_configmap},
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

  int exit_code = kExitOk;
  if (kube_mode) {
    // Objects by LIST every cycle (--interval; --once: one cycle).
    l1net::io::HttpServer server(ioc.get_executor(), l1net::io::makeLogger("dnsd.http"));
    auto last_ok = std::chrono::steady_clock::now();
    bool stopping = false;
    asio::steady_timer wake(ioc);
    if (!opts.once) {
      l1net::io::serveMetrics(server, registry, [&] {
        return std::chrono::steady_clock::now() - last_ok <
               3 * opts.interval + std::chrono::seconds(30);
      });
      if (auto bound = server.listen(opts.metrics_addr); !bound) {
        log->error("--metrics-addr {}: {}", opts.metrics_addr, bound.error().message());
        return kExitFailure;
      }
    }
    auto stop = l1net::io::awaitStopSignal(ioc.get_executor(), [&](int sig) {
      log->info("signal {}: stopping", sig);
      stopping = true;
      wake.cancel();
    });
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
          do {
            std::string why;
            auto objs = co_await listKubeObjects(*kube_call, opts.ns, opts.require_announced, &why);
            if (!objs) {
              log->warn("kubernetes API: {}; retrying in {} s", why, opts.interval.count());
              exit_code = kExitFailure;
            } else {
              for (const auto& e : objs->object_errors) {
                log->warn("skipped: {}", e);
              }
              SourceOptions so;
              if (opts.require_announced) {
                so.announced = objs->announced_ips;
              }
              const auto rep = co_await syncer->runCycle(desiredRecords(objs->set, so), unixNow());
              updateSessionMetrics();
              exit_code = rep.ok ? kExitOk : kExitFailure;
              if (rep.ok) {
                last_ok = std::chrono::steady_clock::now();
              }
              log->info("sync done: {} created, {} deleted, {} failed, {} foreign skipped{}",
                        rep.creates, rep.deletes, rep.failed, rep.foreign_skipped,
                        opts.dry_run ? " (dry-run: nothing written)" : "");
            }
            if (opts.once || stopping) {
              break;
            }
            wake.expires_after(opts.interval);
            co_await wake.async_wait(asio::as_tuple(asio::use_awaitable));
          } while (!stopping);
          for (auto* p : providers) {
            co_await p->shutdown();
          }
          updateSessionMetrics();
          server.stop();
          stop.cancel();
        },
        [&](const std::exception_ptr& e) {
          if (e) {
            log->error("sync loop failed with an exception");
            exit_code = kExitFailure;
            ioc.stop();
          }
        });
    ioc.run();
    return exit_code;
  }

  Objects objs;
  if (opts.once) {
    objs.manifests = l1net::io::loadInitialManifests(opts.manifests, *log);
    if (!objs.manifests) {
      return kExitInvalid;
    }
    auto st = readControllerState(opts.controller_state, *log);
    if (!st) {
      return kExitFailure;
    }
    objs.state = std::move(*st);
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
          const auto desired = computeDesired(opts, objs);
          const auto rep = co_await syncer->runCycle(desired, unixNow());
          for (auto* p : providers) {
            co_await p->shutdown();
          }
          if (opts.dry_run) {
            log->info(
                "dry-run done: would create {}, would delete {}; {} foreign skipped; "
                "nothing written",
                rep.creates, rep.deletes, rep.foreign_skipped);
          } else {
            log->info("sync done: {} created, {} deleted, {} failed, {} foreign skipped",
                      rep.creates, rep.deletes, rep.failed, rep.foreign_skipped);
          }
          if (!rep.ok) {
            exit_code = kExitFailure;
          }
        },
        [&](const std::exception_ptr& e) {
          if (e) {
            log->error("sync failed with an exception");
            exit_code = kExitFailure;
          }
        });
    ioc.run();
    updateSessionMetrics();
    return exit_code;
  }

  // Daemon.
  if (!l1net::io::loadInitialManifests(opts.manifests, *log)) {
    return kExitInvalid;
  }
  l1net::io::HttpServer server(ioc.get_executor(), l1net::io::makeLogger("dnsd.http"));
  auto last_cycle = std::chrono::steady_clock::now();
  bool stopping = false;
  l1net::io::serveMetrics(server, registry, [&] {
    return std::chrono::steady_clock::now() - last_cycle <
           3 * opts.interval + std::chrono::seconds(30);
  });
  if (auto bound = server.listen(opts.metrics_addr); !bound) {
    log->error("--metrics-addr {}: {}", opts.metrics_addr, bound.error().message());
    return kExitFailure;
  }
  asio::steady_timer wake(ioc);
  bool dirty = true;
  auto requestSync = [&] {
    dirty = true;
    wake.cancel();  // the loop recomputes when the next cycle is due
  };
  // The object seam: file mode watches --manifests; a Kubernetes-mode source (informers on
  // Services and Ingresses) plugs in here through the same io::ObjectSource interface.
  std::unique_ptr<l1net::io::ObjectSource> source = std::make_unique<l1net::io::FileObjectSource>(
      ioc.get_executor(), opts.manifests, l1net::io::makeLogger("dnsd.source"));
  source->start([&](const manifest::ManifestSet& set) {
    objs.manifests = set;
    requestSync();
  });
  // The controller's state file is polled (it may not exist yet).
  asio::steady_timer poll(ioc);
  auto stamp = fileStamp(opts.controller_state);
  auto stop = l1net::io::awaitStopSignal(ioc.get_executor(), [&](int sig) {
    log->info("signal {}: stopping", sig);
    stopping = true;
    wake.cancel();
    poll.cancel();
    source->stop();
  });
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
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
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        while (!stopping) {
          if (objs.manifests) {
            if (auto st = readControllerState(opts.controller_state, *log)) {
              objs.state = std::move(*st);
            }
            dirty = false;
            last_cycle = std::chrono::steady_clock::now();
            const auto rep = co_await syncer->runCycle(computeDesired(opts, objs), unixNow());
            updateSessionMetrics();
            log->debug("cycle: {} created, {} deleted, {} failed", rep.creates, rep.deletes,
                       rep.failed);
          }
          // Next cycle: after --interval, or --min-event-interval after the last one when an
          // event (manifest or controller-state change) came in.
          for (;;) {
            const auto due = last_cycle + (dirty ? opts.min_event_interval : opts.interval);
            if (stopping || std::chrono::steady_clock::now() >= due) {
              break;
            }
            wake.expires_at(due);
            co_await wake.async_wait(asio::as_tuple(asio::use_awaitable));
          }
        }
        for (auto* p : providers) {
          co_await p->shutdown();
        }
        updateSessionMetrics();
        server.stop();
        stop.cancel();
      },
      [&](const std::exception_ptr& e) {
        if (e) {
          log->error("sync loop failed with an exception");
          exit_code = kExitFailure;
          ioc.stop();
        }
      });
  ioc.run();
  return exit_code;
}

}  // namespace l1net::dnsd
