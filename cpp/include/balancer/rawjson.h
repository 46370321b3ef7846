// rawjson.h — a validating JSON reader whose values stay as spans of the input, and the few
// writer helpers that copy those spans into new JSON.
//
// Translating a request mostly moves large strings (long texts, base64 images) from one JSON
// document to another. A DOM decodes and re-encodes every one of them; this reader checks the
// whole text once (RFC 8259 grammar, UTF-8, escapes, depth) and then hands out spans: a
// string's span is its contents *still escaped*, so writing '"' + raw() + '"' is valid JSON
// with no decoding at all. Only short values (roles, names, numbers) get decoded, on demand.
//
//   bal::raw::document doc;
//   if (auto err = doc.parse(body)) {
//     return fail(bal::raw::error_message(err), doc.error_offset());
//   }
//   bal::raw::value messages = doc.root().get("messages");
//   for (bal::raw::value m : messages.items()) {
//     if (m.get("role").equals("user")) {
//       out += "{\"text\":";
//       bal::raw::append_raw(out, m.get("content"));   // copied, never unescaped
//       out += '}';
//     }
//   }
//   for (bal::raw::member kv : doc.root().members()) std::string name = kv.key.str();
//
// A missing value (get() of an absent key, root() of a failed parse) is valid to use: every
// accessor answers "absent", false, empty or nullopt, so lookups chain without checks.
// The document borrows the text: keep the text alive and unchanged while values are in use.
// Errors are values (error_code + byte offset); no input makes the reader throw or trap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bal::raw {

// Only `success` is zero, so `if (auto err = doc.parse(text))` reads as "on error".
enum error_code : uint8_t {
  success = 0,
  empty_input,           // nothing but white space
  unexpected_character,  // not a value, ',', ':', '}' or ']' where one is required
  unexpected_end,        // the text stops inside a value
  bad_literal,           // a misspelled true / false / null
  bad_number,            // violates the number grammar (leading zero, "1.", "-", "1e")
  control_character,     // an unescaped byte < 0x20 inside a string
  bad_escape,            // an escape other than \" \\ \/ \b \f \n \r \t \uXXXX
  bad_surrogate,         // \uD800-\uDFFF not forming a high+low pair
  invalid_utf8,          // a malformed, overlong, surrogate or > U+10FFFF UTF-8 sequence
  too_deep,              // nesting beyond options::max_depth
  too_many_nodes,        // more values than options::max_nodes
  too_large,             // the text is 4 GiB or more (spans are 32-bit)
  trailing_content,      // something after the root value
};

// A short English description ("invalid UTF-8 in a string").
const char* error_message(error_code err);

enum class kind : uint8_t { absent, null, boolean, number, string, array, object };

struct options {
  uint32_t max_depth = 64;        // arrays/objects nested deeper are rejected (the root counts)
  uint32_t max_nodes = 1u << 20;  // values and object keys, in all
};

// One value (or object key) in the flat, pre-order node array.
struct node {
  uint32_t begin = 0;  // string: first byte after the opening quote; others: first byte
  uint32_t end = 0;    // string: the closing quote; others: one past the last byte
  uint32_t next = 0;   // index of the next sibling in the same container, 0 when last
  uint32_t count = 0;  // array: items; object: members; others: 0
  kind type = kind::absent;
  uint8_t flags = 0;  // kEscaped (string), kInteger (number), kTrue (boolean)
};
inline constexpr uint8_t kEscaped = 1;
inline constexpr uint8_t kInteger = 2;
inline constexpr uint8_t kTrue = 4;

class document;
class item_range;
class member_range;

class value {
 public:
  value() = default;
  value(const document* doc, uint32_t index) : doc_(doc), index_(index) {}

  kind type() const;
  bool exists() const { return type() != kind::absent; }
  bool is_null() const { return type() == kind::null; }
  bool is_bool() const { return type() == kind::boolean; }
  bool is_number() const { return type() == kind::number; }
  bool is_string() const { return type() == kind::string; }
  bool is_array() const { return type() == kind::array; }
  bool is_object() const { return type() == kind::object; }
  bool is_integer() const;  // a number written without fraction or exponent

  // string: the contents between the quotes, still escaped; others: the value's text.
  std::string_view raw() const;
  // The whole value as JSON text (a string keeps its quotes); empty when absent.
  std::string_view raw_json() const;
  // A string's decoded contents ("" for other kinds). Allocates: meant for short values.
  std::string str() const;
  // True when this is a string whose decoded contents equal `text` (no allocation).
  bool equals(std::string_view text) const;
  bool equals_escaped(std::string_view text) const;  // the slow path of equals()
  bool has_escapes() const;

  std::optional<double> as_double() const;
  // Integers, and numbers with an exact integral value ("3.0", "1e3"), within int64 range.
  std::optional<int64_t> as_int64() const;
  std::optional<bool> as_bool() const;

