#include "balancer/rawjson.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <string>

#include "balancer/json.h"

using namespace bal::raw;

namespace {

error_code parse(std::string_view text, const options& opts = {}) {
  document doc;
  return doc.parse(text, opts);
}

}  // namespace

TEST_CASE("rawjson accepts valid documents", "[rawjson]") {
  const char* const valid[] = {
      "0",
      "-0",
      "1.5",
      "-1.5e10",
      "1E+2",
      "1e-2",
      "123456789012345678901234567890",
      "true",
      "false",
      "null",
      "\"\"",
      "\"a\"",
      "[]",
      "{}",
      " [ ] ",
      "\t{\n}\r\n",
      "[1,2,3]",
      "{\"a\":1,\"b\":[true,false,null]}",
      "[[[]]]",
      "{\"\":{}}",
      "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"",
      "\"\\u0041\\u00e9\\ud83d\\ude00\"",
      "\"\\u0000\"",
      "\"caf\xC3\xA9\"",
      "\"\xE2\x82\xAC\"",
      "\"\xF0\x9F\x98\x80\"",
      "\"\xF4\x8F\xBF\xBF\"",
      "\"\xEF\xBF\xBF\"",
      "\"\xED\x9F\xBF\"",
      "[ 1 , { \"k\" : \"v\" } ]",
  };
  for (const char* text : valid) {
    INFO(text);
    CHECK(parse(text) == success);
  }
}

TEST_CASE("rawjson rejects invalid documents with a code and an offset", "[rawjson]") {
  struct Case {
    std::string text;
    error_code code;
    size_t offset;
  };
  const Case cases[] = {
      {"", empty_input, 0},
      {"   ", empty_input, 3},
      {"[", unexpected_end, 1},
      {"[1,]", unexpected_character, 3},
      {"[1 2]", unexpected_character, 3},
      {"{\"a\" 1}", unexpected_character, 5},
      {"{\"a\":1,}", unexpected_character, 7},
      {"{1:2}", unexpected_character, 1},
      {"{\"a\":1]", unexpected_character, 6},
      {"[}", unexpected_character, 1},
      {"tru", bad_literal, 0},
      {"nul", bad_literal, 0},
      {"trUe", bad_literal, 0},
      {"01", bad_number, 0},
      {"-", bad_number, 0},
      {"1.", bad_number, 0},
      {"1e", bad_number, 0},
      {".5", unexpected_character, 0},
      {"+1", unexpected_character, 0},
      {"\"abc", unexpected_end, 4},
      {"\"a\nb\"", control_character, 2},
      {std::string("\"a\0b\"", 5), control_character, 2},
      {"\"\\x\"", bad_escape, 1},
      {"\"\\u12G4\"", bad_escape, 1},
      {"\"\\u12\"", bad_escape, 1},
      {"\"\\ud83d\"", bad_surrogate, 1},
      {"\"\\ude00\"", bad_surrogate, 1},
      {"\"\\ud83d\\u0041\"", bad_surrogate, 1},
      {"\"\xC3\"", invalid_utf8, 1},
      {"\"\xC0\xAF\"", invalid_utf8, 1},          // overlong '/'
      {"\"\xE0\x80\xAF\"", invalid_utf8, 1},      // overlong
      {"\"\xED\xA0\x80\"", invalid_utf8, 1},      // UTF-8-encoded surrogate
      {"\"\xF4\x90\x80\x80\"", invalid_utf8, 1},  // above U+10FFFF
      {"\"\xF8\x88\x80\x80\x80\"", invalid_utf8, 1},
      {"\"\x80\"", invalid_utf8, 1},
      {"\"ab\xE2\x82\"", invalid_utf8, 3},
      {"1 2", trailing_content, 2},
      {"{} x", trailing_content, 3},
      {"\xEF\xBB\xBF{}", unexpected_character, 0},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    document doc;
    CHECK(doc.parse(c.text) == c.code);
    CHECK(doc.error_offset() == c.offset);
    CHECK_FALSE(doc.root().exists());
    CHECK(std::string(error_message(c.code)).size() > 3);
  }
}

