// BAL_OP_MEDIA (media_abi.h).
#include "balancer/media_abi.h"

#include "balancer/classify.h"
#include "balancer/live.h"
#include "balancer/media_url.h"
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
  } else {
    p.header = {{"error", "unknown media action"}};
  }
  return p;
}

}  // namespace bal::media
