// Errors in Anthropic's shape: {"type":"error","error":{"type":…,"message":…}} with
// Anthropic's statuses, for every ErrorKind, raised here or before any translation.
#include "balancer/classify.h"
#include "internal.h"

namespace bal::anthropic {
namespace {

struct KindShape {
  ErrorKind kind;
  int status;  // 0: the error's own status
  const char* type;
};

// Read top to bottom. Anthropic answers an overloaded service with 529, not 503.
constexpr KindShape kShapes[] = {
    {ErrorKind::invalid_request, 0, "invalid_request_error"}, {ErrorKind::authentication, 401, "authentication_error"},
    {ErrorKind::permission, 403, "permission_error"},         {ErrorKind::not_found, 404, "not_found_error"},
    {ErrorKind::rate_limit, 429, "rate_limit_error"},         {ErrorKind::server, 0, "api_error"},
    {ErrorKind::overloaded, 529, "overloaded_error"},         {ErrorKind::timeout, 504, "timeout_error"},
};

// Anthropic names a body over its size limit apart from other invalid requests.
constexpr int kTooLarge = 413;

// Rounded up, so a client never retries a moment too early, and at least one second.
int64_t retry_after_seconds(int64_t ms) {
  if (ms <= 0) ms = kDefaultQuotaCooldownMs;
  return ms <= 1000 ? 1 : (ms + 999) / 1000;
}

struct ErrorShape {
  int status;
  const char* type;
};

// Anthropic's error type and status for an error.
ErrorShape error_shape(const ApiError& e) {
  for (const KindShape& s : kShapes) {
    if (s.kind != e.kind) continue;
    int status = s.status != 0 ? s.status : e.status;
    if (e.kind == ErrorKind::invalid_request && (status < 400 || status >= 500)) status = 400;
    if (e.kind == ErrorKind::server && (status < 500 || status >= 600)) status = 500;
    if (status == kTooLarge) return {status, "request_too_large"};
    return {status, s.type};
  }
  return {500, "api_error"};
}

}  // namespace

void append_error_body(std::string& out, const ApiError& e) {
  out += R"({"type":"error","error":{"type":")";
  out += error_shape(e).type;
  out += R"(","message":)";
  raw::append_string(out, e.message);
  out += "}}";
}

Reply error_reply(const ApiError& e) {
  Reply r;
  r.status = error_shape(e).status;
  append_error_body(r.body, e);
  if (r.status == 429) r.headers.emplace_back("retry-after", std::to_string(retry_after_seconds(e.retry_after_ms)));
  return r;
}

ApiError upstream_api_error(int status, raw::value error) {
  gemini::UpstreamError u = gemini::read_error(status, error);
  ApiError e = api_error(status, std::move(u.message));
  e.retry_after_ms = u.retry_after_ms;
  return e;
}

ApiError bad_gateway(std::string_view message) {
  return api_error(502, std::string(message));
}

}  // namespace bal::anthropic
