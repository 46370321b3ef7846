#include "balancer/ratelimit.h"

#include <catch2/catch.hpp>
#include <string>

namespace {
constexpr int64_t kT0 = 1764000000000;
}  // namespace

TEST_CASE("a bucket allows its burst, then refuses until an event is earned back", "[ratelimit]") {
  bal::RateLimiter limiter;
  const bal::RateRule rule{3, 60'000, 0};  // 3 at once, one earned back every 20 s
  for (int i = 0; i < 3; ++i) CHECK(limiter.take("a", rule, kT0) == 0);
  CHECK(limiter.take("a", rule, kT0) == 20'000);
  CHECK(limiter.wait_ms("a", rule, kT0 + 5'000) == 15'000);
  const int64_t early = limiter.take("a", rule, kT0 + 19'000);
  CHECK((early > 0 && early <= 1'001));
  CHECK(limiter.take("a", rule, kT0 + 20'001) == 0);
  CHECK(limiter.take("a", rule, kT0 + 20'001) > 0);
  // Refusals are not counted: waiting out one interval is enough.
  CHECK(limiter.take("a", rule, kT0 + 40'002) == 0);
  // Other keys have their own buckets.
  CHECK(limiter.take("b", rule, kT0) == 0);
}

TEST_CASE("a lockout refuses for its whole length once the bucket runs dry", "[ratelimit]") {
  bal::RateLimiter limiter;
  const bal::RateRule rule{10, 60'000, 300'000};
  for (int i = 0; i < 9; ++i) {
    CHECK(limiter.take("ip", rule, kT0 + i) == 0);
    CHECK(limiter.wait_ms("ip", rule, kT0 + i) == 0);
  }
  CHECK(limiter.take("ip", rule, kT0 + 9) == 0);  // the tenth is counted, and locks
  CHECK(limiter.wait_ms("ip", rule, kT0 + 10) == 300'000 - 1);
  CHECK(limiter.wait_ms("ip", rule, kT0 + 299'000) == 1'009);
  CHECK(limiter.wait_ms("ip", rule, kT0 + 300'009) == 0);
  // By then the bucket is full again.
  for (int i = 0; i < 9; ++i) CHECK(limiter.take("ip", rule, kT0 + 300'010) == 0);
}

TEST_CASE("a steady trickle within the rate never locks", "[ratelimit]") {
  bal::RateLimiter limiter;
  const bal::RateRule rule{10, 60'000, 300'000};
  for (int i = 0; i < 100; ++i) CHECK(limiter.take("ip", rule, kT0 + i * 6'000) == 0);
  CHECK(limiter.wait_ms("ip", rule, kT0 + 100 * 6'000) == 0);
}

TEST_CASE("checking an unknown key neither counts nor stores it", "[ratelimit]") {
  bal::RateLimiter limiter;
  CHECK(limiter.wait_ms("nobody", {5, 1000, 0}, kT0) == 0);
  CHECK(limiter.size() == 0);
}

TEST_CASE("a clock that steps back earns nothing and never traps", "[ratelimit]") {
  bal::RateLimiter limiter;
  const bal::RateRule rule{1, 60'000, 0};
  CHECK(limiter.take("a", rule, kT0) == 0);
  CHECK(limiter.take("a", rule, kT0 - 3'600'000) == 60'000);
  CHECK(limiter.take("a", rule, 0) > 0);
  CHECK(limiter.take("a", rule, kT0 + 60'000) == 0);
}

TEST_CASE("the table is bounded: the least recently used bucket goes first", "[ratelimit]") {
  bal::RateLimiter limiter(3);
  const bal::RateRule rule{1, 60'000, 0};
  for (const char* k : {"a", "b", "c"}) CHECK(limiter.take(k, rule, kT0) == 0);
  CHECK(limiter.wait_ms("a", rule, kT0) > 0);  // "a" is now the most recent
  CHECK(limiter.take("d", rule, kT0) == 0);    // evicts "b"
  CHECK(limiter.size() == 3);
  CHECK(limiter.take("b", rule, kT0) == 0);  // a fresh bucket; evicts "c"
  CHECK(limiter.take("a", rule, kT0) > 0);
  CHECK(limiter.take("d", rule, kT0) > 0);
  for (int i = 0; i < 10000; ++i) limiter.take(std::to_string(i), rule, kT0);
  CHECK(limiter.size() == 3);
}

TEST_CASE("a shrunk rule caps a bucket earned under the old one", "[ratelimit]") {
  bal::RateLimiter limiter;
  CHECK(limiter.take("t", {100, 60'000, 0}, kT0) == 0);
  const bal::RateRule small{2, 60'000, 0};
  CHECK(limiter.take("t", small, kT0) == 0);
  CHECK(limiter.take("t", small, kT0) == 0);
  CHECK(limiter.take("t", small, kT0) > 0);
}

TEST_CASE("client addresses: IPv4 as is, IPv6 by /64, missing shares one bucket", "[ratelimit]") {
  CHECK(bal::address_bucket("203.0.113.7") == "203.0.113.7");
  CHECK(bal::address_bucket(" 203.0.113.7 ") == "203.0.113.7");
  CHECK(bal::address_bucket("") == "*");
  CHECK(bal::address_bucket("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64");
  CHECK(bal::address_bucket("2001:DB8:0001:0002:ffff::1") == "2001:db8:1:2::/64");
  CHECK(bal::address_bucket("2001:db8::1") == "2001:db8:0:0::/64");
  CHECK(bal::address_bucket("::1") == "0:0:0:0::/64");
  CHECK(bal::address_bucket("2001:db8:1:2::") == "2001:db8:1:2::/64");
  // Two addresses in one /64 share a bucket; another /64 does not.
  CHECK(bal::address_bucket("2001:db8:1:2::a") == bal::address_bucket("2001:db8:1:2:ffff:ffff:ffff:ffff"));
  CHECK(bal::address_bucket("2001:db8:1:3::a") != bal::address_bucket("2001:db8:1:2::a"));
  // Not an address: kept, but bounded.
  CHECK(bal::address_bucket("1:2:3") == "1:2:3");
  CHECK(bal::address_bucket("a::b::c") == "a::b::c");
  CHECK(bal::address_bucket(std::string(500, 'x')).size() == 64);
}
