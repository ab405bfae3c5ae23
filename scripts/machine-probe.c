// What first-touching memory and syncing a file cost on this machine: the two costs that
// docs/performance.md ("Page faults and the allocator") found dominate a large mesh's setup and
// the end of a recorded run on the project's 2-vCPU VMs. Not part of the build:
//
//   cc -O2 scripts/machine-probe.c -o /tmp/machine-probe && /tmp/machine-probe [DIR]
//
// DIR (default /tmp) is where the sync probe writes its 13 MB scratch file.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec * 1e-6;
}

// Microseconds per 4 KiB page of first-touching `bytes` of fresh anonymous memory: one write
// per page (a page fault each), MADV_POPULATE_WRITE (the kernel fills the range without a fault
// per page; -1: unsupported), and 2 MiB-aligned memory marked MADV_HUGEPAGE (one fault per
// 2 MiB); then writing memory already touched, for scale.
static void first_touch(size_t bytes) {
  const size_t pages = bytes / 4096;
  char* p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  double t = now_ms();
  for (size_t i = 0; i < bytes; i += 4096) p[i] = 1;
  const double faults = (now_ms() - t) * 1e3 / pages;
  t = now_ms();
  memset(p, 2, bytes);
  const double touched = (now_ms() - t) * 1e3 / pages;
  munmap(p, bytes);

  p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  t = now_ms();
  const int populated = madvise(p, bytes, MADV_POPULATE_WRITE) == 0;
  const double populate = (now_ms() - t) * 1e3 / pages;
  munmap(p, bytes);

  const size_t huge = 2u << 20;
  char* raw = mmap(NULL, bytes + huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  char* q = (char*)(((unsigned long)raw + huge - 1) & ~(unsigned long)(huge - 1));
  madvise(q, bytes, MADV_HUGEPAGE);
  t = now_ms();
  for (size_t i = 0; i < bytes; i += 4096) q[i] = 1;
  const double thp = (now_ms() - t) * 1e3 / pages;
  munmap(raw, bytes + huge);
  printf("first touch, us per 4 KiB: a fault each %.2f | populated %.2f | huge pages %.2f | already touched %.2f\n",
         faults, populated ? populate : -1.0, thp, touched);
}

// Milliseconds of fdatasync after writing `a` MB, then after `b` MB more.
static void sync_cost(const char* dir, int a, int b) {
  char path[4096];
  snprintf(path, sizeof path, "%s/machine-probe-%d.bin", dir, (int)getpid());
  char* buf = malloc(1 << 20);
  memset(buf, 'x', 1 << 20);
  int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
  if (fd < 0) {
    perror(path);
    exit(1);
  }
  for (int i = 0; i < a; ++i)
    if (write(fd, buf, 1 << 20) != 1 << 20) exit(1);
  double t0 = now_ms();
  fdatasync(fd);
  double t1 = now_ms();
  for (int i = 0; i < b; ++i)
    if (write(fd, buf, 1 << 20) != 1 << 20) exit(1);
  double t2 = now_ms();
  fdatasync(fd);
  double t3 = now_ms();
  printf("fdatasync: %d MB written %.1f ms, then %d MB more %.1f ms\n", a, t1 - t0, b, t3 - t2);
  close(fd);
  unlink(path);
  free(buf);
}

int main(int argc, char** argv) {
  const char* dir = argc > 1 ? argv[1] : "/tmp";
  for (int round = 0; round < 3; ++round) first_touch(64u << 20);
  sync_cost(dir, 13, 0);
  sync_cost(dir, 8, 5);
  sync_cost(dir, 1, 1);
  return 0;
}
