#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "balancer/openai.h"
#include "balancer/redact.h"
#include "fixtures.h"

namespace {

using bal::json;

using fixtures::normalized;

// The upstream bodies a fixture stands for: its raw text, or its JSON both compact and
// pretty-printed (generateContent answers arrive indented).
std::vector<std::string> bodies_of(const json& f) {
  if (f.contains("gemini_raw")) return {f["gemini_raw"].get<std::string>()};
  return {f["gemini"].dump(), f["gemini"].dump(2)};
}

// An answer as the fixtures describe it: status, headers, body, and the usage recorded.
struct Plan {
  json header = json::object();
  std::string payload;
};

// What the request machine does with an upstream answer of `header`'s kind and status.
Plan translate_response(const json& header, std::string_view body) {
  auto x = bal::openai::exchange_from(header);
  const int status = header.value("status", 200);
  bal::Reply r;
  if (status >= 300) {
    bal::ApiError e = bal::upstream_error(status, body);
    if (header.value("retry_after_ms", 0) > 0) e.retry_after_ms = header["retry_after_ms"];
    r = x->error(e);
  } else if (header.value("kind", "") == "models" && !body.empty() && body.front() == '[') {
    // Every page of the list, in order.
    const json pages = bal::parse_json(body);
    std::vector<std::string> texts;
    if (pages.is_array()) {
      for (const json& page : pages) texts.push_back(page.dump());
    }
    r = x->answer(std::vector<std::string_view>(texts.begin(), texts.end()));
  } else {
    r = x->answer({body});
  }
  Plan p;
  p.header["action"] = "respond";
  p.header["status"] = r.status;
  p.header["headers"]["content-type"] = r.content_type;
  for (const auto& [name, value] : r.headers) p.header["headers"][name] = value;
  const bal::gemini::Usage u = x->usage();
  if (u.known) p.header["usage"] = {{"prompt_tokens", u.prompt}, {"completion_tokens", u.completion()}};
  p.payload = r.body;
  return p;
}

json header_of(const json& f) {
  json h = f["translate"];
  h["status"] = f["status"];
  return h;
}

void check_fixture(const std::filesystem::path& path) {
  const json f = fixtures::read_json(path);
  REQUIRE(f.is_object());
  const json& expect = f["expect"];
  for (const std::string& body : bodies_of(f)) {
    const Plan p = translate_response(header_of(f), body);
    CHECK(p.header["action"] == "respond");
    CHECK(p.header["status"] == expect["status"]);
    CHECK(p.header["headers"]["content-type"] == "application/json; charset=utf-8");
    const json got = bal::parse_json(p.payload);
    REQUIRE_FALSE(got.is_discarded());
    CHECK(normalized(got) == normalized(expect["openai"]));
    if (expect.contains("headers")) {
      for (const auto& [name, value] : expect["headers"].items()) CHECK(p.header["headers"][name] == value);
    } else {
      CHECK_FALSE(p.header["headers"].contains("retry-after"));
    }
    if (expect.contains("usage")) {
      CHECK(p.header["usage"] == expect["usage"]);
    } else {
      CHECK_FALSE(p.header.contains("usage"));
    }
    CHECK_FALSE(bal::contains_key_material(p.payload));
  }
}

Plan chat(int status, std::string_view body) {
  const json h = {{"kind", "chat"}, {"model", "m"}, {"status", status}, {"now_ms", 5000}, {"request_id", "r"}};
  return translate_response(h, body);
}

}  // namespace

TEST_CASE("openai responses: golden fixtures", "[openai][response]") {
  const auto files = fixtures::files("openai/responses");
  CHECK(files.size() >= 30);
  for (const auto& path : files) {
    SECTION(path.stem().string()) {
      check_fixture(path);
    }
  }
}

TEST_CASE("openai responses: every Gemini finishReason has its OpenAI counterpart", "[openai][response]") {
  struct Row {
    const char* gemini;
    const char* openai;
  };
  const Row rows[] = {
      {"STOP", "stop"},
      {"MAX_TOKENS", "length"},
      {"SAFETY", "content_filter"},
      {"RECITATION", "content_filter"},
      {"LANGUAGE", "stop"},
      {"OTHER", "stop"},
      {"BLOCKLIST", "content_filter"},
      {"PROHIBITED_CONTENT", "content_filter"},
      {"SPII", "content_filter"},
      {"MALFORMED_FUNCTION_CALL", "stop"},
      {"IMAGE_SAFETY", "content_filter"},
      {"IMAGE_PROHIBITED_CONTENT", "content_filter"},
      {"IMAGE_OTHER", "content_filter"},
      {"NO_IMAGE", "stop"},
      {"IMAGE_RECITATION", "content_filter"},
      {"UNEXPECTED_TOOL_CALL", "stop"},
      {"TOO_MANY_TOOL_CALLS", "stop"},
      {"SOMETHING_NEW", "stop"},
  };
  for (const Row& r : rows) {
    INFO(r.gemini);
    const std::string body =
        std::string(R"({"candidates":[{"content":{"parts":[{"text":"x"}]},"finishReason":")") + r.gemini + "\"}]}";
    const json got = bal::parse_json(chat(200, body).payload);
    CHECK(got["choices"][0]["finish_reason"] == r.openai);
  }
}

