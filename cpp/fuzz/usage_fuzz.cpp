// Token counts and completeness from the tail of a native answer (the shim keeps its last
// few KB). Input: the tail, read both as an SSE stream and as a JSON body.
#include <cstdint>

#include "balancer/usage.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view tail = fuzz::as_text(data, size);
  if (const auto u = bal::usage_from_tail(tail)) {
    FUZZ_CHECK(u->prompt_tokens >= 0 && u->cached_tokens >= 0 && u->thoughts_tokens >= 0);
    FUZZ_CHECK(u->completion_tokens >= u->thoughts_tokens);
  }
  if (bal::answer_complete(tail, false)) {
    size_t end = tail.find_last_not_of(" \t\r\n");
    FUZZ_CHECK(end != std::string_view::npos && (tail[end] == '}' || tail[end] == ']'));
  }
  // A complete SSE answer ends with a blank line (LF LF, or CRLF CRLF as Google sends it).
  if (bal::answer_complete(tail, true)) {
    FUZZ_CHECK((tail.size() >= 2 && tail.substr(tail.size() - 2) == "\n\n") ||
               (tail.size() >= 4 && tail.substr(tail.size() - 4) == "\r\n\r\n"));
  }
  return 0;
}
