#include "balancer/pool.h"

#include <algorithm>
#include <charconv>
#include <limits>

namespace bal {
namespace {

constexpr int64_t kNoClock = std::numeric_limits<int64_t>::min();

// The lines of pool.h: each field is an id or number (n), a key, model or resource (t), or a
// state (f: a or d).
struct LineShape {
  char tag;
  std::string_view fields;
};

constexpr LineShape kLines[] = {
    {'W', "nn"}, {'T', "n"}, {'K', "ntf"}, {'P', "ntf"}, {'D', "n"}, {'R', "n"}, {'C', "ntn"}, {'A', "nt"}, {'F', "t"},
};

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

// Whether cooldown scope `held` stops a call that picks keys by `scope` (classify.h:
// selection_scope): every model's, its own, and for a grounded call its model's too.
bool grounding_scope(std::string_view scope) {
  return scope.size() >= kGroundingScope.size() &&
         scope.substr(scope.size() - kGroundingScope.size()) == kGroundingScope;
}

bool stops(std::string_view held, std::string_view scope) {
  if (held == "*" || held == scope) return true;
  return grounding_scope(scope) && held == scope.substr(0, scope.size() - kGroundingScope.size()) && !held.empty();
}

bool cooling_for(const PoolKey& k, std::string_view model, int64_t now_ms, int64_t* until = nullptr) {
  bool cooling = false;
  for (const Cooldown& c : k.cooldowns) {
    if (c.until_ms > now_ms && stops(c.model, model)) {
      if (until != nullptr && (!cooling || c.until_ms > *until)) *until = c.until_ms;
      cooling = true;
    }
  }
  return cooling;
}

// Adds a cooldown (the later end wins) and lets go of those that are over.
void cool(PoolKey& k, std::string_view scope, int64_t until_ms, int64_t now_ms) {
  std::erase_if(k.cooldowns, [&](const Cooldown& c) { return c.until_ms <= now_ms && c.model != scope; });
  for (Cooldown& c : k.cooldowns) {
    if (c.model == scope) {
      c.until_ms = std::max(c.until_ms, until_ms);
      return;
    }
  }
  k.cooldowns.push_back({std::string(scope), until_ms});
}

bool before(const PoolKey& k, int64_t id) {
  return k.id < id;
}

}  // namespace

bool Pool::parse(std::string_view text, std::vector<Change>& out) {
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    const std::string_view tag = next_field(line);
    const auto shape = std::find_if(std::begin(kLines), std::end(kLines),
                                    [&](const LineShape& s) { return tag.size() == 1 && tag[0] == s.tag; });
    if (shape == std::end(kLines)) return false;
    Change c;
    c.tag = shape->tag;
    size_t numbers = 0;
    for (const char kind : shape->fields) {
      const std::string_view field = next_field(line);
      if (field.empty()) return false;
      if (kind == 'n' && !to_int(field, c.n[numbers++])) return false;
      if (kind == 't') c.text = field;
      if (kind == 'f') {
        if (field != "a" && field != "d") return false;
        c.disabled = field == "d";
      }
    }
    if (!line.empty()) return false;
    out.push_back(c);
  }
  return true;
}

bool Pool::load(std::string_view snapshot, uint64_t seed, int64_t version) {
  std::vector<Change> changes;
  if (!parse(snapshot, changes)) return false;
  // A snapshot of the slice it already holds (sent when it is too far behind) goes on from
  // where it was rather than over the keys it has used.
  const Slice had = slice_;
  const int64_t was_at = cursor_;
  // What this isolate learnt about recent failures outlives a reload.
  std::vector<std::pair<int64_t, int64_t>> failures;
  for (const PoolKey& k : keys_) {
    if (k.failed_at_ms >= 0 && !k.gone) failures.emplace_back(k.id, k.failed_at_ms);
  }
  keys_.clear();
  models_.clear();
  gone_ = 0;
  slice_ = {};
  total_ = 0;
  affinity_.clear_resources();
  bool resliced = false;
  for (const Change& c : changes) {
    apply_change(c, kNoClock);
    resliced = resliced || c.tag == 'W';
  }
  settle(kNoClock, resliced, false);
  for (const auto& [id, at] : failures) {
    if (PoolKey* k = held(id)) k->failed_at_ms = at;
  }
  reseed(seed);
  if (partial() && had.lo == slice_.lo && had.hi == slice_.hi && slice_.contains(was_at)) cursor_ = was_at;
  version_ = version;
  return true;
}

