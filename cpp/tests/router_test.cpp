#include "balancer/router.h"

#include <catch2/catch.hpp>

#include "balancer/auth.h"
#include "route_view.h"

using bal::json;
using route_view::kNonce;
using route_view::View;

namespace {

constexpr int64_t kNow = 1764000000000;

bal::Config config(const char* admin = "admin-secret", const char* clients = "tok-1,tok-2") {
  return route_view::config({{"admin_token", admin}, {"auth_tokens", clients}});
}

// Routes with a fresh state: no limit carries over from one call to the next.
View route(const bal::Config& c, const std::string& method, const std::string& target, json headers = json::object(),
           const std::string& body = "", bool with_body = false) {
  bal::RouterState fresh;
  return route_view::route(c, fresh, method, target, headers, body, with_body, kNow);
}

std::string action(const View& p) { return std::string(bal::get_string(p.header, "action")); }
int status(const View& p) { return p.header.value("status", 0); }
json body(const View& p) { return bal::parse_json(p.payload); }

const json kClient = {{"authorization", "Bearer tok-2"}};
const json kAdmin = {{"authorization", "Bearer admin-secret"}};

}  // namespace

TEST_CASE("native Gemini paths pass through with a pool key", "[router]") {
  const auto c = config();
  struct Row {
    std::string method, target, path, query, model;
  };
  const Row rows[] = {
      {"POST", "/v1beta/models/gemini-2.5-flash:generateContent", "/v1beta/models/gemini-2.5-flash:generateContent", "",
       "gemini-2.5-flash"},
      {"POST", "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse&key=tok-1",
       "/v1beta/models/gemini-2.5-flash:streamGenerateContent", "alt=sse", "gemini-2.5-flash"},
      {"GET", "/v1beta/models?pageSize=5", "/v1beta/models", "pageSize=5", ""},
      {"POST", "/models/gemini-2.5-pro:countTokens", "/v1beta/models/gemini-2.5-pro:countTokens", "", "gemini-2.5-pro"},
      {"GET", "/v1alpha/cachedContents", "/v1alpha/cachedContents", "", ""},
      {"POST", "/v1/models/gemini-2.5-flash:generateContent", "/v1/models/gemini-2.5-flash:generateContent", "",
       "gemini-2.5-flash"},
      {"POST", "/upload/v1beta/files?uploadType=resumable", "/upload/v1beta/files", "uploadType=resumable", ""},
      {"GET", "/download/v1beta/files/abc:download?alt=media", "/download/v1beta/files/abc:download", "alt=media", ""},
      {"GET", "/v1beta/tunedModels/my-model", "/v1beta/tunedModels/my-model", "", "my-model"},
  };
  for (const Row& row : rows) {
    INFO(row.target);
    const auto p = route(c, row.method, row.target, {{"x-goog-api-key", "tok-1"}, {"cookie", "a=b"}, {"content-type", "application/json"}});
    REQUIRE(action(p) == "upstream");
    CHECK(p.header["family"] == "gemini");
    CHECK(p.header["path"] == row.path);
    CHECK(p.header["query"] == row.query);
    CHECK(p.header["model"] == row.model);
    CHECK(p.header["forward_body"] == (row.method != "GET"));
    CHECK(p.header["headers"] == json{{"content-type", "application/json"}});
    CHECK(p.header["stream"] == (row.path.find("stream") != std::string::npos));
  }
}

TEST_CASE("a native request carries Google's own headers upstream and nothing of the client's else", "[router]") {
  const auto c = config();
  const auto p = route(c, "POST", "/v1beta/interactions",
                       {{"x-goog-api-key", "tok-1"},
                        {"content-type", "application/json"},
                        {"api-revision", "2026-05-20"},
                        {"x-goog-api-client", "google-genai-sdk/3.6.1"},
                        {"cookie", "a=b"},
                        {"origin", "https://app.example"}});
  REQUIRE(action(p) == "upstream");
  CHECK(p.header["headers"] == json{{"content-type", "application/json"},
                                    {"x-goog-api-client", "google-genai-sdk/3.6.1"},
                                    {"api-revision", "2026-05-20"}});
}

