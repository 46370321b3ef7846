// The Responses API's store in the machine: stored responses are read before a request is
// translated (previous_response_id, item references), saved before the client sees the
// answer complete, and read or deleted by GET and DELETE /v1/responses/{id}. Each is one call
// to the key pool object, scoped to the client's own digest (Route::owner).
#include "balancer/jsonout.h"
#include "internal.h"

namespace bal::machine {
namespace {

using State = Machine::State;

// ["<owner>", <more>] as the JSON arguments of a store call.
std::string args(const State& s, std::string_view more_json) {
  std::string out;
  {
    JsonOut w(out);
    w.begin_array().string(s.route.owner).raw(more_json).end_array();
  }
  return out;
}

std::string json_string(std::string_view text) {
  std::string out;
  raw::append_string(out, text);
  return out;
}

Reply unavailable() {
  return error_reply(ErrorFormat::openai,
                     api_error(503, "The response store could not be reached; try again.", "store_unavailable"));
}

Task save_task(const State& s, const responses::StoreWrite& w) {
  std::string meta;
  {
    JsonOut o(meta);
    o.begin_object().key("id").string(w.id).key("previous_id").string(w.previous_id);
    o.key("created_ms").number(w.created_ms).end_object();
  }
  Task t;
  t.kind = abi::TaskKind::CALL;
  t.slot = kAdminSlot;
  t.name = "responsePut";
  t.args = args(s, meta);
  t.body = w.body;
  return t;
}

}  // namespace

Action store_call(const Isolate& iso, const State& s, std::string_view name, std::string call_args, std::string body) {
  Action a;
  a.kind = abi::ActionKind::TASKS;
  a.flags = housekeeping(iso, s.now_ms);
  Task t;
  t.kind = abi::TaskKind::CALL;
  t.slot = kAdminSlot;
  t.name = std::string(name);
  t.args = std::move(call_args);
  t.body = std::move(body);
  a.tasks.push_back(std::move(t));
  return a;
}

std::optional<Action> responses_start(Isolate& iso, State& s) {
  const Api api = s.route.api;
  if (api == Api::responses_get || api == Api::responses_input_items || api == Api::responses_delete) {
    if (!responses::valid_response_id(s.route.path)) {
      return respond(iso, s, responses::response_not_found(s.route.path));
    }
    const bool deletes = api == Api::responses_delete;
    s.store = deletes ? State::Store::deleting : State::Store::reading;
    return store_call(iso, s, deletes ? "responseDelete" : "responseGet", args(s, json_string(s.route.path)));
  }
  if (!translated_by_responses(api)) return std::nullopt;
  const std::vector<std::string> ids = responses::ids_to_load(s.body);
  if (ids.empty()) return std::nullopt;
  std::string list;
  {
    JsonOut w(list);
    w.begin_array();
    for (const std::string& id : ids) w.string(id);
    w.end_array();
  }
  s.store = State::Store::loading;
  return store_call(iso, s, "responseLoad", args(s, list));
}

Action responses_called(Isolate& iso, State& s, bool ok, std::string_view result, std::string_view bytes) {
  const State::Store step = s.store;
  s.store = State::Store::none;
  if (step == State::Store::saving) {
    // The answer goes out whether or not its record could be saved: continuing from it
    // later is what fails, with a clear "not found".
    Action a = respond(iso, s, std::move(s.held));
    if (!ok) a.log = "openai.responses: a stored response could not be saved";
    return a;
  }
  if (!ok) return respond(iso, s, unavailable());
  if (step == State::Store::deleting)
    return respond(iso, s, responses::delete_response(s.route.path, result == "true"));
  s.stored = std::make_unique<responses::Stored>();
  const std::string_view text = bytes.data() != nullptr ? bytes : result;
  if (!s.stored->parse(std::string(text))) {
    return respond(
        iso, s,
        error_reply(ErrorFormat::openai, api_error(500, "The response store answered nonsense.", "store_broken")));
  }
  if (step == State::Store::reading) {
    return respond(iso, s,
                   s.route.api == Api::responses_input_items
                       ? responses::list_input_items(s.route.path, s.stored.get(), s.route.query)
                       : responses::retrieve_response(s.route.path, s.stored.get(), s.route.query));
  }
  return translate_and_run(iso, s);
}

std::optional<Action> responses_hold(Isolate& iso, State& s, Reply& reply) {
  if (s.route.api != Api::responses_create || reply.status != 200) return std::nullopt;
  const auto w = responses::responses_exchange(*s.tr.exchange).to_store();
  if (!w) return std::nullopt;
  s.held = std::move(reply);
  s.store = State::Store::saving;
  Action a;
  a.kind = abi::ActionKind::TASKS;
  a.flags = housekeeping(iso, s.now_ms);
  a.tasks.push_back(save_task(s, *w));
  return a;
}

std::optional<Task> responses_stream_save(State& s) {
  if (s.route.api != Api::responses_create) return std::nullopt;
  const auto w = responses::responses_exchange(*s.tr.exchange).to_store();
  if (!w) return std::nullopt;
  return save_task(s, *w);
}

}  // namespace bal::machine
