#include "l1net/controller/io/state_file.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include <boost/crc.hpp>

#include "l1net/io/atomic_file.hpp"
#include "l1net/manifest/emit.hpp"
#include "l1net/manifest/load.hpp"

namespace l1net::controller {
namespace {

namespace fs = std::filesystem;

std::uint32_t crc32(std::string_view s) {
  boost::crc_32_type crc;
  crc.process_bytes(s.data(), s.size());
  return crc.checksum();
}

std::string hex8(std::uint32_t v) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", v);
  return buf;
}

std::size_t countDocuments(std::string_view body) {
  // The emitter writes one "kind: Service" line per document at column 0.
  std::size_t n = 0;
  for (std::size_t pos = 0; pos < body.size();) {
    const auto eol = body.find('\n', pos);
    const auto line = body.substr(pos, eol == std::string_view::npos ? body.npos : eol - pos);
    if (line == "kind: Service") {
      ++n;
    }
    if (eol == std::string_view::npos) {
      break;
    }
    pos = eol + 1;
  }
  return n;
}

// The first line of `path` (up to 256 bytes) and whether the file has any content.
struct Head {
  bool exists = false;
  bool empty = true;
  std::string first_line;
};

Result<Head> readHead(const std::string& path) {
  Head h;
  std::error_code ec;
  const auto st = fs::status(path, ec);
  if (ec || !fs::exists(st)) {
    return h;
  }
  h.exists = true;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return boost::system::error_code(errno, boost::system::system_category());
  }
  std::string buf(256, '\0');
  in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
  buf.resize(static_cast<std::size_t>(in.gcount()));
  h.empty = buf.empty();
  h.first_line = buf.substr(0, buf.find('\n'));
  return h;
}

}  // namespace

namespace {

// The state text: marker line, one document per service (as emitServicesYaml writes them),
// trailer; handed to emit(piece) a document at a time. `each(f)` calls f(service) per service.
template <class ForEach, class Emit>
void renderStateWith(ForEach&& each, Emit&& emit) {
  emit(kStateMarker);
  emit("\n");
  boost::crc_32_type body_crc;
  std::size_t documents = 0;
  each([&](const manifest::Service& svc) {
    std::string doc = manifest::emitServiceYaml(svc);
    if (doc.empty() || doc.back() != '\n') {
      doc += '\n';
    }
    if (documents++ > 0) {
      body_crc.process_bytes("---\n", 4);
      emit("---\n");
    }
    body_crc.process_bytes(doc.data(), doc.size());
    emit(doc);
  });
  emit(std::string(kStateTrailerPrefix) + "services=" + std::to_string(documents) +
       " crc32=" + hex8(body_crc.checksum()) + "\n");
}

// The text whole, reserved once from the size of the first document (a string grown by appending
// holds up to twice the text, and three times while it reallocates).
template <class ForEach>
std::string renderStateText(std::size_t count, ForEach&& each) {
  std::string out;
  std::size_t pieces = 0;
  renderStateWith(std::forward<ForEach>(each), [&](std::string_view piece) {
    if (++pieces == 3) {  // marker, "\n", the first document
      out.reserve(out.size() + (piece.size() + 4) * (count + 1) * 9 / 8 + 128);
    }
    out += piece;
  });
  return out;
}

// Feeds pieces to a StateOutput while fingerprinting them; stops at the first failed append.
class FingerprintingOutput {
 public:
  explicit FingerprintingOutput(StateOutput& out) : out_(out) {}
  void operator()(std::string_view piece) {
    if (failed_) {
      return;
    }
    if (auto a = out_.append(piece); !a) {
      failed_ = a.error();
      return;
    }
    crc32_.process_bytes(piece.data(), piece.size());
    crc64_.process_bytes(piece.data(), piece.size());
    size_ += piece.size();
  }
  [[nodiscard]] Result<StateFingerprint> result() const {
    if (failed_) {
      return failed_;
    }
    return StateFingerprint{size_, crc32_.checksum(), crc64_.checksum()};
  }