TEST_CASE("client tokens are accepted from the bearer header, x-goog-api-key or ?key=", "[router]") {
  const auto c = config();
  CHECK(action(route(c, "GET", "/v1beta/models", {{"authorization", "Bearer tok-1"}})) == "upstream");
  CHECK(action(route(c, "GET", "/v1beta/models", {{"x-goog-api-key", "tok-2"}})) == "upstream");
  CHECK(action(route(c, "GET", "/v1beta/models?key=tok-1")) == "upstream");
  CHECK(action(route(c, "GET", "/v1beta/models?key=tok%2D1")) == "upstream");

  const auto missing = route(c, "GET", "/v1beta/models");
  CHECK(status(missing) == 401);
  CHECK(body(missing)["error"]["status"] == "UNAUTHENTICATED");
  CHECK(status(route(c, "GET", "/v1beta/models", {{"authorization", "Bearer admin-secret"}})) == 401);
  CHECK(status(route(c, "GET", "/v1beta/models", {{"x-goog-api-key", "AIzaSyA1234567890abcdefghijklmnopqrstuv"}})) == 401);

  const auto openai = route(c, "GET", "/v1/models", {{"authorization", "Bearer nope"}});
  CHECK(status(openai) == 401);
  CHECK(body(openai)["error"]["type"] == "authentication_error");
  CHECK(body(openai)["error"]["code"] == "invalid_api_key");
}

TEST_CASE("client keys pass through only when allowed", "[router]") {
  auto c = route_view::config({{"admin_token", "a"}, {"auth_tokens", "t"}, {"allow_client_keys", true}});
  const std::string key = "AIzaSyA1234567890abcdefghijklmnopqrstuv";
  const auto p = route(c, "GET", "/v1beta/models", {{"x-goog-api-key", key}});
  REQUIRE(action(p) == "upstream");
  CHECK(p.header["client_key"] == key);
  CHECK_FALSE(route(c, "GET", "/v1beta/models", {{"x-goog-api-key", "t"}}).header.contains("client_key"));
}

TEST_CASE("unset secrets close their routes with a message saying how to set them", "[router]") {
  const auto no_clients = route(config("a", ""), "GET", "/v1beta/models", {{"x-goog-api-key", "x"}});
  CHECK(status(no_clients) == 503);
  CHECK(body(no_clients)["error"]["message"].get<std::string>().find("wrangler secret put AUTH_TOKENS") != std::string::npos);
  const auto no_admin = route(config("", "t"), "GET", "/api/keys", kAdmin);
  CHECK(status(no_admin) == 503);
  CHECK(body(no_admin)["error"]["code"] == "admin_token_unset");
  CHECK(body(no_admin)["error"]["message"].get<std::string>().find("wrangler secret put ADMIN_TOKEN") != std::string::npos);
}

TEST_CASE("admin routes need the admin token", "[router]") {
  const auto c = config();
  struct Row {
    std::string method, target, op;
  };
  const Row rows[] = {{"GET", "/api/keys", "keys.list"},          {"POST", "/api/keys", ""},
                      {"DELETE", "/api/keys", ""},                {"GET", "/api/keys/check", "keys.check"},
                      {"POST", "/api/keys/check", ""},            {"GET", "/api/keys/check/status", "keys.check_status"},
                      {"POST", "/api/keys/enable", ""},           {"POST", "/api/keys/disable", ""},
                      {"GET", "/api/stats", "stats"}};
  for (const Row& row : rows) {
    INFO(row.method << " " << row.target);
    CHECK(status(route(c, row.method, row.target)) == 401);
    CHECK(status(route(c, row.method, row.target, kClient)) == 401);
    CHECK(status(route(c, row.method, row.target, {{"x-goog-api-key", "admin-secret"}})) == 401);
    const auto p = route(c, row.method, row.target, kAdmin);
    if (row.op.empty()) {
      CHECK(action(p) == "need_body");
    } else {
      CHECK(action(p) == "admin");
      CHECK(p.header["op"] == row.op);
    }
  }
  CHECK(status(route(c, "PUT", "/api/keys", kAdmin)) == 405);
  CHECK(status(route(c, "GET", "/api/nope", kAdmin)) == 404);
  CHECK(body(route(c, "GET", "/api/nope", kAdmin))["error"].contains("code"));
}

