// Admin requests in the machine: the admin route's plan (router_admin.cpp) becomes calls to
// the key pool object (CALL tasks) and their results become the answer. The admin API is an
// edge where a JSON DOM fits: plans and results are nlohmann values.
#include "../router_internal.h"
#include "balancer/json.h"
#include "internal.h"

namespace bal::machine {
namespace {

using State = Machine::State;

// A key check runs in steps, each one key pool call (a subrequest of this request): stay
// well inside the free plan's 50; the object's alarm carries a large check on after this.
constexpr int kCheckMaxSteps = 40;
constexpr int64_t kCheckBudgetMs = 20 * 1000;
constexpr size_t kMaxRejectedShown = 200;

Reply json_reply(int status, const json& body) {
  Reply r;
  r.status = status;
  r.body = dump_json(body);
  return r;
}

Reply plan_reply(const Plan& p) {
  Reply r;
  r.status = static_cast<int>(get_int(p.header, "status", 200, 100, 599));
  r.content_type.clear();
  if (const json* headers = get_field(p.header, "headers"); headers != nullptr && headers->is_object()) {
    for (const auto& [name, value] : headers->items()) {
      if (!value.is_string()) continue;
      if (name == "content-type") {
        r.content_type = value.get<std::string>();
      } else {
        r.headers.emplace_back(name, value.get<std::string>());
      }
    }
  }
  r.body = p.payload;
  return r;
}

Action call(const Isolate& iso, const State& s, std::string_view name, const json& args) {
  return store_call(iso, s, name, dump_json(args));
}

// Reloads this isolate's pool after a change, then answers.
Action refresh_then(const Isolate& iso, State& s, json result) {
  s.admin_result = dump_json(result);
  s.admin.header["op"] = "refreshed";
  Action a;
  a.kind = abi::ActionKind::TASKS;
  a.flags = housekeeping(iso, s.now_ms);
  Task t;
  t.kind = abi::TaskKind::POOL;
  t.slot = kAdminSlot;
  t.flags = abi::FLAG_POOL_STALE;
  a.tasks.push_back(std::move(t));
  return a;
}

int64_t count_of(const json& j, std::string_view name, int64_t fallback = 0) {
  return get_int(j, name, fallback, 0, kMaxSafeInteger);
}

// An operation's answer, with the headers its plan asks for (a session cookie).
Action answer(Isolate& iso, State& s, int status, const json& body) {
  Reply r = json_reply(status, body);
  if (const json* extra = get_field(s.admin.header, "response_headers"); extra != nullptr && extra->is_object()) {
    for (const auto& [name, value] : extra->items()) {
      if (value.is_string()) r.headers.emplace_back(name, value.get<std::string>());
    }
  }
  return respond(iso, s, std::move(r));
}

// Runs the plan's operation (its session, if it names one, is live).
Action run_op(Isolate& iso, State& s) {
  const json& h = s.admin.header;
  const std::string_view op = get_string(h, "op");
  if (op == "keys.list") {
    return call(iso, s, "listKeys",
                json::array({{{"offset", count_of(h, "offset", 0)},
                              {"limit", count_of(h, "limit", 100)},
                              {"status", h.value("status", "all")},
                              {"q", h.value("q", "")},
                              {"sort", h.value("sort", "id")},
                              {"order", h.value("order", "asc")}}}));
  }
  if (op == "keys.add") return call(iso, s, "addKeys", json::array({h["keys"], h["masked"]}));
  if (op == "keys.delete") return call(iso, s, "deleteKeys", json::array({h["ids"], h["keys"]}));
  if (op == "keys.enable" || op == "keys.disable") {
    return call(iso, s, "setDisabled", json::array({h["ids"], op == "keys.disable"}));
  }
  if (op == "keys.check") return call(iso, s, "startCheck", json::array({h.value("ids", json())}));
  if (op == "keys.check_status") return call(iso, s, "checkStatus", json::array());
  if (op == "stats") {
    return call(iso, s, "stats",
                json::array({{{"hours", count_of(h, "hours", 24)},
                              {"keyId", count_of(h, "key_id") > 0 ? json(count_of(h, "key_id")) : json()},
                              {"dayStartMs", count_of(h, "day_start_ms", 0)}}}));
  }
  if (op == "session.create") {
    return call(iso, s, "createSession", json::array({h.value("new_session", ""), count_of(h, "expires_ms", 0)}));
  }
  if (op == "session.end") return call(iso, s, "endSession", json::array({h.value("end_session", "")}));
  if (op == "session.status") return answer(iso, s, 200, {{"ok", true}});
  return answer(iso, s, 404, {{"error", {{"message", "Unknown admin operation."}, {"code", "not_found"}}}});
}

}  // namespace

Action admin_start(Isolate& iso, State& s) {
  if (s.body_read) {
    Request r;
    r.method = s.method;
    r.path = s.path;
    r.query = s.query;
    r.headers = s.headers;
    r.body = s.body;
    r.body_included = true;
    r.now_ms = s.now_ms;
    r.secure = s.secure;
    r.url_origin = s.origin;
    r.nonce = s.nonce;
    s.admin = detail::route_admin(iso.config, r, s.path, iso.router);
  } else {
    s.admin = std::move(s.route.admin);
  }
  const std::string_view action = get_string(s.admin.header, "action");
  if (action == "need_body" && !s.body_read) {
    s.phase = Phase::reading_body;
    Action a;
    a.kind = abi::ActionKind::READ_BODY;
    a.max_bytes = static_cast<uint64_t>(get_int(s.admin.header, "max_bytes", 0, 0, kMaxSafeInteger));
    a.timeout_ms = s.route.body_timeout_ms;
    a.flags = housekeeping(iso, s.now_ms) | abi::FLAG_INSPECT;
    s.body_inspect = true;
    s.body_limit = a.max_bytes;
    return a;
  }
  if (action != "admin") return respond(iso, s, plan_reply(s.admin));
  s.phase = Phase::running;
  s.admin_started_ms = s.now_ms;
  // The core checked the cookie's signature; whether its session is still live (not logged
  // out) only the key pool knows.
  if (const std::string_view session = get_string(s.admin.header, "session"); !session.empty()) {
    return call(iso, s, "sessionLive", json::array({session}));
  }
  s.session_checked = true;
  return run_op(iso, s);
}

Action admin_called(Isolate& iso, State& s, bool ok, std::string_view result) {
  if (!ok) {
    return respond(
        iso, s,
        json_reply(
            503,
            {{"error", {{"message", "The key pool could not be reached; try again."}, {"code", "pool_unavailable"}}}}));
  }
  const json r = parse_json(result);
  if (!s.session_checked) {
    if (!r.is_boolean() || !r.get<bool>()) {
      return respond(iso, s,
                     json_reply(401, {{"error",
                                       {{"message", "This session has ended: log in again."}, {"code", "unauthorized"}}}}));
    }
    s.session_checked = true;
    return run_op(iso, s);
  }
  const json& h = s.admin.header;
  const std::string_view op = get_string(h, "op");
  if (op == "session.create") {
    return answer(iso, s, 200, {{"ok", true}, {"expires_ms", count_of(h, "expires_ms", 0)}});
  }
  if (op == "session.end") return answer(iso, s, 200, {{"ok", true}});
  if (op == "refreshed") {
    const json done = parse_json(s.admin_result);
    const bool running = get_bool(done, "running");
    return respond(iso, s, json_reply(running ? 202 : 200, done));
  }
  if (op == "keys.list") {
    return respond(iso, s,
                   json_reply(200, {{"keys", r.is_object() ? r.value("keys", json::array()) : json::array()},
                                    {"total", count_of(r, "total")},
                                    {"page", count_of(h, "page", 1)},
                                    {"limit", count_of(h, "limit", 100)},
                                    {"counts", r.is_object() ? r.value("counts", json::object()) : json::object()}}));
  }
  if (op == "keys.add") {
    json rejected = h.value("rejected", json::array());
    json shown = json::array();
    for (size_t i = 0; i < rejected.size() && i < kMaxRejectedShown; ++i) shown.push_back(rejected[i]);
    const json out = {{"added", count_of(r, "added")},
                      {"duplicates", count_of(h, "duplicates") + count_of(r, "existing")},
                      {"rejected", rejected.size()},
                      {"rejected_items", std::move(shown)},
                      {"total", count_of(r, "total")}};
    if (count_of(r, "added") > 0) return refresh_then(iso, s, out);
    return respond(iso, s, json_reply(200, out));
  }
  if (op == "keys.delete") {
    if (count_of(r, "deleted") > 0) return refresh_then(iso, s, r);
    return respond(iso, s, json_reply(200, r));
  }
  if (op == "keys.enable" || op == "keys.disable") return refresh_then(iso, s, r);
  if (op == "keys.check") {
    ++s.admin_steps;
    if (get_bool(r, "running") && s.admin_steps <= kCheckMaxSteps && s.now_ms - s.admin_started_ms < kCheckBudgetMs) {
      return call(iso, s, "checkStep", json::array());
    }
    return refresh_then(iso, s, r);
  }
  return respond(iso, s, json_reply(200, r));
}

}  // namespace bal::machine
