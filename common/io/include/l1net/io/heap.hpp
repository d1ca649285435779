// glibc heap settings for daemons that parse large manifests. Parsing (yaml-cpp) makes many small,
// short-lived allocations; without these, glibc keeps the freed memory and the resident set stays
// at the parse's peak.
#pragma once

namespace l1net::io {

// Call once at start, before any large allocation: blocks of 64 KiB and more are mmapped (and
// returned at once when freed), the heap is trimmed above 256 KiB free, at most two arenas.
void tuneHeapForManifests();

// Hands the heap's free pages back to the kernel (malloc_trim): after a manifest load or a
// reconcile, whose garbage would otherwise stay resident.
void releaseFreedHeap();

}  // namespace l1net::io
