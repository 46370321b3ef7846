// Anthropic tools and tool_choice → Gemini tools (functionDeclarations, googleSearch) and
// toolConfig. Custom tools become function declarations with their input_schema cleaned
// (gemini/schema.cpp); Anthropic's bash and text editor tools, which the client runs but whose
// schema only Anthropic's side holds, become declarations of their documented inputs; the web
// search server tool becomes Google Search grounding; any other tool type is refused by name,
// since Gemini has nothing that runs it.
#include "internal.h"

namespace bal::anthropic {
namespace {

// Server tools Gemini has an equivalent of, by the prefix of their versioned type.
constexpr std::string_view kSearchPrefix = "web_search_";

// Anthropic-defined client tools: the client runs them and names them; their input schema, by
// the prefix of their versioned type, is the one Anthropic documents.
struct ClientTool {
  std::string_view prefix;
  std::string_view description;
  std::string_view schema;
};
#define BAL_EDITOR_SCHEMA(commands)                                                                     \
  R"({"type":"object","properties":{"command":{"type":"string","enum":[)" commands R"(]},)"              \
  R"("path":{"type":"string","description":"The file or directory."},)"                                  \
  R"("file_text":{"type":"string","description":"create: the new file's content."},)"                    \
  R"("old_str":{"type":"string","description":"str_replace: the text to replace."},)"                    \
  R"("new_str":{"type":"string","description":"str_replace: the new text; insert: the text to insert."},)" \
  R"("insert_line":{"type":"integer","description":"insert: the line after which to insert."},)"         \
  R"("view_range":{"type":"array","items":{"type":"integer"},)"                                        \
  R"("description":"view: first and last line, -1 for the end."}},)"                                     \
  R"("required":["command","path"]})"
constexpr std::string_view kEditorDescription =
    "Views, creates and edits text files: view (a file with line numbers, or a directory), create, str_replace "
    "(old_str must match exactly once) and insert (new_str after line insert_line, 0 for the top).";
// The last entry whose prefix the type starts with: the older editors also undo.
constexpr ClientTool kClientTools[] = {
    {"bash_", "Runs a command in a persistent bash shell; restart: true restarts the shell instead.",
     R"({"type":"object","properties":{"command":{"type":"string","description":"The command to run."},)"
     R"("restart":{"type":"boolean","description":"Restart the shell instead of running a command."}}})"},
    {"text_editor_", kEditorDescription, BAL_EDITOR_SCHEMA(R"("view","create","str_replace","insert")")},
    {"text_editor_20241022", kEditorDescription, BAL_EDITOR_SCHEMA(R"("view","create","str_replace","insert","undo_edit")")},
    {"text_editor_20250124", kEditorDescription, BAL_EDITOR_SCHEMA(R"("view","create","str_replace","insert","undo_edit")")},
};
#undef BAL_EDITOR_SCHEMA

struct ChoiceMode {
  std::string_view anthropic;
  std::string_view gemini;
};
constexpr ChoiceMode kChoiceModes[] = {{"auto", "AUTO"}, {"any", "ANY"}, {"tool", "ANY"}, {"none", "NONE"}};

// A JSON Schema as Gemini takes a function's parameters (gemini/schema.cpp).
void write_parameters(raw::value schema, JsonOut& out) {
  const gemini::ConvertedSchema c = gemini::convert_schema(schema, false);
  if (c.form == gemini::SchemaForm::openapi) out.key("parameters").raw(c.json);
  if (c.form == gemini::SchemaForm::json_schema) out.key("parametersJsonSchema").raw(c.json);
}

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
  write_parameters(schema, out);
  out.end_object();
  st.tools.push_back(name);
  return true;
}

// One of Anthropic's client tools, declared under the name the client gave it.
bool write_client_tool(raw::value tool, const ClientTool& known, RequestState& st, JsonOut& out, const Path& at) {
  const std::string name = tool.get("name").str();
  if (!gemini::valid_function_name(name)) return st.err.fail_at(Path(at, "name"), "must be the tool's name.");
  raw::document doc;
  doc.parse(known.schema);
  out.begin_object().key("name").string(name).key("description").string(known.description);
  write_parameters(doc.root(), out);
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
      const std::string_view kind = type.is_string() ? type.raw() : std::string_view();
      const ClientTool* client = nullptr;
      for (const ClientTool& c : kClientTools) {
        if (kind.substr(0, c.prefix.size()) == c.prefix) client = &c;
      }
      if (!type.exists() || type.equals("custom")) {
        if (!write_function(tool, st, decl, at)) return false;
      } else if (client != nullptr) {
        if (!write_client_tool(tool, *client, st, decl, at)) return false;
      } else if (kind.substr(0, kSearchPrefix.size()) == kSearchPrefix) {
        st.search = true;
      } else {
        return st.err.fail_at(Path(at, "type"), "'" + type.str() +
                                                    "' is a tool type Gemini has no equivalent of (of Anthropic's "
                                                    "own tools, bash and the text editor are declared for the "
                                                    "client to run, and web search runs as Google Search).");
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
