// models.list pages and models.get → OpenAI model objects.
#include "response_internal.h"

namespace bal::openai::resp {
namespace {

constexpr std::string_view kModelsPrefix = "models/";

std::string_view without_prefix(std::string_view name) {
  if (name.substr(0, kModelsPrefix.size()) == kModelsPrefix) name.remove_prefix(kModelsPrefix.size());
  return name;
}

// OpenAI's four fields, plus the two a client choosing a model can use.
void append_model(std::string& out, raw::value model, std::string_view fallback_id) {
  const std::string name = model.get("name").str();
  out += "{\"id\":";
  raw::append_string(out, without_prefix(name.empty() ? fallback_id : std::string_view(name)));
  out += ",\"object\":\"model\",\"created\":0,\"owned_by\":\"google\"";
  if (const raw::value display = model.get("displayName"); display.is_string()) {
    out += ",\"display_name\":\"";
    out += display.raw();
    out += '"';
  }
  if (const raw::value limit = model.get("inputTokenLimit"); limit.is_integer()) {
    out += ",\"context_length\":";
    out += limit.raw_json();
  }
  out += '}';
}

}  // namespace

Reply models_response(const std::vector<std::string_view>& pages) {
  std::string out;
  out += "{\"object\":\"list\",\"data\":[";
  bool first = true;
  for (std::string_view page : pages) {
    raw::document doc;
    const raw::value root = doc.parse(page) == raw::success ? doc.root() : raw::value();
    if (!root.is_object()) return error_reply(bad_gateway("upstream returned a model list that is not JSON"));
    for (raw::value m : root.get("models").items()) {
      if (!m.is_object()) continue;
      if (!first) out += ',';
      first = false;
      append_model(out, m, {});
    }
  }
  out += "]}";
  return ok_reply(std::move(out));
}

Reply model_response(const Context& ctx, std::string_view body) {
  raw::document doc;
  if (doc.parse(body) != raw::success || !doc.root().is_object()) {
    return error_reply(bad_gateway("upstream returned a model that is not a JSON object"));
  }
  std::string out;
  append_model(out, doc.root(), ctx.id);
  return ok_reply(std::move(out));
}

}  // namespace bal::openai::resp
