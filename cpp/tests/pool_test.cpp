#include "balancer/pool.h"

#include <catch2/catch.hpp>
#include <map>
#include <string>

namespace {

constexpr int64_t kNow = 1764000000000;

std::string key_for(int i) {
  std::string k = "AIzaSy" + std::to_string(i);
  k.resize(39, 'k');
  return k;
}

std::string snapshot(int n, const std::string& extra = "") {
  std::string s;
  for (int i = 1; i <= n; ++i) s += "K " + std::to_string(i) + " " + key_for(i) + " a\n";
  return s + extra;
}

}  // namespace

TEST_CASE("snapshots load, and malformed ones are refused whole", "[pool]") {
  bal::Pool pool;
  REQUIRE(pool.load(snapshot(3, "K 4 " + key_for(4) + " d\nC 2 gemini-2.5-flash 1764000060000\n"), 7));
  CHECK(pool.size() == 3);  // a disabled key is of no use to the isolate
  CHECK(pool.find(4) == nullptr);
  REQUIRE(pool.find(2)->cooldowns.size() == 1);
  CHECK(pool.find(2)->cooldowns[0].until_ms == 1764000060000);

  CHECK_FALSE(pool.load("K x AIza a\n", 1));
  CHECK_FALSE(pool.load("K 1 AIza z\n", 1));
  CHECK_FALSE(pool.load("C 9 m 5x\n", 1));
  CHECK_FALSE(pool.load("K 1 AIza a extra\n", 1));
  CHECK_FALSE(pool.load("Q 1 2 3\n", 1));
  CHECK(pool.size() == 3);  // unchanged
  CHECK(pool.load("", 1));
  CHECK(pool.size() == 0);
}

TEST_CASE("selection spreads evenly over eligible keys", "[pool]") {
  bal::Pool pool;
  REQUIRE(pool.load(snapshot(10), 12345));
  std::map<int64_t, int> counts;
  for (int i = 0; i < 10000; ++i) {
    auto pick = pool.select("gemini-2.5-flash", kNow, {});
    REQUIRE(pick);
    ++counts[pool.at(*pick).id];
  }
  REQUIRE(counts.size() == 10);
  for (const auto& [id, n] : counts) CHECK(n == 1000);
}

TEST_CASE("different seeds start at different keys", "[pool]") {
  std::map<int64_t, int> firsts;
  for (uint64_t seed = 0; seed < 50; ++seed) {
    bal::Pool pool;
    REQUIRE(pool.load(snapshot(5), seed * 2654435761u));
    ++firsts[pool.at(*pool.select("m", kNow, {})).id];
  }
  CHECK(firsts.size() == 5);
}

TEST_CASE("selection skips disabled, cooling and already-tried keys", "[pool]") {
  bal::Pool pool;
  REQUIRE(pool.load(snapshot(2, "K 3 " + key_for(3) + " d\nK 4 " + key_for(4) +
                                    " a\nC 4 gemini-2.5-flash 1764000060000\nC 2 * 1764000060000\n"),
                    0));
  for (int i = 0; i < 20; ++i) CHECK(pool.at(*pool.select("gemini-2.5-flash", kNow, {})).id == 1);
  // Key 4 cools down only for gemini-2.5-flash.
  std::map<int64_t, int> other;
  for (int i = 0; i < 20; ++i) ++other[pool.at(*pool.select("gemini-2.5-pro", kNow, {})).id];
  CHECK(other == std::map<int64_t, int>{{1, 10}, {4, 10}});
  CHECK_FALSE(pool.select("gemini-2.5-flash", kNow, {1}));
  // Cooldowns end by themselves.
  CHECK(pool.select("gemini-2.5-flash", 1764000060000, {1}));
}

TEST_CASE("verdicts apply to the snapshot at once", "[pool]") {
  bal::Pool pool;
  REQUIRE(pool.load(snapshot(3), 0));
  pool.apply(1, bal::KeyAction::disable, "m", false, 0, kNow);
  pool.apply(2, bal::KeyAction::cooldown, "m", false, kNow + 5000, kNow);
  for (int i = 0; i < 5; ++i) CHECK(pool.at(*pool.select("m", kNow, {})).id == 3);
  auto status = pool.status("m", kNow);
  CHECK(status.active == 1);
  CHECK(status.cooling == 1);
  CHECK(status.disabled == 1);
  CHECK(status.earliest_until_ms == kNow + 5000);
  pool.apply(3, bal::KeyAction::cooldown, "x", true, kNow + 9000, kNow);
  CHECK_FALSE(pool.select("m", kNow, {}));
  status = pool.status("m", kNow);
  CHECK(status.active == 0);
  CHECK(status.earliest_until_ms == kNow + 5000);
  pool.apply(99, bal::KeyAction::disable, "m", false, 0, kNow);  // unknown ids are ignored
}

