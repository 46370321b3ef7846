// Native Gemini requests: passed through with a pool key. What the machine adds: the upload
// session's key, affinity, the answer headers a client may see (upload URLs pointed back at
// this Worker), and at the end of the body its usage, what it created, and a closing error
// event when an SSE answer was cut short.
#include "balancer/affinity.h"
#include "balancer/path.h"
#include "balancer/redact.h"
#include "balancer/usage.h"
#include "internal.h"

namespace bal::machine {
namespace {

using State = Machine::State;

// Upstream answer headers a client may see.
constexpr std::string_view kPassedHeaders[] = {
    "content-type",
    "x-goog-upload-status",
    "x-goog-upload-url",
    "x-goog-upload-chunk-granularity",
    "x-goog-upload-size-received",
    "x-goog-upload-control-url",
};

bool starts_with(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}

// The value of parameter `name` in a raw query, still encoded.
std::string_view param(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const size_t eq = item.find('=');
    if (item.substr(0, eq) == name && eq != std::string_view::npos) return item.substr(eq + 1);
  }
  return {};
}

// Upload sessions answer with a URL on Google's host; point it back at this Worker so the
// client's next request comes here (and gets the session's key) instead of going to Google
// bare.
std::string rewritten_upload_url(const Isolate& iso, const State& s, std::string_view url) {
  const bool plain_origin = s.origin.find_first_of("\r\n") == std::string::npos;
  if (s.origin.empty() || !plain_origin || !starts_with(url, iso.config.upstream)) return std::string(url);
  const std::string_view rest = url.substr(iso.config.upstream.size());
  if (rest.empty() || rest.front() != '/') return std::string(url);
  return s.origin + std::string(rest);
}

// Answers that create or describe a file or a cached content: only these teach the pool
// who owns one (a generated answer may quote any name).
bool creates_or_describes(std::string_view method, std::string_view path) {
  for (std::string_view family :
       {"/v1beta/", "/v1alpha/", "/v1/", "/upload/v1beta/", "/upload/v1alpha/", "/upload/v1/"}) {
    if (!starts_with(path, family)) continue;
    const std::string_view rest = path.substr(family.size());
    for (std::string_view kind : {"files", "cachedContents"}) {
      if (!starts_with(rest, kind)) continue;
      const std::string_view tail = rest.substr(kind.size());
      // A list (GET), a creation (POST), an upload's last step (POST, or PUT on some clients).
      if (tail.empty())
        return method == "POST" || method == "GET" || (method == "PUT" && starts_with(path, "/upload/"));
      if (tail.front() == '/' && tail.find('/', 1) == std::string_view::npos &&
          tail.find(':') == std::string_view::npos) {
        return method == "GET" || method == "PATCH";
      }
    }
  }
  return false;
}

}  // namespace

UpstreamCall native_call(State& s) {
  UpstreamCall c;
  c.model = s.route.model;
  c.method = s.method;
  c.path = s.route.path;
  c.query = s.route.query;
  c.sse = s.route.path.find(":streamGenerateContent") != std::string::npos;
  s.learn_resources = creates_or_describes(s.method, s.route.path);
  return c;
}

std::optional<int64_t> native_prefer(const Isolate& iso, const State& s) {
  if (starts_with(s.route.path, "/upload/")) {
    const std::string_view id = param(s.route.query, "upload_id");
    if (!id.empty()) {
      if (auto key = iso.upload_key(id)) return key;
    }
  }
  if (iso.pool.affinity().empty()) return std::nullopt;
  return iso.pool.affinity().key_for(s.route.path, s.body);
}

std::string native_stream_headers(Isolate& iso, State& s, const Call& c, std::string_view upstream) {
  abi::HeaderList h;
  for (std::string_view name : kPassedHeaders) {
    const std::string_view v = abi::header_value(upstream, name);
    if (v.empty()) continue;
    if (name == "x-goog-upload-url") {
      const size_t q = v.find('?');
      const std::string_view id =
          q == std::string_view::npos ? std::string_view() : param(v.substr(q + 1), "upload_id");
      if (!id.empty()) iso.pin_upload(std::string(id), c.key_id);
      h.add(name, redact(rewritten_upload_url(iso, s, v)));
    } else {
      h.add(name, redact(v));
    }
  }
  return h.text();
}

namespace {

gemini::Usage usage_in(std::string_view tail) {
  gemini::Usage usage;
  if (auto u = usage_from_tail(tail)) {
    usage.prompt = u->prompt_tokens;
    usage.thoughts = u->thoughts_tokens;
    usage.candidates = u->completion_tokens - u->thoughts_tokens;
  }
  return usage;
}

// What a complete answer teaches: thought signatures, and for answers that create or
// describe a file or cached content, who owns it.
std::vector<std::string> learn(Isolate& iso, const State& s, const Call& c, std::string_view tail) {
  std::vector<std::string> created;
  if (c.key_id > 0) {
    if (s.learn_resources) iso.pool.affinity().learn_resources(tail, c.key_id, &created);
    iso.pool.affinity().learn_signatures(tail, c.key_id);
  }
  return created;
}

}  // namespace

Reply native_answer(Isolate& iso, State& s, Call& c, std::string body) {
  const std::string_view tail = std::string_view(body).substr(body.size() > kTailBytes ? body.size() - kTailBytes : 0);
  record(iso, s, c, Verdict{}, true, usage_in(tail), learn(iso, s, c, tail));
  Reply r;
  r.status = c.status;
  r.content_type.clear();
  abi::for_each_header(native_stream_headers(iso, s, c, c.answer_headers),
                       [&r](std::string_view n, std::string_view v) { r.headers.emplace_back(n, v); });
  r.body = std::move(body);
  return r;
}

void native_end(Isolate& iso, State& s, abi::Reason reason, std::string_view tail, std::string& out, bool& ok) {
  Call& c = s.calls[s.stream_slot];
  const gemini::Usage usage = usage_in(tail);
  // Only JSON and SSE answers can be checked for a proper end (media downloads cannot).
  const bool complete = reason == abi::Reason::none && (!s.stream_checkable || answer_complete(tail, s.stream_sse));
  if (complete) {
    record(iso, s, c, Verdict{}, false, usage, learn(iso, s, c, tail));
    return;
  }
  // Cut short: the key is not to blame, but the client must be able to tell.
  Verdict v;
  v.outcome = Outcome::server_error;
  v.message = "upstream answer cut short";
  record(iso, s, c, v, false, usage);
  if (!s.stream_sse) {
    ok = false;
    return;
  }
  out += "\r\n\r\ndata: ";
  out += error_reply(ErrorFormat::gemini, api_error(502, "The upstream stream ended before the answer was complete."))
             .body;
  out += "\r\n\r\n";
}

}  // namespace bal::machine
