// fuzz_support.h — what the fuzz targets share: invariant checks that libFuzzer reports as
// crashes (with the failed condition), and the checks several targets make on their output.
//
// Each target's input format is mirrored in tests/fuzz/formats.mjs (seed corpora, and the
// replay through the Wasm module): change both together.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "balancer/keys.h"
#include "balancer/rawjson.h"

// abort() rather than assert(): the check must stay on whatever NDEBUG says, and libFuzzer
// saves the input of any deadly signal as a crash artifact.
#define FUZZ_CHECK(cond)                                                                      \
  do {                                                                                        \
    if (!(cond)) {                                                                            \
      std::fprintf(stderr, "fuzz invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                                           \
    }                                                                                         \
  } while (0)

namespace fuzz {

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

inline bool is_json(std::string_view text) {
  bal::raw::document doc;
  return doc.parse(text) == bal::raw::success;
}

// An OpenAI error body ({"error": ...}) carries an upstream message, which must have been
// redacted: no whole key may survive in it.
inline void check_error_body_has_no_key(std::string_view body) {
  if (body.substr(0, 9) != "{\"error\":") return;
  FUZZ_CHECK(bal::extract_keys(body).empty());
}

// Well-formed UTF-8 (RFC 3629): what append_escaped must hand back unchanged after a round trip.
inline bool is_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = 0;
    unsigned cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      n = 1, cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2, cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    for (size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return false;
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3f);
    }
    static constexpr unsigned kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}

}  // namespace fuzz
