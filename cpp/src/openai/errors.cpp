// Upstream failures → OpenAI error objects. The client never sees Gemini's raw error body:
// only its message, with any API key in it redacted (a suspended key's message holds the
// whole key).
#include "balancer/classify.h"
#include "response_internal.h"

namespace bal::openai::resp {
namespace {

struct ErrorMapping {
  int upstream;
  int status;
  const char* type;
  const char* code;
};

// Read top to bottom: the upstream HTTP status, what the client gets (status, OpenAI type,
// OpenAI code). Codes follow OpenAI's own where one exists. Statuses not listed keep their
// number, typed by class (4xx invalid_request_error, 5xx server_error).
constexpr ErrorMapping kErrorMappings[] = {
    {400, 400, "invalid_request_error", nullptr},
    {401, 401, "authentication_error", "invalid_api_key"},
    {403, 403, "permission_error", nullptr},
    {404, 404, "invalid_request_error", "model_not_found"},
    {413, 413, "invalid_request_error", "request_too_large"},
    {429, 429, "rate_limit_error", "rate_limit_exceeded"},
    {500, 500, "server_error", nullptr},
    {502, 502, "server_error", nullptr},
    {503, 503, "server_error", nullptr},
    {504, 504, "server_error", "timeout"},
};

ErrorInfo mapped(int status) {
  ErrorInfo e;
  for (const ErrorMapping& m : kErrorMappings) {
    if (m.upstream == status) {
      e.status = m.status;
      e.type = m.type;
      e.code = m.code;
      return e;
    }
  }
  if (status >= 400 && status < 500) {
    e.status = status;
    e.type = "invalid_request_error";
  } else {
    e.status = status >= 500 && status < 600 ? status : 502;
    e.type = "server_error";
  }
  return e;
}

// Rounded up, so a client never retries a moment too early, and at least one second.
int64_t retry_after_seconds(int64_t ms) {
  return ms <= 1000 ? 1 : (ms + 999) / 1000;
}

}  // namespace

ErrorInfo upstream_error(int status, raw::value error) {
  ErrorInfo e = mapped(status);
  gemini::UpstreamError u = gemini::read_error(status, error);
  e.message = std::move(u.message);
  e.retry_after_ms = u.retry_after_ms;
  return e;
}

ErrorInfo upstream_error(int status, std::string_view body) {
  ErrorInfo e = mapped(status);
  gemini::UpstreamError u = gemini::read_error_body(status, body);
  e.message = std::move(u.message);
  e.retry_after_ms = u.retry_after_ms;
  return e;
}

ErrorInfo bad_gateway(std::string_view message) {
  ErrorInfo e = mapped(502);
  e.code = "bad_upstream_response";
  e.message = std::string(message);
  return e;
}

void append_error_body(std::string& out, const ErrorInfo& e) {
  out += "{\"error\":{\"message\":";
  raw::append_string(out, e.message);
  out += ",\"type\":\"";
  out += e.type;
  out += "\",\"param\":null,\"code\":";
  if (e.code != nullptr) {
    out += '"';
    out += e.code;
    out += '"';
  } else {
    out += "null";
  }
  out += "}}";
}

Plan error_response(const Context& ctx, const ErrorInfo& e) {
  std::string body;
  append_error_body(body, e);
  Plan p = respond_raw(e.status, std::move(body));
  if (e.status == 429) {
    // The shim's figure wins: it knows when the first key of the whole pool is free again.
    int64_t ms = ctx.retry_after_ms > 0 ? ctx.retry_after_ms : e.retry_after_ms;
    if (ms <= 0) ms = kDefaultQuotaCooldownMs;
    p.header["headers"]["retry-after"] = std::to_string(retry_after_seconds(ms));
  }
  return p;
}

}  // namespace bal::openai::resp
