// Routing: configuration, the proxy APIs (OpenAI and native Gemini) with client
// authentication, per-token limits and CORS, and the dispatch to the admin routes
// (router_admin.cpp).
#include "balancer/router.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <string>

#include "balancer/anthropic.h"
#include "balancer/jsonout.h"
#include "balancer/keys.h"
#include "balancer/live.h"
#include "balancer/media.h"
#include "balancer/openai.h"
#include "balancer/path.h"
#include "balancer/record.h"
#include "balancer/upload.h"
#include "router_internal.h"

namespace bal {

namespace detail {

std::string_view header(const Request& r, std::string_view name) {
  return abi::header_value(r.headers, name);
}

std::string_view bearer(const Request& r) {
  std::string_view v = header(r, "authorization");
  if (v.size() <= 7) return {};
  for (size_t i = 0; i < 6; ++i) {
    const char c = v[i] >= 'A' && v[i] <= 'Z' ? static_cast<char>(v[i] - 'A' + 'a') : v[i];
    if (c != "bearer"[i]) return {};
  }
  if (v[6] != ' ') return {};
  v.remove_prefix(7);
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  return v;
}

Plan need_body(uint64_t max_bytes) {
  Plan p;
  p.header["action"] = "need_body";
  p.header["max_bytes"] = max_bytes;
  return p;
}

std::optional<Plan> body_refusal(Family family, const Request& r) {
  if (r.body_too_large) {
    return error_plan(family, 413, "The request body is larger than this server accepts.", "request_too_large");
  }
  if (r.body_unreadable) {
    return error_plan(family, 400, "The request body could not be read: it was cut off or malformed.", "bad_body");
  }
  if (r.body_timed_out) {
    return error_plan(family, 408, "The request body did not arrive in time.", "request_timeout");
  }
  return std::nullopt;
}

std::optional<Plan> json_refusal(Family family, std::string_view body, const JsonLimits& limits) {
  if (auto e = json_shape_error(body, limits)) return error_plan(family, e->status, e->message, e->code);
  return std::nullopt;
}

Plan with_retry_after(Plan p, int64_t wait_ms) {
  const int64_t seconds = wait_ms <= 1000 ? 1 : (wait_ms + 999) / 1000;
  p.header["headers"]["retry-after"] = std::to_string(seconds);
  return p;
}

}  // namespace detail

std::optional<ApiError> json_shape_error(std::string_view body, const JsonLimits& limits) {
  // Every value past the root is brought in by one byte ('[', '{' or ','), so a body this short
  // cannot pass either count: no need to scan it (depth is the parser's to refuse).
  if (body.size() < limits.max_values && body.size() + 1 < limits.max_items) return std::nullopt;
  switch (check_json_shape(body, limits)) {
    case JsonShape::too_many_values:
    case JsonShape::too_many_items:
      return api_error(413,
                       "The JSON body holds too many values (at most " + std::to_string(limits.max_values) + ", and " +
                           std::to_string(limits.max_items) + " in one array or object).",
                       "too_many_values");
    case JsonShape::too_deep:
    case JsonShape::ok:
      break;
  }
  return std::nullopt;
}

const std::string_view kConfigNames[12] = {
    "ADMIN_TOKEN",     "AUTH_TOKENS",         "ALLOW_CLIENT_KEYS",      "CORS_ORIGINS",
    "MAX_BODY_BYTES",  "MAX_ATTEMPTS",        "RATE_LIMIT_PER_MINUTE",  "BODY_TIMEOUT_MS",
    "GEMINI_API_BASE", "UPSTREAM_TIMEOUT_MS", "STREAM_IDLE_TIMEOUT_MS", "MODEL_MAP"};

namespace {

using detail::bearer;
using detail::header;
using detail::starts_with;

constexpr std::string_view kAuthTokensUnset =
    "AUTH_TOKENS is not set, so the proxy routes are closed. Set one or more client tokens "
    "(comma-separated): `wrangler secret put AUTH_TOKENS` in production, or AUTH_TOKENS=... in "
    ".dev.vars locally.";

// Headers a native Gemini request may carry upstream; everything else (cookies, cf-*,
// x-forwarded-*, the client's credentials) stays here.
constexpr std::string_view kForwardedHeaders[] = {
    "content-type",
    "accept",
    "x-goog-api-client",
    "x-goog-upload-protocol",
    "x-goog-upload-command",
    "x-goog-upload-offset",
    "x-goog-upload-header-content-length",
    "x-goog-upload-header-content-type",
    "api-revision",  // the Interactions API's revision a client's code was written against
};

// Allowed when a preflight names no headers, or names them in a form not worth echoing.
constexpr std::string_view kCorsAllowHeaders =
    "authorization, content-type, x-goog-api-key, x-goog-api-client, x-goog-upload-protocol, "
    "x-goog-upload-command, x-goog-upload-offset, x-goog-upload-header-content-length, "
    "x-goog-upload-header-content-type, x-stainless-arch, x-stainless-lang, x-stainless-os, "
    "x-stainless-package-version, x-stainless-retry-count, x-stainless-runtime, "
    "x-stainless-runtime-version, x-stainless-timeout, x-stainless-async, openai-organization, "
    "openai-project, openai-beta, http-referer, x-title";

// What a browser page may read of a proxied answer: the upload protocol's headers above all
// (a resumable upload cannot go on without x-goog-upload-url).
constexpr std::string_view kCorsExposeHeaders =
    "x-balancer-attempts, retry-after, x-should-retry, x-goog-upload-url, x-goog-upload-status, "
    "x-goog-upload-chunk-granularity, x-goog-upload-size-received, x-goog-upload-control-url";

// The routes this server answers in OpenAI's and Anthropic's formats, for the answer to a
// /v1/ path that is neither one of them nor Gemini's.
constexpr std::string_view kTranslatedRoutes[] = {
    "POST /v1/chat/completions",         "POST /v1/embeddings",          "GET /v1/models",
    "GET /v1/models/{model}",            "POST /v1/responses",           "GET /v1/responses/{id}",
    "DELETE /v1/responses/{id}",         "GET /v1/responses/{id}/input_items", "POST /v1/responses/compact",
    "POST /v1/responses/input_tokens",
    "POST /v1/messages",                 "POST /v1/messages/count_tokens",
    "POST /v1/images/generations",       "POST /v1/images/edits",        "POST /v1/audio/speech",
    "POST /v1/audio/transcriptions",     "POST /v1/audio/translations",
};

// The OpenAI routes that take a POST body and nothing else, with their path.
struct PostRoute {
  std::string_view path;
  Api api;
};

constexpr PostRoute kPostRoutes[] = {
    {"/v1/chat/completions", Api::openai_chat},
    {"/v1/embeddings", Api::openai_embeddings},
    {"/v1/messages", Api::anthropic_messages},
    {"/v1/messages/count_tokens", Api::anthropic_count_tokens},
    {"/v1/responses", Api::responses_create},
    {"/v1/responses/compact", Api::responses_compact},
    {"/v1/responses/input_tokens", Api::responses_input_tokens},
    {"/v1/images/generations", Api::images_generations},
    {"/v1/images/edits", Api::images_edits},
    {"/v1/audio/speech", Api::audio_speech},
    {"/v1/audio/transcriptions", Api::audio_transcriptions},
    {"/v1/audio/translations", Api::audio_translations},
};

// The top-level collections of the Gemini API (ai.google.dev/api/all-methods, and those of the
// Interactions API family that @google/genai calls under its default version, v1): a /v1/ path
// under one of them is Gemini's, any other is taken for an OpenAI route this server lacks.
constexpr std::string_view kGeminiCollections[] = {
    "models",       "tunedModels",      "files",          "cachedContents", "operations",   "batches",
    "corpora",      "fileSearchStores", "generatedFiles", "dynamic",        "interactions", "agents",
    "environments", "triggers",         "webhooks",       "voices",         "credentials",  "decisions",
};

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// A binding as a number in [lo, hi]; nullopt when blank, not a number, or out of range.
std::optional<int64_t> number_binding(const json& b, std::string_view name, int64_t lo, int64_t hi) {
  const std::string_view v = trimmed(get_string(b, name));
  if (v.empty()) return std::nullopt;
  int64_t n = 0;
  const auto r = std::from_chars(v.data(), v.data() + v.size(), n);
  if (r.ec != std::errc() || r.ptr != v.data() + v.size() || n < lo || n > hi) return std::nullopt;
  return n;
}

bool flag_binding(const json& b, std::string_view name) {
  std::string v(trimmed(get_string(b, name)));
  for (char& ch : v) ch = static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
  return v == "1" || v == "true" || v == "yes" || v == "on";
}

Route respond(Reply reply) {
  Route r;
  r.kind = Route::Kind::respond;
  r.reply = std::move(reply);
  return r;
}

// An error answer for a proxy route, with its CORS headers.
Route refuse(const Route& proxy, const ApiError& e) {
  Route r = respond(error_reply(error_format(proxy.api), e));
  add_cors(proxy, r.reply);
  return r;
}

Reply no_content() {
  Reply reply;
  reply.status = 204;
  reply.content_type.clear();
  return reply;
}

// A list of header names as a browser sends it in Access-Control-Request-Headers: tokens
// (RFC 9110) separated by commas and spaces, of a sane length.
bool is_header_name_list(std::string_view list) {
  constexpr std::string_view kTokenPunctuation = "!#$%&'*+-.^_`|~";
  if (list.empty() || list.size() > 1024) return false;
  for (char c : list) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && c != ',' && c != ' ' && kTokenPunctuation.find(c) == std::string_view::npos) return false;
  }
  return true;
}

