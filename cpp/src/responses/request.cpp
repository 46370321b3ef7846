// POST /v1/responses → one Gemini generateContent / streamGenerateContent call.
//
// The body is read once with rawjson and the Gemini body written in the same pass: texts and
// base64 data are copied as the client escaped them. Fields that do not change Gemini's
// answer (prompt_cache_key, client_metadata, safety_identifier, service_tier, truncation,
// stream_options, item ids ...) are accepted; the ones the response object repeats are
// echoed there. Unknown fields are dropped, as for chat: Gemini answers 400 to any field it
// does not know.
#include "balancer/model_map.h"
#include "request_internal.h"

namespace bal::responses::detail {
namespace {

struct NumberField {
  std::string_view openai;
  std::string_view gemini;
  bool integer;
  double min;
  double max;
  std::string Options::*echo;
};

constexpr double kInt32Max = 2147483647.0;

// Read top to bottom: Responses name, Gemini name, integer?, accepted range, echoed as.
constexpr NumberField kNumberFields[] = {
    {"temperature", "temperature", false, 0, 2, &Options::temperature},
    {"top_p", "topP", false, 0, 1, &Options::top_p},
    {"max_output_tokens", "maxOutputTokens", true, 1, kInt32Max, &Options::max_output_tokens},
};

struct Echo {
  std::string_view field;
  raw::kind type;
  std::string Options::*into;
};

// Fields repeated in the response object as the client sent them (type-checked).
constexpr Echo kEchoes[] = {
    {"instructions", raw::kind::string, &Options::instructions},
    {"metadata", raw::kind::object, &Options::metadata},
    {"user", raw::kind::string, &Options::user},
    {"parallel_tool_calls", raw::kind::boolean, &Options::parallel_tool_calls},
    {"truncation", raw::kind::string, &Options::truncation},
    {"prompt_cache_key", raw::kind::string, &Options::prompt_cache_key},
    {"safety_identifier", raw::kind::string, &Options::safety_identifier},
    {"tools", raw::kind::array, &Options::tools},
    {"text", raw::kind::object, &Options::text},
};

// Features of the Responses API that need state or services this server does not have.
constexpr std::string_view kUnsupported[] = {"conversation", "prompt"};

constexpr std::string_view kSummaries[] = {"auto", "concise", "detailed"};

const char* kind_name(raw::kind k) {
  switch (k) {
    case raw::kind::string:
      return "a string";
    case raw::kind::object:
      return "an object";
    case raw::kind::boolean:
      return "a boolean";
    case raw::kind::array:
      return "an array";
    default:
      return "a number";
  }
}

bool read_model(raw::value root, const RequestInfo& info, RequestState& st) {
  const raw::value model = present(root.get("model"));
  if (!model.exists())
    return st.err.fail("Missing required parameter: 'model'.", "model", "missing_required_parameter");
  if (!model.is_string()) return st.err.fail("model must be a string.", "model", "invalid_type");
  const std::string client = model.str();
  const std::string mapped = info.models != nullptr ? info.models->map(client) : client;
  if (!gemini::gemini_model_id(mapped, st.model)) {
    return st.err.fail("The model '" + client + "' is not a valid Gemini model id.", "model", "invalid_value");
  }
  st.o.model = std::string(model.raw());
  st.traits = gemini::model_traits(st.model);
  return true;
}

bool read_flags(raw::value root, RequestState& st, Endpoint endpoint) {
  for (std::string_view name :
       {std::string_view("stream"), std::string_view("store"), std::string_view("background")}) {
    const raw::value v = present(root.get(name));
    if (v.exists() && !v.is_bool()) {
      return st.err.fail(std::string(name) + " must be a boolean.", std::string(name), "invalid_type");
    }
  }
  st.o.stream = present(root.get("stream")).as_bool().value_or(false);
  st.o.store = present(root.get("store")).as_bool().value_or(true);
  // POST /v1/responses/compact and /input_tokens answer whole and keep nothing.
  if (endpoint != Endpoint::create) {
    st.o.stream = false;
    st.o.store = false;
  }
  if (endpoint == Endpoint::compact) {
    st.o.compact = true;
    st.o.compact_endpoint = true;
  }
  st.o.count_endpoint = endpoint == Endpoint::input_tokens;
  if (present(root.get("background")).as_bool().value_or(false)) {
    return st.err.fail("background responses are not supported: leave background unset.", "background",
                       "unsupported_value");
  }
  for (std::string_view name : kUnsupported) {
    if (present(root.get(name)).exists()) {
      return st.err.fail(std::string(name) + " is not supported by this server.", std::string(name),
                         "unsupported_parameter");
    }
  }
  const raw::value include = present(root.get("include"));
  if (include.exists() && !include.is_array()) {
    return st.err.fail("include must be an array of strings.", "include", "invalid_type");
  }
  for (raw::value v : include.items()) {
    if (!v.is_string()) return st.err.fail("include must be an array of strings.", "include", "invalid_type");
    if (v.equals("reasoning.encrypted_content")) st.o.include_encrypted = true;
  }
  for (const Echo& e : kEchoes) {
    const raw::value v = present(root.get(e.field));
    if (!v.exists()) continue;
    if (v.type() != e.type) {
      return st.err.fail(std::string(e.field) + " must be " + kind_name(e.type) + ".", std::string(e.field),
                         "invalid_type");
    }
    st.o.*e.into = std::string(v.raw_json());
  }
  return true;
}

bool write_numbers(raw::value root, RequestState& st, JsonOut& out) {
  for (const NumberField& f : kNumberFields) {
    const raw::value v = present(root.get(f.openai));
    if (!v.exists()) continue;
    if (!gemini::write_number(out, f.gemini, v, {f.integer, f.min, f.max}, st.err, Path(f.openai))) return false;
    st.o.*f.echo = std::string(v.raw());
  }
  return true;
}

bool write_format(raw::value root, RequestState& st, JsonOut& out) {
  const raw::value format = present(present(root.get("text")).get("format"));
  if (!format.exists()) return true;
  const raw::value type = format.get("type");
  if (!format.is_object() || !type.is_string()) {
    return st.err.fail("text.format must be an object with a type.", "text.format", "invalid_type");
  }
  if (type.equals("text")) return true;
  if (type.equals("json_object")) {
    out.key("responseMimeType").string("application/json");
    return true;
  }
  if (!type.equals("json_schema")) {
    return st.err.fail("text.format.type must be text, json_object or json_schema.", "text.format.type",
                       "unsupported_value");
  }
  const raw::value schema = present(format.get("schema"));
  if (!schema.is_object()) {
    return st.err.fail("text.format.schema must be a JSON Schema object.", "text.format.schema", "invalid_type");
  }
  gemini::write_response_schema(out, schema);
  return true;
}

bool write_reasoning(raw::value root, RequestState& st, JsonOut& out) {
  const raw::value reasoning = present(root.get("reasoning"));
  if (!reasoning.exists()) return true;
  if (!reasoning.is_object()) return st.err.fail("reasoning must be an object.", "reasoning", "invalid_type");
  const raw::value effort = present(reasoning.get("effort"));
  raw::value summary = present(reasoning.get("summary"));
  if (!summary.exists()) summary = present(reasoning.get("generate_summary"));
  gemini::ThinkingConfig t;
  if (effort.exists()) {
    gemini::Effort e;
    if (!gemini::effort_named(effort, e)) {
      return st.err.fail("reasoning.effort must be one of none, minimal, low, medium, high, xhigh, max, ultra.", "reasoning.effort",
                         "invalid_value");
    }
    t = gemini::thinking_for_effort(st.traits, e);
  }
  bool wants_summary = false;
  if (summary.exists()) {
    for (std::string_view s : kSummaries) wants_summary = wants_summary || summary.equals(s);
    if (!wants_summary) {
      return st.err.fail("reasoning.summary must be auto, concise or detailed.", "reasoning.summary", "invalid_value");
    }
  }
  // Thoughts are shown only as a summary, and only when one is asked for.
  t.include.reset();
  if (wants_summary && st.traits.thinking != gemini::Thinking::none) t.include = true;
  st.o.include_thoughts = t.include.value_or(false);
  gemini::write_thinking_config(std::move(t), st.traits, out);
  std::string echo = "{\"effort\":";
  echo += effort.exists() ? effort.raw_json() : std::string_view("null");
  echo += ",\"summary\":";
  echo += summary.exists() ? summary.raw_json() : std::string_view("null");
  echo += '}';
  st.o.reasoning = std::move(echo);
  return true;
}

bool write_generation_config(raw::value root, RequestState& st, JsonOut& out) {
  std::string config;
  JsonOut g(config);
  g.begin_object();
  if (!write_numbers(root, st, g) || !write_format(root, st, g) || !write_reasoning(root, st, g)) return false;
  g.end_object();
  if (g.view() != "{}") out.key("generationConfig").raw(g.view());
  return true;
}

struct IdPrefix {
  std::string_view type;
  std::string_view prefix;
};

// The prefix of the ids given to stored input items that came without one, by item type.
constexpr IdPrefix kIdPrefixes[] = {{"message", "msg"},
                                    {"function_call", "fc"},
                                    {"function_call_output", "fco"},
                                    {"custom_tool_call", "ctc"},
                                    {"custom_tool_call_output", "ctco"},
                                    {"reasoning", "rs"},
                                    {"compaction", "cmp"}};

std::string_view id_prefix(std::string_view type) {
  for (const IdPrefix& p : kIdPrefixes) {
    if (p.type == type) return p.prefix;
  }
  return "item";
}

// Appends one input item to the record's input, with an id and a type when it had none.
void store_item(JsonOut& out, raw::value item, const Options& o, size_t n) {
  out.begin_object();
  if (!item.get("id").exists()) out.key("id").string(item_id(id_prefix(item_type(item)), o.request_id, n));
  if (!item.get("type").exists()) out.key("type").string("message");
  for (raw::member m : item.members()) out.raw_key(m.key).raw(m.val.raw_json());
  out.end_object();
}

// A string `input` as the user message item it stands for, with the id of the n-th item.
void string_input_item(JsonOut& out, raw::value input, const Options& o, size_t n) {
  out.begin_object().key("id").string(item_id("msg", o.request_id, n)).key("type").string("message");
  out.key("role").string("user").key("content").begin_array();
  out.begin_object().key("type").string("input_text").key("text").raw_string(input).end_object();
  out.end_array().end_object();
}

// The request's input items as the record keeps them: ids and types added where missing,
// references resolved, a string input as one user message.
void store_input(raw::value input, const std::vector<raw::value>& items, Options& o) {
  JsonOut stored(o.input);
  stored.begin_array();
  if (input.is_string()) string_input_item(stored, input, o, 0);
  size_t i = 0;
  for (raw::value v : items) store_item(stored, v, o, i++);
  stored.end_array();
}

bool is_user_message(raw::value item) {
  return item_type(item) == "message" && item.get("role").equals("user");
}

// POST /v1/responses/compact's output starts with the conversation's user messages (those a
// compaction item does not replace), as they were sent, with an id and a type where missing.
void keep_user_messages(const std::vector<raw::value>& history, size_t start, raw::value input,
                        const std::vector<raw::value>& items, Options& o) {
  JsonOut out(o.kept);
  out.begin_array();
  size_t n = 0;
  for (size_t k = start; k < history.size(); ++k) {
    if (is_user_message(history[k])) store_item(out, history[k], o, n++);
  }
  if (input.is_string()) string_input_item(out, input, o, n++);
  for (raw::value v : items) {
    if (is_user_message(v)) store_item(out, v, o, n++);
  }
  out.end_array();
}

// What Gemini is asked when the input ends with compaction_trigger: the summary it writes
// stands in for the conversation from then on (a compaction item, request_items.cpp).
constexpr std::string_view kCompactPrompt =
    "Write a summary of this conversation so far, to be read in place of it by whoever continues the work. "
    "Keep the user's requests and constraints, the decisions taken and why, the state of the work (files, "
    "commands and their results, identifiers and values that matter), and what is left to do. Write only the "
    "summary.";

bool is_system_message(raw::value item) {
  const raw::value role = item.get("role");
  return item_type(item) == "message" && (role.equals("system") || role.equals("developer"));
}

// A compaction_trigger may only end the input: the answer it asks for is the summary of all
// that comes before it.
bool read_trigger(const std::vector<raw::value>& items, RequestState& st) {
  for (size_t i = 0; i < items.size(); ++i) {
    if (item_type(items[i]) != "compaction_trigger") continue;
    if (i + 1 != items.size()) {
      const Path all("input");
      return st.err.fail_at(Path(Path(all, i), "type"), "compaction_trigger must be the last input item.");
    }
    st.o.compact = true;
  }
  return true;
}

// The conversation so far (stored responses, oldest first) then the request's own input.
bool write_contents(raw::value root, RequestState& st, Turns& contents, Turns& system) {
  std::vector<raw::value> history;
  const raw::value previous = present(root.get("previous_response_id"));
  if (previous.exists()) {
    if (!previous.is_string()) {
      return st.err.fail("previous_response_id must be a string.", "previous_response_id", "invalid_type");
    }
    st.o.previous_id = previous.str();
    const std::vector<raw::value> chain =
        st.stored != nullptr ? st.stored->chain(st.o.previous_id) : std::vector<raw::value>();
    if (chain.empty()) {
      return st.err.fail("Previous response with id '" + st.o.previous_id + "' not found.", "previous_response_id",
                         "previous_response_not_found");
    }
    for (raw::value record : chain) {
      for (raw::value v : record.get("input").items()) history.push_back(v);
      for (raw::value v : record.get("response").get("output").items()) history.push_back(v);
      if (const auto key = record.get("key_id").as_int64()) st.o.bound_key = key;
    }
  }
  const raw::value input = present(root.get("input"));
  std::vector<raw::value> items;
  if (input.is_array()) {
    if (!resolve_input(input, st, items)) return false;
  } else if (input.exists() && !input.is_string()) {
    return st.err.fail("input must be a string or an array of input items.", "input", "invalid_type");
  }
  if (!read_trigger(items, st)) return false;
  if (!collect_signatures(history, st, false) || !collect_signatures(items, st, true)) return false;
  collect_stored_signatures(items, st);
  if (!st.o.bound_key) st.o.bound_key = st.carry.key_id;

  ItemWriter writer(st, contents, system);
  const raw::value instructions = present(root.get("instructions"));
  if (instructions.is_string() && !instructions.raw().empty()) {
    system.part("").begin_object().key("text").raw_string(instructions).end_object();
  }
  // A compaction item stands for the stored conversation before it, instructions aside; the
  // items a request sends are all kept (Codex sends its user messages before the item).
  size_t start = 0;
  for (size_t k = 0; k < history.size(); ++k) {
    if (item_type(history[k]) == "compaction") start = k;
  }
  for (raw::value v : items) {
    if (item_type(v) == "compaction") start = history.size();
  }
  const Path history_at("previous_response_id");
  size_t i = 0;
  for (raw::value v : history) {
    const bool replaced = i < start && !is_system_message(v);
    if (!replaced && !writer.item(v, Path(history_at, i))) return false;
    ++i;
  }
  if (input.is_string()) {
    writer.user_text(input);
    st.o.first_output = 1;
  }
  if (st.o.compact_endpoint) keep_user_messages(history, start, input, items, st.o);
  const Path all("input");
  i = 0;
  for (raw::value v : items) {
    if (!writer.item(v, Path(all, i++))) return false;
  }
  if (st.o.compact) contents.part("user").begin_object().key("text").string(kCompactPrompt).end_object();
  // The input is kept only for a response that is stored.
  if (st.o.store) store_input(input, items, st.o);
  st.o.first_output = std::max(st.o.first_output, items.size());
  contents.close();
  system.close();
  if (contents.empty()) {
    return st.err.fail("input must include at least one message with content.", "input", "missing_required_parameter");
  }
  return true;
}

bool write_body(raw::value root, RequestState& st, std::string& body, size_t expected) {
  JsonOut out(body, expected);
  std::string system;
  JsonOut system_out(system);
  Turns contents(out, true);
  Turns system_turns(system_out, false);
  out.begin_object().key("contents").begin_array();
  if (!write_contents(root, st, contents, system_turns)) return false;
  out.end_array();
  if (!system_turns.empty()) out.key("systemInstruction").raw(system_out.view());
  if (!write_tools(root, st, out) || !write_generation_config(root, st, out)) return false;
  if (const raw::value choice = present(root.get("tool_choice")); choice.exists()) {
    st.o.tool_choice = std::string(choice.raw_json());
  }
  out.end_object();
  return true;
}

}  // namespace
}  // namespace bal::responses::detail

