// streamGenerateContent?alt=sse → OpenAI chat.completion.chunk events.
//
// Each upstream event becomes, per candidate: a role chunk the first time the candidate is
// seen, one chunk with its new text and reasoning, one chunk per function call (Gemini sends
// calls whole), and a finish chunk when it carries finishReason. finish() adds the usage
// chunk and [DONE], or an error event when the upstream stopped before finishing.
#include <algorithm>
#include <memory>
#include <vector>

#include "balancer/sse.h"
#include "response_internal.h"

namespace bal::openai {
namespace {

using namespace resp;

// Gemini allows at most 8 candidates; an index beyond this is garbage, not a reason to grow.
constexpr int64_t kMaxChoices = 64;

ApiError ended_early() {
  return api_error(502, "upstream stream ended early");
}

class ChatStream final : public StreamTranslator {
 public:
  explicit ChatStream(Context ctx) : ctx_(std::move(ctx)) {
    prefix_ = "data: ";
    append_chat_head(prefix_, ctx_, "chat.completion.chunk");
  }

  void push(std::string_view chunk, std::string& out) override;
  void finish(std::string& out) override;
  void fail(const ApiError& e, std::string& out) override;
  bool ok() const override { return done_ && !failed_; }
  Usage usage() const override { return usage_; }

 private:
  struct Choice {
    bool started = false;
    bool finished = false;
    int64_t calls = 0;
    const char* finish_reason = nullptr;
    std::string text;                // grounded answers: the content so far, escaped
    std::vector<std::string> cited;  // grounded answers: the citations sent (url, start, end)
  };

  void on_event(std::string_view data, bool at_end, std::string& out);
  void on_candidate(raw::value candidate, int64_t position, std::string& out);
  void cite(Choice& c, int64_t index, raw::value grounding, std::string& out);
  Choice* start_choice(int64_t index, std::string& out);
  void finish_choice(Choice& c, int64_t index, const char* reason, std::string& out);
  void begin_chunk(int64_t index, std::string& out) const;
  static void end_chunk(const char* finish_reason, std::string& out);
  bool complete() const;

