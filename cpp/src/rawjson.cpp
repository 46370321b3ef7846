// The validating reader of rawjson.h: one pass over the text builds the flat node array.
#include "balancer/rawjson.h"

#include <limits>

#include "rawjson_internal.h"

namespace bal::raw {
namespace {

using detail::Escape;
using detail::find_special;
using detail::hex4;
using detail::kEscapes;
using detail::utf8_sequence;

const char* const kMessages[] = {
    "success",
    "the body is empty",
    "unexpected character",
    "the text ends inside a value",
    "misspelled literal (true, false or null)",
    "malformed number",
    "unescaped control character in a string",
    "invalid escape sequence",
    "unpaired UTF-16 surrogate escape",
    "invalid UTF-8 in a string",
    "nesting too deep",
    "too many values",
    "the text is too large",
    "unexpected content after the JSON value",
};

}  // namespace

const char* error_message(error_code err) {
  const auto i = static_cast<size_t>(err);
  return i < sizeof(kMessages) / sizeof(kMessages[0]) ? kMessages[i] : "unknown error";
}

// ---- parser -------------------------------------------------------------------------------

class parser {
 public:
  parser(document& doc, const options& opts) : doc_(doc), opts_(opts), p_(doc.text_.data()), n_(doc.text_.size()) {}
  error_code run();

 private:
  struct frame {
    uint32_t container;
    uint32_t last_child;  // 0 while the container is empty
  };

  error_code fail(error_code e, size_t at) {
    doc_.error_offset_ = at;
    return e;
  }
  void skip_ws() {
    while (pos_ < n_ && (p_[pos_] == ' ' || p_[pos_] == '\n' || p_[pos_] == '\r' || p_[pos_] == '\t')) ++pos_;
  }
  // Appends a node linked into the open container; keys and array items bump its count.
  error_code add(kind k, bool is_key, uint32_t& index);
  bool in_object() const { return !stack_.empty() && doc_.nodes_[stack_.back().container].type == kind::object; }
  error_code open_container(bool& closed);
  void close_container();
  error_code scalar();
  error_code key();
  error_code string(bool is_key);
  error_code escape(size_t& i);
  error_code number();
  error_code literal();

