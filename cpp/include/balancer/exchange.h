// exchange.h — the shape every API family's translators share, so that each family plugs
// into the one request machine (request.h) the same way.
//
// A family's request translator reads the client's body and answers either an ApiError (the
// client's mistake, written in the family's own error format) or the upstream calls to make
// plus an Exchange: the answer side of that one request, which keeps what the answer needs
// (the model name the client used, ids, options) and turns Gemini's answers into the
// client's, whole or streamed. The machine does everything around it: keys, retries,
// failover, statistics, CORS, limits.
//
//   bal::Translated t = bal::anthropic::translate_messages(body, info);
//   if (t.error) return t.exchange->error(*t.error);       // or the family's static writer
//   ... the machine runs t.calls ...
//   bal::Reply r = t.exchange->answer(bodies);             // 2xx bodies, one per call
//   auto s = t.exchange->stream(); s->push(chunk, out); s->finish(out);
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "balancer/gemini.h"
#include "balancer/rawjson.h"

namespace bal {

// What went wrong, before it is written in a family's format. Each family maps the kind to
// its own type names ("invalid_request_error", "overloaded_error", "INVALID_ARGUMENT" ...).
enum class ErrorKind : uint8_t {
  invalid_request,  // 400, 405, 413, 415 ...: the client's request
  authentication,   // 401
  permission,       // 403
  not_found,        // 404
  rate_limit,       // 429
  server,           // 500, 502: this side or Google's failed
  overloaded,       // 503 from Google once the retries are spent (Anthropic: 529)
  timeout,          // 504
};

struct ApiError {
  int status = 500;
  ErrorKind kind = ErrorKind::server;
  std::string message;         // plain text, already redacted
  std::string param;           // OpenAI's "param" (the field at fault), when known
  std::string code;            // OpenAI's "code" ("invalid_value", "model_not_found" ...)
  int64_t retry_after_ms = 0;  // for 429: when to try again (a retry-after header)
};

// The kind for an HTTP status (400 → invalid_request, 503 → overloaded ...).
ErrorKind error_kind_for(int status);
// An ApiError from a status and message, kind derived from the status.
ApiError api_error(int status, std::string message, std::string code = {}, std::string param = {});

// What an upstream (Gemini) error answer means for the client, whatever its API: the status
// (kept), the message (redacted: a suspended key's message quotes the whole key), the
// RetryInfo delay. An unreadable body gets a generic message naming the status.
ApiError upstream_error(int status, std::string_view body);
// The same from Gemini's parsed {"error": {...}} object (also found inside streams).
ApiError upstream_error(int status, raw::value error);
// Google answered 2xx but sent nothing a client can use: a 502.
ApiError bad_gateway(std::string message);

// One call to Gemini that a translated request needs.
struct UpstreamCall {
  std::string model;  // the Gemini model id: picks keys, scopes cooldowns, names statistics
  std::string method = "POST";
  std::string path;   // "/v1beta/models/gemini-2.5-flash:generateContent"
  std::string query;  // "alt=sse", or empty
  std::string body;   // the Gemini request body (JSON)
  bool sse = false;   // the answer is an SSE stream, read with Exchange::stream()
  // The request asks for grounding (Google Search, URL context, Google Maps), which has a quota
  // of its own: a 429 naming no quota is about that quota (classify.h: Verdict::unnamed_quota).
  bool grounded = false;
};

// An answer for the client, whole.
struct Reply {
  int status = 200;
  std::string content_type = "application/json; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // further headers (retry-after ...)
  // The body is the upstream answer exactly as the shim read it: the shim sends those bytes
  // again instead of receiving a copy (RESPOND with FLAGS BODY_AS_READ).
  bool body_as_read = false;
};

// Gemini SSE → the client's stream, one network chunk at a time. A chunk may end anywhere
// (inside an event, a UTF-8 character, between CR and LF): use sse::Splitter.
class StreamTranslator {
 public:
  virtual ~StreamTranslator() = default;
  // Appends to `out` the bytes to send the client for this chunk of upstream SSE.
  virtual void push(std::string_view chunk, std::string& out) = 0;
  // The upstream ended: appends the closing bytes, or the family's error framing when the
  // answer was cut short (no finishReason seen).
  virtual void finish(std::string& out) = 0;
  // The upstream failed mid-stream (dropped, stalled): appends the family's error framing.
  virtual void fail(const ApiError& e, std::string& out) = 0;
  // Whether the answer ended properly (false after fail() or a cut-short finish()).
  virtual bool ok() const = 0;
  // Token counts so far (the last usageMetadata seen).
  virtual gemini::Usage usage() const = 0;
  // The upstream has been silent a while: appends a keep-alive for the client, if the API
  // has one (Anthropic's `ping` event). Nothing by default.
  virtual void ping(std::string& out) { (void)out; }
};

// The answer side of one request.
class Exchange {
 public:
  virtual ~Exchange() = default;
  // The calls' 2xx bodies, in the order of Translated::calls → the client's answer. A body
  // that cannot be read is Google's fault: answer a 502 in the family's format.
  virtual Reply answer(const std::vector<std::string_view>& bodies) = 0;
  // An error (the last upstream error, or one found here) in the family's format.
  virtual Reply error(const ApiError& e) = 0;
  // For calls with sse = true.
  virtual std::unique_ptr<StreamTranslator> stream() = 0;
  // A further call this answer needs before answer() (the next page of a list), made with
  // the same key; nullopt when `body` (call `index`'s latest 2xx body) is the last.
  virtual std::optional<UpstreamCall> next_call(size_t index, std::string_view body) {
    (void)index;
    (void)body;
    return std::nullopt;
  }
  // Token counts of the last answer() (0 when unknown).
  virtual gemini::Usage usage() const { return {}; }
};

namespace media {
class UrlMedia;
}

// What the machine knows of the request that a translator may need.
struct RequestInfo {
  int64_t now_ms = 0;
  std::string request_id;                  // random, [0-9a-f]{16}: ids in answers ("msg_…", "resp_…")
  const class ModelMap* models = nullptr;  // MODEL_MAP; never null in the machine
  // The request's http(s) media URLs (media_url.h): the machine fetches what the translation
  // asked for and translates again. Null outside the machine: such a URL is refused.
  media::UrlMedia* media = nullptr;
};

// A request side's result: an error to answer at once, or calls and the exchange.
struct Translated {
  std::optional<ApiError> error;
  std::vector<UpstreamCall> calls;
  std::unique_ptr<Exchange> exchange;  // also set on error: it writes the error's format
  // The calls fetch the model list: the machine may answer from its cache of their bodies.
  bool model_list = false;
};

}  // namespace bal