TEST_CASE("rawjson finds problems after the fast 8-byte string scan", "[rawjson]") {
  std::string s = "\"" + std::string(1000, 'A');
  CHECK(parse(s + "\"") == success);
  for (size_t at : {0u, 1u, 7u, 8u, 9u, 500u, 999u}) {
    std::string bad = s + "\"";
    bad[1 + at] = '\x01';
    INFO(at);
    document doc;
    CHECK(doc.parse(bad) == control_character);
    CHECK(doc.error_offset() == 1 + at);
    bad[1 + at] = '\xFF';
    CHECK(doc.parse(bad) == invalid_utf8);
    CHECK(doc.error_offset() == 1 + at);
  }
  document doc;
  const std::string escaped = "[\"" + std::string(77, 'x') + "\\n" + std::string(5, 'y') + "\"]";
  REQUIRE(doc.parse(escaped) == success);
  CHECK(doc.root().items().begin() != doc.root().items().end());
  CHECK((*doc.root().items().begin()).str() == std::string(77, 'x') + "\n" + std::string(5, 'y'));
}

TEST_CASE("rawjson find_byte answers what string_view::find does", "[rawjson]") {
  // Every position across the 16- and 8-byte steps and the byte-wise tail, from every start.
  for (size_t size : {0u, 1u, 7u, 8u, 15u, 16u, 17u, 33u, 40u}) {
    for (size_t at = 0; at <= size; ++at) {
      std::string text(size, 'a');
      if (at < size) text[at] = '_';
      if (size > 3) text[size - 1] = '\x80';  // a high byte is never taken for another
      for (size_t from = 0; from <= size + 1; ++from) {
        INFO("size " << size << " at " << at << " from " << from);
        CHECK(find_byte(text, '_', from) == std::string_view(text).find('_', from));
        CHECK(find_byte(text, '\x80', from) == std::string_view(text).find('\x80', from));
      }
    }
  }
  CHECK(find_byte("ab_cd_", '_') == 2);
  CHECK(find_byte("ab_cd_", '_', 3) == 5);
  CHECK(find_byte("ab_cd_", '"') == std::string_view::npos);
}

TEST_CASE("rawjson limits depth and node count", "[rawjson]") {
  const std::string deep64 = std::string(64, '[') + std::string(64, ']');
  const std::string deep65 = std::string(65, '[') + std::string(65, ']');
  CHECK(parse(deep64) == success);
  document doc;
  CHECK(doc.parse(deep65) == too_deep);
  CHECK(doc.error_offset() == 64);
  options shallow;
  shallow.max_depth = 2;
  CHECK(parse("[[1]]", shallow) == success);
  CHECK(parse("[[[1]]]", shallow) == too_deep);
  CHECK(parse("{\"a\":{\"b\":{}}}", shallow) == too_deep);
  // Far beyond any stack: rejected by the limit, not by a crash.
  CHECK(parse(std::string(1000000, '[')) == too_deep);
  options few;
  few.max_nodes = 3;
  CHECK(parse("[1,2]", few) == success);
  CHECK(parse("[1,2,3]", few) == too_many_nodes);
  CHECK(parse("{\"a\":1}", few) == success);
  CHECK(parse("{\"a\":1,\"b\":2}", few) == too_many_nodes);
}

