// router.h — from an HTTP request to a Plan (plan.h): which route family, whether the caller
// may use it, and what to do.
//
// Routing runs in two steps so that bodies the core does not need never cross into Wasm:
// a first call carries only the request line and headers ("body_included": false). For a
// route whose decision needs the body (OpenAI translation, admin writes) the plan is
// {"action": "need_body", "max_bytes": N}; the shim reads at most N bytes and routes again
// with the body. A native passthrough plan says "forward_body": true instead: the shim
// sends the client's bytes upstream untouched. A body past max_bytes, or one that cannot be
// read, is routed again with "body_too_large" or "body_unreadable" and answered in the
// route family's format.
//
// Each route caps its body before anything is read (the login a few KB, the admin API a few
// MB, the proxy routes MAX_BODY_BYTES), and every plan the first call returns carries
// "body_timeout_ms": how long the shim may wait for the whole body, whether it reads it or
// only drains it before answering. A body that does not arrive in time is routed again with
// "body_timed_out" and answered 408. JSON bodies the core parses are bounded in depth, in the
// items of one container and in values in all before any parser sees them.
//
// Proxy plans carry their CORS decision: "respond" plans as headers, "upstream" plans in
// "response_headers" for the shim to put on the answer it builds (with the headers every
// answer carries, plan.h: data_answer_headers(); "admin" plans carry those too).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "balancer/auth.h"
#include "balancer/cors.h"
#include "balancer/json.h"
#include "balancer/plan.h"
#include "balancer/ratelimit.h"
#include "balancer/session.h"

namespace bal {

inline constexpr uint64_t kDefaultMaxBodyBytes = 20ull * 1024 * 1024;
inline constexpr uint64_t kLoginMaxBodyBytes = 4 * 1024;            // {"token": "..."}
inline constexpr uint64_t kAdminMaxBodyBytes = 4ull * 1024 * 1024;  // 20000 keys, pretty-printed

// How long a body may take to arrive: on the proxy routes a 20 MB upload at about 170 KB/s;
// admin and login bodies are small, and a body drained before an answer is not worth a wait.
inline constexpr int64_t kDefaultBodyTimeoutMs = 120'000;
inline constexpr int64_t kShortBodyTimeoutMs = 10'000;

// JSON request bodies the core parses. A proxy body holds at most a few thousand values in
// practice (messages, parts, tool schemas); the admin API's largest is 20000 keys and ids.
inline constexpr JsonLimits kRequestJsonLimits{64, 100000, 1u << 18};
inline constexpr JsonLimits kAdminJsonLimits{64, 100000, 1u << 16};

// Wrong admin tokens (POST /api/session, or a wrong admin bearer) per client address: ten at
// once, earned back at ten a minute; once they run out, that address gets 429 for 5 minutes.
inline constexpr RateRule kAdminFailureRule{10, 60'000, 5 * 60'000};

struct Config {
  TokenSet admin_tokens;
  TokenSet client_tokens;
  std::string session_key;  // derived from ADMIN_TOKEN: signs session cookies (session.h)
  bool allow_client_keys = false;
  uint64_t max_body_bytes = kDefaultMaxBodyBytes;
  int max_attempts = 8;                // keys tried per request (server errors are retried at most twice)
  CorsPolicy cors;                     // CORS_ORIGINS, for the proxy routes
  uint32_t rate_limit_per_minute = 0;  // per client token and isolate; 0: no limit
  int64_t body_timeout_ms = kDefaultBodyTimeoutMs;  // BODY_TIMEOUT_MS, for the proxy routes
};

// Reads {admin_token, auth_tokens, allow_client_keys, max_body_bytes, max_attempts,
// cors_origins, rate_limit_per_minute, body_timeout_ms}.
Config make_config(const json& header);

struct Request {
  std::string_view method;
  std::string_view path;   // as sent, still percent-encoded
  std::string_view query;  // raw, without '?'
  json headers;            // lower-case names -> string values
  std::string_view body;
  bool body_included = false;
  bool body_too_large = false;   // the shim stopped reading past max_bytes
  bool body_unreadable = false;  // the body could not be read (cut off, malformed chunking)
  bool body_timed_out = false;   // the body did not arrive within body_timeout_ms
  int64_t now_ms = 0;
  bool secure = false;     // https: session cookies get the Secure flag
  std::string url_origin;  // this Worker's own origin as the request reached it ("https://host")
  std::string nonce;       // 128 random bits in hex from the shim: a new session's id
};

Request make_request(const json& header, std::string_view body);

// What routing remembers between requests of one isolate (kept by abi.cpp).
struct RouterState {
  RateLimiter admin_failures;  // keyed by address_bucket(cf-connecting-ip)
  RateLimiter clients;         // keyed by the SHA-256 of the client's token
};

Plan route(const Config& config, const Request& request, RouterState& state);

// Routes with a fresh state: no limit carries over from one call to the next.
Plan route(const Config& config, const Request& request);

// Query string helpers (application/x-www-form-urlencoded: '+' is a space).
std::string query_param(std::string_view query, std::string_view name, bool* present = nullptr);

}  // namespace bal
