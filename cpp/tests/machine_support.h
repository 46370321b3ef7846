// machine_support.h — drives the request machine (machine.h) the way the Worker shim does,
// with a scripted upstream: tests say which answers Google gives, in order, and check the
// actions and the final answer.
//
//   Sim sim;
//   sim.keys(3);                                      // keys 1..3 in the pool
//   auto run = sim.run("POST", "/v1/chat/completions", sim.client(), chat_body,
//                      {answer(429, quota("PerMinute")), answer(200, reply)});
//   CHECK(run.status == 200);
//   CHECK(run.keys == std::vector<int64_t>{1, 2});
#pragma once

#include <algorithm>
#include <catch2/catch.hpp>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "balancer/json.h"
#include "balancer/machine.h"
#include "balancer/record.h"

namespace machine_test {

using bal::json;
using bal::abi::ActionKind;
using bal::abi::EventKind;
using bal::abi::F;
using bal::abi::TaskKind;

inline constexpr int64_t kT0 = 1764000000000;  // on an hour boundary
inline const std::string kClient = "client-token";
inline const std::string kAdmin = "admin-token";

inline std::string key_text(int64_t id) {
  std::string k = "AIzaSy" + std::string(33, static_cast<char>('a' + id % 26));
  k[7] = static_cast<char>('A' + id % 26);
  return k;
}

// A scripted upstream answer: status 0 is a connection that failed; `broken` a 2xx body
// that broke off while being read; `timeout` a fetch that gave up before the first byte.
struct Answer {
  int status = 200;
  std::string body;
  std::string headers = "content-type\napplication/json; charset=UTF-8\n";
  bool timeout = false;
};

inline Answer answer(int status, std::string body) {
  return {status, std::move(body)};
}

// What a MEDIA task's URL answers: a status with its content-type and bytes, a redirect to
// `location`, or a failure (`reason`: TOO_LARGE, TIMEOUT, NETWORK).
struct MediaAnswer {
  int status = 200;
  std::string mime;
  std::string body;
  std::string location;
  bal::abi::Reason reason = bal::abi::Reason::none;
};

// What one request did.
struct Run {
  bal::Action last;                  // the final action (RESPOND or STREAM)
  int status = 0;                    // its status
  json body;                         // its JSON body (null when not JSON)
  std::string raw;                   // its body bytes
  std::vector<int64_t> keys;         // pool key ids of the upstream calls, in order
  std::vector<int64_t> waits;        // WAIT tasks' ms, in order
  std::vector<bal::Task> fetches;    // every FETCH task, in order
  std::vector<bal::Task> media;      // every MEDIA task, in order
  size_t most_media = 0;             // MEDIA tasks under way at once, at most
  int pool_loads = 0;                // POOL tasks carried out
  std::vector<uint32_t> pool_flags;  // their FLAGS, in order
  std::string header(std::string_view name) const { return std::string(bal::abi::header_value(last.headers, name)); }
};

inline std::string pairs(const json& headers) {
  bal::abi::HeaderList h;
  for (const auto& [name, value] : headers.items()) h.add(name, value.get<std::string>());
  return h.text();
}

class Sim {
 public:
  explicit Sim(json bindings = json::object()) {
    if (!bindings.contains("AUTH_TOKENS")) bindings["AUTH_TOKENS"] = kClient;
    if (!bindings.contains("ADMIN_TOKEN")) bindings["ADMIN_TOKEN"] = kAdmin;
    if (!bindings.contains("GEMINI_API_BASE")) bindings["GEMINI_API_BASE"] = "https://up.example";
    iso.config = bal::make_config(bindings);
  }

  // Keys 1..n, all active; `extra` adds snapshot lines (cooldowns, affinities).
  void keys(int n, const std::string& extra = "") {
    std::string text;
    for (int64_t i = 1; i <= n; ++i) text += "K " + std::to_string(i) + " " + key_text(i) + " a\n";
    text += extra;
    REQUIRE(iso.pool.load(text, 0));
    iso.pool_loaded_ms = now;
  }

  json client() const { return {{"x-goog-api-key", kClient}, {"content-type", "application/json"}}; }
  json bearer() const { return {{"authorization", "Bearer " + kClient}, {"content-type", "application/json"}}; }

  bal::Action open(const std::string& method, const std::string& target, const json& headers) {
    machine = std::make_unique<bal::Machine>();
    const size_t q = target.find('?');
    std::string head;
    bal::abi::Writer w(head);
    w.str(F::METHOD, method).str(F::PATH, target.substr(0, q));
    w.str(F::QUERY, q == std::string::npos ? "" : target.substr(q + 1));
    w.str(F::HEADERS, pairs(headers)).str(F::ORIGIN, "https://worker.example").num(F::NOW, static_cast<double>(now));
    w.str(F::RANDOM, "0123456789abcdef0123456789abcdef");
    return machine->open(iso, bal::abi::Reader(head));
  }

