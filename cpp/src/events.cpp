#include "balancer/events.h"

#include <algorithm>

#include "balancer/affinity.h"
#include "balancer/jsonout.h"

namespace bal {
namespace {

constexpr int64_t kHourMs = 3600 * 1000;
constexpr size_t kMaxErrorChars = 500;
constexpr size_t kMaxCreatedPerEvent = 100;

template <typename C>
void write_counts(JsonOut& w, const C& c) {
  w.key("requests").number(c.requests).key("successes").number(c.successes).key("failures").number(c.failures);
  w.key("prompt_tokens").number(c.prompt_tokens).key("completion_tokens").number(c.completion_tokens);
}

}  // namespace

bool is_failure(Outcome o) {
  return o != Outcome::ok && o != Outcome::client_error && o != Outcome::location;
}

size_t EventLog::size() const {
  return keys_.size() + hours_.size() + families_.size() + failures_.size() + disables_.size() + cooldowns_.size() +
         created_.size();
}

void EventLog::count(Counts& c, const KeyEvent& e) {
  if (e.counted) {
    ++c.requests;
    if (e.outcome == Outcome::ok) ++c.successes;
    if (is_failure(e.outcome)) ++c.failures;
  }
  c.prompt_tokens += std::max<int64_t>(0, e.prompt_tokens);
  c.completion_tokens += std::max<int64_t>(0, e.completion_tokens);
}

void EventLog::add(const KeyEvent& e) {
  if (e.key_id <= 0) return;
  const bool new_key = keys_.find(e.key_id) == keys_.end();
  if ((new_key && keys_.size() >= kMaxKeys) || size() >= kMaxRows) {
    ++dropped_;
    return;
  }
  const int64_t id = e.key_id;
  const int64_t hour = e.at_ms / kHourMs * kHourMs;
  KeyTotals& k = keys_[id];
  count(k.counts, e);
  count(hours_[{id, hour}], e);
  count(families_[{e.family, hour}], e);
  k.at_ms = std::max(k.at_ms, e.at_ms);
  if (e.counted && is_failure(e.outcome)) ++failures_[{id, outcome_name(e.outcome)}];
  // A client's own error says nothing about the key: it is not shown as the key's last error.
  if (is_failure(e.outcome) && !e.error.empty() && e.at_ms >= k.error_ms) {
    k.error = e.error.substr(0, kMaxErrorChars);
    k.error_ms = e.at_ms;
  }
  if (e.action == KeyAction::disable) {
    Ending& d = disables_[id];
    if (d.reason.empty() || e.at_ms > d.at_ms) d = {e.at_ms, outcome_name(e.outcome)};
  } else if (e.action == KeyAction::cooldown && e.until_ms > 0) {
    Ending& c = cooldowns_[{id, e.scope.empty() ? std::string("*") : e.scope}];
    if (e.until_ms > c.at_ms) c = {e.until_ms, outcome_name(e.outcome)};
  }
  for (size_t i = 0; i < e.created.size() && i < kMaxCreatedPerEvent; ++i) {
    // Resources become words of the pool's change lines: only well-formed names.
    if (!is_resource_name(e.created[i])) continue;
    int64_t& when = created_[{id, e.created[i]}];
    when = std::max(when, e.at_ms);
  }
}

std::string EventLog::drain() {
  std::string out;
  {
    JsonOut w(out, 128 * size() + 128);
    w.begin_object().key("keys").begin_array();
    for (const auto& [id, k] : keys_) {
      w.begin_object().key("id").number(id);
      write_counts(w, k.counts);
      w.key("used_ms").number(k.counts.requests > 0 ? k.at_ms : 0).key("error");
      if (k.error.empty()) {
        w.null();
      } else {
        w.string(k.error);
      }
      w.key("error_ms").number(k.error_ms).end_object();
    }
    w.end_array().key("hours").begin_array();
    for (const auto& [at, c] : hours_) {
      w.begin_object().key("id").number(at.first).key("hour_ms").number(at.second);
      write_counts(w, c);
      w.end_object();
    }
    w.end_array().key("families").begin_array();
    for (const auto& [at, c] : families_) {
      w.begin_object().key("family").string(at.first).key("hour_ms").number(at.second);
      write_counts(w, c);
      w.end_object();
    }
    w.end_array().key("failures").begin_array();
    for (const auto& [at, n] : failures_) {
      w.begin_object().key("id").number(at.first).key("outcome").string(at.second).key("count").number(n).end_object();
    }
    w.end_array().key("disables").begin_array();
    for (const auto& [id, d] : disables_) {
      w.begin_object().key("id").number(id).key("reason").string(d.reason).key("at_ms").number(d.at_ms).end_object();
    }
    w.end_array().key("cooldowns").begin_array();
    for (const auto& [at, c] : cooldowns_) {
      w.begin_object().key("id").number(at.first).key("scope").string(at.second);
      w.key("until_ms").number(c.at_ms).key("reason").string(c.reason).end_object();
    }
    w.end_array().key("created").begin_array();
    for (const auto& [at, when] : created_) {
      w.begin_object().key("id").number(at.first).key("resource").string(at.second).key("at_ms").number(when);
      w.end_object();
    }
    w.end_array().end_object();
  }
  keys_.clear();
  hours_.clear();
  families_.clear();
  failures_.clear();
  disables_.clear();
  cooldowns_.clear();
  created_.clear();
  return out;
}

}  // namespace bal
