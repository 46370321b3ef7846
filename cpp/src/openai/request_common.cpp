// Shared pieces of the OpenAI request translators: the writer, request errors, model ids and
// traits, data: URLs.
#include <charconv>
#include <cstring>

#include "request_internal.h"

namespace bal::openai::req {

// ---- writer -------------------------------------------------------------------------------

JsonOut::JsonOut(std::string& s, size_t expected) : s_(s), len_(s.size()) {
  grow(expected);
}

void JsonOut::grow(size_t n) {
  const size_t want = len_ + n;
  size_t cap = cap_ < 64 ? 64 : cap_ * 2;
  if (cap < want) cap = want;
  s_.resize(cap);
  buf_ = s_.data();
  cap_ = cap;
}

void JsonOut::put(std::string_view v) {
  if (cap_ - len_ < v.size()) grow(v.size());
  std::memcpy(buf_ + len_, v.data(), v.size());
  len_ += v.size();
}

void JsonOut::separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (depth_ == 0 || depth_ > 64) return;
  const uint64_t bit = uint64_t{1} << (depth_ - 1);
  if (has_items_ & bit) put(',');
  has_items_ |= bit;
}

void JsonOut::open(char c) {
  separate();
  put(c);
  ++depth_;
  if (depth_ <= 64) has_items_ &= ~(uint64_t{1} << (depth_ - 1));
}

void JsonOut::close(char c) {
  put(c);
  --depth_;
}

JsonOut& JsonOut::begin_object() {
  open('{');
  return *this;
}

JsonOut& JsonOut::end_object() {
  close('}');
  return *this;
}

JsonOut& JsonOut::begin_array() {
  open('[');
  return *this;
}

JsonOut& JsonOut::end_array() {
  close(']');
  return *this;
}

JsonOut& JsonOut::key(std::string_view name) {
  separate();
  put('"');
  put(name);
  put('"');
  put(':');
  after_key_ = true;
  return *this;
}

JsonOut& JsonOut::raw_key(raw::value name) {
  separate();
  put('"');
  put(name.raw());
  put('"');
  put(':');
  after_key_ = true;
  return *this;
}

JsonOut& JsonOut::string(std::string_view text) {
  separate();
  put('"');
  if (raw::needs_escaping(text)) {
    std::string escaped;
    raw::append_escaped(escaped, text);
    put(escaped);
  } else {
    put(text);
  }
  put('"');
  return *this;
}

JsonOut& JsonOut::raw_string(raw::value v) {
  return escaped(v.is_string() ? v.raw() : std::string_view());
}

JsonOut& JsonOut::escaped(std::string_view text) {
  separate();
  put('"');
  put(text);
  put('"');
  return *this;
}

JsonOut& JsonOut::raw(std::string_view json) {
  separate();
  put(json);
  return *this;
}

JsonOut& JsonOut::number(int64_t v) {
  separate();
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  put(std::string_view(buf, static_cast<size_t>(r.ptr - buf)));
  return *this;
}

JsonOut& JsonOut::boolean(bool v) {
  separate();
  put(v ? std::string_view("true") : std::string_view("false"));
  return *this;
}

std::string Path::str() const {
  std::string s = parent_ != nullptr ? parent_->str() : std::string();
  if (indexed_) {
    s += '[';
    s += std::to_string(index_);
    s += ']';
  } else {
    if (!s.empty()) s += '.';
    s += name_;
  }
  return s;
}

// ---- errors -------------------------------------------------------------------------------

bool Failure::fail(std::string msg, std::string param_path, std::string_view error_code) {
  if (failed) return false;  // the first error is the one the client needs
  failed = true;
  message = std::move(msg);
  param = std::move(param_path);
  code = std::string(error_code);
  return false;
}

bool Failure::fail_at(const Path& at, std::string_view what, std::string_view error_code) {
  std::string where = at.str();
  std::string msg = where;
  msg += ' ';
  msg += what;
  return fail(std::move(msg), std::move(where), error_code);
}

Plan failure_plan(const Failure& f) {
  return respond_json(400, openai_error_body(f.message, "invalid_request_error", f.code, f.param));
}

