// The response object and its output items, as the whole answer, the stream's events and
// the stored record write them.
#include "internal.h"

namespace bal::responses::detail {
namespace {

constexpr std::string_view kStatusNames[] = {"in_progress", "completed", "incomplete", "failed"};

std::string_view status_name(Status s) {
  return kStatusNames[static_cast<size_t>(s)];
}

}  // namespace

void append_usage(std::string& out, const gemini::Usage& u) {
  out += "{\"input_tokens\":";
  append_int(out, u.prompt);
  out += ",\"input_tokens_details\":{\"cached_tokens\":";
  append_int(out, u.cached);
  out += "},\"output_tokens\":";
  append_int(out, u.completion());
  out += ",\"output_tokens_details\":{\"reasoning_tokens\":";
  append_int(out, u.thoughts);
  out += "},\"total_tokens\":";
  append_int(out, u.prompt + u.completion());
  out += '}';
}

void Output::write_item(std::string& out, const Item& item, bool with_encrypted) const {
  out += "{\"id\":";
  append_quoted(out, item.id);
  switch (item.kind) {
    case Item::Kind::reasoning:
      out += ",\"type\":\"reasoning\",\"summary\":[";
      if (item.done) {
        for (size_t i = 0; i < item.summary.size(); ++i) {
          if (i > 0) out += ',';
          out += "{\"type\":\"summary_text\",\"text\":";
          append_quoted(out, item.summary[i]);
          out += '}';
        }
      }
      out += ']';
      if (item.done && with_encrypted) {
        out += ",\"encrypted_content\":";
        append_quoted(out, encode_carry(carry_));
      }
      break;
    case Item::Kind::message:
      out += ",\"type\":\"message\",\"status\":\"";
      out += item.done ? "completed" : "in_progress";
      out += "\",\"content\":[";
      if (item.done) {
        out += R"({"type":"output_text","annotations":[)";
        out += item.annotations;
        out += R"(],"logprobs":[],"text":)";
        append_quoted(out, item.text);
        out += '}';
      }
      out += "],\"role\":\"assistant\"";
      break;
    case Item::Kind::call: {
      const std::string_view text = item.done ? std::string_view(item.arguments) : std::string_view();
      out += item.custom ? R"(,"type":"custom_tool_call","status":")" : R"(,"type":"function_call","status":")";
      out += item.done ? "completed" : "in_progress";
      out += '"';
      if (!item.custom) {
        out += ",\"arguments\":";
        append_quoted(out, text);
      }
      out += ",\"call_id\":";
      append_quoted(out, item.call_id);
      out += ",\"name\":";
      append_quoted(out, item.name);
      if (item.custom) {
        out += ",\"input\":";
        append_quoted(out, text);
      }
      if (!item.ns.empty()) {
        out += ",\"namespace\":";
        append_quoted(out, item.ns);
      }
      break;
    }
    case Item::Kind::search:
      out += R"(,"type":"web_search_call","status":")";
      out += item.done ? "completed" : "in_progress";
      out += R"(","action":{"type":"search","query":)";
      append_quoted(out, item.text);
      out += "}";
      break;
    case Item::Kind::compaction:
      out += R"(,"type":"compaction","encrypted_content":)";
      append_quoted(out, item.text);
      break;
  }
  out += '}';
}

bool Output::write_compacted(std::string& out) const {
  const Item* compaction = nullptr;
  for (const Item& item : items_) {
    if (item.kind == Item::Kind::compaction) compaction = &item;
  }
  if (compaction == nullptr) return false;
  out += "{\"id\":";
  append_quoted(out, o_.id);
  out += ",\"object\":\"response.compaction\",\"created_at\":";
  append_int(out, o_.created_at);
  out += ",\"output\":[";
  // The kept messages' array, less its brackets.
  if (o_.kept.size() > 2) {
    out.append(o_.kept, 1, o_.kept.size() - 2);
    out += ',';
  }
  write_item(out, *compaction, false);
  out += "],\"usage\":";
  append_usage(out, usage_);
  out += '}';
  return true;
}

void Output::write_response(std::string& out, bool with_encrypted) const {
  out += "{\"id\":";
  append_quoted(out, o_.id);
  out += ",\"object\":\"response\",\"created_at\":";
  append_int(out, o_.created_at);
  out += ",\"status\":\"";
  out += status_name(status_);
  out += "\",\"background\":false,\"error\":";
  out += status_ == Status::failed ? std::string_view(error_) : std::string_view("null");
  out += ",\"incomplete_details\":";
  if (status_ == Status::incomplete) {
    out += "{\"reason\":\"";
    out += incomplete_reason_;
    out += "\"}";
  } else {
    out += "null";
  }
  out += ",\"instructions\":";
  out += o_.instructions;
  out += ",\"max_output_tokens\":";
  out += o_.max_output_tokens;
  out += ",\"max_tool_calls\":null,\"model\":";
  append_quoted(out, o_.model);
  out += ",\"output\":[";
  bool first = true;
  for (const Item& item : items_) {
    if (!item.done && status_ != Status::in_progress) continue;
    if (status_ == Status::in_progress) break;
    if (!first) out += ',';
    first = false;
    write_item(out, item, with_encrypted);
  }
  out += "],\"parallel_tool_calls\":";
  out += o_.parallel_tool_calls;
  out += ",\"previous_response_id\":";
  if (o_.previous_id.empty()) {
    out += "null";
  } else {
    raw::append_string(out, o_.previous_id);
  }
  out += ",\"prompt_cache_key\":";
  out += o_.prompt_cache_key;
  out += ",\"reasoning\":";
  out += o_.reasoning;
  out += ",\"safety_identifier\":";
  out += o_.safety_identifier;
  out += ",\"service_tier\":";
  out += o_.service_tier;
  out += ",\"store\":";
  out += o_.store ? "true" : "false";
  out += ",\"temperature\":";
  out += o_.temperature;
  out += ",\"text\":";
  out += o_.text;
  out += ",\"tool_choice\":";
  out += o_.tool_choice;
  out += ",\"tools\":";
  out += o_.tools;
  out += ",\"top_logprobs\":0,\"top_p\":";
  out += o_.top_p;
  out += ",\"truncation\":";
  out += o_.truncation;
  out += ",\"usage\":";
  if (status_ == Status::in_progress || !usage_.known) {
    out += "null";
  } else {
    append_usage(out, usage_);
  }
  out += ",\"user\":";
  out += o_.user;
  out += ",\"metadata\":";
  out += o_.metadata;
  out += '}';
}

}  // namespace bal::responses::detail
