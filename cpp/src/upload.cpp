#include "balancer/upload.h"

#include <charconv>

#include "balancer/path.h"
#include "balancer/record.h"
#include "balancer/redact.h"
#include "balancer/router.h"

namespace bal {
namespace {

struct PassedHeader {
  std::string_view name;
  bool is_url;  // a URL of the upload session, to lead back to this Worker
};

constexpr PassedHeader kPassedHeaders[] = {
    {"content-type", false},
    {"x-goog-upload-status", false},
    {"x-goog-upload-url", true},
    {"x-goog-upload-control-url", true},
    {"x-goog-upload-chunk-granularity", false},
    {"x-goog-upload-size-received", false},
};

// A header value must stay Latin-1: the redaction marker here is plain ASCII.
constexpr std::string_view kHeaderMarker = "...[redacted]";

std::string session_url(std::string_view value, std::string_view upstream_origin, std::string_view worker_origin,
                        std::optional<int64_t> key_id) {
  if (upstream_origin.empty() || value.substr(0, upstream_origin.size()) != upstream_origin ||
      value.size() == upstream_origin.size() || value[upstream_origin.size()] != '/') {
    return std::string(value);
  }
  const std::string_view rest = value.substr(upstream_origin.size());
  const size_t q = rest.find('?');
  const std::string_view path = rest.substr(0, q);
  std::optional<int64_t> ignored;
  std::string query = take_upload_pin(
      path, strip_system_params(q == std::string_view::npos ? std::string_view{} : rest.substr(q + 1)), &ignored);
  if (key_id) {
    if (!query.empty()) query += '&';
    query += std::string(kUploadKeyParam) + "=" + std::to_string(*key_id);
  }
  std::string out(worker_origin);
  out += path;
  if (!query.empty()) out += "?" + query;
  return out;
}

}  // namespace

std::string passed_back_headers(std::string_view upstream, std::string_view upstream_origin,
                                std::string_view worker_origin, std::optional<int64_t> key_id) {
  abi::HeaderList out;
  for (const PassedHeader& h : kPassedHeaders) {
    const std::string_view value = abi::header_value(upstream, h.name);
    if (value.empty()) continue;
    const std::string moved =
        h.is_url ? session_url(value, upstream_origin, worker_origin, key_id) : std::string(value);
    out.add(h.name, redact(moved, kHeaderMarker));
  }
  return out.text();
}

std::string take_upload_pin(std::string_view path, std::string_view query, std::optional<int64_t>* pinned) {
  const bool continues = path.substr(0, 8) == "/upload/" && !query_param(query, "upload_id").empty();
  std::string out;
  size_t start = 0;
  while (start < query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    const std::string_view item = query.substr(start, end - start);
    const size_t eq = item.find('=');
    if (item.substr(0, eq) == kUploadKeyParam) {
      const std::string_view v = eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1);
      int64_t id = 0;
      const auto r = std::from_chars(v.data(), v.data() + v.size(), id);
      if (continues && r.ec == std::errc() && r.ptr == v.data() + v.size() && id > 0) *pinned = id;
    } else if (!item.empty()) {
      if (!out.empty()) out += '&';
      out += item;
    }
    start = end + 1;
  }
  return out;
}

}  // namespace bal
