#pragma once

// A growable array whose elements never move: fixed-size chunks, allocated as the array grows
// and never reallocated, so a reference stays valid for the container's life (elements may hold
// engine::Timers, which the simulator calls back by address). Unlike std::deque, whose
// operator[] GCC 12 leaves as an out-of-line _Deque_iterator::operator+= (about 30 instructions
// and a call on every pod, proxy and stream access of the hot path, docs/performance.md), an
// index is two loads, inline: a table of element addresses beside the chunks. Computing the
// address from the chunk table instead (shift, load, mask, multiply by the element size, add)
// cost five instructions more per access, and a Bookinfo hop attempt makes about 40 accesses.
// The table costs 8 bytes per element.
//
// Only what the simulation needs: emplace_back, indexing, size, forward iteration. No erase.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <new>
#include <utility>
#include <vector>

namespace meshtwin::engine {

// Elements per chunk: a power of two near 16 KB of elements (at least one), so small elements
// share cache lines and pages while a large one (several KB) does not make a chunk huge.
template <class T>
constexpr std::size_t stable_vector_chunk() {
  constexpr std::size_t want = 16384 / sizeof(T);
  return want <= 1 ? 1 : std::bit_floor(want);
}

template <class T, std::size_t Chunk = stable_vector_chunk<T>()>
class StableVector {
 public:
  using value_type = T;

 private:
  static_assert(std::has_single_bit(Chunk), "chunk size must be a power of two");
  static constexpr unsigned kShift = static_cast<unsigned>(std::countr_zero(Chunk));
  static constexpr std::size_t kMask = Chunk - 1;

 public:
  StableVector() = default;
  StableVector(const StableVector&) = delete;
  StableVector& operator=(const StableVector&) = delete;
  ~StableVector() { clear(); }

  template <class... Args>
  T& emplace_back(Args&&... args) {
    if ((size_ & kMask) == 0 && (size_ >> kShift) == chunks_.size()) {
      chunks_.push_back(static_cast<T*>(::operator new(Chunk * sizeof(T), std::align_val_t{alignof(T)})));
    }
    T* slot = chunks_[size_ >> kShift] + (size_ & kMask);
    // Room in the address table first (growing it geometrically): if that throws, nothing was
    // constructed.
    if (elements_.size() == elements_.capacity()) elements_.reserve(elements_.empty() ? 16 : 2 * elements_.size());
    ::new (static_cast<void*>(slot)) T(std::forward<Args>(args)...);
    elements_.push_back(slot);
    ++size_;
    return *slot;
  }

  T& operator[](std::size_t i) { return *elements_[i]; }
  const T& operator[](std::size_t i) const { return *elements_[i]; }
  T& back() { return (*this)[size_ - 1]; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Destroys the elements in order (as std::deque does) and frees the chunks.
  void clear() {
    for (std::size_t i = 0; i < size_; ++i) (*this)[i].~T();
    for (T* c : chunks_) ::operator delete(c, std::align_val_t{alignof(T)});
    chunks_.clear();
    elements_.clear();
    size_ = 0;
  }

  template <class V, class Owner>
  class Iter {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = std::remove_const_t<V>;
    using difference_type = std::ptrdiff_t;
    using pointer = V*;
    using reference = V&;
    Iter() = default;
    Iter(Owner* owner, std::size_t i) : owner_(owner), i_(i) {}
    V& operator*() const { return (*owner_)[i_]; }
    V* operator->() const { return &(*owner_)[i_]; }
    Iter& operator++() {
      ++i_;
      return *this;
    }
    Iter operator++(int) {
      Iter before = *this;
      ++i_;
      return before;
    }
    friend bool operator==(const Iter& a, const Iter& b) { return a.i_ == b.i_; }

   private:
    Owner* owner_ = nullptr;
    std::size_t i_ = 0;
  };
  using iterator = Iter<T, StableVector>;
  using const_iterator = Iter<const T, const StableVector>;
  iterator begin() { return {this, 0}; }
  iterator end() { return {this, size_}; }
  const_iterator begin() const { return {this, 0}; }
  const_iterator end() const { return {this, size_}; }

 private:
  std::vector<T*> chunks_;
  std::vector<T*> elements_;  // element i's address, for indexing
  std::size_t size_ = 0;
};

}  // namespace meshtwin::engine
