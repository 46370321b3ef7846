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
// order), "anthropic_raw" for bodies that are not JSON, or the body of the capture it names.
bal::Translated run_fixture(const std::string& text, const bal::ModelMap& models) {
  bal::raw::document doc;
  REQUIRE(doc.parse(text) == bal::raw::success);
  const bal::raw::value root = doc.root();
  std::string body;
  bal::raw::document captured;  // a body Claude Code sent, recorded under anthropic/captures/
  const std::string capture_text =
      root.get("capture").exists()
          ? fixtures::read_file(std::string(FIXTURES_DIR) + "/anthropic/captures/" + root.get("capture").str())
          : std::string();
  if (!capture_text.empty()) {
    REQUIRE(captured.parse(capture_text) == bal::raw::success);
    body = std::string(captured.root().get("body").raw_json());
  } else if (root.get("anthropic_raw").exists()) {
    body = root.get("anthropic_raw").str();
  } else {
    body = std::string(root.get("anthropic").raw_json());
  }
  bal::RequestInfo info;
  info.request_id = "0123456789abcdef";
  info.models = &models;
  const bool count = root.get("endpoint").equals("count_tokens");
  return fixtures::translate_fetching(bal::parse_json(text), info, [&](const bal::RequestInfo& i) {
    return count ? bal::anthropic::translate_count_tokens(body, i) : bal::anthropic::translate_messages(body, i);
  });
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

// A thinking budget on a level model: up to 4,096 tokens "low", up to 12,288 "medium" where the
// model has it (Gemini 3 Pro does not: "high"), more "high"; effort likewise.
TEST_CASE("Anthropic: a thinking budget or effort as the level each model has", "[anthropic][request]") {
  struct Row {
    const char* model;
    const char* thinking;
    const char* level;
  };
  const Row rows[] = {
      {"gemini-3.8-flash", R"({"type":"enabled","budget_tokens":2048})", "low"},
      {"gemini-3.8-flash", R"({"type":"enabled","budget_tokens":10000})", "medium"},
      {"gemini-3.8-flash", R"({"type":"enabled","budget_tokens":16000})", "high"},  // OpenCode's "high"
      {"gemini-3.8-flash", R"({"type":"enabled","budget_tokens":31999})", "high"},
      {"gemini-3-pro-preview", R"({"type":"enabled","budget_tokens":10000})", "high"},
      {"gemini-4-neon", R"({"type":"adaptive"},"output_config":{"effort":"medium"})", "medium"},
      {"gemini-3-pro-preview", R"({"type":"adaptive"},"output_config":{"effort":"medium"})", "high"},
  };
  for (const Row& r : rows) {
    DYNAMIC_SECTION(r.model << " " << r.thinking) {
      const bal::Translated t =
          translate(std::string(R"({"model":")") + r.model + R"(","max_tokens":40000,"thinking":)" + r.thinking +
                    R"(,"messages":[{"role":"user","content":"hi"}]})");
      REQUIRE_FALSE(t.error.has_value());
      const json config = bal::parse_json(t.calls[0].body)["generationConfig"]["thinkingConfig"];
      CHECK(config.value("thinkingLevel", "") == r.level);
    }
  }
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

namespace {

// What an Anthropic client (Claude Code, the SDKs) keeps of a streamed answer: the content
// blocks the events add up to, as the SDK's accumulator builds them.
json accumulate(const std::string& sse) {
  json content = json::array();
  std::string partial;
  size_t at = 0;
  while ((at = sse.find("data: ", at)) != std::string::npos) {
    const size_t end = sse.find("\n\n", at);
    const json e = bal::parse_json(sse.substr(at + 6, end - at - 6));
    at = end;
    if (e["type"] == "content_block_start") {
      content.push_back(e["content_block"]);
      partial.clear();
    } else if (e["type"] == "content_block_delta") {
      json& block = content.back();
      const json& d = e["delta"];
      if (d["type"] == "text_delta") block["text"] = block["text"].get<std::string>() + d["text"].get<std::string>();
      if (d["type"] == "thinking_delta") {
        block["thinking"] = block["thinking"].get<std::string>() + d["thinking"].get<std::string>();
      }
      if (d["type"] == "signature_delta") block["signature"] = d["signature"];
      if (d["type"] == "input_json_delta") partial += d["partial_json"].get<std::string>();
    } else if (e["type"] == "content_block_stop" && content.back()["type"] == "tool_use") {
      content.back()["input"] = bal::parse_json(partial);
    }
  }
  return content;
}

// One Gemini answer → the assistant content an Anthropic client keeps, whole or streamed.
json assistant_content(bal::Exchange& x, const json& gemini_answer, bool stream) {
  if (!stream) return bal::parse_json(x.answer({gemini_answer.dump(2)}).body)["content"];
  auto s = x.stream();
  std::string out;
  s->push("data: " + gemini_answer.dump() + "\r\n\r\n", out);
  s->finish(out);
  REQUIRE(s->ok());
  return accumulate(out);
}

}  // namespace

TEST_CASE("Anthropic: Gemini 3 signatures survive a multi-turn tool conversation", "[anthropic][signatures]") {
  // Gemini 3 signs the first call of each step (and the last text of a reply); it refuses a
  // call sent back without its signature. The client keeps what it got and sends it back.
  const json tools = json::parse(R"([{"name":"Bash","input_schema":{"type":"object","properties":{)"
                                 R"("command":{"type":"string"}},"required":["command"]}}])");
  for (const bool stream : {false, true}) {
    DYNAMIC_SECTION((stream ? "streamed" : "whole")) {
      json messages = json::array({{{"role", "user"}, {"content", "List the files, then count them."}}});
      const json steps[] = {
          {{"candidates",
            {{{"content",
               {{"role", "model"},
                {"parts",
                 {{{
                       "text",
                       "Plan: list.",
                   },
                   {"thought", true}},
                  {{"functionCall", {{"id", "c1"}, {"name", "Bash"}, {"args", {{"command", "ls"}}}}},
                   {"thoughtSignature", "U0lHLTE="}}}}}},
              {"finishReason", "STOP"}}}}},
          {{"candidates",
            {{{"content",
               {{"role", "model"},
                {"parts",
                 {{{"functionCall", {{"name", "Bash"}, {"args", {{"command", "ls | wc -l"}}}}},
                   {"thoughtSignature", "U0lHLTI="}},
                  {{"functionCall", {{"name", "Bash"}, {"args", {{"command", "pwd"}}}}}}}}}},
              {"finishReason", "STOP"}}}}},
          {{"candidates",
            {{{"content", {{"role", "model"}, {"parts", {{{"text", "Two files."}, {"thoughtSignature", "U0lHLTM="}}}}}},
              {"finishReason", "STOP"}}}}},
      };
      std::vector<std::string> signatures_sent;
      for (const json& step : steps) {
        const json request = {{"model", "gemini-3-pro-preview"},
                              {"max_tokens", 1000},
                              {"tools", tools},
                              {"thinking", {{"type", "adaptive"}, {"display", "summarized"}}},
                              {"messages", messages}};
        bal::RequestInfo info;
        info.request_id = "0123456789abcdef";
        bal::Translated t = bal::anthropic::translate_messages(request.dump(), info);
        REQUIRE_FALSE(t.error.has_value());
        const json body = bal::parse_json(t.calls[0].body);
        for (const json& content : body["contents"]) {
          for (const json& part : content["parts"]) {
            if (part.contains("thoughtSignature")) signatures_sent.push_back(part["thoughtSignature"]);
          }
        }
        const json content = assistant_content(*t.exchange, step, stream);
        messages.push_back({{"role", "assistant"}, {"content", content}});
        json results = json::array();
        for (const json& block : content) {
          if (block["type"] == "tool_use") {
            results.push_back({{"type", "tool_result"}, {"tool_use_id", block["id"]}, {"content", "ok"}});
          }
        }
        messages.push_back({{"role", "user"}, {"content", results.empty() ? json("Thanks") : results}});
      }
      // The first request had no model turn; the second carried step 1's signature back on its
      // call; the third steps 1 and 2; never the skip value.
      CHECK(signatures_sent == std::vector<std::string>{"U0lHLTE=", "U0lHLTE=", "U0lHLTI="});
      // The final request (built now, after step 3) carries all three, each on its own part.
      const json request = {
          {"model", "gemini-3-pro-preview"}, {"max_tokens", 10}, {"tools", tools}, {"messages", messages}};
      bal::RequestInfo info;
      const json body = bal::parse_json(bal::anthropic::translate_messages(request.dump(), info).calls[0].body);
      const json& contents = body["contents"];
      REQUIRE(contents.size() == 7);
      CHECK(contents[1]["parts"][0]["functionCall"]["name"] == "Bash");
      CHECK(contents[1]["parts"][0]["thoughtSignature"] == "U0lHLTE=");
      CHECK(contents[3]["parts"][0]["thoughtSignature"] == "U0lHLTI=");
      CHECK_FALSE(contents[3]["parts"][1].contains("thoughtSignature"));
      CHECK(contents[4]["parts"].size() == 2);  // both results in one turn, as Gemini wants
      // A reply's signed last text part comes back without its signature (see blocks.cpp).
      CHECK(contents[5]["parts"] == json::parse(R"([{"text":"Two files."}])"));
      CHECK(body.dump().find("skip_thought_signature_validator") == std::string::npos);
    }
  }
}
