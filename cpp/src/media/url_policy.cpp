// Media URLs in chat requests (media_url.h).
#include "balancer/ascii.h"
#include "balancer/base64.h"
#include "balancer/media_url.h"
#include "balancer/redact.h"

namespace bal::media {
namespace {

constexpr size_t kMaxUrlLength = 4096;
// URLs are quoted in errors; a long one is cut.
constexpr size_t kQuotedUrlLength = 200;

struct EndName {
  FetchEnd end;
  const char* name;
};

constexpr EndName kEndNames[] = {
    {FetchEnd::ok, "ok"},
    {FetchEnd::timeout, "timeout"},
    {FetchEnd::too_many_redirects, "too_many_redirects"},
    {FetchEnd::too_large, "too_large"},
    {FetchEnd::network, "network"},
    {FetchEnd::bad_redirect, "bad_redirect"},
};

using ascii::lower;

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (lower(s[i]) != prefix[i]) return false;
  }
  return true;
}

std::string quoted(std::string_view url) {
  std::string q(url.substr(0, kQuotedUrlLength));
  if (url.size() > kQuotedUrlLength) q += "...";
  return q;
}

// The message quotes the URL and what its server said (a redirect's target, a content type):
// redacted like any text from elsewhere, so no key-shaped string comes back whole.
ApiError url_error(std::string_view url, std::string_view what, std::string_view param) {
  std::string msg = "The media URL ";
  msg += quoted(url);
  msg += ' ';
  msg += what;
  return api_error(400, redact(msg), "invalid_media_url", std::string(param));
}

std::string megabytes(int64_t bytes) {
  return std::to_string(bytes / (1024 * 1024)) + " MB";
}

}  // namespace

const char* fetch_end_name(FetchEnd e) {
  for (const EndName& n : kEndNames) {
    if (n.end == e) return n.name;
  }
  return "network";
}

std::optional<FetchEnd> fetch_end_of(std::string_view name) {
  for (const EndName& n : kEndNames) {
    if (name == n.name) return n.end;
  }
  return std::nullopt;
}

std::optional<ApiError> UrlPolicy::check(std::string_view url, std::string_view param) const {
  if (url.size() > kMaxUrlLength) return url_error(url, "is longer than 4096 characters.", param);
  size_t scheme = 0;
  if (starts_with_ci(url, "https://")) {
    scheme = 8;
  } else if (starts_with_ci(url, "http://")) {
    scheme = 7;
  } else {
    return url_error(url, "is not an http or https URL (or a base64 data: URL).", param);
  }
  for (const char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return url_error(url, "holds spaces or control characters.", param);
    }
  }
  const std::string_view rest = url.substr(scheme);
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.find('@') != std::string_view::npos) {
    return url_error(url, "holds credentials (user:password@); they are never sent.", param);
  }
  std::string_view host = authority;
  if (!host.empty() && host.front() == '[') {
    host = host.substr(0, host.find(']') + 1);  // an IPv6 literal: its colons are not a port
  } else {
    host = host.substr(0, host.find(':'));
  }
  if (host.empty()) return url_error(url, "has no host.", param);
  return std::nullopt;
}

std::optional<ApiError> UrlPolicy::to_inline(std::string_view url, const Fetched& f, Kind kind, std::string_view param,
                                             std::string& part) const {
  std::string_view mime;
  if (auto err = accept(url, f, kind, param, mime)) return err;
  part += R"({"inlineData":{"mimeType":")";
  part += mime;
  part += R"(","data":")";
  base64::encode(f.bytes, part);
  part += R"("}})";
  return std::nullopt;
}

