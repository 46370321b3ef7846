// An isolate that applies every change since its snapshot must hold and pick exactly as one
// that loads the newest snapshot. The KeyPool object is modelled here the way
// worker-shim/key-pool.mjs logs its changes: a K or C line is sent only to isolates whose
// slice holds the key (unless an affinity names it), every other line to all.
#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "balancer/pool.h"

namespace {

constexpr int64_t kStart = 1764000000000;
const char* const kModels[] = {"m1", "m2"};
const char* const kResources[] = {"files/a", "files/b", "cachedContents/c", "files/d", "files/e"};

struct Rng {
  uint64_t s;
  uint64_t next() {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return s >> 33;
  }
  int64_t below(uint64_t n) { return static_cast<int64_t>(next() % n); }
};

std::string key_for(int64_t id) {
  std::string k = "AIzaSy" + std::to_string(id);
  k.resize(39, 'q');
  return k;
}

// The object's store and its change log.
struct Object {
  struct Key {
    bool disabled = false;
  };
  struct Entry {
    int64_t version;
    int64_t slice_id;  // the key a K or C line is about; 0 for lines every isolate gets
    std::string lines;
  };
  std::map<int64_t, Key> keys;
  std::map<std::pair<int64_t, std::string>, int64_t> cooldowns;
  std::map<std::string, int64_t> affinity;
  std::vector<Entry> log;
  int64_t version = 1;
  int64_t next_id = 1;
  int64_t now = kStart;

  bool named(int64_t id) const {
    for (const auto& [r, owner] : affinity) {
      if (owner == id) return true;
    }
    return false;
  }
  std::string state(int64_t id) const { return keys.at(id).disabled ? "d" : "a"; }
  std::string cooldown_lines(int64_t id) const {
    std::string out;
    for (const auto& [k, until] : cooldowns) {
      if (k.first == id && until > now)
        out += "C " + std::to_string(id) + " " + k.second + " " + std::to_string(until) + "\n";
    }
    return out;
  }
  void append(int64_t id, std::string lines) {
    log.push_back({++version, id != 0 && !named(id) ? id : 0, std::move(lines)});
  }
  std::string total() const { return "T " + std::to_string(keys.size()) + "\n"; }
  int64_t any_key(Rng& rng) const {
    auto it = keys.begin();
    std::advance(it, rng.below(keys.size()));
    return it->first;
  }

  void step(Rng& rng) {
    now += rng.below(4000);
    const int64_t id = keys.empty() ? 0 : any_key(rng);
    switch (keys.empty() ? 0 : rng.below(10)) {
      case 0: {
        const int64_t n = 1 + rng.below(4);
        for (int64_t i = 0; i < n; ++i) {
          const int64_t fresh = next_id++;
          keys[fresh] = {};
          append(fresh, "K " + std::to_string(fresh) + " " + key_for(fresh) + " a\n");
        }
        append(0, total());
        break;
      }
      case 1: {
        std::string lines = "R " + std::to_string(id) + "\n";
        for (auto it = affinity.begin(); it != affinity.end();) {
          if (it->second == id) {
            lines += "F " + it->first + "\n";
            it = affinity.erase(it);
          } else {
            ++it;
          }
        }
        keys.erase(id);
        std::erase_if(cooldowns, [&](const auto& c) { return c.first.first == id; });
        append(0, lines + total());
        break;
      }
      case 2:
        if (!keys[id].disabled) {
          keys[id].disabled = true;
          append(0, "D " + std::to_string(id) + "\n");
        }
        break;
      case 3:  // enabled by hand: its cooldowns go
        if (keys[id].disabled) {
          keys[id].disabled = false;
          std::erase_if(cooldowns, [&](const auto& c) { return c.first.first == id; });
          append(id, "K " + std::to_string(id) + " " + key_for(id) + " a\n");
        }
        break;
      case 4:  // revived by a check: its cooldowns stay
        if (keys[id].disabled) {
          keys[id].disabled = false;
          append(id, "K " + std::to_string(id) + " " + key_for(id) + " a\n" + cooldown_lines(id));
        }
        break;
      case 5:
      case 6:
      case 7: {
        const std::string scope = rng.below(4) == 0 ? "*" : kModels[rng.below(2)];
        int64_t& until = cooldowns[{id, scope}];
        until = std::max(until, now - 1000 + rng.below(90000));
        append(id, "C " + std::to_string(id) + " " + scope + " " + std::to_string(until) + "\n");
        break;
      }
      case 8: {
        const std::string r = kResources[rng.below(std::size(kResources))];
        affinity[r] = id;
        append(0, "P " + std::to_string(id) + " " + key_for(id) + " " + state(id) + "\n" + cooldown_lines(id) + "A " +
                      std::to_string(id) + " " + r + "\n");
        break;
      }
      default: {
        const std::string r = kResources[rng.below(std::size(kResources))];
        if (affinity.erase(r) > 0) append(0, "F " + r + "\n");
        break;
      }
    }
  }