  // An object's member named `key` (compared after decoding both sides). With duplicate keys
  // the last wins, as in JSON.parse. Absent for a missing key or a non-object.
  value get(std::string_view key) const;
  // Items of an array or members of an object; 0 for other kinds.
  size_t size() const;
  item_range items() const;
  member_range members() const;

  uint32_t index() const { return index_; }
  // Byte offset of the value in the text (for error messages).
  size_t offset() const;

 private:
  const node* n() const;
  const document* doc_ = nullptr;
  uint32_t index_ = 0;
};

struct member {
  value key;
  value val;
};

class item_iterator {
 public:
  item_iterator(const document* doc, uint32_t index) : doc_(doc), index_(index) {}
  value operator*() const { return value(doc_, index_); }
  item_iterator& operator++();
  bool operator!=(const item_iterator& o) const { return index_ != o.index_; }

 private:
  const document* doc_;
  uint32_t index_;  // 0 at the end (index 0 is the root, never an item)
};

class member_iterator {
 public:
  member_iterator(const document* doc, uint32_t index) : doc_(doc), index_(index) {}
  member operator*() const { return {value(doc_, index_), value(doc_, index_ + 1)}; }
  member_iterator& operator++();
  bool operator!=(const member_iterator& o) const { return index_ != o.index_; }

 private:
  const document* doc_;
  uint32_t index_;  // the key's node; its value is always the next node
};

class item_range {
 public:
  item_range(const document* doc, uint32_t first) : doc_(doc), first_(first) {}
  item_iterator begin() const { return {doc_, first_}; }
  item_iterator end() const { return {doc_, 0}; }

 private:
  const document* doc_;
  uint32_t first_;
};

class member_range {
 public:
  member_range(const document* doc, uint32_t first) : doc_(doc), first_(first) {}
  member_iterator begin() const { return {doc_, first_}; }
  member_iterator end() const { return {doc_, 0}; }

 private:
  const document* doc_;
  uint32_t first_;
};

class document {
 public:
  // Parses and validates `text`, replacing any previous contents. On error the document is
  // empty (root() is absent) and error_offset() is the byte where the problem was found.
  error_code parse(std::string_view text, const options& opts = {});

  value root() const { return nodes_.empty() ? value() : value(this, 0); }
  error_code error() const { return error_; }
  size_t error_offset() const { return error_offset_; }
  std::string_view text() const { return text_; }
  size_t node_count() const { return nodes_.size(); }
  const node& at(uint32_t index) const { return nodes_[index]; }

 private:
  friend class parser;
  std::string_view text_;
  std::vector<node> nodes_;
  error_code error_ = success;
  size_t error_offset_ = 0;
};

// The small accessors are inline: lookups run them for every member of every object.
inline const node* value::n() const {
  return doc_ == nullptr ? nullptr : &doc_->at(index_);
}

inline kind value::type() const {
  const node* x = n();
  return x == nullptr ? kind::absent : x->type;
}

inline bool value::is_integer() const {
  return is_number() && (n()->flags & kInteger) != 0;
}
inline bool value::has_escapes() const {
  return is_string() && (n()->flags & kEscaped) != 0;
}

inline std::string_view value::raw() const {
  const node* x = n();
  return x == nullptr ? std::string_view() : doc_->text().substr(x->begin, x->end - x->begin);
}

inline bool value::equals(std::string_view text) const {
  const node* x = n();
  if (x == nullptr || x->type != kind::string) return false;
  if ((x->flags & kEscaped) != 0) return equals_escaped(text);
  return x->end - x->begin == text.size() && doc_->text().substr(x->begin, text.size()) == text;
}

inline size_t value::size() const {
  const node* x = n();
  return x == nullptr ? 0 : x->count;
}

// Decodes the escaped contents of a validated string span, appending to `out`.
void unescape(std::string_view escaped, std::string& out);

// True when `text` holds a byte that append_escaped() would not copy as it is: '"', '\\', a
// control character, or a non-ASCII byte (checked, and replaced when invalid).
bool needs_escaping(std::string_view text);
// Appends `text` JSON-escaped, without quotes. Invalid UTF-8 becomes U+FFFD, so the output is
// always valid JSON.
void append_escaped(std::string& out, std::string_view text);
// True when `text` is well-formed UTF-8 (no overlong form, surrogate or code point past
// U+10FFFF): what the reader accepts inside a string.
bool valid_utf8(std::string_view text);
// Appends `text` as a JSON string, with quotes.
void append_string(std::string& out, std::string_view text);
// Appends a value's JSON text unchanged (a string with its quotes, still escaped); "null" when
// the value is absent.
void append_raw(std::string& out, value v);

// Index of the first `c` at or after `from` in `text`, npos when there is none: what
// std::string_view::find(char) answers, at the reader's own pace (sixteen bytes a step with
// Wasm SIMD, which only this file's sources are built with; memchr goes four at a time).
// For byte scans that decide whether a body needs parsing at all.
size_t find_byte(std::string_view text, char c, size_t from = 0);

}  // namespace bal::raw
