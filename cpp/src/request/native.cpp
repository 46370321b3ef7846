// Native Gemini requests: passed through with a pool key. What the machine adds: the upload
// session's key, affinity, the answer headers a client may see (upload URLs pointed back at
// this Worker), and at the end of the body its usage, what it created, and a closing error
// event when an SSE answer was cut short.
#include "balancer/affinity.h"
#include "balancer/path.h"
#include "balancer/redact.h"
#include "balancer/upload.h"
#include "balancer/usage.h"
#include "internal.h"

namespace bal::machine {
namespace {

using State = Machine::State;

}  // namespace

UpstreamCall native_call(State& s) {
  UpstreamCall c;
  c.model = s.route.model;
  c.method = s.method;
  c.path = s.route.path;
  c.query = s.route.query;
  c.sse = s.route.path.find(":streamGenerateContent") != std::string::npos;
  return c;
}

std::optional<int64_t> native_prefer(const Isolate& iso, const State& s) {
  // An upload session's key, named by the URL this Worker gave out (upload.h).
  if (s.route.pinned_key) return s.route.pinned_key;
  if (iso.pool.affinity().empty()) return std::nullopt;
  return iso.pool.affinity().key_for(s.route.path, s.body);
}

std::string native_stream_headers(Isolate& iso, State& s, const Call& c, std::string_view upstream) {
  // An origin with a line break cannot be put in a header: the URL stays Google's then.
  const bool plain_origin = s.origin.find_first_of("\r\n") == std::string::npos;
  const std::optional<int64_t> key = c.key_id > 0 ? std::optional<int64_t>(c.key_id) : std::nullopt;
  return passed_back_headers(upstream, iso.config.upstream, plain_origin ? std::string_view(s.origin) : "", key);
}

namespace {

gemini::Usage usage_in(std::string_view tail) {
  gemini::Usage usage;
  if (auto u = usage_from_tail(tail)) {
    usage.prompt = u->prompt_tokens;
    usage.thoughts = u->thoughts_tokens;
    usage.candidates = u->completion_tokens - u->thoughts_tokens;
  }
  return usage;
}

// What a complete answer teaches (affinity.h: lesson_for): who owns a file or cached
// content it creates or describes, or the thought signatures of a model's answer. An
// interaction the client asked Google not to store cannot be named again: nothing to keep.
std::vector<std::string> learn(Isolate& iso, const State& s, const Call& c, std::string_view answer) {
  std::vector<std::string> created;
  if (c.key_id <= 0 || !stored_interaction(c.up.path, s.body)) return created;
  iso.pool.affinity().learn(c.up.method, c.up.path, answer, c.key_id, &created);
  return created;
}

}  // namespace

Reply native_answer(Isolate& iso, State& s, Call& c, std::string body) {
  const std::string_view tail = std::string_view(body).substr(body.size() > kTailBytes ? body.size() - kTailBytes : 0);
  record(iso, s, c, Verdict{}, true, usage_in(tail), learn(iso, s, c, body));
  Reply r;
  r.status = c.status;
  r.content_type.clear();
  abi::for_each_header(native_stream_headers(iso, s, c, c.answer_headers),
                       [&r](std::string_view n, std::string_view v) { r.headers.emplace_back(n, v); });
  r.body = std::move(body);
  r.body_as_read = true;
  return r;
}

void native_end(Isolate& iso, State& s, abi::Reason reason, std::string_view tail, std::string& out, bool& ok) {
  Call& c = s.calls[s.stream_slot];
  const gemini::Usage usage = usage_in(tail);
  // Only JSON and SSE answers can be checked for a proper end (media downloads cannot).
  const bool complete = reason == abi::Reason::none && (!s.stream_checkable || answer_complete(tail, s.stream_sse));
  if (complete) {
    record(iso, s, c, Verdict{}, false, usage, learn(iso, s, c, tail));
    return;
  }
  // Cut short: the key is not to blame, but the client must be able to tell.
  Verdict v;
  v.outcome = Outcome::server_error;
  v.message = "upstream answer cut short";
  record(iso, s, c, v, false, usage);
  if (!s.stream_sse) {
    ok = false;
    return;
  }
  out += "\r\n\r\ndata: ";
  out += error_reply(ErrorFormat::gemini, api_error(502, "The upstream stream ended before the answer was complete."))
             .body;
  out += "\r\n\r\n";
}

}  // namespace bal::machine
