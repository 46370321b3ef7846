// internal.h — what the Responses translators share: the options a request leaves for its
// answer, the signatures that ride in encrypted_content, ids, and the output being built.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "balancer/gemini.h"
#include "balancer/jsonout.h"
#include "balancer/rawjson.h"
#include "balancer/responses.h"

namespace bal::responses::detail {

// ---- thought signatures in encrypted_content (carry.cpp) ---------------------------------

inline constexpr std::string_view kCarryPrefix = "gbr1.";

struct Carry {
  std::vector<std::pair<std::string, std::string>> calls;  // call_id (decoded) → signature (escaped)
  std::vector<std::pair<uint64_t, std::string>> texts;     // text fingerprint → signature (escaped)
  std::optional<int64_t> key_id;

  bool empty() const { return calls.empty() && texts.empty(); }
  const std::string* call(std::string_view call_id) const;
  const std::string* text(uint64_t fingerprint) const;
};

// FNV-1a (64 bits) of a message's decoded text: binds a text signature to its message
// whatever ids and escapes the client keeps.
uint64_t text_fingerprint(std::string_view decoded);

// "gbr1." + base64url of {"c":[[call_id,sig]...],"t":[[hex fingerprint,sig]...],"k":key}.
std::string encode_carry(const Carry& c);
// Adds what `content` (the decoded encrypted_content) holds to `into`; false when it is not
// a value encode_carry() made.
bool decode_carry(std::string_view content, Carry& into);

// A compaction item's encrypted_content: "gbc1." + base64url of the summary Gemini wrote of
// the conversation before it (`escaped`: its text as JSON string contents). Like the carry, it
// is not a secret: it holds what Gemini answered this client.
inline constexpr std::string_view kCompactionPrefix = "gbc1.";
std::string encode_compaction(std::string_view escaped);
// The summary (decoded) an encode_compaction() value holds; false for any other value.
bool decode_compaction(std::string_view content, std::string& summary);

// ---- ids ----------------------------------------------------------------------------------

// "<prefix>_<request id>_<n>": the response an item came from stays readable in its id.
std::string item_id(std::string_view prefix, std::string_view request_id, size_t n);

// ---- what the request leaves for the answer -----------------------------------------------

struct Options {
  std::string id;          // "resp_<request id>"
  std::string request_id;  // escaped-safe: [0-9a-f]
  int64_t created_at = 0;  // seconds
  std::string model;       // the client's model, JSON-escaped
  bool stream = false;
  bool store = true;
  bool include_encrypted = false;  // include: ["reasoning.encrypted_content"]
  bool include_thoughts = false;   // reasoning.summary asked for, on a thinking model
  bool compact = false;            // the input ends with compaction_trigger: the answer is a summary
  bool compact_endpoint = false;   // POST /v1/responses/compact: a response.compaction object
  bool count_endpoint = false;     // POST /v1/responses/input_tokens: a response.input_tokens object
  std::string kept;                // compact_endpoint: the user messages its output repeats (a
                                   // JSON array)
  size_t first_output = 0;         // output item numbers start after the input's
  std::string previous_id;         // decoded; "" when none
  std::optional<int64_t> bound_key;

  // Echoed in the response object as the client set them (JSON texts).
  std::string instructions = "null";
  std::string max_output_tokens = "null";
  std::string parallel_tool_calls = "true";
  std::string reasoning = R"({"effort":null,"summary":null})";
  std::string service_tier = "\"default\"";
  std::string temperature = "1";
  std::string text = R"({"format":{"type":"text"}})";
  std::string tool_choice = "\"auto\"";
  std::string tools = "[]";
  std::string top_p = "1";
  std::string truncation = "\"disabled\"";
  std::string user = "null";
  std::string metadata = "{}";
  std::string prompt_cache_key = "null";
  std::string safety_identifier = "null";

