// Errors → OpenAI's error objects. The client never sees Gemini's raw error body: only its
// message, with any API key in it redacted (a suspended key's message holds the whole key).
#include "balancer/classify.h"
#include "response_internal.h"

namespace bal::openai {
namespace {

struct ErrorMapping {
  int status;
  const char* type;
  const char* code;
};

// Read top to bottom: the status the client gets, OpenAI's error type and the code when
// the error names none. Codes follow OpenAI's own where one exists. Statuses not listed are
// typed by class (4xx invalid_request_error, 5xx server_error).
constexpr ErrorMapping kErrorMappings[] = {
    {400, "invalid_request_error", nullptr},
    {401, "authentication_error", "invalid_api_key"},
    {403, "permission_error", nullptr},
    {404, "invalid_request_error", "model_not_found"},
    {408, "timeout_error", nullptr},
    {413, "invalid_request_error", "request_too_large"},
    {429, "rate_limit_error", "rate_limit_exceeded"},
    {500, "server_error", nullptr},
    {502, "server_error", nullptr},
    {503, "server_error", nullptr},
    {504, "server_error", "timeout"},
};

ErrorMapping mapped(int status) {
  for (const ErrorMapping& m : kErrorMappings) {
    if (m.status == status) return m;
  }
  return {status, status >= 400 && status < 500 ? "invalid_request_error" : "server_error", nullptr};
}

// Rounded up, so a client never retries a moment too early, and at least one second.
int64_t retry_after_seconds(int64_t ms) {
  return ms <= 1000 ? 1 : (ms + 999) / 1000;
}

}  // namespace

namespace resp {

void append_error_body(std::string& out, const ApiError& e) {
  const ErrorMapping m = mapped(e.status);
  out += "{\"error\":{\"message\":";
  raw::append_string(out, e.message);
  out += ",\"type\":\"";
  out += m.type;
  out += "\",\"param\":";
  if (e.param.empty()) {
    out += "null";
  } else {
    raw::append_string(out, e.param);
  }
  out += ",\"code\":";
  if (!e.code.empty()) {
    raw::append_string(out, e.code);
  } else if (m.code != nullptr) {
    out += '"';
    out += m.code;
    out += '"';
  } else {
    out += "null";
  }
  out += "}}";
}

}  // namespace resp

Reply error_reply(const ApiError& e) {
  Reply r;
  r.status = e.status >= 400 && e.status < 600 ? e.status : 500;
  resp::append_error_body(r.body, e);
  if (r.status == 429) {
    const int64_t ms = e.retry_after_ms > 0 ? e.retry_after_ms : kDefaultQuotaCooldownMs;
    r.headers.emplace_back("retry-after", std::to_string(retry_after_seconds(ms)));
  }
  return r;
}

}  // namespace bal::openai
