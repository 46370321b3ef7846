#include "balancer/session.h"

#include <charconv>

#include "balancer/auth.h"

namespace bal {
namespace {

std::string mac(std::string_view key, std::string_view id, std::string_view expiry) {
  return to_hex(hmac_sha256(key, "session:" + std::string(id) + "." + std::string(expiry)));
}

}  // namespace

std::string session_key(std::string_view admin_token) {
  if (admin_token.empty()) return {};
  return to_hex(hmac_sha256(admin_token, "bal-admin-session-key-v1"));
}

bool is_session_id(std::string_view id) {
  if (id.size() != 32) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string session_cookie_value(std::string_view key, std::string_view id, int64_t expires_ms) {
  const std::string expiry = std::to_string(expires_ms);
  return std::string(id) + "." + expiry + "." + mac(key, id, expiry);
}

std::optional<std::string> session_id(std::string_view key, std::string_view value, int64_t now_ms) {
  if (key.empty()) return std::nullopt;
  const size_t first = value.find('.');
  const size_t second = first == std::string_view::npos ? first : value.find('.', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  const std::string_view id = value.substr(0, first);
  const std::string_view expiry = value.substr(first + 1, second - first - 1);
  if (!is_session_id(id)) return std::nullopt;
  int64_t expires = 0;
  const auto r = std::from_chars(expiry.data(), expiry.data() + expiry.size(), expires);
  if (r.ec != std::errc() || r.ptr != expiry.data() + expiry.size()) return std::nullopt;
  if (expires <= now_ms || expires > now_ms + kSessionLifetimeMs) return std::nullopt;
  const std::string expected = session_cookie_value(key, id, expires);
  if (!digest_equal(sha256(expected), sha256(value))) return std::nullopt;
  return std::string(id);
}

}  // namespace bal