  std::string input;  // this request's input items for the store (a JSON array)
  // Functions declared inside a namespace tool: (name, decoded; namespace, escaped). Their calls
  // name the namespace, as OpenAI's do, so the client routes them.
  std::vector<std::pair<std::string, std::string>> namespaces;
  // Custom (free-form) tools, decoded: their calls are custom_tool_call items whose input is
  // the declaration's one string argument.
  std::vector<std::string> custom_tools;
};

// ---- the output being built (output.cpp) --------------------------------------------------

enum class Status : uint8_t { in_progress, completed, incomplete, failed };

struct Item {
  enum class Kind : uint8_t { reasoning, message, call, search, compaction };
  Kind kind = Kind::message;
  std::string id;
  std::string text;                  // message: output text, escaped; search: the query;
                                     // compaction: its encrypted_content
  std::string annotations;           // message: url_citation objects, comma-separated
  std::vector<std::string> cited;    // message: the citations it has (url, start, end)
  std::vector<std::string> summary;  // reasoning: summary texts, escaped
  std::string call_id;               // call: escaped
  std::string name;                  // call: escaped
  std::string arguments;             // call: the arguments' JSON text (a custom tool's input), escaped
  std::string ns;                    // call: the namespace its function was declared in, escaped
  bool custom = false;               // call: to a custom tool (a custom_tool_call item)
  bool done = false;
};

// Gemini parts → output items, in order; with `events` set, also the stream events that
// announce them. One builder serves the whole answer and the stream, so both end with the
// same response object.
class Output {
 public:
  explicit Output(const Options& o) : o_(o) {}

  // Writes response.created and response.in_progress.
  void begin(std::string& events);
  // One candidate's parts (a stream event's, or a whole answer's).
  void parts(raw::value parts, std::string* events);
  // A candidate's groundingMetadata: a web_search_call item for the search (once), before the
  // message in a whole answer (call it before parts()), after the message closes in a stream;
  // and url_citation annotations on the last message's text (call it after parts()).
  void search(raw::value metadata, std::string* events);
  void grounding(raw::value metadata, std::string* events);
  // Gemini's finishReason (the last one wins) and usageMetadata.
  void finish_reason(std::string_view reason);
  void usage(const gemini::Usage& u) { usage_ = u; }
  void blocked() { incomplete_reason_ = "content_filter"; }
  // Closes every item (their done events) and writes the terminal event.
  void finish(std::string* events);
  // A failure: the error event and response.failed.
  void fail(const ApiError& e, std::string* events);

  // The response object; `with_encrypted` adds encrypted_content to reasoning items.
  void write_response(std::string& out, bool with_encrypted) const;
  // POST /v1/responses/compact's answer: the user messages kept, then the compaction item;
  // false when Gemini wrote no summary.
  bool write_compacted(std::string& out) const;
  Status status() const { return status_; }
  const gemini::Usage& usage() const { return usage_; }
  bool has_signatures() const { return !carry_.empty(); }
  void set_key(int64_t key_id) { carry_.key_id = key_id; }

 private:
  void ensure_reasoning(std::string* ev);
  bool needs_reasoning(raw::value part) const;
  void open_summary(std::string* ev);
  void close_summary(std::string* ev);
  void open_message(std::string* ev);
  void close_message(std::string* ev);
  void call(raw::value part, std::string* ev);
  void bind_text_signature();
  void add_search(std::string query, std::string* ev);
  void add_compaction(std::string* ev);
  void write_item(std::string& out, const Item& item, bool with_encrypted) const;
  void event_head(std::string& ev, std::string_view type);
  void item_event(std::string& ev, std::string_view type, size_t index);
  void item_ref(std::string& ev, size_t index);

  const Options& o_;
  std::vector<Item> items_;
  Carry carry_;
  std::string text_signature_;  // escaped: the last non-call signature, bound to the last message
  gemini::Usage usage_;
  Status status_ = Status::in_progress;
  std::string incomplete_reason_;
  std::string error_;          // {"code":…,"message":…} of a failure
  std::string message_delta_;  // the open message's delta fields, up to the opening quote
  std::string summary_delta_;  // the open summary part's
  int64_t sequence_ = 0;
  int64_t reasoning_ = -1;  // index of the reasoning item
  int64_t message_ = -1;    // index of the open message item
  bool summary_open_ = false;
  size_t calls_ = 0;  // call ids generated so far
  bool searched_ = false;
  std::optional<std::string> pending_search_;  // a stream's search query, added at finish()
  std::string summary_;                        // compact: the summary's text so far, escaped
};

// Appends the usage object.
void append_usage(std::string& out, const gemini::Usage& u);

// Appends text already escaped as JSON string contents, with quotes.
inline void append_quoted(std::string& out, std::string_view escaped) {
  out += '"';
  out += escaped;
  out += '"';
}

}  // namespace bal::responses::detail

namespace bal::responses::detail {

// The exchange that answers a translated request (exchange.cpp).
std::unique_ptr<ResponsesExchange> make_exchange(Options o);

}  // namespace bal::responses::detail
