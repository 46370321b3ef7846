// Parts a client API has no field for, as Markdown text (gemini.h).
#include <cctype>

#include "balancer/gemini.h"
#include "balancer/jsonout.h"

namespace bal::gemini {
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

}  // namespace

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

}  // namespace bal::gemini