TEST_CASE("keys that failed recently are used only when nothing else is left", "[pool]") {
  bal::Pool pool;
  REQUIRE(pool.load(snapshot(3), 0));
  pool.apply(1, bal::KeyAction::cooldown, "m", false, kNow + 1000, kNow);
  const int64_t later = kNow + 2000;  // key 1's cooldown is over but its failure is recent
  for (int i = 0; i < 6; ++i) CHECK(pool.at(*pool.select("m", later, {})).id != 1);
  CHECK(pool.at(*pool.select("m", later, {2, 3})).id == 1);
  CHECK(pool.select("m", kNow + bal::Pool::kRecentFailureMs + 1000, {2, 3}));
}

TEST_CASE("a retry goes first to the key that answered last, not on in turn", "[pool]") {
  bal::Pool pool;
  REQUIRE(pool.load(snapshot(12), 0));
  // Keys 1 and 2 answered; 3 to 12 were added together and fail together.
  pool.answered(1);
  pool.answered(2);
  std::vector<int64_t> tried = {5};
  pool.apply(5, bal::KeyAction::disable, "m", false, 0, kNow);
  CHECK(pool.at(*pool.select("m", kNow, tried)).id == 2);
  // Not one that cannot be used now, nor one the request has tried.
  pool.apply(2, bal::KeyAction::cooldown, "m", false, kNow + 60000, kNow);
  CHECK(pool.at(*pool.select("m", kNow, tried)).id == 1);
  tried.push_back(1);
  const int64_t next = pool.at(*pool.select("m", kNow, tried)).id;
  CHECK(next != 1);
  CHECK(next != 2);
  CHECK(next != 5);
  // A first attempt still goes in turn.
  std::map<int64_t, int> first;
  for (int i = 0; i < 9; ++i) ++first[pool.at(*pool.select("m", kNow, {})).id];
  CHECK(first.size() == 9);
}

TEST_CASE("a refreshed snapshot keeps what the isolate learnt about failures", "[pool]") {
  bal::Pool pool;
  REQUIRE(pool.load(snapshot(2), 0));
  pool.apply(1, bal::KeyAction::cooldown, "m", false, kNow + 1000, kNow);
  REQUIRE(pool.load(snapshot(2), 0));
  CHECK(pool.find(1)->failed_at_ms == kNow);
}

TEST_CASE("flag trees find the next set flag with wrap-around", "[pool]") {
  bal::FlagTree t(10);
  CHECK(t.next_from(0) == 10);
  t.set(3, true);
  t.set(7, true);
  t.set(7, true);
  CHECK(t.count() == 2);
  CHECK(t.next_from(0) == 3);
  CHECK(t.next_from(3) == 3);
  CHECK(t.next_from(4) == 7);
  CHECK(t.next_from(8) == 3);
  CHECK(t.next_from(10) == 3);
  t.set(3, false);
  CHECK(t.next_from(0) == 7);
  CHECK(t.count_before(8) == 1);
}

TEST_CASE("indexed selection agrees with a plain scan under random verdicts", "[pool]") {
  constexpr int kKeys = 200;
  bal::Pool pool;
  REQUIRE(pool.load(snapshot(kKeys), 99));
  uint64_t rng = 12345;
  auto next = [&rng]() {
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return rng >> 33;
  };
  const char* models[] = {"a", "b", "c"};
  int64_t now = kNow;
  for (int step = 0; step < 5000; ++step) {
    now += static_cast<int64_t>(next() % 3000);
    const char* model = models[next() % 3];
    const int64_t id = static_cast<int64_t>(next() % kKeys) + 1;
    switch (next() % 8) {
      case 0:
        pool.apply(id, bal::KeyAction::cooldown, model, false, now + static_cast<int64_t>(next() % 120000), now);
        break;
      case 1:
        pool.apply(id, bal::KeyAction::cooldown, model, true, now + static_cast<int64_t>(next() % 60000), now);
        break;
      case 2:
        if (next() % 10 == 0) pool.apply(id, bal::KeyAction::disable, model, false, 0, now);
        break;
      default:
        break;
    }
    const auto pick = pool.select(model, now, {});
    const auto status = pool.status(model, now);
    if (!pick) {
      CHECK(status.active == 0);
      continue;
    }
    const bal::PoolKey& k = pool.at(*pick);
    REQUIRE(pool.eligible(k, model, now));
    // A key with a recent failure is only picked when every usable key has one.
    if (bal::Pool::recently_failed(k, now)) {
      for (size_t i = 0; i < pool.size(); ++i) {
        if (pool.eligible(pool.at(i), model, now)) CHECK(bal::Pool::recently_failed(pool.at(i), now));
      }
    }
  }
}

TEST_CASE("a pool of 10000 keys with one usable key still picks it at once", "[pool]") {
  bal::Pool pool;
  std::string extra;
  for (int i = 1; i <= 9999; ++i) extra += "C " + std::to_string(i) + " m 1764000600000\n";
  REQUIRE(pool.load(snapshot(10000, extra), 5));
  for (int i = 0; i < 1000; ++i) {
    auto pick = pool.select("m", kNow, {});
    REQUIRE(pick);
    CHECK(pool.at(*pick).id == 10000);
  }
  CHECK(pool.at(*pool.select("m", 1764000600000, {10000})).id != 10000);
}
