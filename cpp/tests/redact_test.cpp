#include "balancer/redact.h"

#include <catch2/catch.hpp>

TEST_CASE("redaction removes whole and partial keys", "[redact]") {
  const std::string key = "AIzaSyA1234567890abcdefghijklmnopqrstuv";
  const std::string msg = "Permission denied: Consumer 'api_key:" + key + "' has been suspended.";
  const std::string out = bal::redact(msg);
  CHECK(out == "Permission denied: Consumer 'api_key:AIzaSy…[redacted]' has been suspended.");
  CHECK(out.find(key) == std::string::npos);
  CHECK(bal::contains_key_material(msg));
  CHECK_FALSE(bal::contains_key_material(out));

  CHECK(bal::redact(key + key) == "AIzaSy…[redacted]");
  CHECK(bal::redact("a " + key + " b " + key.substr(0, 20) + " c") == "a AIzaSy…[redacted] b AIzaSy…[redacted] c");
  CHECK(bal::redact("key=" + key + "&x=1") == "key=AIzaSy…[redacted]&x=1");
}

TEST_CASE("redaction leaves ordinary text alone", "[redact]") {
  CHECK(bal::redact("") == "");
  CHECK(bal::redact("AIza") == "AIza");
  CHECK(bal::redact("AIzaShort") == "AIzaShort");
  CHECK(bal::redact("no keys here, AIza!") == "no keys here, AIza!");
  CHECK_FALSE(bal::contains_key_material("AIza123456789"));
}

TEST_CASE("redaction hides the value of api_key: and api_key= forms, whatever it looks like", "[redact]") {
  CHECK(bal::redact("Consumer 'api_key:0123456789abcdef' has been suspended") ==
        "Consumer 'api_key:…[redacted]' has been suspended");
  CHECK(bal::redact("API_KEY=sk_live_abcdefgh&x=1") == "API_KEY=…[redacted]&x=1");
  CHECK(bal::redact("Api_Key:abcdefgh") == "Api_Key:…[redacted]");
  // Short values are not keys; the AIza rule keeps its prefix.
  CHECK(bal::redact("api_key:abc") == "api_key:abc");
  CHECK(bal::redact("api_key:AIzaSyA1234567890abcdefghijklmnopqrstuv'") == "api_key:AIzaSy…[redacted]'");
  CHECK(bal::redact("api_key:AIzaShort99") == "api_key:…[redacted]");
  CHECK(bal::contains_key_material("containerInfo: api_key:zzzzzzzzzz"));
  CHECK_FALSE(bal::contains_key_material("api_key: spaced-out"));
}

TEST_CASE("redaction is idempotent and catches keys in JSON, URLs and error details", "[redact]") {
  const std::string key = "AIzaSyB_-0123456789abcdefghijklmnopqrstu";
  const std::string body = R"({"error":{"code":403,"message":"Permission denied: Consumer 'api_key:)" + key +
                           R"(' has been suspended.","details":[{"metadata":{"containerInfo":"api_key:)" + key +
                           R"(","consumer":"projects/1"}}]}})";
  const std::string once = bal::redact(body);
  CHECK(once.find(key) == std::string::npos);
  CHECK(once.find(key.substr(6)) == std::string::npos);
  CHECK(bal::redact(once) == once);
  CHECK_FALSE(bal::contains_key_material(once));
  for (const std::string& text :
       {"https://x/v1beta/models?key=" + key, "\"" + key + "\"", key + "\n" + key, "x-goog-api-key: " + key}) {
    INFO(text);
    CHECK(bal::redact(text).find(key) == std::string::npos);
  }
}

TEST_CASE("redaction sees keys written with JSON escapes or percent-escapes", "[redact]") {
  const std::string key = "AIzaSyA1234567890abcdefghijklmnopqrstuv";
  const std::string middle = key.substr(6, 29);
  const std::string forms[] = {
      "\\u0041IzaSyA1234567890abcdefghijklmnopqrstuv",                    // a raw JSON body
      "\\u0041\\u0049\\u007a\\u0061SyA1234567890abcdefghijklmnopqrstuv",  // every character escaped
      "AIzaSy\\u0041\\u00312\\u00334567890abcdefghijklmnopqrstuv",        // escapes inside the key
      "%41IzaSyA1234567890abcdefghijklmnopqrstuv",                        // a URL
      "AIza%53y%41%31234567890abcdefghijklmnopqrstuv",                    // percent-escapes inside the key
      "\\\\u0041IzaSyA1234567890abcdefghijklmnopqrstuv",                  // JSON inside a JSON string
  };
  for (const std::string& form : forms) {
    const std::string text = R"({"error":{"message":"Consumer 'x:)" + form + R"(' has been suspended."}})";
    INFO(text);
    const std::string out = bal::redact(text);
    CHECK(out.find(middle) == std::string::npos);
    CHECK(out.find("4567890abcdef") == std::string::npos);
    CHECK(out.find("[redacted]") != std::string::npos);
    CHECK(bal::redact(out) == out);
    CHECK_FALSE(bal::contains_key_material(out));
  }
  // The labelled form, escaped.
  CHECK(bal::redact("api%5Fkey%3Azzzzzzzzzzzz") == "api%5Fkey%3A…[redacted]");
  CHECK(bal::redact("\\u0061pi_key:zzzzzzzzzzzz") == "\\u0061pi_key:…[redacted]");
  // Escapes that decode to something else are text like any other.
  CHECK(bal::redact("%41%49%7A%61%ZZ and \\u0041IzaShort") == "%41%49%7A%61%ZZ and \\u0041IzaShort");
}

TEST_CASE("a marker of the caller's choice, for header values that must stay Latin-1", "[redact]") {
  CHECK(bal::redact("k=AIzaSyA1234567890abcdefghijklmnopqrstuv&x=1", "...[redacted]") == "k=AIzaSy...[redacted]&x=1");
}
