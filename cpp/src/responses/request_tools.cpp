// Responses tools and tool_choice → Gemini tools (functionDeclarations, googleSearch) and
// toolConfig. parallel_tool_calls is echoed, not sent: Gemini decides how many calls to make.
#include "request_internal.h"

namespace bal::responses::detail {
namespace {

// Built-in tool types that ask for Google Search grounding (any options they carry, such as
// search_context_size, user_location or external_web_access, have no Gemini counterpart).
constexpr std::string_view kSearchTools[] = {"web_search", "web_search_preview", "web_search_preview_2025_03_11",
                                             "web_search_2025_08_26"};

struct ChoiceMode {
  std::string_view openai;
  std::string_view gemini;
};
constexpr ChoiceMode kChoiceModes[] = {{"auto", "AUTO"}, {"none", "NONE"}, {"required", "ANY"}};
// allowed_tools: Gemini restricts the names only in modes that call a function, VALIDATED
// being the one where the model may also answer in text.
constexpr ChoiceMode kAllowedModes[] = {{"auto", "VALIDATED"}, {"required", "ANY"}};

bool is_search(raw::value type) {
  for (std::string_view t : kSearchTools) {
    if (type.equals(t)) return true;
  }
  return false;
}

// Tools a tool_choice names: functions and custom tools, each by its name.
bool is_named(raw::value type) {
  return type.equals("function") || type.equals("custom");
}

std::string_view mode_for(raw::value name, const ChoiceMode* first, const ChoiceMode* last) {
  for (const ChoiceMode* m = first; m != last; ++m) {
    if (name.equals(m->openai)) return m->gemini;
  }
  return {};
}

class ToolWriter {
 public:
  explicit ToolWriter(RequestState& st) : st_(st), out_(decls_) { out_.begin_array(); }
  bool tool(raw::value t, const Path& at, raw::value ns);
  bool choice(raw::value choice, JsonOut& out);
  bool finish();
  void write(JsonOut& out);
  // A summary (compaction_trigger) calls no tool; the declarations stay for the calls in the
  // conversation.
  void none(JsonOut& out) const {
    if (!names_.empty()) gemini::write_tool_config(out, "NONE", {});
  }

 private:
  bool declared(const std::string& name) const;

