// Stored responses: the records read back from the store, the ids a request needs loaded,
// and the answers of GET / DELETE /v1/responses/{id} and GET .../input_items.
#include <algorithm>

#include "balancer/openai.h"
#include "balancer/path.h"
#include "internal.h"

namespace bal::responses {
namespace {

constexpr std::string_view kResponsePrefix = "resp_";
constexpr size_t kRequestIdLength = 16;
constexpr int64_t kDefaultItemLimit = 20;
constexpr int64_t kMaxItemLimit = 100;
// A chain longer than the store can hold is a loop in broken data.
constexpr size_t kMaxChain = 100000;

bool is_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// The query's parameters, names and values percent-decoded ('+' is a space).
template <class F>
void for_each_param(std::string_view query, F&& f) {
  size_t start = 0;
  while (start < query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    const std::string_view item = query.substr(start, end - start);
    const size_t eq = item.find('=');
    std::string name = percent_decode(item.substr(0, eq));
    std::string value(eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1));
    std::replace(value.begin(), value.end(), '+', ' ');
    f(name, percent_decode(value));
    start = end + 1;
  }
}

bool includes_encrypted(std::string_view query) {
  bool found = false;
  for_each_param(query, [&found](const std::string& name, const std::string& value) {
    if ((name == "include" || name == "include[]") && value == "reasoning.encrypted_content") found = true;
  });
  return found;
}

Reply json_reply(std::string body) {
  Reply r;
  r.body = std::move(body);
  return r;
}

// The response object without encrypted_content on its reasoning items (a compaction item's
// is what the item is).
void write_without_encrypted(JsonOut& out, raw::value response) {
  out.begin_object();
  for (raw::member m : response.members()) {
    out.raw_key(m.key);
    if (!m.key.equals("output")) {
      out.raw(m.val.raw_json());
      continue;
    }
    out.begin_array();
    for (raw::value item : m.val.items()) {
      out.begin_object();
      const bool reasoning = item.get("type").equals("reasoning");
      for (raw::member f : item.members()) {
        if (!reasoning || !f.key.equals("encrypted_content")) out.raw_key(f.key).raw(f.val.raw_json());
      }
      out.end_object();
    }
    out.end_array();
  }
  out.end_object();
}

}  // namespace

bool Stored::parse(std::string text) {
  text_ = std::move(text);
  if (doc_.parse(text_) != raw::success || !doc_.root().is_array()) return false;
  for (raw::value r : doc_.root().items()) {
    if (!r.is_object() || r.get("v").as_int64() != kRecordVersion || !r.get("id").is_string() ||
        !r.get("input").is_array() || !r.get("response").get("output").is_array()) {
      doc_ = raw::document();
      return false;
    }
  }
  return true;
}

raw::value Stored::find(std::string_view id) const {
  for (raw::value r : doc_.root().items()) {
    if (r.get("id").equals(id)) return r;
  }
  return {};
}

std::vector<raw::value> Stored::chain(std::string_view id) const {
  std::vector<raw::value> out;
  std::string next(id);
  while (!next.empty() && out.size() < kMaxChain) {
    const raw::value r = find(next);
    if (!r.exists()) return {};
    out.push_back(r);
    const raw::value previous = r.get("previous_response_id");
    next = previous.is_string() ? previous.str() : std::string();
    if (next == id) return {};
  }
  std::reverse(out.begin(), out.end());
  return out;
}

raw::value Stored::item(std::string_view item_id) const {
  const raw::value r = find(response_of_item(item_id));
  for (std::string_view list : {std::string_view("input"), std::string_view("output")}) {
    const raw::value items = list == "input" ? r.get("input") : r.get("response").get("output");
    for (raw::value v : items.items()) {
      if (v.get("id").equals(item_id)) return v;
    }
  }
  return {};
}

bool valid_response_id(std::string_view id) {
  return id.size() == kResponsePrefix.size() + kRequestIdLength &&
         id.substr(0, kResponsePrefix.size()) == kResponsePrefix && is_hex(id.substr(kResponsePrefix.size()));
}

std::string response_of_item(std::string_view item_id) {
  const size_t first = item_id.find('_');
  if (first == std::string_view::npos) return {};
  const std::string_view rest = item_id.substr(first + 1);
  if (rest.size() <= kRequestIdLength || rest[kRequestIdLength] != '_' || !is_hex(rest.substr(0, kRequestIdLength))) {
    return {};
  }
  return std::string(kResponsePrefix) + std::string(rest.substr(0, kRequestIdLength));
}

bool is_call_item(raw::value item) {
  const raw::value type = item.get("type");
  return type.equals("function_call") || type.equals("custom_tool_call");
}

