// The request machine as tables of scenarios: upstream answers in order → the actions taken
// (keys tried, waits) and the answer the client gets. Every row of GEMINI.md's error table,
// the retry budget, backoff, the time budget, affinity, every key limited, upload sessions,
// the model list cache, fan-out, client aborts and body failures.
#include <catch2/catch.hpp>

#include "balancer/pacific.h"
#include "balancer/session.h"
#include "machine_support.h"

using namespace machine_test;

namespace {

struct Row {
  const char* name;
  std::deque<Answer> script;
  int status;                     // what the client gets
  std::vector<int64_t> keys;      // keys tried, in order
  std::vector<int64_t> waits;     // backoff waits, in order
  std::vector<int64_t> disabled;  // keys the pool disables
  std::vector<int64_t> cooling;   // keys cooling down for the model afterwards
};

const std::string kLeaked = "Your API key was reported as leaked. Please use another API key.";
// How Google refuses Google Search grounding past its quota (on the free tier, at once): a 429
// with a Help link and no QuotaFailure.
const std::string kUnnamedQuota =
    "You exceeded your current quota, please check your plan and billing details. For more information on this "
    "error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.";

std::vector<Row> table() {
  const Answer ok = answer(200, kReply);
  return {
      {"200: delivered, one key", {ok}, 200, {1}, {}, {}, {}},
      {"400 API_KEY_INVALID: disabled, next key",
       {answer(400, reason_error(400, "INVALID_ARGUMENT", "API_KEY_INVALID",
                                 "API key not valid. Please pass a valid API key.")),
        ok},
       200,
       {1, 2},
       {},
       {1},
       {}},
      {"400 API_KEY_EXPIRED: disabled, next key",
       {answer(400,
               reason_error(400, "INVALID_ARGUMENT", "API_KEY_EXPIRED", "API key expired. Please renew the API key.")),
        ok},
       200,
       {1, 2},
       {},
       {1},
       {}},
      {"403 leaked: disabled, next key",
       {answer(403, gemini_error(403, "PERMISSION_DENIED", kLeaked)), ok},
       200,
       {1, 2},
       {},
       {1},
       {}},
      {"403 CONSUMER_SUSPENDED: disabled, next key",
       {answer(403, reason_error(403, "PERMISSION_DENIED", "CONSUMER_SUSPENDED",
                                 "Permission denied: Consumer 'api_key:" + key_text(1) + "' has been suspended.")),
        ok},
       200,
       {1, 2},
       {},
       {1},
       {}},
      {"403 API_KEY_SERVICE_BLOCKED: disabled, next key",
       {answer(403,
               reason_error(403, "PERMISSION_DENIED", "API_KEY_SERVICE_BLOCKED", "Requests to this API are blocked.")),
        ok},
       200,
       {1, 2},
       {},
       {1},
       {}},
      {"400 location: the client's answer, no key touched",
       {answer(400, gemini_error(400, "FAILED_PRECONDITION", "User location is not supported for the API use."))},
       400,
       {1},
       {},
       {},
       {}},
      {"400 INVALID_ARGUMENT: the client's, not retried",
       {answer(400, gemini_error(400, "INVALID_ARGUMENT",
                                 "Invalid JSON payload received. Unknown name \"x\": Cannot find field."))},
       400,
       {1},
       {},
       {},
       {}},
      {"404 NOT_FOUND: not retried",
       {answer(404, gemini_error(404, "NOT_FOUND", "models/x is not found."))},
       404,
       {1},
       {},
       {},
       {}},
      {"429 per minute: cooled down for the model, next key",
       {answer(429, quota("GenerateRequestsPerMinutePerProjectPerModel-FreeTier")), ok},
       200,
       {1, 2},
       {},
       {},
       {1}},
      {"429 per day: cooled down, next key",
       {answer(429, quota("GenerateRequestsPerDayPerProjectPerModel-FreeTier")), ok},
       200,
       {1, 2},
       {},
       {},
       {1}},
      {"429 naming no quota (no QuotaFailure): next key, no cooldown",
       {answer(429, gemini_error(429, "RESOURCE_EXHAUSTED", kUnnamedQuota)), ok},
       200,
       {1, 2},
       {},
       {},
       {}},
      {"500: backoff, retried on another key, no key penalised",
       {answer(500, gemini_error(500, "INTERNAL", "An internal error has occurred.")), ok},
       200,
       {1, 2},
       {300},
       {},
       {}},
      {"503 three times: two retries with growing backoff, then Google's 503",
       {answer(503, gemini_error(503, "UNAVAILABLE", "The model is overloaded.")),
        answer(503, gemini_error(503, "UNAVAILABLE", "The model is overloaded.")),
        answer(503, gemini_error(503, "UNAVAILABLE", "The model is overloaded."))},
       503,
       {1, 2, 3},
       {300, 1000},
       {},
       {}},
      {"504 then 200",
       {answer(504, gemini_error(504, "DEADLINE_EXCEEDED", "Deadline expired.")), ok},
       200,
       {1, 2},
       {300},
       {},
       {}},
      {"no connection: retried like Google's failure", {Answer{0, ""}, ok}, 200, {1, 2}, {300}, {}, {}},
      {"first byte timeout: retried", {Answer{0, "", "", true}, ok}, 200, {1, 2}, {300}, {}, {}},
      {"three dead keys in a row, then a good one",
       {answer(400, reason_error(400, "INVALID_ARGUMENT", "API_KEY_INVALID", "API key not valid.")),
        answer(403, gemini_error(403, "PERMISSION_DENIED", kLeaked)),
        answer(429, quota("GenerateRequestsPerDayPerProjectPerModel-FreeTier")), ok},
       200,
       {1, 2, 3, 4},
       {},
       {1, 2},
       {3}},
  };
}

}  // namespace

TEST_CASE("machine: every upstream answer of GEMINI.md's table, native and OpenAI", "[machine]") {
  for (const char* api : {"native", "openai"}) {
    for (const Row& row : table()) {
      DYNAMIC_SECTION(api << ": " << row.name) {
        Sim sim;
        sim.keys(5);
        const bool native = std::string_view(api) == "native";
        const Run r = native ? sim.run("POST", kNativePath, sim.client(), kGenerate, row.script)
                             : sim.run("POST", "/v1/chat/completions", sim.bearer(), kChat, row.script);
        CHECK(r.status == row.status);
        CHECK(r.keys == row.keys);
        CHECK(r.waits == row.waits);
        CHECK(r.header("x-balancer-attempts") == std::to_string(row.keys.size()));
        for (int64_t id = 1; id <= 5; ++id) {
          const bal::PoolKey& k = sim.iso.pool.at(*sim.iso.pool.index_of(id));
          const bool dead = std::find(row.disabled.begin(), row.disabled.end(), id) != row.disabled.end();
          const bool cooling = std::find(row.cooling.begin(), row.cooling.end(), id) != row.cooling.end();
          INFO("key " << id);
          CHECK(k.disabled == dead);
          CHECK(!sim.iso.pool.eligible(k, "gemini-2.5-flash", sim.now) == (dead || cooling));
        }
        // Every attempt is one key event with its verdict, for the pool to apply as data.
        const json events = sim.events();
        int64_t requests = 0;
        for (const json& k : events["keys"]) requests += k["requests"].get<int64_t>();
        for (const json& f : events["families"]) CHECK(f["family"] == (native ? "gemini" : "openai.chat"));
        std::vector<int64_t> disabled;
        for (const json& d : events["disables"]) disabled.push_back(d["id"]);
        std::vector<int64_t> cooled;
        for (const json& c : events["cooldowns"]) {
          cooled.push_back(c["id"]);
          CHECK(c["scope"] == "gemini-2.5-flash");
        }
        CHECK(disabled == row.disabled);
        CHECK(cooled == row.cooling);
        CHECK(requests == static_cast<int64_t>(row.keys.size()));
        if (!native && r.status != 200) CHECK(r.body["error"]["type"].is_string());
        if (native && r.status != 200) CHECK(r.body["error"]["code"] == r.status);
      }
    }
  }
}

