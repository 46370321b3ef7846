// POST /v1/embeddings → Gemini batchEmbedContents calls.
//
// Always the batch method, even for one input: one request shape, and Gemini answers the
// embeddings in request order, which is the order OpenAI promises.
#include <optional>

#include "balancer/openai.h"
#include "request_internal.h"
#include "response_internal.h"

namespace bal::openai {
namespace {

using req::Failure;
using req::JsonOut;
using req::present;

// Gemini's limit on requests in one batchEmbedContents call, and OpenAI's on inputs.
constexpr size_t kBatchSize = 100;
constexpr size_t kMaxInputs = 2048;

struct EmbeddingsRequest {
  std::string client_model;
  std::string model;
  std::string encoding_format = "float";
  std::optional<int64_t> dimensions;
  size_t count = 0;
  Failure err;
};

bool read_options(raw::value root, EmbeddingsRequest& r) {
  raw::value format = present(root.get("encoding_format"));
  if (format.exists()) {
    if (!format.equals("float") && !format.equals("base64")) {
      return r.err.fail("encoding_format must be float or base64.", "encoding_format", "invalid_value");
    }
    r.encoding_format = format.str();
  }
  raw::value dims = present(root.get("dimensions"));
  if (dims.exists()) {
    r.dimensions = dims.as_int64();
    if (!r.dimensions || *r.dimensions < 1) {
      return r.err.fail("dimensions must be a positive integer.", "dimensions", "invalid_value");
    }
  }
  return true;
}

bool check_input(raw::value input, EmbeddingsRequest& r) {
  input = present(input);
  if (!input.exists()) return r.err.fail("input is required.", "input", "missing_required_parameter");
  if (input.is_string()) return true;
  if (!input.is_array()) {
    return r.err.fail("input must be a string or an array of strings.", "input", "invalid_type");
  }
  if (input.size() == 0) return r.err.fail("input must not be empty.", "input");
  if (input.size() > kMaxInputs) {
    return r.err.fail("input holds more than 2048 items, the most one embeddings request may carry.", "input");
  }
  const req::Path all("input");
  size_t i = 0;
  for (raw::value item : input.items()) {
    if (item.is_number() || item.is_array()) {
      return r.err.fail("Token id inputs are not supported: send text.", req::Path(all, i).str(), "unsupported_value");
    }
    if (!item.is_string()) {
      return r.err.fail("input must be a string or an array of strings.", req::Path(all, i).str(), "invalid_type");
    }
    ++i;
  }
  return true;
}

void write_request(raw::value text, const EmbeddingsRequest& r, JsonOut& out) {
  out.begin_object();
  out.key("model").string("models/" + r.model);
  out.key("content").begin_object().key("parts").begin_array();
  out.begin_object().key("text").raw_string(text).end_object();
  out.end_array().end_object();
  if (r.dimensions) out.key("outputDimensionality").number(*r.dimensions);
  out.end_object();
}

UpstreamCall batch_call(const EmbeddingsRequest& r, std::string body) {
  UpstreamCall c;
  c.model = r.model;
  c.path = "/v1beta/models/" + r.model + ":batchEmbedContents";
  c.body = std::move(body);
  return c;
}

// One batchEmbedContents body for inputs [from, to).
std::string batch_body(raw::value input, size_t from, size_t to, const EmbeddingsRequest& r) {
  std::string out;
  JsonOut w(out, 128 * (to - from + 1));
  w.begin_object().key("requests").begin_array();
  if (input.is_string()) {
    write_request(input, r, w);
  } else {
    size_t i = 0;
    for (raw::value item : input.items()) {
      if (i >= from && i < to) write_request(item, r, w);
      if (++i >= to) break;
    }
  }
  w.end_array().end_object();
  return out;
}

}  // namespace

Translated translate_embeddings(std::string_view body, const RequestInfo& info) {
  raw::document doc;
  if (doc.parse(body) != raw::success) return req::parse_failed(doc);
  const raw::value root = doc.root();
  EmbeddingsRequest r;
  if (!root.is_object()) {
    r.err.fail("The request body must be a JSON object.", {}, "invalid_type");
    return req::failed(r.err);
  }
  const raw::value input = root.get("input");
  if (!req::read_model(root, r.err, r.client_model, r.model, info) || !read_options(root, r) ||
      !check_input(input, r)) {
    return req::failed(r.err);
  }
  r.count = input.is_string() ? 1 : input.size();
  Translated t;
  // Gemini embeds at most kBatchSize texts a call: larger inputs go out in order, as several
  // calls the machine spreads over keys, and the answer joins them in the same order.
  for (size_t from = 0; from < r.count; from += kBatchSize) {
    const size_t to = from + kBatchSize < r.count ? from + kBatchSize : r.count;
    t.calls.push_back(batch_call(r, batch_body(input, from, to, r)));
  }
  resp::Context ctx;
  ctx.kind = resp::Kind::embeddings;
  raw::append_escaped(ctx.model, r.client_model);
  ctx.encoding_format = r.encoding_format;
  resp::stamp(ctx, info);
  t.exchange = resp::make_exchange(std::move(ctx));
  return t;
}

}  // namespace bal::openai
