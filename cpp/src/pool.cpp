#include "balancer/pool.h"

#include <algorithm>
#include <charconv>

namespace bal {
namespace {

// Splits off the next space-separated field of `line`.
std::string_view next_field(std::string_view& line) {
  const size_t sp = line.find(' ');
  std::string_view field = line.substr(0, sp);
  line = sp == std::string_view::npos ? std::string_view{} : line.substr(sp + 1);
  return field;
}

bool to_int(std::string_view s, int64_t& out) {
  if (s.empty()) return false;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

bool cooling_for(const PoolKey& k, std::string_view model, int64_t now_ms, int64_t* until = nullptr) {
  bool cooling = false;
  for (const Cooldown& c : k.cooldowns) {
    if (c.until_ms > now_ms && (c.model == "*" || c.model == model)) {
      if (until != nullptr && (!cooling || c.until_ms > *until)) *until = c.until_ms;
      cooling = true;
    }
  }
  return cooling;
}

}  // namespace

bool Pool::load(std::string_view text, uint64_t seed) {
  std::vector<PoolKey> keys;
  std::unordered_map<int64_t, size_t> by_id;
  std::vector<std::pair<std::string, int64_t>> resources;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    const std::string_view tag = next_field(line);
    int64_t id = 0;
    if (!to_int(next_field(line), id)) return false;
    if (tag == "K") {
      PoolKey k;
      k.id = id;
      k.key = std::string(next_field(line));
      const std::string_view flags = next_field(line);
      if (k.key.empty() || (flags != "a" && flags != "d")) return false;
      k.disabled = flags == "d";
      // Keep what this isolate learnt about recent failures across refreshes.
      if (auto old = index_of(id)) k.failed_at_ms = keys_[*old].failed_at_ms;
      by_id[id] = keys.size();
      keys.push_back(std::move(k));
    } else if (tag == "A") {
      const std::string_view resource = next_field(line);
      if (resource.empty() || by_id.find(id) == by_id.end()) return false;
      resources.emplace_back(std::string(resource), id);
    } else if (tag == "C") {
      const std::string_view model = next_field(line);
      int64_t until = 0;
      if (model.empty() || !to_int(next_field(line), until)) return false;
      auto it = by_id.find(id);
      if (it == by_id.end()) return false;
      keys[it->second].cooldowns.push_back({std::string(model), until});
    } else {
      return false;
    }
  }
  keys_ = std::move(keys);
  by_id_ = std::move(by_id);
  models_.clear();
  affinity_.clear_resources();
  for (const auto& [resource, id] : resources) affinity_.add_resource(resource, id);
  cursor_ = keys_.empty() ? 0 : static_cast<size_t>(seed % keys_.size());
  return true;
}

std::optional<size_t> Pool::index_of(int64_t id) const {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return std::nullopt;
  return it->second;
}

bool Pool::eligible(const PoolKey& k, std::string_view model, int64_t now_ms) const {
  return !k.disabled && !cooling_for(k, model, now_ms);
}

bool Pool::recently_failed(const PoolKey& k, int64_t now_ms) {
  return k.failed_at_ms >= 0 && now_ms - k.failed_at_ms < kRecentFailureMs;
}

void Pool::refresh(ModelIndex& m, const std::string& model, size_t i, int64_t now_ms) {
  const bool usable = eligible(keys_[i], model, now_ms);
  m.usable.set(i, usable);
  m.ready.set(i, usable && !recently_failed(keys_[i], now_ms));
}

void Pool::schedule(ModelIndex& m, size_t i, int64_t now_ms) {
  const PoolKey& k = keys_[i];
  for (const Cooldown& c : k.cooldowns) {
    if (c.until_ms > now_ms) m.wakes.push({c.until_ms, i});
  }
  if (recently_failed(k, now_ms)) m.wakes.push({k.failed_at_ms + kRecentFailureMs, i});
}

Pool::ModelIndex& Pool::index_for(const std::string& model, int64_t now_ms) {
  auto it = models_.find(model);
  if (it == models_.end()) {
    it = models_.emplace(model, ModelIndex{FlagTree(keys_.size()), FlagTree(keys_.size()), {}}).first;
    for (size_t i = 0; i < keys_.size(); ++i) {
      refresh(it->second, model, i, now_ms);
      schedule(it->second, i, now_ms);
    }
  }
  ModelIndex& m = it->second;
  while (!m.wakes.empty() && m.wakes.top().at_ms <= now_ms) {
    const size_t i = m.wakes.top().index;
    m.wakes.pop();
    refresh(m, model, i, now_ms);
  }
  return m;
}

// The first set flag from the cursor on (wrapping) whose key the request has not tried.
std::optional<size_t> Pool::first_allowed(const FlagTree& t, const std::vector<int64_t>& exclude) const {
  size_t from = cursor_;
  for (size_t tries = 0; tries <= exclude.size() && tries < t.count(); ++tries) {
    const size_t i = t.next_from(from);
    if (i >= t.size()) return std::nullopt;
    if (std::find(exclude.begin(), exclude.end(), keys_[i].id) == exclude.end()) return i;
    from = i + 1 >= t.size() ? 0 : i + 1;
  }
  return std::nullopt;
}

std::optional<size_t> Pool::select(std::string_view model, int64_t now_ms, const std::vector<int64_t>& exclude,
                                   std::optional<int64_t> prefer) {
  if (keys_.empty()) return std::nullopt;
  if (prefer) {
    const auto i = index_of(*prefer);
    if (i && eligible(keys_[*i], model, now_ms) &&
        std::find(exclude.begin(), exclude.end(), *prefer) == exclude.end()) {
      return i;
    }
  }
  ModelIndex& m = index_for(std::string(model), now_ms);
  std::optional<size_t> pick = first_allowed(m.ready, exclude);
  if (!pick) pick = first_allowed(m.usable, exclude);
  if (pick) cursor_ = (*pick + 1) % keys_.size();
  return pick;
}

void Pool::touched(size_t i, int64_t now_ms) {
  for (auto& [model, m] : models_) {
    refresh(m, model, i, now_ms);
    schedule(m, i, now_ms);
  }
}

void Pool::apply(int64_t id, KeyAction action, std::string_view model, bool all_models, int64_t until_ms,
                 int64_t now_ms) {
  auto index = index_of(id);
  if (!index) return;
  PoolKey& k = keys_[*index];
  switch (action) {
    case KeyAction::none:
      return;
    case KeyAction::disable:
      k.disabled = true;
      k.failed_at_ms = now_ms;
      break;
    case KeyAction::cooldown: {
      k.failed_at_ms = now_ms;
      const std::string scope = all_models || model.empty() ? std::string("*") : std::string(model);
      bool found = false;
      for (Cooldown& c : k.cooldowns) {
        if (c.model == scope) {
          c.until_ms = std::max(c.until_ms, until_ms);
          found = true;
        }
      }
      if (!found) k.cooldowns.push_back({scope, until_ms});
      break;
    }
  }
  touched(*index, now_ms);
}

PoolStatus Pool::status(std::string_view model, int64_t now_ms) const {
  PoolStatus s;
  s.total = keys_.size();
  for (const PoolKey& k : keys_) {
    int64_t until = 0;
    if (k.disabled) {
      ++s.disabled;
    } else if (cooling_for(k, model, now_ms, &until)) {
      ++s.cooling;
      if (s.earliest_until_ms == 0 || until < s.earliest_until_ms) s.earliest_until_ms = until;
    } else {
      ++s.active;
    }
  }
  return s;
}

}  // namespace bal
