// Anthropic system and messages → Gemini systemInstruction and contents.
//
// The top-level system (a string or text blocks) opens the system instruction; messages with
// role "system" (Claude Code 2.1 sends its environment block as one) add to it in order.
// user → "user": text, image, document and tool_result blocks (→ functionResponse, named
// after the tool_use it answers); assistant → "model": text and tool_use (→ functionCall),
// with the thought signatures the thinking blocks carry (see blocks.cpp for where the answer
// puts them). Consecutive parts of one role share a turn.
#include "balancer/gemini_request.h"
#include "balancer/media_url.h"
#include "internal.h"

namespace bal::anthropic {
namespace {

using gemini::Turns;

class MessageWriter {
 public:
  MessageWriter(RequestState& st, Turns& contents, Turns& system) : st_(st), contents_(contents), system_(system) {}
  bool system(raw::value content, const Path& at);
  bool message(raw::value m, const Path& at);

 private:
  bool user(raw::value content, const Path& at);
  bool assistant(raw::value content, const Path& at);
  bool user_block(raw::value block, const Path& at);
  bool text(raw::value text, Turns& turns, std::string_view role, raw::value signature, const Path& at);
  bool tool_use(raw::value block, raw::value signature, bool first, const Path& at);
  bool tool_result(raw::value block, const Path& at);
  bool source(raw::value source, bool document, const Path& at);

