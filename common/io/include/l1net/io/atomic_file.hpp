// Crash-safe file replacement for state files (dnsd's hosts file, ownership ledgers).
#pragma once

#include <string>
#include <string_view>

#include "l1net/error.hpp"

namespace l1net::io {

// Writes `contents` to a temporary file in the directory of `path`, fsyncs it, sets `mode`,
// renames it over `path` and fsyncs the directory: readers see the old or the new file, never a
// partial one. On failure the temporary file is removed and `path` is untouched; the error is
// the failing syscall's errno (system category).
[[nodiscard]] Result<void> writeFileAtomically(const std::string& path, std::string_view contents,
                                               unsigned mode = 0644);

// The same in pieces, for a text too large to hold whole: open() creates the temporary file,
// append() writes to it, commit() makes it `path` as writeFileAtomically does. Destroyed without
// a successful commit, it removes the temporary file and `path` is untouched.
class AtomicFileWriter {
 public:
  [[nodiscard]] static Result<AtomicFileWriter> open(const std::string& path, unsigned mode = 0644);
  AtomicFileWriter(AtomicFileWriter&& other) noexcept;
  AtomicFileWriter& operator=(AtomicFileWriter&&) = delete;
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;
  ~AtomicFileWriter();

  [[nodiscard]] Result<void> append(std::string_view piece);
  [[nodiscard]] Result<void> commit();

 private:
  AtomicFileWriter(std::string path, std::string tmp, int fd, unsigned mode);
  void discard() noexcept;
  std::string path_;
  std::string tmp_;
  int fd_ = -1;
  unsigned mode_ = 0644;
};

}  // namespace l1net::io
