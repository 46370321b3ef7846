// OpenAI messages → Gemini contents and systemInstruction.
//
// system and developer messages, wherever they stand, become the system instruction in
// order. user → "user"; assistant → "model" (text, then functionCall parts); tool results →
// functionResponse parts in a "user" turn. Consecutive parts of one role share a turn, so
// the results of parallel tool calls travel together as Gemini expects.
#include "request_internal.h"

namespace bal::openai::req {
namespace {

enum class Role { system, user, assistant, tool, function };

struct RoleName {
  std::string_view name;
  Role role;
};

constexpr RoleName kRoles[] = {
    {"system", Role::system},       {"developer", Role::system}, {"user", Role::user},
    {"assistant", Role::assistant}, {"tool", Role::tool},        {"function", Role::function},  // legacy
};

struct ToolCall {
  std::string id;
  std::string name;
};

class MessageWriter {
 public:
  MessageWriter(ChatState& st, Turns& contents, Turns& system) : st_(st), contents_(contents), system_(system) {}
  bool write(raw::value m, const Path& at);

 private:
  bool assistant(raw::value m, const Path& at);
  bool tool_call(raw::value call, bool first, const Path& at);
  bool tool_result(raw::value m, const Path& at, bool legacy);
  bool response(raw::value content, const Path& at, JsonOut& out);