TEST_CASE("adding keys parses and validates the body in the core", "[router]") {
  const auto c = config();
  const std::string k = "AIzaSyA1234567890abcdefghijklmnopqrstuv";
  auto p = route(c, "POST", "/api/keys", kAdmin, R"({"keys": [")" + k + R"(", ")" + k + R"(", "bad"]})", true);
  REQUIRE(action(p) == "admin");
  CHECK(p.header["keys"] == json{k});
  CHECK(p.header["masked"] == json{"AIzaSy…stuv"});
  CHECK(p.header["duplicates"] == 1);
  CHECK(p.header["rejected"] == json{"bad"});
  CHECK(status(route(c, "POST", "/api/keys", kAdmin, "{\"keys\": [", true)) == 400);
}

TEST_CASE("deleting and checking select keys by id or key", "[router]") {
  const auto c = config();
  auto p = route(c, "DELETE", "/api/keys", kAdmin, R"({"ids": [3, 4]})", true);
  REQUIRE(action(p) == "admin");
  CHECK(p.header["ids"] == json{3, 4});
  CHECK(status(route(c, "DELETE", "/api/keys", kAdmin, R"({"ids": ["3"]})", true)) == 400);
  CHECK(status(route(c, "DELETE", "/api/keys", kAdmin, R"({})", true)) == 400);
  CHECK(status(route(c, "DELETE", "/api/keys", kAdmin, R"([1])", true)) == 400);
  CHECK(status(route(c, "POST", "/api/keys/check", kAdmin, R"({"keys": ["x"]})", true)) == 400);
  p = route(c, "POST", "/api/keys/check", kAdmin, R"({"ids": [1]})", true);
  CHECK(p.header["op"] == "keys.check");
}

TEST_CASE("key listing reads paging and filters from the query", "[router]") {
  const auto p = route(route_view::config({{"admin_token", "a"}}), "GET", "/api/keys?page=3&limit=50&status=cooling&q=ab%25&sort=requests&order=desc",
                       {{"authorization", "Bearer a"}});
  REQUIRE(action(p) == "admin");
  CHECK(p.header["offset"] == 100);
  CHECK(p.header["limit"] == 50);
  CHECK(p.header["status"] == "cooling");
  CHECK(p.header["q"] == "ab%");
  CHECK(p.header["sort"] == "requests");
  CHECK(p.header["order"] == "desc");
  const auto d = route(route_view::config({{"admin_token", "a"}}), "GET", "/api/keys?limit=99999&status=zzz&sort=drop",
                       {{"authorization", "Bearer a"}});
  CHECK(d.header["limit"] == 1000);
  CHECK(d.header["status"] == "all");
  CHECK(d.header["sort"] == "id");
}

