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

}  // namespace

void stamp(Context& ctx, const RequestInfo& info) {
  ctx.request_id.clear();
  raw::append_escaped(ctx.request_id, info.request_id);
  ctx.created = info.now_ms / 1000;
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

void append_annotations(std::string& out, const std::vector<gemini::Citation>& citations) {
  out += '[';
  bool first = true;
  for (const gemini::Citation& c : citations) {
    if (!first) out += ',';
    first = false;
    out += R"({"type":"url_citation","url_citation":{"start_index":)";
    append_int(out, c.start);
    out += ",\"end_index\":";
    append_int(out, c.end);
    out += ",\"url\":\"";
    out += c.url;
    out += "\",\"title\":\"";
    out += c.title;
    out += "\"}}";
  }
  out += ']';
}

Reply ok_reply(std::string body) {
  Reply r;
  r.body = std::move(body);
  return r;
}

}  // namespace bal::openai::resp
