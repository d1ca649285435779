// Snapshot<T>: the handoff of immutable tables from the Speaker's thread to the responders.
#include "l1net/speaker/io/snapshot.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "l1net/testing/doctest.hpp"

namespace l1net::speaker {
namespace {

// A value whose every element must equal its generation: a torn read would show a mix.
struct Table {
  std::uint64_t generation = 0;
  std::vector<std::uint64_t> cells;
};

std::shared_ptr<const Table> makeTable(std::uint64_t g, std::size_t n) {
  return std::make_shared<const Table>(Table{.generation = g, .cells = std::vector(n, g)});
}

TEST_CASE("Snapshot publish and load") {
  struct Case {
    const char* name;
    std::vector<std::uint64_t> publishes;  // generations, in order
    std::uint64_t want_generation;
    std::uint64_t want_version;
  };
  const std::vector<Case> cases = {
      {"nothing published: the default value", {}, 0, 0},
      {"one publish", {7}, 7, 1},
      {"the last publish wins", {1, 2, 3}, 3, 3},
      {"republishing an older generation is taken as is", {5, 2}, 2, 2},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      Snapshot<Table> s;
      for (const auto g : c.publishes) {
        s.publish(makeTable(g, 4));
      }
      CHECK(s.load()->generation == c.want_generation);
      CHECK(s.version() == c.want_version);
    }
  }
}

TEST_CASE("a loaded value outlives the publish that replaces it") {
  Snapshot<Table> s(makeTable(1, 3));
  const auto held = s.load();
  s.publish(makeTable(2, 3));
  CHECK(held->generation == 1);
  CHECK(held->cells == std::vector<std::uint64_t>{1, 1, 1});
  CHECK(s.load()->generation == 2);
}

TEST_CASE("a reader on another thread sees whole values, in publish order") {
  Snapshot<Table> s(makeTable(0, 64));
  constexpr std::uint64_t kPublishes = 20000;
  constexpr std::uint64_t kMeetEvery = 500;  // the writer waits for a read this often
  std::atomic<bool> done{false};
  std::atomic<std::uint64_t> reads{0};
  std::uint64_t torn = 0;
  std::uint64_t backwards = 0;
  std::thread reader([&] {
    std::uint64_t last = 0;
    while (!done.load(std::memory_order_acquire)) {
      const auto t = s.load();
      for (const auto v : t->cells) {
        torn += v != t->generation ? 1U : 0U;
      }
      backwards += t->generation < last ? 1U : 0U;
      last = t->generation;
      reads.fetch_add(1, std::memory_order_release);
    }
  });
  std::uint64_t met = 0;
  for (std::uint64_t g = 1; g <= kPublishes; ++g) {
    s.publish(makeTable(g, 64));
    if (g % kMeetEvery == 0) {  // so reads and publishes interleave even on a busy machine
      const auto seen = reads.load(std::memory_order_acquire);
      while (reads.load(std::memory_order_acquire) == seen) {
        std::this_thread::yield();
      }
      ++met;
    }
  }
  done.store(true, std::memory_order_release);
  reader.join();
  CHECK(torn == 0);
  CHECK(backwards == 0);
  CHECK(met == kPublishes / kMeetEvery);
  CHECK(reads.load() >= met);
  CHECK(s.load()->generation == kPublishes);
  CHECK(s.version() == kPublishes);
}

}  // namespace
}  // namespace l1net::speaker
