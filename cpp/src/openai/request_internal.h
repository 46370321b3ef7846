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

// A compact JSON writer that places the commas. It writes straight into the string's buffer
// through a cursor: libc++'s std::string members are compiled out of line in Wasm, so a call
// per character costs more than the copying itself. The string holds exactly what was
// written once the writer is gone; view() reads it before that. Keys are literal ASCII names.
class JsonOut {
 public:
  // Appends to `s`; `expected` is a size hint for the first allocation.
  explicit JsonOut(std::string& s, size_t expected = 64);
  ~JsonOut() { s_.resize(len_); }
  JsonOut(const JsonOut&) = delete;
  JsonOut& operator=(const JsonOut&) = delete;

  JsonOut& begin_object();
  JsonOut& end_object();
  JsonOut& begin_array();
  JsonOut& end_array();
  JsonOut& key(std::string_view name);
  JsonOut& raw_key(raw::value name);        // a key copied as the client escaped it
  JsonOut& string(std::string_view text);   // unescaped text, escaped here
  JsonOut& raw_string(raw::value v);        // a string value's escaped span, requoted
  JsonOut& escaped(std::string_view text);  // text already escaped as JSON string contents
  JsonOut& raw(std::string_view json);      // any complete JSON text
  JsonOut& number(int64_t v);
  JsonOut& boolean(bool v);
  std::string_view view() const { return {buf_, len_}; }

 private:
  void put(char c) {
    if (len_ == cap_) grow(1);
    buf_[len_++] = c;
  }
  void put(std::string_view v);
  void grow(size_t n);
  void separate();
  void open(char c);
  void close(char c);

  std::string& s_;
  char* buf_ = nullptr;
  size_t len_ = 0;
  size_t cap_ = 0;
  uint64_t has_items_ = 0;  // bit d: the container open at depth d already holds an item
  uint32_t depth_ = 0;
  bool after_key_ = false;
};

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

// One message's content (`at` names it): a string, or an array of parts. `media` allows
// image, audio and file parts (user turns); otherwise only text (and refusal) parts.
bool write_content(raw::value content, std::string_view role, bool media, Turns& turns, Failure& err, const Path& at);
// The decoded text of a string or an array of text parts ("" for null).
bool content_text(raw::value content, std::string& text, Failure& err, const Path& at);

bool write_tools(raw::value root, ChatState& st, JsonOut& out);
bool write_generation_config(raw::value root, ChatState& st, JsonOut& out);
bool write_google_extras(ChatState& st, JsonOut& out);

}  // namespace bal::openai::req
