// Media URLs in the request machine: the http(s) image URLs a translation meets are fetched
// (MEDIA tasks, redirects followed by the core), written inline, and only then sent to Gemini;
// every failure is the client's 400 naming the URL, and no key is touched.
#include <catch2/catch.hpp>

#include "balancer/base64.h"
#include "machine_support.h"

using namespace machine_test;
using bal::abi::Reason;

namespace {

const std::string kPngBytes = std::string("\x89PNG\r\n\x1a\n", 8) + "pixels";

std::string png_b64() {
  std::string out;
  bal::base64::encode(kPngBytes, out);
  return out;
}

std::string chat_with(const std::vector<std::string>& urls) {
  json parts = json::array({{{"type", "text"}, {"text", "What is this?"}}});
  for (const std::string& u : urls) parts.push_back({{"type", "image_url"}, {"image_url", {{"url", u}}}});
  return json{{"model", "gemini-2.5-flash"}, {"messages", {{{"role", "user"}, {"content", parts}}}}}.dump();
}

MediaAnswer png() {
  return {200, "image/png", kPngBytes, "", Reason::none};
}

}  // namespace

TEST_CASE("machine: an image URL in chat is fetched, redirects followed here, then sent inline", "[machine][media]") {
  Sim sim;
  sim.keys(2);
  std::vector<std::string> asked;
  sim.on_media = [&](const bal::Task& t) {
    asked.push_back(t.url);
    if (t.url == "https://img.example/moved") return MediaAnswer{302, "", "", "https://cdn.example/cat.png"};
    return png();
  };
  const Run r = sim.run("POST", "/v1/chat/completions", sim.bearer(),
                        chat_with({"https://img.example/moved", "http://img.example/b.png"}), {answer(200, kReply)});
  REQUIRE(r.status == 200);
  CHECK(asked == std::vector<std::string>{"https://img.example/moved", "http://img.example/b.png",
                                          "https://cdn.example/cat.png"});
  for (const bal::Task& t : r.media) {
    CHECK(t.headers.empty());  // nothing of the client's request, no key
    CHECK(t.max_bytes == 15u * 1024 * 1024);
    CHECK(t.timeout_ms == 10'000);
  }
  REQUIRE(r.fetches.size() == 1);
  const json body = json::parse(r.fetches[0].body);
  const json& parts = body["contents"][0]["parts"];
  REQUIRE(parts.size() == 3);
  for (size_t i = 1; i < 3; ++i) {
    CHECK(parts[i]["inlineData"]["mimeType"] == "image/png");
    CHECK(parts[i]["inlineData"]["data"] == png_b64());
  }
}

TEST_CASE("machine: every media fetch failure is the client's 400 naming the URL, no key touched", "[machine][media]") {
  struct Case {
    const char* name;
    std::function<MediaAnswer(Sim&, const bal::Task&)> answer;
    const char* says;
  };
  const std::string url = "https://img.example/cat.png";
  const std::vector<Case> cases = {
      {"no answer in time",
       [](Sim&, const bal::Task&) {
         return MediaAnswer{0, "", "", "", Reason::TIMEOUT};
       },
       "did not answer within 10 s"},
      {"too large (declared or counted)",
       [](Sim&, const bal::Task&) {
         return MediaAnswer{0, "", "", "", Reason::TOO_LARGE};
       },
       "is larger than 15 MB"},
      {"unreachable",
       [](Sim&, const bal::Task&) {
         return MediaAnswer{0, "", "", "", Reason::NETWORK};
       },
       "could not be reached"},
      {"404",
       [](Sim&, const bal::Task&) {
         return MediaAnswer{404, "text/html", "<html>", ""};
       },
       "answered HTTP 404"},
      {"a web page",
       [](Sim&, const bal::Task&) {
         return MediaAnswer{200, "text/html", "<html></html>", ""};
       },
       "is not a PNG, JPEG, WebP, HEIC or HEIF image (it is text/html)"},
      {"an empty body",
       [](Sim&, const bal::Task&) {
         return MediaAnswer{200, "image/png", "", ""};
       },
       "answered with an empty body"},
      {"six redirects",
       [](Sim&, const bal::Task& t) {
         return MediaAnswer{302, "", "", t.url + "x"};
       },
       "redirects more than 5 times"},
      {"a redirect to ftp",
       [](Sim&, const bal::Task&) {
         return MediaAnswer{301, "", "", "ftp://img.example/cat.png"};
       },
       "redirects to ftp://img.example/cat.png, which is not fetched"},
      {"a redirect with credentials",
       [](Sim&, const bal::Task&) {
         return MediaAnswer{307, "", "", "https://u:p@img.example/"};
       },
       "which is not fetched"},
      {"a redirect without a Location",
       [](Sim&, const bal::Task&) {
         return MediaAnswer{302, "", "", ""};
       },
       "redirects without a Location"},
      {"a redirect after the time is up",
       [](Sim& sim, const bal::Task&) {
         sim.now += 10'001;
         return MediaAnswer{302, "", "", "https://img.example/next"};
       },
       "did not answer within 10 s"},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.name) {
      Sim sim;
      sim.keys(2);
      sim.on_media = [&](const bal::Task& t) { return c.answer(sim, t); };
      const Run r = sim.run("POST", "/v1/chat/completions", sim.bearer(), chat_with({url}), {answer(200, kReply)});
      CHECK(r.status == 400);
      CHECK(r.fetches.empty());
      CHECK(r.body["error"]["type"] == "invalid_request_error");
      CHECK(r.body["error"]["code"] == "invalid_media_url");
      CHECK(r.body["error"]["param"] == "messages[0].content[1].image_url.url");
      const std::string message = r.body["error"]["message"];
      CHECK_THAT(message, Catch::Contains(url) && Catch::Contains(c.says));
      CHECK(sim.iso.events.empty());
    }
  }
}

