// The golden fixtures of tests/fixtures/media/: each one a client request (JSON or multipart),
// the Gemini calls it must become, and, when it has "upstream", the answer the client gets.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "balancer/base64.h"
#include "balancer/media.h"
#include "balancer/model_map.h"
#include "fixtures.h"

using bal::json;

namespace {

constexpr std::string_view kBoundary = "media-fixture-boundary";

std::string bytes_of(const json& part) {
  if (part.contains("base64")) {
    std::string out;
    REQUIRE(bal::base64::decode(part["base64"].get<std::string>(), out));
    return out;
  }
  return part.value("text", "");
}

std::string multipart_body(const json& parts) {
  std::string b;
  for (const json& p : parts) {
    b += "--";
    b += kBoundary;
    b += "\r\nContent-Disposition: form-data; name=\"" + p["name"].get<std::string>() + "\"";
    if (p.contains("filename")) b += "; filename=\"" + p["filename"].get<std::string>() + "\"";
    b += "\r\n";
    if (p.contains("content_type")) b += "Content-Type: " + p["content_type"].get<std::string>() + "\r\n";
    b += "\r\n" + bytes_of(p) + "\r\n";
  }
  return b + "--" + std::string(kBoundary) + "--\r\n";
}

bal::Translated translate(const json& f, const bal::RequestInfo& info) {
  const std::string route = f["route"];
  const std::string content_type = f.value("content_type", "multipart/form-data; boundary=" + std::string(kBoundary));
  const std::string body = f.contains("multipart")     ? multipart_body(f["multipart"])
                           : f.contains("raw_request") ? f["raw_request"].get<std::string>()
                                                       : f["request"].dump();
  if (route == "images.generations") return bal::media::translate_image_generation(body, info);
  if (route == "images.edits") return bal::media::translate_image_edit(content_type, body, info);
  if (route == "speech") return bal::media::translate_speech(body, info);
  if (route == "transcriptions") {
    return bal::media::translate_transcription(content_type, body, bal::media::AudioTask::transcribe, info);
  }
  REQUIRE(route == "translations");
  return bal::media::translate_transcription(content_type, body, bal::media::AudioTask::translate, info);
}

void check_error(const bal::Reply& r, const json& want) {
  CHECK(r.status == want["status"].get<int>());
  const json got = bal::parse_json(r.body);
  REQUIRE(got.contains("error"));
  const json& e = got["error"];
  if (want.contains("type")) CHECK(e["type"] == want["type"]);
  if (want.contains("param")) CHECK(e["param"] == want["param"]);
  if (want.contains("code")) CHECK(e["code"] == want["code"]);
  if (want.contains("message_contains")) {
    CHECK_THAT(e["message"].get<std::string>(), Catch::Contains(want["message_contains"].get<std::string>()));
  }
}

void check_answer(const bal::Reply& r, const json& want) {
  if (want.contains("error")) return check_error(r, want["error"]);
  CHECK(r.status == want.value("status", 200));
  if (want.contains("content_type")) CHECK(r.content_type == want["content_type"]);
  if (want.contains("json")) CHECK(bal::parse_json(r.body) == want["json"]);
  if (want.contains("text")) CHECK(r.body == want["text"].get<std::string>());
  if (want.contains("body_base64")) {
    std::string expected;
    REQUIRE(bal::base64::decode(want["body_base64"].get<std::string>(), expected));
    CHECK(r.body == expected);
  }
}

}  // namespace

TEST_CASE("media fixtures", "[media][fixtures]") {
  const auto files = fixtures::files("media");
  REQUIRE(files.size() >= 20);
  for (const auto& path : files) {
    DYNAMIC_SECTION(path.filename().string()) {
      const json f = fixtures::read_json(path);
      REQUIRE(f.is_object());
      bal::ModelMap models;
      models.assign(f.value("model_map", ""));
      bal::RequestInfo info;
      info.now_ms = f.value("now_ms", int64_t{1700000000123});
      info.request_id = "0123456789abcdef";
      info.models = &models;
      bal::Translated t = translate(f, info);
      REQUIRE(t.exchange != nullptr);
      if (f.contains("expect_error")) {
        REQUIRE(t.error.has_value());
        CHECK(t.calls.empty());
        check_error(t.exchange->error(*t.error), f["expect_error"]);
        continue;
      }
      REQUIRE_FALSE(t.error.has_value());
      const json& calls = f["expect_calls"];
      REQUIRE(t.calls.size() == calls.size());
      for (size_t i = 0; i < calls.size(); ++i) {
        CHECK(t.calls[i].model == calls[i]["model"]);
        CHECK(t.calls[i].path == calls[i]["path"]);
        CHECK(t.calls[i].method == "POST");
        CHECK_FALSE(t.calls[i].sse);
        CHECK(bal::parse_json(t.calls[i].body) == calls[i]["body"]);
      }
      if (!f.contains("upstream")) continue;
      std::vector<std::string> bodies;
      for (const json& b : f["upstream"]) bodies.push_back(b.is_string() ? b.get<std::string>() : b.dump(2));
      const std::vector<std::string_view> views(bodies.begin(), bodies.end());
      check_answer(t.exchange->answer(views), f["expect_answer"]);
      if (f.contains("expect_usage")) {
        CHECK(t.exchange->usage().prompt == f["expect_usage"]["prompt"].get<int64_t>());
        CHECK(t.exchange->usage().completion() == f["expect_usage"]["completion"].get<int64_t>());
      }
    }
  }
}