  document& doc_;
  const options& opts_;
  const char* p_;
  size_t n_;
  size_t pos_ = 0;
  std::vector<frame> stack_;
};

error_code parser::add(kind k, bool is_key, uint32_t& index) {
  std::vector<node>& nodes = doc_.nodes_;
  if (nodes.size() >= opts_.max_nodes) return fail(too_many_nodes, pos_);
  index = static_cast<uint32_t>(nodes.size());
  node fresh;
  fresh.begin = fresh.end = static_cast<uint32_t>(pos_);
  fresh.type = k;
  nodes.push_back(fresh);
  if (!stack_.empty()) {
    frame& f = stack_.back();
    if (f.last_child != 0) nodes[f.last_child].next = index;
    f.last_child = index;
    if (is_key || nodes[f.container].type == kind::array) ++nodes[f.container].count;
  }
  return success;
}

// Opens an array or object; `closed` when it turns out empty ("[]", "{ }").
error_code parser::open_container(bool& closed) {
  const bool is_object = p_[pos_] == '{';
  if (stack_.size() >= opts_.max_depth) return fail(too_deep, pos_);
  uint32_t index = 0;
  if (auto e = add(is_object ? kind::object : kind::array, false, index)) return e;
  stack_.push_back({index, 0});
  ++pos_;
  skip_ws();
  if (pos_ >= n_) return fail(unexpected_end, pos_);
  if (p_[pos_] == (is_object ? '}' : ']')) {
    close_container();
    closed = true;
    return success;
  }
  return is_object ? key() : success;
}

void parser::close_container() {
  doc_.nodes_[stack_.back().container].end = static_cast<uint32_t>(pos_ + 1);
  stack_.pop_back();
  ++pos_;
}

// A member name, the colon, and the white space before the value.
error_code parser::key() {
  if (pos_ >= n_) return fail(unexpected_end, pos_);
  if (p_[pos_] != '"') return fail(unexpected_character, pos_);
  if (auto e = string(true)) return e;
  skip_ws();
  if (pos_ >= n_) return fail(unexpected_end, pos_);
  if (p_[pos_] != ':') return fail(unexpected_character, pos_);
  ++pos_;
  skip_ws();
  return success;
}

error_code parser::scalar() {
  const char c = p_[pos_];
  if (c == '"') return string(false);
  if (c == '-' || (c >= '0' && c <= '9')) return number();
  if (c == 't' || c == 'f' || c == 'n') return literal();
  return fail(unexpected_character, pos_);
}

error_code parser::string(bool is_key) {
  uint32_t index = 0;
  if (auto e = add(kind::string, is_key, index)) return e;
  size_t i = pos_ + 1;
  uint8_t flags = 0;
  for (;;) {
    i = find_special(p_, i, n_);
    if (i >= n_) return fail(unexpected_end, i);
    const auto c = static_cast<unsigned char>(p_[i]);
    if (c == '"') break;
    if (c == '\\') {
      flags = kEscaped;
      if (auto e = escape(i)) return e;
    } else if (c < 0x20) {
      return fail(control_character, i);
    } else {
      // A run of non-ASCII characters (CJK text is nothing else) is checked in one go.
      do {
        const size_t len = utf8_sequence(reinterpret_cast<const unsigned char*>(p_ + i), n_ - i);
        if (len == 0) return fail(invalid_utf8, i);
        i += len;
      } while (i < n_ && static_cast<unsigned char>(p_[i]) >= 0x80);
    }
  }
  node& s = doc_.nodes_[index];
  s.begin = static_cast<uint32_t>(pos_ + 1);
  s.end = static_cast<uint32_t>(i);
  s.flags = flags;
  pos_ = i + 1;
  return success;
}

// Checks the escape at p_[i] == '\\' and moves `i` past it.
error_code parser::escape(size_t& i) {
  if (i + 1 >= n_) return fail(unexpected_end, i);
  const char c = p_[i + 1];
  if (c != 'u') {
    for (const Escape& e : kEscapes) {
      if (e.written == c) {
        i += 2;
        return success;
      }
    }
    return fail(bad_escape, i);
  }
  for (size_t k = i + 2; k < i + 6; ++k) {
    if (k >= n_) return fail(unexpected_end, i);
    if (detail::hex_value(p_[k]) < 0) return fail(bad_escape, i);
  }
  const long cp = hex4(p_ + i + 2);
  if (cp >= 0xDC00 && cp <= 0xDFFF) return fail(bad_surrogate, i);
  if (cp >= 0xD800 && cp <= 0xDBFF) {
    if (i + 12 > n_ || p_[i + 6] != '\\' || p_[i + 7] != 'u') return fail(bad_surrogate, i);
    const long low = hex4(p_ + i + 8);
    if (low < 0xDC00 || low > 0xDFFF) return fail(bad_surrogate, i);
    i += 12;
    return success;
  }
  i += 6;
  return success;
}

error_code parser::number() {
  const size_t start = pos_;
  auto digit = [this] { return pos_ < n_ && p_[pos_] >= '0' && p_[pos_] <= '9'; };
  uint8_t flags = kInteger;
  if (p_[pos_] == '-') ++pos_;
  if (!digit()) return fail(bad_number, start);
  if (p_[pos_] == '0') {
    ++pos_;
    if (digit()) return fail(bad_number, start);
  } else {
    while (digit()) ++pos_;
  }
  if (pos_ < n_ && p_[pos_] == '.') {
    ++pos_;
    if (!digit()) return fail(bad_number, start);
    while (digit()) ++pos_;
    flags = 0;
  }
  if (pos_ < n_ && (p_[pos_] == 'e' || p_[pos_] == 'E')) {
    ++pos_;
    if (pos_ < n_ && (p_[pos_] == '+' || p_[pos_] == '-')) ++pos_;
    if (!digit()) return fail(bad_number, start);
    while (digit()) ++pos_;
    flags = 0;
  }
  const size_t end = pos_;
  pos_ = start;
  uint32_t index = 0;
  if (auto e = add(kind::number, false, index)) return e;
  doc_.nodes_[index].end = static_cast<uint32_t>(end);
  doc_.nodes_[index].flags = flags;
  pos_ = end;
  return success;
}

error_code parser::literal() {
  struct Literal {
    std::string_view text;
    kind type;
    uint8_t flags;
  };
  static constexpr Literal kLiterals[] = {
      {"true", kind::boolean, kTrue}, {"false", kind::boolean, 0}, {"null", kind::null, 0}};
  for (const Literal& l : kLiterals) {
    if (l.text[0] != p_[pos_]) continue;
    if (n_ - pos_ < l.text.size() || std::string_view(p_ + pos_, l.text.size()) != l.text) {
      return fail(bad_literal, pos_);
    }
    uint32_t index = 0;
    if (auto e = add(l.type, false, index)) return e;
    pos_ += l.text.size();
    doc_.nodes_[index].end = static_cast<uint32_t>(pos_);
    doc_.nodes_[index].flags = l.flags;
    return success;
  }
  return fail(unexpected_character, pos_);
}

// Iterative, so depth costs heap (bounded by max_depth), never native stack.
error_code parser::run() {
  skip_ws();
  if (pos_ >= n_) return fail(empty_input, pos_);
  bool want_value = true;
  for (;;) {
    if (want_value) {
      if (pos_ >= n_) return fail(unexpected_end, pos_);
      const char c = p_[pos_];
      if (c == '{' || c == '[') {
        bool closed = false;
        if (auto e = open_container(closed)) return e;
        want_value = !closed;
        continue;
      }
      if (auto e = scalar()) return e;
      want_value = false;
      continue;
    }
    skip_ws();
    if (stack_.empty()) break;
    if (pos_ >= n_) return fail(unexpected_end, pos_);
    const char c = p_[pos_];
    const bool object = in_object();
    if (c == ',') {
      ++pos_;
      skip_ws();
      if (object) {
        if (auto e = key()) return e;
      }
      want_value = true;
    } else if (c == (object ? '}' : ']')) {
      close_container();
    } else {
      return fail(unexpected_character, pos_);
    }
  }
  if (pos_ != n_) return fail(trailing_content, pos_);
  return success;
}

size_t find_byte(std::string_view text, char c, size_t from) {
  const char* p = text.data();
  const size_t n = text.size();
  size_t i = from;
#ifdef __wasm_simd128__
  const v128_t wanted = wasm_i8x16_splat(c);
  while (i + 16 <= n) {
    const v128_t hit = wasm_i8x16_eq(wasm_v128_load(p + i), wanted);
    if (wasm_v128_any_true(hit)) return i + static_cast<size_t>(__builtin_ctz(wasm_i8x16_bitmask(hit)));
    i += 16;
  }
#endif
  // Eight bytes a step (SWAR): the lowest flagged byte is always a true hit (borrows only run
  // upwards), and the little-endian load puts the first byte in the lowest lane.
  const uint64_t pattern = detail::kOnes * static_cast<unsigned char>(c);
  while (i + 8 <= n) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    const uint64_t x = w ^ pattern;
    const uint64_t mask = (x - detail::kOnes) & ~x & detail::kHighs;
    if (mask != 0) return i + static_cast<size_t>(__builtin_ctzll(mask) >> 3);
    i += 8;
  }
  for (; i < n; ++i) {
    if (p[i] == c) return i;
  }
  return std::string_view::npos;
}

error_code document::parse(std::string_view text, const options& opts) {
  text_ = text;
  nodes_.clear();
  error_offset_ = 0;
  if (text.size() >= std::numeric_limits<uint32_t>::max()) {
    error_ = too_large;
  } else {
    parser p(*this, opts);
    error_ = p.run();
  }
  if (error_ != success) nodes_.clear();
  return error_;
}

}  // namespace bal::raw