// Proxy routes allow whatever headers the page asks for: they need the client's token anyway,
// and no header a page adds reaches Google (only the allowlist above is forwarded). SDK
// helpers add their own (x-stainless-helper-method, ...), and a fixed list always lags.
Route preflight(const Route& proxy, std::string_view requested) {
  Reply reply = no_content();
  if (!proxy.cors.empty()) {
    reply.headers.emplace_back("access-control-allow-methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS");
    reply.headers.emplace_back("access-control-allow-headers",
                               std::string(is_header_name_list(requested) ? requested : kCorsAllowHeaders));
    reply.headers.emplace_back("access-control-max-age", "86400");
  }
  add_cors(proxy, reply);
  return respond(std::move(reply));
}

struct ClientAuth {
  bool ok = false;
  std::string client_key;  // the client's own Gemini key, when allowed and sent
  std::string bucket;      // what the per-client limit counts against: a digest, never the token
  std::string owner;       // the same digest in hex: whose stored responses these are
};

bool is_anthropic(Api api) {
  return api == Api::anthropic_messages || api == Api::anthropic_count_tokens || api == Api::anthropic_models ||
         api == Api::anthropic_model;
}

ClientAuth check_client(const Config& c, const Request& r, Api api) {
  ClientAuth out;
  std::string query_key;
  strip_system_params(r.query, &query_key);
  const std::string decoded_query_key = percent_decode(query_key);
  // x-api-key is the Anthropic SDKs' header: read on their routes only (CONTRACT.md).
  const std::string_view x_api_key = is_anthropic(api) ? header(r, "x-api-key") : std::string_view();
  const std::string_view candidates[] = {bearer(r), header(r, "x-goog-api-key"), decoded_query_key, x_api_key};
  std::string_view matched;
  Digest d{};
  for (std::string_view cand : candidates) {
    // Every candidate is compared, even after a match, so timing does not tell which one was right.
    Digest cand_digest{};
    if (c.client_tokens.matches(cand, cand_digest) && matched.empty()) {
      matched = cand;
      d = cand_digest;
    }
  }
  if (matched.empty() && c.allow_client_keys) {
    for (std::string_view cand : candidates) {
      if (is_well_formed_key(cand)) {
        matched = cand;
        out.client_key = std::string(cand);
        d = sha256(cand);
        break;
      }
    }
  }
  if (matched.empty()) return out;
  out.ok = true;
  out.bucket.assign(reinterpret_cast<const char*>(d.data()), d.size());
  out.owner = to_hex(d);
  return out;
}