TEST_CASE("machine: a daily quota cools the key until midnight Pacific", "[machine]") {
  Sim sim;
  sim.keys(2);
  sim.run("POST", kNativePath, sim.client(), kGenerate,
          {answer(429, quota("GenerateRequestsPerDayPerProjectPerModel-FreeTier")), answer(200, kReply)});
  const json e = sim.events();
  REQUIRE(e["keys"].size() == 2);
  REQUIRE(e["cooldowns"].size() == 1);
  CHECK(e["cooldowns"][0]["until_ms"] == bal::next_pacific_midnight_ms(kT0));
  CHECK(e["cooldowns"][0]["reason"] == "quota_day");
}

// A key whose project has no Google Search grounding left (the free tier may have none) still
// serves its model: grounded calls skip it for a while, every other call uses it.
TEST_CASE("machine: a grounded call's 429 naming no quota cools the key for grounded calls only", "[machine]") {
  const Answer unnamed = answer(429, gemini_error(429, "RESOURCE_EXHAUSTED", kUnnamedQuota));
  const std::string search_chat = R"({"model":"gemini-2.5-flash-search","messages":[{"role":"user","content":"Hi"}]})";
  const std::string search_native = R"({"contents":[{"parts":[{"text":"Hi"}]}],"tools":[{"google_search":{}}]})";
  for (const bool native : {false, true}) {
    DYNAMIC_SECTION((native ? "native" : "openai")) {
      Sim sim;
      // An affinity row: the core reads native bodies (and so sees their tools).
      sim.keys(3, "A 3 files/abc-123\n");
      const auto search = [&](std::deque<Answer> script) {
        return native ? sim.run("POST", kNativePath, sim.client(), search_native, std::move(script))
                      : sim.run("POST", "/v1/chat/completions", sim.bearer(), search_chat, std::move(script));
      };
      // Until a grounding cooldown exists, a native body is not read for its tools.
      CHECK_FALSE(sim.iso.pool.grounding_cooling(sim.now));
      Run r = search({unnamed, answer(200, kReply)});
      CHECK(r.status == 200);
      CHECK(r.keys == std::vector<int64_t>{1, 2});
      CHECK(sim.iso.pool.grounding_cooling(sim.now));
      const json e = sim.events();
      REQUIRE(e["cooldowns"].size() == 1);
      CHECK(e["cooldowns"][0]["id"] == 1);
      CHECK(e["cooldowns"][0]["scope"] == "gemini-2.5-flash+grounding");
      const bal::PoolKey& k1 = sim.iso.pool.at(*sim.iso.pool.index_of(1));
      CHECK(sim.iso.pool.eligible(k1, "gemini-2.5-flash", sim.now));
      CHECK_FALSE(sim.iso.pool.eligible(k1, "gemini-2.5-flash+grounding", sim.now));
      // The next grounded call skips key 1; a plain one may have it.
      r = search({answer(200, kReply)});
      CHECK(r.keys == std::vector<int64_t>{3});
      r = search({answer(200, kReply)});
      CHECK(r.keys == std::vector<int64_t>{2});
      std::vector<int64_t> plain;
      for (int i = 0; i < 3; ++i) {
        r = sim.run("POST", kNativePath, sim.client(), kGenerate, {answer(200, kReply)});
        plain.insert(plain.end(), r.keys.begin(), r.keys.end());
      }
      CHECK(std::find(plain.begin(), plain.end(), 1) != plain.end());
      // Every key out of grounding: a 429 that says so, not to be retried, and the model still
      // answers.
      r = search({unnamed, unnamed});
      CHECK(r.status == 429);
      CHECK(r.header("x-should-retry") == "false");
      r = search({});
      CHECK(r.status == 429);
      CHECK(r.keys.empty());
      CHECK(r.header("x-should-retry") == "false");
      const json body = r.body;
      CHECK(body["error"]["message"].get<std::string>().find("Google Search") != std::string::npos);
      r = sim.run("POST", kNativePath, sim.client(), kGenerate, {answer(200, kReply)});
      CHECK(r.status == 200);
      // A model cooldown holds for grounded calls too, and is what their 429 then says.
      for (int64_t id = 1; id <= 3; ++id) {
        sim.iso.pool.apply(id, bal::KeyAction::cooldown, "gemini-2.5-flash", false, sim.now + 60'000, sim.now);
      }
      const bal::PoolKey& k2 = sim.iso.pool.at(*sim.iso.pool.index_of(2));
      CHECK_FALSE(sim.iso.pool.eligible(k2, "gemini-2.5-flash+grounding", sim.now));
      r = search({});
      CHECK(r.status == 429);
      CHECK(r.body["error"]["message"].get<std::string>().find("Google Search") == std::string::npos);
    }
  }
}

// A model whose daily quota is 0 on Google's free tier (Gemini 3.1 Pro, for one) answers every
// free key with a per-day 429: waiting a few seconds will not help, and the answer says why.
TEST_CASE("machine: every key out of its daily quota says so, and when it is renewed", "[machine]") {
  Sim sim;
  sim.keys(2);
  const Answer day = answer(429, quota("GenerateRequestsPerDayPerProjectPerModel-FreeTier"));
  // A client's SDK would retry a 429 at once: told not to, as no key is left until midnight.
  Run r = sim.run("POST", "/v1/chat/completions", sim.bearer(), kChat, {day, day});
  CHECK(r.status == 429);
  CHECK(r.keys == std::vector<int64_t>{1, 2});
  CHECK(r.header("x-should-retry") == "false");
  r = sim.run("POST", "/v1/chat/completions", sim.bearer(), kChat, {});
  CHECK(r.status == 429);
  CHECK(r.keys.empty());
  CHECK(r.header("x-should-retry") == "false");
  const std::string message = r.body["error"]["message"];
  CHECK(message.find("daily quota for gemini-2.5-flash") != std::string::npos);
  CHECK(message.find("midnight Pacific") != std::string::npos);
  const int64_t seconds = (bal::next_pacific_midnight_ms(sim.now) - sim.now + 999) / 1000;
  CHECK(r.header("retry-after") == std::to_string(seconds));
}

// An interaction names its model in the body: the 429's own quota dimensions say which model's
// quota ran out, and that model is what the key cools for (every model only when it says none).
TEST_CASE("machine: a 429 on an interaction cools the key for the model its quota names", "[machine]") {
  Sim sim;
  sim.keys(2);
  const std::string day =
      gemini_error(429, "RESOURCE_EXHAUSTED", "You exceeded your current quota.",
                   R"([{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaId":)"
                   R"("GenerateRequestsPerDayPerProjectPerModel-FreeTier","quotaDimensions":{"location":"global",)"
                   R"("model":"gemini-3.8-flash"},"quotaValue":"20"}]}])");
  const std::string body = R"({"model":"gemini-3.8-flash","input":"hi"})";
  Run r =
      sim.run("POST", "/v1beta/interactions", sim.client(), body, {answer(429, day), answer(200, R"({"id":"v1_a"})")});
  CHECK(r.status == 200);
  json e = sim.events();
  REQUIRE(e["cooldowns"].size() == 1);
  CHECK(e["cooldowns"][0]["scope"] == "gemini-3.8-flash");
  const bal::PoolKey& k1 = sim.iso.pool.at(*sim.iso.pool.index_of(1));
  CHECK(sim.iso.pool.eligible(k1, "gemini-3.5-flash-lite", sim.now));
  CHECK_FALSE(sim.iso.pool.eligible(k1, "gemini-3.8-flash", sim.now));
  // A quota that names no model: every model, as before.
  r = sim.run(
      "POST", "/v1beta/interactions", sim.client(), body,
      {answer(429, quota("GenerateRequestsPerMinutePerProjectPerModel-FreeTier")), answer(200, R"({"id":"v1_b"})")});
  e = sim.events();
  REQUIRE(e["cooldowns"].size() == 1);
  CHECK(e["cooldowns"][0]["scope"] == "*");
}

