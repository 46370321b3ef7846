// The Responses API translation: golden fixtures under tests/fixtures/responses/ (requests,
// whole answers, streams under every chunking), and what no fixture can state (signatures
// round-tripping through encrypted_content and the store, malformed values, lifecycles).
#include "balancer/responses.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "../src/responses/internal.h"
#include "balancer/json.h"
#include "balancer/model_map.h"
#include "balancer/redact.h"
#include "fixtures.h"

using bal::json;
namespace rs = bal::responses;

namespace {

std::string body_of(const json& f) {
  if (f.contains("request_raw")) return f["request_raw"].get<std::string>();
  return f["request"].dump();
}

struct Setup {
  bal::ModelMap models;
  bal::RequestInfo info;
  rs::Stored stored;
  bool has_stored = false;
};

void prepare(const json& f, Setup& s) {
  s.info.now_ms = f.value("now_ms", int64_t{1700000000123});
  s.info.request_id = f.value("request_id", std::string("0123456789abcdef"));
  s.models.assign(f.value("model_map", std::string()));
  s.info.models = &s.models;
  if (f.contains("stored")) {
    REQUIRE(s.stored.parse(f["stored"].dump()));
    s.has_stored = true;
  }
}

rs::Stored* stored_of(Setup& s) {
  return s.has_stored ? &s.stored : nullptr;
}

void check_error(const bal::Translated& t, const json& expect) {
  REQUIRE(t.error.has_value());
  REQUIRE(t.exchange != nullptr);
  const bal::Reply r = t.exchange->error(*t.error);
  CHECK(r.status == expect["status"]);
  const json body = bal::parse_json(r.body);
  INFO(r.body);
  CHECK(body["error"]["type"] == expect.value("type", std::string("invalid_request_error")));
  if (expect.contains("param")) CHECK(body["error"]["param"] == expect["param"]);
  if (expect.contains("code")) CHECK(body["error"]["code"] == expect["code"]);
  if (expect.contains("message_contains")) {
    CHECK(body["error"]["message"].get<std::string>().find(expect["message_contains"].get<std::string>()) !=
          std::string::npos);
  }
}

// Splits Responses SSE output into (event name, data), checking the framing on the way.
std::vector<std::pair<std::string, json>> events_of(const std::string& out) {
  std::vector<std::pair<std::string, json>> events;
  size_t at = 0;
  while (at < out.size()) {
    const size_t end = out.find("\n\n", at);
    REQUIRE(end != std::string::npos);
    const std::string ev = out.substr(at, end - at);
    REQUIRE(ev.substr(0, 7) == "event: ");
    const size_t nl = ev.find('\n');
    REQUIRE(nl != std::string::npos);
    REQUIRE(ev.substr(nl + 1, 6) == "data: ");
    const std::string name = ev.substr(7, nl - 7);
    const std::string data = ev.substr(nl + 7);
    REQUIRE(data.find('\n') == std::string::npos);
    const json j = bal::parse_json(data);
    REQUIRE_FALSE(j.is_discarded());
    CHECK(j["type"] == name);
    events.emplace_back(name, j);
    at = end + 2;
  }
  return events;
}

struct StreamRun {
  std::string out;
  bool ok = false;
  std::optional<rs::StoreWrite> record;
};

StreamRun run_stream(const json& f, const std::string& sse, const std::vector<size_t>& cuts) {
  Setup s;
  prepare(f, s);
  bal::Translated t = rs::translate_responses(body_of(f), s.info, stored_of(s));
  REQUIRE_FALSE(t.error.has_value());
  auto& rx = rs::responses_exchange(*t.exchange);
  if (f.contains("key_id")) rx.served_by(f["key_id"].get<int64_t>());
  auto st = t.exchange->stream();
  StreamRun r;
  size_t at = 0;
  for (size_t cut : cuts) {
    st->push(std::string_view(sse).substr(at, cut - at), r.out);
    at = cut;
  }
  st->push(std::string_view(sse).substr(at), r.out);
  st->finish(r.out);
  r.ok = st->ok();
  r.record = rx.to_store();
  return r;
}

void check_record(const std::optional<rs::StoreWrite>& w, const json& f) {
  if (!f.contains("record")) return;
  if (f["record"].is_null()) {
    CHECK_FALSE(w.has_value());
    return;
  }
  REQUIRE(w.has_value());
  const json record = bal::parse_json(w->body);
  INFO(w->body);
  CHECK(fixtures::normalized(record) == fixtures::normalized(f["record"]));
  CHECK(w->id == record["id"]);
  // Every item of a record has its own id: item_references find exactly one.
  std::set<std::string> ids;
  for (const json& item : record["input"]) CHECK(ids.insert(item["id"].get<std::string>()).second);
  for (const json& item : record["response"]["output"]) CHECK(ids.insert(item["id"].get<std::string>()).second);
  rs::Stored back;
  CHECK(back.parse("[" + w->body + "]"));
}

}  // namespace

