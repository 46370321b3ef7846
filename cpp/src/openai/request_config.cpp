// OpenAI sampling, output and reasoning fields → Gemini generationConfig; Google's own
// extension fields (extra_body.google) → thinkingConfig, safetySettings, cachedContent.
#include <optional>

#include "request_internal.h"

namespace bal::openai::req {
namespace {

struct NumberField {
  std::string_view openai;
  std::string_view gemini;
  bool integer;
  double min;
  double max;
  std::string_view superseded_by;  // when both are sent, that one wins
};

constexpr double kInt32Max = 2147483647.0;

// Read top to bottom: OpenAI name, Gemini name, integer?, accepted range.
constexpr NumberField kNumberFields[] = {
    {"temperature", "temperature", false, 0, 2, {}},
    {"top_p", "topP", false, 0, 1, {}},
    {"max_tokens", "maxOutputTokens", true, 1, kInt32Max, "max_completion_tokens"},
    {"max_completion_tokens", "maxOutputTokens", true, 1, kInt32Max, {}},
    {"n", "candidateCount", true, 1, 8, {}},
    {"presence_penalty", "presencePenalty", false, -2, 2, {}},
    {"frequency_penalty", "frequencyPenalty", false, -2, 2, {}},
};

constexpr size_t kMaxStopSequences = 5;
constexpr int64_t kMaxTopLogprobs = 20;

// A field of Google's extension under its snake_case or camelCase name.
raw::value google_field(const ChatState& st, std::string_view snake, std::string_view camel) {
  raw::value v = present(st.google.get(snake));
  return v.exists() ? v : present(st.google.get(camel));
}

bool write_numbers(raw::value root, ChatState& st, JsonOut& out) {
  for (const NumberField& f : kNumberFields) {
    raw::value v = present(root.get(f.openai));
    if (!v.exists() || (!f.superseded_by.empty() && present(root.get(f.superseded_by)).exists())) continue;
    const std::optional<double> d = v.as_double();
    const Path at(f.openai);
    if (!d) return st.err.fail_at(at, "must be a number.", "invalid_type");
    if (f.integer && !v.as_int64()) return st.err.fail_at(at, "must be an integer.", "invalid_type");
    if (*d < f.min || *d > f.max) return st.err.fail_at(at, "is out of range.", "invalid_value");
    out.key(f.gemini);
    if (f.integer) {
      out.number(*v.as_int64());
    } else {
      out.raw(v.raw());  // the client's own number text: valid JSON, no float formatting
    }
    if (f.openai == "n") st.n = *v.as_int64();
  }
  raw::value seed = present(root.get("seed"));
  if (seed.exists()) {
    if (!seed.as_int64()) return st.err.fail("seed must be an integer.", "seed", "invalid_type");
    // Gemini's seed is 32-bit; OpenAI's is 64-bit. Folding keeps equal seeds equal.
    out.key("seed").number(static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(*seed.as_int64()))));
  }
  return true;
}

bool write_stop(raw::value root, ChatState& st, JsonOut& out) {
  raw::value stop = present(root.get("stop"));
  if (!stop.exists()) return true;
  if (stop.is_string()) {
    if (!stop.raw().empty()) out.key("stopSequences").begin_array().raw_string(stop).end_array();
    return true;
  }
  if (!stop.is_array()) return st.err.fail("stop must be a string or an array of strings.", "stop", "invalid_type");
  if (stop.size() > kMaxStopSequences) {
    return st.err.fail("stop accepts at most 5 sequences.", "stop", "invalid_value");
  }
  bool any = false;
  for (raw::value s : stop.items()) {
    if (!s.is_string()) return st.err.fail("stop must be a string or an array of strings.", "stop", "invalid_type");
    if (s.raw().empty()) continue;
    if (!any) out.key("stopSequences").begin_array();
    any = true;
    out.raw_string(s);
  }
  if (any) out.end_array();
  return true;
}

bool write_logprobs(raw::value root, ChatState& st, JsonOut& out) {
  raw::value lp = present(root.get("logprobs"));
  if (lp.exists() && !lp.is_bool()) return st.err.fail("logprobs must be a boolean.", "logprobs", "invalid_type");
  if (!lp.as_bool().value_or(false)) return true;
  out.key("responseLogprobs").boolean(true);
  raw::value top = present(root.get("top_logprobs"));
  if (!top.exists()) return true;
  const std::optional<int64_t> n = top.as_int64();
  if (!n || *n < 0 || *n > kMaxTopLogprobs) {
    return st.err.fail("top_logprobs must be an integer from 0 to 20.", "top_logprobs", "invalid_value");
  }
  out.key("logprobs").number(*n);
  return true;
}

