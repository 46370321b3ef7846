// Gemini content parts → OpenAI message fields, shared by the whole and the streamed answer.
#include "response_internal.h"

namespace bal::openai::resp {

void read_parts(raw::value parts, bool include_reasoning, Parts& out) {
  out.content.clear();
  out.reasoning.clear();
  out.has_content = false;
  out.has_reasoning = false;
  out.calls.clear();
  for (raw::value part : parts.items()) {
    if (part.get("functionCall").is_object()) {
      out.calls.push_back(part);
      continue;
    }
    const raw::value text = part.get("text");
    if (text.is_string()) {
      if (part.get("thought").as_bool().value_or(false)) {
        if (!include_reasoning) continue;
        out.reasoning += text.raw();
        out.has_reasoning = true;
      } else {
        out.content += text.raw();
        out.has_content = true;
      }
      continue;
    }
    if (gemini::append_markdown(part, out.content)) out.has_content = true;
  }
}

void append_tool_call(std::string& out, raw::value part, const Context& ctx, int64_t ordinal, int64_t stream_index) {
  const raw::value call = part.get("functionCall");
  out += '{';
  if (stream_index >= 0) {
    out += "\"index\":";
    append_int(out, stream_index);
    out += ',';
  }
  out += "\"id\":\"";
  if (const raw::value id = call.get("id"); id.is_string() && !id.raw().empty()) {
    out += id.raw();
  } else {
    out += "call_";
    out += ctx.request_id;
    out += '_';
    append_int(out, ordinal);
  }
  // The signature rides in the id too (openai.h: kIdSignatureMark).
  const raw::value sig = part.get("thoughtSignature");
  if (sig.is_string() && !sig.has_escapes() && !sig.raw().empty()) {
    out += kIdSignatureMark;
    for (const char c : sig.raw()) {
      if (c != '=') out += c == '+' ? '-' : c == '/' ? '_' : c;
    }
  }
  const raw::value name = call.get("name");
  const raw::value args = call.get("args");
  bool custom = false;
  for (const std::string& n : ctx.custom_tools) custom = custom || name.equals(n);
  out += custom ? R"(","type":"custom","custom":{"name":")" : R"(","type":"function","function":{"name":")";
  out += escaped_span(name);
  out += custom ? "\",\"input\":" : "\",\"arguments\":";
  if (custom && args.get("input").is_string()) {
    out += args.get("input").raw_json();
  } else if (args.is_object() || args.is_array()) {
    append_as_string(out, args.raw_json());
  } else {
    out += "\"{}\"";
  }
  out += '}';
  // Gemini 3 refuses the next turn unless the signature comes back with the call; Google's
  // OpenAI convention carries it here.
  if (sig.is_string()) {
    out += ",\"extra_content\":{\"google\":{\"thought_signature\":\"";
    out += sig.raw();
    out += "\"}}";
  }
  out += '}';
}

}  // namespace bal::openai::resp
