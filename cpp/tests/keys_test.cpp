#include "balancer/keys.h"

#include <catch2/catch.hpp>

namespace {
const std::string kA = "AIzaSyA1234567890abcdefghijklmnopqrstuv";
const std::string kB = "AIzaSyB1234567890abcdefghijklmnopqrst_-";
const std::string kC = "AIzaSyC1234567890ABCDEFGHIJKLMNOPQRSTUV";
}  // namespace

TEST_CASE("well-formed keys are AIza plus 35 key characters", "[keys]") {
  CHECK(kA.size() == 39);
  CHECK(bal::is_well_formed_key(kA));
  CHECK(bal::is_well_formed_key(kB));
  CHECK_FALSE(bal::is_well_formed_key(kA.substr(0, 38)));
  CHECK_FALSE(bal::is_well_formed_key(kA + "x"));
  CHECK_FALSE(bal::is_well_formed_key("BIza" + kA.substr(4)));
  CHECK_FALSE(bal::is_well_formed_key(kA.substr(0, 38) + "!"));
  CHECK_FALSE(bal::is_well_formed_key(kA.substr(0, 38) + " "));
  CHECK_FALSE(bal::is_well_formed_key(""));
}

TEST_CASE("masking shows at most six leading and four trailing characters", "[keys]") {
  CHECK(bal::mask_key(kA) == "AIzaSy…stuv");
  CHECK(bal::mask_key("short") == "*****");
}

TEST_CASE("key lists: text separated by lines, commas, semicolons and blanks", "[keys]") {
  const auto r = bal::parse_key_list("  " + kA + "\r\n" + kB + ", " + kA + " ;\t" + kC + "\n\njunk\n'" + kB + "'\n");
  CHECK(r.keys == std::vector<std::string>{kA, kB, kC});
  CHECK(r.duplicates == 2);
  REQUIRE(r.rejected.size() == 1);
  CHECK(r.rejected[0] == "junk");
  CHECK_FALSE(r.bad_json);
}

TEST_CASE("key lists: JSON object, JSON array and a string inside JSON", "[keys]") {
  auto r = bal::parse_key_list(R"({"keys": [")" + kA + R"(", " )" + kB + R"( ", 42, "nope"]})");
  CHECK(r.keys == std::vector<std::string>{kA, kB});
  CHECK(r.rejected == std::vector<std::string>{"42", "nope"});

  r = bal::parse_key_list(R"([")" + kC + R"(", ")" + kC + R"("])");
  CHECK(r.keys == std::vector<std::string>{kC});
  CHECK(r.duplicates == 1);

  r = bal::parse_key_list(R"({"keys": ")" + kA + R"(\n)" + kB + R"("})");
  CHECK(r.keys == std::vector<std::string>{kA, kB});
}

TEST_CASE("key lists: malformed JSON and wrong shapes are reported", "[keys]") {
  CHECK(bal::parse_key_list("{\"keys\": [").bad_json);
  CHECK(bal::parse_key_list("{\"other\": []}").bad_json);
  CHECK(bal::parse_key_list("{\"keys\": 5}").bad_json);
  CHECK(bal::parse_key_list("").keys.empty());
}

TEST_CASE("key lists: near-keys are never echoed whole", "[keys]") {
  const std::string typo = kA.substr(0, 38);
  const auto r = bal::parse_key_list(typo);
  REQUIRE(r.rejected.size() == 1);
  CHECK(r.rejected[0].find(typo) == std::string::npos);
  CHECK(r.rejected[0] == "AIzaSy…rstu (38 chars)");
}

TEST_CASE("key lists: more than the limit is refused", "[keys]") {
  std::string many;
  for (size_t i = 0; i <= bal::kMaxKeysPerRequest; ++i) many += "x\n";
  CHECK(bal::parse_key_list(many).too_many);
}

TEST_CASE("extract_keys finds keys inside free text", "[keys]") {
  const std::string text = "GEMINI_API_KEY=" + kA + "\nother: " + kB + "x " + kC + "," + kA;
  CHECK(bal::extract_keys(text) == std::vector<std::string>{kA, kC});
}

TEST_CASE("key lists: huge or deeply nested JSON is refused before it is built", "[keys]") {
  std::string huge = "[";
  for (int i = 0; i < 200000; ++i) huge += "\"x\",";
  huge += "\"x\"]";
  const auto r = bal::parse_key_list(huge);
  CHECK(r.too_many);
  CHECK(r.keys.empty());
  CHECK(bal::parse_key_list(std::string(100000, '[')).bad_json);
  CHECK(bal::parse_key_list("{\"keys\": " + std::string(70, '[') + std::string(70, ']') + "}").bad_json);
  // Nested arrays within the depth limit are reported item by item, not trusted.
  const auto nested = bal::parse_key_list(R"({"keys": [[")" + kA + R"("], {"k": 1}, 7]})");
  CHECK(nested.keys.empty());
  CHECK(nested.rejected.size() == 3);
}

TEST_CASE("key lists: hostile text never traps and never echoes a long entry whole", "[keys]") {
  const std::string blob(1 << 20, 'A');
  const auto r = bal::parse_key_list(blob + std::string("\n\xff\xfe\x00 ", 5) + kA);
  CHECK(r.keys == std::vector<std::string>{kA});
  for (const std::string& shown : r.rejected) CHECK(shown.size() < 64);
}
