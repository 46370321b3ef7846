// The Live API in the request machine (live.h, machine.h). Google accepts any upgrade and
// judges the key only after the setup message, with a close frame; so the client's socket is
// accepted and its setup held, and each attempt opens an upstream socket with a pool key and
// sends that setup. A close before the upstream answers is judged like an upstream error (the
// key's fate, a retry on another key after a backoff, or the close the client gets); once it
// answers, the frames pass untouched and the session's usage is added up as it goes by.
#include "internal.h"

namespace bal::machine {
namespace {

using abi::ActionKind;
using abi::Reason;
using abi::TaskKind;
using State = Machine::State;

// A client that opens a socket and never says what it wants is not waited for longer.
constexpr int64_t kSetupWaitMs = 30'000;
// An upstream socket that has not answered the setup by then is given up (and retried).
constexpr int64_t kAttemptTimeoutMs = 15'000;

Action close_client(Isolate& iso, State& s, live::ClientClose close) {
  Action a;
  a.kind = ActionKind::CLOSE;
  a.status = close.code;
  a.text = std::move(close.reason);
  a.flags = housekeeping(iso, s.now_ms);
  if (s.attempts > 0 && close.code != live::kCloseNormal) {
    a.log = std::string(api_family(s.route.api)) + ": closed " + std::to_string(close.code) + " after " +
            std::to_string(s.attempts) + " attempt(s)";
  }
  s.phase = Phase::done;
  return a;
}

}  // namespace

Action live_accept(Isolate& iso, State& s) {
  s.phase = Phase::accepting;
  Action a;
  a.kind = ActionKind::ACCEPT;
  a.timeout_ms = kSetupWaitMs;
  a.flags = housekeeping(iso, s.now_ms);
  return a;
}

Action live_setup(Isolate& iso, State& s, std::string_view message) {
  const live::Setup setup = live::read_setup(message);
  if (!setup.ok) return close_client(iso, s, {live::kCloseInvalidPayload, setup.message});
  s.phase = Phase::running;
  Call c;
  c.up.model = setup.model;
  c.up.method = "GET";
  c.up.path = s.route.path;
  s.calls.push_back(std::move(c));
  return run(iso, s);
}

Action live_no_setup(Isolate& iso, State& s) {
  return close_client(iso, s,
                      {live::kClosePolicy, "No setup message within " + std::to_string(kSetupWaitMs / 1000) + " s."});
}

// The client left before the session opened: nothing to judge, every socket closed.
Action live_client_closed(Isolate& iso, State& s) {
  return close_client(iso, s, {live::kCloseNormal, {}});
}

Task live_socket(const Isolate& iso, const State& s, uint32_t slot) {
  const Call& c = s.calls[slot];
  Task t;
  t.kind = TaskKind::SOCKET;
  t.slot = slot;
  t.url = iso.config.upstream + c.up.path;
  abi::HeaderList h;
  h.add("x-goog-api-key", c.key);
  t.headers = h.text();
  t.timeout_ms = kAttemptTimeoutMs;
  return t;
}

Action live_opened(Isolate& iso, State& s, uint32_t slot) {
  Call& c = s.calls[slot];
  record(iso, s, c, Verdict{}, true);
  c.phase = Call::Phase::done;
  s.phase = Phase::relaying;
  Action a;
  a.kind = ActionKind::RELAY;
  a.slot = slot;
  a.flags = housekeeping(iso, s.now_ms);
  return a;
}

Action live_closed(Isolate& iso, State& s, uint32_t slot, int code, std::string text, Reason reason) {
  // No close frame at all (a failed upgrade, a socket that never answered): Google's side or
  // the network, whatever the shim saw.
  if (reason != Reason::none) code = 1006;
  const Verdict v = live::judge_close(code, text, s.now_ms);
  return attempt_failed(iso, s, slot, v, code, std::move(text));
}

Action live_no_key(Isolate& iso, State& s, const Call& c) {
  const PoolStatus p = iso.pool.status(c.up.model, s.now_ms);
  const int64_t wait = p.earliest_until_ms > s.now_ms ? p.earliest_until_ms - s.now_ms : 0;
  return close_client(iso, s, live::no_key_close(p.cooling > 0, wait));
}

Action live_give_up(Isolate& iso, State& s, const Call& c) {
  return close_client(iso, s, live::client_close(c.status, c.error_body));
}

Action live_internal(Isolate& iso, State& s) {
  return close_client(iso, s, {live::kCloseInternal, "Internal error."});
}

}  // namespace bal::machine

namespace bal {

bool Machine::relaying() const {
  return s_->phase == machine::Phase::relaying;
}

live::ClientClose Machine::end_session(Isolate& iso, abi::Reason reason, int code, std::string_view text) {
  State& s = *s_;
  if (s.phase != machine::Phase::relaying) return {live::kCloseNormal, {}};
  s.phase = machine::Phase::done;
  machine::Call& c = s.calls.back();
  gemini::Usage usage;
  usage.known = s.live_usage.found;
  usage.prompt = s.live_usage.prompt;
  usage.candidates = s.live_usage.response;
  Verdict v;
  live::ClientClose other;
  if (reason == abi::Reason::ABORTED) {
    other = live::peer_close(code, text);
  } else if (reason == abi::Reason::none) {
    // Google closed a session it had opened: the key's quota ran out mid-session, or the
    // client's messages were refused. Its fate is judged as before the session opened.
    v = live::judge_close(code, text, s.now_ms);
    if (c.key_id > 0) iso.pool.apply(c.key_id, v.action, c.up.model, v.all_models, v.until_ms, s.now_ms);
    other = live::client_close(code, text);
  } else {
    other = {live::kCloseInternal, "The connection to Gemini failed."};
  }
  // The session was counted when it opened; its tokens and a late verdict follow.
  machine::record(iso, s, c, v, false, usage);
  return other;
}

}  // namespace bal
