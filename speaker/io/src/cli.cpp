#include "l1net/speaker/io/cli.hpp"

#include <sstream>

#include <boost/program_options.hpp>

namespace l1net::speaker {

namespace po = boost::program_options;

namespace {

std::string usage(const std::string& error, const po::options_description& desc) {
  std::ostringstream out;
  out << "l1net-speaker: " << error << "\n" << desc << "\n";
  return out.str();
}

}  // namespace

ParsedFlags parseSpeakerFlags(std::span<const char* const> args, const EnvLookup& env) {
  ParsedFlags out;
  auto& f = out.flags;
  std::string mode = "file";
  po::options_description desc("l1net-speaker options");
  desc.add_options()("help,h", "show this help")(
      "mode", po::value(&mode)->default_value(mode),
      "file (--manifests) or kubernetes (watch the API server)")(
      "node", po::value(&f.node)->required(), "this node's name (Node metadata.name)")(
      "manifests", po::value(&f.manifests)->composing(),
      "file mode: manifest file or directory (repeatable); watched with inotify")(
      "kubeconfig", po::value(&f.kubeconfig),
      "kubernetes mode: kubeconfig file (default: the in-cluster service account)")(
      "namespace", po::value(&f.ns)->default_value(f.ns),
      "kubernetes mode: namespace of the pools, advertisements, speaker pods and status objects")(
      "speaker-selector",
      po::value(&f.speaker_selector_text)->default_value(f.speaker_selector_text),
      "kubernetes mode: labels (k=v,...) of the speaker pods whose nodes are mesh peers")(
      "pod-name", po::value(&f.pod_name),
      "kubernetes mode: this speaker's pod (owns the ServiceL2Status objects; default env "
      "POD_NAME)")("pod-uid", po::value(&f.pod_uid),
                   "kubernetes mode: this pod's UID (default env POD_UID)")(
      "interfaces-exclude", po::value(&f.excludes)->composing(),
      "regex of interface names never announced on (repeatable; added to the defaults)")(
      "no-default-excludes", po::bool_switch(&f.no_default_excludes),
      "drop MetalLB's default exclusions (^docker, ^veth, ^lo$, ^cali, ^kube-ipvs, ^cni, ...)")(
      "all-interfaces", po::bool_switch(&f.all_interfaces),
      "answer on every usable interface (MetalLB), not only those whose subnet holds the IP")(
      "garp-refresh", po::value(&f.garp_refresh)->default_value(f.garp_refresh),
      "seconds between gratuitous refresh rounds after the start burst (0 = off)")(
      "metrics-addr", po::value(&f.metrics_addr)->default_value(f.metrics_addr),
      "HOST:PORT for /metrics and /healthz")(
      "control-socket", po::value(&f.control_socket)->default_value(f.control_socket),
      "Unix socket for speakerctl (mode 0660)")(
      "ignore-exclude-lb", po::bool_switch(&f.ignore_exclude_lb),
      "announce even when the node has node.kubernetes.io/exclude-from-external-load-balancers")(
      "lb-class", po::value(&f.lb_class), "only services of this loadBalancerClass")(
      "responder-priority", po::value(&f.responder_priority)->default_value(f.responder_priority),
      "SCHED_FIFO priority (1-99) of the thread that answers ARP/NDP, so answers never wait for "
      "a busy CPU's time slice (needs CAP_SYS_NICE or LimitRTPRIO; without, normal priority and "
      "a warning); 0 = normal priority");
  io::addLogOptions(desc, f.log);
  addMeshOptions(desc, f.mesh);
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(static_cast<int>(args.size()), args.data(), desc), vm);
    if (vm.count("help") != 0) {
      std::ostringstream help;
      help << desc << "\n";
      out.action = ParsedFlags::Action::kHelp;
      out.text = help.str();
      return out;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    out.action = ParsedFlags::Action::kUsageError;
    out.text = usage(e.what(), desc);
    return out;
  }
  const auto fail = [&](const std::string& error) {
    out.action = ParsedFlags::Action::kUsageError;
    out.text = usage(error, desc);
    return out;
  };
  if (f.responder_priority > kMaxResponderPriority) {
    return fail("--responder-priority must be 0 (off) to 99, not " +
                std::to_string(f.responder_priority));
  }
  if (mode == "file") {
    f.mode = SpeakerMode::kFile;
  } else if (mode == "kubernetes") {
    f.mode = SpeakerMode::kKubernetes;
  } else {
    return fail("--mode must be file or kubernetes, not '" + mode + "'");
  }
  const auto k8s_only = {"kubeconfig", "pod-name", "pod-uid"};
  if (f.mode == SpeakerMode::kFile) {
    if (f.manifests.empty()) {
      return fail("file mode needs --manifests");
    }
    for (const char* name : k8s_only) {
      if (vm.count(name) != 0) {
        return fail(std::string("--") + name + " is for --mode kubernetes");
      }
    }
    return out;
  }
  if (!f.manifests.empty()) {
    return fail("--manifests is for --mode file (kubernetes mode reads the API server)");
  }
  if (f.ns.empty()) {
    return fail("--namespace must not be empty");
  }
  auto selector = parseEqualitySelector(f.speaker_selector_text);
  if (!selector) {
    return fail("--speaker-selector: '" + f.speaker_selector_text +
                "' is not a list of key=value labels");
  }
  f.speaker_selector = std::move(*selector);
  if (f.pod_name.empty()) {
    f.pod_name = env("POD_NAME").value_or("");
  }
  if (f.pod_uid.empty()) {
    f.pod_uid = env("POD_UID").value_or("");
  }
  if (f.pod_name.empty() || f.pod_uid.empty()) {
    return fail(
        "kubernetes mode needs this speaker's pod: --pod-name and --pod-uid, or env POD_NAME and "
        "POD_UID (downward API metadata.name, metadata.uid)");
  }
  return out;
}

}  // namespace l1net::speaker
