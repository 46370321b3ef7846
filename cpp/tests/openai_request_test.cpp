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
#include "balancer/model_map.h"
#include "balancer/openai.h"
#include "balancer/rawjson.h"
#include "fixtures.h"

using bal::json;

namespace {

using fixtures::read_file;

// A translation seen the way the fixtures write it: the upstream call as a plan header
// ({"action": "upstream", method, model, path, query, headers, response, translate}) and the
// Gemini body, or an error answer ({"action": "respond", status}) and its body.
struct Plan {
  json header = json::object();
  std::string payload;
};

Plan plan(const bal::Translated& t) {
  Plan p;
  if (t.error) {
    const bal::Reply r = t.exchange->error(*t.error);
    p.header = {{"action", "respond"}, {"status", r.status}};
    p.payload = r.body;
    return p;
  }
  REQUIRE(t.calls.size() >= 1);
  const bal::UpstreamCall& c = t.calls.front();
  p.header = {{"action", "upstream"}, {"family", "openai"}, {"method", c.method},       {"model", c.model},
              {"path", c.path},       {"query", c.query},   {"headers", json::object()}};
  if (c.method == "POST") p.header["headers"]["content-type"] = "application/json";
  p.header["response"] = t.model_list ? "pages" : c.sse ? "sse" : "json";
  p.header["translate"] = bal::openai::describe(*t.exchange);
  p.header["calls"] = t.calls.size();
  p.payload = c.body;
  return p;
}

const bal::ModelMap kModels;

bal::RequestInfo info() {
  bal::RequestInfo i;
  i.now_ms = 1764000000000;
  i.request_id = "0123456789abcdef";
  i.models = &kModels;
  return i;
}

Plan plan_chat(std::string_view body) {
  return plan(bal::openai::translate_chat(body, info()));
}
Plan plan_embeddings(std::string_view body) {
  return plan(bal::openai::translate_embeddings(body, info()));
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
  if (endpoint == "embeddings") return plan_embeddings(body);
  if (endpoint == "models") return plan(bal::openai::translate_models(info()));
  if (endpoint == "model") return plan(bal::openai::translate_model(root.get("openai").get("id").str(), info()));
  return plan(fixtures::translate_fetching(bal::parse_json(text), info(),
                                           [&](const bal::RequestInfo& i) { return bal::openai::translate_chat(body, i); }));
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
    const Plan p = plan_chat(body);
    CHECK(p.header["status"] == 400);
    CHECK(bal::parse_json(p.payload)["error"]["type"] == "invalid_request_error");
  }
}

TEST_CASE("a 400 quoting the client's text never carries a whole key", "[openai][request]") {
  const std::string key = "AIzaSyA1234567890abcdefghijklmnopqrstuv";
  const std::string bodies[] = {
      R"({"model":"gemini-2.5-flash","messages":[{"role":")" + key + R"(","content":"hi"}]})",
      R"({"model":"gemini-2.5-flash","messages":[{"role":"user","content":[{"type":")" + key + R"("}]}]})",
  };
  for (const std::string& body : bodies) {
    INFO(body);
    const Plan p = plan_chat(body);
    CHECK(p.header["status"] == 400);
    CHECK(p.payload.find(key) == std::string::npos);
    CHECK(p.payload.find("AIzaSy") != std::string::npos);  // what is left of it says where it was
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
  const Plan p = plan_chat(body);
  REQUIRE(p.header["action"] == "upstream");
  CHECK(p.payload.find("\"data\":\"" + b64 + "\"") != std::string::npos);
  CHECK(p.payload.size() < body.size());
}

TEST_CASE("an unsigned call gets Google's skip value on every Gemini model that thinks", "[openai][request]") {
  // A client that drops extra_content and makes its own ids: the call comes back unsigned.
  const auto body = [](const std::string& model) {
    return R"({"model":")" + model +
           R"(","reasoning_effort":"high","messages":[{"role":"user","content":"hi"},)"
           R"({"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}},)"
           R"({"id":"c2","type":"function","function":{"name":"f","arguments":"{}"}}]},)"
           R"({"role":"tool","tool_call_id":"c1","content":"ok"},{"role":"tool","tool_call_id":"c2","content":"ok"}],)"
           R"("tools":[{"type":"function","function":{"name":"f"}}]})";
  };
  struct Case {
    const char* model;
    bool signs;
    const char* thinking;  // the thinkingConfig field reasoning_effort becomes ("": none)
  };
  // 2.5 names too: Google's own CLI sends the value to Gemini 2 models, and Google may serve
  // a retired 2.5 name with a Gemini 3 model. Later generations think by level, as Gemini 3.
  const Case cases[] = {
      {"gemini-3.5-flash", true, "thinkingLevel"},     {"gemini-2.5-flash", true, "thinkingBudget"},
      {"gemini-2.5-pro", true, "thinkingBudget"},      {"gemini-flash-latest", true, "thinkingBudget"},
      {"gemini-4-flash", true, "thinkingLevel"},       {"gemini-12.1-pro-preview", true, "thinkingLevel"},
      {"gemma-3-4b-it", false, ""},                    {"gemini-3.1-flash-image", false, ""},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.model) {
      const Plan p = plan_chat(body(c.model));
      REQUIRE(p.header["action"] == "upstream");
      const json gemini = bal::parse_json(p.payload);
      const json& calls = gemini["contents"][1]["parts"];
      REQUIRE(calls.size() == 2);
      CHECK(calls[0].value("thoughtSignature", "") == (c.signs ? "skip_thought_signature_validator" : ""));
      CHECK_FALSE(calls[1].contains("thoughtSignature"));  // only a step's first call carries one
      const json config = gemini.value("generationConfig", json::object()).value("thinkingConfig", json::object());
      if (*c.thinking) CHECK(config.contains(c.thinking));
      else CHECK(config.empty());
    }
  }
}

