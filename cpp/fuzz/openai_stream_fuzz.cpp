// The OpenAI stream translator (Exchange::stream), fed in chunks cut where the input says.
// Input (FuzzedDataProvider): a flags byte from the end; then, repeatedly, a chunk length
// (2 bytes from the end) and that many bytes of the upstream SSE body from the front. Flag
// 16 ends the stream with fail() (the upstream dropped or stalled) instead of finish(); flag
// 32 asks for Google Search, so that grounding metadata becomes url_citation annotations.
//
// The same body pushed whole into a second translator must give byte-identical output: a
// network may cut a CRLF, a UTF-8 character or an event anywhere.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <string>

#include "balancer/openai.h"
#include "fuzz_support.h"

namespace {

using bal::json;

constexpr std::string_view kDone = "data: [DONE]\n\n";

// Every event the client gets is "data: <JSON>\n\n" or "data: [DONE]\n\n", and the last is
// [DONE]; error events carry an upstream message, which must have been redacted.
void check_events(std::string_view out) {
  FUZZ_CHECK(out.size() >= kDone.size() && out.substr(out.size() - kDone.size()) == kDone);
  while (!out.empty()) {
    const size_t end = out.find("\n\n");
    FUZZ_CHECK(end != std::string_view::npos);
    std::string_view event = out.substr(0, end);
    out.remove_prefix(end + 2);
    FUZZ_CHECK(event.substr(0, 6) == "data: ");
    event.remove_prefix(6);
    if (event == "[DONE]") {
      FUZZ_CHECK(out.empty());
      continue;
    }
    FUZZ_CHECK(fuzz::is_json(event));
    fuzz::check_error_body_has_no_key(event);
  }
}

bool same_usage(const bal::gemini::Usage& a, const bal::gemini::Usage& b) {
  return a.prompt == b.prompt && a.candidates == b.candidates && a.thoughts == b.thoughts && a.cached == b.cached &&
         a.tool_prompt == b.tool_prompt && a.known == b.known;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  const uint8_t flags = in.ConsumeIntegral<uint8_t>();
  const json d = {{"kind", "chat"},
                  {"model", "gemini-2.5-flash"},
                  {"stream", true},
                  {"include_usage", (flags & 1) != 0},
                  {"include_reasoning", (flags & 2) != 0},
                  {"n", 1 + ((flags >> 2) & 3)},
                  {"grounded", (flags & 32) != 0},
                  {"now_ms", 1700000000123},
                  {"request_id", "0123456789abcdef"}};
  const bool fails = (flags & 16) != 0;
  auto chunked = bal::openai::exchange_from(d)->stream();
  auto whole = bal::openai::exchange_from(d)->stream();
  FUZZ_CHECK(chunked && whole);

  std::string body, out_chunked, out_whole;
  while (in.remaining_bytes() > 0) {
    const std::string chunk = in.ConsumeBytesAsString(in.ConsumeIntegralInRange<size_t>(1, 65536));
    body += chunk;
    chunked->push(chunk, out_chunked);
  }
  whole->push(body, out_whole);
  const bal::ApiError stalled = bal::api_error(502, "upstream stream stalled");
  const auto end = [&](bal::StreamTranslator& t, std::string& out) {
    if (fails) {
      t.fail(stalled, out);
    } else {
      t.finish(out);
    }
  };
  end(*chunked, out_chunked);
  end(*whole, out_whole);

  FUZZ_CHECK(out_chunked == out_whole);
  FUZZ_CHECK(chunked->ok() == whole->ok());
  FUZZ_CHECK(same_usage(chunked->usage(), whole->usage()));
  if (fails) FUZZ_CHECK(!chunked->ok());
  const bal::gemini::Usage u = chunked->usage();
  FUZZ_CHECK(u.prompt >= 0 && u.candidates >= 0 && u.thoughts >= 0 && u.cached >= 0);
  check_events(out_chunked);

  // The stream is over: nothing more reaches the client, whatever comes late.
  const std::string ended = out_chunked;
  chunked->push("data: {\"candidates\":[]}\r\n\r\n", out_chunked);
  chunked->finish(out_chunked);
  chunked->fail(stalled, out_chunked);
  FUZZ_CHECK(out_chunked == ended);
  return 0;
}
