#include <catch2/catch.hpp>

#include "balancer/redact.h"

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
