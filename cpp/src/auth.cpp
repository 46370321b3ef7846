#include "balancer/auth.h"
#include "balancer/list.h"

namespace bal {

bool digest_equal(const Digest& a, const Digest& b) {
  uint8_t diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff = static_cast<uint8_t>(diff | (a[i] ^ b[i]));
  return diff == 0;
}

void TokenSet::assign(std::string_view list) {
  digests_.clear();
  for_each_item(list, [this](std::string_view item) {
    if (!item.empty()) digests_.push_back(sha256(item));
  });
}

bool TokenSet::matches(std::string_view candidate) const {
  Digest d{};
  return matches(candidate, d);
}

bool TokenSet::matches(std::string_view candidate, Digest& d) const {
  if (candidate.empty()) return false;
  d = sha256(candidate);
  bool found = false;
  for (const Digest& t : digests_) found = digest_equal(t, d) || found;
  return found;
}

}  // namespace bal

namespace bal {

Digest hmac_sha256(std::string_view key, std::string_view message) {
  std::string k(key.size() > 64 ? std::string(reinterpret_cast<const char*>(sha256(key).data()), 32)
                                 : std::string(key));
  k.resize(64, '\0');
  std::string inner(64, '\0');
  std::string outer(64, '\0');
  for (size_t i = 0; i < 64; ++i) {
    inner[i] = static_cast<char>(k[i] ^ 0x36);
    outer[i] = static_cast<char>(k[i] ^ 0x5c);
  }
  inner.append(message);
  const Digest ih = sha256(inner);
  outer.append(reinterpret_cast<const char*>(ih.data()), ih.size());
  return sha256(outer);
}

}  // namespace bal
