// media_abi.h — the media decisions the shim needs before the request machine carries them
// (BAL_OP_MEDIA): the Live API's setup, close verdicts and usage, and media URL checks.
//
// header {"action": ...} and the action's fields; payload as below. Answers a Plan whose
// header holds the result (and, for url_inline, the payload the Gemini part or the error body):
//   live_path     {path}                        -> {version, upstream_path} ("" when not Live)
//   live_setup    payload: the first message    -> {ok, model, message}
//   live_close    {code, reason, now_ms}        -> a verdict like BAL_OP_CLASSIFY's, plus
//                                                  {client_code, client_reason}
//   live_no_key   {cooling, retry_after_ms}     -> {client_code, client_reason}
//   live_usage    payload: a server message     -> {found, prompt_tokens, completion_tokens}
//   url_limits    {}                            -> {timeout_ms, max_redirects, max_bytes}
//   url_check     {url, param}                  -> {ok} | {ok:false, status, message, code, param}
//   url_inline    {url, param, kind, end, status, content_type, redirect_to}; payload: the bytes
//                 -> {ok, mime?} + payload {"inlineData":...} | the error as above + OpenAI body
//   translate     {route, content_type, now_ms, request_id, model_map}; payload: the request
//                 -> {calls: [{model, path, size}]} + payload: the call bodies, concatenated;
//                    or {error: true, status, content_type, headers} + the error body
//   answer        the same and {sizes: [request, answer 1, ...]}; payload: the request, then
//                 Gemini's 2xx answers -> {status, content_type, headers, usage} + the body
// (translate/answer stand in for the request machine until it carries the media families:
// the exchange is rebuilt from the request each time, so the op keeps no state.)
#pragma once

#include <string_view>

#include "balancer/json.h"
#include "balancer/plan.h"

namespace bal::media {

Plan run_abi_op(const json& header, std::string_view payload);

}  // namespace bal::media
