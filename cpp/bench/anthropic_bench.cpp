// A Wasm build of the Anthropic translators for scripts/bench/anthropic.mjs, which times
// them on the same compiler and flags as core.wasm until the request machine exports them.
// Each export takes bytes the caller copied into memory from bench_alloc.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "balancer/anthropic.h"
#include "balancer/model_map.h"

namespace {

std::unique_ptr<bal::anthropic::MessageStream> stream;
std::string out;

std::string_view view(const uint8_t* p, uint32_t n) {
  return {reinterpret_cast<const char*>(p), n};
}

}  // namespace

extern "C" {

void* bench_alloc(uint32_t size) {
  return std::malloc(size == 0 ? 1 : size);
}

void bench_free(void* p) {
  std::free(p);
}

// POST /v1/messages: the size of the Gemini body, or 0 when the request was refused.
uint32_t bench_messages(const uint8_t* body, uint32_t len) {
  static const bal::ModelMap models;
  bal::RequestInfo info;
  info.request_id = "0123456789abcdef";
  info.models = &models;
  const bal::Translated t = bal::anthropic::translate_messages(view(body, len), info);
  return t.error ? 0 : static_cast<uint32_t>(t.calls[0].body.size());
}

// A fresh stream; then one chunk of upstream SSE at a time: the bytes it gave the client.
void bench_stream_open() {
  stream = std::make_unique<bal::anthropic::MessageStream>("claude-sonnet-4-5", "0123456789abcdef");
}

uint32_t bench_stream_push(const uint8_t* chunk, uint32_t len) {
  out.clear();
  stream->push(view(chunk, len), out);
  return static_cast<uint32_t>(out.size());
}
}
