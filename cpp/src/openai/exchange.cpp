// The OpenAI family's answer side: one Exchange for chat, embeddings and the model list, and
// its description for the golden fixtures.
#include "response_internal.h"

namespace bal::openai {
namespace {

using resp::Context;
using resp::Kind;

// Gemini's largest page: the list usually takes one call. Past kMaxPages a list is cut.
constexpr std::string_view kModelsQuery = "pageSize=1000";
constexpr size_t kMaxPages = 20;

struct KindName {
  Kind kind;
  std::string_view name;
};
constexpr KindName kKindNames[] = {
    {Kind::chat, "chat"}, {Kind::embeddings, "embeddings"}, {Kind::models, "models"}, {Kind::model, "model"}};

class OpenAiExchange final : public Exchange {
 public:
  explicit OpenAiExchange(Context ctx) : ctx_(std::move(ctx)) {}

  Reply answer(const std::vector<std::string_view>& bodies) override {
    if (bodies.empty()) return error(bad_gateway("upstream returned nothing"));
    switch (ctx_.kind) {
      case Kind::chat:
        return resp::chat_response(ctx_, bodies.front(), usage_);
      case Kind::embeddings:
        return resp::embeddings_response(ctx_, bodies);
      case Kind::models:
        return resp::models_response(bodies);
      case Kind::model:
        return resp::model_response(ctx_, bodies.front());
    }
    return error(bad_gateway("unknown answer kind"));
  }

  Reply error(const ApiError& e) override { return error_reply(e); }

  std::unique_ptr<StreamTranslator> stream() override { return resp::chat_stream(ctx_); }

  std::optional<UpstreamCall> next_call(size_t index, std::string_view body) override {
    if (ctx_.kind != Kind::models || ++pages_ >= kMaxPages) return std::nullopt;
    (void)index;
    raw::document doc;
    if (doc.parse(body) != raw::success) return std::nullopt;
    const raw::value token = doc.root().get("nextPageToken");
    if (!token.is_string() || token.raw().empty()) return std::nullopt;
    UpstreamCall c;
    c.method = "GET";
    c.path = "/v1beta/models";
    c.query = std::string(kModelsQuery) + "&pageToken=" + percent_encoded(token.str());
    return c;
  }

  gemini::Usage usage() const override { return usage_; }

  const Context& context() const { return ctx_; }

 private:
  static std::string percent_encoded(std::string_view s) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (const char c : s) {
      const auto u = static_cast<unsigned char>(c);
      const bool plain = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u == '-' ||
                         u == '_' || u == '.' || u == '~';
      if (plain) {
        out += c;
      } else {
        out += '%';
        out += kHex[u >> 4];
        out += kHex[u & 15];
      }
    }
    return out;
  }

  Context ctx_;
  gemini::Usage usage_;
  size_t pages_ = 0;
};

std::string escaped(std::string_view text) {
  std::string out;
  raw::append_escaped(out, text);
  return out;
}

std::string unescaped(std::string_view escaped_text) {
  std::string out;
  raw::unescape(escaped_text, out);
  return out;
}

}  // namespace

namespace resp {

std::unique_ptr<Exchange> make_exchange(Context ctx) {
  return std::make_unique<OpenAiExchange>(std::move(ctx));
}

}  // namespace resp

Translated translate_models(const RequestInfo& info) {
  Context ctx;
  ctx.kind = Kind::models;
  resp::stamp(ctx, info);
  Translated t;
  UpstreamCall c;
  c.method = "GET";
  c.path = "/v1beta/models";
  c.query = std::string(kModelsQuery);
  t.calls.push_back(std::move(c));
  t.model_list = true;
  t.exchange = resp::make_exchange(std::move(ctx));
  return t;
}

Translated translate_model(std::string_view id, const RequestInfo& info) {
  Context ctx;
  ctx.kind = Kind::model;
  resp::stamp(ctx, info);
  Translated t;
  std::string model;
  if (!gemini::gemini_model_id(id, model)) {
    t.error =
        api_error(400, "The model id '" + std::string(id) + "' is not valid: use letters, digits, '.', '_' and '-'.",
                  "invalid_value", "model");
  } else {
    ctx.id = model;
    UpstreamCall c;
    c.method = "GET";
    c.path = "/v1beta/models/" + model;
    t.calls.push_back(std::move(c));
  }
  t.exchange = resp::make_exchange(std::move(ctx));
  return t;
}

json describe(const Exchange& e) {
  // Only this family's translators make the exchanges passed here (see openai.h).
  const Context& c = static_cast<const OpenAiExchange&>(e).context();
  json out = json::object();
  for (const KindName& k : kKindNames) {
    if (k.kind == c.kind) out["kind"] = k.name;
  }
  switch (c.kind) {
    case Kind::chat:
      out["model"] = unescaped(c.model);
      out["stream"] = c.stream;
      out["include_usage"] = c.include_usage;
      out["include_reasoning"] = c.include_reasoning;
      out["n"] = c.n;
      if (!c.custom_tools.empty()) out["custom_tools"] = c.custom_tools;
      if (c.grounded) out["grounded"] = true;
      break;
    case Kind::embeddings:
      out["model"] = unescaped(c.model);
      out["encoding_format"] = c.encoding_format;
      break;
    case Kind::model:
      out["id"] = c.id;
      break;
    case Kind::models:
      break;
  }
  return out;
}

std::unique_ptr<Exchange> exchange_from(const json& d) {
  Context c;
  const std::string_view kind = get_string(d, "kind", "chat");
  for (const KindName& k : kKindNames) {
    if (k.name == kind) c.kind = k.kind;
  }
  c.model = escaped(get_string(d, "model"));
  c.request_id = escaped(get_string(d, "request_id"));
  c.created = get_int(d, "now_ms", 0, 0, kMaxTimeMs) / 1000;
  c.stream = get_bool(d, "stream");
  c.include_usage = get_bool(d, "include_usage");
  c.include_reasoning = get_bool(d, "include_reasoning");
  c.n = get_int(d, "n", 1, 1, 128);
  c.encoding_format = std::string(get_string(d, "encoding_format", "float"));
  c.id = std::string(get_string(d, "id"));
  if (const auto it = d.find("custom_tools"); it != d.end() && it->is_array()) {
    for (const json& name : *it) {
      if (name.is_string()) c.custom_tools.push_back(name.get<std::string>());
    }
  }
  c.grounded = get_bool(d, "grounded");
  return resp::make_exchange(std::move(c));
}

}  // namespace bal::openai
