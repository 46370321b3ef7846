// A whole generateContent answer → Anthropic's message object, and the exchanges (anthropic.h).
#include "internal.h"

namespace bal::anthropic {
namespace {

class MessagesExchange final : public Exchange {
 public:
  MessagesExchange(std::string model_escaped, std::string request_id)
      : model_(std::move(model_escaped)), request_id_(std::move(request_id)) {}

  Reply answer(const std::vector<std::string_view>& bodies) override;
  Reply error(const ApiError& e) override { return error_reply(e); }
  std::unique_ptr<StreamTranslator> stream() override { return std::make_unique<MessageStream>(model_, request_id_); }
  gemini::Usage usage() const override { return usage_; }

 private:
  std::string model_;
  std::string request_id_;
  gemini::Usage usage_;
};

Reply MessagesExchange::answer(const std::vector<std::string_view>& bodies) {
  raw::document doc;
  if (bodies.empty() || doc.parse(bodies.front()) != raw::success || !doc.root().is_object()) {
    return error_reply(bad_gateway("upstream returned a response that is not a JSON object"));
  }
  const raw::value root = doc.root();
  const raw::value candidate = first_candidate(root);
  const bool blocked = root.get("promptFeedback").get("blockReason").exists();
  if (!candidate.is_object() && !blocked) return error_reply(bad_gateway("upstream returned no candidates"));
  usage_ = gemini::read_usage(root.get("usageMetadata"));

  Reply r;
  std::string& out = r.body;
  out.reserve(bodies.front().size() + 512);
  out += R"({"id":"msg_)";
  out += request_id_;
  out += R"(","type":"message","role":"assistant","model":")";
  out += model_;
  out += R"(","content":[)";
  const char* stop = kRefusal;
  int64_t searches = 0;
  if (candidate.is_object()) {
    MessageStream::Blocks blocks(false, request_id_);
    // A search comes before the text grounded on it, as Anthropic orders them.
    blocks.search(candidate.get("groundingMetadata"), out);
    blocks.parts(candidate.get("content").get("parts"), out);
    blocks.close(out);
    const raw::value finish = candidate.get("finishReason");
    stop = stop_reason_for(finish.is_string() ? finish.raw() : "STOP", blocks.called_tools());
    searches = blocks.searches();
  }
  out += R"(],"stop_reason":")";
  out += stop;
  out += R"(","stop_sequence":null,"usage":{)";
  append_usage_fields(out, usage_, searches);
  out += "}}";
  return r;
}

class PlainExchange final : public Exchange {
 public:
  PlainExchange(AnswerFn fn, std::string context) : answer_(fn), context_(std::move(context)) {}
  Reply answer(const std::vector<std::string_view>& bodies) override {
    if (answer_ == nullptr) return error_reply(api_error(500, "this request has no answer to translate"));
    return answer_(bodies, context_);
  }
  Reply error(const ApiError& e) override { return error_reply(e); }
  std::unique_ptr<StreamTranslator> stream() override { return nullptr; }

 private:
  AnswerFn answer_;
  std::string context_;
};

}  // namespace

std::unique_ptr<Exchange> messages_exchange(const RequestState& st, const RequestInfo& info) {
  std::string model;
  std::string id;
  raw::append_escaped(model, st.client_model);
  raw::append_escaped(id, info.request_id);
  return std::make_unique<MessagesExchange>(std::move(model), std::move(id));
}

std::unique_ptr<Exchange> plain_exchange(AnswerFn answer, std::string context) {
  return std::make_unique<PlainExchange>(answer, std::move(context));
}

Translated failed(const Failure& err) {
  Translated t;
  t.error = api_error(400, err.message);
  t.exchange = plain_exchange(nullptr, {});
  return t;
}

Translated parse_failed(const raw::document& doc) {
  Failure err;
  err.fail(gemini::parse_error_message(doc));
  return failed(err);
}

}  // namespace bal::anthropic
