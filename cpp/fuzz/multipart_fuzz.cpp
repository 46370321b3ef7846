// The multipart/form-data reader and the upload translators behind it (/v1/images/edits,
// /v1/audio/transcriptions and translations). Input (FuzzedDataProvider): the route and the
// boundary (from the end), the body (the rest).
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <string>

#include "balancer/media.h"
#include "balancer/multipart.h"
#include "fuzz_support.h"

namespace {

constexpr const char* kBoundaries[] = {"XyZ", "----formdata-undici-045550360370", "a"};

void check(const bal::Translated& t) {
  FUZZ_CHECK(t.exchange != nullptr);
  if (t.error) {
    FUZZ_CHECK(t.calls.empty());
    const bal::Reply r = t.exchange->error(*t.error);
    FUZZ_CHECK(r.status >= 400 && r.status < 600);
    FUZZ_CHECK(fuzz::is_json(r.body));
    return;
  }
  FUZZ_CHECK(!t.calls.empty() && t.calls.size() <= 10);
  for (const bal::UpstreamCall& c : t.calls) FUZZ_CHECK(fuzz::is_json(c.body));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  const int route = in.ConsumeIntegralInRange<int>(0, 2);
  const std::string boundary = kBoundaries[in.ConsumeIntegralInRange<int>(0, 2)];
  const std::string body = in.ConsumeRemainingBytesAsString();
  const std::string type = "multipart/form-data; boundary=" + boundary;

  bal::multipart::Form form;
  if (bal::multipart::parse(type, body, form) == bal::multipart::none) {
    FUZZ_CHECK(form.parts.size() <= bal::multipart::kMaxParts);
    for (const auto& p : form.parts) {
      // Every part is a span of the body, never a copy.
      FUZZ_CHECK(p.data.empty() ||
                 (p.data.data() >= body.data() && p.data.data() + p.data.size() <= body.data() + body.size()));
    }
  }
  bal::RequestInfo info;
  info.now_ms = 1700000000123;
  if (route == 0) {
    check(bal::media::translate_image_edit(type, body, info));
  } else {
    const auto task = route == 1 ? bal::media::AudioTask::transcribe : bal::media::AudioTask::translate;
    check(bal::media::translate_transcription(type, body, task, info));
  }
  return 0;
}
