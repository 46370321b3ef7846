// Responses input items → Gemini contents and systemInstruction.
//
// system and developer messages become the system instruction, in order; user messages and
// function_call_output items "user" parts; assistant messages and function_call items
// "model" parts; consecutive parts of one role share a turn, so the results of parallel calls
// travel together. Reasoning items write nothing: the signatures they carry are put back on
// the parts Gemini issued them for (function calls by call_id, text by its fingerprint).
#include <algorithm>

#include "balancer/media_url.h"
#include "request_internal.h"

namespace bal::responses::detail {
namespace {

// Gemini 3 refuses a function call turn without the signature it issued. When the client
// kept neither the stored response nor encrypted_content, Google documents this value.
constexpr std::string_view kSkipSignature = "skip_thought_signature_validator";

enum class Role { system, user, assistant };

struct RoleName {
  std::string_view name;
  Role role;
};

constexpr RoleName kRoles[] = {
    {"system", Role::system}, {"developer", Role::system}, {"user", Role::user}, {"assistant", Role::assistant}};

// Input item types that carry nothing for the turns: the results of Google Search are already
// in the model's text, additional_tools' tools are declared with the request's
// (request_tools.cpp), and a compaction_trigger asks for the answer's shape (request.cpp).
constexpr std::string_view kSkippedItems[] = {"reasoning", "web_search_call", "additional_tools",
                                              "compaction_trigger"};

// What a compaction item's summary is introduced by, in the user turn that carries it.
constexpr std::string_view kSummaryIntro =
    "Summary of the conversation before this point:\\n\\n";

bool write_text_part(Turns& turns, std::string_view role, raw::value text, Failure& err, const Path& at) {
  if (!text.is_string()) return err.fail_at(at, "must be a string.", "invalid_type");
  if (!text.raw().empty()) turns.part(role).begin_object().key("text").raw_string(text).end_object();
  return true;
}

bool write_image(Turns& turns, raw::value part, Failure& err, const Path& at, media::UrlMedia* urls) {
  const raw::value url = present(part.get("image_url"));
  const Path url_at(at, "image_url");
  if (!url.exists()) {
    if (present(part.get("file_id")).exists()) {
      return err.fail("Uploaded file ids are not supported: send the image inline as a data URL in image_url.",
                      Path(at, "file_id").str(), "unsupported_value");
    }
    return err.fail_at(url_at, "is required.", "missing_required_parameter");
  }
  if (!url.is_string()) return err.fail_at(url_at, "must be a string.", "invalid_type");
  gemini::DataUrl data;
  if (gemini::parse_data_url(url, data)) {
    gemini::write_inline(turns, "user", data.mime, data.data());
    return true;
  }
  const std::string href = url.str();
  if (!media::is_remote_url(href)) {
    return err.fail_at(url_at, "must be an http(s) URL or a base64 data URL (data:<mime type>;base64,<data>).");
  }
  std::string_view mime, b64;
  if (!media::remote_inline(urls, href, url_at, media::Kind::image, mime, b64, err)) return false;
  gemini::write_inline(turns, "user", mime, b64);
  return true;
}

bool write_file(Turns& turns, raw::value part, Failure& err, const Path& at, media::UrlMedia* urls) {
  const raw::value data = present(part.get("file_data"));
  const Path data_at(at, "file_data");
  if (!data.exists()) {
    const raw::value url = present(part.get("file_url"));
    if (url.is_string() && media::is_remote_url(url.str())) {
      std::string_view mime, b64;
      const Path url_at(at, "file_url");
      if (!media::remote_inline(urls, url.str(), url_at, media::Kind::document, mime, b64, err)) return false;
      gemini::write_inline(turns, "user", mime, b64);
      return true;
    }
    for (std::string_view field : {std::string_view("file_id"), std::string_view("file_url")}) {
      if (present(part.get(field)).exists()) {
        return err.fail("Uploaded files are not supported: send the file inline in file_data, or its http(s) URL in "
                        "file_url.",
                        Path(at, field).str(), "unsupported_value");
      }
    }
    return err.fail_at(data_at, "is required.", "missing_required_parameter");
  }
  if (!data.is_string()) return err.fail_at(data_at, "must be a string.", "invalid_type");
  gemini::DataUrl url;
  if (gemini::parse_data_url(data, url)) {
    gemini::write_inline(turns, "user", url.mime, url.data());
    return true;
  }
  const std::string_view mime = gemini::mime_for_filename(part.get("filename").str());
  if (!data.has_escapes()) {
    gemini::write_inline(turns, "user", mime, data.raw());
  } else {
    std::string escaped;
    raw::append_escaped(escaped, data.str());
    gemini::write_inline(turns, "user", mime, escaped);
  }
  return true;
}

const RoleName* find_role(raw::value role) {
  for (const RoleName& r : kRoles) {
    if (role.equals(r.name)) return &r;
  }
  return nullptr;
}

}  // namespace

std::string_view item_type(raw::value item) {
  const raw::value type = item.get("type");
  if (!type.exists() && item.get("role").exists()) return "message";
  return type.is_string() && !type.has_escapes() ? type.raw() : std::string_view("?");
}

JsonOut& ItemWriter::user_part() {
  turn_calls_ = 0;
  return contents_.part("user");
}

void ItemWriter::user_text(raw::value text) {
  if (!text.raw().empty()) user_part().begin_object().key("text").raw_string(text).end_object();
}

bool ItemWriter::item(raw::value v, const Path& at) {
  if (!v.is_object()) return st_.err.fail_at(at, "must be an object.", "invalid_type");
  const std::string_view type = item_type(v);
  if (type == "message") return message(v, at);
  if (type == "function_call" || type == "custom_tool_call") return function_call(v, at);
  if (type == "function_call_output" || type == "custom_tool_call_output") return function_call_output(v, at);
  if (type == "compaction") return compaction(v, at);
  for (std::string_view skipped : kSkippedItems) {
    if (type == skipped) return true;
  }
  return st_.err.fail_at(Path(at, "type"), "'" + v.get("type").str() + "' is not a supported input item type.",
                         "unsupported_value");
}

// The summary a compaction item carries, as the user turn that stands for what it replaced.
bool ItemWriter::compaction(raw::value item, const Path& at) {
  const raw::value content = item.get("encrypted_content");
  std::string summary;
  if (!content.is_string() || !decode_compaction(content.str(), summary)) {
    const Path content_at(at, "encrypted_content");
    return st_.err.fail("The encrypted content of " + at.str() +
                            " could not be verified: send back compaction items as this server returned them.",
                        content_at.str(), "invalid_encrypted_content");
  }
  std::string text(kSummaryIntro);
  raw::append_escaped(text, summary);
  user_part().begin_object().key("text").escaped(text).end_object();
  return true;
}

bool ItemWriter::message(raw::value m, const Path& at) {
  const RoleName* role = find_role(m.get("role"));
  if (role == nullptr) {
    return st_.err.fail_at(Path(at, "role"), "'" + m.get("role").str() + "' is not a supported role.");
  }
  const raw::value content = present(m.get("content"));
  const Path content_at(at, "content");
  if (!content.exists()) return st_.err.fail_at(content_at, "is required.", "missing_required_parameter");
  if (!content.is_string() && !content.is_array()) {
    return st_.err.fail_at(content_at, "must be a string or an array of content parts.", "invalid_type");
  }
  switch (role->role) {
    case Role::system:
      return system_content(content, content_at);
    case Role::user:
      return user_content(content, "user", content_at);
    case Role::assistant:
      return assistant_content(content, content_at);
  }
  return true;
}

bool ItemWriter::system_content(raw::value content, const Path& at) {
  if (content.is_string()) return write_text_part(system_, "", content, st_.err, at);
  size_t j = 0;
  for (raw::value part : content.items()) {
    const Path part_at(at, j++);
    const raw::value type = part.get("type");
    if (!type.equals("input_text") && !type.equals("text")) {
      return st_.err.fail_at(Path(part_at, "type"), "must be input_text in a system or developer message.",
                             "unsupported_value");
    }
    if (!write_text_part(system_, "", part.get("text"), st_.err, Path(part_at, "text"))) return false;
  }
  return true;
}

bool ItemWriter::user_content(raw::value content, std::string_view role, const Path& at) {
  turn_calls_ = 0;
  if (content.is_string()) return write_text_part(contents_, role, content, st_.err, at);
  size_t j = 0;
  for (raw::value part : content.items()) {
    const Path part_at(at, j++);
    const raw::value type = part.get("type");
    bool ok = false;
    if (type.equals("input_text")) {
      ok = write_text_part(contents_, role, part.get("text"), st_.err, Path(part_at, "text"));
    } else if (type.equals("input_image")) {
      ok = write_image(contents_, part, st_.err, part_at, st_.media);
    } else if (type.equals("input_file")) {
      ok = write_file(contents_, part, st_.err, part_at, st_.media);
    } else {
      return st_.err.fail_at(Path(part_at, "type"), "'" + type.str() + "' is not a supported content part type here.",
                             "unsupported_value");
    }
    if (!ok) return false;
  }
  return true;
}

bool ItemWriter::assistant_content(raw::value content, const Path& at) {
  if (content.is_string()) return write_text_part(contents_, "model", content, st_.err, at);
  size_t j = 0;
  for (raw::value part : content.items()) {
    const Path part_at(at, j++);
    const raw::value type = part.get("type");
    raw::value text;
    Path text_at(part_at, "text");
    if (type.equals("output_text") || type.equals("input_text")) {
      text = part.get("text");
    } else if (type.equals("refusal")) {
      text = part.get("refusal");
      text_at = Path(part_at, "refusal");
    } else {
      return st_.err.fail_at(Path(part_at, "type"), "'" + type.str() + "' is not a supported content part type here.",
                             "unsupported_value");
    }
    if (!text.is_string()) return st_.err.fail_at(text_at, "must be a string.", "invalid_type");
    if (text.raw().empty()) continue;
    JsonOut& out = contents_.part("model");
    out.begin_object().key("text").raw_string(text);
    if (!st_.carry.texts.empty()) {
      if (const std::string* sig = st_.carry.text(text_fingerprint(text.str())))
        out.key("thoughtSignature").escaped(*sig);
    }
    out.end_object();
  }
  return true;
}

bool ItemWriter::function_call(raw::value call, const Path& at) {
  const raw::value call_id = call.get("call_id");
  const raw::value name = call.get("name");
  if (!call_id.is_string() || call_id.raw().empty()) {
    return st_.err.fail_at(Path(at, "call_id"), "is required.", "missing_required_parameter");
  }
  if (!name.is_string() || name.raw().empty()) {
    return st_.err.fail_at(Path(at, "name"), "is required.", "missing_required_parameter");
  }
  const raw::value args = present(call.get("arguments"));
  std::string decoded;
  raw::document parsed;
  std::string_view args_json = "{}";
  if (call.get("type").equals("custom_tool_call")) {
    // A custom tool's input is the one string argument its declaration has.
    if (!gemini::custom_args(call.get("input"), decoded)) {
      return st_.err.fail_at(Path(at, "input"), "must be a string.", "invalid_type");
    }
    args_json = decoded;
  } else if (args.is_string() && args.raw().find_first_not_of(" \t\r\n") != std::string_view::npos) {
    decoded = args.str();
    if (parsed.parse(decoded) != raw::success || !parsed.root().is_object()) {
      return st_.err.fail_at(Path(at, "arguments"), "must be a JSON object encoded as a string.");
    }
    args_json = parsed.root().raw_json();
  } else if (args.exists() && !args.is_string()) {
    return st_.err.fail_at(Path(at, "arguments"), "must be a string.", "invalid_type");
  }
  std::string id = call_id.str();
  JsonOut& out = contents_.part("model");
  out.begin_object().key("functionCall").begin_object();
  out.key("id").raw_string(call_id).key("name").raw_string(name).key("args").raw(args_json).end_object();
  if (const std::string* sig = st_.carry.call(id)) {
    out.key("thoughtSignature").escaped(*sig);
  } else if (turn_calls_ == 0 && st_.traits.signs) {
    out.key("thoughtSignature").string(kSkipSignature);
  }
  out.end_object();
  ++turn_calls_;
  calls_.push_back({std::move(id), name.str()});
  return true;
}

bool ItemWriter::function_call_output(raw::value result, const Path& at) {
  const raw::value call_id = result.get("call_id");
  const Path id_at(at, "call_id");
  if (!call_id.is_string()) return st_.err.fail_at(id_at, "is required.", "missing_required_parameter");
  const std::string wanted = call_id.str();
  const Call* call = nullptr;
  for (auto it = calls_.rbegin(); it != calls_.rend() && call == nullptr; ++it) {
    if (it->id == wanted) call = &*it;
  }
  if (call == nullptr) {
    const std::string_view kind =
        item_type(result) == "custom_tool_call_output" ? "custom tool call output" : "function call output";
    return st_.err.fail("No tool call found for " + std::string(kind) + " with call_id " + wanted + ".", id_at.str());
  }
  const raw::value output = present(result.get("output"));
  const Path output_at(at, "output");
  std::string text;
  std::vector<raw::value> media;
  if (output.is_array()) {
    size_t j = 0;
    for (raw::value part : output.items()) {
      const Path part_at(output_at, j++);
      const raw::value type = part.get("type");
      if (type.equals("input_text") || type.equals("output_text")) {
        if (!part.get("text").is_string()) {
          return st_.err.fail_at(Path(part_at, "text"), "must be a string.", "invalid_type");
        }
        text += part.get("text").str();
      } else if (type.equals("input_image") || type.equals("input_file")) {
        media.push_back(part);
      } else {
        return st_.err.fail_at(Path(part_at, "type"), "must be input_text, input_image or input_file.",
                               "unsupported_value");
      }
    }
  } else if (!output.is_string()) {
    return st_.err.fail_at(output_at, "must be a string or an array of content parts.", "invalid_type");
  }
  JsonOut& out = user_part();
  out.begin_object().key("functionResponse").begin_object();
  out.key("id").raw_string(call_id).key("name").string(call->name).key("response");
  if (output.is_string()) {
    gemini::write_result_object(out, output);
  } else {
    gemini::write_result_text(out, text);
  }
  out.end_object().end_object();
  size_t j = 0;
  for (raw::value part : media) {
    const Path part_at(output_at, j++);
    const bool ok = part.get("type").equals("input_image") ? write_image(contents_, part, st_.err, part_at, st_.media)
                                                           : write_file(contents_, part, st_.err, part_at, st_.media);
    if (!ok) return false;
  }
  return true;
}

bool resolve_input(raw::value input, RequestState& st, std::vector<raw::value>& items) {
  const Path all("input");
  size_t i = 0;
  for (raw::value v : input.items()) {
    const Path at(all, i++);
    if (!v.is_object() || !v.get("type").equals("item_reference")) {
      items.push_back(v);
      continue;
    }
    const raw::value id = v.get("id");
    if (!id.is_string()) return st.err.fail_at(Path(at, "id"), "is required.", "missing_required_parameter");
    const raw::value found = st.stored != nullptr ? st.stored->item(id.str()) : raw::value();
    if (!found.exists()) {
      return st.err.fail("Item with id '" + id.str() + "' not found.", Path(at, "id").str(), "item_not_found");
    }
    items.push_back(found);
  }
  return true;
}

bool collect_signatures(const std::vector<raw::value>& items, RequestState& st, bool from_request) {
  size_t i = 0;
  for (raw::value v : items) {
    const size_t index = i++;
    if (item_type(v) != "reasoning") continue;
    const raw::value content = present(v.get("encrypted_content"));
    if (!content.exists()) continue;
    if (content.is_string() && decode_carry(content.str(), st.carry)) continue;
    if (!from_request) continue;  // a record this server wrote: nothing the client can fix
    const Path all("input");
    const Path item(all, index);
    const Path at(item, "encrypted_content");
    return st.err.fail("The encrypted content of input[" + std::to_string(index) +
                           "] could not be verified: send back reasoning items as this server returned them.",
                       at.str(), "invalid_encrypted_content");
  }
  return true;
}

void collect_stored_signatures(const std::vector<raw::value>& items, RequestState& st) {
  if (st.stored == nullptr) return;
  std::vector<std::string> seen;
  for (raw::value v : items) {
    const raw::value id = v.get("id");
    // A call without this server's item id names its response by its call_id (as ids_to_load).
    std::string response = id.is_string() ? response_of_item(id.str()) : std::string();
    if (const raw::value call_id = v.get("call_id"); response.empty() && call_id.is_string() && is_call_item(v)) {
      response = response_of_item(call_id.str());
    }
    if (response.empty() || std::find(seen.begin(), seen.end(), response) != seen.end()) continue;
    const raw::value record = st.stored->find(response);
    seen.push_back(std::move(response));
    if (!record.exists()) continue;
    for (raw::value out : record.get("response").get("output").items()) {
      const raw::value content = out.get("encrypted_content");
      if (item_type(out) == "reasoning" && content.is_string()) decode_carry(content.str(), st.carry);
    }
    if (const auto key = record.get("key_id").as_int64()) st.o.bound_key = key;
  }
}

}  // namespace bal::responses::detail