// Methods the Gemini API uses. Anything else (TRACE above all, which echoes the request's
// headers, pool key included, on servers that honour it) is never sent upstream.
bool is_forwarded_method(std::string_view m) {
  return m == "GET" || m == "POST" || m == "PUT" || m == "PATCH" || m == "DELETE";
}

// The model a native path names ("/v1beta/models/gemini-2.5-flash:generateContent" ->
// "gemini-2.5-flash"), or "" when it names none.
std::string model_of_path(std::string_view path) {
  for (std::string_view marker : {std::string_view("/models/"), std::string_view("/tunedModels/")}) {
    const size_t at = path.find(marker);
    if (at == std::string_view::npos) continue;
    std::string_view rest = path.substr(at + marker.size());
    const size_t end = rest.find_first_of(":/");
    return std::string(rest.substr(0, end));
  }
  return {};
}

Route native_route(const Config& c, const Request& r, Route route, const ClientAuth& auth) {
  if (!is_forwarded_method(r.method)) {
    Route out =
        refuse(route, api_error(405, "Method " + std::string(r.method) + " is not forwarded to the Gemini API."));
    out.reply.headers.emplace_back("allow", "GET, POST, PUT, PATCH, DELETE");
    return out;
  }
  route.model = model_of_path(route.path);
  route.query = take_upload_pin(route.path, strip_system_params(r.query), &route.pinned_key);
  abi::HeaderList forward;
  for (std::string_view name : kForwardedHeaders) {
    const std::string_view v = header(r, name);
    if (!v.empty()) forward.add(name, v);
  }
  route.forward = forward.text();
  route.client_key = auth.client_key;
  route.needs_body = r.method != "GET";
  route.max_body = c.max_body_bytes;
  return route;
}

