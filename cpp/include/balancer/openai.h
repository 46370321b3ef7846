// openai.h — the OpenAI-compatible API (chat completions, embeddings, models), translated to
// and from Gemini. Each translate_* reads the client's body and answers Translated
// (exchange.h): an OpenAI-format error, or the Gemini calls to make and the Exchange that
// turns Gemini's answers into OpenAI's, whole or streamed.
#pragma once

#include <string_view>

#include "balancer/exchange.h"
#include "balancer/json.h"

namespace bal::openai {

Translated translate_chat(std::string_view body, const RequestInfo& info);
// Up to 2,048 inputs, in upstream batches of 100 (one call each), joined in order.
Translated translate_embeddings(std::string_view body, const RequestInfo& info);
// The model list: every page (the Exchange asks for the next page itself).
Translated translate_models(const RequestInfo& info);
Translated translate_model(std::string_view id, const RequestInfo& info);

// A tool call's id may carry its Gemini 3 thought signature after this mark, in base64url
// (letters, digits, '-' and '_': what survives a client that keeps ids as they are but drops
// extra_content, where Google's convention puts it). tool_call_signature() reads it back as
// standard base64 ("" when the id carries none, or not a well-formed one), and
// tool_call_base_id() is the id without it.
inline constexpr std::string_view kIdSignatureMark = "__ts__";
std::string tool_call_signature(std::string_view id);
std::string_view tool_call_base_id(std::string_view id);

// Any error in OpenAI's format ({"error": {message, type, param, code}}); a 429 carries
// retry-after.
Reply error_reply(const ApiError& e);

// What an Exchange made by one of the translate_* above remembers of its request, as the
// golden fixtures write it ({"kind", "model", "stream", "include_usage", "include_reasoning",
// "n", ...}). `e` must come from this family.
json describe(const Exchange& e);
// An Exchange from such a description (the response fixtures start from one).
std::unique_ptr<Exchange> exchange_from(const json& description);

}  // namespace bal::openai
