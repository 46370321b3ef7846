#include "balancer/affinity.h"

#include <catch2/catch.hpp>

#include "balancer/pool.h"

TEST_CASE("resource names in paths, bodies and answers", "[affinity]") {
  CHECK(bal::resource_names("/v1beta/files/abc-123:download") == std::vector<std::string>{"files/abc-123"});
  CHECK(bal::resource_names(R"({"cachedContent": "cachedContents/xyz9"})") ==
        std::vector<std::string>{"cachedContents/xyz9"});
  CHECK(bal::resource_names(R"({"fileUri": "https://generativelanguage.googleapis.com/v1beta/files/q1"})") ==
        std::vector<std::string>{"files/q1"});
  CHECK(bal::resource_names("/upload/v1beta/files?uploadType=resumable").empty());
  CHECK(bal::resource_names("profiles/abc").empty());
}

TEST_CASE("thought signatures in native and OpenAI bodies", "[affinity]") {
  const auto sigs = bal::thought_signatures(
      R"({"thoughtSignature": "c2lnLTE=", "extra_content":{"google":{"thought_signature":"c2lnLTI="}}})");
  REQUIRE(sigs.size() == 2);
  CHECK(sigs[0] == "c2lnLTE=");
  CHECK(sigs[1] == "c2lnLTI=");
  CHECK(bal::thought_signatures(R"({"thoughtSignature": 5})").empty());
}

TEST_CASE("learned resources and signatures route later requests", "[affinity]") {
  bal::Affinity a;
  CHECK(a.empty());
  std::vector<std::string> created;
  a.learn_resources(R"({"file": {"name": "files/abc-123", "uri": "https://x/v1beta/files/abc-123"}})", 7, &created);
  CHECK(created == std::vector<std::string>{"files/abc-123"});
  a.learn_signatures(
      R"({"candidates":[{"content":{"parts":[{"functionCall":{"name":"f"},"thoughtSignature":"SIG"}]}}]})", 9);
  CHECK(created.size() == 1);
  CHECK(a.key_for("/v1beta/files/abc-123", "") == 7);
  CHECK(a.key_for("/v1beta/models/m:generateContent",
                  R"({"contents":[{"parts":[{"fileData":{"fileUri":"https://x/v1beta/files/abc-123"}}]}]})") == 7);
  CHECK(a.key_for("/v1beta/models/m:generateContent", R"({"contents":[{"parts":[{"thoughtSignature":"SIG"}]}]})") == 9);
  CHECK_FALSE(a.key_for("/v1beta/files/other", ""));
  // Learning the same resource again reports nothing new.
  created.clear();
  a.learn_resources(R"({"name": "files/abc-123"})", 7, &created);
  CHECK(created.empty());
}

TEST_CASE("signatures are bounded", "[affinity]") {
  bal::Affinity a;
  for (size_t i = 0; i < bal::Affinity::kMaxSignatures + 10; ++i) {
    a.learn_signatures("{\"thoughtSignature\": \"s" + std::to_string(i) + "\"}", 1);
  }
  CHECK(a.signature_count() == bal::Affinity::kMaxSignatures);
  CHECK_FALSE(a.key_for("", "{\"thoughtSignature\": \"s0\"}"));
  CHECK(a.key_for("", "{\"thoughtSignature\": \"s20009\"}") == 1);
}

TEST_CASE("the pool prefers the affinity key while it is usable", "[affinity]") {
  std::string snap;
  for (int i = 1; i <= 4; ++i)
    snap += "K " + std::to_string(i) + " AIzaSy" + std::string(33, static_cast<char>('a' + i)) + " a\n";
  snap += "A 3 files/abc\nC 2 m 9999999999999\n";
  bal::Pool pool;
  REQUIRE(pool.load(snap, 0));
  CHECK(pool.affinity().key_for("/v1beta/files/abc", "") == 3);
  for (int i = 0; i < 5; ++i) CHECK(pool.at(*pool.select("m", 1000, {}, 3)).id == 3);
  // A cooling or already-tried key is not forced.
  CHECK(pool.at(*pool.select("m", 1000, {}, 2)).id != 2);
  CHECK(pool.at(*pool.select("m", 1000, {3}, 3)).id != 3);
  CHECK_FALSE(pool.load("A 9 files/x\n", 0));
}
