// OpenAI request errors as answers, and the model field every OpenAI request carries.
#include "balancer/model_map.h"
#include "request_internal.h"
#include "response_internal.h"

namespace bal::openai::req {

Translated failed(const Failure& f) {
  Translated t;
  t.error = api_error(400, f.message, f.code, f.param);
  t.exchange = resp::make_exchange({});
  return t;
}

Translated parse_failed(const raw::document& doc) {
  Translated t;
  t.error = api_error(400, gemini::parse_error_message(doc), "invalid_json");
  t.exchange = resp::make_exchange({});
  return t;
}

bool read_model(raw::value root, Failure& err, std::string& client_model, std::string& id, const RequestInfo& info) {
  raw::value model = root.get("model");
  if (!model.exists() || model.is_null()) {
    return err.fail("you must provide a model parameter", "model", "missing_required_parameter");
  }
  if (!model.is_string()) return err.fail("model must be a string.", "model", "invalid_type");
  client_model = model.str();
  const std::string mapped = info.models != nullptr ? info.models->map(client_model) : client_model;
  if (!gemini::gemini_model_id(mapped, id)) {
    return err.fail("The model '" + client_model + "' is not a valid Gemini model id.", "model", "invalid_value");
  }
  return true;
}

}  // namespace bal::openai::req
