#include "l1net/speaker/interfaces.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace l1net::speaker {

std::string_view usabilityName(LinkUsability u) noexcept {
  switch (u) {
    case LinkUsability::kUsable:
      return "usable";
    case LinkUsability::kDown:
      return "down";
    case LinkUsability::kNoCarrier:
      return "no-carrier";
    case LinkUsability::kLoopback:
      return "loopback";
    case LinkUsability::kNotBroadcast:
      return "not-broadcast";
    case LinkUsability::kNoArp:
      return "noarp";
    case LinkUsability::kEnslaved:
      return "enslaved";
    case LinkUsability::kExcluded:
      return "excluded";
  }
  return "unknown";
}

std::string_view interfaceRuleName(InterfaceRule r) noexcept {
  switch (r) {
    case InterfaceRule::kSubnet:
      return "subnet";
    case InterfaceRule::kAllUsable:
      return "all-usable";
    case InterfaceRule::kNone:
      return "none";
  }
  return "unknown";
}

const std::vector<std::string>& InterfaceFilter::defaultExcludes() {
  static const std::vector<std::string> kDefaults = {
      "^docker.*", "^cbr.*",  "^dummy.*",   "^virbr.*",     "^lxcbr.*", "^veth.*",        "^lo$",
      "^cali.*",   "^tunl.*", "^flannel.*", "^kube-ipvs.*", "^cni.*",   "^nodelocaldns.*"};
  return kDefaults;
}

InterfaceFilter::InterfaceFilter(std::vector<std::string> exclude_patterns)
    : patterns_(std::move(exclude_patterns)) {
  regexes_.reserve(patterns_.size());
  for (const auto& p : patterns_) {
    try {
      regexes_.emplace_back(p, std::regex::ECMAScript | std::regex::optimize);
    } catch (const std::regex_error& e) {
      throw std::invalid_argument("invalid interface exclusion pattern \"" + p + "\": " + e.what());
    }
  }
}

LinkVerdict InterfaceFilter::classify(const Link& link) const {
  for (std::size_t i = 0; i < regexes_.size(); ++i) {
    if (std::regex_search(link.name, regexes_[i])) {
      return {.usability = LinkUsability::kExcluded, .detail = patterns_[i]};
    }
  }
  if (link.loopback) {
    return {.usability = LinkUsability::kLoopback};
  }
  if (link.master != 0) {
    return {.usability = LinkUsability::kEnslaved, .detail = std::to_string(link.master)};
  }
  if (!link.up) {
    return {.usability = LinkUsability::kDown};
  }
  if (!link.running) {
    return {.usability = LinkUsability::kNoCarrier};
  }
  if (!link.broadcast) {
    return {.usability = LinkUsability::kNotBroadcast};
  }
  if (link.noarp) {
    return {.usability = LinkUsability::kNoArp};
  }
  return {};
}

namespace {

std::optional<net::Cidr> subnetContaining(const Link& link, const net::IpAddress& ip) {
  for (const auto& a : link.addresses) {
    if (a.ip.is_v4() != ip.is_v4()) {
      continue;
    }
    if (a.ip.is_v6() && a.ip.to_v6().is_link_local()) {
      continue;  // fe80::/64 is on every IPv6 link; it says nothing about the LAN
    }
    const auto cidr = net::parseCidr(a.ip.to_string() + "/" + std::to_string(a.prefix));
    if (cidr && cidr->contains(ip)) {
      return *cidr;
    }
  }
  return std::nullopt;
}

}  // namespace

std::vector<LinkVerdict> classifyLinks(const std::vector<Link>& links,
                                       const InterfaceFilter& filter) {
  std::vector<LinkVerdict> out;
  out.reserve(links.size());
  for (const auto& link : links) {
    out.push_back(filter.classify(link));
  }
  return out;
}

InterfaceChoice chooseInterfaces(const net::IpAddress& ip, const std::vector<Link>& links,
                                 const InterfaceFilter& filter,
                                 const std::vector<std::string>& restriction, bool subnet_aware) {
  return chooseInterfaces(ip, links, classifyLinks(links, filter), restriction, subnet_aware);
}

InterfaceChoice chooseInterfaces(const net::IpAddress& ip, const std::vector<Link>& links,
                                 const std::vector<LinkVerdict>& verdicts,
                                 const std::vector<std::string>& restriction, bool subnet_aware) {
  InterfaceChoice choice;
  choice.restricted = !restriction.empty();
  std::vector<const Link*> candidates;
  for (std::size_t i = 0; i < links.size(); ++i) {
    const Link& link = links[i];
    const bool named =
        std::find(restriction.begin(), restriction.end(), link.name) != restriction.end();
    if (choice.restricted && !named) {
      continue;
    }
    const auto& verdict = verdicts.at(i);
    if (verdict.usability != LinkUsability::kUsable) {
      if (named) {
        auto reason = std::string(usabilityName(verdict.usability));
        if (!verdict.detail.empty()) {
          reason += " (" + verdict.detail + ")";
        }
        choice.rejected.push_back({.name = link.name, .reason = std::move(reason)});
      }
      continue;
    }
    candidates.push_back(&link);
  }
  for (const auto& name : restriction) {
    const bool exists =
        std::any_of(links.begin(), links.end(), [&](const Link& l) { return l.name == name; });
    if (!exists) {
      choice.rejected.push_back({.name = name, .reason = "does not exist"});
    }
  }
  for (const Link* link : candidates) {
    if (!subnet_aware) {
      break;
    }
    if (auto subnet = subnetContaining(*link, ip)) {
      if (!choice.matched_subnet) {
        choice.matched_subnet = std::move(subnet);
      }
      choice.ifindexes.push_back(link->index);
    }
  }
  if (!choice.ifindexes.empty()) {
    choice.rule = InterfaceRule::kSubnet;
  } else if (!candidates.empty()) {
    choice.rule = InterfaceRule::kAllUsable;
    for (const Link* link : candidates) {
      choice.ifindexes.push_back(link->index);
    }
  }
  std::sort(choice.ifindexes.begin(), choice.ifindexes.end());
  return choice;
}

}  // namespace l1net::speaker
