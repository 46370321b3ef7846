#include "balancer/media.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <iterator>
#include <string>

#include "balancer/base64.h"
#include "balancer/json.h"
#include "balancer/media_types.h"

using namespace bal;
using namespace std::literals;

TEST_CASE("OpenAI sizes become Gemini aspect ratios", "[media]") {
  std::string_view r;
  const std::pair<const char*, const char*> cases[] = {
      {"1024x1024", "1:1"}, {"256x256", "1:1"},   {"1792x1024", "16:9"}, {"1024x1792", "9:16"},
      {"1536x1024", "3:2"}, {"1024x1536", "2:3"}, {"2560x1080", "21:9"}, {"1280x1024", "5:4"},
      {"1024x768", "4:3"},  {"4:5", "4:5"},       {"auto", ""},          {"", ""},
  };
  for (const auto& [size, ratio] : cases) {
    INFO(size);
    REQUIRE(media::aspect_ratio_for(size, r));
    CHECK(r == ratio);
  }
  for (const char* bad : {"1000x600", "1x100", "0x10", "10x0", "x", "10x", "axb", "1024*1024", "-1x1", "7:5"}) {
    INFO(bad);
    CHECK_FALSE(media::aspect_ratio_for(bad, r));
  }
}

TEST_CASE("sizes: the nearest ratio within 5 %, as by their logarithms", "[media]") {
  // The ratios and tolerance of images.cpp, chosen here the way it once chose them: by the
  // distance between logarithms (it now compares the factor between the two ratios).
  const std::pair<std::string_view, double> ratios[] = {
      {"1:1", 1.0}, {"2:3", 2.0 / 3.0}, {"3:2", 1.5},         {"3:4", 0.75},        {"4:3", 4.0 / 3.0},
      {"4:5", 0.8}, {"5:4", 1.25},      {"9:16", 9.0 / 16.0}, {"16:9", 16.0 / 9.0}, {"21:9", 21.0 / 9.0},
  };
  const auto by_logs = [&ratios](int w, int h) {
    const double want = std::log(static_cast<double>(w) / static_cast<double>(h));
    double best = 0.05;
    std::string_view chosen;
    for (const auto& [name, value] : ratios) {
      const double d = std::fabs(std::log(value) - want);
      if (d <= best) {
        best = d;
        chosen = name;
      }
    }
    return chosen;
  };
  std::string_view r;
  size_t mismatches = 0;
  for (int w = 1; w <= 300; ++w) {
    for (int h = 1; h <= 300; ++h) {
      const std::string_view expected = by_logs(w, h);
      const bool ok = media::aspect_ratio_for(std::to_string(w) + "x" + std::to_string(h), r);
      if (ok != !expected.empty() || (ok && r != expected)) ++mismatches;
    }
  }
  for (int w = 99000; w <= 100000; w += 7) {
    for (int h : {56250, 75000, 80000, 95100, 95200, 95300, 99999}) {
      const std::string_view expected = by_logs(w, h);
      const bool ok = media::aspect_ratio_for(std::to_string(w) + "x" + std::to_string(h), r);
      if (ok != !expected.empty() || (ok && r != expected)) ++mismatches;
    }
  }
  CHECK(mismatches == 0);
}

TEST_CASE("voices: OpenAI's names and Gemini's in any case", "[media]") {
  CHECK(media::gemini_voice("alloy") == "Kore");
  CHECK(media::gemini_voice("SHIMMER") == "Zephyr");
  CHECK(media::gemini_voice("zubenelgenubi") == "Zubenelgenubi");
  CHECK(media::gemini_voice("Kore") == "Kore");
  CHECK(media::gemini_voice("bob").empty());
  CHECK(media::gemini_voice("").empty());
}

TEST_CASE("the WAV header is RIFF, PCM, mono, 16-bit at the given rate", "[media]") {
  std::string h;
  media::append_wav_header(h, 24000, 480);
  REQUIRE(h.size() == 44);
  CHECK(h.substr(0, 4) == "RIFF");
  CHECK(h.substr(8, 8) == "WAVEfmt ");
  auto u32 = [&](size_t at) {
    return static_cast<uint32_t>(static_cast<unsigned char>(h[at])) |
           static_cast<uint32_t>(static_cast<unsigned char>(h[at + 1])) << 8 |
           static_cast<uint32_t>(static_cast<unsigned char>(h[at + 2])) << 16 |
           static_cast<uint32_t>(static_cast<unsigned char>(h[at + 3])) << 24;
  };
  CHECK(u32(4) == 36 + 480);
  CHECK(u32(24) == 24000);  // sample rate
  CHECK(u32(28) == 48000);  // byte rate
  CHECK(h[22] == 1);        // channels
  CHECK(h[34] == 16);       // bits per sample
  CHECK(h.substr(36, 4) == "data");
  CHECK(u32(40) == 480);
}

