// openai.h — the OpenAI-compatible API, translated to and from Gemini.
//
// Request side: each plan_* function validates an OpenAI request and returns a Plan (plan.h):
// either an OpenAI-format error to answer at once, or an "upstream" plan whose payload is the
// Gemini request body and whose header carries:
//   family "openai", op, model (for key selection), method, path, query, headers,
//   response: "json" | "sse" | "pages",
//   translate: the context the response translator needs, handed back unchanged by the shim.
//
// Response side: translate_response() turns a Gemini answer (success or error) into the
// OpenAI answer; open_stream() returns a translator for SSE bodies fed chunk by chunk.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "balancer/exchange.h"
#include "balancer/json.h"
#include "balancer/plan.h"
#include "balancer/rawjson.h"

namespace bal::openai {

Plan plan_chat(std::string_view body);
Plan plan_embeddings(std::string_view body);
Plan plan_models();
Plan plan_model(std::string_view id);

// `header` is the plan's "translate" object plus "status" (the upstream HTTP status) and
// "now_ms". For "pages" the payload is a JSON array of the upstream pages' bodies.
// Returns a "respond" plan.
Plan translate_response(const json& header, std::string_view body);

class StreamTranslator {
 public:
  virtual ~StreamTranslator() = default;
  // Appends to `out` the bytes to send the client for this chunk of upstream SSE.
  virtual void push(std::string_view chunk, std::string& out) = 0;
  // Appends the closing bytes (final chunk, usage, "data: [DONE]"), or an error event if the
  // upstream stream ended early.
  virtual void finish(std::string& out) = 0;
  // What the shim records for the key: {"prompt_tokens", "completion_tokens", "finish_reason"}.
  virtual json summary() const = 0;
};

// `header` is the plan's "translate" object plus "now_ms". Returns nullptr for an unknown kind.
std::unique_ptr<StreamTranslator> open_stream(const json& header);

// Errors in OpenAI's format, shared by every OpenAI-format family (chat, Responses):
// {"error":{"message","type","param","code"}}, the type from the status, a 429 with a
// retry-after header (at least one second, the default quota cooldown when unknown).
Reply error_reply(const ApiError& e);
void append_error(std::string& out, const ApiError& e);
// Gemini's {"error": {...}} object (an error body's, or one inside a stream) as the error
// the client gets: status and code mapped, message redacted, RetryInfo kept.
ApiError upstream_api_error(int status, raw::value error);

}  // namespace bal::openai
