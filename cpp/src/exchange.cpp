#include "balancer/exchange.h"

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
  // A message or a parameter path may quote the client's own text (a role, a part type, a
  // field name), which may hold a key: answers and logs never carry one whole.
  e.message = contains_key_material(message) ? redact(message) : std::move(message);
  e.code = std::move(code);
  e.param = contains_key_material(param) ? redact(param) : std::move(param);
  return e;
}

namespace {

// Statuses outside HTTP's error range become a 502: the client is owed an error.
int error_status(int status) {
  return status >= 400 && status < 600 ? status : 502;
}

ApiError from(int status, gemini::UpstreamError u) {
  ApiError e = api_error(error_status(status), std::move(u.message));
  e.retry_after_ms = u.retry_after_ms;
  return e;
}

}  // namespace

ApiError upstream_error(int status, raw::value error) {
  return from(status, gemini::read_error(status, error));
}

ApiError upstream_error(int status, std::string_view body) {
  return from(status, gemini::read_error_body(status, body));
}

ApiError bad_gateway(std::string message) {
  return api_error(502, std::move(message), "bad_upstream_response");
}

}  // namespace bal
