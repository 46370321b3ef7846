// The Live API's decisions (live.h).
#include "balancer/live.h"

#include "balancer/gemini.h"
#include "balancer/redact.h"

namespace bal::live {
namespace {

constexpr std::string_view kPathPrefix = "/ws/google.ai.generativelanguage.";
constexpr std::string_view kPathSuffix = ".GenerativeService.BidiGenerateContent";
// Google's docs name v1beta and v1alpha; @google/genai 3 connects to v1 by default.
constexpr std::string_view kVersions[] = {"v1beta", "v1alpha", "v1"};

// A close reason is at most 123 bytes (RFC 6455: 125 with the code).
constexpr size_t kMaxReasonBytes = 123;

// How a rule matches Google's reason: the whole text, or fixed words before and after a part
// that is Google's own (a consumer id), never the client's.
struct CloseRule {
  int code;
  std::string_view prefix;
  std::string_view suffix;  // empty with whole = true: the reason is exactly `prefix`
  bool whole;
  Outcome outcome;
};

// Read top to bottom; the first match wins.
constexpr CloseRule kRules[] = {
    {kCloseInvalidPayload, "API key not valid. Please pass a valid API key.", "", true, Outcome::key_invalid},
    {kCloseInvalidPayload, "API key expired. Please renew the API key.", "", true, Outcome::key_invalid},
    {kClosePolicy, "Your API key was reported as leaked. Please use another API key.", "", true, Outcome::key_leaked},
    {kClosePolicy, "Permission denied: Consumer 'api_key:", "' has been suspended.", false, Outcome::key_suspended},
    {kClosePolicy, "Requests to this API generativelanguage.googleapis.com method ", " are blocked.", false,
     Outcome::key_blocked},
    {kClosePolicy, "User location is not supported for the API use.", "", true, Outcome::location},
    // Google's quota message opens with these words and goes on with a link; the reason is
    // cut at 123 bytes, so only the opening is certain.
    {kCloseInternal, "You exceeded your current quota", "", false, Outcome::quota_other},
};

// Codes that mean the connection or Google's side failed, not the request.
constexpr int kServerCodes[] = {1005, 1006, kCloseInternal, 1012, kCloseTryAgain, 1014};

bool matches(const CloseRule& r, int code, std::string_view reason) {
  if (r.code != code) return false;
  if (r.whole) return reason == r.prefix;
  if (reason.substr(0, r.prefix.size()) != r.prefix) return false;
  return r.suffix.empty() || (reason.size() >= r.prefix.size() + r.suffix.size() &&
                              reason.substr(reason.size() - r.suffix.size()) == r.suffix);
}

int64_t count_of(raw::value usage, std::string_view name) {
  const auto v = usage.get(name).as_int64();
  return v && *v > 0 ? *v : 0;
}

// 1005, 1006 and 1015 are never sent on the wire: they describe a close that had no frame;
// 1004 is reserved.
bool is_sendable(int code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

// At most `max` bytes, never cutting a UTF-8 character.
std::string cut_utf8(std::string s, size_t max) {
  if (s.size() <= max) return s;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xc0) == 0x80) --n;
  s.resize(n);
  return s;
}

}  // namespace

std::string_view live_version(std::string_view path) {
  if (path.substr(0, 2) == "//") path.remove_prefix(1);
  if (path.substr(0, kPathPrefix.size()) != kPathPrefix) return {};
  path.remove_prefix(kPathPrefix.size());
  for (const std::string_view v : kVersions) {
    if (path.size() == v.size() + kPathSuffix.size() && path.substr(0, v.size()) == v &&
        path.substr(v.size()) == kPathSuffix) {
      return v;
    }
  }
  return {};
}

std::string upstream_path(std::string_view version) {
  std::string p(kPathPrefix);
  p += version;
  p += kPathSuffix;
  return p;
}

Setup read_setup(std::string_view message) {
  Setup s;
  raw::document doc;
  const raw::value model = doc.parse(message) == raw::success ? doc.root().get("setup").get("model") : raw::value();
  if (!doc.root().get("setup").is_object()) {
    s.message = "The first message must be a setup message: {\"setup\":{\"model\":\"models/...\"}}.";
    return s;
  }
  if (!model.is_string() || model.raw().empty()) {
    s.message = "setup.model is required (\"models/<a Gemini Live model>\").";
    return s;
  }
  if (!gemini::gemini_model_id(model.str(), s.model)) {
    s.message = "setup.model is not a valid model name.";
    s.model.clear();
    return s;
  }
  s.ok = true;
  return s;
}

Verdict judge_close(int code, std::string_view reason, int64_t now_ms) {
  Verdict v;
  v.message = redact(reason);
  for (const CloseRule& r : kRules) {
    if (!matches(r, code, reason)) continue;
    v.outcome = r.outcome;
    if (is_dead(r.outcome)) {
      v.retry = true;
      v.action = KeyAction::disable;
    } else if (r.outcome == Outcome::quota_other) {
      v.retry = true;
      v.action = KeyAction::cooldown;
      v.until_ms = now_ms + kDefaultQuotaCooldownMs;
      v.retry_after_ms = kDefaultQuotaCooldownMs;
    }
    return v;
  }
  for (const int c : kServerCodes) {
    if (c == code) {
      v.outcome = Outcome::server_error;
      v.retry = true;
      v.backoff = true;
      return v;
    }
  }
  v.outcome = Outcome::client_error;
  return v;
}

ClientClose client_close(int upstream_code, std::string_view upstream_reason) {
  ClientClose c;
  const bool sendable = is_sendable(upstream_code);
  c.code = sendable ? upstream_code : kCloseInternal;
  c.reason = cut_utf8(redact(upstream_reason), kMaxReasonBytes);
  if (!sendable && c.reason.empty()) c.reason = "The connection to Gemini failed.";
  return c;
}

ClientClose peer_close(int client_code, std::string_view client_reason) {
  ClientClose c;
  c.code = is_sendable(client_code) ? client_code : kCloseNormal;
  c.reason = cut_utf8(std::string(client_reason), kMaxReasonBytes);
  return c;
}

ClientClose no_key_close(bool cooling, int64_t retry_after_ms) {
  ClientClose c;
  if (cooling) {
    c.code = kCloseTryAgain;
    c.reason = "Every key is rate-limited for this model; retry in " +
               std::to_string(retry_after_ms <= 1000 ? 1 : (retry_after_ms + 999) / 1000) + " s.";
  } else {
    c.reason = "The key pool has no usable key.";
  }
  return c;
}

Usage read_usage(std::string_view message) {
  Usage u;
  raw::document doc;
  if (doc.parse(message) != raw::success) return u;
  const raw::value usage = doc.root().get("usageMetadata");
  if (!usage.is_object()) return u;
  u.found = true;
  u.prompt = count_of(usage, "promptTokenCount");
  u.response = count_of(usage, "responseTokenCount") + count_of(usage, "thoughtsTokenCount");
  return u;
}

}  // namespace bal::live