  // What an isolate at `since` with `slice` is sent.
  std::string changes(int64_t since, const bal::Slice& slice) const {
    std::string out;
    for (const Entry& e : log) {
      if (e.version > since && (e.slice_id == 0 || slice.contains(e.slice_id))) out += e.lines;
    }
    return out;
  }

  std::string range(const bal::Slice& slice) const {
    std::string out = "W " + std::to_string(slice.lo) + " " + std::to_string(slice.hi) + "\n";
    for (const auto& [id, k] : keys) {
      if (slice.contains(id) && !k.disabled)
        out += "K " + std::to_string(id) + " " + key_for(id) + " a\n" + cooldown_lines(id);
    }
    return out;
  }

  std::string snapshot(const bal::Slice& slice) const {
    std::string out = total() + range(slice);
    std::set<int64_t> owners;
    for (const auto& [r, id] : affinity) owners.insert(id);
    for (int64_t id : owners)
      out += "P " + std::to_string(id) + " " + key_for(id) + " " + state(id) + "\n" + cooldown_lines(id);
    for (const auto& [r, id] : affinity) out += "A " + std::to_string(id) + " " + r + "\n";
    return out;
  }
};

// Everything about the pool that decides what a request gets.
std::string observable(bal::Pool& pool, const Object& o) {
  std::string out;
  for (int64_t id = 1; id < o.next_id; ++id) {
    const bal::PoolKey* k = pool.find(id);
    if (k == nullptr) continue;
    out += std::to_string(id) + (k->member ? " member" : " pinned") + (k->disabled ? " disabled" : "") + " " + k->key;
    for (const char* m : kModels) out += pool.eligible(*k, m, o.now) ? std::string(" ") + m : "";
    out += "\n";
  }
  for (const char* r : kResources) {
    const auto id = pool.affinity().key_for(std::string("/v1beta/") + r, "");
    out += std::string(r) + " -> " + (id ? std::to_string(*id) : "none") + "\n";
  }
  out += "total " + std::to_string(pool.status("m1", o.now).total) + "\n";
  for (const char* m : kModels) {
    pool.reseed(99);
    out += m;
    for (int i = 0; i < 12; ++i) {
      const auto pick = pool.select(m, o.now, {});
      out += " " + (pick ? std::to_string(pool.at(*pick).id) : "-");
    }
    out += "\n";
  }
  return out;
}

void run(uint64_t seed, bal::Slice slice) {
  Rng rng{seed};
  Object o;
  for (int i = 0; i < 40; ++i) o.step(rng);
  bal::Pool isolate;
  REQUIRE(isolate.load(o.snapshot(slice), seed, o.version));
  for (int round = 0; round < 60; ++round) {
    const int64_t from = o.version;
    const int64_t steps = 1 + rng.below(12);
    for (int64_t i = 0; i < steps; ++i) o.step(rng);
    REQUIRE(isolate.update(o.changes(from, slice), from, o.version, o.now));
    bal::Pool fresh;
    REQUIRE(fresh.load(o.snapshot(slice), seed + 1, o.version));
    INFO("seed " << seed << ", round " << round << "\n" << o.snapshot(slice));
    REQUIRE(observable(isolate, o) == observable(fresh, o));
  }
}

}  // namespace

TEST_CASE("applying changes gives the pool a fresh snapshot gives, under random changes", "[pool][changes]") {
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    DYNAMIC_SECTION("seed " << seed) {
      run(seed, {0, 0});          // every key
      run(seed + 1000, {8, 30});  // a slice in the middle
      run(seed + 2000, {25, 6});  // a slice that wraps round
    }
  }
}

