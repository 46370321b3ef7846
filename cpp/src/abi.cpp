// The C ABI (cpp/abi/balancer.h) over the core: reads records, dispatches, writes records,
// and keeps the isolate's state (configuration, pool, open requests).
#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>
#include <unordered_map>

#include "balancer.h"
#include "balancer/classify.h"
#include "balancer/json.h"
#include "balancer/machine.h"
#include "balancer/record.h"
#include "balancer/redact.h"

namespace {

using bal::abi::F;
using bal::abi::Op;
using bal::abi::Reader;
using bal::abi::Writer;

struct State {
  bal::Isolate iso;
  std::string result;
  std::unordered_map<uint32_t, std::unique_ptr<bal::Machine>> requests;
  uint32_t next_handle = 1;
};

State& state() {
  static State s;
  return s;
}

int32_t fail(int32_t code, std::string_view why) {
  State& st = state();
  st.result.clear();
  Writer(st.result).str(F::LOG, why);
  return code;
}

void write_task(Writer& w, const bal::Task& t) {
  const size_t at = w.begin(F::TASK);
  w.num(F::KIND, static_cast<double>(t.kind)).num(F::SLOT, t.slot);
  switch (t.kind) {
    case bal::abi::TaskKind::FETCH:
      w.str(F::URL, t.url).str(F::METHOD, t.method).str(F::HEADERS, t.headers);
      if (t.client_body) {
        w.num(F::CLIENT_BODY, 1);
      } else if (!t.body_view.empty()) {
        w.ref(F::BODY_REF, t.body_view);
      }
      w.num(F::TIMEOUT_MS, static_cast<double>(t.timeout_ms));
      break;
    case bal::abi::TaskKind::WAIT:
      w.num(F::MS, static_cast<double>(t.ms));
      break;
    case bal::abi::TaskKind::CALL:
      w.str(F::NAME, t.name).str(F::ARGS, t.args);
      if (!t.body.empty()) w.bytes(F::BODY, t.body);
      break;
    case bal::abi::TaskKind::POOL:
      w.num(F::FLAGS, t.flags);
      if (t.key_id > 0) w.num(F::KEY_ID, static_cast<double>(t.key_id));
      break;
    case bal::abi::TaskKind::MEDIA:
      w.str(F::URL, t.url).num(F::MAX_BYTES, static_cast<double>(t.max_bytes));
      w.num(F::TIMEOUT_MS, static_cast<double>(t.timeout_ms));
      break;
    case bal::abi::TaskKind::SOCKET:
      w.str(F::URL, t.url).str(F::HEADERS, t.headers).num(F::TIMEOUT_MS, static_cast<double>(t.timeout_ms));
      break;
  }
  w.end(at);
}

void write_action(std::string& out, const bal::Action& a, uint32_t handle) {
  // The record's size up front: grown by doubling, a large answer would leave a buffer of
  // twice its size (and both copies at once) in memory that never shrinks.
  size_t size = 256 + a.headers.size() + a.body.size() + a.log.size() + a.text.size();
  for (const bal::Task& t : a.tasks) size += 128 + t.url.size() + t.headers.size() + t.body.size() + t.args.size();
  out.reserve(out.size() + size);
  Writer w(out);
  w.num(F::KIND, static_cast<double>(a.kind));
  if (handle != 0) w.num(F::HANDLE, handle);
  if (a.flags != 0) w.num(F::FLAGS, a.flags);
  if (!a.log.empty()) w.str(F::LOG, a.log);
  switch (a.kind) {
    case bal::abi::ActionKind::RESPOND:
    case bal::abi::ActionKind::STREAM:
      w.num(F::STATUS, a.status).str(F::HEADERS, a.headers);
      if (a.kind == bal::abi::ActionKind::RESPOND) {
        if ((a.flags & bal::abi::FLAG_BODY_AS_READ) == 0) w.bytes(F::BODY, a.body);
        w.num(F::TIMEOUT_MS, static_cast<double>(a.timeout_ms));
      } else {
        w.num(F::SLOT, a.slot).num(F::MODE, a.mode).num(F::IDLE_MS, static_cast<double>(a.idle_ms));
        if (a.ping_ms > 0) w.num(F::PING_MS, static_cast<double>(a.ping_ms));
      }
      break;
    case bal::abi::ActionKind::READ_BODY:
      w.num(F::MAX_BYTES, static_cast<double>(a.max_bytes)).num(F::TIMEOUT_MS, static_cast<double>(a.timeout_ms));
      break;
    case bal::abi::ActionKind::READ_UPSTREAM:
      w.num(F::SLOT, a.slot).num(F::MAX_BYTES, static_cast<double>(a.max_bytes));
      break;
    case bal::abi::ActionKind::TASKS:
      for (const bal::Task& t : a.tasks) write_task(w, t);
      break;
    case bal::abi::ActionKind::ACCEPT:
      w.num(F::TIMEOUT_MS, static_cast<double>(a.timeout_ms));
      break;
    case bal::abi::ActionKind::RELAY:
      w.num(F::SLOT, a.slot);
      break;
    case bal::abi::ActionKind::CLOSE:
      w.num(F::STATUS, a.status).str(F::TEXT, a.text);
      break;
  }
}

bal::Machine* find(uint32_t handle) {
  auto& requests = state().requests;
  auto it = requests.find(handle);
  return it == requests.end() ? nullptr : it->second.get();
}

// A request that answered (or closed its session) is over: its handle goes, unless it
// streams or relays (END closes it).
void settle(uint32_t handle, const bal::Action& a) {
  if (a.ends()) state().requests.erase(handle);
}

int32_t op_open(const Reader& in) {
  State& st = state();
  const uint32_t handle = st.next_handle++;
  if (st.next_handle == 0) st.next_handle = 1;
  auto m = std::make_unique<bal::Machine>();
  const bal::Action a = m->open(st.iso, in);
  st.requests.emplace(handle, std::move(m));
  st.result.clear();
  write_action(st.result, a, handle);
  settle(handle, a);
  return BAL_OK;
}

int32_t op_feed(uint32_t handle, const Reader& in) {
  bal::Machine* m = find(handle);
  if (m == nullptr) return fail(BAL_ERR_BAD_HANDLE, "no open request has this handle");
  const bal::Action a = m->feed(state().iso, in);
  State& st = state();
  st.result.clear();
  write_action(st.result, a, 0);
  settle(handle, a);
  return BAL_OK;
}

// What the pool holds after a load or a batch of changes (`ok`: whether it took them).
int32_t pool_answer(bool ok) {
  State& st = state();
  st.result.clear();
  Writer(st.result)
      .num(F::OK, ok ? 1 : 0)
      .num(F::VERSION, static_cast<double>(st.iso.pool.version()))
      .num(F::COUNT, static_cast<double>(st.iso.pool.size()))
      .num(F::MEMBERS, static_cast<double>(st.iso.pool.members()));
  return BAL_OK;
}

// Without a BODY the snapshot is unchanged: only its freshness is.
int32_t op_pool_load(const Reader& in) {
  State& st = state();
  const auto seed = static_cast<uint64_t>(in.integer(F::SEED, 0, 0, bal::kMaxSafeInteger));
  const int64_t version = in.integer(F::VERSION, 0, 0, bal::kMaxSafeInteger);
  const bool ok = in.has(F::BODY) ? st.iso.pool.load(in.bytes(F::BODY), seed, version) : st.iso.pool_loaded_ms >= 0;
  if (ok) st.iso.pool_loaded_ms = in.integer(F::NOW, 0, 0, bal::kMaxTimeMs);
  return pool_answer(ok);
}

int32_t op_pool_apply(const Reader& in) {
  State& st = state();
  const int64_t now = in.integer(F::NOW, 0, 0, bal::kMaxTimeMs);
  const auto flags = static_cast<uint32_t>(in.integer(F::FLAGS, 0, 0, UINT32_MAX));
  // A pool never loaded has nothing the changes could start from.
  const bool ok =
      st.iso.pool_loaded_ms >= 0 &&
      st.iso.pool.update(in.bytes(F::BODY), in.integer(F::FROM, -1, -1, bal::kMaxSafeInteger),
                         in.integer(F::TO, 0, 0, bal::kMaxSafeInteger), now, (flags & bal::abi::FLAG_KEEP_UNUSED) != 0);
  if (ok) st.iso.pool_loaded_ms = now;
  return pool_answer(ok);
}

int32_t op_classify(const Reader& in) {
  const int status = static_cast<int>(in.integer(F::STATUS, 0, 0, 999));
  const int64_t now = in.integer(F::NOW, 0, 0, bal::kMaxTimeMs);
  const bal::Verdict v = bal::classify_upstream(status, in.bytes(F::BODY), now);
  // STATUS 0: the probe got no answer at all (the network, or its timeout). That says nothing
  // of the key: its own class, in the error group, and the key is left as it is.
  const bool unanswered = status == 0;
  const bal::json out = {{"outcome", unanswered ? "network_error" : bal::outcome_name(v.outcome)},
                         {"group", bal::outcome_group(v.outcome)},
                         {"dead", bal::is_dead(v.outcome)},
                         {"revive", bal::revives(v.outcome)},
                         {"action", v.action == bal::KeyAction::disable    ? "disable"
                                    : v.action == bal::KeyAction::cooldown ? "cooldown"
                                                                           : "none"},
                         {"scope", bal::cooldown_scope(in.str(F::MODEL), v.all_models)},
                         {"until_ms", v.until_ms},
                         {"message", v.message}};
  State& st = state();
  st.result.clear();
  Writer(st.result).bytes(F::BODY, bal::dump_json(out));
  return BAL_OK;
}

// The fetch that checks a key, against the upstream the configuration names. A key that
// could not travel in a header (none, or a control character in it) is refused: the pool
// only holds well-formed keys.
int32_t op_probe(const Reader& in) {
  const std::string_view key = in.str(F::KEY);
  const auto control = [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; };
  if (key.empty() || std::any_of(key.begin(), key.end(), control)) {
    return fail(BAL_ERR_BAD_INPUT, "KEY is empty or holds a control character");
  }
  State& st = state();
  const bal::Probe p = bal::key_probe(st.iso.config.upstream, key);
  st.result.clear();
  Writer(st.result)
      .str(F::URL, p.url)
      .str(F::METHOD, p.method)
      .str(F::HEADERS, p.headers)
      .bytes(F::BODY, p.body)
      .num(F::TIMEOUT_MS, static_cast<double>(bal::kProbeTimeoutMs))
      .num(F::MAX_BYTES, bal::kProbeMaxErrorBytes)
      .str(F::MODEL, bal::kProbeModel);
  return BAL_OK;
}

int32_t dispatch(uint32_t op, uint32_t handle, std::string_view in) {
  State& st = state();
  // Raw-byte operations first: their input is not a record.
  if (op == static_cast<uint32_t>(Op::CHUNK)) {
    bal::Machine* m = find(handle);
    if (m == nullptr) return fail(BAL_ERR_BAD_HANDLE, "no open request has this handle");
    st.result.clear();
    m->chunk(st.iso, in, st.result);
    return BAL_OK;
  }
  if (op == static_cast<uint32_t>(Op::TICK)) {
    bal::Machine* m = find(handle);
    if (m == nullptr) return fail(BAL_ERR_BAD_HANDLE, "no open request has this handle");
    st.result.clear();
    m->tick(st.result);
    return BAL_OK;
  }
  if (op == static_cast<uint32_t>(Op::BODY_CHUNK)) {
    bal::Machine* m = find(handle);
    if (m == nullptr) return fail(BAL_ERR_BAD_HANDLE, "no open request has this handle");
    if (!m->body_chunk(in)) return fail(BAL_ERR_BAD_STATE, "the request is not reading its body, or it is too large");
    st.result.clear();
    return BAL_OK;
  }
  if (op == static_cast<uint32_t>(Op::REDACT)) {
    st.result = bal::redact(in);
    return BAL_OK;
  }
  if (op == static_cast<uint32_t>(Op::CLOSE)) {
    st.requests.erase(handle);
    st.result.clear();
    return BAL_OK;
  }
  const Reader r(in);
  if (!r.ok()) return fail(BAL_ERR_BAD_INPUT, "the input is not a record");
  switch (static_cast<Op>(op)) {
    case Op::CONFIGURE: {
      const bal::json bindings = bal::parse_json(r.bytes(F::BODY));
      st.iso.config = bal::make_config(bindings.is_object() ? bindings : bal::json::object());
      st.result.clear();
      Writer(st.result).num(F::OK, 1);
      return BAL_OK;
    }
    case Op::OPEN:
      return op_open(r);
    case Op::FEED:
      return op_feed(handle, r);
    case Op::END: {
      bal::Machine* m = find(handle);
      if (m == nullptr) return fail(BAL_ERR_BAD_HANDLE, "no open request has this handle");
      const auto reason = static_cast<bal::abi::Reason>(r.integer(F::REASON, 0, 0, 255));
      if (m->relaying()) {
        const bal::live::ClientClose other =
            m->end_session(st.iso, reason, static_cast<int>(r.integer(F::STATUS, 1005, 0, 4999)), r.str(F::TEXT));
        st.requests.erase(handle);
        st.result.clear();
        Writer w(st.result);
        w.num(F::OK, 1).num(F::STATUS, other.code).str(F::TEXT, other.reason);
        if (!st.iso.events.empty()) w.num(F::FLAGS, bal::abi::FLAG_EVENTS_PENDING);
        return BAL_OK;
      }
      std::string out;
      std::vector<bal::Task> before;
      const bool ok = m->end(st.iso, reason, r.bytes(F::BODY), out, &before);
      st.requests.erase(handle);
      st.result.clear();
      Writer w(st.result);
      w.num(F::OK, ok ? 1 : 0).bytes(F::BODY, out);
      for (const bal::Task& t : before) write_task(w, t);
      if (!st.iso.events.empty()) w.num(F::FLAGS, bal::abi::FLAG_EVENTS_PENDING);
      return BAL_OK;
    }
    case Op::POOL_LOAD:
      return op_pool_load(r);
    case Op::POOL_APPLY:
      return op_pool_apply(r);
    case Op::EVENTS: {
      // The pool flags tell the report whether to bring the pool up to date on its way.
      const uint32_t flags = bal::machine::housekeeping(st.iso, r.integer(F::NOW, 0, 0, bal::kMaxTimeMs)) &
                             (bal::abi::FLAG_POOL_STALE | bal::abi::FLAG_POOL_NEXT);
      st.result.clear();
      Writer w(st.result);
      if (!st.iso.events.empty()) w.bytes(F::BODY, st.iso.events.drain());
      w.num(F::FLAGS, flags);
      return BAL_OK;
    }
    case Op::CLASSIFY:
      return op_classify(r);
    case Op::PROBE:
      return op_probe(r);
    case Op::OPEN_COUNT:
      st.result.clear();
      Writer(st.result).num(F::COUNT, static_cast<double>(st.requests.size()));
      return BAL_OK;
    case Op::CHUNK:
    case Op::BODY_CHUNK:
    case Op::TICK:
    case Op::CLOSE:
    case Op::REDACT:
      break;
  }
  return fail(BAL_ERR_UNKNOWN_OP, "unknown operation");
}

// The ABI's tables (balancer.h) as data: one row per entry, written by one loop.
struct Entry {
  const char* kind;
  const char* name;
  int id;
  const char* type;
};

constexpr Entry kEntries[] = {
#define X_OP(name, id) {"op", #name, id, nullptr},
    BAL_OPS(X_OP)
#undef X_OP
#define X_FIELD(name, id, type) {"field", #name, id, #type},
        BAL_FIELDS(X_FIELD)
#undef X_FIELD
#define X_ACTION(name, id) {"action", #name, id, nullptr},
            BAL_ACTIONS(X_ACTION)
#undef X_ACTION
#define X_TASK(name, id) {"task", #name, id, nullptr},
                BAL_TASKS(X_TASK)
#undef X_TASK
#define X_EVENT(name, id) {"event", #name, id, nullptr},
                    BAL_EVENTS(X_EVENT)
#undef X_EVENT
#define X_FLAG(name, bit) {"flag", #name, bit, nullptr},
                        BAL_FLAGS(X_FLAG)
#undef X_FLAG
#define X_REASON(name, id) {"reason", #name, id, nullptr},
                            BAL_REASONS(X_REASON)
#undef X_REASON
#define X_HEADER(name) {"header", name, -1, nullptr},
                                BAL_REQUEST_HEADERS(X_HEADER)
#undef X_HEADER
#define X_UPSTREAM(name) {"upstream_header", name, -1, nullptr},
                                    BAL_UPSTREAM_HEADERS(X_UPSTREAM)
#undef X_UPSTREAM
};

std::string describe() {
  std::string out = "abi " + std::to_string(BAL_ABI_VERSION) + "\n";
  for (const Entry& e : kEntries) {
    out += e.kind;
    out += ' ';
    out += e.name;
    if (e.id >= 0) {
      out += ' ';
      out += std::to_string(e.id);
    }
    if (e.type != nullptr) {
      out += ' ';
      out += e.type;
    }
    out += '\n';
  }
  struct Policy {
    const char* name;
    long long value;
  };
  static constexpr Policy kPolicies[] = {
#define X_POLICY(name, value) {#name, value},
      BAL_POLICIES(X_POLICY)
#undef X_POLICY
  };
  for (const Policy& p : kPolicies) {
    out += "policy ";
    out += p.name;
    out += ' ';
    out += std::to_string(p.value);
    out += '\n';
  }
  for (std::string_view name : bal::kConfigNames) {
    out += "config ";
    out += name;
    out += '\n';
  }
  return out;
}

}  // namespace

extern "C" {

uint32_t bal_abi_version(void) {
  return BAL_ABI_VERSION;
}

void* bal_alloc(uint32_t size) {
  return std::malloc(size == 0 ? 1 : size);
}

void bal_free(void* ptr) {
  std::free(ptr);
}

int32_t bal_call(uint32_t op, uint32_t handle, const uint8_t* in, uint32_t len) {
  const std::string_view input(reinterpret_cast<const char*>(in), in == nullptr ? 0 : len);
  return dispatch(op, handle, input);
}

const uint8_t* bal_result_data(void) {
  return reinterpret_cast<const uint8_t*>(state().result.data());
}

uint32_t bal_result_size(void) {
  return static_cast<uint32_t>(state().result.size());
}

void bal_describe(void) {
  state().result = describe();
}

}  // extern "C"
