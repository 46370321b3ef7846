#include "balancer/base64.h"

#include <catch2/catch.hpp>
#include <string>

using namespace bal;

namespace {
std::string enc(std::string_view s) {
  std::string out;
  base64::encode(s, out);
  return out;
}
}  // namespace

TEST_CASE("base64 encodes the RFC 4648 test vectors", "[base64]") {
  CHECK(enc("") == "");
  CHECK(enc("f") == "Zg==");
  CHECK(enc("fo") == "Zm8=");
  CHECK(enc("foo") == "Zm9v");
  CHECK(enc("foob") == "Zm9vYg==");
  CHECK(enc("fooba") == "Zm9vYmE=");
  CHECK(enc("foobar") == "Zm9vYmFy");
  CHECK(enc(std::string("\xff\xfe\x00", 3)) == "//4A");
}

TEST_CASE("base64 decodes padded, unpadded and URL-safe text", "[base64]") {
  std::string out;
  CHECK(base64::decode("Zm9vYmFy", out));
  CHECK(out == "foobar");
  out.clear();
  CHECK(base64::decode("Zm9vYg", out));
  CHECK(out == "foob");
  out.clear();
  CHECK(base64::decode("Zm9vYmE=", out));
  CHECK(out == "fooba");
  out.clear();
  CHECK(base64::decode("__4A", out));
  CHECK(out == std::string("\xff\xfe\x00", 3));
}

TEST_CASE("base64 refuses what is not base64 and leaves the output as it was", "[base64]") {
  for (const char* bad : {"Zm9v!", "Zm9vY", "Zm=v", "Zm9v\n", "====", "Z==="}) {
    std::string out = "keep";
    CHECK_FALSE(base64::decode(bad, out));
    CHECK(out == "keep");
  }
}

TEST_CASE("base64 round-trips every byte value and every length", "[base64]") {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes += static_cast<char>(i);
  for (size_t n = 0; n <= bytes.size(); n += 7) {
    const std::string s = bytes.substr(0, n);
    std::string back;
    REQUIRE(base64::decode(enc(s), back));
    CHECK(back == s);
  }
}
