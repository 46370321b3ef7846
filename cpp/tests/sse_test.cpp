#include "balancer/sse.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace {

// Feeds `input` in pieces cut at `cuts` and returns every event, flushed tail included.
std::vector<std::string> split(std::string_view input, const std::vector<size_t>& cuts,
                               size_t limit = bal::sse::kDefaultMaxEventBytes) {
  bal::sse::Splitter s(limit);
  std::vector<std::string> events;
  size_t at = 0;
  std::vector<size_t> ends = cuts;
  ends.push_back(input.size());
  for (size_t end : ends) {
    std::string_view chunk = input.substr(at, end - at);
    std::string_view data;
    while (s.next(chunk, data)) events.emplace_back(data);
    at = end;
  }
  std::string_view data;
  if (s.flush(data)) events.emplace_back(data);
  return events;
}

std::vector<std::string> whole(std::string_view input) {
  return split(input, {});
}

}  // namespace

TEST_CASE("sse: events end with a blank line in any line-ending style", "[sse]") {
  using V = std::vector<std::string>;
  SECTION("CRLF, as the real service sends") {
    CHECK(whole("data: a\r\n\r\ndata: b\r\n\r\n") == V{"a", "b"});
  }
  SECTION("LF") {
    CHECK(whole("data: a\n\ndata: b\n\n") == V{"a", "b"});
  }
  SECTION("CR alone") {
    CHECK(whole("data: a\r\rdata: b\r\r") == V{"a", "b"});
  }
  SECTION("mixed") {
    CHECK(whole("data: a\r\n\ndata: b\n\r\n") == V{"a", "b"});
  }
}

TEST_CASE("sse: field parsing follows the specification", "[sse]") {
  using V = std::vector<std::string>;
  SECTION("several data lines join with LF") {
    CHECK(whole("data: {\"a\":\ndata: 1}\n\n") == V{"{\"a\":\n1}"});
  }
  SECTION("only one leading space is removed") {
    CHECK(whole("data:x\n\ndata:  y\n\n") == V{"x", " y"});
  }
  SECTION("a bare 'data' line is an empty data line") {
    CHECK(whole("data\ndata: z\n\n") == V{"\nz"});
  }
  SECTION("comments and other fields are ignored") {
    CHECK(whole(": keep-alive\nevent: message\nid: 7\nretry: 10\ndata: q\n\n") == V{"q"});
  }
  SECTION("an event without data is not dispatched") {
    CHECK(whole("event: ping\n\n\n\ndata: r\n\n") == V{"r"});
  }
  SECTION("a field name must match exactly") {
    CHECK(whole("database: no\ndata: yes\n\n") == V{"yes"});
  }
}

TEST_CASE("sse: chunk boundaries anywhere give the same events", "[sse]") {
  const std::string input =
      "data: {\"t\":\"h\xC3\xA9llo \xF0\x9F\x98\x80\"}\r\n\r\n: c\r\ndata: line1\r\ndata: line2\r\n\r\ndata: "
      "end\r\n\r\n";
  const auto expected = whole(input);
  REQUIRE(expected.size() == 3);
  for (size_t i = 0; i <= input.size(); ++i) {
    for (size_t j = i; j <= input.size(); j += 3) {
      INFO("cuts at " << i << " and " << j);
      REQUIRE(split(input, {i, j}) == expected);
    }
  }
  std::vector<size_t> every_byte;
  for (size_t i = 1; i < input.size(); ++i) every_byte.push_back(i);
  CHECK(split(input, every_byte) == expected);
}

TEST_CASE("sse: a CR at the end of a chunk does not make its LF a blank line", "[sse]") {
  // Were the LF taken as a line of its own, "a" would be dispatched before "b" joined it.
  CHECK(split("data: a\r\ndata: b\r\n\r\n", {8}) == std::vector<std::string>{"a\nb"});
  CHECK(split("data: a\r\n\r\n", {8, 9, 10}) == std::vector<std::string>{"a"});
}

TEST_CASE("sse: flush returns an event the stream did not terminate", "[sse]") {
  CHECK(whole("data: a\r\n\r\ndata: b") == std::vector<std::string>{"a", "b"});
  CHECK(whole("data: a\r\n\r\ndata: b\r\n") == std::vector<std::string>{"a", "b"});
  CHECK(whole("data: a\r\n\r\n: only a comment").size() == 1);
  CHECK(whole("").empty());
}

TEST_CASE("sse: one event past the limit stops the splitter", "[sse]") {
  bal::sse::Splitter s(64);
  std::string_view data;
  std::string_view small = "data: ok\n\n";
  REQUIRE(s.next(small, data));
  CHECK(data == "ok");

  const std::string big = "data: " + std::string(100, 'x') + "\n\ndata: after\n\n";
  std::string_view rest = big;
  CHECK_FALSE(s.next(rest, data));
  CHECK(s.overflowed());
  std::string_view more = "data: more\n\n";
  CHECK_FALSE(s.next(more, data));
  CHECK_FALSE(s.flush(data));

  SECTION("the limit counts data split over many lines and chunks") {
    bal::sse::Splitter t(64);
    bool any = false;
    for (int i = 0; i < 40; ++i) {
      std::string_view line = "data: 0123\n";
      any = t.next(line, data) || any;
    }
    CHECK_FALSE(any);
    CHECK(t.overflowed());
  }
}

TEST_CASE("sse: an event near the limit that arrives in pieces is not counted twice", "[sse]") {
  // 40 bytes of data under a limit of 64: the buffered line and the event data are the same
  // bytes, and must not be added up.
  bal::sse::Splitter s(64);
  std::string_view data;
  const std::string event = "data: " + std::string(40, 'y') + "\n\n";
  bool got = false;
  for (size_t i = 0; i < event.size(); i += 7) {
    std::string_view piece = std::string_view(event).substr(i, 7);
    if (s.next(piece, data)) {
      got = true;
      CHECK(data == std::string(40, 'y'));
    }
  }
  CHECK(got);
  CHECK_FALSE(s.overflowed());
}
