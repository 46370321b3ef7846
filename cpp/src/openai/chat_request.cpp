// POST /v1/chat/completions → a Gemini generateContent / streamGenerateContent plan.
//
// The body is read once with rawjson and the Gemini body is written in the same pass,
// copying texts and base64 data as the client escaped them. Fields OpenAI defines but Gemini
// lacks (user, metadata, store, parallel_tool_calls, ...) and unknown fields are dropped:
// Gemini answers 400 to any field it does not know.
#include "balancer/openai.h"
#include "request_internal.h"
#include "response_internal.h"

namespace bal::openai {
namespace {

using req::ChatState;
using req::JsonOut;
using req::present;

constexpr std::string_view kSearchSuffix = "-search";

bool read_model(raw::value root, ChatState& st, const RequestInfo& info) {
  std::string id;
  if (!req::read_model(root, st.err, st.client_model, id, info)) return false;
  // "gemini-2.5-flash-search": the model, with Google Search grounding.
  if (id.size() > kSearchSuffix.size() &&
      id.compare(id.size() - kSearchSuffix.size(), kSearchSuffix.size(), kSearchSuffix) == 0) {
    id.resize(id.size() - kSearchSuffix.size());
    st.search = true;
  }
  st.model = std::move(id);
  st.traits = req::model_traits(st.model);
  return true;
}

bool read_options(raw::value root, ChatState& st) {
  raw::value stream = present(root.get("stream"));
  if (stream.exists() && !stream.is_bool()) return st.err.fail("stream must be a boolean.", "stream", "invalid_type");
  st.stream = stream.as_bool().value_or(false);
  raw::value options = present(root.get("stream_options"));
  if (options.exists() && !options.is_object()) {
    return st.err.fail("stream_options must be an object.", "stream_options", "invalid_type");
  }
  st.include_usage = present(options.get("include_usage")).as_bool().value_or(false);
  // OpenAI's own way to ask a chat model to search the web.
  if (present(root.get("web_search_options")).is_object()) st.search = true;
  // Google's extension: "google" at the top level (the OpenAI SDKs merge extra_body there),
  // or literally under "extra_body".
  st.google = present(root.get("google"));
  if (!st.google.exists()) st.google = present(present(root.get("extra_body")).get("google"));
  if (st.google.exists() && !st.google.is_object()) {
    return st.err.fail("extra_body.google must be an object.", "extra_body.google", "invalid_type");
  }
  return true;
}

bool write_body(raw::value root, ChatState& st, std::string& body, size_t expected) {
  JsonOut out(body, expected);
  std::string system;
  JsonOut system_out(system);
  req::Turns contents(out, true);
  req::Turns system_turns(system_out, false);
  out.begin_object().key("contents").begin_array();
  if (!req::write_messages(root.get("messages"), st, contents, system_turns)) return false;
  out.end_array();
  if (!system_turns.empty()) out.key("systemInstruction").raw(system_out.view());
  if (!req::write_tools(root, st, out) || !req::write_google_extras(st, out) ||
      !req::write_generation_config(root, st, out)) {
    return false;
  }
  out.end_object();
  return true;
}

Translated upstream(ChatState& st, std::string body, const RequestInfo& info) {
  Translated t;
  UpstreamCall c;
  c.model = st.model;
  c.path = "/v1beta/models/" + st.model + (st.stream ? ":streamGenerateContent" : ":generateContent");
  c.query = st.stream ? "alt=sse" : "";
  c.body = std::move(body);
  c.sse = st.stream;
  c.grounded = st.search;
  t.calls.push_back(std::move(c));
  resp::Context ctx;
  ctx.kind = resp::Kind::chat;
  raw::append_escaped(ctx.model, st.client_model);
  ctx.stream = st.stream;
  ctx.include_usage = st.include_usage;
  ctx.include_reasoning = st.include_reasoning;
  ctx.n = st.n;
  ctx.custom_tools = std::move(st.custom_tools);
  ctx.grounded = st.search;
  resp::stamp(ctx, info);
  t.exchange = resp::make_exchange(std::move(ctx));
  return t;
}

}  // namespace

Translated translate_chat(std::string_view body, const RequestInfo& info) {
  raw::document doc;
  if (doc.parse(body) != raw::success) return req::parse_failed(doc);
  const raw::value root = doc.root();
  ChatState st;
  st.media = info.media;
  if (!root.is_object()) {
    st.err.fail("The request body must be a JSON object.", {}, "invalid_type");
    return req::failed(st.err);
  }
  if (!read_model(root, st, info) || !read_options(root, st)) return req::failed(st.err);
  std::string out;
  // The Gemini body is about the size of the OpenAI one: one allocation, no regrowth.
  if (!write_body(root, st, out, body.size() + 256)) return req::failed(st.err);
  return upstream(st, std::move(out), info);
}

}  // namespace bal::openai
