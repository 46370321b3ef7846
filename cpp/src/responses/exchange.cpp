// The answer side of POST /v1/responses: a whole generateContent answer or a
// streamGenerateContent SSE stream → the response object or its event sequence, and the
// record to store.
#include "balancer/openai.h"
#include "balancer/sse.h"
#include "internal.h"

namespace bal::responses::detail {
namespace {

// What the exchange and its stream share: the stream fills the output the exchange stores.
struct Answer {
  explicit Answer(Options opts) : o(std::move(opts)), out(o) {}
  Options o;
  Output out;
  std::optional<int64_t> key_id;
};

ApiError bad_gateway(std::string message) {
  ApiError e = api_error(502, std::move(message), "bad_upstream_response");
  return e;
}

// Reads one GenerateContentResponse (a whole answer or a stream event) into the output.
// Returns false when it holds no candidate and no blocked prompt.
bool read_answer(raw::value root, Output& out, std::string* events, bool& finished) {
  if (const raw::value usage = root.get("usageMetadata"); usage.is_object()) out.usage(gemini::read_usage(usage));
  const raw::value candidates = root.get("candidates");
  if (candidates.is_array() && candidates.size() > 0) {
    // The Responses API has no n: one candidate.
    const raw::value c = *candidates.items().begin();
    const raw::value g = c.get("groundingMetadata");
    // A whole answer shows the search first; a stream learns of it with its last events.
    if (events == nullptr && g.is_object()) out.search(g, events);
    out.parts(c.get("content").get("parts"), events);
    if (g.is_object()) {
      out.search(g, events);
      out.grounding(g, events);
    }
    if (const raw::value reason = c.get("finishReason"); reason.is_string()) {
      out.finish_reason(reason.raw());
      finished = true;
    }
    return true;
  }
  if (root.get("promptFeedback").get("blockReason").exists()) {
    out.blocked();
    finished = true;
    return true;
  }
  return false;
}

class Stream final : public StreamTranslator {
 public:
  explicit Stream(std::shared_ptr<Answer> a) : a_(std::move(a)) {}

  void push(std::string_view chunk, std::string& out) override {
    begin(out);
    std::string_view data;
    while (open() && splitter_.next(chunk, data)) on_event(data, false, out);
    if (open() && splitter_.overflowed()) fail(bad_gateway("upstream stream event is too large"), out);
  }

  void finish(std::string& out) override {
    begin(out);
    if (!open()) return;
    std::string_view data;
    if (splitter_.flush(data)) on_event(data, true, out);
    if (!open()) return;
    if (!finished_) {
      fail(api_error(502, "upstream stream ended early", "stream_ended_early"), out);
      return;
    }
    a_->out.finish(&out);
  }

  void fail(const ApiError& e, std::string& out) override {
    begin(out);
    a_->out.fail(e, &out);
  }

  bool ok() const override { return a_->out.status() == Status::completed || a_->out.status() == Status::incomplete; }
  gemini::Usage usage() const override { return a_->out.usage(); }

 private:
  bool open() const { return a_->out.status() == Status::in_progress; }

  void begin(std::string& out) {
    if (begun_) return;
    begun_ = true;
    a_->out.begin(out);
  }

  void on_event(std::string_view data, bool at_end, std::string& out) {
    if (doc_.parse(data) != raw::success || !doc_.root().is_object()) {
      // An unterminated last event that does not parse is a cut connection, not bad data.
      fail(at_end ? api_error(502, "upstream stream ended early", "stream_ended_early")
                  : bad_gateway("upstream sent a stream event that is not a JSON object"),
           out);
      return;
    }
    const raw::value root = doc_.root();
    if (const raw::value error = root.get("error"); error.is_object()) {
      const int64_t code = error.get("code").as_int64().value_or(500);
      fail(upstream_error(code >= 400 && code < 600 ? static_cast<int>(code) : 500, error), out);
      return;
    }
    read_answer(root, a_->out, &out, finished_);
  }

