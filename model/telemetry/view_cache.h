// A cache from a record's string view to the id a dictionary gave its text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace meshtwin::telemetry {

// Records' views are stable for the run (records.h), so the view's address usually identifies
// the string without hashing its bytes: a direct-mapped cache keyed by address and length costs
// one cache line per lookup. The entry is verified against the stored text, so a view that is
// not stable after all costs speed, never correctness. Two ways per set, the most recent first:
// two hot names that share a set must not evict each other on every record.
class ViewCache {
 public:
  // The id of `text`: from the cache, else from `miss(text)`, which returns the dictionary's
  // (id, stored text) pair; the stored text must stay valid until clear().
  // `miss` may call reserve().
  template <class Miss>
  std::int64_t get(std::string_view text, Miss&& miss) {
    Slot* set = set_of(text);
    for (int way = 0; way < 2; ++way) {
      const Slot& e = set[way];
      if (e.data == text.data() && e.size == text.size() && e.text != nullptr &&
          (text.empty() || std::memcmp(e.text->data(), text.data(), text.size()) == 0)) {
        if (way == 1) std::swap(set[0], set[1]);
        return set[0].id;
      }
    }
    const std::pair<std::int64_t, const std::string*> found = miss(text);
    set = set_of(text);  // again: reserve() may have regrown the slots
    set[1] = set[0];
    set[0] = Slot{text.data(), text.size(), found.second, found.first};
    return found.first;
  }

  void clear() { slots_.assign(slots_.size(), Slot{}); }

  // Makes room for `distinct` texts (a quarter of the slots in use at most, so that few two-way
  // sets hold three hot texts that would evict each other in turn): a mesh of thousands
  // of services has more names than the initial slots, and a cache that thrashes hashes the text
  // on almost every lookup. The entries are carried over into the grown table.
  void reserve(std::size_t distinct) {
    if (distinct * 4 <= slots_.size()) return;
    std::size_t slots = slots_.size();
    while (distinct * 8 > slots) slots *= 2;
    while ((std::size_t{1} << (64 - shift_)) < slots) --shift_;
    std::vector<Slot> old(slots, Slot{});
    old.swap(slots_);
    // Older ways first, so that a set's most recent entry ends up in front again.
    for (std::size_t i = old.size(); i-- > 0;) {
      const Slot& e = old[i];
      if (e.text == nullptr) continue;
      Slot* set = set_of(std::string_view(e.data, e.size));
      set[1] = set[0];
      set[0] = e;
    }
  }

 private:
  struct Slot {
    const char* data = nullptr;
    std::size_t size = 0;
    const std::string* text = nullptr;
    std::int64_t id = 0;
  };
  Slot* set_of(std::string_view text) {
    // Two multiply-xorshift rounds: heap addresses come in strides (16 bytes apart and more),
    // which one multiplication alone spreads over only part of a large table.
    std::uint64_t x = (reinterpret_cast<std::uintptr_t>(text.data()) ^ (text.size() << 48)) * 0x9E3779B97F4A7C15ull;
    x ^= x >> 32;
    x *= 0xD6E8FEB86659FD93ull;
    const auto slot = static_cast<std::size_t>(x >> shift_);
    return &slots_[slot & ~std::size_t{1}];
  }

  static constexpr std::size_t kInitialSlots = 4096;  // power of two: 2^(64 - shift_)
  unsigned shift_ = 52;
  std::vector<Slot> slots_ = std::vector<Slot>(kInitialSlots);
};

}  // namespace meshtwin::telemetry
