// Routing: configuration, the proxy families (OpenAI and native Gemini) with client
// authentication, per-token limits and CORS, and the dispatch to the admin routes
// (router_admin.cpp).
#include "balancer/router.h"

#include <algorithm>
#include <string>

#include "balancer/keys.h"
#include "balancer/openai.h"
#include "balancer/path.h"
#include "balancer/upload.h"
#include "router_internal.h"

namespace bal {

namespace detail {

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
  switch (check_json_shape(body, limits)) {
    case JsonShape::too_many_values:
    case JsonShape::too_many_items:
      return error_plan(family, 413,
                        "The JSON body holds too many values (at most " + std::to_string(limits.max_values) + ", and " +
                            std::to_string(limits.max_items) + " in one array or object).",
                        "too_many_values");
    case JsonShape::too_deep:
    case JsonShape::ok:
      break;
  }
  return std::nullopt;
}

Plan with_retry_after(Plan p, int64_t wait_ms) {
  const int64_t seconds = wait_ms <= 1000 ? 1 : (wait_ms + 999) / 1000;
  p.header["headers"]["retry-after"] = std::to_string(seconds);
  return p;
}

}  // namespace detail

namespace {

using detail::bearer;
using detail::header;
using detail::need_body;
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
    "x-balancer-attempts, retry-after, x-goog-upload-url, x-goog-upload-status, x-goog-upload-chunk-granularity, "
    "x-goog-upload-size-received, x-goog-upload-control-url";

// The CORS answer for one proxy request: the allow-origin value ("" for none) and whether
// it depends on the Origin header.
struct Cors {
  std::string allow;
  bool vary = false;
};

// "respond" plans get the headers at once; "upstream" plans carry them in "response_headers"
// for the shim to put on the answer it builds.
Plan apply_cors(Plan p, const Cors& cors) {
  const std::string_view action = get_string(p.header, "action");
  if (action != "respond" && action != "upstream") return p;
  json& headers = p.header[action == "respond" ? "headers" : "response_headers"];
  if (!cors.allow.empty()) {
    headers["access-control-allow-origin"] = cors.allow;
    headers["access-control-expose-headers"] = kCorsExposeHeaders;
  }
  if (cors.vary) headers["vary"] = "origin";
  return p;
}

// A bare 204: also the admin routes' preflight answer, which grants nothing.
Plan no_content() {
  Plan p;
  p.header["action"] = "respond";
  p.header["status"] = 204;
  p.header["headers"] = json::object();
  return p;
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
// and no header a page adds reaches Google (only router.cpp's allowlist is forwarded). SDK
// helpers add their own (x-stainless-helper-method, ...), and a fixed list always lags.
Plan preflight(const Cors& cors, std::string_view requested) {
  Plan p = no_content();
  if (!cors.allow.empty()) {
    json& headers = p.header["headers"];
    headers["access-control-allow-methods"] = "GET, POST, PUT, PATCH, DELETE, OPTIONS";
    headers["access-control-allow-headers"] = is_header_name_list(requested) ? requested : kCorsAllowHeaders;
    headers["access-control-max-age"] = "86400";
  }
  return apply_cors(std::move(p), cors);
}

struct ClientAuth {
  bool ok = false;
  std::string client_key;  // the client's own Gemini key, when allowed and sent
  std::string bucket;      // what the per-client limit counts against: a digest, never the token
};

ClientAuth check_client(const Config& c, const Request& r) {
  ClientAuth out;
  std::string query_key;
  strip_system_params(r.query, &query_key);
  const std::string decoded_query_key = percent_decode(query_key);
  const std::string_view candidates[] = {bearer(r), header(r, "x-goog-api-key"), decoded_query_key};
  std::string_view matched;
  for (std::string_view cand : candidates) {
    // Every candidate is compared, even after a match, so timing does not tell which one was right.
    if (c.client_tokens.matches(cand) && matched.empty()) matched = cand;
  }
  if (matched.empty() && c.allow_client_keys) {
    for (std::string_view cand : candidates) {
      if (is_well_formed_key(cand)) {
        matched = cand;
        out.client_key = std::string(cand);
        break;
      }
    }
  }
  if (matched.empty()) return out;
  out.ok = true;
  const Digest d = sha256(matched);
  out.bucket.assign(reinterpret_cast<const char*>(d.data()), d.size());
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

Plan native_plan(const Config& c, const Request& r, std::string_view path, const ClientAuth& auth) {
  if (auto refusal = detail::body_refusal(Family::gemini, r)) return std::move(*refusal);
  if (!is_forwarded_method(r.method)) {
    Plan p =
        error_plan(Family::gemini, 405, "Method " + std::string(r.method) + " is not forwarded to the Gemini API.");
    p.header["headers"]["allow"] = "GET, POST, PUT, PATCH, DELETE";
    return p;
  }
  Plan p;
  p.header["action"] = "upstream";
  p.header["family"] = "gemini";
  p.header["op"] = "passthrough";
  p.header["model"] = model_of_path(path);
  p.header["method"] = r.method;
  p.header["path"] = path;
  std::optional<int64_t> pinned;
  p.header["query"] = take_upload_pin(path, strip_system_params(r.query), &pinned);
  if (pinned) p.header["prefer_key"] = *pinned;
  p.header["stream"] = path.find(":streamGenerateContent") != std::string_view::npos;
  p.header["response"] = "passthrough";
  p.header["forward_body"] = r.method != "GET";
  p.header["max_bytes"] = c.max_body_bytes;
  p.header["max_attempts"] = c.max_attempts;
  json headers = json::object();
  for (std::string_view name : kForwardedHeaders) {
    const std::string_view v = header(r, name);
    if (!v.empty()) headers[std::string(name)] = v;
  }
  p.header["headers"] = std::move(headers);
  if (!auth.client_key.empty()) p.header["client_key"] = auth.client_key;
  return p;
}

Plan finish_openai_plan(Plan p, const Config& c, const ClientAuth& auth) {
  if (get_string(p.header, "action") == "upstream") {
    p.header["max_attempts"] = c.max_attempts;
    if (!auth.client_key.empty()) p.header["client_key"] = auth.client_key;
  }
  return p;
}

Plan route_openai(const Config& c, const Request& r, std::string_view path, const ClientAuth& auth) {
  constexpr std::string_view kModelsPrefix = "/v1/models/";
  if (path == "/v1/chat/completions" || path == "/v1/embeddings") {
    if (r.method != "POST") return error_plan(Family::openai, 405, "Use POST for " + std::string(path) + ".");
    if (!r.body_included) return need_body(c.max_body_bytes);
    if (auto refusal = detail::body_refusal(Family::openai, r)) return std::move(*refusal);
    if (auto refusal = detail::json_refusal(Family::openai, r.body, kRequestJsonLimits)) return std::move(*refusal);
    Plan p = path == "/v1/chat/completions" ? openai::plan_chat(r.body) : openai::plan_embeddings(r.body);
    return finish_openai_plan(std::move(p), c, auth);
  }
  if (r.method != "GET") return error_plan(Family::openai, 405, "Use GET for " + std::string(path) + ".");
  if (path == "/v1/models") return finish_openai_plan(openai::plan_models(), c, auth);
  return finish_openai_plan(openai::plan_model(percent_decode(path.substr(kModelsPrefix.size()))), c, auth);
}

bool is_models_path(std::string_view path) {
  return path == "/v1/models" ||
         (starts_with(path, "/v1/models/") && path.size() > 11 && path.find(':') == std::string_view::npos &&
          path.find('/', 11) == std::string_view::npos);
}

bool is_openai_path(std::string_view path) {
  return path == "/v1/chat/completions" || path == "/v1/embeddings" || is_models_path(path);
}

// The shape of the /v1/models answers: they follow how the request authenticates, as each
// client library expects (CONTRACT.md). Read top to bottom; the first sign present wins.
enum class ModelsShape { openai, gemini };

struct ShapeSign {
  bool in_query;  // a query parameter, else a header
  std::string_view name;
  ModelsShape shape;
};

constexpr ShapeSign kModelsShapeSigns[] = {
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
      present = get_field(r.headers, sign.name) != nullptr;
    }
    if (present) return sign.shape;
  }
  return ModelsShape::openai;
}

// The OpenAI routes, for the answer to a /v1/ path that is neither one of them nor Gemini's.
constexpr std::string_view kOpenAIRoutes[] = {
    "POST /v1/chat/completions",
    "POST /v1/embeddings",
    "GET /v1/models",
    "GET /v1/models/{model}",
};

// The top-level collections of the Gemini API (ai.google.dev/api/all-methods): a /v1/ path
// under one of them is Gemini's, any other is taken for an OpenAI route this server lacks.
constexpr std::string_view kGeminiCollections[] = {
    "models",  "tunedModels",      "files",          "cachedContents", "operations", "batches",
    "corpora", "fileSearchStores", "generatedFiles", "dynamic",
};

bool is_gemini_v1_path(std::string_view path) {
  const std::string_view rest = path.substr(4);
  const std::string_view collection = rest.substr(0, rest.find_first_of("/:"));
  for (std::string_view c : kGeminiCollections) {
    if (collection == c) return true;
  }
  return false;
}

Plan unknown_openai_route(const Request& r) {
  std::string routes;
  for (std::string_view route : kOpenAIRoutes) {
    if (!routes.empty()) routes += ", ";
    routes += route;
  }
  return error_plan(Family::openai, 404,
                    "Invalid URL (" + std::string(r.method) + " " + std::string(r.path) + "): this server serves " +
                        routes + ", and the Gemini API under /v1beta/, /v1alpha/, /v1/ and /upload/.",
                    "unknown_url");
}

// The native path to forward, or "" when `path` is not a Gemini API path.
std::string native_path(std::string_view path) {
  if (starts_with(path, "/v1/")) return is_gemini_v1_path(path) ? std::string(path) : std::string();
  for (std::string_view family : {"/v1beta/", "/v1alpha/", "/upload/"}) {
    if (starts_with(path, family) && path.size() > family.size()) return std::string(path);
  }
  if (starts_with(path, "/models/") && path.size() > 8) return "/v1beta" + std::string(path);
  if (path == "/models") return "/v1beta/models";
  return {};
}

// A proxy request from a known client: its per-token limit, then its family's plan.
Plan route_client(const Config& c, const Request& r, RouterState& st, std::string_view path, Family family) {
  const ClientAuth auth = check_client(c, r);
  if (!auth.ok) {
    return error_plan(family, 401,
                      "Missing or wrong access token: send Authorization: Bearer <token>, "
                      "x-goog-api-key: <token>, or ?key=<token>.",
                      "invalid_api_key");
  }
  // Counted on the first of the (one or two) routing calls of a request, so once per request.
  if (c.rate_limit_per_minute > 0 && !r.body_included) {
    const double n = c.rate_limit_per_minute;
    if (const int64_t wait = st.clients.take(auth.bucket, RateRule{n, 60'000, 0}, r.now_ms)) {
      const std::string limit = std::to_string(c.rate_limit_per_minute);
      return detail::with_retry_after(
          error_plan(family, 429, "Rate limit reached for this access token (" + limit + " requests per minute).",
                     "rate_limit_exceeded"),
          wait);
    }
  }
  if (family == Family::openai) return route_openai(c, r, path, auth);
  return native_plan(c, r, native_path(path), auth);
}

}  // namespace

Config make_config(const json& h) {
  Config c;
  const std::string_view admin = get_string(h, "admin_token");
  c.admin_tokens.assign(admin.find(',') == std::string_view::npos ? admin : std::string_view{});
  c.session_key = session_key(admin);
  c.client_tokens.assign(get_string(h, "auth_tokens"));
  c.allow_client_keys = get_bool(h, "allow_client_keys");
  if (get_number(h, "max_body_bytes").value_or(0) >= 1024) {
    c.max_body_bytes = static_cast<uint64_t>(get_int(h, "max_body_bytes", 0, 1024, kMaxSafeInteger));
  }
  if (auto v = get_number(h, "max_attempts"); v && *v >= 1 && *v <= 20) c.max_attempts = static_cast<int>(*v);
  c.cors.assign(get_string(h, "cors_origins"));
  if (auto v = get_number(h, "rate_limit_per_minute"); v && *v >= 1 && *v <= 1e6) {
    c.rate_limit_per_minute = static_cast<uint32_t>(*v);
  }
  if (auto v = get_number(h, "body_timeout_ms"); v && *v >= 100) {
    c.body_timeout_ms = get_int(h, "body_timeout_ms", kDefaultBodyTimeoutMs, 100, 3'600'000);
  }
  return c;
}

Request make_request(const json& h, std::string_view body) {
  Request r;
  r.method = get_string(h, "method", "GET");
  r.path = get_string(h, "path", "/");
  r.query = get_string(h, "query");
  if (const json* hs = get_field(h, "headers"); hs != nullptr && hs->is_object()) r.headers = *hs;
  r.body = body;
  r.body_included = get_bool(h, "body_included");
  r.body_too_large = get_bool(h, "body_too_large");
  r.body_unreadable = get_bool(h, "body_unreadable");
  r.body_timed_out = get_bool(h, "body_timed_out");
  r.secure = get_bool(h, "secure");
  r.url_origin = std::string(get_string(h, "url_origin"));
  r.nonce = std::string(get_string(h, "nonce"));
  r.now_ms = get_int(h, "now_ms", 0, -kMaxTimeMs, kMaxTimeMs);
  return r;
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

namespace {

// What every plan leaves the shim to do the same way: how long it may wait for the body
// (router.h), read or drained, and the headers of the answers it builds itself (upstream and
// admin answers: plan.h's data_answer_headers()).
Plan finish_plan(Plan p, const Config& c, bool admin) {
  const std::string_view action = get_string(p.header, "action");
  const bool reads = action == "need_body" || get_bool(p.header, "forward_body");
  const int64_t short_ms = std::min(c.body_timeout_ms, kShortBodyTimeoutMs);
  p.header["body_timeout_ms"] = reads && !admin ? c.body_timeout_ms : short_ms;
  if (action == "upstream" || action == "admin") {
    json& headers = p.header["response_headers"];
    for (const auto& [name, value] : data_answer_headers().items()) headers[name] = value;
  }
  return p;
}

Plan route_request(const Config& c, const Request& r, RouterState& st) {
  const std::string_view path = r.path;
  const bool admin = path == "/api" || starts_with(path, "/api/");
  if (!is_safe_path(path)) {
    return error_plan(admin ? Family::admin : Family::gemini, 400, "The request path is not allowed.", "bad_path");
  }
  if (admin) {
    if (r.method == "OPTIONS") return no_content();
    return detail::route_admin(c, r, path, st);
  }
  const bool openai = is_openai_path(path) && !(is_models_path(path) && models_shape(r) == ModelsShape::gemini);
  const Cors cors{c.cors.allow_origin(header(r, "origin")), !c.cors.allows_any()};
  if (!openai && native_path(path).empty()) {
    if (starts_with(path, "/v1/") && r.method != "OPTIONS") return apply_cors(unknown_openai_route(r), cors);
    if (!starts_with(path, "/v1/")) {
      return error_plan(Family::admin, 404, "Not found. The API lives under /v1/ (OpenAI) and /v1beta/ (Gemini).",
                        "not_found");
    }
  }
  if (r.method == "OPTIONS") return preflight(cors, header(r, "access-control-request-headers"));
  const Family family = openai ? Family::openai : Family::gemini;
  if (c.client_tokens.empty() && !c.allow_client_keys) {
    return apply_cors(error_plan(family, 503, kAuthTokensUnset, "auth_tokens_unset"), cors);
  }
  return apply_cors(route_client(c, r, st, path, family), cors);
}

}  // namespace

Plan route(const Config& c, const Request& r, RouterState& st) {
  const bool admin = r.path == "/api" || starts_with(r.path, "/api/");
  return finish_plan(route_request(c, r, st), c, admin);
}

Plan route(const Config& c, const Request& r) {
  RouterState fresh;
  return route(c, r, fresh);
}

}  // namespace bal
