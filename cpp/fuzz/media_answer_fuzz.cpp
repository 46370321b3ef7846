// The media answers: any 2xx body Gemini (or something in its place) sends back to an image,
// speech or transcription request. Input (FuzzedDataProvider): the request variant (the last
// byte), the answer (the rest), given for every call the request made.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <string>
#include <vector>

#include "balancer/media.h"
#include "fuzz_support.h"

namespace {

bal::Translated request(int variant, const bal::RequestInfo& info) {
  using namespace std::literals;
  const std::string wav_form =
      "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n\r\nRIFF\0\0\0\0WAVE\r\n"
      "--b\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nwhisper-1\r\n--b\r\n"
      "Content-Disposition: form-data; name=\"response_format\"\r\n\r\n"s;
  switch (variant) {
    case 0:
      return bal::media::translate_image_generation(R"({"prompt":"a fox","n":2})", info);
    case 1:
      return bal::media::translate_image_generation(R"({"prompt":"a fox","response_format":"url"})", info);
    case 2:
      return bal::media::translate_speech(R"({"input":"hi","voice":"alloy"})", info);
    case 3:
      return bal::media::translate_speech(R"({"input":"hi","voice":"alloy","response_format":"pcm"})", info);
    case 4:
      return bal::media::translate_transcription("multipart/form-data; boundary=b", wav_form + "json\r\n--b--",
                                                 bal::media::AudioTask::transcribe, info);
    default:
      return bal::media::translate_transcription("multipart/form-data; boundary=b", wav_form + "text\r\n--b--",
                                                 bal::media::AudioTask::translate, info);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  const int variant = in.ConsumeIntegralInRange<int>(0, 5);
  const std::string body = in.ConsumeRemainingBytesAsString();
  bal::RequestInfo info;
  info.now_ms = 1700000000123;
  bal::Translated t = request(variant, info);
  FUZZ_CHECK(!t.error && t.exchange != nullptr);
  const std::vector<std::string_view> bodies(t.calls.size(), body);
  const bal::Reply r = t.exchange->answer(bodies);
  if (r.status != 200) {
    FUZZ_CHECK(r.status == 400 || r.status == 502);
    FUZZ_CHECK(fuzz::is_json(r.body));
    return 0;
  }
  if (variant <= 1 || variant == 4) FUZZ_CHECK(fuzz::is_json(r.body));
  if (variant == 2) FUZZ_CHECK(r.body.size() >= 44 && r.body.substr(0, 4) == "RIFF");
  FUZZ_CHECK(t.exchange->usage().prompt >= 0);
  return 0;
}
