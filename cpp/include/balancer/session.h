// session.h — the admin UI's sessions: signed cookies whose sessions the key pool can end.
//
// Logging in exchanges ADMIN_TOKEN for a cookie "<id>.<expiry>.<mac>". The id is random (the
// shim passes it in), the MAC is HMAC-SHA256 under a key derived from ADMIN_TOKEN, never the
// token itself, so a cookie proves nothing about the token and changing the token ends every
// session. The core checks the MAC and the expiry; the Durable Object keeps the ids of live
// sessions, so logging out ends the session everywhere at once, not when the cookie expires.
//
//   const std::string key = bal::session_key("admin-token");
//   const std::string v = bal::session_cookie_value(key, id, now + bal::kSessionLifetimeMs);
//   bal::session_id(key, v, now) == id
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bal {

inline constexpr std::string_view kSessionCookie = "bal_session";
inline constexpr int64_t kSessionLifetimeMs = 12ll * 3600 * 1000;

// The MAC key for session cookies, derived from ADMIN_TOKEN ("" when it is unset).
std::string session_key(std::string_view admin_token);

// True for what a session id looks like: 32 lower-case hex digits (128 random bits).
bool is_session_id(std::string_view id);

std::string session_cookie_value(std::string_view key, std::string_view id, int64_t expires_ms);

// The id of a cookie value signed with `key` that is live at `now_ms` (not expired, not
// valid for longer than a session lasts); nullopt for anything else.
std::optional<std::string> session_id(std::string_view key, std::string_view value, int64_t now_ms);

}  // namespace bal
