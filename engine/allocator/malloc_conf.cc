// The heap of the programs that simulate (meshtwin and the mesh benchmarks): jemalloc, with its
// extents backed by transparent huge pages where the kernel allows them on request
// (/sys/kernel/mm/transparent_hugepage/enabled = madvise or always).
//
// Why: a 1,000-service mesh is ~100 MB touched for the first time while its configuration is
// loaded and compiled, then tens of MB more as clusters, connection pools and metric windows
// are first used. Each first touch of a 4 KiB page is a page fault, and on the 2-vCPU virtual
// machines the project is measured on one costs 10-14 µs (docs/performance.md, "Page faults and
// the allocator"): such a run spent about a sixth of its simulation thread's time in faults and
// malloc, and its setup a quarter. A 2 MiB page costs one fault instead of 512 and a TLB entry
// instead of 512. glibc's malloc grows its heap in small steps that the kernel backs with 4 KiB
// pages (its glibc.malloc.hugetlb tunable must be set in the environment before the program
// starts).
//
// One arena for all threads (narenas:1; jemalloc's default is four per CPU): the results
// writer's thread then takes SQLite's pages and its row hand-overs from memory the setup freed,
// which is backed already, instead of from an arena of its own that starts empty. At 1,000
// services that took a metrics-only run from ~400 page faults to ~20. The threads hardly
// contend for it: the simulation allocates nothing per event in steady state, and each thread
// has its own cache of small blocks in front of the arena.
//
// The setting is read by jemalloc when it initialises, before main(); MALLOC_CONF in the
// environment still overrides it (e.g. MALLOC_CONF=thp:default to measure without).
// Sanitizer and fuzz builds keep the system allocator (MESHTWIN_ALLOCATOR=system).

extern "C" {
// NOLINTNEXTLINE: jemalloc looks this symbol up by name.
const char* malloc_conf = "thp:always,metadata_thp:auto,narenas:1";
}
