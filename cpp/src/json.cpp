#include "balancer/json.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <vector>

#include "balancer/decimal.h"
#include "balancer/jsonout.h"
#include "balancer/rawjson.h"

namespace bal {
namespace {

// The index of the quote that closes the string whose contents start at `from` (text.size()
// when it is never closed). memchr jumps over long texts and base64; a quote is escaped when
// an odd run of backslashes precedes it.
size_t string_end(std::string_view text, size_t from) {
  while (from < text.size()) {
    const void* hit = std::memchr(text.data() + from, '"', text.size() - from);
    if (hit == nullptr) return text.size();
    const size_t quote = static_cast<size_t>(static_cast<const char*>(hit) - text.data());
    size_t slashes = 0;
    while (quote - slashes > from && text[quote - slashes - 1] == '\\') ++slashes;
    if (slashes % 2 == 0) return quote;
    from = quote + 1;
  }
  return text.size();
}

// Length of the UTF-8 sequence led by `b`, or 0 for a byte that cannot lead one.
size_t sequence_length(unsigned char b) {
  if (b < 0x80) return 1;
  if (b >= 0xc2 && b <= 0xdf) return 2;
  if (b >= 0xe0 && b <= 0xef) return 3;
  if (b >= 0xf0 && b <= 0xf4) return 4;
  return 0;
}

}  // namespace

JsonShape check_json_shape(std::string_view text, const JsonLimits& limits) {
  // counts[d] = separators seen so far in the open container at depth d + 1.
  std::vector<uint32_t> counts;
  counts.reserve(16);
  // The root, each container and each separator: one value at most each.
  uint64_t values = 1;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    switch (c) {
      case '"':
        i = string_end(text, i + 1);
        break;
      case '[':
      case '{':
        if (counts.size() >= limits.max_depth) return JsonShape::too_deep;
        if (++values > limits.max_values) return JsonShape::too_many_values;
        counts.push_back(0);
        break;
      case ']':
      case '}':
        if (!counts.empty()) counts.pop_back();
        break;
      case ',':
        if (counts.empty()) break;
        // n separators mean n + 1 items.
        if (++counts.back() >= limits.max_items) return JsonShape::too_many_items;
        if (++values > limits.max_values) return JsonShape::too_many_values;
        break;
      default:
        break;
    }
  }
  return JsonShape::ok;
}

// The raw reader's check: the one rule for what UTF-8 the core accepts.
bool is_valid_utf8(std::string_view text) { return raw::valid_utf8(text); }

