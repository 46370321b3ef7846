// The Gemini → OpenAI response translator, for every kind, with any upstream status.
// Input (FuzzedDataProvider): from the end, the kind (1 byte), the status (2 bytes) and a
// flags byte; the rest, from the front, is the upstream body.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>

#include "balancer/openai.h"
#include "fuzz_support.h"

namespace {

using bal::json;

// "pages" is the models list; "other" is a kind no plan names (an internal error, not a trap).
constexpr const char* kKinds[] = {"chat", "embeddings", "models", "model", "other"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  json h = {{"kind", in.PickValueInArray(kKinds)},
            {"model", "gemini-2.5-flash"},
            {"request_id", "0123456789abcdef"},
            {"now_ms", 1700000000123}};
  // Past 999 and below 100 are not HTTP statuses; the translator must still answer.
  const int status = in.ConsumeIntegralInRange<int>(0, 1100);
  h["status"] = status;
  const uint8_t flags = in.ConsumeIntegral<uint8_t>();
  h["include_usage"] = (flags & 1) != 0;
  h["include_reasoning"] = (flags & 2) != 0;
  h["encoding_format"] = (flags & 4) != 0 ? "base64" : "float";
  h["n"] = 1 + ((flags >> 3) & 3);
  if ((flags & 32) != 0) h["retry_after_ms"] = 12345;
  if ((flags & 64) != 0) h["id"] = "gemini-2.5-pro";
  const std::string body = in.ConsumeRemainingBytesAsString();

  const bal::Plan p = bal::openai::translate_response(h, body);
  FUZZ_CHECK(p.header.is_object());
  FUZZ_CHECK(bal::get_string(p.header, "action") == "respond");
  const auto out_status = bal::get_number(p.header, "status");
  FUZZ_CHECK(out_status && *out_status >= 200 && *out_status < 600);
  FUZZ_CHECK(fuzz::is_json(p.payload));
  fuzz::check_error_body_has_no_key(p.payload);
  return 0;
}