bool asks_websocket(const Request& r) {
  std::string upgrade(header(r, "upgrade"));
  for (char& ch : upgrade) ch = static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
  return r.method == "GET" && upgrade == "websocket";
}

// The Live API: a WebSocket upgrade, authorised as any proxied GET; no body.
Route live_route(const Request& r, Route route, const ClientAuth& auth) {
  if (r.method != "GET") {
    Route out = refuse(route, api_error(405, "The Live API is a WebSocket: connect with GET and Upgrade: websocket."));
    out.reply.headers.emplace_back("allow", "GET");
    return out;
  }
  if (!asks_websocket(r)) {
    Route out = refuse(route, api_error(426, "The Live API is a WebSocket: send Upgrade: websocket."));
    out.reply.headers.emplace_back("upgrade", "websocket");
    return out;
  }
  route.client_key = auth.client_key;
  return route;
}

// The OpenAI and Anthropic routes: a POST that translates a body, or a GET of the models.
Route translated_route(const Config& c, const Request& r, Route route, const ClientAuth& auth) {
  constexpr std::string_view kModelsPrefix = "/v1/models/";
  constexpr std::string_view kResponsesPrefix = "/v1/responses/";
  route.client_key = auth.client_key;
  route.owner = auth.owner;
  const std::string_view path = r.path;
  if (route.api == Api::responses_get || route.api == Api::responses_input_items ||
      route.api == Api::responses_delete) {
    std::string_view id = path.substr(kResponsesPrefix.size());
    if (route.api == Api::responses_input_items) id = id.substr(0, id.find('/'));
    route.path = percent_decode(id);
    route.query = std::string(r.query);
    const bool deletes = route.api == Api::responses_delete;
    if (r.method != (deletes ? "DELETE" : "GET")) {
      return refuse(route, api_error(405, "Use GET or DELETE for " + std::string(path) + "."));
    }
    return route;
  }
  bool posts = false;
  for (const PostRoute& p : kPostRoutes) posts = posts || p.api == route.api;
  if (posts) {
    // The Responses API over a WebSocket, which this server does not serve: on a 426 Codex goes
    // over HTTP at once; on any other status it retries five times first (about 6 s).
    if (route.api == Api::responses_create && asks_websocket(r)) {
      Route out = refuse(route, api_error(426, "The Responses API is served over HTTP here: POST " + std::string(path) + "."));
      out.reply.headers.emplace_back("upgrade", "HTTP/1.1");
      return out;
    }
    if (r.method != "POST") return refuse(route, api_error(405, "Use POST for " + std::string(path) + "."));
    route.needs_body = true;
    route.max_body = c.max_body_bytes;
    if (takes_form(route.api)) route.max_body = std::min(route.max_body, kUploadMaxBodyBytes);
    if (route.api == Api::images_generations || route.api == Api::audio_speech) {
      route.max_body = std::min(route.max_body, kMediaJsonMaxBodyBytes);
    }
    return route;
  }
  if (r.method != "GET") return refuse(route, api_error(405, "Use GET for " + std::string(path) + "."));
  if (route.api == Api::openai_model || route.api == Api::anthropic_model) {
    route.path = percent_decode(path.substr(kModelsPrefix.size()));
  }
  return route;
}

