#include "balancer/exchange.h"

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

}  // namespace bal
