#pragma once

// A count per 64-bit id, for ids that come and go (a request's app calls while the request is in
// flight): open addressing with linear probing in one flat array, deletion by backward shift (no
// tombstones), so counting the first call of a new id is a probe and a store rather than a node
// allocation, and forgetting it frees nothing. std::unordered_map cost a malloc and a free per
// request and a hash-chain walk per call (about 1-2 % of a Bookinfo hop attempt).
//
// Complexity: increment and erase O(1) expected at the load factor kept (at most one half);
// growth doubles the table and reinserts, O(n) once per doubling. Memory: 16 bytes per slot, at
// most 4 slots per id held at the peak.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace meshtwin::engine {

class IdCounts {
 public:
  // Adds one to `id`'s count (0 when absent) and returns the new count.
  std::uint32_t increment(std::uint64_t id) {
    if ((size_ + 1) * 2 > slots_.size()) grow();
    std::size_t i = home(id);
    while (slots_[i].count != 0 && slots_[i].id != id) i = (i + 1) & mask();
    if (slots_[i].count == 0) {
      slots_[i].id = id;
      ++size_;
    }
    return ++slots_[i].count;
  }

  // `id`'s count, 0 when absent.
  std::uint32_t count(std::uint64_t id) const {
    if (slots_.empty()) return 0;
    for (std::size_t i = home(id);; i = (i + 1) & mask()) {
      if (slots_[i].count == 0) return 0;
      if (slots_[i].id == id) return slots_[i].count;
    }
  }

  // Forgets `id` (nothing when absent).
  void erase(std::uint64_t id) {
    if (slots_.empty()) return;
    std::size_t i = home(id);
    while (slots_[i].count != 0 && slots_[i].id != id) i = (i + 1) & mask();
    if (slots_[i].count == 0) return;
    // Backward shift: later entries of the same probe run move into the hole, unless their
    // home lies cyclically within (hole, their slot], where they would no longer be found.
    std::size_t hole = i;
    for (std::size_t j = (i + 1) & mask(); slots_[j].count != 0; j = (j + 1) & mask()) {
      const std::size_t h = home(slots_[j].id);
      const bool stays = hole <= j ? (hole < h && h <= j) : (hole < h || h <= j);
      if (stays) continue;
      slots_[hole] = slots_[j];
      hole = j;
    }
    slots_[hole] = Slot{};
    --size_;
  }

  std::size_t size() const { return size_; }

 private:
  struct Slot {
    std::uint64_t id = 0;
    std::uint32_t count = 0;  // 0: empty
  };
  std::size_t mask() const { return slots_.size() - 1; }
  // Request ids are sequential: a multiplicative mix spreads neighbours over the table.
  std::size_t home(std::uint64_t id) const {
    return static_cast<std::size_t>((id * 0x9E3779B97F4A7C15ULL) >> 32) & mask();
  }
  void grow() {
    std::vector<Slot> old(slots_.empty() ? 16 : slots_.size() * 2);
    old.swap(slots_);
    size_ = 0;
    for (const Slot& s : old) {
      if (s.count == 0) continue;
      std::size_t i = home(s.id);
      while (slots_[i].count != 0) i = (i + 1) & mask();
      slots_[i] = s;
      ++size_;
    }
  }

  std::vector<Slot> slots_;
  std::size_t size_ = 0;
};

}  // namespace meshtwin::engine
