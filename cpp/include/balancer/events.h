// events.h — key events, merged in the isolate into the rows the key pool writes.
//
// Every upstream attempt is an event: which key, model and API family, what came of it, what
// it means for the key (the verdict: disable, cool down until T for a scope, or nothing),
// tokens, and resources the answer created. A busy isolate makes hundreds a second; merged,
// they become the rows of the pool's tables with the same totals, so that the KeyPool object
// writes each table with one statement and decides nothing itself:
//   keys       per key: requests (counted events), successes (outcome "ok"), failures (the
//              upstream's or the key's: a client's own error or region is not), tokens,
//              used_ms (the newest event, when one was counted; else 0), and the newest
//              failure's error (null when none) and error_ms
//   hours      per key and hour: the same counts, for usage over time
//   families   per API family and hour: the same counts, for traffic per family
//   failures   per key and outcome: how many
//   disables   per key an event disabled: the outcome as the reason, and when
//   cooldowns  per key and scope (the model, or "*" for every model): the latest end, and the
//              outcome that set it as the reason
//   created    per key and resource ("files/x", "cachedContents/y") an answer created
//
//   bal::EventLog log;
//   log.add({.key_id = 7, .model = "gemini-2.5-flash", .family = "openai.chat", .outcome = Outcome::ok, ...});
//   std::string json = log.drain();   // {"keys":[{"id":7,"requests":1,...}],"hours":[...],...}, then empty
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "balancer/classify.h"

namespace bal {

struct KeyEvent {
  int64_t key_id = 0;
  std::string model;
  std::string family;  // "gemini", "openai.chat", "openai.embeddings" ...
  Outcome outcome = Outcome::ok;
  KeyAction action = KeyAction::none;
  std::string scope;     // cooldown: the model, or "*" for every model (classify.h: cooldown_scope)
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
  // Past these, events that would add a key (or any row) are dropped and counted: a pool
  // that cannot be reached must not grow the isolate without bound.
  static constexpr size_t kMaxKeys = 5000;
  static constexpr size_t kMaxRows = 20000;

  void add(const KeyEvent& e);
  bool empty() const { return keys_.empty(); }
  size_t size() const;  // rows in all tables
  // The rows as one JSON object of tables (see the header comment); empties the log.
  std::string drain();
  // Events dropped because the log was full.
  uint64_t dropped() const { return dropped_; }

 private:
  struct Counts {
    int64_t requests = 0;
    int64_t successes = 0;
    int64_t failures = 0;
    int64_t prompt_tokens = 0;
    int64_t completion_tokens = 0;
  };
  struct KeyTotals {
    Counts counts;
    int64_t at_ms = 0;
    std::string error;
    int64_t error_ms = 0;
  };
  struct Ending {
    int64_t at_ms = 0;  // a disable's time, or a cooldown's end
    std::string reason;
  };
  std::map<int64_t, KeyTotals> keys_;
  std::map<std::pair<int64_t, int64_t>, Counts> hours_;
  std::map<std::pair<std::string, int64_t>, Counts> families_;
  std::map<std::pair<int64_t, std::string>, int64_t> failures_;
  std::map<int64_t, Ending> disables_;
  std::map<std::pair<int64_t, std::string>, Ending> cooldowns_;
  std::map<std::pair<int64_t, std::string>, int64_t> created_;
  uint64_t dropped_ = 0;

  static void count(Counts& c, const KeyEvent& e);
};

// Whether an outcome is a failure of the key or of Google (the client's own errors are not).
bool is_failure(Outcome o);

}  // namespace bal
