// The request side of the Anthropic translation: the golden fixtures under
// tests/fixtures/anthropic/requests/ (each its own section), and properties no fixture can
// state (mutated bodies, large spans copied untouched, a multi-turn tool conversation).
#include <catch2/catch.hpp>
#include <string>

#include "balancer/anthropic.h"
#include "balancer/json.h"
#include "balancer/model_map.h"
#include "balancer/rawjson.h"
#include "fixtures.h"

using bal::json;

namespace {

// The request body is the fixture's "anthropic" value byte for byte (its escapes and key
// order), or "anthropic_raw" for bodies that are not JSON.
bal::Translated run_fixture(const std::string& text, const bal::ModelMap& models) {
  bal::raw::document doc;
  REQUIRE(doc.parse(text) == bal::raw::success);
  const bal::raw::value root = doc.root();
  const std::string body = root.get("anthropic_raw").exists() ? root.get("anthropic_raw").str()
                                                              : std::string(root.get("anthropic").raw_json());
  bal::RequestInfo info;
  info.request_id = "0123456789abcdef";
  info.models = &models;
  if (root.get("endpoint").equals("count_tokens")) return bal::anthropic::translate_count_tokens(body, info);
  return bal::anthropic::translate_messages(body, info);
}

void check_success(const bal::Translated& t, const json& expect) {
  REQUIRE_FALSE(t.error.has_value());
  REQUIRE(t.calls.size() == 1);
  REQUIRE(t.exchange != nullptr);
  const bal::UpstreamCall& c = t.calls[0];
  const json& call = expect["call"];
  CHECK(c.model == call["model"].get<std::string>());
  CHECK(c.method == call.value("method", "POST"));
  CHECK(c.path == call["path"].get<std::string>());
  CHECK(c.query == call.value("query", ""));
  CHECK(c.sse == call.value("sse", false));
  bal::raw::document strict;
  CHECK(strict.parse(c.body) == bal::raw::success);  // valid JSON and valid UTF-8
  INFO("body " << c.body);
  CHECK(bal::parse_json(c.body) == expect["gemini"]);
}

void check_error(const bal::Translated& t, const json& expect) {
  REQUIRE(t.error.has_value());
  REQUIRE(t.exchange != nullptr);
  const bal::Reply r = t.exchange->error(*t.error);
  CHECK(r.status == expect["status"]);
  const json body = bal::parse_json(r.body);
  INFO("body " << r.body);
  CHECK(body["type"] == "error");
  CHECK(body["error"]["type"] == expect["type"]);
  CHECK(body["error"]["message"].is_string());
  if (expect.contains("message_contains")) {
    CHECK(body["error"]["message"].get<std::string>().find(expect["message_contains"].get<std::string>()) !=
          std::string::npos);
  }
}

bal::Translated translate(const std::string& body) {
  bal::RequestInfo info;
  info.request_id = "0123456789abcdef";
  return bal::anthropic::translate_messages(body, info);
}

}  // namespace

TEST_CASE("Anthropic request fixtures", "[anthropic][request]") {
  const auto files = fixtures::files("anthropic/requests");
  CHECK(files.size() >= 30);
  for (const auto& path : files) {
    DYNAMIC_SECTION(path.stem().string()) {
      const std::string text = fixtures::read_file(path);
      const json fixture = bal::parse_json(text);
      REQUIRE(fixture.is_object());
      CHECK(fixture["description"].is_string());
      bal::ModelMap models;
      if (fixture.contains("model_map")) models.assign(fixture["model_map"].get<std::string>());
      const json& expect = fixture["expect"];
      const bal::Translated t = run_fixture(text, models);
      if (expect["status"] == 200) {
        check_success(t, expect);
      } else {
        check_error(t, expect);
      }
    }
  }
}

TEST_CASE("Anthropic requests: a large base64 image is copied untouched", "[anthropic][request]") {
  std::string b64;
  const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (size_t i = 0; i < 750000; ++i) b64 += alphabet[(i * 7919) % 64];
  const std::string body = R"({"model":"gemini-2.5-flash","max_tokens":100,"messages":[{"role":"user","content":[)"
                           R"({"type":"image","source":{"type":"base64","media_type":"image/png","data":")" +
                           b64 + R"("}},{"type":"text","text":"Describe"}]}]})";
  const bal::Translated t = translate(body);
  REQUIRE_FALSE(t.error.has_value());
  CHECK(t.calls[0].body.find("\"data\":\"" + b64 + "\"") != std::string::npos);
  CHECK(t.calls[0].body.size() < body.size());
}

TEST_CASE("Anthropic requests: mutated bodies give a call or a 400, never a trap", "[anthropic][request]") {
  const std::string base =
      R"({"model":"gemini-3-pro-preview","max_tokens":64,"system":[{"type":"text","text":"s"}],"messages":[)"
      R"({"role":"user","content":[{"type":"text","text":"hi"},{"type":"image","source":{"type":"base64",)"
      R"("media_type":"image/png","data":"AAAA"}}]},{"role":"assistant","content":[{"type":"thinking","thinking":"",)"
      R"("signature":"c2ln"},{"type":"tool_use","id":"t1","name":"f","input":{"a":1}}]},{"role":"user","content":[)"
      R"({"type":"tool_result","tool_use_id":"t1","content":"ok"}]}],"tools":[{"name":"f","input_schema":{)"
      R"("type":"object","properties":{"a":{"type":"integer"}}}}],"tool_choice":{"type":"auto"},"temperature":0.5,)"
      R"("stop_sequences":["x"],"thinking":{"type":"adaptive"},"output_config":{"effort":"low"}})";
  REQUIRE_FALSE(translate(base).error.has_value());
  const char replacements[] = {'"', '{', '}', '[', ']', ',', ':', '0', 'n', ' ', '\\', 'x'};
  size_t calls = 0;
  for (size_t i = 0; i < base.size(); ++i) {
    for (const char r : replacements) {
      std::string m = base;
      m[i] = r;
      const bal::Translated t = translate(m);
      INFO(m);
      REQUIRE(t.exchange != nullptr);
      if (t.error) {
        const bal::Reply reply = t.exchange->error(*t.error);
        REQUIRE(reply.status == 400);
        bal::raw::document doc;
        REQUIRE(doc.parse(reply.body) == bal::raw::success);
      } else {
        REQUIRE(t.calls.size() == 1);
        bal::raw::document doc;
        REQUIRE(doc.parse(t.calls[0].body) == bal::raw::success);
        ++calls;
      }
    }
  }
  CHECK(calls > 0);
}
