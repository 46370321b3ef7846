// cors.h — which browser origins may read the proxy routes' answers (CORS_ORIGINS).
//
// The proxy routes carry their own token, so by default any origin may call them ("*").
// A list narrows that: an Origin on the list is reflected back (with `vary: origin`, so a
// shared cache never hands one origin's answer to another); any other gets no CORS headers
// and the browser keeps the answer from the page. Admin routes never get CORS headers.
//
//   bal::CorsPolicy cors;
//   cors.assign("https://app.example, https://chat.example");
//   cors.allow_origin("https://APP.example")  == "https://APP.example"
//   cors.allow_origin("https://evil.example") == ""
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace bal {

class CorsPolicy {
 public:
  // Comma-separated origins ("https://host[:port]"); blank or containing "*" allows any.
  void assign(std::string_view list);

  bool allows_any() const { return any_; }

  // The access-control-allow-origin value for a request sent from `origin`: "*", the origin
  // itself when it is listed, or "" for none.
  std::string allow_origin(std::string_view origin) const;

 private:
  bool any_ = true;
  std::vector<std::string> origins_;  // lower-case, no trailing slash
};

}  // namespace bal
