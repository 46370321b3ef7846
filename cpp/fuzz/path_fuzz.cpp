// The path and query checks every forwarded request goes through. Input: one string, used
// as a path (is_safe_path), a query (strip_system_params) and an escaped text (percent_decode).
#include <cstdint>
#include <string>

#include "balancer/path.h"
#include "fuzz_support.h"

namespace {

// What "safe" promises: whatever decodes the path upstream, it stays one plain absolute path
// with no dot or empty segments, no backslashes and no control bytes.
void check_safe(std::string_view path) {
  FUZZ_CHECK(!path.empty() && path.front() == '/');
  const std::string decoded = bal::percent_decode(path);
  FUZZ_CHECK(decoded.find("//") == std::string::npos);
  FUZZ_CHECK(decoded.find('\\') == std::string::npos);
  for (char c : decoded) FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f);
  size_t start = 1;
  while (start <= decoded.size()) {
    size_t end = decoded.find('/', start);
    if (end == std::string::npos) end = decoded.size();
    const std::string_view seg = std::string_view(decoded).substr(start, end - start);
    FUZZ_CHECK(seg != "." && seg != "..");
    start = end + 1;
  }
}

// No withheld item (a credential or an override, however its name is spelt) survives, the
// others keep their bytes and order, and a second pass changes nothing.
void check_stripped(std::string_view query, const std::string& out) {
  FUZZ_CHECK(out.size() <= query.size());
  FUZZ_CHECK(bal::strip_system_params(out) == out);
  std::string_view rest = out;
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    const std::string_view item = rest.substr(0, amp);
    FUZZ_CHECK(!item.empty() && !bal::is_withheld_param(item.substr(0, item.find('='))));
    FUZZ_CHECK(query.find(item) != std::string_view::npos);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = fuzz::as_text(data, size);
  if (bal::is_safe_path(text)) check_safe(text);

  std::string key;
  check_stripped(text, bal::strip_system_params(text, &key));
  FUZZ_CHECK(key.size() <= text.size());

  const std::string decoded = bal::percent_decode(text);
  FUZZ_CHECK(decoded.size() <= text.size());
  if (text.find('%') == std::string_view::npos) FUZZ_CHECK(decoded == text);
  return 0;
}
