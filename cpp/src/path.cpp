#include "balancer/path.h"

#include <string>

#include "balancer/ascii.h"

namespace bal {
namespace {

using ascii::lower;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = lower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// A query parameter's name as Google reads it: '+' is a space, %XX escapes decoded once.
std::string decoded_name(std::string_view raw) {
  std::string name(raw);
  for (char& c : name) {
    if (c == '+') c = ' ';
  }
  return percent_decode(name);
}

}  // namespace

bool is_safe_path(std::string_view path) {
  if (path.empty() || path.front() != '/' || path.size() > 2048) return false;
  for (size_t i = 0; i < path.size(); ++i) {
    const auto c = static_cast<unsigned char>(path[i]);
    // Raw bytes past ASCII never come from a URL parser (it percent-encodes them), so they
    // mean the path was built by hand.
    if (c < 0x21 || c >= 0x7f || c == '\\' || c == '?' || c == '#') return false;
    if (c == '%') {
      if (i + 2 >= path.size() || hex_value(path[i + 1]) < 0 || hex_value(path[i + 2]) < 0) return false;
      const int v = hex_value(path[i + 1]) * 16 + hex_value(path[i + 2]);
      // Encoded separators, dots, backslashes and control bytes could be decoded upstream.
      if (v == '/' || v == '.' || v == '\\' || v == '%' || v < 0x20 || v == 0x7f) return false;
    }
  }
  // Empty segments ("//") and dot segments.
  size_t start = 1;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view seg = path.substr(start, end - start);
    if (seg == "." || seg == "..") return false;
    if (seg.empty() && end != path.size()) return false;
    start = end + 1;
  }
  return true;
}

bool is_withheld_param(std::string_view raw_name) {
  static constexpr std::string_view kWithheld[] = {
      "key", "access_token", "oauth_token", "bearer_token", "passwd", "password", "httpmethod", "method", "userproject",
  };
  std::string name = decoded_name(raw_name);
  if (!name.empty() && name.front() == '$') name.erase(0, 1);
  for (char& c : name) c = lower(c);
  for (std::string_view w : kWithheld) {
    if (name == w) return true;
  }
  return false;
}

std::string strip_system_params(std::string_view query, std::string* key_value) {
  std::string out;
  size_t start = 0;
  while (start <= query.size() && !query.empty()) {
    size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    const std::string_view item = query.substr(start, end - start);
    const size_t eq = item.find('=');
    const std::string_view name = item.substr(0, eq);
    if (is_withheld_param(name)) {
      if (key_value != nullptr && decoded_name(name) == "key") {
        *key_value = std::string(eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1));
      }
    } else if (!item.empty()) {
      if (!out.empty()) out.push_back('&');
      out.append(item);
    }
    if (end == query.size()) break;
    start = end + 1;
  }
  return out;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int hi = hex_value(s[i + 1]);
      const int lo = hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

}  // namespace bal