TEST_CASE("responses request fixtures", "[responses][request]") {
  const auto files = fixtures::files("responses/requests");
  CHECK(files.size() >= 30);
  for (const auto& path : files) {
    SECTION(path.stem().string()) {
      const json f = fixtures::read_json(path);
      REQUIRE(f.is_object());
      CHECK(f["description"].is_string());
      Setup s;
      prepare(f, s);
      const std::string body = body_of(f);
      const json& expect = f["expect"];
      if (expect.contains("ids_to_load")) CHECK(json(rs::ids_to_load(body)) == expect["ids_to_load"]);
      const bal::Translated t = fixtures::translate_fetching(
          f, s.info, [&](const bal::RequestInfo& i) { return rs::translate_responses(body, i, stored_of(s)); });
      if (expect["status"] != 200) {
        check_error(t, expect);
        continue;
      }
      INFO((t.error ? t.error->message : std::string()));
      REQUIRE_FALSE(t.error.has_value());
      REQUIRE(t.calls.size() == 1);
      const bal::UpstreamCall& c = t.calls[0];
      CHECK(c.model == expect["model"]);
      CHECK(c.path == expect["path"]);
      CHECK(c.query == expect.value("query", std::string()));
      CHECK(c.sse == expect.value("sse", false));
      bal::raw::document strict;
      CHECK(strict.parse(c.body) == bal::raw::success);
      INFO(c.body);
      CHECK(bal::parse_json(c.body) == expect["gemini"]);
      auto& rx = rs::responses_exchange(*t.exchange);
      if (expect.contains("bound_key")) {
        CHECK(json(rx.bound_key() ? json(*rx.bound_key()) : json(nullptr)) == expect["bound_key"]);
      }
    }
  }
}

TEST_CASE("responses answer fixtures", "[responses][response]") {
  const auto files = fixtures::files("responses/responses");
  CHECK(files.size() >= 12);
  for (const auto& path : files) {
    SECTION(path.stem().string()) {
      const json f = fixtures::read_json(path);
      Setup s;
      prepare(f, s);
      bal::Translated t = rs::translate_responses(body_of(f), s.info, stored_of(s));
      REQUIRE_FALSE(t.error.has_value());
      auto& rx = rs::responses_exchange(*t.exchange);
      if (f.contains("key_id")) rx.served_by(f["key_id"].get<int64_t>());
      const std::string gemini = f.contains("gemini_raw") ? f["gemini_raw"].get<std::string>() : f["gemini"].dump(2);
      const bal::Reply r = t.exchange->answer({gemini});
      INFO(r.body);
      CHECK(r.status == f["expect"]["status"]);
      CHECK(fixtures::normalized(bal::parse_json(r.body)) == fixtures::normalized(f["expect"]["body"]));
      CHECK_FALSE(bal::contains_key_material(r.body));
      check_record(rx.to_store(), f);
      if (f.contains("gemini")) {
        // The same answer compact gives the same bytes.
        bal::Translated again = rs::translate_responses(body_of(f), s.info, stored_of(s));
        if (f.contains("key_id")) rs::responses_exchange(*again.exchange).served_by(f["key_id"].get<int64_t>());
        CHECK(again.exchange->answer({f["gemini"].dump()}).body == r.body);
      }
    }
  }
}

