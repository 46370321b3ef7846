#include "balancer/live.h"

#include <catch2/catch.hpp>
#include <string>

using namespace bal;

TEST_CASE("live: the paths Google's SDKs connect to", "[live]") {
  CHECK(live::live_version("/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent") ==
        "v1beta");
  CHECK(live::live_version("//ws/google.ai.generativelanguage.v1alpha.GenerativeService.BidiGenerateContent") ==
        "v1alpha");
  CHECK(live::live_version("/ws/google.ai.generativelanguage.v1.GenerativeService.BidiGenerateContent") == "v1");
  CHECK(live::live_version("/ws/google.ai.generativelanguage.v2.GenerativeService.BidiGenerateContent").empty());
  CHECK(live::live_version("/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContentX").empty());
  CHECK(live::live_version("///ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent").empty());
  CHECK(live::live_version("/v1beta/models").empty());
  CHECK(live::upstream_path("v1alpha") ==
        "/ws/google.ai.generativelanguage.v1alpha.GenerativeService.BidiGenerateContent");
}

TEST_CASE("live: the setup message names the model", "[live]") {
  live::Setup s =
      live::read_setup(R"({"setup":{"model":"models/gemini-3.1-flash-live-preview","generationConfig":{}}})");
  CHECK(s.ok);
  CHECK(s.model == "gemini-3.1-flash-live-preview");
  s = live::read_setup(R"({"setup":{"model":"gemini-3.8-live"}})");
  CHECK(s.model == "gemini-3.8-live");
  CHECK_FALSE(live::read_setup(R"({"clientContent":{}})").ok);
  CHECK_FALSE(live::read_setup("not json").ok);
  CHECK_FALSE(live::read_setup(R"({"setup":{}})").ok);
  s = live::read_setup(R"({"setup":{"model":"models/../x"}})");
  CHECK_FALSE(s.ok);
  CHECK(s.model.empty());
  CHECK_FALSE(s.message.empty());
}

TEST_CASE("live: close codes and reasons before setupComplete judge the key", "[live]") {
  const int64_t now = 1'700'000'000'000;
  Verdict v = live::judge_close(1007, "API key not valid. Please pass a valid API key.", now);
  CHECK(v.outcome == Outcome::key_invalid);
  CHECK(v.retry);
  CHECK(v.action == KeyAction::disable);

  v = live::judge_close(1008, "Your API key was reported as leaked. Please use another API key.", now);
  CHECK(v.outcome == Outcome::key_leaked);
  CHECK(v.action == KeyAction::disable);

  v = live::judge_close(
      1008, "Permission denied: Consumer 'api_key:AIzaSyA1234567890123456789012345678901' has been suspended.", now);
  CHECK(v.outcome == Outcome::key_suspended);
  CHECK(v.message.find("AIzaSyA1234567890123456789012345678901") == std::string::npos);

  v = live::judge_close(
      1011, "You exceeded your current quota, please check your plan and billing details. For more inform", now);
  CHECK(v.outcome == Outcome::quota_other);
  CHECK(v.retry);
  CHECK(v.action == KeyAction::cooldown);
  CHECK(v.until_ms == now + kDefaultQuotaCooldownMs);

  v = live::judge_close(1011, "Internal error encountered.", now);
  CHECK(v.outcome == Outcome::server_error);
  CHECK(v.retry);
  CHECK(v.backoff);
  CHECK(v.action == KeyAction::none);

  v = live::judge_close(1006, "", now);
  CHECK(v.outcome == Outcome::server_error);

  v = live::judge_close(1008, "User location is not supported for the API use.", now);
  CHECK(v.outcome == Outcome::location);
  CHECK_FALSE(v.retry);
}

TEST_CASE("live: a reason that merely quotes the client never blames a key", "[live]") {
  const int64_t now = 0;
  // The client's own text inside Google's answer (an unknown field, a model name).
  for (const char* reason :
       {"Invalid JSON payload received. Unknown name \"API key not valid. Please pass a valid API key.\"",
        "models/API key not valid is not found for API version v1beta",
        "API key not valid. Please pass a valid API key. ", "Request contains an invalid argument."}) {
    INFO(reason);
    const Verdict v = live::judge_close(1007, reason, now);
    CHECK(v.outcome == Outcome::client_error);
    CHECK_FALSE(v.retry);
    CHECK(v.action == KeyAction::none);
  }
  // The right words under the wrong code are not the key's either.
  CHECK(live::judge_close(1008, "API key not valid. Please pass a valid API key.", now).outcome ==
        Outcome::client_error);
  CHECK(live::judge_close(1000, "", now).outcome == Outcome::client_error);
}

TEST_CASE("live: what the client is told when no attempt succeeded", "[live]") {
  live::ClientClose c = live::client_close(1007, "Request contains an invalid argument.");
  CHECK(c.code == 1007);
  CHECK(c.reason == "Request contains an invalid argument.");
  c = live::client_close(1006, "");
  CHECK(c.code == 1011);
  CHECK_FALSE(c.reason.empty());
  c = live::client_close(
      1008, "Permission denied: Consumer 'api_key:AIzaSyA1234567890123456789012345678901' has been suspended.");
  CHECK(c.reason.find("AIzaSyA12345") == std::string::npos);
  c = live::client_close(1011, std::string(200, 'x') + "\xc3\xa9");
  CHECK(c.reason.size() <= 123);
  c = live::client_close(1011, std::string(122, 'x') + "\xc3\xa9");
  CHECK(c.reason.size() == 122);  // never half a character
  CHECK(live::no_key_close(true, 2500).code == 1013);
  CHECK(live::no_key_close(true, 2500).reason.find("3 s") != std::string::npos);
  CHECK(live::no_key_close(false, 0).code == 1011);
}

TEST_CASE("live: usageMetadata of a server message", "[live]") {
  live::Usage u = live::read_usage(
      R"({"serverContent":{"turnComplete":true},"usageMetadata":{"promptTokenCount":120,"responseTokenCount":40,"thoughtsTokenCount":5,"totalTokenCount":165}})");
  CHECK(u.found);
  CHECK(u.prompt == 120);
  CHECK(u.response == 45);
  CHECK_FALSE(live::read_usage(R"({"serverContent":{}})").found);
  CHECK_FALSE(live::read_usage("garbage").found);
  CHECK(live::read_usage(R"({"usageMetadata":{"promptTokenCount":-5}})").prompt == 0);
}