namespace bal::responses {

Translated translate_responses(std::string_view body, const RequestInfo& info, const Stored* previous,
                               Endpoint endpoint) {
  detail::Options o;
  o.request_id = info.request_id;
  o.id = "resp_" + info.request_id;
  o.created_at = info.now_ms / 1000;
  Translated t;
  raw::document doc;
  if (doc.parse(body) != raw::success) {
    t.error = api_error(400, gemini::parse_error_message(doc), "invalid_json");
    t.exchange = detail::make_exchange(std::move(o));
    return t;
  }
  detail::RequestState st{o, previous, info.media, {}, {}, {}, false, {}};
  std::string gemini_body;
  const raw::value root = doc.root();
  const bool ok = root.is_object() ? detail::read_model(root, info, st) && detail::read_flags(root, st, endpoint) &&
                                         detail::write_body(root, st, gemini_body, body.size() + 256)
                                   : st.err.fail("The request body must be a JSON object.", {}, "invalid_type");
  if (!ok) {
    t.error = api_error(400, st.err.message, st.err.code, st.err.param);
    t.exchange = detail::make_exchange(std::move(o));
    return t;
  }
  UpstreamCall call;
  call.model = st.model;
  call.grounded = st.search;
  if (o.count_endpoint) {
    // countTokens counts a whole generateContentRequest: the instructions, tools and
    // configuration as well as the contents, the way a Responses request's input is counted.
    std::string wrapped = R"({"generateContentRequest":{"model":"models/)" + st.model + '"';
    if (gemini_body.size() > 2) {
      wrapped.append(",").append(gemini_body, 1, std::string::npos);  // its members, and its '}'
    } else {
      wrapped += '}';
    }
    wrapped += '}';
    gemini_body = std::move(wrapped);
  }
  const char* method = o.count_endpoint ? ":countTokens" : o.stream ? ":streamGenerateContent" : ":generateContent";
  call.path = "/v1beta/models/" + st.model + method;
  if (o.stream) call.query = "alt=sse";
  call.body = std::move(gemini_body);
  call.sse = o.stream;
  t.calls.push_back(std::move(call));
  t.exchange = detail::make_exchange(std::move(o));
  return t;
}

}  // namespace bal::responses
