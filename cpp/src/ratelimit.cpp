#include "balancer/ratelimit.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "balancer/ascii.h"

namespace bal {

RateLimiter::Bucket& RateLimiter::touch(std::string_view key, const RateRule& rule, int64_t now_ms) {
  auto it = entries_.find(std::string(key));
  if (it == entries_.end()) {
    if (entries_.size() >= capacity_) {
      entries_.erase(order_.back());
      order_.pop_back();
    }
    order_.emplace_front(key);
    Bucket fresh;
    fresh.tokens = rule.burst;
    fresh.updated_ms = now_ms;
    fresh.order = order_.begin();
    it = entries_.emplace(std::string(key), fresh).first;
    return it->second;
  }
  Bucket& b = it->second;
  order_.splice(order_.begin(), order_, b.order);
  // A clock that steps back (another isolate's time, a test) earns nothing.
  if (now_ms > b.updated_ms && rule.window_ms > 0) {
    const double earned = static_cast<double>(now_ms - b.updated_ms) * rule.burst / static_cast<double>(rule.window_ms);
    b.tokens = std::min(rule.burst, b.tokens + earned);
    b.updated_ms = now_ms;
  }
  b.tokens = std::min(b.tokens, rule.burst);  // the rule may have shrunk since
  return b;
}

int64_t RateLimiter::wait_of(const Bucket& b, const RateRule& rule, int64_t now_ms) {
  int64_t wait = b.blocked_until_ms > now_ms ? b.blocked_until_ms - now_ms : 0;
  if (b.tokens < 1 && rule.burst > 0 && rule.window_ms > 0) {
    const double per_token_ms = static_cast<double>(rule.window_ms) / rule.burst;
    wait = std::max(wait, static_cast<int64_t>(std::ceil((1 - b.tokens) * per_token_ms)));
  }
  return wait;
}

int64_t RateLimiter::wait_ms(std::string_view key, const RateRule& rule, int64_t now_ms) {
  if (entries_.find(std::string(key)) == entries_.end()) return rule.burst >= 1 ? 0 : rule.window_ms;
  return wait_of(touch(key, rule, now_ms), rule, now_ms);
}

int64_t RateLimiter::take(std::string_view key, const RateRule& rule, int64_t now_ms) {
  Bucket& b = touch(key, rule, now_ms);
  if (const int64_t wait = wait_of(b, rule, now_ms); wait > 0) return wait;
  b.tokens -= 1;
  if (b.tokens < 1 && rule.lockout_ms > 0) b.blocked_until_ms = now_ms + rule.lockout_ms;
  return 0;
}

namespace {

using ascii::lower;

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (lower(c) >= 'a' && lower(c) <= 'f');
}

// Splits "a:b:c" into groups; false when a group is not 1-4 hex digits.
bool split_groups(std::string_view s, std::vector<std::string>& out) {
  if (s.empty()) return true;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(':', start);
    if (end == std::string_view::npos) end = s.size();
    const std::string_view g = s.substr(start, end - start);
    if (g.empty() || g.size() > 4 || !std::all_of(g.begin(), g.end(), is_hex)) return false;
    std::string norm;
    for (char c : g.substr(std::min(g.find_first_not_of('0'), g.size() - 1))) norm.push_back(lower(c));
    out.push_back(norm);
    start = end + 1;
  }
  return true;
}

// "2001:DB8:0:0:1::7" -> "2001:db8:0:0::/64"; "" when `s` is not an IPv6 address this reads.
std::string ipv6_prefix64(std::string_view s) {
  std::vector<std::string> head, tail;
  const size_t gap = s.find("::");
  if (gap == std::string_view::npos) {
    if (!split_groups(s, head) || head.size() != 8) return {};
  } else {
    if (s.find("::", gap + 1) != std::string_view::npos) return {};
    if (!split_groups(s.substr(0, gap), head) || !split_groups(s.substr(gap + 2), tail)) return {};
    if (head.size() + tail.size() > 7) return {};
    head.resize(8 - tail.size(), "0");
    head.insert(head.end(), tail.begin(), tail.end());
  }
  return head[0] + ":" + head[1] + ":" + head[2] + ":" + head[3] + "::/64";
}

}  // namespace

std::string address_bucket(std::string_view address) {
  while (!address.empty() && address.front() == ' ') address.remove_prefix(1);
  while (!address.empty() && address.back() == ' ') address.remove_suffix(1);
  if (address.empty()) return "*";
  if (address.find(':') != std::string_view::npos && address.find('.') == std::string_view::npos) {
    std::string prefix = ipv6_prefix64(address);
    if (!prefix.empty()) return prefix;
  }
  // IPv4, or something unexpected: a bounded name of its own.
  return std::string(address.substr(0, 64));
}

}  // namespace bal
