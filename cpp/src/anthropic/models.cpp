// GET /v1/models and /v1/models/{id} → Gemini's models → Anthropic's list and model objects.
#include "internal.h"

namespace bal::anthropic {
namespace {

constexpr std::string_view kModelsPrefix = "models/";
// Gemini gives no creation date; Anthropic clients expect an RFC 3339 time.
constexpr std::string_view kCreatedAt = "1970-01-01T00:00:00Z";

std::string_view without_prefix(std::string_view name) {
  if (name.substr(0, kModelsPrefix.size()) == kModelsPrefix) name.remove_prefix(kModelsPrefix.size());
  return name;
}

bool generates(raw::value model) {
  const raw::value methods = model.get("supportedGenerationMethods");
  if (!methods.is_array()) return true;
  for (raw::value m : methods.items()) {
    if (m.equals("generateContent")) return true;
  }
  return false;
}

void append_model(std::string& out, raw::value model, std::string_view id) {
  out += R"({"type":"model","id":)";
  raw::append_string(out, id);
  out += R"(,"display_name":)";
  const raw::value display = model.get("displayName");
  if (display.is_string()) {
    raw::append_raw(out, display);
  } else {
    raw::append_string(out, id);
  }
  out += R"(,"created_at":")";
  out += kCreatedAt;
  out += "\"}";
}

// Every page's models that generate content. A body is one page, or a JSON array of pages.
Reply list_answer(const std::vector<std::string_view>& bodies, const std::string&) {
  std::string out;
  std::string first_id;
  std::string last_id;
  out += R"({"data":[)";
  size_t count = 0;
  const auto append_page = [&](raw::value page) {
    for (raw::value m : page.get("models").items()) {
      if (!m.is_object() || !generates(m)) continue;
      const std::string name = m.get("name").str();
      const std::string_view id = without_prefix(name);
      if (id.empty()) continue;
      if (count++ > 0) out += ',';
      append_model(out, m, id);
      if (first_id.empty()) first_id = id;
      last_id = id;
    }
  };
  for (std::string_view body : bodies) {
    raw::document doc;
    const raw::value root = doc.parse(body) == raw::success ? doc.root() : raw::value();
    if (!root.is_array() && !root.is_object()) {
      return error_reply(bad_gateway("upstream returned a model list that is not JSON"));
    }
    if (root.is_array()) {
      for (raw::value page : root.items()) append_page(page);
    } else {
      append_page(root);
    }
  }
  out += R"(],"has_more":false,"first_id":)";
  if (count > 0) {
    raw::append_string(out, first_id);
    out += ",\"last_id\":";
    raw::append_string(out, last_id);
  } else {
    out += "null,\"last_id\":null";
  }
  out += '}';
  Reply r;
  r.body = std::move(out);
  return r;
}

// `context`: the id the client asked for.
Reply model_answer(const std::vector<std::string_view>& bodies, const std::string& id) {
  raw::document doc;
  if (bodies.empty() || doc.parse(bodies.front()) != raw::success || !doc.root().is_object()) {
    return error_reply(bad_gateway("upstream returned a model that is not a JSON object"));
  }
  Reply r;
  append_model(r.body, doc.root(), id);
  return r;
}

}  // namespace

Translated translate_models(const RequestInfo&) {
  Translated t;
  UpstreamCall c;
  c.method = "GET";
  c.path = "/v1beta/models";
  c.query = "pageSize=1000";  // Gemini's largest page: usually one call
  t.calls.push_back(std::move(c));
  t.exchange = plain_exchange(list_answer, {});
  return t;
}

Translated translate_model(std::string_view id, const RequestInfo& info) {
  std::string model;
  if (!gemini::gemini_model_id(model_map(info).map(id), model)) {
    Translated t;
    t.error = api_error(404, "model: '" + std::string(id) + "' is not a model id this proxy knows.");
    t.exchange = plain_exchange(nullptr, {});
    return t;
  }
  Translated t;
  UpstreamCall c;
  c.model = model;
  c.method = "GET";
  c.path = "/v1beta/models/" + model;
  t.calls.push_back(std::move(c));
  t.exchange = plain_exchange(model_answer, std::string(id));
  return t;
}

}  // namespace bal::anthropic
