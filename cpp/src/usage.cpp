#include "balancer/usage.h"

#include "balancer/rawjson.h"

namespace bal {
namespace {

// End (one past the closing brace) of the JSON object starting at `open`, or npos.
size_t object_end(std::string_view s, size_t open) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = open; i < s.size(); ++i) {
    const char c = s[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{') {
      ++depth;
    } else if (c == '}') {
      if (--depth == 0) return i + 1;
    }
  }
  return std::string_view::npos;
}

// Clamped: an upstream may send any number, and the counts are added together.
int64_t count(raw::value u, std::string_view name) {
  constexpr int64_t kMaxCount = 9007199254740991;  // 2^53 - 1
  const auto v = u.get(name).as_double();
  if (!v || !(*v > 0)) return 0;
  return *v >= static_cast<double>(kMaxCount) ? kMaxCount : static_cast<int64_t>(*v);
}

}  // namespace

std::optional<Usage> usage_from_tail(std::string_view tail) {
  constexpr std::string_view kName = "\"usageMetadata\"";
  size_t at = tail.rfind(kName);
  while (at != std::string_view::npos) {
    const size_t open = tail.find('{', at + kName.size());
    const size_t end = open == std::string_view::npos ? open : object_end(tail, open);
    if (end != std::string_view::npos) {
      raw::document doc;
      const raw::value u = doc.parse(tail.substr(open, end - open)) == raw::success ? doc.root() : raw::value();
      if (u.is_object()) {
        Usage out;
        out.prompt_tokens = count(u, "promptTokenCount");
        out.thoughts_tokens = count(u, "thoughtsTokenCount");
        out.completion_tokens = count(u, "candidatesTokenCount") + out.thoughts_tokens;
        out.cached_tokens = count(u, "cachedContentTokenCount");
        return out;
      }
    }
    if (at == 0) break;
    at = tail.rfind(kName, at - 1);
  }
  return std::nullopt;
}

bool answer_complete(std::string_view tail, bool sse) {
  if (!sse) {
    size_t end = tail.size();
    while (end > 0 &&
           (tail[end - 1] == ' ' || tail[end - 1] == '\n' || tail[end - 1] == '\r' || tail[end - 1] == '\t')) {
      --end;
    }
    return end > 0 && (tail[end - 1] == '}' || tail[end - 1] == ']');
  }
  const bool blank_line_end = tail.size() >= 2 && tail.substr(tail.size() - 2) == "\n\n";
  const bool crlf_end = tail.size() >= 4 && tail.substr(tail.size() - 4) == "\r\n\r\n";
  if (!blank_line_end && !crlf_end) return false;
  // The last event: what follows the blank line before the final one.
  const std::string_view body = tail.substr(0, tail.size() - (crlf_end ? 4 : 2));
  const size_t lf = body.rfind("\n\n");
  const size_t crlf = body.rfind("\r\n\r\n");
  size_t start = 0;
  if (lf != std::string_view::npos) start = lf + 2;
  if (crlf != std::string_view::npos && crlf + 4 > start) start = crlf + 4;
  const std::string_view last = body.substr(start);
  for (std::string_view marker : {"\"finishReason\"", "\"promptFeedback\"", "\"error\""}) {
    if (last.find(marker) != std::string_view::npos) return true;
  }
  return false;
}

}  // namespace bal
