#include "balancer/events.h"

#include <algorithm>

#include "balancer/jsonout.h"

namespace bal {
namespace {

constexpr int64_t kHourMs = 3600 * 1000;
constexpr size_t kMaxErrorChars = 500;
constexpr size_t kMaxCreated = 100;

int rank(KeyAction a) {
  return a == KeyAction::disable ? 2 : a == KeyAction::cooldown ? 1 : 0;
}

const char* action_name(KeyAction a) {
  return a == KeyAction::disable ? "disable" : a == KeyAction::cooldown ? "cooldown" : "none";
}

}  // namespace

bool is_failure(Outcome o) {
  return o != Outcome::ok && o != Outcome::client_error && o != Outcome::location;
}

void EventLog::add(const KeyEvent& e) {
  if (e.key_id <= 0) return;
  const int64_t hour = e.at_ms / kHourMs * kHourMs;
  auto key = std::make_tuple(e.key_id, e.model, e.family, hour);
  auto it = groups_.find(key);
  if (it == groups_.end()) {
    if (groups_.size() >= kMaxGroups) {
      ++dropped_;
      return;
    }
    it = groups_.emplace(std::move(key), Merged{}).first;
  }
  Merged& m = it->second;
  m.at_ms = std::max(m.at_ms, e.at_ms);
  if (e.counted) {
    ++m.requests;
    if (e.outcome == Outcome::ok) ++m.successes;
    if (is_failure(e.outcome)) ++m.failures[outcome_name(e.outcome)];
  }
  m.prompt_tokens += std::max<int64_t>(0, e.prompt_tokens);
  m.completion_tokens += std::max<int64_t>(0, e.completion_tokens);
  // A client's own error says nothing about the key: it is not shown as the key's last error.
  if (is_failure(e.outcome) && !e.error.empty() && e.at_ms >= m.error_ms) {
    m.error = e.error.substr(0, kMaxErrorChars);
    m.error_ms = e.at_ms;
  }
  const int r = rank(e.action);
  if (r > rank(m.action) || (r == 1 && rank(m.action) == 1 && e.until_ms > m.until_ms)) {
    m.action = e.action;
    m.reason = outcome_name(e.outcome);
    m.until_ms = r == 1 ? e.until_ms : 0;
    m.scope = e.scope;
  }
  // Two cooldowns of one key and model hour with different scopes: every model wins.
  if (r == 1 && e.scope == "*") m.scope = "*";
  for (const std::string& c : e.created) {
    if (m.created.size() < kMaxCreated) m.created.insert(c);
  }
}

std::string EventLog::drain() {
  std::string out;
  {
    JsonOut w(out, 256 * groups_.size() + 2);
    w.begin_array();
    for (const auto& [key, m] : groups_) {
      const auto& [id, model, family, hour] = key;
      w.begin_object();
      w.key("id").number(id).key("model").string(model).key("family").string(family);
      w.key("hour_ms").number(hour).key("at_ms").number(m.at_ms);
      w.key("requests").number(m.requests).key("successes").number(m.successes);
      w.key("failures").begin_object();
      for (const auto& [outcome, n] : m.failures) w.key(outcome).number(n);
      w.end_object();
      w.key("prompt_tokens").number(m.prompt_tokens).key("completion_tokens").number(m.completion_tokens);
      w.key("error");
      if (m.error.empty()) {
        w.null();
      } else {
        w.string(m.error);
      }
      w.key("error_ms").number(m.error_ms);
      w.key("action").string(action_name(m.action)).key("reason").string(m.reason);
      w.key("scope").string(m.scope).key("until_ms").number(m.until_ms);
      w.key("created").begin_array();
      for (const std::string& c : m.created) w.string(c);
      w.end_array();
      w.end_object();
    }
    w.end_array();
  }
  groups_.clear();
  return out;
}

}  // namespace bal
