// The router's defences: failed-login limits, per-token rate limits, CORS origins, and
// hostile admin bodies.
#include <catch2/catch.hpp>
#include <string>

#include "balancer/router.h"
#include "route_view.h"

using bal::json;
using route_view::View;

namespace {

constexpr int64_t kNow = 1764000000000;
const std::string kKey = "AIzaSyA1234567890abcdefghijklmnopqrstuv";

struct Harness {
  bal::Config config;
  bal::RouterState state;

  View call(const std::string& method, const std::string& target, json headers = json::object(),
            const std::string& body = "", bool with_body = false, int64_t now = kNow) {
    return route_view::route(config, state, method, target, headers, body, with_body, now,
                             "00112233445566778899aabbccddeeff");
  }
  View login(const std::string& token, const std::string& ip, int64_t now = kNow) {
    return call("POST", "/api/session", {{"cf-connecting-ip", ip}}, json{{"token", token}}.dump(), true, now);
  }
};

Harness harness(json extra = json::object()) {
  json h = {{"admin_token", "admin-secret"}, {"auth_tokens", "tok-1,tok-2"}};
  h.update(extra);
  return Harness{route_view::config(h), {}};
}

int status(const View& p) {
  return p.header.value("status", 0);
}
std::string action(const View& p) {
  return std::string(bal::get_string(p.header, "action"));
}
json body(const View& p) {
  return bal::parse_json(p.payload);
}
std::string hdr(const View& p, const char* name) {
  const json* hs = bal::get_field(p.header, "headers");
  return hs == nullptr ? "" : std::string(bal::get_string(*hs, name));
}

}  // namespace

