// machine.h — the request machine: one request's whole life, decided in the core.
//
// In the spirit of h11, a request is an object fed events that answers with the next action;
// the caller (the Worker shim) only performs the I/O an action names and feeds back what
// happened. Nothing here reads a clock, draws randomness or touches the network.
//
//   Machine m;
//   Action a = m.open(isolate, head);          // route, auth, limits
//   a.kind == READ_BODY   -> read at most a.max_bytes          -> m.feed(BODY | BODY_FAILED)
//   a.kind == TASKS       -> start each task (FETCH with a pool key, WAIT for a backoff,
//                            CALL the key pool, POOL load, MEDIA fetch), await any one
//                            started task still pending       -> m.feed(its result)
//   a.kind == READ_UPSTREAM -> read that fetch's body whole    -> m.feed(UPSTREAM_BODY)
//   a.kind == STREAM      -> answer with that fetch's body, each chunk through m.chunk()
//                            (or untouched), then m.end()
//   a.kind == RESPOND     -> answer; done
//
// The Live API (a WebSocket) is a session of the same machine: ACCEPT the client's socket and
// feed its first message (the setup); TASKS then open upstream sockets with pool keys (SOCKET)
// until one answers, each close before that judged like an upstream error; RELAY passes the
// frames with their usage through m.chunk() and ends in m.end_session(); CLOSE ends a session
// that never opened.
//
// Into the machine go the routing decision, key selection and exclusion, classification of
// every upstream answer, the retry budget (classify.h: next_step), backoff, the answers when
// no key is usable or every key is limited, the model-list cache, upload-session pinning and
// upload-URL rewriting, affinity, SSE error framing, CORS and security headers on every
// answer, usage, and the key events for the pool (Isolate::events), each with its API family.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "balancer/classify.h"
#include "balancer/events.h"
#include "balancer/exchange.h"
#include "balancer/live.h"
#include "balancer/model_map.h"
#include "balancer/pool.h"
#include "balancer/record.h"
#include "balancer/router.h"

namespace bal {

// A task for the shim to start (balancer.h: BAL_TASKS).
struct Task {
  abi::TaskKind kind = abi::TaskKind::FETCH;
  uint32_t slot = 0;
  std::string url;      // FETCH, MEDIA, SOCKET
  std::string method;   // FETCH
  std::string headers;  // FETCH, SOCKET: "name\nvalue\n" pairs
  std::string body;     // CALL: the `body` argument
  // FETCH (unless client_body): the call's body, held by the request and handed out by
  // place (balancer.h: BODY_REF) instead of copied; valid until the request ends.
  std::string_view body_view;
  bool client_body = false;
  int64_t timeout_ms = 0;  // FETCH: first byte; MEDIA: whole fetch; SOCKET: its first message
  int64_t ms = 0;          // WAIT
  std::string name;        // CALL
  std::string args;        // CALL: JSON array
  uint64_t max_bytes = 0;  // MEDIA
  uint32_t flags = 0;      // POOL
  int64_t key_id = 0;      // POOL: a key the request needs, outside the isolate's slice
};

// What the shim does next (balancer.h: BAL_ACTIONS).
struct Action {
  abi::ActionKind kind = abi::ActionKind::RESPOND;
  int status = 0;       // RESPOND, STREAM: an HTTP status; CLOSE: a WebSocket close code
  std::string text;     // CLOSE: the close reason
  std::string headers;  // "name\nvalue\n" pairs
  std::string body;
  uint64_t max_bytes = 0;
  // READ_BODY: the whole body; RESPOND: draining a body not read; ACCEPT: the first message.
  int64_t timeout_ms = 0;
  int64_t idle_ms = 0;
  int64_t ping_ms = 0;  // STREAM: TICK after this long without a chunk (0: never)
  uint32_t slot = 0;    // READ_UPSTREAM, STREAM, RELAY
  int mode = 0;         // STREAM: 1 translate, 2 pass
  uint32_t flags = 0;
  std::vector<Task> tasks;
  std::string log;  // a line for the log, already redacted