TEST_CASE("machine: a redirect's time comes out of the fetch's 10 s", "[machine][media]") {
  Sim sim;
  sim.keys(1);
  std::vector<int64_t> timeouts;
  sim.on_media = [&](const bal::Task& t) {
    timeouts.push_back(t.timeout_ms);
    sim.now += 4000;
    return t.url.find("final") == std::string::npos ? MediaAnswer{302, "", "", "https://img.example/final"} : png();
  };
  const Run r = sim.run("POST", "/v1/chat/completions", sim.bearer(), chat_with({"https://img.example/a"}),
                        {answer(200, kReply)});
  CHECK(r.status == 200);
  CHECK(timeouts == std::vector<int64_t>{10'000, 6'000});
}

TEST_CASE("machine: a request's media URLs are fetched four at a time, each once", "[machine][media]") {
  Sim sim;
  sim.keys(1);
  std::vector<std::string> asked;
  sim.on_media = [&](const bal::Task& t) {
    asked.push_back(t.url);
    return png();
  };
  std::vector<std::string> urls;
  for (int i = 0; i < 6; ++i) urls.push_back("https://img.example/" + std::to_string(i) + ".png");
  urls.push_back(urls[0]);
  const Run r = sim.run("POST", "/v1/chat/completions", sim.bearer(), chat_with(urls), {answer(200, kReply)});
  REQUIRE(r.status == 200);
  CHECK(asked.size() == 6);
  CHECK(r.most_media == 4);
  const json parts = json::parse(r.fetches.at(0).body)["contents"][0]["parts"];
  CHECK(parts.size() == 8);
  CHECK(parts[7]["inlineData"]["data"] == png_b64());
}