TEST_CASE("a new slice in a change batch gives the pool a snapshot of that slice gives", "[pool][changes]") {
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    Rng rng{seed};
    Object o;
    for (int i = 0; i < 80; ++i) o.step(rng);
    const bal::Slice old_slice{1, 20};
    bal::Pool isolate;
    REQUIRE(isolate.load(o.snapshot(old_slice), seed, o.version));
    const int64_t from = o.version;
    for (int i = 0; i < 20; ++i) o.step(rng);
    const bal::Slice next{20 + rng.below(10), 40 + rng.below(30)};
    REQUIRE(isolate.update(o.changes(from, next) + o.range(next), from, o.version, o.now));
    bal::Pool fresh;
    REQUIRE(fresh.load(o.snapshot(next), seed, o.version));
    INFO("seed " << seed);
    CHECK(observable(isolate, o) == observable(fresh, o));
    for (int64_t id = 1; id < o.next_id; ++id) {
      if (const bal::PoolKey* k = isolate.find(id); k != nullptr && !next.contains(id)) CHECK(o.named(id));
    }
  }
}

TEST_CASE("keys come to an empty pool whose model indexes were already built", "[pool][changes]") {
  bal::Pool pool;
  REQUIRE(pool.load("", 0, 1));
  CHECK_FALSE(pool.select("m", kStart, {}));
  REQUIRE(pool.update("K 1 " + key_for(1) + " a\nK 2 " + key_for(2) + " a\n", 1, 2, kStart));
  REQUIRE(pool.select("m", kStart, {}));
  REQUIRE(pool.update("K 3 " + key_for(3) + " a\n", 2, 3, kStart));  // joins at the end, indexes grow
  std::set<int64_t> ids;
  for (int i = 0; i < 3; ++i) ids.insert(pool.at(*pool.select("m", kStart, {})).id);
  CHECK(ids == std::set<int64_t>{1, 2, 3});
}

// A grounding cooldown the Durable Object sends (another isolate's) counts as one this
// isolate applied: native bodies are read for grounding tools from then on, until it ends.
TEST_CASE("a grounding cooldown from a change line holds for grounded picks only", "[pool][changes]") {
  bal::Pool pool;
  REQUIRE(pool.load("K 1 " + key_for(1) + " a\n", 0, 1));
  CHECK_FALSE(pool.grounding_cooling(kStart));
  const int64_t until = kStart + 60'000;
  REQUIRE(pool.update("C 1 m+grounding " + std::to_string(until) + "\n", 1, 2, kStart));
  CHECK(pool.grounding_cooling(kStart));
  CHECK_FALSE(pool.grounding_cooling(until));
  CHECK(pool.select("m", kStart, {}));
  CHECK_FALSE(pool.select("m+grounding", kStart, {}));
  CHECK(pool.select("m+grounding", until, {}));
}

TEST_CASE("changes from another version or with a malformed line are refused whole", "[pool][changes]") {
  bal::Pool pool;
  REQUIRE(pool.load("K 1 " + key_for(1) + " a\n", 0, 5));
  CHECK_FALSE(pool.update("K 2 " + key_for(2) + " a\n", 4, 6, kStart));
  CHECK_FALSE(pool.update("K 2 " + key_for(2) + " a\nC 2 m\n", 5, 6, kStart));
  CHECK(pool.version() == 5);
  CHECK(pool.size() == 1);
  REQUIRE(pool.update("K 2 " + key_for(2) + " a\nD 1\n", 5, 6, kStart));
  CHECK(pool.version() == 6);
  CHECK(pool.size() == 1);
  CHECK(pool.find(2) != nullptr);
}

TEST_CASE("a key the pool keeps for an affinity is preferred but never picked in turn", "[pool][changes]") {
  bal::Pool pool;
  REQUIRE(pool.load(
      "W 1 3\nK 1 " + key_for(1) + " a\nK 2 " + key_for(2) + " a\nP 9 " + key_for(9) + " a\nA 9 files/x\n", 0, 1));
  CHECK(pool.members() == 2);
  CHECK(pool.size() == 3);
  for (int i = 0; i < 6; ++i) CHECK(pool.at(*pool.select("m", kStart, {})).id != 9);
  CHECK(pool.at(*pool.select("m", kStart, {}, 9)).id == 9);
  REQUIRE(pool.update("F files/x\n", 1, 2, kStart));
  CHECK(pool.find(9) == nullptr);
}