TEST_CASE("sessions: log in with the token, then the cookie is enough while its session lives", "[router]") {
  const auto c = config();
  CHECK(status(route(c, "POST", "/api/session", {}, R"({"token": "wrong"})", true)) == 401);
  const auto login = route(c, "POST", "/api/session", {}, R"({"token": "admin-secret"})", true);
  REQUIRE(action(login) == "admin");
  CHECK(login.header["op"] == "session.create");
  CHECK(login.header["new_session"] == kNonce);
  CHECK(login.header["expires_ms"] == kNow + bal::kSessionLifetimeMs);
  const std::string cookie = login.header["response_headers"]["set-cookie"];
  CHECK(cookie.find("HttpOnly") != std::string::npos);
  CHECK(cookie.find("SameSite=Strict") != std::string::npos);
  CHECK(cookie.find("admin-secret") == std::string::npos);
  const std::string value = cookie.substr(0, cookie.find(';'));
  CHECK(value.rfind(std::string("bal_session=") + kNonce + ".", 0) == 0);
  // Each admin plan made on the cookie names its session, for the shim to check it is live.
  const auto list = route(c, "GET", "/api/keys", {{"cookie", "x=1; " + value}});
  CHECK(action(list) == "admin");
  CHECK(list.header["session"] == kNonce);
  const auto probe = route(c, "GET", "/api/session", {{"cookie", value}});
  CHECK(probe.header["op"] == "session.status");
  CHECK(probe.header["session"] == kNonce);
  // The bearer token needs no session.
  CHECK_FALSE(route(c, "GET", "/api/keys", kAdmin).header.contains("session"));
  CHECK(status(route(c, "GET", "/api/session", kAdmin)) == 200);
  // A forged or tampered cookie is refused.
  std::string forged = value;
  forged.back() = forged.back() == '0' ? '1' : '0';
  CHECK(status(route(c, "GET", "/api/keys", {{"cookie", forged}})) == 401);
  // A cookie signed under another admin token is refused, and so is one signed with the
  // token itself rather than the key derived from it.
  CHECK(status(route(config("other-secret"), "GET", "/api/keys", {{"cookie", value}})) == 401);
  const std::string raw = std::string(kNonce) + "." + std::to_string(kNow + 3600000);
  const std::string raw_mac = bal::to_hex(bal::hmac_sha256("admin-secret", "session:" + raw));
  CHECK(status(route(c, "GET", "/api/keys", {{"cookie", "bal_session=" + raw + "." + raw_mac}})) == 401);
  // Logging out ends the session in the pool, not only in this browser.
  const auto out = route(c, "DELETE", "/api/session", {{"cookie", value}});
  CHECK(out.header["op"] == "session.end");
  CHECK(out.header["end_session"] == kNonce);
  CHECK(std::string(out.header["response_headers"]["set-cookie"]).find("Max-Age=0") != std::string::npos);
  const auto anonymous = route(c, "DELETE", "/api/session");
  CHECK(status(anonymous) == 200);
  CHECK(std::string(anonymous.header["headers"]["set-cookie"]).find("Max-Age=0") != std::string::npos);
}

TEST_CASE("changes made on the cookie must come from this origin, with a JSON body", "[router]") {
  const auto c = config();
  const auto login = route(c, "POST", "/api/session", {}, R"({"token": "admin-secret"})", true);
  const std::string set = login.header["response_headers"]["set-cookie"];
  const std::string cookie = set.substr(0, set.find(';'));
  const std::string body = R"({"ids": [1]})";
  struct Row {
    json headers;
    int status;  // 0: carried out
  };
  const Row rows[] = {
      {{{"origin", "https://balancer.example"}, {"content-type", "application/json"}}, 0},
      {{{"origin", "https://BALANCER.example"}, {"content-type", "application/json; charset=utf-8"}}, 0},
      {{{"sec-fetch-site", "same-origin"}, {"content-type", "application/json"}}, 0},
      {{{"content-type", "application/json"}}, 0},  // an old browser that sends neither
      {{{"origin", "https://evil.example"}, {"content-type", "application/json"}}, 403},
      {{{"origin", "null"}, {"content-type", "application/json"}}, 403},
      {{{"origin", "https://balancer.example.evil.example"}, {"content-type", "application/json"}}, 403},
      {{{"sec-fetch-site", "cross-site"}, {"content-type", "application/json"}}, 403},
      {{{"sec-fetch-site", "same-site"}, {"content-type", "application/json"}}, 403},
      {{{"origin", "https://balancer.example"}, {"content-type", "text/plain"}}, 415},
      {{{"origin", "https://balancer.example"}, {"content-type", "application/x-www-form-urlencoded"}}, 415},
      {{{"origin", "https://balancer.example"}}, 415},
  };
  for (const Row& row : rows) {
    json headers = row.headers;
    headers["cookie"] = cookie;
    INFO(headers.dump());
    const auto p = route(c, "POST", "/api/keys/disable", headers, body, true);
    if (row.status == 0) {
      CHECK(action(p) == "admin");
    } else {
      CHECK(status(p) == row.status);
    }
  }
  // Reading is not a change; the bearer token is not ambient, so it needs neither check.
  CHECK(action(route(c, "GET", "/api/keys", {{"cookie", cookie}, {"origin", "https://evil.example"}})) == "admin");
  CHECK(action(route(c, "POST", "/api/keys/disable",
                     {{"authorization", "Bearer admin-secret"},
                      {"origin", "https://evil.example"},
                      {"content-type", "text/plain"}},
                     body, true)) == "admin");
  // A cross-site logout is refused too.
  CHECK(status(route(c, "DELETE", "/api/session", {{"cookie", cookie}, {"sec-fetch-site", "cross-site"}})) == 403);
}

