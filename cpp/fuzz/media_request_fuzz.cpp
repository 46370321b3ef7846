// The JSON media translators: any body sent to /v1/images/generations or /v1/audio/speech.
// Input (FuzzedDataProvider): the route (the last byte), the body (the rest).
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <string>

#include "balancer/media.h"
#include "balancer/path.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  const bool speech = in.ConsumeIntegralInRange<int>(0, 1) == 1;
  const std::string body = in.ConsumeRemainingBytesAsString();
  bal::RequestInfo info;
  info.now_ms = 1700000000123;
  const bal::Translated t =
      speech ? bal::media::translate_speech(body, info) : bal::media::translate_image_generation(body, info);
  FUZZ_CHECK(t.exchange != nullptr);
  if (t.error) {
    FUZZ_CHECK(t.calls.empty());
    const bal::Reply r = t.exchange->error(*t.error);
    FUZZ_CHECK(r.status == 400);
    FUZZ_CHECK(fuzz::is_json(r.body));
    return 0;
  }
  FUZZ_CHECK(!t.calls.empty() && t.calls.size() <= 10);
  for (const bal::UpstreamCall& c : t.calls) {
    // The model name goes into the upstream path: it must not be able to leave /v1beta/models/.
    FUZZ_CHECK(bal::is_safe_path(c.path));
    FUZZ_CHECK(fuzz::is_json(c.body));
  }
  return 0;
}
