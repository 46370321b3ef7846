// Gemini parts → Anthropic content blocks (internal.h), for the whole and the streamed answer.
//
// Text parts make text blocks, thought parts thinking blocks, function calls tool_use blocks;
// consecutive parts of one kind share a block. A thought signature on a thought part ends its
// thinking block; one on a function call goes into a thinking block just before the tool_use
// (the open thinking block when there is one, else an empty one). The request side
// (request_messages.cpp) gives a thinking block's signature to the part after it.
//
// A signature on a text part is dropped: Gemini 3 signs a reply's last part, streaming it in
// a final empty text part after the text has gone out, so it could only travel in a thinking
// block after the text. Anthropic messages never end that way, and clients read the last
// block as the answer (Claude Code's result is empty then); Gemini validates only the
// signatures of function calls.
#include "internal.h"

namespace bal::anthropic {

using Blocks = MessageStream::Blocks;

void Blocks::begin_event(std::string_view type, std::string& out) const {
  out += "event: ";
  out += type;
  out += "\ndata: {\"type\":\"";
  out += type;
  out += "\",\"index\":";
  append_int(out, static_cast<int64_t>(index_));
}

void Blocks::open(Kind kind, std::string& out) {
  if (open_ == kind) return;
  close(out);
  open_ = kind;
  if (!sse_) return;
  begin_event("content_block_start", out);
  out += kind == Kind::text ? R"(,"content_block":{"type":"text","text":""}})"
                            : R"(,"content_block":{"type":"thinking","thinking":"","signature":""}})";
  out += "\n\n";
  // Every delta of this block starts alike: written once, each delta is then three appends
  // (std::string's members are calls of their own in Wasm).
  delta_head_.clear();
  begin_event("content_block_delta", delta_head_);
  delta_head_ += kind == Kind::text ? R"(,"delta":{"type":"text_delta","text":")"
                                    : R"(,"delta":{"type":"thinking_delta","thinking":")";
}

void Blocks::delta(Kind kind, std::string_view escaped, std::string& out) {
  open(kind, out);
  if (!sse_) {
    text_ += escaped;
    return;
  }
  out += delta_head_;
  out += escaped;
  out += "\"}}\n\n";
}

void Blocks::signature(std::string_view escaped, std::string& out) {
  open(Kind::thinking, out);
  if (sse_) {
    begin_event("content_block_delta", out);
    out += R"(,"delta":{"type":"signature_delta","signature":")";
    out += escaped;
    out += "\"}}\n\n";
  } else {
    signature_ = escaped;
  }
  close(out);
}

void Blocks::close(std::string& out) {
  if (open_ == Kind::none) return;
  if (sse_) {
    begin_event("content_block_stop", out);
    out += "}\n\n";
  } else {
    if (index_ > 0) out += ',';
    if (open_ == Kind::text) {
      out += R"({"type":"text","text":")";
      out += text_;
      out += "\"}";
    } else {
      out += R"({"type":"thinking","thinking":")";
      out += text_;
      out += R"(","signature":")";
      out += signature_;
      out += "\"}";
    }
    text_.clear();
    signature_.clear();
  }
  open_ = Kind::none;
  ++index_;
}

void Blocks::tool_use(raw::value part, std::string& out) {
  close(out);
  const raw::value call = part.get("functionCall");
  std::string head;
  head += R"({"type":"tool_use","id":")";
  if (const raw::value id = call.get("id"); id.is_string() && !id.raw().empty()) {
    head += id.raw();
  } else {
    head += "toolu_";
    head += request_id_;
    head += '_';
    append_int(head, static_cast<int64_t>(tool_uses_));
  }
  head += R"(","name":")";
  head += escaped_span(call.get("name"));
  head += R"(","input":)";
  const raw::value args = call.get("args");
  input_block(head, args.is_object() ? args.raw_json() : std::string_view("{}"), out);
  ++tool_uses_;
}

// A block whose input is JSON (tool_use, server_tool_use): `head` is the block up to its
// "input": value. Streamed, the input comes in one input_json_delta.
void Blocks::input_block(std::string_view head, std::string_view input_json, std::string& out) {
  if (sse_) {
    begin_event("content_block_start", out);
    out += R"(,"content_block":)";
    out += head;
    out += "{}}}\n\n";
    begin_event("content_block_delta", out);
    out += R"(,"delta":{"type":"input_json_delta","partial_json":)";
    append_as_string(out, input_json);
    out += "}}\n\n";
    begin_event("content_block_stop", out);
    out += "}\n\n";
  } else {
    if (index_ > 0) out += ',';
    out += head;
    append_minified(out, input_json);
    out += '}';
  }
  ++index_;
}

// Gemini says which queries it ran and which pages it drew on, not which query found which
// page: one search block carries the first query, its result block every source. The
// sources' content stays with Google (encrypted_content is empty); a client sends both blocks
// back as they came, and the request side drops them.
void Blocks::search(raw::value grounding, std::string& out) {
  if (searches_ > 0 || !grounding.is_object()) return;
  const std::vector<gemini::Citation> sources = gemini::read_sources(grounding);
  if (sources.empty()) return;
  close(out);
  const raw::value queries = grounding.get("webSearchQueries");
  searches_ = std::max<int64_t>(1, static_cast<int64_t>(queries.size()));
  std::string id = "srvtoolu_";
  id += request_id_;
  std::string input = R"({"query":")";
  for (raw::value query : queries.items()) {
    input += escaped_span(query);
    break;
  }
  input += "\"}";
  std::string result = R"({"type":"web_search_tool_result","tool_use_id":")";
  result += id;
  result += R"(","content":[)";
  for (size_t i = 0; i < sources.size(); ++i) {
    if (i > 0) result += ',';
    result += R"({"type":"web_search_result","url":")";
    result += sources[i].url;
    result += R"(","title":")";
    result += sources[i].title;
    result += R"(","encrypted_content":"","page_age":null})";
  }
  result += "]}";
  std::string use = R"({"type":"server_tool_use","id":")";
  use += id;
  use += R"(","name":"web_search","input":)";
  input_block(use, input, out);
  if (sse_) {
    begin_event("content_block_start", out);
    out += R"(,"content_block":)";
    out += result;
    out += "}\n\n";
    begin_event("content_block_stop", out);
    out += "}\n\n";
  } else {
    out += ',';
    out += result;
  }
  ++index_;
}

void Blocks::parts(raw::value parts, std::string& out) {
  for (raw::value part : parts.items()) {
    const raw::value sig = part.get("thoughtSignature");
    const std::string_view signature = sig.is_string() ? sig.raw() : std::string_view();
    if (part.get("functionCall").is_object()) {
      if (!signature.empty()) this->signature(signature, out);
      tool_use(part, out);
      continue;
    }
    const raw::value text = part.get("text");
    std::string markdown;
    std::string_view escaped;
    if (text.is_string()) {
      escaped = text.raw();
    } else if (gemini::append_markdown(part, markdown)) {
      escaped = markdown;
    }
    const bool thought = part.get("thought").as_bool().value_or(false);
    if (!escaped.empty()) delta(thought ? Kind::thinking : Kind::text, escaped, out);
    if (thought && !signature.empty()) this->signature(signature, out);
  }
}

}  // namespace bal::anthropic
