// The answer side of the Anthropic translation: golden fixtures for whole answers
// (tests/fixtures/anthropic/responses/) and event streams (…/streams/, under every
// chunking), errors in Anthropic's shape, and the stream's ping and failure framing.
#include <algorithm>
#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

#include "balancer/anthropic.h"
#include "balancer/json.h"
#include "balancer/redact.h"
#include "fixtures.h"

using bal::json;

namespace {

constexpr const char* kRequestId = "0123456789abcdef";

std::unique_ptr<bal::Exchange> exchange_for(const json& f) {
  const json request = {{"model", f.value("model", "claude-sonnet-4-5")},
                        {"max_tokens", 100},
                        {"messages", {{{"role", "user"}, {"content", "hi"}}}}};
  bal::RequestInfo info;
  info.request_id = kRequestId;
  bal::Translated t = bal::anthropic::translate_messages(request.dump(), info);
  REQUIRE_FALSE(t.error.has_value());
  return std::move(t.exchange);
}

// Anthropic SSE output → [{"event": name, "data": JSON}], checking the framing on the way.
json events_of(const std::string& out) {
  json events = json::array();
  size_t at = 0;
  while (at < out.size()) {
    const size_t end = out.find("\n\n", at);
    REQUIRE(end != std::string::npos);
    const std::string ev = out.substr(at, end - at);
    REQUIRE(ev.substr(0, 7) == "event: ");
    const size_t nl = ev.find('\n');
    REQUIRE(nl != std::string::npos);
    REQUIRE(ev.substr(nl + 1, 6) == "data: ");
    REQUIRE(ev.find('\n', nl + 1) == std::string::npos);
    const std::string name = ev.substr(7, nl - 7);
    const json data = bal::parse_json(ev.substr(nl + 7));
    REQUIRE_FALSE(data.is_discarded());
    CHECK(data["type"] == name);
    events.push_back({{"event", name}, {"data", data}});
    at = end + 2;
  }
  return events;
}

struct Run {
  std::string out;
  bool ok = false;
  bal::gemini::Usage usage;
};

Run run(const json& f, std::string_view sse, const std::vector<size_t>& cuts) {
  auto s = exchange_for(f)->stream();
  REQUIRE(s != nullptr);
  Run r;
  size_t at = 0;
  for (size_t cut : cuts) {
    s->push(sse.substr(at, cut - at), r.out);
    at = cut;
  }
  s->push(sse.substr(at), r.out);
  s->finish(r.out);
  r.ok = s->ok();
  r.usage = s->usage();
  return r;
}

json usage_json(const bal::gemini::Usage& u) {
  return {{"prompt", u.prompt}, {"candidates", u.candidates}, {"thoughts", u.thoughts}, {"cached", u.cached}};
}

}  // namespace

TEST_CASE("Anthropic answer fixtures", "[anthropic][response]") {
  const auto files = fixtures::files("anthropic/responses");
  CHECK(files.size() >= 12);
  for (const auto& path : files) {
    DYNAMIC_SECTION(path.stem().string()) {
      const json f = fixtures::read_json(path);
      const json& expect = f["expect"];
      std::vector<std::string> bodies;
      if (f.contains("gemini_raw")) {
        bodies = {f["gemini_raw"].get<std::string>()};
      } else {
        bodies = {f["gemini"].dump(), f["gemini"].dump(2)};  // answers arrive indented
      }
      for (const std::string& body : bodies) {
        auto x = exchange_for(f);
        const bal::Reply r = x->answer({body});
        CHECK(r.status == expect["status"]);
        CHECK(r.content_type == "application/json; charset=utf-8");
        const json got = bal::parse_json(r.body);
        REQUIRE_FALSE(got.is_discarded());
        CHECK(got == expect["anthropic"]);
        if (expect.contains("usage")) CHECK(usage_json(x->usage()) == expect["usage"]);
        CHECK_FALSE(bal::contains_key_material(r.body));
      }
    }
  }
}

