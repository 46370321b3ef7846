// bal::raw, the validating JSON reader under every translator. Input: a JSON text (or not).
//
// nlohmann's parser is the reference: both must accept and refuse the same texts (within the
// reader's depth limit) and read the same values, and so must the core's parse_json and
// dump_json. The input bytes also go through the writer (append_string) and back.
#include <cmath>
#include <cstdint>
#include <string>

#include "balancer/json.h"
#include "balancer/rawjson.h"
#include "fuzz_support.h"

namespace {

using bal::json;
namespace raw = bal::raw;

void same_value(raw::value r, const json& j) {
  switch (r.type()) {
    case raw::kind::null:
      FUZZ_CHECK(j.is_null());
      break;
    case raw::kind::boolean:
      FUZZ_CHECK(j.is_boolean() && r.as_bool() == j.get<bool>());
      break;
    case raw::kind::number: {
      FUZZ_CHECK(j.is_number());
      const auto d = r.as_double();
      FUZZ_CHECK(d.has_value());
      const double expected = j.get<double>();
      FUZZ_CHECK(*d == expected || (std::isnan(*d) && std::isnan(expected)));
      if (j.is_number_integer() && r.is_integer()) {
        const auto i = r.as_int64();
        if (j.is_number_unsigned() && j.get<uint64_t>() > uint64_t{INT64_MAX}) {
          FUZZ_CHECK(!i.has_value());
        } else {
          FUZZ_CHECK(i.has_value() && *i == j.get<int64_t>());
        }
      }
      break;
    }
    case raw::kind::string: {
      FUZZ_CHECK(j.is_string());
      const std::string& s = j.get_ref<const std::string&>();
      FUZZ_CHECK(r.str() == s);
      FUZZ_CHECK(r.equals(s));
      break;
    }
    case raw::kind::array: {
      FUZZ_CHECK(j.is_array() && r.size() == j.size());
      size_t i = 0;
      for (raw::value item : r.items()) same_value(item, j[i++]);
      FUZZ_CHECK(i == j.size());
      break;
    }
    case raw::kind::object: {
      // Duplicate keys: both keep the last, so compare through lookups, not member counts.
      FUZZ_CHECK(j.is_object() && r.size() >= j.size());
      for (const auto& [key, val] : j.items()) same_value(r.get(key), val);
      for (raw::member m : r.members()) FUZZ_CHECK(j.contains(m.key.str()));
      break;
    }
    case raw::kind::absent:
      FUZZ_CHECK(false);
  }
}

// JSON.parse reads 1e400 as Infinity, the reader as a number with no double value; nlohmann
// refuses the text. Not a difference that matters.
bool has_infinite_number(const raw::document& doc) {
  for (uint32_t i = 0; i < doc.node_count(); ++i) {
    const raw::value v(&doc, i);
    if (v.is_number() && !v.as_double()) return true;
  }
  return false;
}

void check_round_trip(std::string_view text) {
  std::string quoted;
  raw::append_string(quoted, text);
  raw::document doc;
  FUZZ_CHECK(doc.parse(quoted) == raw::success);
  FUZZ_CHECK(doc.root().is_string());
  if (fuzz::is_utf8(text)) FUZZ_CHECK(doc.root().equals(text));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = fuzz::as_text(data, size);
  check_round_trip(text);

  raw::document doc;
  const raw::error_code err = doc.parse(text);
  if (err != raw::success) {
    FUZZ_CHECK(!doc.root().exists() && doc.error_offset() <= text.size());
    FUZZ_CHECK(raw::error_message(err) != nullptr);
  } else {
    // A value's own text is a complete JSON text, and copying it gives the same document.
    std::string copy;
    raw::append_raw(copy, doc.root());
    raw::document again;
    FUZZ_CHECK(again.parse(copy) == raw::success && again.node_count() == doc.node_count());
  }
  // Past the depth or node limits nlohmann would go on (recursively), so stop comparing there.
  if (err == raw::too_deep || err == raw::too_many_nodes || err == raw::too_large) return 0;
  // nlohmann skips a UTF-8 byte order mark; JSON (and JSON.parse) does not allow one.
  if (text.substr(0, 3) == "\xEF\xBB\xBF") return 0;
  // nlohmann also takes a NUL byte outside a string for the end of the input ("0\0junk").
  if (text.find('\0') != std::string_view::npos) return 0;
  const json j = json::parse(text.begin(), text.end(), nullptr, false);
  if (err == raw::success && j.is_discarded() && has_infinite_number(doc)) return 0;
  FUZZ_CHECK(j.is_discarded() == (err != raw::success));
  if (err == raw::success) same_value(doc.root(), j);
  // The core's parse_json and dump_json (the reader feeding nlohmann's tree, and a writer of
  // its own) build and write what nlohmann's parse and dump do.
  if (bal::check_json_shape(text) == bal::JsonShape::ok) {
    const json ours = bal::parse_json(text);
    FUZZ_CHECK(ours.is_discarded() == j.is_discarded());
    if (!j.is_discarded()) {
      FUZZ_CHECK(ours == j);
      FUZZ_CHECK(bal::dump_json(j) == j.dump(-1, ' ', false, json::error_handler_t::replace));
    }
  }
  return 0;
}
