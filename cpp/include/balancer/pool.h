// pool.h — the isolate's snapshot of the key pool, and key selection over it.
//
// The snapshot comes from the KeyPool Durable Object as text, one record a line:
//     K <id> <key> <a|d>            a key, active or disabled
//     C <id> <model|*> <until_ms>   a cooldown of key <id> for one model (or all) until then
//     A <id> <resource>             key <id> created "files/x" or "cachedContents/y" (affinity.h)
// Selection is round-robin from a seeded start, so isolates spread their load differently,
// skipping disabled keys, keys cooling down for the model, and keys already tried by the
// request; among the rest, a key without a recent failure is preferred. Each model gets an
// index (two flag trees: usable, and usable without a recent failure) built on its first
// pick and kept current as verdicts arrive and cooldowns end, so a pick costs O(log n)
// however many keys are cooling down.
//
//   bal::Pool pool;
//   pool.load(snapshot_text, seed);
//   if (auto i = pool.select("gemini-2.5-flash", now_ms, tried)) use(pool.key(*i));
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "balancer/affinity.h"
#include "balancer/classify.h"
#include "balancer/fenwick.h"

namespace bal {

struct Cooldown {
  std::string model;  // "*" for every model
  int64_t until_ms = 0;
};

struct PoolKey {
  int64_t id = 0;
  std::string key;
  bool disabled = false;
  int64_t failed_at_ms = -1;  // last failure seen by this isolate
  std::vector<Cooldown> cooldowns;
};

struct PoolStatus {
  size_t total = 0;
  size_t active = 0;   // usable for the model now
  size_t cooling = 0;  // enabled but cooling down for the model
  size_t disabled = 0;
  int64_t earliest_until_ms = 0;  // soonest end of a cooldown among cooling keys (0 if none)
};

class Pool {
 public:
  static constexpr int64_t kRecentFailureMs = 60 * 1000;

  // Replaces the snapshot. Returns false (and keeps nothing) on a malformed line.
  bool load(std::string_view text, uint64_t seed);

  size_t size() const { return keys_.size(); }
  const PoolKey& at(size_t index) const { return keys_[index]; }
  std::optional<size_t> index_of(int64_t id) const;

  bool eligible(const PoolKey& k, std::string_view model, int64_t now_ms) const;
  static bool recently_failed(const PoolKey& k, int64_t now_ms);

  // Picks the next key for `model`, skipping ids in `exclude`. Advances the cursor. A usable
  // `prefer` key (affinity) is taken first, without moving the cursor.
  std::optional<size_t> select(std::string_view model, int64_t now_ms, const std::vector<int64_t>& exclude,
                               std::optional<int64_t> prefer = std::nullopt);

  Affinity& affinity() { return affinity_; }
  const Affinity& affinity() const { return affinity_; }

  // Applies what a verdict says about key `id`, so this isolate stops using it at once.
  void apply(int64_t id, KeyAction action, std::string_view model, bool all_models, int64_t until_ms, int64_t now_ms);

  PoolStatus status(std::string_view model, int64_t now_ms) const;

 private:
  // When key `index` may change state for a model: a cooldown or a failure's recency ends.
  struct Wake {
    int64_t at_ms;
    size_t index;
    bool operator>(const Wake& o) const { return at_ms > o.at_ms; }
  };
  struct ModelIndex {
    FlagTree usable;  // enabled and not cooling down for the model
    FlagTree ready;   // usable, and no recent failure
    std::priority_queue<Wake, std::vector<Wake>, std::greater<Wake>> wakes;
  };

  ModelIndex& index_for(const std::string& model, int64_t now_ms);
  void refresh(ModelIndex& m, const std::string& model, size_t i, int64_t now_ms);
  void schedule(ModelIndex& m, size_t i, int64_t now_ms);
  std::optional<size_t> first_allowed(const FlagTree& t, const std::vector<int64_t>& exclude) const;
  void touched(size_t i, int64_t now_ms);

  std::vector<PoolKey> keys_;
  std::unordered_map<int64_t, size_t> by_id_;
  std::unordered_map<std::string, ModelIndex> models_;
  Affinity affinity_;
  size_t cursor_ = 0;
};

}  // namespace bal
