// path.h — checking request paths before anything is forwarded upstream.
//
// The Worker hands over the path exactly as the client sent it (still percent-encoded).
// A path is refused when it could step outside the Gemini API's path families: dot
// segments, encoded dots or slashes, backslashes, empty segments, control characters, or
// anything that is not an origin-relative path.
#pragma once

#include <string>
#include <string_view>

namespace bal {

// True when `path` is a plain absolute path safe to forward as it is.
bool is_safe_path(std::string_view path);

// Removes every `key=` parameter from a raw query string, keeping the others byte for byte.
// Returns the value of the last `key=` seen in `*key_value` (still percent-encoded) if asked.
std::string strip_key_param(std::string_view query, std::string* key_value = nullptr);

// Decodes %XX escapes ('+' is left alone); invalid escapes are kept as they are.
std::string percent_decode(std::string_view s);

}  // namespace bal
