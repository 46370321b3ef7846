// The Anthropic request translators: any body a client sends to /v1/messages or
// /v1/messages/count_tokens. Input: the request body, given to both.
#include <cstdint>

#include "balancer/anthropic.h"
#include "balancer/model_map.h"
#include "balancer/path.h"
#include "fuzz_support.h"

namespace {

// What the request machine relies on when it carries a translation out.
void check(const bal::Translated& t) {
  FUZZ_CHECK(t.exchange != nullptr);
  if (t.error) {
    FUZZ_CHECK(t.calls.empty());
    const bal::Reply r = t.exchange->error(*t.error);
    FUZZ_CHECK(r.status >= 400 && r.status < 600);
    FUZZ_CHECK(fuzz::is_json(r.body));
    return;
  }
  FUZZ_CHECK(t.calls.size() == 1);
  const bal::UpstreamCall& c = t.calls[0];
  // The model name goes into the upstream path: it must not be able to leave /v1beta/models/.
  FUZZ_CHECK(bal::is_safe_path(c.path));
  FUZZ_CHECK(c.path.rfind("/v1beta/models/" + c.model + ":", 0) == 0);
  FUZZ_CHECK(fuzz::is_json(c.body));
  FUZZ_CHECK(c.sse == (c.query == "alt=sse"));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bal::ModelMap models;
  bal::RequestInfo info;
  info.request_id = "0123456789abcdef";
  info.models = &models;
  const std::string_view body = fuzz::as_text(data, size);
  check(bal::anthropic::translate_messages(body, info));
  check(bal::anthropic::translate_count_tokens(body, info));
  return 0;
}