TEST_CASE("machine: MAX_ATTEMPTS keys at most, then the last error", "[machine]") {
  Sim sim(json{{"MAX_ATTEMPTS", "3"}});
  sim.keys(6);
  std::deque<Answer> dead(6,
                          answer(400, reason_error(400, "INVALID_ARGUMENT", "API_KEY_INVALID", "API key not valid.")));
  const Run r = sim.run("POST", kNativePath, sim.client(), kGenerate, dead);
  CHECK(r.keys == std::vector<int64_t>{1, 2, 3});
  CHECK(r.status == 400);
  CHECK(r.body["error"]["message"] == "API key not valid.");
}

TEST_CASE("machine: no attempt starts after the 30 s budget", "[machine]") {
  Sim sim;
  sim.keys(3);
  // A first byte that takes 29 s, then Google's failure: the backoff would pass the budget.
  std::string head;
  const bal::Action a = sim.open("POST", kNativePath, sim.client());
  REQUIRE(a.kind == ActionKind::READ_BODY);
  bal::Action b = sim.feed(EventKind::BODY, 0, [](bal::abi::Writer& w) { w.num(F::SIZE, 10); });
  REQUIRE(b.kind == ActionKind::TASKS);
  sim.now += 29'900;
  b = sim.feed(EventKind::UPSTREAM_FAILED, 0,
               [](bal::abi::Writer& w) { w.num(F::REASON, static_cast<double>(bal::abi::Reason::TIMEOUT)); });
  CHECK(b.kind == ActionKind::RESPOND);
  CHECK(b.status == 502);
}

TEST_CASE("machine: every key limited answers 429 with the earliest end; none usable 503", "[machine]") {
  Sim sim;
  sim.keys(2,
           "C 1 gemini-2.5-flash " + std::to_string(kT0 + 40'000) + "\nC 2 * " + std::to_string(kT0 + 90'000) + "\n");
  Run r = sim.run("POST", "/v1/chat/completions", sim.bearer(), kChat, {});
  CHECK(r.status == 429);
  CHECK(r.header("retry-after") == "40");
  CHECK(r.body["error"]["code"] == "all_keys_rate_limited");
  CHECK(r.body["error"]["message"] == "Every key is rate-limited for gemini-2.5-flash; retry in 40 s.");
  CHECK(r.header("x-should-retry").empty());  // a retry in 40 s will find a key
  CHECK(r.keys.empty());
  // Natively, when to retry is a RetryInfo detail, as Google writes it.
  r = sim.run("POST", kNativePath, sim.client(), kGenerate, {});
  CHECK(r.status == 429);
  CHECK(r.body["error"]["status"] == "RESOURCE_EXHAUSTED");
  REQUIRE(r.body["error"]["details"].size() == 1);
  CHECK(r.body["error"]["details"][0]["@type"] == "type.googleapis.com/google.rpc.RetryInfo");
  CHECK(r.body["error"]["details"][0]["retryDelay"] == "40s");
  // Another model is free on key 1.
  r = sim.run("POST", "/v1beta/models/gemini-2.5-pro:generateContent", sim.client(), kGenerate, {answer(200, kReply)});
  CHECK(r.keys == std::vector<int64_t>{1});

  Sim empty;
  empty.keys(0);
  r = empty.run("POST", kNativePath, empty.client(), kGenerate, {});
  CHECK(r.status == 503);
  CHECK(r.body["error"]["message"].get<std::string>().find("empty") != std::string::npos);
  Sim disabled;
  REQUIRE(disabled.iso.pool.load("K 1 " + key_text(1) + " d\n", 0));
  disabled.iso.pool_loaded_ms = disabled.now;
  r = disabled.run("POST", "/v1/chat/completions", disabled.bearer(), kChat, {});
  CHECK(r.status == 503);
  CHECK(r.body["error"]["code"] == "no_usable_keys");
}

TEST_CASE("machine: the pool is loaded before the first key is picked, once", "[machine]") {
  Sim sim;
  sim.pool_on_demand(2);
  const Run r = sim.run("POST", kNativePath, sim.client(), kGenerate, {answer(200, kReply)});
  CHECK(r.pool_loads == 1);
  CHECK(r.keys == std::vector<int64_t>{1});
}

TEST_CASE("machine: affinity sends a request to the key that owns what it names", "[machine]") {
  Sim sim;
  sim.keys(4, "A 3 files/abc-123\n");
  const std::string body = R"({"contents":[{"parts":[{"fileData":{"fileUri":"https://x/v1beta/files/abc-123"}}]}]})";
  Run r = sim.run("POST", kNativePath, sim.client(), body, {answer(200, kReply)});
  CHECK(r.keys == std::vector<int64_t>{3});
  // The core read the body to find what it names: it sends it from where it holds it.
  REQUIRE(r.fetches.size() == 1);
  CHECK_FALSE(r.fetches[0].client_body);
  CHECK(r.fetches[0].body == body);
  CHECK(bal::abi::header_value(r.fetches[0].headers, "content-length") == std::to_string(body.size()));
  r = sim.run("GET", "/v1beta/files/abc-123", sim.client(), "", {answer(200, R"({"name":"files/abc-123"})")});
  CHECK(r.keys == std::vector<int64_t>{3});
  // A dead owner: another key is tried (Google answers for its project).
  r = sim.run(
      "GET", "/v1beta/files/abc-123", sim.client(), "",
      {answer(403, gemini_error(403, "PERMISSION_DENIED", kLeaked)), answer(404, gemini_error(404, "NOT_FOUND", "x"))});
  CHECK(r.keys == std::vector<int64_t>{3, 1});
}

