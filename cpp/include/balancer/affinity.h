// affinity.h — requests that must go to the key that made something.
//
// Uploaded files and cached contents belong to the Google project of the key that created
// them; Gemini 3 thought signatures are bound to it too. The pool remembers which key
// created which resource (from the snapshot, shared by every isolate) and which key produced
// which thought signature (in this isolate, bounded), and a request that names one of them
// is sent with that key while it is usable.
//
//   bal::Affinity a;
//   a.learn(R"({"file": {"name": "files/abc-123"}})", 7, &created);  // created == {"files/abc-123"}
//   a.key_for("/v1beta/files/abc-123", "") == 7
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace bal {

class Affinity {
 public:
  static constexpr size_t kMaxSignatures = 20000;
  static constexpr size_t kMaxResources = 100000;

  // Remembers that `resource` ("files/x", "cachedContents/y") belongs to key `key_id`.
  void add_resource(std::string_view resource, int64_t key_id);
  void clear_resources() { resources_.clear(); }

  // Reads an answer made with key `key_id` that creates or describes files or cached
  // contents (never generated content: a model can be made to quote any name): remembers the
  // resources it names, appending new ones to `created`.
  void learn_resources(std::string_view answer, int64_t key_id, std::vector<std::string>* created);
  // Remembers the thought signatures an answer made with key `key_id` carries.
  void learn_signatures(std::string_view answer, int64_t key_id);

  // The key a request must use: the first resource its path or body names, else the first
  // thought signature in its body that this isolate has seen.
  std::optional<int64_t> key_for(std::string_view path, std::string_view body) const;

  bool empty() const { return resources_.empty() && signatures_.empty(); }
  size_t resource_count() const { return resources_.size(); }
  size_t signature_count() const { return signatures_.size(); }

 private:
  std::unordered_map<std::string, int64_t> resources_;
  std::unordered_map<uint64_t, int64_t> signatures_;
  std::deque<uint64_t> signature_order_;  // oldest first, for eviction
};

// The resource names ("files/abc", "cachedContents/xyz") that `text` mentions, in order.
std::vector<std::string> resource_names(std::string_view text);

// The values of thoughtSignature / thought_signature fields in `text` (raw JSON spans).
std::vector<std::string_view> thought_signatures(std::string_view text);

}  // namespace bal