TEST_CASE("CORS preflight for the proxy routes, none for admin", "[router]") {
  const auto c = config();
  const auto p = route(c, "OPTIONS", "/v1/chat/completions");
  CHECK(status(p) == 204);
  CHECK(p.header["headers"]["access-control-allow-origin"] == "*");
  const std::string allowed = p.header["headers"]["access-control-allow-headers"];
  for (const char* h : {"authorization", "content-type", "x-goog-api-key", "x-stainless-os"}) {
    CHECK(allowed.find(h) != std::string::npos);
  }
  const auto a = route(c, "OPTIONS", "/api/keys");
  CHECK(status(a) == 204);
  CHECK_FALSE(a.header["headers"].contains("access-control-allow-origin"));
}

TEST_CASE("a proxy preflight allows the headers the page asks for; an admin one allows nothing", "[router]") {
  const auto c = config();
  const json asks = {{"origin", "https://app.example"},
                     {"access-control-request-headers", "authorization,content-type,x-stainless-helper-method"}};
  for (const char* path : {"/v1/chat/completions", "/v1beta/models/m:generateContent", "/upload/v1beta/files"}) {
    INFO(path);
    const auto p = route(c, "OPTIONS", path, asks);
    CHECK(status(p) == 204);
    CHECK(p.header["headers"]["access-control-allow-headers"] ==
          "authorization,content-type,x-stainless-helper-method");
  }
  // Anything but a list of header names gets the fixed list instead of an echo.
  for (const char* bad : {"x-a\r\nset-cookie: a=b", "x-a;b", "x-\xff", ""}) {
    const auto p = route(c, "OPTIONS", "/v1/chat/completions", {{"access-control-request-headers", bad}});
    CHECK(std::string(p.header["headers"]["access-control-allow-headers"]).find("x-stainless-os") != std::string::npos);
  }
  const auto a = route(c, "OPTIONS", "/api/keys", asks);
  for (const auto& [name, value] : a.header["headers"].items()) CHECK(name.rfind("access-control-", 0) != 0);
}

TEST_CASE("bad paths and unknown routes", "[router]") {
  const auto c = config();
  CHECK(status(route(c, "GET", "/v1beta/../api/keys", kClient)) == 400);
  CHECK(status(route(c, "GET", "/v1beta/models%2f..%2f", kClient)) == 400);
  CHECK(status(route(c, "GET", "/nothing", kClient)) == 404);
  CHECK(status(route(c, "GET", "/v1beta/", kClient)) == 404);
}

TEST_CASE("/v1/models answers in the shape the request's credentials ask for", "[router]") {
  const auto c = config();
  struct Row {
    std::string target;
    json headers;
    std::string family;
  };
  const Row rows[] = {
      {"/v1/models", kClient, "openai"},
      {"/v1/models/gemini-2.5-flash", kClient, "openai"},
      {"/v1/models?pageSize=20", {{"x-goog-api-key", "tok-1"}}, "gemini"},
      {"/v1/models/gemini-2.5-flash", {{"x-goog-api-key", "tok-1"}}, "gemini"},
      {"/v1/models?key=tok-1&pageSize=3", json::object(), "gemini"},
      {"/v1/models", {{"authorization", "Bearer tok-2"}, {"x-goog-api-client", "google-genai-sdk/3.6.1"}}, "gemini"},
  };
  for (const Row& row : rows) {
    INFO(row.target << " " << row.headers.dump());
    const auto p = route(c, "GET", row.target, row.headers);
    REQUIRE(action(p) == "upstream");
    CHECK(p.header["family"] == row.family);
    if (row.family == "gemini") {
      CHECK(p.header["response"] == "passthrough");
      CHECK(p.header["path"] == row.target.substr(0, row.target.find('?')));
      CHECK(std::string(p.header["query"]).find("key=") == std::string::npos);
    }
  }
  // Refusals come in the shape asked for too.
  CHECK(body(route(c, "GET", "/v1/models", {{"x-goog-api-key", "wrong"}}))["error"]["status"] == "UNAUTHENTICATED");
  CHECK(body(route(c, "GET", "/v1/models", {{"authorization", "Bearer wrong"}}))["error"]["type"] ==
        "authentication_error");
}

