// Gemini error answers → what a client may read of them, and stream events that may carry
// one (gemini.h).
#include "balancer/classify.h"
#include "balancer/gemini.h"
#include "balancer/redact.h"

namespace bal::gemini {
namespace {

std::string generic_message(int status, std::string_view what) {
  std::string m = "upstream returned HTTP ";
  m += std::to_string(status);
  m += what;
  return m;
}

int64_t retry_delay_ms(raw::value error) {
  for (raw::value d : error.get("details").items()) {
    if (d.get("@type").str().find("RetryInfo") == std::string::npos) continue;
    const int64_t ms = parse_duration_ms(d.get("retryDelay").str());
    if (ms >= 0) return ms;
  }
  return 0;
}

}  // namespace

UpstreamError read_error(int status, raw::value error) {
  UpstreamError e;
  std::string message = error.get("message").str();
  if (message.empty()) {
    const std::string name = error.get("status").str();
    message = generic_message(status, name.empty() ? "" : " (" + name + ")");
  }
  e.message = redact(message);
  e.retry_after_ms = retry_delay_ms(error);
  return e;
}

UpstreamError read_error_body(int status, std::string_view body) {
  raw::document doc;
  if (doc.parse(body) != raw::success) {
    return {generic_message(status, body.empty() ? " with an empty body" : " with a body that is not JSON"), 0};
  }
  raw::value root = doc.root();
  if (root.is_array()) root = *root.items().begin();
  const raw::value error = root.get("error");
  if (!error.is_object()) return {generic_message(status, ""), 0};
  return read_error(status, error);
}

StreamEvent read_stream_event(std::string_view data, bool at_end, raw::document& doc, int& status) {
  if (data == "[DONE]") return StreamEvent::skip;
  if (doc.parse(data) != raw::success || !doc.root().is_object()) {
    return at_end ? StreamEvent::cut : StreamEvent::malformed;
  }
  const raw::value error = doc.root().get("error");
  if (!error.is_object()) return StreamEvent::answer;
  const int64_t code = error.get("code").as_int64().value_or(500);
  status = code >= 400 && code < 600 ? static_cast<int>(code) : 500;
  return StreamEvent::error;
}

}  // namespace bal::gemini