// The shape of the /v1/models answers: they follow how the request authenticates, as each
// client library expects (CONTRACT.md). Read top to bottom; the first sign present wins.
enum class ModelsShape { openai, anthropic, gemini };

struct ShapeSign {
  bool in_query;  // a query parameter, else a header
  std::string_view name;
  ModelsShape shape;
};

constexpr ShapeSign kModelsShapeSigns[] = {
    {false, "anthropic-version", ModelsShape::anthropic},  // the Anthropic SDKs, Claude Code
    {false, "x-api-key", ModelsShape::anthropic},
    {false, "x-goog-api-key", ModelsShape::gemini},     // @google/genai, google-genai, Gemini CLI
    {false, "x-goog-api-client", ModelsShape::gemini},  // any Google SDK, whatever its credentials
    {true, "key", ModelsShape::gemini},                 // REST calls written the Gemini way
};

ModelsShape models_shape(const Request& r) {
  for (const ShapeSign& sign : kModelsShapeSigns) {
    bool present = false;
    if (sign.in_query) {
      query_param(r.query, sign.name, &present);
    } else {
      present = !header(r, sign.name).empty();
    }
    if (present) return sign.shape;
  }
  return ModelsShape::openai;
}

// The OpenAI or Anthropic API a path names, if any. The model list is the one path several
// serve, in the shape the request's credentials ask for.
std::optional<Api> translated_api(const Request& r) {
  const std::string_view path = r.path;
  for (const PostRoute& p : kPostRoutes) {
    if (path == p.path) return p.api;
  }
  constexpr std::string_view kResponses = "/v1/responses/";
  if (starts_with(path, kResponses) && path.size() > kResponses.size()) {
    const std::string_view rest = path.substr(kResponses.size());
    const size_t slash = rest.find('/');
    if (slash == std::string_view::npos) {
      // POST /v1/responses/cancel …: OpenAI routes this server lacks.
      if (r.method == "POST") return std::nullopt;
      return r.method == "DELETE" ? Api::responses_delete : Api::responses_get;
    }
    if (rest.substr(slash) == "/input_items") return Api::responses_input_items;
  }
  const bool list = path == "/v1/models";
  const bool one = starts_with(path, "/v1/models/") && path.size() > 11 && path.find(':') == std::string_view::npos &&
                   path.find('/', 11) == std::string_view::npos;
  if (!list && !one) return std::nullopt;
  switch (models_shape(r)) {
    case ModelsShape::anthropic:
      return list ? Api::anthropic_models : Api::anthropic_model;
    case ModelsShape::gemini:
      return std::nullopt;  // Google's SDKs: the native list, passed through
    case ModelsShape::openai:
      break;
  }
  return list ? Api::openai_models : Api::openai_model;
}

