// Gemini content parts → OpenAI message fields, shared by the whole and the streamed answer.
#include <cctype>

#include "response_internal.h"

namespace bal::openai::resp {
namespace {

// Everything below appends to strings that are already JSON-escaped: "\\n" is a newline.
void append_fence(std::string& out, std::string_view lang, std::string_view body_escaped) {
  out += "\\n```";
  out += lang;
  out += "\\n";
  out += body_escaped;
  out += "\\n```\\n";
}

std::string lower_escaped(raw::value v) {
  std::string s = v.str();
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string out;
  raw::append_escaped(out, s);
  return out;
}

// Parts OpenAI has no field for (code execution, generated images) are shown the way
// Google's own OpenAI endpoint and chat UIs show them: as Markdown in the content.
bool append_markdown(raw::value part, std::string& out) {
  if (raw::value code = part.get("executableCode"); code.is_object()) {
    append_fence(out, lower_escaped(code.get("language")), escaped_span(code.get("code")));
    return true;
  }
  if (raw::value result = part.get("codeExecutionResult"); result.is_object()) {
    append_fence(out, "output", escaped_span(result.get("output")));
    return true;
  }
  if (raw::value data = part.get("inlineData"); data.is_object()) {
    out += "![](data:";
    out += escaped_span(data.get("mimeType"));
    out += ";base64,";
    out += escaped_span(data.get("data"));
    out += ')';
    return true;
  }
  return false;
}

}  // namespace

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
    if (append_markdown(part, out.content)) out.has_content = true;
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
  out += "\",\"type\":\"function\",\"function\":{\"name\":\"";
  out += escaped_span(call.get("name"));
  out += "\",\"arguments\":";
  const raw::value args = call.get("args");
  if (args.is_object() || args.is_array()) {
    append_as_string(out, args.raw_json());
  } else {
    out += "\"{}\"";
  }
  out += '}';
  // Gemini 3 refuses the next turn unless the signature comes back with the call; Google's
  // OpenAI convention carries it here.
  if (const raw::value sig = part.get("thoughtSignature"); sig.is_string()) {
    out += ",\"extra_content\":{\"google\":{\"thought_signature\":\"";
    out += sig.raw();
    out += "\"}}";
  }
  out += '}';
}

}  // namespace bal::openai::resp