TEST_CASE("openai responses: odd statuses and kinds still give a well-formed answer", "[openai][response]") {
  SECTION("a redirect is not followed: 502") {
    const Plan p = chat(302, "<html>moved</html>");
    CHECK(p.header["status"] == 502);
    CHECK(bal::parse_json(p.payload)["error"]["type"] == "server_error");
  }
  SECTION("a header without status is read as 200") {
    const json h = {{"kind", "model"}, {"id", "gemini-x"}};
    const Plan p = translate_response(h, R"({"name":"models/gemini-x"})");
    CHECK(p.header["status"] == 200);
    CHECK(bal::parse_json(p.payload)["id"] == "gemini-x");
  }
  SECTION("a model answer without a name uses the id the client asked for") {
    const json h = {{"kind", "model"}, {"id", "models/gemini-y"}, {"status", 200}};
    CHECK(bal::parse_json(translate_response(h, "{}").payload)["id"] == "gemini-y");
  }
  SECTION("wrong-typed fields never reach the output as JSON") {
    const char* body =
        R"({"candidates":[{"content":{"parts":[{"text":"a"},{"functionCall":{"name":{"x":"}"},"args":"str","id":7}},)"
        R"({"inlineData":{"mimeType":[1],"data":{}}}]},"finishReason":{"a":1},"index":"zero"}],)"
        R"("usageMetadata":{"promptTokenCount":"9","candidatesTokenCount":-4}})";
    const Plan p = chat(200, body);
    CHECK(p.header["status"] == 200);
    const json got = bal::parse_json(p.payload);
    REQUIRE_FALSE(got.is_discarded());
    CHECK(got["choices"][0]["index"] == 0);
    CHECK(got["choices"][0]["finish_reason"] == "tool_calls");
    CHECK(got["choices"][0]["message"]["tool_calls"][0]["function"]["name"] == "");
    CHECK(got["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"] == "{}");
    CHECK(got["usage"]["prompt_tokens"] == 0);
  }
}

TEST_CASE("openai responses: any prefix of a body gives well-formed JSON, never a trap", "[openai][response]") {
  for (const auto& path : fixtures::files("openai/responses")) {
    const json f = fixtures::read_json(path);
    const std::string body = bodies_of(f).back();
    const json h = header_of(f);
    for (size_t n = 0; n <= body.size(); n += 7) {
      const Plan p = translate_response(h, std::string_view(body).substr(0, n));
      INFO(path.stem().string() << " cut at " << n);
      REQUIRE_FALSE(bal::parse_json(p.payload).is_discarded());
    }
  }
}
TEST_CASE("OpenAI error replies from an ApiError", "[openai][errors]") {
  SECTION("a client error names its param and code") {
    const bal::Reply r = bal::openai::error_reply(bal::api_error(400, "input is required.", "missing", "input"));
    CHECK(r.status == 400);
    CHECK(bal::parse_json(r.body) == json::parse(R"({"error":{"message":"input is required.",
      "type":"invalid_request_error","param":"input","code":"missing"}})"));
    CHECK(r.headers.empty());
  }
  SECTION("a 429 gets OpenAI's code and a retry-after header in whole seconds, rounded up") {
    bal::ApiError e = bal::api_error(429, "Quota exceeded");
    e.retry_after_ms = 2500;
    const bal::Reply r = bal::openai::error_reply(e);
    CHECK(bal::parse_json(r.body)["error"]["code"] == "rate_limit_exceeded");
    CHECK(bal::parse_json(r.body)["error"]["type"] == "rate_limit_error");
    REQUIRE(r.headers.size() == 1);
    CHECK(r.headers[0] == std::pair<std::string, std::string>("retry-after", "3"));
  }
  SECTION("an upstream error object keeps its RetryInfo and loses any key") {
    bal::raw::document doc;
    REQUIRE(doc.parse(R"({"code":429,"message":"Consumer 'api_key:AIzaSyA-1234567890abcdefghijklmnopqrstu' busy",
      "status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo",
      "retryDelay":"7s"}]})") == bal::raw::success);
    const bal::ApiError e = bal::upstream_error(429, doc.root());
    CHECK(e.status == 429);
    CHECK(e.retry_after_ms == 7000);
    CHECK(e.message.find("AIzaSyA-1234567890") == std::string::npos);
    CHECK(bal::openai::error_reply(e).headers[0].second == "7");
  }
}
