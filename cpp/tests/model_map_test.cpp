#include "balancer/model_map.h"

#include <catch2/catch.hpp>

TEST_CASE("wildcard patterns match whole names, ignoring case", "[model_map]") {
  CHECK(bal::wildcard_match("claude-*", "claude-sonnet-4-5"));
  CHECK(bal::wildcard_match("claude-*haiku*", "Claude-3-5-Haiku-20241022"));
  CHECK(bal::wildcard_match("*", ""));
  CHECK(bal::wildcard_match("a*b*c", "axxbyyc"));
  CHECK_FALSE(bal::wildcard_match("a*b*c", "axxbyy"));
  CHECK_FALSE(bal::wildcard_match("tts-1", "tts-1-hd"));
  CHECK(bal::wildcard_match("tts-1*", "tts-1-hd"));
}

TEST_CASE("MODEL_MAP pairs come first, then the built-in map", "[model_map]") {
  bal::ModelMap m;
  CHECK(m.map("claude-sonnet-4-5-20250929") == "gemini-3.8-flash");
  CHECK(m.map("claude-3-5-haiku-latest") == "gemini-3.5-flash-lite");
  CHECK(m.map("dall-e-3") == "gemini-3.1-flash-image");
  CHECK(m.map("gpt-image-1") == "gemini-3.1-flash-image");
  CHECK(m.map("tts-1") == "gemini-3.8-flash-lite-tts");
  CHECK(m.map("gpt-4o-mini-tts") == "gemini-3.8-flash-lite-tts");
  CHECK(m.map("whisper-1") == "gemini-3.5-flash-lite");
  CHECK(m.map("gpt-4o-mini-transcribe") == "gemini-3.5-flash-lite");
  CHECK(m.map("tts-1-hd") == "gemini-3.8-flash-tts");
  CHECK(m.map("gemini-2.5-flash") == "gemini-2.5-flash");
  CHECK(m.map("some-other-model") == "some-other-model");
  CHECK_FALSE(m.maps("gemini-2.5-flash"));

  CHECK(m.assign(" claude-*haiku*=gemini-2.5-flash-lite , bad, =x, y=, gpt-4o = gemini-2.5-pro") == 2);
  CHECK(m.map("claude-haiku-4-5") == "gemini-2.5-flash-lite");
  CHECK(m.map("claude-opus-4-1") == "gemini-3.8-flash");  // the built-in pair
  CHECK(m.map("GPT-4o") == "gemini-2.5-pro");
  // A Gemini name is never mapped, whatever the pairs say.
  m.assign("gemini-*=gemini-2.5-pro");
  CHECK(m.map("gemini-2.5-flash") == "gemini-2.5-flash");
}
