// router.h — from a request head to a Route: which API, whether the caller may use it, and
// what is needed next.
//
// A Route either answers at once (an error, a CORS preflight, a refusal: `reply`, already
// carrying its CORS headers), or names an admin operation (a JSON Plan, plan.h: the admin
// API is an edge where a DOM fits), or a proxied API (`api`) with what the request machine
// (request.h) needs: the error format, the native path and query to forward, the headers a
// native request may carry upstream, the CORS answer, and whether the body is needed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "balancer/auth.h"
#include "balancer/cors.h"
#include "balancer/exchange.h"
#include "balancer/json.h"
#include "balancer/model_map.h"
#include "balancer/plan.h"
#include "balancer/ratelimit.h"

namespace bal {

inline constexpr uint64_t kDefaultMaxBodyBytes = 20ull * 1024 * 1024;
inline constexpr int64_t kSessionLifetimeMs = 12ll * 3600 * 1000;

// Wrong admin tokens (POST /api/session, or a wrong admin bearer) per client address: ten at
// once, earned back at ten a minute; once they run out, that address gets 429 for 5 minutes.
inline constexpr RateRule kAdminFailureRule{10, 60'000, 5 * 60'000};

inline constexpr std::string_view kDefaultUpstream = "https://generativelanguage.googleapis.com";
inline constexpr int kDefaultMaxAttempts = 8;
inline constexpr int64_t kDefaultFirstByteTimeoutMs = 300 * 1000;  // a long thinking answer
inline constexpr int64_t kDefaultStreamIdleMs = 120 * 1000;

struct Config {
  TokenSet admin_tokens;
  TokenSet client_tokens;
  std::string admin_secret;  // ADMIN_TOKEN itself: signs session cookies
  bool allow_client_keys = false;
  uint64_t max_body_bytes = kDefaultMaxBodyBytes;
  int max_attempts = kDefaultMaxAttempts;                      // keys tried per request (server errors: at most twice)
  CorsPolicy cors;                                             // CORS_ORIGINS, for the proxy routes
  uint32_t rate_limit_per_minute = 0;                          // per client token and isolate; 0: no limit
  std::string upstream = std::string(kDefaultUpstream);        // GEMINI_API_BASE, no trailing '/'
  int64_t first_byte_timeout_ms = kDefaultFirstByteTimeoutMs;  // UPSTREAM_TIMEOUT_MS
  int64_t stream_idle_ms = kDefaultStreamIdleMs;               // STREAM_IDLE_TIMEOUT_MS
  ModelMap models;                                             // MODEL_MAP
};

// Reads the Worker's bindings by their names (CONTRACT.md, README): {ADMIN_TOKEN,
// AUTH_TOKENS, ALLOW_CLIENT_KEYS, CORS_ORIGINS, MAX_BODY_BYTES, MAX_ATTEMPTS,
// RATE_LIMIT_PER_MINUTE, UPSTREAM_TIMEOUT_MS, STREAM_IDLE_TIMEOUT_MS, GEMINI_API_BASE,
// MODEL_MAP}, each a string as the binding holds it; blank or nonsense keeps the default.
Config make_config(const json& bindings);

// The binding names make_config() reads.
extern const std::string_view kConfigNames[11];

struct Request {
  std::string_view method;
  std::string_view path;     // as sent, still percent-encoded
  std::string_view query;    // raw, without '?'
  std::string_view headers;  // "name\nvalue\n" pairs, lower-case names (balancer.h)
  std::string_view body;
  bool body_included = false;
  bool body_too_large = false;   // the shim stopped reading past max_bytes
  bool body_unreadable = false;  // the body could not be read (cut off, malformed chunking)
  int64_t now_ms = 0;
  bool secure = false;  // https: session cookies get the Secure flag
};

// What routing remembers between requests of one isolate (kept by abi.cpp).
struct RouterState {
  RateLimiter admin_failures;  // keyed by address_bucket(cf-connecting-ip)
  RateLimiter clients;         // keyed by the SHA-256 of the client's token
};

// The APIs a proxied request may be for.
enum class Api : uint8_t {
  native,                  // the Gemini API, passed through
  openai_chat,             // POST /v1/chat/completions
  openai_embeddings,       // POST /v1/embeddings
  openai_models,           // GET /v1/models
  openai_model,            // GET /v1/models/{id}
  anthropic_messages,      // POST /v1/messages
  anthropic_count_tokens,  // POST /v1/messages/count_tokens
  anthropic_models,        // GET /v1/models with anthropic-version or x-api-key
  anthropic_model,         // GET /v1/models/{id}, the same
  responses_create,        // POST /v1/responses
  responses_get,           // GET /v1/responses/{id}
  responses_input_items,   // GET /v1/responses/{id}/input_items
  responses_delete,        // DELETE /v1/responses/{id}
};

// Every answer's error format.
enum class ErrorFormat : uint8_t { openai, anthropic, gemini, admin };

// The name statistics show for an API ("gemini", "openai.chat" ...).
std::string_view api_family(Api api);
ErrorFormat error_format(Api api);

struct Route {
  enum class Kind : uint8_t { respond, admin, proxy };
  Kind kind = Kind::respond;
  Reply reply;  // respond
  Plan admin;   // admin: the operation ("need_body" asks for the body first)
  // proxy:
  Api api = Api::native;
  std::string path;        // native: the path to forward; openai_model: the model id
  std::string query;       // native: the query to forward (credentials removed)
  std::string forward;     // native: the headers to forward, "name\nvalue\n" pairs
  std::string model;       // native: the model the path names ("" for none)
  std::string client_key;  // the client's own Gemini key (ALLOW_CLIENT_KEYS)
  std::string owner;       // hex SHA-256 of the client's credential: whose stored data it is
  std::string cors;        // access-control-allow-origin ("" for none)
  bool vary = false;       // the answer depends on Origin
  bool needs_body = false;
  uint64_t max_body = 0;
};

Route route(const Config& config, const Request& request, RouterState& state);

// The CORS headers of a proxied answer (allow-origin, expose-headers, vary), added to `r`.
void add_cors(const Route& route, Reply& r);

// An error in `format`'s shape, for a proxy route that has no Exchange yet.
Reply error_reply(ErrorFormat format, const ApiError& e);

// Query string helpers (application/x-www-form-urlencoded: '+' is a space).
std::string query_param(std::string_view query, std::string_view name, bool* present = nullptr);

}  // namespace bal
