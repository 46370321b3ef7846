#include "balancer/router.h"

#include <charconv>
#include <string>
#include <vector>

#include "balancer/keys.h"
#include "balancer/openai.h"
#include "balancer/pacific.h"
#include "balancer/path.h"

namespace bal {
namespace {

constexpr std::string_view kSessionCookie = "bal_session";

constexpr std::string_view kAuthTokensUnset =
    "AUTH_TOKENS is not set, so the proxy routes are closed. Set one or more client tokens "
    "(comma-separated): `wrangler secret put AUTH_TOKENS` in production, or AUTH_TOKENS=... in "
    ".dev.vars locally.";
constexpr std::string_view kAdminTokenUnset =
    "ADMIN_TOKEN is not set, so the admin API and UI are closed. Set it with `wrangler secret put "
    "ADMIN_TOKEN` in production, or ADMIN_TOKEN=... in .dev.vars locally.";

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

constexpr std::string_view kCorsAllowHeaders =
    "authorization, content-type, x-goog-api-key, x-goog-api-client, x-goog-upload-protocol, "
    "x-goog-upload-command, x-goog-upload-offset, x-goog-upload-header-content-length, "
    "x-goog-upload-header-content-type, x-stainless-arch, x-stainless-lang, x-stainless-os, "
    "x-stainless-package-version, x-stainless-retry-count, x-stainless-runtime, "
    "x-stainless-runtime-version, x-stainless-timeout, x-stainless-async, openai-organization, "
    "openai-project, openai-beta, http-referer, x-title";

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

std::string_view header(const Request& r, std::string_view name) { return get_string(r.headers, name); }

std::string_view bearer(const Request& r) {
  std::string_view v = header(r, "authorization");
  if (v.size() > 7 && (starts_with(v, "Bearer ") || starts_with(v, "bearer "))) {
    v.remove_prefix(7);
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
    return v;
  }
  return {};
}

std::string cookie_value(const Request& r, std::string_view name) {
  std::string_view all = header(r, "cookie");
  while (!all.empty()) {
    const size_t semi = all.find(';');
    std::string_view item = all.substr(0, semi);
    all = semi == std::string_view::npos ? std::string_view{} : all.substr(semi + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    if (starts_with(item, name) && item.size() > name.size() && item[name.size()] == '=') {
      return std::string(item.substr(name.size() + 1));
    }
  }
  return {};
}

std::string session_value(const Config& c, int64_t expires_ms) {
  const std::string expiry = std::to_string(expires_ms);
  return expiry + "." + to_hex(hmac_sha256(c.admin_secret, "session:" + expiry));
}

bool session_valid(const Config& c, std::string_view value, int64_t now_ms) {
  const size_t dot = value.find('.');
  if (dot == std::string_view::npos || c.admin_secret.empty()) return false;
  int64_t expires = 0;
  const std::string_view expiry = value.substr(0, dot);
  const auto r = std::from_chars(expiry.data(), expiry.data() + expiry.size(), expires);
  if (r.ec != std::errc() || r.ptr != expiry.data() + expiry.size()) return false;
  if (expires <= now_ms || expires > now_ms + kSessionLifetimeMs) return false;
  const std::string expected = session_value(c, expires);
  return digest_equal(sha256(expected), sha256(value));
}

Plan with_cors(Plan p) {
  p.header["headers"]["access-control-allow-origin"] = "*";
  return p;
}

Plan need_body(const Config& c) {
  Plan p;
  p.header["action"] = "need_body";
  p.header["max_bytes"] = c.max_body_bytes;
  return p;
}

Plan preflight(bool proxy) {
  Plan p;
  p.header["action"] = "respond";
  p.header["status"] = 204;
  json headers = json::object();
  if (proxy) {
    headers["access-control-allow-origin"] = "*";
    headers["access-control-allow-methods"] = "GET, POST, PUT, PATCH, DELETE, OPTIONS";
    headers["access-control-allow-headers"] = kCorsAllowHeaders;
    headers["access-control-expose-headers"] = "x-balancer-attempts, retry-after, x-goog-upload-url, x-goog-upload-status";
    headers["access-control-max-age"] = "86400";
  }
  p.header["headers"] = std::move(headers);
  return p;
}

// ---- proxy families ---------------------------------------------------------------------

struct ClientAuth {
  bool ok = false;
  std::string client_key;  // the client's own Gemini key, when allowed and sent
};

ClientAuth check_client(const Config& c, const Request& r) {
  ClientAuth out;
  std::string query_key;
  strip_key_param(r.query, &query_key);
  const std::string decoded_query_key = percent_decode(query_key);
  const std::string_view candidates[] = {bearer(r), header(r, "x-goog-api-key"), decoded_query_key};
  bool any = false;
  for (std::string_view cand : candidates) any = c.client_tokens.matches(cand) || any;
  if (any) {
    out.ok = true;
    return out;
  }
  if (c.allow_client_keys) {
    for (std::string_view cand : candidates) {
      if (is_well_formed_key(cand)) {
        out.ok = true;
        out.client_key = std::string(cand);
        return out;
      }
    }
  }
  return out;
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
  Plan p;
  p.header["action"] = "upstream";
  p.header["family"] = "gemini";
  p.header["op"] = "passthrough";
  p.header["model"] = model_of_path(path);
  p.header["method"] = r.method;
  p.header["path"] = path;
  p.header["query"] = strip_key_param(r.query);
  p.header["stream"] = path.find(":streamGenerateContent") != std::string_view::npos;
  p.header["response"] = "passthrough";
  p.header["forward_body"] = r.method != "GET" && r.method != "HEAD";
  p.header["max_bytes"] = c.max_body_bytes;
  p.header["max_attempts"] = c.max_attempts;
  p.header["cors"] = "*";
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
    p.header["cors"] = "*";
    if (!auth.client_key.empty()) p.header["client_key"] = auth.client_key;
    return p;
  }
  return with_cors(std::move(p));
}

Plan route_openai(const Config& c, const Request& r, std::string_view path, const ClientAuth& auth) {
  constexpr std::string_view kModelsPrefix = "/v1/models/";
  if (path == "/v1/chat/completions" || path == "/v1/embeddings") {
    if (r.method != "POST") return with_cors(error_plan(Family::openai, 405, "Use POST for " + std::string(path) + "."));
    if (!r.body_included) return need_body(c);
    if (r.body_too_large) {
      return with_cors(error_plan(Family::openai, 413, "The request body is larger than this server accepts.",
                                  "request_too_large"));
    }
    Plan p = path == "/v1/chat/completions" ? openai::plan_chat(r.body) : openai::plan_embeddings(r.body);
    return finish_openai_plan(std::move(p), c, auth);
  }
  if (r.method != "GET") return with_cors(error_plan(Family::openai, 405, "Use GET for " + std::string(path) + "."));
  if (path == "/v1/models") return finish_openai_plan(openai::plan_models(), c, auth);
  return finish_openai_plan(openai::plan_model(percent_decode(path.substr(kModelsPrefix.size()))), c, auth);
}

bool is_openai_path(std::string_view path) {
  return path == "/v1/chat/completions" || path == "/v1/embeddings" || path == "/v1/models" ||
         (starts_with(path, "/v1/models/") && path.size() > 11 && path.find(':') == std::string_view::npos &&
          path.find('/', 11) == std::string_view::npos);
}

// The native path to forward, or "" when `path` is not a Gemini API path.
std::string native_path(std::string_view path) {
  for (std::string_view family : {"/v1beta/", "/v1alpha/", "/v1/", "/upload/"}) {
    if (starts_with(path, family) && path.size() > family.size()) return std::string(path);
  }
  if (starts_with(path, "/models/") && path.size() > 8) return "/v1beta" + std::string(path);
  if (path == "/models") return "/v1beta/models";
  return {};
}

// ---- admin ------------------------------------------------------------------------------

Plan admin_op(std::string_view op) {
  Plan p;
  p.header["action"] = "admin";
  p.header["op"] = op;
  return p;
}

Plan admin_error(int status, std::string_view message, std::string_view code) {
  return error_plan(Family::admin, status, message, code);
}

int64_t int_param(std::string_view query, std::string_view name, int64_t fallback, int64_t lo, int64_t hi) {
  const std::string v = query_param(query, name);
  int64_t out = 0;
  const auto r = std::from_chars(v.data(), v.data() + v.size(), out);
  if (v.empty() || r.ec != std::errc() || r.ptr != v.data() + v.size()) return fallback;
  return out < lo ? lo : (out > hi ? hi : out);
}

Plan admin_list(const Request& r) {
  Plan p = admin_op("keys.list");
  const int64_t limit = int_param(r.query, "limit", 100, 1, 1000);
  const int64_t page = int_param(r.query, "page", 1, 1, 1000000);
  p.header["limit"] = limit;
  p.header["offset"] = (page - 1) * limit;
  p.header["page"] = page;
  std::string status = query_param(r.query, "status");
  if (status != "active" && status != "cooling" && status != "disabled") status = "all";
  p.header["status"] = status;
  std::string q = query_param(r.query, "q");
  if (q.size() > 64) q.resize(64);
  p.header["q"] = q;
  std::string sort = query_param(r.query, "sort");
  if (sort != "requests" && sort != "last_used" && sort != "failures" && sort != "status") sort = "id";
  p.header["sort"] = sort;
  p.header["order"] = query_param(r.query, "order") == "desc" ? "desc" : "asc";
  return p;
}

Plan admin_add(const Config& c, const Request& r) {
  if (!r.body_included) return need_body(c);
  const KeyList list = parse_key_list(r.body);
  if (list.too_many) {
    return admin_error(413, "Too many keys in one request (at most " + std::to_string(kMaxKeysPerRequest) + ").",
                       "too_many_keys");
  }
  if (list.bad_json) {
    return admin_error(400, R"(Send {"keys": ["AIza...", ...]}, a JSON array, or plain text with one key per line.)",
                       "invalid_body");
  }
  Plan p = admin_op("keys.add");
  p.header["keys"] = list.keys;
  json masked = json::array();
  for (const std::string& k : list.keys) masked.push_back(mask_key(k));
  p.header["masked"] = std::move(masked);
  p.header["duplicates"] = list.duplicates;
  p.header["rejected"] = list.rejected;
  return p;
}

// Reads {"ids": [int...]} and/or {"keys": [string...]}; returns false with `error` set otherwise.
bool read_selection(std::string_view body, bool keys_allowed, json& ids, json& keys, std::string& error) {
  const json doc = parse_json(body);
  ids = json::array();
  keys = json::array();
  if (!doc.is_object()) {
    error = keys_allowed ? R"(Send {"ids": [1, 2]} or {"keys": ["AIza..."]}.)" : R"(Send {"ids": [1, 2]}.)";
    return false;
  }
  if (const json* v = get_field(doc, "ids")) {
    if (!v->is_array() || v->size() > kMaxKeysPerRequest) {
      error = "\"ids\" must be an array of at most " + std::to_string(kMaxKeysPerRequest) + " key ids.";
      return false;
    }
    for (const json& id : *v) {
      if (!id.is_number_integer() || id.get<int64_t>() <= 0) {
        error = "\"ids\" must hold positive integers.";
        return false;
      }
      ids.push_back(id.get<int64_t>());
    }
  }
  if (const json* v = get_field(doc, "keys")) {
    if (!keys_allowed) {
      error = "Select keys by \"ids\".";
      return false;
    }
    const KeyList list = v->is_array() || v->is_string() ? parse_key_list(dump_json(json{{"keys", *v}})) : KeyList{};
    if (!v->is_array() && !v->is_string()) {
      error = "\"keys\" must be an array of keys.";
      return false;
    }
    if (list.too_many) {
      error = "Too many keys in one request.";
      return false;
    }
    keys = list.keys;
  }
  if (ids.empty() && keys.empty()) {
    error = keys_allowed ? R"(Nothing selected: send {"ids": [...]} or {"keys": [...]}.)"
                         : R"(Nothing selected: send {"ids": [...]}.)";
    return false;
  }
  return true;
}

Plan admin_selection(const Config& c, const Request& r, std::string_view op, bool keys_allowed) {
  if (!r.body_included) return need_body(c);
  json ids, keys;
  std::string error;
  if (!read_selection(r.body, keys_allowed, ids, keys, error)) return admin_error(400, error, "invalid_body");
  Plan p = admin_op(op);
  p.header["ids"] = std::move(ids);
  if (keys_allowed) p.header["keys"] = std::move(keys);
  return p;
}

Plan session_login(const Config& c, const Request& r) {
  if (!r.body_included) return need_body(c);
  const json doc = parse_json(r.body);
  const std::string_view token = get_string(doc, "token");
  if (!c.admin_tokens.matches(token)) return admin_error(401, "Wrong admin token.", "unauthorized");
  const int64_t expires = r.now_ms + kSessionLifetimeMs;
  Plan p = respond_json(200, {{"ok", true}, {"expires_ms", expires}});
  std::string cookie = std::string(kSessionCookie) + "=" + session_value(c, expires) +
                       "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(kSessionLifetimeMs / 1000);
  if (r.secure) cookie += "; Secure";
  p.header["headers"]["set-cookie"] = cookie;
  p.header["headers"]["cache-control"] = "no-store";
  return p;
}

Plan session_logout(const Request& r) {
  Plan p = respond_json(200, {{"ok", true}});
  std::string cookie = std::string(kSessionCookie) + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0";
  if (r.secure) cookie += "; Secure";
  p.header["headers"]["set-cookie"] = cookie;
  return p;
}

struct AdminRoute {
  std::string_view path;
  std::string_view method;
  std::string_view op;  // "" when handled by a function below
};

Plan route_admin(const Config& c, const Request& r, std::string_view path) {
  if (c.admin_tokens.empty()) return admin_error(503, kAdminTokenUnset, "admin_token_unset");
  if (path == "/api/session") {
    if (r.method == "POST") return session_login(c, r);
    if (r.method == "DELETE") return session_logout(r);
  }
  const bool authorised = c.admin_tokens.matches(bearer(r)) ||
                          session_valid(c, cookie_value(r, kSessionCookie), r.now_ms);
  if (!authorised) {
    return admin_error(401, "Admin authentication required: send Authorization: Bearer <ADMIN_TOKEN>, or log in.",
                       "unauthorized");
  }
  if (r.body_too_large) return admin_error(413, "The request body is too large.", "request_too_large");
  const std::string_view m = r.method;
  if (path == "/api/session" && m == "GET") return respond_json(200, {{"ok", true}});
  if (path == "/api/keys") {
    if (m == "GET") return admin_list(r);
    if (m == "POST") return admin_add(c, r);
    if (m == "DELETE") return admin_selection(c, r, "keys.delete", true);
  } else if (path == "/api/keys/check") {
    if (m == "GET") {
      Plan p = admin_op("keys.check");
      p.header["ids"] = nullptr;
      return p;
    }
    if (m == "POST") return admin_selection(c, r, "keys.check", false);
  } else if (path == "/api/keys/check/status") {
    if (m == "GET") return admin_op("keys.check_status");
  } else if (path == "/api/keys/enable" || path == "/api/keys/disable") {
    if (m == "POST") return admin_selection(c, r, path == "/api/keys/enable" ? "keys.enable" : "keys.disable", false);
  } else if (path == "/api/stats") {
    if (m == "GET") {
      Plan p = admin_op("stats");
      p.header["hours"] = int_param(r.query, "hours", 24, 1, 168);
      p.header["key_id"] = int_param(r.query, "key_id", 0, 0, INT64_MAX);
      p.header["day_start_ms"] = pacific_day_start_ms(r.now_ms);
      return p;
    }
  } else {
    return admin_error(404, "No such admin route.", "not_found");
  }
  return admin_error(405, "Method not allowed on this admin route.", "method_not_allowed");
}

}  // namespace

Config make_config(const json& h) {
  Config c;
  const std::string_view admin = get_string(h, "admin_token");
  c.admin_tokens.assign(admin.find(',') == std::string_view::npos ? admin : std::string_view{});
  c.admin_secret = std::string(admin);
  c.client_tokens.assign(get_string(h, "auth_tokens"));
  c.allow_client_keys = get_bool(h, "allow_client_keys");
  if (auto v = get_number(h, "max_body_bytes"); v && *v >= 1024) c.max_body_bytes = static_cast<uint64_t>(*v);
  if (auto v = get_number(h, "max_attempts"); v && *v >= 1 && *v <= 10) c.max_attempts = static_cast<int>(*v);
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
  r.secure = get_bool(h, "secure");
  if (auto now = get_number(h, "now_ms")) r.now_ms = static_cast<int64_t>(*now);
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

Plan route(const Config& c, const Request& r) {
  const std::string_view path = r.path;
  const bool admin = path == "/api" || starts_with(path, "/api/");
  if (!is_safe_path(path)) {
    return error_plan(admin ? Family::admin : Family::gemini, 400, "The request path is not allowed.", "bad_path");
  }
  if (admin) {
    if (r.method == "OPTIONS") return preflight(false);
    return route_admin(c, r, path);
  }
  const bool openai = is_openai_path(path);
  const std::string native = openai ? std::string() : native_path(path);
  if (!openai && native.empty()) {
    return error_plan(Family::admin, 404, "Not found. The API lives under /v1/ (OpenAI) and /v1beta/ (Gemini).",
                      "not_found");
  }
  if (r.method == "OPTIONS") return preflight(true);
  const Family family = openai ? Family::openai : Family::gemini;
  if (c.client_tokens.empty() && !c.allow_client_keys) {
    return with_cors(error_plan(family, 503, kAuthTokensUnset, "auth_tokens_unset"));
  }
  const ClientAuth auth = check_client(c, r);
  if (!auth.ok) {
    return with_cors(error_plan(family, 401,
                                "Missing or wrong access token: send Authorization: Bearer <token>, "
                                "x-goog-api-key: <token>, or ?key=<token>.",
                                "invalid_api_key"));
  }
  if (openai) return route_openai(c, r, path, auth);
  if (r.body_too_large) {
    return with_cors(error_plan(Family::gemini, 413, "The request body is larger than this server accepts."));
  }
  return native_plan(c, r, native, auth);
}

}  // namespace bal