  Context ctx_;
  std::string prefix_;  // "data: " and the fields every chunk repeats, up to "choices":[
  sse::Splitter splitter_;
  raw::document doc_;  // reused: its node array keeps its capacity across events
  Parts parts_;
  std::vector<Choice> choices_;
  Usage usage_;
  int64_t call_ordinal_ = 0;
  bool done_ = false;
  bool failed_ = false;
};

void ChatStream::begin_chunk(int64_t index, std::string& out) const {
  out += prefix_;
  out += "{\"index\":";
  append_int(out, index);
  out += ",\"delta\":";
}

void ChatStream::end_chunk(const char* finish_reason, std::string& out) {
  out += ",\"finish_reason\":";
  if (finish_reason == nullptr) {
    out += "null";
  } else {
    out += '"';
    out += finish_reason;
    out += '"';
  }
  out += "}]}\n\n";
}

ChatStream::Choice* ChatStream::start_choice(int64_t index, std::string& out) {
  if (index < 0 || index >= kMaxChoices) return nullptr;
  if (static_cast<size_t>(index) >= choices_.size()) choices_.resize(static_cast<size_t>(index) + 1);
  Choice& c = choices_[static_cast<size_t>(index)];
  if (!c.started) {
    c.started = true;
    begin_chunk(index, out);
    out += R"({"role":"assistant","content":""})";
    end_chunk(nullptr, out);
  }
  return &c;
}

void ChatStream::finish_choice(Choice& c, int64_t index, const char* reason, std::string& out) {
  c.finished = true;
  c.finish_reason = reason;
  begin_chunk(index, out);
  out += "{}";
  end_chunk(reason, out);
}

void ChatStream::on_candidate(raw::value candidate, int64_t position, std::string& out) {
  // proto3 leaves index 0 out of the JSON.
  const int64_t index = candidate.get("index").as_int64().value_or(position);
  Choice* c = start_choice(index, out);
  if (c == nullptr || c->finished) return;
  read_parts(candidate.get("content").get("parts"), ctx_.include_reasoning, parts_);
  if (!parts_.content.empty() || !parts_.reasoning.empty()) {
    begin_chunk(index, out);
    out += '{';
    if (!parts_.reasoning.empty()) {
      out += "\"reasoning_content\":\"";
      out += parts_.reasoning;
      out += parts_.content.empty() ? "\"" : "\",";
    }
    if (!parts_.content.empty()) {
      out += "\"content\":\"";
      out += parts_.content;
      out += '"';
    }
    out += '}';
    end_chunk(nullptr, out);
  }
  if (ctx_.grounded) {
    c->text += parts_.content;
    if (const raw::value g = candidate.get("groundingMetadata"); g.is_object()) cite(*c, index, g, out);
  }
  for (raw::value call : parts_.calls) {
    begin_chunk(index, out);
    out += "{\"tool_calls\":[";
    append_tool_call(out, call, ctx_, call_ordinal_++, c->calls++);
    out += "]}";
    end_chunk(nullptr, out);
  }
  const raw::value fr = candidate.get("finishReason");
  if (!fr.is_string()) return;
  const char* reason = finish_reason_for(fr.raw());
  if (c->calls > 0 && std::string_view(reason) == "stop") reason = "tool_calls";
  finish_choice(*c, index, reason, out);
}

// The sources of a grounded answer, as a chunk of annotations: Google sends them with the
// answer's last events, where its spans refer to the whole text so far. A citation an earlier
// event sent is not sent again.
void ChatStream::cite(Choice& c, int64_t index, raw::value grounding, std::string& out) {
  std::vector<gemini::Citation> fresh;
  for (const gemini::Citation& cite : gemini::read_citations(grounding, c.text)) {
    std::string key = cite.key();
    if (std::find(c.cited.begin(), c.cited.end(), key) != c.cited.end()) continue;
    c.cited.push_back(std::move(key));
    fresh.push_back(cite);
  }
  if (fresh.empty()) return;
  begin_chunk(index, out);
  out += "{\"annotations\":";
  append_annotations(out, fresh);
  out += '}';
  end_chunk(nullptr, out);
}

void ChatStream::on_event(std::string_view data, bool at_end, std::string& out) {
  int status = 0;
  switch (gemini::read_stream_event(data, at_end, doc_, status)) {
    case gemini::StreamEvent::skip:
      return;
    case gemini::StreamEvent::cut:
      return fail(ended_early(), out);
    case gemini::StreamEvent::malformed:
      return fail(bad_gateway("upstream sent a stream event that is not a JSON object"), out);
    case gemini::StreamEvent::error:
      return fail(upstream_error(status, doc_.root().get("error")), out);
    case gemini::StreamEvent::answer:
      break;
  }
  const raw::value root = doc_.root();
  if (const raw::value usage = root.get("usageMetadata"); usage.is_object()) usage_ = read_usage(usage);
  const raw::value candidates = root.get("candidates");
  if (candidates.is_array() && candidates.size() > 0) {
    int64_t position = 0;
    for (raw::value c : candidates.items()) on_candidate(c, position++, out);
    return;
  }
  // A blocked prompt: no candidates at all, and the reason in promptFeedback.
  if (root.get("promptFeedback").get("blockReason").exists()) {
    Choice* c = start_choice(0, out);
    if (c != nullptr && !c->finished) finish_choice(*c, 0, "content_filter", out);
  }
}

void ChatStream::fail(const ApiError& e, std::string& out) {
  if (done_) return;
  out += "data: ";
  append_error_body(out, e);
  out += "\n\ndata: [DONE]\n\n";
  done_ = true;
  failed_ = true;
}

bool ChatStream::complete() const {
  bool any = false;
  for (const Choice& c : choices_) {
    if (c.started && !c.finished) return false;
    any = any || c.finished;
  }
  return any;
}

void ChatStream::push(std::string_view chunk, std::string& out) {
  std::string_view data;
  while (!done_ && splitter_.next(chunk, data)) on_event(data, false, out);
  if (!done_ && splitter_.overflowed()) fail(bad_gateway("upstream stream event is too large"), out);
}

void ChatStream::finish(std::string& out) {
  if (done_) return;
  std::string_view data;
  if (splitter_.flush(data)) on_event(data, true, out);
  if (done_) return;
  if (!complete()) {
    fail(ended_early(), out);
    return;
  }
  if (ctx_.include_usage) {
    out += prefix_;
    out += "],\"usage\":";
    append_usage(out, usage_);
    out += "}\n\n";
  }
  out += "data: [DONE]\n\n";
  done_ = true;
}

}  // namespace

namespace resp {

std::unique_ptr<StreamTranslator> chat_stream(const Context& ctx) {
  return std::make_unique<ChatStream>(ctx);
}

}  // namespace resp

}  // namespace bal::openai
