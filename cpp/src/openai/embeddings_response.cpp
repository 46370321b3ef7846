// embedContent / batchEmbedContents → an OpenAI embeddings list.
//
// Gemini reports no token counts for embeddings, and the texts are not at hand here, so
// usage is reported as 0 rather than as a guess a client might bill by.
#include <cstring>

#include "response_internal.h"

namespace bal::openai::resp {
namespace {

constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void append_base64(std::string& out, const std::string& bytes) {
  size_t i = 0;
  const auto at = [&bytes](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(bytes[k])); };
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = at(i) << 16 | at(i + 1) << 8 | at(i + 2);
    out += kBase64[v >> 18 & 63];
    out += kBase64[v >> 12 & 63];
    out += kBase64[v >> 6 & 63];
    out += kBase64[v & 63];
  }
  if (i == bytes.size()) return;
  const bool two = i + 2 == bytes.size();
  const uint32_t v = at(i) << 16 | (two ? at(i + 1) << 8 : 0);
  out += kBase64[v >> 18 & 63];
  out += kBase64[v >> 12 & 63];
  out += two ? kBase64[v >> 6 & 63] : '=';
  out += '=';
}

// OpenAI's base64 format: the vector as little-endian float32, the byte order of both Wasm
// and the x86/ARM machines the native tests run on.
void append_float32_base64(std::string& out, raw::value values, std::string& scratch) {
  scratch.clear();
  for (raw::value v : values.items()) {
    const float f = static_cast<float>(v.as_double().value_or(0));
    char b[sizeof f];
    std::memcpy(b, &f, sizeof f);
    scratch.append(b, sizeof b);
  }
  out += '"';
  append_base64(out, scratch);
  out += '"';
}

void append_embedding(std::string& out, raw::value values, size_t index, const Context& ctx, std::string& scratch) {
  if (index > 0) out += ',';
  out += "{\"object\":\"embedding\",\"index\":";
  append_int(out, static_cast<int64_t>(index));
  out += ",\"embedding\":";
  if (!values.is_array()) {
    out += "[]";
  } else if (ctx.encoding_format == "base64") {
    append_float32_base64(out, values, scratch);
  } else {
    append_minified(out, values.raw_json());
  }
  out += '}';
}

}  // namespace

Reply embeddings_response(const Context& ctx, const std::vector<std::string_view>& bodies) {
  std::string out;
  size_t size = 256;
  for (std::string_view b : bodies) size += b.size();
  out.reserve(size);
  out += "{\"object\":\"list\",\"data\":[";
  std::string scratch;
  size_t index = 0;
  // One body per upstream batch, in input order: indices run on across them.
  for (std::string_view body : bodies) {
    raw::document doc;
    if (doc.parse(body) != raw::success || !doc.root().is_object()) {
      return error_reply(bad_gateway("upstream returned a response that is not a JSON object"));
    }
    const raw::value root = doc.root();
    const raw::value batch = root.get("embeddings");
    const raw::value single = root.get("embedding");
    if (!batch.is_array() && !single.is_object()) return error_reply(bad_gateway("upstream returned no embeddings"));
    if (batch.is_array()) {
      for (raw::value e : batch.items()) append_embedding(out, e.get("values"), index++, ctx, scratch);
    } else {
      append_embedding(out, single.get("values"), index++, ctx, scratch);
    }
  }
  out += "],\"model\":\"";
  out += ctx.model;
  out += "\",\"usage\":{\"prompt_tokens\":0,\"total_tokens\":0}}";
  return ok_reply(std::move(out));
}

}  // namespace bal::openai::resp
