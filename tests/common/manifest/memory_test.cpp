// Issue 8 #9: loading a large valid set must not hold a yaml-cpp node tree of the whole file (such
// a tree costs ~50x its text). The live heap is counted through the global operator new (yaml-cpp
// allocates through it too) and its peak while loading must stay within 10x the text.
#include <cstddef>
#include <cstdlib>
#include <new>
#include <string>

#include <doctest/doctest.h>
#include <malloc.h>

#include "l1net/manifest/load.hpp"

namespace {

std::size_t g_live = 0;
std::size_t g_peak = 0;

}  // namespace

// Replacements of the global allocation functions (the whole test binary counts through them).
void* operator new(std::size_t n) {
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) {
    throw std::bad_alloc();
  }
  g_live += ::malloc_usable_size(p);
  g_peak = g_live > g_peak ? g_live : g_peak;
  return p;
}
void operator delete(void* p) noexcept {
  if (p != nullptr) {
    g_live -= ::malloc_usable_size(p);
    std::free(p);
  }
}
void operator delete(void* p, std::size_t /*n*/) noexcept { operator delete(p); }
// Every other replaceable form goes through the two above, so that no allocation made by one
// allocator (e.g. a sanitizer's nothrow or array new) is freed by the other.
void* operator new(std::size_t n, const std::nothrow_t& /*tag*/) noexcept {
  try {
    return operator new(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new[](std::size_t n, const std::nothrow_t& tag) noexcept {
  return operator new(n, tag);
}
void operator delete[](void* p) noexcept { operator delete(p); }
void operator delete[](void* p, std::size_t /*n*/) noexcept { operator delete(p); }
void operator delete(void* p, const std::nothrow_t& /*tag*/) noexcept { operator delete(p); }
void operator delete[](void* p, const std::nothrow_t& /*tag*/) noexcept { operator delete(p); }

namespace manifest = l1net::manifest;

TEST_CASE("loadManifestText: peak heap of a 3,000-Service file stays within 10x its text") {
  std::string text;
  for (int i = 0; i < 3000; ++i) {
    const auto n = std::to_string(i);
    text += "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: svc-" + n +
            "\n  namespace: ns-" + std::to_string(i % 50) + "\n  labels:\n    app: app-" + n +
            "\n    team: platform\nspec:\n  type: LoadBalancer\n  selector:\n    app: app-" + n +
            "\n  ports:\n  - name: http\n    port: 80\n    protocol: TCP\n    targetPort: 8080\n";
  }
  const std::size_t base = g_live;
  g_peak = g_live;
  const auto r = manifest::loadManifestText(text, "big.yaml");
  const std::size_t peak = g_peak - base;
  REQUIRE(r.ok());
  REQUIRE(r.set.services.size() == 3000);
  MESSAGE("peak heap while loading: " << peak << " bytes for " << text.size() << " bytes of text");
  CHECK(peak < 10 * text.size());
}
