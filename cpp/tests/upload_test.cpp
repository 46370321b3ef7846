#include "balancer/upload.h"

#include <catch2/catch.hpp>

#include "balancer/json.h"
#include "balancer/record.h"

using bal::json;

namespace {

// passed_back_headers() on headers written as a JSON object, for readable tests.
json passed(const json& upstream, std::string_view google, std::string_view worker, std::optional<int64_t> key) {
  bal::abi::HeaderList in;
  for (const auto& [name, value] : upstream.items()) in.add(name, value.get<std::string>());
  json out = json::object();
  bal::abi::for_each_header(bal::passed_back_headers(in.text(), google, worker, key),
                            [&out](std::string_view n, std::string_view v) { out[std::string(n)] = std::string(v); });
  return out;
}

constexpr std::string_view kGoogle = "https://generativelanguage.googleapis.com";
constexpr std::string_view kWorker = "https://balancer.example.workers.dev";

}  // namespace

TEST_CASE("an upload URL leads back to the Worker, pinned to the key that started it", "[upload]") {
  const json upstream = {
      {"x-goog-upload-url", std::string(kGoogle) + "/upload/v1beta/files?upload_id=ABC-123&upload_protocol=resumable"},
      {"x-goog-upload-control-url", std::string(kGoogle) + "/upload/v1beta/files?upload_id=ABC-123"},
      {"x-goog-upload-status", "active"},
      {"x-goog-upload-chunk-granularity", "8388608"},
      {"content-type", "text/plain; charset=utf-8"},
      {"set-cookie", "NID=1"},
      {"x-goog-hidden", "1"},
      {"alt-svc", "h3=\":443\""},
  };
  const json out = passed(upstream, kGoogle, kWorker, 7);
  CHECK(
      out ==
      json{
          {"x-goog-upload-url",
           std::string(kWorker) + "/upload/v1beta/files?upload_id=ABC-123&upload_protocol=resumable&balancer_key=7"},
          {"x-goog-upload-control-url", std::string(kWorker) + "/upload/v1beta/files?upload_id=ABC-123&balancer_key=7"},
          {"x-goog-upload-status", "active"},
          {"x-goog-upload-chunk-granularity", "8388608"},
          {"content-type", "text/plain; charset=utf-8"},
      });
  // A client's own key (no pool id): the URL leads back here, unpinned.
  CHECK(passed(upstream, kGoogle, kWorker, std::nullopt)["x-goog-upload-url"] ==
        std::string(kWorker) + "/upload/v1beta/files?upload_id=ABC-123&upload_protocol=resumable");
}

TEST_CASE("headers passed back never carry a key", "[upload]") {
  const std::string key = "AIzaSyA1234567890abcdefghijklmnopqrstuv";
  const json upstream = {
      {"x-goog-upload-url", std::string(kGoogle) + "/upload/v1beta/files?upload_id=u&key=" + key + "&%24key=" + key},
      {"x-goog-upload-control-url", "https://elsewhere.example/x?key=" + key},
      {"x-goog-upload-status", "active for api_key:" + key},
      {"x-goog-upload-size-received", "%41IzaSyA1234567890abcdefghijklmnopqrstuv"},
  };
  const json out = passed(upstream, kGoogle, kWorker, 3);
  CHECK(out["x-goog-upload-url"] == std::string(kWorker) + "/upload/v1beta/files?upload_id=u&balancer_key=3");
  for (const auto& [name, value] : out.items()) {
    INFO(name << ": " << value);
    const std::string v = value;
    CHECK(v.find("1234567890abcdef") == std::string::npos);
    for (char c : v) CHECK(static_cast<unsigned char>(c) < 0x80);  // stays a valid header value
  }
  // A URL on another origin is not moved, a prefix of the origin is not the origin.
  CHECK(std::string(out["x-goog-upload-control-url"]).rfind("https://elsewhere.example/x?key=AIzaSy...[redacted]", 0) ==
        0);
  const json lookalike = {{"x-goog-upload-url", std::string(kGoogle) + ".evil.example/upload?upload_id=u"}};
  CHECK(passed(lookalike, kGoogle, kWorker, 3)["x-goog-upload-url"] ==
        std::string(kGoogle) + ".evil.example/upload?upload_id=u");
}

TEST_CASE("the pin is taken out of the query, and counts only on an upload's later requests", "[upload]") {
  std::optional<int64_t> pinned;
  CHECK(bal::take_upload_pin("/upload/v1beta/files", "upload_id=u&upload_protocol=resumable&balancer_key=7", &pinned) ==
        "upload_id=u&upload_protocol=resumable");
  CHECK(pinned == 7);
  for (const auto& [path, query] : std::initializer_list<std::pair<const char*, const char*>>{
           {"/v1beta/models/m:generateContent", "balancer_key=7"},
           {"/upload/v1beta/files", "balancer_key=7"},
           {"/upload/v1beta/files", "upload_id=u&balancer_key=-1"},
           {"/upload/v1beta/files", "upload_id=u&balancer_key=7x"},
           {"/upload/v1beta/files", "upload_id=u&balancer_key="}}) {
    INFO(path << "?" << query);
    std::optional<int64_t> none;
    CHECK(bal::take_upload_pin(path, query, &none).find("balancer_key") == std::string::npos);
    CHECK_FALSE(none);
  }
}
