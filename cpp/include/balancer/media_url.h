// media_url.h — media behind an http(s) URL in a chat request (image_url, and the other
// families' image URLs): which URLs may be fetched, within which limits, and what the fetched
// bytes become. The fetch itself is the shim's (worker-shim/media-fetch.mjs); every decision
// is here, and every failure is the client's 400 naming the URL's problem, never a key's.
//
//   bal::media::UrlPolicy policy;
//   if (auto err = policy.check(url, "messages[0].content[1].image_url.url")) return *err;
//   ... the shim fetches with policy.limits(): no credentials, redirects followed by hand (each
//       target checked again), a timeout, the size counted while reading ...
//   std::string part;
//   if (auto err = policy.to_inline(url, fetched, bal::media::Kind::image, param, part)) return *err;
//   // part: {"inlineData":{"mimeType":"image/png","data":"..."}}
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "balancer/exchange.h"
#include "balancer/media_types.h"

namespace bal::media {

struct FetchLimits {
  int64_t timeout_ms = 10'000;  // for the whole fetch, redirects and body included
  int max_redirects = 5;
  // Gemini's inline request limit is 20 MB after base64: 15 MB of bytes.
  int64_t max_bytes = 15 * 1024 * 1024;
};

// How a fetch ended, as the shim reports it.
enum class FetchEnd : uint8_t {
  ok,                  // a final answer (any status) and its whole body
  timeout,             // no answer, or no whole body, within timeout_ms
  too_many_redirects,  // more than max_redirects
  too_large,           // content-length or the bytes read passed max_bytes
  network,             // DNS, connection or TLS failure
  bad_redirect,        // a redirect without a Location, or to a URL check() refuses
};

struct Fetched {
  FetchEnd end = FetchEnd::ok;
  int status = 0;                 // the final answer's HTTP status
  std::string_view content_type;  // its content-type header
  std::string_view bytes;         // its body
  std::string_view redirect_to;   // for bad_redirect: the refused Location, if any
};

class UrlPolicy {
 public:
  explicit UrlPolicy(FetchLimits limits = {}) : limits_(limits) {}
  const FetchLimits& limits() const { return limits_; }

  // Whether `url` may be fetched (the client's, or a redirect's target): http or https, a
  // host, no user:password@, at most 4096 characters. `param` names the field in the error.
  std::optional<ApiError> check(std::string_view url, std::string_view param) const;

  // The fetch's outcome → the Gemini part {"inlineData":{...}} appended to `part`, or the error.
  // Only the MIME types Gemini takes for `kind` pass (the bytes' signature decides first).
  std::optional<ApiError> to_inline(std::string_view url, const Fetched& f, Kind kind, std::string_view param,
                                    std::string& part) const;

 private:
  FetchLimits limits_;
};

// Text for a FetchEnd ("timeout", "too_many_redirects" ...), the names the shim reports.
const char* fetch_end_name(FetchEnd e);
std::optional<FetchEnd> fetch_end_of(std::string_view name);

}  // namespace bal::media
