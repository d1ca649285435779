#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <spdlog/logger.h>

#include "l1net/io/logging.hpp"
#include "l1net/io/object_source.hpp"
#include "l1net/testing/doctest.hpp"
#include "l1net/testing/fake_object_source.hpp"
#include "l1net/testing/temp_dir.hpp"

namespace io = l1net::io;
namespace fs = std::filesystem;
namespace manifest = l1net::manifest;
using l1net::testing::TempDir;
using namespace std::chrono_literals;

namespace {

std::string pool(const std::string& name,
                 const std::string& addr = "198.51.100.220-198.51.100.240") {
  return "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata:\n  name: " + name +
         "\n  namespace: metallb-system\nspec:\n  addresses:\n  - " + addr + "\n";
}

void put(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::trunc) << text; }

// Writes a temp file next to p, then renames it over p (what vim, sed -i and kubectl cp do).
void renameOver(const fs::path& p, const std::string& text) {
  const auto tmp = p.parent_path() / ("." + p.filename().string() + ".swp");
  put(tmp, text);
  fs::rename(tmp, p);
}

bool runUntil(boost::asio::io_context& ioc, const std::function<bool()>& done,
              std::chrono::milliseconds limit = 3s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    ioc.run_for(10ms);
    if (ioc.stopped()) {
      ioc.restart();
    }
  }
  return true;
}

void runFor(boost::asio::io_context& ioc, std::chrono::milliseconds d) {
  runUntil(
      ioc, [] { return false; }, d);
}

std::vector<std::string> poolNames(const manifest::ManifestSet& set) {
  std::vector<std::string> out;
  for (const auto& p : set.pools) {
    out.push_back(p.meta.name);
  }
  return out;
}

struct Harness {
  explicit Harness(std::vector<std::string> paths)
      : source(ioc.get_executor(), std::move(paths), io::makeLogger("test.source"),
               io::FileObjectSourceOptions{30ms}) {}

  void start() {
    source.start([this](const manifest::ManifestSet& set) { snapshots.push_back(poolNames(set)); });
  }
  bool waitFor(std::size_t n) {
    return runUntil(ioc, [&] { return snapshots.size() >= n; });
  }

  boost::asio::io_context ioc;
  io::FileObjectSource source;
  std::vector<std::vector<std::string>> snapshots;
};

using Names = std::vector<std::string>;

}  // namespace

TEST_CASE("FileObjectSource reacts to edits") {
  struct Case {
    const char* name;
    bool watch_file;  // pass the file itself instead of the directory
    std::function<void(const fs::path& dir)> edit;
    Names want;
  };
  const std::vector<Case> cases = {
      {"modify in place (dir)",
       false,
       [](const fs::path& d) { put(d / "a.yaml", pool("b")); },
       {"b"}},
      {"modify in place (file)",
       true,
       [](const fs::path& d) { put(d / "a.yaml", pool("b")); },
       {"b"}},
      {"rename over (dir)",
       false,
       [](const fs::path& d) { renameOver(d / "a.yaml", pool("c")); },
       {"c"}},
      {"rename over (file)",
       true,
       [](const fs::path& d) { renameOver(d / "a.yaml", pool("c")); },
       {"c"}},
      {"new file in dir",
       false,
       [](const fs::path& d) { put(d / "b.yml", pool("z", "203.0.113.0/24")); },
       {"a", "z"}},
      {"file removed from dir",
       false,
       [](const fs::path& d) {
         put(d / "b.yaml", pool("b", "192.0.2.0/24"));
         fs::remove(d / "a.yaml");
       },
       {"b"}},
      {"delete and recreate (file)",
       true,
       [](const fs::path& d) {
         fs::remove(d / "a.yaml");
         put(d / "a.yaml", pool("d"));
       },
       {"d"}},
      {"directory replaced",
       false,
       [](const fs::path& d) {
         fs::remove_all(d);
         fs::create_directory(d);
         put(d / "x.yaml", pool("x"));
       },
       {"x"}},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      TempDir tmp;
      const auto dir = tmp.path() / "manifests";
      fs::create_directory(dir);
      put(dir / "a.yaml", pool("a"));
      Harness h({c.watch_file ? (dir / "a.yaml").string() : dir.string()});
      h.start();
      REQUIRE(h.snapshots.size() == 1);  // delivered synchronously by start()
      CHECK(h.snapshots[0] == Names{"a"});
      c.edit(dir);
      REQUIRE(runUntil(h.ioc, [&] { return h.snapshots.back() == c.want; }));
      CHECK(h.source.reloadFailures() == 0);
    }
  }
}

