// base64.h — base64 for the media translators: uploads become inlineData (encode), Gemini's
// audio and images become the client's bytes (decode). Both write straight into one buffer
// sized up front: a 10 MB upload costs one allocation and one pass.
//
//   std::string out;
//   bal::base64::encode(bytes, out);          // appends "iVBORw0KGgo..."
//   if (!bal::base64::decode(text, out)) ...  // appends the bytes; false on a bad character
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace bal::base64 {

// The encoded size of n bytes (with padding).
constexpr size_t encoded_size(size_t n) {
  return (n + 2) / 3 * 4;
}

// Appends the standard base64 (RFC 4648 §4, padded) of `bytes` to `out`.
void encode(std::string_view bytes, std::string& out);

// Appends the bytes `text` encodes to `out`. Accepts the standard and the URL-safe alphabet,
// with or without padding; white space is not allowed. Returns false (and leaves `out` as it
// was) for any other character, misplaced padding or a lone trailing character.
bool decode(std::string_view text, std::string& out);

}  // namespace bal::base64
