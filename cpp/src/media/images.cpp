// /v1/images/generations and /v1/images/edits → Gemini image models (generateContent with
// image output), one call per image.
#include "balancer/base64.h"
#include "balancer/jsonout.h"
#include "balancer/media_types.h"
#include "media_internal.h"

namespace bal::media {
namespace {

using detail::bad_request;

struct Ratio {
  std::string_view name;
  double value;
};

// The aspect ratios Gemini's image models take (imageConfig.aspectRatio).
constexpr Ratio kRatios[] = {
    {"1:1", 1.0}, {"2:3", 2.0 / 3.0}, {"3:2", 1.5},         {"3:4", 0.75},        {"4:3", 4.0 / 3.0},
    {"4:5", 0.8}, {"5:4", 1.25},      {"9:16", 9.0 / 16.0}, {"16:9", 16.0 / 9.0}, {"21:9", 21.0 / 9.0},
};

// How far a size may be from the ratio it is sent as: a factor of at most e^0.05 (a log
// ratio of 0.05, about 5 %) either way. Factors are compared rather than logarithms, so that
// libm's log and its tables stay out of the core.
constexpr double kRatioTolerance = 1.0512710963760241;

enum class Format { b64_json, url };

struct ImageOptions {
  std::string model;  // Gemini's
  int64_t n = 1;
  std::string_view ratio;  // "" leaves it to the model
  Format format = Format::b64_json;
};

class ImagesExchange final : public detail::OpenAIExchange {
 public:
  ImagesExchange(Format format, int64_t created_s) : format_(format), created_s_(created_s) {}
  Reply answer(const std::vector<std::string_view>& bodies) override;

 private:
  Format format_;
  int64_t created_s_;
};

std::unique_ptr<ImagesExchange> make_exchange(const RequestInfo& info, Format format = Format::b64_json) {
  return std::make_unique<ImagesExchange>(format, info.now_ms / 1000);
}

// The answer of one call: its non-thought images and texts (Gemini 3 image models also return
// draft images marked as thoughts).
void collect(const detail::Answer& a, std::string& out, size_t& images, std::string& revised, Format format) {
  for (const raw::value part : a.parts.items()) {
    if (part.get("thought").as_bool().value_or(false)) continue;
    const raw::value data = part.get("inlineData");
    const raw::value mime = data.get("mimeType");
    if (data.is_object() && mime.str().rfind("image/", 0) == 0 && data.get("data").is_string()) {
      if (images++ > 0) out += ',';
      out += format == Format::url ? "{\"url\":\"data:" : "{\"b64_json\":\"";
      if (format == Format::url) {
        out += mime.raw();
        out += ";base64,";
      }
      out += data.get("data").raw();
      out += '"';
      if (!revised.empty()) {
        out += ",\"revised_prompt\":\"";
        out += revised;
        out += '"';
        revised.clear();
      }
      out += '}';
    } else if (part.get("text").is_string()) {
      revised += part.get("text").raw();
    }
  }
}

Reply ImagesExchange::answer(const std::vector<std::string_view>& bodies) {
  std::string out = "{\"created\":";
  append_int(out, created_s_);
  out += ",\"data\":[";
  size_t images = 0;
  std::optional<ApiError> first_problem;
  for (const std::string_view body : bodies) {
    detail::Answer a;
    if (!detail::read_answer(body, a)) {
      if (!first_problem) first_problem = bad_gateway("Gemini's answer could not be read.");
      continue;
    }
    detail::add_usage(usage_, a.usage);
    std::string revised;
    const size_t before = images;
    collect(a, out, images, revised, format_);
    if (images == before && !first_problem) first_problem = detail::empty_answer(a, "an image");
  }
  // Images that did arrive are the client's, even when another call came back empty.
  if (images == 0) return error(first_problem ? *first_problem : bad_gateway("Gemini returned no image."));
  out += "],\"usage\":";
  detail::append_token_usage(out, usage_);
  out += '}';
  Reply r;
  r.body = std::move(out);
  return r;
}

bool read_ratio(std::string_view size, ImageOptions& o, ApiError& err) {
  if (aspect_ratio_for(size, o.ratio)) return true;
  err = bad_request("size '" + std::string(size) +
                        "' has no near aspect ratio among those Gemini's image models take (1:1, 2:3, 3:2, 3:4, "
                        "4:3, 4:5, 5:4, 9:16, 16:9, 21:9); use a size such as 1024x1024, 1536x1024 or 1792x1024, "
                        "or auto.",
                    "size");
  return false;
}

bool read_n(std::optional<int64_t> n, bool present, ImageOptions& o, ApiError& err) {
  if (!present) return true;
  if (!n || *n < 1 || *n > kMaxImages) {
    err = bad_request("n must be an integer from 1 to 10.", "n");
    return false;
  }
  o.n = *n;
  return true;
}

bool read_format(std::string_view format, bool present, std::string_view client_model, ImageOptions& o, ApiError& err) {
  if (!present) {
    // OpenAI's own defaults: DALL·E answers with URLs, GPT Image with base64.
    o.format = client_model.rfind("dall-e", 0) == 0 ? Format::url : Format::b64_json;
    return true;
  }
  if (format == "b64_json") {
    o.format = Format::b64_json;
  } else if (format == "url") {
    o.format = Format::url;
  } else {
    err = bad_request("response_format must be b64_json or url (answered as a data: URL).", "response_format");
    return false;
  }
  return true;
}

// Options OpenAI has that Gemini cannot honour: refused unless set to what Gemini does anyway.
bool read_fixed(std::string_view name, std::string_view value, bool present, std::string_view allowed,
                std::string_view why, ApiError& err) {
  if (!present || value == allowed || value == "auto") return true;
  err = bad_request(std::string(name) + " '" + std::string(value) + "' is not supported: " + std::string(why),
                    std::string(name), "unsupported_value");
  return false;
}

// {"contents":[{"role":"user","parts":[...]}],"generationConfig":{...}}, written by appending:
// `parts` appends the parts (comma-separated) straight into the body, so an image's base64 is
// written once, in place.
template <class Parts>
std::string gemini_body(const ImageOptions& o, size_t expected, Parts&& parts) {
  std::string body;
  body.reserve(expected + 256);
  body += R"({"contents":[{"role":"user","parts":[)";
  parts(body);
  body += R"(]}],"generationConfig":{"responseModalities":["TEXT","IMAGE"])";
  if (!o.ratio.empty()) {
    body += R"(,"imageConfig":{"aspectRatio":")";
    body += o.ratio;
    body += R"("})";
  }
  body += "}}";
  return body;
}

