#include "l1net/dnsd/providers/hostsfile.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include <boost/asio/ip/address.hpp>
#include <spdlog/spdlog.h>

#include "l1net/io/atomic_file.hpp"

#include "split_fields.hpp"

namespace l1net::dnsd {

namespace asio = boost::asio;

namespace {

constexpr std::string_view kBegin = "# BEGIN l1net-dnsd (managed by l1net-dnsd; do not edit)";
constexpr std::string_view kBeginPrefix = "# BEGIN l1net-dnsd";
constexpr std::string_view kEnd = "# END l1net-dnsd";

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) {
    out.push_back(std::move(l));
  }
  return out;
}

std::vector<std::string> fields(std::string_view s) {
  if (const auto hash = s.find('#'); hash != std::string_view::npos) {
    s = s.substr(0, hash);
  }
  return detail::splitWhitespace(s);
}

std::optional<std::string> readText(const std::string& path, std::string* why) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) {
      return std::string();
    }
    *why = path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

ProviderState parseHostsFile(const std::string& text) {
  ProviderState st;
  bool inside = false;
  for (const auto& l : lines(text)) {
    if (l.starts_with(kBeginPrefix)) {
      inside = true;
      continue;
    }
    if (l.starts_with(kEnd)) {
      inside = false;
      continue;
    }
    const auto f = fields(l);
    if (f.empty()) {
      continue;
    }
    ++st.entries;
    boost::system::error_code ec;
    const auto a = asio::ip::make_address(f[0], ec);
    if (inside && f.size() == 2 && !ec) {
      st.records.push_back(
          Record{a.is_v6() ? RecordType::kAAAA : RecordType::kA, f[1], a.to_string(), {}});
      continue;
    }
    for (std::size_t i = 1; i < f.size(); ++i) {
      st.foreign_names.insert(f[i]);
    }
  }
  return st;
}

std::string renderHostsFile(const std::string& old_text, const std::vector<Record>& records) {
  std::string block = std::string(kBegin) + "\n";
  for (const auto& r : records) {
    block += r.target + " " + r.name + "\n";
  }
  block += std::string(kEnd) + "\n";
  std::string out;
  bool inside = false;
  bool placed = false;
  for (const auto& l : lines(old_text)) {
    if (l.starts_with(kBeginPrefix)) {
      inside = true;
      if (!placed) {
        out += block;
        placed = true;
      }
      continue;
    }
    if (inside) {
      if (l.starts_with(kEnd)) {
        inside = false;
      }
      continue;
    }
    out += l + "\n";
  }
  if (!placed) {
    out += block;
  }
  return out;
}

HostsFileProvider::HostsFileProvider(HostsFileOptions opts, std::shared_ptr<spdlog::logger> logger)
    : opts_(std::move(opts)), logger_(std::move(logger)), id_("hostsfile " + opts_.path) {}

const std::string& HostsFileProvider::id() const noexcept { return id_; }

asio::awaitable<Result<ProviderState>> HostsFileProvider::read(std::string* why) {
  const auto text = readText(opts_.path, why);
  if (!text) {
    co_return Errc::kNotFound;
  }
  co_return parseHostsFile(*text);
}

asio::awaitable<ApplyResult> HostsFileProvider::apply(const Plan& plan) {
  ApplyResult out;
  std::string why;
  const auto text = readText(opts_.path, &why);
  auto fail_all = [&](const std::string& reason) {
    for (const auto& r : plan.deletes) {
      out.failed.emplace_back(r, reason);
    }
    for (const auto& r : plan.creates) {
      out.failed.emplace_back(r, reason);
    }
  };
  if (!text) {
    fail_all(why);
    co_return out;
  }
  const auto st = parseHostsFile(*text);
  std::set<Record> block(st.records.begin(), st.records.end());
  for (const auto& r : plan.deletes) {
    block.erase(r);
    out.deleted.push_back(r);
  }
  for (const auto& r : plan.creates) {
    if (r.type == RecordType::kCNAME) {
      out.failed.emplace_back(r, "hosts files cannot hold CNAME records");
      continue;
    }
    block.insert(r);
    out.created.push_back(r);
  }
  const std::vector<Record> records(block.begin(), block.end());
  if (auto w = io::writeFileAtomically(opts_.path, renderHostsFile(*text, records)); !w) {
    const auto reason = opts_.path + ": " + w.error().message();
    out.deleted.clear();
    out.created.clear();
    out.failed.clear();
    fail_all(reason);
    co_return out;
  }
  out.requests = 1;
  if (!opts_.dnsmasq_pid_file.empty()) {
    std::string pwhy;
    const auto pid_text = readText(opts_.dnsmasq_pid_file, &pwhy);
    long pid = 0;
    if (pid_text && !pid_text->empty()) {
      pid = std::strtol(pid_text->c_str(), nullptr, 10);
    }
    if (pid <= 1) {
      logger_->warn("{}: no dnsmasq pid in {}; not reloaded", id_, opts_.dnsmasq_pid_file);
    } else if (::kill(static_cast<pid_t>(pid), SIGHUP) != 0) {
      logger_->warn("{}: SIGHUP to dnsmasq pid {} failed: {}", id_, pid, std::strerror(errno));
    } else {
      logger_->debug("{}: SIGHUP sent to dnsmasq pid {}", id_, pid);
    }
  }
  co_return out;
}

std::vector<std::string> HostsFileProvider::describeCalls(const Plan& plan) const {
  std::vector<std::string> out;
  for (const auto& r : plan.deletes) {
    out.push_back("remove from " + opts_.path + ": " + r.target + " " + r.name);
  }
  for (const auto& r : plan.creates) {
    out.push_back("add to " + opts_.path + ": " + r.target + " " + r.name);
  }
  if (!out.empty() && !opts_.dnsmasq_pid_file.empty()) {
    out.push_back("SIGHUP dnsmasq (pid from " + opts_.dnsmasq_pid_file + ")");
  }
  return out;
}

asio::awaitable<void> HostsFileProvider::shutdown() { co_return; }

}  // namespace l1net::dnsd