TEST_CASE("responses stream fixtures under every chunking", "[responses][stream]") {
  const auto files = fixtures::files("responses/streams");
  CHECK(files.size() >= 10);
  for (const auto& path : files) {
    SECTION(path.stem().string()) {
      const json f = fixtures::read_json(path);
      const std::string sse = f["sse"].get<std::string>();
      const StreamRun whole = run_stream(f, sse, {});
      const auto events = events_of(whole.out);
      const json& expect = f["expect"];
      REQUIRE(events.size() == expect.size());
      for (size_t i = 0; i < events.size(); ++i) {
        INFO("event " << i << ": " << events[i].second.dump());
        CHECK(events[i].second["sequence_number"] == i);
        CHECK(fixtures::normalized(events[i].second) == fixtures::normalized(expect[i]));
      }
      CHECK(whole.ok == f["ok"].get<bool>());
      CHECK_FALSE(bal::contains_key_material(whole.out));
      check_record(whole.record, f);

      std::vector<size_t> every_byte;
      for (size_t i = 1; i < sse.size(); ++i) every_byte.push_back(i);
      CHECK(run_stream(f, sse, every_byte).out == whole.out);
      std::mt19937 rng(20240611);
      for (int round = 0; round < 30; ++round) {
        std::vector<size_t> cuts;
        std::uniform_int_distribution<size_t> pos(0, sse.size());
        const size_t count = std::uniform_int_distribution<size_t>(1, 12)(rng);
        for (size_t k = 0; k < count; ++k) cuts.push_back(pos(rng));
        std::sort(cuts.begin(), cuts.end());
        INFO("round " << round);
        CHECK(run_stream(f, sse, cuts).out == whole.out);
      }
    }
  }
}

TEST_CASE("responses streams: any cut of a stream ends in a terminal event, never a trap", "[responses][stream]") {
  for (const auto& path : fixtures::files("responses/streams")) {
    const json f = fixtures::read_json(path);
    const std::string sse = f["sse"].get<std::string>();
    for (size_t n = 0; n <= sse.size(); n += 7) {
      INFO(path.stem().string() << " cut at " << n);
      const StreamRun r = run_stream(f, sse.substr(0, n), {});
      const auto events = events_of(r.out);
      REQUIRE(events.size() >= 3);
      CHECK(events[0].first == "response.created");
      const std::string last = events.back().first;
      CHECK((last == "response.completed" || last == "response.incomplete" || last == "response.failed"));
      if (last == "response.failed") CHECK_FALSE(r.record.has_value());
    }
  }
}

TEST_CASE("the reasoning item that carries a text signature comes before the message when known in time",
          "[responses][stream]") {
  const json f = {{"request", {{"model", "gemini-3-flash-preview"}, {"input", "Hi"}, {"stream", true},
                               {"include", json::array({"reasoning.encrypted_content"})}}},
                  {"key_id", 2}};
  const auto added = [](const std::string& out) {
    std::vector<std::string> types;
    for (const auto& [name, data] : events_of(out)) {
      if (name == "response.output_item.added") types.push_back(data["item"]["type"].get<std::string>());
    }
    return types;
  };
  const std::string event = R"({"candidates":[{"content":{"role":"model","parts":[)";
  const std::string end = R"(]},"finishReason":"STOP"}]})";
  // A short answer in one event: the part that opens the message carries the signature.
  const std::string signed_first = "data: " + event + R"({"text":"Hi there","thoughtSignature":"c2ln"})" + end + "\r\n\r\n";
  CHECK(added(run_stream(f, signed_first, {}).out) == std::vector<std::string>{"reasoning", "message"});
  // The signature on a later event: the message was announced before it.
  const std::string signed_later = "data: " + event + R"({"text":"Hi"})" + R"(]}}]})" + "\r\n\r\n" + "data: " + event +
                                   R"({"text":"","thoughtSignature":"c2ln"})" + end + "\r\n\r\n";
  CHECK(added(run_stream(f, signed_later, {}).out) == std::vector<std::string>{"message", "reasoning"});
}

