// keys.h — what a Gemini API key looks like, reading key lists people paste, and masking.
//
//   auto r = bal::parse_key_list(R"({"keys": ["AIza...", "junk"]})");
//   // r.keys: well-formed, trimmed, first occurrence kept; r.duplicates: repeats in the input;
//   // r.rejected: entries that are not keys (shortened and masked, safe to show).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace bal {

inline constexpr size_t kKeyLength = 39;  // "AIza" + 35 characters
inline constexpr size_t kMaxKeysPerRequest = 20000;

// "AIza" followed by exactly 35 characters of [A-Za-z0-9_-].
bool is_well_formed_key(std::string_view s);

// "AIzaSy…WXYZ": never more than the first six and last four characters.
std::string mask_key(std::string_view key);

struct KeyList {
  std::vector<std::string> keys;      // well-formed, unique, in input order
  size_t duplicates = 0;              // repeats of a key already in `keys`
  std::vector<std::string> rejected;  // entries that are not keys, safe to display
  bool too_many = false;              // more than kMaxKeysPerRequest entries
  bool bad_json = false;              // looked like JSON but was not valid, or wrong shape
};

// Accepts a JSON object {"keys": [...] | "text"}, a JSON array of strings, or plain text with
// keys separated by new lines, commas, semicolons or white space.
KeyList parse_key_list(std::string_view body);

// Finds every well-formed key inside free text (a pasted log, a .env file...), unique, in order.
std::vector<std::string> extract_keys(std::string_view text);

}  // namespace bal
