// POST /v1/embeddings → a Gemini batchEmbedContents plan.
//
// Always the batch method, even for one input: one request shape, and Gemini answers the
// embeddings in request order, which is the order OpenAI promises.
#include <optional>

#include "balancer/openai.h"
#include "request_internal.h"

namespace bal::openai {
namespace {

using req::Failure;
using req::JsonOut;
using req::present;

// Gemini's limit on requests in one batchEmbedContents call.
constexpr size_t kMaxInputs = 100;

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
    return r.err.fail("input holds more than 100 items, the most Gemini embeds in one request.", "input");
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

Plan upstream_plan(const EmbeddingsRequest& r, std::string body) {
  Plan p;
  p.header["action"] = "upstream";
  p.header["family"] = "openai";
  p.header["op"] = "embeddings";
  p.header["model"] = r.model;
  p.header["method"] = "POST";
  p.header["path"] = "/v1beta/models/" + r.model + ":batchEmbedContents";
  p.header["query"] = "";
  p.header["headers"] = {{"content-type", "application/json"}};
  p.header["response"] = "json";
  p.header["translate"] = {
      {"kind", "embeddings"}, {"model", r.client_model}, {"count", r.count}, {"encoding_format", r.encoding_format}};
  p.payload = std::move(body);
  return p;
}

}  // namespace

Plan plan_embeddings(std::string_view body) {
  raw::document doc;
  if (doc.parse(body) != raw::success) return req::parse_failure_plan(doc);
  const raw::value root = doc.root();
  EmbeddingsRequest r;
  if (!root.is_object()) {
    r.err.fail("The request body must be a JSON object.", {}, "invalid_type");
    return req::failure_plan(r.err);
  }
  const raw::value input = root.get("input");
  if (!req::read_model(root, r.err, r.client_model, r.model) || !read_options(root, r) || !check_input(input, r)) {
    return req::failure_plan(r.err);
  }
  std::string out;
  {
    JsonOut w(out, body.size() + 128 * (input.size() + 1));
    w.begin_object().key("requests").begin_array();
    if (input.is_string()) {
      write_request(input, r, w);
      r.count = 1;
    } else {
      for (raw::value item : input.items()) write_request(item, r, w);
      r.count = input.size();
    }
    w.end_array().end_object();
  }
  return upstream_plan(r, std::move(out));
}

}  // namespace bal::openai
