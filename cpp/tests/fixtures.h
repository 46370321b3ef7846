// fixtures.h — reading the golden fixtures under tests/fixtures/ (FIXTURES_DIR), shared by
// the test files of the OpenAI translation.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "balancer/json.h"

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

}  // namespace fixtures
