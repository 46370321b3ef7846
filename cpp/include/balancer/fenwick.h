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

  // A tree over `flags` built in O(n): each node adds itself to its parent once.
  static FlagTree from(const std::vector<uint8_t>& flags) {
    FlagTree t(flags.size());
    for (size_t x = 1; x < t.tree_.size(); ++x) {
      t.flags_[x - 1] = flags[x - 1] != 0 ? 1 : 0;
      t.count_ += t.flags_[x - 1];
      t.tree_[x] += t.flags_[x - 1];
      const size_t parent = x + (x & (~x + 1));
      if (parent < t.tree_.size()) t.tree_[parent] += t.tree_[x];
    }
    return t;
  }

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

  // Adds a flag at index size(), in O(log n).
  void push_back(bool on) {
    flags_.push_back(0);
    tree_.push_back(0);
    const size_t x = flags_.size();
    // Node x sums the flags in (x - lowbit(x), x]: all before x are already in the tree.
    tree_[x] = static_cast<int32_t>(count_before(x - 1) - count_before(x - (x & (~x + 1))));
    set(x - 1, on);
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
