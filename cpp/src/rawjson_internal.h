// rawjson_internal.h — byte-level helpers shared by the reader (rawjson.cpp) and the value
// accessors and writer (rawjson_value.cpp). Not part of the public API.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

namespace bal::raw::detail {

constexpr uint64_t kOnes = 0x0101010101010101ull;
constexpr uint64_t kHighs = 0x8080808080808080ull;

constexpr bool is_special(unsigned char c) {
  return c == '"' || c == '\\' || c < 0x20 || c >= 0x80;
}

// Index of the first byte at or after `i` that is '"', '\\', a control byte or non-ASCII; `n`
// when there is none. Sixteen bytes per step with Wasm SIMD, else eight (SWAR): a long
// base64 string costs about as much as memchr. In the SWAR form the lowest flagged byte is
// always a true hit (borrows only run upwards), and the little-endian load puts the first
// byte of the text in the lowest lane.
inline size_t find_special(const char* p, size_t i, size_t n) {
#ifdef __wasm_simd128__
  const v128_t quote = wasm_i8x16_splat('"');
  const v128_t slash = wasm_i8x16_splat('\\');
  while (i + 16 <= n) {
    const v128_t w = wasm_v128_load(p + i);
    // Outside 0x20..0x7F (a control byte or non-ASCII): w - 0x20, wrapping, is 0x60 or more.
    const v128_t other = wasm_u8x16_gt(wasm_i8x16_sub(w, wasm_i8x16_splat(0x20)), wasm_i8x16_splat(0x5F));
    const v128_t hit = wasm_v128_or(wasm_v128_or(wasm_i8x16_eq(w, quote), wasm_i8x16_eq(w, slash)), other);
    if (wasm_v128_any_true(hit)) return i + static_cast<size_t>(__builtin_ctz(wasm_i8x16_bitmask(hit)));
    i += 16;
  }
#endif
  while (i + 8 <= n) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    const uint64_t q = w ^ (kOnes * '"');
    const uint64_t b = w ^ (kOnes * '\\');
    const uint64_t mask = (((q - kOnes) & ~q) | ((b - kOnes) & ~b) | ((w - kOnes * 0x20) & ~w) | w) & kHighs;
    if (mask != 0) return i + static_cast<size_t>(__builtin_ctzll(mask) >> 3);
    i += 8;
  }
  while (i < n && !is_special(static_cast<unsigned char>(p[i]))) ++i;
  return i;
}

// Length of the well-formed UTF-8 sequence at `s` (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF), or 0 when it is malformed or cut short.
inline size_t utf8_sequence(const unsigned char* s, size_t avail) {
  const unsigned char c = s[0];
  if (c < 0x80) return 1;
  size_t len = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;  // below: overlong
    if (c == 0xED) hi = 0x9F;  // above: UTF-16 surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;  // below: overlong
    if (c == 0xF4) hi = 0x8F;  // above: beyond U+10FFFF
  } else {
    return 0;
  }
  if (avail < len || s[1] < lo || s[1] > hi) return 0;
  for (size_t k = 2; k < len; ++k) {
    if ((s[k] & 0xC0) != 0x80) return 0;
  }
  return len;
}

inline int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The four hex digits at p[0..3], or -1.
inline long hex4(const char* p) {
  long v = 0;
  for (int k = 0; k < 4; ++k) {
    const int h = hex_value(p[k]);
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

inline void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

struct Escape {
  char raw;
  char written;
};
// The one-letter escapes of RFC 8259, both ways.
constexpr Escape kEscapes[] = {{'"', '"'},  {'\\', '\\'}, {'/', '/'},  {'\b', 'b'},
                               {'\f', 'f'}, {'\n', 'n'},  {'\r', 'r'}, {'\t', 't'}};

}  // namespace bal::raw::detail
