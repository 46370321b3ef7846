// The OpenAI request translators: any body a client sends to /v1/chat/completions or
// /v1/embeddings. Input: the request body, given to both translators.
#include <cstdint>

#include "balancer/model_map.h"
#include "balancer/openai.h"
#include "balancer/path.h"
#include "fuzz_support.h"

namespace {

constexpr std::string_view kModels = "/v1beta/models/";

// What the request machine relies on when it carries a translation out.
void check(const bal::Translated& t, size_t max_calls) {
  FUZZ_CHECK(t.exchange != nullptr);
  if (t.error) {
    const bal::Reply r = t.exchange->error(*t.error);
    FUZZ_CHECK(r.status >= 400 && r.status < 600 && r.status == t.error->status);
    FUZZ_CHECK(fuzz::is_json(r.body));
    fuzz::check_error_body_has_no_key(r.body);
    return;
  }
  FUZZ_CHECK(!t.calls.empty() && t.calls.size() <= max_calls);
  for (const bal::UpstreamCall& c : t.calls) {
    FUZZ_CHECK(c.method == "POST" && !c.model.empty());
    // The model name goes into the upstream path: it must not be able to leave
    // /v1beta/models/ nor reach the query.
    FUZZ_CHECK(bal::is_safe_path(c.path));
    FUZZ_CHECK(c.path.substr(0, kModels.size()) == kModels);
    FUZZ_CHECK(c.path.find('/', kModels.size()) == std::string::npos);
    FUZZ_CHECK(c.path.substr(kModels.size(), c.model.size()) == c.model);
    FUZZ_CHECK(c.sse == (c.query == "alt=sse"));
    FUZZ_CHECK(fuzz::is_json(c.body));
  }
  FUZZ_CHECK(bal::openai::describe(*t.exchange).is_object());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bal::ModelMap models;
  bal::RequestInfo info;
  info.now_ms = 1700000000123;
  info.request_id = "0123456789abcdef";
  info.models = &models;
  const std::string_view body = fuzz::as_text(data, size);
  check(bal::openai::translate_chat(body, info), 1);
  // Up to 2,048 inputs in batches of 100.
  check(bal::openai::translate_embeddings(body, info), 21);
  return 0;
}
