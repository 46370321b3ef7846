// translate_response(): routes an upstream answer to the translator of its kind, and every
// failure, whatever the kind, to one OpenAI error format.
#include "response_internal.h"

namespace bal::openai {
namespace {

using Translator = Plan (*)(const resp::Context&, std::string_view);

struct KindTranslator {
  std::string_view kind;
  Translator translate;
};

// The "kind" of the plan's translate object, and who reads a 2xx body of that kind.
constexpr KindTranslator kTranslators[] = {
    {"chat", resp::chat_response},
    {"embeddings", resp::embeddings_response},
    {"models", resp::models_response},
    {"model", resp::model_response},
};

}  // namespace

Plan translate_response(const json& header, std::string_view body) {
  const resp::Context ctx = resp::read_context(header);
  if (ctx.status >= 400) return resp::error_response(ctx, resp::upstream_error(ctx.status, body));
  if (ctx.status < 200 || ctx.status >= 300) {
    return resp::error_response(ctx, resp::bad_gateway("upstream answered with HTTP " + std::to_string(ctx.status)));
  }
  for (const KindTranslator& t : kTranslators) {
    if (t.kind == ctx.kind) return t.translate(ctx, body);
  }
  resp::ErrorInfo e;
  e.status = 500;
  e.message = "unknown translation kind";
  return resp::error_response(ctx, e);
}

}  // namespace bal::openai
