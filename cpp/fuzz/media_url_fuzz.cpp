// Media URLs: any URL a client names and anything a server answers with, to the policy and
// through the request machine (a chat image_url fetched by MEDIA tasks, redirects followed in
// the core). Input (FuzzedDataProvider): how the fetch ended, the status and the kind (from
// the end), the URL and the content type (random-length strings), the body (the rest). A
// redirect leads to the content type; "too many redirects" keeps redirecting.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <functional>
#include <string>

#include "balancer/jsonout.h"
#include "balancer/machine.h"
#include "balancer/media_url.h"
#include "balancer/openai.h"
#include "fuzz_support.h"

namespace {

using bal::abi::ActionKind;
using bal::abi::EventKind;
using bal::abi::F;
using bal::abi::Reason;
using bal::abi::TaskKind;
using bal::media::FetchEnd;

constexpr std::string_view kReply =
    R"({"candidates":[{"content":{"parts":[{"text":"a cat"}],"role":"model"},"finishReason":"STOP"}]})";

bal::Action feed(bal::Machine& m, bal::Isolate& iso, EventKind kind, uint32_t slot,
                 const std::function<void(bal::abi::Writer&)>& more) {
  std::string ev;
  bal::abi::Writer w(ev);
  w.num(F::KIND, static_cast<double>(kind)).num(F::SLOT, slot).num(F::NOW, 1700000000000.0);
  more(w);
  return m.feed(iso, bal::abi::Reader(ev));
}

// What the shim reports for a MEDIA task, as the input says the fetch ends.
void media_done(bal::abi::Writer& w, const bal::media::Fetched& f, const bal::Task& t) {
  switch (f.end) {
    case FetchEnd::timeout:
      w.num(F::REASON, static_cast<double>(Reason::TIMEOUT));
      return;
    case FetchEnd::too_large:
      w.num(F::REASON, static_cast<double>(Reason::TOO_LARGE));
      return;
    case FetchEnd::network:
      w.num(F::REASON, static_cast<double>(Reason::NETWORK));
      return;
    case FetchEnd::too_many_redirects:
      w.num(F::STATUS, 302).str(F::URL, t.url + "x");
      return;
    case FetchEnd::bad_redirect:
      w.num(F::STATUS, 302).str(F::URL, f.content_type);
      return;
    case FetchEnd::ok:
      break;
  }
  w.num(F::STATUS, f.status).str(F::MIME, f.content_type).bytes(F::BODY, f.bytes);
}

void chat(const std::string& url, const bal::media::Fetched& f) {
  static bal::Isolate iso = [] {
    bal::Isolate i;
    i.config = bal::make_config(bal::json{{"AUTH_TOKENS", "tok"}});
    i.pool.load("K 1 AIzaSyA1234567890abcdefghijklmnopqrstuv a\n", 0);
    i.pool_loaded_ms = 1700000000000;
    return i;
  }();
  std::string body;
  {
    bal::JsonOut w(body);
    w.begin_object().key("model").string("gemini-2.5-flash").key("messages").begin_array().begin_object();
    w.key("role").string("user").key("content").begin_array().begin_object();
    w.key("type").string("image_url").key("image_url").begin_object().key("url").string(url).end_object();
    w.end_object().end_array().end_object().end_array().end_object();
  }
  bal::Machine m;
  std::string head;
  bal::abi::Writer hw(head);
  hw.str(F::METHOD, "POST").str(F::PATH, "/v1/chat/completions").str(F::HEADERS, "authorization\nBearer tok\n");
  hw.num(F::NOW, 1700000000000.0).str(F::RANDOM, "0123456789abcdef0123456789abcdef");
  bal::Action a = m.open(iso, bal::abi::Reader(head));
  a = feed(m, iso, EventKind::BODY, 0, [&](bal::abi::Writer& w) { w.bytes(F::BODY, body); });
  int media = 0;
  for (int steps = 0; steps < 64 && a.kind != ActionKind::RESPOND; ++steps) {
    if (a.kind == ActionKind::READ_UPSTREAM) {
      a = feed(m, iso, EventKind::UPSTREAM_BODY, a.slot, [](bal::abi::Writer& w) { w.bytes(F::BODY, kReply); });
      continue;
    }
    FUZZ_CHECK(a.kind == ActionKind::TASKS && !a.tasks.empty());
    const bal::Task t = a.tasks[0];
    if (t.kind == TaskKind::MEDIA) {
      ++media;
      FUZZ_CHECK(t.headers.empty() && t.timeout_ms > 0 && t.max_bytes > 0);
      a = feed(m, iso, EventKind::MEDIA_DONE, t.slot, [&](bal::abi::Writer& w) { media_done(w, f, t); });
    } else {
      FUZZ_CHECK(t.kind == TaskKind::FETCH);
      a = feed(m, iso, EventKind::UPSTREAM_HEAD, t.slot, [](bal::abi::Writer& w) {
        w.num(F::STATUS, 200).str(F::HEADERS, "content-type\napplication/json\n");
      });
    }
  }
  FUZZ_CHECK(a.kind == ActionKind::RESPOND);
  FUZZ_CHECK(media <= 6);  // the URL, and at most five redirects
  FUZZ_CHECK(fuzz::is_json(a.body));
  fuzz::check_error_body_has_no_key(a.body);
  iso.events.drain();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  bal::media::Fetched f;
  f.end = static_cast<bal::media::FetchEnd>(in.ConsumeIntegralInRange<int>(0, 5));
  f.status = in.ConsumeIntegralInRange<int>(0, 999);
  const auto kind = static_cast<bal::media::Kind>(in.ConsumeIntegralInRange<int>(0, 3));
  const std::string url = in.ConsumeRandomLengthString(300);
  const std::string type = in.ConsumeRandomLengthString(100);
  const std::string bytes = in.ConsumeRemainingBytesAsString();
  f.content_type = type;
  f.bytes = bytes;
  f.redirect_to = type;

  const bal::media::UrlPolicy policy;
  if (auto err = policy.check(url, "u")) {
    FUZZ_CHECK(err->status == 400 && err->param == "u" && !err->message.empty());
  } else {
    FUZZ_CHECK(url.size() <= 4096);
  }
  std::string part;
  if (auto err = policy.to_inline(url, f, kind, "u", part)) {
    FUZZ_CHECK(err->status == 400 && part.empty());
    // The error's message quotes the URL: it must still make a valid body.
    FUZZ_CHECK(fuzz::is_json(bal::openai::error_reply(*err).body));
  } else {
    FUZZ_CHECK(f.end == bal::media::FetchEnd::ok && f.status >= 200 && f.status <= 299 && !bytes.empty());
    FUZZ_CHECK(fuzz::is_json(part));
  }
  chat(url, f);
  return 0;
}
