#include "balancer/base64.h"

#include <array>
#include <cstdint>
#include <cstring>

namespace bal::base64 {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr uint8_t kInvalid = 0xff;

constexpr std::array<uint8_t, 256> make_table() {
  std::array<uint8_t, 256> t{};
  for (auto& v : t) v = kInvalid;
  for (uint8_t i = 0; i < 64; ++i) t[static_cast<uint8_t>(kAlphabet[i])] = i;
  t['-'] = 62;  // the URL-safe alphabet
  t['_'] = 63;
  return t;
}

constexpr std::array<uint8_t, 256> kTable = make_table();

// Every 12-bit value's two characters, in output order: one lookup writes two characters,
// which halves the lookups of the encoder's inner loop. Built on first use rather than
// stored: as data it was 8 KB of the module that gzip shrank only to 6 KB.
const char* pairs() {
  static std::array<char, 8192> table{};  // zero until filled; then table[0] is 'A'
  if (table[0] == 0) {
    for (size_t i = 0; i < 4096; ++i) {
      table[2 * i] = kAlphabet[i >> 6];
      table[2 * i + 1] = kAlphabet[i & 63];
    }
  }
  return table.data();
}

}  // namespace

void encode(std::string_view bytes, std::string& out) {
  const size_t start = out.size();
  out.resize(start + encoded_size(bytes.size()));
  char* w = out.data() + start;
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  const char* const table = pairs();
  size_t n = bytes.size();
  for (; n >= 6; n -= 6, p += 6) {
    const uint32_t a = (uint32_t{p[0]} << 16) | (uint32_t{p[1]} << 8) | p[2];
    const uint32_t b = (uint32_t{p[3]} << 16) | (uint32_t{p[4]} << 8) | p[5];
    std::memcpy(w, &table[2 * (a >> 12)], 2);
    std::memcpy(w + 2, &table[2 * (a & 0xfff)], 2);
    std::memcpy(w + 4, &table[2 * (b >> 12)], 2);
    std::memcpy(w + 6, &table[2 * (b & 0xfff)], 2);
    w += 8;
  }
  for (; n >= 3; n -= 3, p += 3) {
    const uint32_t v = (uint32_t{p[0]} << 16) | (uint32_t{p[1]} << 8) | p[2];
    std::memcpy(w, &table[2 * (v >> 12)], 2);
    std::memcpy(w + 2, &table[2 * (v & 0xfff)], 2);
    w += 4;
  }
  if (n > 0) {
    const uint32_t v = (uint32_t{p[0]} << 16) | (n == 2 ? uint32_t{p[1]} << 8 : 0);
    w[0] = kAlphabet[v >> 18];
    w[1] = kAlphabet[(v >> 12) & 63];
    w[2] = n == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    w[3] = '=';
  }
}

bool decode(std::string_view text, std::string& out) {
  size_t len = text.size();
  // Up to two '=' at the very end; none anywhere else.
  if (len > 0 && text[len - 1] == '=') --len;
  if (len > 0 && text[len - 1] == '=') --len;
  if (len % 4 == 1) return false;
  const size_t start = out.size();
  out.resize(start + len / 4 * 3 + (len % 4 == 0 ? 0 : len % 4 - 1));
  auto* w = reinterpret_cast<uint8_t*>(out.data() + start);
  const auto* p = reinterpret_cast<const uint8_t*>(text.data());
  size_t i = 0;
  for (; i + 4 <= len; i += 4) {
    const uint8_t a = kTable[p[i]], b = kTable[p[i + 1]], c = kTable[p[i + 2]], d = kTable[p[i + 3]];
    if (((a | b | c | d) & 0xc0) != 0) {  // kInvalid has the top bits set
      out.resize(start);
      return false;
    }
    const uint32_t v = (uint32_t{a} << 18) | (uint32_t{b} << 12) | (uint32_t{c} << 6) | d;
    w[0] = static_cast<uint8_t>(v >> 16);
    w[1] = static_cast<uint8_t>(v >> 8);
    w[2] = static_cast<uint8_t>(v);
    w += 3;
  }
  const size_t rest = len - i;
  if (rest > 0) {
    const uint8_t a = kTable[p[i]], b = kTable[p[i + 1]], c = rest == 3 ? kTable[p[i + 2]] : 0;
    if (((a | b | c) & 0xc0) != 0) {
      out.resize(start);
      return false;
    }
    const uint32_t v = (uint32_t{a} << 18) | (uint32_t{b} << 12) | (uint32_t{c} << 6);
    w[0] = static_cast<uint8_t>(v >> 16);
    if (rest == 3) w[1] = static_cast<uint8_t>(v >> 8);
  }
  return true;
}

}  // namespace bal::base64
