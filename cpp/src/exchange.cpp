#include "balancer/exchange.h"

#include "balancer/classify.h"
#include "balancer/redact.h"

namespace bal {

ErrorKind error_kind_for(int status) {
  switch (status) {
    case 401:
      return ErrorKind::authentication;
    case 403:
      return ErrorKind::permission;
    case 404:
      return ErrorKind::not_found;
    case 429:
      return ErrorKind::rate_limit;
    case 503:
      return ErrorKind::overloaded;
    case 504:
      return ErrorKind::timeout;
    default:
      return status >= 500 || status < 400 ? ErrorKind::server : ErrorKind::invalid_request;
  }
}

ApiError api_error(int status, std::string message, std::string code, std::string param) {
  ApiError e;
  e.status = status;
  e.kind = error_kind_for(status);
  e.message = std::move(message);
  e.code = std::move(code);
  e.param = std::move(param);
  return e;
}

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

// Statuses outside HTTP's error range become a 502: the client is owed an error.
int error_status(int status) {
  return status >= 400 && status < 600 ? status : 502;
}

}  // namespace

ApiError upstream_error(int status, raw::value error) {
  std::string message = error.get("message").str();
  if (message.empty()) {
    const std::string name = error.get("status").str();
    message = generic_message(status, name.empty() ? "" : " (" + name + ")");
  }
  ApiError e = api_error(error_status(status), redact(message));
  e.retry_after_ms = retry_delay_ms(error);
  return e;
}

ApiError upstream_error(int status, std::string_view body) {
  raw::document doc;
  if (doc.parse(body) != raw::success) {
    return api_error(error_status(status),
                     generic_message(status, body.empty() ? " with an empty body" : " with a body that is not JSON"));
  }
  raw::value root = doc.root();
  // Some gateways wrap Google's error object in an array.
  if (root.is_array()) root = *root.items().begin();
  const raw::value error = root.get("error");
  if (!error.is_object()) return api_error(error_status(status), generic_message(status, ""));
  return upstream_error(status, error);
}

ApiError bad_gateway(std::string message) {
  return api_error(502, std::move(message), "bad_upstream_response");
}

}  // namespace bal
