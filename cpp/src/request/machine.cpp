// The request machine's flow (machine.h): routing, the body, translation, each upstream
// call's attempts with failover and backoff, the answer, and the streamed answer's end.
#include <algorithm>
#include <charconv>

#include "balancer/affinity.h"
#include "balancer/anthropic.h"
#include "balancer/media.h"
#include "balancer/openai.h"
#include "balancer/pacific.h"
#include "balancer/redact.h"
#include "internal.h"

namespace bal {

using abi::ActionKind;
using abi::EventKind;
using abi::F;
using abi::Reason;
using abi::TaskKind;
using machine::Call;
using machine::Phase;

namespace machine {
namespace {

using State = Machine::State;

Action tasks(const Isolate& iso, const State& s) {
  Action a;
  a.kind = ActionKind::TASKS;
  a.flags = housekeeping(iso, s.now_ms);
  return a;
}

Action read_body(const Isolate& iso, State& s, uint64_t max_bytes, bool inspect) {
  s.phase = Phase::reading_body;
  s.body_inspect = inspect;
  s.body_limit = max_bytes;
  Action a;
  a.kind = ActionKind::READ_BODY;
  a.max_bytes = max_bytes;
  a.timeout_ms = s.route.body_timeout_ms;
  a.flags = housekeeping(iso, s.now_ms) | (inspect ? abi::FLAG_INSPECT : 0u);
  return a;
}

ApiError body_error(const State& s, Reason reason) {
  switch (reason) {
    case Reason::TOO_LARGE:
      if (takes_form(s.route.api)) {
        return api_error(413,
                         "The upload is larger than " + std::to_string(s.route.max_body / (1024 * 1024)) +
                             " MB: its files go to Gemini inline, and Gemini takes at most 20 MB per request after "
                             "base64 (about 15 MB of files).",
                         "request_too_large");
      }
      return api_error(413, "The request body is larger than this server accepts.", "request_too_large");
    case Reason::TIMEOUT:
      return api_error(408, "The request body did not arrive in time.", "request_timeout");
    default:
      return api_error(400, "The request body could not be read: it was cut off or malformed.", "bad_body");
  }
}

// The error answer in the request's own format: its exchange's, else its route's.
Reply error_for(const State& s, const ApiError& e) {
  if (s.tr.exchange) return s.tr.exchange->error(e);
  if (s.route.kind == Route::Kind::admin) return error_reply(ErrorFormat::admin, e);
  return error_reply(error_format(s.route.api), e);
}

RequestInfo info_of(const Isolate& iso, State& s) {
  RequestInfo info;
  info.now_ms = s.now_ms;
  info.request_id = s.request_id;
  info.models = &iso.config.models;
  info.media = &s.media;
  return info;
}

Translated translate(const Isolate& iso, State& s) {
  const RequestInfo info = info_of(iso, s);
  const std::string_view type = abi::header_value(s.headers, "content-type");
  switch (s.route.api) {
    case Api::responses_create:
      return responses::translate_responses(s.body, info, s.stored.get());
    case Api::responses_compact:
      return responses::translate_responses(s.body, info, s.stored.get(), responses::Endpoint::compact);
    case Api::responses_input_tokens:
      return responses::translate_responses(s.body, info, s.stored.get(), responses::Endpoint::input_tokens);
    case Api::responses_get:
    case Api::responses_input_items:
    case Api::responses_delete:
      break;
    case Api::openai_chat:
      return openai::translate_chat(s.body, info);
    case Api::openai_embeddings:
      return openai::translate_embeddings(s.body, info);
    case Api::openai_models:
      return openai::translate_models(info);
    case Api::openai_model:
      return openai::translate_model(s.route.path, info);
    case Api::anthropic_messages:
      return anthropic::translate_messages(s.body, info);
    case Api::anthropic_count_tokens:
      return anthropic::translate_count_tokens(s.body, info);
    case Api::anthropic_models:
      return anthropic::translate_models(info);
    case Api::anthropic_model:
      return anthropic::translate_model(s.route.path, info);
    case Api::images_generations:
      return media::translate_image_generation(s.body, info);
    case Api::images_edits:
      return media::translate_image_edit(type, s.body, info);
    case Api::audio_speech:
      return media::translate_speech(s.body, info);
    case Api::audio_transcriptions:
      return media::translate_transcription(type, s.body, media::AudioTask::transcribe, info);
    case Api::audio_translations:
      return media::translate_transcription(type, s.body, media::AudioTask::translate, info);
    case Api::live:
    case Api::native:
      break;
  }
  return {};
}

// "https://host/path?query" for an upstream call.
std::string upstream_url(const Isolate& iso, const UpstreamCall& c) {
  std::string url = iso.config.upstream;
  url += c.path;
  if (!c.query.empty()) {
    url += '?';
    url += c.query;
  }
  return url;
}

int64_t retry_after_of(const PoolStatus& p, int64_t now_ms) {
  return p.earliest_until_ms > now_ms ? p.earliest_until_ms - now_ms : 0;
}

// A 429 no retry mends soon: every key has spent its daily quota, or its grounding. The OpenAI
// and Anthropic SDKs (Claude Code's among them) retry a 429 at once, after its retry-after when
// that is under a minute; "x-should-retry: false" tells them not to.
Reply hopeless(Reply r) {
  r.headers.emplace_back("x-should-retry", "false");
  return r;
}

// No key could be used at all: every key limited (429 with the earliest end), or none
// enabled (503).
Action no_key(Isolate& iso, State& s, const Call& c) {
  if (s.route.api == Api::live) return live_no_key(iso, s, c);
  const PoolStatus p = iso.pool.status(selection_scope(c.up.model, c.up.grounded), s.now_ms);
  ApiError e;
  if (p.cooling > 0) {
    const int64_t wait = std::max<int64_t>(1000, retry_after_of(p, s.now_ms));
    const std::string model = c.up.model.empty() ? std::string("this request") : c.up.model;
    const std::string retry = "retry in " + std::to_string((wait + 999) / 1000) + " s";
    // Keys that serve the model but not its grounding: the grounding's quota is out.
    const bool grounding = c.up.grounded && iso.pool.status(c.up.model, s.now_ms).active > 0;
    // The first key back is back at midnight Pacific: every key used its daily quota, which
    // on Google's free tier is 0 for some models.
    const bool daily = p.earliest_until_ms == next_pacific_midnight_ms(s.now_ms);
    std::string message;
    if (grounding) {
      message = "Every key is rate-limited for " + model +
                " with grounding (Google Search, URL context or Google Maps), whose quota Google counts apart (the "
                "free tier may have none); " +
                retry + ", or ask without it.";
    } else if (daily) {
      message = "Every key has used its daily quota for " + model +
                " (Google's free tier gives some models none); it is renewed at midnight Pacific time: " + retry +
                ", or use another model.";
    } else {
      message = "Every key is rate-limited for " + model + "; " + retry + ".";
    }
    e = api_error(429, message, "all_keys_rate_limited");
    e.retry_after_ms = wait;
    if (grounding || daily) return respond(iso, s, hopeless(error_for(s, e)));
  } else {
    e = api_error(503,
                  p.total == 0 ? "The key pool is empty: add Gemini API keys in the admin UI or with POST /api/keys."
                               : "No usable key: every key in the pool is disabled.",
                  "no_usable_keys");
  }
  return respond(iso, s, error_for(s, e));
}

// The last upstream error of call `c`, in the request's format.
Reply give_up_reply(State& s, const Call& c) {
  if (s.native) {
    Reply r;
    r.status = c.status >= 200 && c.status < 600 ? c.status : 502;  // a Response takes no other
    r.content_type = c.error_type.empty() ? "application/json; charset=utf-8" : c.error_type;
    r.body = redact(c.error_body);
    if (c.verdict.retry_after_ms > 0) {
      const int64_t ms = c.verdict.retry_after_ms;
      r.headers.emplace_back("retry-after", std::to_string(ms <= 1000 ? 1 : (ms + 999) / 1000));
    }
    return r;
  }
  ApiError e = upstream_error(c.status, c.error_body);
  if (c.verdict.retry_after_ms > 0) e.retry_after_ms = c.verdict.retry_after_ms;
  return s.tr.exchange->error(e);
}

// Every attempt of call `c` failed: the last upstream error, in the request's format.
Action give_up(Isolate& iso, State& s, const Call& c) {
  if (s.route.api == Api::live) return live_give_up(iso, s, c);
  if (c.status == 0) return respond(iso, s, error_for(s, api_error(502, c.verdict.message, "upstream_unreachable")));
  Reply r = give_up_reply(s, c);
  // The last key's daily quota or grounding is spent, and no key is left for the call.
  const bool spent = c.verdict.outcome == Outcome::quota_day || (c.verdict.unnamed_quota && c.up.grounded);
  if (spent && iso.pool.status(selection_scope(c.up.model, c.up.grounded), s.now_ms).active == 0) {
    r = hopeless(std::move(r));
  }
  return respond(iso, s, std::move(r));
}

// Whether native call `c` asks for grounding, from its body (when the core reads native
// bodies: a pool with affinities). Read once, and only when it matters: a grounding cooldown
// in the pool, or a 429 naming no quota. Any other native request is not scanned for it.
void read_grounding(const State& s, Call& c) {
  if (!s.native || c.grounding_read) return;
  c.grounding_read = true;
  c.up.grounded = s.body_inspect && gemini::asks_grounding(s.body);
}

// Call `c` waits for the pool to be brought up to date by the POOL task added to `a`.
void wait_for_pool(State& s, Call& c, Action& a, uint32_t flags, int64_t key_id = 0) {
  s.pool_task_pending = true;
  c.phase = Call::Phase::pooling;
  Task t;
  t.kind = TaskKind::POOL;
  t.slot = kPoolSlot;
  t.flags = flags;
  t.key_id = key_id;
  a.tasks.push_back(std::move(t));
}

// No usable key is left in this isolate's slice for call `c`: it waits for the next slice,
// once per call, and isolate-wide at most once per gap (or joins a wait under way). False
// when it may not (the isolate holds the whole pool, or a dry slice came up too recently).
bool top_up(Isolate& iso, State& s, Call& c, Action& a) {
  if (c.topped_up || !iso.pool.partial()) return false;
  if (s.pool_task_pending) {
    c.phase = Call::Phase::pooling;
  } else {
    if (s.now_ms < iso.top_up_at_ms) return false;
    iso.top_up_at_ms = s.now_ms + iso.top_up_gap_ms;
    iso.top_up_gap_ms = std::min(iso.top_up_gap_ms * 2, Isolate::kMaxTopUpMs);
    wait_for_pool(s, c, a, abi::FLAG_POOL_STALE | abi::FLAG_POOL_NEXT);
  }
  c.topped_up = true;
  return true;
}

}  // namespace

std::optional<Action> attempt(Isolate& iso, State& s, uint32_t slot, Action& a) {
  Call& c = s.calls[slot];
  if (!s.route.client_key.empty()) {
    c.key_id = -1;
    c.key = s.route.client_key;
  } else {
    // The key this call must use (an upload session's, a bound conversation's) may be outside
    // this isolate's slice: the pool is asked for it, once.
    if (c.prefer && iso.pool.partial() && !iso.pool.index_of(*c.prefer) && !c.asked_for_key && !s.pool_task_pending) {
      c.asked_for_key = true;
      wait_for_pool(s, c, a, abi::FLAG_POOL_STALE, *c.prefer);
      return std::nullopt;
    }
    if (iso.pool.grounding_cooling(s.now_ms)) read_grounding(s, c);
    const std::string scope = selection_scope(c.up.model, c.up.grounded);
    auto pick = iso.pool.select(scope, s.now_ms, c.tried, c.prefer);
    if (!pick && c.failed && c.verdict.backoff) pick = iso.pool.select(scope, s.now_ms, {}, c.prefer);
    if (!pick && top_up(iso, s, c, a)) return std::nullopt;
    if (!pick) return c.failed ? give_up(iso, s, c) : no_key(iso, s, c);
    // A fresh slice that had a key: the next dry one may be swapped soon again.
    if (c.topped_up) {
      iso.top_up_gap_ms = Isolate::kTopUpMs;
      iso.top_up_at_ms = std::min(iso.top_up_at_ms, s.now_ms + Isolate::kTopUpMs);
    }
    const PoolKey& k = iso.pool.at(*pick);
    c.key_id = k.id;
    c.key = k.key;
    c.tried.push_back(k.id);
  }
  if (c.started_ms < 0) c.started_ms = s.now_ms;
  ++c.attempts;
  ++s.attempts;
  c.phase = Call::Phase::fetching;
  if (s.route.api == Api::live) {
    a.tasks.push_back(live_socket(iso, s, slot));
    return std::nullopt;
  }
  Task t;
  t.kind = TaskKind::FETCH;
  t.slot = slot;
  t.url = upstream_url(iso, c.up);
  t.method = c.up.method;
  abi::HeaderList h;
  if (s.native) {
    t.headers = s.route.forward;
    // A body the core read goes from where it is; one it did not, as the shim read it.
    const bool has_body = c.up.method != "GET" && c.up.method != "HEAD";
    t.client_body = has_body && !s.body_inspect;
    if (has_body && s.body_inspect) t.body_view = s.body;
  } else if (c.up.method != "GET") {
    h.add("content-type", "application/json");
    t.body_view = c.up.body;
  }
  // A body handed out by place may leave as a stream: its length is said, so that it is
  // not sent chunked.
  if (!t.body_view.empty()) h.add("content-length", std::to_string(t.body_view.size()));
  h.add("x-goog-api-key", c.key);
  t.headers += h.text();
  t.timeout_ms = iso.config.first_byte_timeout_ms;
  a.tasks.push_back(std::move(t));
  return std::nullopt;
}

Action run(Isolate& iso, State& s) {
  Action a = tasks(iso, s);
  if (s.route.client_key.empty() && iso.pool_loaded_ms < 0) {
    if (!s.pool_task_pending) {
      s.pool_task_pending = true;
      Task t;
      t.kind = TaskKind::POOL;
      t.slot = kPoolSlot;
      a.tasks.push_back(std::move(t));
    }
    return a;
  }
  size_t in_flight = 0;
  for (const Call& c : s.calls) {
    in_flight += c.phase != Call::Phase::queued && c.phase != Call::Phase::done ? 1 : 0;
  }
  for (uint32_t i = 0; i < s.calls.size(); ++i) {
    const Call::Phase phase = s.calls[i].phase;
    if (phase != Call::Phase::pooling && (phase != Call::Phase::queued || in_flight >= kMaxParallelCalls)) continue;
    if (auto answer = attempt(iso, s, i, a)) return std::move(*answer);
    in_flight += phase == Call::Phase::queued ? 1 : 0;
  }
  return a;
}

namespace {

Action start_proxy(Isolate& iso, State& s) {
  s.phase = Phase::running;
  if (s.native) {
    Call c;
    c.up = native_call(s);
    c.prefer = native_prefer(iso, s);
    s.calls.push_back(std::move(c));
    return run(iso, s);
  }
  // Values are counted before any translator parses the body (router.h); a form is no JSON.
  if (s.body_read && !takes_form(s.route.api)) {
    if (auto e = json_shape_error(s.body, kRequestJsonLimits)) return respond(iso, s, error_for(s, *e));
  }
  if (auto a = responses_start(iso, s)) return std::move(*a);
  return translate_and_run(iso, s);
}

}  // namespace

Action translate_and_run(Isolate& iso, State& s) {
  s.tr = translate(iso, s);
  if (s.tr.error) return respond(iso, s, s.tr.exchange->error(*s.tr.error));
  // Media URLs the translation met are fetched first; then it is translated again.
  if (auto fetch = media_start(iso, s)) return std::move(*fetch);
  if (s.tr.model_list && s.route.client_key.empty() && iso.model_pages_ms >= 0 &&
      s.now_ms - iso.model_pages_ms < Isolate::kModelListTtlMs) {
    const std::vector<std::string_view> pages(iso.model_pages.begin(), iso.model_pages.end());
    return respond(iso, s, s.tr.exchange->answer(pages));
  }
  std::optional<int64_t> bound;
  // A conversation bound to a key (its Gemini 3 signatures belong to that project) stays on it.
  if (translated_by_responses(s.route.api)) {
    bound = responses::responses_exchange(*s.tr.exchange).bound_key();
  }
  for (UpstreamCall& up : s.tr.calls) {
    Call c;
    c.prefer = bound;
    // Otherwise the files and signatures the call names: read from the Gemini request, where
    // every family's carrier (chat's extra_content, Anthropic's thinking blocks...) has become
    // a thoughtSignature.
    if (!c.prefer && !iso.pool.affinity().empty()) c.prefer = iso.pool.affinity().key_for({}, up.body);
    c.up = std::move(up);
    s.calls.push_back(std::move(c));
  }
  return run(iso, s);
}

namespace {

bool all_done(const State& s) {
  return std::all_of(s.calls.begin(), s.calls.end(), [](const Call& c) { return c.phase == Call::Phase::done; });
}

// Every call answered 2xx: the client's answer.
Action answer(Isolate& iso, State& s) {
  std::vector<std::string_view> bodies;
  for (const Call& c : s.calls) bodies.insert(bodies.end(), c.bodies.begin(), c.bodies.end());
  Reply r = s.tr.exchange->answer(bodies);
  // A 2xx whose body cannot be read is Google's side, not the key's.
  Verdict v;
  if (r.status >= 500) {
    v.outcome = Outcome::server_error;
    v.message = "unreadable upstream answer";
  }
  const gemini::Usage usage = s.tr.exchange->usage();
  for (size_t i = 0; i < s.calls.size(); ++i) record(iso, s, s.calls[i], v, true, i == 0 ? usage : gemini::Usage{});
  if (s.tr.model_list && r.status == 200 && s.route.client_key.empty()) {
    iso.model_pages.assign(bodies.begin(), bodies.end());
    iso.model_pages_ms = s.now_ms;
  }
  if (auto save = responses_hold(iso, s, r)) return std::move(*save);
  return respond(iso, s, std::move(r));
}

}  // namespace

Action attempt_failed(Isolate& iso, State& s, uint32_t slot, const Verdict& v, int status, std::string body) {
  Call& c = s.calls[slot];
  if (c.key_id > 0) {
    iso.pool.apply(c.key_id, v.action, cooled_model(c.up, v), v.all_models, v.until_ms, s.now_ms,
                   v.unnamed_quota && c.up.grounded);
  }
  record(iso, s, c, v, true);
  c.failed = true;
  c.status = status;
  c.error_body = std::move(body);
  c.verdict = v;
  AttemptState st;
  st.attempts = c.attempts;
  st.max_attempts = s.route.client_key.empty() ? iso.config.max_attempts : 1;
  st.server_failures = c.server_failures + (v.backoff ? 1 : 0);
  st.elapsed_ms = s.now_ms - c.started_ms;
  c.server_failures = st.server_failures;
  const NextStep next = next_step(v, st);
  if (!next.retry) return give_up(iso, s, c);
  Action a = tasks(iso, s);
  if (next.delay_ms > 0) {
    c.phase = Call::Phase::waiting;
    Task t;
    t.kind = TaskKind::WAIT;
    t.slot = slot;
    t.ms = next.delay_ms;
    a.tasks.push_back(std::move(t));
    return a;
  }
  if (auto done = attempt(iso, s, slot, a)) return std::move(*done);
  return a;
}

namespace {

// An attempt of call `slot` failed with `status` (0: no answer) and `body`.
Action failed(Isolate& iso, State& s, uint32_t slot, int status, std::string body) {
  Verdict v = classify_upstream(status, body, s.now_ms);
  if (v.unnamed_quota) read_grounding(s, s.calls[slot]);
  // A 429 naming no quota says nothing of the key's quota for the model: on a grounded call it
  // is the grounding's (a cooldown for grounded calls only), on any other no cooldown at all.
  // Either way another key is tried.
  if (v.unnamed_quota && !s.calls[slot].up.grounded) v.action = KeyAction::none;
  return attempt_failed(iso, s, slot, v, status, std::move(body));
}

Action upstream_head(Isolate& iso, State& s, uint32_t slot, int status, std::string_view headers) {
  Call& c = s.calls[slot];
  if (status < 200 || status >= 300) {
    c.phase = Call::Phase::reading_error;
    c.status = status;
    c.error_type = std::string(abi::header_value(headers, "content-type"));
    Action a;
    a.kind = ActionKind::READ_UPSTREAM;
    a.slot = slot;
    a.max_bytes = kMaxErrorBytes;
    a.flags = housekeeping(iso, s.now_ms);
    return a;
  }
  if (translated_by_responses(s.route.api) && c.key_id > 0) {
    responses::responses_exchange(*s.tr.exchange).served_by(c.key_id);
  }
  // A native JSON answer is read whole (it is written whole anyway): the core checks it,
  // counts its usage and answers, with no stream to pump. SSE and media stream through.
  const std::string_view type = abi::header_value(headers, "content-type");
  // 204 and 205 carry no body a Response could stream: read (nothing) and answer.
  const bool native_json = s.native && (type.find("json") != std::string_view::npos || status == 204 || status == 205);
  const bool streams = s.calls.size() == 1 && ((s.native && !native_json) || c.up.sse);
  if (native_json) {
    c.status = status;
    c.answer_headers = std::string(headers);
  }
  if (!streams) {
    c.phase = Call::Phase::reading_body;
    Action a;
    a.kind = ActionKind::READ_UPSTREAM;
    a.slot = slot;
    a.max_bytes = kMaxAnswerBytes;
    a.flags = housekeeping(iso, s.now_ms);
    return a;
  }
  // The answer streams to the client: the use is counted now (a client that leaves takes
  // the request with it), its tokens and its end follow uncounted.
  record(iso, s, c, Verdict{}, true);
  s.stream_slot = slot;
  Reply head;
  head.status = status;
  if (s.native) {
    head.content_type.clear();
    abi::for_each_header(native_stream_headers(iso, s, c, headers),
                         [&head](std::string_view n, std::string_view v) { head.headers.emplace_back(n, v); });
    s.stream_sse = type.find("event-stream") != std::string_view::npos;
    s.stream_checkable = s.stream_sse || type.find("json") != std::string_view::npos;
  } else {
    s.stream = s.tr.exchange->stream();
    head.content_type = "text/event-stream; charset=utf-8";
    head.headers.emplace_back("cache-control", "no-cache");
    s.stream_sse = true;
  }
  Action a = respond(iso, s, std::move(head));
  s.phase = Phase::streaming;  // respond() ended the request; a stream goes on until END
  a.kind = ActionKind::STREAM;
  a.slot = slot;
  a.mode = s.native ? kStreamPass : kStreamTranslate;
  a.idle_ms = iso.config.stream_idle_ms;
  a.ping_ms = s.native ? 0 : kPingMs;
  return a;
}

Action upstream_body(Isolate& iso, State& s, uint32_t slot, std::string body, Reason reason) {
  Call& c = s.calls[slot];
  if (c.phase == Call::Phase::reading_error) return failed(iso, s, slot, c.status, std::move(body));
  // A 2xx answer that broke off while being read: Google's side, retried like a dropped
  // connection.
  if (reason != Reason::none) return failed(iso, s, slot, 0, {});
  if (s.native) return respond(iso, s, native_answer(iso, s, c, std::move(body)));
  if (c.key_id > 0) iso.pool.affinity().learn(c.up.method, c.up.path, body, c.key_id, nullptr);
  if (auto next = s.tr.exchange->next_call(slot, body)) {
    c.bodies.push_back(std::move(body));
    c.up.method = next->method;
    c.up.path = next->path;
    c.up.query = next->query;
    c.up.body = next->body;
    c.phase = Call::Phase::fetching;
    ++s.attempts;
    Action a = tasks(iso, s);
    Task t;
    t.kind = TaskKind::FETCH;
    t.slot = slot;
    t.url = upstream_url(iso, c.up);
    t.method = c.up.method;
    abi::HeaderList h;
    h.add("x-goog-api-key", c.key);
    t.headers = h.text();
    t.timeout_ms = iso.config.first_byte_timeout_ms;
    a.tasks.push_back(std::move(t));
    return a;
  }
  c.bodies.push_back(std::move(body));
  c.phase = Call::Phase::done;
  if (all_done(s)) return answer(iso, s);
  return run(iso, s);
}

Action waited(Isolate& iso, State& s, uint32_t slot) {
  Action a = tasks(iso, s);
  if (auto done = attempt(iso, s, slot, a)) return std::move(*done);
  return a;
}

bool valid_slot(const State& s, uint32_t slot) {
  return slot < s.calls.size();
}

Action bad_state(Isolate& iso, State& s) {
  // A session past its 101 can only be closed.
  if (s.route.api == Api::live && s.phase != Phase::routed) return live_internal(iso, s);
  return respond(iso, s, error_for(s, api_error(500, "The request could not continue.", "internal")));
}

}  // namespace

std::string_view cooled_model(const UpstreamCall& up, const Verdict& v) {
  return up.model.empty() ? std::string_view(v.quota_model) : std::string_view(up.model);
}

void record(Isolate& iso, const Machine::State& s, const Call& c, const Verdict& v, bool counted,
            const gemini::Usage& usage, std::vector<std::string> created) {
  if (c.key_id <= 0) return;
  // A request's own 4xx is an answer too: the key works.
  if (v.outcome == Outcome::ok || v.outcome == Outcome::client_error) iso.pool.answered(c.key_id);
  KeyEvent e;
  e.key_id = c.key_id;
  e.model = c.up.model;
  e.family = std::string(api_family(s.route.api));
  e.outcome = v.outcome;
  e.action = v.action;
  e.scope = cooldown_scope(cooled_model(c.up, v), v.all_models, v.unnamed_quota && c.up.grounded);
  e.until_ms = v.until_ms;
  e.counted = counted;
  e.prompt_tokens = usage.prompt;
  e.completion_tokens = usage.completion();
  if (v.outcome != Outcome::ok) e.error = v.message.empty() ? v.status_text : v.message;
  if (e.error.empty() && v.outcome != Outcome::ok) e.error = outcome_name(v.outcome);
  e.at_ms = s.now_ms;
  e.created = std::move(created);
  iso.events.add(e);
}

uint32_t housekeeping(const Isolate& iso, int64_t now_ms) {
  uint32_t flags = 0;
  if (!iso.events.empty()) flags |= abi::FLAG_EVENTS_PENDING;
  if (iso.pool_loaded_ms >= 0 && now_ms - iso.pool_loaded_ms > Isolate::kPoolRefreshMs) flags |= abi::FLAG_POOL_STALE;
  if (iso.pool_loaded_ms >= 0 && iso.pool.halfway()) flags |= abi::FLAG_POOL_STALE | abi::FLAG_POOL_NEXT;
  return flags;
}

Action respond(Isolate& iso, Machine::State& s, Reply reply) {
  if (s.route.kind == Route::Kind::proxy) add_cors(s.route, reply);
  Action a;
  a.kind = ActionKind::RESPOND;
  a.status = reply.status;
  a.timeout_ms = s.route.body_timeout_ms;
  abi::HeaderList h;
  if (!reply.content_type.empty()) h.add("content-type", reply.content_type);
  bool has_cache_control = false;
  for (const auto& [name, value] : reply.headers) {
    if (name == "x-content-type-options" || name == "content-security-policy") continue;  // added below
    h.add(name, value);
    has_cache_control = has_cache_control || name == "cache-control";
  }
  // Nothing this Worker answers is a page to render: a browser must never sniff one into
  // HTML on this origin, whatever Google's content-type said.
  h.add("x-content-type-options", "nosniff");
  h.add("content-security-policy", "sandbox");
  if (s.route.kind == Route::Kind::proxy) {
    if (reply.status >= 500 || reply.status == 429) {
      std::string path = s.path.substr(0, 200);
      for (char& ch : path) {
        if (ch < 0x21 || ch > 0x7e) ch = '?';
      }
      a.log = std::string(api_family(s.route.api)) + " " + s.method + " " + path + ": " + std::to_string(reply.status) +
              " after " + std::to_string(s.attempts) + " attempt(s)";
    }
    h.add("x-balancer-attempts", std::to_string(s.attempts));
  } else if (s.route.kind == Route::Kind::admin && !has_cache_control) {
    h.add("cache-control", "no-store");
  }
  a.headers = h.text();
  a.flags = housekeeping(iso, s.now_ms);
  if (reply.body_as_read) {
    a.flags |= abi::FLAG_BODY_AS_READ;
  } else {
    a.body = std::move(reply.body);
  }
  s.phase = Phase::done;
  return a;
}

}  // namespace machine

Machine::Machine() : s_(std::make_unique<State>()) {}
Machine::~Machine() = default;

Action Machine::open(Isolate& iso, const abi::Reader& head) {
  State& s = *s_;
  s.method = std::string(head.str(F::METHOD));
  s.path = std::string(head.str(F::PATH));
  s.query = std::string(head.str(F::QUERY));
  s.headers = std::string(head.str(F::HEADERS));
  s.origin = std::string(head.str(F::ORIGIN));
  s.nonce = std::string(head.str(F::RANDOM));
  s.request_id = s.nonce.substr(0, 16);
  s.secure = head.num(F::OK) != 0 || s.origin.rfind("https:", 0) == 0;
  s.now_ms = head.integer(F::NOW, 0, 0, kMaxTimeMs);
  if (s.method.empty()) s.method = "GET";
  if (s.path.empty()) s.path = "/";
  Request r;
  r.method = s.method;
  r.path = s.path;
  r.query = s.query;
  r.headers = s.headers;
  r.now_ms = s.now_ms;
  r.secure = s.secure;
  r.url_origin = s.origin;
  r.nonce = s.nonce;
  s.route = route(iso.config, r, iso.router);
  switch (s.route.kind) {
    case Route::Kind::respond:
      return machine::respond(iso, s, std::move(s.route.reply));
    case Route::Kind::admin:
      return machine::admin_start(iso, s);
    case Route::Kind::proxy:
      break;
  }
  s.native = s.route.api == Api::native;
  if (s.route.api == Api::live) return machine::live_accept(iso, s);
  if (s.route.needs_body) {
    // A native body goes upstream untouched: the core reads it only to find what it names.
    const bool inspect = !s.native || !iso.pool.affinity().empty();
    return machine::read_body(iso, s, s.route.max_body, inspect);
  }
  return machine::start_proxy(iso, s);
}

Action Machine::feed(Isolate& iso, const abi::Reader& ev) {
  State& s = *s_;
  s.now_ms = ev.integer(F::NOW, s.now_ms, 0, kMaxTimeMs);
  const auto kind = static_cast<EventKind>(ev.integer(F::KIND, 0, 0, 255));
  const auto slot = static_cast<uint32_t>(ev.integer(F::SLOT, 0, 0, UINT32_MAX));
  const auto reason = static_cast<Reason>(ev.integer(F::REASON, 0, 0, 255));
  switch (kind) {
    case EventKind::BODY:
    case EventKind::BODY_FAILED: {
      if (s.phase == Phase::accepting) {
        if (kind == EventKind::BODY_FAILED) return machine::live_no_setup(iso, s);
        return machine::live_setup(iso, s, ev.bytes(F::BODY));
      }
      if (s.phase != Phase::reading_body) return machine::bad_state(iso, s);
      if (kind == EventKind::BODY_FAILED)
        return machine::respond(iso, s, machine::error_for(s, machine::body_error(s, reason)));
      if (ev.has(F::BODY)) {
        if (s.body_chunked) return machine::bad_state(iso, s);
        s.body = std::string(ev.bytes(F::BODY));
      }
      s.body_size = static_cast<uint64_t>(ev.integer(F::SIZE, static_cast<int64_t>(s.body.size()), 0, kMaxSafeInteger));
      // The shim counted what it passed: a chunk lost on the way is the request's end.
      if (s.body_chunked && s.body_size != s.body.size()) return machine::bad_state(iso, s);
      s.body_read = true;
      if (s.route.kind == Route::Kind::admin) return machine::admin_start(iso, s);
      return machine::start_proxy(iso, s);
    }
    case EventKind::POOL_READY:
      if (s.route.kind == Route::Kind::admin) return machine::admin_called(iso, s, true, "null");
      if (s.phase != Phase::running || !s.pool_task_pending) return machine::bad_state(iso, s);
      s.pool_task_pending = false;
      if (iso.pool_loaded_ms < 0) {
        // The pool could not be loaded: the request is answered as if it were empty.
        iso.pool_loaded_ms = -1;
        return machine::respond(
            iso, s,
            machine::error_for(s, api_error(503, "The key pool could not be reached; try again.", "pool_unavailable")));
      }
      return machine::run(iso, s);
    case EventKind::CALLED:
      if (s.route.kind == Route::Kind::admin)
        return machine::admin_called(iso, s, ev.num(F::OK) != 0, ev.str(F::RESULT));
      if (s.store == State::Store::none) return machine::bad_state(iso, s);
      return machine::responses_called(iso, s, ev.num(F::OK) != 0, ev.str(F::RESULT), ev.bytes(F::BODY));
    case EventKind::UPSTREAM_HEAD:
      if (s.phase != Phase::running || !machine::valid_slot(s, slot) || s.calls[slot].phase != Call::Phase::fetching) {
        return machine::bad_state(iso, s);
      }
      return machine::upstream_head(iso, s, slot, static_cast<int>(ev.integer(F::STATUS, 0, 0, 999)),
                                    ev.str(F::HEADERS));
    case EventKind::UPSTREAM_BODY:
      if (s.phase != Phase::running || !machine::valid_slot(s, slot)) return machine::bad_state(iso, s);
      if (s.calls[slot].phase != Call::Phase::reading_error && s.calls[slot].phase != Call::Phase::reading_body) {
        return machine::bad_state(iso, s);
      }
      return machine::upstream_body(iso, s, slot, std::string(ev.bytes(F::BODY)), reason);
    case EventKind::UPSTREAM_FAILED:
      if (s.phase != Phase::running || !machine::valid_slot(s, slot) || s.calls[slot].phase != Call::Phase::fetching) {
        return machine::bad_state(iso, s);
      }
      return machine::failed(iso, s, slot, 0, {});
    case EventKind::WAITED:
      if (s.phase != Phase::running || !machine::valid_slot(s, slot) || s.calls[slot].phase != Call::Phase::waiting) {
        return machine::bad_state(iso, s);
      }
      return machine::waited(iso, s, slot);
    case EventKind::MEDIA_DONE:
      if (s.phase != Phase::running || !machine::fetching_media(s, slot)) return machine::bad_state(iso, s);
      return machine::media_done(iso, s, slot, ev);
    case EventKind::SOCKET_OPEN:
    case EventKind::SOCKET_CLOSED:
      if (s.phase != Phase::running || s.route.api != Api::live || !machine::valid_slot(s, slot) ||
          s.calls[slot].phase != Call::Phase::fetching) {
        return machine::bad_state(iso, s);
      }
      if (kind == EventKind::SOCKET_OPEN) return machine::live_opened(iso, s, slot);
      return machine::live_closed(iso, s, slot, static_cast<int>(ev.integer(F::STATUS, 1006, 0, 4999)),
                                  std::string(ev.str(F::TEXT)), reason);
    case EventKind::CLIENT_CLOSED:
      if (s.route.api != Api::live || (s.phase != Phase::accepting && s.phase != Phase::running)) {
        return machine::bad_state(iso, s);
      }
      return machine::live_client_closed(iso, s);
  }
  return machine::bad_state(iso, s);
}

bool Machine::body_chunk(std::string_view bytes) {
  State& s = *s_;
  if (s.phase != Phase::reading_body || !s.body_inspect || bytes.size() > s.body_limit - s.body.size()) return false;
  if (!s.body_chunked) {
    s.body_chunked = true;
    // Room for the whole body at once: grown by doubling, an upload would take up to twice
    // its size, and both copies while it moves.
    const std::string_view declared = abi::header_value(s.headers, "content-length");
    uint64_t size = 0;
    const auto r = std::from_chars(declared.data(), declared.data() + declared.size(), size);
    if (r.ec == std::errc() && r.ptr == declared.data() + declared.size()) s.body.reserve(std::min(size, s.body_limit));
  }
  s.body.append(bytes);
  return true;
}

void Machine::chunk(Isolate& iso, std::string_view bytes, std::string& out) {
  (void)iso;
  State& s = *s_;
  if (s.phase == Phase::relaying) {
    // A Live message: Google reports usage per turn, so the session's is their sum.
    const live::Usage u = live::read_usage(bytes);
    s.live_usage.found = s.live_usage.found || u.found;
    s.live_usage.prompt += u.prompt;
    s.live_usage.response += u.response;
    return;
  }
  if (s.phase != Phase::streaming || !s.stream) return;
  s.stream->push(bytes, out);
  // At least the last kTailBytes, for the thought signatures the answer carries: trimmed
  // only when twice that has gathered, so each byte is moved at most once.
  s.tail.append(bytes);
  if (s.tail.size() > 2 * kTailBytes) s.tail.erase(0, s.tail.size() - kTailBytes);
}

void Machine::tick(std::string& out) {
  State& s = *s_;
  if (s.phase == Phase::streaming && s.stream) s.stream->ping(out);
}

bool Machine::end(Isolate& iso, Reason reason, std::string_view tail, std::string& out, std::vector<Task>* before) {
  State& s = *s_;
  if (s.phase != Phase::streaming) return true;
  s.phase = Phase::done;
  machine::Call& c = s.calls[s.stream_slot];
  if (reason == Reason::ABORTED) {
    // The client left: neither the key's fault nor Google's. Its tokens so far still count.
    machine::record(iso, s, c, Verdict{}, false, s.stream ? s.stream->usage() : gemini::Usage{});
    return true;
  }
  if (s.native) {
    bool ok = true;
    machine::native_end(iso, s, reason, tail, out, ok);
    return ok;
  }
  if (reason == Reason::none) {
    s.stream->finish(out);
  } else {
    s.stream->fail(
        api_error(502, reason == Reason::TIMEOUT ? "upstream stream stalled" : "upstream stream ended early"), out);
  }
  Verdict v;
  if (!s.stream->ok()) {
    v.outcome = Outcome::server_error;
    v.message = "upstream stream ended early";
  } else {
    if (c.key_id > 0) iso.pool.affinity().learn(c.up.method, c.up.path, s.tail, c.key_id, nullptr);
    if (before != nullptr) {
      if (auto save = machine::responses_stream_save(s)) before->push_back(std::move(*save));
    }
  }
  machine::record(iso, s, c, v, false, s.stream->usage());
  return true;
}

}  // namespace bal