  std::shared_ptr<Answer> a_;
  sse::Splitter splitter_;
  raw::document doc_;  // reused: its node array keeps its capacity across events
  bool begun_ = false;
  bool finished_ = false;
};

class Responder final : public ResponsesExchange {
 public:
  explicit Responder(Options o) : a_(std::make_shared<Answer>(std::move(o))) {}

  Reply answer(const std::vector<std::string_view>& bodies) override {
    raw::document doc;
    if (bodies.empty() || doc.parse(bodies.front()) != raw::success || !doc.root().is_object()) {
      return fail(bad_gateway("upstream returned a response that is not a JSON object"));
    }
    if (a_->o.count_endpoint) return count_answer(doc.root());
    bool finished = false;
    if (!read_answer(doc.root(), a_->out, nullptr, finished))
      return fail(bad_gateway("upstream returned no candidates"));
    a_->out.finish(nullptr);
    Reply r;
    r.body.reserve(bodies.front().size() + 1024);
    if (!a_->o.compact_endpoint) {
      a_->out.write_response(r.body, a_->o.include_encrypted);
    } else if (!a_->out.write_compacted(r.body)) {
      return fail(bad_gateway("upstream returned no summary to compact the conversation into"));
    }
    return r;
  }

  Reply error(const ApiError& e) override { return openai::error_reply(e); }
  std::unique_ptr<StreamTranslator> stream() override { return std::make_unique<Stream>(a_); }
  gemini::Usage usage() const override { return a_->out.usage(); }

  std::optional<int64_t> bound_key() const override { return a_->o.bound_key; }

  void served_by(int64_t key_id) override {
    a_->key_id = key_id;
    a_->out.set_key(key_id);
  }

  std::optional<StoreWrite> to_store() const override {
    const Status s = a_->out.status();
    if (!a_->o.store || (s != Status::completed && s != Status::incomplete)) return std::nullopt;
    const Options& o = a_->o;
    StoreWrite w;
    w.id = o.id;
    w.previous_id = o.previous_id;
    w.created_ms = o.created_at * 1000;
    // The record keeps the key only when the conversation holds state bound to its project.
    const bool key_bound = a_->out.has_signatures() || o.bound_key.has_value();
    std::string& b = w.body;
    b.reserve(o.input.size() + 2048);
    b += "{\"v\":";
    append_int(b, kRecordVersion);
    b += ",\"id\":";
    raw::append_string(b, o.id);
    b += ",\"previous_response_id\":";
    if (o.previous_id.empty()) {
      b += "null";
    } else {
      raw::append_string(b, o.previous_id);
    }
    b += ",\"created_at\":";
    append_int(b, o.created_at);
    b += ",\"key_id\":";
    if (key_bound && a_->key_id) {
      append_int(b, *a_->key_id);
    } else {
      b += "null";
    }
    b += ",\"input\":";
    b += o.input.empty() ? std::string_view("[]") : std::string_view(o.input);
    b += ",\"response\":";
    a_->out.write_response(b, true);
    b += '}';
    return w;
  }

 private:
  Reply fail(const ApiError& e) {
    a_->out.fail(e, nullptr);
    return openai::error_reply(e);
  }

  // POST /v1/responses/input_tokens: countTokens' totalTokens.
  Reply count_answer(raw::value root) {
    const std::optional<int64_t> total = root.get("totalTokens").as_int64();
    if (!total || *total < 0) return fail(bad_gateway("upstream returned no token count"));
    Reply r;
    r.body = R"({"object":"response.input_tokens","input_tokens":)";
    append_int(r.body, *total);
    r.body += '}';
    return r;
  }

  std::shared_ptr<Answer> a_;
};

}  // namespace

std::unique_ptr<ResponsesExchange> make_exchange(Options o) {
  return std::make_unique<Responder>(std::move(o));
}

}  // namespace bal::responses::detail

namespace bal::responses {

ResponsesExchange& responses_exchange(Exchange& e) {
  // Every exchange translate_responses() makes is one (built without RTTI).
  return static_cast<ResponsesExchange&>(e);
}

}  // namespace bal::responses
