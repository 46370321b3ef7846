// Anthropic tools and tool_choice → Gemini tools (functionDeclarations, googleSearch) and
// toolConfig. Custom tools become function declarations with their input_schema cleaned
// (gemini/schema.cpp); the web search server tool becomes Google Search grounding; any other
// server tool is refused by name, since Gemini has nothing that runs it.
#include "internal.h"

namespace bal::anthropic {
namespace {

// Server tools Gemini has an equivalent of, by the prefix of their versioned type.
constexpr std::string_view kSearchPrefix = "web_search_";

struct ChoiceMode {
  std::string_view anthropic;
  std::string_view gemini;
};
constexpr ChoiceMode kChoiceModes[] = {{"auto", "AUTO"}, {"any", "ANY"}, {"tool", "ANY"}, {"none", "NONE"}};

bool write_function(raw::value tool, RequestState& st, JsonOut& out, const Path& at) {
  const std::string name = tool.get("name").str();
  if (!gemini::valid_function_name(name)) {
    return st.err.fail_at(Path(at, "name"),
                          "must start with a letter or '_' and hold at most 64 of a-z, A-Z, 0-9, _, -, . and : "
                          "(Gemini's rule for function names).");
  }
  const raw::value description = present(tool.get("description"));
  const raw::value schema = present(tool.get("input_schema"));
  if (description.exists() && !description.is_string()) {
    return st.err.fail_at(Path(at, "description"), "must be a string.");
  }
  if (!schema.is_object()) return st.err.fail_at(Path(at, "input_schema"), "must be a JSON Schema object.");
  out.begin_object().key("name").string(name);
  if (description.exists()) out.key("description").raw_string(description);
  const gemini::ConvertedSchema c = gemini::convert_schema(schema, false);
  if (c.form == gemini::SchemaForm::openapi) out.key("parameters").raw(c.json);
  if (c.form == gemini::SchemaForm::json_schema) out.key("parametersJsonSchema").raw(c.json);
  out.end_object();
  st.tools.push_back(name);
  return true;
}

bool write_choice(raw::value root, RequestState& st, JsonOut& out) {
  const raw::value choice = present(root.get("tool_choice"));
  if (!choice.exists() || st.tools.empty()) return true;
  const Path at("tool_choice");
  const raw::value type = choice.get("type");
  const ChoiceMode* mode = nullptr;
  for (const ChoiceMode& m : kChoiceModes) {
    if (type.equals(m.anthropic)) mode = &m;
  }
  if (mode == nullptr) return st.err.fail_at(Path(at, "type"), "must be auto, any, tool or none.");
  std::string name;
  if (mode->anthropic == "tool") {
    name = choice.get("name").str();
    bool declared = false;
    for (const std::string& t : st.tools) declared = declared || t == name;
    if (!declared) return st.err.fail_at(Path(at, "name"), "'" + name + "' is not one of the tools.");
  }
  // disable_parallel_tool_use has no Gemini switch: Gemini decides how many calls to make.
  out.key("toolConfig").begin_object().key("functionCallingConfig").begin_object().key("mode").string(mode->gemini);
  if (!name.empty()) out.key("allowedFunctionNames").begin_array().string(name).end_array();
  out.end_object().end_object();
  return true;
}

}  // namespace

bool write_tools(raw::value root, RequestState& st, JsonOut& out) {
  const raw::value tools = present(root.get("tools"));
  if (tools.exists() && !tools.is_array()) return st.err.fail("tools: Input should be a valid list");
  std::string declarations;
  {
    JsonOut decl(declarations);
    decl.begin_array();
    const Path all("tools");
    size_t i = 0;
    for (raw::value tool : tools.items()) {
      const Path at(all, i++);
      if (!tool.is_object()) return st.err.fail_at(at, "must be an object.");
      const raw::value type = present(tool.get("type"));
      if (!type.exists() || type.equals("custom")) {
        if (!write_function(tool, st, decl, at)) return false;
      } else if (type.is_string() && type.raw().substr(0, kSearchPrefix.size()) == kSearchPrefix) {
        st.search = true;
      } else {
        return st.err.fail_at(Path(at, "type"), "'" + type.str() +
                                                    "' is a server tool Gemini has no equivalent of (only web search, "
                                                    "as Google Search, is supported).");
      }
    }
    decl.end_array();
  }
  // generateContent with an API key refuses Google Search next to function declarations
  // ("Tool use with function calling is unsupported", 400): the functions win.
  if (!st.tools.empty()) st.search = false;
  if (!st.tools.empty() || st.search) {
    out.key("tools").begin_array();
    if (!st.tools.empty()) out.begin_object().key("functionDeclarations").raw(declarations).end_object();
    if (st.search) out.begin_object().key("googleSearch").raw("{}").end_object();
    out.end_array();
  }
  return write_choice(root, st, out);
}

}  // namespace bal::anthropic