TEST_CASE("reasoning_effort xhigh is a model's deepest level: xhigh where Gemini 4 has it", "[openai][request]") {
  const auto level = [](const std::string& model) {
    const Plan p = plan_chat(R"({"model":")" + model + R"(","reasoning_effort":"xhigh","messages":[{"role":"user","content":"hi"}]})");
    REQUIRE(p.header["action"] == "upstream");
    return bal::parse_json(p.payload)["generationConfig"]["thinkingConfig"].value("thinkingLevel", "");
  };
  CHECK(level("gemini-4-hydrogen") == "xhigh");
  CHECK(level("gemini-4-neon") == "xhigh");
  CHECK(level("gemini-4-carbon") == "high");
  CHECK(level("gemini-3.8-flash") == "high");
}

// Each effort as the level the model has: "medium" is the Flash models' and Gemini 4's own
// default, and Gemini 3 Pro, which lacks it, gets its default, high; nothing sends "minimal",
// which Gemini 3.7 Flash, 3.8 Flash and Gemini 4 refuse.
TEST_CASE("reasoning_effort as the level each model has", "[openai][request]") {
  struct Row {
    const char* model;
    const char* effort;
    const char* level;
  };
  const Row rows[] = {
      {"gemini-3.8-flash", "minimal", "low"},         {"gemini-3.8-flash", "low", "low"},
      {"gemini-3.8-flash", "medium", "medium"},       {"gemini-3.8-flash", "high", "high"},
      {"gemini-3-flash-preview", "medium", "medium"}, {"gemini-3.1-pro-preview", "medium", "medium"},
      {"gemini-4-carbon", "medium", "medium"},        {"gemini-3-pro-preview", "medium", "high"},
      {"gemini-3-pro-preview", "minimal", "low"},     {"gemini-3-pro", "medium", "high"},
  };
  for (const Row& r : rows) {
    DYNAMIC_SECTION(r.model << " " << r.effort) {
      const Plan p = plan_chat(std::string(R"({"model":")") + r.model + R"(","reasoning_effort":")" + r.effort +
                               R"(","messages":[{"role":"user","content":"hi"}]})");
      REQUIRE(p.header["action"] == "upstream");
      CHECK(bal::parse_json(p.payload)["generationConfig"]["thinkingConfig"].value("thinkingLevel", "") == r.level);
    }
  }
}

