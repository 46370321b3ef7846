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
  REQUIRE(out.is_array());
  return out;
}
}  // namespace

TEST_CASE("events merge per key, model, family and hour with the same totals", "[events]") {
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
  late.created = {"files/a"};
  log.add(late);
  log.add(event(2, Outcome::ok, kT + 6));
  log.add(event(1, Outcome::ok, kT + kHour + 1));
  KeyEvent other_family = event(1, Outcome::ok, kT + 7);
  other_family.family = "openai.chat";
  log.add(other_family);
  log.add(event(0, Outcome::ok, kT));  // no key: nothing to record

  const json out = drained(log);
  REQUIRE(out.size() == 4);
  const json& g = out[0];
  CHECK(g["id"] == 1);
  CHECK(g["family"] == "gemini");
  CHECK(g["hour_ms"] == kT);
  CHECK(g["requests"] == 4);
  CHECK(g["successes"] == 2);
  CHECK(g["failures"] == json{{"server_error", 1}});
  CHECK(g["prompt_tokens"] == 11);
  CHECK(g["completion_tokens"] == 12);
  CHECK(g["error"] == "overloaded");
  CHECK(g["error_ms"] == kT + 3);
  CHECK(g["at_ms"] == kT + 5);
  CHECK(g["created"] == json{"files/a"});
  CHECK(g["action"] == "none");
  CHECK(out[1]["family"] == "gemini");
  CHECK(out[1]["hour_ms"] == kT + kHour);
  CHECK(out[2]["family"] == "openai.chat");
  CHECK(out[2]["hour_ms"] == kT);
  CHECK(out[3]["id"] == 2);
  CHECK(log.empty());
  CHECK(drained(log).empty());
}

TEST_CASE("the strongest key action wins a merge, with its scope", "[events]") {
  bal::EventLog log;
  auto cool = [](Outcome o, int64_t at, int64_t until, const char* scope) {
    KeyEvent e = event(1, o, at);
    e.action = KeyAction::cooldown;
    e.until_ms = until;
    e.scope = scope;
    return e;
  };
  log.add(cool(Outcome::quota_minute, kT, kT + 30000, "m"));
  log.add(cool(Outcome::quota_day, kT + 1, kT + 9000000, "m"));
  log.add(cool(Outcome::quota_minute, kT + 2, kT + 60000, "m"));
  json out = drained(log);
  CHECK(out[0]["action"] == "cooldown");
  CHECK(out[0]["until_ms"] == kT + 9000000);
  CHECK(out[0]["reason"] == "quota_day");
  CHECK(out[0]["scope"] == "m");

  log.add(cool(Outcome::quota_day, kT + 1, kT + 9000000, "m"));
  log.add(cool(Outcome::unauthenticated, kT + 2, kT + 600000, "*"));
  CHECK(drained(log)[0]["scope"] == "*");

  log.add(cool(Outcome::quota_day, kT + 1, kT + 9000000, "m"));
  KeyEvent dead = event(1, Outcome::key_invalid, kT + 3);
  dead.action = KeyAction::disable;
  log.add(dead);
  out = drained(log);
  CHECK(out[0]["action"] == "disable");
  CHECK(out[0]["reason"] == "key_invalid");
  CHECK(out[0]["until_ms"] == 0);
}

TEST_CASE("a full log drops new groups and counts them", "[events]") {
  bal::EventLog log;
  for (int64_t i = 1; i <= static_cast<int64_t>(bal::EventLog::kMaxGroups) + 10; ++i)
    log.add(event(i, Outcome::ok, kT));
  CHECK(log.size() == bal::EventLog::kMaxGroups);
  CHECK(log.dropped() == 10);
  log.add(event(1, Outcome::ok, kT + 1));  // an existing group still merges
  CHECK(log.size() == bal::EventLog::kMaxGroups);
}
