#include "balancer/redact.h"

namespace bal {
namespace {

constexpr size_t kMinTail = 10;     // key characters after "AIza"
constexpr size_t kMinLabelled = 8;  // key characters after "api_key:"
constexpr size_t kKeptPrefix = 6;   // "AIzaSy": enough to tell a reader what was there
constexpr std::string_view kMarker = "…[redacted]";

bool is_key_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

size_t run_end(std::string_view text, size_t from) {
  while (from < text.size() && is_key_char(text[from])) ++from;
  return from;
}

// "api_key:" or "api_key=" in any case, at `at`.
bool labelled_at(std::string_view text, size_t at) {
  constexpr std::string_view kLabel = "api_key";
  if (at + kLabel.size() + 1 > text.size()) return false;
  for (size_t i = 0; i < kLabel.size(); ++i) {
    if (lower(text[at + i]) != kLabel[i]) return false;
  }
  const char sep = text[at + kLabel.size()];
  return sep == ':' || sep == '=';
}

// A part of the text to hide: [keep_end, end) is replaced by the marker.
struct Span {
  size_t keep_end = 0;
  size_t end = 0;
};

// The first span to hide at or after `from`; false when there is none.
bool next_span(std::string_view text, size_t from, Span& out) {
  for (size_t at = from; at < text.size(); ++at) {
    if (text[at] == 'A' && text.compare(at, 4, "AIza") == 0) {
      const size_t end = run_end(text, at + 4);
      if (end - at - 4 >= kMinTail) {
        out = {at + kKeptPrefix, end};
        return true;
      }
    } else if ((text[at] == 'a' || text[at] == 'A') && labelled_at(text, at)) {
      const size_t value = at + 8;
      const size_t end = run_end(text, value);
      // A value that is itself an AIza key is left to the rule above (it keeps a prefix).
      const bool aiza = text.compare(value, 4, "AIza") == 0 && end - value - 4 >= kMinTail;
      if (!aiza && end - value >= kMinLabelled) {
        out = {value, end};
        return true;
      }
    }
  }
  return false;
}

}  // namespace

std::string redact(std::string_view text) {
  Span span;
  if (!next_span(text, 0, span)) return std::string(text);
  std::string out;
  out.reserve(text.size());
  size_t copied = 0;
  do {
    out.append(text.substr(copied, span.keep_end - copied));
    out.append(kMarker);
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
