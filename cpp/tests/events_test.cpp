#include "balancer/events.h"

#include <catch2/catch.hpp>

#include "balancer/json.h"

using bal::json;
using bal::KeyAction;
using bal::KeyEvent;
using bal::Outcome;

namespace {
constexpr int64_t kHour = 3600 * 1000;
constexpr int64_t kT = 1764000000000;  // on an hour boundary

KeyEvent event(int64_t id, Outcome outcome, int64_t at) {
  KeyEvent e;
  e.key_id = id;
  e.model = "m";
  e.family = "gemini";
  e.outcome = outcome;
  e.at_ms = at;
  return e;
}

json drained(bal::EventLog& log) {
  const json out = bal::parse_json(log.drain());
  REQUIRE(out.is_object());
  return out;
}
}  // namespace

TEST_CASE("events merge into rows per key, hour, family and outcome with the same totals", "[events]") {
  bal::EventLog log;
  KeyEvent a = event(1, Outcome::ok, kT + 1);
  a.prompt_tokens = 10;
  a.completion_tokens = 5;
  log.add(a);
  KeyEvent b = event(1, Outcome::ok, kT + 2);
  b.prompt_tokens = 1;
  log.add(b);
  KeyEvent c = event(1, Outcome::server_error, kT + 3);
  c.error = "overloaded";
  log.add(c);
  KeyEvent d = event(1, Outcome::client_error, kT + 4);
  d.error = "bad body";
  log.add(d);
  KeyEvent late = event(1, Outcome::ok, kT + 5);
  late.counted = false;
  late.completion_tokens = 7;
  late.created = {"files/a", "files/a", "x/../y", "files/b c"};
  log.add(late);
  log.add(event(2, Outcome::ok, kT + 6));
  log.add(event(1, Outcome::ok, kT + kHour + 1));
  KeyEvent other_family = event(1, Outcome::ok, kT + 7);
  other_family.family = "openai.chat";
  log.add(other_family);
  log.add(event(0, Outcome::ok, kT));  // no key: nothing to record

  const json out = drained(log);
  REQUIRE(out["keys"].size() == 2);
  const json& k = out["keys"][0];
  CHECK(k["id"] == 1);
  CHECK(k["requests"] == 6);
  CHECK(k["successes"] == 4);
  CHECK(k["failures"] == 1);
  CHECK(k["prompt_tokens"] == 11);
  CHECK(k["completion_tokens"] == 12);
  CHECK(k["error"] == "overloaded");
  CHECK(k["error_ms"] == kT + 3);
  CHECK(k["used_ms"] == kT + kHour + 1);
  CHECK(out["keys"][1]["error"].is_null());
  REQUIRE(out["hours"].size() == 3);
  CHECK(out["hours"][0] == json{{"id", 1},
                                {"hour_ms", kT},
                                {"requests", 5},
                                {"successes", 3},
                                {"failures", 1},
                                {"prompt_tokens", 11},
                                {"completion_tokens", 12}});
  CHECK(out["hours"][1]["hour_ms"] == kT + kHour);
  CHECK(out["hours"][2]["id"] == 2);
  REQUIRE(out["families"].size() == 3);
  CHECK(out["families"][0]["family"] == "gemini");
  CHECK(out["families"][0]["requests"] == 5);
  CHECK(out["families"][1]["hour_ms"] == kT + kHour);
  CHECK(out["families"][2] == json{{"family", "openai.chat"},
                                   {"hour_ms", kT},
                                   {"requests", 1},
                                   {"successes", 1},
                                   {"failures", 0},
                                   {"prompt_tokens", 0},
                                   {"completion_tokens", 0}});
  CHECK(out["failures"] == json::array({{{"id", 1}, {"outcome", "server_error"}, {"count", 1}}}));
  CHECK(out["created"] == json::array({{{"id", 1}, {"resource", "files/a"}, {"at_ms", kT + 5}}}));
  CHECK(out["disables"].empty());
  CHECK(out["cooldowns"].empty());
  CHECK(log.empty());
  CHECK(drained(log)["keys"].empty());
}

TEST_CASE("a merge keeps a disable, and the latest cooldown end per scope", "[events]") {
  bal::EventLog log;
  auto cool = [](int64_t id, Outcome o, int64_t at, int64_t until, const char* scope) {
    KeyEvent e = event(id, o, at);
    e.action = KeyAction::cooldown;
    e.until_ms = until;
    e.scope = scope;
    return e;
  };
  log.add(cool(1, Outcome::quota_minute, kT, kT + 30000, "m"));
  log.add(cool(1, Outcome::quota_day, kT + 1, kT + 9000000, "m"));
  log.add(cool(1, Outcome::quota_minute, kT + 2, kT + 60000, "m"));
  log.add(cool(1, Outcome::quota_other, kT + 4, kT + 600000, "*"));
  log.add(cool(2, Outcome::quota_minute, kT, kT + 1000, ""));
  json out = drained(log);
  CHECK(out["cooldowns"] ==
        json::array({{{"id", 1}, {"scope", "*"}, {"until_ms", kT + 600000}, {"reason", "quota_other"}},
                     {{"id", 1}, {"scope", "m"}, {"until_ms", kT + 9000000}, {"reason", "quota_day"}},
                     {{"id", 2}, {"scope", "*"}, {"until_ms", kT + 1000}, {"reason", "quota_minute"}}}));
  CHECK(out["failures"].size() == 4);

  log.add(cool(1, Outcome::quota_day, kT + 1, kT + 9000000, "m"));
  KeyEvent dead = event(1, Outcome::key_invalid, kT + 3);
  dead.action = KeyAction::disable;
  log.add(dead);
  out = drained(log);
  CHECK(out["disables"] == json::array({{{"id", 1}, {"reason", "key_invalid"}, {"at_ms", kT + 3}}}));
  CHECK(out["cooldowns"].size() == 1);
}

TEST_CASE("a full log drops events for new keys and counts them", "[events]") {
  bal::EventLog log;
  for (int64_t i = 1; i <= static_cast<int64_t>(bal::EventLog::kMaxKeys) + 10; ++i) log.add(event(i, Outcome::ok, kT));
  CHECK(log.dropped() == 10);
  const size_t rows = log.size();
  log.add(event(1, Outcome::ok, kT + 1));  // a key already there still merges
  CHECK(log.size() == rows);
  CHECK(log.dropped() == 10);
  CHECK(drained(log)["keys"].size() == bal::EventLog::kMaxKeys);
}