 private:
  StateOutput& out_;
  boost::crc_32_type crc32_;
  boost::crc_optimal<64, 0x42F0E1EBA9EA3693ULL, 0, 0, false, false> crc64_;  // CRC-64/ECMA-182
  std::uint64_t size_ = 0;
  boost::system::error_code failed_;
};

class FileStateOutput final : public StateOutput {
 public:
  explicit FileStateOutput(io::AtomicFileWriter writer) : writer_(std::move(writer)) {}
  Result<void> append(std::string_view piece) override { return writer_.append(piece); }
  Result<void> commit() override { return writer_.commit(); }

 private:
  io::AtomicFileWriter writer_;
};

}  // namespace

std::string renderState(const std::vector<manifest::Service>& services) {
  return renderStateText(services.size(), [&services](const auto& f) {
    for (const auto& svc : services) {
      f(svc);
    }
  });
}

std::string renderStateFor(const ReconcileResult& result) {
  std::size_t count = 0;
  forEachStateService(result, [&count](const manifest::Service&) { ++count; });
  return renderStateText(count, [&result](const auto& f) { forEachStateService(result, f); });
}

Result<StateFingerprint> renderStateTo(const ReconcileResult& result, StateOutput& out) {
  FingerprintingOutput fp(out);
  renderStateWith([&result](const auto& f) { forEachStateService(result, f); },
                  [&fp](std::string_view piece) { fp(piece); });
  return fp.result();
}

Result<StateFingerprint> renderStateTo(std::string_view text, StateOutput& out) {
  FingerprintingOutput fp(out);
  fp(text);
  return fp.result();
}

StateCheck checkStateText(std::string_view text) {
  if (text.empty()) {
    return {};
  }
  const auto first_eol = text.find('\n');
  if (text.substr(0, first_eol) != kStateMarker) {
    return {StateStatus::kForeign,
            "it is not an l1net state file (line 1 is not the l1net marker \"" +
                std::string(kStateMarker) + "\")"};
  }
  if (first_eol == std::string_view::npos) {
    return {StateStatus::kIncomplete, "it ends after the marker line (no trailer)"};
  }
  const std::string_view rest = text.substr(first_eol + 1);
  // The trailer is the last line and must end with a newline.
  if (rest.empty() || rest.back() != '\n') {
    return {StateStatus::kIncomplete, "it does not end with the trailer line"};
  }
  const auto last_start = rest.rfind('\n', rest.size() - 2);
  const std::size_t trailer_at = last_start == std::string_view::npos ? 0 : last_start + 1;
  const std::string_view trailer = rest.substr(trailer_at, rest.size() - 1 - trailer_at);
  const std::string_view body = rest.substr(0, trailer_at);
  if (!trailer.starts_with(kStateTrailerPrefix)) {
    return {StateStatus::kIncomplete,
            "its last line is not the trailer \"" + std::string(kStateTrailerPrefix) + "...\""};
  }
  std::size_t want_count = 0;
  std::uint32_t want_crc = 0;
  {
    const std::string_view fields = trailer.substr(kStateTrailerPrefix.size());
    constexpr std::string_view kCount = "services=";
    constexpr std::string_view kCrc = " crc32=";
    const auto crc_at = fields.find(kCrc);
    if (!fields.starts_with(kCount) || crc_at == std::string_view::npos) {
      return {StateStatus::kIncomplete, "its trailer is malformed"};
    }
    const auto count_text = fields.substr(kCount.size(), crc_at - kCount.size());
    const auto crc_text = fields.substr(crc_at + kCrc.size());
    const auto c1 =
        std::from_chars(count_text.data(), count_text.data() + count_text.size(), want_count);
    const auto c2 =
        std::from_chars(crc_text.data(), crc_text.data() + crc_text.size(), want_crc, 16);
    if (c1.ec != std::errc() || c1.ptr != count_text.data() + count_text.size() ||
        c2.ec != std::errc() || c2.ptr != crc_text.data() + crc_text.size() ||
        crc_text.size() != 8) {
      return {StateStatus::kIncomplete, "its trailer is malformed"};
    }
  }
  const std::size_t got_count = countDocuments(body);
  if (got_count != want_count) {
    return {StateStatus::kIncomplete, "it holds " + std::to_string(got_count) +
                                          " services but its trailer says " +
                                          std::to_string(want_count)};
  }
  if (crc32(body) != want_crc) {
    return {StateStatus::kIncomplete, "its checksum does not match its trailer (crc32 " +
                                          hex8(crc32(body)) + ", trailer " + hex8(want_crc) + ")"};
  }
  return {};
}

