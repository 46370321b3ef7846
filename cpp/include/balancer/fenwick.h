// fenwick.h — a binary indexed tree over 0/1 flags: set a flag, count flags before an
// index, and find the k-th set flag, each in O(log n). The pool uses it to find the next
// usable key after the round-robin cursor without scanning past unusable ones.
#pragma once

#include <cstdint>
#include <vector>

namespace bal {

class FlagTree {
 public:
  explicit FlagTree(size_t n = 0) : tree_(n + 1, 0), flags_(n, 0) {}

  size_t size() const { return flags_.size(); }
  size_t count() const { return count_; }
  bool test(size_t i) const { return flags_[i] != 0; }

  void set(size_t i, bool on) {
    if ((flags_[i] != 0) == on) return;
    flags_[i] = on ? 1 : 0;
    const int32_t delta = on ? 1 : -1;
    count_ = on ? count_ + 1 : count_ - 1;
    for (size_t x = i + 1; x < tree_.size(); x += x & (~x + 1)) tree_[x] += delta;
  }

  // Number of set flags at indices < i.
  size_t count_before(size_t i) const {
    int64_t sum = 0;
    for (size_t x = i; x > 0; x -= x & (~x + 1)) sum += tree_[x];
    return static_cast<size_t>(sum);
  }

  // Index of the k-th set flag (k from 1); requires 1 <= k <= count().
  size_t kth(size_t k) const {
    size_t pos = 0;
    size_t step = 1;
    while (step * 2 < tree_.size()) step *= 2;
    for (; step > 0; step /= 2) {
      const size_t next = pos + step;
      if (next < tree_.size() && static_cast<size_t>(tree_[next]) < k) {
        pos = next;
        k -= static_cast<size_t>(tree_[next]);
      }
    }
    return pos;  // 0-based index of the k-th flag
  }

  // First set flag at index >= from, wrapping around; size() when none is set.
  size_t next_from(size_t from) const {
    if (count_ == 0) return size();
    const size_t before = from >= size() ? count_ : count_before(from);
    return kth(before < count_ ? before + 1 : 1);
  }

 private:
  std::vector<int32_t> tree_;
  std::vector<uint8_t> flags_;
  size_t count_ = 0;
};

}  // namespace bal
