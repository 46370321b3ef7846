// The Live API's decisions and its session in the request machine: any close code and reason
// Google (or the network) ends a session with, and any message a client or Google sends.
// Input (FuzzedDataProvider): the code and now_ms (from the end), the reason (a random-length
// string), the message (the rest). The session: the message is the client's setup; every
// upstream socket closes with the code and reason, or (code 0) the first one answers, is
// shown the message as an upstream message, and is closed with the same code and reason.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <string>

#include "balancer/gemini.h"
#include "balancer/keys.h"
#include "balancer/live.h"
#include "balancer/machine.h"
#include "fuzz_support.h"

namespace {

using bal::abi::ActionKind;
using bal::abi::EventKind;
using bal::abi::F;
using bal::abi::TaskKind;

constexpr std::string_view kPath = "/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent";

bool sendable(int code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

void check_close(int code, const std::string& reason) {
  FUZZ_CHECK(sendable(code));
  FUZZ_CHECK(reason.size() <= 123);
  FUZZ_CHECK(bal::extract_keys(reason).empty());
}

bal::Action feed(bal::Machine& m, bal::Isolate& iso, EventKind kind, uint32_t slot, int64_t now,
                 int code = -1, std::string_view reason = {}, std::string_view body = {}) {
  std::string ev;
  bal::abi::Writer w(ev);
  w.num(F::KIND, static_cast<double>(kind)).num(F::SLOT, slot).num(F::NOW, static_cast<double>(now));
  if (code >= 0) w.num(F::STATUS, code).str(F::TEXT, reason);
  if (!body.empty()) w.bytes(F::BODY, body);
  return m.feed(iso, bal::abi::Reader(ev));
}

void session(int code, int64_t now, const std::string& reason, const std::string& message) {
  static bal::Isolate iso = [] {
    bal::Isolate i;
    i.config = bal::make_config(bal::json{{"AUTH_TOKENS", "tok"}});
    return i;
  }();
  iso.pool.load(
      "K 1 AIzaSyA1234567890abcdefghijklmnopqrstuv a\nK 2 AIzaSyB1234567890abcdefghijklmnopqrstuv a\n"
      "K 3 AIzaSyC1234567890abcdefghijklmnopqrstuv a\n",
      0);
  iso.pool_loaded_ms = now;
  bal::Machine m;
  std::string head;
  bal::abi::Writer w(head);
  w.str(F::METHOD, "GET").str(F::PATH, kPath).str(F::HEADERS, "upgrade\nwebsocket\nx-goog-api-key\ntok\n");
  w.num(F::NOW, static_cast<double>(now)).str(F::RANDOM, "0123456789abcdef0123456789abcdef");
  bal::Action a = m.open(iso, bal::abi::Reader(head));
  FUZZ_CHECK(a.kind == ActionKind::ACCEPT);
  a = feed(m, iso, EventKind::BODY, 0, now, -1, {}, message);
  for (int steps = 0; steps < 64 && a.kind == ActionKind::TASKS; ++steps) {
    FUZZ_CHECK(a.tasks.size() == 1);
    const bal::Task& t = a.tasks[0];
    if (t.kind == TaskKind::WAIT) {
      now += t.ms;
      a = feed(m, iso, EventKind::WAITED, t.slot, now);
    } else {
      FUZZ_CHECK(t.kind == TaskKind::SOCKET);
      FUZZ_CHECK(bal::extract_keys(t.url).empty());
      a = code == 0 ? feed(m, iso, EventKind::SOCKET_OPEN, t.slot, now)
                    : feed(m, iso, EventKind::SOCKET_CLOSED, t.slot, now, code, reason);
    }
  }
  if (a.kind == ActionKind::CLOSE) {
    check_close(a.status, a.text);
  } else {
    FUZZ_CHECK(a.kind == ActionKind::RELAY && m.relaying());
    std::string out;
    m.chunk(iso, message, out);
    FUZZ_CHECK(out.empty());
    const bal::live::ClientClose c = m.end_session(iso, bal::abi::Reason::none, code, reason);
    check_close(c.code, c.reason);
  }
  iso.events.drain();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  const int code = in.ConsumeIntegralInRange<int>(0, 4999);
  const int64_t now = in.ConsumeIntegralInRange<int64_t>(0, 4102444800000);
  const std::string reason = in.ConsumeRandomLengthString(300);
  const std::string message = in.ConsumeRemainingBytesAsString();

  const bal::Verdict v = bal::live::judge_close(code, reason, now);
  FUZZ_CHECK(bal::extract_keys(v.message).empty());
  if (bal::is_dead(v.outcome)) FUZZ_CHECK(v.action == bal::KeyAction::disable && v.retry);
  if (v.outcome == bal::Outcome::client_error || v.outcome == bal::Outcome::location) {
    FUZZ_CHECK(v.action == bal::KeyAction::none && !v.retry);
  }
  if (v.action == bal::KeyAction::cooldown) FUZZ_CHECK(v.until_ms > now);

  const bal::live::ClientClose c = bal::live::client_close(code, reason);
  check_close(c.code, c.reason);
  const bal::live::ClientClose p = bal::live::peer_close(code, reason);
  FUZZ_CHECK(sendable(p.code) && p.reason.size() <= 123);

  const bal::live::Setup s = bal::live::read_setup(message);
  FUZZ_CHECK(s.ok ? !s.model.empty() && bal::gemini::valid_model_chars(s.model) : !s.message.empty());
  const bal::live::Usage u = bal::live::read_usage(message);
  FUZZ_CHECK(u.prompt >= 0 && u.response >= 0);
  const std::string_view version = bal::live::live_version(reason);
  FUZZ_CHECK(version.empty() || version == "v1beta" || version == "v1alpha" || version == "v1");
  session(code, now, reason, message);
  return 0;
}
