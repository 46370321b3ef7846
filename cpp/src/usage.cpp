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

// Where a format keeps its token counts: the object's name and its fields.
struct UsageFormat {
  std::string_view object;
  std::string_view prompt, thoughts, output, cached;  // output: without the thoughts
  bool counts_required;                               // an object without prompt or output is not it
};

constexpr UsageFormat kGemini{"\"usageMetadata\"",    "promptTokenCount",        "thoughtsTokenCount",
                              "candidatesTokenCount", "cachedContentTokenCount", false};
// The Interactions API's usage (an interaction's, or its completed event's).
constexpr UsageFormat kInteractions{"\"usage\"",           "total_input_tokens",  "total_thought_tokens",
                                    "total_output_tokens", "total_cached_tokens", true};

// The last complete object of `f` in `tail`.
std::optional<Usage> last_usage(std::string_view tail, const UsageFormat& f) {
  constexpr size_t npos = std::string_view::npos;
  for (size_t at = tail.rfind(f.object); at != npos; at = at == 0 ? npos : tail.rfind(f.object, at - 1)) {
    const size_t open = tail.find('{', at + f.object.size());
    const size_t end = open == npos ? open : object_end(tail, open);
    if (end == npos) continue;
    raw::document doc;
    const raw::value u = doc.parse(tail.substr(open, end - open)) == raw::success ? doc.root() : raw::value();
    if (!u.is_object() || (f.counts_required && !u.get(f.prompt).exists() && !u.get(f.output).exists())) continue;
    Usage out;
    out.prompt_tokens = count(u, f.prompt);
    out.thoughts_tokens = count(u, f.thoughts);
    out.completion_tokens = count(u, f.output) + out.thoughts_tokens;
    out.cached_tokens = count(u, f.cached);
    return out;
  }
  return std::nullopt;
}

}  // namespace

std::optional<Usage> usage_from_tail(std::string_view tail) {
  if (auto gemini = last_usage(tail, kGemini)) return gemini;
  return last_usage(tail, kInteractions);
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
  // generateContent's last event has a finishReason (or the prompt's block, or an error); the
  // Interactions API ends with its interaction's last state, then "[DONE]".
  for (std::string_view marker : {"\"finishReason\"", "\"promptFeedback\"", "\"error\"", "\"interaction.completed\"",
                                  "\"interaction.cancelled\"", "\"interaction.canceled\""}) {
    if (last.find(marker) != std::string_view::npos) return true;
  }
  for (size_t from = 0; from < last.size();) {
    size_t to = last.find('\n', from);
    if (to == std::string_view::npos) to = last.size();
    std::string_view line = last.substr(from, to - from);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line == "data: [DONE]" || line == "data:[DONE]") return true;
    from = to + 1;
  }
  return false;
}

}  // namespace bal
