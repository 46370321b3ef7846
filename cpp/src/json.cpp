#include "balancer/json.h"

#include <cstring>
#include <vector>

namespace bal {
namespace {

// The index of the quote that closes the string whose contents start at `from` (text.size()
// when it is never closed). memchr jumps over long texts and base64; a quote is escaped when
// an odd run of backslashes precedes it.
size_t string_end(std::string_view text, size_t from) {
  while (from < text.size()) {
    const void* hit = std::memchr(text.data() + from, '"', text.size() - from);
    if (hit == nullptr) return text.size();
    const size_t quote = static_cast<size_t>(static_cast<const char*>(hit) - text.data());
    size_t slashes = 0;
    while (quote - slashes > from && text[quote - slashes - 1] == '\\') ++slashes;
    if (slashes % 2 == 0) return quote;
    from = quote + 1;
  }
  return text.size();
}

// Length of the UTF-8 sequence led by `b`, or 0 for a byte that cannot lead one.
size_t sequence_length(unsigned char b) {
  if (b < 0x80) return 1;
  if (b >= 0xc2 && b <= 0xdf) return 2;
  if (b >= 0xe0 && b <= 0xef) return 3;
  if (b >= 0xf0 && b <= 0xf4) return 4;
  return 0;
}

}  // namespace

JsonShape check_json_shape(std::string_view text, const JsonLimits& limits) {
  // counts[d] = separators seen so far in the open container at depth d + 1.
  std::vector<uint32_t> counts;
  counts.reserve(16);
  // The root, each container and each separator: one value at most each.
  uint64_t values = 1;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    switch (c) {
      case '"':
        i = string_end(text, i + 1);
        break;
      case '[':
      case '{':
        if (counts.size() >= limits.max_depth) return JsonShape::too_deep;
        if (++values > limits.max_values) return JsonShape::too_many_values;
        counts.push_back(0);
        break;
      case ']':
      case '}':
        if (!counts.empty()) counts.pop_back();
        break;
      case ',':
        if (counts.empty()) break;
        // n separators mean n + 1 items.
        if (++counts.back() >= limits.max_items) return JsonShape::too_many_items;
        if (++values > limits.max_values) return JsonShape::too_many_values;
        break;
      default:
        break;
    }
  }
  return JsonShape::ok;
}

bool is_valid_utf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto b = static_cast<unsigned char>(text[i]);
    const size_t n = sequence_length(b);
    if (n == 0 || i + n > text.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) & 0xc0) != 0x80) return false;
    }
    if (n >= 3) {
      const auto b1 = static_cast<unsigned char>(text[i + 1]);
      // Overlong forms, UTF-16 surrogates, and code points past U+10FFFF.
      if (b == 0xe0 && b1 < 0xa0) return false;
      if (b == 0xed && b1 >= 0xa0) return false;
      if (b == 0xf0 && b1 < 0x90) return false;
      if (b == 0xf4 && b1 >= 0x90) return false;
    }
    i += n;
  }
  return true;
}

}  // namespace bal
