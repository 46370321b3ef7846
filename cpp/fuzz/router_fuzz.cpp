// The router: configuration, admin and proxy routes, credentials, sessions, limits, bodies.
// Input (FuzzedDataProvider), in this order: a configuration byte; method, path and query
// (each either picked from a list or a free string); up to 8 headers (names from the ones
// the shim passes, balancer.h); a flags byte; now_ms when the flags say so; the rest is the
// body. The same request is routed 1 to 4 times (the flags say how many) against one
// RouterState, so per-client limits run out. tests/fuzz/formats.mjs reads the same layout.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <string>

#include "balancer.h"
#include "balancer/auth.h"
#include "balancer/keys.h"
#include "balancer/path.h"
#include "balancer/record.h"
#include "balancer/router.h"
#include "balancer/session.h"
#include "fuzz_support.h"

namespace {

using bal::json;

constexpr const char* kAdminToken = "fuzz-admin-token-0123";
constexpr int64_t kNow = 1700000000000;

constexpr const char* kMethods[] = {"GET", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "HEAD"};
constexpr const char* kPaths[] = {"/v1/chat/completions",
                                  "/v1/embeddings",
                                  "/v1/models",
                                  "/v1/models/gemini-2.5-flash",
                                  "/v1beta/models/gemini-2.5-flash:generateContent",
                                  "/v1beta/models/gemini-2.5-flash:streamGenerateContent",
                                  "/v1beta/models",
                                  "/upload/v1beta/files",
                                  "/models/gemini-2.5-pro:countTokens",
                                  "/api/session",
                                  "/api/keys",
                                  "/api/keys/check",
                                  "/api/keys/check/status",
                                  "/api/keys/enable",
                                  "/api/keys/disable",
                                  "/api/stats",
                                  "/",
                                  "/v1/images/edits",
                                  "/v1/audio/speech",
                                  "//ws/google.ai.generativelanguage.v1.GenerativeService.BidiGenerateContent"};
constexpr const char* kHeaderNames[] = {
#define BAL_FUZZ_HEADER(name) name,
    BAL_REQUEST_HEADERS(BAL_FUZZ_HEADER)
#undef BAL_FUZZ_HEADER
};
// Headers a native request never carries upstream: the client's credentials and cookies.
constexpr std::string_view kPrivateHeaders[] = {"authorization", "x-goog-api-key", "x-api-key", "cookie",
                                                "cf-connecting-ip"};

// Values no mutation would guess: the configured tokens are compared as SHA-256 digests.
std::string valid_cookie() {
  return "bal_session=" + bal::session_cookie_value(bal::session_key(kAdminToken), "0123456789abcdef0123456789abcdef",
                                                    kNow + 3600 * 1000);
}

std::string pick_or_free(FuzzedDataProvider& in, const char* const* list, size_t n, size_t max_len) {
  if (in.ConsumeBool()) return list[in.ConsumeIntegralInRange<size_t>(0, n - 1)];
  return in.ConsumeRandomLengthString(max_len);
}

// The Worker's bindings, one per bit (strings, as bindings are).
bal::Config config_of(uint8_t bits) {
  json b = json::object();
  if (bits & 1) b["ADMIN_TOKEN"] = kAdminToken;
  if (bits & 2) b["AUTH_TOKENS"] = "tok-a, tok-b";
  if (bits & 4) b["ALLOW_CLIENT_KEYS"] = "true";
  if (bits & 8) b["CORS_ORIGINS"] = "https://app.example";
  if (bits & 16) b["RATE_LIMIT_PER_MINUTE"] = "2";
  if (bits & 32) b["MAX_BODY_BYTES"] = "1024";
  if (bits & 64) b["CORS_ORIGINS"] = "*";
  // A list is no admin token: the admin API stays closed.
  if (bits & 128) b["ADMIN_TOKEN"] = std::string(kAdminToken) + ",second";
  return bal::make_config(b);
}

// Headers the Worker can set on a Response.
void check_reply_headers(const bal::Reply& r) {
  for (const auto& [name, value] : r.headers) {
    FUZZ_CHECK(!name.empty());
    for (char c : name) FUZZ_CHECK((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
    FUZZ_CHECK(value.find_first_of(std::string_view("\r\n\0", 3)) == std::string::npos);
  }
  FUZZ_CHECK(r.content_type.find_first_of("\r\n") == std::string::npos);
}

void check_route(const bal::Config& config, const bal::Request& r, const bal::Route& route) {
  switch (route.kind) {
    case bal::Route::Kind::respond:
      FUZZ_CHECK(route.reply.status >= 100 && route.reply.status < 600);
      check_reply_headers(route.reply);
      break;
    case bal::Route::Kind::admin: {
      const json& h = route.admin.header;
      FUZZ_CHECK(h.is_object());
      const std::string_view action = bal::get_string(h, "action");
      FUZZ_CHECK(action == "respond" || action == "admin" || action == "need_body");
      if (const json* headers = bal::get_field(h, "headers")) FUZZ_CHECK(headers->is_object());
      if (action == "respond") {
        const auto status = bal::get_number(h, "status");
        FUZZ_CHECK(status && *status >= 100 && *status < 600);
      }
      break;
    }
    case bal::Route::Kind::proxy:
      if (route.api == bal::Api::native) {
        FUZZ_CHECK(bal::is_safe_path(route.path));
        // The client's key travels as client_key, never in the query sent upstream.
        FUZZ_CHECK(bal::strip_system_params(route.query) == route.query);
        for (std::string_view name : kPrivateHeaders) {
          FUZZ_CHECK(bal::abi::header_value(route.forward, name).empty());
        }
        FUZZ_CHECK(route.model.find_first_of("/:") == std::string::npos);
      }
      if (!route.client_key.empty()) FUZZ_CHECK(config.allow_client_keys && bal::is_well_formed_key(route.client_key));
      if (route.needs_body) FUZZ_CHECK(route.max_body > 0);
      if (route.api == bal::Api::live) {
        // Google's own path, nothing of the client's query, and no body.
        FUZZ_CHECK(route.path.rfind("/ws/google.ai.generativelanguage.", 0) == 0 && route.query.empty());
        FUZZ_CHECK(!route.needs_body);
      }
      break;
  }
  // Only "*" or the request's own origin, when it is allowed.
  if (!route.cors.empty()) {
    FUZZ_CHECK(route.cors == "*" || route.cors == bal::abi::header_value(r.headers, "origin"));
  }
}

// Everything a route sends anywhere: the client's answer, the admin plan, the upstream call.
std::string outputs(const bal::Route& route) {
  std::string all = route.reply.body + route.reply.content_type;
  for (const auto& [name, value] : route.reply.headers) all += name + value;
  all += bal::dump_json(route.admin.header) + route.admin.payload;
  return all + route.path + route.query + route.forward + route.model + route.client_key + route.cors;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string cookie = valid_cookie();
  static const char* const kValues[] = {"Bearer tok-a",
                                        "Bearer fuzz-admin-token-0123",
                                        "application/json",
                                        "https://app.example",
                                        cookie.c_str(),
                                        "2001:db8::1",
                                        "AIzaSyA1234567890abcdefghijklmnopqrstuv",
                                        "websocket"};
  FuzzedDataProvider in(data, size);
  const bal::Config config = config_of(in.ConsumeIntegral<uint8_t>());
  const std::string method = pick_or_free(in, kMethods, std::size(kMethods), 16);
  const std::string path = pick_or_free(in, kPaths, std::size(kPaths), 2100);
  const std::string query = in.ConsumeRandomLengthString(512);
  std::string headers;
  for (size_t n = in.ConsumeIntegralInRange<size_t>(0, 8); n > 0; --n) {
    headers += kHeaderNames[in.ConsumeIntegralInRange<size_t>(0, std::size(kHeaderNames) - 1)];
    headers += '\n';
    headers += pick_or_free(in, kValues, std::size(kValues), 512);
    headers += '\n';
  }
  const uint8_t flags = in.ConsumeIntegral<uint8_t>();
  const int64_t now = (flags & 8) != 0 ? in.ConsumeIntegralInRange<int64_t>(0, 4102444800000) : kNow;
  const std::string body = in.ConsumeRemainingBytesAsString();

  bal::Request r;
  r.method = method;
  r.path = path;
  r.query = query;
  r.headers = headers;
  r.body = body;
  r.body_included = (flags & 1) != 0;
  r.body_too_large = (flags & 2) != 0;
  r.secure = (flags & 4) != 0;
  r.body_unreadable = (flags & 16) != 0;
  r.body_timed_out = (flags & 18) == 18;
  r.now_ms = now;
  r.url_origin = "https://app.example";
  r.nonce = "0123456789abcdef0123456789abcdef";
  const bool carries_token = (method + path + query + headers + body).find(kAdminToken) != std::string::npos;
  bal::RouterState state;
  for (int round = 0; round <= ((flags >> 5) & 3); ++round) {
    const bal::Route route = bal::route(config, r, state);
    check_route(config, r, route);
    // The admin token is only ever compared: no answer may carry it unless the request did.
    if (!carries_token) FUZZ_CHECK(outputs(route).find(kAdminToken) == std::string::npos);
  }
  return 0;
}