  ChatState& st_;
  Turns& contents_;
  Turns& system_;
  std::vector<ToolCall> calls_;  // every assistant tool call so far, for tool results' names
};

bool MessageWriter::write(raw::value m, const Path& at) {
  if (!m.is_object()) return st_.err.fail_at(at, "must be an object.", "invalid_type");
  raw::value role = m.get("role");
  const RoleName* found = nullptr;
  for (const RoleName& r : kRoles) {
    if (role.equals(r.name)) found = &r;
  }
  if (found == nullptr) return st_.err.fail_at(Path(at, "role"), "'" + role.str() + "' is not a supported role.");
  const Path content(at, "content");
  switch (found->role) {
    case Role::system:
      return write_content(m.get("content"), "", false, system_, st_.err, content);
    case Role::user:
      if (!present(m.get("content")).exists()) {
        return st_.err.fail_at(content, "is required.", "missing_required_parameter");
      }
      return write_content(m.get("content"), "user", true, contents_, st_.err, content, st_.media);
    case Role::assistant:
      return assistant(m, at);
    case Role::tool:
      return tool_result(m, at, false);
    case Role::function:
      return tool_result(m, at, true);
  }
  return true;
}

bool MessageWriter::assistant(raw::value m, const Path& at) {
  if (!write_content(m.get("content"), "model", false, contents_, st_.err, Path(at, "content"))) return false;
  raw::value calls = present(m.get("tool_calls"));
  const Path calls_at(at, "tool_calls");
  if (calls.exists() && !calls.is_array()) return st_.err.fail_at(calls_at, "must be an array.", "invalid_type");
  size_t j = 0;
  for (raw::value call : calls.items()) {
    if (!tool_call(call, j == 0, Path(calls_at, j))) return false;
    ++j;
  }
  raw::value legacy = present(m.get("function_call"));
  if (legacy.exists() && j == 0) return tool_call(m, true, at);
  return true;
}

// The JSON text of a tool call's arguments: an object, sent as a string (or, leniently, as an
// object). `parsed` and `decoded` hold what the returned view points into.
bool arguments_json(raw::value args, raw::document& parsed, std::string& decoded, std::string_view& json, Failure& err,
                    const Path& at) {
  args = present(args);
  json = "{}";
  if (args.is_object()) {
    json = args.raw_json();
  } else if (args.is_string() && args.raw().find_first_not_of(" \t\r\n") != std::string_view::npos) {
    decoded = args.str();
    if (parsed.parse(decoded) != raw::success || !parsed.root().is_object()) {
      return err.fail_at(at, "must be a JSON object encoded as a string.");
    }
    json = parsed.root().raw_json();
  } else if (args.exists() && !args.is_string()) {
    return err.fail_at(at, "must be a string.", "invalid_type");
  }
  return true;
}

// One tool call (or a legacy function_call, whose "function_call" stands where "function" is).
bool MessageWriter::tool_call(raw::value call, bool first, const Path& at) {
  const bool legacy = !call.get("function").exists() && call.get("function_call").exists();
  // A custom tool's call {"custom": {name, input}}: the input is its one string argument.
  const bool custom = call.get("type").equals("custom");
  const std::string_view field = legacy ? "function_call" : custom ? "custom" : "function";
  raw::value fn = call.get(field);
  const Path fn_at(at, field);
  raw::value name = fn.get("name");
  if (!name.is_string() || name.raw().empty()) {
    return st_.err.fail_at(Path(fn_at, "name"), "is required.", "missing_required_parameter");
  }
  raw::document parsed;
  std::string decoded;
  std::string_view args;
  if (custom) {
    if (!gemini::custom_args(fn.get("input"), decoded)) {
      return st_.err.fail_at(Path(fn_at, "input"), "must be a string.", "invalid_type");
    }
    args = decoded;
  } else if (!arguments_json(fn.get("arguments"), parsed, decoded, args, st_.err, Path(fn_at, "arguments"))) {
    return false;
  }
  raw::value id = legacy ? raw::value() : call.get("id");
  raw::value signature = call.get("extra_content").get("google").get("thought_signature");
  const std::string id_text = id.is_string() ? id.str() : std::string();
  const std::string carried = tool_call_signature(id_text);
  JsonOut& out = contents_.part("model");
  out.begin_object().key("functionCall").begin_object();
  if (!id_text.empty()) out.key("id").string(tool_call_base_id(id_text));
  out.key("name").raw_string(name).key("args").raw(args).end_object();
  if (signature.is_string() && !signature.raw().empty()) {
    out.key("thoughtSignature").raw_string(signature);
  } else if (!carried.empty()) {
    out.key("thoughtSignature").string(carried);  // a client that keeps ids but drops extra_content
  } else if (first && st_.traits.signs) {
    out.key("thoughtSignature").string(gemini::kSkipThoughtSignature);  // a client that drops extra_content
  }
  out.end_object();
  calls_.push_back({id.str(), name.str()});
  return true;
}

bool MessageWriter::tool_result(raw::value m, const Path& at, bool legacy) {
  std::string name;
  raw::value id = m.get("tool_call_id");
  const Path id_at(at, "tool_call_id");
  if (legacy) {
    name = m.get("name").str();
    if (name.empty()) return st_.err.fail_at(Path(at, "name"), "is required.", "missing_required_parameter");
  } else {
    if (!id.is_string()) return st_.err.fail_at(id_at, "is required.", "missing_required_parameter");
    const std::string wanted = id.str();
    for (auto it = calls_.rbegin(); it != calls_.rend() && name.empty(); ++it) {
      if (it->id == wanted) name = it->name;
    }
    if (name.empty()) {
      return st_.err.fail_at(id_at, "'" + wanted + "' does not match a tool call of an earlier assistant message.");
    }
  }
  std::string body;
  JsonOut response_out(body);
  if (!response(m.get("content"), Path(at, "content"), response_out)) return false;
  JsonOut& out = contents_.part("user");
  out.begin_object().key("functionResponse").begin_object();
  if (!legacy) out.key("id").string(tool_call_base_id(id.str()));
  out.key("name").string(name).key("response").raw(response_out.view()).end_object().end_object();
  return true;
}

// Gemini wants an object: a result that is a JSON object goes as it is, anything else is
// wrapped as {"result": "<text>"}.
bool MessageWriter::response(raw::value content, const Path& at, JsonOut& out) {
  content = present(content);
  if (content.is_string()) {
    gemini::write_result_object(out, content);
    return true;
  }
  std::string text;
  if (!content_text(content, text, st_.err, at)) return false;
  gemini::write_result_text(out, text);
  return true;
}

}  // namespace

bool write_messages(raw::value messages, ChatState& st, Turns& contents, Turns& system) {
  messages = present(messages);
  if (!messages.exists()) {
    return st.err.fail("messages is required.", "messages", "missing_required_parameter");
  }
  if (!messages.is_array()) return st.err.fail("messages must be an array.", "messages", "invalid_type");
  if (messages.size() == 0) return st.err.fail("messages must not be empty.", "messages", "invalid_value");
  MessageWriter writer(st, contents, system);
  const Path all("messages");
  size_t i = 0;
  for (raw::value m : messages.items()) {
    if (!writer.write(m, Path(all, i++))) return false;
  }
  contents.close();
  system.close();
  if (contents.empty()) {
    return st.err.fail("messages must include a user or assistant message with content.", "messages");
  }
  return true;
}

}  // namespace bal::openai::req

namespace bal::openai {

std::string_view tool_call_base_id(std::string_view id) {
  return id.substr(0, id.find(kIdSignatureMark));
}

std::string tool_call_signature(std::string_view id) {
  const size_t at = id.find(kIdSignatureMark);
  if (at == std::string_view::npos) return {};
  std::string out;
  for (const char c : id.substr(at + kIdSignatureMark.size())) {
    const bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && c != '-' && c != '_') return {};
    out += c == '-' ? '+' : c == '_' ? '/' : c;
  }
  if (out.size() % 4 == 1) return {};  // no base64 text has this length
  while (out.size() % 4 != 0) out += '=';
  return out;
}

}  // namespace bal::openai
