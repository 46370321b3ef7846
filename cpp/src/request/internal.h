// internal.h — what the request machine's files share: the state of one request and of each
// of its upstream calls.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "balancer/machine.h"
#include "balancer/media_url.h"
#include "balancer/responses.h"

namespace bal::machine {

// Slots of tasks that are not upstream calls (calls use their index, below kPoolSlot).
inline constexpr uint32_t kPoolSlot = 1000;
inline constexpr uint32_t kAdminSlot = 1001;
// MEDIA tasks: kMediaSlot + the URL's index in UrlMedia::items().
inline constexpr uint32_t kMediaSlot = 2000;
// Media URLs of one request fetched at once.
inline constexpr size_t kMaxParallelMedia = 4;

// An answer that is not an upstream error body is read up to this much.
inline constexpr uint64_t kMaxAnswerBytes = 64ull << 20;

// One upstream call of a request, with its own failover.
struct Call {
  enum class Phase : uint8_t { queued, fetching, reading_error, reading_body, waiting, pooling, done };
  UpstreamCall up;
  Phase phase = Phase::queued;
  std::vector<int64_t> tried;  // pool key ids, in order
  int attempts = 0;
  int server_failures = 0;
  int64_t started_ms = -1;     // the first attempt
  int64_t key_id = -1;         // the key of the current attempt (-1: the client's own key)
  bool topped_up = false;      // waited for a fresh slice once already
  bool asked_for_key = false;  // asked the pool once for `prefer`, not held here
  bool grounding_read = false;  // a native call: its body was read for grounding tools
  std::string key;
  std::optional<int64_t> prefer;    // affinity: the key that owns what the request names
  std::vector<std::string> bodies;  // 2xx bodies (a list takes several pages)
  std::string answer_headers;       // a native answer's headers, while its body is read
  // The last failure, for the answer if no attempt succeeds.
  bool failed = false;
  int status = 0;  // 0: no answer at all
  std::string error_body;
  std::string error_type;  // the upstream error's content-type
  Verdict verdict;
};

// An http(s) media URL of the request being fetched (media_url.h), redirects and all.
struct MediaFetch {
  enum class Phase : uint8_t { queued, fetching, done };
  Phase phase = Phase::queued;
  std::string url;  // what is fetched now: the client's URL, or where it redirected
  int redirects = 0;
  int64_t deadline_ms = 0;  // the whole fetch, redirects included, ends by then
};

// accepting: a WebSocket session waits for the client's first message; relaying: its frames
// pass between the client and the upstream socket that answered.
enum class Phase : uint8_t { routed, reading_body, accepting, running, streaming, relaying, done };

}  // namespace bal::machine

