// POST /v1/messages and /v1/messages/count_tokens → Gemini generateContent /
// streamGenerateContent / countTokens (anthropic.h).
//
// The body is read once with rawjson and the Gemini body written in the same pass, copying
// texts and base64 data as the client escaped them. Fields Gemini has no use for (metadata,
// service_tier, context_management, container, mcp_servers, cache_control on any block,
// defer_loading on tools) and unknown fields are never read: Gemini refuses any field it
// does not know, so nothing is passed on blindly.
#include "internal.h"

namespace bal::anthropic {
namespace {

// contents, systemInstruction, tools and toolConfig: what generateContent and countTokens share.
bool write_prompt(raw::value root, RequestState& st, JsonOut& out) {
  std::string system;
  JsonOut system_out(system);
  gemini::Turns contents(out, true);
  gemini::Turns system_turns(system_out, false);
  out.key("contents").begin_array();
  if (!write_messages(root, st, contents, system_turns)) return false;
  out.end_array();
  if (!system_turns.empty()) out.key("systemInstruction").raw(system_out.view());
  return write_tools(root, st, out);
}

bool read_stream(raw::value root, RequestState& st) {
  const raw::value stream = present(root.get("stream"));
  if (stream.exists() && !stream.is_bool()) return st.err.fail("stream: Input should be a valid boolean");
  st.stream = stream.as_bool().value_or(false);
  return true;
}

// "model": required; a gemini-… name as is, anything else through MODEL_MAP.
bool read_model(raw::value root, const RequestInfo& info, RequestState& st) {
  const raw::value model = present(root.get("model"));
  if (!model.exists()) return st.err.fail("model: Field required");
  if (!model.is_string()) return st.err.fail("model: Input should be a valid string");
  st.client_model = model.str();
  if (!gemini::gemini_model_id(model_map(info).map(st.client_model), st.model)) {
    return st.err.fail("model: '" + st.client_model + "' is not a Gemini model id, nor a name MODEL_MAP maps to one.");
  }
  st.traits = gemini::model_traits(st.model);
  return true;
}

// The body is an object and names a usable model.
bool read_head(raw::value root, const RequestInfo& info, RequestState& st) {
  if (!root.is_object()) return st.err.fail("The request body must be a JSON object.");
  return read_model(root, info, st);
}

UpstreamCall model_call(const RequestState& st, std::string_view method, std::string body) {
  UpstreamCall c;
  c.model = st.model;
  c.path = "/v1beta/models/" + st.model + ":" + std::string(method);
  c.body = std::move(body);
  c.grounded = st.search;
  return c;
}

Reply count_answer(const std::vector<std::string_view>& bodies, const std::string&) {
  raw::document doc;
  const std::optional<int64_t> total = bodies.empty() || doc.parse(bodies.front()) != raw::success
                                           ? std::nullopt
                                           : doc.root().get("totalTokens").as_int64();
  if (!total) return error_reply(bad_gateway("upstream returned no token count"));
  Reply r;
  r.body = "{\"input_tokens\":";
  append_int(r.body, *total);
  r.body += '}';
  return r;
}

}  // namespace

const ModelMap& model_map(const RequestInfo& info) {
  static const ModelMap builtin;
  return info.models != nullptr ? *info.models : builtin;
}

Translated translate_messages(std::string_view body, const RequestInfo& info) {
  raw::document doc;
  RequestState st;
  st.media = info.media;
  if (doc.parse(body) != raw::success) return parse_failed(doc);
  const raw::value root = doc.root();
  if (!read_head(root, info, st) || !read_stream(root, st)) return failed(st.err);
  std::string out;
  {
    // The Gemini body is about the size of the Anthropic one: one allocation, no regrowth.
    JsonOut w(out, body.size() + 256);
    w.begin_object();
    if (!write_prompt(root, st, w) || !write_generation_config(root, st, w)) return failed(st.err);
    w.end_object();
  }
  Translated t;
  t.calls.push_back(model_call(st, st.stream ? "streamGenerateContent" : "generateContent", std::move(out)));
  if (st.stream) {
    t.calls.back().query = "alt=sse";
    t.calls.back().sse = true;
  }
  t.exchange = messages_exchange(st, info);
  return t;
}

// The same body as /v1/messages (max_tokens may be left out). Gemini counts a whole
// generateContentRequest, so the system prompt and the tools are counted as Anthropic does.
Translated translate_count_tokens(std::string_view body, const RequestInfo& info) {
  raw::document doc;
  RequestState st;
  st.media = info.media;
  if (doc.parse(body) != raw::success) return parse_failed(doc);
  const raw::value root = doc.root();
  if (!read_head(root, info, st)) return failed(st.err);
  std::string out;
  {
    JsonOut w(out, body.size() + 256);
    w.begin_object().key("generateContentRequest").begin_object();
    w.key("model").string("models/" + st.model);
    if (!write_prompt(root, st, w)) return failed(st.err);
    w.end_object().end_object();
  }
  Translated t;
  t.calls.push_back(model_call(st, "countTokens", std::move(out)));
  t.exchange = plain_exchange(count_answer, {});
  return t;
}

}  // namespace bal::anthropic
