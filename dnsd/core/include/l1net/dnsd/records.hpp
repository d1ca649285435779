// l1net-dnsd: DNS records for Services and Ingresses, kept in Pi-hole or a dnsmasq hosts file.
//
// Design note (the component in one paragraph):
//  - core (this library, pure): desiredRecords() turns objects into records; planChanges() compares
//    them with what a provider holds and with the ownership ledger, and returns the calls to make;
//    the Ledger remembers, per provider instance, exactly which records dnsd created. Nothing here
//    does I/O, logs or reads a clock; problems come back as Issues.
//  - providers/ (io): one Provider seam, two implementations (Pi-hole v6 REST, hosts file).
//  - io/: the verifier (c-ares behind DnsTransport), the sync loop, metrics.
//  - app/main.cpp wires them.
//
// A Record is the unit a provider stores: one name with one target. An A/AAAA name with two IPs is
// two records; a CNAME has exactly one target. Records compare as exact strings (Pi-hole matches
// its entries case-sensitively), so names are lower-cased once, when they enter from objects.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace l1net::dnsd {

enum class RecordType : std::uint8_t { kA, kAAAA, kCNAME };

[[nodiscard]] std::string_view toString(RecordType t) noexcept;

struct Record {
  RecordType type = RecordType::kA;
  std::string name;                  // "app.example.com", no trailing dot
  std::string target;                // IP text, or the CNAME target name
  std::optional<std::uint32_t> ttl;  // CNAME only (Pi-hole "name,target,ttl"); A/AAAA: none

  friend auto operator<=>(const Record&, const Record&) = default;
  friend bool operator==(const Record&, const Record&) = default;
};

// "A app.example.com 192.0.2.7", "CNAME www.example.com app.example.com ttl=300"
[[nodiscard]] std::string describe(const Record& r);

// Something wrong with one name or record; the rest of the batch goes on.
struct Issue {
  enum class Severity : std::uint8_t { kWarning, kError };
  Severity severity = Severity::kWarning;
  std::string name;     // the DNS name concerned ("" when none)
  std::string origin;   // "Service ns/name", "Ingress ns/name", "" for provider-side issues
  std::string message;  // one line, no trailing period
};

}  // namespace l1net::dnsd