TEST_CASE("Anthropic stream fixtures under every chunking", "[anthropic][stream]") {
  const auto files = fixtures::files("anthropic/streams");
  CHECK(files.size() >= 12);
  for (const auto& path : files) {
    DYNAMIC_SECTION(path.stem().string()) {
      const json f = fixtures::read_json(path);
      const std::string sse = f["sse"].get<std::string>();
      const Run whole = run(f, sse, {});
      CHECK(events_of(whole.out) == f["expect"]);
      CHECK(whole.ok == f["ok"].get<bool>());
      if (f.contains("usage")) CHECK(usage_json(whole.usage) == f["usage"]);
      CHECK_FALSE(bal::contains_key_material(whole.out));

      std::vector<size_t> every_byte;
      for (size_t i = 1; i < sse.size(); ++i) every_byte.push_back(i);
      CHECK(run(f, sse, every_byte).out == whole.out);

      std::mt19937 rng(20240611);
      for (int round = 0; round < 50; ++round) {
        std::vector<size_t> cuts;
        if (!sse.empty()) {
          std::uniform_int_distribution<size_t> pos(0, sse.size());
          const size_t count = std::uniform_int_distribution<size_t>(1, 12)(rng);
          for (size_t k = 0; k < count; ++k) cuts.push_back(pos(rng));
          std::sort(cuts.begin(), cuts.end());
        }
        INFO("round " << round);
        CHECK(run(f, sse, cuts).out == whole.out);
      }
    }
  }
}

TEST_CASE("Anthropic streams: any cut ends in message_stop or an error event", "[anthropic][stream]") {
  for (const auto& path : fixtures::files("anthropic/streams")) {
    const json f = fixtures::read_json(path);
    const std::string sse = f["sse"].get<std::string>();
    for (size_t n = 0; n <= sse.size(); n += 7) {
      INFO(path.stem().string() << " cut at " << n);
      const Run r = run(f, std::string_view(sse).substr(0, n), {});
      const json events = events_of(r.out);
      REQUIRE_FALSE(events.empty());
      const std::string last = events.back()["event"];
      CHECK((last == "message_stop" || last == "error"));
      CHECK(r.ok == (last == "message_stop"));
    }
  }
}

