// Thought signatures carried in a reasoning item's encrypted_content, and item ids.
//
// The value is versioned ("gbr1.") and self-checking only in form: it is not a secret, since
// it holds nothing but what Gemini returned to this client. A value that is not one of ours
// (another provider's, cut, edited) is refused with a clear 400 rather than passed on.
#include <array>

#include "internal.h"

namespace bal::responses::detail {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Signatures are a few hundred bytes to some kilobytes; anything far larger is not ours.
constexpr size_t kMaxCarryBytes = size_t{4} << 20;

void base64url(std::string_view in, std::string& out) {
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t v =
        (static_cast<uint8_t>(in[i]) << 16) | (static_cast<uint8_t>(in[i + 1]) << 8) | static_cast<uint8_t>(in[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i + 1 == in.size()) {
    const uint32_t v = static_cast<uint8_t>(in[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
  } else if (i + 2 == in.size()) {
    const uint32_t v = (static_cast<uint8_t>(in[i]) << 16) | (static_cast<uint8_t>(in[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
  }
}

std::array<int8_t, 256> decode_table() {
  std::array<int8_t, 256> t{};
  t.fill(-1);
  for (int i = 0; i < 64; ++i) t[static_cast<uint8_t>(kAlphabet[i])] = static_cast<int8_t>(i);
  return t;
}

// Unpadded base64url only: one spelling per value.
bool unbase64url(std::string_view in, std::string& out) {
  static const std::array<int8_t, 256> table = decode_table();
  if (in.size() % 4 == 1) return false;
  uint32_t acc = 0;
  int bits = 0;
  for (const char c : in) {
    const int8_t v = table[static_cast<uint8_t>(c)];
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  // The bits left over must be zero, or two texts would decode alike.
  return (acc & ((1u << bits) - 1)) == 0;
}

void append_hex(std::string& out, uint64_t v) {
  constexpr char kHex[] = "0123456789abcdef";
  for (int shift = 60; shift >= 0; shift -= 4) out += kHex[(v >> shift) & 15];
}

bool parse_hex(std::string_view s, uint64_t& v) {
  if (s.size() != 16) return false;
  v = 0;
  for (const char c : s) {
    int d = -1;
    if (c >= '0' && c <= '9') d = c - '0';
    if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    if (d < 0) return false;
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  return true;
}

bool is_pair(raw::value p) {
  if (!p.is_array() || p.size() != 2) return false;
  auto it = p.items().begin();
  const raw::value a = *it;
  ++it;
  const raw::value b = *it;
  return a.is_string() && b.is_string() && !b.raw().empty();
}

}  // namespace

const std::string* Carry::call(std::string_view call_id) const {
  for (auto it = calls.rbegin(); it != calls.rend(); ++it) {
    if (it->first == call_id) return &it->second;
  }
  return nullptr;
}

const std::string* Carry::text(uint64_t fingerprint) const {
  for (auto it = texts.rbegin(); it != texts.rend(); ++it) {
    if (it->first == fingerprint) return &it->second;
  }
  return nullptr;
}

uint64_t text_fingerprint(std::string_view decoded) {
  uint64_t h = 14695981039346656037ull;
  for (const char c : decoded) {
    h ^= static_cast<uint8_t>(c);
    h *= 1099511628211ull;
  }
  return h;
}

std::string encode_carry(const Carry& c) {
  std::string json;
  {
    JsonOut out(json, 256);
    out.begin_object().key("c").begin_array();
    for (const auto& [id, sig] : c.calls) out.begin_array().string(id).escaped(sig).end_array();
    out.end_array().key("t").begin_array();
    for (const auto& [fingerprint, sig] : c.texts) {
      std::string hex;
      append_hex(hex, fingerprint);
      out.begin_array().string(hex).escaped(sig).end_array();
    }
    out.end_array();
    if (c.key_id) out.key("k").number(*c.key_id);
    out.end_object();
  }
  std::string s(kCarryPrefix);
  s.reserve(s.size() + json.size() * 4 / 3 + 4);
  base64url(json, s);
  return s;
}

bool decode_carry(std::string_view content, Carry& into) {
  if (content.size() > kMaxCarryBytes || content.substr(0, kCarryPrefix.size()) != kCarryPrefix) return false;
  std::string json;
  if (!unbase64url(content.substr(kCarryPrefix.size()), json)) return false;
  raw::document doc;
  if (doc.parse(json) != raw::success || !doc.root().is_object()) return false;
  const raw::value calls = doc.root().get("c");
  const raw::value texts = doc.root().get("t");
  const raw::value key = doc.root().get("k");
  if (!calls.is_array() || !texts.is_array()) return false;
  if (key.exists() && !key.as_int64()) return false;
  Carry add;
  for (raw::value p : calls.items()) {
    if (!is_pair(p)) return false;
    auto it = p.items().begin();
    std::string id = (*it).str();
    ++it;
    add.calls.emplace_back(std::move(id), std::string((*it).raw()));
  }
  for (raw::value p : texts.items()) {
    uint64_t fingerprint = 0;
    if (!is_pair(p)) return false;
    auto it = p.items().begin();
    if (!parse_hex((*it).raw(), fingerprint)) return false;
    ++it;
    add.texts.emplace_back(fingerprint, std::string((*it).raw()));
  }
  for (auto& c : add.calls) into.calls.push_back(std::move(c));
  for (auto& t : add.texts) into.texts.push_back(std::move(t));
  if (key.exists()) into.key_id = *key.as_int64();
  return true;
}

std::string encode_compaction(std::string_view escaped) {
  std::string text;
  raw::unescape(escaped, text);
  std::string s(kCompactionPrefix);
  s.reserve(s.size() + text.size() * 4 / 3 + 4);
  base64url(text, s);
  return s;
}

bool decode_compaction(std::string_view content, std::string& summary) {
  if (content.size() > kMaxCarryBytes || content.substr(0, kCompactionPrefix.size()) != kCompactionPrefix) return false;
  summary.clear();
  return unbase64url(content.substr(kCompactionPrefix.size()), summary) && raw::valid_utf8(summary);
}

std::string item_id(std::string_view prefix, std::string_view request_id, size_t n) {
  std::string s(prefix);
  s += '_';
  s += request_id;
  s += '_';
  s += std::to_string(n);
  return s;
}

}  // namespace bal::responses::detail
