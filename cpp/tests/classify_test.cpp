#include "balancer/classify.h"

#include <catch2/catch.hpp>

#include "balancer/gemini.h"
#include "balancer/pacific.h"

using bal::KeyAction;
using bal::Outcome;

namespace {

constexpr int64_t kNow = 1764000000000;  // 2025-11-24T16:00:00Z

std::string error_body(int code, const std::string& status, const std::string& message,
                       const std::string& details = "[]") {
  return R"({"error":{"code":)" + std::to_string(code) + R"(,"message":")" + message + R"(","status":")" + status +
         R"(","details":)" + details + "}}";
}

std::string error_info(const std::string& reason) {
  return R"([{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":")" + reason +
         R"(","domain":"googleapis.com"}])";
}

std::string quota(const std::string& quota_id, const std::string& delay) {
  return R"([{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaMetric":"m","quotaId":")" +
         quota_id +
         R"(","quotaDimensions":{"location":"global","model":"gemini-2.5-flash"},"quotaValue":"20"}]},{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":")" +
         delay + R"("}])";
}

}  // namespace

TEST_CASE("success needs no action", "[classify]") {
  const auto v = bal::classify_upstream(200, "{}", kNow);
  CHECK(v.outcome == Outcome::ok);
  CHECK_FALSE(v.retry);
  CHECK(v.action == KeyAction::none);
}