TEST_CASE("a grounded stream announces each url_citation while its message is open, then its web_search_call",
          "[responses][stream]") {
  // The same answer and sources as the chat stream fixture, in three events.
  const json chat = fixtures::read_json(std::string(FIXTURES_DIR) + "/openai/streams/stream_grounding_citations.json");
  const json f = {{"request", {{"model", "gemini-2.5-flash"}, {"input", "Who won Euro 2024?"}, {"stream", true},
                               {"tools", json::array({{{"type", "web_search"}}})}}}};
  json expected = json::array();
  for (const json& chunk : chat["expect"]) {
    if (!chunk.is_object()) continue;
    for (const json& a : chunk["choices"][0]["delta"].value("annotations", json::array())) {
      json flat = a["url_citation"];
      flat["type"] = "url_citation";
      expected.push_back(flat);
    }
  }
  REQUIRE(expected.size() == 4);
  const std::string sse = chat["sse"].get<std::string>();
  for (size_t cut = 0; cut <= sse.size(); cut += 97) {
    INFO("cut at " << cut);
    const StreamRun r = run_stream(f, sse, {cut});
    const auto events = events_of(r.out);
    json announced = json::array();
    bool text_done = false;
    for (const auto& [name, data] : events) {
      if (name == "response.output_text.done") text_done = true;
      if (name != "response.output_text.annotation.added") continue;
      CHECK_FALSE(text_done);
      CHECK(data["annotation_index"] == announced.size());
      CHECK(data["item_id"] == "msg_0123456789abcdef_1");
      announced.push_back(data["annotation"]);
    }
    CHECK(announced == expected);
    std::vector<std::string> searched;
    bool message_done = false;
    for (const auto& [name, data] : events) {
      if (name == "response.output_item.done" && data["item"]["type"] == "message") message_done = true;
      if (name == "response.content_part.done") CHECK(data["part"]["annotations"] == expected);
      if (name == "response.completed") {
        const json& output = data["response"]["output"];
        CHECK(output[0]["content"][0]["annotations"] == expected);
        REQUIRE(output.size() == 2);
        CHECK(output[1] == json({{"id", "ws_0123456789abcdef_2"},
                                 {"type", "web_search_call"},
                                 {"status", "completed"},
                                 {"action", {{"type", "search"}, {"query", "euro 2024 winner"}}}}));
      }
      // The search item follows the message it grounds, whole.
      if (name.rfind("response.web_search_call.", 0) == 0 || data.value("item", json::object()).value("type", "") == "web_search_call") {
        CHECK(message_done);
        searched.push_back(name == "response.output_item.added" || name == "response.output_item.done"
                               ? name + " " + data["item"]["status"].get<std::string>()
                               : name);
      }
    }
    CHECK(searched == std::vector<std::string>{"response.output_item.added in_progress", "response.web_search_call.in_progress",
                                               "response.web_search_call.searching", "response.web_search_call.completed",
                                               "response.output_item.done completed"});
    REQUIRE(r.record.has_value());
    CHECK(bal::parse_json(r.record->body)["response"]["output"][0]["content"][0]["annotations"] == expected);
    rs::Stored back;
    CHECK(back.parse("[" + r.record->body + "]"));
  }
}

TEST_CASE("encrypted_content: signatures round trip, anything else is refused", "[responses][carry]") {
  namespace d = rs::detail;
  d::Carry c;
  c.calls.emplace_back("call_1", "CiQBVKhc7sig/+==");
  c.calls.emplace_back("weird \"id\"\n", "c2ln");
  c.texts.emplace_back(d::text_fingerprint("Hello 👋"), "dGV4dA==");
  c.key_id = 42;
  const std::string v = d::encode_carry(c);
  CHECK(v.substr(0, 5) == "gbr1.");
  CHECK(v.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.", 0) ==
        std::string::npos);
  d::Carry back;
  REQUIRE(d::decode_carry(v, back));
  REQUIRE(back.calls.size() == 2);
  CHECK(*back.call("call_1") == "CiQBVKhc7sig/+==");
  CHECK(*back.call("weird \"id\"\n") == "c2ln");
  CHECK(*back.text(d::text_fingerprint("Hello 👋")) == "dGV4dA==");
  CHECK(back.key_id == 42);

  SECTION("every truncation and every single-byte change is refused or decodes to well-formed data") {
    for (size_t n = 0; n < v.size(); ++n) {
      d::Carry x;
      CHECK_FALSE(d::decode_carry(v.substr(0, n), x));
    }
    for (size_t i = 0; i < v.size(); ++i) {
      std::string m = v;
      m[i] = m[i] == 'A' ? 'B' : 'A';
      d::Carry x;
      if (d::decode_carry(m, x)) {
        for (const auto& [id, sig] : x.calls) CHECK_FALSE(sig.empty());
      }
    }
  }
  SECTION("other providers' values and junk") {
    for (const char* junk :
         {"", "gbr1.", "gAAAAABoVrr", "gbr2.e30", "gbr1.e30", "gbr1.!!!!", "gbr1.eyJjIjpbXSwidCI6W119="}) {
      d::Carry x;
      INFO(junk);
      CHECK_FALSE(d::decode_carry(junk, x));
    }
  }
}

