#include "balancer/json.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
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

TEST_CASE("json: parse_json builds the tree nlohmann's parser builds", "[json]") {
  const char* texts[] = {
      R"({"a":1,"b":-2,"c":1.5,"d":[true,false,null],"e":{"f":"g\u00e9\n"},"a":3})",
      R"([0,-0,18446744073709551615,18446744073709551616,-9223372036854775808,-9223372036854775809])",
      R"([1e2,1E-2,0.1,1e308,-1e-400,123456789012345678901234567890,2.5e-324])",
      "\xEF\xBB\xBF{\"bom\":true}",
      R"("a string")",
      "  42  ",
      R"({"emoji":"\ud83d\ude00 \u00e9","raw":"é😀","empty":{},"none":[]})",
  };
  for (const char* t : texts) {
    INFO(t);
    const bal::json ours = bal::parse_json(t);
    const bal::json theirs = bal::json::parse(t, nullptr, false);
    REQUIRE_FALSE(theirs.is_discarded());
    CHECK(ours == theirs);
    CHECK(bal::dump_json(ours) == theirs.dump());
  }
  for (const char* bad : {"", "[1,]", "{\"a\" 1}", "01", "\"\xff\"", "[1] x", "\"\\ud800\"", "nul", "[1e400]", "{\"a\":-1e400}"}) {
    INFO(bad);
    CHECK(bal::parse_json(bad).is_discarded());
  }
  // nlohmann's parser took a NUL byte for the end of the text; JSON.parse and the reader do not.
  CHECK(bal::parse_json(std::string("{}\0junk", 7)).is_discarded());
}

TEST_CASE("json: dump_json writes what nlohmann's dump writes, invalid UTF-8 replaced", "[json]") {
  const std::string strings[] = {
      std::string("plain"),
      std::string("quote \" backslash \\ slash / del \x7f"),
      std::string("\b\f\n\r\t\x01\x1f\0end", 11),
      std::string("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"),
      std::string("\xff\x80\xc0\xc1\xf5 x"),
      std::string("\xe2\x82 cut \xe2 \xf0\x9f\x98 end\xf0\x9f"),
      std::string("\xe0\x80\x80 \xed\xa0\x80 \xf0\x80\x80\x80 \xf4\x90\x80\x80"),
      std::string("\xc3"),
  };
  for (const std::string& s : strings) {
    const bal::json j = {{"k" + s, s}, {"list", {s, 1, -1, 2.5, 0.0, 1e100, nullptr, true}}};
    INFO(s);
    CHECK(bal::dump_json(j) == j.dump(-1, ' ', false, bal::json::error_handler_t::replace));
  }
  const bal::json numbers = {uint64_t{18446744073709551615u}, int64_t{-9223372036854775807 - 1}, 0.1, 1e-7,
                             123456789.0, 1.0 / 0.0, std::nan("")};
  CHECK(bal::dump_json(numbers) == numbers.dump());
  std::string d;
  bal::append_double(d, 0.7);
  CHECK(d == "0.7");
}