TEST_CASE("keys a new slice leaves before this isolate used them are picked once, then let go", "[pool][changes]") {
  std::string first = "W 1 9\n";
  for (int id = 1; id <= 8; ++id) first += "K " + std::to_string(id) + " " + key_for(id) + " a\n";
  bal::Pool pool;
  REQUIRE(pool.load(first, 0, 1));
  std::set<int64_t> used;
  for (int i = 0; i < 3; ++i) used.insert(pool.at(*pool.select("m", kStart, {})).id);
  std::string next = "W 9 13\n";
  for (int id = 9; id <= 12; ++id) next += "K " + std::to_string(id) + " " + key_for(id) + " a\n";
  REQUIRE(pool.update(next, 1, 2, kStart, true));
  CHECK(pool.members() == 9);  // five left unused, four new
  std::map<int64_t, int> picks;
  for (int i = 0; i < 9; ++i) ++picks[pool.at(*pool.select("m", kStart, {})).id];
  CHECK(picks.size() == 9);
  for (int64_t id : used) CHECK(picks.count(id) == 0);
  CHECK(pool.members() == 4);
  for (int i = 0; i < 8; ++i) CHECK(pool.at(*pool.select("m", kStart, {})).id >= 9);
  REQUIRE(pool.update("W 20 30\n", 2, 3, kStart, false));
  CHECK(pool.size() == 0);
}

TEST_CASE("an isolate going through slice after slice picks each key soon after it comes, whatever its seed",
          "[pool][changes]") {
  // The object hands out slices of kSlice keys in turn; the isolate asks for the next one
  // once it is halfway through (as the machine does) and keeps the keys it has not used.
  constexpr int64_t kSlice = 8;
  constexpr int64_t kKeys = 400;
  const auto slice = [](int64_t lo) {
    std::string lines = "W " + std::to_string(lo) + " " + std::to_string(lo + kSlice) + "\n";
    for (int64_t id = lo; id < lo + kSlice; ++id) lines += "K " + std::to_string(id) + " " + key_for(id) + " a\n";
    return lines;
  };
  for (uint64_t seed = 0; seed < 2 * kSlice; ++seed) {
    DYNAMIC_SECTION("seed " << seed) {
      bal::Pool pool;
      REQUIRE(pool.load(slice(1), seed, 1));
      std::map<int64_t, int64_t> came;  // key id -> the turn its slice came at
      std::map<int64_t, int64_t> lag;   // key id -> turns from then to its first pick
      for (int64_t id = 1; id <= kSlice; ++id) came[id] = 0;
      int64_t next = 1 + kSlice;
      for (int64_t turn = 0; turn < kKeys + 3 * kSlice; ++turn) {
        const int64_t id = pool.at(*pool.select("m", kStart, {})).id;
        lag.try_emplace(id, turn - came.at(id));
        if (pool.halfway() && next <= kKeys) {
          REQUIRE(pool.update(slice(next), pool.version(), pool.version() + 1, kStart, true));
          for (int64_t k = next; k < next + kSlice; ++k) came[k] = turn + 1;
          next += kSlice;
        }
      }
      for (int64_t id = 1; id <= kKeys; ++id) {
        INFO("key " << id);
        REQUIRE(lag.count(id) == 1);
        // Ahead of a key are at most the rest of the slice before it and its own slice.
        CHECK(lag.at(id) < 3 * kSlice);
      }
    }
  }
}

TEST_CASE("a slice starts at its first key; a snapshot of the slice held goes on where it was", "[pool][changes]") {
  const auto slice = [](int64_t lo, int64_t hi) {
    std::string lines = "W " + std::to_string(lo) + " " + std::to_string(hi) + "\n";
    for (int64_t id = lo; id < hi; ++id) lines += "K " + std::to_string(id) + " " + key_for(id) + " a\n";
    return lines;
  };
  for (uint64_t seed = 0; seed < 8; ++seed) {
    INFO("seed " << seed);
    bal::Pool pool;
    REQUIRE(pool.load(slice(11, 19), seed, 1));
    for (int64_t id = 11; id < 14; ++id) CHECK(pool.at(*pool.select("m", kStart, {})).id == id);
    REQUIRE(pool.load(slice(11, 19), seed + 1, 2));
    CHECK(pool.at(*pool.select("m", kStart, {})).id == 14);
    REQUIRE(pool.load(slice(31, 39), seed + 2, 3));
    CHECK(pool.at(*pool.select("m", kStart, {})).id == 31);
  }
  // Holding every key, isolates start at different keys.
  std::set<int64_t> firsts;
  for (uint64_t seed = 0; seed < 8; ++seed) {
    bal::Pool pool;
    REQUIRE(pool.load(slice(11, 19).substr(std::string("W 11 19\n").size()), seed, 1));
    firsts.insert(pool.at(*pool.select("m", kStart, {})).id);
  }
  CHECK(firsts.size() == 8);
}