namespace bal {

struct Machine::State {
  machine::Phase phase = machine::Phase::routed;
  // The head, copied: the shim's buffer is gone after open().
  std::string method, path, query, headers, origin, request_id;
  std::string nonce;  // 32 random hex digits: a new admin session's id
  bool secure = false;
  int64_t now_ms = 0;
  Route route;
  std::string body;  // the client's body, when the core read it
  uint64_t body_size = 0;
  bool body_read = false;
  // READ_BODY with INSPECT: the body comes in by BODY_CHUNK, up to body_limit bytes.
  bool body_inspect = false;
  bool body_chunked = false;  // some came that way: the BODY event only says how much
  uint64_t body_limit = 0;
  // Proxy:
  Translated tr;
  media::UrlMedia media;                      // the media URLs the translation met
  std::vector<machine::MediaFetch> fetching;  // one per media URL, in the same order
  std::vector<machine::Call> calls;
  bool native = false;
  bool pool_task_pending = false;
  int attempts = 0;  // upstream calls made, all calls together
  // Streaming:
  uint32_t stream_slot = 0;
  bool stream_sse = false;
  bool stream_checkable = false;  // JSON or SSE: its end can be checked
  std::unique_ptr<StreamTranslator> stream;
  std::string tail;  // the last kTailBytes of a translated stream's input
  // Stored responses (the Responses API): what the request waits for from the store.
  enum class Store : uint8_t { none, loading, saving, reading, deleting };
  Store store = Store::none;
  std::unique_ptr<responses::Stored> stored;
  Reply held;  // an answer sent once its record is saved
  // The Live API: the session's usage, added up from every usageMetadata relayed.
  live::Usage live_usage;
  // Admin:
  Plan admin;
  int admin_steps = 0;
  int64_t admin_started_ms = 0;
  std::string admin_result;      // JSON of the last call's result
  bool session_checked = false;  // the plan's session was found live
};

namespace machine {

// Adds what every answer carries (security headers, and on proxied answers CORS and
// x-balancer-attempts) and turns a Reply into the RESPOND action.
Action respond(Isolate& iso, Machine::State& s, Reply reply);

// Native passthrough: the call, the STREAM answer's headers, the end of the body.
UpstreamCall native_call(Machine::State& s);
std::string native_stream_headers(Isolate& iso, Machine::State& s, const Call& c, std::string_view upstream_headers);
void native_end(Isolate& iso, Machine::State& s, abi::Reason reason, std::string_view tail, std::string& out, bool& ok);
// A native 2xx JSON answer read whole: the client's answer, its usage and what it created.
Reply native_answer(Isolate& iso, Machine::State& s, Call& c, std::string body);
// The key a native request must use (an upload session's, or affinity's), if any.
std::optional<int64_t> native_prefer(const Isolate& iso, const Machine::State& s);

// The routes responses::translate_responses() serves (create, compact and input_tokens).
inline bool translated_by_responses(Api api) {
  return api == Api::responses_create || api == Api::responses_compact || api == Api::responses_input_tokens;
}

// The Responses API's store: what a request needs from it before translating (or instead of
// translating: GET and DELETE), what it saves after answering, and the store's answers.
std::optional<Action> responses_start(Isolate& iso, Machine::State& s);
Action responses_called(Isolate& iso, Machine::State& s, bool ok, std::string_view result, std::string_view bytes);
// The answer of a created response: held until its record is saved (a CALL), or nullopt.
std::optional<Action> responses_hold(Isolate& iso, Machine::State& s, Reply& reply);
// The save a finished stream must make before its last bytes go out, if any.
std::optional<Task> responses_stream_save(Machine::State& s);
// A call on the key pool object (the admin API, the Responses store) as a CALL task action.
Action store_call(const Isolate& iso, const Machine::State& s, std::string_view name, std::string args,
                  std::string body = {});

// Starts the next attempt of call `slot` on a fresh key; a Google-side failure may reuse a
// key already tried (any key will do). Adds the FETCH (or SOCKET) to `a` (or the wait for a
// fresh slice), or answers when no key is left.
std::optional<Action> attempt(Isolate& iso, Machine::State& s, uint32_t slot, Action& a);
// Starts queued calls (at most kMaxParallelCalls in flight) and those that waited for a
// fresh slice, loading the pool first if this isolate has none yet.
Action run(Isolate& iso, Machine::State& s);
// An attempt of call `slot` failed (`status` 0: no answer; `body` the error) with verdict
// `v`: the key's fate, then a retry (after a wait), or the last error for the client.
Action attempt_failed(Isolate& iso, Machine::State& s, uint32_t slot, const Verdict& v, int status, std::string body);

// The Live API (live.h) as a session of the machine: ACCEPT, the client's setup, a SOCKET per
// attempt, each close before the upstream answers judged (judge_close) like an upstream
// error, RELAY once one answers, and CLOSE when none can.
Action live_accept(Isolate& iso, Machine::State& s);
Action live_setup(Isolate& iso, Machine::State& s, std::string_view message);
Action live_no_setup(Isolate& iso, Machine::State& s);
Action live_client_closed(Isolate& iso, Machine::State& s);
Task live_socket(const Isolate& iso, const Machine::State& s, uint32_t slot);
Action live_opened(Isolate& iso, Machine::State& s, uint32_t slot);
Action live_closed(Isolate& iso, Machine::State& s, uint32_t slot, int code, std::string text, abi::Reason reason);
Action live_no_key(Isolate& iso, Machine::State& s, const Call& c);
Action live_give_up(Isolate& iso, Machine::State& s, const Call& c);
// The session cannot go on (an event out of place): closed with 1011.
Action live_internal(Isolate& iso, Machine::State& s);

// Translates the request (with what the store gave, if anything) and starts its calls.
Action translate_and_run(Isolate& iso, Machine::State& s);

// Media URLs: the fetches a translation asked for (nullopt when every URL is fetched), and a
// fetch's result (a redirect followed, bytes kept, an error answered, or the request
// translated again once every URL is in).
std::optional<Action> media_start(Isolate& iso, Machine::State& s);
bool fetching_media(const Machine::State& s, uint32_t slot);
Action media_done(Isolate& iso, Machine::State& s, uint32_t slot, const abi::Reader& ev);

// Admin: the next action for the current plan, and after a key pool call's result.
Action admin_start(Isolate& iso, Machine::State& s);
Action admin_called(Isolate& iso, Machine::State& s, bool ok, std::string_view result);

// The model a verdict's cooldown holds for: the call's, or for a call whose path names none
// (an interaction) the model the 429 says ran out.
std::string_view cooled_model(const UpstreamCall& up, const Verdict& v);

// A key event for an attempt.
void record(Isolate& iso, const Machine::State& s, const Call& c, const Verdict& v, bool counted,
            const gemini::Usage& usage = {}, std::vector<std::string> created = {});

}  // namespace machine
}  // namespace bal