bool Pool::update(std::string_view text, int64_t from, int64_t to, int64_t now_ms, bool keep_unused) {
  std::vector<Change> changes;
  if (from != version_ || !parse(text, changes)) return false;
  bool resliced = false;
  for (const Change& c : changes) {
    apply_change(c, now_ms);
    resliced = resliced || c.tag == 'W';
  }
  settle(now_ms, resliced, keep_unused);
  version_ = to;
  return true;
}

void Pool::apply_change(const Change& c, int64_t now_ms) {
  switch (c.tag) {
    case 'W':
      slice_ = {c.n[0], c.n[1]};
      return;
    case 'T':
      total_ = c.n[0] > 0 ? static_cast<size_t>(c.n[0]) : 0;
      return;
    case 'K':
    case 'P':
      put(c, now_ms);
      return;
    case 'A':
    case 'F': {
      const auto before = affinity_.owner(c.text);
      if (c.tag == 'A') affinity_.add_resource(c.text, c.n[0]);
      if (c.tag == 'F') affinity_.forget(c.text);
      if (PoolKey* k = before ? held(*before) : nullptr; k != nullptr && !wanted(*k)) drop(k, now_ms);
      return;
    }
  }
  PoolKey* k = held(c.n[0]);
  if (k == nullptr) return;
  if (c.tag == 'D') k->disabled = true;
  if (c.tag == 'C' && k->member) {
    cool(*k, c.text, c.n[1], now_ms);
    noted(c.text, c.n[1]);
  }
  if (c.tag == 'R' || (c.tag == 'D' && !wanted(*k))) {
    drop(k, now_ms);
    return;
  }
  changed(k, now_ms);
}

// A key is held while it is an enabled key of the slice or an affinity names it.
bool Pool::wanted(const PoolKey& k) const {
  return (k.member && !k.disabled) || affinity_.names(k.id);
}

void Pool::drop(PoolKey* k, int64_t now_ms) {
  k->gone = true;
  if (k >= keys_.data() && k < keys_.data() + keys_.size()) ++gone_;
  changed(k, now_ms);
}

// A K or P line: a key of the slice, or one an affinity names, comes or changes.
void Pool::put(const Change& c, int64_t now_ms) {
  const int64_t id = c.n[0];
  PoolKey* k = slot(id);
  if (k == nullptr || k->gone) {
    const bool member = slice_.contains(id);
    if (c.tag == 'K' && !(member && !c.disabled) && !affinity_.names(id)) return;
    if (k == nullptr) {
      // Ids come in ascending order but for keys named by an affinity.
      auto at = added_.empty() || added_.back().id < id ? added_.end()
                                                        : std::lower_bound(added_.begin(), added_.end(), id, before);
      k = &*added_.emplace(at);
      k->id = id;
    } else if (k >= keys_.data() && k < keys_.data() + keys_.size()) {
      --gone_;
    }
    k->gone = false;
  }
  if (k->key != c.text) k->key.assign(c.text);
  k->disabled = c.disabled;
  if (c.tag == 'K') k->cooldowns.clear();
  k->member = slice_.contains(id);
  // An affinity line follows a P line: the key is kept until then.
  if (c.tag == 'K' && !wanted(*k)) {
    drop(k, now_ms);
    return;
  }
  changed(k, now_ms);
}