TEST_CASE("machine: media URLs are bounded in number and in bytes together", "[machine][media]") {
  SECTION("seventeen URLs: refused before any fetch") {
    Sim sim;
    sim.keys(1);
    std::vector<std::string> urls;
    for (int i = 0; i < 17; ++i) urls.push_back("https://img.example/" + std::to_string(i));
    sim.on_media = [](const bal::Task&) { return png(); };
    const Run r = sim.run("POST", "/v1/chat/completions", sim.bearer(), chat_with(urls), {});
    CHECK(r.status == 400);
    CHECK(r.media.empty());
    CHECK(r.body["error"]["code"] == "too_many_media_urls");
  }
  SECTION("two images of 8 MB: more than one inline request takes") {
    Sim sim;
    sim.keys(1);
    const std::string big = kPngBytes + std::string(8 * 1024 * 1024, 'x');
    sim.on_media = [&](const bal::Task&) { return MediaAnswer{200, "image/png", big, ""}; };
    const Run r = sim.run("POST", "/v1/chat/completions", sim.bearer(),
                          chat_with({"https://img.example/a", "https://img.example/b"}), {});
    CHECK(r.status == 400);
    CHECK(r.fetches.empty());
    CHECK_THAT(r.body["error"]["message"].get<std::string>(), Catch::Contains("together larger than 15 MB"));
  }
}

TEST_CASE("machine: Anthropic and Responses image URLs are fetched the same way, errors in their format",
          "[machine][media]") {
  Sim sim;
  sim.keys(1);
  sim.on_media = [](const bal::Task& t) {
    return t.url.find("gone") != std::string::npos ? MediaAnswer{404, "text/plain", "no", ""} : png();
  };
  const auto anthropic = [](const std::string& url) {
    return json{{"model", "gemini-2.5-flash"},
                {"max_tokens", 5},
                {"messages",
                 {{{"role", "user"}, {"content", {{{"type", "image"}, {"source", {{"type", "url"}, {"url", url}}}}}}}}}}
        .dump();
  };
  const json headers = {{"x-api-key", kClient}, {"anthropic-version", "2023-06-01"}};
  const Run ok =
      sim.run("POST", "/v1/messages", headers, anthropic("https://img.example/a.png"), {answer(200, kReply)});
  CHECK(ok.status == 200);
  CHECK(json::parse(ok.fetches.at(0).body)["contents"][0]["parts"][0]["inlineData"]["data"] == png_b64());
  const Run gone = sim.run("POST", "/v1/messages", headers, anthropic("https://img.example/gone.png"), {});
  CHECK(gone.status == 400);
  CHECK(gone.body["type"] == "error");
  CHECK_THAT(gone.body["error"]["message"].get<std::string>(), Catch::Contains("https://img.example/gone.png"));

  const std::string responses =
      R"({"model":"gemini-2.5-flash","store":false,"input":[{"role":"user","content":[{"type":"input_image","image_url":"https://img.example/r.png"}]}]})";
  const Run r = sim.run("POST", "/v1/responses", sim.bearer(), responses, {answer(200, kReply)});
  CHECK(r.status == 200);
  CHECK(json::parse(r.fetches.at(0).body)["contents"][0]["parts"][0]["inlineData"]["data"] == png_b64());
}

TEST_CASE("machine: after the fetch, Gemini refusing the image is still the client's", "[machine][media]") {
  Sim sim;
  sim.keys(3);
  sim.on_media = [](const bal::Task&) { return png(); };
  const Run r = sim.run("POST", "/v1/chat/completions", sim.bearer(), chat_with({"https://img.example/a.png"}),
                        {answer(400, gemini_error(400, "INVALID_ARGUMENT", "Unable to process input image."))});
  CHECK(r.status == 400);
  CHECK(r.keys.size() == 1);
  const json events = sim.events();
  CHECK(events["disables"].empty());
  CHECK(events["cooldowns"].empty());
  for (int64_t id = 1; id <= 3; ++id) {
    CHECK(sim.iso.pool.eligible(sim.iso.pool.at(*sim.iso.pool.index_of(id)), "gemini-2.5-flash", sim.now));
  }
}
