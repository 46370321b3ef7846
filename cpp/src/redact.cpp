#include "balancer/redact.h"

namespace bal {
namespace {

constexpr size_t kMinTail = 10;

bool is_key_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

// Length of the key-like run starting at `at` (which holds "AIza"), or 0 if it is too short.
size_t key_run(std::string_view text, size_t at) {
  size_t end = at + 4;
  while (end < text.size() && is_key_char(text[end])) ++end;
  return end - at - 4 >= kMinTail ? end - at : 0;
}

}  // namespace

std::string redact(std::string_view text) {
  std::string out;
  size_t copied = 0;
  size_t at = text.find("AIza");
  while (at != std::string_view::npos) {
    const size_t run = key_run(text, at);
    if (run == 0) {
      at = text.find("AIza", at + 1);
      continue;
    }
    if (out.empty()) out.reserve(text.size());
    out.append(text.substr(copied, at + 6 - copied));
    out.append("…[redacted]");
    copied = at + run;
    at = text.find("AIza", copied);
  }
  if (copied == 0) return std::string(text);
  out.append(text.substr(copied));
  return out;
}

bool contains_key_material(std::string_view text) {
  for (size_t at = text.find("AIza"); at != std::string_view::npos; at = text.find("AIza", at + 1)) {
    if (key_run(text, at) != 0) return true;
  }
  return false;
}

}  // namespace bal
