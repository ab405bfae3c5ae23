#pragma once

// A container of objects addressed only by their own StrongIndex kind: `pods[pod_id]` compiles,
// `pods[proxy_id]` and `pods[7]` do not. The store is a std::vector or an engine::StableVector
// (when elements hold timers and must not move); the id costs nothing over the bare index.

#include <cstddef>
#include <cstdint>
#include <utility>

#include "engine/strong_index.h"

namespace meshtwin::engine {

// The ids [0, n) of a container, for loops over every element that need its id.
template <class Id>
class IdRange {
 public:
  class iterator {
   public:
    constexpr explicit iterator(std::uint32_t i) : i_(i) {}
    constexpr Id operator*() const { return Id{i_}; }
    constexpr iterator& operator++() {
      ++i_;
      return *this;
    }
    friend constexpr bool operator==(iterator, iterator) = default;

   private:
    std::uint32_t i_;
  };
  constexpr explicit IdRange(std::uint32_t n) : n_(n) {}
  constexpr iterator begin() const { return iterator(0); }
  constexpr iterator end() const { return iterator(n_); }

 private:
  std::uint32_t n_;
};

template <class Id, class Store>
class IdVector {
 public:
  using value_type = typename Store::value_type;

  value_type& operator[](Id id) { return items_[id.value()]; }
  const value_type& operator[](Id id) const { return items_[id.value()]; }
  // Appends an element; its id is the one next_id() gave before the call.
  template <class... Args>
  value_type& emplace_back(Args&&... args) {
    return items_.emplace_back(std::forward<Args>(args)...);
  }
  Id next_id() const { return Id{static_cast<std::uint32_t>(items_.size())}; }
  IdRange<Id> ids() const { return IdRange<Id>(static_cast<std::uint32_t>(items_.size())); }
  value_type& back() { return items_.back(); }
  std::size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  void reserve(std::size_t n) { items_.reserve(n); }
  auto begin() { return items_.begin(); }
  auto end() { return items_.end(); }
  auto begin() const { return items_.begin(); }
  auto end() const { return items_.end(); }

 private:
  Store items_;
};

}  // namespace meshtwin::engine
