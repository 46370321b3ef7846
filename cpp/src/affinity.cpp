#include "balancer/affinity.h"

#include <array>
#include <utility>

#include "balancer/rawjson.h"

namespace bal {
namespace {

struct LessonRow {
  std::string_view method;
  bool upload;  // under /upload/
  std::string_view collection;
  bool named;  // the path names one resource of the collection
  Lesson lesson;
};

// Read top to bottom; the first row that fits wins. Lists are left out on purpose: a page of
// a hundred names would teach nothing a request needs and would fill the table.
constexpr LessonRow kLessons[] = {
    {"POST", true, "files", false, Lesson::created},  // resumable upload: start, then finalize
    {"PUT", true, "files", false, Lesson::created},
    {"POST", false, "files", false, Lesson::created},  // media.upload without the media
    {"GET", false, "files", true, Lesson::described},
    {"POST", false, "cachedContents", false, Lesson::created},
    {"GET", false, "cachedContents", true, Lesson::described},
    {"PATCH", false, "cachedContents", true, Lesson::described},
    {"GET", false, "batches", true, Lesson::described},
    {"POST", false, "fileSearchStores", false, Lesson::created},
    {"GET", false, "fileSearchStores", true, Lesson::described},
    // An interaction is stored in its project (store defaults to true): getting it, polling a
    // background one, cancelling it and continuing from it (previous_interaction_id) go there.
    {"POST", false, "interactions", false, Lesson::created},
    {"GET", false, "interactions", true, Lesson::described},
};

constexpr std::string_view kModelCalls[] = {":generateContent", ":streamGenerateContent"};
// Model methods whose answer is a resource of the project that started it, not the model's
// output: a batch ("batches/…") or a long-running operation ("models/…/operations/…").
constexpr std::string_view kModelJobs[] = {":batchGenerateContent", ":asyncBatchEmbedContent", ":predictLongRunning"};

// Operations live under their model or store ("models/veo-3/operations/abc"): the
// "operations/abc" part names one wherever it appears.
constexpr std::string_view kResourceKinds[] = {"files/",      "cachedContents/", "batches/", "fileSearchStores/",
                                               "operations/", "interactions/"};
constexpr std::string_view kInteractions = "interactions/";
constexpr std::string_view kSignatureFields[] = {"\"thoughtSignature\"", "\"thought_signature\""};
constexpr size_t kMaxResourceId = 128;

bool is_id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

uint64_t fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (char c : s) {
    h ^= static_cast<uint8_t>(c);
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace

std::vector<std::string> resource_names(std::string_view text) {
  std::vector<std::string> out;
  for (std::string_view kind : kResourceKinds) {
    for (size_t at = text.find(kind); at != std::string_view::npos; at = text.find(kind, at + 1)) {
      // Only whole path segments: "/files/x" or a JSON string starting with "files/x".
      if (at > 0 && text[at - 1] != '/' && text[at - 1] != '"') continue;
      size_t end = at + kind.size();
      while (end < text.size() && end - at - kind.size() < kMaxResourceId && is_id_char(text[end])) ++end;
      if (end == at + kind.size()) continue;
      out.emplace_back(text.substr(at, end - at));
    }
  }
  return out;
}

std::vector<std::string_view> thought_signatures(std::string_view text) {
  // Both field names end in kSuffix, whose last byte is a quote: the scan goes from quote to
  // quote (raw::find_byte, sixteen bytes a step) and looks back for either whole name. A
  // Horspool skip on the suffix cost more than twice as much on a long answer: each step
  // waited on the table look-up of the last, and the letters of "ignature" are common in text.
  static constexpr std::string_view kSuffix = "ignature\"";
  std::vector<std::string_view> out;
  const size_t m = kSuffix.size();
  for (size_t quote = raw::find_byte(text, '"'); quote != std::string_view::npos;
       quote = raw::find_byte(text, '"', quote + 1)) {
    const size_t end_of_name = quote + 1;
    if (end_of_name < m || text.compare(end_of_name - m, m, kSuffix) != 0) continue;
    bool named = false;
    for (std::string_view field : kSignatureFields) {
      named =
          named || (end_of_name >= field.size() && text.compare(end_of_name - field.size(), field.size(), field) == 0);
    }
    if (!named) continue;
    size_t i = end_of_name;
    while (i < text.size() &&
           (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r' || text[i] == ':'))
      ++i;
    if (i >= text.size() || text[i] != '"') continue;
    const size_t start = i + 1;
    size_t end = start;
    while (end < text.size() && text[end] != '"') end += text[end] == '\\' ? 2 : 1;
    if (end >= text.size() || end == start) continue;
    out.push_back(text.substr(start, end - start));
    quote = end;
  }
  return out;
}

bool is_resource_name(std::string_view text) {
  const std::vector<std::string> names = resource_names(text);
  return names.size() == 1 && names[0] == text;
}

void Affinity::own(int64_t key_id, bool on) {
  if (on) {
    ++owners_[key_id];
    return;
  }
  auto it = owners_.find(key_id);
  if (it != owners_.end() && --it->second == 0) owners_.erase(it);
}

void Affinity::add_resource(std::string_view resource, int64_t key_id) {
  auto [it, inserted] = resources_.try_emplace(std::string(resource), key_id);
  if (inserted && resources_.size() > kMaxResources) {
    resources_.erase(it);
    return;
  }
  if (!inserted) own(std::exchange(it->second, key_id), false);
  own(key_id, true);
}

void Affinity::forget(std::string_view resource) {
  auto it = resources_.find(std::string(resource));
  if (it == resources_.end()) return;
  own(it->second, false);
  resources_.erase(it);
}

std::optional<int64_t> Affinity::owner(std::string_view resource) const {
  auto it = resources_.find(std::string(resource));
  if (it == resources_.end()) return std::nullopt;
  return it->second;
}

void Affinity::clear_resources() {
  for (const auto& [resource, id] : resources_) own(id, false);
  resources_.clear();
}

namespace {

// What follows the API version in a path ("/upload/v1beta/files" → "files"), "" if none does.
std::string_view after_version(std::string_view path) {
  if (path.substr(0, 8) == "/upload/") path.remove_prefix(7);
  for (std::string_view version : {"/v1beta/", "/v1alpha/", "/v1/"}) {
    if (path.substr(0, version.size()) == version) return path.substr(version.size());
  }
  return {};
}

}  // namespace

std::string_view resource_kind(std::string_view path) {
  const std::string_view rest = after_version(path);
  return rest.substr(0, rest.find_first_of("/:"));
}

bool stored_interaction(std::string_view path, std::string_view body) {
  if (after_version(path) != "interactions" || body.empty()) return true;
  raw::document doc;
  return doc.parse(body) != raw::success || doc.root().get("store").as_bool() != false;
}

Lesson lesson_for(std::string_view method, std::string_view path) {
  const bool upload = path.substr(0, 8) == "/upload/";
  const std::string_view rest = after_version(path);
  if (rest.empty()) return Lesson::nothing;
  if (!upload && rest.substr(0, 7) == "models/") {
    const auto ends_with = [&](std::string_view call) {
      return rest.size() > call.size() && rest.substr(rest.size() - call.size()) == call;
    };
    for (std::string_view call : kModelCalls) {
      if (ends_with(call)) return Lesson::signatures;
    }
    for (std::string_view job : kModelJobs) {
      if (ends_with(job)) return Lesson::created;
    }
    return Lesson::nothing;
  }
  const size_t slash = rest.find('/');
  const std::string_view collection = rest.substr(0, slash);
  const std::string_view id = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
  for (const LessonRow& row : kLessons) {
    if (row.method != method || row.upload != upload || row.collection != collection) continue;
    const bool names_one = !id.empty() && is_resource_name(rest);
    if (row.named ? names_one : id.empty()) return row.lesson;
  }
  return Lesson::nothing;
}

namespace {

// An interaction's name from its "id" ("interactions/" + id), when well formed; "" otherwise.
std::string interaction_name(raw::value id) {
  if (!id.is_string() || id.has_escapes()) return {};
  std::string name(kInteractions);
  name += id.raw();
  return is_resource_name(name) ? name : std::string();
}

// An interaction streamed as server-sent events: the first event (from the start of the
// answer, or of its tail) whose data is an object naming "interaction" with its "id" (the
// created, status and completed events); "" if none does. Model text travels inside JSON
// strings, so it cannot make such an event.
std::string streamed_interaction(std::string_view answer) {
  for (size_t at = answer.find("data:"); at != std::string_view::npos; at = answer.find("data:", at + 5)) {
    if (at > 0 && answer[at - 1] != '\n') continue;
    const size_t end = answer.find('\n', at);
    std::string_view data =
        answer.substr(at + 5, end == std::string_view::npos ? std::string_view::npos : end - at - 5);
    raw::document doc;
    if (doc.parse(data) != raw::success) continue;
    std::string name = interaction_name(doc.root().get("interaction").get("id"));
    if (!name.empty()) return name;
  }
  return {};
}

// The resource an answer gives as its own ("name", or "file"."name" after an upload; an
// interaction's "id"), when it is a well-formed resource name ("operations/…" of an
// operation under its model); "" otherwise.
std::string own_name(raw::value root, bool interaction) {
  if (interaction) return interaction_name(root.get("id"));
  raw::value name = root.get("name");
  if (!name.is_string()) name = root.get("file").get("name");
  if (!name.is_string() || name.has_escapes()) return {};
  std::string_view text = name.raw();
  if (const size_t at = text.find("/operations/"); text.substr(0, 7) == "models/" && at != std::string_view::npos) {
    text.remove_prefix(at + 1);
  }
  return is_resource_name(text) ? std::string(text) : std::string();
}

// The file of a finished batch's answers, which Google made in the batch's project: the
// "responsesFile" of its output, when the answer describes a batch; "" otherwise.
std::string batch_output_file(raw::value root) {
  if (!root.get("name").is_string() || root.get("name").raw().substr(0, 8) != "batches/") return {};
  raw::value file = root.get("response").get("responsesFile");
  if (!file.is_string()) file = root.get("metadata").get("output").get("responsesFile");
  if (!file.is_string() || file.has_escapes()) return {};
  const std::string text(file.raw());
  return text.substr(0, 6) == "files/" && is_resource_name(text) ? text : std::string();
}

// A description must be of the resource the path asked for: the path ends with "/" + name.
bool describes(std::string_view path, std::string_view name) {
  return path.size() > name.size() && path.substr(path.size() - name.size()) == name &&
         path[path.size() - name.size() - 1] == '/';
}

}  // namespace

void Affinity::learn(std::string_view method, std::string_view path, std::string_view answer, int64_t key_id,
                     std::vector<std::string>* created) {
  const Lesson lesson = lesson_for(method, path);
  if (lesson == Lesson::created || lesson == Lesson::described) {
    const bool interaction = resource_kind(path) == "interactions";
    raw::document doc;
    const bool json = doc.parse(answer) == raw::success;
    if (!json && !interaction) return;
    const std::string name = json ? own_name(doc.root(), interaction) : streamed_interaction(answer);
    if (name.empty() || (lesson == Lesson::described && !describes(path, name))) return;
    std::vector<std::string> names{name};
    if (std::string file = json ? batch_output_file(doc.root()) : std::string(); !file.empty()) {
      names.push_back(std::move(file));
    }
    for (const std::string& n : names) {
      auto it = resources_.find(n);
      if (it != resources_.end() && it->second == key_id) continue;
      add_resource(n, key_id);
      if (created != nullptr) created->push_back(n);
    }
    return;
  }
  if (lesson != Lesson::signatures) return;
  for (std::string_view sig : thought_signatures(answer)) {
    const uint64_t h = fnv1a(sig);
    if (signatures_.emplace(h, key_id).second) {
      own(key_id, true);
      signature_order_.push_back(h);
      if (signature_order_.size() > kMaxSignatures) {
        auto oldest = signatures_.find(signature_order_.front());
        own(oldest->second, false);
        signatures_.erase(oldest);
        signature_order_.pop_front();
      }
    }
  }
}

std::optional<int64_t> Affinity::key_for(std::string_view path, std::string_view body) const {
  if (empty()) return std::nullopt;
  for (std::string_view text : {path, body}) {
    for (const std::string& r : resource_names(text)) {
      auto it = resources_.find(r);
      if (it != resources_.end()) return it->second;
    }
  }
  // A new interaction that continues a stored one names it by its bare id.
  if (resource_kind(path) == "interactions" && !body.empty()) {
    raw::document doc;
    if (doc.parse(body) == raw::success && doc.root().is_object()) {
      const std::string name = interaction_name(doc.root().get("previous_interaction_id"));
      if (auto it = resources_.find(name); !name.empty() && it != resources_.end()) return it->second;
    }
  }
  for (std::string_view sig : thought_signatures(body)) {
    auto it = signatures_.find(fnv1a(sig));
    if (it != signatures_.end()) return it->second;
  }
  return std::nullopt;
}

}  // namespace bal
