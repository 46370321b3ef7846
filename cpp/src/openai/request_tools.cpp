// OpenAI tools and tool_choice → Gemini tools (functionDeclarations, googleSearch) and
// toolConfig. A custom (free-form) tool is declared as a function of one string, its input.
// parallel_tool_calls is ignored: Gemini decides how many calls to make.
#include "request_internal.h"

namespace bal::openai::req {
namespace {

// Tool names that ask for Google Search grounding instead of a function the client runs.
constexpr std::string_view kSearchNames[] = {"google_search", "googleSearch"};

struct ChoiceMode {
  std::string_view openai;
  std::string_view gemini;
};
constexpr ChoiceMode kChoiceModes[] = {{"auto", "AUTO"}, {"none", "NONE"}, {"required", "ANY"}};

bool is_search_name(const raw::value& v) {
  for (std::string_view n : kSearchNames) {
    if (v.equals(n)) return true;
  }
  return false;
}

class ToolWriter {
 public:
  explicit ToolWriter(ChatState& st) : st_(st), out_(decls_) { out_.begin_array(); }
  bool tool(raw::value t, const Path& at);
  bool function(raw::value fn, const Path& at);
  bool choice(raw::value root, JsonOut& out);
  void write(JsonOut& out);

 private:
  ChatState& st_;
  std::string decls_;
  JsonOut out_;
  std::vector<std::string> names_;
};

bool ToolWriter::tool(raw::value t, const Path& at) {
  raw::value type = t.get("type");
  if (is_search_name(type)) {
    st_.search = true;
    return true;
  }
  if (type.equals("custom")) {
    const raw::value c = t.get("custom");
    const Path custom_at(at, "custom");
    if (!c.is_object()) return st_.err.fail_at(custom_at, "must be an object.", "invalid_type");
    std::string name;
    const raw::value format = c.get("format");
    if (!gemini::write_custom_declaration(out_, c.get("name"), c.get("description"), format, format.get("grammar"),
                                          st_.err, custom_at, name)) {
      return false;
    }
    st_.custom_tools.push_back(name);
    names_.push_back(std::move(name));
    return true;
  }
  if (!type.equals("function")) {
    return st_.err.fail_at(
        Path(at, "type"),
        "'" + type.str() + "' is not a supported tool type: this server runs function and custom tools.",
        "unsupported_value");
  }
  return function(t.get("function"), Path(at, "function"));
}

bool ToolWriter::function(raw::value fn, const Path& at) {
  if (!fn.is_object()) return st_.err.fail_at(at, "must be an object.", "invalid_type");
  raw::value name = fn.get("name");
  if (is_search_name(name)) {
    st_.search = true;
    return true;
  }
  std::string decoded;
  if (!gemini::write_function_declaration(out_, name, fn.get("description"), fn.get("parameters"), st_.err, at,
                                          decoded)) {
    return false;
  }
  names_.push_back(decoded);
  return true;
}

bool ToolWriter::choice(raw::value root, JsonOut& out) {
  raw::value choice = present(root.get("tool_choice"));
  if (!choice.exists() || names_.empty()) return true;
  std::string_view mode;
  std::string allowed;
  if (choice.is_string()) {
    for (const ChoiceMode& m : kChoiceModes) {
      if (choice.equals(m.openai)) mode = m.gemini;
    }
  } else if (choice.get("type").equals("function") || choice.get("type").equals("custom")) {
    // {"type": "function", "function": {"name"}} or {"type": "custom", "custom": {"name"}}.
    const std::string_view type = choice.get("type").raw();
    raw::value name = choice.get(type).get("name");
    allowed = (name.exists() ? name : choice.get("name")).str();
    for (const std::string& n : names_) {
      if (n == allowed) mode = "ANY";
    }
    if (mode.empty()) {
      const Path choice_at("tool_choice");
      return st_.err.fail_at(Path(Path(choice_at, type), "name"), "'" + allowed + "' is not in tools.");
    }
  }
  if (mode.empty()) {
    return st_.err.fail(
        "tool_choice must be auto, none, required, {\"type\": \"function\", ...} or {\"type\": \"custom\", ...}.",
        "tool_choice");
  }
  std::vector<std::string> names;
  if (!allowed.empty()) names.push_back(std::move(allowed));
  gemini::write_tool_config(out, mode, names);
  return true;
}

void ToolWriter::write(JsonOut& out) {
  out_.end_array();
  // generateContent with an API key refuses Google Search next to function declarations
  // ("Tool use with function calling is unsupported", 400): the functions win, as in the
  // Responses and Anthropic formats.
  if (!names_.empty()) st_.search = false;
  if (names_.empty() && !st_.search) return;
  out.key("tools").begin_array();
  if (!names_.empty()) out.begin_object().key("functionDeclarations").raw(out_.view()).end_object();
  if (st_.search) out.begin_object().key("googleSearch").raw("{}").end_object();
  out.end_array();
}

}  // namespace

bool write_tools(raw::value root, ChatState& st, JsonOut& out) {
  ToolWriter writer(st);
  raw::value tools = present(root.get("tools"));
  if (tools.exists() && !tools.is_array()) return st.err.fail("tools must be an array.", "tools", "invalid_type");
  const Path tools_at("tools");
  size_t i = 0;
  for (raw::value t : tools.items()) {
    if (!writer.tool(t, Path(tools_at, i++))) return false;
  }
  // The deprecated "functions" list: bare function objects.
  raw::value functions = present(root.get("functions"));
  if (functions.exists() && !functions.is_array()) {
    return st.err.fail("functions must be an array.", "functions", "invalid_type");
  }
  const Path functions_at("functions");
  i = 0;
  for (raw::value fn : functions.items()) {
    if (!writer.function(fn, Path(functions_at, i++))) return false;
  }
  writer.write(out);
  return writer.choice(root, out);
}

}  // namespace bal::openai::req
