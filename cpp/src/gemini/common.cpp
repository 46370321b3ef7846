// What every Gemini translator shares (gemini.h): request errors, model ids and traits,
// data: URLs, usageMetadata. The schema converter is in schema.cpp.
#include <string>

#include "balancer/gemini.h"

namespace bal::gemini {
namespace {

int64_t count_of(raw::value usage, std::string_view name) {
  const auto v = usage.get(name).as_int64();
  return v && *v > 0 ? *v : 0;
}

}  // namespace

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

std::string parse_error_message(const raw::document& doc) {
  switch (doc.error()) {
    case raw::empty_input:
      return "The request body is empty; send a JSON object.";
    case raw::too_deep:
      return "The JSON body nests too deeply (at most 64 levels of arrays and objects).";
    case raw::too_many_nodes:
      return "The JSON body holds too many values.";
    default:
      break;
  }
  std::string msg = "We could not parse the JSON body of your request: ";
  msg += raw::error_message(doc.error());
  msg += " at byte " + std::to_string(doc.error_offset()) + ".";
  return msg;
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

bool valid_function_name(std::string_view name) {
  constexpr size_t kMaxFunctionName = 64;
  if (name.empty() || name.size() > kMaxFunctionName) return false;
  if (!((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z') || name[0] == '_')) return false;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '-' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

bool asks_grounding(std::string_view body) {
  // generateContent names a tool by its field ({"googleSearch": {}}, either spelling), the
  // Interactions API by its type ({"type": "google_search"}).
  constexpr std::string_view kTools[] = {
      "googleSearch", "google_search", "googleSearchRetrieval", "google_search_retrieval", "urlContext", "url_context",
      "googleMaps",   "google_maps"};
  // Most bodies name none of them anywhere: no parse.
  if (body.find("oogle") == std::string_view::npos && body.find("rl_context") == std::string_view::npos &&
      body.find("rlContext") == std::string_view::npos) {
    return false;
  }
  raw::document doc;
  if (doc.parse(body) != raw::success) return false;
  const raw::value tools = doc.root().get("tools");
  if (!tools.is_array()) return false;
  for (const raw::value tool : tools.items()) {
    const raw::value type = tool.get("type");
    for (const std::string_view name : kTools) {
      if (tool.get(name).exists() || type.equals(name)) return true;
    }
  }
  return false;
}

bool gemini_model_id(std::string_view client_model, std::string& id) {
  constexpr std::string_view kPrefix = "models/";
  if (client_model.substr(0, kPrefix.size()) == kPrefix) client_model.remove_prefix(kPrefix.size());
  id = std::string(client_model);
  return valid_model_chars(id);
}

namespace {

struct ThinkingFamily {
  std::string_view prefix;
  Thinking thinking;
  int64_t min_budget;
  int64_t max_budget;
};

// First match wins, after Gemini 3 and every later generation (gemini-N, N >= 3), which take
// a thinkingLevel. 2.5 takes a token budget, and 2.5 Pro cannot turn thinking off (its
// smallest budget is 128). Every other model takes no thinkingConfig. The "-latest" aliases
// take budgets, which every thinking generation accepts. The largest budgets are Google's
// documented ranges (Pro 32768, Flash and Flash-Lite 24576).
constexpr ThinkingFamily kThinkingFamilies[] = {
    {"gemini-2.5-pro", Thinking::budget, 128, 32768},
    {"gemini-2.5", Thinking::budget, 0, 24576},
    {"gemini-pro-latest", Thinking::budget, 128, 32768},
    {"gemini-flash-latest", Thinking::budget, 0, 24576},
    {"gemini-flash-lite-latest", Thinking::budget, 0, 24576},
};

// Variants inside those families that generate images or speech and do not think.
constexpr std::string_view kNonThinkingVariants[] = {"-image", "-tts", "native-audio"};

// Level models that think at "xhigh" too (Gemini 4 Carbon, for one, refuses it).
constexpr std::string_view kExtraHighLevel[] = {"gemini-4-hydrogen", "gemini-4-neon"};
// Level models without "medium": Gemini 3 Pro (3.1 Pro and every later level model have it).
constexpr std::string_view kNoMediumLevel[] = {"gemini-3-pro"};

// N of "gemini-N..." (0 when the id is not of that form).
int generation(std::string_view model) {
  constexpr std::string_view kPrefix = "gemini-";
  if (model.substr(0, kPrefix.size()) != kPrefix) return 0;
  int n = 0;
  for (size_t i = kPrefix.size(); i < model.size() && model[i] >= '0' && model[i] <= '9' && n < 1000; ++i) {
    n = n * 10 + (model[i] - '0');
  }
  return n;
}

}  // namespace

ModelTraits model_traits(std::string_view model) {
  ModelTraits t;
  for (std::string_view v : kNonThinkingVariants) {
    if (model.find(v) != std::string_view::npos) return t;
  }
  t.signs = true;
  if (generation(model) >= 3) {
    t.thinking = Thinking::level;
    for (std::string_view p : kExtraHighLevel) {
      if (model.substr(0, p.size()) == p) t.top_level = "xhigh";
    }
    for (std::string_view p : kNoMediumLevel) {
      if (model.substr(0, p.size()) == p) t.medium_level = false;
    }
    return t;
  }
  for (const ThinkingFamily& f : kThinkingFamilies) {
    if (model.substr(0, f.prefix.size()) == f.prefix) {
      t.thinking = f.thinking;
      t.min_budget = f.min_budget;
      t.max_budget = f.max_budget;
      return t;
    }
  }
  t.signs = false;
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

Usage read_usage(raw::value usage_metadata) {
  Usage u;
  if (!usage_metadata.is_object()) return u;
  u.known = true;
  u.prompt = count_of(usage_metadata, "promptTokenCount");
  u.candidates = count_of(usage_metadata, "candidatesTokenCount");
  u.thoughts = count_of(usage_metadata, "thoughtsTokenCount");
  u.cached = count_of(usage_metadata, "cachedContentTokenCount");
  u.tool_prompt = count_of(usage_metadata, "toolUsePromptTokenCount");
  return u;
}

}  // namespace bal::gemini
