// The request side of the OpenAI translation: the golden fixtures under
// tests/fixtures/openai/requests/, plus properties no fixture can state (invalid UTF-8,
// mutated bodies, large spans copied untouched).
#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "balancer/json.h"
#include "balancer/openai.h"
#include "balancer/rawjson.h"

using bal::json;
using bal::Plan;

namespace {

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs a fixture's request. The request body is the fixture's "openai" value byte for byte
// (its escapes and key order), or "openai_raw" for bodies that are not JSON.
Plan run_fixture(const std::string& text) {
  bal::raw::document doc;
  REQUIRE(doc.parse(text) == bal::raw::success);
  const bal::raw::value root = doc.root();
  const std::string endpoint = root.get("endpoint").exists() ? root.get("endpoint").str() : "chat";
  const std::string body =
      root.get("openai_raw").exists() ? root.get("openai_raw").str() : std::string(root.get("openai").raw_json());
  if (endpoint == "embeddings") return bal::openai::plan_embeddings(body);
  if (endpoint == "models") return bal::openai::plan_models();
  if (endpoint == "model") return bal::openai::plan_model(root.get("openai").get("id").str());
  return bal::openai::plan_chat(body);
}

void check_success(const Plan& p, const json& expect) {
  REQUIRE(bal::get_string(p.header, "action") == "upstream");
  CHECK(p.header["family"] == "openai");
  for (const auto& [key, value] : expect.items()) {
    if (key == "status" || key == "gemini") continue;
    INFO("header field " << key);
    CHECK(p.header[key] == value);
  }
  if (expect.contains("gemini")) {
    bal::raw::document strict;
    CHECK(strict.parse(p.payload) == bal::raw::success);  // valid JSON and valid UTF-8
    const json body = bal::parse_json(p.payload);
    INFO("payload " << p.payload);
    CHECK(body == expect["gemini"]);
  }
}

void check_error(const Plan& p, const json& expect) {
  REQUIRE(bal::get_string(p.header, "action") == "respond");
  CHECK(p.header["status"] == expect["status"]);
  const json body = bal::parse_json(p.payload);
  INFO("payload " << p.payload);
  const json& error = body["error"];
  CHECK(error["type"] == expect["type"]);
  CHECK(error["message"].is_string());
  if (expect.contains("param")) CHECK(error["param"] == expect["param"]);
  if (expect.contains("code")) CHECK(error["code"] == expect["code"]);
  if (expect.contains("message_contains")) {
    CHECK(error["message"].get<std::string>().find(expect["message_contains"].get<std::string>()) != std::string::npos);
  }
}

}  // namespace

TEST_CASE("OpenAI request fixtures", "[openai][request]") {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(FIXTURES_DIR "/openai/requests")) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  CHECK(files.size() >= 40);
  for (const auto& path : files) {
    INFO("fixture " << path.filename().string());
    const std::string text = read_file(path);
    const json fixture = bal::parse_json(text);
    REQUIRE(fixture.is_object());
    CHECK(fixture["description"].is_string());
    const json& expect = fixture["expect"];
    const Plan p = run_fixture(text);
    if (expect["status"] == 200) {
      check_success(p, expect);
    } else {
      check_error(p, expect);
    }
  }
}

TEST_CASE("chat requests with invalid UTF-8 are a 400, never a trap", "[openai][request]") {
  const std::string bodies[] = {
      std::string("{\"model\":\"gemini-2.5-flash\",\"messages\":[{\"role\":\"user\",\"content\":\"a\xC3(\"}]}"),
      std::string("{\"model\":\"gemini-2.5-flash\",\"messages\":[{\"role\":\"user\",\"content\":\"\xED\xA0\x80\"}]}"),
      std::string("{\"model\":\"gemini-2.5-flash\",\"messages\":[{\"role\":\"user\",\"content\":\"\\ud800\"}]}"),
      std::string(""),
      std::string("null"),
  };
  for (const std::string& body : bodies) {
    INFO(body);
    const Plan p = bal::openai::plan_chat(body);
    CHECK(p.header["status"] == 400);
    CHECK(bal::parse_json(p.payload)["error"]["type"] == "invalid_request_error");
  }
}

TEST_CASE("a large base64 image is copied into the Gemini body untouched", "[openai][request]") {
  std::string b64;
  const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (size_t i = 0; i < 750000; ++i) b64 += alphabet[(i * 7919) % 64];
  const std::string body =
      R"({"model":"gemini-2.5-flash","messages":[{"role":"user","content":[)"
      R"({"type":"text","text":"Describe"},{"type":"image_url","image_url":{"url":"data:image/png;base64,)" +
      b64 + R"("}}]}]})";
  const Plan p = bal::openai::plan_chat(body);
  REQUIRE(p.header["action"] == "upstream");
  CHECK(p.payload.find("\"data\":\"" + b64 + "\"") != std::string::npos);
  CHECK(p.payload.size() < body.size());
}

TEST_CASE("mutated chat requests always give a well-formed plan", "[openai][request]") {
  const std::string base =
      R"({"model":"gemini-3-pro-preview","messages":[{"role":"system","content":"s"},{"role":"user","content":[{"type":"text","text":"hi"},)"
      R"({"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]},{"role":"assistant","content":null,"tool_calls":[{"id":"c1",)"
      R"("type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]},{"role":"tool","tool_call_id":"c1","content":"ok"}],)"
      R"("tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"a":{"type":"integer"}}}}}],)"
      R"("tool_choice":"auto","temperature":0.5,"stop":["x"],"reasoning_effort":"low","response_format":{"type":"json_object"}})";
  REQUIRE(bal::openai::plan_chat(base).header["action"] == "upstream");
  const char replacements[] = {'"', '{', '}', '[', ']', ',', ':', '0', 'n', ' ', '\\', 'x'};
  size_t upstream = 0;
  for (size_t i = 0; i < base.size(); ++i) {
    for (const char r : replacements) {
      std::string m = base;
      m[i] = r;
      const Plan p = bal::openai::plan_chat(m);
      const std::string action(bal::get_string(p.header, "action"));
      REQUIRE((action == "upstream" || action == "respond"));
      bal::raw::document payload;
      INFO(m);
      REQUIRE(payload.parse(p.payload) == bal::raw::success);
      if (action == "respond") {
        REQUIRE(p.header["status"] == 400);
      } else {
        ++upstream;
      }
    }
  }
  CHECK(upstream > 0);
}