TEST_CASE("Anthropic streams: ping, fail and the end", "[anthropic][stream]") {
  const json f = {{"model", "claude-haiku-4-5"}};
  const std::string event =
      "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]},\"finishReason\":\"STOP\"}]}\r\n\r\n";

  SECTION("a ping before anything opens the message first; later pings stand alone") {
    auto s = exchange_for(f)->stream();
    auto* m = static_cast<bal::anthropic::MessageStream*>(s.get());
    std::string out;
    m->ping(out);
    m->ping(out);
    s->push(event, out);
    s->finish(out);
    const json events = events_of(out);
    REQUIRE(events.size() >= 4);
    CHECK(events[0]["event"] == "message_start");
    CHECK(events[1]["event"] == "ping");
    CHECK(events[2]["event"] == "ping");
    CHECK(events[3]["event"] == "content_block_start");
    CHECK(std::count_if(events.begin(), events.end(), [](const json& e) { return e["event"] == "message_start"; }) ==
          1);
    const std::string done = out;
    m->ping(out);
    CHECK(out == done);
  }
  SECTION("fail() mid-stream ends with an error event in Anthropic's shape, once") {
    auto s = exchange_for(f)->stream();
    std::string out;
    s->push("data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]}}]}\r\n\r\n", out);
    s->fail(bal::api_error(503, "The model is overloaded."), out);
    s->fail(bal::api_error(500, "again"), out);
    s->finish(out);
    const json events = events_of(out);
    CHECK(events.back()["event"] == "error");
    CHECK(events.back()["data"]["error"]["type"] == "overloaded_error");
    CHECK(std::count_if(events.begin(), events.end(), [](const json& e) { return e["event"] == "error"; }) == 1);
    CHECK_FALSE(s->ok());
  }
  SECTION("nothing is emitted after the end, and finish is idempotent") {
    auto s = exchange_for(f)->stream();
    std::string out;
    s->push(event, out);
    s->finish(out);
    const std::string done = out;
    s->finish(out);
    s->push(event, out);
    CHECK(out == done);
    CHECK(s->ok());
  }
  SECTION("an event past 16 MB is an error, and the memory is not kept") {
    auto s = exchange_for(f)->stream();
    std::string out;
    s->push("data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"", out);
    const std::string block(1 << 20, 'x');
    for (int i = 0; i < 17; ++i) s->push(block, out);
    const json events = events_of(out);
    REQUIRE(events.size() == 1);
    CHECK(events[0]["data"]["error"]["message"] == "upstream stream event is too large");
    CHECK_FALSE(s->ok());
  }
}

TEST_CASE("Anthropic errors: types, statuses and retry-after", "[anthropic][errors]") {
  struct Case {
    int status;
    int expect_status;
    const char* type;
  };
  const Case cases[] = {
      {400, 400, "invalid_request_error"},
      {401, 401, "authentication_error"},
      {403, 403, "permission_error"},
      {404, 404, "not_found_error"},
      {405, 405, "invalid_request_error"},
      {413, 413, "request_too_large"},
      {429, 429, "rate_limit_error"},
      {500, 500, "api_error"},
      {502, 502, "api_error"},
      {503, 529, "overloaded_error"},
      {504, 504, "timeout_error"},
  };
  for (const Case& c : cases) {
    INFO("status " << c.status);
    bal::ApiError e = bal::api_error(c.status, "boom \"quoted\"");
    const bal::Reply r = bal::anthropic::error_reply(e);
    CHECK(r.status == c.expect_status);
    const json body = bal::parse_json(r.body);
    CHECK(body == json{{"type", "error"}, {"error", {{"type", c.type}, {"message", "boom \"quoted\""}}}});
    const bool has_retry =
        std::any_of(r.headers.begin(), r.headers.end(), [](const auto& h) { return h.first == "retry-after"; });
    CHECK(has_retry == (c.status == 429));
  }
  bal::ApiError e = bal::api_error(429, "slow down");
  e.retry_after_ms = 28001;
  const bal::Reply r = bal::anthropic::error_reply(e);
  REQUIRE(r.headers.size() == 1);
  CHECK(r.headers[0] == std::pair<std::string, std::string>("retry-after", "29"));
}

TEST_CASE("Anthropic count_tokens and models answers", "[anthropic][response]") {
  bal::RequestInfo info;
  info.request_id = kRequestId;
  SECTION("count_tokens: Gemini's totalTokens is input_tokens") {
    bal::Translated t = bal::anthropic::translate_count_tokens(
        R"({"model":"gemini-2.5-flash","messages":[{"role":"user","content":"x"}]})", info);
    REQUIRE_FALSE(t.error.has_value());
    const bal::Reply r = t.exchange->answer({R"({"totalTokens": 42, "promptTokensDetails": []})"});
    CHECK(r.status == 200);
    CHECK(bal::parse_json(r.body) == json{{"input_tokens", 42}});
    CHECK(t.exchange->answer({"<html>"}).status == 502);
    CHECK(t.exchange->answer({}).status == 502);
    CHECK(t.exchange->stream() == nullptr);
  }
  SECTION("models: every page's generating models, in Anthropic's list shape") {
    bal::Translated t = bal::anthropic::translate_models(info);
    REQUIRE(t.calls.size() == 1);
    CHECK(t.calls[0].method == "GET");
    CHECK(t.calls[0].path == "/v1beta/models");
    CHECK(t.calls[0].query == "pageSize=1000");
    const std::string pages =
        R"([{"models":[{"name":"models/gemini-2.5-flash","displayName":"Gemini 2.5 Flash",)"
        R"("supportedGenerationMethods":["generateContent","countTokens"]},{"name":"models/gemini-embedding-001",)"
        R"("supportedGenerationMethods":["embedContent"]}],"nextPageToken":"x"},)"
        R"({"models":[{"name":"models/gemini-flash-latest","displayName":"Flash \"latest\""}]}])";
    const json expect = json::parse(R"({"data":[
      {"type":"model","id":"gemini-2.5-flash","display_name":"Gemini 2.5 Flash","created_at":"1970-01-01T00:00:00Z"},
      {"type":"model","id":"gemini-flash-latest","display_name":"Flash \"latest\"","created_at":"1970-01-01T00:00:00Z"}],
      "has_more":false,"first_id":"gemini-2.5-flash","last_id":"gemini-flash-latest"})");
    CHECK(bal::parse_json(t.exchange->answer({pages}).body) == expect);
    // The same pages handed over one body each.
    const json split = bal::parse_json(pages);
    CHECK(bal::parse_json(t.exchange->answer({split[0].dump(), split[1].dump()}).body) == expect);
    CHECK(bal::parse_json(t.exchange->answer({R"({"models":[]})"}).body) ==
          json::parse(R"({"data":[],"has_more":false,"first_id":null,"last_id":null})"));
    CHECK(t.exchange->answer({"oops"}).status == 502);
  }
  SECTION("one model: a Claude name is looked up through MODEL_MAP and kept in the answer") {
    bal::Translated t = bal::anthropic::translate_model("claude-haiku-4-5", info);
    REQUIRE(t.calls.size() == 1);
    CHECK(t.calls[0].path == "/v1beta/models/gemini-3.5-flash-lite");
    const bal::Reply r =
        t.exchange->answer({R"({"name":"models/gemini-3.5-flash-lite","displayName":"Gemini 3.5 Flash-Lite"})"});
    CHECK(bal::parse_json(r.body) ==
          json::parse(R"({"type":"model","id":"claude-haiku-4-5",)"
                      R"("display_name":"Gemini 3.5 Flash-Lite","created_at":"1970-01-01T00:00:00Z"})"));
    bal::Translated bad = bal::anthropic::translate_model("../etc", info);
    REQUIRE(bad.error.has_value());
    CHECK(bad.exchange->error(*bad.error).status == 404);
  }
}
