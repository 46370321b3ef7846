// gemini_request.h — writers of a Gemini request body that every client API's translator
// shares (OpenAI chat, the Responses API, ...): inline data, function declarations and
// results, tool config, structured output, checked numbers. Turns and thinking are in
// gemini.h.
//
//   std::string body;
//   bal::JsonOut out(body);
//   bal::gemini::Turns contents(out, true);
//   bal::gemini::write_inline(contents, "user", "image/png", escaped_base64);
//   contents.close();
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "balancer/gemini.h"
#include "balancer/jsonout.h"
#include "balancer/rawjson.h"

namespace bal::gemini {

// {"inlineData":{"mimeType":..,"data":..}} as one part of a `role` turn; the data is already
// escaped as JSON string contents.
void write_inline(Turns& turns, std::string_view role, std::string_view mime, std::string_view escaped_data);

// The MIME type a file name implies (".png" → "image/png"); PDF when nothing matches, since
// OpenAI's file inputs are PDFs.
std::string_view mime_for_filename(std::string_view name);

// One functionDeclarations entry from a function's name, description and JSON Schema
// parameters (any may be absent; `at` names the function for errors). `name` gets the
// decoded name.
bool write_function_declaration(JsonOut& out, raw::value name, raw::value description, raw::value parameters,
                                Failure& err, const Path& at, std::string& decoded_name);

// OpenAI's free-form ("custom") tool as a function declaration whose one required string
// parameter, "input", is the raw text the tool takes. `format` is {type: text} or {type:
// grammar}; `grammar` is the object holding its syntax (lark or regex) and definition, which
// the parameter's description gives the model to follow (Gemini cannot enforce a grammar).
bool write_custom_declaration(JsonOut& out, raw::value name, raw::value description, raw::value format,
                              raw::value grammar, Failure& err, const Path& at, std::string& decoded_name);
// A custom tool call's input (a string value) as the args of its functionCall: {"input": ...}.
// False when the input is no string.
bool custom_args(raw::value input, std::string& args);

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

}  // namespace bal::gemini
