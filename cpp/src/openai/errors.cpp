// Upstream failures → OpenAI error objects. The client never sees Gemini's raw error body:
// only its message, with any API key in it redacted (a suspended key's message holds the
// whole key).
#include "balancer/classify.h"
#include "balancer/openai_error.h"
#include "balancer/redact.h"
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

// Rounded up, so a client never retries a moment too early, and at least one second.
int64_t retry_after_seconds(int64_t ms) {
  return ms <= 1000 ? 1 : (ms + 999) / 1000;
}

ErrorInfo upstream_error(int status, raw::value error) {
  ErrorInfo e = mapped(status);
  std::string message = error.get("message").str();
  if (message.empty()) {
    const std::string name = error.get("status").str();
    message = generic_message(status, name.empty() ? "" : " (" + name + ")");
  }
  e.message = redact(message);
  e.retry_after_ms = retry_delay_ms(error);
  return e;
}

ErrorInfo upstream_error(int status, std::string_view body) {
  raw::document doc;
  if (doc.parse(body) != raw::success) {
    ErrorInfo e = mapped(status);
    e.message = generic_message(status, body.empty() ? " with an empty body" : " with a body that is not JSON");
    return e;
  }
  raw::value root = doc.root();
  // Some gateways wrap Google's error object in an array.
  if (root.is_array()) root = *root.items().begin();
  const raw::value error = root.get("error");
  if (!error.is_object()) {
    ErrorInfo e = mapped(status);
    e.message = generic_message(status, "");
    return e;
  }
  return upstream_error(status, error);
}

ErrorInfo bad_gateway(std::string_view message) {
  ErrorInfo e = mapped(502);
  e.code = "bad_upstream_response";
  e.message = std::string(message);
  return e;
}

// The one writer of OpenAI's error object; param and code are null when empty.
void append_error_fields(std::string& out, std::string_view message, std::string_view type, std::string_view param,
                         std::string_view code) {
  out += "{\"error\":{\"message\":";
  raw::append_string(out, message);
  out += ",\"type\":";
  raw::append_string(out, type);
  out += ",\"param\":";
  if (param.empty()) {
    out += "null";
  } else {
    raw::append_string(out, param);
  }
  out += ",\"code\":";
  if (code.empty()) {
    out += "null";
  } else {
    raw::append_string(out, code);
  }
  out += "}}";
}

void append_error_body(std::string& out, const ErrorInfo& e) {
  append_error_fields(out, e.message, e.type, {}, e.code != nullptr ? e.code : "");
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

namespace bal::openai {

Reply error_reply(const ApiError& e) {
  Reply r;
  r.status = e.status;
  resp::append_error_fields(r.body, e.message, openai_type_for_http(e.status), e.param, e.code);
  if (e.status == 429) {
    const int64_t ms = e.retry_after_ms > 0 ? e.retry_after_ms : kDefaultQuotaCooldownMs;
    r.headers.emplace_back("retry-after", std::to_string(resp::retry_after_seconds(ms)));
  }
  return r;
}

}  // namespace bal::openai
