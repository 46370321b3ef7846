// The C ABI (cpp/abi/balancer.h) over the core: decodes framed messages, dispatches, and
// keeps the per-instance state (configuration, pool snapshot, open streams).
#include "balancer.h"

#include <cstdlib>
#include <memory>
#include <string>
#include <unordered_map>

#include "balancer/classify.h"
#include "balancer/events.h"
#include "balancer/frame.h"
#include "balancer/keys.h"
#include "balancer/media_abi.h"
#include "balancer/openai.h"
#include "balancer/plan.h"
#include "balancer/pool.h"
#include "balancer/redact.h"
#include "balancer/router.h"
#include "balancer/usage.h"

namespace {

using bal::json;

struct State {
  bal::Config config;
  bal::RouterState router;
  bal::Pool pool;
  std::string result;
  std::unordered_map<uint32_t, std::unique_ptr<bal::openai::StreamTranslator>> streams;
  uint32_t next_handle = 1;
};

State& state() {
  static State s;
  return s;
}

int64_t now_of(const json& h) { return bal::get_int(h, "now_ms", 0, -bal::kMaxTimeMs, bal::kMaxTimeMs); }

// Statuses and attempt counts: small numbers, kept small so that adding to them cannot overflow.
int small_int_of(const json& h, std::string_view key, int fallback) {
  return static_cast<int>(bal::get_int(h, key, fallback, -1'000'000, 1'000'000));
}

void reply(const json& header, std::string_view payload = {}) { bal::encode_frame(header, payload, state().result); }

void reply_plan(const bal::Plan& p) { reply(p.header, p.payload); }

const char* action_name(bal::KeyAction a) {
  switch (a) {
    case bal::KeyAction::cooldown:
      return "cooldown";
    case bal::KeyAction::disable:
      return "disable";
    case bal::KeyAction::none:
      break;
  }
  return "none";
}

json pool_status_json(const bal::PoolStatus& s, int64_t now_ms) {
  json out = {{"total", s.total}, {"active", s.active}, {"cooling", s.cooling}, {"disabled", s.disabled}};
  out["retry_after_ms"] = s.earliest_until_ms > now_ms ? s.earliest_until_ms - now_ms : 0;
  return out;
}

void op_select(const json& h) {
  State& st = state();
  std::vector<int64_t> exclude;
  if (const json* ex = bal::get_field(h, "exclude"); ex != nullptr && ex->is_array()) {
    for (const json& id : *ex) {
      if (id.is_number_integer()) exclude.push_back(id.get<int64_t>());
    }
  }
  const std::string model(bal::get_string(h, "model"));
  const int64_t now = now_of(h);
  std::optional<int64_t> prefer;
  if (auto p = bal::get_number(h, "prefer")) prefer = static_cast<int64_t>(*p);
  if (auto i = st.pool.select(model, now, exclude, prefer)) {
    const bal::PoolKey& k = st.pool.at(*i);
    reply({{"id", k.id}, {"key", k.key}});
    return;
  }
  reply({{"id", nullptr}, {"pool", pool_status_json(st.pool.status(model, now), now)}});
}

void op_classify(const json& h, std::string_view body) {
  const int status = small_int_of(h, "status", 0);
  const int64_t now = now_of(h);
  const bal::Verdict v = bal::classify_upstream(status, body, now);
  if (bal::get_number(h, "key_id")) {
    state().pool.apply(bal::get_int(h, "key_id", 0), v.action, bal::get_string(h, "model"), v.all_models, v.until_ms,
                       now);
  }
  bal::AttemptState attempt;
  attempt.attempts = small_int_of(h, "attempts", 1);
  attempt.max_attempts = small_int_of(h, "max_attempts", 1);
  attempt.server_failures = small_int_of(h, "server_failures", 0) + (v.backoff ? 1 : 0);
  attempt.elapsed_ms = bal::get_int(h, "elapsed_ms", 0, -bal::kMaxTimeMs, bal::kMaxTimeMs);
  const bal::NextStep step = bal::next_step(v, attempt);
  reply({{"outcome", bal::outcome_name(v.outcome)},
         {"dead", bal::is_dead(v.outcome)},
         {"retry", step.retry},
         {"delay_ms", step.delay_ms},
         {"server_failures", attempt.server_failures},
         {"backoff", v.backoff},
         {"action", action_name(v.action)},
         {"all_models", v.all_models},
         {"until_ms", v.until_ms},
         {"retry_after_ms", v.retry_after_ms},
         {"status_text", v.status_text},
         {"message", v.message}});
}

void op_parse_keys(std::string_view body) {
  const bal::KeyList list = bal::parse_key_list(body);
  json masked = json::array();
  for (const std::string& k : list.keys) masked.push_back(bal::mask_key(k));
  reply({{"keys", list.keys},
         {"masked", masked},
         {"duplicates", list.duplicates},
         {"rejected", list.rejected},
         {"too_many", list.too_many},
         {"bad_json", list.bad_json}});
}

void op_mask(const json& h) {
  json masked = json::array();
  if (const json* keys = bal::get_field(h, "keys"); keys != nullptr && keys->is_array()) {
    for (const json& k : *keys) masked.push_back(k.is_string() ? bal::mask_key(k.get_ref<const std::string&>()) : "");
  }
  reply({{"masked", masked}});
}

void op_pool_event(const json& h) {
  const std::string_view action = bal::get_string(h, "action");
  const bal::KeyAction a = action == "disable"    ? bal::KeyAction::disable
                           : action == "cooldown" ? bal::KeyAction::cooldown
                                                  : bal::KeyAction::none;
  state().pool.apply(bal::get_int(h, "id", 0), a, bal::get_string(h, "model"), bal::get_bool(h, "all_models"),
                     bal::get_int(h, "until_ms", 0, -bal::kMaxTimeMs, bal::kMaxTimeMs), now_of(h));
  reply(json::object());
}

// Sends a request that names a file, a cached content or a thought signature to the key
// that made it. A native body is needed for that only while such things are known.
bal::Plan with_affinity(bal::Plan plan, const bal::Message& m) {
  State& st = state();
  if (st.pool.affinity().empty() || bal::get_string(plan.header, "action") != "upstream") return plan;
  const bool forwarded = bal::get_bool(plan.header, "forward_body");
  if (forwarded && !bal::get_bool(m.header, "body_included")) {
    bal::Plan again;
    again.header = {{"action", "need_body"}, {"max_bytes", plan.header.value("max_bytes", st.config.max_body_bytes)}};
    return again;
  }
  const std::string_view body = forwarded ? m.payload : std::string_view(plan.payload);
  if (auto id = st.pool.affinity().key_for(bal::get_string(plan.header, "path"), body)) plan.header["prefer_key"] = *id;
  return plan;
}

void op_learn(const json& h, std::string_view answer) {
  std::vector<std::string> created;
  const auto id = bal::get_number(h, "key_id");
  if (id) state().pool.affinity().learn(answer, static_cast<int64_t>(*id), &created);
  reply({{"created", created}});
}

int32_t dispatch(uint32_t op, const bal::Message& m) {
  State& st = state();
  switch (op) {
    case BAL_OP_CONFIGURE:
      st.config = bal::make_config(m.header);
      reply({{"admin_set", !st.config.admin_tokens.empty()}, {"clients_set", !st.config.client_tokens.empty()}});
      return BAL_OK;
    case BAL_OP_ROUTE:
      reply_plan(with_affinity(bal::route(st.config, bal::make_request(m.header, m.payload), st.router), m));
      return BAL_OK;
    case BAL_OP_POOL_LOAD: {
      const auto seed = static_cast<uint64_t>(bal::get_int(m.header, "seed", 0));
      const bool ok = st.pool.load(m.payload, seed);
      reply({{"ok", ok}, {"count", st.pool.size()}});
      return BAL_OK;
    }
    case BAL_OP_SELECT:
      op_select(m.header);
      return BAL_OK;
    case BAL_OP_CLASSIFY:
      op_classify(m.header, m.payload);
      return BAL_OK;
    case BAL_OP_PARSE_KEYS:
      op_parse_keys(m.payload);
      return BAL_OK;
    case BAL_OP_MASK:
      op_mask(m.header);
      return BAL_OK;
    case BAL_OP_REDACT:
      reply(json::object(), bal::redact(m.payload));
      return BAL_OK;
    case BAL_OP_TRANSLATE:
      reply_plan(bal::openai::translate_response(m.header, m.payload));
      return BAL_OK;
    case BAL_OP_POOL_EVENT:
      op_pool_event(m.header);
      return BAL_OK;
    case BAL_OP_POOL_STATUS: {
      const int64_t now = now_of(m.header);
      reply(pool_status_json(st.pool.status(bal::get_string(m.header, "model"), now), now));
      return BAL_OK;
    }
    case BAL_OP_ERROR: {
      const std::string_view f = bal::get_string(m.header, "family");
      const bal::Family family = f == "openai" ? bal::Family::openai
                                 : f == "gemini" ? bal::Family::gemini
                                                 : bal::Family::admin;
      const int status = small_int_of(m.header, "status", 500);
      reply_plan(bal::error_plan(family, status, bal::get_string(m.header, "message"), bal::get_string(m.header, "code")));
      return BAL_OK;
    }
    case BAL_OP_MEDIA:
      reply_plan(bal::media::run_abi_op(m.header, m.payload));
      return BAL_OK;
    case BAL_OP_MERGE_EVENTS:
      reply(json::object(), bal::dump_json(bal::merge_events(bal::parse_json(m.payload))));
      return BAL_OK;
    case BAL_OP_LEARN:
      op_learn(m.header, m.payload);
      return BAL_OK;
    case BAL_OP_USAGE: {
      const auto u = bal::usage_from_tail(m.payload);
      json out = u ? json{{"found", true},
                          {"prompt_tokens", u->prompt_tokens},
                          {"completion_tokens", u->completion_tokens},
                          {"cached_tokens", u->cached_tokens},
                          {"reasoning_tokens", u->thoughts_tokens}}
                   : json{{"found", false}};
      out["complete"] = bal::answer_complete(m.payload, bal::get_bool(m.header, "sse"));
      reply(out);
      return BAL_OK;
    }
    default:
      return BAL_ERR_UNKNOWN_OP;
  }
}

int32_t fail(int32_t code, const char* message) {
  reply({{"error", message}});
  return code;
}

}  // namespace