TEST_CASE("machine: a Gemini 3 tool call's follow-up goes to the key that signed it, in every family", "[machine]") {
  // The signature a model call returned binds the next turn to that key's project, whatever
  // carries it back: Anthropic's thinking block, chat's extra_content, Google's own part.
  const std::string call = R"({"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"name":"get_weather",)"
                           R"("args":{}},"thoughtSignature":"c2lnLWZyb20ta2V5"}]},"finishReason":"STOP"}],)"
                           R"("usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":2,"totalTokenCount":5}})";
  struct Family {
    const char* name;
    const char* path;
    std::function<std::string(const json& first)> follow_up;
  };
  const Family families[] = {
      {"anthropic", "/v1/messages",
       [](const json& first) {
         json tool_use;
         for (const json& b : first["content"]) {
           if (b["type"] == "tool_use") tool_use = b;
         }
         return json{{"model", "gemini-3-pro-preview"},
                     {"max_tokens", 100},
                     {"tools", json::array({{{"name", "get_weather"}, {"input_schema", {{"type", "object"}}}}})},
                     {"messages", json::array({{{"role", "user"}, {"content", "weather?"}},
                                               {{"role", "assistant"}, {"content", first["content"]}},
                                               {{"role", "user"},
                                                {"content", json::array({{{"type", "tool_result"},
                                                                          {"tool_use_id", tool_use["id"]},
                                                                          {"content", "21"}}})}}})}}
             .dump();
       }},
      {"chat", "/v1/chat/completions",
       [](const json& first) {
         const json& message = first["choices"][0]["message"];
         return json{{"model", "gemini-3-pro-preview"},
                     {"tools", json::array({{{"type", "function"}, {"function", {{"name", "get_weather"}}}}})},
                     {"messages", json::array({{{"role", "user"}, {"content", "weather?"}},
                                               message,
                                               {{"role", "tool"},
                                                {"tool_call_id", message["tool_calls"][0]["id"]},
                                                {"content", "21"}}})}}
             .dump();
       }},
  };
  for (const Family& f : families) {
    DYNAMIC_SECTION(f.name) {
      Sim sim;
      sim.keys(4);
      const std::string first_body =
          std::string(f.name) == "anthropic"
              ? R"({"model":"gemini-3-pro-preview","max_tokens":100,"messages":[{"role":"user","content":"weather?"}],)"
                R"("tools":[{"name":"get_weather","input_schema":{"type":"object"}}]})"
              : R"({"model":"gemini-3-pro-preview","messages":[{"role":"user","content":"weather?"}],)"
                R"("tools":[{"type":"function","function":{"name":"get_weather"}}]})";
      Run first = sim.run("POST", f.path, sim.bearer(), first_body, {answer(200, call)});
      REQUIRE(first.status == 200);
      REQUIRE(first.keys.size() == 1);
      const int64_t signer = first.keys[0];
      // The pool's turn moves on: without the signature's say, the next call would go elsewhere.
      for (int i = 0; i < 3; ++i) {
        Run r = sim.run("POST", f.path, sim.bearer(), f.follow_up(first.body), {answer(200, kReply)});
        REQUIRE(r.status == 200);
        CHECK(r.keys == std::vector<int64_t>{signer});
        CHECK(r.fetches[0].body.find("c2lnLWZyb20ta2V5") != std::string::npos);
      }
    }
  }
}

TEST_CASE("machine: a stored interaction binds its key; a streamed one ends as it came", "[machine]") {
  Sim sim;
  sim.keys(3);
  // Made as a stream: passed through, its end is Google's own, and its events name it.
  Answer streamed = answer(200, "");
  streamed.headers = "content-type\ntext/event-stream\n";
  const Run made = sim.run("POST", "/v1/interactions", sim.client(), R"({"model":"m","input":"hi","stream":true})",
                           {streamed});
  REQUIRE(made.last.kind == ActionKind::STREAM);
  CHECK(made.last.mode == bal::kStreamPass);
  const std::string events =
      "event: interaction.completed\n"
      R"(data: {"event_type":"interaction.completed","interaction":{"id":"v1_s1","status":"completed",)"
      R"("usage":{"total_input_tokens":7,"total_output_tokens":2}}})"
      "\n\ndata: [DONE]\n\n";
  std::string out;
  CHECK(sim.machine->end(sim.iso, bal::abi::Reason::none, events, out));
  CHECK(out.empty());  // nothing added: the stream was whole
  const json e = sim.events();
  REQUIRE(e["created"].size() == 1);
  CHECK(e["created"][0]["resource"] == "interactions/v1_s1");
  CHECK(e["keys"][0]["failures"] == 0);
  CHECK(e["keys"][0]["prompt_tokens"] == 7);
  // Continued, polled and cancelled: on the key that made it, though the pool's turn moved on.
  const std::string next = R"({"model":"m","input":"more","previous_interaction_id":"v1_s1"})";
  for (int i = 0; i < 3; ++i) {
    const Run r = sim.run("POST", "/v1/interactions", sim.client(), next, {answer(200, R"({"id":"v1_n"})")});
    CHECK(r.keys == made.keys);
  }
  CHECK(sim.run("GET", "/v1beta/interactions/v1_s1", sim.client(), "", {answer(200, R"({"id":"v1_s1"})")}).keys ==
        made.keys);
  CHECK(sim.run("POST", "/v1/interactions/v1_s1/cancel", sim.client(), "{}", {answer(200, "{}")}).keys == made.keys);
  // One made with store: false is kept nowhere, and nothing is learnt of it.
  sim.events();
  sim.run("POST", "/v1/interactions", sim.client(), R"({"model":"m","input":"hi","store":false})",
          {answer(200, R"({"id":"v1_gone"})")});
  CHECK_FALSE(sim.iso.pool.affinity().key_for("/v1/interactions/v1_gone", ""));
  CHECK(sim.events().value("created", json::array()).empty());
}

TEST_CASE("machine: only answers that create or describe a file teach who owns it", "[machine]") {
  Sim sim;
  sim.keys(3);
  // A generated answer quoting a file name teaches nothing.
  Run r = sim.run("POST", kNativePath, sim.client(), kGenerate,
                  {answer(200, R"({"candidates":[{"content":{"parts":[{"text":"see /files/zzz"}]},"finishReason":"STOP"}]})")});
  CHECK(r.status == 200);
  CHECK_FALSE(sim.iso.pool.affinity().key_for("/v1beta/files/zzz", ""));
  // A file's description does.
  r = sim.run("GET", "/v1beta/files/zzz", sim.client(), "", {answer(200, R"({"name":"files/zzz"})")});
  CHECK(r.raw == R"({"name":"files/zzz"})");
  CHECK(sim.iso.pool.affinity().key_for("/v1beta/files/zzz", "") == r.keys.front());
  const json created = sim.events()["created"];
  REQUIRE(created.size() == 1);
  CHECK(created[0]["resource"] == "files/zzz");
  CHECK(created[0]["id"] == r.keys.front());
}

TEST_CASE("machine: an upload session stays on the key that started it, its URL points here", "[machine]") {
  Sim sim;
  sim.keys(4);
  Answer start = answer(200, "");
  start.headers =
      "x-goog-upload-status\nactive\nx-goog-upload-url\nhttps://up.example/upload/v1beta/"
      "files?upload_id=UP-9&upload_protocol=resumable\n";
  Run r = sim.run("POST", "/upload/v1beta/files", sim.client(), "{}", {start});
  REQUIRE(r.last.kind == ActionKind::STREAM);
  const int64_t starter = r.keys.front();
  CHECK(r.header("x-goog-upload-url") ==
        "https://worker.example/upload/v1beta/files?upload_id=UP-9&upload_protocol=resumable&balancer_key=" +
            std::to_string(starter));
  CHECK(r.header("access-control-expose-headers").find("x-goog-upload-url") != std::string::npos);
  std::string out;
  sim.machine->end(sim.iso, bal::abi::Reason::none, "", out);
  for (int i = 0; i < 3; ++i) {
    r = sim.run("PUT", "/upload/v1beta/files?upload_id=UP-9&upload_protocol=resumable&balancer_key=" +
                           std::to_string(starter),
                {{"x-goog-api-key", kClient}, {"x-goog-upload-command", "upload, finalize"}}, "bytes",
                {answer(200, R"({"file":{"name":"files/up9"}})")});
    CHECK(r.keys == std::vector<int64_t>{starter});
    CHECK(bal::abi::header_value(r.fetches.front().headers, "x-goog-upload-command") == "upload, finalize");
    CHECK(r.fetches.front().url.find("balancer_key") == std::string::npos);
  }
  // The finished upload's answer describes the file: it belongs to the same key.
  CHECK(sim.iso.pool.affinity().key_for("/v1beta/files/up9", "") == starter);
}

