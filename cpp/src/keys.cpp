#include "balancer/keys.h"

#include <unordered_set>

#include "balancer/json.h"

namespace bal {
namespace {

bool is_key_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

bool is_separator(char c) {
  return c == '\n' || c == '\r' || c == ',' || c == ';' || c == ' ' || c == '\t' || c == '\f' || c == '\v';
}

bool is_trimmed(char c) {
  return is_separator(c) || c == '"' || c == '\'' || c == '`';
}

// Blanks and quotes around an entry are not part of it.
std::string_view trim_entry(std::string_view s) {
  while (!s.empty() && is_trimmed(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_trimmed(s.back())) s.remove_suffix(1);
  return s;
}

// A rejected entry is shown back to the person who pasted it; a near-key (a typo) must not
// be echoed whole, and a huge blob is cut short.
std::string displayable(std::string_view s) {
  constexpr size_t kMaxShown = 48;
  if (s.size() >= 12) {
    std::string out(s.substr(0, 6));
    out += "…";
    out += s.substr(s.size() - 4);
    out += " (" + std::to_string(s.size()) + " chars)";
    return out;
  }
  return std::string(s.substr(0, kMaxShown));
}

class Collector {
 public:
  explicit Collector(KeyList& out) : out_(out) {}
  void add(std::string_view entry) {
    entry = trim_entry(entry);
    if (entry.empty()) return;
    if (++seen_ > kMaxKeysPerRequest) {
      out_.too_many = true;
      return;
    }
    if (!is_well_formed_key(entry)) {
      out_.rejected.push_back(displayable(entry));
      return;
    }
    if (!unique_.emplace(entry).second) {
      ++out_.duplicates;
      return;
    }
    out_.keys.emplace_back(entry);
  }
  void add_text(std::string_view text) {
    size_t i = 0;
    while (i < text.size() && !out_.too_many) {
      while (i < text.size() && is_separator(text[i])) ++i;
      size_t j = i;
      while (j < text.size() && !is_separator(text[j])) ++j;
      if (j > i) add(text.substr(i, j - i));
      i = j;
    }
  }

 private:
  KeyList& out_;
  std::unordered_set<std::string> unique_;
  size_t seen_ = 0;
};

bool add_json_value(const json& v, Collector& c) {
  if (v.is_string()) {
    c.add_text(v.get_ref<const std::string&>());
    return true;
  }
  if (!v.is_array()) return false;
  for (const json& item : v) {
    if (item.is_string()) {
      c.add(item.get_ref<const std::string&>());
    } else {
      c.add(dump_json(item));  // reported as rejected
    }
  }
  return true;
}

}  // namespace

bool is_well_formed_key(std::string_view s) {
  if (s.size() != kKeyLength || s.substr(0, 4) != "AIza") return false;
  for (char c : s.substr(4)) {
    if (!is_key_char(c)) return false;
  }
  return true;
}

std::string mask_key(std::string_view key) {
  if (key.size() < 12) return std::string(key.size(), '*');
  std::string out(key.substr(0, 6));
  out += "…";
  out += key.substr(key.size() - 4);
  return out;
}

KeyList parse_key_list(std::string_view body) {
  KeyList out;
  Collector c(out);
  size_t first = 0;
  while (first < body.size() && is_separator(body[first])) ++first;
  const char lead = first < body.size() ? body[first] : '\0';
  if (lead == '{' || lead == '[') {
    // A list too long to be worth building is refused as too many, like a long text list.
    switch (check_json_shape(body)) {
      case JsonShape::too_many_items:
      case JsonShape::too_many_values:
        out.too_many = true;
        return out;
      case JsonShape::too_deep:
        out.bad_json = true;
        return out;
      case JsonShape::ok:
        break;
    }
    const json doc = parse_json(body);
    if (doc.is_discarded()) {
      out.bad_json = true;
      return out;
    }
    const json* keys = doc.is_object() ? get_field(doc, "keys") : &doc;
    if (keys == nullptr || !add_json_value(*keys, c)) out.bad_json = true;
    return out;
  }
  c.add_text(body);
  return out;
}

std::vector<std::string> extract_keys(std::string_view text) {
  std::vector<std::string> out;
  std::unordered_set<std::string_view> seen;
  size_t i = 0;
  while (i + kKeyLength <= text.size()) {
    const size_t at = text.find("AIza", i);
    if (at == std::string_view::npos || at + kKeyLength > text.size()) break;
    const bool boundary_before = at == 0 || !is_key_char(text[at - 1]);
    const bool boundary_after = at + kKeyLength == text.size() || !is_key_char(text[at + kKeyLength]);
    const std::string_view candidate = text.substr(at, kKeyLength);
    if (boundary_before && boundary_after && is_well_formed_key(candidate)) {
      if (seen.insert(candidate).second) out.emplace_back(candidate);
      i = at + kKeyLength;
    } else {
      i = at + 1;
    }
  }
  return out;
}

}  // namespace bal
