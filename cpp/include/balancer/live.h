// live.h — the Live API (BidiGenerateContent over a WebSocket) behind the pool: which paths it
// is served on, what the client's setup message asks for, what an upstream close before
// setupComplete means for the key, and what a session costs.
//
// Google accepts the upgrade whatever the key and judges the key only after the setup message,
// closing the socket with a code and a reason. So the shim (worker-shim/live.mjs) holds the
// client's setup message, opens upstream with a pool key, sends it, and asks judge_close()
// about any close that comes before setupComplete:
//
//   bal::live::Setup s = bal::live::read_setup(first_message);     // the model, or why not
//   bal::Verdict v = bal::live::judge_close(1007, reason, now_ms);  // key_invalid: disable, retry
//   bal::live::Usage u = bal::live::read_usage(server_message);     // per turn: add them up
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "balancer/classify.h"

namespace bal::live {

// "/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent" (v1alpha and v1 too;
// Google's SDK writes "//ws/..."): the API version, or "" when the path is not the Live API.
std::string_view live_version(std::string_view path);

// The upstream path for a version.
std::string upstream_path(std::string_view version);

struct Setup {
  bool ok = false;
  std::string model;    // the Gemini model id, "models/" dropped: picks keys, scopes cooldowns
  std::string message;  // why the setup message cannot be used (sent to the client as the close reason)
};

// The client's first message: {"setup":{"model":"models/X", ...}}.
Setup read_setup(std::string_view message);

// WebSocket close codes Google uses, and the ones this side sends.
inline constexpr int kCloseNormal = 1000;
inline constexpr int kCloseInvalidPayload = 1007;  // Google: invalid argument, including a bad key
inline constexpr int kClosePolicy = 1008;          // Google: permission, unsupported, leaked key
inline constexpr int kCloseInternal = 1011;        // Google: quota, internal error
inline constexpr int kCloseTryAgain = 1013;        // this side: no usable key right now

// An upstream close before setupComplete → what it means for the key and the session. The
// reason is judged whole (it can quote the client's own setup), except for Google's fixed
// opening words of a quota error. Dead keys: disable and retry; quota: cool the key down for
// the model and retry; 1011 otherwise: Google's side, retried with backoff; anything else is
// the client's request: no retry, the close goes to the client.
Verdict judge_close(int code, std::string_view reason, int64_t now_ms);

// The close to send the client when no attempt succeeded: Google's own code and reason
// (redacted, at most 123 bytes as WebSocket allows), or kCloseTryAgain when no key was usable.
struct ClientClose {
  int code = kCloseInternal;
  std::string reason;
};
ClientClose client_close(int upstream_code, std::string_view upstream_reason);
ClientClose no_key_close(bool cooling, int64_t retry_after_ms);
// The close to send Google when the client closed its socket mid-session: the client's own
// code when a peer may send it (else 1000), its reason cut to 123 bytes.
ClientClose peer_close(int client_code, std::string_view client_reason);

// A server message's usageMetadata. Google sends it per turn (the counts rise and fall between
// turns), so a session's cost is the sum of all of them.
struct Usage {
  bool found = false;
  int64_t prompt = 0;    // promptTokenCount (cached included)
  int64_t response = 0;  // responseTokenCount + thoughtsTokenCount
};
Usage read_usage(std::string_view message);

}  // namespace bal::live
