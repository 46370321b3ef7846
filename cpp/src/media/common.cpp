// What the media translators share (media_internal.h).

#include "balancer/decimal.h"
#include "balancer/jsonout.h"
#include "balancer/model_map.h"
#include "media_internal.h"

namespace bal::media::detail {
namespace {

// finishReasons that mean a safety system stopped the answer: the request's content, not a
// failure of Google's.
constexpr std::string_view kSafetyStops[] = {
    "SAFETY",     "BLOCKLIST",    "PROHIBITED_CONTENT",       "SPII",
    "RECITATION", "IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION",
};

}  // namespace

ApiError bad_request(std::string message, std::string param, std::string code, int status) {
  return api_error(status, std::move(message), std::move(code), std::move(param));
}

Translated refuse(ApiError e, std::unique_ptr<Exchange> exchange) {
  Translated t;
  t.error = std::move(e);
  t.exchange = std::move(exchange);
  return t;
}

bool resolve_model(std::string_view client_model, std::string_view fallback, const RequestInfo& info, bool images,
                   std::string& gemini_id, ApiError& err) {
  static const ModelMap kBuiltin;
  const ModelMap& map = info.models != nullptr ? *info.models : kBuiltin;
  const std::string named(client_model.empty() ? fallback : client_model);
  const std::string mapped = map.map(named);
  if (!gemini::gemini_model_id(mapped, gemini_id)) {
    err = bad_request("The model '" + named + "' is not a valid Gemini model id.", "model");
    return false;
  }
  if (images && gemini_id.rfind("imagen-", 0) == 0) {
    err = bad_request(
        "Imagen models were shut down on the Gemini API in August 2026. Use a Gemini image model "
        "such as gemini-3.1-flash-image, or leave model unset.",
        "model", "model_not_found");
    return false;
  }
  return true;
}

std::string generate_path(std::string_view model) {
  std::string p = "/v1beta/models/";
  p += model;
  p += ":generateContent";
  return p;
}

ApiError unknown_argument(std::string_view name) {
  return bad_request("Unrecognized request argument supplied: " + std::string(name), std::string(name),
                     "unknown_parameter");
}

bool check_fields(raw::value root, std::initializer_list<std::string_view> known, ApiError& err) {
  for (const raw::member m : root.members()) {
    bool ok = false;
    for (const std::string_view k : known) ok = ok || m.key.equals(k);
    if (!ok) {
      err = unknown_argument(m.key.str());
      return false;
    }
  }
  return true;
}

bool check_parts(const multipart::Form& form, std::initializer_list<std::string_view> known, ApiError& err) {
  for (const multipart::Part& p : form.parts) {
    bool ok = false;
    for (const std::string_view k : known) ok = ok || p.name == k;
    if (!ok) {
      err = unknown_argument(p.name);
      return false;
    }
  }
  return true;
}

std::optional<int64_t> int_value(raw::value v) {
  if (!v.is_number()) return std::nullopt;
  return v.as_int64();
}

std::optional<int64_t> int_text(std::string_view s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  int64_t v = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

std::optional<double> number_text(std::string_view s) {
  double v = 0;
  if (s.empty() || s.size() > 32 || !read_double(s, v)) return std::nullopt;
  return v;
}

std::string_view text_of(const multipart::Form& form, std::string_view name) {
  const multipart::Part* p = form.field(name);
  return p == nullptr ? std::string_view() : p->data;
}

bool read_answer(std::string_view body, Answer& a) {
  if (a.doc.parse(body) != raw::success || !a.doc.root().is_object()) return false;
  const raw::value root = a.doc.root();
  a.block_reason = root.get("promptFeedback").get("blockReason").str();
  const raw::value candidate = *root.get("candidates").items().begin();
  a.finish_reason = candidate.get("finishReason").str();
  a.parts = candidate.get("content").get("parts");
  a.usage = gemini::read_usage(root.get("usageMetadata"));
  return true;
}

ApiError empty_answer(const Answer& a, std::string_view wanted) {
  if (!a.block_reason.empty()) {
    return bad_request("Gemini blocked the prompt (" + a.block_reason + ").", {}, "content_policy_violation");
  }
  for (const std::string_view stop : kSafetyStops) {
    if (a.finish_reason == stop) {
      return bad_request("Gemini stopped the answer for safety (" + a.finish_reason + ").", {},
                         "content_policy_violation");
    }
  }
  std::string msg = "Gemini answered without ";
  msg += wanted;
  if (!a.finish_reason.empty()) msg += " (finishReason " + a.finish_reason + ")";
  msg += '.';
  return bad_gateway(std::move(msg));
}

void add_usage(gemini::Usage& total, const gemini::Usage& u) {
  if (!u.known) return;
  total.known = true;
  total.prompt += u.prompt;
  total.candidates += u.candidates;
  total.thoughts += u.thoughts;
  total.cached += u.cached;
  total.tool_prompt += u.tool_prompt;
}

void append_token_usage(std::string& out, const gemini::Usage& u) {
  out += "{\"input_tokens\":";
  append_int(out, u.prompt);
  out += ",\"output_tokens\":";
  append_int(out, u.completion());
  out += ",\"total_tokens\":";
  append_int(out, u.prompt + u.completion());
  out += '}';
}

}  // namespace bal::media::detail
