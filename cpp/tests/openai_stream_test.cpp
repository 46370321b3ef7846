#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "balancer/openai.h"
#include "balancer/redact.h"
#include "fixtures.h"

namespace {

using bal::json;

using fixtures::normalized;

std::vector<std::filesystem::path> stream_fixtures() {
  return fixtures::files("openai/streams");
}

struct Run {
  std::string out;
  json summary;
};

std::unique_ptr<bal::StreamTranslator> open_stream(const json& header) {
  return bal::openai::exchange_from(header)->stream();
}

// What a finished stream tells the key's statistics, as the fixtures write it: tokens, the
// first finish reason the client saw, and whether the answer ended properly.
json summary_of(const bal::StreamTranslator& t, const std::string& out) {
  const bal::gemini::Usage u = t.usage();
  json reason = nullptr;
  constexpr std::string_view kMarker = "\"finish_reason\":\"";
  if (const size_t at = out.find(kMarker); at != std::string::npos) {
    const size_t from = at + kMarker.size();
    reason = out.substr(from, out.find('"', from) - from);
  }
  return {
      {"prompt_tokens", u.prompt}, {"completion_tokens", u.completion()}, {"finish_reason", reason}, {"ok", t.ok()}};
}

// Feeds `sse` cut at `cuts` (ascending offsets) and finishes the stream.
Run run(const json& header, std::string_view sse, const std::vector<size_t>& cuts) {
  auto t = open_stream(header);
  REQUIRE(t != nullptr);
  Run r;
  size_t at = 0;
  for (size_t cut : cuts) {
    t->push(sse.substr(at, cut - at), r.out);
    at = cut;
  }
  t->push(sse.substr(at), r.out);
  t->finish(r.out);
  r.summary = summary_of(*t, r.out);
  return r;
}

// Splits OpenAI SSE output into its events' data, checking the framing on the way.
std::vector<std::string> events_of(const std::string& out) {
  std::vector<std::string> events;
  size_t at = 0;
  while (at < out.size()) {
    const size_t end = out.find("\n\n", at);
    REQUIRE(end != std::string::npos);
    const std::string_view ev(out.data() + at, end - at);
    REQUIRE(ev.substr(0, 6) == "data: ");
    REQUIRE(ev.find('\n') == std::string_view::npos);
    events.emplace_back(ev.substr(6));
    at = end + 2;
  }
  return events;
}

void check_against(const json& expect, const std::string& out) {
  const auto events = events_of(out);
  REQUIRE(events.size() == expect.size());
  for (size_t i = 0; i < events.size(); ++i) {
    INFO("event " << i << ": " << events[i]);
    if (expect[i].is_string()) {
      CHECK(events[i] == expect[i].get<std::string>());
    } else {
      CHECK(normalized(bal::parse_json(events[i])) == normalized(expect[i]));
    }
  }
}

}  // namespace

TEST_CASE("openai streams: golden fixtures under every chunking", "[openai][stream]") {
  const auto files = stream_fixtures();
  CHECK(files.size() >= 20);
  for (const auto& path : files) {
    SECTION(path.stem().string()) {
      const json f = fixtures::read_json(path);
      REQUIRE(f.is_object());
      const std::string sse = f["sse"].get<std::string>();
      const Run whole = run(f["translate"], sse, {});
      check_against(f["expect"], whole.out);
      CHECK(whole.summary == f["summary"]);
      CHECK_FALSE(bal::contains_key_material(whole.out));

      std::vector<size_t> every_byte;
      for (size_t i = 1; i < sse.size(); ++i) every_byte.push_back(i);
      const Run bytes = run(f["translate"], sse, every_byte);
      CHECK(bytes.out == whole.out);
      CHECK(bytes.summary == whole.summary);

      std::mt19937 rng(20240611);
      for (int round = 0; round < 50; ++round) {
        std::vector<size_t> cuts;
        if (!sse.empty()) {
          std::uniform_int_distribution<size_t> pos(0, sse.size());
          const size_t count = std::uniform_int_distribution<size_t>(1, 12)(rng);
          for (size_t k = 0; k < count; ++k) cuts.push_back(pos(rng));
          std::sort(cuts.begin(), cuts.end());
        }
        INFO("round " << round);
        CHECK(run(f["translate"], sse, cuts).out == whole.out);
      }
    }
  }
}

TEST_CASE("openai streams: any cut of a stream ends in [DONE], never a trap", "[openai][stream]") {
  for (const auto& path : stream_fixtures()) {
    const json f = fixtures::read_json(path);
    const std::string sse = f["sse"].get<std::string>();
    for (size_t n = 0; n <= sse.size(); n += 5) {
      INFO(path.stem().string() << " cut at " << n);
      const Run r = run(f["translate"], std::string_view(sse).substr(0, n), {});
      const auto events = events_of(r.out);
      REQUIRE_FALSE(events.empty());
      CHECK(events.back() == "[DONE]");
      for (size_t i = 0; i + 1 < events.size(); ++i) REQUIRE_FALSE(bal::parse_json(events[i]).is_discarded());
    }
  }
}

TEST_CASE("openai streams: lifecycle", "[openai][stream]") {
  const json h = {{"kind", "chat"}, {"model", "m"}, {"now_ms", 1000}, {"request_id", "r"}};

  SECTION("nothing is emitted after the end, and finish is idempotent") {
    auto t = open_stream(h);
    std::string out;
    t->push("data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]},\"finishReason\":\"STOP\"}]}\r\n\r\n",
            out);
    t->finish(out);
    const std::string done = out;
    t->finish(out);
    t->push("data: {\"candidates\":[]}\r\n\r\n", out);
    t->fail(bal::api_error(502, "late"), out);
    CHECK(out == done);
    CHECK(t->ok());
  }
  SECTION("before finish the stream is not ok") {
    auto t = open_stream(h);
    CHECK_FALSE(t->ok());
  }
  SECTION("a failure mid-stream ends it with an error event and [DONE]") {
    auto t = open_stream(h);
    std::string out;
    t->push("data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]}}]}\r\n\r\n", out);
    t->fail(bal::api_error(502, "upstream stream stalled"), out);
    const auto events = events_of(out);
    REQUIRE(events.size() == 4);
    CHECK(bal::parse_json(events[2])["error"]["message"] == "upstream stream stalled");
    CHECK(events[3] == "[DONE]");
    CHECK_FALSE(t->ok());
  }
  SECTION("an event past 16 MB is an error, and the memory is not kept") {
    auto t = open_stream(h);
    std::string out;
    t->push("data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"", out);
    const std::string block(1 << 20, 'x');
    for (int i = 0; i < 17; ++i) t->push(block, out);
    const auto events = events_of(out);
    REQUIRE(events.size() == 2);
    CHECK(bal::parse_json(events[0])["error"]["message"] == "upstream stream event is too large");
    CHECK(events[1] == "[DONE]");
    CHECK_FALSE(t->ok());
  }
}
