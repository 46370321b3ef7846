// response_internal.h — what the OpenAI response translators share: the context the shim
// hands back, Gemini's finish reasons and usage, and writers that copy JSON spans raw.
//
// Everything here writes straight into a std::string. Texts from upstream stay escaped as
// Gemini sent them (see rawjson.h): re-encoding them is the cost this design avoids.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "balancer/gemini.h"
#include "balancer/json.h"
#include "balancer/jsonout.h"
#include "balancer/openai.h"
#include "balancer/plan.h"
#include "balancer/rawjson.h"

namespace bal::openai::resp {

// The plan's "translate" object plus what the shim adds ("status", "now_ms", "request_id").
struct Context {
  std::string kind;
  std::string model;       // JSON-escaped, without quotes
  std::string request_id;  // JSON-escaped, without quotes
  int64_t created = 0;     // seconds since the epoch
  int status = 200;
  bool include_usage = false;
  bool include_reasoning = false;
  std::string encoding_format;  // embeddings: "float" or "base64"
  std::string id;               // single model: the id the client asked for
  int64_t retry_after_ms = 0;   // set by the shim when the whole pool is cooling down
};

Context read_context(const json& header);

// OpenAI's finish_reason for a Gemini finishReason ("stop" for anything unknown).
const char* finish_reason_for(std::string_view gemini);

using gemini::read_usage;
using gemini::Usage;

// Appends the OpenAI "usage" object.
void append_usage(std::string& out, const Usage& u);
// The plan header's {"prompt_tokens","completion_tokens"}, recorded per key by the shim.
json usage_summary(const Usage& u);

using bal::append_as_string;
using bal::append_int;
using bal::append_minified;
using bal::escaped_span;

// Appends the start every chat answer shares, up to and including "choices":[ ; `object` is
// "chat.completion" or "chat.completion.chunk".
void append_chat_head(std::string& out, const Context& ctx, std::string_view object);

// The text of one candidate's parts, split the way OpenAI wants it. Texts stay escaped.
struct Parts {
  std::string content;    // text parts (and code, results and images as Markdown)
  std::string reasoning;  // thought parts, when the client asked for them
  bool has_content = false;
  bool has_reasoning = false;
  std::vector<raw::value> calls;  // the parts that carry a functionCall, in order
};

void read_parts(raw::value parts, bool include_reasoning, Parts& out);

// Appends one tool call; `stream_index` >= 0 adds the streaming "index" field. The id is the
// functionCall's own, else "call_<request_id>_<ordinal>".
void append_tool_call(std::string& out, raw::value part, const Context& ctx, int64_t ordinal, int64_t stream_index);

// A respond plan with a JSON body already written.
Plan respond_raw(int status, std::string body);

// Error answers (errors.cpp).
struct ErrorInfo {
  int status = 502;
  const char* type = "server_error";
  const char* code = nullptr;  // null in the body when absent
  std::string message;         // plain text, redacted
  int64_t retry_after_ms = 0;  // RetryInfo.retryDelay, when Gemini gave one
};

// What an upstream error (status >= 400) becomes for the client.
ErrorInfo upstream_error(int status, std::string_view body);
// The same from Gemini's parsed {"error": {...}} object (also found inside streams).
ErrorInfo upstream_error(int status, raw::value error);
// The upstream said 2xx but sent nothing a client can use.
ErrorInfo bad_gateway(std::string_view message);

void append_error_body(std::string& out, const ErrorInfo& e);
void append_error_fields(std::string& out, std::string_view message, std::string_view type, std::string_view param,
                         std::string_view code);
// A retry-after figure: whole seconds, rounded up, at least one.
int64_t retry_after_seconds(int64_t ms);
// The respond plan for an error; a 429 gets "retry-after" (the shim's figure first).
Plan error_response(const Context& ctx, const ErrorInfo& e);

// Translators of a successful (2xx) upstream body, one per kind.
Plan chat_response(const Context& ctx, std::string_view body);
Plan embeddings_response(const Context& ctx, std::string_view body);
Plan models_response(const Context& ctx, std::string_view body);
Plan model_response(const Context& ctx, std::string_view body);

}  // namespace bal::openai::resp