TEST_CASE("FileObjectSource keeps the last good set") {
  TempDir tmp;
  put(tmp.path() / "a.yaml", pool("a"));
  Harness h({tmp.path().string()});
  h.start();
  REQUIRE(h.snapshots.size() == 1);

  struct Step {
    const char* name;
    std::string text;  // new content of a.yaml
    std::uint64_t want_failures;
    std::size_t want_snapshots;
  };
  const std::vector<Step> steps = {
      {"bad address", pool("a", "banana"), 1, 1},
      {"broken yaml", "kind: [unclosed\n", 2, 1},
      {"fixed", pool("fixed"), 2, 2},
      {"same bytes again: no reload", pool("fixed"), 2, 2},
  };
  for (const auto& s : steps) {
    CAPTURE(s.name);
    put(tmp.path() / "a.yaml", s.text);
    runUntil(h.ioc, [&] {
      return h.source.reloadFailures() >= s.want_failures && h.snapshots.size() >= s.want_snapshots;
    });
    runFor(h.ioc, 150ms);  // nothing further may arrive
    CHECK(h.source.reloadFailures() == s.want_failures);
    CHECK(h.snapshots.size() == s.want_snapshots);
  }
  CHECK(h.snapshots.back() == Names{"fixed"});
  CHECK(h.source.snapshots() == 2);
}

TEST_CASE("FileObjectSource never loads a file still being written") {
  // issue 8 #1: a manifest rewritten in place by two write()s 0.5 s apart must not be loaded
  // after the first one, although that half is valid YAML on its own.
  TempDir tmp;
  const auto file = tmp.path() / "a.yaml";
  put(file, pool("a") + "---\n" + pool("b", "192.0.2.0/24"));
  Harness h({tmp.path().string()});
  h.start();
  REQUIRE(h.snapshots.size() == 1);
  {
    std::ofstream out(file, std::ios::trunc);
    out << pool("a") << std::flush;  // first write(): pool b is "gone"
    runFor(h.ioc, 500ms);            // 16x the debounce of quiet
    CHECK(h.snapshots.size() == 1);
    out << "---\n" << pool("c", "192.0.2.0/24") << std::flush;  // second write()
    runFor(h.ioc, 200ms);
    CHECK(h.snapshots.size() == 1);
  }  // close(): IN_CLOSE_WRITE
  REQUIRE(h.waitFor(2));
  runFor(h.ioc, 100ms);
  CHECK(h.snapshots.size() == 2);
  CHECK(h.snapshots.back() == Names{"a", "c"});
  CHECK(h.source.reloadFailures() == 0);
}

TEST_CASE("FileObjectSource loads a file left open for writing after open_writer_timeout") {
  TempDir tmp;
  const auto file = tmp.path() / "a.yaml";
  put(file, pool("a"));
  boost::asio::io_context ioc;
  std::vector<Names> snaps;
  io::FileObjectSource source(ioc.get_executor(), {tmp.path().string()},
                              io::makeLogger("test.source"),
                              io::FileObjectSourceOptions{30ms, 300ms});
  source.start([&](const manifest::ManifestSet& set) { snaps.push_back(poolNames(set)); });
  std::ofstream out(file, std::ios::trunc);
  out << pool("b") << std::flush;
  runFor(ioc, 150ms);
  CHECK(snaps.size() == 1);
  REQUIRE(runUntil(ioc, [&] { return snaps.size() == 2; }));
  CHECK(snaps.back() == Names{"b"});
}

TEST_CASE("FileObjectSource ignores unrelated files") {
  TempDir tmp;
  const auto dir = tmp.path() / "m";
  fs::create_directory(dir);
  put(dir / "a.yaml", pool("a"));
  put(tmp.path() / "neighbour.yaml", pool("n"));
  Harness h({dir.string()});
  h.start();
  put(dir / "notes.txt", "not a manifest");
  put(dir / ".hidden.yaml", pool("hidden"));
  put(tmp.path() / "neighbour.yaml", pool("n2"));
  runFor(h.ioc, 200ms);
  CHECK(h.snapshots.size() == 1);
}

TEST_CASE("FileObjectSource waits for a missing file") {
  TempDir tmp;
  const auto file = tmp.path() / "late.yaml";
  Harness h({file.string()});
  h.start();
  CHECK(h.snapshots.empty());
  CHECK(h.source.reloadFailures() == 1);
  put(file, pool("late"));
  REQUIRE(h.waitFor(1));
  CHECK(h.snapshots[0] == Names{"late"});
}

TEST_CASE("FileObjectSource: an edit made while a reload decodes is delivered after it, in order") {
  TempDir tmp;
  const auto file = tmp.path() / "a.yaml";
  put(file, pool("a"));
  Harness h({file.string()});
  h.start();
  std::string big = pool("big");
  for (int i = 0; i < 3000; ++i) {
    big += "---\napiVersion: v1\nkind: Service\nmetadata: {name: s" + std::to_string(i) +
           ", namespace: demo}\nspec:\n  type: LoadBalancer\n  ports: [{port: 80}]\n";
  }
  put(file, big);
  runFor(h.ioc, 45ms);  // past the 30 ms debounce: the large set is being decoded
  put(file, pool("last"));
  REQUIRE(runUntil(
      h.ioc, [&] { return h.snapshots.back() == Names{"last"}; }, 20s));
  runFor(h.ioc, 100ms);
  CHECK(h.snapshots.back() == Names{"last"});  // nothing older delivered after it
  REQUIRE(h.snapshots.size() <= 3);
  if (h.snapshots.size() == 3) {
    CHECK(h.snapshots[1] == Names{"big"});
  }
  CHECK(h.source.reloadFailures() == 0);
}