TEST_CASE("dead keys are disabled and retried elsewhere", "[classify]") {
  struct Row {
    int status;
    std::string body;
    Outcome outcome;
  };
  const std::string suspended_key = "AIzaSyA1234567890abcdefghijklmnopqrstuv";
  const Row rows[] = {
      {400,
       error_body(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.",
                  error_info("API_KEY_INVALID")),
       Outcome::key_invalid},
      {400,
       error_body(400, "INVALID_ARGUMENT", "API key expired. Please renew the API key.", error_info("API_KEY_INVALID")),
       Outcome::key_invalid},
      {400, error_body(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key."),
       Outcome::key_invalid},
      {403, error_body(403, "PERMISSION_DENIED", "Your API key was reported as leaked. Please use another API key."),
       Outcome::key_leaked},
      {403,
       error_body(403, "PERMISSION_DENIED",
                  "Permission denied: Consumer 'api_key:" + suspended_key + "' has been suspended.",
                  error_info("CONSUMER_SUSPENDED")),
       Outcome::key_suspended},
      {403,
       error_body(403, "PERMISSION_DENIED", "Requests to this API are blocked.", error_info("API_KEY_SERVICE_BLOCKED")),
       Outcome::key_blocked},
  };
  for (const Row& row : rows) {
    const auto v = bal::classify_upstream(row.status, row.body, kNow);
    INFO(row.body);
    CHECK(v.outcome == row.outcome);
    CHECK(bal::is_dead(v.outcome));
    CHECK(v.retry);
    CHECK(v.action == KeyAction::disable);
    CHECK(v.message.find(suspended_key) == std::string::npos);
  }
}

TEST_CASE("text Google quotes from the client never marks a key dead", "[classify]") {
  // Google repeats client-chosen names and values in its 400s: a message that contains the
  // words of a dead-key answer is the client's doing unless the structure says otherwise.
  const std::string bad_request =
      R"([{"@type":"type.googleapis.com/google.rpc.BadRequest","fieldViolations":[{"description":"x"}]}])";
  const std::string quoted[] = {
      R"(Invalid JSON payload received. Unknown name \"API key not valid\": Cannot bind query parameter. Field 'API key not valid' could not be found in request message.)",
      R"(Invalid JSON payload received. Unknown name \"Your API key was reported as leaked. Please use another API key.\": Cannot find field.)",
      R"(Invalid value at 'contents[0].parts[1].inline_data.data' (TYPE_BYTES), Base64 decoding failed for \"API key expired. Please renew the API key.\")",
      R"(Invalid JSON payload received. Unknown name \"Permission denied: Consumer 'api_key:AIzaSyAAAAAAAAAAAA' has been suspended.\": Cannot find field.)",
  };
  for (const std::string& message : quoted) {
    for (int status : {400, 401, 403}) {
      for (const std::string& details : {std::string("[]"), bad_request}) {
        INFO(status << " " << message);
        const auto v = bal::classify_upstream(status, error_body(status, "INVALID_ARGUMENT", message, details), kNow);
        CHECK_FALSE(bal::is_dead(v.outcome));
        CHECK(v.action == KeyAction::none);
        CHECK_FALSE(v.retry);
      }
    }
  }
  // The whole leaked message, but as a 400 or with another status name, is not Google's answer.
  CHECK(bal::classify_upstream(
            400,
            error_body(400, "INVALID_ARGUMENT", "Your API key was reported as leaked. Please use another API key."),
            kNow)
            .outcome == Outcome::client_error);
  // A reason Google sends with another status does not count either.
  CHECK(bal::classify_upstream(400, error_body(400, "INVALID_ARGUMENT", "x", error_info("CONSUMER_SUSPENDED")), kNow)
            .outcome == Outcome::client_error);
}

TEST_CASE("an ErrorInfo printed without its @type still names the reason", "[classify]") {
  const auto v =
      bal::classify_upstream(400,
                             error_body(400, "INVALID_ARGUMENT", "API Key not found. Please pass a valid API key.",
                                        R"([{"reason":"API_KEY_INVALID","domain":"googleapis.com"}])"),
                             kNow);
  CHECK(v.outcome == Outcome::key_invalid);
}

TEST_CASE("a 401 blames no key: a bad pool key is a 400, a 401 is about OAuth", "[classify]") {
  const std::string oauth =
      R"([{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"ACCESS_TOKEN_TYPE_UNSUPPORTED","domain":"googleapis.com"}])";
  const std::string missing =
      R"([{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"CREDENTIALS_MISSING","domain":"googleapis.com"}])";
  for (const std::string& details : {oauth, missing, std::string("[]")}) {
    const auto v = bal::classify_upstream(
        401, error_body(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.", details), kNow);
    INFO(details);
    CHECK(v.outcome == Outcome::unauthenticated);
    CHECK(v.action == KeyAction::none);
    CHECK_FALSE(v.retry);
    CHECK(v.until_ms == 0);
  }
}

TEST_CASE("per-minute quota cools the key down for retryDelay", "[classify]") {
  const auto v =
      bal::classify_upstream(429,
                             error_body(429, "RESOURCE_EXHAUSTED", "quota",
                                        quota("GenerateRequestsPerMinutePerProjectPerModel-FreeTier", "28s")),
                             kNow);
  CHECK(v.outcome == Outcome::quota_minute);
  CHECK(v.retry);
  CHECK(v.action == KeyAction::cooldown);
  CHECK_FALSE(v.all_models);
  CHECK(v.until_ms == kNow + 28000);
  CHECK(v.retry_after_ms == 28000);
}

TEST_CASE("per-minute cooldowns are bounded", "[classify]") {
  const auto tiny = bal::classify_upstream(
      429, error_body(429, "RESOURCE_EXHAUSTED", "q", quota("GenerateRequestsPerMinutePerProjectPerModel", "0.01s")),
      kNow);
  CHECK(tiny.until_ms == kNow + bal::kMinCooldownMs);
  const auto huge = bal::classify_upstream(
      429, error_body(429, "RESOURCE_EXHAUSTED", "q", quota("GenerateRequestsPerMinutePerProjectPerModel", "86400s")),
      kNow);
  CHECK(huge.until_ms == kNow + bal::kMaxMinuteCooldownMs);
}

TEST_CASE("per-day quota cools down until midnight Pacific, whatever retryDelay says", "[classify]") {
  const auto v = bal::classify_upstream(429,
                                        error_body(429, "RESOURCE_EXHAUSTED", "retry in 30s",
                                                   quota("GenerateRequestsPerDayPerProjectPerModel-FreeTier", "30s")),
                                        kNow);
  CHECK(v.outcome == Outcome::quota_day);
  CHECK(v.action == KeyAction::cooldown);
  CHECK(v.until_ms == bal::next_pacific_midnight_ms(kNow));
  CHECK(v.until_ms == 1764057600000);  // 2025-11-25T08:00:00Z = midnight PST
}

TEST_CASE("a 429 without quota details says it names no quota, and would cool down briefly", "[classify]") {
  const auto v =
      bal::classify_upstream(429, error_body(429, "RESOURCE_EXHAUSTED", "Resource has been exhausted"), kNow);
  CHECK(v.outcome == Outcome::quota_other);
  CHECK(v.retry);
  CHECK(v.unnamed_quota);
  CHECK(v.until_ms == kNow + bal::kDefaultQuotaCooldownMs);
  // One with a QuotaFailure names its quota.
  const std::string named = error_body(429, "RESOURCE_EXHAUSTED", "quota",
                                       quota("GenerateRequestsPerMinutePerProjectPerModel-FreeTier", "10s"));
  CHECK_FALSE(bal::classify_upstream(429, named, kNow).unnamed_quota);
}

TEST_CASE("the client's own mistakes never touch a key", "[classify]") {
  const auto location = bal::classify_upstream(
      400, error_body(400, "FAILED_PRECONDITION", "User location is not supported for the API use."), kNow);
  CHECK(location.outcome == Outcome::location);
  CHECK_FALSE(location.retry);
  CHECK(location.action == KeyAction::none);

  const auto bad =
      bal::classify_upstream(400,
                             error_body(400, "INVALID_ARGUMENT",
                                        "Invalid JSON payload received. Unknown name \\\"foo\\\": Cannot find field."),
                             kNow);
  CHECK(bad.outcome == Outcome::client_error);
  CHECK_FALSE(bad.retry);
  CHECK(bad.action == KeyAction::none);

  const auto missing = bal::classify_upstream(404, error_body(404, "NOT_FOUND", "models/nope is not found"), kNow);
  CHECK(missing.outcome == Outcome::client_error);
  CHECK(missing.action == KeyAction::none);
}

TEST_CASE("Google's own failures are retried with backoff and no penalty", "[classify]") {
  for (int status : {500, 502, 503, 504}) {
    const auto v = bal::classify_upstream(status, error_body(status, "UNAVAILABLE", "The model is overloaded."), kNow);
    CHECK(v.outcome == Outcome::server_error);
    CHECK(v.retry);
    CHECK(v.backoff);
    CHECK(v.action == KeyAction::none);
  }
}

TEST_CASE("non-JSON and empty error bodies are classified by status", "[classify]") {
  CHECK(bal::classify_upstream(502, "<html>Bad gateway</html>", kNow).outcome == Outcome::server_error);
  CHECK(bal::classify_upstream(400, "", kNow).outcome == Outcome::client_error);
  CHECK(bal::classify_upstream(429, "", kNow).outcome == Outcome::quota_other);
  const auto v = bal::classify_upstream(401, "{}", kNow);
  CHECK(v.outcome == Outcome::unauthenticated);
  CHECK(v.action == KeyAction::none);
}

TEST_CASE("durations parse as protobuf Duration strings", "[classify]") {
  CHECK(bal::parse_duration_ms("28s") == 28000);
  CHECK(bal::parse_duration_ms("1.5s") == 1500);
  CHECK(bal::parse_duration_ms("0.25s") == 250);
  CHECK(bal::parse_duration_ms("250ms") == 250);
  CHECK(bal::parse_duration_ms("") == -1);
  CHECK(bal::parse_duration_ms("s") == -1);
  CHECK(bal::parse_duration_ms("12") == -1);
  CHECK(bal::parse_duration_ms("1x2s") == -1);
}

TEST_CASE("durations longer than a protobuf Duration allows are malformed (fuzz regression)", "[classify]") {
  // tests/fuzz-corpus/classify/regression-huge-duration: 1e23 ms did not fit the cast to int64.
  CHECK(bal::parse_duration_ms("99999999999999999999s") == -1);
  CHECK(bal::parse_duration_ms("315576000000s") == 315576000000000);
  const auto v = bal::classify_upstream(
      429, R"({"error":{"details":[{"@type":"RetryInfo","retryDelay":"99999999999999999999s"}]}})", kNow);
  CHECK(v.until_ms == kNow + bal::kDefaultQuotaCooldownMs);
}

TEST_CASE("a connection that fails before any answer is Google's side", "[classify]") {
  const auto v = bal::classify_upstream(0, "", kNow);
  CHECK(v.outcome == Outcome::server_error);
  CHECK(v.retry);
  CHECK(v.backoff);
  CHECK(v.action == KeyAction::none);
}

TEST_CASE("retry budgeting: keys up to max_attempts, server errors twice, a time budget", "[classify]") {
  const auto dead = bal::classify_upstream(
      400, error_body(400, "INVALID_ARGUMENT", "API key not valid.", error_info("API_KEY_INVALID")), kNow);
  const auto server = bal::classify_upstream(503, error_body(503, "UNAVAILABLE", "overloaded"), kNow);
  const auto client = bal::classify_upstream(400, error_body(400, "INVALID_ARGUMENT", "bad"), kNow);

  struct Row {
    const bal::Verdict* v;
    bal::AttemptState s;
    bool retry;
    int64_t delay_ms;
  };
  const Row rows[] = {
      {&dead, {1, 8, 0, 0}, true, 0},       {&dead, {7, 8, 0, 0}, true, 0},
      {&dead, {8, 8, 0, 0}, false, 0},      {&dead, {2, 8, 0, bal::kAttemptBudgetMs}, false, 0},
      {&server, {1, 8, 1, 0}, true, 300},   {&server, {2, 8, 2, 400}, true, 1000},
      {&server, {3, 8, 3, 1500}, false, 0}, {&server, {1, 8, 1, bal::kAttemptBudgetMs - 100}, false, 300},
      {&server, {1, 1, 1, 0}, false, 0},    {&client, {1, 8, 0, 0}, false, 0},
  };
  for (const Row& r : rows) {
    INFO("attempts " << r.s.attempts << " server failures " << r.s.server_failures << " elapsed " << r.s.elapsed_ms);
    const auto step = bal::next_step(*r.v, r.s);
    CHECK(step.retry == r.retry);
    if (step.retry) CHECK(step.delay_ms == r.delay_ms);
  }
}

TEST_CASE("outcomes fall in the groups a key check counts, and say when a key revives", "[classify]") {
  using bal::Outcome;
  struct Row {
    Outcome outcome;
    const char* group;
    bool dead;
    bool revives;
  };
  const Row rows[] = {
      {Outcome::ok, "ok", false, true},
      {Outcome::key_invalid, "dead", true, false},
      {Outcome::key_leaked, "dead", true, false},
      {Outcome::key_suspended, "dead", true, false},
      {Outcome::key_blocked, "dead", true, false},
      {Outcome::quota_minute, "rate_limited", false, true},
      {Outcome::quota_day, "rate_limited", false, true},
      {Outcome::quota_other, "rate_limited", false, true},
      {Outcome::unauthenticated, "error", false, false},
      {Outcome::location, "error", false, false},
      {Outcome::client_error, "error", false, false},
      {Outcome::server_error, "error", false, false},
  };
  for (const Row& r : rows) {
    INFO(bal::outcome_name(r.outcome));
    CHECK(std::string(bal::outcome_group(r.outcome)) == r.group);
    CHECK(bal::is_dead(r.outcome) == r.dead);
    CHECK(bal::revives(r.outcome) == r.revives);
  }
}

TEST_CASE("a cooldown's scope is the model, or every model", "[classify]") {
  CHECK(bal::cooldown_scope("gemini-2.5-flash", false) == "gemini-2.5-flash");
  CHECK(bal::cooldown_scope("gemini-2.5-flash", true) == "*");
  CHECK(bal::cooldown_scope("", false) == "*");
  // Not a model id: it could not be a word of the pool's change lines.
  CHECK(bal::cooldown_scope("bad model\nR 5", false) == "*");
  // Grounded calls only.
  CHECK(bal::cooldown_scope("gemini-2.5-flash", false, true) == "gemini-2.5-flash+grounding");
  CHECK(bal::cooldown_scope("bad model", false, true) == "+grounding");
  CHECK(bal::cooldown_scope("", false, true) == "+grounding");
  CHECK(bal::selection_scope("", true) == "+grounding");
  CHECK(bal::selection_scope("gemini-2.5-flash", true) == "gemini-2.5-flash+grounding");
  CHECK(bal::selection_scope("gemini-2.5-flash", false) == "gemini-2.5-flash");
}

TEST_CASE("a body asks for grounding by its tools, in either spelling, not by its text", "[classify]") {
  CHECK(bal::gemini::asks_grounding(R"({"contents":[],"tools":[{"googleSearch":{}}]})"));
  CHECK(bal::gemini::asks_grounding(R"({"tools":[{"functionDeclarations":[]},{"url_context":{}}]})"));
  CHECK(bal::gemini::asks_grounding(R"({"tools":[{"google_search_retrieval":{}}]})"));
  // The Interactions API names a tool by its type.
  CHECK(bal::gemini::asks_grounding(
      R"({"input":"hi","tools":[{"type":"function","name":"f"},{"type":"google_search"}]})"));
  CHECK(bal::gemini::asks_grounding(R"({"tools":[{"type":"url_context"}]})"));
  CHECK_FALSE(bal::gemini::asks_grounding(R"({"input":"google_search","tools":[{"type":"code_execution"}]})"));
  CHECK_FALSE(bal::gemini::asks_grounding(R"({"contents":[{"parts":[{"text":"use googleSearch"}]}]})"));
  CHECK_FALSE(bal::gemini::asks_grounding(R"({"tools":[{"codeExecution":{}}]})"));
  CHECK_FALSE(bal::gemini::asks_grounding(R"({"tools":[{"googleSearch":{}})"));  // not JSON
  CHECK_FALSE(bal::gemini::asks_grounding(""));
}
