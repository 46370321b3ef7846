// gemini.h — what every translator to and from Gemini shares, whatever the client's API:
// request errors as values and where they sit, model ids and thinking traits, JSON Schema
// cleaning, data: URLs, and usageMetadata.
//
//   bal::gemini::Failure err;
//   const bal::gemini::Path root("messages"), item(root, 2);
//   if (bad) return err.fail_at(item, "must be an object.", "invalid_type");
//   auto traits = bal::gemini::model_traits("gemini-2.5-pro");  // budget, min 128
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "balancer/rawjson.h"

namespace bal {
class JsonOut;
}

namespace bal::gemini {

// Where a value sits in the request ("messages[2].content[0].image_url.url"): a chain of
// frames on the stack, spelled out only when an error names it. A Path refers to its parent:
// keep parents alive (named locals, not temporaries).
class Path {
 public:
  explicit Path(std::string_view root) : name_(root) {}
  Path(const Path& parent, std::string_view field) : parent_(&parent), name_(field) {}
  Path(const Path& parent, size_t index) : parent_(&parent), index_(index), indexed_(true) {}
  std::string str() const;

 private:
  const Path* parent_ = nullptr;
  std::string_view name_;
  size_t index_ = 0;
  bool indexed_ = false;
};

// A client error: the first one found ends the translation.
struct Failure {
  bool failed = false;
  std::string message;
  std::string param;
  std::string code;

  // Records the error and returns false, so call sites read `return err.fail(...)`.
  bool fail(std::string msg, std::string param_path = {}, std::string_view error_code = "invalid_value");
  // "<path> <what>", with the path as the error's param.
  bool fail_at(const Path& at, std::string_view what, std::string_view error_code = "invalid_value");
};

// The reader's error in words ("The JSON body nests too deeply ..."), for a 400.
std::string parse_error_message(const raw::document& doc);

// A field as a client means it: JSON null counts as absent (SDKs send unset fields as null).
inline raw::value present(raw::value v) {
  return v.is_null() ? raw::value() : v;
}

// The Gemini model id from a client's model field: "models/" dropped; false when it holds
// characters that could change the upstream path.
bool gemini_model_id(std::string_view client_model, std::string& id);
bool valid_model_chars(std::string_view id);

// Whether a generateContent or Interactions body (as a client wrote it) asks for Google Search,
// URL context or Google Maps grounding in its tools, in either spelling of the field names.
bool asks_grounding(std::string_view body);

// Gemini's rule for function names: a letter or '_' first, then at most 63 more of letters,
// digits, '_', '-', '.' and ':'.
bool valid_function_name(std::string_view name);

enum class Thinking { none, budget, level };

struct ModelTraits {
  Thinking thinking = Thinking::none;
  int64_t min_budget = 0;  // the smallest thinkingBudget the model accepts (0: can disable)
  int64_t max_budget = 0;  // the largest (budget models only)
  // The deepest thinkingLevel (level models only).
  std::string_view top_level = "high";
  // Whether the model takes thinkingLevel "medium" (level models only): Gemini 3 Pro, the first
  // level model, took low and high only.
  bool medium_level = true;
  // A Gemini model that thinks: its answers may carry thought signatures, and a function call
  // whose signature the client lost gets kSkipThoughtSignature (below). Gemini 3 and later
  // refuse the call without one; 2.5 takes it, and a 2.5 name may be served by Gemini 3.
  bool signs = false;
};
ModelTraits model_traits(std::string_view model);

// How hard a client asks the model to think, on one scale every API family maps its own
// names onto (OpenAI's reasoning_effort, Anthropic's thinking and output_config.effort).
enum class Effort { off, minimal, low, medium, high, max };

// A thinkingConfig: budget or level (never both), and whether thoughts are shown.
struct ThinkingConfig {
  std::optional<int64_t> budget;
  std::string level;
  std::optional<bool> include;
};

// OpenAI's reasoning effort names (none, minimal, low, medium, high, and xhigh, its top level:
// the largest budget), shared by chat and the Responses API; false for any other value.
bool effort_named(raw::value name, Effort& effort);

// What `effort` means for the model: a budget it accepts, or a Gemini 3 level; thoughts
// shown unless the effort is off. Nothing for a model that does not think.
ThinkingConfig thinking_for_effort(const ModelTraits& traits, Effort effort);
// An explicit token budget (Anthropic's budget_tokens), clamped to what the model accepts;
// a Gemini 3 model gets the level closest to it. Thoughts shown.
ThinkingConfig thinking_for_budget(const ModelTraits& traits, int64_t tokens);
// Writes "thinkingConfig" (nothing when the config is empty). A model that cannot think
// answers 400 to includeThoughts, so it is dropped for those.
void write_thinking_config(ThinkingConfig config, const ModelTraits& traits, JsonOut& out);

// Gemini 3 and later check that the model's function calls carry the signature they issued,
// and answers 400 otherwise. Google documents this value for calls whose signature was lost
// (a client that dropped it): only ever a fallback, on the first call of a model step, for
// every model that `signs` (Google's own Gemini CLI sends it to Gemini 2 models as well).
inline constexpr std::string_view kSkipThoughtSignature = "skip_thought_signature_validator";

// Gemini turns being written: consecutive parts of one role share a turn, and a turn opens
// only when its first part is written, so no empty (dummy) turn is ever sent.
class Turns {
 public:
  // `with_role` false writes bare {"parts":[...]} (systemInstruction).
  Turns(JsonOut& out, bool with_role) : out_(out), with_role_(with_role) {}
  // The writer positioned for one more part of a `role` turn.
  JsonOut& part(std::string_view role);
  void close();
  bool empty() const { return count_ == 0; }

