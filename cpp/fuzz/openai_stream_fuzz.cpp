// The SSE stream translator, fed in chunks cut where the input says. Input
// (FuzzedDataProvider): a flags byte from the end; then, repeatedly, a chunk length (2 bytes
// from the end) and that many bytes of the upstream SSE body from the front.
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

// Every event the client gets is "data: <JSON>\n\n" or "data: [DONE]\n\n"; error events carry
// an upstream message, which must have been redacted.
void check_events(std::string_view out) {
  while (!out.empty()) {
    const size_t end = out.find("\n\n");
    FUZZ_CHECK(end != std::string_view::npos);
    std::string_view event = out.substr(0, end);
    out.remove_prefix(end + 2);
    FUZZ_CHECK(event.substr(0, 6) == "data: ");
    event.remove_prefix(6);
    if (event == "[DONE]") continue;
    FUZZ_CHECK(fuzz::is_json(event));
    fuzz::check_error_body_has_no_key(event);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  const uint8_t flags = in.ConsumeIntegral<uint8_t>();
  const json h = {{"kind", "chat"},
                  {"model", "gemini-2.5-flash"},
                  {"stream", true},
                  {"include_usage", (flags & 1) != 0},
                  {"include_reasoning", (flags & 2) != 0},
                  {"n", 1 + ((flags >> 2) & 3)},
                  {"now_ms", 1700000000123},
                  {"request_id", "0123456789abcdef"}};
  auto chunked = bal::openai::open_stream(h);
  auto whole = bal::openai::open_stream(h);
  FUZZ_CHECK(chunked && whole);

  std::string body, out_chunked, out_whole;
  while (in.remaining_bytes() > 0) {
    const std::string chunk = in.ConsumeBytesAsString(in.ConsumeIntegralInRange<size_t>(1, 65536));
    body += chunk;
    chunked->push(chunk, out_chunked);
  }
  chunked->finish(out_chunked);
  whole->push(body, out_whole);
  whole->finish(out_whole);

  FUZZ_CHECK(out_chunked == out_whole);
  FUZZ_CHECK(chunked->summary() == whole->summary());
  FUZZ_CHECK(chunked->summary().is_object());
  check_events(out_chunked);
  return 0;
}
