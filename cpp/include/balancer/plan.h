// plan.h — what the core tells the Worker to do with a request, and the error bodies of
// each route family.
//
// A Plan is a framed message (header + payload). Its header's "action" is one of:
//   "respond"   answer now: {status, headers}; payload is the body
//   "upstream"  call Gemini: {family, op, model, method, path, query, headers, response,
//               translate?}; payload is the upstream request body
//   "admin"     an admin operation for the key pool: {op, ...parameters}
// See docs in README ("How it works") and worker-shim/index.mjs, which carries plans out.
#pragma once

#include <string>
#include <string_view>

#include "balancer/json.h"

namespace bal {

struct Plan {
  // Null until a plan is made (assigning a field makes it an object): most requests carry
  // an empty Plan, and an empty object would cost an allocation each.
  json header;
  std::string payload;
};

enum class Family { openai, gemini, admin };

// Headers on every answer the Worker makes or passes on, except the admin UI's own pages:
// what comes back is data, never a page to run on this origin, whatever content-type Google
// (or an error page on the way) gave it: X-Content-Type-Options: nosniff and
// Content-Security-Policy: sandbox.
const json& data_answer_headers();

// An answer to send now, with a JSON body (and data_answer_headers()).
Plan respond_json(int status, const json& body);

// Error bodies in each family's own format (OpenAI, Gemini, admin); see CONTRACT.md.
json openai_error_body(std::string_view message, std::string_view type, std::string_view code,
                       std::string_view param = {});
json gemini_error_body(int status, std::string_view message);
json admin_error_body(std::string_view message, std::string_view code);

// The canonical Google RPC status name for an HTTP status ("INVALID_ARGUMENT" for 400, ...).
const char* grpc_status_for_http(int status);
// The OpenAI error type for an HTTP status ("invalid_request_error" for 400, ...).
const char* openai_type_for_http(int status);

// An error answer in `family`'s format.
Plan error_plan(Family family, int status, std::string_view message, std::string_view code = {});

}  // namespace bal
