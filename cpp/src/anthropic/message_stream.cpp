// streamGenerateContent?alt=sse → Anthropic's event stream (anthropic.h).
//
// message_start goes out with the first upstream event (its usageMetadata already counts the
// prompt), then content blocks as the parts arrive (blocks.cpp), and at the end one
// message_delta (stop reason, final usage) and message_stop. An upstream that stops before
// its finishReason, or sends an error, ends the stream with an `error` event instead.
#include "internal.h"

namespace bal::anthropic {
namespace {

ApiError ended_early() {
  return api_error(502, "upstream stream ended early");
}

}  // namespace

MessageStream::MessageStream(std::string model_escaped, std::string request_id)
    : model_(std::move(model_escaped)),
      request_id_(std::move(request_id)),
      blocks_(std::make_unique<Blocks>(true, request_id_)) {}

MessageStream::~MessageStream() = default;

void MessageStream::start(std::string& out) {
  if (started_) return;
  started_ = true;
  out += "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_";
  out += request_id_;
  out += R"(","type":"message","role":"assistant","model":")";
  out += model_;
  out += R"(","content":[],"stop_reason":null,"stop_sequence":null,"usage":{)";
  gemini::Usage first = usage_;
  first.candidates = 0;
  first.thoughts = 0;
  append_usage_fields(out, first);
  out += "}}}\n\n";
}

void MessageStream::ping(std::string& out) {
  if (done_) return;
  start(out);
  out += "event: ping\ndata: {\"type\":\"ping\"}\n\n";
}

void MessageStream::on_event(std::string_view data, bool at_end, std::string& out) {
  int status = 0;
  switch (gemini::read_stream_event(data, at_end, doc_, status)) {
    case gemini::StreamEvent::skip:
      return;
    case gemini::StreamEvent::cut:
      return fail(ended_early(), out);
    case gemini::StreamEvent::malformed:
      return fail(bad_gateway("upstream sent a stream event that is not a JSON object"), out);
    case gemini::StreamEvent::error:
      return fail(upstream_api_error(status, doc_.root().get("error")), out);
    case gemini::StreamEvent::answer:
      break;
  }
  const raw::value root = doc_.root();
  if (const raw::value usage = root.get("usageMetadata"); usage.is_object()) usage_ = gemini::read_usage(usage);
  start(out);
  if (stop_reason_ != nullptr) return;  // only candidate 0, and nothing after its end
  const raw::value candidate = first_candidate(root);
  if (!candidate.is_object()) {
    if (root.get("promptFeedback").get("blockReason").exists()) stop_reason_ = kRefusal;
    return;
  }
  blocks_->parts(candidate.get("content").get("parts"), out);
  // Google sends the sources with the last events, after the text they ground.
  if (const raw::value g = candidate.get("groundingMetadata"); g.is_object()) blocks_->search(g, out);
  const raw::value finish = candidate.get("finishReason");
  if (!finish.is_string()) return;
  blocks_->close(out);
  stop_reason_ = stop_reason_for(finish.raw(), blocks_->called_tools());
}

void MessageStream::end(std::string& out) {
  out += R"(event: message_delta
data: {"type":"message_delta","delta":{"stop_reason":")";
  out += stop_reason_;
  out += R"(","stop_sequence":null},"usage":{)";
  append_usage_fields(out, usage_, blocks_->searches());
  out += "}}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
  done_ = true;
}

void MessageStream::push(std::string_view chunk, std::string& out) {
  std::string_view data;
  while (!done_ && splitter_.next(chunk, data)) on_event(data, false, out);
  if (!done_ && splitter_.overflowed()) fail(bad_gateway("upstream stream event is too large"), out);
}

void MessageStream::finish(std::string& out) {
  if (done_) return;
  std::string_view data;
  if (splitter_.flush(data)) on_event(data, true, out);
  if (done_) return;
  if (stop_reason_ == nullptr) {
    fail(ended_early(), out);
    return;
  }
  end(out);
}

void MessageStream::fail(const ApiError& e, std::string& out) {
  if (done_) return;
  out += "event: error\ndata: ";
  append_error_body(out, e);
  out += "\n\n";
  done_ = true;
  failed_ = true;
}

}  // namespace bal::anthropic