TEST_CASE("rawjson accessors", "[rawjson]") {
  document doc;
  const std::string text =
      R"({"s":"a\"b\\c\u00e9\ud83d\ude00","n":-12,"f":2.5,"e":1e3,"big":12345678901234567890,"t":true,)"
      R"("z":false,"nil":null,"arr":[1,"two",[3],{"four":4}],"obj":{"k":"v"},"d":1,"d":2})";
  REQUIRE(doc.parse(text) == success);
  const value root = doc.root();
  CHECK(root.is_object());
  CHECK(root.size() == 12);
  CHECK(root.raw_json() == text);

  const value s = root.get("s");
  CHECK(s.is_string());
  CHECK(s.has_escapes());
  CHECK(s.raw() == R"(a\"b\\c\u00e9\ud83d\ude00)");
  CHECK(s.raw_json() == R"("a\"b\\c\u00e9\ud83d\ude00")");
  CHECK(s.str() == "a\"b\\c\xC3\xA9\xF0\x9F\x98\x80");
  CHECK(s.equals("a\"b\\c\xC3\xA9\xF0\x9F\x98\x80"));
  CHECK(s.offset() == text.find("\"a\\\""));

  CHECK(root.get("n").as_int64() == -12);
  CHECK(root.get("n").as_double() == -12.0);
  CHECK(root.get("n").is_integer());
  CHECK(root.get("f").as_double() == 2.5);
  CHECK_FALSE(root.get("f").as_int64());
  CHECK_FALSE(root.get("f").is_integer());
  CHECK(root.get("e").as_int64() == 1000);
  CHECK_FALSE(root.get("big").as_int64());
  CHECK(root.get("big").as_double().has_value());
  CHECK(root.get("t").as_bool() == true);
  CHECK(root.get("z").as_bool() == false);
  CHECK_FALSE(root.get("n").as_bool());
  CHECK(root.get("nil").is_null());
  CHECK(root.get("nil").raw() == "null");
  CHECK(root.get("d").as_int64() == 2);  // the last duplicate wins, as in JSON.parse

  const value arr = root.get("arr");
  CHECK(arr.size() == 4);
  std::string kinds;
  for (value v : arr.items()) kinds += v.raw_json().substr(0, 1);
  CHECK(kinds == "1\"[{");
  CHECK(arr.raw() == R"([1,"two",[3],{"four":4}])");

  std::string keys;
  for (member m : root.get("obj").members()) keys += m.key.str() + "=" + m.val.str();
  CHECK(keys == "k=v");
}

TEST_CASE("rawjson absent values answer safely", "[rawjson]") {
  document doc;
  REQUIRE(doc.parse(R"({"a":[1]})") == success);
  const value missing = doc.root().get("nope").get("deeper");
  CHECK_FALSE(missing.exists());
  CHECK(missing.type() == kind::absent);
  CHECK(missing.raw().empty());
  CHECK(missing.str().empty());
  CHECK_FALSE(missing.as_double());
  CHECK(missing.size() == 0);
  CHECK_FALSE(missing.items().begin() != missing.items().end());
  CHECK_FALSE(doc.root().get("a").get("x").exists());
  CHECK_FALSE(doc.root().items().begin() != doc.root().items().end());
  CHECK_FALSE(value().equals(""));
  std::string out;
  append_raw(out, missing);
  CHECK(out == "null");
  REQUIRE(doc.parse("[") != success);
  CHECK_FALSE(doc.root().exists());
}

TEST_CASE("rawjson compares escaped keys by their decoded text", "[rawjson]") {
  document doc;
  REQUIRE(doc.parse(R"({"\u006dodel":"m1","me\/ss":2,"caf\u00e9":3,"plain":4})") == success);
  CHECK(doc.root().get("model").equals("m1"));
  CHECK(doc.root().get("me/ss").as_int64() == 2);
  CHECK(doc.root().get("caf\xC3\xA9").as_int64() == 3);
  CHECK(doc.root().get("plain").as_int64() == 4);
  CHECK_FALSE(doc.root().get("\\u006dodel").exists());
}

TEST_CASE("rawjson spans round-trip through the writer", "[rawjson]") {
  const std::string original = R"({"t":"line\nnext \"q\" \\ \/ \u0001 \ud83d\ude00 caf)"
                               "\xC3\xA9"
                               R"(","n":[1.25e-3,-0,{"x":null}]})";
  document doc;
  REQUIRE(doc.parse(original) == success);
  std::string out = "{\"copy\":";
  append_raw(out, doc.root().get("t"));
  out += ",\"nums\":";
  append_raw(out, doc.root().get("n"));
  out += ",\"decoded\":";
  append_string(out, doc.root().get("t").str());
  out += '}';
  document again;
  REQUIRE(again.parse(out) == success);
  CHECK(again.root().get("copy").str() == doc.root().get("t").str());
  CHECK(again.root().get("decoded").str() == doc.root().get("t").str());
  CHECK(again.root().get("copy").raw() == doc.root().get("t").raw());
  CHECK(bal::parse_json(out)["nums"] == bal::parse_json(original)["n"]);
}