Translated with_calls(const ImageOptions& o, std::string body, std::unique_ptr<ImagesExchange> exchange) {
  Translated t;
  for (int64_t i = 0; i < o.n; ++i) {
    UpstreamCall c;
    c.model = o.model;
    c.path = detail::generate_path(o.model);
    c.body = i + 1 == o.n ? std::move(body) : body;
    t.calls.push_back(std::move(c));
  }
  t.exchange = std::move(exchange);
  return t;
}

}  // namespace

bool aspect_ratio_for(std::string_view size, std::string_view& ratio) {
  ratio = {};
  if (size.empty() || size == "auto") return true;
  for (const Ratio& r : kRatios) {
    if (size == r.name) {
      ratio = r.name;
      return true;
    }
  }
  const size_t x = size.find('x');
  const auto w = detail::int_text(size.substr(0, x));
  const auto h = x == std::string_view::npos ? std::nullopt : detail::int_text(size.substr(x + 1));
  if (!w || !h || *w == 0 || *h == 0 || *w > 100000 || *h > 100000) return false;
  const double want = static_cast<double>(*w) / static_cast<double>(*h);
  double best = kRatioTolerance;
  for (const Ratio& r : kRatios) {
    const double factor = r.value > want ? r.value / want : want / r.value;
    if (factor <= best) {
      best = factor;
      ratio = r.name;
    }
  }
  return !ratio.empty();
}

Translated translate_image_generation(std::string_view body, const RequestInfo& info) {
  raw::document doc;
  if (doc.parse(body) != raw::success) {
    return detail::refuse(bad_request(gemini::parse_error_message(doc), {}, "invalid_json"), make_exchange(info));
  }
  const raw::value root = doc.root();
  ApiError err;
  if (!root.is_object()) return detail::refuse(bad_request("The body must be a JSON object."), make_exchange(info));
  if (!detail::check_fields(
          root,
          {"prompt", "model", "n", "size", "response_format", "quality", "style", "user", "background", "moderation",
           "output_format", "output_compression", "stream", "partial_images"},
          err)) {
    return detail::refuse(err, make_exchange(info));
  }
  const raw::value prompt = gemini::present(root.get("prompt"));
  if (!prompt.is_string() || prompt.raw().empty()) {
    return detail::refuse(
        bad_request("prompt is required: a non-empty string.", "prompt", "missing_required_parameter"),
        make_exchange(info));
  }
  ImageOptions o;
  const raw::value model = gemini::present(root.get("model"));
  const raw::value n = gemini::present(root.get("n"));
  const raw::value format = gemini::present(root.get("response_format"));
  const raw::value stream = gemini::present(root.get("stream"));
  const std::string client_model = model.str();
  const bool ok =
      (!model.exists() || model.is_string() || (err = bad_request("model must be a string.", "model"), false)) &&
      detail::resolve_model(client_model, kDefaultImageModel, info, true, o.model, err) &&
      read_n(detail::int_value(n), n.exists(), o, err) && read_ratio(gemini::present(root.get("size")).str(), o, err) &&
      read_format(format.str(), format.exists(), client_model, o, err) &&
      read_fixed("background", root.get("background").str(), gemini::present(root.get("background")).exists(), "opaque",
                 "Gemini draws opaque images.", err) &&
      read_fixed("output_format", root.get("output_format").str(), gemini::present(root.get("output_format")).exists(),
                 "png", "Gemini answers with PNG.", err) &&
      (!stream.as_bool().value_or(false) ||
       (err = bad_request("Streaming image generation is not supported.", "stream", "unsupported_value"), false));
  if (!ok) return detail::refuse(err, make_exchange(info));
  std::string gbody = gemini_body(o, prompt.raw().size(), [&](std::string& out) {
    out += R"({"text":")";
    out += prompt.raw();
    out += R"("})";
  });
  return with_calls(o, std::move(gbody), make_exchange(info, o.format));
}

