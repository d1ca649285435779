// speakerctl: asks a running l1net-speaker over its control socket.
//
//   speakerctl [--socket PATH] [--timeout 5s] [-o text|json] status | explain IP | stats |
//              garp IP | members
//
// Exit status: 0 success; 1 the daemon is unreachable, did not answer within --timeout, sent a
// reply that is too large or malformed, or refused the request (one line on stderr); 2 usage
// error. `-o json` prints the daemon's result object as JSON.
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <iomanip>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <boost/program_options.hpp>

#include "l1net/io/version.hpp"
#include "l1net/net/address.hpp"
#include "l1net/speaker/control.hpp"

namespace po = boost::program_options;
namespace json = boost::json;

namespace {

constexpr const char* kUsage =
    "usage: speakerctl [--socket PATH] [--timeout DURATION] [-o text|json] COMMAND\n"
    "commands:\n"
    "  status       node, interfaces and announced IPs\n"
    "  explain IP   why this node does or does not announce IP\n"
    "  stats        per-IP requests/replies/gratuitous frames, drops by reason, kernel drops\n"
    "  garp IP      send one gratuitous announcement round for IP now\n"
    "  members      heartbeat mesh: each node's state, whether it may own IPs, last heard,\n"
    "               round-trip time, start time\n";

struct Command {
  const char* name;
  bool needs_ip;
};
// `members` (failover: the heartbeat mesh's view, registered by speaker/io failover.hpp) answers
// an array, printed by printMembers(); the transport and the exit codes are the same.
constexpr std::array<Command, 5> kCommands = {
    {{"status", false}, {"explain", true}, {"stats", false}, {"garp", true}, {"members", false}}};

std::string str(const json::value* v) {
  if (v == nullptr || v->is_null()) {
    return "";
  }
  if (v->is_string()) {
    return std::string(v->as_string());
  }
  return json::serialize(*v);
}

std::string str(const json::object& o, std::string_view key) { return str(o.if_contains(key)); }

std::string joined(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || !v->is_array()) {
    return str(v);
  }
  std::string out;
  for (const auto& e : v->as_array()) {
    out += (out.empty() ? "" : ",") + str(&e);
  }
  return out.empty() ? "-" : out;
}

std::string pad(const std::string& s, std::size_t w) {
  return s.size() >= w ? s + " " : s + std::string(w - s.size(), ' ');
}

void printStatus(const json::object& r) {
  std::cout << "node: " << str(r, "node") << "\n";
  if (const auto problem = str(r, "problem"); !problem.empty()) {
    std::cout << "problem: " << problem << "\n";
  }
  if (const auto responder = str(r, "responder"); !responder.empty()) {
    std::cout << "responder thread: " << responder << "\n";
  }
  std::cout << "\ninterfaces:\n";
  std::cout << "  " << pad("NAME", 16) << pad("MAC", 19) << pad("STATE", 18) << "ADDRESSES\n";
  for (const auto& v : r.at("interfaces").as_array()) {
    const auto& i = v.as_object();
    auto state = str(i, "state");
    if (const auto d = str(i, "detail"); !d.empty()) {
      state += " (" + d + ")";
    }
    std::cout << "  " << pad(str(i, "name"), 16) << pad(str(i, "mac"), 19) << pad(state, 18)
              << joined(i, "addresses") << "\n";
  }
  std::cout << "\nannounced:\n";
  const auto& ann = r.at("announced").as_array();
  if (ann.empty()) {
    std::cout << "  (none)\n";
    return;
  }
  std::cout << "  " << pad("IP", 26) << pad("SERVICE", 24) << pad("INTERFACES", 16)
            << pad("RULE", 11) << "SINCE\n";
  for (const auto& v : ann) {
    const auto& a = v.as_object();
    std::cout << "  " << pad(str(a, "ip"), 26) << pad(joined(a, "services"), 24)
              << pad(joined(a, "interfaces"), 16) << pad(str(a, "rule"), 11) << str(a, "since")
              << "\n";
    for (const auto& f : a.at("announce_failed").as_array()) {
      std::cout << "    announceFailed: " << str(f.as_object(), "interface") << " "
                << str(f.as_object(), "reason") << "\n";
    }
  }
}

void printExplain(const json::object& r) {
  std::cout << str(r, "ip") << ": " << str(r, "reason");
  if (const auto s = str(r, "service"); !s.empty()) {
    std::cout << " (service " << s;
    if (const auto p = str(r, "pool"); !p.empty()) {
      std::cout << ", pool " << p;
    }
    std::cout << ")";
  }
  std::cout << "\n  " << str(r, "message") << "\n";
}

