// Thinking effort and budgets → Gemini's thinkingConfig, for every API family (gemini.h).
#include <algorithm>

#include "balancer/gemini.h"
#include "balancer/jsonout.h"

namespace bal::gemini {
namespace {

struct EffortConfig {
  Effort effort;
  int64_t budget;          // Gemini 2.5: thinkingBudget, clamped to the model's range
  std::string_view level;  // Gemini 3: thinkingLevel, which has no "off"
};

// Budgets: minimal is the smallest budget every 2.5 model accepts when thinking is on (Flash
// Lite's floor is 512); low, medium and high follow Google's own OpenAI-compatible mapping;
// max is the largest any model takes. Levels: minimal is "low", since Gemini 3.7 Flash, 3.8
// Flash and Gemini 4 refuse "minimal"; medium is "medium", the default of the Flash models,
// except on Gemini 3 Pro, which has low and high only and takes its default, high, instead;
// max is the model's deepest level (ModelTraits::top_level: high, or xhigh where Gemini 4 has
// it).
constexpr EffortConfig kEfforts[] = {
    {Effort::off, 0, "low"},          {Effort::minimal, 512, "low"}, {Effort::low, 1024, "low"},
    {Effort::medium, 8192, "medium"}, {Effort::high, 24576, "high"}, {Effort::max, 32768, "high"},
};

// Explicit budgets up to the first get level "low", up to the second "medium", larger ones
// "high". The second lies between medium's budget above and the 16,000 tokens OpenCode and Kilo
// send for their "high" variant, below the geometric middle of medium's and high's budgets.
constexpr int64_t kLowLevelMaxBudget = 4096;
constexpr int64_t kMediumLevelMaxBudget = 12288;
// The smallest budget every 2.5 model accepts once thinking is on.
constexpr int64_t kMinBudgetWhenOn = 512;

int64_t clamp_budget(const ModelTraits& traits, int64_t budget) {
  return std::clamp(budget, traits.min_budget, std::max(traits.min_budget, traits.max_budget));
}

// "medium" where the model has it, else its default, "high".
std::string level_for(const ModelTraits& traits, std::string_view level) {
  return std::string(level == "medium" && !traits.medium_level ? "high" : level);
}

}  // namespace

bool effort_named(raw::value name, Effort& effort) {
  struct Named {
    std::string_view name;
    Effort effort;
  };
  static constexpr Named kNames[] = {
      {"none", Effort::off},      {"minimal", Effort::minimal}, {"low", Effort::low},
      {"medium", Effort::medium}, {"high", Effort::high},       {"xhigh", Effort::max},
      // Above xhigh (Codex's catalog gives its newest models max and ultra): Gemini has
      // nothing higher than its largest budget or level.
      {"max", Effort::max},       {"ultra", Effort::max},
  };
  for (const Named& n : kNames) {
    if (name.equals(n.name)) {
      effort = n.effort;
      return true;
    }
  }
  return false;
}

ThinkingConfig thinking_for_effort(const ModelTraits& traits, Effort effort) {
  ThinkingConfig c;
  if (traits.thinking == Thinking::none) return c;
  for (const EffortConfig& e : kEfforts) {
    if (e.effort != effort) continue;
    if (traits.thinking == Thinking::budget) c.budget = clamp_budget(traits, e.budget);
    if (traits.thinking == Thinking::level) {
      c.level = level_for(traits, effort == Effort::max ? traits.top_level : e.level);
    }
    if (effort != Effort::off) c.include = true;
  }
  return c;
}

ThinkingConfig thinking_for_budget(const ModelTraits& traits, int64_t tokens) {
  ThinkingConfig c;
  if (traits.thinking == Thinking::none) return c;
  c.include = true;
  if (traits.thinking == Thinking::level) {
    c.level = level_for(traits, tokens <= kLowLevelMaxBudget      ? "low"
                                : tokens <= kMediumLevelMaxBudget ? "medium"
                                                                  : "high");
  } else {
    c.budget = clamp_budget(traits, std::max(tokens, kMinBudgetWhenOn));
  }
  return c;
}

void write_thinking_config(ThinkingConfig config, const ModelTraits& traits, JsonOut& out) {
  if (traits.thinking == Thinking::none) config.include.reset();
  if (!config.budget && config.level.empty() && !config.include) return;
  out.key("thinkingConfig").begin_object();
  if (config.include) out.key("includeThoughts").boolean(*config.include);
  if (config.budget) {
    out.key("thinkingBudget").number(*config.budget);
  } else if (!config.level.empty()) {
    out.key("thinkingLevel").string(config.level);
  }
  out.end_object();
}

}  // namespace bal::gemini