TEST_CASE("FileObjectSource::stop ends callbacks") {
  TempDir tmp;
  put(tmp.path() / "a.yaml", pool("a"));
  Harness h({tmp.path().string()});
  h.start();
  h.source.stop();
  put(tmp.path() / "a.yaml", pool("b"));
  runFor(h.ioc, 150ms);
  CHECK(h.snapshots.size() == 1);
  h.source.stop();  // idempotent
}

TEST_CASE("loadInitialManifests") {
  TempDir tmp;
  auto log = io::makeLogger("test.source");
  struct Case {
    const char* name;
    std::string text;  // "" = no file
    bool want_set;
  };
  const std::vector<Case> cases = {
      {"valid", pool("a"), true},
      {"invalid", pool("a", "banana"), false},
      {"missing", "", false},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      const auto file = tmp.path() / "m.yaml";
      fs::remove(file);
      if (!c.text.empty()) {
        put(file, c.text);
      }
      const auto got = io::loadInitialManifests({file.string()}, *log);
      CHECK(got.has_value() == c.want_set);
    }
  }
}

TEST_CASE("FakeObjectSource") {
  l1net::testing::FakeObjectSource fake;
  io::ObjectSource& src = fake;
  int calls = 0;
  CHECK_FALSE(fake.push({}));
  src.start([&calls](const manifest::ManifestSet&) { ++calls; });
  CHECK(fake.push({}));
  src.stop();
  CHECK_FALSE(fake.push({}));
  CHECK(calls == 1);
}

TEST_CASE("FileObjectSource::initialSync") {
  const auto log = io::makeLogger("test.source");
  boost::asio::io_context ioc;
  TempDir tmp;
  const auto file = tmp.path() / "m.yaml";
  struct Case {
    const char* name;
    std::string text;  // "" = missing file
    bool want_ok;
    std::string want_error;  // substring of SyncOutcome::error
  };
  const std::vector<Case> cases = {
      {"valid: ok, then start() delivers the synced set", pool("a"), true, ""},
      {"invalid: not ok, naming file and field", pool("a", "banana"), false, "m.yaml:8: "},
      {"missing: not ok, naming the path", "", false, "m.yaml: no such file or directory"},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      fs::remove(file);
      if (!c.text.empty()) {
        put(file, c.text);
      }
      io::FileObjectSource src(ioc.get_executor(), {file.string()}, log,
                               io::FileObjectSourceOptions{20ms});
      std::optional<io::SyncOutcome> outcome;
      std::size_t synced_pools = 0;
      src.initialSync([&](const io::SyncOutcome& o) {
        outcome = o;
        if (o.snapshot != nullptr) {
          synced_pools = o.snapshot->pools.size();
        }
      });
      REQUIRE(outcome.has_value());  // the file source syncs synchronously
      CHECK(outcome->ok == c.want_ok);
      CHECK(outcome->error.find(c.want_error) != std::string::npos);
      CHECK(src.reloadFailures() == (c.want_ok ? 0U : 1U));
      std::vector<std::string> seen;
      src.start(
          [&seen](const manifest::ManifestSet& s) { seen.push_back(s.pools.at(0).meta.name); });
      if (c.want_ok) {
        CHECK(synced_pools == 1);
        CHECK(seen == std::vector<std::string>{"a"});
      } else {
        CHECK(seen.empty());
        CHECK(src.healthProblem().find("last manifest reload rejected") != std::string::npos);
      }
      src.stop();
    }
  }
}

TEST_CASE("FileObjectSource: an edit between initialSync and start is not lost") {
  const auto log = io::makeLogger("test.source");
  boost::asio::io_context ioc;
  TempDir tmp;
  const auto file = tmp.path() / "m.yaml";
  put(file, pool("a"));
  io::FileObjectSource src(ioc.get_executor(), {file.string()}, log,
                           io::FileObjectSourceOptions{20ms});
  bool ok = false;
  src.initialSync([&ok](const io::SyncOutcome& o) { ok = o.ok; });
  REQUIRE(ok);
  put(file, pool("b"));  // before start(): the watch set by initialSync queues it
  std::vector<std::string> seen;
  src.start([&seen](const manifest::ManifestSet& s) { seen.push_back(s.pools.at(0).meta.name); });
  CHECK(runUntil(
      ioc, [&] { return seen.size() == 2; }, 5s));
  CHECK(seen == std::vector<std::string>{"a", "b"});
  CHECK(src.snapshots() == 2);
  src.stop();
}
