// internal.h — what the Anthropic translators share: the request being read, the content
// block writer both answers use, stop reasons, usage and errors.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "balancer/anthropic.h"
#include "balancer/gemini.h"
#include "balancer/jsonout.h"
#include "balancer/model_map.h"
#include "balancer/rawjson.h"

namespace bal::anthropic {

using gemini::Failure;
using gemini::Path;
using gemini::present;

// ---- request ------------------------------------------------------------------------------

struct ToolUse {
  std::string id;
  std::string name;
};

struct RequestState {
  std::string client_model;  // as sent, for the answer
  std::string model;         // the Gemini id
  gemini::ModelTraits traits;
  bool stream = false;
  bool search = false;             // a web search server tool: Google Search grounding
  std::vector<ToolUse> uses;       // every tool_use so far, to name the tool results
  std::vector<std::string> tools;  // declared function names
  media::UrlMedia* media = nullptr;  // the request's http(s) media URLs (RequestInfo::media)
  Failure err;
};

// MODEL_MAP as the request machine gives it, or the built-in map.
const ModelMap& model_map(const RequestInfo& info);

// messages (user, assistant, and system ones, which Claude Code sends) → "contents" and the
// system instruction's parts; the top-level "system" goes first.
bool write_messages(raw::value root, RequestState& st, gemini::Turns& contents, gemini::Turns& system);
// tools → "tools"; tool_choice → "toolConfig".
bool write_tools(raw::value root, RequestState& st, JsonOut& out);
// max_tokens, sampling, stop_sequences, thinking, output_config → "generationConfig".
bool write_generation_config(raw::value root, RequestState& st, JsonOut& out);

// ---- answers ------------------------------------------------------------------------------

// Anthropic's stop_reason for a Gemini finishReason; a candidate that called tools and
// stopped normally ends in "tool_use".
const char* stop_reason_for(std::string_view finish_reason, bool called_tools);
// What a blocked prompt (promptFeedback.blockReason, no candidates) ends in.
inline constexpr const char* kRefusal = "refusal";

// The first candidate of an answer (Anthropic has no others); absent when there is none.
inline raw::value first_candidate(raw::value answer) {
  const raw::value candidates = answer.get("candidates");
  return candidates.size() > 0 ? *candidates.items().begin() : raw::value();
}

// Appends the fields of Anthropic's usage object, without braces.
void append_usage_fields(std::string& out, const gemini::Usage& u, int64_t searches = 0);

// {"type":"error","error":{"type":…,"message":…}}
void append_error_body(std::string& out, const ApiError& e);
// Gemini's error object found inside a stream, or a whole error body, as an ApiError.
ApiError upstream_api_error(int status, raw::value error);
ApiError bad_gateway(std::string_view message);

// The answer side of a messages request.
std::unique_ptr<Exchange> messages_exchange(const RequestState& st, const RequestInfo& info);

// The answer side of requests whose answer is not a message (count_tokens, models): a
// function of the upstream bodies and what the request side kept (`context`).
using AnswerFn = Reply (*)(const std::vector<std::string_view>& bodies, const std::string& context);
std::unique_ptr<Exchange> plain_exchange(AnswerFn answer, std::string context);

// A 400 for the client's request, with the exchange that writes it.
Translated failed(const Failure& err);
// The reader's error as a 400.
Translated parse_failed(const raw::document& doc);

}  // namespace bal::anthropic

// Content blocks from Gemini parts, written either as one message's "content" array or as
// stream events. Both answers run the same parts through it, so a streamed answer adds up to
// the whole one.
class bal::anthropic::MessageStream::Blocks {
 public:
  // `sse` false: the content array's items go to `out` of each call.
  Blocks(bool sse, std::string request_id) : sse_(sse), request_id_(std::move(request_id)) {}

  // One Gemini content's parts.
  void parts(raw::value parts, std::string& out);
  // Ends the open block.
  void close(std::string& out);
  // A grounded answer's Google Search, once: a server_tool_use block (web_search, its first
  // query) and its web_search_tool_result block listing the sources.
  void search(raw::value grounding_metadata, std::string& out);
  bool called_tools() const { return tool_uses_ > 0; }
  int64_t searches() const { return searches_; }

 private:
  enum class Kind { none, text, thinking };

  void open(Kind kind, std::string& out);
  void delta(Kind kind, std::string_view escaped, std::string& out);
  void signature(std::string_view escaped, std::string& out);
  void tool_use(raw::value part, std::string& out);
  void input_block(std::string_view head, std::string_view input_json, std::string& out);
  void begin_event(std::string_view type, std::string& out) const;

  bool sse_;
  std::string request_id_;
  Kind open_ = Kind::none;
  size_t index_ = 0;  // the open block's index; the next block's when none is open
  size_t tool_uses_ = 0;
  int64_t searches_ = 0;    // web_search_requests: the queries of the search shown
  std::string delta_head_;  // the open block's delta event up to its text (streams only)
  std::string text_;        // the open block's escaped text (whole answers only)
  std::string signature_;   // the open thinking block's signature (whole answers only)
};
