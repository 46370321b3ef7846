// Interim: replaced by the real OpenAI translation.
#include "balancer/openai.h"
namespace bal::openai {
Plan plan_chat(std::string_view) { return error_plan(Family::openai, 501, "not yet"); }
Plan plan_embeddings(std::string_view) { return error_plan(Family::openai, 501, "not yet"); }
Plan plan_models() { return error_plan(Family::openai, 501, "not yet"); }
Plan plan_model(std::string_view) { return error_plan(Family::openai, 501, "not yet"); }
}  // namespace bal::openai