std::optional<ApiError> UrlPolicy::accept(std::string_view url, const Fetched& f, Kind kind, std::string_view param,
                                          std::string_view& mime) const {
  switch (f.end) {
    case FetchEnd::ok:
      break;
    case FetchEnd::timeout:
      return url_error(url, "did not answer within " + std::to_string(limits_.timeout_ms / 1000) + " s.", param);
    case FetchEnd::too_many_redirects:
      return url_error(url, "redirects more than " + std::to_string(limits_.max_redirects) + " times.", param);
    case FetchEnd::too_large:
      return url_error(url,
                       "is larger than " + megabytes(limits_.max_bytes) +
                           ", the most that fits Gemini's 20 MB inline limit after base64.",
                       param);
    case FetchEnd::network:
      return url_error(url, "could not be reached.", param);
    case FetchEnd::bad_redirect:
      return url_error(url,
                       f.redirect_to.empty() ? std::string("redirects without a Location.")
                                             : "redirects to " + quoted(f.redirect_to) + ", which is not fetched.",
                       param);
  }
  if (f.status < 200 || f.status > 299) {
    return url_error(url, "answered HTTP " + std::to_string(f.status) + ".", param);
  }
  if (static_cast<int64_t>(f.bytes.size()) > limits_.max_bytes) {
    return url_error(url, "is larger than " + megabytes(limits_.max_bytes) + ".", param);
  }
  if (f.bytes.empty()) return url_error(url, "answered with an empty body.", param);
  mime = identify(f.bytes, f.content_type, {}, kind);
  if (mime.empty()) {
    std::string what = "is not a ";
    what += accepted_names(kind);
    what += kind == Kind::image ? " image" : kind == Kind::audio ? " audio file" : " file";
    if (!f.content_type.empty()) {
      what += " (it is ";
      what += f.content_type.substr(0, 100);
      what += ')';
    }
    what += '.';
    return url_error(url, what, param);
  }
  return std::nullopt;
}

std::optional<ApiError> UrlMedia::find(std::string_view url, std::string_view param, Kind kind, std::string_view& mime,
                                       std::string_view& data) {
  if (auto err = policy_.check(url, param)) return err;
  for (const Item& item : items_) {
    if (item.url != url || item.kind != kind) continue;
    mime = item.fetched ? std::string_view(item.mime) : std::string_view("application/octet-stream");
    data = item.data;
    return std::nullopt;
  }
  if (items_.size() >= kMaxUrls) {
    return api_error(400,
                     "A request may name at most " + std::to_string(kMaxUrls) +
                         " media URLs; send the others inline as base64 data URLs.",
                     "too_many_media_urls", std::string(param));
  }
  Item item;
  item.url = std::string(url);
  item.param = std::string(param);
  item.kind = kind;
  items_.push_back(std::move(item));
  mime = "application/octet-stream";
  data = items_.back().data;  // empty, but never a null pointer for a writer to copy from
  return std::nullopt;
}

bool is_remote_url(std::string_view url) {
  return starts_with_ci(url, "http://") || starts_with_ci(url, "https://");
}

bool remote_inline(UrlMedia* media, std::string_view url, const gemini::Path& param, Kind kind, std::string_view& mime,
                   std::string_view& data, gemini::Failure& err) {
  const std::string at = param.str();
  if (media == nullptr) {
    return err.fail("Remote media URLs are fetched only by the request machine: send the data inline.", at,
                    "unsupported_value");
  }
  if (auto e = media->find(url, at, kind, mime, data)) return err.fail(e->message, e->param, e->code);
  return true;
}

bool UrlMedia::complete() const {
  for (const Item& item : items_) {
    if (!item.fetched) return false;
  }
  return true;
}

std::optional<ApiError> UrlMedia::fetched(size_t i, const Fetched& f) {
  Item& item = items_[i];
  std::string_view mime;
  if (auto err = policy_.accept(item.url, f, item.kind, item.param, mime)) return err;
  total_ += f.bytes.size();
  if (static_cast<int64_t>(total_) > policy_.limits().max_bytes) {
    return api_error(400,
                     "The media URLs of this request are together larger than " +
                         megabytes(policy_.limits().max_bytes) + ", the most that fits Gemini's 20 MB inline limit.",
                     "invalid_media_url", item.param);
  }
  item.fetched = true;
  item.mime = std::string(mime);
  item.size = f.bytes.size();
  item.data.reserve(base64::encoded_size(f.bytes.size()));
  base64::encode(f.bytes, item.data);
  return std::nullopt;
}

}  // namespace bal::media