  bal::Action feed(EventKind kind, uint32_t slot, const std::function<void(bal::abi::Writer&)>& more = {}) {
    std::string ev;
    bal::abi::Writer w(ev);
    w.num(F::KIND, static_cast<double>(kind)).num(F::SLOT, slot).num(F::NOW, static_cast<double>(now));
    if (more) more(w);
    return machine->feed(iso, bal::abi::Reader(ev));
  }

  // Runs one request to its answer: the body (if asked for) is `body`, upstream answers come
  // from `script` in order, waits advance the clock. Past the script, a fetch fails.
  Run run(const std::string& method, const std::string& target, const json& headers, const std::string& body,
          std::deque<Answer> script) {
    Run r;
    bal::Action a = open(method, target, headers);
    std::deque<std::pair<uint32_t, Answer>> heads;  // started fetches awaiting their answer
    std::deque<bal::Task> media;                    // started MEDIA tasks awaiting their answer
    std::vector<std::pair<uint32_t, std::string>> reading;
    std::string last_read;  // the last UPSTREAM_BODY fed
    for (int steps = 0; steps < 500; ++steps) {
      if (a.kind == ActionKind::RESPOND || a.kind == ActionKind::STREAM) break;
      if (a.kind == ActionKind::READ_BODY) {
        a = feed(EventKind::BODY, 0, [&](bal::abi::Writer& w) {
          if (a.flags & bal::abi::FLAG_INSPECT) {
            w.bytes(F::BODY, body);
          } else {
            w.num(F::SIZE, static_cast<double>(body.size()));
          }
        });
        continue;
      }
      if (a.kind == ActionKind::READ_UPSTREAM) {
        const uint32_t slot = a.slot;
        std::string bytes;
        for (auto& [s, b] : reading) {
          if (s == slot) bytes = b;
        }
        last_read = bytes;
        a = feed(EventKind::UPSTREAM_BODY, slot, [&](bal::abi::Writer& w) { w.bytes(F::BODY, bytes); });
        continue;
      }
      REQUIRE(a.kind == ActionKind::TASKS);
      std::vector<bal::Task> waits;
      for (const bal::Task& t : a.tasks) {
        if (t.kind == TaskKind::FETCH) {
          // The body the task points at is the request's: kept as it was sent.
          r.fetches.push_back(t);
          r.fetches.back().body = std::string(t.body_view);
          r.fetches.back().body_view = {};
          r.keys.push_back(key_id_of(t));
          heads.emplace_back(t.slot, script.empty() ? Answer{0, ""} : script.front());
          if (!script.empty()) script.pop_front();
        } else if (t.kind == TaskKind::WAIT) {
          waits.push_back(t);
        } else if (t.kind == TaskKind::POOL) {
          ++r.pool_loads;
          r.pool_flags.push_back(t.flags);
          pending_pool_ = t.slot;
          pending_pool_task_ = t;
        } else if (t.kind == TaskKind::CALL) {
          calls.push_back(t);
        } else if (t.kind == TaskKind::MEDIA) {
          r.media.push_back(t);
          media.push_back(t);
        }
      }
      r.most_media = std::max(r.most_media, media.size());
      // The shim awaits whichever task ends first: pool loads, then fetches, then waits.
      if (pending_pool_ != UINT32_MAX) {
        const uint32_t slot = pending_pool_;
        pending_pool_ = UINT32_MAX;
        if (on_pool) {
          on_pool(pending_pool_task_);
        } else if (iso.pool_loaded_ms < 0 && !pool_text_.empty()) {
          REQUIRE(iso.pool.load(pool_text_, 0));
          iso.pool_loaded_ms = now;
        }
        a = feed(EventKind::POOL_READY, slot, [](bal::abi::Writer& w) { w.num(F::OK, 1); });
        continue;
      }
      if (!media.empty() && on_media) {
        const bal::Task t = media.front();
        media.pop_front();
        const MediaAnswer m = on_media(t);
        a = feed(EventKind::MEDIA_DONE, t.slot, [&](bal::abi::Writer& w) {
          if (m.reason != bal::abi::Reason::none) {
            w.num(F::REASON, static_cast<double>(m.reason));
          } else if (!m.location.empty() || (m.status >= 300 && m.status < 400)) {
            w.num(F::STATUS, m.status).str(F::URL, m.location);
          } else {
            w.num(F::STATUS, m.status).str(F::MIME, m.mime).bytes(F::BODY, m.body);
          }
        });
        continue;
      }
      if (!heads.empty()) {
        // Named copies, not a structured binding: clang 14 (the sanitizer build) cannot capture
        // a binding in the lambdas below.
        const auto slot = heads.front().first;
        const auto ans = heads.front().second;
        heads.pop_front();
        if (ans.status == 0) {
          a = feed(EventKind::UPSTREAM_FAILED, slot, [&](bal::abi::Writer& w) {
            w.num(F::REASON, static_cast<double>(ans.timeout ? bal::abi::Reason::TIMEOUT : bal::abi::Reason::NETWORK));
          });
          continue;
        }
        reading.emplace_back(slot, ans.body);
        a = feed(EventKind::UPSTREAM_HEAD, slot,
                 [&](bal::abi::Writer& w) { w.num(F::STATUS, ans.status).str(F::HEADERS, ans.headers); });
        continue;
      }
      if (waits.empty() && !calls.empty() && on_call) {
        const bal::Task t = calls.back();
        const std::string result = on_call(t);
        a = feed(EventKind::CALLED, t.slot, [&](bal::abi::Writer& w) { w.num(F::OK, 1).str(F::RESULT, result); });
        continue;
      }
      REQUIRE(!waits.empty());
      now += waits.front().ms;
      r.waits.push_back(waits.front().ms);
      a = feed(EventKind::WAITED, waits.front().slot);
    }
    REQUIRE((a.kind == ActionKind::RESPOND || a.kind == ActionKind::STREAM));
    // The shim sends the upstream body it read itself when the core says so.
    if (a.kind == ActionKind::RESPOND && (a.flags & bal::abi::FLAG_BODY_AS_READ) != 0) {
      REQUIRE(a.body.empty());
      a.body = last_read;
    }
    r.last = a;
    r.status = a.status;
    r.raw = a.body;
    r.body = a.kind == ActionKind::RESPOND ? bal::parse_json(a.body) : json();
    if (r.body.is_discarded()) r.body = nullptr;
    return r;
  }

