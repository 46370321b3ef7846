#include "balancer/model_map.h"

#include "balancer/ascii.h"

namespace bal {
namespace {

using ascii::lower;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

bool is_gemini_name(std::string_view name) {
  for (std::string_view p : {std::string_view("gemini-"), std::string_view("imagen-"), std::string_view("models/")}) {
    if (name.size() >= p.size() && name.substr(0, p.size()) == p) return true;
  }
  return false;
}

template <class Add>
size_t read_pairs(std::string_view spec, Add&& add) {
  size_t n = 0;
  while (!spec.empty()) {
    const size_t comma = spec.find(',');
    const std::string_view item = trim(spec.substr(0, comma));
    spec = comma == std::string_view::npos ? std::string_view() : spec.substr(comma + 1);
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string_view pattern = trim(item.substr(0, eq));
    const std::string_view model = trim(item.substr(eq + 1));
    if (pattern.empty() || model.empty()) continue;
    add(pattern, model);
    ++n;
  }
  return n;
}

}  // namespace

bool wildcard_match(std::string_view pattern, std::string_view text) {
  // Greedy matching with one backtrack point (the last '*'): linear in practice.
  size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && lower(pattern[p]) == lower(text[t])) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

size_t ModelMap::assign(std::string_view spec) {
  pairs_.clear();
  auto add = [this](std::string_view pattern, std::string_view model) {
    Pair pair{std::string(pattern), std::string(model)};
    for (char& c : pair.pattern) c = lower(c);
    pairs_.push_back(std::move(pair));
  };
  const size_t n = read_pairs(spec, add);
  read_pairs(kBuiltinModelMap, add);
  return n;
}

const ModelMap::Pair* ModelMap::find(std::string_view name) const {
  if (is_gemini_name(name)) return nullptr;
  for (const Pair& p : pairs_) {
    if (wildcard_match(p.pattern, name)) return &p;
  }
  return nullptr;
}

std::string ModelMap::map(std::string_view name) const {
  const Pair* p = find(name);
  return p != nullptr ? p->model : std::string(name);
}

bool ModelMap::maps(std::string_view name) const {
  return find(name) != nullptr;
}

}  // namespace bal
