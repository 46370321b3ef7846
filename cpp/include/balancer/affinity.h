// affinity.h — requests that must go to the key that made something.
//
// Uploaded files, cached contents and stored interactions belong to the Google project of the
// key that created them; Gemini 3 thought signatures are bound to it too. The pool remembers which key
// created which resource (from the snapshot, shared by every isolate) and which key produced
// which thought signature (in this isolate, bounded), and a request that names one of them
// is sent with that key while it is usable.
//
// What an answer may teach is decided by the request that got it, never by what the answer
// happens to contain: a model's output can say "files/<anyone's id>" if a client asks it to.
// Ownership is learnt only from the answers that create or describe a resource (the upload
// that finishes a file, GET of a file, creating, reading or updating a cached content), and
// only the name the answer gives as the resource's own; signatures only from model calls.
//
//   bal::Affinity a;
//   a.learn("POST", "/upload/v1beta/files", R"({"file": {"name": "files/abc-123"}})", 7, &created);
//   // created == {"files/abc-123"}
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
  void forget(std::string_view resource);
  void clear_resources();

  // Reads the answer key `key_id` got for `method` `path` (the request sent upstream):
  // remembers what lesson_for() allows, appending newly owned resources to `created`.
  void learn(std::string_view method, std::string_view path, std::string_view answer, int64_t key_id,
             std::vector<std::string>* created);

  // The key a request must use: the first resource its path or body names, else the first
  // thought signature in its body that this isolate has seen.
  std::optional<int64_t> key_for(std::string_view path, std::string_view body) const;

  // Whether a resource or a thought signature names key `key_id`: the pool keeps such a key
  // even when it leaves this isolate's slice.
  bool names(int64_t key_id) const { return owners_.find(key_id) != owners_.end(); }
  std::optional<int64_t> owner(std::string_view resource) const;

  bool empty() const { return resources_.empty() && signatures_.empty(); }
  size_t resource_count() const { return resources_.size(); }
  size_t signature_count() const { return signatures_.size(); }

 private:
  std::unordered_map<std::string, int64_t> resources_;
  std::unordered_map<uint64_t, int64_t> signatures_;
  std::deque<uint64_t> signature_order_;          // oldest first, for eviction
  std::unordered_map<int64_t, uint32_t> owners_;  // key id -> resources and signatures naming it

  void own(int64_t key_id, bool on);
};

enum class Lesson {
  nothing,
  signatures,  // a model call: the thought signatures of its answer
  created,     // a new resource: the answer's "name" (or "file"."name" after an upload)
  described,   // a resource read or updated: the answer's "name", when it is the path's
};

// What the answer to `method` `path` (an upstream path, "/v1beta/files/abc") may teach.
Lesson lesson_for(std::string_view method, std::string_view path);

// The collection an API path names ("/v1beta/interactions/abc" → "interactions",
// "/upload/v1beta/files" → "files"); "" for a path outside the API's versions.
std::string_view resource_kind(std::string_view path);

// False for a request that creates an interaction Google does not store ("store": false in
// the body of POST …/interactions); true for any other request.
bool stored_interaction(std::string_view path, std::string_view body);

// The resource names ("files/abc", "cachedContents/xyz") that `text` mentions, in order.
std::vector<std::string> resource_names(std::string_view text);

// Whether `text` is exactly one resource name.
bool is_resource_name(std::string_view text);

// The values of thoughtSignature / thought_signature fields in `text` (raw JSON spans).
std::vector<std::string_view> thought_signatures(std::string_view text);

}  // namespace bal