namespace {

// Whether `body` may name a stored response: previous_response_id, or an id of this server's
// form ("_<16 hex>_"). A byte scan, so that most requests are parsed only once; one pass over
// the underscores, which both contain: a search for the field's name first cost three times
// the scan (every "p" of a long text was a candidate).
bool may_name_stored(std::string_view body) {
  static constexpr std::string_view kPrevious = "previous_response_id";
  static constexpr size_t kPreviousUnderscore = kPrevious.find('_');
  for (size_t at = raw::find_byte(body, '_'); at != std::string_view::npos; at = raw::find_byte(body, '_', at + 1)) {
    if (at >= kPreviousUnderscore && body.substr(at - kPreviousUnderscore, kPrevious.size()) == kPrevious) return true;
    if (at + kRequestIdLength + 1 < body.size() && body[at + kRequestIdLength + 1] == '_' &&
        is_hex(body.substr(at + 1, kRequestIdLength))) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::vector<std::string> ids_to_load(std::string_view body) {
  std::vector<std::string> ids;
  if (!may_name_stored(body)) return ids;
  raw::document doc;
  if (doc.parse(body) != raw::success) return ids;
  const raw::value root = doc.root();
  auto add = [&ids](std::string id) {
    if (!id.empty() && std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(std::move(id));
  };
  if (const raw::value previous = root.get("previous_response_id"); previous.is_string()) add(previous.str());
  // Every item this server issued names its response: item_references need its items, and,
  // for a client that stores responses, items sent back whole (a reasoning item without
  // encrypted_content) need its signatures. A client with store: false keeps them itself
  // (Codex CLI): its turns cost no store lookup.
  const bool stores = root.get("store").as_bool().value_or(true);
  for (raw::value item : root.get("input").items()) {
    const raw::value id = item.get("id");
    if (id.is_string() && (stores || item.get("type").equals("item_reference"))) add(response_of_item(id.str()));
    // A call sent back with neither its id nor the reasoning item before it (Cline) still
    // names its response by the call_id this server gave it.
    const raw::value call_id = item.get("call_id");
    if (stores && call_id.is_string() && is_call_item(item)) add(response_of_item(call_id.str()));
  }
  return ids;
}

Reply response_not_found(std::string_view id) {
  return openai::error_reply(
      api_error(404, "Response with id '" + std::string(id) + "' not found.", "not_found", "id"));
}

Reply retrieve_response(std::string_view id, const Stored* stored, std::string_view query) {
  const raw::value record = stored != nullptr ? stored->find(id) : raw::value();
  if (!record.exists()) return response_not_found(id);
  const raw::value response = record.get("response");
  if (includes_encrypted(query)) return json_reply(std::string(response.raw_json()));
  std::string body;
  {
    JsonOut out(body, response.raw_json().size());
    write_without_encrypted(out, response);
  }
  return json_reply(std::move(body));
}

Reply list_input_items(std::string_view id, const Stored* stored, std::string_view query) {
  const raw::value record = stored != nullptr ? stored->find(id) : raw::value();
  if (!record.exists()) return response_not_found(id);
  int64_t limit = kDefaultItemLimit;
  bool ascending = false;
  std::string after;
  std::string bad;
  for_each_param(query, [&](const std::string& name, const std::string& value) {
    if (name == "limit") {
      char* end = nullptr;
      const long long n = std::strtoll(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0' || n < 1 || n > kMaxItemLimit) bad = "limit must be an integer from 1 to 100.";
      limit = std::clamp<int64_t>(n, 1, kMaxItemLimit);
    } else if (name == "order") {
      if (value != "asc" && value != "desc") bad = "order must be asc or desc.";
      ascending = value == "asc";
    } else if (name == "after") {
      after = value;
    }
  });
  if (!bad.empty()) return openai::error_reply(api_error(400, bad, "invalid_value"));
  std::vector<raw::value> items;
  for (raw::value v : record.get("input").items()) items.push_back(v);
  if (!ascending) std::reverse(items.begin(), items.end());
  size_t start = 0;
  if (!after.empty()) {
    while (start < items.size() && !items[start].get("id").equals(after)) ++start;
    start = start < items.size() ? start + 1 : items.size();
  }
  const size_t end = std::min(items.size(), start + static_cast<size_t>(limit));
  std::string body;
  {
    JsonOut out(body, record.get("input").raw_json().size() + 128);
    out.begin_object().key("object").string("list").key("data").begin_array();
    for (size_t i = start; i < end; ++i) out.raw(items[i].raw_json());
    out.end_array().key("first_id");
    if (start < end) {
      out.raw_string(items[start].get("id"));
    } else {
      out.null();
    }
    out.key("last_id");
    if (start < end) {
      out.raw_string(items[end - 1].get("id"));
    } else {
      out.null();
    }
    out.key("has_more").boolean(end < items.size()).end_object();
  }
  return json_reply(std::move(body));
}

Reply delete_response(std::string_view id, bool deleted) {
  if (!deleted) return response_not_found(id);
  std::string body;
  {
    JsonOut out(body);
    out.begin_object().key("id").string(id).key("object").string("response").key("deleted").boolean(true).end_object();
  }
  return json_reply(std::move(body));
}

}  // namespace bal::responses
