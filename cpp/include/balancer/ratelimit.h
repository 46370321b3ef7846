// ratelimit.h — small in-memory rate limiters: token buckets in a bounded LRU table.
//
// The core has no clock: every call takes `now_ms` from the request. Each Worker isolate keeps
// its own tables (see abi.cpp), so limits hold per isolate: a client whose requests land on
// several isolates gets a budget in each. That stops one client hammering an endpoint; it is
// not a defence against a distributed attack.
//
//   bal::RateLimiter failures;
//   const bal::RateRule rule{10, 60'000, 300'000};   // 10 at once, 10 a minute, then 5 min off
//   if (int64_t wait = failures.wait_ms(address, rule, now)) return too_many(wait);
//   if (!token_ok) failures.take(address, rule, now);
#pragma once

#include <cstdint>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>

namespace bal {

struct RateRule {
  double burst = 0;        // events allowed at once (the bucket's size)
  int64_t window_ms = 0;   // time to earn `burst` events back
  int64_t lockout_ms = 0;  // once the bucket runs dry, refuse for this long; 0: until one event is earned
};

class RateLimiter {
 public:
  static constexpr size_t kDefaultCapacity = 4096;

  RateLimiter() : RateLimiter(kDefaultCapacity) {}
  explicit RateLimiter(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

  // Milliseconds until `key` may go on (0: it may now). Counts nothing.
  int64_t wait_ms(std::string_view key, const RateRule& rule, int64_t now_ms);

  // Counts one event for `key`. Returns 0 when it was within the budget; otherwise the event
  // is refused (and not counted) and the result is the milliseconds to wait.
  int64_t take(std::string_view key, const RateRule& rule, int64_t now_ms);

  size_t size() const { return entries_.size(); }

 private:
  struct Bucket {
    double tokens = 0;
    int64_t updated_ms = 0;
    int64_t blocked_until_ms = 0;
    std::list<std::string>::iterator order;
  };

  Bucket& touch(std::string_view key, const RateRule& rule, int64_t now_ms);
  static int64_t wait_of(const Bucket& b, const RateRule& rule, int64_t now_ms);

  size_t capacity_;
  std::list<std::string> order_;  // most recently used first
  std::unordered_map<std::string, Bucket> entries_;
};

// The bucket name for a client address (the cf-connecting-ip header): an IPv4 address as it
// is, an IPv6 address cut to its /64 (one subscriber usually holds a whole /64, so per-address
// buckets would be free to multiply), and "*" (one shared bucket) when the address is missing.
std::string address_bucket(std::string_view address);

}  // namespace bal