StateRead readStateFile(const std::string& path) {
  StateRead out;
  std::error_code ec;
  if (!fs::exists(path, ec) && !ec) {
    return out;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    out.status = StateStatus::kUnreadable;
    out.errors.push_back(path + ": cannot read the state file: " + std::strerror(errno));
    return out;
  }
  std::ostringstream text_stream;
  text_stream << in.rdbuf();
  const std::string text = std::move(text_stream).str();
  if (text.empty()) {
    return out;
  }
  const StateCheck check = checkStateText(text);
  if (check.status == StateStatus::kForeign) {
    out.status = check.status;
    out.errors.push_back(path + ": refusing to use it as the state file: " + check.reason +
                         "; point --state at another file");
    return out;
  }
  auto loaded = manifest::loadManifestText(text, path);
  if (check.status == StateStatus::kIncomplete) {
    out.status = check.status;
    out.errors.push_back(path + ": the state file is incomplete: " + check.reason +
                         "; it is left as it is. Restore it, or start with --state-recover to "
                         "keep the services it still holds (" +
                         std::to_string(loaded.set.services.size()) + " load) and rewrite it");
    out.services = std::move(loaded.set.services);
    return out;
  }
  for (const auto& d : loaded.errors) {
    out.errors.push_back(d.format());
  }
  if (!out.errors.empty()) {
    out.status = StateStatus::kInvalid;
    return out;
  }
  out.services = std::move(loaded.set.services);
  return out;
}

Result<std::unique_ptr<StateOutput>> openStateFile(const std::string& path) {
  const auto head = readHead(path);
  if (!head) {
    return head.error();
  }
  if (head->exists && !head->empty && head->first_line != kStateMarker) {
    return make_error_code(Errc::kConflict);
  }
  auto writer = io::AtomicFileWriter::open(path);
  if (!writer) {
    return writer.error();
  }
  return std::unique_ptr<StateOutput>(std::make_unique<FileStateOutput>(std::move(*writer)));
}

Result<void> writeStateFile(const std::string& path, const std::string& text) {
  auto out = openStateFile(path);
  if (!out) {
    return out.error();
  }
  if (auto a = (*out)->append(text); !a) {
    return a.error();
  }
  return (*out)->commit();
}

std::string describeWriteError(const std::string& path, const boost::system::error_code& ec) {
  if (ec == make_error_code(Errc::kConflict)) {
    return "refusing to overwrite " + path +
           ": it has content but is not an l1net state file (no l1net marker on line 1); "
           "point --state at another file or move this one away";
  }
  return "writing state file " + path + ": " + ec.message();
}

std::vector<std::string> removeStaleTempFiles(const std::string& path) {
  std::vector<std::string> removed;
  const fs::path p(path);
  const fs::path dir = p.parent_path().empty() ? fs::path(".") : p.parent_path();
  const std::string prefix = p.filename().string() + ".tmp.";
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    // mkostemp's suffix: exactly six characters from [A-Za-z0-9].
    if (name.size() != prefix.size() + 6 || !name.starts_with(prefix)) {
      continue;
    }
    std::error_code rm_ec;
    if (it->is_regular_file(rm_ec) && fs::remove(it->path(), rm_ec)) {
      removed.push_back(it->path().string());
    }
  }
  return removed;
}

}  // namespace l1net::controller
