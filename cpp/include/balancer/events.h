// events.h — key events, merged in the isolate before they go to the key pool.
//
// Every upstream attempt is an event: which key, model and API family, what came of it, what
// it means for the key (the verdict: disable, cool down until T for a scope, or nothing),
// tokens, and resources the answer created. A busy isolate makes hundreds a second; merged
// per key, model, family and hour they become a few rows of SQL with the same totals:
//   requests / successes   counted events, and those whose outcome is "ok"
//   failures               per outcome, for counted events that are the upstream's or the
//                          key's failures (a client's own error or region is not)
//   tokens                 summed; the newest failure's error and time kept
//   action                 the strongest: disable over cooldown (latest end) over none;
//                          the pool applies it as given (scope "*" = every model)
//   created                every resource named, once
//
//   bal::EventLog log;
//   log.add({.key_id = 7, .model = "gemini-2.5-flash", .family = "openai.chat", .outcome = Outcome::ok, ...});
//   std::string json = log.drain();   // [{"id":7,"model":...,"requests":1,...}], then empty
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "balancer/classify.h"

namespace bal {

struct KeyEvent {
  int64_t key_id = 0;
  std::string model;
  std::string family;  // "gemini", "openai.chat", "openai.embeddings" ...
  Outcome outcome = Outcome::ok;
  KeyAction action = KeyAction::none;
  std::string scope;     // cooldown: the model, or "*" for every model
  int64_t until_ms = 0;  // cooldown end
  bool counted = true;   // false: adds tokens or a late failure to a use already counted
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  std::string error;  // redacted
  int64_t at_ms = 0;
  std::vector<std::string> created;  // files/…, cachedContents/…
};

class EventLog {
 public:
  static constexpr size_t kMaxGroups = 5000;  // past this, new groups are dropped (counted)

  void add(const KeyEvent& e);
  bool empty() const { return groups_.empty(); }
  size_t size() const { return groups_.size(); }
  // The merged events as a JSON array (see the header comment for the fields); empties the
  // log.
  std::string drain();
  // Events dropped because the log was full (a pool that cannot be reached).
  uint64_t dropped() const { return dropped_; }

 private:
  struct Merged {
    int64_t at_ms = 0;
    int64_t requests = 0;
    int64_t successes = 0;
    std::map<std::string, int64_t> failures;
    int64_t prompt_tokens = 0;
    int64_t completion_tokens = 0;
    std::string error;
    int64_t error_ms = 0;
    KeyAction action = KeyAction::none;
    std::string reason;
    std::string scope;
    int64_t until_ms = 0;
    std::set<std::string> created;
  };
  // key id, model, family, hour
  std::map<std::tuple<int64_t, std::string, std::string, int64_t>, Merged> groups_;
  uint64_t dropped_ = 0;
};

// Whether an outcome is a failure of the key or of Google (the client's own errors are not).
bool is_failure(Outcome o);

}  // namespace bal