// Ends a batch: new keys join (at the end when their ids are the highest, as they are but
// after a new slice), and keys a new slice leaves are let go.
void Pool::settle(int64_t now_ms, bool resliced, bool keep_unused) {
  std::erase_if(added_, [](const PoolKey& k) { return k.gone; });
  if (!added_.empty()) {
    if (keys_.empty()) {
      keys_.swap(added_);
      models_.clear();
    } else if (added_.front().id > keys_.back().id) {
      for (PoolKey& k : added_) {
        keys_.push_back(std::move(k));
        for (auto& [model, m] : models_) {
          m.usable.push_back(false);
          m.ready.push_back(false);
          refresh(m, model, keys_.size() - 1, now_ms);
          schedule(m, keys_.size() - 1, now_ms);
        }
      }
    } else {
      std::vector<PoolKey> merged;
      merged.reserve(keys_.size() + added_.size());
      std::merge(std::make_move_iterator(keys_.begin()), std::make_move_iterator(keys_.end()),
                 std::make_move_iterator(added_.begin()), std::make_move_iterator(added_.end()),
                 std::back_inserter(merged), [](const PoolKey& a, const PoolKey& b) { return a.id < b.id; });
      keys_ = std::move(merged);
      models_.clear();
    }
    added_.clear();
  }
  if (resliced || gone_ * 2 > keys_.size()) compact(keep_unused || !resliced);
  if (resliced) {
    turns_ = 0;
    slice_members_ = members();
  }
}

void Pool::compact(bool keep_unused) {
  std::erase_if(keys_, [&](PoolKey& k) {
    const bool in = slice_.contains(k.id);
    const bool unused = keep_unused && k.member && !k.picked && !k.disabled;
    if (!k.member && in) k.picked = false;
    k.member = in || unused;
    // Only the slice's cooldowns are sent: others held for long would go stale.
    if (!k.member) k.cooldowns.clear();
    return k.gone || !wanted(k);
  });
  gone_ = 0;
  models_.clear();
}

void Pool::reseed(uint64_t seed) {
  // Isolates hold different slices, so each starts at its slice's first key: a start inside
  // it would leave the keys below the start until the cursor came round the whole pool, past
  // the slices that come next, a sweep of the object later.
  cursor_ = slice_.lo;
  if (partial() || size() == 0) return;
  uint64_t skip = seed % size();
  for (const PoolKey& k : keys_) {
    if (!k.gone && skip-- == 0) {
      cursor_ = k.id;
      return;
    }
  }
}

PoolKey* Pool::slot(int64_t id) {
  for (std::vector<PoolKey>* v : {&keys_, &added_}) {
    auto it = std::lower_bound(v->begin(), v->end(), id, before);
    if (it != v->end() && it->id == id) return &*it;
  }
  return nullptr;
}

PoolKey* Pool::held(int64_t id) {
  PoolKey* k = slot(id);
  return k != nullptr && !k->gone ? k : nullptr;
}

void Pool::changed(const PoolKey* k, int64_t now_ms) {
  if (k >= keys_.data() && k < keys_.data() + keys_.size()) touched(static_cast<size_t>(k - keys_.data()), now_ms);
}

size_t Pool::members() const {
  return static_cast<size_t>(
      std::count_if(keys_.begin(), keys_.end(), [](const PoolKey& k) { return k.member && !k.gone; }));
}

const PoolKey* Pool::find(int64_t id) const {
  const auto i = index_of(id);
  return i ? &keys_[*i] : nullptr;
}

std::optional<size_t> Pool::index_of(int64_t id) const {
  auto it = std::lower_bound(keys_.begin(), keys_.end(), id, before);
  if (it == keys_.end() || it->id != id || it->gone) return std::nullopt;
  return static_cast<size_t>(it - keys_.begin());
}

bool Pool::eligible(const PoolKey& k, std::string_view model, int64_t now_ms) const {
  return !k.gone && !k.disabled && !cooling_for(k, model, now_ms);
}

bool Pool::usable(const PoolKey& k, std::string_view model, int64_t now_ms) const {
  return k.member && eligible(k, model, now_ms);
}

bool Pool::recently_failed(const PoolKey& k, int64_t now_ms) {
  return k.failed_at_ms >= 0 && now_ms - k.failed_at_ms < kRecentFailureMs;
}