TEST_CASE("compaction items: the summary round trips, anything else is refused", "[responses][carry]") {
  namespace d = rs::detail;
  // The summary as Gemini escaped it: quotes, a new line, an escaped emoji and raw UTF-8.
  const std::string escaped = R"(Day \"one\":\ntemples \ud83c\udf8b, “Arashiyama”)";
  const std::string v = d::encode_compaction(escaped);
  CHECK(v.substr(0, 5) == "gbc1.");
  CHECK(v.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.", 0) ==
        std::string::npos);
  std::string summary;
  REQUIRE(d::decode_compaction(v, summary));
  CHECK(summary == "Day \"one\":\ntemples 🎋, “Arashiyama”");
  // A signature carrier is not a summary, nor the reverse.
  d::Carry none;
  CHECK_FALSE(d::decode_carry(v, none));
  CHECK_FALSE(d::decode_compaction(d::encode_carry(none), summary));

  SECTION("truncations that split a character, and text that was never UTF-8, are refused") {
    const std::string emoji = d::encode_compaction("\xF0\x9F\x8E\x8B");  // 🎋: base64url of 4 bytes
    for (size_t n = 6; n < emoji.size(); ++n) {
      INFO(emoji.substr(0, n));
      CHECK_FALSE(d::decode_compaction(emoji.substr(0, n), summary));
    }
    for (const char* junk : {"gbc1.gA", "gbc1.wMA", "gbc1.7b-_"}) {  // 0x80; C0 80 (overlong); ED BF BF
      INFO(junk);
      CHECK_FALSE(d::decode_compaction(junk, summary));
    }
  }
  SECTION("other providers' values and junk") {
    for (const char* junk : {"", "gbc1", "gbc2.YQ", "gAAAAABoVrr", "gbc1.!!!!", "gbc1.YQ=", "gbc1.YR"}) {
      INFO(junk);
      CHECK_FALSE(d::decode_compaction(junk, summary));
    }
    CHECK(d::decode_compaction("gbc1.", summary));
    CHECK(summary.empty());
  }
}

TEST_CASE("POST /v1/responses/compact: the user messages, then the compaction item; nothing stored",
          "[responses][compact]") {
  Setup s;
  prepare(json::object(), s);
  const json body = {
      {"model", "gemini-2.5-flash"},
      {"instructions", "Answer briefly."},
      {"stream", true},
      {"input",
       {{{"role", "user"}, {"content", "Plan a trip to Kyoto."}},
        {{"role", "assistant"}, {"content", "Day one: temples."}},
        {{"type", "message"}, {"id", "msg_7"}, {"role", "user"},
         {"content", {{{"type", "input_text"}, {"text", "And day two? 🎋"}}}}},
        {{"type", "function_call"}, {"call_id", "c1"}, {"name", "book"}, {"arguments", "{}"}},
        {{"type", "function_call_output"}, {"call_id", "c1"}, {"output", "booked"}}}},
      {"tools", {{{"type", "function"}, {"name", "book"}, {"parameters", {{"type", "object"}}}}}}};
  bal::Translated t = rs::translate_responses(body.dump(), s.info, nullptr, rs::Endpoint::compact);
  REQUIRE_FALSE(t.error.has_value());
  REQUIRE(t.calls.size() == 1);
  // Asked whole, whatever the body says of streaming, with the functions declared but not callable.
  CHECK(t.calls[0].path == "/v1beta/models/gemini-2.5-flash:generateContent");
  CHECK_FALSE(t.calls[0].sse);
  const json sent = bal::parse_json(t.calls[0].body);
  CHECK(sent["toolConfig"]["functionCallingConfig"]["mode"] == "NONE");
  CHECK(sent["systemInstruction"]["parts"][0]["text"] == "Answer briefly.");
  const json& last = sent["contents"].back();
  CHECK(last["role"] == "user");
  CHECK(last["parts"][0]["functionResponse"]["name"] == "book");
  CHECK(last["parts"].back()["text"].get<std::string>().rfind("Write a summary", 0) == 0);

  auto& rx = rs::responses_exchange(*t.exchange);
  SECTION("the answer") {
    const json gemini = {
        {"candidates",
         {{{"content", {{"role", "model"}, {"parts", {{{"text", "Kyoto, \"day two\" 🎋"}}}}}}, {"finishReason", "STOP"}}}},
        {"usageMetadata", {{"promptTokenCount", 50}, {"candidatesTokenCount", 9}, {"totalTokenCount", 59}}}};
    const bal::Reply r = t.exchange->answer({gemini.dump()});
    REQUIRE(r.status == 200);
    const json out = bal::parse_json(r.body);
    CHECK(out["id"] == "resp_0123456789abcdef");
    CHECK(out["object"] == "response.compaction");
    CHECK(out["created_at"] == 1700000000);
    REQUIRE(out["output"].size() == 3);
    CHECK(out["output"][0] == json({{"id", "msg_0123456789abcdef_0"},
                                    {"type", "message"},
                                    {"role", "user"},
                                    {"content", "Plan a trip to Kyoto."}}));
    CHECK(out["output"][1] == body["input"][2]);
    CHECK(out["output"][2]["type"] == "compaction");
    std::string summary;
    REQUIRE(rs::detail::decode_compaction(out["output"][2]["encrypted_content"].get<std::string>(), summary));
    CHECK(summary == "Kyoto, \"day two\" 🎋");
    CHECK(out["usage"]["input_tokens"] == 50);
    CHECK(out["usage"]["output_tokens"] == 9);
    CHECK_FALSE(rx.to_store().has_value());
  }
  SECTION("no summary is a 502, not an output without its compaction item") {
    const json gemini = {{"candidates", {{{"content", {{"role", "model"}, {"parts", json::array()}}}, {"finishReason", "STOP"}}}}};
    const bal::Reply r = t.exchange->answer({gemini.dump()});
    CHECK(r.status == 502);
    CHECK(bal::parse_json(r.body)["error"]["code"] == "bad_upstream_response");
  }
}

