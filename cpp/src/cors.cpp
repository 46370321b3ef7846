#include "balancer/cors.h"

namespace bal {
namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

void CorsPolicy::assign(std::string_view list) {
  origins_.clear();
  any_ = false;
  bool listed = false;
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(',', start);
    if (end == std::string_view::npos) end = list.size();
    std::string_view item = list.substr(start, end - start);
    while (!item.empty() && is_blank(item.front())) item.remove_prefix(1);
    while (!item.empty() && (is_blank(item.back()) || item.back() == '/')) item.remove_suffix(1);
    listed = listed || !item.empty();
    if (item == "*") any_ = true;
    // "null" is what sandboxed frames and file: pages send: listing it would let any of them in.
    if (!item.empty() && item != "*" && lower(item) != "null") origins_.push_back(lower(item));
    start = end + 1;
  }
  // Unset means the default ("*"); a list of nothing usable means no origin at all.
  if (!listed) any_ = true;
}

std::string CorsPolicy::allow_origin(std::string_view origin) const {
  if (any_) return "*";
  if (origin.empty() || origin.size() > 256) return {};
  const std::string wanted = lower(origin);
  for (const std::string& o : origins_) {
    if (o == wanted) return std::string(origin);
  }
  return {};
}

}  // namespace bal
