// Anthropic sampling, output and thinking fields → Gemini generationConfig.
//
// thinking: "enabled" with budget_tokens → a budget the model accepts (or a Gemini 3 level);
// "disabled" → the least thinking the model allows (2.5 Pro and Gemini 3 cannot stop);
// "adaptive" (Claude Code 2.1) → output_config.effort on the shared effort scale, or Gemini's
// own dynamic thinking without one. Thoughts are shown unless display is "omitted"; the
// thought signatures come back either way.
#include <algorithm>
#include <optional>

#include "internal.h"

namespace bal::anthropic {
namespace {

using gemini::Effort;
using gemini::ThinkingConfig;

struct NumberField {
  std::string_view anthropic;
  std::string_view gemini;
  bool integer;
  double min;
  double max;
};

constexpr double kInt32Max = 2147483647.0;

// Read top to bottom: Anthropic's name, Gemini's, integer?, Anthropic's accepted range.
constexpr NumberField kNumberFields[] = {
    {"temperature", "temperature", false, 0, 1},
    {"top_p", "topP", false, 0, 1},
    {"top_k", "topK", true, 1, kInt32Max},
};

// Anthropic clients ask for up to 128000 output tokens (Claude Code's default for Opus);
// Gemini's largest output is 65536.
constexpr int64_t kMaxOutputTokens = 65536;
constexpr size_t kMaxStopSequences = 5;

struct EffortName {
  std::string_view name;
  Effort effort;
};
// output_config.effort on the shared scale (gemini/thinking.cpp has the budgets and levels).
constexpr EffortName kEfforts[] = {
    {"low", Effort::low},    {"medium", Effort::medium}, {"high", Effort::high},
    {"xhigh", Effort::high}, {"max", Effort::max},
};

bool write_numbers(raw::value root, RequestState& st, JsonOut& out) {
  const raw::value max_tokens = present(root.get("max_tokens"));
  if (!max_tokens.exists()) return st.err.fail("max_tokens: Field required");
  const std::optional<int64_t> max = max_tokens.as_int64();
  if (!max || *max < 1) return st.err.fail("max_tokens: Input should be an integer of at least 1");
  out.key("maxOutputTokens").number(std::min(*max, kMaxOutputTokens));
  for (const NumberField& f : kNumberFields) {
    const raw::value v = present(root.get(f.anthropic));
    if (!v.exists()) continue;
    const std::optional<double> d = v.as_double();
    const Path at(f.anthropic);
    if (!d || (f.integer && !v.as_int64())) {
      return st.err.fail_at(at, f.integer ? "must be an integer." : "must be a number.");
    }
    if (*d < f.min || *d > f.max) return st.err.fail_at(at, "is out of range.");
    out.key(f.gemini);
    if (f.integer) {
      out.number(*v.as_int64());
    } else {
      out.raw(v.raw());  // the client's own number text: valid JSON, no float formatting
    }
  }
  return true;
}

bool write_stop(raw::value root, RequestState& st, JsonOut& out) {
  const raw::value stop = present(root.get("stop_sequences"));
  if (!stop.exists()) return true;
  if (!stop.is_array()) return st.err.fail("stop_sequences: Input should be a valid list");
  if (stop.size() > kMaxStopSequences) return st.err.fail("stop_sequences: Gemini accepts at most 5 sequences.");
  bool any = false;
  for (raw::value s : stop.items()) {
    if (!s.is_string()) return st.err.fail("stop_sequences: every item should be a string");
    if (s.raw().empty()) continue;
    if (!any) out.key("stopSequences").begin_array();
    any = true;
    out.raw_string(s);
  }
  if (any) out.end_array();
  return true;
}

bool read_effort(raw::value config, RequestState& st, std::optional<Effort>& effort) {
  const raw::value v = present(config.get("effort"));
  if (!v.exists()) return true;
  for (const EffortName& e : kEfforts) {
    if (v.equals(e.name)) effort = e.effort;
  }
  return effort.has_value() || st.err.fail("output_config.effort: must be low, medium, high, xhigh or max.");
}

bool write_format(raw::value config, RequestState& st, JsonOut& out) {
  const raw::value format = present(config.get("format"));
  if (!format.exists()) return true;
  if (!format.get("type").equals("json_schema") || !format.get("schema").is_object()) {
    return st.err.fail("output_config.format: must be {\"type\": \"json_schema\", \"schema\": {...}}.");
  }
  out.key("responseMimeType").string("application/json");
  const gemini::ConvertedSchema c = gemini::convert_schema(format.get("schema"), true);
  if (c.form == gemini::SchemaForm::openapi) out.key("responseSchema").raw(c.json);
  if (c.form == gemini::SchemaForm::json_schema) out.key("responseJsonSchema").raw(c.json);
  return true;
}

bool write_thinking(raw::value root, const std::optional<Effort>& effort, RequestState& st, JsonOut& out) {
  const raw::value thinking = present(root.get("thinking"));
  const raw::value type = thinking.get("type");
  ThinkingConfig c;
  if (!thinking.exists()) {
    // Effort alone still sets how hard the model works, with nothing shown.
    if (effort) c = gemini::thinking_for_effort(st.traits, *effort);
    c.include.reset();
  } else if (type.equals("enabled")) {
    const std::optional<int64_t> budget = present(thinking.get("budget_tokens")).as_int64();
    if (!budget || *budget < 1) return st.err.fail("thinking.budget_tokens: Input should be a positive integer");
    c = gemini::thinking_for_budget(st.traits, *budget);
  } else if (type.equals("disabled")) {
    c = gemini::thinking_for_effort(st.traits, Effort::off);
  } else if (type.equals("adaptive") || type.equals("between_tools")) {
    if (effort) c = gemini::thinking_for_effort(st.traits, *effort);
    c.include = !present(thinking.get("display")).equals("omitted");
  } else {
    return st.err.fail("thinking.type: must be enabled, disabled or adaptive.");
  }
  gemini::write_thinking_config(std::move(c), st.traits, out);
  return true;
}

}  // namespace

bool write_generation_config(raw::value root, RequestState& st, JsonOut& out) {
  const raw::value output = present(root.get("output_config"));
  if (output.exists() && !output.is_object()) return st.err.fail("output_config: Input should be an object");
  std::optional<Effort> effort;
  std::string config;
  JsonOut g(config);
  g.begin_object();
  if (!write_numbers(root, st, g) || !write_stop(root, st, g) || !read_effort(output, st, effort) ||
      !write_format(output, st, g) || !write_thinking(root, effort, st, g)) {
    return false;
  }
  g.end_object();
  out.key("generationConfig").raw(g.view());
  return true;
}

}  // namespace bal::anthropic