  // For a request whose pool is not loaded yet: the snapshot a POOL task loads.
  void pool_on_demand(int n) {
    for (int64_t i = 1; i <= n; ++i) pool_text_ += "K " + std::to_string(i) + " " + key_text(i) + " a\n";
  }

  // A slice of the pool (pool.h's lines) at `version`, as the key pool sends it.
  void slice(const std::string& text, int64_t version) {
    REQUIRE(iso.pool.load(text, 0, version));
    iso.pool_loaded_ms = now;
  }

  // Key events drained from the isolate, as the pool receives them.
  json events() { return bal::parse_json(iso.events.drain()); }

  int64_t key_id_of(const bal::Task& t) const {
    const std::string_view key = bal::abi::header_value(t.headers, "x-goog-api-key");
    for (size_t i = 0; i < iso.pool.size(); ++i) {
      if (iso.pool.at(i).key == key) return iso.pool.at(i).id;
    }
    return -1;
  }

  bal::Isolate iso;
  std::unique_ptr<bal::Machine> machine;
  std::vector<bal::Task> calls;
  // The key pool's answer to a CALL task (JSON), when a run reaches one.
  std::function<std::string(const bal::Task&)> on_call;
  // Carries out a POOL task before POOL_READY is fed, when set.
  std::function<void(const bal::Task&)> on_pool;
  // What a MEDIA task's URL answers, when a run reaches one.
  std::function<MediaAnswer(const bal::Task&)> on_media;
  int64_t now = kT0;

 private:
  uint32_t pending_pool_ = UINT32_MAX;
  bal::Task pending_pool_task_;
  std::string pool_text_;
};

// Gemini's error bodies, as Google writes them (GEMINI.md).
inline std::string gemini_error(int code, const std::string& status, const std::string& message,
                                const std::string& details = "[]") {
  return json{{"error", {{"code", code}, {"message", message}, {"status", status}, {"details", json::parse(details)}}}}
      .dump();
}

inline std::string quota(const std::string& quota_id, const std::string& delay = "28s") {
  return gemini_error(429, "RESOURCE_EXHAUSTED", "You exceeded your current quota.",
                      R"([{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaId":")" +
                          quota_id + R"("}]},{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":")" +
                          delay + R"("}])");
}

inline std::string reason_error(int code, const std::string& status, const std::string& reason,
                                const std::string& message) {
  return gemini_error(code, status, message,
                      R"([{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":")" + reason +
                          R"(","domain":"googleapis.com"}])");
}

inline const std::string kReply =
    R"({"candidates":[{"content":{"parts":[{"text":"Hi"}],"role":"model"},"finishReason":"STOP"}],)"
    R"("usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":1,"totalTokenCount":4}})";

inline const std::string kChat = R"({"model":"gemini-2.5-flash","messages":[{"role":"user","content":"Hi"}]})";
inline const std::string kGenerate = R"({"contents":[{"parts":[{"text":"Hi"}]}]})";
inline const std::string kNativePath = "/v1beta/models/gemini-2.5-flash:generateContent";

}  // namespace machine_test
