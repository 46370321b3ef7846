// gemini_request.h — writers of a Gemini request body that every client API's translator
// shares (OpenAI chat, the Responses API, ...): turns, inline data, function declarations
// and results, tool config, structured output and thinking.
//
//   std::string body;
//   bal::JsonOut out(body);
//   bal::gemini::Turns contents(out, true);
//   contents.part("user").begin_object().key("text").raw_string(text).end_object();
//   contents.close();
//
//   bal::gemini::ThinkingChoice t;
//   if (!bal::gemini::effort_thinking("low", traits, t)) ... // unknown effort name
//   bal::gemini::write_thinking_config(config_out, t);
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "balancer/gemini.h"
#include "balancer/jsonout.h"
#include "balancer/rawjson.h"

namespace bal::gemini {

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

// {"inlineData":{"mimeType":..,"data":..}} as one part of a `role` turn; the data is already
// escaped as JSON string contents.
void write_inline(Turns& turns, std::string_view role, std::string_view mime, std::string_view escaped_data);

// The MIME type a file name implies (".png" → "image/png"); PDF when nothing matches, since
// OpenAI's file inputs are PDFs.
std::string_view mime_for_filename(std::string_view name);

// Gemini's rule for function names: a letter or '_' first, then at most 63 of letters,
// digits, '_', '-', '.', ':'.
bool valid_function_name(std::string_view name);

// One functionDeclarations entry from a function's name, description and JSON Schema
// parameters (any may be absent; `at` names the function for errors). `name` gets the
// decoded name.
bool write_function_declaration(JsonOut& out, raw::value name, raw::value description, raw::value parameters,
                                Failure& err, const Path& at, std::string& decoded_name);

// "toolConfig":{"functionCallingConfig":{"mode":..,"allowedFunctionNames":[...]}}; the names
// only when there are some.
void write_tool_config(JsonOut& out, std::string_view mode, const std::vector<std::string>& allowed);

// Structured output: "responseMimeType":"application/json" and the schema, cleaned or as JSON
// Schema (see convert_schema); an absent schema asks only for JSON.
void write_response_schema(JsonOut& out, raw::value schema);

// A tool's result as the object Gemini's functionResponse.response must be: a JSON object
// text goes as it is, anything else is wrapped as {"result": "<text>"}. `text` is a string
// value (its escaped span is copied when it is no object).
void write_result_object(JsonOut& out, raw::value text);
// The same from decoded text.
void write_result_text(JsonOut& out, std::string_view text);

// A number field checked against its range and written under Gemini's name: an integer as
// an integer, any other number as the client wrote it (valid JSON, no float formatting).
struct NumberRange {
  bool integer;
  double min;
  double max;
};
bool write_number(JsonOut& out, std::string_view gemini_name, raw::value v, const NumberRange& range, Failure& err,
                  const Path& at);

// OpenAI's reasoning effort names (none, minimal, low, medium, high) → a thinkingConfig.
struct ThinkingChoice {
  std::optional<int64_t> budget;
  std::string level;
  std::optional<bool> include;  // includeThoughts: reasoning was asked for
};
// False for an unknown effort name. Sets budget (Gemini 2.5, raised to the model's minimum)
// or level (Gemini 3), and include for efforts that ask for reasoning; nothing for a model
// that does not think.
bool effort_thinking(raw::value effort, const ModelTraits& traits, ThinkingChoice& t);
// "thinkingConfig":{...} when the choice sets anything (includeThoughts dropped for a model
// that cannot think: Gemini answers 400 to it).
void write_thinking_config(JsonOut& out, ThinkingChoice t, const ModelTraits& traits);

}  // namespace bal::gemini