TEST_CASE("rawjson writer escapes and repairs", "[rawjson]") {
  std::string out;
  append_string(out, "a\"b\\c\n\t\x01\x1f/\xC3\xA9");
  CHECK(out == "\"a\\\"b\\\\c\\n\\t\\u0001\\u001f/\xC3\xA9\"");
  out.clear();
  append_escaped(out, "ok\xFF\xC3(");
  CHECK(out == "ok\\ufffd\\ufffd(");
  document doc;
  CHECK(doc.parse("\"" + out + "\"") == success);
  CHECK_FALSE(needs_escaping("plain ASCII text, 123 {}[]:/"));
  CHECK(needs_escaping("quote\""));
  CHECK(needs_escaping("back\\slash"));
  CHECK(needs_escaping("tab\t"));
  CHECK(needs_escaping("caf\xC3\xA9"));
  std::string decoded;
  unescape("x\\u00e9\\ud83d\\ude00\\n", decoded);
  CHECK(decoded == "x\xC3\xA9\xF0\x9F\x98\x80\n");
}

TEST_CASE("rawjson agrees with nlohmann on validity of mutated documents", "[rawjson]") {
  const std::string base =
      R"({"model":"gemini","messages":[{"role":"user","content":"h\u00e9llo \"x\""}],"n":1.5e2,"ok":true})";
  // Every single-byte mutation: both parsers must agree, and neither may crash.
  const char replacements[] = {'"', '\\', '{', '}', '[', ']', ',', ':', '0', 'e', '-', ' ', '\x01', 'u', 'x'};
  size_t disagreements = 0;
  for (size_t i = 0; i < base.size(); ++i) {
    for (char r : replacements) {
      std::string m = base;
      m[i] = r;
      document doc;
      const bool ours = doc.parse(m) == success;
      const bool theirs = !bal::json::parse(m, nullptr, false).is_discarded();
      if (ours != theirs) {
        ++disagreements;
        UNSCOPED_INFO(m);
      }
    }
  }
  CHECK(disagreements == 0);
}

TEST_CASE("rawjson as_double agrees with strtod", "[rawjson]") {
  const char* const numbers[] = {"0",
                                 "-0",
                                 "0.7",
                                 "0.1",
                                 "-12.5",
                                 "1024",
                                 "0.3",
                                 "2.675",
                                 "1e3",
                                 "1.5E-7",
                                 "123456789012345",
                                 "9007199254740993",
                                 "0.000000000000001",
                                 "3.141592653589793",
                                 "-2",
                                 "1e400",
                                 "123.456e2",
                                 "0.30000000000000004"};
  for (const char* text : numbers) {
    INFO(text);
    document doc;
    REQUIRE(doc.parse(text) == success);
    const double expected = std::strtod(text, nullptr);
    if (std::isfinite(expected)) {
      REQUIRE(doc.root().as_double().has_value());
      CHECK(*doc.root().as_double() == expected);
      CHECK(std::signbit(*doc.root().as_double()) == std::signbit(expected));
    } else {
      CHECK_FALSE(doc.root().as_double().has_value());
    }
  }
  uint64_t x = 88172645463325252ull;
  for (int i = 0; i < 20000; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    const std::string text = std::to_string(x % 100000000) + "." + std::to_string((x >> 30) % 10000000);
    document doc;
    REQUIRE(doc.parse(text) == success);
    REQUIRE(*doc.root().as_double() == std::strtod(text.c_str(), nullptr));
  }
}
