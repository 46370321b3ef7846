// pool.h — this isolate's part of the key pool, kept current by changes, and key selection.
//
// The KeyPool Durable Object hands each isolate a slice of the pool (a range of key ids) and
// sends it first a snapshot, then the changes since the version it has, as text with one
// change a line:
//     W <lo> <hi>                  the slice: ids lo <= id < hi, wrapping round when lo >= hi
//                                  (so "W 0 0" is every key, as in a snapshot without W)
//     T <n>                        the whole pool holds n keys (the slice holds some of them)
//     K <id> <key> <a|d>           a key of the slice, active or disabled; its cooldowns start
//                                  over (C lines follow when some still hold)
//     P <id> <key> <a|d>           a key an affinity names, held even outside the slice (its
//                                  cooldowns are known only while it is in the slice)
//     D <id>                       key <id> is disabled
//     R <id>                       key <id> is removed
//     C <id> <model|*> <until_ms>  key <id> cools down for one model (or all) until then
//     A <id> <resource>            key <id> created "files/x" or "cachedContents/y" (affinity.h)
//     F <resource>                 the resource is forgotten
// A snapshot is the same lines applied to an empty pool, so an isolate that applies every
// change since its snapshot holds and picks exactly as one that loads the newest snapshot.
// The pool holds the enabled keys of the slice and the keys an affinity names; lines about
// other keys are ignored, and a key that stops being either is let go. Changes cost time in
// proportion to their number: a key joins at the end (ids only grow), a key let go stays as a
// tombstone until the next compaction.
//
// Selection is round-robin over the slice from its first key (over the whole pool from a
// seeded start), so isolates spread their load differently, skipping disabled keys, keys
// cooling down for the model, and keys already tried by the request; among the rest, a key
// without a recent failure is preferred. Each model gets an index (two flag trees: usable, and
// usable without a recent failure) built on its first pick and kept current as changes and
// verdicts arrive and cooldowns end, so a pick costs O(log n) however many keys are cooling
// down.
//
//   bal::Pool pool;
//   pool.load(snapshot_text, seed, version);
//   pool.update(changes_text, version, new_version, now_ms);
//   if (auto i = pool.select("gemini-2.5-flash", now_ms, tried)) use(pool.at(*i));
#pragma once

#include <array>
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
  bool member = true;         // picked in turn: in the slice (or left by it, not yet used)
  bool picked = false;        // picked in turn since it came into the slice
  bool gone = false;          // removed; a tombstone until the next compaction
  int64_t failed_at_ms = -1;  // last failure seen by this isolate
  std::vector<Cooldown> cooldowns;
};

// Key ids lo <= id < hi, wrapping round when lo >= hi (so lo == hi holds every id).
struct Slice {
  int64_t lo = 0;
  int64_t hi = 0;
  bool contains(int64_t id) const { return lo < hi ? id >= lo && id < hi : id >= lo || id < hi; }
};

struct PoolStatus {
  size_t total = 0;    // keys in the pool (the whole pool's count when the object sent it)
  size_t active = 0;   // slice keys usable for the model now
  size_t cooling = 0;  // enabled but cooling down for the model
  size_t disabled = 0;
  int64_t earliest_until_ms = 0;  // soonest end of a cooldown among cooling keys (0 if none)
};

class Pool {
 public:
  static constexpr int64_t kRecentFailureMs = 60 * 1000;

  // Replaces the pool with a snapshot at `version` and seeds the cursor. Returns false (and
  // keeps what it had) on a malformed line.
  bool load(std::string_view snapshot, uint64_t seed, int64_t version = 0);

  // Applies the changes from version `from` to `to`. Returns false, and applies nothing, when
  // the pool is not at `from` or a line is malformed. With `keep_unused`, keys a new slice
  // leaves that this isolate has not picked yet stay in turn until they have been, once, so
  // an isolate can take its next slice before it is through the last one and skip no key.
  bool update(std::string_view changes, int64_t from, int64_t to, int64_t now_ms, bool keep_unused = false);

  // Moves the round-robin cursor to where a turn starts: the first key of the slice, or a key
  // chosen by `seed` when the isolate holds every key. A new slice in a change batch does not
  // move it (the cursor goes on through it in id order, so every key comes round once per
  // turn), nor does a snapshot of the slice the pool already holds.
  void reseed(uint64_t seed);

