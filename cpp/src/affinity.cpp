#include "balancer/affinity.h"

namespace bal {
namespace {

constexpr std::string_view kResourceKinds[] = {"files/", "cachedContents/"};
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
  std::vector<std::string_view> out;
  for (std::string_view field : kSignatureFields) {
    for (size_t at = text.find(field); at != std::string_view::npos; at = text.find(field, at + 1)) {
      size_t i = at + field.size();
      while (i < text.size() &&
             (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r' || text[i] == ':'))
        ++i;
      if (i >= text.size() || text[i] != '"') continue;
      const size_t start = i + 1;
      size_t end = start;
      while (end < text.size() && text[end] != '"') end += text[end] == '\\' ? 2 : 1;
      if (end >= text.size() || end == start) continue;
      out.push_back(text.substr(start, end - start));
    }
  }
  return out;
}

void Affinity::add_resource(std::string_view resource, int64_t key_id) {
  if (resources_.size() >= kMaxResources && resources_.find(std::string(resource)) == resources_.end()) return;
  resources_[std::string(resource)] = key_id;
}

void Affinity::learn_resources(std::string_view answer, int64_t key_id, std::vector<std::string>* created) {
  for (const std::string& r : resource_names(answer)) {
    auto it = resources_.find(r);
    if (it != resources_.end() && it->second == key_id) continue;
    add_resource(r, key_id);
    if (created != nullptr) created->push_back(r);
  }
}

void Affinity::learn_signatures(std::string_view answer, int64_t key_id) {
  for (std::string_view sig : thought_signatures(answer)) {
    const uint64_t h = fnv1a(sig);
    if (signatures_.emplace(h, key_id).second) {
      signature_order_.push_back(h);
      if (signature_order_.size() > kMaxSignatures) {
        signatures_.erase(signature_order_.front());
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
  for (std::string_view sig : thought_signatures(body)) {
    auto it = signatures_.find(fnv1a(sig));
    if (it != signatures_.end()) return it->second;
  }
  return std::nullopt;
}

}  // namespace bal
