// classify.h — what an upstream answer means for the request and for the key that made it.
//
// The policy is the table in GEMINI.md: dead keys are disabled, quota answers cool the key
// down for that model, Google's own failures are retried with no penalty, and the client's
// own mistakes (bad body, unknown model, unsupported region) never touch a key.
//
// A key's fate is read from the error's structure only: the HTTP status with
// `details[].reason` (ErrorInfo: API_KEY_INVALID, API_KEY_EXPIRED, CONSUMER_SUSPENDED,
// API_KEY_SERVICE_BLOCKED, SERVICE_DISABLED) and `QuotaFailure.violations[].quotaId`. Where
// Google gives no reason (the leaked-key 403) the whole message must equal Google's text.
// A message that merely contains such words proves nothing: Google quotes client-chosen
// names and values in its 400s ("Unknown name \"...\"", "Base64 decoding failed for ...").
//
// A 401 blames no key and is not retried. Google answers a bad, expired or blocked API key
// with 400 or 403 and a reason; its 401s (UNAUTHENTICATED: ACCESS_TOKEN_TYPE_UNSUPPORTED,
// CREDENTIALS_MISSING, ...) are about OAuth: credentials the request carried besides the key,
// or a method that takes no API key. Another key would get the same answer, and cooling every
// key for a 401 would let one request take the whole pool out.
//
//   auto v = bal::classify_upstream(429, body, now_ms);
//   if (v.retry) { /* try another key */ }
//   if (v.action == bal::KeyAction::cooldown) { /* cool v.model-scope down until v.until_ms */ }
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace bal {

enum class Outcome {
  ok,
  key_invalid,      // API_KEY_INVALID, expired
  key_leaked,       // reported as leaked
  key_suspended,    // CONSUMER_SUSPENDED
  key_blocked,      // API_KEY_SERVICE_BLOCKED, SERVICE_DISABLED
  quota_minute,     // 429 per-minute quota
  quota_day,        // 429 per-day quota
  quota_other,      // 429 without a recognisable quota id
  unauthenticated,  // 401: OAuth credentials refused or required; not the key's doing
  location,         // 400 FAILED_PRECONDITION "User location is not supported"
  client_error,     // other 4xx: the request itself
  server_error,     // 5xx: Google's side
};

enum class KeyAction { none, cooldown, disable };

struct Verdict {
  Outcome outcome = Outcome::ok;
  bool retry = false;    // worth another attempt (on another key) before answering
  bool backoff = false;  // wait before retrying (server errors)
  KeyAction action = KeyAction::none;
  bool all_models = false;     // the cooldown applies to every model of the key
  int64_t until_ms = 0;        // end of the cooldown
  int64_t retry_after_ms = 0;  // what the client may be told to wait
  // A 429 that names no quota (no QuotaFailure): Google says nothing of the key's quota for
  // the model. It is how Google refuses Google Search grounding beyond its quota (the free
  // tier may have none), so the caller scopes the cooldown to grounded calls (cooldown_scope).
  bool unnamed_quota = false;
  // The model whose quota a 429 says is spent (its QuotaFailure's quotaDimensions.model): the
  // cooldown's model for a call whose path names none (an interaction names it in its body).
  std::string quota_model;
  std::string message;         // upstream message, redacted
  std::string status_text;     // upstream status, e.g. "RESOURCE_EXHAUSTED"
};

inline constexpr int64_t kMinCooldownMs = 1000;
inline constexpr int64_t kMaxMinuteCooldownMs = 15 * 60 * 1000;
inline constexpr int64_t kDefaultQuotaCooldownMs = 60 * 1000;

// Classifies an upstream HTTP status and body at time `now_ms`. Status 0 stands for a
// connection that failed before any answer (Google's side or the network: retried).
Verdict classify_upstream(int status, std::string_view body, int64_t now_ms);

// How far one request has gone through its attempts.
struct AttemptState {
  int attempts = 1;         // upstream calls made so far, this one included
  int max_attempts = 8;     // keys one request may try
  int server_failures = 1;  // Google-side failures so far, this one included if it was one
  int64_t elapsed_ms = 0;   // since the request's first attempt started
};

inline constexpr int kMaxServerRetries = 2;
inline constexpr int64_t kAttemptBudgetMs = 30 * 1000;

struct NextStep {
  bool retry = false;
  int64_t delay_ms = 0;  // wait before the next attempt
};

// Whether to try again after `v`: a dead or limited key costs the client little (Google
// answers at once), so another key is tried up to max_attempts; Google's own failures are
// retried at most kMaxServerRetries times, with growing backoff; and no attempt starts after
// kAttemptBudgetMs.
NextStep next_step(const Verdict& v, const AttemptState& s);

// Names used in events, the database and summaries ("key_invalid", "quota_day", ...).
const char* outcome_name(Outcome o);
// What a key check counts the outcome as: "ok", "rate_limited", "dead" or "error".
const char* outcome_group(Outcome o);
bool is_dead(Outcome o);
// Whether the outcome shows the key works (perhaps limited), so a key disabled as dead is
// enabled again.
bool revives(Outcome o);
// The model a cooldown holds for: "*" when it holds for every model of the key (or the name
// is no model id); `model` + kGroundingScope when it holds for calls with grounding only (and
// kGroundingScope alone for grounded calls that name no model, such as an interaction).
std::string cooldown_scope(std::string_view model, bool all_models, bool grounding = false);
// The suffix of a scope that holds for a model's calls with grounding (Google Search, URL context,
// Google Maps) only: such a call is limited by its model's cooldowns and by these.
inline constexpr std::string_view kGroundingScope = "+grounding";
// The scope a call picks keys by: its model, or its model's grounding scope.
std::string selection_scope(std::string_view model, bool grounded);

// Parses a protobuf Duration string ("28s", "1.5s", "250ms") into milliseconds; -1 if malformed.
int64_t parse_duration_ms(std::string_view s);

// A key check: one free call (countTokens, never a billable generation) with the key, whose
// answer classify_upstream() reads like any other (cut at kProbeMaxErrorBytes when it is an
// error; classified with status 0 when none came within kProbeTimeoutMs).
// The model is a current GA one: gemini-2.5-flash, the probe's model before, was retired on
// 1 December 2026 (model_map.h), and a retired model's countTokens says nothing about a key.
// gemini-3.5-flash-lite is its named replacement, with the free tier's highest limits.
inline constexpr std::string_view kProbeModel = "gemini-3.5-flash-lite";
inline constexpr int64_t kProbeTimeoutMs = 15 * 1000;
inline constexpr uint32_t kProbeMaxErrorBytes = 64 * 1024;

struct Probe {
  std::string url;      // the upstream base, then the model's countTokens
  std::string method;   // POST
  std::string headers;  // "name\nvalue\n" pairs: the key goes here, never in the URL
  std::string body;     // JSON: a one-word prompt
};

// The probe of `key` against `upstream`, the configured base (Config::upstream: no trailing '/').
Probe key_probe(std::string_view upstream, std::string_view key);

}  // namespace bal
