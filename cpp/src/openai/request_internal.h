// request_internal.h — what the OpenAI request translators share: the chat state, Gemini
// turns being written, and the pieces every Gemini translator uses (gemini.h, jsonout.h).
//
// The Gemini body is written straight into one std::string. Long strings (texts, base64
// data) are copied as the client escaped them (see rawjson.h); only short values are decoded.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "balancer/exchange.h"
#include "balancer/gemini.h"
#include "balancer/gemini_request.h"
#include "balancer/openai.h"
#include "balancer/jsonout.h"
#include "balancer/rawjson.h"

namespace bal::openai::req {

using bal::JsonOut;
using gemini::convert_schema;
using gemini::ConvertedSchema;
using gemini::DataUrl;
using gemini::Failure;
using gemini::gemini_model_id;
using gemini::model_traits;
using gemini::ModelTraits;
using gemini::parse_data_url;
using gemini::Path;
using gemini::present;
using gemini::SchemaForm;
using gemini::Thinking;
using gemini::Turns;

// A client error found while reading the request, as a Translated: a 400
// invalid_request_error, param and code included.
Translated failed(const Failure& f);
// The reader's error as a 400 ("invalid_json"); depth and size limits named as such.
Translated parse_failed(const raw::document& doc);

// The body's "model" field: required, a string, a usable id. `client_model` keeps it as sent.
// MODEL_MAP maps foreign names (gpt-…, text-embedding-…) first.
bool read_model(raw::value root, Failure& err, std::string& client_model, std::string& id, const RequestInfo& info);

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
  raw::value google;                      // extra_body.google / google: Google's own extension fields
  media::UrlMedia* media = nullptr;       // the request's http(s) image URLs (RequestInfo::media)
  std::vector<std::string> custom_tools;  // custom (free-form) tools' names, for their calls
  Failure err;
};

// messages → "contents" (written to `out`) and the system instruction's parts (`system`).
bool write_messages(raw::value messages, ChatState& st, Turns& contents, Turns& system);

// One message's content (`at` names it): a string, or an array of parts. `with_media` allows
// image, audio and file parts (user turns); otherwise only text (and refusal) parts. `urls`
// answers the http(s) image URLs (RequestInfo::media).
bool write_content(raw::value content, std::string_view role, bool with_media, Turns& turns, Failure& err,
                   const Path& at, media::UrlMedia* urls = nullptr);
// The decoded text of a string or an array of text parts ("" for null).
bool content_text(raw::value content, std::string& text, Failure& err, const Path& at);

bool write_tools(raw::value root, ChatState& st, JsonOut& out);
bool write_generation_config(raw::value root, ChatState& st, JsonOut& out);
bool write_google_extras(ChatState& st, JsonOut& out);

}  // namespace bal::openai::req