TEST_CASE("POST /v1/responses/input_tokens: countTokens over the whole generateContentRequest; nothing stored",
          "[responses][count]") {
  Setup s;
  prepare(json::object(), s);
  const json body = {
      {"model", "gemini-2.5-flash"},
      {"instructions", "Answer briefly."},
      {"stream", true},
      {"input", {{{"role", "user"}, {"content", "Plan a trip to Kyoto."}}}},
      {"tools", {{{"type", "function"}, {"name", "book"}, {"parameters", {{"type", "object"}}}}}}};
  bal::Translated t = rs::translate_responses(body.dump(), s.info, nullptr, rs::Endpoint::input_tokens);
  REQUIRE_FALSE(t.error.has_value());
  REQUIRE(t.calls.size() == 1);
  CHECK(t.calls[0].path == "/v1beta/models/gemini-2.5-flash:countTokens");
  CHECK_FALSE(t.calls[0].sse);
  CHECK(t.calls[0].query.empty());
  // The same request /v1/responses would send, named and wrapped for countTokens.
  const bal::Translated create = rs::translate_responses(body.dump(), s.info, nullptr);
  json expected = bal::parse_json(create.calls[0].body);
  expected["model"] = "models/gemini-2.5-flash";
  const json sent = bal::parse_json(t.calls[0].body);
  CHECK(sent == json({{"generateContentRequest", expected}}));
  CHECK(sent["generateContentRequest"]["systemInstruction"]["parts"][0]["text"] == "Answer briefly.");
  CHECK(sent["generateContentRequest"]["tools"][0]["functionDeclarations"][0]["name"] == "book");

  auto& rx = rs::responses_exchange(*t.exchange);
  SECTION("the count") {
    const bal::Reply r = t.exchange->answer({R"({"totalTokens":42,"promptTokensDetails":[{"modality":"TEXT","tokenCount":42}]})"});
    REQUIRE(r.status == 200);
    CHECK(bal::parse_json(r.body) == json({{"object", "response.input_tokens"}, {"input_tokens", 42}}));
    CHECK_FALSE(rx.to_store().has_value());
  }
  SECTION("an answer without a count is a 502") {
    for (const char* answer : {"{}", R"({"totalTokens":"42"})", R"({"totalTokens":-1})"}) {
      INFO(answer);
      const bal::Reply r = t.exchange->answer({answer});
      CHECK(r.status == 502);
      CHECK(bal::parse_json(r.body)["error"]["code"] == "bad_upstream_response");
    }
  }
  SECTION("the body is checked as /v1/responses checks it") {
    json bad = body;
    bad.erase("model");
    const bal::Translated e = rs::translate_responses(bad.dump(), s.info, nullptr, rs::Endpoint::input_tokens);
    REQUIRE(e.error.has_value());
    CHECK(e.error->status == 400);
    CHECK(e.calls.empty());
  }
}

