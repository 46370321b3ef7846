// The admin routes (/api/*): credentials, sessions, limits on wrong tokens, and each
// route's parameters. Admin answers never carry CORS headers.
#include <algorithm>
#include <charconv>
#include <cstdint>
#include <string>

#include "balancer/keys.h"
#include "balancer/pacific.h"
#include "balancer/session.h"
#include "router_internal.h"

namespace bal::detail {
namespace {

constexpr std::string_view kAdminTokenUnset =
    "ADMIN_TOKEN is not set, so the admin API and UI are closed. Set it with `wrangler secret put "
    "ADMIN_TOKEN` in production, or ADMIN_TOKEN=... in .dev.vars locally.";

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

Plan admin_op(std::string_view op) {
  Plan p;
  p.header["action"] = "admin";
  p.header["op"] = op;
  return p;
}

Plan admin_error(int status, std::string_view message, std::string_view code) {
  return error_plan(Family::admin, status, message, code);
}

Plan invalid_body(std::string_view message) {
  return admin_error(400, message, "invalid_body");
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

Plan admin_add(const Request& r) {
  const KeyList list = parse_key_list(r.body);
  if (list.too_many) {
    return admin_error(413, "Too many keys in one request (at most " + std::to_string(kMaxKeysPerRequest) + ").",
                       "too_many_keys");
  }
  if (list.bad_json) {
    return invalid_body(R"(Send {"keys": ["AIza...", ...]}, a JSON array, or plain text with one key per line.)");
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

// Reads {"ids": [int...]} into `ids`; false with `error` set otherwise.
bool read_ids(const json& doc, json& ids, std::string& error) {
  const json* v = get_field(doc, "ids");
  if (v == nullptr) return true;
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
  return true;
}

// Reads {"keys": [string...] | "text"} into `keys`; false with `error` set otherwise.
bool read_keys(const json& doc, bool keys_allowed, json& keys, std::string& error) {
  const json* v = get_field(doc, "keys");
  if (v == nullptr) return true;
  if (!keys_allowed) {
    error = "Select keys by \"ids\".";
    return false;
  }
  if (!v->is_array() && !v->is_string()) {
    error = "\"keys\" must be an array of keys.";
    return false;
  }
  const KeyList list = parse_key_list(dump_json(json{{"keys", *v}}));
  if (list.too_many) {
    error = "Too many keys in one request.";
    return false;
  }
  keys = list.keys;
  return true;
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
  if (!read_ids(doc, ids, error) || !read_keys(doc, keys_allowed, keys, error)) return false;
  if (ids.empty() && keys.empty()) {
    error = keys_allowed ? R"(Nothing selected: send {"ids": [...]} or {"keys": [...]}.)"
                         : R"(Nothing selected: send {"ids": [...]}.)";
    return false;
  }
  return true;
}

Plan admin_selection(const Request& r, std::string_view op, bool keys_allowed) {
  json ids, keys;
  std::string error;
  if (!read_selection(r.body, keys_allowed, ids, keys, error)) return invalid_body(error);
  Plan p = admin_op(op);
  p.header["ids"] = std::move(ids);
  if (keys_allowed) p.header["keys"] = std::move(keys);
  return p;
}

Plan too_many_failures(int64_t wait_ms) {
  return with_retry_after(
      admin_error(429, "Too many wrong admin tokens from this address: wait before trying again.", "too_many_failures"),
      wait_ms);
}

std::string session_cookie(const Request& r, std::string_view value, int64_t max_age_s) {
  std::string cookie = std::string(kSessionCookie) + "=" + std::string(value) +
                       "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age_s);
  if (r.secure) cookie += "; Secure";
  return cookie;
}

// A right token opens a session: the Durable Object records its id (shim: session.create)
// before the cookie goes out.
Plan session_login(const Config& c, const Request& r, RouterState& st, const std::string& address) {
  const json doc = parse_json(r.body);
  const json* token = get_field(doc, "token");
  if (token == nullptr || !token->is_string()) return invalid_body(R"(Send {"token": "<ADMIN_TOKEN>"}.)");
  if (!c.admin_tokens.matches(token->get_ref<const std::string&>())) {
    st.admin_failures.take(address, kAdminFailureRule, r.now_ms);
    return admin_error(401, "Wrong admin token.", "unauthorized");
  }
  if (!is_session_id(r.nonce)) return admin_error(500, "No session id was given to the core.", "internal");
  const int64_t expires = r.now_ms + kSessionLifetimeMs;
  Plan p = admin_op("session.create");
  p.header["new_session"] = r.nonce;
  p.header["expires_ms"] = expires;
  p.header["response_headers"]["set-cookie"] =
      session_cookie(r, session_cookie_value(c.session_key, r.nonce, expires), kSessionLifetimeMs / 1000);
  return p;
}

// Logging out clears the cookie and, when it names a session, ends that session everywhere.
Plan session_logout(const Request& r, const std::optional<std::string>& session) {
  Plan p;
  if (session) {
    p = admin_op("session.end");
    p.header["end_session"] = *session;
    p.header["response_headers"]["set-cookie"] = session_cookie(r, "", 0);
  } else {
    p = respond_json(200, {{"ok", true}});
    p.header["headers"]["set-cookie"] = session_cookie(r, "", 0);
  }
  return p;
}

bool same_origin(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
    const char y = b[i] >= 'A' && b[i] <= 'Z' ? static_cast<char>(b[i] - 'A' + 'a') : b[i];
    if (x != y) return false;
  }
  return true;
}

bool is_json_type(std::string_view content_type) {
  std::string_view type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  while (!type.empty() && type.front() == ' ') type.remove_prefix(1);
  return same_origin(type, "application/json");
}

// A cookie travels with whatever page makes the request, so a change made on the strength of
// a cookie must come from this origin's own pages (the admin UI), and with a JSON body, which
// a form or a "simple" cross-site request cannot send. SameSite=Strict is the first guard;
// this one holds where a browser or a same-site page gets around it. Bearer calls need none.
std::optional<Plan> cross_site_refusal(const Request& r, bool has_body) {
  const std::string_view site = header(r, "sec-fetch-site");
  const std::string_view origin = header(r, "origin");
  if ((!site.empty() && site != "same-origin" && site != "none") ||
      (!origin.empty() && !same_origin(origin, r.url_origin))) {
    return admin_error(403, "Changes made with the session cookie must come from the admin UI's own origin.",
                       "cross_site_request");
  }
  if (has_body && !is_json_type(header(r, "content-type"))) {
    return admin_error(415, "Send the request body as application/json.", "unsupported_media_type");
  }
  return std::nullopt;
}

// The admin routes whose request carries a JSON body to read.
bool writes_with_body(std::string_view method, std::string_view path) {
  return (method == "POST" && (path == "/api/keys" || path == "/api/keys/check" || path == "/api/keys/enable" ||
                               path == "/api/keys/disable")) ||
         (method == "DELETE" && path == "/api/keys");
}

// The admin operations, once the caller is known to be the admin.
Plan admin_route(const Config& c, const Request& r, std::string_view path) {
  const std::string_view m = r.method;
  const bool writes = writes_with_body(m, path);
  if (path == "/api/session" && m == "GET") return respond_json(200, {{"ok", true}});
  if (writes) {
    if (!r.body_included) return need_body(std::min(c.max_body_bytes, kAdminMaxBodyBytes));
    if (!is_valid_utf8(r.body)) return invalid_body("The request body is not valid UTF-8.");
    if (auto refusal = json_refusal(Family::admin, r.body, kAdminJsonLimits)) return std::move(*refusal);
  }
  if (path == "/api/keys") {
    if (m == "GET") return admin_list(r);
    if (m == "POST") return admin_add(r);
    if (m == "DELETE") return admin_selection(r, "keys.delete", true);
  } else if (path == "/api/keys/check") {
    if (m == "GET") {
      Plan p = admin_op("keys.check");
      p.header["ids"] = nullptr;
      return p;
    }
    if (m == "POST") return admin_selection(r, "keys.check", false);
  } else if (path == "/api/keys/check/status") {
    if (m == "GET") return admin_op("keys.check_status");
  } else if (path == "/api/keys/enable" || path == "/api/keys/disable") {
    if (m == "POST") return admin_selection(r, path == "/api/keys/enable" ? "keys.enable" : "keys.disable", false);
  } else if (path == "/api/stats") {
    if (m == "GET") {
      Plan p = admin_op("stats");
      p.header["hours"] = int_param(r.query, "hours", 24, 1, 168);
      p.header["key_id"] = int_param(r.query, "key_id", 0, 0, INT64_MAX);
      p.header["day_start_ms"] = pacific_day_start_ms(r.now_ms);
      return p;
    }
  } else if (path != "/api/session") {
    return admin_error(404, "No such admin route.", "not_found");
  }
  return admin_error(405, "Method not allowed on this admin route.", "method_not_allowed");
}

}  // namespace

Plan route_admin(const Config& c, const Request& r, std::string_view path, RouterState& st) {
  if (c.admin_tokens.empty()) return admin_error(503, kAdminTokenUnset, "admin_token_unset");
  const std::optional<std::string> session = session_id(c.session_key, cookie_value(r, kSessionCookie), r.now_ms);
  if (path == "/api/session" && r.method == "DELETE") {
    if (session) {
      if (auto refusal = cross_site_refusal(r, false)) return std::move(*refusal);
    }
    return session_logout(r, session);
  }
  const std::string address = address_bucket(header(r, "cf-connecting-ip"));
  const bool login = path == "/api/session" && r.method == "POST";
  const std::string_view token = bearer(r);
  const bool by_bearer = !login && c.admin_tokens.matches(token);
  // A live session is a signed cookie nobody can guess, so it still works from an address
  // that is locked out; a login attempt never does.
  const bool by_session = !login && !by_bearer && session.has_value();
  if (!by_session) {
    if (const int64_t wait = st.admin_failures.wait_ms(address, kAdminFailureRule, r.now_ms)) {
      return too_many_failures(wait);
    }
  }
  if (!login && !by_bearer && !by_session) {
    // No credentials at all is the UI asking whether it is logged in: not an attempt.
    if (!token.empty()) st.admin_failures.take(address, kAdminFailureRule, r.now_ms);
    return admin_error(401, "Admin authentication required: send Authorization: Bearer <ADMIN_TOKEN>, or log in.",
                       "unauthorized");
  }
  if (by_session && r.method != "GET" && r.method != "HEAD") {
    if (auto refusal = cross_site_refusal(r, writes_with_body(r.method, path))) return std::move(*refusal);
  }
  if (auto refusal = body_refusal(Family::admin, r)) return std::move(*refusal);
  if (login) {
    if (!r.body_included) return need_body(std::min(c.max_body_bytes, kLoginMaxBodyBytes));
    return session_login(c, r, st, address);
  }
  Plan p = admin_route(c, r, path);
  if (!by_session) return p;
  // The cookie is genuine; whether its session is still live only the Durable Object knows:
  // the shim asks it before carrying out the plan (and answers 401 when it has ended).
  if (path == "/api/session" && r.method == "GET" && get_string(p.header, "action") == "respond") {
    p = admin_op("session.status");
  }
  if (get_string(p.header, "action") == "admin") p.header["session"] = *session;
  return p;
}

}  // namespace bal::detail