void printStats(const json::object& r) {
  std::cout << pad("IP", 26) << pad("REQUESTS", 10) << pad("REPLIES", 10) << "GRATUITOUS\n";
  for (const auto& v : r.at("ips").as_array()) {
    const auto& i = v.as_object();
    std::cout << pad(str(i, "ip"), 26) << pad(str(i, "requests_received"), 10)
              << pad(str(i, "responses_sent"), 10) << str(i, "gratuitous_sent") << "\n";
  }
  std::cout << "\ndrops:\n";
  for (const auto& [reason, n] : r.at("drops").as_object()) {
    std::cout << "  " << pad(std::string(reason), 20) << str(&n) << "\n";
  }
  std::cout << "\nerrors: receive " << str(r, "receive_errors") << ", send "
            << str(r, "send_errors") << ", socket " << str(r, "socket_errors") << "\n";
  std::cout << "kernel: received " << str(r, "kernel_received") << ", dropped (queue full) "
            << str(r, "kernel_drops") << "\n";
}

void printGarp(const json::object& r) {
  std::cout << "sent " << str(r, "frames") << " frame(s) for " << str(r, "ip") << " on "
            << joined(r, "interfaces") << "\n";
}

// "5s", "500ms", "2.5s" or a plain number of seconds; nullopt when not a positive duration.
std::optional<std::chrono::milliseconds> parseTimeout(std::string_view text) {
  double factor = 1000.0;
  if (text.ends_with("ms")) {
    factor = 1.0;
    text.remove_suffix(2);
  } else if (text.ends_with("s")) {
    text.remove_suffix(1);
  }
  double value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc{} || ptr != end || !(value > 0) || value > 86'400'000.0) {
    return std::nullopt;
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::ceil(value * factor)));
}

// One line for a failed exchange (controlRequest's errors).
std::string transportError(const boost::system::error_code& ec, const std::string& path,
                           std::chrono::milliseconds timeout) {
  const std::string at = "l1net-speaker at " + path;
  if (ec == boost::system::error_code(ETIMEDOUT, boost::system::system_category())) {
    return "no complete reply from " + at + " within " + std::to_string(timeout.count()) +
           " ms (--timeout)";
  }
  if (ec == boost::system::error_code(EMSGSIZE, boost::system::system_category())) {
    return "reply from " + at + " is larger than " +
           std::to_string(l1net::speaker::kMaxControlReplyBytes) + " bytes; not reading it";
  }
  if (ec == l1net::Errc::kTruncated) {
    return at + " closed the connection without a reply";
  }
  if (ec == l1net::Errc::kMalformed) {
    return "malformed reply from " + at + ": not one JSON object";
  }
  return "cannot reach " + at + ": " + ec.message();
}

std::string millis(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) {
    return "-";
  }
  std::ostringstream out;
  out << std::fixed << std::setprecision(v->is_double() ? 2 : 0) << v->to_number<double>() << " ms";
  return out.str();
}