TEST_CASE("responses ids", "[responses][store]") {
  CHECK(rs::valid_response_id("resp_0123456789abcdef"));
  CHECK_FALSE(rs::valid_response_id("resp_0123456789abcde"));
  CHECK_FALSE(rs::valid_response_id("resp_0123456789ABCDEF"));
  CHECK_FALSE(rs::valid_response_id("resp_../../x"));
  CHECK(rs::response_of_item("msg_0123456789abcdef_3") == "resp_0123456789abcdef");
  CHECK(rs::response_of_item("fc_0123456789abcdef_12") == "resp_0123456789abcdef");
  CHECK(rs::response_of_item("msg_67ccd2bf17f0819081ff3bb2cf6508e6") == "");
  CHECK(rs::response_of_item("") == "");
  CHECK(rs::ids_to_load(R"({"previous_response_id":"resp_1111111111111111","input":[
    {"type":"item_reference","id":"msg_2222222222222222_1"},{"type":"item_reference","id":"rs_2222222222222222_0"},
    {"type":"item_reference","id":"msg_1111111111111111_4"},{"type":"item_reference","id":"foreign"}]})") ==
        std::vector<std::string>{"resp_1111111111111111", "resp_2222222222222222"});
  CHECK(rs::ids_to_load("not json").empty());
  // previous_response_id alone is found by its own underscore, at the body's first byte or after
  // a long text full of "p"s and underscores.
  CHECK(rs::ids_to_load(R"({"previous_response_id":"resp_1111111111111111"})") ==
        std::vector<std::string>{"resp_1111111111111111"});
  const std::string text(300, 'p');
  CHECK(rs::ids_to_load(R"({"input":")" + text +
                        R"(_previous_response","previous_response_id":"resp_3333333333333333"})") ==
        std::vector<std::string>{"resp_3333333333333333"});
  CHECK(rs::ids_to_load(R"({"input":")" + text + R"(_x_","previous_response":"resp_3333333333333333"})").empty());
  // A client that does not store keeps its own state: only references make it look.
  CHECK(rs::ids_to_load(R"({"store":false,"input":[{"type":"function_call","id":"fc_2222222222222222_1"}]})").empty());
  CHECK(rs::ids_to_load(R"({"store":false,"input":[{"type":"item_reference","id":"fc_2222222222222222_1"}]})") ==
        std::vector<std::string>{"resp_2222222222222222"});
  CHECK(rs::ids_to_load(R"({"input":[{"type":"function_call","id":"fc_2222222222222222_1"}]})") ==
        std::vector<std::string>{"resp_2222222222222222"});
}

TEST_CASE("stored records: broken store data is refused whole", "[responses][store]") {
  rs::Stored s;
  CHECK(s.parse("[]"));
  CHECK_FALSE(s.parse("{}"));
  CHECK_FALSE(s.parse(R"([{"v":2,"id":"resp_0123456789abcdef","input":[],"response":{"output":[]}}])"));
  CHECK_FALSE(s.parse(R"([{"v":1,"id":"resp_0123456789abcdef","input":{},"response":{"output":[]}}])"));
  REQUIRE(s.parse(R"([{"v":1,"id":"resp_aaaaaaaaaaaaaaaa","previous_response_id":"resp_aaaaaaaaaaaaaaaa","input":[],
    "response":{"output":[]}}])"));
  CHECK(s.chain("resp_aaaaaaaaaaaaaaaa").empty());  // a loop is no conversation
  CHECK(s.chain("resp_bbbbbbbbbbbbbbbb").empty());
}

TEST_CASE("GET, DELETE and input_items answer from the stored record", "[responses][store]") {
  const json f =
      fixtures::read_json(std::string(FIXTURES_DIR) + "/responses/responses/tool_call_gemini3_signature.json");
  const std::string record = f["record"].dump();
  rs::Stored s;
  REQUIRE(s.parse("[" + record + "]"));
  const std::string id = "resp_0123456789abcdef";

  SECTION("the response object, encrypted_content only when include asks") {
    const json plain = bal::parse_json(rs::retrieve_response(id, &s, "").body);
    CHECK(plain["id"] == id);
    CHECK(plain["output"].size() == 3);
    CHECK_FALSE(plain["output"][0].contains("encrypted_content"));
    const json full = bal::parse_json(rs::retrieve_response(id, &s, "include%5B%5D=reasoning.encrypted_content").body);
    CHECK(full["output"][0]["encrypted_content"].get<std::string>().substr(0, 5) == "gbr1.");
    CHECK(full == f["record"]["response"]);
  }
  SECTION("unknown ids, or another owner's (the store answers nothing), are 404") {
    const bal::Reply r = rs::retrieve_response("resp_9999999999999999", &s, "");
    CHECK(r.status == 404);
    CHECK(bal::parse_json(r.body)["error"]["message"] == "Response with id 'resp_9999999999999999' not found.");
    CHECK(rs::retrieve_response(id, nullptr, "").status == 404);
    CHECK(rs::list_input_items(id, nullptr, "").status == 404);
  }
  SECTION("input items: newest first by default, paged with limit and after") {
    const json all = bal::parse_json(rs::list_input_items(id, &s, "").body);
    CHECK(all["object"] == "list");
    REQUIRE(all["data"].size() == 1);
    CHECK(all["data"][0]["id"] == "msg_0123456789abcdef_0");
    CHECK(all["first_id"] == "msg_0123456789abcdef_0");
    CHECK(all["has_more"] == false);
    const json after = bal::parse_json(rs::list_input_items(id, &s, "order=asc&after=msg_0123456789abcdef_0").body);
    CHECK(after["data"].empty());
    CHECK(after["first_id"].is_null());
    CHECK(rs::list_input_items(id, &s, "limit=0").status == 400);
    CHECK(rs::list_input_items(id, &s, "order=up").status == 400);
  }
  SECTION("delete") {
    CHECK(bal::parse_json(rs::delete_response(id, true).body) ==
          json{{"id", id}, {"object", "response"}, {"deleted", true}});
    CHECK(rs::delete_response(id, false).status == 404);
  }
}

