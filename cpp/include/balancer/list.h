// list.h — reading comma-separated settings (AUTH_TOKENS, CORS_ORIGINS).
#pragma once

#include <string_view>

namespace bal {

inline bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

inline std::string_view trim_blanks(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

// Calls fn(item) for every comma-separated item of `list`, with the blanks around it removed
// (an item may be empty: ",," or a trailing comma).
template <class Fn>
void for_each_item(std::string_view list, Fn&& fn) {
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(',', start);
    if (end == std::string_view::npos) end = list.size();
    fn(trim_blanks(list.substr(start, end - start)));
    start = end + 1;
  }
}

}  // namespace bal
