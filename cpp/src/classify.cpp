#include "balancer/classify.h"

#include <algorithm>
#include <iterator>

#include "balancer/gemini.h"
#include "balancer/json.h"
#include "balancer/pacific.h"
#include "balancer/record.h"
#include "balancer/redact.h"

namespace bal {
namespace {

// What each outcome is called in events, the database and summaries, and what a key check
// counts it as: the key works ("ok"), works but is limited ("rate_limited"), is dead, or the
// check could not tell ("error").
struct OutcomeTraits {
  Outcome outcome;
  const char* name;
  const char* group;
};

constexpr OutcomeTraits kOutcomes[] = {
    {Outcome::ok, "ok", "ok"},
    {Outcome::key_invalid, "key_invalid", "dead"},
    {Outcome::key_leaked, "key_leaked", "dead"},
    {Outcome::key_suspended, "key_suspended", "dead"},
    {Outcome::key_blocked, "key_blocked", "dead"},
    {Outcome::quota_minute, "quota_minute", "rate_limited"},
    {Outcome::quota_day, "quota_day", "rate_limited"},
    {Outcome::quota_other, "quota_other", "rate_limited"},
    {Outcome::unauthenticated, "unauthenticated", "error"},
    {Outcome::location, "location", "error"},
    {Outcome::client_error, "client_error", "error"},
    {Outcome::server_error, "server_error", "error"},
};

const OutcomeTraits& traits(Outcome o) {
  for (const OutcomeTraits& t : kOutcomes) {
    if (t.outcome == o) return t;
  }
  return kOutcomes[std::size(kOutcomes) - 1];
}

// ErrorInfo reasons that mean the key itself (or its project) can no longer serve, with the
// HTTP status Google sends them with. Only Google writes the details array, so a client
// cannot make one of these appear, however much of its own text the message quotes.
struct DeadReason {
  int http_status;
  std::string_view reason;
  Outcome outcome;
};

constexpr DeadReason kDeadReasons[] = {
    {400, "API_KEY_INVALID", Outcome::key_invalid},          // "API key not valid", "API key expired"
    {400, "API_KEY_EXPIRED", Outcome::key_invalid},          // expired keys (today sent as API_KEY_INVALID)
    {403, "CONSUMER_SUSPENDED", Outcome::key_suspended},     // "Consumer 'api_key:…' has been suspended"
    {403, "API_KEY_SERVICE_BLOCKED", Outcome::key_blocked},  // the key may not call this API
    {403, "SERVICE_DISABLED", Outcome::key_blocked},         // the API is off in the key's project
};

// Answers that carry no reason, recognised by their whole message: a message that merely
// contains these words may be Google quoting the client ("Unknown name \"...\"").
struct DeadMessage {
  int http_status;
  std::string_view status;
  std::string_view message;
  Outcome outcome;
};

constexpr DeadMessage kDeadMessages[] = {
    {403, "PERMISSION_DENIED", "Your API key was reported as leaked. Please use another API key.", Outcome::key_leaked},
    {400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", Outcome::key_invalid},
    {400, "INVALID_ARGUMENT", "API key expired. Please renew the API key.", Outcome::key_invalid},
};

bool contains(std::string_view hay, std::string_view needle) { return hay.find(needle) != std::string_view::npos; }

struct ErrorBody {
  std::string message;
  std::string status;
  std::string reason;            // ErrorInfo.reason
  std::string quota_ids;         // QuotaFailure violations' quotaId values, joined
  std::string quota_model;       // the model of the first violation that names one
  int64_t retry_delay_ms = -1;   // RetryInfo.retryDelay
};

ErrorBody read_error_body(std::string_view body) {
  ErrorBody out;
  json doc = parse_json(body);
  // Some gateways wrap the error in an array.
  if (doc.is_array() && !doc.empty()) doc = doc[0];
  const json* err = get_field(doc, "error");
  if (err == nullptr || !err->is_object()) {
    out.message = std::string(body.substr(0, 512));
    return out;
  }
  out.message = std::string(get_string(*err, "message"));
  out.status = std::string(get_string(*err, "status"));
  const json* details = get_field(*err, "details");
  if (details == nullptr || !details->is_array()) return out;
  for (const json& d : *details) {
    const std::string_view type = get_string(d, "@type");
    // Some clients and gateways print ErrorInfo without its @type: a reason is still one.
    if (contains(type, "ErrorInfo") || (type.empty() && get_field(d, "reason") != nullptr)) {
      out.reason = std::string(get_string(d, "reason"));
    } else if (contains(type, "QuotaFailure")) {
      const json* violations = get_field(d, "violations");
      if (violations == nullptr || !violations->is_array()) continue;
      for (const json& v : *violations) {
        out.quota_ids += get_string(v, "quotaId");
        out.quota_ids += ' ';
        const json* dimensions = get_field(v, "quotaDimensions");
        if (out.quota_model.empty() && dimensions != nullptr) out.quota_model = get_string(*dimensions, "model");
      }
    } else if (contains(type, "RetryInfo")) {
      out.retry_delay_ms = parse_duration_ms(get_string(d, "retryDelay"));
    }
  }
  return out;
}

Outcome dead_outcome(int status, const ErrorBody& e) {
  for (const DeadReason& r : kDeadReasons) {
    if (status == r.http_status && e.reason == r.reason) return r.outcome;
  }
  if (!e.reason.empty()) return Outcome::ok;
  for (const DeadMessage& m : kDeadMessages) {
    if (status == m.http_status && e.status == m.status && e.message == m.message) return m.outcome;
  }
  return Outcome::ok;
}

void classify_quota(const ErrorBody& e, int64_t now_ms, Verdict& v) {
  v.retry = true;
  v.action = KeyAction::cooldown;
  v.unnamed_quota = e.quota_ids.empty();
  v.quota_model = e.quota_model;
  // Per-day wins: a request can break both limits, and the day is the longer wait.
  if (contains(e.quota_ids, "PerDay")) {
    v.outcome = Outcome::quota_day;
    v.until_ms = next_pacific_midnight_ms(now_ms);
  } else {
    const int64_t delay = e.retry_delay_ms >= 0 ? e.retry_delay_ms : kDefaultQuotaCooldownMs;
    v.outcome = contains(e.quota_ids, "PerMinute") ? Outcome::quota_minute : Outcome::quota_other;
    v.until_ms = now_ms + std::clamp<int64_t>(delay, kMinCooldownMs, kMaxMinuteCooldownMs);
  }
  v.retry_after_ms = v.until_ms - now_ms;
}

}  // namespace

const char* outcome_name(Outcome o) {
  return traits(o).name;
}

const char* outcome_group(Outcome o) {
  return traits(o).group;
}

bool is_dead(Outcome o) {
  return std::string_view(traits(o).group) == "dead";
}

bool revives(Outcome o) {
  const std::string_view group = traits(o).group;
  return group == "ok" || group == "rate_limited";
}

std::string cooldown_scope(std::string_view model, bool all_models, bool grounding) {
  // A name that is not a model id (the client's own nonsense) cannot be a word of the pool's
  // change lines either: the cooldown then holds for every model.
  if (all_models) return "*";
  // A call that names no model in its path (an interaction names it in its body) picks keys by
  // the grounding scope alone: its grounding cooldown is that scope, not every model's.
  if (!gemini::valid_model_chars(model)) return grounding ? std::string(kGroundingScope) : "*";
  return selection_scope(model, grounding);
}

std::string selection_scope(std::string_view model, bool grounded) {
  std::string scope(model);
  if (grounded) scope += kGroundingScope;
  return scope;
}

int64_t parse_duration_ms(std::string_view s) {
  double scale = 1000.0;
  if (s.size() > 2 && s.substr(s.size() - 2) == "ms") {
    scale = 1.0;
    s.remove_suffix(2);
  } else if (!s.empty() && s.back() == 's') {
    s.remove_suffix(1);
  } else {
    return -1;
  }
  if (s.empty() || s.size() > 20) return -1;
  double value = 0;
  double frac = 0;
  bool seen_dot = false;
  for (char c : s) {
    if (c == '.' && !seen_dot) {
      seen_dot = true;
      frac = 1;
    } else if (c >= '0' && c <= '9') {
      if (seen_dot) {
        frac /= 10;
        value += (c - '0') * frac;
      } else {
        value = value * 10 + (c - '0');
      }
    } else {
      return -1;
    }
  }
  // A protobuf Duration spans at most 315,576,000,000 s (10,000 years); anything longer is
  // malformed, and would not fit the cast below.
  const double ms = value * scale;
  if (ms > 315'576'000'000'000.0) return -1;
  return static_cast<int64_t>(ms + 0.5);
}

Verdict classify_upstream(int status, std::string_view body, int64_t now_ms) {
  Verdict v;
  if (status >= 200 && status < 400) return v;
  if (status == 0) {
    v.outcome = Outcome::server_error;
    v.retry = true;
    v.backoff = true;
    v.message = "Upstream connection failed.";
    return v;
  }
  const ErrorBody e = read_error_body(body);
  v.message = redact(e.message);
  v.status_text = e.status;

  const Outcome dead = dead_outcome(status, e);
  if (dead != Outcome::ok) {
    v.outcome = dead;
    v.retry = true;
    v.action = KeyAction::disable;
    return v;
  }
  if (status == 429) {
    classify_quota(e, now_ms, v);
    return v;
  }
  if (status == 401) {
    v.outcome = Outcome::unauthenticated;
    return v;
  }
  if (status == 400 && e.status == "FAILED_PRECONDITION" && contains(e.message, "location")) {
    v.outcome = Outcome::location;
    return v;
  }
  if (status >= 500) {
    v.outcome = Outcome::server_error;
    v.retry = true;
    v.backoff = true;
    return v;
  }
  v.outcome = Outcome::client_error;
  return v;
}

NextStep next_step(const Verdict& v, const AttemptState& s) {
  static constexpr int64_t kBackoffMs[] = {300, 1000};
  NextStep out;
  if (!v.retry || s.attempts >= s.max_attempts || s.elapsed_ms >= kAttemptBudgetMs) return out;
  if (v.backoff) {
    if (s.server_failures > kMaxServerRetries) return out;
    const int i = s.server_failures < 1 ? 0 : s.server_failures - 1;
    out.delay_ms = kBackoffMs[i < 2 ? i : 1];
    if (s.elapsed_ms + out.delay_ms >= kAttemptBudgetMs) return out;
  }
  out.retry = true;
  return out;
}

Probe key_probe(std::string_view upstream, std::string_view key) {
  Probe p;
  p.url.append(upstream).append("/v1beta/models/").append(kProbeModel).append(":countTokens");
  p.method = "POST";
  abi::HeaderList h;
  h.add("content-type", "application/json");
  h.add("x-goog-api-key", key);
  p.headers = h.text();
  p.body = R"({"contents":[{"role":"user","parts":[{"text":"ping"}]}]})";
  return p;
}

}  // namespace bal
