// Media URLs in chat requests: any URL a client names and anything a server answers with.
// Input (FuzzedDataProvider): how the fetch ended, the status and the kind (from the end), the
// URL and the content type (random-length strings), the body (the rest).
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <string>

#include "balancer/media_url.h"
#include "balancer/openai.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  bal::media::Fetched f;
  f.end = static_cast<bal::media::FetchEnd>(in.ConsumeIntegralInRange<int>(0, 5));
  f.status = in.ConsumeIntegralInRange<int>(0, 999);
  const auto kind = static_cast<bal::media::Kind>(in.ConsumeIntegralInRange<int>(0, 3));
  const std::string url = in.ConsumeRandomLengthString(300);
  const std::string type = in.ConsumeRandomLengthString(100);
  const std::string bytes = in.ConsumeRemainingBytesAsString();
  f.content_type = type;
  f.bytes = bytes;
  f.redirect_to = type;

  const bal::media::UrlPolicy policy;
  if (auto err = policy.check(url, "u")) {
    FUZZ_CHECK(err->status == 400 && err->param == "u" && !err->message.empty());
  } else {
    FUZZ_CHECK(url.size() <= 4096);
  }
  std::string part;
  if (auto err = policy.to_inline(url, f, kind, "u", part)) {
    FUZZ_CHECK(err->status == 400 && part.empty());
    // The error's message quotes the URL: it must still make a valid body.
    FUZZ_CHECK(fuzz::is_json(bal::openai::error_reply(*err).body));
  } else {
    FUZZ_CHECK(f.end == bal::media::FetchEnd::ok && f.status >= 200 && f.status <= 299 && !bytes.empty());
    FUZZ_CHECK(fuzz::is_json(part));
  }
  return 0;
}
