// fixtures.h — reading the golden fixtures under tests/fixtures/ (FIXTURES_DIR), shared by
// the test files of the OpenAI translation.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "balancer/base64.h"
#include "balancer/exchange.h"
#include "balancer/json.h"
#include "balancer/media_url.h"

namespace fixtures {

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The .json files of FIXTURES_DIR/<dir>, in name order.
inline std::vector<std::filesystem::path> files(const std::string& dir) {
  std::vector<std::filesystem::path> out;
  for (const auto& e : std::filesystem::directory_iterator(std::string(FIXTURES_DIR) + "/" + dir)) {
    if (e.path().extension() == ".json") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

inline bal::json read_json(const std::filesystem::path& p) {
  return bal::parse_json(read_file(p));
}

// A tool call's "arguments" is a JSON text: compared by meaning, since key order and escapes
// (Gemini writes "<" as \u003c) are the upstream's to choose (see the fixtures' README).
inline bal::json normalized(bal::json j) {
  if (j.is_object()) {
    for (auto& [key, v] : j.items()) {
      // An item just added has empty arguments: nothing to parse.
      if (key == "arguments" && v.is_string() && !v.get<std::string>().empty()) {
        v = bal::parse_json(v.get<std::string>());
      } else {
        v = normalized(v);
      }
    }
  } else if (j.is_array()) {
    for (auto& v : j) v = normalized(v);
  }
  return j;
}

// A request translated as the machine translates one that names http(s) media URLs: a first
// pass collects them, the fixture's "fetched" answers each ({url: {"status", "content_type",
// "base64"}}), and a second pass writes them inline. Without "fetched", one pass that refuses
// such URLs, as a translator outside the machine does.
template <class Translate>
bal::Translated translate_fetching(const bal::json& fixture, bal::RequestInfo info, Translate translate) {
  if (!fixture.contains("fetched")) return translate(info);
  bal::media::UrlMedia media;
  info.media = &media;
  bal::Translated first = translate(info);
  if (first.error) return first;
  for (size_t i = 0; i < media.items().size(); ++i) {
    const std::string url = media.items()[i].url;
    INFO("fetched " << url);
    REQUIRE(fixture["fetched"].contains(url));
    const bal::json& answer = fixture["fetched"][url];
    std::string bytes;
    REQUIRE(bal::base64::decode(answer.value("base64", std::string()), bytes));
    const std::string type = answer.value("content_type", std::string());
    bal::media::Fetched got;
    got.status = answer.value("status", 200);
    got.content_type = type;
    got.bytes = bytes;
    if (auto err = media.fetched(i, got)) {
      first.error = *err;
      first.calls.clear();
      return first;
    }
  }
  bal::Translated second = translate(info);
  CHECK(media.complete());
  return second;
}

}  // namespace fixtures