namespace {

// A number as nlohmann's parser reads it: an integer as int64 (negative) or uint64 while it
// fits, anything else as the nearest double; one that overflows is an error.
json number_of(std::string_view text, bool integer, bool& ok) {
  if (integer) {
    if (text.front() == '-') {
      int64_t v = 0;
      const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
      if (r.ec == std::errc() && r.ptr == text.data() + text.size()) return json(v);
    } else {
      uint64_t v = 0;
      const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
      if (r.ec == std::errc() && r.ptr == text.data() + text.size()) return json(v);
    }
  }
  double v = 0;
  if (!read_double(text, v) || !std::isfinite(v)) ok = false;
  return json(v);
}

// The tree of a validated value. Depth is bounded by the shape check before the parse.
json tree_of(raw::value v, bool& ok) {
  switch (v.type()) {
    case raw::kind::null:
      return json(nullptr);
    case raw::kind::boolean:
      return json(v.as_bool().value_or(false));
    case raw::kind::number:
      return number_of(v.raw(), v.is_integer(), ok);
    case raw::kind::string:
      return json(v.str());
    case raw::kind::array: {
      json out(json::value_t::array);
      auto& items = out.get_ref<json::array_t&>();
      items.reserve(v.size());
      for (raw::value item : v.items()) items.push_back(tree_of(item, ok));
      return out;
    }
    case raw::kind::object: {
      json out(json::value_t::object);
      auto& members = out.get_ref<json::object_t&>();
      // operator[] then assignment: the last of duplicate keys wins.
      for (raw::member m : v.members()) members[m.key.str()] = tree_of(m.val, ok);
      return out;
    }
    case raw::kind::absent:
      break;
  }
  return json(json::value_t::discarded);
}

// A string as nlohmann's serializer writes it with ensure_ascii off and error_handler_t::replace:
// '"', '\\', \b \f \n \r \t escaped, other control characters as \u00xx; well-formed UTF-8
// copied; each maximal ill-formed part (an invalid lead byte, or a sequence cut short by a byte
// that cannot continue it or by the end) becomes one U+FFFD, the interrupting byte read again.
void write_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    size_t plain = i;
    while (plain < n) {
      const auto c = static_cast<unsigned char>(s[plain]);
      if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) break;
      ++plain;
    }
    out.append(s.data() + i, plain - i);
    i = plain;
    if (i >= n) break;
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xf];
      }
      continue;
    }
    const size_t len = sequence_length(c);
    // The second byte's range excludes overlong forms, surrogates and code points past U+10FFFF.
    unsigned char lo = 0x80, hi = 0xbf;
    if (c == 0xe0) lo = 0xa0;
    if (c == 0xed) hi = 0x9f;
    if (c == 0xf0) lo = 0x90;
    if (c == 0xf4) hi = 0x8f;
    size_t k = 1;
    while (k < len && i + k < n) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xbf)) break;
      ++k;
    }
    if (len != 0 && k == len) {
      out.append(s.data() + i, len);
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      i += len == 0 ? 1 : k;
    }
  }
  out += '"';
}

void write_json(std::string& out, const json& j) {
  switch (j.type()) {
    case json::value_t::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, value] : j.get_ref<const json::object_t&>()) {
        if (!first) out += ',';
        first = false;
        write_string(out, key);
        out += ':';
        write_json(out, value);
      }
      out += '}';
      return;
    }
    case json::value_t::array: {
      out += '[';
      bool first = true;
      for (const json& item : j.get_ref<const json::array_t&>()) {
        if (!first) out += ',';
        first = false;
        write_json(out, item);
      }
      out += ']';
      return;
    }
    case json::value_t::string:
      write_string(out, j.get_ref<const std::string&>());
      return;
    case json::value_t::boolean:
      out += *j.get_ptr<const json::boolean_t*>() ? "true" : "false";
      return;
    case json::value_t::number_integer:
      append_int(out, *j.get_ptr<const json::number_integer_t*>());
      return;
    case json::value_t::number_unsigned: {
      char buf[24];
      const auto r = std::to_chars(buf, buf + sizeof buf, *j.get_ptr<const json::number_unsigned_t*>());
      out.append(buf, r.ptr);
      return;
    }
    case json::value_t::number_float:
      append_double(out, *j.get_ptr<const json::number_float_t*>());
      return;
    case json::value_t::discarded:
      out += "<discarded>";
      return;
    case json::value_t::null:
    case json::value_t::binary:  // never built by the core
      out += "null";
      return;
  }
}

}  // namespace

json parse_json(std::string_view text, const JsonLimits& limits) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  if (check_json_shape(text, limits) != JsonShape::ok) return json(json::value_t::discarded);
  raw::options opts;
  // The shape check above is the limit, as it was for nlohmann's parser.
  opts.max_depth = UINT32_MAX;
  opts.max_nodes = UINT32_MAX;
  raw::document doc;
  if (doc.parse(text, opts) != raw::success) return json(json::value_t::discarded);
  bool ok = true;
  json tree = tree_of(doc.root(), ok);
  return ok ? tree : json(json::value_t::discarded);
}

std::string dump_json(const json& j) {
  std::string out;
  write_json(out, j);
  return out;
}

void append_double(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  char buf[64];
  out.append(buf, nlohmann::detail::to_chars(buf, buf + sizeof buf, v));
}

}  // namespace bal
