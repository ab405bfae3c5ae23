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
  template <class Miss>
  std::int64_t get(std::string_view text, Miss&& miss) {
    auto p = reinterpret_cast<std::uintptr_t>(text.data());
    std::size_t slot =
        static_cast<std::size_t>(((p ^ (text.size() << 48)) * 0x9E3779B97F4A7C15ull) >> 52) &
        (kSlots - 1);
    Slot* set = &slots_[slot & ~std::size_t{1}];
    for (int way = 0; way < 2; ++way) {
      const Slot& e = set[way];
      if (e.data == text.data() && e.size == text.size() && e.text != nullptr &&
          (text.empty() || std::memcmp(e.text->data(), text.data(), text.size()) == 0)) {
        if (way == 1) std::swap(set[0], set[1]);
        return set[0].id;
      }
    }
    const std::pair<std::int64_t, const std::string*> found = miss(text);
    set[1] = set[0];
    set[0] = Slot{text.data(), text.size(), found.second, found.first};
    return found.first;
  }

  void clear() { slots_.assign(kSlots, Slot{}); }

 private:
  struct Slot {
    const char* data = nullptr;
    std::size_t size = 0;
    const std::string* text = nullptr;
    std::int64_t id = 0;
  };
  static constexpr std::size_t kSlots = 4096;  // power of two
  std::vector<Slot> slots_ = std::vector<Slot>(kSlots);
};

}  // namespace meshtwin::telemetry