  bool responds() const { return kind == abi::ActionKind::RESPOND; }
  // The request is over with this action (its handle can go).
  bool ends() const { return kind == abi::ActionKind::RESPOND || kind == abi::ActionKind::CLOSE; }
};

inline constexpr int kStreamTranslate = 1;
inline constexpr int kStreamPass = 2;
// How often a translated stream whose upstream is silent gets a keep-alive (Anthropic's
// ping while the model thinks).
inline constexpr int64_t kPingMs = 10 * 1000;

// What every request of one isolate shares: configuration, the pool, limits, caches and the
// key events not yet sent to the pool.
struct Isolate {
  Config config;
  RouterState router;
  Pool pool;
  EventLog events;
  int64_t pool_loaded_ms = -1;  // -1: no snapshot yet
  // A request that finds no usable key in this isolate's slice waits for the next slice,
  // at most once per gap, which doubles (to kMaxTopUpMs) while fresh slices come up dry too.
  int64_t top_up_at_ms = 0;
  int64_t top_up_gap_ms = kTopUpMs;
  // The translated model list's raw upstream pages, kept kModelListTtlMs.
  std::vector<std::string> model_pages;
  int64_t model_pages_ms = -1;

  static constexpr int64_t kPoolRefreshMs = 5000;
  static constexpr int64_t kModelListTtlMs = 60 * 1000;
  static constexpr int64_t kTopUpMs = 1000;
  static constexpr int64_t kMaxTopUpMs = 60 * 1000;
};

// Bytes a streamed native answer keeps for usage and affinity (its last few KB).
inline constexpr size_t kTailBytes = 16 * 1024;
// An upstream error body is read up to this much.
inline constexpr uint64_t kMaxErrorBytes = 256 * 1024;
// Calls of one request in flight at once (a Worker may hold 6 connections).
inline constexpr size_t kMaxParallelCalls = 4;

namespace machine {
// The flags every action carries (balancer.h: EVENTS_PENDING; POOL_STALE, with POOL_NEXT when
// the isolate is through half its slice).
uint32_t housekeeping(const Isolate& iso, int64_t now_ms);
}  // namespace machine

class Machine {
 public:
  Machine();
  ~Machine();
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;

  // The request head: METHOD, PATH, QUERY, HEADERS, ORIGIN, NOW, RANDOM.
  Action open(Isolate& iso, const abi::Reader& head);
  // An event (balancer.h: BAL_EVENTS) -> the next action.
  Action feed(Isolate& iso, const abi::Reader& event);
  // READ_BODY with INSPECT: the next bytes of the client's body, kept by the request (the
  // first take room for the whole body its content-length declares). False, keeping nothing,
  // in any other state or past the read's MAX_BYTES.
  bool body_chunk(std::string_view bytes);
  // STREAM mode 1: one upstream chunk -> the bytes for the client.
  void chunk(Isolate& iso, std::string_view bytes, std::string& out);
  // STREAM mode 1: the upstream has been silent PING_MS -> a keep-alive for the client.
  void tick(std::string& out);
  // The streamed answer ended (reason none) or broke (a reason); `tail` is the last bytes of
  // an untouched answer (mode 2). Appends the closing bytes for the client; false when the
  // client's stream must end in an error instead of closing (an untouched JSON answer cut
  // short: no bytes can say so). `before` receives the calls to make before those bytes go
  // out (a stored response saved before the client sees it completed).
  bool end(Isolate& iso, abi::Reason reason, std::string_view tail, std::string& out,
           std::vector<Task>* before = nullptr);
  // Whether the request is a WebSocket session that RELAY carries (its END is end_session).
  bool relaying() const;
  // A RELAYed session ended: the client closed (reason ABORTED), the upstream closed (none)
  // or failed (NETWORK), with `code` and `text`. Counts the session's usage and answers the
  // close for the other side.
  live::ClientClose end_session(Isolate& iso, abi::Reason reason, int code, std::string_view text);

  struct State;

 private:
  std::unique_ptr<State> s_;
};

}  // namespace bal
