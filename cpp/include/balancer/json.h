// json.h — nlohmann/json without exceptions, and the few typed accessors the core uses.
// Every access checks the type first: the core never traps on a wrong-typed field.
#pragma once

#ifndef JSON_NOEXCEPTION
#define JSON_NOEXCEPTION
#endif
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace bal {

using json = nlohmann::json;

// Bounds checked before a parse: nlohmann builds the whole tree in memory and copies and
// dumps it recursively, so a body of 100000 '[' or a million-item array would exhaust the
// Wasm stack or heap, and Wasm memory never shrinks once grown. Real request and error
// bodies stay far inside these.
struct JsonLimits {
  uint32_t max_depth = 64;         // arrays/objects nested deeper are refused (the root counts)
  uint32_t max_items = 100000;     // elements of one array, or members of one object
  uint32_t max_values = 1u << 18;  // values in all (an object member counts once)
};

enum class JsonShape { ok, too_deep, too_many_items, too_many_values };

// A linear scan (strings and escapes skipped) that checks `text` against `limits` without
// building anything. Values are counted from the text's structure (each container and each
// separator starts at most one), so the count never falls short of a valid document's.
// Malformed JSON is left for the parser to refuse.
JsonShape check_json_shape(std::string_view text, const JsonLimits& limits = {});

// Parses without throwing; a discarded value (is_discarded()) means malformed input, or
// input beyond `limits`. The project's own reader (rawjson.h) checks the text and the tree is
// built from its values, as nlohmann's parser would build it (a leading UTF-8 byte order mark
// skipped; integers as int64 or uint64 while they fit, other numbers as double; the last of
// duplicate keys wins): nlohmann's lexer and parser are not compiled in.
json parse_json(std::string_view text, const JsonLimits& limits = {});

// True when `text` is well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
bool is_valid_utf8(std::string_view text);

// Serialises compactly, byte for byte as j.dump(-1, ' ', false, error_handler_t::replace)
// would (doubles in nlohmann's shortest form, non-finite ones as null); invalid UTF-8 in
// strings is replaced, never a trap. Written here so that nlohmann's serializer, and the
// printf it formats escapes with, are not compiled in.
std::string dump_json(const json& j);

// Appends a double as dump_json writes one: the shortest text that reads back to it ("0.7",
// "1.0", "1e+100"), null when not finite.
void append_double(std::string& out, double v);

inline const json* get_field(const json& j, std::string_view key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

inline std::string_view get_string(const json& j, std::string_view key, std::string_view fallback = {}) {
  const json* f = get_field(j, key);
  if (f == nullptr || !f->is_string()) return fallback;
  return f->get_ref<const std::string&>();
}

inline std::optional<double> get_number(const json& j, std::string_view key) {
  const json* f = get_field(j, key);
  if (f == nullptr || !f->is_number()) return std::nullopt;
  return f->get<double>();
}

// JavaScript times (Date.now()): a Date holds at most ±8.64e15 ms, which leaves room to add any
// cooldown or lifetime to a time without overflowing int64.
inline constexpr int64_t kMaxTimeMs = 8'640'000'000'000'000;
// The largest integer a JavaScript number holds exactly: counts the core hands back.
inline constexpr int64_t kMaxSafeInteger = (int64_t{1} << 53) - 1;

// A number field as an integer, clamped to [lo, hi]; `fallback` when absent or not a number.
// A header is whatever JSON the caller sent, and casting a double outside the integer's range
// is undefined behaviour (1e300 is a valid JSON number).
inline int64_t get_int(const json& j, std::string_view key, int64_t fallback, int64_t lo = INT64_MIN,
                       int64_t hi = INT64_MAX) {
  const std::optional<double> v = get_number(j, key);
  if (!v) return fallback;
  // Compared as doubles: (double)INT64_MAX rounds up to 2^63, so below it the cast is exact.
  if (!(*v > static_cast<double>(lo))) return lo;
  if (!(*v < static_cast<double>(hi))) return hi;
  return static_cast<int64_t>(*v);
}

inline bool get_bool(const json& j, std::string_view key, bool fallback = false) {
  const json* f = get_field(j, key);
  if (f == nullptr || !f->is_boolean()) return fallback;
  return f->get<bool>();
}

}  // namespace bal
