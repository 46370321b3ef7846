// The Responses API stream translator, fed in chunks cut where the input says. Input
// (FuzzedDataProvider): a flags byte from the end; then, repeatedly, a chunk length (2 bytes
// from the end) and that many bytes of the upstream SSE body from the front.
//
// The same body pushed whole into a second translator must give byte-identical output, every
// event must be "event: <type>\ndata: <JSON>\n\n", and the stream must end in one terminal
// event.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <string>

#include "balancer/model_map.h"
#include "balancer/responses.h"
#include "fuzz_support.h"

namespace {

void check_events(std::string_view out) {
  std::string_view last;
  while (!out.empty()) {
    const size_t end = out.find("\n\n");
    FUZZ_CHECK(end != std::string_view::npos);
    std::string_view event = out.substr(0, end);
    out.remove_prefix(end + 2);
    FUZZ_CHECK(event.substr(0, 7) == "event: ");
    const size_t nl = event.find('\n');
    FUZZ_CHECK(nl != std::string_view::npos && event.substr(nl + 1, 6) == "data: ");
    last = event.substr(7, nl - 7);
    FUZZ_CHECK(fuzz::is_json(event.substr(nl + 7)));
    fuzz::check_error_body_has_no_key(event.substr(nl + 7));
  }
  FUZZ_CHECK(last == "response.completed" || last == "response.incomplete" || last == "response.failed");
}

std::string run(const std::string& request, const std::vector<std::string>& chunks, bool& ok) {
  bal::ModelMap models;
  const bal::RequestInfo info{1700000000123, "0123456789abcdef", &models};
  bal::Translated t = bal::responses::translate_responses(request, info, nullptr);
  FUZZ_CHECK(!t.error);
  bal::responses::responses_exchange(*t.exchange).served_by(3);
  auto s = t.exchange->stream();
  std::string out;
  for (const std::string& c : chunks) s->push(c, out);
  s->finish(out);
  ok = s->ok();
  const bool stored = bal::responses::responses_exchange(*t.exchange).to_store().has_value();
  FUZZ_CHECK(stored == ok);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  const uint8_t flags = in.ConsumeIntegral<uint8_t>();
  std::string request = R"({"stream":true,"input":"hi","model":")";
  request += (flags & 1) != 0 ? "gemini-3-pro-preview\"" : "gemini-2.5-flash\"";
  if ((flags & 2) != 0) request += R"(,"reasoning":{"summary":"auto"})";
  if ((flags & 4) != 0) request += R"(,"include":["reasoning.encrypted_content"])";
  request += '}';
  std::vector<std::string> chunks;
  std::string body;
  while (in.remaining_bytes() > 0) {
    chunks.push_back(in.ConsumeBytesAsString(in.ConsumeIntegralInRange<size_t>(1, 65536)));
    body += chunks.back();
  }
  bool ok_chunked = false;
  bool ok_whole = false;
  const std::string chunked = run(request, chunks, ok_chunked);
  const std::string whole = run(request, {body}, ok_whole);
  FUZZ_CHECK(chunked == whole);
  FUZZ_CHECK(ok_chunked == ok_whole);
  check_events(chunked);
  return 0;
}
