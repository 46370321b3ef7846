// Writers of a Gemini request body shared by every client API's translator (gemini_request.h).
#include <algorithm>
#include <optional>

#include "balancer/gemini_request.h"

namespace bal::gemini {
namespace {

struct Extension {
  std::string_view suffix;
  std::string_view mime;
};

constexpr Extension kExtensions[] = {
    {".pdf", "application/pdf"},   {".txt", "text/plain"},   {".md", "text/markdown"},   {".html", "text/html"},
    {".htm", "text/html"},         {".csv", "text/csv"},     {".xml", "text/xml"},       {".rtf", "text/rtf"},
    {".json", "application/json"}, {".py", "text/x-python"}, {".js", "text/javascript"}, {".css", "text/css"},
    {".png", "image/png"},         {".jpg", "image/jpeg"},   {".jpeg", "image/jpeg"},    {".webp", "image/webp"},
    {".gif", "image/gif"},         {".heic", "image/heic"},  {".heif", "image/heif"},    {".wav", "audio/wav"},
    {".mp3", "audio/mp3"},         {".aac", "audio/aac"},    {".ogg", "audio/ogg"},      {".flac", "audio/flac"},
    {".mp4", "video/mp4"},         {".mov", "video/mov"},    {".webm", "video/webm"},
};

}  // namespace

void write_inline(Turns& turns, std::string_view role, std::string_view mime, std::string_view escaped_data) {
  JsonOut& out = turns.part(role);
  out.begin_object().key("inlineData").begin_object();
  out.key("mimeType").string(mime);
  out.key("data").escaped(escaped_data);
  out.end_object().end_object();
}

std::string_view mime_for_filename(std::string_view name) {
  for (const Extension& e : kExtensions) {
    if (name.size() >= e.suffix.size()) {
      std::string_view tail = name.substr(name.size() - e.suffix.size());
      bool same = true;
      for (size_t i = 0; i < tail.size() && same; ++i) {
        const char c = tail[i] >= 'A' && tail[i] <= 'Z' ? static_cast<char>(tail[i] - 'A' + 'a') : tail[i];
        same = c == e.suffix[i];
      }
      if (same) return e.mime;
    }
  }
  return "application/pdf";
}

namespace {

// Opens a functionDeclarations entry with its checked name and description.
bool open_declaration(JsonOut& out, raw::value name, raw::value description, Failure& err, const Path& at,
                      std::string& decoded_name) {
  decoded_name = name.str();
  if (!valid_function_name(decoded_name)) {
    return err.fail_at(Path(at, "name"),
                       "must start with a letter or '_' and hold at most 64 of a-z, A-Z, 0-9, _, -, . and :.");
  }
  description = present(description);
  if (description.exists() && !description.is_string()) {
    return err.fail_at(Path(at, "description"), "must be a string.", "invalid_type");
  }
  out.begin_object().key("name").string(decoded_name);
  if (description.exists()) out.key("description").raw_string(description);
  return true;
}

}  // namespace

bool write_function_declaration(JsonOut& out, raw::value name, raw::value description, raw::value parameters,
                                Failure& err, const Path& at, std::string& decoded_name) {
  if (!open_declaration(out, name, description, err, at, decoded_name)) return false;
  parameters = present(parameters);
  if (parameters.exists() && !parameters.is_object()) {
    return err.fail_at(Path(at, "parameters"), "must be a JSON Schema object.", "invalid_type");
  }
  const ConvertedSchema schema = convert_schema(parameters, false);
  if (schema.form == SchemaForm::openapi) out.key("parameters").raw(schema.json);
  if (schema.form == SchemaForm::json_schema) out.key("parametersJsonSchema").raw(schema.json);
  out.end_object();
  return true;
}

bool write_custom_declaration(JsonOut& out, raw::value name, raw::value description, raw::value format,
                              raw::value grammar, Failure& err, const Path& at, std::string& decoded_name) {
  if (!open_declaration(out, name, description, err, at, decoded_name)) return false;
  format = present(format);
  const Path format_at(at, "format");
  const bool is_grammar = format.get("type").equals("grammar");
  if (format.exists() && !format.get("type").equals("text") && !is_grammar) {
    return err.fail_at(Path(format_at, "type"), "must be text or grammar.", "invalid_value");
  }
  const raw::value syntax = grammar.get("syntax");
  const raw::value definition = grammar.get("definition");
  if (is_grammar && !syntax.equals("lark") && !syntax.equals("regex")) {
    return err.fail_at(format_at, "must give a grammar's syntax, lark or regex.", "invalid_value");
  }
  if (is_grammar && !definition.is_string()) {
    return err.fail_at(format_at, "must give a grammar's definition as a string.", "invalid_type");
  }
  std::string input = "The raw free-form text the tool takes, as it is: not JSON.";
  if (is_grammar) {
    input += " It must match this ";
    input += syntax.raw();
    input += " grammar:\n";
    input += definition.str();
  }
  out.key("parameters").begin_object().key("type").string("OBJECT").key("properties").begin_object();
  out.key("input").begin_object().key("type").string("STRING").key("description").string(input).end_object();
  out.end_object().key("required").begin_array().string("input").end_array().end_object();
  out.end_object();
  return true;
}

bool custom_args(raw::value input, std::string& args) {
  if (!input.is_string()) return false;
  args = "{\"input\":";
  args += input.raw_json();
  args += '}';
  return true;
}

void write_tool_config(JsonOut& out, std::string_view mode, const std::vector<std::string>& allowed) {
  out.key("toolConfig").begin_object().key("functionCallingConfig").begin_object().key("mode").string(mode);
  if (!allowed.empty()) {
    out.key("allowedFunctionNames").begin_array();
    for (const std::string& name : allowed) out.string(name);
    out.end_array();
  }
  out.end_object().end_object();
}

void write_response_schema(JsonOut& out, raw::value schema) {
  out.key("responseMimeType").string("application/json");
  const ConvertedSchema c = convert_schema(schema, true);
  if (c.form == SchemaForm::openapi) out.key("responseSchema").raw(c.json);
  if (c.form == SchemaForm::json_schema) out.key("responseJsonSchema").raw(c.json);
}

void write_result_object(JsonOut& out, raw::value text) {
  const std::string_view span = text.raw();
  const size_t first = span.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || span[first] != '{') {
    out.begin_object().key("result").raw_string(text).end_object();
    return;
  }
  write_result_text(out, text.str());
}

void write_result_text(JsonOut& out, std::string_view text) {
  raw::document doc;
  if (doc.parse(text) == raw::success && doc.root().is_object()) {
    out.raw(doc.root().raw_json());
  } else {
    out.begin_object().key("result").string(text).end_object();
  }
}

bool write_number(JsonOut& out, std::string_view gemini_name, raw::value v, const NumberRange& range, Failure& err,
                  const Path& at) {
  const std::optional<double> d = v.as_double();
  if (!d) return err.fail_at(at, "must be a number.", "invalid_type");
  if (range.integer && !v.as_int64()) return err.fail_at(at, "must be an integer.", "invalid_type");
  if (*d < range.min || *d > range.max) return err.fail_at(at, "is out of range.", "invalid_value");
  out.key(gemini_name);
  if (range.integer) {
    out.number(*v.as_int64());
  } else {
    out.raw(v.raw());
  }
  return true;
}

}  // namespace bal::gemini
