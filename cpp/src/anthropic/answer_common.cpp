// What the whole and the streamed message share: stop reasons and usage (internal.h).
#include "internal.h"

namespace bal::anthropic {
namespace {

struct StopReason {
  std::string_view gemini;
  const char* anthropic;
};

// Read top to bottom: Gemini's finishReason, Anthropic's stop_reason. Anything not listed
// (new reasons included) is "end_turn": the answer ended and nothing more is known. Gemini
// never says which stop sequence matched (it reports STOP), so "stop_sequence" is never
// claimed.
constexpr StopReason kStopReasons[] = {
    {"STOP", "end_turn"},
    {"MAX_TOKENS", "max_tokens"},
    {"SAFETY", "refusal"},
    {"RECITATION", "refusal"},
    {"BLOCKLIST", "refusal"},
    {"PROHIBITED_CONTENT", "refusal"},
    {"SPII", "refusal"},
    {"IMAGE_SAFETY", "refusal"},
    {"IMAGE_PROHIBITED_CONTENT", "refusal"},
    {"IMAGE_RECITATION", "refusal"},
    {"IMAGE_OTHER", "refusal"},
};

}  // namespace

const char* stop_reason_for(std::string_view finish_reason, bool called_tools) {
  const char* reason = "end_turn";
  for (const StopReason& s : kStopReasons) {
    if (s.gemini == finish_reason) reason = s.anthropic;
  }
  // Gemini ends a turn that calls tools with STOP.
  if (called_tools && std::string_view(reason) == "end_turn") return "tool_use";
  return reason;
}

// Gemini's prompt count includes the cached tokens, Anthropic's input_tokens does not; tool
// prompts (search results) are billed as input.
void append_usage_fields(std::string& out, const gemini::Usage& u, int64_t searches) {
  const int64_t cached = std::min(u.cached, u.prompt);
  out += "\"input_tokens\":";
  append_int(out, u.prompt - cached + u.tool_prompt);
  out += ",\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":";
  append_int(out, cached);
  out += ",\"output_tokens\":";
  append_int(out, u.completion());
  out += ",\"output_tokens_details\":{\"thinking_tokens\":";
  append_int(out, u.thoughts);
  out += '}';
  if (searches > 0) {
    out += ",\"server_tool_use\":{\"web_search_requests\":";
    append_int(out, searches);
    out += '}';
  }
}

}  // namespace bal::anthropic