extern "C" {

uint32_t bal_abi_version(void) { return BAL_ABI_VERSION; }

void* bal_alloc(uint32_t size) { return std::malloc(size == 0 ? 1 : size); }

void bal_free(void* ptr) { std::free(ptr); }

int32_t bal_call(uint32_t op, const uint8_t* in, uint32_t len) {
  bal::Message m;
  if (!bal::decode_frame(in, len, m)) return fail(BAL_ERR_BAD_FRAME, "malformed frame or header");
  const int32_t rc = dispatch(op, m);
  if (rc == BAL_ERR_UNKNOWN_OP) return fail(rc, "unknown operation");
  return rc;
}

const uint8_t* bal_result_data(void) { return reinterpret_cast<const uint8_t*>(state().result.data()); }

uint32_t bal_result_size(void) { return static_cast<uint32_t>(state().result.size()); }

uint32_t bal_stream_open(const uint8_t* in, uint32_t len) {
  bal::Message m;
  if (!bal::decode_frame(in, len, m)) return 0;
  auto t = bal::openai::open_stream(m.header);
  if (!t) return 0;
  State& st = state();
  const uint32_t handle = st.next_handle++;
  if (st.next_handle == 0) st.next_handle = 1;
  st.streams.emplace(handle, std::move(t));
  return handle;
}

int32_t bal_stream_push(uint32_t handle, const uint8_t* chunk, uint32_t len) {
  State& st = state();
  auto it = st.streams.find(handle);
  if (it == st.streams.end()) return fail(BAL_ERR_BAD_HANDLE, "unknown stream handle");
  std::string out;
  it->second->push(std::string_view(reinterpret_cast<const char*>(chunk), chunk == nullptr ? 0 : len), out);
  reply(json::object(), out);
  return BAL_OK;
}

int32_t bal_stream_finish(uint32_t handle) {
  State& st = state();
  auto it = st.streams.find(handle);
  if (it == st.streams.end()) return fail(BAL_ERR_BAD_HANDLE, "unknown stream handle");
  std::string out;
  it->second->finish(out);
  reply(it->second->summary(), out);
  return BAL_OK;
}

void bal_stream_close(uint32_t handle) { state().streams.erase(handle); }

uint32_t bal_stream_count(void) { return static_cast<uint32_t>(state().streams.size()); }

}  // extern "C"
