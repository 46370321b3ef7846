// BAL_OP_MEDIA (media_abi.h).
#include "balancer/media_abi.h"

#include "balancer/classify.h"
#include "balancer/live.h"
#include "balancer/media.h"
#include "balancer/media_url.h"
#include "balancer/model_map.h"
#include "balancer/openai_error.h"

namespace bal::media {
namespace {

const char* action_name(KeyAction a) {
  switch (a) {
    case KeyAction::cooldown:
      return "cooldown";
    case KeyAction::disable:
      return "disable";
    case KeyAction::none:
      break;
  }
  return "none";
}

struct KindName {
  std::string_view name;
  Kind kind;
};

constexpr KindName kKinds[] = {
    {"image", Kind::image}, {"audio", Kind::audio}, {"document", Kind::document}, {"video", Kind::video}};

Kind kind_of(std::string_view name) {
  for (const KindName& k : kKinds) {
    if (k.name == name) return k.kind;
  }
  return Kind::image;
}

Plan error_plan(const ApiError& e) {
  Plan p;
  p.header = {{"ok", false}, {"status", e.status}, {"message", e.message}, {"code", e.code}, {"param", e.param}};
  p.payload = openai::error_reply(e).body;
  return p;
}

Plan live_close(const json& h) {
  const int code = static_cast<int>(get_int(h, "code", 0, 0, 65535));
  const std::string_view reason = get_string(h, "reason");
  const Verdict v = live::judge_close(code, reason, get_int(h, "now_ms", 0, -kMaxTimeMs, kMaxTimeMs));
  const live::ClientClose c = live::client_close(code, reason);
  Plan p;
  p.header = {{"outcome", outcome_name(v.outcome)},
              {"dead", is_dead(v.outcome)},
              {"retry", v.retry},
              {"backoff", v.backoff},
              {"action", action_name(v.action)},
              {"all_models", v.all_models},
              {"until_ms", v.until_ms},
              {"retry_after_ms", v.retry_after_ms},
              {"message", v.message},
              {"client_code", c.code},
              {"client_reason", c.reason}};
  return p;
}

Plan url_inline(const json& h, std::string_view bytes) {
  const UrlPolicy policy;
  Fetched f;
  f.end = fetch_end_of(get_string(h, "end", "ok")).value_or(FetchEnd::network);
  f.status = static_cast<int>(get_int(h, "status", 0, 0, 999));
  f.content_type = get_string(h, "content_type");
  f.redirect_to = get_string(h, "redirect_to");
  f.bytes = bytes;
  std::string part;
  const std::string_view url = get_string(h, "url");
  if (auto err = policy.to_inline(url, f, kind_of(get_string(h, "kind", "image")), get_string(h, "param"), part)) {
    return error_plan(*err);
  }
  Plan p;
  p.header = {{"ok", true}};
  p.payload = std::move(part);
  return p;
}

// The translation of one request, made again for each step: the exchange keeps nothing that the
// request does not hold, so a stateless op can answer and write errors too.
Translated translate(const json& h, std::string_view body, const ModelMap& models) {
  RequestInfo info;
  info.now_ms = get_int(h, "now_ms", 0, 0, kMaxTimeMs);
  info.request_id = std::string(get_string(h, "request_id"));
  info.models = &models;
  const std::string_view route = get_string(h, "route");
  const std::string_view type = get_string(h, "content_type");
  if (route == "images.generations") return translate_image_generation(body, info);
  if (route == "images.edits") return translate_image_edit(type, body, info);
  if (route == "speech") return translate_speech(body, info);
  const AudioTask task = route == "translations" ? AudioTask::translate : AudioTask::transcribe;
  return translate_transcription(type, body, task, info);
}

Plan reply_plan(const Reply& r) {
  Plan p;
  json headers = json::object();
  for (const auto& [name, value] : r.headers) headers[name] = value;
  p.header = {{"status", r.status}, {"content_type", r.content_type}, {"headers", headers}};
  p.payload = r.body;
  return p;
}

// translate: payload = the request body -> {calls: [{model, path, size}]} + payload = the
// bodies one after another, or {error: true} + the error reply.
// answer: {sizes: [request, body 1, ...]}; payload = the request body then the answers.
Plan translate_op(const json& h, std::string_view payload, bool answer) {
  ModelMap models;
  models.assign(get_string(h, "model_map"));
  std::vector<size_t> sizes;
  if (const json* s = get_field(h, "sizes"); answer && s != nullptr && s->is_array()) {
    for (const json& n : *s) sizes.push_back(n.is_number_unsigned() ? n.get<size_t>() : 0);
  }
  size_t at = answer && !sizes.empty() ? std::min(sizes[0], payload.size()) : payload.size();
  Translated t = translate(h, payload.substr(0, at), models);
  if (t.error) {
    Plan p = reply_plan(t.exchange->error(*t.error));
    p.header["error"] = true;
    return p;
  }
  if (answer) {
    std::vector<std::string_view> bodies;
    for (size_t i = 1; i < sizes.size(); ++i) {
      const std::string_view b = payload.substr(std::min(at, payload.size()), sizes[i]);
      bodies.push_back(b);
      at += b.size();
    }
    Plan p = reply_plan(t.exchange->answer(bodies));
    const gemini::Usage u = t.exchange->usage();
    p.header["usage"] = {{"prompt_tokens", u.prompt}, {"completion_tokens", u.completion()}};
    return p;
  }
  Plan p;
  json calls = json::array();
  for (UpstreamCall& c : t.calls) {
    calls.push_back({{"model", c.model}, {"path", c.path}, {"size", c.body.size()}});
    if (p.payload.empty()) {
      p.payload = std::move(c.body);
    } else {
      p.payload += c.body;
    }
  }
  p.header = {{"calls", calls}};
  return p;
}

}  // namespace

Plan run_abi_op(const json& h, std::string_view payload) {
  const std::string_view action = get_string(h, "action");
  Plan p;
  if (action == "live_path") {
    const std::string_view v = live::live_version(get_string(h, "path"));
    p.header = {{"version", v}, {"upstream_path", v.empty() ? std::string() : live::upstream_path(v)}};
  } else if (action == "live_setup") {
    const live::Setup s = live::read_setup(payload);
    p.header = {{"ok", s.ok}, {"model", s.model}, {"message", s.message}};
  } else if (action == "live_close") {
    p = live_close(h);
  } else if (action == "live_no_key") {
    const live::ClientClose c = live::no_key_close(get_bool(h, "cooling", false), get_int(h, "retry_after_ms", 0));
    p.header = {{"client_code", c.code}, {"client_reason", c.reason}};
  } else if (action == "live_usage") {
    const live::Usage u = live::read_usage(payload);
    p.header = {{"found", u.found}, {"prompt_tokens", u.prompt}, {"completion_tokens", u.response}};
  } else if (action == "url_limits") {
    const FetchLimits l;
    p.header = {{"timeout_ms", l.timeout_ms}, {"max_redirects", l.max_redirects}, {"max_bytes", l.max_bytes}};
  } else if (action == "url_check") {
    if (auto err = UrlPolicy().check(get_string(h, "url"), get_string(h, "param"))) return error_plan(*err);
    p.header = {{"ok", true}};
  } else if (action == "url_inline") {
    p = url_inline(h, payload);
  } else if (action == "translate" || action == "answer") {
    p = translate_op(h, payload, action == "answer");
  } else {
    p.header = {{"error", "unknown media action"}};
  }
  return p;
}

}  // namespace bal::media
