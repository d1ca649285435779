// Desired records from Kubernetes-shaped objects, following external-dns' service and ingress
// sources. Pure.
//
// Services (type LoadBalancer) and Ingresses carrying the hostname annotation under either prefix
// `external-dns.kubernetes.io/` or `external-dns.alpha.kubernetes.io/` (the first wins when both
// are set):
//  - hostname: comma list; spaces trimmed; a trailing dot removed; lower-cased.
//  - ttl: integer seconds or a Go duration ("1h30m", "90s"), 1..2^31-1; anything else ignored
//    (a warning).
//  - target: comma list overriding the targets; IPv4 -> A, IPv6 -> AAAA, anything else -> CNAME.
//  - controller: the object is skipped unless it is "dns-controller".
// Targets otherwise come from status.loadBalancer.ingress (ip -> A/AAAA, hostname -> CNAME).
// Ingress hosts: rules[].host and tls[].hosts plus the annotation; `ingress-hostname-source`
// `defined-hosts-only` ignores the annotation, `annotation-only` ignores the spec.
//
// Per name, records from every object are merged. A name with both CNAME and A/AAAA candidates
// drops the CNAME (warning). A wildcard name, or a CNAME with several different targets, is an
// error for that name only.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "l1net/dnsd/records.hpp"
#include "l1net/manifest/objects.hpp"

namespace l1net::dnsd {

struct SourceOptions {
  // When set, only ingress IPs in this set are published (--require-announced: the IPs the
  // controller's state / the speakers' status objects announce). Hostname (CNAME) targets are
  // not affected.
  std::optional<std::set<std::string>> announced;
};

struct DesiredRecords {
  std::vector<Record> records;  // sorted, unique
  std::vector<Issue> issues;
  std::size_t endpoints = 0;  // distinct names published (external_dns_source_endpoints_total)
};

[[nodiscard]] DesiredRecords desiredRecords(const manifest::ManifestSet& objects,
                                            const SourceOptions& opts);

// File mode: Services of `manifests` take status.loadBalancer.ingress from the Service of the
// same namespace/name in the controller's `state` when it is there (the state is authoritative);
// Services only in the state are ignored (the manifests say what exists).
[[nodiscard]] manifest::ManifestSet mergeControllerState(
    manifest::ManifestSet manifests, const std::vector<manifest::Service>& state);

// The IPs `state` lists in status.loadBalancer.ingress (file-mode "announced").
[[nodiscard]] std::set<std::string> announcedIps(const std::vector<manifest::Service>& state);

// external-dns' ttl annotation: integer seconds or a Go duration, 1..2^31-1. nullopt otherwise.
[[nodiscard]] std::optional<std::uint32_t> parseTtl(std::string_view text);

}  // namespace l1net::dnsd
