#include "balancer/cors.h"

#include "balancer/list.h"

namespace bal {
namespace {

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
  for_each_item(list, [&](std::string_view item) {
    while (!item.empty() && item.back() == '/') item.remove_suffix(1);
    listed = listed || !item.empty();
    if (item == "*") any_ = true;
    // "null" is what sandboxed frames and file: pages send: listing it would let any of them in.
    if (!item.empty() && item != "*" && lower(item) != "null") origins_.push_back(lower(item));
  });
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
