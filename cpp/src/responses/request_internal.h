// request_internal.h — the request side of the Responses translation: one Request per body.
#pragma once

#include <string>
#include <vector>

#include "balancer/gemini_request.h"
#include "internal.h"

namespace bal::responses::detail {

using gemini::Failure;
using gemini::Path;
using gemini::present;
using gemini::Turns;

struct RequestState {
  Options& o;
  const Stored* stored;
  media::UrlMedia* media;  // the request's http(s) media URLs (RequestInfo::media)
  std::string model;  // the Gemini id
  gemini::ModelTraits traits;
  Carry carry;  // signatures from every reasoning item of the conversation
  bool search = false;  // the Gemini request has Google Search grounding
  Failure err;
};

// Input items (the stored conversation's, then the request's) → Gemini contents and the
// system instruction's parts.
class ItemWriter {
 public:
  ItemWriter(RequestState& st, Turns& contents, Turns& system) : st_(st), contents_(contents), system_(system) {}
  bool item(raw::value item, const Path& at);
  // The request's `input` string: one user message.
  void user_text(raw::value text);

 private:
  bool message(raw::value m, const Path& at);
  bool user_content(raw::value content, std::string_view role, const Path& at);
  bool assistant_content(raw::value content, const Path& at);
  bool system_content(raw::value content, const Path& at);
  bool function_call(raw::value call, const Path& at);
  bool function_call_output(raw::value out, const Path& at);
  bool compaction(raw::value item, const Path& at);
  JsonOut& user_part();

  struct Call {
    std::string id;
    std::string name;
  };
  RequestState& st_;
  Turns& contents_;
  Turns& system_;
  std::vector<Call> calls_;
  size_t turn_calls_ = 0;  // function calls in the model turn being written
};

// The kind of an input item ("message" when only a role is given).
std::string_view item_type(raw::value item);

// Resolves the request's item_references against the stored responses.
bool resolve_input(raw::value input, RequestState& st, std::vector<raw::value>& items);
// Collects the signatures of reasoning items (encrypted_content) into st.carry.
bool collect_signatures(const std::vector<raw::value>& items, RequestState& st, bool from_request);

// The signatures (and key) of the stored responses that the request's items came from, for
// clients that send items back by id without their encrypted_content.
void collect_stored_signatures(const std::vector<raw::value>& items, RequestState& st);

bool write_tools(raw::value root, RequestState& st, JsonOut& out);

}  // namespace bal::responses::detail