bool is_gemini_v1_path(std::string_view path) {
  const std::string_view rest = path.substr(4);
  const std::string_view collection = rest.substr(0, rest.find_first_of("/:"));
  for (std::string_view c : kGeminiCollections) {
    if (collection == c) return true;
  }
  return false;
}

ApiError unknown_route(const Request& r) {
  std::string routes;
  for (std::string_view route : kTranslatedRoutes) {
    if (!routes.empty()) routes += ", ";
    routes += route;
  }
  return api_error(404,
                   "Invalid URL (" + std::string(r.method) + " " + std::string(r.path) + "): this server serves " +
                       routes + ", and the Gemini API under /v1beta/, /v1alpha/, /v1/, /upload/ and /download/.",
                   "unknown_url");
}

// The native path to forward, or "" when `path` is not a Gemini API path.
std::string native_path(std::string_view path) {
  if (starts_with(path, "/v1/")) return is_gemini_v1_path(path) ? std::string(path) : std::string();
  // /download/: where Google's documentation fetches a generated file (a batch's results, a
  // video) with alt=media.
  for (std::string_view family : {"/v1beta/", "/v1alpha/", "/upload/", "/download/"}) {
    if (starts_with(path, family) && path.size() > family.size()) return std::string(path);
  }
  if (starts_with(path, "/models/") && path.size() > 8) return "/v1beta" + std::string(path);
  if (path == "/models") return "/v1beta/models";
  return {};
}

// A proxy request from a known client: its per-token limit, then its API's route.
Route route_client(const Config& c, const Request& r, RouterState& st, Route route) {
  const ClientAuth auth = check_client(c, r, route.api);
  if (!auth.ok) {
    return refuse(
        route, api_error(401,
                         is_anthropic(route.api) ? "Missing or wrong access token: send x-api-key: <token> or "
                                                   "Authorization: Bearer <token>."
                                                 : "Missing or wrong access token: send Authorization: Bearer <token>, "
                                                   "x-goog-api-key: <token>, or ?key=<token>.",
                         "invalid_api_key"));
  }
  if (c.rate_limit_per_minute > 0) {
    const double n = c.rate_limit_per_minute;
    if (const int64_t wait = st.clients.take(auth.bucket, RateRule{n, 60'000, 0}, r.now_ms)) {
      const std::string limit = std::to_string(c.rate_limit_per_minute);
      ApiError e = api_error(429, "Rate limit reached for this access token (" + limit + " requests per minute).",
                             "rate_limit_exceeded");
      e.retry_after_ms = wait;
      return refuse(route, e);
    }
  }
  if (route.api == Api::native) return native_route(c, r, std::move(route), auth);
  if (route.api == Api::live) return live_route(r, std::move(route), auth);
  return translated_route(c, r, std::move(route), auth);
}

}  // namespace

Config make_config(const json& b) {
  Config c;
  const std::string_view admin = get_string(b, "ADMIN_TOKEN");
  c.admin_tokens.assign(admin.find(',') == std::string_view::npos ? admin : std::string_view{});
  c.session_key = session_key(admin);
  c.client_tokens.assign(get_string(b, "AUTH_TOKENS"));
  c.allow_client_keys = flag_binding(b, "ALLOW_CLIENT_KEYS");
  if (auto v = number_binding(b, "MAX_BODY_BYTES", 1024, kMaxSafeInteger)) c.max_body_bytes = static_cast<uint64_t>(*v);
  if (auto v = number_binding(b, "MAX_ATTEMPTS", 1, 20)) c.max_attempts = static_cast<int>(*v);
  c.cors.assign(get_string(b, "CORS_ORIGINS"));
  if (auto v = number_binding(b, "RATE_LIMIT_PER_MINUTE", 1, 1'000'000)) {
    c.rate_limit_per_minute = static_cast<uint32_t>(*v);
  }
  if (auto v = number_binding(b, "BODY_TIMEOUT_MS", 100, 3'600'000)) c.body_timeout_ms = *v;
  if (auto v = number_binding(b, "UPSTREAM_TIMEOUT_MS", 1, kMaxTimeMs)) c.first_byte_timeout_ms = *v;
  if (auto v = number_binding(b, "STREAM_IDLE_TIMEOUT_MS", 1, kMaxTimeMs)) c.stream_idle_ms = *v;
  std::string_view base = trimmed(get_string(b, "GEMINI_API_BASE"));
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  if (!base.empty()) c.upstream = std::string(base);
  c.models.assign(get_string(b, "MODEL_MAP"));
  return c;
}

std::string query_param(std::string_view query, std::string_view name, bool* present) {
  if (present != nullptr) *present = false;
  size_t start = 0;
  while (start < query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    const std::string_view item = query.substr(start, end - start);
    const size_t eq = item.find('=');
    if (item.substr(0, eq) == name) {
      if (present != nullptr) *present = true;
      std::string v(eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1));
      for (char& ch : v) {
        if (ch == '+') ch = ' ';
      }
      return percent_decode(v);
    }
    start = end + 1;
  }
  return {};
}