void Pool::refresh(ModelIndex& m, const std::string& model, size_t i, int64_t now_ms) {
  const bool on = usable(keys_[i], model, now_ms);
  m.usable.set(i, on);
  m.ready.set(i, on && !recently_failed(keys_[i], now_ms));
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
    std::vector<uint8_t> usable_now(keys_.size());
    std::vector<uint8_t> ready_now(keys_.size());
    for (size_t i = 0; i < keys_.size(); ++i) {
      usable_now[i] = usable(keys_[i], model, now_ms) ? 1 : 0;
      ready_now[i] = usable_now[i] != 0 && !recently_failed(keys_[i], now_ms) ? 1 : 0;
    }
    it = models_.emplace(model, ModelIndex{FlagTree::from(usable_now), FlagTree::from(ready_now), {}}).first;
    for (size_t i = 0; i < keys_.size(); ++i) schedule(it->second, i, now_ms);
  }
  ModelIndex& m = it->second;
  while (!m.wakes.empty() && m.wakes.top().at_ms <= now_ms) {
    const size_t i = m.wakes.top().index;
    m.wakes.pop();
    if (i < keys_.size()) refresh(m, model, i, now_ms);
  }
  return m;
}

// The first set flag from the cursor on (wrapping) whose key the request has not tried.
std::optional<size_t> Pool::first_allowed(const FlagTree& t, const std::vector<int64_t>& exclude) const {
  size_t from = static_cast<size_t>(std::lower_bound(keys_.begin(), keys_.end(), cursor_, before) - keys_.begin());
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
  if (!exclude.empty()) {
    for (size_t n = 1; n <= answered_.size(); ++n) {
      const int64_t id = answered_[(answered_next_ + answered_.size() - n) % answered_.size()];
      if (id == 0 || std::find(exclude.begin(), exclude.end(), id) != exclude.end()) continue;
      const auto i = index_of(id);
      if (i && usable(keys_[*i], model, now_ms) && !recently_failed(keys_[*i], now_ms)) return i;
    }
  }
  ModelIndex& m = index_for(std::string(model), now_ms);
  std::optional<size_t> pick = first_allowed(m.ready, exclude);
  if (!pick) pick = first_allowed(m.usable, exclude);
  if (pick) {
    PoolKey& k = keys_[*pick];
    cursor_ = k.id + 1;
    k.picked = true;
    ++turns_;
    // A key a new slice left is used once, then let go.
    if (!slice_.contains(k.id)) {
      k.member = false;
      touched(*pick, now_ms);
    }
  }
  return pick;
}

void Pool::noted(std::string_view scope, int64_t until_ms) {
  if (grounding_scope(scope)) grounding_until_ms_ = std::max(grounding_until_ms_, until_ms);
}

void Pool::answered(int64_t id) {
  if (std::find(answered_.begin(), answered_.end(), id) != answered_.end()) return;
  answered_[answered_next_] = id;
  answered_next_ = (answered_next_ + 1) % answered_.size();
}

void Pool::touched(size_t i, int64_t now_ms) {
  for (auto& [model, m] : models_) {
    refresh(m, model, i, now_ms);
    schedule(m, i, now_ms);
  }
}

void Pool::apply(int64_t id, KeyAction action, std::string_view model, bool all_models, int64_t until_ms,
                 int64_t now_ms, bool grounding) {
  auto index = index_of(id);
  if (!index || action == KeyAction::none) return;
  PoolKey& k = keys_[*index];
  // A key out of grounding still serves its model as well as any: not a failure of the key.
  if (!grounding) k.failed_at_ms = now_ms;
  if (action == KeyAction::disable) k.disabled = true;
  if (action == KeyAction::cooldown) {
    const std::string scope = cooldown_scope(model, all_models, grounding);
    cool(k, scope, until_ms, now_ms);
    noted(scope, until_ms);
  }
  touched(*index, now_ms);
}

PoolStatus Pool::status(std::string_view model, int64_t now_ms) const {
  PoolStatus s;
  for (const PoolKey& k : keys_) {
    if (k.gone || !k.member) continue;
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
  s.total = std::max(total_, s.disabled + s.cooling + s.active);
  return s;
}

}  // namespace bal
