// The Live API's decisions: any close code and reason Google (or the network) ends a session
// with, and any message a client or Google sends. Input (FuzzedDataProvider): the code and
// now_ms (from the end), the reason (a random-length string), the message (the rest).
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <string>

#include "balancer/gemini.h"
#include "balancer/keys.h"
#include "balancer/live.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  const int code = in.ConsumeIntegralInRange<int>(0, 4999);
  const int64_t now = in.ConsumeIntegralInRange<int64_t>(0, 4102444800000);
  const std::string reason = in.ConsumeRandomLengthString(300);
  const std::string message = in.ConsumeRemainingBytesAsString();

  const bal::Verdict v = bal::live::judge_close(code, reason, now);
  FUZZ_CHECK(bal::extract_keys(v.message).empty());
  if (bal::is_dead(v.outcome)) FUZZ_CHECK(v.action == bal::KeyAction::disable && v.retry);
  if (v.outcome == bal::Outcome::client_error || v.outcome == bal::Outcome::location) {
    FUZZ_CHECK(v.action == bal::KeyAction::none && !v.retry);
  }
  if (v.action == bal::KeyAction::cooldown) FUZZ_CHECK(v.until_ms > now);

  const bal::live::ClientClose c = bal::live::client_close(code, reason);
  FUZZ_CHECK(c.reason.size() <= 123);
  FUZZ_CHECK((c.code >= 1000 && c.code <= 1014) || (c.code >= 3000 && c.code <= 4999));
  FUZZ_CHECK(c.code != 1005 && c.code != 1006);
  FUZZ_CHECK(bal::extract_keys(c.reason).empty());

  const bal::live::Setup s = bal::live::read_setup(message);
  FUZZ_CHECK(s.ok ? !s.model.empty() && bal::gemini::valid_model_chars(s.model) : !s.message.empty());
  const bal::live::Usage u = bal::live::read_usage(message);
  FUZZ_CHECK(u.prompt >= 0 && u.response >= 0);
  const std::string_view version = bal::live::live_version(reason);
  FUZZ_CHECK(version.empty() || version == "v1beta" || version == "v1alpha");
  return 0;
}
