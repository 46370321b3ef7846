// openai_error.h — an ApiError (exchange.h) written the way OpenAI writes errors, for every
// translator that answers in OpenAI's format (chat, embeddings, images, audio).
//
//   bal::Reply r = bal::openai::error_reply(bal::api_error(400, "prompt is required.", "missing_required_parameter",
//   "prompt"));
//   // 400 {"error":{"message":"prompt is
//   required.","type":"invalid_request_error","param":"prompt","code":"missing_required_parameter"}}
#pragma once

#include "balancer/exchange.h"

namespace bal::openai {

// The status, the body {"error":{"message","type","param","code"}} (param and code null when
// empty) and, for a 429, a retry-after header in whole seconds, rounded up.
Reply error_reply(const ApiError& e);

}  // namespace bal::openai