 private:
  JsonOut& out_;
  bool with_role_;
  bool open_ = false;
  std::string_view role_;
  size_t count_ = 0;
};

// JSON Schema (tools, structured output) → what Gemini accepts. See schema.cpp.
enum class SchemaForm { omit, openapi, json_schema };
struct ConvertedSchema {
  SchemaForm form = SchemaForm::omit;
  std::string json;  // openapi: the cleaned schema; json_schema: the schema to send as such
};
ConvertedSchema convert_schema(raw::value schema, bool for_response);

// A base64 data: URL ("data:image/png;base64,...."): its MIME type and its data, still
// escaped as JSON string contents. parse_data_url() answers false for anything else.
struct DataUrl {
  std::string mime;
  std::string_view escaped;  // into the request, or into `owned` when the URL had escapes
  std::string owned;

  std::string_view data() const { return owned.empty() ? escaped : std::string_view(owned); }
};
bool parse_data_url(raw::value url, DataUrl& out);

// Gemini's error answer in words a client may see: its message with any API key redacted
// (a suspended key's message holds the whole key), or a generic one naming the status, and
// RetryInfo's delay.
struct UpstreamError {
  std::string message;
  int64_t retry_after_ms = 0;
};
// From a whole error body ({"error": {...}}, also wrapped in an array by some gateways).
UpstreamError read_error_body(int status, std::string_view body);
// From the {"error": ...} object itself (as found inside a stream event).
UpstreamError read_error(int status, raw::value error);

// Parts other APIs have no field for (code execution, generated images), appended to
// JSON-escaped text as Markdown, the way Google's own OpenAI endpoint and chat UIs show them.
// False for any other part.
bool append_markdown(raw::value part, std::string& escaped_out);

// One event of a streamGenerateContent?alt=sse body (its data), parsed into `doc`.
enum class StreamEvent {
  answer,     // a GenerateContentResponse: doc.root()
  skip,       // "[DONE]": never Gemini's, but some relays add it
  cut,        // the last, unterminated event does not parse: the connection was cut
  malformed,  // not a JSON object: Google's fault
  error,      // {"error": {...}} in doc.root(); `status` is its code, 500 when it has no error code
};
StreamEvent read_stream_event(std::string_view data, bool at_end, raw::document& doc, int& status);

// usageMetadata, kept as numbers: a stream takes the last one (it is cumulative).
struct Usage {
  int64_t prompt = 0;  // promptTokenCount: cached tokens included
  int64_t candidates = 0;
  int64_t thoughts = 0;
  int64_t cached = 0;
  int64_t tool_prompt = 0;  // toolUsePromptTokenCount
  bool known = false;

  int64_t completion() const { return candidates + thoughts; }
};
Usage read_usage(raw::value usage_metadata);

// A source of a grounded answer (Google Search, Maps, File Search) and the span of the answer
// it supports: `url` and `title` are escaped spans of the upstream body; `start` and `end`
// count code points of the answer's text (Google counts UTF-8 bytes).
struct Citation {
  std::string_view url;
  std::string_view title;
  int64_t start = 0;
  int64_t end = 0;

  // Names the citation (its URL and span) beyond the body it was read from: a stream keeps the
  // keys of the citations it has sent, since Google may repeat them on later events.
  std::string key() const { return std::string(url) + ' ' + std::to_string(start) + ' ' + std::to_string(end); }
};

// A candidate's groundingMetadata → its citations, in the order Google lists its supports:
// one per source of each supported span, then one (empty span) per source no span cites.
// `text` is the answer's text as the client gets it, still JSON-escaped. Sources without a
// URI, spans past the text and indexes past the sources are left out; at most 256.
std::vector<Citation> read_citations(raw::value grounding_metadata, std::string_view text);
// Its sources alone, each URI once, in Google's order (empty spans).
std::vector<Citation> read_sources(raw::value grounding_metadata);

}  // namespace bal::gemini
