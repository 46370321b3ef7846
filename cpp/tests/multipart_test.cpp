#include "balancer/multipart.h"

#include <catch2/catch.hpp>
#include <string>

using namespace bal;

namespace {

constexpr std::string_view kType = "multipart/form-data; boundary=XyZ";

std::string body_of(std::initializer_list<std::string> parts) {
  std::string b;
  for (const std::string& p : parts) b += "--XyZ\r\n" + p + "\r\n";
  return b + "--XyZ--\r\n";
}

}  // namespace

TEST_CASE("multipart: fields and files with their names, file names and types", "[multipart]") {
  const std::string body = body_of({
      "Content-Disposition: form-data; name=\"prompt\"\r\n\r\nA cat",
      "Content-Disposition: form-data; name=\"image[]\"; filename=\"a.png\"\r\nContent-Type: "
      "image/PNG\r\n\r\n\x89PNG\r\n--X",
      "Content-Disposition: form-data; name=\"image[]\"; filename=\"b.jpg\"\r\n\r\n\xff\xd8\xff",
  });
  multipart::Form form;
  REQUIRE(multipart::parse(kType, body, form) == multipart::none);
  REQUIRE(form.parts.size() == 3);
  CHECK(form.field("prompt")->data == "A cat");
  CHECK_FALSE(form.field("prompt")->has_filename);
  const auto images = form.all("image[]");
  REQUIRE(images.size() == 2);
  CHECK(images[0]->filename == "a.png");
  CHECK(images[0]->content_type == "image/png");
  CHECK(images[0]->data == "\x89PNG\r\n--X");  // a near-delimiter inside the data stays data
  CHECK(images[1]->data == "\xff\xd8\xff");
  CHECK(form.field("missing") == nullptr);
}

TEST_CASE("multipart: the boundary parameter, quoted or bare, in any case", "[multipart]") {
  std::string b;
  CHECK(multipart::boundary_of("multipart/form-data; boundary=abc", b) == multipart::none);
  CHECK(b == "abc");
  CHECK(multipart::boundary_of("Multipart/Form-Data; charset=utf-8; BOUNDARY=\"a b:c\"", b) == multipart::none);
  CHECK(b == "a b:c");
  CHECK(multipart::boundary_of("application/json", b) == multipart::not_form_data);
  CHECK(multipart::boundary_of("multipart/form-data", b) == multipart::no_boundary);
  CHECK(multipart::boundary_of("multipart/form-data; boundary=", b) == multipart::no_boundary);
  CHECK(multipart::boundary_of("multipart/form-data; boundary=" + std::string(71, 'a'), b) == multipart::no_boundary);
}

TEST_CASE("multipart: LF line ends, a preamble, an epilogue and filename*", "[multipart]") {
  const std::string body =
      "preamble\r\n--XyZ\nContent-Disposition: form-data; name=\"file\"; filename*=UTF-8''%E9t%C3%A9.wav\n\nRIFF\n"
      "--XyZ--\r\nepilogue";
  multipart::Form form;
  REQUIRE(multipart::parse(kType, body, form) == multipart::none);
  REQUIRE(form.parts.size() == 1);
  CHECK(form.parts[0].filename == "\xe9t\xc3\xa9.wav");
  CHECK(form.parts[0].data == "RIFF");
}

TEST_CASE("multipart: an empty file and an empty field are parts too", "[multipart]") {
  const std::string body = body_of({"Content-Disposition: form-data; name=\"file\"; filename=\"\"\r\n\r\n",
                                    "Content-Disposition: form-data; name=\"language\"\r\n\r\n"});
  multipart::Form form;
  REQUIRE(multipart::parse(kType, body, form) == multipart::none);
  CHECK(form.field("file")->has_filename);
  CHECK(form.field("file")->data.empty());
  CHECK(form.field("language")->data.empty());
}

TEST_CASE("multipart: malformed bodies are errors, never a guess", "[multipart]") {
  multipart::Form form;
  CHECK(multipart::parse(kType, "no boundary here", form) == multipart::no_first_boundary);
  CHECK(multipart::parse(kType, "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nunfinished", form) ==
        multipart::unterminated);
  CHECK(multipart::parse(kType, "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\nno blank line", form) ==
        multipart::bad_part_headers);
  CHECK(multipart::parse(kType, body_of({"Content-Type: text/plain\r\n\r\nx"}), form) == multipart::no_part_name);
  CHECK(multipart::parse(kType, body_of({"Content-Disposition: attachment; name=\"a\"\r\n\r\nx"}), form) ==
        multipart::no_part_name);
  CHECK(multipart::parse(kType, body_of({"Content-Disposition: form-data; name=\"a\r\n\r\nx"}), form) ==
        multipart::bad_part_headers);
  CHECK(multipart::parse(kType, body_of({"no colon\r\n\r\nx"}), form) == multipart::bad_part_headers);
  CHECK(multipart::parse(kType, "--XyZ", form) == multipart::unterminated);
  CHECK(multipart::parse(kType, "--XyZ junk\r\n", form) == multipart::bad_part_headers);
  std::string huge = "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\nX-Pad: " + std::string(20000, 'p') +
                     "\r\n\r\nx\r\n--XyZ--";
  CHECK(multipart::parse(kType, huge, form) == multipart::bad_part_headers);
  for (auto e :
       {multipart::not_form_data, multipart::no_boundary, multipart::no_first_boundary, multipart::bad_part_headers,
        multipart::no_part_name, multipart::unterminated, multipart::too_many_parts}) {
    CHECK(std::string(multipart::error_message(e)).size() > 10);
  }
}

TEST_CASE("multipart: at most kMaxParts parts", "[multipart]") {
  std::string body;
  for (size_t i = 0; i <= multipart::kMaxParts; ++i)
    body += "--XyZ\r\nContent-Disposition: form-data; name=\"n\"\r\n\r\nv\r\n";
  body += "--XyZ--";
  multipart::Form form;
  CHECK(multipart::parse(kType, body, form) == multipart::too_many_parts);
}

TEST_CASE("multipart: a large file is found without copying", "[multipart]") {
  std::string data(4 * 1024 * 1024, '\r');
  for (size_t i = 0; i < data.size(); i += 3) data[i] = '\n';
  const std::string body = body_of({"Content-Disposition: form-data; name=\"file\"; filename=\"x\"\r\n\r\n" + data});
  multipart::Form form;
  REQUIRE(multipart::parse(kType, body, form) == multipart::none);
  CHECK(form.field("file")->data.size() == data.size());
  CHECK(form.field("file")->data.data() >= body.data());
  CHECK(form.field("file")->data.data() < body.data() + body.size());
}
