#pragma once

#include <deque>
#include <string>
#include <string_view>
#include <unordered_set>

namespace meshtwin::telemetry {

// Interns strings for the lifetime of a run: every distinct text is stored once and handed out
// as a std::string_view that stays valid until the pool is destroyed. Records carry these
// views, so emitting a record never copies a name (docs/design.md §4: strings interned at load time).
// Interning costs a hash lookup; do it at build time, not per request.
class StringPool {
 public:
  std::string_view intern(std::string_view text) {
    auto it = index_.find(text);
    if (it != index_.end()) return *it;
    const std::string& stored = storage_.emplace_back(text);
    std::string_view view(stored);
    index_.insert(view);
    return view;
  }

  std::size_t size() const { return storage_.size(); }

 private:
  std::deque<std::string> storage_;  // deque: stable addresses as it grows
  std::unordered_set<std::string_view> index_;
};

}  // namespace meshtwin::telemetry