std::string_view api_family(Api api) {
  switch (api) {
    case Api::native:
      return "gemini";
    case Api::openai_chat:
      return "openai.chat";
    case Api::openai_embeddings:
      return "openai.embeddings";
    case Api::openai_models:
    case Api::openai_model:
      return "openai.models";
    case Api::anthropic_messages:
      return "anthropic.messages";
    case Api::anthropic_count_tokens:
      return "anthropic.count_tokens";
    case Api::anthropic_models:
    case Api::anthropic_model:
      return "anthropic.models";
    case Api::responses_create:
    case Api::responses_get:
    case Api::responses_input_items:
    case Api::responses_delete:
    case Api::responses_compact:
    case Api::responses_input_tokens:
      return "openai.responses";
    case Api::images_generations:
    case Api::images_edits:
      return media::kImagesFamily;
    case Api::audio_speech:
      return media::kSpeechFamily;
    case Api::audio_transcriptions:
    case Api::audio_translations:
      return media::kTranscriptionFamily;
    case Api::live:
      return media::kLiveFamily;
  }
  return "gemini";
}

ErrorFormat error_format(Api api) {
  if (api == Api::native || api == Api::live) return ErrorFormat::gemini;
  return is_anthropic(api) ? ErrorFormat::anthropic : ErrorFormat::openai;
}

bool takes_form(Api api) {
  return api == Api::images_edits || api == Api::audio_transcriptions || api == Api::audio_translations;
}

void add_cors(const Route& route, Reply& r) {
  if (!route.cors.empty()) {
    r.headers.emplace_back("access-control-allow-origin", route.cors);
    r.headers.emplace_back("access-control-expose-headers", std::string(kCorsExposeHeaders));
  }
  if (route.vary) r.headers.emplace_back("vary", "origin");
}

