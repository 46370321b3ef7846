// model_map.h — MODEL_MAP: foreign model names (claude-*, gpt-*, tts-1, dall-e-* …) to Gemini.
//
// MODEL_MAP is an ordered, comma-separated list of `pattern=model` pairs; `*` in a pattern
// matches any run of characters, and matching ignores case. The first matching pair wins,
// then the built-in map (kBuiltinModelMap). A name that starts with "gemini-", "imagen-" or
// "models/" is never mapped: it is already Gemini's.
//
//   bal::ModelMap m;
//   m.assign("claude-*-haiku-*=gemini-2.5-flash-lite, gpt-4o=gemini-2.5-pro");
//   m.map("claude-3-5-haiku-20241022") == "gemini-2.5-flash-lite"
//   m.map("claude-sonnet-4-5")         == "gemini-3.8-flash"    (built in)
//   m.map("gemini-2.5-flash")          == "gemini-2.5-flash"
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace bal {

// The built-in pairs, after the user's. Documented in the README. All are the Gemini API's GA
// models of December 2026: gemini-2.5-pro and gemini-2.5-flash were retired on 1 December
// 2026, and Claude names follow the replacements Google named for them (gemini-3.8-flash for
// 2.5 Pro, gemini-3.5-flash-lite for 2.5 Flash); gemini-2.5-flash-image and the 2.5 TTS
// previews are shut down or scheduled to be.
inline constexpr std::string_view kBuiltinModelMap =
    "claude-*haiku*=gemini-3.5-flash-lite,"
    "claude-*=gemini-3.8-flash,"
    "gpt-image-*=gemini-3.1-flash-image,"
    "dall-e-*=gemini-3.1-flash-image,"
    "tts-1-hd*=gemini-3.8-flash-tts,"
    "tts-1*=gemini-3.8-flash-lite-tts,"
    "gpt-4o-mini-tts*=gemini-3.8-flash-lite-tts,"
    "whisper-*=gemini-3.5-flash-lite,"
    "gpt-4o*-transcribe*=gemini-3.5-flash-lite,"
    "text-embedding-3-*=gemini-embedding-001,"
    "text-embedding-ada-*=gemini-embedding-001";

class ModelMap {
 public:
  ModelMap() { assign({}); }
  // Replaces the user's pairs (malformed pairs, without '=' or with an empty side, are
  // skipped). Returns the number of pairs read.
  size_t assign(std::string_view spec);
  // The Gemini model for `name`: the first matching pair's model, else `name` itself.
  std::string map(std::string_view name) const;
  // Whether `name` matched a pair (and so was mapped).
  bool maps(std::string_view name) const;

 private:
  struct Pair {
    std::string pattern;  // lower case
    std::string model;
  };
  const Pair* find(std::string_view name) const;
  std::vector<Pair> pairs_;  // the user's, then the built-in ones
};

// `*`-wildcard match, ASCII case-insensitive.
bool wildcard_match(std::string_view pattern, std::string_view text);

}  // namespace bal
