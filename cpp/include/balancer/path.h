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

// Google reads credentials and method overrides from the query as system parameters, under
// a name that it percent-decodes ("%6bey" is "key") and may write with a '$' in front ("$key").
// The names, compared that way and ignoring case, that never travel from a client to Google:
// credentials (key, access_token, oauth_token, bearer_token, passwd, password), overrides of
// the HTTP method ($httpMethod, $method) and of the project billed (userProject).
bool is_withheld_param(std::string_view raw_name);

// Removes every withheld parameter (above) from a raw query string, keeping the others byte
// for byte and in order. Returns in `*key_value` the value of the last parameter whose decoded
// name is exactly "key" (the client's token; still percent-encoded) if asked.
std::string strip_system_params(std::string_view query, std::string* key_value = nullptr);

// Decodes %XX escapes ('+' is left alone); invalid escapes are kept as they are.
std::string percent_decode(std::string_view s);

}  // namespace bal
