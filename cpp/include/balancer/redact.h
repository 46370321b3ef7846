// redact.h — removes Gemini keys from text before it is returned to a client or logged.
//
//   bal::redact("Consumer 'api_key:AIzaSyA...xyz' has been suspended")
//     == "Consumer 'api_key:AIzaSy…[redacted]' has been suspended"
//
// Keys are found in the text as written and as a reader would decode it: any character of a
// key may be a JSON escape ("\u0041IzaSy...", as a raw JSON body carries it) or a
// percent-escape ("%41IzaSy...", "AIza%53y...", as a URL or a form carries it).
#pragma once

#include <string>
#include <string_view>

namespace bal {

// Replaces
//   - every run that starts with "AIza" and has at least 10 more key characters (a whole
//     key, or enough of one to matter) with its first six characters and a marker, and
//   - the value after "api_key:" or "api_key=" (any case; Google's consumer names and some
//     logs use these forms) when it is at least 8 key characters, whatever it looks like.
inline constexpr std::string_view kRedactionMarker = "…[redacted]";
std::string redact(std::string_view text, std::string_view marker = kRedactionMarker);

// True when `text` holds such a run (what redact() would change).
bool contains_key_material(std::string_view text);

}  // namespace bal
