// response_internal.h — what the OpenAI response translators share: the context a request
// leaves for its answer, Gemini's finish reasons and usage, and writers that copy JSON spans
// raw.
//
// Everything here writes straight into a std::string. Texts from upstream stay escaped as
// Gemini sent them (see rawjson.h): re-encoding them is the cost this design avoids.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "balancer/exchange.h"
#include "balancer/gemini.h"
#include "balancer/jsonout.h"
#include "balancer/openai.h"
#include "balancer/rawjson.h"

namespace bal::openai::resp {

using bal::append_as_string;
using bal::append_int;
using bal::append_minified;
using bal::escaped_span;
using gemini::read_usage;
using gemini::Usage;

enum class Kind : uint8_t { chat, embeddings, models, model };

// What the answer needs to know of its request.
struct Context {
  Kind kind = Kind::chat;
  std::string model;       // as the client sent it, JSON-escaped, without quotes
  std::string request_id;  // JSON-escaped, without quotes
  int64_t created = 0;     // seconds since the epoch
  bool stream = false;
  bool include_usage = false;
  bool include_reasoning = false;
  int64_t n = 1;
  std::string encoding_format = "float";  // embeddings: "float" or "base64"
  std::string id;                         // single model: the id the client asked for
  std::vector<std::string> custom_tools;  // chat: tools whose calls are custom ({name, input})
  bool grounded = false;                  // chat: Google Search is on (answers may cite sources)
};

// The request id and creation time every answer carries.
void stamp(Context& ctx, const RequestInfo& info);

// OpenAI's finish_reason for a Gemini finishReason ("stop" for anything unknown).
const char* finish_reason_for(std::string_view gemini);

// Appends the OpenAI "usage" object.
void append_usage(std::string& out, const Usage& u);

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
// functionCall's own, else "call_<request_id>_<ordinal>". A call to a custom tool is
// {"type":"custom","custom":{name, input}}, the input being its one string argument.
void append_tool_call(std::string& out, raw::value part, const Context& ctx, int64_t ordinal, int64_t stream_index);

// Appends an array of url_citation annotations, one per citation (gemini.h).
void append_annotations(std::string& out, const std::vector<gemini::Citation>& citations);

// A 200 answer with a JSON body already written.
Reply ok_reply(std::string body);

// Appends {"error": {...}} in OpenAI's format.
void append_error_body(std::string& out, const ApiError& e);

// Translators of the 2xx upstream bodies, one per kind. `usage` receives the token counts.
Reply chat_response(const Context& ctx, std::string_view body, Usage& usage);
Reply embeddings_response(const Context& ctx, const std::vector<std::string_view>& bodies);
Reply models_response(const std::vector<std::string_view>& pages);
Reply model_response(const Context& ctx, std::string_view body);

std::unique_ptr<StreamTranslator> chat_stream(const Context& ctx);
std::unique_ptr<Exchange> make_exchange(Context ctx);

}  // namespace bal::openai::resp
