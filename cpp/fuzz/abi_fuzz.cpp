// The record ABI (cpp/abi/balancer.h) through bal_call, as the shim drives it: requests
// OPENed with any head, then FED events (the ones their actions ask for, or any other, out
// of order, on wrong handles, malformed), bodies passed in by BODY_CHUNK or whole, streamed
// through CHUNK and END, CLOSEd or not;
// CONFIGURE and POOL_LOAD in between. Nothing may trap, a well-framed record is never
// refused, every answer has a status a Response takes (200-599) and headers a Headers
// object takes, a TASKS action always leaves a task to await (else the Worker would hang),
// and once every request is closed no handle is left.
//
// Input (FuzzedDataProvider): up to 32 steps, each a step kind and its operands (records
// built as abi_input.h says). Every input starts from the same configuration and pool
// (reset()). tests/fuzz/abi-input.mjs reads the same layout: keep both in step.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "abi_input.h"
#include "balancer.h"
#include "balancer/keys.h"
#include "balancer/record.h"
#include "fuzz_support.h"

namespace fuzz::abi {
namespace {

using bal::abi::ActionKind;
using bal::abi::EventKind;
using bal::abi::Op;
using bal::abi::Reader;
using bal::abi::TaskKind;

enum Step : uint8_t { kOpen, kFollow, kFeed, kChunk, kEnd, kClose, kConfigure, kPoolLoad, kOther, kLastStep = kOther };

const uint8_t* bytes_of(const std::string& s) {
  return reinterpret_cast<const uint8_t*>(s.data());
}

std::string_view result() {
  return {reinterpret_cast<const char*>(bal_result_data()), bal_result_size()};
}

// Runs one call; every answer is a status the ABI names, and a refusal says why.
int32_t call(Op op, uint32_t handle, const std::string& in) {
  const int32_t rc = bal_call(static_cast<uint32_t>(op), handle, bytes_of(in), static_cast<uint32_t>(in.size()));
  FUZZ_CHECK(rc >= BAL_OK && rc <= BAL_ERR_BAD_STATE);
  if (rc != BAL_OK) FUZZ_CHECK(!Reader(result()).str(F::LOG).empty());
  return rc;
}

// "name\nvalue\n" pairs the Worker can put in a Headers object.
void check_headers(std::string_view pairs) {
  FUZZ_CHECK(pairs.empty() || pairs.back() == '\n');
  bool name = true;
  while (!pairs.empty()) {
    const size_t end = pairs.find('\n');
    const std::string_view item = pairs.substr(0, end);
    if (name) {
      FUZZ_CHECK(!item.empty());
      for (char c : item) FUZZ_CHECK((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
    } else {
      FUZZ_CHECK(item.find_first_of(std::string_view("\r\0", 2)) == std::string_view::npos);
    }
    name = !name;
    pairs.remove_prefix(end + 1);
  }
  FUZZ_CHECK(name);
}

// A status the Worker can answer with: a Response takes 200 to 599 (a 1xx is no answer).
bool is_status(double s) {
  return s >= 200 && s <= 599 && s == std::floor(s);
}

// A request this input opened, and the tasks its actions started that are not answered yet.
struct Open {
  uint32_t handle = 0;
  ActionKind kind = ActionKind::RESPOND;
  uint32_t flags = 0;
  uint32_t slot = 0;
  int mode = 0;
  std::vector<std::pair<TaskKind, uint32_t>> pending;
};

// Checks an OPEN's or a FEED's action and keeps what the next steps need; false when the
// request is over.
bool apply_action(Open& o) {
  const Reader a(result());
  FUZZ_CHECK(a.ok());
  const double kind = a.num(F::KIND, -1);
  FUZZ_CHECK(kind >= 1 && kind <= 8);
  o.kind = static_cast<ActionKind>(kind);
  o.flags = static_cast<uint32_t>(a.integer(F::FLAGS, 0, 0, UINT32_MAX));
  switch (o.kind) {
    case ActionKind::RESPOND:
      FUZZ_CHECK(is_status(a.num(F::STATUS, -1)));
      check_headers(a.str(F::HEADERS));
      return false;
    case ActionKind::STREAM:
      FUZZ_CHECK(is_status(a.num(F::STATUS, -1)));
      check_headers(a.str(F::HEADERS));
      o.mode = static_cast<int>(a.integer(F::MODE, 0, 0, 255));
      FUZZ_CHECK(o.mode == 1 || o.mode == 2);
      o.slot = static_cast<uint32_t>(a.integer(F::SLOT, 0, 0, UINT32_MAX));
      o.pending.clear();
      return true;
    case ActionKind::READ_BODY:
      FUZZ_CHECK(a.has(F::MAX_BYTES) && a.num(F::TIMEOUT_MS) > 0);
      return true;
    case ActionKind::ACCEPT:
      FUZZ_CHECK(a.num(F::TIMEOUT_MS) > 0);
      return true;
    case ActionKind::RELAY:
      o.slot = static_cast<uint32_t>(a.integer(F::SLOT, 0, 0, UINT32_MAX));
      o.pending.clear();
      return true;
    case ActionKind::CLOSE: {
      // A close code a peer may send, and a reason that fits a close frame.
      const double code = a.num(F::STATUS, -1);
      FUZZ_CHECK((code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999));
      FUZZ_CHECK(a.str(F::TEXT).size() <= 123 && bal::extract_keys(a.str(F::TEXT)).empty());
      return false;
    }
    case ActionKind::READ_UPSTREAM:
      o.slot = static_cast<uint32_t>(a.integer(F::SLOT, 0, 0, UINT32_MAX));
      FUZZ_CHECK(a.num(F::MAX_BYTES) > 0);
      return true;
    case ActionKind::TASKS:
      for (const Reader t : a.records(F::TASK)) {
        FUZZ_CHECK(t.ok());
        const double k = t.num(F::KIND, -1);
        FUZZ_CHECK(k >= 1 && k <= 6);
        const auto task = static_cast<TaskKind>(k);
        if (task == TaskKind::FETCH) {
          FUZZ_CHECK(!t.str(F::URL).empty() && !t.str(F::METHOD).empty());
          check_headers(t.str(F::HEADERS));
          FUZZ_CHECK(!bal::abi::header_value(t.str(F::HEADERS), "x-goog-api-key").empty());
        } else if (task == TaskKind::WAIT) {
          FUZZ_CHECK(t.num(F::MS, -1) >= 0);
        } else if (task == TaskKind::CALL) {
          FUZZ_CHECK(!t.str(F::NAME).empty() && fuzz::is_json(t.str(F::ARGS)));
        } else if (task == TaskKind::SOCKET) {
          FUZZ_CHECK(!t.str(F::URL).empty() && bal::extract_keys(t.str(F::URL)).empty());
          FUZZ_CHECK(!bal::abi::header_value(t.str(F::HEADERS), "x-goog-api-key").empty());
        }
        o.pending.emplace_back(task, static_cast<uint32_t>(t.integer(F::SLOT, 0, 0, UINT32_MAX)));
      }
      // The Worker awaits one of the request's tasks: with none left it would wait forever.
      FUZZ_CHECK(!o.pending.empty());
      return true;
  }
  return true;
}

// The event that carries out `o`'s action the way the shim would, from the input's choices.
struct Choice {
  uint8_t which = 0;
  int status = 200;
  std::string headers, body, result;
  int64_t now = kNow;
};

// Feeds `o` what its action asks for; false when the request is over.
bool follow(Open& o, const Choice& c) {
  Rec ev;
  const auto kind = [&ev](EventKind k) { ev.num(F::KIND, static_cast<double>(k)); };
  switch (o.kind) {
    case ActionKind::READ_BODY:
      if ((c.which & 3) == 3) {
        kind(EventKind::BODY_FAILED);
        ev.num(F::REASON, 1 + (c.which >> 2) % 3);
      } else if ((o.flags & bal::abi::FLAG_INSPECT) != 0) {
        kind(EventKind::BODY);
        if ((c.which & 4) != 0) {
          // As the Worker passes a body in: by BODY_CHUNK (here in two), then its size, one
          // byte too many when bit 3 says so (the core must refuse a count it did not get).
          const size_t half = c.body.size() / 2;
          for (const std::string& part : {c.body.substr(0, half), c.body.substr(half)}) {
            if (call(Op::BODY_CHUNK, o.handle, part) == BAL_OK) FUZZ_CHECK(result().empty());
          }
          ev.num(F::SIZE, static_cast<double>(c.body.size() + ((c.which & 8) != 0 ? 1 : 0)));
        } else {
          ev.raw(F::BODY, c.body);
        }
      } else {
        kind(EventKind::BODY);
        ev.num(F::SIZE, static_cast<double>(c.body.size()));
      }
      break;
    case ActionKind::TASKS: {
      const size_t i = c.which % o.pending.size();
      const auto [task, slot] = o.pending[i];
      o.pending.erase(o.pending.begin() + static_cast<std::ptrdiff_t>(i));
      const uint8_t variant = (c.which >> 4) & 3;
      switch (task) {
        case TaskKind::FETCH:
          if (variant == 3) {
            kind(EventKind::UPSTREAM_FAILED);
            ev.num(F::SLOT, slot).num(F::REASON, (c.which & 64) != 0 ? 3 : 4);
          } else {
            kind(EventKind::UPSTREAM_HEAD);
            ev.num(F::SLOT, slot).num(F::STATUS, c.status).raw(F::HEADERS, c.headers);
          }
          break;
        case TaskKind::WAIT:
          kind(EventKind::WAITED);
          ev.num(F::SLOT, slot);
          break;
        case TaskKind::CALL:
          kind(EventKind::CALLED);
          ev.num(F::SLOT, slot).num(F::OK, variant == 3 ? 0 : 1).raw(F::RESULT, c.result);
          break;
        case TaskKind::POOL:
          kind(EventKind::POOL_READY);
          ev.num(F::SLOT, slot).num(F::OK, 1);
          break;
        case TaskKind::MEDIA:
          kind(EventKind::MEDIA_DONE);
          ev.num(F::SLOT, slot).num(F::STATUS, c.status).raw(F::MIME, "image/png").raw(F::BODY, c.body);
          break;
        case TaskKind::SOCKET:
          if (variant == 0) {
            kind(EventKind::SOCKET_OPEN);
            ev.num(F::SLOT, slot);
          } else {
            kind(EventKind::SOCKET_CLOSED);
            ev.num(F::SLOT, slot).num(F::STATUS, c.status).raw(F::TEXT, c.result);
            if (variant == 3) ev.num(F::REASON, 3);
          }
          break;
      }
      break;
    }
    case ActionKind::ACCEPT:
      if ((c.which & 3) == 3) {
        kind(EventKind::BODY_FAILED);
        ev.num(F::REASON, 3);
      } else if ((c.which & 3) == 2) {
        kind(EventKind::CLIENT_CLOSED);
        ev.num(F::STATUS, c.status).raw(F::TEXT, c.result);
      } else {
        kind(EventKind::BODY);
        ev.raw(F::BODY, c.body);
      }
      break;
    case ActionKind::RELAY:
      if ((c.which & 3) != 3) {
        FUZZ_CHECK(call(Op::CHUNK, o.handle, c.body) == BAL_OK);
        FUZZ_CHECK(result().empty());
        return true;
      } else {
        Rec end;
        end.num(F::REASON, (c.which & 4) != 0 ? 5 : 0).num(F::STATUS, c.status).raw(F::TEXT, c.result);
        FUZZ_CHECK(call(Op::END, o.handle, end.out) == BAL_OK);
        const Reader out(result());
        FUZZ_CHECK(out.ok() && out.str(F::TEXT).size() <= 123 && bal::extract_keys(out.str(F::TEXT)).empty());
        return false;
      }
    case ActionKind::CLOSE:
      return false;
    case ActionKind::READ_UPSTREAM:
      kind(EventKind::UPSTREAM_BODY);
      ev.num(F::SLOT, o.slot).raw(F::BODY, c.body);
      if ((c.which & 3) == 3) ev.num(F::REASON, 4);
      break;
    case ActionKind::STREAM:
      if ((c.which & 3) != 3) {
        // An untouched stream (mode 2) never goes through the core chunk by chunk.
        if (o.mode == 1) FUZZ_CHECK(call(Op::CHUNK, o.handle, c.body) == BAL_OK);
        return true;
      } else {
        Rec end;
        end.num(F::REASON, (c.which & 4) != 0 ? 3 : 0).raw(F::BODY, c.body);
        FUZZ_CHECK(call(Op::END, o.handle, end.out) == BAL_OK);
        FUZZ_CHECK(Reader(result()).ok());
        return false;
      }
    case ActionKind::RESPOND:
      return false;
  }
  ev.num(F::NOW, static_cast<double>(c.now));
  FUZZ_CHECK(call(Op::FEED, o.handle, ev.out) == BAL_OK);
  return apply_action(o);
}

// Each input starts from the same configuration, pool and empty event log, so a crash
// replays alone (rate limits and caches of the isolate do carry over).
void reset() {
  Rec config, pool, events;
  config.raw(F::BODY, bindings(3));
  FUZZ_CHECK(call(Op::CONFIGURE, 0, config.out) == BAL_OK);
  pool.num(F::NOW, kNow).num(F::SEED, 7).raw(F::BODY, kPools[0]);
  FUZZ_CHECK(call(Op::POOL_LOAD, 0, pool.out) == BAL_OK);
  events.num(F::NOW, kNow);
  FUZZ_CHECK(call(Op::EVENTS, 0, events.out) == BAL_OK);
}

size_t open_count() {
  FUZZ_CHECK(call(Op::OPEN_COUNT, 0, "") == BAL_OK);
  return static_cast<size_t>(Reader(result()).integer(F::COUNT, -1, -1, INT32_MAX));
}

// An open request (by index), or any number (the core must refuse those): -1 and the number.
std::pair<int, uint32_t> pick_handle(FuzzedDataProvider& in, const std::vector<Open>& open) {
  if (!open.empty() && in.ConsumeBool()) {
    const size_t i = in.ConsumeIntegralInRange<size_t>(0, open.size() - 1);
    return {static_cast<int>(i), open[i].handle};
  }
  const uint32_t h = in.ConsumeIntegral<uint32_t>();
  for (size_t i = 0; i < open.size(); ++i) {
    if (open[i].handle == h) return {static_cast<int>(i), h};
  }
  return {-1, h};
}

void other(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange<int>(0, 5)) {
    case 0: {
      Rec r;
      num_field(in, r, F::NOW);
      const std::string rec = mangled(in, std::move(r.out));
      if (call(Op::EVENTS, 0, rec) == BAL_OK) {
        const std::string out(result());
        if (Reader(out).has(F::BODY)) FUZZ_CHECK(fuzz::is_json(Reader(out).bytes(F::BODY)));
      }
      break;
    }
    case 1: {
      Rec r;
      num_field(in, r, F::STATUS);
      r.raw(F::BODY, pick_or_free(in, kBodies, 65536)).raw(F::MODEL, "gemini-2.5-flash");
      num_field(in, r, F::NOW);
      const std::string rec = mangled(in, std::move(r.out));
      FUZZ_CHECK((call(Op::CLASSIFY, 0, rec) == BAL_OK) == well_framed(rec));
      if (well_framed(rec)) FUZZ_CHECK(fuzz::is_json(Reader(result()).bytes(F::BODY)));
      break;
    }
    case 2:
      FUZZ_CHECK(call(Op::REDACT, 0, in.ConsumeRandomLengthString(4096)) == BAL_OK);
      FUZZ_CHECK(bal::extract_keys(result()).empty());
      break;
    case 3:
      open_count();
      break;
    case 4: {
      // A key check: a usable key travels in its header only, and one that could not be a
      // header value is refused.
      const std::string key =
          in.ConsumeBool() ? "AIzaSy" + in.ConsumeRandomLengthString(40) : in.ConsumeRandomLengthString(64);
      Rec r;
      r.raw(F::KEY, key);
      num_field(in, r, F::NOW);
      const std::string framed = r.out;
      const std::string rec = mangled(in, std::move(r.out));
      const int32_t rc = call(Op::PROBE, 0, rec);
      const auto control = [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; };
      const bool usable = !key.empty() && std::none_of(key.begin(), key.end(), control);
      if (rec == framed) FUZZ_CHECK((rc == BAL_OK) == usable);
      if (rc == BAL_OK) {
        const std::string out(result());
        const Reader p(out);
        const std::string_view sent = bal::abi::header_value(p.str(F::HEADERS), "x-goog-api-key");
        if (rec == framed) FUZZ_CHECK(sent == key);
        FUZZ_CHECK(!sent.empty());
        FUZZ_CHECK(fuzz::is_json(p.bytes(F::BODY)));
        if (sent.substr(0, 6) == "AIzaSy") {
          FUZZ_CHECK(p.str(F::URL).find(sent) == std::string_view::npos);
          FUZZ_CHECK(p.bytes(F::BODY).find(sent) == std::string_view::npos);
        }
      }
      break;
    }
    default: {
      // Any operation but OPEN (whose handle this input would not know to close).
      uint32_t op = in.ConsumeIntegral<uint32_t>();
      if (op >= 1 && op <= 7) op += 100;
      const std::string raw = in.ConsumeRandomLengthString(4096);
      bal_call(op, 0, raw.empty() ? nullptr : bytes_of(raw), static_cast<uint32_t>(raw.size()));
      break;
    }
  }
}

}  // namespace

void run(const uint8_t* data, size_t size) {
  reset();
  FuzzedDataProvider in(data, size);
  std::vector<Open> open;
  const auto close_at = [&open](int i) { open.erase(open.begin() + i); };
  for (int steps = 0; steps < 32 && in.remaining_bytes() > 0; ++steps) {
    switch (static_cast<Step>(in.ConsumeIntegralInRange<uint8_t>(0, kLastStep))) {
      case kOpen: {
        const std::string rec = head(in);
        const int32_t rc = call(Op::OPEN, 0, rec);
        FUZZ_CHECK((rc == BAL_OK) == well_framed(rec));
        if (rc != BAL_OK) break;
        Open o;
        o.handle = static_cast<uint32_t>(Reader(result()).integer(F::HANDLE, 0, 0, UINT32_MAX));
        FUZZ_CHECK(o.handle != 0);
        if (apply_action(o)) open.push_back(std::move(o));
        break;
      }
      case kFollow: {
        if (open.empty()) break;
        const size_t i = in.ConsumeIntegralInRange<size_t>(0, open.size() - 1);
        Choice c;
        c.which = in.ConsumeIntegral<uint8_t>();
        c.status = in.PickValueInArray(kStatuses);
        c.headers = in.PickValueInArray(kUpstreamHeaders);
        c.body = pick_or_free(in, kBodies, 65536);
        c.result = in.PickValueInArray(kResults);
        c.now = kNow + in.ConsumeIntegralInRange<int64_t>(0, 600000);
        if (!follow(open[i], c)) close_at(static_cast<int>(i));
        break;
      }
      case kFeed: {
        const auto [i, h] = pick_handle(in, open);
        const std::string rec = event(in);
        const int32_t rc = call(Op::FEED, h, rec);
        if (!well_framed(rec)) {
          FUZZ_CHECK(rc == BAL_ERR_BAD_INPUT);
        } else if (i < 0) {
          FUZZ_CHECK(rc == BAL_ERR_BAD_HANDLE);
        } else {
          FUZZ_CHECK(rc == BAL_OK);
          if (!apply_action(open[static_cast<size_t>(i)])) close_at(i);
        }
        break;
      }
      case kChunk: {
        const auto [i, h] = pick_handle(in, open);
        FUZZ_CHECK(call(Op::CHUNK, h, in.ConsumeRandomLengthString(65536)) == (i < 0 ? BAL_ERR_BAD_HANDLE : BAL_OK));
        break;
      }
      case kEnd: {
        const auto [i, h] = pick_handle(in, open);
        Rec r;
        num_field(in, r, F::REASON);
        r.raw(F::BODY, in.ConsumeRandomLengthString(16384));
        FUZZ_CHECK(call(Op::END, h, r.out) == (i < 0 ? BAL_ERR_BAD_HANDLE : BAL_OK));
        if (i >= 0) close_at(i);
        break;
      }
      case kClose: {
        const auto [i, h] = pick_handle(in, open);
        FUZZ_CHECK(call(Op::CLOSE, h, "") == BAL_OK);
        if (i >= 0) close_at(i);
        break;
      }
      case kConfigure: {
        const uint8_t bits = in.ConsumeIntegral<uint8_t>();
        Rec r;
        r.raw(F::BODY, in.ConsumeBool() ? bindings(bits) : in.ConsumeRandomLengthString(1024));
        const std::string rec = mangled(in, std::move(r.out));
        FUZZ_CHECK((call(Op::CONFIGURE, 0, rec) == BAL_OK) == well_framed(rec));
        break;
      }
      case kPoolLoad: {
        const std::string rec = pool_load(in);
        FUZZ_CHECK((call(Op::POOL_LOAD, 0, rec) == BAL_OK) == well_framed(rec));
        break;
      }
      case kOther:
        other(in);
        break;
    }
    FUZZ_CHECK(open_count() == open.size());
  }
  // What the shim does in its finally blocks: nothing may stay open.
  for (const Open& o : open) FUZZ_CHECK(call(Op::CLOSE, o.handle, "") == BAL_OK);
  FUZZ_CHECK(open_count() == 0);
}

}  // namespace fuzz::abi

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::abi::run(data, size);
  return 0;
}
