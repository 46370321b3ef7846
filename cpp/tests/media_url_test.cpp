#include "balancer/media_url.h"

#include <catch2/catch.hpp>
#include <string>

#include "balancer/json.h"

using namespace bal;
using media::FetchEnd;

namespace {
const std::string kPng = std::string("\x89PNG\r\n\x1a\n", 8) + "rest of the image";
}

TEST_CASE("media URLs: http and https with a host, nothing else", "[media][url]") {
  const media::UrlPolicy p;
  for (const char* ok : {"https://example.com/a.png", "http://127.0.0.1:8080/x", "HTTPS://EXAMPLE.COM",
                         "https://[::1]:443/a", "https://example.com?x=1"}) {
    INFO(ok);
    CHECK_FALSE(p.check(ok, "u"));
  }
  const std::pair<const char*, const char*> bad[] = {
      {"ftp://example.com/a.png", "not an http or https URL"},
      {"file:///etc/passwd", "not an http or https URL"},
      {"javascript:alert(1)", "not an http or https URL"},
      {"https://user:pw@example.com/a.png", "credentials"},
      {"https://example.com@evil.test/", "credentials"},
      {"https:///path", "no host"},
      {"https://:80/x", "no host"},
      {"https://exa mple.com/", "spaces or control"},
  };
  for (const auto& [url, why] : bad) {
    INFO(url);
    const auto err = p.check(url, "messages[0].content[0].image_url.url");
    REQUIRE(err);
    CHECK(err->status == 400);
    CHECK(err->param == "messages[0].content[0].image_url.url");
    CHECK(err->code == "invalid_media_url");
    CHECK_THAT(err->message, Catch::Contains(why));
  }
  CHECK(p.check("https://example.com/" + std::string(5000, 'a'), "u"));
}

TEST_CASE("media URLs: fetched bytes become an inline part", "[media][url]") {
  const media::UrlPolicy p;
  media::Fetched f;
  f.status = 200;
  f.content_type = "application/octet-stream";
  f.bytes = kPng;
  std::string part;
  REQUIRE_FALSE(p.to_inline("https://x.test/a", f, media::Kind::image, "u", part));
  const json j = parse_json(part);
  CHECK(j["inlineData"]["mimeType"] == "image/png");
  CHECK(j["inlineData"]["data"] == "iVBORw0KGgpyZXN0IG9mIHRoZSBpbWFnZQ==");
}

TEST_CASE("media URLs: every failure is the client's 400 naming the URL", "[media][url]") {
  const media::UrlPolicy p;
  struct Case {
    FetchEnd end;
    int status;
    const char* type;
    std::string bytes;
    const char* says;
  };
  const Case cases[] = {
      {FetchEnd::timeout, 0, "", "", "did not answer within 10 s"},
      {FetchEnd::too_many_redirects, 0, "", "", "redirects more than 5 times"},
      {FetchEnd::too_large, 0, "", "", "larger than 15 MB"},
      {FetchEnd::network, 0, "", "", "could not be reached"},
      {FetchEnd::bad_redirect, 0, "", "", "without a Location"},
      {FetchEnd::ok, 404, "text/html", "<html>", "answered HTTP 404"},
      {FetchEnd::ok, 200, "text/html; charset=utf-8", "<html>",
       "is not a PNG, JPEG, WebP, HEIC or HEIF image (it is text/html"},
      {FetchEnd::ok, 200, "image/gif", "GIF89a....", "is not a PNG"},
      {FetchEnd::ok, 200, "image/png", "", "empty body"},
  };
  for (const Case& c : cases) {
    INFO(c.says);
    media::Fetched f;
    f.end = c.end;
    f.status = c.status;
    f.content_type = c.type;
    f.bytes = c.bytes;
    std::string part;
    const auto err = p.to_inline("https://x.test/cat.png", f, media::Kind::image, "image_url.url", part);
    REQUIRE(err);
    CHECK(err->status == 400);
    CHECK(err->param == "image_url.url");
    CHECK_THAT(err->message, Catch::Contains("https://x.test/cat.png") && Catch::Contains(c.says));
    CHECK(part.empty());
  }
  media::Fetched big;
  big.status = 200;
  const std::string huge(15 * 1024 * 1024 + 1, 'x');
  big.bytes = huge;
  std::string part;
  CHECK(p.to_inline("https://x.test/a", big, media::Kind::image, "u", part));
  media::Fetched redirect;
  redirect.end = FetchEnd::bad_redirect;
  redirect.redirect_to = "ftp://x.test/";
  const auto err = p.to_inline("https://x.test/a", redirect, media::Kind::image, "u", part);
  REQUIRE(err);
  CHECK_THAT(err->message, Catch::Contains("ftp://x.test/"));
}

TEST_CASE("media URLs: PDFs where documents are accepted, not where images are", "[media][url]") {
  const media::UrlPolicy p;
  media::Fetched f;
  f.status = 200;
  f.content_type = "application/pdf";
  f.bytes = "%PDF-1.7 ...";
  std::string part;
  CHECK_FALSE(p.to_inline("https://x.test/a.pdf", f, media::Kind::document, "u", part));
  part.clear();
  CHECK(p.to_inline("https://x.test/a.pdf", f, media::Kind::image, "u", part));
  CHECK(media::fetch_end_of("too_large") == FetchEnd::too_large);
  CHECK_FALSE(media::fetch_end_of("nonsense"));
  CHECK(std::string(media::fetch_end_name(FetchEnd::timeout)) == "timeout");
}
