// A Wasm module for scripts/bench/responses.mjs: the Responses API translators on the same
// compiler flags as core.wasm, until the request machine's ABI carries them.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "balancer/model_map.h"
#include "balancer/responses.h"

namespace {

bal::ModelMap& models() {
  static bal::ModelMap m;
  return m;
}

struct Stream {
  bal::Translated t;
  std::unique_ptr<bal::StreamTranslator> s;
  std::string out;
};

Stream* g_stream = nullptr;

}  // namespace

extern "C" {

void* rb_alloc(uint32_t n) {
  return std::malloc(n);
}
void rb_free(void* p) {
  std::free(p);
}

// What the machine does with a POST /v1/responses body before its upstream call: ask which
// stored responses it names, then translate. Returns the Gemini body's size (0 on an error).
uint32_t rb_translate(const char* body, uint32_t len) {
  if (!bal::responses::ids_to_load(std::string_view(body, len)).empty()) return 0;
  const bal::RequestInfo info{1700000000000, "0123456789abcdef", &models()};
  const bal::Translated t = bal::responses::translate_responses(std::string_view(body, len), info, nullptr);
  return t.error ? 0 : static_cast<uint32_t>(t.calls[0].body.size());
}

// Opens a stream for a streaming request (replacing the last one).
uint32_t rb_stream_open(const char* body, uint32_t len) {
  delete g_stream;
  g_stream = new Stream();
  const bal::RequestInfo info{1700000000000, "0123456789abcdef", &models()};
  g_stream->t = bal::responses::translate_responses(std::string_view(body, len), info, nullptr);
  if (g_stream->t.error) return 0;
  g_stream->s = g_stream->t.exchange->stream();
  return 1;
}

// Pushes one upstream chunk; returns the size of what the client gets for it.
uint32_t rb_stream_push(const char* chunk, uint32_t len) {
  g_stream->out.clear();
  g_stream->s->push(std::string_view(chunk, len), g_stream->out);
  return static_cast<uint32_t>(g_stream->out.size());
}

}  // extern "C"
