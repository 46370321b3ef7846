// route_view.h — the router tests' view of a Route: the plan-shaped JSON they assert on
// ({"action": "respond" | "need_body" | "upstream" | "admin", "status", "headers", ...}),
// and configurations written the short way.
#pragma once

#include <string>

#include "balancer/json.h"
#include "balancer/record.h"
#include "balancer/router.h"

namespace route_view {

using bal::json;

// {"admin_token", "auth_tokens", "allow_client_keys", "max_body_bytes", "max_attempts",
// "cors_origins", "rate_limit_per_minute"} → the Worker bindings make_config() reads.
inline bal::Config config(const json& short_form) {
  json bindings = json::object();
  for (const auto& [name, value] : short_form.items()) {
    std::string binding = name;
    for (char& c : binding) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    bindings[binding] = value.is_string() ? value.get<std::string>() : value.dump();
  }
  return bal::make_config(bindings);
}

struct View {
  json header = json::object();
  std::string payload;
};

inline json pairs_json(std::string_view pairs) {
  json out = json::object();
  while (!pairs.empty()) {
    const size_t a = pairs.find('\n');
    const size_t b = pairs.find('\n', a + 1);
    out[std::string(pairs.substr(0, a))] = std::string(pairs.substr(a + 1, b - a - 1));
    pairs.remove_prefix(b + 1);
  }
  return out;
}

inline View view_of(const bal::Route& r, bool with_body) {
  View v;
  switch (r.kind) {
    case bal::Route::Kind::respond: {
      v.header["action"] = "respond";
      v.header["status"] = r.reply.status;
      json headers = json::object();
      if (!r.reply.content_type.empty()) headers["content-type"] = r.reply.content_type;
      for (const auto& [name, value] : r.reply.headers) headers[name] = value;
      v.header["headers"] = headers;
      v.payload = r.reply.body;
      return v;
    }
    case bal::Route::Kind::admin:
      v.header = r.admin.header;
      v.payload = r.admin.payload;
      return v;
    case bal::Route::Kind::proxy:
      break;
  }
  // A native body is forwarded untouched: its plan is "upstream" whether or not it was read.
  if (r.needs_body && !with_body && r.api != bal::Api::native) {
    v.header["action"] = "need_body";
    v.header["max_bytes"] = r.max_body;
    return v;
  }
  v.header["action"] = "upstream";
  if (r.needs_body) v.header["max_bytes"] = r.max_body;
  v.header["family"] = r.api == bal::Api::native ? "gemini" : "openai";
  v.header["path"] = r.path;
  v.header["query"] = r.query;
  v.header["model"] = r.model;
  v.header["forward_body"] = r.needs_body;
  v.header["headers"] = pairs_json(r.forward);
  v.header["stream"] = r.path.find(":streamGenerateContent") != std::string::npos;
  if (!r.client_key.empty()) v.header["client_key"] = r.client_key;
  if (r.api == bal::Api::native) v.header["response"] = "passthrough";
  bal::Reply answer;
  bal::add_cors(r, answer);
  json response_headers = json::object();
  for (const auto& [name, value] : answer.headers) response_headers[name] = value;
  v.header["response_headers"] = response_headers;
  return v;
}

// How long the body of the request routed may take to arrive.
inline View view(const bal::Route& r, bool with_body) {
  View v = view_of(r, with_body);
  v.header["body_timeout_ms"] = r.body_timeout_ms;
  return v;
}

inline std::string pairs(const json& headers) {
  bal::abi::HeaderList h;
  for (const auto& [name, value] : headers.items()) h.add(name, value.get<std::string>());
  return h.text();
}

inline constexpr const char* kNonce = "0123456789abcdef0123456789abcdef";
inline constexpr const char* kOrigin = "https://balancer.example";

// Routes one request (as the machine does: its origin and a random id as the nonce).
inline View route(const bal::Config& c, bal::RouterState& st, const std::string& method, const std::string& target,
                  const json& headers, const std::string& body, bool with_body, int64_t now,
                  const std::string& nonce = kNonce) {
  const size_t q = target.find('?');
  const std::string path = target.substr(0, q);
  const std::string query = q == std::string::npos ? "" : target.substr(q + 1);
  const std::string header_pairs = pairs(headers);
  bal::Request r;
  r.method = method;
  r.path = path;
  r.query = query;
  r.headers = header_pairs;
  r.body = body;
  r.body_included = with_body;
  r.now_ms = now;
  r.url_origin = kOrigin;
  r.nonce = nonce;
  return view(bal::route(c, r, st), with_body);
}

}  // namespace route_view
