// The Live API as a session of the request machine, as tables of scenarios: how each upstream
// socket attempt ends (Google's close codes and reasons, no close frame, no answer in time)
// → the keys tried, each key's fate, the waits, and what the client gets (the session relayed,
// or a close with a code and a reason). Then the relayed session's end: the close each side
// gets and the usage counted.
#include <catch2/catch.hpp>

#include "machine_support.h"

using namespace machine_test;
using bal::abi::ActionKind;
using bal::abi::Reason;

namespace {

const std::string kLivePath = "/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent";
const std::string kModel = "gemini-3.1-flash-live-preview";
const std::string kSetup = R"({"setup":{"model":"models/gemini-3.1-flash-live-preview"}})";

// How one upstream socket attempt ends: it answers (open), Google closes it (code, reason),
// or it never gets a close frame (`failure`: TIMEOUT or NETWORK).
struct Attempt {
  bool open = false;
  int code = 0;
  std::string reason;
  Reason failure = Reason::none;
};

Attempt opens() {
  return {true, 0, "", Reason::none};
}
Attempt closes(int code, std::string reason) {
  return {false, code, std::move(reason), Reason::none};
}
Attempt fails(Reason r) {
  return {false, 0, "", r};
}

json live_headers() {
  return {{"upgrade", "websocket"}, {"x-goog-api-key", kClient}};
}

struct LiveRun {
  bal::Action last;                // RELAY or CLOSE
  std::vector<int64_t> keys;       // the key of each SOCKET, in order
  std::vector<int64_t> waits;      // backoff waits
  std::vector<bal::Task> sockets;  // every SOCKET task
};

// Drives a session the way worker-shim/live.mjs does: ACCEPT, the client's first message,
// then each SOCKET answered from `script`, waits taken, until RELAY or CLOSE.
LiveRun run_live(Sim& sim, std::deque<Attempt> script, const std::string& first = kSetup,
                 const std::string& target = kLivePath) {
  LiveRun r;
  bal::Action a = sim.open("GET", target, live_headers());
  REQUIRE(a.kind == ActionKind::ACCEPT);
  CHECK(a.timeout_ms == 30'000);
  a = sim.feed(EventKind::BODY, 0, [&](bal::abi::Writer& w) { w.bytes(F::BODY, first); });
  for (int steps = 0; steps < 100 && a.kind == ActionKind::TASKS; ++steps) {
    std::vector<bal::Task> sockets, waits, pools;
    for (const bal::Task& t : a.tasks) {
      if (t.kind == TaskKind::SOCKET) sockets.push_back(t);
      if (t.kind == TaskKind::WAIT) waits.push_back(t);
      if (t.kind == TaskKind::POOL) pools.push_back(t);
    }
    REQUIRE(sockets.size() + waits.size() + pools.size() == 1);
    if (!pools.empty()) {
      a = sim.feed(EventKind::POOL_READY, pools[0].slot, [](bal::abi::Writer& w) { w.num(F::OK, 1); });
    } else if (!waits.empty()) {
      sim.now += waits[0].ms;
      r.waits.push_back(waits[0].ms);
      a = sim.feed(EventKind::WAITED, waits[0].slot);
    } else {
      const bal::Task& t = sockets[0];
      r.sockets.push_back(t);
      r.keys.push_back(sim.key_id_of(t));
      REQUIRE(!script.empty());
      const Attempt at = script.front();
      script.pop_front();
      if (at.open) {
        a = sim.feed(EventKind::SOCKET_OPEN, t.slot);
      } else {
        a = sim.feed(EventKind::SOCKET_CLOSED, t.slot, [&](bal::abi::Writer& w) {
          if (at.failure != Reason::none) {
            w.num(F::STATUS, 1006).num(F::REASON, static_cast<double>(at.failure));
          } else {
            w.num(F::STATUS, at.code).str(F::TEXT, at.reason);
          }
        });
      }
    }
  }
  REQUIRE((a.kind == ActionKind::RELAY || a.kind == ActionKind::CLOSE));
  r.last = a;
  return r;
}

const std::string kInvalid = "API key not valid. Please pass a valid API key.";
const std::string kLeaked = "Your API key was reported as leaked. Please use another API key.";
const std::string kQuota =
    "You exceeded your current quota, please check your plan and billing details. For more information on this "
    "error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.";
const std::string kInternal = "Internal error encountered.";

struct Row {
  const char* name;
  std::deque<Attempt> script;
  int close;         // 0: the session is relayed; else the code the client gets
  const char* says;  // in the client's close reason
  std::vector<int64_t> keys;
  std::vector<int64_t> waits;
  std::vector<int64_t> disabled;
  std::vector<int64_t> cooling;
};

std::vector<Row> table() {
  const std::string suspended = "Permission denied: Consumer 'api_key:" + key_text(1) + "' has been suspended.";
  return {
      {"setupComplete at once: relayed on the first key", {opens()}, 0, "", {1}, {}, {}, {}},
      {"1007 invalid key: disabled, next key", {closes(1007, kInvalid), opens()}, 0, "", {1, 2}, {}, {1}, {}},
      {"1007 expired key: disabled, next key",
       {closes(1007, "API key expired. Please renew the API key."), opens()},
       0,
       "",
       {1, 2},
       {},
       {1},
       {}},
      {"1008 leaked key: disabled, next key", {closes(1008, kLeaked), opens()}, 0, "", {1, 2}, {}, {1}, {}},
      {"1008 suspended consumer: disabled, next key", {closes(1008, suspended), opens()}, 0, "", {1, 2}, {}, {1}, {}},
      {"1008 API blocked for the key: disabled, next key",
       {closes(1008,
               "Requests to this API generativelanguage.googleapis.com method "
               "google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent are blocked."),
        opens()},
       0,
       "",
       {1, 2},
       {},
       {1},
       {}},
      {"1011 quota: cooled down for the model, next key", {closes(1011, kQuota), opens()}, 0, "", {1, 2}, {}, {}, {1}},
      {"1011 internal: Google's side, retried after a backoff",
       {closes(1011, kInternal), opens()},
       0,
       "",
       {1, 2},
       {300},
       {},
       {}},
      {"1011 three times: two retries, then Google's close",
       {closes(1011, kInternal), closes(1011, kInternal), closes(1011, kInternal)},
       1011,
       "Internal error encountered.",
       {1, 2, 3},
       {300, 1000},
       {},
       {}},
      {"no close frame (1006): retried", {fails(Reason::NETWORK), opens()}, 0, "", {1, 2}, {300}, {}, {}},
      {"no answer in time: retried", {fails(Reason::TIMEOUT), opens()}, 0, "", {1, 2}, {300}, {}, {}},
      {"1008 location: nobody's key, Google's close for the client",
       {closes(1008, "User location is not supported for the API use.")},
       1008,
       "User location is not supported",
       {1},
       {},
       {},
       {}},
      {"1007 unknown setup field: the client's, not retried",
       {closes(1007, "Invalid JSON payload received. Unknown name \"foo\" at 'setup': Cannot find field.")},
       1007,
       "Unknown name \"foo\"",
       {1},
       {},
       {},
       {}},
      {"1008 unknown model: the client's, not retried",
       {closes(1008, "models/x is not found for API version v1beta, or is not supported for bidiGenerateContent.")},
       1008,
       "models/x is not found",
       {1},
       {},
       {},
       {}},
      {"1007 quoting a dead key's words: still the client's",
       {closes(1007, "Invalid value at 'setup.system_instruction' (" + kInvalid + ")")},
       1007,
       "Invalid value",
       {1},
       {},
       {},
       {}},
      {"a close code Google never sends for keys: the client's",
       {closes(4000, "whatever")},
       4000,
       "whatever",
       {1},
       {},
       {},
       {}},
      {"every key dead: each disabled, then Google's last close",
       {closes(1007, kInvalid), closes(1008, kLeaked), closes(1007, kInvalid), closes(1008, kLeaked)},
       1008,
       "reported as leaked",
       {1, 2, 3, 4},
       {},
       {1, 2, 3, 4},
       {}},
  };
}

}  // namespace

TEST_CASE("machine: a Live session's attempts, judged by Google's close before setupComplete", "[machine][live]") {
  for (const Row& row : table()) {
    DYNAMIC_SECTION(row.name) {
      Sim sim;
      sim.keys(4);
      const LiveRun r = run_live(sim, row.script);
      CHECK(r.keys == row.keys);
      CHECK(r.waits == row.waits);
      if (row.close == 0) {
        CHECK(r.last.kind == ActionKind::RELAY);
        CHECK(r.last.slot == r.sockets.back().slot);
      } else {
        REQUIRE(r.last.kind == ActionKind::CLOSE);
        CHECK(r.last.status == row.close);
        CHECK_THAT(r.last.text, Catch::Contains(row.says));
        for (int64_t id = 1; id <= 4; ++id) CHECK(r.last.text.find(key_text(id).substr(6)) == std::string::npos);
        CHECK(r.last.text.size() <= 123);
      }
      for (int64_t id = 1; id <= 4; ++id) {
        const bal::PoolKey& k = sim.iso.pool.at(*sim.iso.pool.index_of(id));
        const bool dead = std::find(row.disabled.begin(), row.disabled.end(), id) != row.disabled.end();
        const bool cooling = std::find(row.cooling.begin(), row.cooling.end(), id) != row.cooling.end();
        INFO("key " << id);
        CHECK(k.disabled == dead);
        CHECK(!sim.iso.pool.eligible(k, kModel, sim.now) == (dead || cooling));
      }
      // One key event per attempt, with its verdict, for the pool to apply as data.
      int64_t requests = 0;
      const json events = sim.events();
      for (const json& k : events["keys"]) requests += k["requests"].get<int64_t>();
      for (const json& f : events["families"]) CHECK(f["family"] == "gemini.live");
      for (const json& c : events["cooldowns"]) CHECK((c["scope"] == kModel || c["scope"] == "*"));
      CHECK(requests == static_cast<int64_t>(row.keys.size()));
    }
  }
}

TEST_CASE("machine: each SOCKET goes to Google's path with the key in a header, the client's setup as sent",
          "[machine][live]") {
  Sim sim;
  sim.keys(2);
  for (const std::string target :
       {"//ws/google.ai.generativelanguage.v1alpha.GenerativeService.BidiGenerateContent?key=" + kClient,
        std::string("/ws/google.ai.generativelanguage.v1alpha.GenerativeService.BidiGenerateContent")}) {
    const LiveRun r = run_live(sim, {opens()}, kSetup, target);
    REQUIRE(r.sockets.size() == 1);
    const bal::Task& t = r.sockets[0];
    CHECK(t.url == "https://up.example/ws/google.ai.generativelanguage.v1alpha.GenerativeService.BidiGenerateContent");
    CHECK(bal::abi::header_value(t.headers, "x-goog-api-key") == key_text(r.keys[0]));
    CHECK(t.headers.find(kClient) == std::string::npos);
    CHECK(t.body.empty());  // the shim sends the client's own first message
    CHECK(t.timeout_ms == 15'000);
  }
}

TEST_CASE("machine: a Live request refused before its socket is accepted", "[machine][live]") {
  Sim sim;
  sim.keys(1);
  struct Case {
    const char* name;
    std::string method;
    json headers;
    int status;
  };
  const std::vector<Case> cases = {
      {"no token", "GET", {{"upgrade", "websocket"}}, 401},
      {"a wrong token", "GET", {{"upgrade", "websocket"}, {"x-goog-api-key", "wrong"}}, 401},
      {"not an upgrade", "GET", {{"x-goog-api-key", kClient}}, 426},
      {"a POST", "POST", {{"upgrade", "websocket"}, {"x-goog-api-key", kClient}}, 405},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.name) {
      const bal::Action a = sim.open(c.method, kLivePath, c.headers);
      REQUIRE(a.kind == ActionKind::RESPOND);
      CHECK(a.status == c.status);
      const json body = bal::parse_json(a.body);
      CHECK(body["error"]["code"] == c.status);
      CHECK(body["error"]["status"].is_string());
    }
  }
  CHECK(sim.open("GET", "/ws/google.ai.generativelanguage.v2.GenerativeService.BidiGenerateContent", live_headers())
            .kind == ActionKind::RESPOND);
}

TEST_CASE("machine: the Responses API asked for over a WebSocket is a 426, so that clients go over HTTP at once",
          "[machine][live]") {
  Sim sim;
  sim.keys(1);
  const json headers = {{"upgrade", "WebSocket"}, {"authorization", std::string("Bearer ") + kClient}};
  const bal::Action a = sim.open("GET", "/v1/responses", headers);
  REQUIRE(a.kind == ActionKind::RESPOND);
  CHECK(a.status == 426);
  CHECK(bal::abi::header_value(a.headers, "upgrade") == "HTTP/1.1");
  const json body = bal::parse_json(a.body);
  CHECK(body["error"]["type"] == "invalid_request_error");
  CHECK(body["error"]["message"] == "The Responses API is served over HTTP here: POST /v1/responses.");
  // A plain GET is still told to POST; a GET of a stored response is still that.
  CHECK(sim.open("GET", "/v1/responses", {{"authorization", std::string("Bearer ") + kClient}}).status == 405);
  CHECK(sim.open("GET", "/v1/chat/completions", headers).status == 405);
}

TEST_CASE("machine: a Live session that cannot start closes the client with a reason", "[machine][live]") {
  SECTION("no setup message in time") {
    Sim sim;
    sim.keys(1);
    REQUIRE(sim.open("GET", kLivePath, live_headers()).kind == ActionKind::ACCEPT);
    const bal::Action a = sim.feed(EventKind::BODY_FAILED, 0,
                                   [](bal::abi::Writer& w) { w.num(F::REASON, static_cast<double>(Reason::TIMEOUT)); });
    REQUIRE(a.kind == ActionKind::CLOSE);
    CHECK(a.status == 1008);
    CHECK(a.text == "No setup message within 30 s.");
  }
  SECTION("a first message that is not a setup") {
    for (const std::string first : {std::string("not json"), std::string(R"({"clientContent":{}})"),
                                    std::string(R"({"setup":{}})"), std::string(R"({"setup":{"model":"a b"}})")}) {
      Sim sim;
      sim.keys(1);
      REQUIRE(sim.open("GET", kLivePath, live_headers()).kind == ActionKind::ACCEPT);
      const bal::Action a = sim.feed(EventKind::BODY, 0, [&](bal::abi::Writer& w) { w.bytes(F::BODY, first); });
      REQUIRE(a.kind == ActionKind::CLOSE);
      CHECK(a.status == 1007);
      CHECK_THAT(a.text, Catch::Contains("setup"));
    }
  }
  SECTION("an empty pool, or every key limited") {
    Sim empty;
    empty.keys(0);
    LiveRun r = run_live(empty, {});
    CHECK(r.last.kind == ActionKind::CLOSE);
    CHECK(r.last.status == 1011);
    CHECK_THAT(r.last.text, Catch::Contains("no usable key"));
    Sim limited;
    limited.keys(1, "C 1 " + kModel + " " + std::to_string(kT0 + 42'000) + "\n");
    r = run_live(limited, {});
    CHECK(r.last.status == 1013);
    CHECK_THAT(r.last.text, Catch::Contains("retry in 42 s"));
  }
  SECTION("the client leaves while a key is being tried") {
    Sim sim;
    sim.keys(2);
    REQUIRE(sim.open("GET", kLivePath, live_headers()).kind == ActionKind::ACCEPT);
    bal::Action a = sim.feed(EventKind::BODY, 0, [&](bal::abi::Writer& w) { w.bytes(F::BODY, kSetup); });
    REQUIRE(a.kind == ActionKind::TASKS);
    a = sim.feed(EventKind::CLIENT_CLOSED, 0, [](bal::abi::Writer& w) { w.num(F::STATUS, 1001).str(F::TEXT, ""); });
    CHECK(a.kind == ActionKind::CLOSE);
    // The attempt in flight is nobody's failure.
    const json events = sim.events();
    CHECK(events["disables"].empty());
    CHECK(events["cooldowns"].empty());
  }
  SECTION("an event out of place closes, never answers HTTP") {
    Sim sim;
    sim.keys(1);
    REQUIRE(sim.open("GET", kLivePath, live_headers()).kind == ActionKind::ACCEPT);
    const bal::Action a = sim.feed(EventKind::UPSTREAM_HEAD, 0, [](bal::abi::Writer& w) { w.num(F::STATUS, 200); });
    CHECK(a.kind == ActionKind::CLOSE);
    CHECK(a.status == 1011);
  }
}

TEST_CASE("machine: a relayed Live session ends with the other side closed as the core says, usage summed",
          "[machine][live]") {
  const std::string turn =
      R"({"serverContent":{"turnComplete":true},"usageMetadata":{"promptTokenCount":12,"responseTokenCount":30,"thoughtsTokenCount":2,"totalTokenCount":44}})";
  struct End {
    const char* name;
    Reason who;
    int code;
    std::string text;
    int other_code;
    std::string other_text;
  };
  const std::vector<End> ends = {
      {"the client closes: Google gets its close", Reason::ABORTED, 1000, "bye", 1000, "bye"},
      {"the client vanishes (1006): Google gets a normal close", Reason::ABORTED, 1006, "", 1000, ""},
      {"Google closes: the client gets its close", Reason::none, 1000, "Goodbye.", 1000, "Goodbye."},
      {"Google's close without a frame: the client gets 1011", Reason::none, 1006, "", 1011,
       "The connection to Gemini failed."},
      {"the upstream socket fails", Reason::NETWORK, 1006, "", 1011, "The connection to Gemini failed."},
  };
  for (const End& e : ends) {
    DYNAMIC_SECTION(e.name) {
      Sim sim;
      sim.keys(2);
      const LiveRun r = run_live(sim, {opens()});
      REQUIRE(r.last.kind == ActionKind::RELAY);
      std::string out;
      sim.machine->chunk(sim.iso, turn, out);
      sim.machine->chunk(sim.iso, turn, out);
      CHECK(out.empty());
      CHECK(sim.machine->relaying());
      const bal::live::ClientClose other = sim.machine->end_session(sim.iso, e.who, e.code, e.text);
      CHECK(other.code == e.other_code);
      CHECK(other.reason == e.other_text);
      const json events = sim.events();
      REQUIRE(events["keys"].size() == 1);
      CHECK(events["keys"][0]["requests"] == 1);
      CHECK(events["keys"][0]["successes"] == 1);
      CHECK(events["keys"][0]["prompt_tokens"] == 24);
      CHECK(events["keys"][0]["completion_tokens"] == 64);
      REQUIRE(events["families"].size() == 1);
      CHECK(events["families"][0]["family"] == "gemini.live");
    }
  }
}

TEST_CASE("machine: Google ending a session for quota cools its key; the client never sees a key", "[machine][live]") {
  Sim sim;
  sim.keys(2);
  const LiveRun r = run_live(sim, {opens()});
  REQUIRE(r.last.kind == ActionKind::RELAY);
  const int64_t key = r.keys[0];
  bal::live::ClientClose other = sim.machine->end_session(sim.iso, Reason::none, 1011, kQuota);
  CHECK(other.code == 1011);
  CHECK(!sim.iso.pool.eligible(sim.iso.pool.at(*sim.iso.pool.index_of(key)), kModel, sim.now));
  const json events = sim.events();
  REQUIRE(events["keys"].size() == 1);
  CHECK(events["keys"][0]["requests"] == 1);
  REQUIRE(events["cooldowns"].size() == 1);
  CHECK(events["cooldowns"][0]["id"] == key);

  Sim other_sim;
  other_sim.keys(1);
  REQUIRE(run_live(other_sim, {opens()}).last.kind == ActionKind::RELAY);
  other =
      other_sim.machine->end_session(other_sim.iso, Reason::none, 1008,
                                     "Permission denied: Consumer 'api_key:" + key_text(1) + "' has been suspended.");
  CHECK(other.reason.find(key_text(1)) == std::string::npos);
  CHECK(other.reason.find(key_text(1).substr(6)) == std::string::npos);
  CHECK(other_sim.iso.pool.at(0).disabled);
}
