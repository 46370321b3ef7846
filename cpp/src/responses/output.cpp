// Gemini parts → Responses output items and, for streams, the events that announce them.
//
// Items are added in output order (a client's snapshot appends each output_item.added).
// Thought parts make one reasoning item, opened where the first thought or signature
// appears and closed last: the signatures it carries (encrypted_content) may arrive with the
// final part. Text makes a message item, each function call a function_call item (a
// custom_tool_call when it calls a custom tool). Texts, names and arguments stay escaped as
// Gemini sent them.
#include <algorithm>

#include "internal.h"

namespace bal::responses::detail {
namespace {

struct IncompleteReason {
  std::string_view gemini;
  std::string_view reason;
};

// Read top to bottom: Gemini finishReasons that leave the answer incomplete, and OpenAI's
// incomplete_details.reason. Every other reason (STOP, a function call, new ones) completes.
constexpr IncompleteReason kIncomplete[] = {
    {"MAX_TOKENS", "max_output_tokens"},      {"SAFETY", "content_filter"},
    {"RECITATION", "content_filter"},         {"BLOCKLIST", "content_filter"},
    {"PROHIBITED_CONTENT", "content_filter"}, {"SPII", "content_filter"},
    {"IMAGE_SAFETY", "content_filter"},       {"IMAGE_PROHIBITED_CONTENT", "content_filter"},
    {"IMAGE_RECITATION", "content_filter"},   {"IMAGE_OTHER", "content_filter"},
};

}  // namespace

void Output::event_head(std::string& ev, std::string_view type) {
  ev += "event: ";
  ev += type;
  ev += "\ndata: {\"type\":\"";
  ev += type;
  ev += "\",\"sequence_number\":";
  append_int(ev, sequence_++);
}

// The fields that name an item in its events: "item_id" and "output_index".
void Output::item_ref(std::string& ev, size_t index) {
  ev += ",\"item_id\":";
  append_quoted(ev, items_[index].id);
  ev += ",\"output_index\":";
  append_int(ev, static_cast<int64_t>(index));
}

// output_item.added / output_item.done with the item as it stands.
void Output::item_event(std::string& ev, std::string_view type, size_t index) {
  event_head(ev, type);
  ev += ",\"output_index\":";
  append_int(ev, static_cast<int64_t>(index));
  ev += ",\"item\":";
  write_item(ev, items_[index], o_.include_encrypted);
  ev += "}\n\n";
}

void Output::begin(std::string& events) {
  for (std::string_view type : {std::string_view("response.created"), std::string_view("response.in_progress")}) {
    event_head(events, type);
    events += ",\"response\":";
    write_response(events, o_.include_encrypted);
    events += "}\n\n";
  }
}

void Output::ensure_reasoning(std::string* ev) {
  if (reasoning_ >= 0) return;
  Item item;
  item.kind = Item::Kind::reasoning;
  item.id = item_id("rs", o_.request_id, o_.first_output + items_.size());
  items_.push_back(std::move(item));
  reasoning_ = static_cast<int64_t>(items_.size() - 1);
  if (ev != nullptr) item_event(*ev, "response.output_item.added", items_.size() - 1);
}

void Output::open_summary(std::string* ev) {
  if (summary_open_) return;
  summary_open_ = true;
  Item& r = items_[static_cast<size_t>(reasoning_)];
  r.summary.emplace_back();
  if (ev == nullptr) return;
  // Deltas are most of a stream: their fixed fields are written once per part.
  summary_delta_.clear();
  item_ref(summary_delta_, static_cast<size_t>(reasoning_));
  summary_delta_ += ",\"summary_index\":";
  append_int(summary_delta_, static_cast<int64_t>(r.summary.size() - 1));
  summary_delta_ += ",\"delta\":\"";
  event_head(*ev, "response.reasoning_summary_part.added");
  item_ref(*ev, static_cast<size_t>(reasoning_));
  *ev += ",\"summary_index\":";
  append_int(*ev, static_cast<int64_t>(r.summary.size() - 1));
  *ev += ",\"part\":{\"type\":\"summary_text\",\"text\":\"\"}}\n\n";
}

void Output::close_summary(std::string* ev) {
  if (!summary_open_) return;
  summary_open_ = false;
  if (ev == nullptr) return;
  const Item& r = items_[static_cast<size_t>(reasoning_)];
  const int64_t index = static_cast<int64_t>(r.summary.size() - 1);
  event_head(*ev, "response.reasoning_summary_text.done");
  item_ref(*ev, static_cast<size_t>(reasoning_));
  *ev += ",\"summary_index\":";
  append_int(*ev, index);
  *ev += ",\"text\":";
  append_quoted(*ev, r.summary.back());
  *ev += "}\n\n";
  event_head(*ev, "response.reasoning_summary_part.done");
  item_ref(*ev, static_cast<size_t>(reasoning_));
  *ev += ",\"summary_index\":";
  append_int(*ev, index);
  *ev += ",\"part\":{\"type\":\"summary_text\",\"text\":";
  append_quoted(*ev, r.summary.back());
  *ev += "}}\n\n";
}

void Output::open_message(std::string* ev) {
  if (message_ >= 0) return;
  Item item;
  item.kind = Item::Kind::message;
  item.id = item_id("msg", o_.request_id, o_.first_output + items_.size());
  items_.push_back(std::move(item));
  message_ = static_cast<int64_t>(items_.size() - 1);
  if (ev == nullptr) return;
  message_delta_.clear();
  item_ref(message_delta_, static_cast<size_t>(message_));
  message_delta_ += ",\"content_index\":0,\"delta\":\"";
  item_event(*ev, "response.output_item.added", items_.size() - 1);
  event_head(*ev, "response.content_part.added");
  item_ref(*ev, static_cast<size_t>(message_));
  *ev += R"(,"content_index":0,"part":{"type":"output_text","annotations":[],"logprobs":[],"text":""}})";
  *ev += "\n\n";
}

void Output::close_message(std::string* ev) {
  if (message_ < 0) return;
  const size_t m = static_cast<size_t>(message_);
  message_ = -1;
  Item& item = items_[m];
  item.done = true;
  if (ev == nullptr) return;
  event_head(*ev, "response.output_text.done");
  item_ref(*ev, m);
  *ev += ",\"content_index\":0,\"text\":";
  append_quoted(*ev, item.text);
  *ev += ",\"logprobs\":[]}\n\n";
  event_head(*ev, "response.content_part.done");
  item_ref(*ev, m);
  *ev += R"(,"content_index":0,"part":{"type":"output_text","annotations":[)";
  *ev += item.annotations;
  *ev += R"(],"logprobs":[],"text":)";
  append_quoted(*ev, item.text);
  *ev += "}}\n\n";
  item_event(*ev, "response.output_item.done", m);
}

void Output::call(raw::value part, std::string* ev) {
  close_summary(ev);
  close_message(ev);
  const raw::value fc = part.get("functionCall");
  const raw::value sig = part.get("thoughtSignature");
  const bool signed_part = sig.is_string() && !sig.raw().empty();
  // The reasoning item that will carry the signature comes before the call it signs.
  if (signed_part) ensure_reasoning(ev);
  Item item;
  item.kind = Item::Kind::call;
  for (const std::string& name : o_.custom_tools) item.custom = item.custom || fc.get("name").equals(name);
  item.id = item_id(item.custom ? "ctc" : "fc", o_.request_id, o_.first_output + items_.size());
  if (const raw::value id = fc.get("id"); id.is_string() && !id.raw().empty()) {
    item.call_id = std::string(id.raw());
  } else {
    item.call_id = item_id("call", o_.request_id, calls_);
  }
  ++calls_;
  item.name = std::string(escaped_span(fc.get("name")));
  for (const auto& [name, ns] : o_.namespaces) {
    if (fc.get("name").equals(name)) item.ns = ns;
  }
  const raw::value args = fc.get("args");
  if (item.custom && args.get("input").is_string()) {
    item.arguments = std::string(args.get("input").raw());
  } else if (args.is_object()) {
    std::string quoted;
    append_as_string(quoted, args.raw_json());
    item.arguments = quoted.substr(1, quoted.size() - 2);
  } else {
    item.arguments = "{}";
  }
  if (signed_part) {
    std::string call_id;
    raw::unescape(item.call_id, call_id);
    carry_.calls.emplace_back(std::move(call_id), std::string(sig.raw()));
  }
  items_.push_back(std::move(item));
  const size_t index = items_.size() - 1;
  if (ev == nullptr) {
    items_[index].done = true;
    return;
  }
  const Item& it = items_[index];
  item_event(*ev, "response.output_item.added", index);
  event_head(*ev, it.custom ? "response.custom_tool_call_input.delta" : "response.function_call_arguments.delta");
  item_ref(*ev, index);
  *ev += ",\"delta\":";
  append_quoted(*ev, it.arguments);
  *ev += "}\n\n";
  event_head(*ev, it.custom ? "response.custom_tool_call_input.done" : "response.function_call_arguments.done");
  item_ref(*ev, index);
  if (!it.custom) {
    *ev += ",\"name\":";
    append_quoted(*ev, it.name);
  }
  *ev += it.custom ? ",\"input\":" : ",\"arguments\":";
  append_quoted(*ev, it.arguments);
  *ev += "}\n\n";
  items_[index].done = true;
  item_event(*ev, "response.output_item.done", index);
}

// Whether a part makes or signs the reasoning item.
bool Output::needs_reasoning(raw::value part) const {
  const raw::value sig = part.get("thoughtSignature");
  if (sig.is_string() && !sig.raw().empty()) return true;
  return o_.include_thoughts && part.get("thought").as_bool().value_or(false) && !part.get("text").raw().empty();
}

void Output::parts(raw::value parts, std::string* ev) {
  // A summary asked for by compaction_trigger: its text is the compaction item, made whole
  // at finish(); thoughts and their signatures are not kept with it.
  if (o_.compact) {
    for (raw::value part : parts.items()) {
      const raw::value text = part.get("text");
      if (text.is_string() && !part.get("thought").as_bool().value_or(false)) summary_ += text.raw();
    }
    return;
  }
  // The reasoning item comes first, as in OpenAI's output, whenever it is known in time: in a
  // whole answer if any part makes it; in a stream if the part that opens the message signs it
  // (a signature on a later event can only add it after the message).
  if (ev == nullptr && reasoning_ < 0) {
    for (raw::value part : parts.items()) {
      if (needs_reasoning(part)) {
        ensure_reasoning(nullptr);
        break;
      }
    }
  }
  for (raw::value part : parts.items()) {
    if (part.get("functionCall").is_object()) {
      call(part, ev);
      continue;
    }
    const raw::value text = part.get("text");
    if (!text.is_string()) continue;
    const raw::value sig = part.get("thoughtSignature");
    const bool signed_part = sig.is_string() && !sig.raw().empty();
    if (part.get("thought").as_bool().value_or(false)) {
      if (o_.include_thoughts && !text.raw().empty()) {
        ensure_reasoning(ev);
        open_summary(ev);
        items_[static_cast<size_t>(reasoning_)].summary.back() += text.raw();
        if (ev != nullptr) {
          event_head(*ev, "response.reasoning_summary_text.delta");
          *ev += summary_delta_;
          *ev += text.raw();
          *ev += "\"}\n\n";
        }
      }
    } else if (!text.raw().empty()) {
      close_summary(ev);
      if (signed_part) ensure_reasoning(ev);
      open_message(ev);
      items_[static_cast<size_t>(message_)].text += text.raw();
      if (ev != nullptr) {
        event_head(*ev, "response.output_text.delta");
        *ev += message_delta_;
        *ev += text.raw();
        *ev += "\",\"logprobs\":[]}\n\n";
      }
    }
    if (signed_part) {
      ensure_reasoning(ev);
      text_signature_ = std::string(sig.raw());
    }
  }
}

// Gemini's Google Search as a web_search_call item: its first query (Gemini does not say which
// query found which page; the pages are the message's annotations).
void Output::search(raw::value metadata, std::string* ev) {
  if (searched_) return;
  const raw::value queries = metadata.get("webSearchQueries");
  if (queries.size() == 0 && gemini::read_sources(metadata).empty()) return;
  searched_ = true;
  std::string query;
  for (raw::value q : queries.items()) {
    query = std::string(escaped_span(q));
    break;
  }
  // Streamed, the message it grounds is still open: the item follows it.
  if (ev != nullptr) {
    pending_search_ = std::move(query);
  } else {
    add_search(std::move(query), nullptr);
  }
}

// Adds the web_search_call item; streamed, it comes whole: added in progress, then completed.
void Output::add_search(std::string query, std::string* ev) {
  Item item;
  item.kind = Item::Kind::search;
  item.id = item_id("ws", o_.request_id, o_.first_output + items_.size());
  item.text = std::move(query);
  items_.push_back(std::move(item));
  const size_t index = items_.size() - 1;
  if (ev != nullptr) {
    item_event(*ev, "response.output_item.added", index);
    for (std::string_view type : {std::string_view("response.web_search_call.in_progress"),
                                  std::string_view("response.web_search_call.searching"),
                                  std::string_view("response.web_search_call.completed")}) {
      event_head(*ev, type);
      item_ref(*ev, index);
      *ev += "}\n\n";
    }
  }
  items_[index].done = true;
  if (ev != nullptr) item_event(*ev, "response.output_item.done", index);
}

// The compaction item: it has no events of its own, only added and done, with the summary.
void Output::add_compaction(std::string* ev) {
  Item item;
  item.kind = Item::Kind::compaction;
  item.id = item_id("cmp", o_.request_id, o_.first_output + items_.size());
  item.text = encode_compaction(summary_);
  item.done = true;
  items_.push_back(std::move(item));
  if (ev == nullptr) return;
  item_event(*ev, "response.output_item.added", items_.size() - 1);
  item_event(*ev, "response.output_item.done", items_.size() - 1);
}

// Google sends the sources with the answer's last events, their spans over the whole text:
// they annotate the last message (its output_text), each citation once.
void Output::grounding(raw::value metadata, std::string* ev) {
  size_t m = items_.size();
  while (m > 0 && items_[m - 1].kind != Item::Kind::message) --m;
  if (m == 0) return;
  const size_t index = m - 1;
  for (const gemini::Citation& c : gemini::read_citations(metadata, items_[index].text)) {
    Item& item = items_[index];
    std::string key = c.key();
    if (std::find(item.cited.begin(), item.cited.end(), key) != item.cited.end()) continue;
    item.cited.push_back(std::move(key));
    std::string a = R"({"type":"url_citation","start_index":)";
    append_int(a, c.start);
    a += ",\"end_index\":";
    append_int(a, c.end);
    a += ",\"url\":";
    append_quoted(a, c.url);
    a += ",\"title\":";
    append_quoted(a, c.title);
    a += '}';
    if (!item.annotations.empty()) item.annotations += ',';
    item.annotations += a;
    // The open message's text is still streaming: announce the annotation now. A closed
    // one shows it in the final response.
    if (ev == nullptr || static_cast<int64_t>(index) != message_) continue;
    event_head(*ev, "response.output_text.annotation.added");
    item_ref(*ev, index);
    *ev += ",\"content_index\":0,\"annotation_index\":";
    append_int(*ev, static_cast<int64_t>(item.cited.size() - 1));
    *ev += ",\"annotation\":";
    *ev += a;
    *ev += "}\n\n";
  }
}

void Output::finish_reason(std::string_view reason) {
  incomplete_reason_.clear();
  for (const IncompleteReason& r : kIncomplete) {
    if (r.gemini == reason) incomplete_reason_ = std::string(r.reason);
  }
}

// Gemini 3 signs the last part of an answer without calls: the signature belongs to the
// last message's text.
void Output::bind_text_signature() {
  if (text_signature_.empty()) return;
  for (auto it = items_.rbegin(); it != items_.rend(); ++it) {
    if (it->kind != Item::Kind::message) continue;
    std::string decoded;
    raw::unescape(it->text, decoded);
    carry_.texts.emplace_back(text_fingerprint(decoded), std::move(text_signature_));
    break;
  }
  text_signature_.clear();
}

void Output::finish(std::string* ev) {
  if (status_ != Status::in_progress) return;
  close_summary(ev);
  close_message(ev);
  bind_text_signature();
  if (o_.compact && !summary_.empty()) add_compaction(ev);
  if (pending_search_) {
    add_search(std::move(*pending_search_), ev);
    pending_search_.reset();
  }
  if (reasoning_ >= 0) {
    items_[static_cast<size_t>(reasoning_)].done = true;
    if (ev != nullptr) item_event(*ev, "response.output_item.done", static_cast<size_t>(reasoning_));
  }
  status_ = incomplete_reason_.empty() ? Status::completed : Status::incomplete;
  if (ev == nullptr) return;
  event_head(*ev, status_ == Status::completed ? "response.completed" : "response.incomplete");
  *ev += ",\"response\":";
  write_response(*ev, o_.include_encrypted);
  *ev += "}\n\n";
}

void Output::fail(const ApiError& e, std::string* ev) {
  if (status_ != Status::in_progress) return;
  status_ = Status::failed;
  const std::string_view code = e.code.empty() ? std::string_view("server_error") : std::string_view(e.code);
  error_.clear();
  error_ += "{\"code\":";
  raw::append_string(error_, code);
  error_ += ",\"message\":";
  raw::append_string(error_, e.message);
  error_ += '}';
  if (ev == nullptr) return;
  // The error event in both of its documented forms: flat, and nested under "error" (the
  // official SDK throws on the latter).
  event_head(*ev, "error");
  *ev += ",\"code\":";
  raw::append_string(*ev, code);
  *ev += ",\"message\":";
  raw::append_string(*ev, e.message);
  *ev += ",\"param\":null,\"error\":{\"type\":";
  raw::append_string(*ev, e.status == 429  ? "rate_limit_error"
                          : e.status < 500 ? "invalid_request_error"
                                           : "server_error");
  *ev += ",\"code\":";
  raw::append_string(*ev, code);
  *ev += ",\"message\":";
  raw::append_string(*ev, e.message);
  *ev += ",\"param\":null}}\n\n";
  event_head(*ev, "response.failed");
  *ev += ",\"response\":";
  write_response(*ev, o_.include_encrypted);
  *ev += "}\n\n";
}

}  // namespace bal::responses::detail
