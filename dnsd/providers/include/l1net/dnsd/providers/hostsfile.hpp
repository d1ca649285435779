// hosts-file provider for dnsmasq (`addn-hosts=FILE`): dnsd's records live between
//   # BEGIN l1net-dnsd (managed by l1net-dnsd; do not edit)
//   # END l1net-dnsd
// Everything outside the block is kept byte for byte and its names are foreign. The file is
// replaced atomically; then dnsmasq is told to reload with SIGHUP to the pid in the pid file.
// Hosts files hold only A/AAAA: CNAME records fail (per record).
#pragma once

#include <memory>
#include <string>

#include "l1net/dnsd/providers/provider.hpp"

namespace spdlog {
class logger;
}  // namespace spdlog

namespace l1net::dnsd {

struct HostsFileOptions {
  std::string path;
  std::string dnsmasq_pid_file;  // empty = do not signal
};

class HostsFileProvider final : public Provider {
 public:
  HostsFileProvider(HostsFileOptions opts, std::shared_ptr<spdlog::logger> logger);
  [[nodiscard]] const std::string& id() const noexcept override;
  boost::asio::awaitable<Result<ProviderState>> read(std::string* why) override;
  boost::asio::awaitable<ApplyResult> apply(const Plan& plan) override;
  [[nodiscard]] std::vector<std::string> describeCalls(const Plan& plan) const override;
  boost::asio::awaitable<void> shutdown() override;

 private:
  HostsFileOptions opts_;
  std::shared_ptr<spdlog::logger> logger_;
  std::string id_;
};

// Pure: the file text with the managed block replaced by `records` (block appended when absent).
[[nodiscard]] std::string renderHostsFile(const std::string& old_text,
                                          const std::vector<Record>& records);
// Pure: the block's records and the foreign names outside it.
[[nodiscard]] ProviderState parseHostsFile(const std::string& text);

}  // namespace l1net::dnsd
