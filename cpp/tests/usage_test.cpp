#include "balancer/usage.h"

#include <catch2/catch.hpp>

#include "balancer/json.h"

TEST_CASE("usage comes from the last complete usageMetadata", "[usage]") {
  const std::string sse =
      "data: {\"candidates\":[],\"usageMetadata\":{\"promptTokenCount\":3,\"candidatesTokenCount\":1}}\r\n\r\n"
      "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"}{\\\"\"}]}}],\"usageMetadata\":"
      "{\"promptTokenCount\":7,\"candidatesTokenCount\":20,\"thoughtsTokenCount\":5,\"cachedContentTokenCount\":2,"
      "\"totalTokenCount\":32}}\r\n\r\n";
  const auto u = bal::usage_from_tail(sse);
  REQUIRE(u);
  CHECK(u->prompt_tokens == 7);
  CHECK(u->completion_tokens == 25);
  CHECK(u->thoughts_tokens == 5);
  CHECK(u->cached_tokens == 2);
}

TEST_CASE("a cut-off last usageMetadata falls back to an earlier one", "[usage]") {
  const std::string tail =
      "\"usageMetadata\":{\"promptTokenCount\":4,\"candidatesTokenCount\":2}}\n"
      "data: {\"usageMetadata\":{\"promptTokenCount\":9,\"candi";
  const auto u = bal::usage_from_tail(tail);
  REQUIRE(u);
  CHECK(u->prompt_tokens == 4);
}

TEST_CASE("the Interactions API's usage, when there is no usageMetadata", "[usage]") {
  const std::string completed =
      R"(data: {"event_type": "interaction.completed", "interaction": {"id": "v1_a", "usage": {"total_input_tokens": 12, )"
      R"("total_output_tokens": 5, "total_thought_tokens": 3, "total_cached_tokens": 2, "total_tokens": 20}}})";
  const auto u = bal::usage_from_tail(completed + "\n\ndata: [DONE]\n\n");
  REQUIRE(u);
  CHECK(u->prompt_tokens == 12);
  CHECK(u->completion_tokens == 8);
  CHECK(u->thoughts_tokens == 3);
  CHECK(u->cached_tokens == 2);
  // A "usage" that is not the Interactions API's teaches nothing.
  CHECK_FALSE(bal::usage_from_tail(R"({"usage": {"prompt_tokens": 4}})"));
}

TEST_CASE("no usage in the tail", "[usage]") {
  CHECK_FALSE(bal::usage_from_tail(""));
  CHECK_FALSE(bal::usage_from_tail("{\"candidates\":[]}"));
  CHECK_FALSE(bal::usage_from_tail("\"usageMetadata\": 5"));
  CHECK_FALSE(bal::usage_from_tail("\"usageMetadata\": {\"a\": [1, 2"));
}

TEST_CASE("complete and truncated answers", "[usage]") {
  const std::string last = "data: {\"candidates\":[{\"finishReason\":\"STOP\"}]}";
  CHECK(bal::answer_complete("data: {\"a\":1}\r\n\r\n" + last + "\r\n\r\n", true));
  CHECK(bal::answer_complete(last + "\n\n", true));
  CHECK(bal::answer_complete("data: {\"promptFeedback\":{\"blockReason\":\"SAFETY\"}}\r\n\r\n", true));
  CHECK_FALSE(bal::answer_complete(last, true));
  CHECK_FALSE(bal::answer_complete(last + "\r\n", true));
  CHECK_FALSE(bal::answer_complete(last + "\r\n\r\ndata: {\"candidates\":[{\"content\":1}]}\r\n\r\n", true));
  CHECK_FALSE(bal::answer_complete("", true));
  // The Interactions API: its last state, then [DONE]; a stream cut before them is not over.
  const std::string created = "event: interaction.created\ndata: {\"event_type\": \"interaction.created\"}\n\n";
  const std::string done = "event: interaction.completed\ndata: {\"event_type\": \"interaction.completed\"}\n\n";
  CHECK(bal::answer_complete(created + done, true));
  CHECK(bal::answer_complete(created + done + "data: [DONE]\n\n", true));
  CHECK(bal::answer_complete(created + "data:[DONE]\r\n\r\n", true));
  CHECK_FALSE(bal::answer_complete(created, true));
  CHECK_FALSE(bal::answer_complete(created + "data: [DONE] and more\n\n", true));
  CHECK_FALSE(bal::answer_complete("data: {\"text\": \"say \\\"interaction.completed\\\"\"}\n\n", true));
  CHECK(bal::answer_complete("{\"candidates\":[]}\n", false));
  CHECK(bal::answer_complete("[{\"a\":1}]", false));
  CHECK_FALSE(bal::answer_complete("{\"candidates\":[", false));
  CHECK_FALSE(bal::answer_complete("", false));
}

TEST_CASE("counts far past int64 are clamped, not cast (fuzz regression)", "[usage]") {
  // tests/fuzz-corpus/usage/regression-huge-counts: 1e300 and 9e18 + 9e18 were undefined behaviour.
  const auto u = bal::usage_from_tail(
      R"({"usageMetadata": {"promptTokenCount": 1e300, "candidatesTokenCount": 9e18, "thoughtsTokenCount": 9e18}})");
  REQUIRE(u);
  CHECK(u->prompt_tokens == bal::kMaxSafeInteger);
  CHECK(u->completion_tokens == 2 * bal::kMaxSafeInteger);
  CHECK(bal::usage_from_tail(R"({"usageMetadata": {"promptTokenCount": -1e300}})")->prompt_tokens == 0);
}
