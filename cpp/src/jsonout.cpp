// The JSON writer and span helpers shared by every translator (jsonout.h).
#include "balancer/jsonout.h"

#include <charconv>
#include <cstring>

namespace bal {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

// Walks validated JSON text, calling emit(c) for every byte that is not white space between
// tokens. Inside strings everything is kept, escapes included.
template <class Emit>
void for_each_significant(std::string_view text, Emit&& emit) {
  bool in_string = false;
  bool escape = false;
  for (char c : text) {
    if (in_string) {
      if (escape) {
        escape = false;
      } else if (c == '\\') {
        escape = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (is_space(c)) {
      continue;
    } else if (c == '"') {
      in_string = true;
    }
    emit(c);
  }
}

}  // namespace

JsonOut::JsonOut(std::string& s, size_t expected) : s_(s), len_(s.size()) {
  grow(expected);
}

void JsonOut::grow(size_t n) {
  const size_t want = len_ + n;
  size_t cap = cap_ < 64 ? 64 : cap_ * 2;
  if (cap < want) cap = want;
  s_.resize(cap);
  buf_ = s_.data();
  cap_ = cap;
}

void JsonOut::put(std::string_view v) {
  if (cap_ - len_ < v.size()) grow(v.size());
  std::memcpy(buf_ + len_, v.data(), v.size());
  len_ += v.size();
}

void JsonOut::separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (depth_ == 0 || depth_ > 64) return;
  const uint64_t bit = uint64_t{1} << (depth_ - 1);
  if (has_items_ & bit) put(',');
  has_items_ |= bit;
}

void JsonOut::open(char c) {
  separate();
  put(c);
  ++depth_;
  if (depth_ <= 64) has_items_ &= ~(uint64_t{1} << (depth_ - 1));
}

void JsonOut::close(char c) {
  put(c);
  --depth_;
}

JsonOut& JsonOut::begin_object() {
  open('{');
  return *this;
}

JsonOut& JsonOut::end_object() {
  close('}');
  return *this;
}

JsonOut& JsonOut::begin_array() {
  open('[');
  return *this;
}

JsonOut& JsonOut::end_array() {
  close(']');
  return *this;
}

JsonOut& JsonOut::key(std::string_view name) {
  separate();
  put('"');
  put(name);
  put('"');
  put(':');
  after_key_ = true;
  return *this;
}

JsonOut& JsonOut::raw_key(raw::value name) {
  separate();
  put('"');
  put(name.raw());
  put('"');
  put(':');
  after_key_ = true;
  return *this;
}

JsonOut& JsonOut::string(std::string_view text) {
  separate();
  put('"');
  if (raw::needs_escaping(text)) {
    std::string escaped;
    raw::append_escaped(escaped, text);
    put(escaped);
  } else {
    put(text);
  }
  put('"');
  return *this;
}

JsonOut& JsonOut::raw_string(raw::value v) {
  return escaped(v.is_string() ? v.raw() : std::string_view());
}

JsonOut& JsonOut::escaped(std::string_view text) {
  separate();
  put('"');
  put(text);
  put('"');
  return *this;
}

JsonOut& JsonOut::raw(std::string_view json) {
  separate();
  put(json);
  return *this;
}

JsonOut& JsonOut::number(int64_t v) {
  separate();
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  put(std::string_view(buf, static_cast<size_t>(r.ptr - buf)));
  return *this;
}

JsonOut& JsonOut::boolean(bool v) {
  separate();
  put(v ? std::string_view("true") : std::string_view("false"));
  return *this;
}

JsonOut& JsonOut::null() {
  separate();
  put(std::string_view("null"));
  return *this;
}

void append_int(std::string& out, int64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_minified(std::string& out, std::string_view json_text) {
  for_each_significant(json_text, [&out](char c) { out.push_back(c); });
}

void append_as_string(std::string& out, std::string_view json_text) {
  out.push_back('"');
  // Valid JSON has no raw control characters, and white space outside strings is dropped:
  // only quotes and backslashes need escaping.
  for_each_significant(json_text, [&out](char c) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  });
  out.push_back('"');
}

}  // namespace bal
