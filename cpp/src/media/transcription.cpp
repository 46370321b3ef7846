// /v1/audio/transcriptions and /v1/audio/translations → a Gemini model that listens to the
// audio inline and writes down (or translates) what it hears.
#include "balancer/base64.h"
#include "balancer/json.h"
#include "balancer/media_types.h"
#include "media_internal.h"

namespace bal::media {
namespace {

using detail::bad_request;

constexpr std::string_view kTranscribe =
    "Transcribe the speech in this audio verbatim, in the language it is spoken in. Answer with the transcript "
    "only: no title, no speaker labels, no timestamps, no commentary.";
constexpr std::string_view kTranslate =
    "Translate the speech in this audio into English. Answer with the English translation only: no title, no "
    "speaker labels, no timestamps, no commentary.";

enum class TextFormat { json, text };

bool is_space(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

class TranscriptionExchange final : public detail::OpenAIExchange {
 public:
  explicit TranscriptionExchange(TextFormat format) : format_(format) {}
  Reply answer(const std::vector<std::string_view>& bodies) override;

 private:
  TextFormat format_;
};

Reply TranscriptionExchange::answer(const std::vector<std::string_view>& bodies) {
  detail::Answer a;
  if (bodies.empty() || !detail::read_answer(bodies[0], a)) {
    return error(bad_gateway("Gemini's answer could not be read."));
  }
  usage_ = a.usage;
  std::string text;
  bool any = false;
  for (const raw::value part : a.parts.items()) {
    if (part.get("thought").as_bool().value_or(false) || !part.get("text").is_string()) continue;
    raw::unescape(part.get("text").raw(), text);
    any = true;
  }
  if (!any) return error(detail::empty_answer(a, "a transcript"));
  size_t b = 0, e = text.size();
  while (b < e && is_space(text[b])) ++b;
  while (e > b && is_space(text[e - 1])) --e;
  const std::string_view trimmed = std::string_view(text).substr(b, e - b);
  Reply r;
  if (format_ == TextFormat::text) {
    r.content_type = "text/plain; charset=utf-8";
    r.body.assign(trimmed);
    r.body += '\n';
    return r;
  }
  r.body = "{\"text\":";
  raw::append_string(r.body, trimmed);
  r.body += ",\"usage\":{\"type\":\"tokens\",";
  std::string usage;
  detail::append_token_usage(usage, usage_);
  r.body += usage.substr(1);
  r.body += '}';
  return r;
}

bool read_format(const multipart::Form& form, TextFormat& format, ApiError& err) {
  const std::string_view f = detail::text_of(form, "response_format");
  if (f.empty() || f == "json") return (format = TextFormat::json, true);
  if (f == "text") return (format = TextFormat::text, true);
  if (f == "verbose_json" || f == "srt" || f == "vtt" || f == "diarized_json") {
    err = bad_request("response_format '" + std::string(f) +
                          "' is not supported: it needs word or segment timestamps, and Gemini's are estimates, not "
                          "measurements. Use json or text.",
                      "response_format", "unsupported_value");
    return false;
  }
  err = bad_request("response_format must be json or text.", "response_format");
  return false;
}

bool read_language(std::string_view language, ApiError& err) {
  bool ok = language.size() <= 16;
  for (const char c : language) ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-');
  if (ok) return true;
  err = bad_request("language must be an ISO-639-1 code such as en or de.", "language");
  return false;
}

bool read_temperature(const multipart::Form& form, std::optional<double>& temperature, ApiError& err) {
  if (form.field("temperature") == nullptr) return true;
  temperature = detail::number_text(detail::text_of(form, "temperature"));
  if (temperature && *temperature >= 0 && *temperature <= 1) return true;
  err = bad_request("temperature must be a number from 0 to 1.", "temperature");
  return false;
}

// Options that need what Gemini does not give.
bool refuse_unsupported(const multipart::Form& form, ApiError& err) {
  if (form.field("timestamp_granularities[]") != nullptr || form.field("timestamp_granularities") != nullptr) {
    err = bad_request("timestamp_granularities is not supported: Gemini gives no measured timestamps.",
                      "timestamp_granularities", "unsupported_value");
    return false;
  }
  if (detail::text_of(form, "stream") == "true") {
    err = bad_request("Streaming transcription is not supported: the transcript is answered whole.", "stream",
                      "unsupported_value");
    return false;
  }
  if (form.field("include[]") != nullptr || form.field("include") != nullptr) {
    err = bad_request("include (logprobs) is not supported.", "include", "unsupported_value");
    return false;
  }
  return true;
}

void append_instruction(std::string& out, AudioTask task, std::string_view language, std::string_view prompt) {
  out += task == AudioTask::translate ? kTranslate : kTranscribe;
  if (!language.empty() && task == AudioTask::transcribe) {
    out += " The speech is in the language with ISO-639-1 code ";
    out += language;
    out += '.';
  }
  if (!prompt.empty()) {
    out += R"( The following text gives context (names, spelling, earlier words); do not repeat it: )";
    raw::append_escaped(out, prompt);
  }
}

}  // namespace

Translated translate_transcription(std::string_view content_type, std::string_view body, AudioTask task,
                                   const RequestInfo& info) {
  auto exchange = [](TextFormat f = TextFormat::json) { return std::make_unique<TranscriptionExchange>(f); };
  multipart::Form form;
  if (const multipart::Error e = multipart::parse(content_type, body, form)) {
    return detail::refuse(bad_request(multipart::error_message(e), {}, "invalid_multipart"), exchange());
  }
  ApiError err;
  TextFormat format = TextFormat::json;
  std::string model;
  std::optional<double> temperature;
  const multipart::Part* file = form.field("file");
  const std::string_view client_model = detail::text_of(form, "model");
  const std::string_view language = detail::text_of(form, "language");
  const bool ok =
      detail::check_parts(
          form,
          {"file", "model", "language", "prompt", "response_format", "temperature", "timestamp_granularities[]",
           "timestamp_granularities", "stream", "include[]", "include", "chunking_strategy"},
          err) &&
      ((file != nullptr && !file->data.empty()) ||
       (err = bad_request("file is required: the audio to transcribe.", "file", "missing_required_parameter"),
        false)) &&
      (!client_model.empty() ||
       (err = bad_request("you must provide a model parameter", "model", "missing_required_parameter"), false)) &&
      detail::resolve_model(client_model, {}, info, false, model, err) && read_format(form, format, err) &&
      read_language(language, err) && read_temperature(form, temperature, err) && refuse_unsupported(form, err);
  if (!ok) return detail::refuse(err, exchange(format));
  const std::string_view mime = identify(file->data, file->content_type, file->filename, Kind::audio);
  if (mime.empty()) {
    return detail::refuse(bad_request("file '" + file->filename + "' is not a " +
                                          std::string(accepted_names(Kind::audio)) + " audio file.",
                                      "file", "invalid_file_format"),
                          exchange(format));
  }
  const std::string_view prompt = detail::text_of(form, "prompt");
  const size_t expected = base64::encoded_size(file->data.size()) + prompt.size() * 2 + 1024;
  if (static_cast<int64_t>(expected) > kInlineRequestLimit) {
    return detail::refuse(bad_request("The audio file is too large to send to Gemini inline: " +
                                          std::to_string(expected / (1024 * 1024)) +
                                          " MB after base64, over Gemini's 20 MB request limit (about 15 MB of audio).",
                                      "file", "request_too_large", 413),
                          exchange(format));
  }
  UpstreamCall c;
  c.model = model;
  c.path = detail::generate_path(model);
  c.body.reserve(expected);
  c.body += R"({"contents":[{"role":"user","parts":[{"text":")";
  append_instruction(c.body, task, language, prompt);
  c.body += R"("},{"inlineData":{"mimeType":")";
  c.body += mime;
  c.body += R"(","data":")";
  base64::encode(file->data, c.body);
  c.body += R"("}}]}])";
  if (temperature) {
    c.body += R"(,"generationConfig":{"temperature":)";
    append_double(c.body, *temperature);
    c.body += '}';
  }
  c.body += '}';
  Translated t;
  t.calls.push_back(std::move(c));
  t.exchange = exchange(format);
  return t;
}

}  // namespace bal::media