TEST_CASE("a stored compaction item is retrieved with its encrypted_content: it is the item", "[responses][store]") {
  const json f = fixtures::read_json(std::string(FIXTURES_DIR) + "/responses/streams/compaction_summary.json");
  rs::Stored s;
  REQUIRE(s.parse("[" + f["record"].dump() + "]"));
  const json plain = bal::parse_json(rs::retrieve_response("resp_0123456789abcdef", &s, "").body);
  REQUIRE(plain["output"].size() == 1);
  CHECK(plain["output"][0]["type"] == "compaction");
  CHECK(plain["output"][0]["encrypted_content"] == f["record"]["response"]["output"][0]["encrypted_content"]);
}

TEST_CASE("a Gemini 3 tool loop through the store and through encrypted_content never needs the skip value",
          "[responses][carry]") {
  for (const bool stateless : {false, true}) {
    INFO((stateless ? "encrypted_content" : "previous_response_id"));
    bal::ModelMap models;
    bal::RequestInfo info{1700000000000, "aaaaaaaaaaaaaaaa", &models};
    const std::string first =
        std::string(R"({"model":"gemini-3-pro-preview","input":"Weather?","tools":[{"type":"function","name":"w"}],)") +
        (stateless ? R"("store":false,"include":["reasoning.encrypted_content"]})" : R"("store":true})");
    bal::Translated t = rs::translate_responses(first, info, nullptr);
    INFO((t.error ? t.error->message : std::string()));
    REQUIRE_FALSE(t.error);
    auto& rx = rs::responses_exchange(*t.exchange);
    rx.served_by(4);
    const bal::Reply r = t.exchange->answer({R"({"candidates":[{"content":{"role":"model","parts":[
      {"functionCall":{"name":"w","args":{}},"thoughtSignature":"U0lH"},{"functionCall":{"name":"w","args":{"a":1}}}]},
      "finishReason":"STOP"}]})"});
    const json answer = bal::parse_json(r.body);
    const auto w = rx.to_store();
    CHECK(w.has_value() == !stateless);

    json next = {{"model", "gemini-3-pro-preview"}, {"tools", json::array({{{"type", "function"}, {"name", "w"}}})}};
    json input = json::array();
    rs::Stored stored;
    if (stateless) {
      input.push_back({{"role", "user"}, {"content", "Weather?"}});
      for (json item : answer["output"]) {
        item.erase("id");  // a client that keeps only documented fields
        item.erase("status");
        input.push_back(item);
      }
    } else {
      REQUIRE(stored.parse("[" + w->body + "]"));
      next["previous_response_id"] = "resp_aaaaaaaaaaaaaaaa";
    }
    for (const json& item : answer["output"]) {
      if (item["type"] == "function_call") {
        input.push_back({{"type", "function_call_output"}, {"call_id", item["call_id"]}, {"output", "ok"}});
      }
    }
    next["input"] = input;
    info.request_id = "bbbbbbbbbbbbbbbb";
    const bal::Translated t2 = rs::translate_responses(next.dump(), info, stateless ? nullptr : &stored);
    REQUIRE_FALSE(t2.error);
    const json body = bal::parse_json(t2.calls[0].body);
    INFO(body.dump());
    CHECK(body["contents"][1]["parts"][0]["thoughtSignature"] == "U0lH");
    CHECK_FALSE(body["contents"][1]["parts"][1].contains("thoughtSignature"));
    CHECK(t2.calls[0].body.find("skip_thought_signature_validator") == std::string::npos);
    CHECK(rs::responses_exchange(*t2.exchange).bound_key() == 4);
  }
}
