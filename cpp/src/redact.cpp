#include "balancer/redact.h"

#include "balancer/ascii.h"

namespace bal {
namespace {

constexpr size_t kMinTail = 10;     // key characters after "AIza"
constexpr size_t kMinLabelled = 8;  // key characters after "api_key:"
constexpr size_t kKeptPrefix = 6;   // "AIzaSy": enough to tell a reader what was there

bool is_key_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

using ascii::lower;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = lower(c);
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

// One character of the text as a reader would decode it, and how many bytes it takes there:
// itself, a JSON escape of an ASCII character ("\u0041"), or a percent-escape ("%41").
struct Char {
  char c = 0;
  size_t len = 0;  // 0 at the end of the text
};

Char char_at(std::string_view text, size_t at) {
  if (at >= text.size()) return {};
  if (text[at] == '\\' && at + 6 <= text.size() && text[at + 1] == 'u' && text[at + 2] == '0' && text[at + 3] == '0') {
    const int hi = hex_value(text[at + 4]);
    const int lo = hex_value(text[at + 5]);
    if (hi >= 0 && hi < 8 && lo >= 0) return {static_cast<char>(hi * 16 + lo), 6};
  }
  if (text[at] == '%' && at + 3 <= text.size()) {
    const int hi = hex_value(text[at + 1]);
    const int lo = hex_value(text[at + 2]);
    if (hi >= 0 && hi < 8 && lo >= 0) return {static_cast<char>(hi * 16 + lo), 3};
  }
  return {text[at], 1};
}

// Reads `word` (compared in lower case when `fold`) from `at`; the end of it, or npos.
size_t match_at(std::string_view text, size_t at, std::string_view word, bool fold) {
  for (char w : word) {
    const Char c = char_at(text, at);
    if (c.len == 0 || (fold ? lower(c.c) : c.c) != w) return std::string_view::npos;
    at += c.len;
  }
  return at;
}

// Skips key characters from `at`; returns the end and how many were read.
size_t run_end(std::string_view text, size_t at, size_t* count) {
  *count = 0;
  for (Char c = char_at(text, at); c.len != 0 && is_key_char(c.c); c = char_at(text, at)) {
    at += c.len;
    ++*count;
  }
  return at;
}

// A part of the text to hide: [keep_end, end) is replaced by the marker.
struct Span {
  size_t keep_end = 0;
  size_t end = 0;
};

// "AIza" and at least kMinTail key characters at `at`, as written or escaped.
bool key_at(std::string_view text, size_t at, Span& out) {
  const size_t after = match_at(text, at, "AIza", false);
  if (after == std::string_view::npos) return false;
  size_t tail = 0;
  const size_t end = run_end(text, after, &tail);
  if (tail < kMinTail) return false;
  size_t keep = at;
  for (size_t i = 0; i < kKeptPrefix; ++i) keep += char_at(text, keep).len;
  out = {keep, end};
  return true;
}

// The value after "api_key:" or "api_key=" (any case) at `at`, when it is long enough.
bool labelled_at(std::string_view text, size_t at, Span& out) {
  size_t value = match_at(text, at, "api_key", true);
  if (value == std::string_view::npos) return false;
  const Char sep = char_at(text, value);
  if (sep.len == 0 || (sep.c != ':' && sep.c != '=')) return false;
  value += sep.len;
  Span key;
  // A value that is itself an AIza key is left to that rule (it keeps a prefix).
  if (key_at(text, value, key)) return false;
  size_t count = 0;
  const size_t end = run_end(text, value, &count);
  if (count < kMinLabelled) return false;
  out = {value, end};
  return true;
}

// The first span to hide at or after `from`; false when there is none.
bool next_span(std::string_view text, size_t from, Span& out) {
  for (size_t at = from; at < text.size(); ++at) {
    const char c = text[at];
    if (c != 'A' && c != 'a' && c != '%' && c != '\\') continue;
    if (key_at(text, at, out) || labelled_at(text, at, out)) return true;
  }
  return false;
}

}  // namespace

std::string redact(std::string_view text, std::string_view marker) {
  Span span;
  if (!next_span(text, 0, span)) return std::string(text);
  std::string out;
  out.reserve(text.size());
  size_t copied = 0;
  do {
    out.append(text.substr(copied, span.keep_end - copied));
    out.append(marker);
    copied = span.end;
  } while (next_span(text, copied, span));
  out.append(text.substr(copied));
  return out;
}

bool contains_key_material(std::string_view text) {
  Span span;
  return next_span(text, 0, span);
}

}  // namespace bal
