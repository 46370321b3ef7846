// The OpenAI request translator: any body a client sends to /v1/chat/completions or
// /v1/embeddings. Input: the request body, given to both planners.
#include <cstdint>

#include "balancer/openai.h"
#include "balancer/path.h"
#include "fuzz_support.h"

namespace {

using bal::json;

// What index.mjs relies on when it carries a plan out.
void check_plan(const bal::Plan& p) {
  FUZZ_CHECK(p.header.is_object());
  const std::string_view action = bal::get_string(p.header, "action");
  if (action == "respond") {
    const auto status = bal::get_number(p.header, "status");
    FUZZ_CHECK(status && *status >= 400 && *status < 600);
    FUZZ_CHECK(fuzz::is_json(p.payload));
    return;
  }
  FUZZ_CHECK(action == "upstream");
  const json* headers = bal::get_field(p.header, "headers");
  FUZZ_CHECK(headers != nullptr && headers->is_object());
  const json* translate = bal::get_field(p.header, "translate");
  FUZZ_CHECK(translate != nullptr && translate->is_object());
  // The model name goes into the upstream path: it must not be able to leave /v1beta/models/.
  FUZZ_CHECK(bal::is_safe_path(bal::get_string(p.header, "path")));
  FUZZ_CHECK(fuzz::is_json(p.payload));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body = fuzz::as_text(data, size);
  check_plan(bal::openai::plan_chat(body));
  check_plan(bal::openai::plan_embeddings(body));
  return 0;
}
