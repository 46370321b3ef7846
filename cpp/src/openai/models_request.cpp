// GET /v1/models and GET /v1/models/{id} → Gemini's model list and model lookup.
#include "balancer/openai.h"
#include "request_internal.h"

namespace bal::openai {
namespace {

Plan get_plan(std::string path, std::string query, std::string_view response, json translate) {
  Plan p;
  p.header["action"] = "upstream";
  p.header["family"] = "openai";
  p.header["op"] = "models";
  p.header["model"] = "";
  p.header["method"] = "GET";
  p.header["path"] = std::move(path);
  p.header["query"] = std::move(query);
  p.header["headers"] = json::object();
  p.header["response"] = response;
  p.header["translate"] = std::move(translate);
  return p;
}

}  // namespace

// "pages": the shim follows nextPageToken and hands every page to the translator, so the
// list is never cut at Gemini's page size. 1000 is Gemini's largest page: usually one call.
Plan plan_models() {
  return get_plan("/v1beta/models", "pageSize=1000", "pages", {{"kind", "models"}});
}

Plan plan_model(std::string_view id) {
  std::string model;
  if (!req::gemini_model_id(id, model)) {
    req::Failure err;
    err.fail("The model id '" + std::string(id) + "' is not valid: use letters, digits, '.', '_' and '-'.", "model");
    return req::failure_plan(err);
  }
  return get_plan("/v1beta/models/" + model, "", "json", {{"kind", "model"}, {"id", model}});
}

}  // namespace bal::openai
