// A whole generateContent answer → an OpenAI chat.completion.
//
// The answer is read once with the raw reader and written once: texts, arguments and
// signatures are copied as escaped spans, never decoded and re-encoded.
#include "response_internal.h"

namespace bal::openai::resp {
namespace {

// Opens a token's object and writes its own fields; the caller closes it.
void append_token_fields(std::string& out, raw::value c) {
  out += "{\"token\":\"";
  out += escaped_span(c.get("token"));
  out += "\",\"logprob\":";
  const raw::value lp = c.get("logProbability");
  out += lp.is_number() ? lp.raw_json() : std::string_view("0");
  out += ",\"bytes\":null";
}

// Gemini's logprobsResult lists the chosen token at each step and, in a parallel array, the
// top alternatives; OpenAI nests the alternatives inside each chosen token.
void append_logprobs(std::string& out, raw::value result) {
  const raw::value chosen = result.get("chosenCandidates");
  if (!chosen.is_array()) {
    out += "null";
    return;
  }
  const raw::value top = result.get("topCandidates");
  auto top_it = top.items().begin();
  const auto top_end = top.items().end();
  out += "{\"content\":[";
  bool first = true;
  for (raw::value c : chosen.items()) {
    if (!first) out += ',';
    first = false;
    append_token_fields(out, c);
    out += ",\"top_logprobs\":[";
    if (top.is_array() && top_it != top_end) {
      bool first_alt = true;
      for (raw::value alt : (*top_it).get("candidates").items()) {
        if (!first_alt) out += ',';
        first_alt = false;
        append_token_fields(out, alt);
        out += '}';
      }
      ++top_it;
    }
    out += "]}";
  }
  out += "],\"refusal\":null}";
}

const char* choice_finish_reason(raw::value candidate, bool made_calls) {
  const raw::value fr = candidate.get("finishReason");
  const char* reason = fr.is_string() ? finish_reason_for(fr.raw()) : "stop";
  if (made_calls && std::string_view(reason) == "stop") return "tool_calls";
  return reason;
}

void append_choice(std::string& out, raw::value candidate, int64_t index, const Context& ctx, Parts& parts,
                   int64_t& ordinal) {
  read_parts(candidate.get("content").get("parts"), ctx.include_reasoning, parts);
  out += "{\"index\":";
  append_int(out, index);
  out += ",\"message\":{\"role\":\"assistant\",\"content\":";
  // OpenAI's convention: content is null on a turn that only calls tools.
  if (parts.has_content || parts.calls.empty()) {
    out += '"';
    out += parts.content;
    out += '"';
  } else {
    out += "null";
  }
  if (parts.has_reasoning) {
    out += ",\"reasoning_content\":\"";
    out += parts.reasoning;
    out += '"';
  }
  if (!parts.calls.empty()) {
    out += ",\"tool_calls\":[";
    for (size_t i = 0; i < parts.calls.size(); ++i) {
      if (i > 0) out += ',';
      append_tool_call(out, parts.calls[i], ctx, ordinal++, -1);
    }
    out += ']';
  }
  if (ctx.grounded) {
    const auto citations = gemini::read_citations(candidate.get("groundingMetadata"), parts.content);
    if (!citations.empty()) {
      out += ",\"annotations\":";
      append_annotations(out, citations);
    }
  }
  out += "},\"logprobs\":";
  append_logprobs(out, candidate.get("logprobsResult"));
  out += ",\"finish_reason\":\"";
  out += choice_finish_reason(candidate, !parts.calls.empty());
  out += "\"}";
}

// A prompt Gemini refused to answer is still an answer: one empty choice, content_filter.
void append_blocked_choice(std::string& out) {
  out += R"({"index":0,"message":{"role":"assistant","content":""},"logprobs":null,"finish_reason":"content_filter"})";
}

}  // namespace

Reply chat_response(const Context& ctx, std::string_view body, Usage& usage) {
  raw::document doc;
  if (doc.parse(body) != raw::success || !doc.root().is_object()) {
    return error_reply(bad_gateway("upstream returned a response that is not a JSON object"));
  }
  const raw::value root = doc.root();
  const raw::value candidates = root.get("candidates");
  const bool has_candidates = candidates.is_array() && candidates.size() > 0;
  if (!has_candidates && !root.get("promptFeedback").get("blockReason").exists()) {
    return error_reply(bad_gateway("upstream returned no candidates"));
  }
  usage = read_usage(root.get("usageMetadata"));

  std::string out;
  out.reserve(body.size() + 512);
  append_chat_head(out, ctx, "chat.completion");
  if (has_candidates) {
    Parts parts;
    int64_t ordinal = 0;
    int64_t position = 0;
    for (raw::value c : candidates.items()) {
      if (position > 0) out += ',';
      // proto3 leaves index 0 out of the JSON.
      append_choice(out, c, c.get("index").as_int64().value_or(position), ctx, parts, ordinal);
      ++position;
    }
  } else {
    append_blocked_choice(out);
  }
  out += "],\"usage\":";
  append_usage(out, usage);
  out += '}';

  return ok_reply(std::move(out));
}

}  // namespace bal::openai::resp