namespace {

constexpr std::string_view kMaskNote =
    "\n\nThe last image is a mask for the first one: change only the areas where the mask is fully transparent, and "
    "keep everything else as it is.";

bool read_image_part(const multipart::Part& p, std::string_view field, std::string_view& mime, ApiError& err) {
  mime = media::identify(p.data, p.content_type, p.filename, Kind::image);
  if (!p.data.empty() && !mime.empty()) return true;
  err = bad_request(
      std::string(field) + " '" + p.filename + "' is not a " + std::string(accepted_names(Kind::image)) + " image.",
      std::string(field), "invalid_image_format");
  return false;
}

void append_inline(std::string& out, std::string_view mime, std::string_view data) {
  out += R"({"inlineData":{"mimeType":")";
  out += mime;
  out += R"(","data":")";
  base64::encode(data, out);
  out += R"("}},)";
}

}  // namespace

Translated translate_image_edit(std::string_view content_type, std::string_view body, const RequestInfo& info) {
  multipart::Form form;
  if (const multipart::Error e = multipart::parse(content_type, body, form)) {
    return detail::refuse(bad_request(multipart::error_message(e), {}, "invalid_multipart"), make_exchange(info));
  }
  ApiError err;
  if (!detail::check_parts(form,
                           {"image", "image[]", "mask", "prompt", "model", "n", "size", "response_format", "quality",
                            "style", "user", "background", "moderation", "output_format", "output_compression",
                            "input_fidelity", "stream", "partial_images"},
                           err)) {
    return detail::refuse(err, make_exchange(info));
  }
  std::vector<const multipart::Part*> images = form.all("image");
  for (const multipart::Part* p : form.all("image[]")) images.push_back(p);
  const std::string_view prompt = detail::text_of(form, "prompt");
  if (images.empty()) {
    return detail::refuse(
        bad_request("image is required: one or more image files.", "image", "missing_required_parameter"),
        make_exchange(info));
  }
  if (prompt.empty()) {
    return detail::refuse(bad_request("prompt is required.", "prompt", "missing_required_parameter"),
                          make_exchange(info));
  }
  ImageOptions o;
  const std::string_view client_model = detail::text_of(form, "model");
  const multipart::Part* n = form.field("n");
  const multipart::Part* format = form.field("response_format");
  const bool ok = detail::resolve_model(client_model, kDefaultImageModel, info, true, o.model, err) &&
                  read_n(n != nullptr ? detail::int_text(n->data) : std::nullopt, n != nullptr, o, err) &&
                  read_ratio(detail::text_of(form, "size"), o, err) &&
                  read_format(format != nullptr ? format->data : "", format != nullptr, client_model, o, err) &&
                  read_fixed("background", detail::text_of(form, "background"), form.field("background") != nullptr,
                             "opaque", "Gemini draws opaque images.", err) &&
                  read_fixed("output_format", detail::text_of(form, "output_format"),
                             form.field("output_format") != nullptr, "png", "Gemini answers with PNG.", err) &&
                  read_fixed("stream", detail::text_of(form, "stream"), form.field("stream") != nullptr, "false",
                             "streaming image edits are not supported.", err);
  if (!ok) return detail::refuse(err, make_exchange(info));
  // Each image once, checked before anything is encoded.
  std::vector<std::string_view> mimes;
  size_t raw_bytes = prompt.size() + kMaskNote.size();
  for (const multipart::Part* p : images) {
    std::string_view mime;
    if (!read_image_part(*p, "image", mime, err)) return detail::refuse(err, make_exchange(info));
    mimes.push_back(mime);
    raw_bytes += p->data.size();
  }
  const multipart::Part* mask = form.field("mask");
  std::string_view mask_mime;
  if (mask != nullptr) {
    if (!read_image_part(*mask, "mask", mask_mime, err)) return detail::refuse(err, make_exchange(info));
    raw_bytes += mask->data.size();
  }
  const size_t expected = base64::encoded_size(raw_bytes) + 128 * (images.size() + 2);
  if (static_cast<int64_t>(expected) > kInlineRequestLimit) {
    return detail::refuse(
        bad_request("The images are too large to send to Gemini inline: " + std::to_string(expected / (1024 * 1024)) +
                        " MB after base64, over Gemini's 20 MB request limit.",
                    "image", "request_too_large", 413),
        make_exchange(info));
  }
  std::string gbody = gemini_body(o, expected, [&](std::string& out) {
    for (size_t i = 0; i < images.size(); ++i) append_inline(out, mimes[i], images[i]->data);
    if (mask != nullptr) append_inline(out, mask_mime, mask->data);
    out += R"({"text":")";
    raw::append_escaped(out, prompt);
    if (mask != nullptr) raw::append_escaped(out, kMaskNote);
    out += R"("})";
  });
  return with_calls(o, std::move(gbody), make_exchange(info, o.format));
}

}  // namespace bal::media
