#include <catch2/catch.hpp>

#include "balancer/events.h"

using bal::json;

namespace {
constexpr int64_t kHour = 3600 * 1000;
constexpr int64_t kT = 1764000000000;  // on an hour boundary

json event(int64_t id, const char* outcome, int64_t at, json extra = json::object()) {
  json e = {{"id", id}, {"model", "m"}, {"outcome", outcome}, {"action", "none"}, {"at_ms", at}};
  for (auto& [k, v] : extra.items()) e[k] = v;
  return e;
}
}  // namespace

TEST_CASE("events merge per key, model and hour with the same totals", "[events]") {
  const json events = {
      event(1, "ok", kT + 1, {{"prompt_tokens", 10}, {"completion_tokens", 5}}),
      event(1, "ok", kT + 2, {{"prompt_tokens", 1}}),
      event(1, "server_error", kT + 3, {{"error", "overloaded"}}),
      event(1, "client_error", kT + 4, {{"error", "bad body"}}),
      event(1, "ok", kT + 5, {{"count", false}, {"completion_tokens", 7}, {"created", {"files/a"}}}),
      event(2, "ok", kT + 6),
      event(1, "ok", kT + kHour + 1),
      {{"id", "x"}},
      5,
  };
  const json out = bal::merge_events(events);
  REQUIRE(out.size() == 3);
  const json& a = out[0];
  CHECK(a["id"] == 1);
  CHECK(a["hour_ms"] == kT);
  CHECK(a["requests"] == 4);
  CHECK(a["successes"] == 2);
  CHECK(a["failures"] == json{{"server_error", 1}});
  CHECK(a["prompt_tokens"] == 11);
  CHECK(a["completion_tokens"] == 12);
  CHECK(a["error"] == "overloaded");
  CHECK(a["error_ms"] == kT + 3);
  CHECK(a["at_ms"] == kT + 5);
  CHECK(a["created"] == json{"files/a"});
  CHECK(a["action"] == "none");
  CHECK(out[1]["id"] == 1);
  CHECK(out[1]["hour_ms"] == kT + kHour);
  CHECK(out[2]["id"] == 2);
}

TEST_CASE("the strongest key action wins a merge", "[events]") {
  json events = {
      event(1, "quota_minute", kT, {{"action", "cooldown"}, {"until_ms", kT + 30000}}),
      event(1, "quota_day", kT + 1, {{"action", "cooldown"}, {"until_ms", kT + 9000000}}),
      event(1, "quota_minute", kT + 2, {{"action", "cooldown"}, {"until_ms", kT + 60000}}),
  };
  json out = bal::merge_events(events);
  CHECK(out[0]["action"] == "cooldown");
  CHECK(out[0]["until_ms"] == kT + 9000000);
  CHECK(out[0]["reason"] == "quota_day");
  events.push_back(event(1, "key_invalid", kT + 3, {{"action", "disable"}}));
  events.push_back(event(1, "unauthenticated", kT + 4, {{"action", "cooldown"}, {"until_ms", kT + 1}, {"all_models", true}}));
  out = bal::merge_events(events);
  CHECK(out[0]["action"] == "disable");
  CHECK(out[0]["reason"] == "key_invalid");
  CHECK(out[0]["failures"] == json{{"key_invalid", 1}, {"quota_day", 1}, {"quota_minute", 2}, {"unauthenticated", 1}});
}

TEST_CASE("merging nothing or garbage gives nothing", "[events]") {
  CHECK(bal::merge_events(json::array()).empty());
  CHECK(bal::merge_events(json::object()).empty());
  CHECK(bal::merge_events(bal::parse_json("[1, \"x\", null, {}]")).empty());
}
