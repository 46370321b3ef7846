#include "balancer/json.h"

#include <catch2/catch.hpp>
#include <string>

using bal::JsonShape;

TEST_CASE("json shape: nesting beyond the limit is refused before parsing", "[json]") {
  CHECK(bal::check_json_shape(std::string(64, '[') + std::string(64, ']')) == JsonShape::ok);
  CHECK(bal::check_json_shape(std::string(65, '[') + std::string(65, ']')) == JsonShape::too_deep);
  CHECK(bal::check_json_shape(std::string(100000, '[')) == JsonShape::too_deep);
  std::string objects;
  for (int i = 0; i < 100; ++i) objects += "{\"a\":";
  CHECK(bal::check_json_shape(objects) == JsonShape::too_deep);
  CHECK(bal::parse_json(std::string(100000, '[') + std::string(100000, ']')).is_discarded());
  CHECK(bal::check_json_shape("[[1]]", {2, 10}) == JsonShape::ok);
  CHECK(bal::check_json_shape("[[[1]]]", {2, 10}) == JsonShape::too_deep);
}

TEST_CASE("json shape: brackets and commas inside strings do not count", "[json]") {
  const std::string text = R"({"a": "[[[[,,,,{{{{ \"[[[ \\", "b": ["]]]]"]})";
  CHECK(bal::check_json_shape(text, {2, 3}) == JsonShape::ok);
  CHECK_FALSE(bal::parse_json(text, {2, 3}).is_discarded());
}

TEST_CASE("json shape: long arrays and wide objects are refused", "[json]") {
  CHECK(bal::check_json_shape("[1,2,3]", {8, 3}) == JsonShape::ok);
  CHECK(bal::check_json_shape("[1,2,3,4]", {8, 3}) == JsonShape::too_many_items);
  CHECK(bal::check_json_shape(R"({"a":1,"b":2,"c":3,"d":4})", {8, 3}) == JsonShape::too_many_items);
  // The count is per container: many small arrays are fine.
  CHECK(bal::check_json_shape("[[1,2,3],[1,2,3],[1,2,3]]", {8, 3}) == JsonShape::ok);
  std::string big = "[";
  for (int i = 0; i < 100001; ++i) big += "1,";
  big += "1]";
  CHECK(bal::parse_json(big).is_discarded());
}

TEST_CASE("json shape: values are counted across containers", "[json]") {
  // Ten small arrays: no container is long, but 1 + 11 containers + 29 separators = 41.
  std::string rows = "[";
  for (int i = 0; i < 10; ++i) rows += std::string(i ? "," : "") + "[1,2,3]";
  rows += "]";
  CHECK(bal::check_json_shape(rows, {8, 100, 41}) == JsonShape::ok);
  CHECK(bal::check_json_shape(rows, {8, 100, 40}) == JsonShape::too_many_values);
  CHECK(bal::check_json_shape(R"({"a":[1,2],"b":{"c":1}})", {8, 100, 6}) == JsonShape::ok);
  CHECK(bal::check_json_shape(R"({"a":[1,2],"b":{"c":1}})", {8, 100, 5}) == JsonShape::too_many_values);
  // Escaped quotes and backslashes inside strings do not end them.
  CHECK(bal::check_json_shape(R"(["a\"b,", "c\\", ",", "d\\\"e,"])", {8, 100, 5}) == JsonShape::ok);
  CHECK(bal::parse_json(rows, {8, 100, 40}).is_discarded());
}

TEST_CASE("json shape: malformed input is left to the parser", "[json]") {
  for (const char* text : {"]]]", "}", "\"unterminated [[[", "[1,,2", "", "\\"}) {
    INFO(text);
    CHECK(bal::check_json_shape(text) == JsonShape::ok);
    CHECK(bal::parse_json(text).is_discarded());
  }
}

TEST_CASE("utf-8 validation", "[json]") {
  for (const char* ok :
       {"", "plain", "\xc3\xa9", "\xe4\xb8\xad\xe6\x96\x87", "\xf0\x9f\x98\x80", "\xef\xbf\xbd", "\xf4\x8f\xbf\xbf"}) {
    INFO(ok);
    CHECK(bal::is_valid_utf8(ok));
  }
  for (const char* bad : {"\xff", "\xc3", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
                          "\xf8\x88\x80\x80\x80", "a\x80", "\xe4\xb8", "\xc3\x28"}) {
    INFO(bad);
    CHECK_FALSE(bal::is_valid_utf8(bad));
  }
  // nlohmann refuses invalid UTF-8 inside strings too.
  CHECK(bal::parse_json("{\"a\": \"\xff\"}").is_discarded());
}
