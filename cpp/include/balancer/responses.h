// responses.h — OpenAI's Responses API (POST /v1/responses and the stored-response routes)
// on Gemini, for Codex CLI, the Agents SDK and the AI SDK's default OpenAI provider.
//
// One request, as the request machine runs it:
//
//   auto ids = bal::responses::ids_to_load(body);        // previous_response_id, item_references
//   bal::responses::Stored stored;                          // one Durable Object call when ids is not empty:
//   if (!ids.empty()) stored.parse(store.load(owner, ids)); //   the records of those responses and their chains
//   bal::Translated t = bal::responses::translate_responses(body, info, &stored);
//   if (t.error) return t.exchange->error(*t.error);
//   auto& rx = bal::responses::responses_exchange(*t.exchange);
//   rx.bound_key();          // the key the conversation must stay on (Gemini 3 signatures), if any
//   ... run t.calls[0] with a key; rx.served_by(key_id) before answer() / stream() ...
//   if (auto w = rx.to_store()) store.put(owner, *w);      // before the answer's last bytes go out
//
// Gemini 3 thought signatures travel in two ways, so that a tool loop stays valid whatever
// the client keeps: in the stored response (store: true, the default), and in the reasoning
// item's encrypted_content (Codex CLI sends store: false and the whole history, asking for
// include: ["reasoning.encrypted_content"]). encrypted_content is "gbr1." + base64url of a
// small JSON object: the signatures by function call_id, the text signature by a fingerprint
// of the message text, and the id of the pool key that answered (never the key itself). It
// is not encrypted: it holds only what Gemini gave the client's own conversation.
//
// A stored response is one record (see Stored) kept by the Durable Object with its owner, a
// digest of the client token: a token never reads another token's records.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "balancer/exchange.h"
#include "balancer/rawjson.h"

namespace bal::responses {

// ---- stored responses ---------------------------------------------------------------------

// A record, as JSON text (what the Durable Object keeps in its `body` column):
//   {"v":1,"id":"resp_…","previous_response_id":"resp_…"|null,"created_at":<s>,
//    "key_id":<pool key id>|null,   the key whose project the answer's signatures belong to
//    "input":[…],                   this request's input items, ids added, references resolved
//    "response":{…}}                the response object, reasoning items with encrypted_content
// The Durable Object keeps beside it: owner, id, previous id, created and expiry times, size.
inline constexpr int kRecordVersion = 1;

// What the machine hands the store after an answer.
struct StoreWrite {
  std::string id;           // "resp_…"
  std::string previous_id;  // "" when the request did not continue a response
  int64_t created_ms = 0;
  std::string body;  // the record
};

// Records read back from the store: a JSON array of records, in any order.
class Stored {
 public:
  // False when the text is not an array of version-1 records (the store is broken: answer
  // 500). Takes the text; values stay valid while the Stored lives.
  bool parse(std::string text);
  // The record of response `id`, or absent.
  raw::value find(std::string_view id) const;
  // The records that response `id` continues, oldest first, ending with its own; empty when
  // `id` or one of its ancestors is missing.
  std::vector<raw::value> chain(std::string_view id) const;
  // An item (input or output) of a loaded response, by its id; absent when unknown.
  raw::value item(std::string_view item_id) const;
  size_t size() const { return doc_.root().size(); }

 private:
  std::string text_;
  raw::document doc_;
};

// The response ids a request body needs loaded before translating: its previous_response_id
// first, then those of the responses that its input items' ids name (item_references, and,
// unless the request says store: false, items sent back whole, whose signatures the record
// keeps, and calls sent back by call_id alone), deduplicated. Empty when there are none or the
// body is not JSON (translating it will say why).
std::vector<std::string> ids_to_load(std::string_view body);

// Whether `id` is a response id this server issues ("resp_" + 16 hex digits): anything else
// is answered 404 without a store lookup.
bool valid_response_id(std::string_view id);
// The response id that an item id ("msg_<16 hex>_<n>", "fc_…", "rs_…") was issued in; "" for
// ids this server did not issue.
std::string response_of_item(std::string_view item_id);
// Whether an input item is a call of the model's (function_call or custom_tool_call), whose
// call_id ("call_<16 hex>_<n>" when this server issued it) names its response too.
bool is_call_item(raw::value item);

// ---- POST /v1/responses -------------------------------------------------------------------

class ResponsesExchange : public Exchange {
 public:
  // The pool key the conversation is bound to (its Gemini 3 thought signatures belong to that
  // key's project): the latest stored response's key, else the one named by encrypted_content.
  virtual std::optional<int64_t> bound_key() const = 0;
  // The pool key that answers, recorded in encrypted_content and in the stored record. Call
  // before answer() or stream().
  virtual void served_by(int64_t key_id) = 0;
  // After answer() succeeded or the stream finished ok(): the record to store. nullopt when
  // the request said store: false, or the answer failed.
  virtual std::optional<StoreWrite> to_store() const = 0;
};

// What a body is posted to: POST /v1/responses; POST /v1/responses/compact (the same body
// but for stream and store, answered with a response.compaction object: the user messages,
// then a compaction item that carries Gemini's summary of the conversation; nothing stored);
// or POST /v1/responses/input_tokens (the same body, counted by Gemini's countTokens over the
// whole generateContent request it would make, answered with a response.input_tokens object).
enum class Endpoint { create, compact, input_tokens };

// `previous` holds the records ids_to_load() asked for (null or empty when none were).
Translated translate_responses(std::string_view body, const RequestInfo& info, const Stored* previous,
                               Endpoint endpoint = Endpoint::create);

// The exchange of a Translated that translate_responses() returned.
ResponsesExchange& responses_exchange(Exchange& e);

// ---- GET / DELETE /v1/responses/{id}, GET /v1/responses/{id}/input_items -----------------

// `stored` holds the record of `id` when the store has it for this owner. `query` is the raw
// query string (include[]=reasoning.encrypted_content; limit, order, after for input items).
Reply retrieve_response(std::string_view id, const Stored* stored, std::string_view query);
Reply list_input_items(std::string_view id, const Stored* stored, std::string_view query);
Reply delete_response(std::string_view id, bool deleted);
// 404 in OpenAI's format for a response id that is unknown to this owner.
Reply response_not_found(std::string_view id);

}  // namespace bal::responses
