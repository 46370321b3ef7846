// The Anthropic stream translator (and the whole answer), fed in chunks cut where the input
// says. Input (FuzzedDataProvider): a flags byte from the end; then, repeatedly, a chunk
// length (2 bytes from the end) and that many bytes of the upstream SSE body from the front.
//
// The same body pushed whole into a second translator must give byte-identical output: a
// network may cut a CRLF, a UTF-8 character or an event anywhere. The concatenated body is
// also handed to the whole answer, as a generateContent body.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <string>

#include "balancer/anthropic.h"
#include "fuzz_support.h"

namespace {

// Every event is "event: <type>\ndata: <JSON>\n\n"; the stream ends with message_stop or an
// error event, and error messages carry upstream text, which must have been redacted.
void check_events(std::string_view out, bool ok) {
  std::string_view last;
  while (!out.empty()) {
    const size_t end = out.find("\n\n");
    FUZZ_CHECK(end != std::string_view::npos);
    std::string_view event = out.substr(0, end);
    out.remove_prefix(end + 2);
    FUZZ_CHECK(event.substr(0, 7) == "event: ");
    const size_t nl = event.find('\n');
    FUZZ_CHECK(nl != std::string_view::npos);
    last = event.substr(7, nl - 7);
    const std::string_view data = event.substr(nl + 1);
    FUZZ_CHECK(data.substr(0, 6) == "data: ");
    FUZZ_CHECK(data.find('\n') == std::string_view::npos);
    FUZZ_CHECK(fuzz::is_json(data.substr(6)));
    FUZZ_CHECK(data.find("\"type\":\"" + std::string(last) + "\"") != std::string_view::npos);
    if (last == "error") FUZZ_CHECK(bal::extract_keys(data).empty());
  }
  FUZZ_CHECK(last == (ok ? "message_stop" : "error"));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  const uint8_t flags = in.ConsumeIntegral<uint8_t>();
  const std::string model = (flags & 1) != 0 ? "claude-sonnet-4-5" : "gemini-3-pro-preview";
  bal::anthropic::MessageStream chunked(model, "0123456789abcdef");
  bal::anthropic::MessageStream whole(model, "0123456789abcdef");

  std::string body, out_chunked, out_whole;
  if ((flags & 2) != 0) {
    chunked.ping(out_chunked);
    whole.ping(out_whole);
  }
  while (in.remaining_bytes() > 0) {
    const std::string chunk = in.ConsumeBytesAsString(in.ConsumeIntegralInRange<size_t>(1, 65536));
    body += chunk;
    chunked.push(chunk, out_chunked);
  }
  chunked.finish(out_chunked);
  whole.push(body, out_whole);
  whole.finish(out_whole);

  FUZZ_CHECK(out_chunked == out_whole);
  FUZZ_CHECK(chunked.ok() == whole.ok());
  check_events(out_chunked, chunked.ok());

  bal::RequestInfo info;
  info.request_id = "0123456789abcdef";
  bal::Translated t = bal::anthropic::translate_messages(
      R"({"model":"gemini-2.5-flash","max_tokens":1,"messages":[{"role":"user","content":"x"}]})", info);
  FUZZ_CHECK(!t.error && t.exchange != nullptr);
  const bal::Reply r = t.exchange->answer({body});
  FUZZ_CHECK(r.status == 200 || r.status == 502);
  FUZZ_CHECK(fuzz::is_json(r.body));
  return 0;
}