TEST_CASE("a /v1/ path that is neither OpenAI's nor Gemini's gets an OpenAI 404 naming the routes", "[router]") {
  const auto c = config();
  for (const char* path : {"/v1/completions", "/v1/assistants", "/v1/moderations", "/v1/fine_tuning/jobs", "/v1/x",
                           "/v1/responses/cancel", "/v1/responses/resp_1/cancel"}) {
    INFO(path);
    const auto p = route(c, "POST", path, kClient);
    CHECK(status(p) == 404);
    const json e = body(p)["error"];
    CHECK(e["type"] == "invalid_request_error");
    CHECK(e["code"] == "unknown_url");
    const std::string message = e["message"];
    CHECK(message.find(path) != std::string::npos);
    CHECK(message.find("POST /v1/chat/completions") != std::string::npos);
    CHECK(p.header["headers"]["access-control-allow-origin"] == "*");
  }
  // The Interactions API family, which @google/genai calls under v1 by default, too.
  for (const char* path : {"/v1/files/abc", "/v1/cachedContents", "/v1/tunedModels/t:generateContent",
                           "/v1/batches/b:cancel", "/v1/operations", "/v1/models/m:embedContent", "/v1/interactions",
                           "/v1/interactions/v1_a/cancel", "/v1/agents", "/v1/environments/e", "/v1/triggers"}) {
    INFO(path);
    CHECK(action(route(c, "POST", path, kClient)) == "upstream");
  }
}

TEST_CASE("bodies: asked for only where needed, and capped", "[router]") {
  const auto c = config();
  const auto chat = route(c, "POST", "/v1/chat/completions", kClient);
  CHECK(action(chat) == "need_body");
  CHECK(chat.header["max_bytes"] == bal::kDefaultMaxBodyBytes);
  CHECK(status(route(c, "GET", "/v1/chat/completions", kClient)) == 405);
}

TEST_CASE("configuration limits", "[router]") {
  auto c = bal::make_config({{"ADMIN_TOKEN", "a,b"}, {"MAX_BODY_BYTES", "5000"}, {"MAX_ATTEMPTS", " 4 "}});
  CHECK(c.admin_tokens.empty());  // a comma-separated admin token is refused, not split
  CHECK(c.max_body_bytes == 5000);
  CHECK(c.max_attempts == 4);
  c = bal::make_config({{"MAX_BODY_BYTES", "1"}, {"MAX_ATTEMPTS", "99"}, {"UPSTREAM_TIMEOUT_MS", "x"}});
  CHECK(c.max_body_bytes == bal::kDefaultMaxBodyBytes);
  CHECK(c.max_attempts == bal::kDefaultMaxAttempts);
  CHECK(c.first_byte_timeout_ms == bal::kDefaultFirstByteTimeoutMs);
  c = bal::make_config({{"GEMINI_API_BASE", " http://127.0.0.1:9/// "}, {"STREAM_IDLE_TIMEOUT_MS", "500"},
                        {"ALLOW_CLIENT_KEYS", "Yes"}, {"MODEL_MAP", "gpt-4o=gemini-2.5-pro"}, {"BODY_TIMEOUT_MS", "1500"}});
  CHECK(c.upstream == "http://127.0.0.1:9");
  CHECK(c.stream_idle_ms == 500);
  CHECK(c.allow_client_keys);
  CHECK(c.models.map("gpt-4o") == "gemini-2.5-pro");
  CHECK(c.body_timeout_ms == 1500);
  CHECK(bal::make_config(json::object()).upstream == bal::kDefaultUpstream);
}

TEST_CASE("query_param decodes values", "[router]") {
  bool present = false;
  CHECK(bal::query_param("a=1&b=x+y%21", "b", &present) == "x y!");
  CHECK(present);
  CHECK(bal::query_param("a=1", "b", &present).empty());
  CHECK_FALSE(present);
  CHECK(bal::query_param("flag&a=1", "flag", &present).empty());
  CHECK(present);
}
