// A DnsTransport that answers from a table (name, type) -> answers, or fails with an error;
// records every query. For the verifier's tests.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "l1net/dnsd/io/dns_transport.hpp"

namespace l1net::testing {

class FakeDnsTransport final : public dnsd::DnsTransport {
 public:
  std::map<std::pair<std::string, dnsd::RecordType>, std::vector<std::string>> answers;
  std::map<std::string, boost::system::error_code> failures;  // name -> error
  std::vector<std::string> queries;                           // "A name", in order

  boost::asio::awaitable<Result<std::vector<std::string>>> query(std::string name,
                                                                 dnsd::RecordType type) override {
    queries.push_back(std::string(dnsd::toString(type)) + " " + name);
    if (const auto f = failures.find(name); f != failures.end()) {
      co_return f->second;
    }
    const auto it = answers.find({name, type});
    co_return it == answers.end() ? std::vector<std::string>{} : it->second;
  }
};

}  // namespace l1net::testing
