// media_internal.h — what the image and audio translators share: their Exchange base (OpenAI
// errors, usage), request checks, model resolution and reading Gemini's answers.
#pragma once

#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "balancer/exchange.h"
#include "balancer/gemini.h"
#include "balancer/media.h"
#include "balancer/multipart.h"
#include "balancer/openai.h"
#include "balancer/rawjson.h"

namespace bal::media::detail {

class OpenAIExchange : public Exchange {
 public:
  Reply error(const ApiError& e) override { return openai::error_reply(e); }
  std::unique_ptr<StreamTranslator> stream() override { return nullptr; }
  gemini::Usage usage() const override { return usage_; }

 protected:
  gemini::Usage usage_;
};

// A 400 (or `status`) in the client's words.
ApiError bad_request(std::string message, std::string param = {}, std::string code = "invalid_value", int status = 400);
// The translation result for an error found while reading the request.
Translated refuse(ApiError e, std::unique_ptr<Exchange> exchange);

// The Gemini model for the client's `model` (or `fallback` when absent), through MODEL_MAP.
// Imagen names are refused when `images` is set: Google shut them down on the Gemini API.
bool resolve_model(std::string_view client_model, std::string_view fallback, const RequestInfo& info, bool images,
                   std::string& gemini_id, ApiError& err);

std::string generate_path(std::string_view model);

// "Unrecognized request argument supplied: x", OpenAI's answer to a field it does not know.
ApiError unknown_argument(std::string_view name);

// A JSON body's fields must all be among `known`.
bool check_fields(raw::value root, std::initializer_list<std::string_view> known, ApiError& err);
// A form's parts must all be named among `known`.
bool check_parts(const multipart::Form& form, std::initializer_list<std::string_view> known, ApiError& err);

// Whole numbers written as JSON numbers or, in forms, as decimal text.
std::optional<int64_t> int_value(raw::value v);
std::optional<int64_t> int_text(std::string_view s);
// A decimal number (decimal.h: no white space, hexadecimal, inf or nan).
std::optional<double> number_text(std::string_view s);

// A form field's text ("" when absent).
std::string_view text_of(const multipart::Form& form, std::string_view name);

// One Gemini answer, read: the first candidate's parts and what ended it.
struct Answer {
  raw::document doc;
  raw::value parts;           // candidates[0].content.parts (absent when none)
  std::string block_reason;   // promptFeedback.blockReason
  std::string finish_reason;  // candidates[0].finishReason
  gemini::Usage usage;
};
bool read_answer(std::string_view body, Answer& a);

// The client's error for an answer that holds nothing usable: a blocked prompt or a safety stop
// is the request's (400 content_policy_violation); anything else is Google's (502).
ApiError empty_answer(const Answer& a, std::string_view wanted);

void add_usage(gemini::Usage& total, const gemini::Usage& u);
// OpenAI's "usage" for token-billed media: {"input_tokens","output_tokens","total_tokens"}.
void append_token_usage(std::string& out, const gemini::Usage& u);

}  // namespace bal::media::detail