bool write_response_format(raw::value root, ChatState& st, JsonOut& out) {
  raw::value rf = present(root.get("response_format"));
  if (!rf.exists()) return true;
  raw::value type = rf.get("type");
  if (!rf.is_object() || !type.is_string()) {
    return st.err.fail("response_format must be an object with a type.", "response_format", "invalid_type");
  }
  if (type.equals("text")) return true;
  if (!type.equals("json_object") && !type.equals("json_schema")) {
    return st.err.fail("response_format.type must be text, json_object or json_schema.", "response_format.type",
                       "unsupported_value");
  }
  out.key("responseMimeType").string("application/json");
  if (type.equals("json_object")) return true;
  raw::value schema = present(rf.get("json_schema").get("schema"));
  if (schema.exists() && !schema.is_object()) {
    return st.err.fail("response_format.json_schema.schema must be an object.", "response_format.json_schema.schema",
                       "invalid_type");
  }
  const ConvertedSchema c = convert_schema(schema, true);
  if (c.form == SchemaForm::openapi) out.key("responseSchema").raw(c.json);
  if (c.form == SchemaForm::json_schema) out.key("responseJsonSchema").raw(c.json);
  return true;
}

using gemini::ThinkingConfig;

// reasoning_effort, or the nested reasoning.effort that OpenRouter-style clients send to chat
// completions (Qwen Code does, for its model.reasoningEffort); reasoning_effort wins.
bool read_effort(raw::value root, ChatState& st, ThinkingConfig& t) {
  std::string_view param = "reasoning_effort";
  raw::value effort = present(root.get(param));
  if (!effort.exists()) {
    param = "reasoning.effort";
    effort = present(root.get("reasoning").get("effort"));
  }
  if (!effort.exists()) return true;
  gemini::Effort e;
  if (!gemini::effort_named(effort, e)) {
    return st.err.fail(std::string(param) + " must be one of none, minimal, low, medium, high, xhigh, max, ultra.", std::string(param),
                       "invalid_value");
  }
  t = gemini::thinking_for_effort(st.traits, e);
  return true;
}

// extra_body.google.thinking_config: the client's explicit choice overrides reasoning_effort.
bool read_google_thinking(ChatState& st, ThinkingConfig& t) {
  raw::value cfg = google_field(st, "thinking_config", "thinkingConfig");
  if (!cfg.exists()) return true;
  const Path at("extra_body.google.thinking_config");
  if (!cfg.is_object()) return st.err.fail_at(at, "must be an object.", "invalid_type");
  auto field = [&cfg](std::string_view snake, std::string_view camel) {
    raw::value v = present(cfg.get(snake));
    return v.exists() ? v : present(cfg.get(camel));
  };
  const raw::value budget = field("thinking_budget", "thinkingBudget");
  const raw::value level = field("thinking_level", "thinkingLevel");
  const raw::value include = field("include_thoughts", "includeThoughts");
  if (budget.exists()) {
    if (!budget.as_int64()) return st.err.fail_at(Path(at, "thinking_budget"), "must be an integer.", "invalid_type");
    t.budget = *budget.as_int64();
    t.level.clear();
  }
  if (level.exists()) {
    if (!level.is_string()) return st.err.fail_at(Path(at, "thinking_level"), "must be a string.", "invalid_type");
    t.level = level.str();
    t.budget.reset();  // never both
  }
  if (include.exists()) {
    if (!include.is_bool()) return st.err.fail_at(Path(at, "include_thoughts"), "must be a boolean.", "invalid_type");
    t.include = *include.as_bool();
  }
  return true;
}

bool write_thinking(raw::value root, ChatState& st, JsonOut& out) {
  ThinkingConfig t;
  if (!read_effort(root, st, t) || !read_google_thinking(st, t)) return false;
  st.include_reasoning = st.traits.thinking != Thinking::none && t.include.value_or(false);
  gemini::write_thinking_config(std::move(t), st.traits, out);
  return true;
}

}  // namespace

bool write_generation_config(raw::value root, ChatState& st, JsonOut& out) {
  std::string config;
  JsonOut g(config);
  g.begin_object();
  if (!write_numbers(root, st, g) || !write_stop(root, st, g) || !write_logprobs(root, st, g) ||
      !write_response_format(root, st, g) || !write_thinking(root, st, g)) {
    return false;
  }
  g.end_object();
  if (g.view() != "{}") out.key("generationConfig").raw(g.view());
  return true;
}

bool write_google_extras(ChatState& st, JsonOut& out) {
  raw::value safety = google_field(st, "safety_settings", "safetySettings");
  if (safety.exists()) {
    bool ok = safety.is_array();
    for (raw::value s : safety.items()) ok = ok && s.is_object();
    if (!ok) {
      return st.err.fail_at(Path("extra_body.google.safety_settings"), "must be an array of objects.", "invalid_type");
    }
    // Already Gemini's own format (its JSON accepts snake_case and camelCase names).
    out.key("safetySettings").raw(safety.raw_json());
  }
  raw::value cached = google_field(st, "cached_content", "cachedContent");
  if (cached.exists()) {
    if (!cached.is_string()) {
      return st.err.fail_at(Path("extra_body.google.cached_content"), "must be a string.", "invalid_type");
    }
    out.key("cachedContent").raw_string(cached);
  }
  return true;
}

}  // namespace bal::openai::req