Reply error_reply(ErrorFormat format, const ApiError& e) {
  if (format == ErrorFormat::openai) return openai::error_reply(e);
  if (format == ErrorFormat::anthropic) return anthropic::error_reply(e);
  Reply r;
  r.status = e.status;
  {
    JsonOut w(r.body);
    w.begin_object().key("error").begin_object();
    if (format == ErrorFormat::gemini) {
      w.key("code").number(e.status).key("message").string(e.message);
      w.key("status").string(grpc_status_for_http(e.status));
      // When to retry, where Google says it: a RetryInfo detail, which Google's SDKs and Gemini
      // CLI read (a wait of hours, a daily quota, is then no retry at all for Gemini CLI).
      if (e.status == 429 && e.retry_after_ms > 0) {
        w.key("details").begin_array().begin_object();
        w.key("@type").string("type.googleapis.com/google.rpc.RetryInfo");
        w.key("retryDelay").string(std::to_string((e.retry_after_ms + 999) / 1000) + "s");
        w.end_object().end_array();
      }
    } else {
      w.key("message").string(e.message).key("code").string(e.code.empty() ? grpc_status_for_http(e.status) : e.code);
    }
    w.end_object().end_object();
  }
  if (e.status == 429 && e.retry_after_ms > 0) {
    const int64_t ms = e.retry_after_ms;
    r.headers.emplace_back("retry-after", std::to_string(ms <= 1000 ? 1 : (ms + 999) / 1000));
  }
  return r;
}

namespace {

Route route_request(const Config& c, const Request& r, RouterState& st) {
  const std::string_view path = r.path;
  // Google's SDK writes the Live API's path with a leading "//": matched whole, before the
  // path checks that refuse empty segments.
  if (const std::string_view version = live::live_version(path); !version.empty()) {
    Route proxy;
    proxy.kind = Route::Kind::proxy;
    proxy.api = Api::live;
    proxy.path = live::upstream_path(version);
    if (c.client_tokens.empty() && !c.allow_client_keys) {
      return refuse(proxy, api_error(503, std::string(kAuthTokensUnset), "auth_tokens_unset"));
    }
    return route_client(c, r, st, std::move(proxy));
  }
  const bool admin = path == "/api" || starts_with(path, "/api/");
  if (!is_safe_path(path)) {
    return respond(error_reply(admin ? ErrorFormat::admin : ErrorFormat::gemini,
                               api_error(400, "The request path is not allowed.", "bad_path")));
  }
  if (admin) {
    // The admin routes' preflight grants nothing: a bare 204.
    if (r.method == "OPTIONS") return respond(no_content());
    Route out;
    out.kind = Route::Kind::admin;
    out.admin = detail::route_admin(c, r, path, st);
    return out;
  }
  Route proxy;
  proxy.kind = Route::Kind::proxy;
  proxy.cors = c.cors.allow_origin(header(r, "origin"));
  proxy.vary = !c.cors.allows_any();
  if (auto api = translated_api(r)) {
    proxy.api = *api;
  } else {
    proxy.path = native_path(path);
    if (proxy.path.empty()) {
      // A /v1/ path that is neither Gemini's nor a route here: an OpenAI client's, most likely.
      if (starts_with(path, "/v1/") && r.method != "OPTIONS") {
        proxy.api = Api::openai_models;
        return refuse(proxy, unknown_route(r));
      }
      if (!starts_with(path, "/v1/")) {
        return respond(error_reply(
            ErrorFormat::admin,
            api_error(404, "Not found. The API lives under /v1/ (OpenAI) and /v1beta/ (Gemini).", "not_found")));
      }
    }
  }
  if (r.method == "OPTIONS") return preflight(proxy, header(r, "access-control-request-headers"));
  if (c.client_tokens.empty() && !c.allow_client_keys) {
    return refuse(proxy, api_error(503, std::string(kAuthTokensUnset), "auth_tokens_unset"));
  }
  return route_client(c, r, st, std::move(proxy));
}

}  // namespace

Route route(const Config& c, const Request& r, RouterState& st) {
  Route out = route_request(c, r, st);
  // How long the body may take: BODY_TIMEOUT_MS for a proxy body that is read; admin bodies
  // are small, and a body drained before an answer that did not need it is not waited for.
  const bool reads_proxy_body = out.kind == Route::Kind::proxy && out.needs_body;
  out.body_timeout_ms = reads_proxy_body ? c.body_timeout_ms : std::min(c.body_timeout_ms, kShortBodyTimeoutMs);
  return out;
}

}  // namespace bal
