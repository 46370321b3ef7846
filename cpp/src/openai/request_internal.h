// request_internal.h — what the OpenAI request translators share: a JSON writer that copies
// spans raw, request errors as values, model traits, and the schema converter.
//
// The Gemini body is written straight into one std::string. Long strings (texts, base64
// data) are copied as the client escaped them (see rawjson.h); only short values are decoded.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "balancer/plan.h"
#include "balancer/rawjson.h"

namespace bal::openai::req {

// A compact JSON writer that places the commas. Keys are literal ASCII names.
class JsonOut {
 public:
  explicit JsonOut(std::string& s) : s_(s) {}
  JsonOut& begin_object();
  JsonOut& end_object();
  JsonOut& begin_array();
  JsonOut& end_array();
  JsonOut& key(std::string_view name);
  JsonOut& string(std::string_view text);   // unescaped text, escaped here
  JsonOut& raw_string(raw::value v);        // a string value's escaped span, requoted
  JsonOut& escaped(std::string_view text);  // text already escaped as JSON string contents
  JsonOut& raw(std::string_view json);      // any complete JSON text
  JsonOut& number(int64_t v);
  JsonOut& boolean(bool v);

 private:
  void separate();
  std::string& s_;
  std::vector<bool> has_items_;
  bool after_key_ = false;
};

// A client error: the first one found ends the translation.
struct Failure {
  bool failed = false;
  std::string message;
  std::string param;
  std::string code;

  // Records the error and returns false, so call sites read `return err.fail(...)`.
  bool fail(std::string msg, std::string param_path = {}, std::string_view error_code = "invalid_value");
};

// A 400 invalid_request_error in OpenAI's format, param and code included.
Plan failure_plan(const Failure& f);
// The reader's error as a 400 ("invalid_json"); depth and size limits named as such.
Plan parse_failure_plan(const raw::document& doc);

// The Gemini model id from an OpenAI model field: "models/" dropped; false when it holds
// characters that could change the upstream path.
bool gemini_model_id(std::string_view client_model, std::string& id);
bool valid_model_chars(std::string_view id);
// The body's "model" field: required, a string, a usable id. `client_model` keeps it as sent.
bool read_model(raw::value root, Failure& err, std::string& client_model, std::string& id);

enum class Thinking { none, budget, level };

struct ModelTraits {
  Thinking thinking = Thinking::none;
  int64_t min_budget = 0;  // the smallest thinkingBudget the model accepts (0: can disable)
};
ModelTraits model_traits(std::string_view model);

// JSON Schema (OpenAI tools, response_format) → what Gemini accepts. See schema.cpp.
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

// A field as a client means it: JSON null counts as absent (SDKs send unset fields as null).
inline raw::value present(raw::value v) {
  return v.is_null() ? raw::value() : v;
}
std::string indexed(std::string_view base, size_t i, std::string_view rest = {});

// ---- chat ---------------------------------------------------------------------------------

struct ChatState {
  std::string client_model;  // as sent, for the response
  std::string model;         // the Gemini id: no "models/", no "-search"
  ModelTraits traits;
  bool search = false;  // Google Search grounding (model suffix or a search tool)
  bool stream = false;
  bool include_usage = false;
  bool include_reasoning = false;
  int64_t n = 1;
  raw::value google;  // extra_body.google / google: Google's own extension fields
  Failure err;
};

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

// messages → "contents" (written to `out`) and the system instruction's parts (`system`).
bool write_messages(raw::value messages, ChatState& st, Turns& contents, Turns& system);

// One message's content: a string, or an array of parts. `media` allows image, audio and
// file parts (user turns); otherwise only text (and refusal) parts are accepted.
bool write_content(raw::value content, std::string_view role, bool media, Turns& turns, Failure& err,
                   const std::string& where);
// The decoded text of a string or an array of text parts ("" for null).
bool content_text(raw::value content, std::string& text, Failure& err, const std::string& where);

bool write_tools(raw::value root, ChatState& st, JsonOut& out);
bool write_generation_config(raw::value root, ChatState& st, JsonOut& out);
bool write_google_extras(ChatState& st, JsonOut& out);

}  // namespace bal::openai::req
