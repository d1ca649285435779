#include "l1net/io/atomic_file.hpp"

#include <cerrno>
#include <cstdlib>
#include <utility>
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
  auto writer = AtomicFileWriter::open(path, mode);
  if (!writer) {
    return writer.error();
  }
  if (auto w = writer->append(contents); !w) {
    return w.error();
  }
  return writer->commit();
}

AtomicFileWriter::AtomicFileWriter(std::string path, std::string tmp, int fd, unsigned mode)
    : path_(std::move(path)), tmp_(std::move(tmp)), fd_(fd), mode_(mode) {}

AtomicFileWriter::AtomicFileWriter(AtomicFileWriter&& other) noexcept
    : path_(std::move(other.path_)),
      tmp_(std::move(other.tmp_)),
      fd_(std::exchange(other.fd_, -1)),
      mode_(other.mode_) {
  other.tmp_.clear();
}

AtomicFileWriter::~AtomicFileWriter() { discard(); }

void AtomicFileWriter::discard() noexcept {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  if (!tmp_.empty()) {
    ::unlink(tmp_.c_str());
    tmp_.clear();
  }
}

Result<AtomicFileWriter> AtomicFileWriter::open(const std::string& path, unsigned mode) {
  const std::string tmpl = path + ".tmp.XXXXXX";
  std::vector<char> tmp(tmpl.begin(), tmpl.end());
  tmp.push_back('\0');
  const int fd = ::mkostemp(tmp.data(), O_CLOEXEC);
  if (fd < 0) {
    return lastError();
  }
  return AtomicFileWriter(path, std::string(tmp.data()), fd, mode);
}

Result<void> AtomicFileWriter::append(std::string_view piece) {
  if (fd_ < 0) {
    return boost::system::error_code(EBADF, boost::system::system_category());
  }
  if (auto w = writeAll(fd_, piece); !w) {
    const auto ec = w.error();
    discard();
    return ec;
  }
  return {};
}

Result<void> AtomicFileWriter::commit() {
  if (fd_ < 0) {
    return boost::system::error_code(EBADF, boost::system::system_category());
  }
  if (::fchmod(fd_, static_cast<mode_t>(mode_)) != 0 || ::fsync(fd_) != 0) {
    const auto ec = lastError();
    discard();
    return ec;
  }
  const int fd = std::exchange(fd_, -1);
  if (::close(fd) != 0) {
    const auto ec = lastError();
    discard();
    return ec;
  }
  if (::rename(tmp_.c_str(), path_.c_str()) != 0) {
    const auto ec = lastError();
    discard();
    return ec;
  }
  tmp_.clear();
  // Make the rename durable; failing here leaves the new file in place, so report but keep it.
  const int dfd = ::open(dirOf(path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
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
