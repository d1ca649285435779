#include "l1net/io/heap.hpp"

#include <malloc.h>

namespace l1net::io {

void tuneHeapForManifests() {
  ::mallopt(M_MMAP_THRESHOLD, 64 * 1024);
  ::mallopt(M_TRIM_THRESHOLD, 256 * 1024);
  ::mallopt(M_ARENA_MAX, 2);
}

void releaseFreedHeap() { ::malloc_trim(0); }

}  // namespace l1net::io
