// The Responses API request translator: any body a client sends to POST /v1/responses,
// translated with no stored responses and with the fixtures' stored record, and to POST
// /v1/responses/compact and /v1/responses/input_tokens. Input: the body.
#include <cstdint>
#include <string>

#include "balancer/model_map.h"
#include "balancer/path.h"
#include "balancer/responses.h"
#include "fuzz_support.h"

namespace {

// A stored record as the store returns it: its items can be referenced and continued.
constexpr std::string_view kStored =
    R"([{"v":1,"id":"resp_0123456789abcdef","previous_response_id":null,"created_at":1,"key_id":7,)"
    R"("input":[{"id":"msg_0123456789abcdef_0","type":"message","role":"user","content":"Weather?"}],)"
    R"("response":{"output":[{"id":"rs_0123456789abcdef_1","type":"reasoning","summary":[],)"
    R"("encrypted_content":"gbr1.eyJjIjpbWyJjYWxsXzAxMjM0NTY3ODlhYmNkZWZfMCIsImMybG5MV05oYkd3PSJdXSwidCI6W10sImsiOjd9"},)"
    R"({"id":"fc_0123456789abcdef_2","type":"function_call","status":"completed","arguments":"{}",)"
    R"("call_id":"call_0123456789abcdef_0","name":"get_weather"}]}}])";

void check(const bal::Translated& t) {
  FUZZ_CHECK(t.exchange != nullptr);
  if (t.error) {
    FUZZ_CHECK(t.error->status == 400);
    const bal::Reply r = t.exchange->error(*t.error);
    FUZZ_CHECK(r.status == 400 && fuzz::is_json(r.body));
    return;
  }
  FUZZ_CHECK(t.calls.size() == 1);
  // The model name goes into the upstream path: it must not be able to leave /v1beta/models/.
  FUZZ_CHECK(bal::is_safe_path(t.calls[0].path));
  FUZZ_CHECK(fuzz::is_json(t.calls[0].body));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body = fuzz::as_text(data, size);
  bal::ModelMap models;
  const bal::RequestInfo info{1700000000123, "1111111111111111", &models};
  check(bal::responses::translate_responses(body, info, nullptr));
  bal::responses::Stored stored;
  FUZZ_CHECK(stored.parse(std::string(kStored)));
  check(bal::responses::translate_responses(body, info, &stored));
  // The same body posted to /v1/responses/compact.
  check(bal::responses::translate_responses(body, info, &stored, bal::responses::Endpoint::compact));
  // And to /v1/responses/input_tokens: the same request, wrapped for countTokens.
  const bal::Translated counted =
      bal::responses::translate_responses(body, info, &stored, bal::responses::Endpoint::input_tokens);
  check(counted);
  if (!counted.error) FUZZ_CHECK(counted.calls[0].path.ends_with(":countTokens"));
  for (const std::string& id : bal::responses::ids_to_load(body)) FUZZ_CHECK(!id.empty());
  return 0;
}
