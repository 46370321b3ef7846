// The router: configuration, admin and proxy routes, credentials, sessions, bodies.
// Input (FuzzedDataProvider), in this order: a configuration byte; method, path and query
// (each either picked from a list or a free string); up to 8 headers; three flags; now_ms;
// the rest is the body. tests/fuzz/formats.mjs reads and writes the same layout.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <string>

#include "balancer/auth.h"
#include "balancer/path.h"
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
                                  "/"};
constexpr const char* kHeaderNames[] = {
    "authorization",  "x-goog-api-key",    "content-type",   "cookie",
    "origin",         "cf-connecting-ip",  "accept",         "x-goog-upload-protocol",
    "content-length", "x-goog-api-client", "sec-fetch-site", "access-control-request-headers"};

// Values no mutation would guess: the configured tokens are compared as SHA-256 digests.
std::string valid_cookie() {
  return "bal_session=" + bal::session_cookie_value(bal::session_key(kAdminToken), "0123456789abcdef0123456789abcdef",
                                                    kNow + 3600 * 1000);
}

std::string pick_or_free(FuzzedDataProvider& in, const char* const* list, size_t n, size_t max_len) {
  if (in.ConsumeBool()) return list[in.ConsumeIntegralInRange<size_t>(0, n - 1)];
  return in.ConsumeRandomLengthString(max_len);
}

bal::Config config_of(uint8_t bits) {
  json h = json::object();
  if (bits & 1) h["admin_token"] = kAdminToken;
  if (bits & 2) h["auth_tokens"] = "tok-a, tok-b";
  h["allow_client_keys"] = (bits & 4) != 0;
  if (bits & 8) h["cors_origins"] = "https://app.example";
  if (bits & 16) h["rate_limit_per_minute"] = 2;
  if (bits & 32) h["max_body_bytes"] = 1024;
  return bal::make_config(h);
}

void check_plan(const bal::Plan& p) {
  FUZZ_CHECK(p.header.is_object());
  const std::string_view action = bal::get_string(p.header, "action");
  FUZZ_CHECK(action == "respond" || action == "upstream" || action == "admin" || action == "need_body");
  if (const json* headers = bal::get_field(p.header, "headers")) FUZZ_CHECK(headers->is_object());
  if (action == "respond") {
    const auto status = bal::get_number(p.header, "status");
    FUZZ_CHECK(status && *status >= 100 && *status < 600);
  }
  if (action == "upstream") {
    FUZZ_CHECK(bal::is_safe_path(bal::get_string(p.header, "path")));
    // The client's key travels as client_key, never in the query sent upstream.
    const std::string_view query = bal::get_string(p.header, "query");
    FUZZ_CHECK(bal::strip_system_params(query) == query);
  }
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
                                        "AIzaSyA1234567890abcdefghijklmnopqrstuv"};
  FuzzedDataProvider in(data, size);
  const bal::Config config = config_of(in.ConsumeIntegral<uint8_t>());
  const std::string method = pick_or_free(in, kMethods, std::size(kMethods), 16);
  const std::string path = pick_or_free(in, kPaths, std::size(kPaths), 2100);
  const std::string query = in.ConsumeRandomLengthString(512);
  json headers = json::object();
  for (size_t n = in.ConsumeIntegralInRange<size_t>(0, 8); n > 0; --n) {
    const std::string name = kHeaderNames[in.ConsumeIntegralInRange<size_t>(0, std::size(kHeaderNames) - 1)];
    headers[name] = pick_or_free(in, kValues, std::size(kValues), 512);
  }
  const uint8_t flags = in.ConsumeIntegral<uint8_t>();
  const int64_t now = (flags & 8) != 0 ? in.ConsumeIntegralInRange<int64_t>(0, 4102444800000) : kNow;
  const std::string body = in.ConsumeRemainingBytesAsString();

  json h = {{"method", method},
            {"path", path},
            {"query", query},
            {"headers", headers},
            {"now_ms", now},
            {"body_included", (flags & 1) != 0},
            {"body_too_large", (flags & 2) != 0},
            {"secure", (flags & 4) != 0},
            {"body_timed_out", (flags & 16) != 0},
            {"url_origin", "https://app.example"},
            {"nonce", "0123456789abcdef0123456789abcdef"}};
  const bal::Plan p = bal::route(config, bal::make_request(h, body));
  check_plan(p);
  // The admin token is only ever compared: no answer may carry it unless the request did.
  if (bal::dump_json(h).find(kAdminToken) == std::string::npos && body.find(kAdminToken) == std::string::npos) {
    FUZZ_CHECK(bal::dump_json(p.header).find(kAdminToken) == std::string::npos);
    FUZZ_CHECK(p.payload.find(kAdminToken) == std::string::npos);
  }
  return 0;
}