TEST_CASE("machine: a retry after a failure goes to a key that answered, not on through keys added with the bad one",
          "[machine]") {
  Sim sim;
  sim.keys(10);
  // Key 1 answers; keys 2 to 10 (added together, say from one dead project) all fail.
  REQUIRE(sim.run("POST", kNativePath, sim.client(), kGenerate, {answer(200, kReply)}).status == 200);
  const std::string dead = gemini_error(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.",
                                        R"([{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com"}])");
  const Run r = sim.run("POST", kNativePath, sim.client(), kGenerate, {answer(400, dead), answer(200, kReply)});
  CHECK(r.status == 200);
  CHECK(r.keys == std::vector<int64_t>{2, 1});
}

TEST_CASE("machine: the model list follows every page, then comes from the isolate's cache", "[machine]") {
  Sim sim;
  sim.keys(2);
  Run r = sim.run("GET", "/v1/models", sim.bearer(), "",
                  {answer(200, R"({"models":[{"name":"models/a"}],"nextPageToken":"p 2"})"),
                   answer(200, R"({"models":[{"name":"models/b"}]})")});
  REQUIRE(r.status == 200);
  CHECK(r.body["data"].size() == 2);
  REQUIRE(r.fetches.size() == 2);
  CHECK(r.fetches[1].url == "https://up.example/v1beta/models?pageSize=1000&pageToken=p%202");
  CHECK(r.keys == std::vector<int64_t>{1, 1});
  sim.now += 30'000;
  r = sim.run("GET", "/v1/models", sim.bearer(), "", {});
  CHECK(r.status == 200);
  CHECK(r.fetches.empty());
  CHECK(r.body["data"][1]["id"] == "b");
  sim.now += 31'000;
  r = sim.run("GET", "/v1/models", sim.bearer(), "", {answer(200, R"({"models":[{"name":"models/c"}]})")});
  CHECK(r.fetches.size() == 1);
  CHECK(r.body["data"].size() == 1);
}

TEST_CASE("machine: embeddings past 100 inputs fan out over keys and join in order", "[machine]") {
  Sim sim;
  sim.keys(4);
  std::string body = R"({"model":"gemini-embedding-001","input":[)";
  for (int i = 0; i < 250; ++i) body += std::string(i ? "," : "") + "\"t" + std::to_string(i) + "\"";
  body += "]}";
  auto batch = [](int from, int n) {
    json e = json::array();
    for (int i = 0; i < n; ++i) e.push_back({{"values", {from + i}}});
    return json{{"embeddings", e}}.dump();
  };
  // The second batch's first key is limited: that batch fails over on its own.
  const Run r = sim.run("POST", "/v1/embeddings", sim.bearer(), body,
                        {answer(200, batch(0, 100)), answer(429, quota("EmbedRequestsPerMinute")),
                         answer(200, batch(200, 50)), answer(200, batch(100, 100))});
  REQUIRE(r.status == 200);
  REQUIRE(r.body["data"].size() == 250);
  for (int i = 0; i < 250; ++i) {
    INFO(i);
    CHECK(r.body["data"][static_cast<size_t>(i)]["index"] == i);
    CHECK(r.body["data"][static_cast<size_t>(i)]["embedding"][0] == i);
  }
  CHECK(r.keys.size() == 4);
  CHECK(r.header("x-balancer-attempts") == "4");
}

TEST_CASE("machine: streams, translated and untouched, end well or with an error frame", "[machine]") {
  const std::string sse = "data: " + kReply + "\r\n\r\n";
  SECTION("OpenAI stream: chunks through the translator, [DONE] at the end") {
    Sim sim;
    sim.keys(1);
    const Run r = sim.run("POST", "/v1/chat/completions", sim.bearer(),
                          R"({"model":"gemini-2.5-flash","stream":true,"messages":[{"role":"user","content":"Hi"}]})",
                          {answer(200, "")});
    REQUIRE(r.last.kind == ActionKind::STREAM);
    CHECK(r.last.mode == bal::kStreamTranslate);
    CHECK(r.header("content-type") == "text/event-stream; charset=utf-8");
    CHECK(r.fetches.front().url.find(":streamGenerateContent?alt=sse") != std::string::npos);
    std::string out;
    sim.machine->chunk(sim.iso, sse.substr(0, 17), out);
    sim.machine->chunk(sim.iso, sse.substr(17), out);
    CHECK(sim.machine->end(sim.iso, bal::abi::Reason::none, "", out));
    CHECK(out.find("\"content\":\"Hi\"") != std::string::npos);
    CHECK(out.size() >= 14);
    CHECK(out.substr(out.size() - 14) == "data: [DONE]\n\n");
    const json e = sim.events()["keys"];
    CHECK(e[0]["prompt_tokens"] == 3);
    CHECK(e[0]["failures"] == 0);
  }
  SECTION("OpenAI stream cut short: an error event, [DONE], and no key blamed") {
    Sim sim;
    sim.keys(1);
    sim.run("POST", "/v1/chat/completions", sim.bearer(),
            R"({"model":"gemini-2.5-flash","stream":true,"messages":[{"role":"user","content":"Hi"}]})",
            {answer(200, "")});
    std::string out;
    CHECK(sim.machine->end(sim.iso, bal::abi::Reason::TIMEOUT, "", out));
    CHECK(out.find("upstream stream stalled") != std::string::npos);
    CHECK_FALSE(sim.iso.pool.at(0).disabled);
  }
  SECTION("native SSE cut short: a Gemini-format error event") {
    Sim sim;
    sim.keys(1);
    Answer a = answer(200, "");
    a.headers = "content-type\ntext/event-stream\n";
    const Run r =
        sim.run("POST", "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", sim.client(), kGenerate, {a});
    CHECK(r.last.mode == bal::kStreamPass);
    CHECK(r.fetches.front().url.find("?alt=sse") != std::string::npos);
    std::string out;
    CHECK(sim.machine->end(sim.iso, bal::abi::Reason::none, "data: {\"candidates\":[]}\r\n\r\n", out));
    CHECK(out.find("\"code\":502") != std::string::npos);
  }
  SECTION("native media cut short: the client's stream must fail") {
    Sim sim;
    sim.keys(1);
    Answer a = answer(200, "");
    a.headers = "content-type\nvideo/mp4\n";
    const Run r = sim.run("GET", "/v1beta/files/abc:download?alt=media", sim.client(), "", {a});
    REQUIRE(r.last.kind == ActionKind::STREAM);
    std::string out;
    CHECK_FALSE(sim.machine->end(sim.iso, bal::abi::Reason::NETWORK, "....", out));
    CHECK(out.empty());
  }
  SECTION("a native JSON answer that breaks off while read is retried like a dropped connection") {
    Sim sim;
    sim.keys(2);
    REQUIRE(sim.open("POST", kNativePath, sim.client()).kind == ActionKind::READ_BODY);
    bal::Action a = sim.feed(EventKind::BODY, 0, [](bal::abi::Writer& w) { w.num(F::SIZE, 3); });
    a = sim.feed(EventKind::UPSTREAM_HEAD, 0, [](bal::abi::Writer& w) {
      w.num(F::STATUS, 200).str(F::HEADERS, "content-type\napplication/json\n");
    });
    REQUIRE(a.kind == ActionKind::READ_UPSTREAM);
    a = sim.feed(EventKind::UPSTREAM_BODY, 0, [](bal::abi::Writer& w) {
      w.bytes(F::BODY, "{\"candidates\":[").num(F::REASON, static_cast<double>(bal::abi::Reason::NETWORK));
    });
    REQUIRE(a.kind == ActionKind::TASKS);
    REQUIRE(a.tasks.size() == 1);
    CHECK(a.tasks[0].kind == TaskKind::WAIT);
  }
  SECTION("a client that leaves blames nobody") {
    Sim sim;
    sim.keys(1);
    sim.run("POST", kNativePath, sim.client(), kGenerate, {answer(200, "")});
    std::string out;
    CHECK(sim.machine->end(sim.iso, bal::abi::Reason::ABORTED, "", out));
    const json e = sim.events()["keys"];
    CHECK(e[0]["requests"] == 1);
    CHECK(e[0]["failures"] == 0);
  }
}

