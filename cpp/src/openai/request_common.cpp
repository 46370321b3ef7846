// OpenAI request errors as answers, and the model field every OpenAI request carries.
#include "request_internal.h"

namespace bal::openai::req {

Plan failure_plan(const Failure& f) {
  return respond_json(400, openai_error_body(f.message, "invalid_request_error", f.code, f.param));
}

Plan parse_failure_plan(const raw::document& doc) {
  return respond_json(400,
                      openai_error_body(gemini::parse_error_message(doc), "invalid_request_error", "invalid_json"));
}

bool read_model(raw::value root, Failure& err, std::string& client_model, std::string& id) {
  raw::value model = root.get("model");
  if (!model.exists() || model.is_null()) {
    return err.fail("you must provide a model parameter", "model", "missing_required_parameter");
  }
  if (!model.is_string()) return err.fail("model must be a string.", "model", "invalid_type");
  client_model = model.str();
  if (!gemini::gemini_model_id(client_model, id)) {
    return err.fail("The model '" + client_model + "' is not a valid Gemini model id.", "model", "invalid_value");
  }
  return true;
}

}  // namespace bal::openai::req
