// anthropic.h — the Anthropic Messages API (Claude Code, the Anthropic SDKs), translated to
// and from Gemini through the shape every API family shares (exchange.h).
//
//   bal::Translated t = bal::anthropic::translate_messages(body, info);   // POST /v1/messages
//   if (t.error) return t.exchange->error(*t.error);
//   ... the machine runs t.calls[0] (generateContent, or streamGenerateContent?alt=sse) ...
//   bal::Reply r = t.exchange->answer({gemini_body});      // the message object
//   auto s = t.exchange->stream();                         // or the event stream
//   s->push(chunk, out); ... s->finish(out);
//
// Errors found before any translation (a missing token, an unknown route, a body too large)
// are written by error_reply(). Anthropic's error types and statuses: 400
// invalid_request_error, 401 authentication_error, 403 permission_error, 404
// not_found_error, 413 request_too_large, 429 rate_limit_error (with retry-after), 500
// api_error, 504 timeout_error, and 529 overloaded_error for Google's 503 once the retries
// are spent.
//
// Thought signatures (Gemini 3 refuses a tool call sent back without the one it issued)
// ride in thinking blocks, which Anthropic clients keep and send back unmodified: the
// signature Gemini put on a function call ends the thinking block just before its tool_use
// (an empty one when no thoughts are shown); on the way back a thinking block's signature
// goes to the part that follows it.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "balancer/exchange.h"
#include "balancer/rawjson.h"
#include "balancer/sse.h"

namespace bal::anthropic {

// POST /v1/messages (stream or not, by the body's "stream").
Translated translate_messages(std::string_view body, const RequestInfo& info);
// POST /v1/messages/count_tokens → countTokens with a generateContentRequest, so that the
// system prompt and the tools are counted too → {"input_tokens": N}.
Translated translate_count_tokens(std::string_view body, const RequestInfo& info);
// GET /v1/models → Gemini's model list (one call; the machine hands answer() every page's
// body, or one JSON array of them) → Anthropic's list.
Translated translate_models(const RequestInfo& info);
// GET /v1/models/{id}: a Claude name is looked up through MODEL_MAP, the answer keeps the id.
Translated translate_model(std::string_view id, const RequestInfo& info);

// Any error, in Anthropic's shape and status; a 429 carries retry-after.
Reply error_reply(const ApiError& e);

// Gemini SSE → Anthropic's event stream. Beyond StreamTranslator: ping().
class MessageStream final : public StreamTranslator {
 public:
  // `model_escaped`: the model name the client asked for, JSON-escaped; `request_id` makes
  // the ids (msg_<request_id>, toolu_<request_id>_<n>).
  MessageStream(std::string model_escaped, std::string request_id);
  ~MessageStream() override;

  void push(std::string_view chunk, std::string& out) override;
  void finish(std::string& out) override;
  void fail(const ApiError& e, std::string& out) override;
  bool ok() const override { return done_ && !failed_; }
  gemini::Usage usage() const override { return usage_; }

  // A keep-alive for an idle tick of the machine (the model thinks before its first
  // visible token, or between tool calls): a `ping` event, after message_start if nothing
  // was sent yet. Nothing once the stream has ended. Calling it commits the answer: call it
  // only once the upstream stream has been opened (then no retry is possible anyway).
  void ping(std::string& out) override;

  class Blocks;  // content blocks being written (blocks.cpp)

 private:
  void on_event(std::string_view data, bool at_end, std::string& out);
  void start(std::string& out);
  void end(std::string& out);

  std::string model_;
  std::string request_id_;
  sse::Splitter splitter_;
  raw::document doc_;  // reused: its node array keeps its capacity across events
  std::unique_ptr<Blocks> blocks_;
  gemini::Usage usage_;
  const char* stop_reason_ = nullptr;  // set by the event that finishes the candidate
  bool started_ = false;
  bool done_ = false;
  bool failed_ = false;
};

}  // namespace bal::anthropic