TEST_CASE("machine: bodies too large, unreadable or late get the route's own error", "[machine]") {
  struct Case {
    std::string method, path;
    json headers;
    std::string format;
  };
  const Case cases[] = {{"POST", "/v1/chat/completions", {{"authorization", "Bearer " + kClient}}, "openai"},
                        {"POST", kNativePath, {{"x-goog-api-key", kClient}}, "gemini"},
                        {"POST", "/api/keys", {{"authorization", "Bearer " + kAdmin}}, "admin"},
                        {"POST", "/api/session", json::object(), "admin"}};
  const std::pair<bal::abi::Reason, int> reasons[] = {
      {bal::abi::Reason::TOO_LARGE, 413}, {bal::abi::Reason::UNREADABLE, 400}, {bal::abi::Reason::TIMEOUT, 408}};
  for (const Case& c : cases) {
    for (const auto& [reason, status] : reasons) {
      DYNAMIC_SECTION(c.path << " " << status) {
        Sim sim;
        sim.keys(1);
        REQUIRE(sim.open(c.method, c.path, c.headers).kind == ActionKind::READ_BODY);
        const bal::Action a = sim.feed(EventKind::BODY_FAILED, 0,
                                       [r = reason](bal::abi::Writer& w) { w.num(F::REASON, static_cast<double>(r)); });
        REQUIRE(a.kind == ActionKind::RESPOND);
        CHECK(a.status == status);
        const json e = bal::parse_json(a.body)["error"];
        if (c.format == "openai") CHECK(e["type"].is_string());
        if (c.format == "gemini") CHECK(e["code"] == status);
        if (c.format == "admin") CHECK(e["code"].is_string());
      }
    }
  }
}

TEST_CASE("machine: a body waits as long as its route allows; an answer drains an unread body no longer", "[machine]") {
  Sim sim(json{{"BODY_TIMEOUT_MS", "45000"}});
  sim.keys(1);
  bal::Action a = sim.open("POST", "/v1/chat/completions", sim.bearer());
  REQUIRE(a.kind == ActionKind::READ_BODY);
  CHECK(a.timeout_ms == 45000);
  a = sim.open("POST", "/api/session", json::object());
  REQUIRE(a.kind == ActionKind::READ_BODY);
  CHECK(a.timeout_ms == 10000);
  // No token: answered before the body, which is drained for the short time only.
  a = sim.open("POST", "/v1/chat/completions", json::object());
  REQUIRE(a.kind == ActionKind::RESPOND);
  CHECK(a.status == 401);
  CHECK(a.timeout_ms == 10000);
  REQUIRE(sim.open("POST", "/v1/chat/completions", sim.bearer()).kind == ActionKind::READ_BODY);
  a = sim.feed(EventKind::BODY_FAILED, 0,
               [](bal::abi::Writer& w) { w.num(F::REASON, static_cast<double>(bal::abi::Reason::TIMEOUT)); });
  CHECK(a.status == 408);
  CHECK(bal::parse_json(a.body)["error"]["code"] == "request_timeout");
}

TEST_CASE("machine: a translated body with too many values is refused before any translator reads it", "[machine]") {
  Sim sim;
  sim.keys(1);
  std::string many = R"({"model":"gemini-3.8-flash","messages":[{"role":"user","content":"hi"}],"x":[)";
  for (int i = 0; i < 270000; ++i) many += i ? ",0" : "0";
  many += "]}";
  for (const auto& [path, headers] : {std::pair{"/v1/chat/completions", sim.bearer()},
                                      std::pair{"/v1/messages", json{{"x-api-key", kClient}}},
                                      std::pair{"/v1/responses", sim.bearer()}}) {
    INFO(path);
    const Run r = sim.run("POST", path, headers, many, {});
    CHECK(r.status == 413);
    CHECK(r.fetches.empty());
    // Anthropic's errors have a type, not a code: request_too_large.
    CHECK(r.raw.find(path == std::string("/v1/messages") ? "request_too_large" : "too_many_values") !=
          std::string::npos);
  }
}

TEST_CASE("machine: an admin login opens a session in the key pool; a cookie works while its session lives",
          "[machine][admin]") {
  Sim sim;
  std::vector<std::string> seen;
  bool live = true;
  sim.on_call = [&](const bal::Task& t) -> std::string {
    seen.push_back(t.name + " " + t.args);
    if (t.name == "sessionLive") return live ? "true" : "false";
    if (t.name == "listKeys") return R"({"keys":[],"total":0,"counts":{}})";
    return "null";
  };
  const json login_headers = {{"content-type", "application/json"}};
  Run r = sim.run("POST", "/api/session", login_headers, R"({"token":")" + kAdmin + R"("})", {});
  REQUIRE(r.status == 200);
  REQUIRE(seen.size() == 1);
  CHECK(seen[0] == R"(createSession ["0123456789abcdef0123456789abcdef",)" +
                       std::to_string(sim.now + bal::kSessionLifetimeMs) + "]");
  const std::string cookie = r.header("set-cookie");
  REQUIRE(cookie.rfind("bal_session=0123456789abcdef0123456789abcdef.", 0) == 0);
  CHECK(cookie.find("HttpOnly") != std::string::npos);
  CHECK(r.header("x-content-type-options") == "nosniff");
  const json with_cookie = {{"cookie", cookie.substr(0, cookie.find(';'))}};

  seen.clear();
  r = sim.run("GET", "/api/keys", with_cookie, "", {});
  CHECK(r.status == 200);
  CHECK(seen == std::vector<std::string>{R"(sessionLive ["0123456789abcdef0123456789abcdef"])",
                                         R"(listKeys [{"limit":100,"offset":0,"order":"asc","q":"","sort":"id","status":"all"}])"});
  // Logged out elsewhere: the cookie's signature still holds, the session does not.
  live = false;
  seen.clear();
  r = sim.run("GET", "/api/keys", with_cookie, "", {});
  CHECK(r.status == 401);
  CHECK(r.body["error"]["message"] == "This session has ended: log in again.");
  CHECK(seen.size() == 1);

  live = true;
  seen.clear();
  json logout = with_cookie;
  logout["origin"] = "https://worker.example";
  r = sim.run("DELETE", "/api/session", logout, "", {});
  CHECK(r.status == 200);
  CHECK(seen.back() == R"(endSession ["0123456789abcdef0123456789abcdef"])");
  CHECK(r.header("set-cookie").find("Max-Age=0") != std::string::npos);
}

