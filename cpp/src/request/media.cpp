// Media URLs in the request machine (media_url.h): the translation names the http(s) URLs it
// met, the shim fetches each one (a MEDIA task: one GET, no redirect followed), redirects are
// followed here with every target checked again, and the fetched bytes go inline when the
// request is translated again. Every failure is the client's 400 naming the URL.
#include "internal.h"

namespace bal::machine {
namespace {

using abi::ActionKind;
using abi::F;
using abi::Reason;
using abi::TaskKind;
using media::FetchEnd;
using State = Machine::State;

bool is_redirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

Task media_task(const State& s, uint32_t i) {
  const MediaFetch& f = s.fetching[i];
  Task t;
  t.kind = TaskKind::MEDIA;
  t.slot = kMediaSlot + i;
  t.url = f.url;
  t.max_bytes = static_cast<uint64_t>(s.media.policy().limits().max_bytes);
  t.timeout_ms = f.deadline_ms - s.now_ms;
  return t;
}

// Starts queued fetches while fewer than kMaxParallelMedia are under way.
void start_queued(State& s, Action& a) {
  size_t running = 0;
  for (const MediaFetch& f : s.fetching) running += f.phase == MediaFetch::Phase::fetching ? 1 : 0;
  for (uint32_t i = 0; i < s.fetching.size() && running < kMaxParallelMedia; ++i) {
    MediaFetch& f = s.fetching[i];
    if (f.phase != MediaFetch::Phase::queued) continue;
    f.phase = MediaFetch::Phase::fetching;
    f.deadline_ms = s.now_ms + s.media.policy().limits().timeout_ms;
    a.tasks.push_back(media_task(s, i));
    ++running;
  }
}

Action tasks(const Isolate& iso, const State& s) {
  Action a;
  a.kind = ActionKind::TASKS;
  a.flags = housekeeping(iso, s.now_ms);
  return a;
}

// A fetch ended without bytes to keep: the client's 400, in the request's format.
Action refuse(Isolate& iso, State& s, uint32_t i, media::Fetched f) {
  const media::UrlMedia::Item& item = s.media.items()[i];
  const media::UrlPolicy& policy = s.media.policy();
  std::string_view mime;
  auto err = policy.accept(item.url, f, item.kind, item.param, mime);
  if (!err)
    err = api_error(400, "The media URL " + item.url + " could not be fetched.", "invalid_media_url", item.param);
  return respond(iso, s, s.tr.exchange->error(*err));
}

FetchEnd end_of(Reason reason) {
  switch (reason) {
    case Reason::TOO_LARGE:
      return FetchEnd::too_large;
    case Reason::TIMEOUT:
      return FetchEnd::timeout;
    default:
      return FetchEnd::network;
  }
}

// A redirect: followed when its target may be fetched, within the count and the time left.
std::optional<Action> follow(Isolate& iso, State& s, uint32_t i, std::string_view location, Action& a) {
  MediaFetch& f = s.fetching[i];
  const media::UrlPolicy& policy = s.media.policy();
  media::Fetched refused;
  refused.redirect_to = location;
  if (location.empty() || policy.check(location, s.media.items()[i].param)) {
    refused.end = FetchEnd::bad_redirect;
    return refuse(iso, s, i, refused);
  }
  if (++f.redirects > policy.limits().max_redirects) {
    refused.end = FetchEnd::too_many_redirects;
    return refuse(iso, s, i, refused);
  }
  if (f.deadline_ms <= s.now_ms) {
    refused.end = FetchEnd::timeout;
    return refuse(iso, s, i, refused);
  }
  f.url = std::string(location);
  a.tasks.push_back(media_task(s, i));
  return std::nullopt;
}

}  // namespace

std::optional<Action> media_start(Isolate& iso, State& s) {
  if (s.media.complete()) return std::nullopt;
  const auto& items = s.media.items();
  for (size_t i = s.fetching.size(); i < items.size(); ++i) {
    MediaFetch f;
    f.url = items[i].url;
    s.fetching.push_back(std::move(f));
  }
  s.phase = Phase::running;
  Action a = tasks(iso, s);
  start_queued(s, a);
  return a;
}

bool fetching_media(const State& s, uint32_t slot) {
  return slot >= kMediaSlot && slot - kMediaSlot < s.fetching.size() &&
         s.fetching[slot - kMediaSlot].phase == MediaFetch::Phase::fetching;
}

Action media_done(Isolate& iso, State& s, uint32_t slot, const abi::Reader& ev) {
  const uint32_t i = slot - kMediaSlot;
  const auto reason = static_cast<Reason>(ev.integer(F::REASON, 0, 0, 255));
  media::Fetched f;
  if (reason != Reason::none) {
    f.end = end_of(reason);
    return refuse(iso, s, i, f);
  }
  f.status = static_cast<int>(ev.integer(F::STATUS, 0, 0, 999));
  Action a = tasks(iso, s);
  if (is_redirect(f.status)) {
    if (auto refused = follow(iso, s, i, ev.str(F::URL), a)) return std::move(*refused);
    return a;
  }
  f.content_type = ev.str(F::MIME);
  f.bytes = ev.bytes(F::BODY);
  if (auto err = s.media.fetched(i, f)) return respond(iso, s, s.tr.exchange->error(*err));
  s.fetching[i].phase = MediaFetch::Phase::done;
  if (s.media.complete()) return translate_and_run(iso, s);
  start_queued(s, a);
  return a;
}

}  // namespace bal::machine
