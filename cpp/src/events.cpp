#include "balancer/events.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <tuple>

namespace bal {
namespace {

constexpr int64_t kHourMs = 3600 * 1000;

struct Merged {
  int64_t id = 0;
  std::string model;
  int64_t hour_ms = 0;
  int64_t at_ms = 0;
  int64_t requests = 0;
  int64_t successes = 0;
  std::map<std::string, int64_t> failures;
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  std::string error;
  int64_t error_ms = 0;
  int action_rank = 0;  // 0 none, 1 cooldown, 2 disable
  std::string reason;
  int64_t until_ms = 0;
  bool all_models = false;
  std::set<std::string> created;
};

int64_t whole(const json& e, std::string_view name) {
  const auto v = get_number(e, name);
  return v && *v > 0 && *v < 9.0e15 ? static_cast<int64_t>(*v) : 0;
}

bool is_failure(std::string_view outcome) {
  return outcome != "ok" && outcome != "client_error" && outcome != "location";
}

void add(Merged& m, const json& e) {
  const std::string_view outcome = get_string(e, "outcome", "ok");
  const int64_t at = whole(e, "at_ms");
  m.at_ms = std::max(m.at_ms, at);
  if (get_bool(e, "count", true)) {
    ++m.requests;
    if (outcome == "ok") ++m.successes;
    if (is_failure(outcome)) ++m.failures[std::string(outcome)];
  }
  m.prompt_tokens += whole(e, "prompt_tokens");
  m.completion_tokens += whole(e, "completion_tokens");
  // A client's own error says nothing about the key: it is not shown as the key's last error.
  const std::string_view error = is_failure(outcome) ? get_string(e, "error") : std::string_view{};
  if (!error.empty() && at >= m.error_ms) {
    m.error = std::string(error.substr(0, 500));
    m.error_ms = at;
  }
  const std::string_view action = get_string(e, "action", "none");
  const int rank = action == "disable" ? 2 : action == "cooldown" ? 1 : 0;
  const int64_t until = whole(e, "until_ms");
  if (rank > m.action_rank || (rank == 1 && m.action_rank == 1 && until > m.until_ms)) {
    m.action_rank = rank;
    m.reason = std::string(outcome);
    m.until_ms = rank == 1 ? until : 0;
  }
  if (rank == 1 && get_bool(e, "all_models")) m.all_models = true;
  if (const json* created = get_field(e, "created"); created != nullptr && created->is_array()) {
    for (const json& r : *created) {
      if (r.is_string()) m.created.insert(r.get<std::string>());
    }
  }
}

json to_json(const Merged& m) {
  static constexpr const char* kActions[] = {"none", "cooldown", "disable"};
  json failures = json::object();
  for (const auto& [outcome, n] : m.failures) failures[outcome] = n;
  json created = json::array();
  for (const std::string& r : m.created) created.push_back(r);
  return {{"id", m.id},
          {"model", m.model},
          {"hour_ms", m.hour_ms},
          {"at_ms", m.at_ms},
          {"requests", m.requests},
          {"successes", m.successes},
          {"failures", std::move(failures)},
          {"prompt_tokens", m.prompt_tokens},
          {"completion_tokens", m.completion_tokens},
          {"error", m.error.empty() ? json(nullptr) : json(m.error)},
          {"error_ms", m.error_ms},
          {"action", kActions[m.action_rank]},
          {"reason", m.reason},
          {"until_ms", m.until_ms},
          {"all_models", m.all_models},
          {"created", std::move(created)}};
}

}  // namespace

json merge_events(const json& events) {
  std::map<std::tuple<int64_t, std::string, int64_t>, Merged> groups;
  if (events.is_array()) {
    for (const json& e : events) {
      const int64_t id = whole(e, "id");
      if (!e.is_object() || id == 0) continue;
      const int64_t hour = whole(e, "at_ms") / kHourMs * kHourMs;
      const std::string model(get_string(e, "model"));
      Merged& m = groups[{id, model, hour}];
      m.id = id;
      m.model = model;
      m.hour_ms = hour;
      add(m, e);
    }
  }
  json out = json::array();
  for (const auto& [key, m] : groups) out.push_back(to_json(m));
  return out;
}

}  // namespace bal