TEST_CASE("machine: a per-token rate limit counts each request once, body or not", "[machine]") {
  Sim sim(json{{"RATE_LIMIT_PER_MINUTE", "2"}});
  sim.keys(1);
  for (int i = 0; i < 2; ++i) {
    CHECK(sim.run("POST", "/v1/chat/completions", sim.bearer(), kChat, {answer(200, kReply)}).status == 200);
  }
  const Run r = sim.run("POST", "/v1/chat/completions", sim.bearer(), kChat, {answer(200, kReply)});
  CHECK(r.status == 429);
  CHECK(r.body["error"]["code"] == "rate_limit_exceeded");
}

TEST_CASE("machine: every answer carries the security headers; proxied ones CORS", "[machine]") {
  Sim sim;
  sim.keys(1);
  for (const Run& r :
       {sim.run("POST", kNativePath, sim.client(), kGenerate,
                {answer(400, gemini_error(400, "INVALID_ARGUMENT", "bad"))}),
        sim.run("GET", "/v1/models", json::object(), "", {}), sim.run("GET", "/api/keys", json::object(), "", {})}) {
    CHECK(r.header("x-content-type-options") == "nosniff");
    CHECK(r.header("content-security-policy") == "sandbox");
  }
  const Run proxied = sim.run("POST", kNativePath, sim.client(), kGenerate, {answer(200, kReply)});
  CHECK(proxied.header("access-control-allow-origin") == "*");
  const std::string expose = proxied.header("access-control-expose-headers");
  for (const char* h : {"x-goog-upload-url", "x-goog-upload-status", "x-goog-upload-chunk-granularity", "retry-after",
                        "x-should-retry"}) {
    CHECK(expose.find(h) != std::string::npos);
  }
  CHECK(proxied.header("x-content-type-options") == "nosniff");
  CHECK(proxied.header("content-security-policy") == "sandbox");
  const Run admin = sim.run("GET", "/api/keys", {{"origin", "https://x.example"}}, "", {});
  CHECK(admin.header("access-control-allow-origin").empty());
  CHECK(admin.status == 401);
}

TEST_CASE("machine: events out of place are answered, never trusted", "[machine]") {
  Sim sim;
  sim.keys(1);
  REQUIRE(sim.open("POST", kNativePath, sim.client()).kind == ActionKind::READ_BODY);
  bal::Action a = sim.feed(EventKind::UPSTREAM_HEAD, 7, [](bal::abi::Writer& w) { w.num(F::STATUS, 200); });
  CHECK(a.kind == ActionKind::RESPOND);
  CHECK(a.status == 500);
  REQUIRE(sim.open("POST", kNativePath, sim.client()).kind == ActionKind::READ_BODY);
  a = sim.feed(EventKind::BODY, 0, [](bal::abi::Writer& w) { w.num(F::SIZE, 3); });
  REQUIRE(a.kind == ActionKind::TASKS);
  a = sim.feed(EventKind::WAITED, 0);  // no wait was asked for
  CHECK(a.status == 500);
  CHECK(bal::parse_json(a.body)["error"]["code"] == 500);
}

TEST_CASE("machine: a native 204 is answered, never streamed", "[machine]") {
  Sim sim;
  sim.keys(1);
  Answer empty = answer(204, "");
  empty.headers = "";
  const Run r = sim.run("DELETE", "/v1beta/files/abc", sim.client(), "", {empty});
  CHECK(r.last.kind == ActionKind::RESPOND);
  CHECK(r.status == 204);
  CHECK(r.raw.empty());
}

namespace {

// pool.h's lines for keys `ids` in slice [lo, hi), each cooling for every model until `until`
// when it is not 0.
std::string slice_lines(int64_t lo, int64_t hi, std::vector<int64_t> ids, int64_t until = 0) {
  std::string text = "T 100\nW " + std::to_string(lo) + " " + std::to_string(hi) + "\n";
  for (int64_t id : ids) {
    text += "K " + std::to_string(id) + " " + key_text(id) + " a\n";
    if (until > 0) text += "C " + std::to_string(id) + " * " + std::to_string(until) + "\n";
  }
  return text;
}

}  // namespace

TEST_CASE("machine: a slice with no usable key waits for the next slice, then picks from it", "[machine][pool]") {
  const int64_t later = kT0 + 3600 * 1000;
  SECTION("no key usable at all in the slice: one POOL task for the next slice, then its key") {
    Sim sim;
    sim.slice(slice_lines(1, 3, {1, 2}, later), 1);
    sim.on_pool = [&](const bal::Task& t) {
      CHECK((t.flags & bal::abi::FLAG_POOL_NEXT) != 0);
      CHECK((t.flags & bal::abi::FLAG_POOL_STALE) != 0);
      REQUIRE(sim.iso.pool.update(slice_lines(3, 5, {3, 4}), 1, 2, sim.now, true));
    };
    const Run r = sim.run("POST", kNativePath, sim.client(), kGenerate, {answer(200, kReply)});
    CHECK(r.status == 200);
    CHECK(r.pool_loads == 1);
    CHECK(r.keys == std::vector<int64_t>{3});
  }
  SECTION("failover through the slice runs on into the next one") {
    Sim sim;
    sim.slice(slice_lines(1, 3, {1, 2}), 1);
    sim.on_pool = [&](const bal::Task&) { REQUIRE(sim.iso.pool.update(slice_lines(3, 5, {3, 4}), 1, 2, sim.now, true)); };
    const Answer limited = answer(429, quota("GenerateRequestsPerMinutePerProjectPerModel-FreeTier"));
    const Run r = sim.run("POST", "/v1/chat/completions", sim.bearer(), kChat, {limited, limited, answer(200, kReply)});
    CHECK(r.status == 200);
    CHECK(r.pool_loads == 1);
    CHECK(r.keys == std::vector<int64_t>{1, 2, 3});
  }
  SECTION("the whole pool held: no slice to swap, the answer at once") {
    Sim sim;
    sim.slice(slice_lines(0, 0, {1, 2}, later), 1);
    const Run r = sim.run("POST", kNativePath, sim.client(), kGenerate, {});
    CHECK(r.status == 429);
    CHECK(r.pool_loads == 0);
  }
  SECTION("while fresh slices come up dry, swaps are spaced out: 1 s, doubling up to 60 s") {
    Sim sim;
    int64_t version = 1;
    int64_t lo = 1;
    sim.slice(slice_lines(lo, lo + 2, {lo, lo + 1}, later), version);
    sim.on_pool = [&](const bal::Task&) {
      lo += 2;
      REQUIRE(sim.iso.pool.update(slice_lines(lo, lo + 2, {lo, lo + 1}, later), version, version + 1, sim.now, true));
      ++version;
    };
    // A request every 500 ms: the times at which one asked for a fresh slice.
    std::vector<int64_t> swaps;
    for (int i = 0; i < 400; ++i) {
      const Run r = sim.run("POST", kNativePath, sim.client(), kGenerate, {});
      CHECK(r.status == 429);
      CHECK(r.keys.empty());
      if (r.pool_loads > 0) swaps.push_back(sim.now - kT0);
      sim.now += 500;
    }
    CHECK(swaps == std::vector<int64_t>{0, 1000, 3000, 7000, 15000, 31000, 63000, 123000, 183000});
    // A fresh slice with a usable key: the next dry slice may be swapped 1 s later again.
    sim.on_pool = [&](const bal::Task&) {
      // (key_text() repeats every 26 ids: these differ from every key held before)
      REQUIRE(sim.iso.pool.update(slice_lines(23, 25, {23, 24}), version, version + 1, sim.now, true));
      ++version;
    };
    sim.now = kT0 + 183000 + 60000;
    Run r = sim.run("POST", kNativePath, sim.client(), kGenerate, {answer(200, kReply)});
    CHECK(r.pool_loads == 1);
    CHECK(r.keys == std::vector<int64_t>{23});
    sim.iso.pool.apply(23, bal::KeyAction::cooldown, "gemini-2.5-flash", true, later, sim.now);
    sim.iso.pool.apply(24, bal::KeyAction::cooldown, "gemini-2.5-flash", true, later, sim.now);
    sim.on_pool = [&](const bal::Task&) {};
    sim.now += 1000;
    r = sim.run("POST", kNativePath, sim.client(), kGenerate, {});
    CHECK(r.pool_loads == 1);
  }
}

