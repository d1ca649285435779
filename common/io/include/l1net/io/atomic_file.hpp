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

}  // namespace l1net::io
