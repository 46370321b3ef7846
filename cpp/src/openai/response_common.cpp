// The pieces every OpenAI response translator uses: context, finish reasons, usage.
#include "response_internal.h"

namespace bal::openai::resp {
namespace {

struct FinishReason {
  std::string_view gemini;
  const char* openai;
};

// Read top to bottom: Gemini's finishReason, what an OpenAI client is told. Anything not
// listed (new reasons included) is "stop": the answer ended and nothing more is known.
// A candidate that made function calls ends in "tool_calls" whatever Gemini says (it says
// STOP); chat_response.cpp and chat_stream.cpp decide that, not this table.
constexpr FinishReason kFinishReasons[] = {
    {"STOP", "stop"},
    {"MAX_TOKENS", "length"},
    {"SAFETY", "content_filter"},
    {"RECITATION", "content_filter"},
    {"BLOCKLIST", "content_filter"},
    {"PROHIBITED_CONTENT", "content_filter"},
    {"SPII", "content_filter"},
    {"IMAGE_SAFETY", "content_filter"},
    {"IMAGE_PROHIBITED_CONTENT", "content_filter"},
    {"IMAGE_RECITATION", "content_filter"},
    {"IMAGE_OTHER", "content_filter"},
    {"LANGUAGE", "stop"},
    {"OTHER", "stop"},
    {"NO_IMAGE", "stop"},
    {"MALFORMED_FUNCTION_CALL", "stop"},
    {"UNEXPECTED_TOOL_CALL", "stop"},
    {"TOO_MANY_TOOL_CALLS", "stop"},
    {"FINISH_REASON_UNSPECIFIED", "stop"},
};

std::string escaped(std::string_view text) {
  std::string out;
  raw::append_escaped(out, text);
  return out;
}

}  // namespace

Context read_context(const json& header) {
  Context c;
  c.kind = std::string(get_string(header, "kind"));
  c.model = escaped(get_string(header, "model"));
  c.request_id = escaped(get_string(header, "request_id"));
  c.created = get_int(header, "now_ms", 0, 0, kMaxTimeMs) / 1000;
  const double status = get_number(header, "status").value_or(200);
  c.status = status >= 100 && status < 1000 ? static_cast<int>(status) : 502;
  c.include_usage = get_bool(header, "include_usage");
  c.include_reasoning = get_bool(header, "include_reasoning");
  c.encoding_format = std::string(get_string(header, "encoding_format", "float"));
  c.id = std::string(get_string(header, "id"));
  c.retry_after_ms = get_int(header, "retry_after_ms", 0, 0, kMaxTimeMs);
  return c;
}

const char* finish_reason_for(std::string_view gemini) {
  for (const FinishReason& f : kFinishReasons) {
    if (f.gemini == gemini) return f.openai;
  }
  return "stop";
}

void append_usage(std::string& out, const Usage& u) {
  out += "{\"prompt_tokens\":";
  append_int(out, u.prompt);
  out += ",\"completion_tokens\":";
  append_int(out, u.completion());
  out += ",\"total_tokens\":";
  append_int(out, u.prompt + u.completion());
  out += ",\"prompt_tokens_details\":{\"cached_tokens\":";
  append_int(out, u.cached);
  out += "},\"completion_tokens_details\":{\"reasoning_tokens\":";
  append_int(out, u.thoughts);
  out += "}}";
}

json usage_summary(const Usage& u) {
  return {{"prompt_tokens", u.prompt}, {"completion_tokens", u.completion()}};
}

void append_chat_head(std::string& out, const Context& ctx, std::string_view object) {
  out += "{\"id\":\"chatcmpl-";
  out += ctx.request_id;
  out += "\",\"object\":\"";
  out += object;
  out += "\",\"created\":";
  append_int(out, ctx.created);
  out += ",\"model\":\"";
  out += ctx.model;
  out += "\",\"choices\":[";
}

Plan respond_raw(int status, std::string body) {
  Plan p;
  p.header["action"] = "respond";
  p.header["status"] = status;
  p.header["headers"] = {{"content-type", "application/json; charset=utf-8"}};
  p.payload = std::move(body);
  return p;
}

}  // namespace bal::openai::resp