// A speaker's incarnation is the wall-clock time it started, in nanoseconds since the epoch
// (newMeshIncarnation()): shown as that UTC time. Anything else (0 = never heard, or a small
// test value) is shown as is.
std::string started(const json::object& o) {
  const auto* v = o.if_contains("incarnation");
  if (v == nullptr || !v->is_number()) {
    return "-";
  }
  const auto ns = v->to_number<std::uint64_t>();
  constexpr std::uint64_t kYear2001Ns = 978'307'200ULL * 1'000'000'000ULL;
  if (ns < kYear2001Ns) {
    return ns == 0 ? "-" : std::to_string(ns);
  }
  const auto secs = static_cast<std::time_t>(ns / 1'000'000'000ULL);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  std::ostringstream out;
  out << std::put_time(&tm, "%Y-%m-%d %H:%M:%S") << "Z";
  return out.str();
}

// ELIGIBLE is whether the node may own IPs now (the mesh's "candidate": alive or suspect, and its
// announcing interfaces up), not the last eligibility flag a now dead node sent.
void printMembers(const json::array& r) {
  std::cout << pad("NAME", 20) << pad("STATE", 9) << pad("ELIGIBLE", 9) << pad("LAST HEARD", 12)
            << pad("RTT", 11) << pad("STARTED (UTC)", 21) << "ADDRESS\n";
  for (const auto& v : r) {
    const auto& m = v.as_object();
    const bool self = m.at("self").as_bool();
    std::string address = self ? "(self)" : str(m, "address") + ":" + str(m, "port");
    std::cout << pad(str(m, "name"), 20) << pad(self ? "self" : str(m, "state"), 9)
              << pad(m.at("candidate").as_bool() ? "yes" : "no", 9)
              << pad(self ? "-" : millis(m, "last_heard_ms"), 12)
              << pad(millis(m, "rtt_smoothed_ms"), 11) << pad(started(m), 21) << address << "\n";
  }
}

void printReply(std::string_view command, const json::object& r) {
  if (command == "status") {
    printStatus(r);
  } else if (command == "explain") {
    printExplain(r);
  } else if (command == "stats") {
    printStats(r);
  } else {
    printGarp(r);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (l1net::io::printVersionIfAsked(argc, argv, "speakerctl")) {
    return 0;
  }
  std::string socket_path = l1net::speaker::kDefaultControlSocket;
  std::string output = "text";
  std::string timeout_text = "5s";
  std::vector<std::string> words;
  po::options_description desc("options");
  desc.add_options()("help,h", "show this help")(
      "socket", po::value(&socket_path)->default_value(socket_path), "speaker control socket")(
      "timeout", po::value(&timeout_text)->default_value(timeout_text),
      "deadline for the whole exchange (5s, 500ms)")(
      "output,o", po::value(&output)->default_value(output), "output format: text or json")(
      "words", po::value(&words), "command and arguments");
  po::positional_options_description positional;
  positional.add("words", -1);
  try {
    po::variables_map vm;
    po::store(po::command_line_parser(argc, argv).options(desc).positional(positional).run(), vm);
    po::notify(vm);
    if (vm.count("help") != 0) {
      std::cout << kUsage << "\noptions:\n  --socket PATH  (default "
                << l1net::speaker::kDefaultControlSocket
                << ")\n  --timeout DURATION  deadline for the whole exchange (default 5s; 500ms, "
                   "2.5s)\n  -o, --output text|json\n";
      return 0;
    }
  } catch (const po::error& e) {
    std::cerr << "speakerctl: " << e.what() << "\n" << kUsage;
    return 2;
  }
  const auto timeout = parseTimeout(timeout_text);
  if (!timeout) {
    std::cerr << "speakerctl: --timeout must be a positive duration such as 5s or 500ms, not \""
              << timeout_text << "\"\n";
    return 2;
  }
  if (output != "text" && output != "json") {
    std::cerr << "speakerctl: -o must be text or json, not \"" << output << "\"\n";
    return 2;
  }
  if (words.empty()) {
    std::cerr << "speakerctl: missing command\n" << kUsage;
    return 2;
  }
  const auto* cmd = std::find_if(kCommands.begin(), kCommands.end(),
                                 [&](const Command& c) { return words[0] == c.name; });
  if (cmd == kCommands.end()) {
    std::cerr << "speakerctl: unknown command \"" << words[0] << "\"\n" << kUsage;
    return 2;
  }
  const std::size_t want = cmd->needs_ip ? 2 : 1;
  if (words.size() != want) {
    std::cerr << "speakerctl: " << cmd->name
              << (cmd->needs_ip ? " takes one IP" : " takes no argument") << "\n"
              << kUsage;
    return 2;
  }
  json::object request{{"command", cmd->name}};
  if (cmd->needs_ip) {
    const auto ip = l1net::net::parseIp(words[1]);
    if (!ip) {
      std::cerr << "speakerctl: \"" << words[1] << "\" is not an IP address\n";
      return 2;
    }
    request["ip"] = ip->to_string();
  }

  const auto reply = l1net::speaker::controlRequest(socket_path, request, *timeout);
  if (!reply) {
    std::cerr << "speakerctl: " << transportError(reply.error(), socket_path, *timeout) << "\n";
    return 1;
  }
  const auto decoded = l1net::speaker::decodeControlReply(*reply);
  if (!decoded.ok) {
    std::cerr << "speakerctl: " << decoded.error << "\n";
    return 1;
  }
  const auto* result = &decoded.result;
  if (output == "json") {
    std::cout << json::serialize(*result) << "\n";
    return 0;
  }
  try {
    if (std::string_view(cmd->name) == "members") {
      printMembers(result->as_array());
      return 0;
    }
    printReply(cmd->name, result->as_object());
  } catch (const std::exception& e) {
    std::cerr << "speakerctl: unexpected reply from the daemon: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
