#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "balancer/gemini.h"

namespace {

struct Span {
  std::string url;
  int64_t start;
  int64_t end;
  bool operator==(const Span& o) const { return url == o.url && start == o.start && end == o.end; }
};

std::vector<Span> spans(const std::string& grounding, const std::string& escaped_text) {
  bal::raw::document doc;
  REQUIRE(doc.parse(grounding) == bal::raw::success);
  std::vector<Span> out;
  for (const auto& c : bal::gemini::read_citations(doc.root(), escaped_text)) {
    out.push_back({std::string(c.url), c.start, c.end});
  }
  return out;
}

std::string support(int start, int end, const std::string& indexes) {
  return R"({"segment":{"startIndex":)" + std::to_string(start) + R"(,"endIndex":)" + std::to_string(end) +
         R"(},"groundingChunkIndices":[)" + indexes + "]}";
}

const std::string kChunks = R"("groundingChunks":[{"web":{"uri":"u0","title":"t0"}},{"maps":{"uri":"u1"}}])";

}  // namespace

TEST_CASE("grounding spans: UTF-8 byte offsets become code points of the escaped text", "[grounding]") {
  // "é" is 2 bytes, "日" 3, the escaped pair 😀 4, "\n" (escaped) 1, "\u00e9" (escaped é) 2.
  const std::string text = R"(aé日\ud83d\ude00\n\u00e9z)";
  const auto at = [&](int byte) { return spans("{" + kChunks + R"(,"groundingSupports":[)" + support(0, byte, "0") + "]}", text); };
  CHECK(at(1) == std::vector<Span>{{"u0", 0, 1}, {"u1", 0, 0}});
  CHECK(at(3)[0].end == 2);
  CHECK(at(6)[0].end == 3);
  CHECK(at(10)[0].end == 4);
  CHECK(at(11)[0].end == 5);
  CHECK(at(13)[0].end == 6);
  CHECK(at(14)[0].end == 7);
  // An offset inside a character counts the character in.
  CHECK(at(2)[0].end == 2);
  CHECK(at(8)[0].end == 4);
  // Past the text: the span goes, its source stays with an empty span.
  CHECK(at(15) == std::vector<Span>{{"u0", 0, 0}, {"u1", 0, 0}});
}

TEST_CASE("grounding spans: a lone surrogate escape and bad escapes still count one character", "[grounding]") {
  // \ud83d alone decodes to U+FFFD (3 bytes); "\x" is not JSON, counted as one byte.
  const std::string text = R"(\ud83dA\xB)";
  const auto all = spans("{" + kChunks + R"(,"groundingSupports":[)" + support(3, 4, "0") + "," + support(4, 6, "1") + "]}", text);
  CHECK(all == std::vector<Span>{{"u0", 1, 2}, {"u1", 2, 4}});
}

TEST_CASE("grounding: sources are capped, and listed once", "[grounding]") {
  std::string chunks = R"("groundingChunks":[)";
  std::string indexes;
  for (int i = 0; i < 400; ++i) {
    if (i > 0) {
      chunks += ',';
      indexes += ',';
    }
    chunks += R"({"web":{"uri":"u)" + std::to_string(i % 300) + R"("}})";
    indexes += std::to_string(i);
  }
  chunks += ']';
  const std::string grounding = "{" + chunks + R"(,"groundingSupports":[)" + support(0, 1, indexes) + "]}";
  CHECK(spans(grounding, "abc").size() == 256);
  bal::raw::document doc;
  REQUIRE(doc.parse(grounding) == bal::raw::success);
  CHECK(bal::gemini::read_sources(doc.root()).size() == 256);
  REQUIRE(doc.parse(R"({"groundingChunks":[{"web":{"uri":"a"}},{"web":{"uri":"a"}},{"web":{"title":"no uri"}}]})") ==
          bal::raw::success);
  CHECK(bal::gemini::read_sources(doc.root()).size() == 1);
}