TEST_CASE("machine: halfway through its slice an isolate asks for the next one", "[machine][pool]") {
  Sim sim;
  sim.slice(slice_lines(1, 5, {1, 2, 3, 4}), 1);
  const auto next = [](const Run& r) { return (r.last.flags & bal::abi::FLAG_POOL_NEXT) != 0; };
  Run r = sim.run("POST", kNativePath, sim.client(), kGenerate, {answer(200, kReply)});
  CHECK_FALSE(next(r));
  r = sim.run("POST", kNativePath, sim.client(), kGenerate, {answer(200, kReply)});
  CHECK(next(r));
  CHECK((r.last.flags & bal::abi::FLAG_POOL_STALE) != 0);
  // The next slice came: the keys not used yet stay in turn, and the count starts over.
  REQUIRE(sim.iso.pool.update(slice_lines(5, 9, {5, 6, 7, 8}), 1, 2, sim.now, true));
  r = sim.run("POST", kNativePath, sim.client(), kGenerate, {answer(200, kReply)});
  CHECK_FALSE(next(r));
  // The whole pool held: never.
  Sim whole;
  whole.keys(2);
  for (int i = 0; i < 3; ++i)
    CHECK_FALSE(next(whole.run("POST", kNativePath, whole.client(), kGenerate, {answer(200, kReply)})));
}

TEST_CASE("machine: a request bound to a key outside the slice asks the pool for that key", "[machine][pool]") {
  const std::string upload = "/upload/v1beta/files?upload_id=UP-9&upload_protocol=resumable&balancer_key=";
  Sim sim;
  sim.slice(slice_lines(1, 3, {1, 2}), 1);
  std::vector<int64_t> asked;
  sim.on_pool = [&](const bal::Task& t) {
    asked.push_back(t.key_id);
    CHECK((t.flags & bal::abi::FLAG_POOL_NEXT) == 0);
    // The key pool sends the key as it sends keys an affinity names.
    if (t.key_id == 7) REQUIRE(sim.iso.pool.update("P 7 " + key_text(7) + " a\n", 1, 1, sim.now));
  };
  const json headers = {{"x-goog-api-key", kClient}, {"x-goog-upload-command", "upload, finalize"}};
  Run r = sim.run("PUT", upload + "7", headers, "bytes", {answer(200, R"({"file":{"name":"files/up9"}})")});
  CHECK(asked == std::vector<int64_t>{7});
  CHECK(r.keys == std::vector<int64_t>{7});
  // Held now: the next chunk goes straight to it.
  r = sim.run("PUT", upload + "7", headers, "bytes", {answer(200, "{}")});
  CHECK(asked.size() == 1);
  CHECK(r.keys == std::vector<int64_t>{7});
  // A key the pool does not know: asked once, then any key of the slice.
  r = sim.run("PUT", upload + "9", headers, "bytes", {answer(200, "{}")});
  CHECK(asked == std::vector<int64_t>{7, 9});
  REQUIRE(r.keys.size() == 1);
  CHECK(r.keys.front() != 9);
}

namespace {

// A stored response a request continues: the user's message and the answer, on key 2.
constexpr const char* kTripRecord =
    R"([{"v":1,"id":"resp_0123456789abcdef","created_at":1700000000,"previous_response_id":null,"key_id":2,)"
    R"("input":[{"id":"msg_0123456789abcdef_0","type":"message","role":"user","content":"Plan a trip."}],)"
    R"("response":{"id":"resp_0123456789abcdef","output":[{"id":"msg_0123456789abcdef_1","type":"message",)"
    R"("role":"assistant","status":"completed","content":[{"type":"output_text","text":"Day one: temples.",)"
    R"("annotations":[]}]}]}}])";

// The store answers responseLoad with kTripRecord; `calls` gets the name of each call.
void serve_trip(Sim& sim, std::vector<std::string>& calls) {
  sim.on_call = [&calls](const bal::Task& t) -> std::string {
    calls.push_back(t.name);
    return t.name == "responseLoad" ? std::string(kTripRecord) : "null";
  };
}

}  // namespace

TEST_CASE("machine: POST /v1/responses/input_tokens counts what it continues, on its key, and saves nothing",
          "[machine][count]") {
  Sim sim;
  sim.keys(2);
  std::vector<std::string> calls;
  serve_trip(sim, calls);
  const Run r = sim.run("POST", "/v1/responses/input_tokens", sim.bearer(),
                        R"({"model":"gemini-2.5-flash","previous_response_id":"resp_0123456789abcdef",)"
                        R"("input":"And day two?"})",
                        {answer(200, R"({"totalTokens":17})")});
  INFO(r.raw);
  REQUIRE(r.status == 200);
  CHECK(calls == std::vector<std::string>{"responseLoad"});
  REQUIRE(r.fetches.size() == 1);
  CHECK(r.fetches[0].url == "https://up.example/v1beta/models/gemini-2.5-flash:countTokens");
  const json sent = bal::parse_json(r.fetches[0].body);
  const json& contents = sent["generateContentRequest"]["contents"];
  REQUIRE(contents.size() == 3);
  CHECK(contents[0]["parts"][0]["text"] == "Plan a trip.");
  CHECK(contents[1]["parts"][0]["text"] == "Day one: temples.");
  CHECK(contents[2]["parts"][0]["text"] == "And day two?");
  CHECK(r.keys == std::vector<int64_t>{2});
  CHECK(r.body == json({{"object", "response.input_tokens"}, {"input_tokens", 17}}));
  CHECK(r.header("content-type") == "application/json; charset=utf-8");
}

TEST_CASE("machine: POST /v1/responses/compact reads what it continues from the store, saves nothing, and answers "
          "whole",
          "[machine][compact]") {
  Sim sim;
  sim.keys(2);
  std::vector<std::string> calls;
  serve_trip(sim, calls);
  const std::string gemini =
      R"({"candidates":[{"content":{"role":"model","parts":[{"text":"A trip, day one done."}]},"finishReason":"STOP"}],)"
      R"("usageMetadata":{"promptTokenCount":30,"candidatesTokenCount":6,"totalTokenCount":36}})";
  const Run r = sim.run("POST", "/v1/responses/compact", sim.bearer(),
                        R"({"model":"gemini-2.5-flash","previous_response_id":"resp_0123456789abcdef","stream":true})",
                        {answer(200, gemini)});
  INFO(r.raw);
  REQUIRE(r.status == 200);
  CHECK(calls == std::vector<std::string>{"responseLoad"});
  REQUIRE(r.fetches.size() == 1);
  CHECK(r.fetches[0].url == "https://up.example/v1beta/models/gemini-2.5-flash:generateContent");
  CHECK(r.keys == std::vector<int64_t>{2});  // the conversation's key
  CHECK(r.body["object"] == "response.compaction");
  REQUIRE(r.body["output"].size() == 2);
  CHECK(r.body["output"][0]["content"] == "Plan a trip.");
  CHECK(r.body["output"][1]["type"] == "compaction");
  CHECK(r.header("content-type") == "application/json; charset=utf-8");
}
