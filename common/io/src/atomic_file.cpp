#include "l1net/io/atomic_file.hpp"

#include <cerrno>
#include <cstdlib>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace l1net::io {
namespace {

boost::system::error_code lastError() { return {errno, boost::system::system_category()}; }

std::string dirOf(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) {
    return ".";
  }
  return slash == 0 ? "/" : path.substr(0, slash);
}

Result<void> writeAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return lastError();
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

}  // namespace

Result<void> writeFileAtomically(const std::string& path, std::string_view contents,
                                 unsigned mode) {
  const std::string tmpl = path + ".tmp.XXXXXX";
  std::vector<char> tmp(tmpl.begin(), tmpl.end());
  tmp.push_back('\0');
  const int fd = ::mkostemp(tmp.data(), O_CLOEXEC);
  if (fd < 0) {
    return lastError();
  }
  auto fail = [&](boost::system::error_code ec) -> Result<void> {
    ::close(fd);
    ::unlink(tmp.data());
    return ec;
  };
  if (auto w = writeAll(fd, contents); !w) {
    return fail(w.error());
  }
  if (::fchmod(fd, static_cast<mode_t>(mode)) != 0 || ::fsync(fd) != 0) {
    return fail(lastError());
  }
  if (::close(fd) != 0) {
    const auto ec = lastError();
    ::unlink(tmp.data());
    return ec;
  }
  if (::rename(tmp.data(), path.c_str()) != 0) {
    const auto ec = lastError();
    ::unlink(tmp.data());
    return ec;
  }
  // Make the rename durable; failing here leaves the new file in place, so report but keep it.
  const int dfd = ::open(dirOf(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) {
    return lastError();
  }
  const int rc = ::fsync(dfd);
  const auto ec = lastError();
  ::close(dfd);
  if (rc != 0) {
    return ec;
  }
  return {};
}

}  // namespace l1net::io