  int64_t version() const { return version_; }
  // Whether this isolate holds a slice of the pool rather than the whole of it.
  bool partial() const { return slice_.lo != slice_.hi; }
  // Whether it has picked in turn as many keys as half its slice held when it came: time to
  // ask for the next slice, so that it arrives before this one is used up.
  bool halfway() const { return partial() && turns_ * 2 >= slice_members_; }
  size_t size() const { return keys_.size() - gone_; }  // keys held
  size_t members() const;                               // keys of the slice held
  const PoolKey* find(int64_t id) const;
  const PoolKey& at(size_t index) const { return keys_[index]; }
  std::optional<size_t> index_of(int64_t id) const;

  bool eligible(const PoolKey& k, std::string_view model, int64_t now_ms) const;
  static bool recently_failed(const PoolKey& k, int64_t now_ms);

  // Picks the next key of the slice for `model`, skipping ids in `exclude`. Advances the
  // cursor. A usable `prefer` key (affinity), in the slice or not, is taken first, without
  // moving the cursor. A retry (`exclude` not empty) goes first to the key that answered most
  // recently and is usable, also without moving the cursor: keys added together often fail
  // together, and going on in turn could walk a retry through all of them.
  std::optional<size_t> select(std::string_view model, int64_t now_ms, const std::vector<int64_t>& exclude,
                               std::optional<int64_t> prefer = std::nullopt);

  Affinity& affinity() { return affinity_; }
  const Affinity& affinity() const { return affinity_; }

  // Key `id` has just answered (any answer that is not a failure of the key or of Google).
  void answered(int64_t id);

  // Applies what a verdict says about key `id`, so this isolate stops using it at once (a
  // cooldown in the scope classify.h's cooldown_scope gives).
  void apply(int64_t id, KeyAction action, std::string_view model, bool all_models, int64_t until_ms, int64_t now_ms,
             bool grounding = false);

  PoolStatus status(std::string_view model, int64_t now_ms) const;

  // Whether a grounding cooldown (classify.h: kGroundingScope) may still hold for some key: until
  // then a call's grounding changes which keys it may pick, and before, a native body need not
  // be read for it.
  bool grounding_cooling(int64_t now_ms) const { return now_ms < grounding_until_ms_; }

 private:
  struct Change {
    char tag = 0;
    int64_t n[2] = {0, 0};  // the line's numbers in order: an id, then an end or a bound
    std::string_view text;  // its key, model or resource
    bool disabled = false;
  };
  // When key `index` may change state for a model: a cooldown or a failure's recency ends.
  struct Wake {
    int64_t at_ms;
    size_t index;
    bool operator>(const Wake& o) const { return at_ms > o.at_ms; }
  };
  struct ModelIndex {
    FlagTree usable;  // in the slice, enabled and not cooling down for the model
    FlagTree ready;   // usable, and no recent failure
    std::priority_queue<Wake, std::vector<Wake>, std::greater<Wake>> wakes;
  };

  static bool parse(std::string_view text, std::vector<Change>& out);
  void apply_change(const Change& c, int64_t now_ms);
  void noted(std::string_view scope, int64_t until_ms);  // keeps grounding_until_ms_
  void put(const Change& c, int64_t now_ms);
  bool wanted(const PoolKey& k) const;
  void drop(PoolKey* k, int64_t now_ms);
  void settle(int64_t now_ms, bool resliced, bool keep_unused);
  void compact(bool keep_unused);
  PoolKey* slot(int64_t id);
  PoolKey* held(int64_t id);
  void changed(const PoolKey* k, int64_t now_ms);

  bool usable(const PoolKey& k, std::string_view model, int64_t now_ms) const;
  ModelIndex& index_for(const std::string& model, int64_t now_ms);
  void refresh(ModelIndex& m, const std::string& model, size_t i, int64_t now_ms);
  void schedule(ModelIndex& m, size_t i, int64_t now_ms);
  std::optional<size_t> first_allowed(const FlagTree& t, const std::vector<int64_t>& exclude) const;
  void touched(size_t i, int64_t now_ms);

  std::vector<PoolKey> keys_;   // ascending id
  std::vector<PoolKey> added_;  // keys new in the batch being applied, ascending id
  size_t gone_ = 0;             // tombstones in keys_
  std::unordered_map<std::string, ModelIndex> models_;
  Affinity affinity_;
  Slice slice_;
  size_t total_ = 0;  // keys in the whole pool, from a T line
  int64_t version_ = 0;
  int64_t cursor_ = 0;                 // the round-robin goes on from the first key with an id >= this
  size_t turns_ = 0;                   // keys picked in turn since the slice came
  size_t slice_members_ = 0;           // keys in turn when it came
  std::array<int64_t, 8> answered_{};  // ids of the keys that answered last (0: none), a ring
  size_t answered_next_ = 0;
  int64_t grounding_until_ms_ = 0;  // the latest end of a grounding cooldown seen
};

}  // namespace bal