Plan parse_failure_plan(const raw::document& doc) {
  std::string msg;
  switch (doc.error()) {
    case raw::empty_input:
      msg = "The request body is empty; send a JSON object.";
      break;
    case raw::too_deep:
      msg = "The JSON body nests too deeply (at most 64 levels of arrays and objects).";
      break;
    case raw::too_many_nodes:
      msg = "The JSON body holds too many values.";
      break;
    default:
      msg = "We could not parse the JSON body of your request: ";
      msg += raw::error_message(doc.error());
      msg += " at byte " + std::to_string(doc.error_offset()) + ".";
  }
  return respond_json(400, openai_error_body(msg, "invalid_request_error", "invalid_json"));
}

// ---- models -------------------------------------------------------------------------------

bool valid_model_chars(std::string_view id) {
  if (id.empty() || id.size() > 128 || id == "." || id == "..") return false;
  for (const char c : id) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool gemini_model_id(std::string_view client_model, std::string& id) {
  constexpr std::string_view kPrefix = "models/";
  if (client_model.substr(0, kPrefix.size()) == kPrefix) client_model.remove_prefix(kPrefix.size());
  id = std::string(client_model);
  return valid_model_chars(id);
}

bool read_model(raw::value root, Failure& err, std::string& client_model, std::string& id) {
  raw::value model = root.get("model");
  if (!model.exists() || model.is_null()) {
    return err.fail("you must provide a model parameter", "model", "missing_required_parameter");
  }
  if (!model.is_string()) return err.fail("model must be a string.", "model", "invalid_type");
  client_model = model.str();
  if (!gemini_model_id(client_model, id)) {
    return err.fail("The model '" + client_model + "' is not a valid Gemini model id.", "model", "invalid_value");
  }
  return true;
}

namespace {

struct ThinkingFamily {
  std::string_view prefix;
  Thinking thinking;
  int64_t min_budget;
};

// First match wins. Gemini 3 takes a thinkingLevel; 2.5 a token budget, and 2.5 Pro cannot
// turn thinking off (its smallest budget is 128). Every other model takes no thinkingConfig.
// The "-latest" aliases take budgets, which every thinking generation accepts.
constexpr ThinkingFamily kThinkingFamilies[] = {
    {"gemini-3", Thinking::level, 0},
    {"gemini-2.5-pro", Thinking::budget, 128},
    {"gemini-2.5", Thinking::budget, 0},
    {"gemini-pro-latest", Thinking::budget, 128},
    {"gemini-flash-latest", Thinking::budget, 0},
    {"gemini-flash-lite-latest", Thinking::budget, 0},
};

// Variants inside those families that generate images or speech and do not think.
constexpr std::string_view kNonThinkingVariants[] = {"-image", "-tts", "native-audio"};

}  // namespace

ModelTraits model_traits(std::string_view model) {
  ModelTraits t;
  for (std::string_view v : kNonThinkingVariants) {
    if (model.find(v) != std::string_view::npos) return t;
  }
  for (const ThinkingFamily& f : kThinkingFamilies) {
    if (model.substr(0, f.prefix.size()) == f.prefix) {
      t.thinking = f.thinking;
      t.min_budget = f.min_budget;
      return t;
    }
  }
  return t;
}

// ---- data: URLs ---------------------------------------------------------------------------

bool parse_data_url(raw::value url, DataUrl& out) {
  if (!url.is_string()) return false;
  std::string decoded;
  std::string_view text = url.raw();
  if (url.has_escapes()) {
    decoded = url.str();
    text = decoded;
  }
  constexpr std::string_view kScheme = "data:";
  constexpr std::string_view kBase64 = ";base64,";
  if (text.size() < kScheme.size() || text.substr(0, kScheme.size()) != kScheme) return false;
  // The header is short; never search the whole payload for it.
  const size_t marker = text.substr(0, 512).find(kBase64);
  if (marker == std::string_view::npos) return false;
  const std::string_view media = text.substr(kScheme.size(), marker - kScheme.size());
  out.mime = std::string(media.substr(0, media.find(';')));
  if (out.mime.empty() || out.mime.find('/') == std::string::npos) return false;
  const std::string_view data = text.substr(marker + kBase64.size());
  out.owned.clear();
  if (url.has_escapes()) {
    raw::append_escaped(out.owned, data);
    out.escaped = {};
  } else {
    out.escaped = data;
  }
  return true;
}

}  // namespace bal::openai::req
