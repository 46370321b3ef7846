// Value accessors, unescaping and the writer helpers of rawjson.h.
#include <charconv>
#include <cmath>

#include "balancer/decimal.h"
#include "balancer/rawjson.h"
#include "rawjson_internal.h"

namespace bal::raw {

using detail::append_utf8;
using detail::Escape;
using detail::find_special;
using detail::hex4;
using detail::kEscapes;
using detail::utf8_sequence;

// ---- values -------------------------------------------------------------------------------

std::string_view value::raw_json() const {
  const node* x = n();
  if (x == nullptr) return {};
  if (x->type != kind::string) return raw();
  return doc_->text().substr(x->begin - 1, x->end - x->begin + 2);
}

size_t value::offset() const {
  const node* x = n();
  if (x == nullptr) return 0;
  return x->type == kind::string ? x->begin - 1 : x->begin;
}

std::string value::str() const {
  std::string out;
  if (is_string()) unescape(raw(), out);
  return out;
}

bool value::equals_escaped(std::string_view text) const {
  return str() == text;
}

std::optional<bool> value::as_bool() const {
  if (!is_bool()) return std::nullopt;
  return (n()->flags & kTrue) != 0;
}

namespace {

// Exact powers of ten a double holds.
constexpr double kPow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};

// Short decimals ("0.7", "-12.5", "1024") without read_double (decimal.h), which copies the
// digits first: an integer mantissa of at most 15 digits divided by an exact power of ten is
// correctly rounded (both are exact doubles; Clinger's fast path). False for anything else.
bool fast_decimal(std::string_view text, double& out) {
  size_t i = 0;
  const bool negative = !text.empty() && text[0] == '-';
  if (negative) ++i;
  uint64_t mantissa = 0;
  int digits = 0;
  int scale = 0;
  bool fraction = false;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '.') {
      fraction = true;
      continue;
    }
    if (c < '0' || c > '9' || ++digits > 15) return false;  // exponents, long numbers: read_double
    mantissa = mantissa * 10 + static_cast<uint64_t>(c - '0');
    if (fraction) ++scale;
  }
  const double m = static_cast<double>(mantissa);
  out = scale == 0 ? m : m / kPow10[scale];
  if (negative) out = -out;
  return true;
}

}  // namespace

std::optional<double> value::as_double() const {
  if (!is_number()) return std::nullopt;
  double fast = 0;
  if (fast_decimal(raw(), fast)) return fast;
  double d = 0;
  if (!read_double(raw(), d) || !std::isfinite(d)) return std::nullopt;
  return d;
}

std::optional<int64_t> value::as_int64() const {
  if (!is_number()) return std::nullopt;
  if (is_integer()) {
    const std::string_view text = raw();
    int64_t v = 0;
    const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
    if (r.ec != std::errc() || r.ptr != text.data() + text.size()) return std::nullopt;
    return v;
  }
  const std::optional<double> d = as_double();
  // 2^63 is exact as a double; anything at or above it does not fit.
  if (!d || *d != std::trunc(*d) || *d < -9223372036854775808.0 || *d >= 9223372036854775808.0) return std::nullopt;
  return static_cast<int64_t>(*d);
}

value value::get(std::string_view key) const {
  value found;
  for (member m : members()) {
    if (m.key.equals(key)) found = m.val;
  }
  return found;
}

item_range value::items() const {
  return {doc_, is_array() && n()->count > 0 ? index_ + 1 : 0};
}

member_range value::members() const {
  return {doc_, is_object() && n()->count > 0 ? index_ + 1 : 0};
}

item_iterator& item_iterator::operator++() {
  index_ = doc_->at(index_).next;
  return *this;
}

member_iterator& member_iterator::operator++() {
  index_ = doc_->at(index_ + 1).next;
  return *this;
}

// ---- text ---------------------------------------------------------------------------------

void unescape(std::string_view escaped, std::string& out) {
  size_t i = 0;
  const size_t n = escaped.size();
  while (i < n) {
    const size_t slash = escaped.find('\\', i);
    if (slash == std::string_view::npos) {
      out.append(escaped.substr(i));
      return;
    }
    out.append(escaped.substr(i, slash - i));
    if (slash + 1 >= n) return;
    const char c = escaped[slash + 1];
    if (c == 'u' && slash + 6 <= n) {
      long cp = hex4(escaped.data() + slash + 2);
      i = slash + 6;
      if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 <= n && escaped[i] == '\\' && escaped[i + 1] == 'u') {
        const long low = hex4(escaped.data() + i + 2);
        if (low >= 0xDC00 && low <= 0xDFFF) {
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          i += 6;
        }
      }
      // Validated spans never hold a lone surrogate or a bad digit; unvalidated ones get U+FFFD.
      if (cp < 0 || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
      append_utf8(out, static_cast<uint32_t>(cp));
      continue;
    }
    for (const Escape& e : kEscapes) {
      if (e.written == c) out += e.raw;
    }
    i = slash + 2;
  }
}

bool needs_escaping(std::string_view text) {
  return find_special(text.data(), 0, text.size()) < text.size();
}

void append_escaped(std::string& out, std::string_view text) {
  const char* p = text.data();
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    const size_t stop = find_special(p, i, n);
    out.append(p + i, stop - i);
    if (stop >= n) return;
    const auto c = static_cast<unsigned char>(p[stop]);
    i = stop + 1;
    if (c >= 0x80) {
      // A run of well-formed non-ASCII characters is copied in one go.
      size_t end = stop;
      for (size_t len = 0; end < n && static_cast<unsigned char>(p[end]) >= 0x80; end += len) {
        len = utf8_sequence(reinterpret_cast<const unsigned char*>(p + end), n - end);
        if (len == 0) break;
      }
      out.append(p + stop, end - stop);
      if (end == stop) {
        out += "\\ufffd";
      } else {
        i = end;
      }
      continue;
    }
    out += '\\';
    bool short_form = false;
    for (const Escape& e : kEscapes) {
      if (e.raw == static_cast<char>(c) && e.raw != '/') {
        out += e.written;
        short_form = true;
      }
    }
    if (!short_form) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "u00";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
}

bool valid_utf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  for (size_t i = 0; i < text.size();) {
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    const size_t len = utf8_sequence(p + i, text.size() - i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

void append_string(std::string& out, std::string_view text) {
  out += '"';
  append_escaped(out, text);
  out += '"';
}

void append_raw(std::string& out, value v) {
  if (!v.exists()) {
    out += "null";
    return;
  }
  out.append(v.raw_json());
}

}  // namespace bal::raw
