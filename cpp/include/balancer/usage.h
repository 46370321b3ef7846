// usage.h — token counts from the tail of a Gemini answer passed through untouched.
//
// A native answer streams straight to the client; the shim keeps only its last few KB and
// asks for the usage found there. Gemini's usageMetadata is cumulative and comes last (in
// the final SSE event, or at the end of a JSON body), so the tail is enough.
//
//   auto u = bal::usage_from_tail(R"(... "usageMetadata": {"promptTokenCount": 5, ...}})");
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace bal {

struct Usage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;  // candidates + thoughts, as OpenAI counts them
  int64_t cached_tokens = 0;
  int64_t thoughts_tokens = 0;
};

// The last complete usageMetadata object in `tail`, if any; else the Interactions API's last
// "usage" (total_input_tokens, total_output_tokens, total_thought_tokens, total_cached_tokens).
std::optional<Usage> usage_from_tail(std::string_view tail);

// Whether an answer whose last bytes are `tail` ended properly. An upstream that drops the
// connection can look like a clean end to the runtime; a truncated JSON body or an SSE
// stream cut before its final event must reach the client as a failure instead.
// SSE: the tail ends with a blank line and its last event says the answer is over
// (finishReason, a blocked prompt's promptFeedback, or an error; the Interactions API's
// completed or cancelled interaction, or "data: [DONE]"). JSON: it ends with '}' or ']'.
bool answer_complete(std::string_view tail, bool sse);

}  // namespace bal