TEST_CASE("media types: the bytes decide, then the label, then the name", "[media]") {
  using media::Kind;
  CHECK(media::identify("\x89PNG\r\n\x1a\nxxxx", "application/octet-stream", "a.bin", Kind::image) == "image/png");
  CHECK(media::identify("\xff\xd8\xff\xe0", "", "", Kind::image) == "image/jpeg");
  CHECK(media::identify("RIFF\x10\0\0\0WEBPVP8 "sv, "", "", Kind::image) == "image/webp");
  CHECK(media::identify("GIF89a", "image/gif", "a.gif", Kind::image).empty());
  CHECK(media::identify("\x89PNG\r\n\x1a\n", "audio/wav", "a.wav", Kind::audio).empty());
  CHECK(media::identify("unknown bytes", "image/JPG", "", Kind::image) == "image/jpeg");
  CHECK(media::identify("unknown bytes", "", "photo.HEIC", Kind::image) == "image/heic");
  CHECK(media::identify("unknown bytes", "text/plain", "a.txt", Kind::image).empty());
  CHECK(media::identify("\0\0\0\x1c"
                        "ftypM4A \0\0"sv,
                        "", "", Kind::audio) == "audio/mp4");
  CHECK(media::identify("\0\0\0\x1c"
                        "ftypisom\0\0"sv,
                        "", "", Kind::audio) == "audio/mp4");
  CHECK(media::identify("\xff\xfb\x90\x00", "", "", Kind::audio) == "audio/mp3");
  CHECK(media::identify("\xff\xf1\x50\x80", "", "", Kind::audio) == "audio/aac");
  CHECK(media::identify("OggS\0"sv, "", "", Kind::audio) == "audio/ogg");
  CHECK(media::identify("fLaC", "", "", Kind::audio) == "audio/flac");
  CHECK(media::identify("\x1a\x45\xdf\xa3", "", "", Kind::audio) == "audio/webm");
  CHECK(media::identify("%PDF-1.7", "", "", Kind::document) == "application/pdf");
}

TEST_CASE("a 10 MB upload becomes one Gemini body with the audio inline", "[media]") {
  std::string audio = std::string("RIFF\0\0\0\0WAVE", 12);
  audio.resize(10 * 1024 * 1024, '\x5a');
  const std::string boundary = "b0undary";
  std::string body = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n\r\n";
  body += audio;
  body += "\r\n--" + boundary + "\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nwhisper-1\r\n--" + boundary +
          "--\r\n";
  RequestInfo info;
  Translated t = media::translate_transcription("multipart/form-data; boundary=" + boundary, body,
                                                media::AudioTask::transcribe, info);
  REQUIRE_FALSE(t.error);
  REQUIRE(t.calls.size() == 1);
  const json j = parse_json(t.calls[0].body);
  const std::string data = j["contents"][0]["parts"][1]["inlineData"]["data"];
  std::string back;
  REQUIRE(base64::decode(data, back));
  CHECK(back == audio);
  CHECK(t.calls[0].body.size() < base64::encoded_size(audio.size()) + 1024);
}

TEST_CASE("an upload over Gemini's inline limit is a 413 before any encoding", "[media]") {
  std::string body = "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n\r\nRIFF\0\0\0\0WAVE";
  body.resize(body.size() + 16 * 1024 * 1024, 'x');
  body += "\r\n--b\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nwhisper-1\r\n--b--";
  RequestInfo info;
  Translated t =
      media::translate_transcription("multipart/form-data; boundary=b", body, media::AudioTask::transcribe, info);
  REQUIRE(t.error);
  CHECK(t.error->status == 413);
  CHECK(t.exchange->error(*t.error).status == 413);
}

TEST_CASE("multipart bodies as the openai SDK sends them", "[media][recorded]") {
  const std::string dir = std::string(FIXTURES_DIR) + "/media/recorded/";
  auto read = [&](const std::string& name) {
    std::ifstream in(dir + name, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  RequestInfo info;
  {
    const std::string body = read("openai-node-6.30.1-images-edit.bin");
    REQUIRE_FALSE(body.empty());
    Translated t = media::translate_image_edit(read("openai-node-6.30.1-images-edit.type"), body, info);
    REQUIRE_FALSE(t.error);
    REQUIRE(t.calls.size() == 2);
    const json j = parse_json(t.calls[0].body);
    const json& parts = j["contents"][0]["parts"];
    REQUIRE(parts.size() == 4);  // two images, the mask, the prompt
    CHECK(parts[1]["inlineData"]["mimeType"] == "image/png");
    CHECK_THAT(parts[3]["text"].get<std::string>(), Catch::StartsWith("Add a hat"));
    CHECK(j["generationConfig"]["imageConfig"]["aspectRatio"] == "1:1");
  }
  {
    const std::string body = read("openai-node-6.30.1-transcription.bin");
    Translated t = media::translate_transcription(read("openai-node-6.30.1-transcription.type"), body,
                                                  media::AudioTask::transcribe, info);
    REQUIRE_FALSE(t.error);
    const json j = parse_json(t.calls[0].body);
    CHECK(j["contents"][0]["parts"][1]["inlineData"]["mimeType"] == "audio/wav");
    CHECK_THAT(j["contents"][0]["parts"][0]["text"].get<std::string>(), Catch::Contains("ISO-639-1 code en"));
  }
}
