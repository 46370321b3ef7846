// The upstream-error classifier: any status and body Google (or a gateway before it) could
// answer. Input (FuzzedDataProvider): the status (2 bytes from the end), now_ms (from the end),
// and the body (the rest, from the front).
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>

#include "balancer/classify.h"
#include "balancer/redact.h"
#include "fuzz_support.h"

namespace {

constexpr int64_t kDayMs = 24 * 3600 * 1000;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  const int status = in.ConsumeIntegralInRange<int>(0, 999);
  // From 1970 to 2100: the shim passes Date.now().
  const int64_t now = in.ConsumeIntegralInRange<int64_t>(0, 4102444800000);
  const std::string body = in.ConsumeRemainingBytesAsString();

  const bal::Verdict v = bal::classify_upstream(status, body, now);
  // The message is shown to clients and stored: never a key in it.
  FUZZ_CHECK(!bal::contains_key_material(v.message));
  FUZZ_CHECK(bal::extract_keys(v.message).empty());
  FUZZ_CHECK(v.retry_after_ms >= 0);
  if (status >= 200 && status < 400) FUZZ_CHECK(v.outcome == bal::Outcome::ok && !v.retry);
  if (bal::is_dead(v.outcome)) FUZZ_CHECK(v.action == bal::KeyAction::disable);
  // A region Gemini refuses, or the client's own mistake, is never the key's fault.
  if (v.outcome == bal::Outcome::location || v.outcome == bal::Outcome::client_error) {
    FUZZ_CHECK(v.action == bal::KeyAction::none);
  }
  if (v.action == bal::KeyAction::cooldown) {
    FUZZ_CHECK(v.until_ms > now && v.until_ms - now <= kDayMs + 3600 * 1000);
  }

  // The duration parser on its own, with the shapes RetryInfo uses.
  const int64_t ms = bal::parse_duration_ms(std::string_view(body).substr(0, 24));
  FUZZ_CHECK(ms >= -1);
  return 0;
}