TEST_CASE("mutated chat requests always give a well-formed plan", "[openai][request]") {
  const std::string base =
      R"({"model":"gemini-3-pro-preview","messages":[{"role":"system","content":"s"},{"role":"user","content":[{"type":"text","text":"hi"},)"
      R"({"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]},{"role":"assistant","content":null,"tool_calls":[{"id":"c1",)"
      R"("type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]},{"role":"tool","tool_call_id":"c1","content":"ok"}],)"
      R"("tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"a":{"type":"integer"}}}}}],)"
      R"("tool_choice":"auto","temperature":0.5,"stop":["x"],"reasoning_effort":"low","response_format":{"type":"json_object"}})";
  REQUIRE(plan_chat(base).header["action"] == "upstream");
  const char replacements[] = {'"', '{', '}', '[', ']', ',', ':', '0', 'n', ' ', '\\', 'x'};
  size_t upstream = 0;
  for (size_t i = 0; i < base.size(); ++i) {
    for (const char r : replacements) {
      std::string m = base;
      m[i] = r;
      const Plan p = plan_chat(m);
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

namespace {

// The function declaration plan_chat makes of one tool with `parameters`.
json declaration_for(const std::string& parameters) {
  const std::string body = R"({"model":"gemini-2.5-flash","messages":[{"role":"user","content":"x"}],)"
                           R"("tools":[{"type":"function","function":{"name":"f","parameters":)" +
                           parameters + "}}]}";
  const Plan p = plan_chat(body);
  REQUIRE(bal::get_string(p.header, "action") == "upstream");
  bal::raw::document strict;
  REQUIRE(strict.parse(p.payload) == bal::raw::success);
  return bal::parse_json(p.payload)["tools"][0]["functionDeclarations"][0];
}

}  // namespace

TEST_CASE("tool schemas: cleaned when exact, JSON Schema otherwise", "[openai][request][schema]") {
  SECTION("several anyOf branches and null: anyOf plus nullable") {
    const json d = declaration_for(
        R"({"type":"object","properties":{"v":{"anyOf":[{"type":"string"},{"type":"integer"},{"type":"null"}]}}})");
    CHECK(d["parameters"]["properties"]["v"] ==
          json::parse(R"({"anyOf":[{"type":"STRING"},{"type":"INTEGER"}],"nullable":true})"));
  }
  SECTION("a $ref inside a nullable anyOf is inlined") {
    const json d = declaration_for(
        R"({"type":"object","$defs":{"P":{"type":"object","properties":{"x":{"type":"number"}}}},)"
        R"("properties":{"p":{"anyOf":[{"$ref":"#/$defs/P"},{"type":"null"}],"description":"point"}}})");
    CHECK(
        d["parameters"]["properties"]["p"] ==
        json::parse(R"({"type":"OBJECT","properties":{"x":{"type":"NUMBER"}},"nullable":true,"description":"point"})"));
  }
  SECTION("property names that look like keywords stay names") {
    const json d = declaration_for(
        R"({"type":"object","properties":{"type":{"type":"string"},"items":{"type":"integer"},"caf\u00e9":{"type":"boolean"}}})");
    CHECK(d["parameters"]["properties"] ==
          json::parse(R"({"type":{"type":"STRING"},"items":{"type":"INTEGER"},"café":{"type":"BOOLEAN"}})"));
  }
  SECTION("no exact form: tuples, integer enums, free-form objects, arrays without items, unknown keywords") {
    const char* const schemas[] = {
        R"({"type":"object","properties":{"t":{"type":"array","items":[{"type":"string"}]}}})",
        R"({"type":"object","properties":{"n":{"type":"integer","enum":[1,2,3]}}})",
        R"({"type":"object","properties":{"m":{"type":"object"}}})",
        R"({"type":"object","properties":{"a":{"type":"array"}}})",
        R"({"type":"object","properties":{"s":{"type":"string","not":{"const":"x"}}}})",
        R"({"type":"object","properties":{"u":{"type":["string","integer"]}}})",
        R"({"type":"object","properties":{"c":{"const":5}}})",
        R"({"type":"object","properties":{"e":{"$ref":"https://example.com/schema.json"}}})",
    };
    for (const char* s : schemas) {
      INFO(s);
      const json d = declaration_for(s);
      CHECK_FALSE(d.contains("parameters"));
      CHECK(d["parametersJsonSchema"] == json::parse(s));
    }
  }
  SECTION("the JSON Schema form loses $schema and strict only in schema positions") {
    const json d = declaration_for(
        R"({"$schema":"x","strict":true,"type":"object","properties":{"a":{"oneOf":[{"type":"string","strict":1}],)"
        R"("default":{"strict":1,"$schema":"kept"}},"strict":{"type":"boolean"}}})");
    CHECK(d["parametersJsonSchema"] ==
          json::parse(R"({"type":"object","properties":{"a":{"oneOf":[{"type":"string"}],)"
                      R"("default":{"strict":1,"$schema":"kept"}},"strict":{"type":"boolean"}}})"));
  }
  SECTION("functions without parameters") {
    CHECK_FALSE(declaration_for("{}").contains("parameters"));
    CHECK_FALSE(declaration_for(R"({"type":"object"})").contains("parameters"));
    CHECK_FALSE(declaration_for(R"({"type":"object","properties":{}})").contains("parametersJsonSchema"));
    CHECK(declaration_for(R"({"type":"object","additionalProperties":true})")["parametersJsonSchema"] ==
          json::parse(R"({"type":"object","additionalProperties":true})"));
  }
  SECTION("exponential $ref inlining and deep nesting fall back instead of exploding") {
    std::string defs = R"({"type":"object","properties":{"root":{"$ref":"#/$defs/d0"}},"$defs":{)";
    for (int i = 0; i < 30; ++i) {
      const std::string next = "#/$defs/d" + std::to_string(i + 1);
      defs += "\"d" + std::to_string(i) + R"(":{"type":"object","properties":{"a":{"$ref":")" + next +
              R"("},"b":{"$ref":")" + next + "\"}}},";
    }
    defs += R"("d30":{"type":"string"}}})";
    CHECK(declaration_for(defs).contains("parametersJsonSchema"));
    // 25 nested levels are cleaned; a chain of 45 through $refs passes the cleaner's depth limit.
    std::string deep;
    for (int i = 0; i < 25; ++i) deep += R"({"type":"object","properties":{"x":)";
    deep += R"({"type":"string"})";
    for (int i = 0; i < 25; ++i) deep += "}}";
    CHECK(declaration_for(deep).contains("parameters"));
    deep = R"({"type":"object","properties":{"x":{"$ref":"#/$defs/d0"}},"$defs":{)";
    for (int i = 0; i < 45; ++i) {
      deep += "\"d" + std::to_string(i) + R"(":{"type":"object","properties":{"x":{"$ref":"#/$defs/d)" +
              std::to_string(i + 1) + "\"}}},";
    }
    deep += R"("d45":{"type":"string"}}})";
    CHECK(declaration_for(deep).contains("parametersJsonSchema"));
  }
}

TEST_CASE("response schemas", "[openai][request][schema]") {
  const std::string body =
      R"({"model":"gemini-2.5-flash","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema",)"
      R"("json_schema":{"name":"list","schema":{"type":"array","items":{"type":"object","properties":{"b":{"type":"string"},)"
      R"("a":{"type":"integer"}},"required":["b","a"],"additionalProperties":false}}}}})";
  const Plan p = plan_chat(body);
  const json config = bal::parse_json(p.payload)["generationConfig"];
  CHECK(config["responseMimeType"] == "application/json");
  CHECK(config["responseSchema"] ==
        json::parse(R"({"type":"ARRAY","items":{"type":"OBJECT","properties":{"b":{"type":"STRING"},)"
                    R"("a":{"type":"INTEGER"}},"required":["b","a"],"propertyOrdering":["b","a"]}})"));
}

TEST_CASE("embeddings: up to 2048 inputs, in upstream batches of 100 in order", "[openai][request]") {
  auto body_of = [](int n) {
    std::string body = R"({"model":"gemini-embedding-001","input":[)";
    for (int i = 0; i < n; ++i) body += std::string(i ? "," : "") + "\"t" + std::to_string(i) + "\"";
    return body + "]}";
  };
  const bal::Translated t = bal::openai::translate_embeddings(body_of(250), info());
  REQUIRE_FALSE(t.error);
  REQUIRE(t.calls.size() == 3);
  const json first = bal::parse_json(t.calls[0].body)["requests"];
  const json last = bal::parse_json(t.calls[2].body)["requests"];
  CHECK(first.size() == 100);
  CHECK(last.size() == 50);
  CHECK(first[0]["content"]["parts"][0]["text"] == "t0");
  CHECK(last[49]["content"]["parts"][0]["text"] == "t249");
  CHECK(bal::parse_json(t.calls[1].body)["requests"][0]["content"]["parts"][0]["text"] == "t100");
  CHECK(bal::openai::translate_embeddings(body_of(2048), info()).calls.size() == 21);
  const Plan p = plan_embeddings(body_of(2049));
  CHECK(p.header["status"] == 400);
  CHECK(bal::parse_json(p.payload)["error"]["param"] == "input");
}
