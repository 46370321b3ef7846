// media_url.h — media behind an http(s) URL in a request (chat's image_url, Anthropic's url
// sources, the Responses API's image_url and file_url): which URLs may be fetched, within which
// limits, and what the fetched bytes become. The fetch itself is the shim's (a MEDIA task:
// one GET, no credentials, no redirect followed, a timeout, the size counted while reading);
// every decision is here and in the request machine (redirects are followed there, each
// target checked again), and every failure is the client's 400 naming the URL's problem,
// never a key's.
//
//   bal::media::UrlPolicy policy;
//   if (auto err = policy.check(url, "messages[0].content[1].image_url.url")) return *err;
//   ... the machine has the shim fetch it within policy.limits() ...
//   std::string part;
//   if (auto err = policy.to_inline(url, fetched, bal::media::Kind::image, param, part)) return *err;
//   // part: {"inlineData":{"mimeType":"image/png","data":"..."}}
//
// A translator meets URLs in the middle of a request; it asks the request's UrlMedia (in
// RequestInfo) for each one. The first translation only collects them (each answered with a
// placeholder); the machine fetches what was asked for and translates again, and then every
// URL is answered with its bytes as base64:
//
//   std::string_view mime, data;
//   if (auto err = info.media->find(url, param, Kind::image, mime, data)) return fail(*err);
//   write_inline(turns, "user", mime, data);
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "balancer/exchange.h"
#include "balancer/gemini.h"
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
  // The same judgement without the part: the MIME type the bytes go inline as.
  std::optional<ApiError> accept(std::string_view url, const Fetched& f, Kind kind, std::string_view param,
                                 std::string_view& mime) const;

 private:
  FetchLimits limits_;
};

// The http(s) media URLs of one request, as its translators meet them, and what they became.
class UrlMedia {
 public:
  // A request names at most this many distinct URLs (each one is a subrequest of the Worker).
  static constexpr size_t kMaxUrls = 16;

  struct Item {
    std::string url;    // as the client wrote it
    std::string param;  // where it was first met, for errors
    Kind kind = Kind::image;
    bool fetched = false;
    std::string mime;
    std::string data;  // base64
    size_t size = 0;   // bytes fetched
  };

  UrlMedia() = default;
  explicit UrlMedia(UrlPolicy policy) : policy_(policy) {}
  const UrlPolicy& policy() const { return policy_; }

  // A translator met `url` at `param`, for media of `kind`: the MIME type and base64 data to
  // write inline. Until the URL is fetched both are placeholders (the translation is only
  // looking for URLs then). A URL the policy refuses, or one too many, is the error.
  std::optional<ApiError> find(std::string_view url, std::string_view param, Kind kind, std::string_view& mime,
                               std::string_view& data);

  // The machine's side: the URLs asked for, in the order met.
  std::vector<Item>& items() { return items_; }
  const std::vector<Item>& items() const { return items_; }
  // Whether every URL asked for is fetched.
  bool complete() const;
  // Item `i` was fetched: its bytes checked (accept) and kept as base64, or the error. The
  // request's fetched bytes together must fit the same limit as one URL's.
  std::optional<ApiError> fetched(size_t i, const Fetched& f);

 private:
  UrlPolicy policy_;
  std::vector<Item> items_;
  size_t total_ = 0;
};

// Whether `url` is an http or https URL (in any case): one to fetch rather than decode.
bool is_remote_url(std::string_view url);

// For translators: the MIME type and base64 data to write inline for the remote `url` met at
// `param` (UrlMedia::find), or false with `err` failed: a URL refused, a fetch that failed, or
// no machine to fetch it (`media` null).
bool remote_inline(UrlMedia* media, std::string_view url, const gemini::Path& param, Kind kind, std::string_view& mime,
                   std::string_view& data, gemini::Failure& err);

// Text for a FetchEnd ("timeout", "too_many_redirects" ...), the names the shim reports.
const char* fetch_end_name(FetchEnd e);
std::optional<FetchEnd> fetch_end_of(std::string_view name);

}  // namespace bal::media
