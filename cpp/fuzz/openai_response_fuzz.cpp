// The OpenAI answer side (Exchange): Gemini's answers for every kind, with any upstream
// status. Input (FuzzedDataProvider): from the end, the kind (1 byte), the status (2 bytes)
// and a flags byte; the rest, from the front, is the upstream body (flag 128: several, one a
// line, as the answers of several calls or the pages of a list).
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <string_view>
#include <vector>

#include "balancer/openai.h"
#include "balancer/path.h"
#include "fuzz_support.h"

namespace {

using bal::json;

// "other" is a kind no translator names: exchange_from falls back to chat.
constexpr const char* kKinds[] = {"chat", "embeddings", "models", "model", "other"};

void check_reply(const bal::Reply& r) {
  FUZZ_CHECK(r.status >= 200 && r.status < 600);
  FUZZ_CHECK(r.content_type == "application/json; charset=utf-8");
  FUZZ_CHECK(fuzz::is_json(r.body));
  fuzz::check_error_body_has_no_key(r.body);
  for (const auto& [name, value] : r.headers) {
    FUZZ_CHECK(!name.empty() && value.find_first_of("\r\n") == std::string::npos);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  json d = {{"kind", in.PickValueInArray(kKinds)},
            {"model", "gemini-2.5-flash"},
            {"request_id", "0123456789abcdef"},
            {"now_ms", 1700000000123}};
  // Past 999 and below 100 are not HTTP statuses; the exchange must still answer.
  const int status = in.ConsumeIntegralInRange<int>(0, 1100);
  const uint8_t flags = in.ConsumeIntegral<uint8_t>();
  d["include_usage"] = (flags & 1) != 0;
  d["grounded"] = (flags & 1) != 0;  // usage chunks matter to streams only, search to chat
  d["include_reasoning"] = (flags & 2) != 0;
  d["encoding_format"] = (flags & 4) != 0 ? "base64" : "float";
  d["n"] = 1 + ((flags >> 3) & 3);
  if ((flags & 64) != 0) d["id"] = "gemini-2.5-pro";
  const std::string body = in.ConsumeRemainingBytesAsString();

  const auto x = bal::openai::exchange_from(d);
  FUZZ_CHECK(x != nullptr);
  if (status >= 200 && status < 300) {
    std::vector<std::string_view> bodies;
    std::string_view rest = body;
    while ((flags & 128) != 0 && rest.find('\n') != std::string_view::npos) {
      bodies.push_back(rest.substr(0, rest.find('\n')));
      rest.remove_prefix(bodies.back().size() + 1);
    }
    bodies.push_back(rest);
    // A list asks for its next page itself, on Google's path.
    if (const auto next = x->next_call(0, bodies.front())) {
      FUZZ_CHECK(next->method == "GET" && next->path == "/v1beta/models");
      FUZZ_CHECK(bal::strip_system_params(next->query) == next->query);
    }
    const bal::Reply r = x->answer(bodies);
    check_reply(r);
    const bal::gemini::Usage u = x->usage();
    FUZZ_CHECK(u.prompt >= 0 && u.candidates >= 0 && u.thoughts >= 0 && u.cached >= 0);
  } else {
    bal::ApiError e = bal::upstream_error(status, body);
    FUZZ_CHECK(e.status >= 400 && e.status < 600);
    if ((flags & 32) != 0) e.retry_after_ms = 12345;
    const bal::Reply r = x->error(e);
    check_reply(r);
    FUZZ_CHECK(r.status == e.status);
  }
  return 0;
}