  RequestState& st_;
  Turns& contents_;
  Turns& system_;
};

bool is_type(raw::value block, std::string_view type) {
  return block.get("type").equals(type);
}

// A block the model's turn keeps as a part of its own.
bool writes_part(raw::value block) {
  return is_type(block, "tool_use") || (is_type(block, "text") && !block.get("text").raw().empty());
}

bool MessageWriter::text(raw::value text, Turns& turns, std::string_view role, raw::value signature, const Path& at) {
  if (!text.is_string()) return st_.err.fail_at(at, "must be a string.");
  // Gemini refuses empty text parts; an empty text adds nothing.
  if (text.raw().empty()) return true;
  JsonOut& out = turns.part(role);
  out.begin_object().key("text").raw_string(text);
  if (signature.is_string()) out.key("thoughtSignature").raw_string(signature);
  out.end_object();
  return true;
}

// A string, or text blocks (system prompts).
bool MessageWriter::system(raw::value content, const Path& at) {
  content = present(content);
  if (!content.exists()) return true;
  if (content.is_string()) return text(content, system_, "", {}, at);
  if (!content.is_array()) return st_.err.fail_at(at, "must be a string or an array of text blocks.");
  size_t i = 0;
  for (raw::value block : content.items()) {
    const Path block_at(at, i++);
    if (!is_type(block, "text")) return st_.err.fail_at(Path(block_at, "type"), "must be 'text' in a system prompt.");
    if (!text(block.get("text"), system_, "", {}, Path(block_at, "text"))) return false;
  }
  return true;
}

bool MessageWriter::message(raw::value m, const Path& at) {
  if (!m.is_object()) return st_.err.fail_at(at, "must be an object.");
  const raw::value role = m.get("role");
  const raw::value content = present(m.get("content"));
  const Path content_at(at, "content");
  if (role.equals("system")) return system(content, content_at);
  if (!content.exists()) return st_.err.fail_at(content_at, "is required.");
  if (role.equals("user")) return user(content, content_at);
  if (role.equals("assistant")) return assistant(content, content_at);
  return st_.err.fail_at(Path(at, "role"), "must be 'user' or 'assistant' (or 'system'), not '" + role.str() + "'.");
}

bool MessageWriter::user(raw::value content, const Path& at) {
  if (content.is_string()) return text(content, contents_, "user", {}, at);
  if (!content.is_array()) return st_.err.fail_at(at, "must be a string or an array of content blocks.");
  size_t i = 0;
  for (raw::value block : content.items()) {
    if (!user_block(block, Path(at, i++))) return false;
  }
  return true;
}

bool MessageWriter::user_block(raw::value block, const Path& at) {
  if (is_type(block, "text")) return text(block.get("text"), contents_, "user", {}, Path(at, "text"));
  if (is_type(block, "image")) return source(block.get("source"), false, Path(at, "source"));
  if (is_type(block, "document")) return source(block.get("source"), true, Path(at, "source"));
  if (is_type(block, "tool_result")) return tool_result(block, at);
  return st_.err.fail_at(
      Path(at, "type"), "'" + block.get("type").str() + "' is not a content block type a user message can carry here.");
}

// An image or document source: base64 data, plain text, nested content blocks, or an http(s)
// URL the request machine fetches (media_url.h). Anthropic's own uploaded files are refused.
bool MessageWriter::source(raw::value source, bool document, const Path& at) {
  const raw::value type = source.get("type");
  if (type.equals("base64")) {
    const raw::value mime = source.get("media_type");
    const raw::value data = source.get("data");
    if (!mime.is_string() || mime.raw().empty()) return st_.err.fail_at(Path(at, "media_type"), "is required.");
    if (!data.is_string()) return st_.err.fail_at(Path(at, "data"), "must be a base64 string.");
    JsonOut& out = contents_.part("user");
    out.begin_object().key("inlineData").begin_object();
    out.key("mimeType").raw_string(mime).key("data").raw_string(data);
    out.end_object().end_object();
    return true;
  }
  if (document && type.equals("text")) return text(source.get("data"), contents_, "user", {}, Path(at, "data"));
  if (document && type.equals("content")) {
    const raw::value blocks = source.get("content");
    const Path blocks_at(at, "content");
    if (blocks.is_string()) return text(blocks, contents_, "user", {}, blocks_at);
    size_t i = 0;
    for (raw::value block : blocks.items()) {
      const Path block_at(blocks_at, i++);
      if (!is_type(block, "text") && !is_type(block, "image")) {
        return st_.err.fail_at(Path(block_at, "type"), "must be 'text' or 'image'.");
      }
      if (!user_block(block, block_at)) return false;
    }
    return true;
  }
  if (type.equals("url")) {
    const raw::value url = source.get("url");
    const Path url_at(at, "url");
    if (!url.is_string() || !media::is_remote_url(url.str())) return st_.err.fail_at(url_at, "must be an http(s) URL.");
    std::string_view mime, data;
    const media::Kind kind = document ? media::Kind::document : media::Kind::image;
    if (!media::remote_inline(st_.media, url.str(), url_at, kind, mime, data, st_.err)) return false;
    gemini::write_inline(contents_, "user", mime, data);
    return true;
  }
  if (type.equals("file")) {
    return st_.err.fail_at(at,
                           "of type 'file' is not supported: uploaded files are Anthropic's; send the data inline.");
  }
  return st_.err.fail_at(Path(at, "type"), document ? "must be 'base64', 'text' or 'content'." : "must be 'base64'.");
}

// Gemini wants an object: the result's text as {"output": …}, or {"error": …} for a failed
// call (Google's documented keys). Images in the result follow as parts of the same turn.
bool MessageWriter::tool_result(raw::value block, const Path& at) {
  const raw::value id = block.get("tool_use_id");
  const Path id_at(at, "tool_use_id");
  if (!id.is_string() || id.raw().empty()) return st_.err.fail_at(id_at, "is required.");
  const ToolUse* use = nullptr;
  for (auto it = st_.uses.rbegin(); it != st_.uses.rend() && use == nullptr; ++it) {
    if (id.equals(it->id)) use = &*it;
  }
  if (use == nullptr) {
    return st_.err.fail_at(id_at,
                           "'" + id.str() + "' does not match a tool_use block of an earlier assistant message.");
  }
  const raw::value content = present(block.get("content"));
  const Path content_at(at, "content");
  std::string text;  // escaped
  std::vector<raw::value> media;
  if (content.is_string()) {
    text = content.raw();
  } else if (content.is_array()) {
    size_t i = 0;
    for (raw::value b : content.items()) {
      const Path b_at(content_at, i++);
      if (is_type(b, "text") && b.get("text").is_string()) {
        if (!text.empty()) text += "\\n";
        text += b.get("text").raw();
      } else if (is_type(b, "image") || is_type(b, "document")) {
        media.push_back(b);
      } else {
        return st_.err.fail_at(b_at, "must be a text, image or document block.");
      }
    }
  } else if (content.exists()) {
    return st_.err.fail_at(content_at, "must be a string or an array of content blocks.");
  }
  const raw::value is_error = present(block.get("is_error"));
  if (is_error.exists() && !is_error.is_bool()) return st_.err.fail_at(Path(at, "is_error"), "must be a boolean.");
  JsonOut& out = contents_.part("user");
  out.begin_object().key("functionResponse").begin_object();
  out.key("id").raw_string(id).key("name").string(use->name);
  out.key("response").begin_object().key(is_error.as_bool().value_or(false) ? "error" : "output").escaped(text);
  out.end_object().end_object().end_object();
  size_t i = 0;
  for (raw::value b : media) {
    if (!source(b.get("source"), is_type(b, "document"), Path(Path(content_at, i++), "source"))) return false;
  }
  return true;
}

bool MessageWriter::tool_use(raw::value block, raw::value signature, bool first, const Path& at) {
  const raw::value id = block.get("id");
  const raw::value name = block.get("name");
  const raw::value input = present(block.get("input"));
  if (!id.is_string() || id.raw().empty()) return st_.err.fail_at(Path(at, "id"), "is required.");
  if (!name.is_string() || name.raw().empty()) return st_.err.fail_at(Path(at, "name"), "is required.");
  if (input.exists() && !input.is_object()) return st_.err.fail_at(Path(at, "input"), "must be an object.");
  JsonOut& out = contents_.part("model");
  out.begin_object().key("functionCall").begin_object();
  out.key("id").raw_string(id).key("name").raw_string(name).key("args");
  out.raw(input.exists() ? input.raw_json() : std::string_view("{}")).end_object();
  if (signature.is_string()) {
    out.key("thoughtSignature").raw_string(signature);
  } else if (first && st_.traits.signs) {
    out.key("thoughtSignature").string(gemini::kSkipThoughtSignature);  // the client dropped it
  }
  out.end_object();
  st_.uses.push_back({id.str(), name.str()});
  return true;
}

bool MessageWriter::assistant(raw::value content, const Path& at) {
  if (content.is_string()) return text(content, contents_, "model", {}, at);
  if (!content.is_array()) return st_.err.fail_at(at, "must be a string or an array of content blocks.");
  std::vector<raw::value> blocks;
  blocks.reserve(content.size());
  for (raw::value b : content.items()) blocks.push_back(b);
  // A thinking block's signature belongs to the part after it (see blocks.cpp).
  std::vector<raw::value> signatures(blocks.size());
  for (size_t i = 0; i + 1 < blocks.size(); ++i) {
    const raw::value sig = blocks[i].get("signature");
    if (is_type(blocks[i], "thinking") && sig.is_string() && !sig.raw().empty() && writes_part(blocks[i + 1])) {
      signatures[i + 1] = sig;
    }
  }
  bool first_call = true;
  for (size_t i = 0; i < blocks.size(); ++i) {
    const raw::value b = blocks[i];
    const Path b_at(at, i);
    if (is_type(b, "text")) {
      if (!text(b.get("text"), contents_, "model", signatures[i], Path(b_at, "text"))) return false;
    } else if (is_type(b, "tool_use")) {
      if (!tool_use(b, signatures[i], first_call, b_at)) return false;
      first_call = false;
    } else if (!is_type(b, "thinking") && !is_type(b, "redacted_thinking") && !is_type(b, "server_tool_use") &&
               !is_type(b, "web_search_tool_result")) {
      // Thinking text is the model's own summary: Gemini needs only its signatures back. Server
      // tool blocks are Anthropic's record of a search Gemini did as grounding.
      return st_.err.fail_at(Path(b_at, "type"), "'" + b.get("type").str() +
                                                     "' is not a content block type an assistant message can carry.");
    }
  }
  return true;
}

}  // namespace

bool write_messages(raw::value root, RequestState& st, Turns& contents, Turns& system) {
  MessageWriter writer(st, contents, system);
  if (!writer.system(root.get("system"), Path("system"))) return false;
  const raw::value messages = present(root.get("messages"));
  if (!messages.exists()) return st.err.fail("messages: Field required");
  if (!messages.is_array()) return st.err.fail("messages: Input should be a valid list");
  const Path all("messages");
  size_t i = 0;
  for (raw::value m : messages.items()) {
    if (!writer.message(m, Path(all, i++))) return false;
  }
  contents.close();
  system.close();
  if (contents.empty())
    return st.err.fail("messages: at least one user or assistant message with content is required.");
  return true;
}

}  // namespace bal::anthropic
