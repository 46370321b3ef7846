// router.h — from a request head to a Route: which API, whether the caller may use it, and
// what is needed next.
//
// A Route either answers at once (an error, a CORS preflight, a refusal: `reply`, already
// carrying its CORS headers), or names an admin operation (a JSON Plan, plan.h: the admin
// API is an edge where a DOM fits), or a proxied API (`api`) with what the request machine
// (request.h) needs: the error format, the native path and query to forward, the headers a
// native request may carry upstream, the CORS answer, and whether the body is needed.
//
// Each route caps its body before anything is read (the login a few KB, the admin API a few
// MB, the proxy routes MAX_BODY_BYTES) and says how long the body may take to arrive
// (BODY_TIMEOUT_MS for proxy bodies, less for the admin API): a body that does not arrive in
// time is answered 408. JSON bodies the core parses are bounded in depth, in the items of one
// container and in values in all before any parser sees them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "balancer/auth.h"
#include "balancer/cors.h"
#include "balancer/exchange.h"
#include "balancer/json.h"
#include "balancer/model_map.h"
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

inline constexpr std::string_view kDefaultUpstream = "https://generativelanguage.googleapis.com";
inline constexpr int kDefaultMaxAttempts = 8;
inline constexpr int64_t kDefaultFirstByteTimeoutMs = 300 * 1000;  // a long thinking answer
inline constexpr int64_t kDefaultStreamIdleMs = 120 * 1000;

struct Config {
  TokenSet admin_tokens;
  TokenSet client_tokens;
  std::string session_key;  // derived from ADMIN_TOKEN: signs session cookies (session.h)
  bool allow_client_keys = false;
  uint64_t max_body_bytes = kDefaultMaxBodyBytes;
  int max_attempts = kDefaultMaxAttempts;                      // keys tried per request (server errors: at most twice)
  CorsPolicy cors;                                             // CORS_ORIGINS, for the proxy routes
  uint32_t rate_limit_per_minute = 0;                          // per client token and isolate; 0: no limit
  int64_t body_timeout_ms = kDefaultBodyTimeoutMs;             // BODY_TIMEOUT_MS, for the proxy routes
  std::string upstream = std::string(kDefaultUpstream);        // GEMINI_API_BASE, no trailing '/'
  int64_t first_byte_timeout_ms = kDefaultFirstByteTimeoutMs;  // UPSTREAM_TIMEOUT_MS
  int64_t stream_idle_ms = kDefaultStreamIdleMs;               // STREAM_IDLE_TIMEOUT_MS
  ModelMap models;                                             // MODEL_MAP
};

// Reads the Worker's bindings by their names (CONTRACT.md, README): {ADMIN_TOKEN,
// AUTH_TOKENS, ALLOW_CLIENT_KEYS, CORS_ORIGINS, MAX_BODY_BYTES, MAX_ATTEMPTS,
// RATE_LIMIT_PER_MINUTE, BODY_TIMEOUT_MS, UPSTREAM_TIMEOUT_MS, STREAM_IDLE_TIMEOUT_MS,
// GEMINI_API_BASE, MODEL_MAP}, each a string as the binding holds it; blank or nonsense keeps
// the default.
Config make_config(const json& bindings);

// The binding names make_config() reads.
extern const std::string_view kConfigNames[12];

struct Request {
  std::string_view method;
  std::string_view path;     // as sent, still percent-encoded
  std::string_view query;    // raw, without '?'
  std::string_view headers;  // "name\nvalue\n" pairs, lower-case names (balancer.h)
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
  responses_compact,       // POST /v1/responses/compact
  responses_input_tokens,  // POST /v1/responses/input_tokens
  images_generations,      // POST /v1/images/generations
  images_edits,            // POST /v1/images/edits (multipart)
  audio_speech,            // POST /v1/audio/speech
  audio_transcriptions,    // POST /v1/audio/transcriptions (multipart)
  audio_translations,      // POST /v1/audio/translations (multipart)
  live,                    // GET /ws/…BidiGenerateContent: the Live API's WebSocket (live.h)
};

// Every answer's error format.
enum class ErrorFormat : uint8_t { openai, anthropic, gemini, admin };

// The name statistics show for an API ("gemini", "openai.chat" ...).
std::string_view api_family(Api api);
ErrorFormat error_format(Api api);
// Whether the API's body is a multipart/form-data upload rather than JSON.
bool takes_form(Api api);

// The body limits of the media routes, under MAX_BODY_BYTES. An upload's files go to Gemini
// inline, and Gemini takes at most 20 MB per request after base64 (4/3 of the bytes): 15 MB
// of files, plus 1 MB for the form's other fields and boundaries; a larger upload could never
// be sent. The JSON media bodies are a prompt or a text to speak (OpenAI's longest, a 32000
// character image prompt, is under 200 KB even fully escaped).
inline constexpr uint64_t kUploadMaxBodyBytes = 16ull * 1024 * 1024;
inline constexpr uint64_t kMediaJsonMaxBodyBytes = 1024 * 1024;

struct Route {
  enum class Kind : uint8_t { respond, admin, proxy };
  Kind kind = Kind::respond;
  Reply reply;  // respond
  Plan admin;   // admin: the operation ("need_body" asks for the body first)
  // proxy:
  Api api = Api::native;
  std::string path;        // native: the path to forward; openai_model: the model id; live: Google's
  std::string query;       // native: the query to forward (credentials removed)
  std::string forward;     // native: the headers to forward, "name\nvalue\n" pairs
  std::string model;       // native: the model the path names ("" for none)
  std::string client_key;  // the client's own Gemini key (ALLOW_CLIENT_KEYS)
  std::string owner;       // hex SHA-256 of the client's credential: whose stored data it is
  std::string cors;        // access-control-allow-origin ("" for none)
  bool vary = false;       // the answer depends on Origin
  std::optional<int64_t> pinned_key;  // native: the key an upload session belongs to (upload.h)
  bool needs_body = false;
  uint64_t max_body = 0;
  int64_t body_timeout_ms = kShortBodyTimeoutMs;  // how long the body may take to arrive
};

Route route(const Config& config, const Request& request, RouterState& state);

// The CORS headers of a proxied answer (allow-origin, expose-headers, vary), added to `r`.
void add_cors(const Route& route, Reply& r);

// A 413 when a JSON body holds more values, or a container more items, than `limits`
// allow; nullopt otherwise (too deep a body is left to the parser, whose 400 says where).
std::optional<ApiError> json_shape_error(std::string_view body, const JsonLimits& limits);

// An error in `format`'s shape, for a proxy route that has no Exchange yet.
Reply error_reply(ErrorFormat format, const ApiError& e);

// Query string helpers (application/x-www-form-urlencoded: '+' is a space).
std::string query_param(std::string_view query, std::string_view name, bool* present = nullptr);

}  // namespace bal