  RequestState& st_;
  std::string decls_;
  JsonOut out_;
  std::vector<std::string> names_;
  bool search_ = false;
  std::string image_at_;  // where an image_generation tool is, until functions make it moot
};

bool ToolWriter::tool(raw::value t, const Path& at, raw::value ns) {
  const bool in_namespace = ns.exists();
  if (!t.is_object()) return st_.err.fail_at(at, "must be an object.", "invalid_type");
  const raw::value type = t.get("type");
  const bool custom = type.equals("custom");
  if (type.equals("function") || custom) {
    std::string name;
    const bool ok = custom ? gemini::write_custom_declaration(out_, t.get("name"), t.get("description"),
                                                              t.get("format"), t.get("format"), st_.err, at, name)
                           : gemini::write_function_declaration(out_, t.get("name"), t.get("description"),
                                                                t.get("parameters"), st_.err, at, name);
    if (!ok) return false;
    if (in_namespace) st_.o.namespaces.emplace_back(name, std::string(ns.raw()));
    if (custom) st_.o.custom_tools.push_back(name);
    names_.push_back(std::move(name));
    return true;
  }
  // Codex CLI groups tools under a namespace; Gemini sees the functions, under their own names.
  if (type.equals("namespace") && !in_namespace) {
    if (!t.get("name").is_string())
      return st_.err.fail_at(Path(at, "name"), "is required.", "missing_required_parameter");
    const raw::value tools = t.get("tools");
    const Path tools_at(at, "tools");
    if (!tools.is_array()) return st_.err.fail_at(tools_at, "must be an array.", "invalid_type");
    size_t i = 0;
    for (raw::value inner : tools.items()) {
      if (!tool(inner, Path(tools_at, i++), t.get("name"))) return false;
    }
    return true;
  }
  if (is_search(type) && !in_namespace) {
    search_ = true;
    return true;
  }
  // tool_search finds the tools marked defer_loading, but Gemini gets every tool at once:
  // nothing is left to find. Codex sends it next to its custom apply_patch for GPT-5 models.
  if (type.equals("tool_search") && !in_namespace) return true;
  // image_generation is a hosted tool the model may use or not, and this server asks Gemini for
  // no images in a call that declares functions. Next to function or custom tools it is left
  // out, as web_search is (Cline sends both with its functions on the Responses API); without
  // them finish() refuses it, since nothing the tools ask for would be served.
  if (type.equals("image_generation") && !in_namespace) {
    if (image_at_.empty()) image_at_ = Path(at, "type").str();
    return true;
  }
  return st_.err.fail_at(Path(at, "type"),
                         "'" + type.str() +
                             "' is not a supported tool type: this server runs function and custom tools (also in "
                             "a namespace) and web_search (as Google Search).",
                         "unsupported_value");
}

bool ToolWriter::finish() {
  if (image_at_.empty() || !names_.empty()) return true;
  return st_.err.fail(image_at_ +
                          " 'image_generation' is not a supported tool type on its own: this server leaves it out "
                          "next to function or custom tools, which the model calls instead.",
                      image_at_, "unsupported_value");
}

bool ToolWriter::declared(const std::string& name) const {
  for (const std::string& n : names_) {
    if (n == name) return true;
  }
  return false;
}

bool ToolWriter::choice(raw::value choice, JsonOut& out) {
  choice = present(choice);
  if (!choice.exists()) return true;
  std::string_view mode;
  std::vector<std::string> allowed;
  const raw::value type = choice.get("type");
  if (choice.is_string()) {
    mode = mode_for(choice, std::begin(kChoiceModes), std::end(kChoiceModes));
  } else if (is_named(type)) {
    allowed.push_back(choice.get("name").str());
    mode = "ANY";
  } else if (type.equals("allowed_tools")) {
    mode = mode_for(choice.get("mode"), std::begin(kAllowedModes), std::end(kAllowedModes));
    for (raw::value t : choice.get("tools").items()) {
      if (is_named(t.get("type"))) allowed.push_back(t.get("name").str());
    }
  } else if (is_search(type)) {
    return true;  // search is on whenever the tool is there
  }
  if (mode.empty()) {
    return st_.err.fail(
        "tool_choice must be auto, none, required, {\"type\": \"function\" or \"custom\", \"name\": ...} or "
        "{\"type\": \"allowed_tools\", ...}.",
        "tool_choice");
  }
  if (names_.empty()) return true;  // nothing to choose from: Gemini wants no toolConfig then
  for (const std::string& name : allowed) {
    if (!declared(name)) {
      return st_.err.fail("tool_choice names tool '" + name + "', which is not in tools.", "tool_choice");
    }
  }
  gemini::write_tool_config(out, mode, allowed);
  return true;
}

void ToolWriter::write(JsonOut& out) {
  out_.end_array();
  // generateContent with an API key refuses Google Search next to function declarations
  // ("Tool use with function calling is unsupported", 400). Codex CLI always sends
  // web_search with its functions: its functions win.
  if (!names_.empty() || st_.o.compact) search_ = false;
  if (names_.empty() && !search_) return;
  out.key("tools").begin_array();
  if (!names_.empty()) out.begin_object().key("functionDeclarations").raw(out_.view()).end_object();
  if (search_) out.begin_object().key("googleSearch").raw("{}").end_object();
  out.end_array();
  st_.search = search_;
}

}  // namespace

bool write_tools(raw::value root, RequestState& st, JsonOut& out) {
  ToolWriter writer(st);
  const raw::value tools = present(root.get("tools"));
  if (tools.exists() && !tools.is_array()) return st.err.fail("tools must be an array.", "tools", "invalid_type");
  const Path tools_at("tools");
  size_t i = 0;
  for (raw::value t : tools.items()) {
    if (!writer.tool(t, Path(tools_at, i++), raw::value())) return false;
  }
  // Tools an input item makes available from its place on (additional_tools: Codex sends all
  // of its tools so for its newer models): Gemini takes every tool at once, with the others.
  const raw::value input = present(root.get("input"));
  const Path input_at("input");  // named: item_at keeps a pointer to it
  size_t n = 0;
  for (raw::value item : input.items()) {
    const Path item_at(input_at, n++);
    if (!input.is_array() || !item.get("type").equals("additional_tools")) continue;
    const raw::value more = item.get("tools");
    const Path more_at(item_at, "tools");
    if (!more.is_array()) return st.err.fail_at(more_at, "must be an array.", "invalid_type");
    size_t j = 0;
    for (raw::value t : more.items()) {
      if (!writer.tool(t, Path(more_at, j++), raw::value())) return false;
    }
  }
  if (!writer.finish()) return false;
  writer.write(out);
  if (st.o.compact) {
    writer.none(out);
    return true;
  }
  return writer.choice(root.get("tool_choice"), out);
}

}  // namespace bal::responses::detail