TEST_CASE("ten wrong admin tokens from one address lock it out for five minutes", "[router][limits]") {
  auto h = harness();
  for (int i = 0; i < 10; ++i) CHECK(status(h.login("wrong", "203.0.113.9")) == 401);
  const auto locked = h.login("wrong", "203.0.113.9");
  CHECK(status(locked) == 429);
  CHECK(hdr(locked, "retry-after") == "300");
  CHECK(body(locked)["error"]["code"] == "too_many_failures");
  // Even the right token is refused from there: otherwise guessing would go on.
  CHECK(status(h.login("admin-secret", "203.0.113.9")) == 429);
  CHECK(status(h.call("GET", "/api/keys",
                      {{"cf-connecting-ip", "203.0.113.9"}, {"authorization", "Bearer admin-secret"}})) == 429);
  // The lock is asked about before the body is read.
  CHECK(status(h.call("POST", "/api/session", {{"cf-connecting-ip", "203.0.113.9"}})) == 429);
  // Another address is not affected, and a session made there works from the locked one.
  const auto ok = h.login("admin-secret", "198.51.100.1");
  REQUIRE(ok.header["op"] == "session.create");
  const std::string set = ok.header["response_headers"]["set-cookie"];
  const std::string cookie = set.substr(0, set.find(';'));
  CHECK(action(h.call("GET", "/api/keys", {{"cf-connecting-ip", "203.0.113.9"}, {"cookie", cookie}})) == "admin");
  // Five minutes later the address may try again.
  CHECK(h.login("admin-secret", "203.0.113.9", kNow + 300'000).header["op"] == "session.create");
}

TEST_CASE("wrong admin bearers count as failures; missing credentials and bad bodies do not", "[router][limits]") {
  auto h = harness();
  const json ip = {{"cf-connecting-ip", "2001:db8:1:2::5"}};
  for (int i = 0; i < 30; ++i) CHECK(status(h.call("GET", "/api/keys", ip)) == 401);
  for (const char* bad : {"not json", "[]", R"({"token": 5})", R"({"token": null})", "{}", "\xff"}) {
    INFO(bad);
    const auto p = h.call("POST", "/api/session", ip, bad, true);
    CHECK(status(p) == 400);
    CHECK(body(p)["error"]["code"] == "invalid_body");
  }
  json wrong = ip;
  wrong["authorization"] = "Bearer tok-1";  // a client token is a wrong admin token
  for (int i = 0; i < 10; ++i) CHECK(status(h.call(i % 2 ? "POST" : "GET", "/api/keys", wrong)) == 401);
  // The same /64 is the same bucket.
  CHECK(status(h.call("GET", "/api/stats", {{"cf-connecting-ip", "2001:db8:1:2::77"}})) == 429);
  CHECK(status(h.call("GET", "/api/stats", {{"cf-connecting-ip", "2001:db8:1:3::77"}})) == 401);
}

TEST_CASE("without cf-connecting-ip every caller shares one failure bucket", "[router][limits]") {
  auto h = harness();
  for (int i = 0; i < 10; ++i) CHECK(status(h.call("GET", "/api/keys", {{"authorization", "Bearer x"}})) == 401);
  CHECK(status(h.call("GET", "/api/keys", {{"authorization", "Bearer admin-secret"}})) == 429);
  CHECK(action(h.call("GET", "/api/keys",
                      {{"authorization", "Bearer admin-secret"}, {"cf-connecting-ip", "192.0.2.1"}})) == "admin");
  // A fresh state limits nothing.
  for (int i = 0; i < 20; ++i) {
    bal::RouterState fresh;
    CHECK(status(route_view::route(h.config, fresh, "GET", "/api/keys", {{"authorization", "Bearer x"}}, "", false,
                                   kNow)) == 401);
  }
}

TEST_CASE("RATE_LIMIT_PER_MINUTE limits each client token, in each family's format", "[router][limits]") {
  auto h = harness({{"rate_limit_per_minute", 3}});
  const json t1 = {{"x-goog-api-key", "tok-1"}};
  for (int i = 0; i < 3; ++i) CHECK(action(h.call("GET", "/v1beta/models", t1)) == "upstream");
  const auto native = h.call("GET", "/v1beta/models", t1);
  CHECK(status(native) == 429);
  CHECK(hdr(native, "retry-after") == "20");
  CHECK(hdr(native, "access-control-allow-origin") == "*");
  CHECK(body(native)["error"]["status"] == "RESOURCE_EXHAUSTED");
  const auto openai = h.call("GET", "/v1/models", {{"authorization", "Bearer tok-1"}});
  CHECK(status(openai) == 429);
  CHECK(body(openai)["error"]["type"] == "rate_limit_error");
  CHECK(body(openai)["error"]["code"] == "rate_limit_exceeded");
  // The same token by ?key= is the same client; another token has its own budget.
  CHECK(status(h.call("GET", "/v1beta/models?key=tok-1")) == 429);
  CHECK(action(h.call("GET", "/v1beta/models", {{"x-goog-api-key", "tok-2"}})) == "upstream");
  // Wrong tokens are refused before any budget is spent.
  CHECK(status(h.call("GET", "/v1beta/models", {{"x-goog-api-key", "nope"}})) == 401);
  // 20 s later one more request is allowed.
  CHECK(action(h.call("GET", "/v1beta/models", t1, "", false, kNow + 20'000)) == "upstream");
}

TEST_CASE("client keys have their own per-client budget", "[router][limits]") {
  auto h = harness({{"rate_limit_per_minute", 1}, {"allow_client_keys", true}});
  CHECK(h.call("GET", "/v1beta/models", {{"x-goog-api-key", kKey}}).header["client_key"] == kKey);
  CHECK(status(h.call("GET", "/v1beta/models", {{"x-goog-api-key", kKey}})) == 429);
  CHECK(action(h.call("GET", "/v1beta/models", {{"x-goog-api-key", "tok-1"}})) == "upstream");
}

TEST_CASE("no rate limit unless configured", "[router][limits]") {
  auto h = harness();
  for (int i = 0; i < 500; ++i)
    REQUIRE(action(h.call("GET", "/v1beta/models", {{"x-goog-api-key", "tok-1"}})) == "upstream");
  CHECK(h.state.clients.size() == 0);
  CHECK(bal::make_config({{"RATE_LIMIT_PER_MINUTE", "-5"}}).rate_limit_per_minute == 0);
  CHECK(bal::make_config({{"RATE_LIMIT_PER_MINUTE", "sixty"}}).rate_limit_per_minute == 0);
  CHECK(bal::make_config({{"RATE_LIMIT_PER_MINUTE", "60"}}).rate_limit_per_minute == 60);
}

TEST_CASE("CORS_ORIGINS: listed origins reflected with vary, others get no CORS headers", "[router][cors]") {
  auto h = harness({{"cors_origins", "https://app.example, https://chat.example"}});
  const json from_app = {{"origin", "https://app.example"}, {"x-goog-api-key", "tok-1"}};
  const json from_evil = {{"origin", "https://evil.example"}, {"x-goog-api-key", "tok-1"}};
  const auto up = h.call("GET", "/v1beta/models", from_app);
  CHECK(up.header["response_headers"]["access-control-allow-origin"] == "https://app.example");
  CHECK(up.header["response_headers"]["vary"] == "origin");
  const auto up_evil = h.call("GET", "/v1beta/models", from_evil);
  CHECK_FALSE(up_evil.header["response_headers"].contains("access-control-allow-origin"));
  CHECK(up_evil.header["response_headers"]["vary"] == "origin");
  const auto err = h.call("GET", "/v1/models", {{"origin", "https://chat.example"}});
  CHECK(status(err) == 401);
  CHECK(hdr(err, "access-control-allow-origin") == "https://chat.example");
  CHECK(hdr(err, "vary") == "origin");
  CHECK(hdr(h.call("GET", "/v1/models", {{"origin", "https://evil.example"}}), "access-control-allow-origin").empty());

  const auto pre = h.call("OPTIONS", "/v1/chat/completions", {{"origin", "https://app.example"}});
  CHECK(status(pre) == 204);
  CHECK(hdr(pre, "access-control-allow-origin") == "https://app.example");
  CHECK_FALSE(hdr(pre, "access-control-allow-headers").empty());
  const auto pre_evil = h.call("OPTIONS", "/v1/chat/completions", {{"origin", "https://evil.example"}});
  CHECK(status(pre_evil) == 204);
  CHECK(hdr(pre_evil, "access-control-allow-origin").empty());
  CHECK(hdr(pre_evil, "access-control-allow-headers").empty());
}

TEST_CASE("CORS: default is * without vary; admin routes never get CORS headers", "[router][cors]") {
  auto h = harness();
  const auto up = h.call("GET", "/v1beta/models", {{"origin", "https://x.example"}, {"x-goog-api-key", "tok-1"}});
  CHECK(up.header["response_headers"]["access-control-allow-origin"] == "*");
  CHECK_FALSE(up.header["response_headers"].contains("vary"));
  auto listed = harness({{"cors_origins", "https://app.example"}});
  for (auto* hs : {&h, &listed}) {
    for (const char* method : {"GET", "OPTIONS"}) {
      const auto p =
          hs->call(method, "/api/keys", {{"origin", "https://app.example"}, {"authorization", "Bearer admin-secret"}});
      const json* headers = bal::get_field(p.header, "headers");
      if (headers == nullptr) continue;
      for (const auto& [name, value] : headers->items()) CHECK(name.rfind("access-control-", 0) != 0);
    }
  }
}

TEST_CASE("hostile admin bodies get admin-format 400s or 413s, never a trap", "[router][limits]") {
  auto h = harness();
  const json admin = {{"authorization", "Bearer admin-secret"}};
  struct Row {
    std::string method, path, body;
    int status;
  };
  std::string many_ids = "{\"ids\": [";
  for (int i = 0; i < 150000; ++i) many_ids += "1,";
  many_ids += "1]}";
  std::string many_keys = "[";
  for (int i = 0; i < 150000; ++i) many_keys += "\"k\",";
  many_keys += "\"k\"]";
  const Row rows[] = {
      {"POST", "/api/keys", std::string(100000, '['), 400},
      {"POST", "/api/keys", "{\"keys\": " + std::string(5000, '[') + "}", 400},
      {"DELETE", "/api/keys", std::string(100000, '{'), 400},
      {"POST", "/api/keys/enable", many_ids, 413},
      {"POST", "/api/keys", many_keys, 413},
      {"POST", "/api/keys", R"({"keys": 5})", 400},
      {"POST", "/api/keys", R"({"keys": null})", 400},
      {"POST", "/api/keys", "{\"keys\": [\"" + kKey + "\"]}\xff", 400},
      {"POST", "/api/keys", "AIza\xc0\xaf", 400},
      {"DELETE", "/api/keys", R"({"ids": [1.5]})", 400},
      {"DELETE", "/api/keys", R"({"ids": [-1]})", 400},
      {"DELETE", "/api/keys", R"({"ids": "1"})", 400},
      {"DELETE", "/api/keys", R"({"ids": [99999999999999999999999]})", 400},
      {"POST", "/api/keys/check", R"({"ids": {}})", 400},
      {"POST", "/api/keys/disable", "", 400},
  };
  for (const Row& row : rows) {
    INFO(row.method << " " << row.path << " " << row.body.substr(0, 40));
    const auto p = h.call(row.method, row.path, admin, row.body, true);
    CHECK(status(p) == row.status);
    CHECK(body(p)["error"]["code"].is_string());
  }
}

TEST_CASE("each route caps its body before the shim reads any of it", "[router][limits]") {
  auto h = harness();
  const json admin = {{"authorization", "Bearer admin-secret"}};
  const json proxy = {{"x-goog-api-key", "tok-1"}};
  const auto login = h.call("POST", "/api/session", {{"cf-connecting-ip", "203.0.113.1"}});
  CHECK(action(login) == "need_body");
  CHECK(login.header["max_bytes"] == bal::kLoginMaxBodyBytes);
  const auto add = h.call("POST", "/api/keys", admin);
  CHECK(add.header["max_bytes"] == bal::kAdminMaxBodyBytes);
  const auto chat = h.call("POST", "/v1/chat/completions", proxy);
  CHECK(chat.header["max_bytes"] == bal::kDefaultMaxBodyBytes);
  const auto native = h.call("POST", "/v1beta/models/x:generateContent", proxy);
  CHECK(native.header["max_bytes"] == bal::kDefaultMaxBodyBytes);
  // A smaller MAX_BODY_BYTES lowers every cap.
  auto small = harness({{"max_body_bytes", 2048}});
  CHECK(small.call("POST", "/api/session").header["max_bytes"] == 2048);
  CHECK(small.call("POST", "/api/keys", admin).header["max_bytes"] == 2048);
}

TEST_CASE("every plan says how long its body may take to arrive", "[router][limits]") {
  const json admin = {{"authorization", "Bearer admin-secret"}};
  const json proxy = {{"x-goog-api-key", "tok-1"}};
  auto h = harness();
  CHECK(h.call("POST", "/v1/chat/completions", proxy).header["body_timeout_ms"] == bal::kDefaultBodyTimeoutMs);
  CHECK(h.call("POST", "/v1beta/models/x:generateContent", proxy).header["body_timeout_ms"] ==
        bal::kDefaultBodyTimeoutMs);
  // Answered without the body (no token): drained briefly. Admin and login bodies are small.
  CHECK(h.call("POST", "/v1/chat/completions").header["body_timeout_ms"] == bal::kShortBodyTimeoutMs);
  CHECK(h.call("POST", "/api/session").header["body_timeout_ms"] == bal::kShortBodyTimeoutMs);
  CHECK(h.call("POST", "/api/keys", admin).header["body_timeout_ms"] == bal::kShortBodyTimeoutMs);
  auto quick = harness({{"body_timeout_ms", 1500}});
  for (const auto& p : {quick.call("POST", "/v1/chat/completions", proxy), quick.call("POST", "/api/session"),
                        quick.call("POST", "/v1/chat/completions")}) {
    CHECK(p.header["body_timeout_ms"] == 1500);
  }
}

TEST_CASE("JSON bodies with too many values are refused before any parser builds them", "[router][limits]") {
  auto h = harness();
  // Many small arrays: no container is long, but the values add up.
  std::string rows = "[";
  for (int i = 0; i < 3000; ++i)
    rows += std::string(i ? "," : "") + "[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]";
  rows += "]";
  const std::string chat =
      R"({"model":"gemini-2.5-flash","messages":[{"role":"user","content":"hi"}],"metadata":)" + rows + "}";
  std::string big = R"({"model":"gemini-2.5-flash","messages":[{"role":"user","content":"hi"}],"metadata":[)";
  for (int i = 0; i < 3; ++i) big += std::string(i ? "," : "") + rows;
  big += "]}";
  // (Proxy bodies: the machine checks them the same way, machine_test.cpp.)
  (void)big;
  (void)chat;
  const auto admin =
      h.call("POST", "/api/keys/enable", {{"authorization", "Bearer admin-secret"}}, "{\"ids\": " + rows + "}", true);
  CHECK(status(admin) == 413);
  CHECK(body(admin)["error"]["code"] == "too_many_values");
}

TEST_CASE("only the Gemini API's methods are forwarded", "[router][limits]") {
  auto h = harness();
  const json t = {{"x-goog-api-key", "tok-1"}};
  for (const char* m : {"GET", "POST", "PUT", "PATCH", "DELETE"})
    CHECK(action(h.call(m, "/v1beta/files/abc", t)) == "upstream");
  for (const char* m : {"TRACE", "TRACK", "HEAD", "CONNECT", "PROPFIND", "FOO"}) {
    INFO(m);
    const auto p = h.call(m, "/v1beta/files/abc", t);
    CHECK(status(p) == 405);
    CHECK(hdr(p, "allow") == "GET, POST, PUT, PATCH, DELETE");
    CHECK(body(p)["error"]["code"] == 405);
    // Without a token the answer is the same 401 as for any method.
    CHECK(status(h.call(m, "/v1beta/files/abc")) == 401);
  }
}
