#include "l1net/speaker/mesh_membership.hpp"

#include <algorithm>
#include <charconv>
#include <set>
#include <stdexcept>
#include <utility>

#include "l1net/net/address.hpp"

namespace l1net::speaker {
namespace {

using std::chrono::nanoseconds;

std::uint64_t toNs(MeshTime t) noexcept {
  const auto n = std::chrono::duration_cast<nanoseconds>(t.time_since_epoch()).count();
  return n < 0 ? 0 : static_cast<std::uint64_t>(n);
}

bool validPeers(const std::string& self, const std::vector<MeshPeer>& peers) {
  std::set<std::string_view> seen;
  for (const auto& p : peers) {
    if (!isValidMeshName(p.name)) {
      return false;
    }
    if (p.name != self && !seen.insert(p.name).second) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string_view memberStateName(MemberState s) noexcept {
  switch (s) {
    case MemberState::kUnknown:
      return "unknown";
    case MemberState::kAlive:
      return "alive";
    case MemberState::kSuspect:
      return "suspect";
    case MemberState::kDead:
      return "dead";
    case MemberState::kLeft:
      return "left";
  }
  return "unknown";
}

nanoseconds MeshTiming::deadAfter() const noexcept { return interval * multiplier; }

nanoseconds MeshTiming::suspectAfter() const noexcept {
  const unsigned n = std::clamp(suspect_multiplier, 1U, multiplier > 1 ? multiplier - 1 : 1U);
  return interval * n;
}

Result<void> validateMembershipConfig(const MembershipConfig& cfg) {
  if (!isValidMeshName(cfg.self_name) || cfg.timing.interval.count() <= 0 ||
      cfg.timing.multiplier < 2 || !validPeers(cfg.self_name, cfg.peers)) {
    return Errc::kInvalidArgument;
  }
  return {};
}

Membership::Membership(MembershipConfig cfg, MeshKey key, MeshTime now)
    : cfg_(std::move(cfg)), key_(std::move(key)), start_ns_(toNs(now)) {
  if (!validateMembershipConfig(cfg_)) {
    throw std::invalid_argument("invalid mesh membership configuration");
  }
  for (auto& p : cfg_.peers) {
    if (p.name == cfg_.self_name) {
      continue;
    }
    Peer peer;
    peer.peer = p;
    peer.since = now;
    peers_.emplace(p.name, std::move(peer));
  }
  cfg_.peers.clear();  // peers_ is the truth from here on
}

bool Membership::isCandidate(const Peer& p) noexcept {
  return p.eligible && (p.state == MemberState::kAlive || p.state == MemberState::kSuspect);
}

MeshReceive Membership::onDatagram(std::span<const std::uint8_t> bytes,
                                   const boost::asio::ip::address& from_ip, MeshTime now) {
  const auto msg = decodeMeshMessage(bytes, key_);
  if (!msg) {
    return {meshDropOf(msg.error()), std::nullopt};
  }
  return onMessage(*msg, from_ip, now);
}

MeshReceive Membership::onMessage(const MeshMessage& msg, const boost::asio::ip::address& from_ip,
                                  MeshTime now) {
  if (msg.from == cfg_.self_name) {
    return {MeshDrop::kSelf, std::nullopt};
  }
  if (msg.to != cfg_.self_name) {
    return {MeshDrop::kNotForUs, std::nullopt};
  }
  const auto it = peers_.find(msg.from);
  if (it == peers_.end()) {
    return {MeshDrop::kUnknownNode, std::nullopt};
  }
  Peer& p = it->second;
  const auto reject = [&p](MeshDrop why) {
    ++p.rejected;
    return MeshReceive{why, std::nullopt};
  };
  if (cfg_.verify_source_ip && from_ip != p.peer.address) {
    return reject(MeshDrop::kAddressMismatch);
  }
  const auto now_ns = toNs(now);
  const bool duplicate_leave = msg.type == MeshMessageType::kLeave &&
                               msg.incarnation == p.left_incarnation &&
                               p.state == MemberState::kLeft;
  const bool older = msg.incarnation < p.incarnation ||
                     (msg.incarnation <= p.left_incarnation && !duplicate_leave);
  if (older) {
    // A peer whose clock stepped back across a restart (a board without RTC that starts before
    // NTP) comes back with a smaller incarnation. Take it only while the old one is gone, and
    // only once it echoes one of our recent heartbeats: proof of a live sender, not a capture.
    // The same incarnation as the one that left is never a restart.
    const bool gone = p.state == MemberState::kDead || p.state == MemberState::kLeft;
    if (!gone || msg.incarnation == p.left_incarnation) {
      return reject(MeshDrop::kStale);
    }
    p.to_incarnation = msg.incarnation;  // so it can complete the handshake
    const bool fresh_echo = msg.echo_time_ns != 0 && msg.echo_time_ns >= start_ns_ &&
                            msg.echo_time_ns <= now_ns &&
                            nanoseconds(static_cast<nanoseconds::rep>(now_ns - msg.echo_time_ns)) <=
                                cfg_.timing.deadAfter();
    if (!fresh_echo) {
      return reject(MeshDrop::kStale);
    }
    if (msg.to_incarnation != cfg_.incarnation) {
      return reject(MeshDrop::kHandshake);
    }
    p.incarnation = 0;  // forget the old incarnation
    p.sequence = 0;
    p.left_incarnation = 0;
    p.heard_incarnation = msg.incarnation;
  } else {
    if (msg.incarnation == p.incarnation && msg.sequence <= p.sequence) {
      return reject(MeshDrop::kReplay);
    }
    p.heard_incarnation = std::max(p.heard_incarnation, msg.incarnation);
    p.to_incarnation = p.heard_incarnation;
    if (msg.to_incarnation != cfg_.incarnation) {
      return reject(MeshDrop::kHandshake);
    }
  }

  // Accepted.
  ++p.accepted;
  p.incarnation = msg.incarnation;
  p.sequence = msg.sequence;
  p.to_incarnation = msg.incarnation;
  if (duplicate_leave) {
    return {MeshDrop::kNone, std::nullopt};
  }
  if (msg.echo_time_ns != 0 && msg.echo_time_ns >= start_ns_ && msg.echo_time_ns <= now_ns &&
      msg.echo_delay_ns <= now_ns - msg.echo_time_ns) {
    const nanoseconds rtt(
        static_cast<nanoseconds::rep>(now_ns - msg.echo_time_ns - msg.echo_delay_ns));
    p.rtt_last = rtt;
    p.rtt_smoothed = p.rtt_smoothed ? *p.rtt_smoothed + (rtt - *p.rtt_smoothed) / 8 : rtt;
  }
  p.echo_time_ns = msg.send_time_ns;
  p.echo_received = now;
  p.last_heard = now;
  p.since = now;

  MemberChange change{msg.from, p.state, p.state, isCandidate(p), false, false};
  if (msg.type == MeshMessageType::kLeave) {
    p.state = MemberState::kLeft;
    p.left_incarnation = msg.incarnation;
  } else {
    p.state = MemberState::kAlive;
    p.eligible = msg.eligible;
  }
  change.to = p.state;
  change.candidate_after = isCandidate(p);
  if (change.from == change.to && !change.affectsOwnership()) {
    return {MeshDrop::kNone, std::nullopt};
  }
  return {MeshDrop::kNone, std::move(change)};
}

std::optional<MeshTime> Membership::deadlineOf(const Peer& p) const {
  switch (p.state) {
    case MemberState::kUnknown:
    case MemberState::kSuspect:
      return p.since + cfg_.timing.deadAfter();
    case MemberState::kAlive:
      return p.since + cfg_.timing.suspectAfter();
    case MemberState::kDead:
    case MemberState::kLeft:
      return std::nullopt;
  }
  return std::nullopt;
}

std::vector<MemberChange> Membership::tick(MeshTime now) {
  std::vector<MemberChange> out;
  for (auto& [name, p] : peers_) {
    const auto silent = now - p.since;
    MemberState next = p.state;
    switch (p.state) {
      case MemberState::kUnknown:
      case MemberState::kAlive:
      case MemberState::kSuspect:
        if (silent >= cfg_.timing.deadAfter()) {
          next = MemberState::kDead;
        } else if (p.state == MemberState::kAlive && silent >= cfg_.timing.suspectAfter()) {
          next = MemberState::kSuspect;
        }
        break;
      case MemberState::kDead:
      case MemberState::kLeft:
        break;
    }
    if (next != p.state) {
      MemberChange change{name, p.state, next, isCandidate(p), false, false};
      p.state = next;
      change.candidate_after = isCandidate(p);
      out.push_back(std::move(change));
    }
  }
  return out;
}

std::optional<MeshTime> Membership::nextDeadline() const {
  std::optional<MeshTime> best;
  for (const auto& [name, p] : peers_) {
    const auto d = deadlineOf(p);
    if (d && (!best || *d < *best)) {
      best = d;
    }
  }
  return best;
}

std::vector<MeshOutgoing> Membership::build(MeshMessageType type, MeshTime now) {
  std::vector<MeshOutgoing> out;
  out.reserve(peers_.size());
  const auto now_ns = toNs(now);
  for (const auto& [name, p] : peers_) {
    MeshMessage msg;
    msg.type = type;
    msg.eligible = self_eligible_;
    msg.from = cfg_.self_name;
    msg.to = name;
    msg.incarnation = cfg_.incarnation;
    msg.sequence = next_sequence_++;
    msg.to_incarnation = p.to_incarnation;
    msg.send_time_ns = now_ns;
    if (p.echo_time_ns != 0) {
      msg.echo_time_ns = p.echo_time_ns;
      const auto held = std::chrono::duration_cast<nanoseconds>(now - p.echo_received).count();
      msg.echo_delay_ns = held < 0 ? 0 : static_cast<std::uint64_t>(held);
    }
    auto bytes = encodeMeshMessage(msg, key_);
    if (bytes) {  // names were validated, so this always holds
      out.push_back({name, p.peer.address, p.peer.port, std::move(*bytes)});
    }
  }
  return out;
}

std::vector<MeshOutgoing> Membership::heartbeats(MeshTime now) {
  return build(MeshMessageType::kHeartbeat, now);
}

std::vector<MeshOutgoing> Membership::leaves(MeshTime now) {
  return build(MeshMessageType::kLeave, now);
}

std::optional<MemberChange> Membership::setEligible(bool eligible) {
  if (eligible == self_eligible_) {
    return std::nullopt;
  }
  self_eligible_ = eligible;
  return MemberChange{cfg_.self_name, MemberState::kAlive, MemberState::kAlive, !eligible, eligible,
                      false};
}

Result<std::vector<MemberChange>> Membership::setPeers(std::vector<MeshPeer> peers, MeshTime now) {
  if (!validPeers(cfg_.self_name, peers)) {
    return Errc::kInvalidArgument;
  }
  std::map<std::string, Peer, std::less<>> next;
  std::vector<MemberChange> changes;
  for (auto& mp : peers) {
    if (mp.name == cfg_.self_name) {
      continue;
    }
    const auto it = peers_.find(mp.name);
    if (it != peers_.end()) {
      Peer p = std::move(it->second);
      p.peer = std::move(mp);
      peers_.erase(it);
      next.emplace(p.peer.name, std::move(p));
      continue;
    }
    Peer p;
    p.peer = std::move(mp);
    p.since = now;
    changes.push_back(
        {p.peer.name, MemberState::kUnknown, MemberState::kUnknown, false, false, false});
    next.emplace(p.peer.name, std::move(p));
  }
  for (const auto& [name, p] : peers_) {  // what is left was removed
    changes.push_back({name, p.state, p.state, isCandidate(p), false, true});
  }
  peers_ = std::move(next);
  std::sort(changes.begin(), changes.end(),
            [](const MemberChange& a, const MemberChange& b) { return a.name < b.name; });
  return changes;
}

std::vector<std::string> Membership::candidates() const {
  std::vector<std::string> out;
  if (self_eligible_) {
    out.push_back(cfg_.self_name);
  }
  for (const auto& [name, p] : peers_) {
    if (isCandidate(p)) {
      out.push_back(name);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<MemberInfo> Membership::members() const {
  std::vector<MemberInfo> out;
  out.reserve(peers_.size() + 1);
  MemberInfo self;
  self.name = cfg_.self_name;
  self.is_self = true;
  self.state = MemberState::kAlive;
  self.eligible = self_eligible_;
  self.candidate = self_eligible_;
  self.incarnation = cfg_.incarnation;
  self.sequence = next_sequence_ - 1;
  out.push_back(std::move(self));
  for (const auto& [name, p] : peers_) {
    MemberInfo m;
    m.name = name;
    m.address = p.peer.address;
    m.port = p.peer.port;
    m.state = p.state;
    m.eligible = p.eligible;
    m.candidate = isCandidate(p);
    m.last_heard = p.last_heard;
    m.rtt_last = p.rtt_last;
    m.rtt_smoothed = p.rtt_smoothed;
    m.incarnation = p.incarnation;
    m.sequence = p.sequence;
    m.accepted = p.accepted;
    m.rejected = p.rejected;
    out.push_back(std::move(m));
  }
  return out;
}

bool Membership::settled() const noexcept {
  return std::none_of(peers_.begin(), peers_.end(),
                      [](const auto& kv) { return kv.second.state == MemberState::kUnknown; });
}

MeshPeersFromNodes meshPeersFromNodes(std::span<const manifest::Node> nodes,
                                      std::string_view self_name, std::uint16_t port,
                                      std::span<const MeshPeer> overrides) {
  std::map<std::string, MeshPeer, std::less<>> by_name;
  MeshPeersFromNodes out;
  for (const auto& node : nodes) {
    if (node.meta.name == self_name) {
      continue;
    }
    std::optional<boost::asio::ip::address> v4;
    std::optional<boost::asio::ip::address> v6;
    for (const auto& a : node.addresses) {
      if (a.type != "InternalIP") {
        continue;
      }
      const auto ip = net::parseIp(a.address);
      if (!ip) {
        continue;
      }
      auto& slot = ip->is_v4() ? v4 : v6;
      if (!slot) {
        slot = *ip;
      }
    }
    if (!isValidMeshName(node.meta.name) || (!v4 && !v6)) {
      out.skipped.push_back(node.meta.name);
      continue;
    }
    by_name[node.meta.name] = MeshPeer{node.meta.name, v4 ? *v4 : *v6, port};
  }
  for (const auto& o : overrides) {
    if (o.name != self_name) {
      by_name[o.name] = o;
    }
  }
  for (auto& [name, p] : by_name) {
    out.peers.push_back(std::move(p));
  }
  return out;
}

Result<MeshPeer> parseMeshPeer(std::string_view text) {
  const auto eq = text.find('=');
  if (eq == std::string_view::npos) {
    return Errc::kInvalidArgument;
  }
  MeshPeer peer;
  peer.name = std::string(text.substr(0, eq));
  if (!isValidMeshName(peer.name)) {
    return Errc::kInvalidArgument;
  }
  auto rest = text.substr(eq + 1);
  std::string_view host = rest;
  std::string_view port;
  if (rest.starts_with('[')) {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) {
      return Errc::kInvalidAddress;
    }
    host = rest.substr(1, close - 1);
    const auto after = rest.substr(close + 1);
    if (!after.empty()) {
      if (!after.starts_with(':')) {
        return Errc::kInvalidArgument;
      }
      port = after.substr(1);
      if (port.empty()) {
        return Errc::kInvalidArgument;
      }
    }
  } else if (std::count(rest.begin(), rest.end(), ':') == 1) {
    const auto colon = rest.find(':');
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
    if (port.empty()) {
      return Errc::kInvalidArgument;
    }
  }
  const auto ip = net::parseIp(host);
  if (!ip) {
    return Errc::kInvalidAddress;
  }
  peer.address = *ip;
  if (!port.empty()) {
    unsigned value = 0;
    const auto* end = port.data() + port.size();
    const auto [ptr, ec] = std::from_chars(port.data(), end, value);
    if (ec != std::errc{} || ptr != end || value == 0 || value > 65535) {
      return Errc::kInvalidArgument;
    }
    peer.port = static_cast<std::uint16_t>(value);
  }
  return peer;
}

}  // namespace l1net::speaker
