// auth.h — token checks in constant time.
//
// Both sides are hashed with SHA-256 first, so the comparison always runs over 32 bytes
// and neither a token's length nor the position of its first differing byte shows in the
// time taken.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bal {

using Digest = std::array<uint8_t, 32>;

Digest sha256(std::string_view data);
std::string to_hex(const Digest& d);

// True when the two digests are equal; the time taken does not depend on where they differ.
bool digest_equal(const Digest& a, const Digest& b);

// The configured tokens, kept only as digests.
class TokenSet {
 public:
  // `list` is comma-separated; blanks around items and empty items are ignored.
  void assign(std::string_view list);
  bool empty() const { return digests_.empty(); }
  size_t size() const { return digests_.size(); }
  // Compares `candidate` with every configured token (never stopping early).
  bool matches(std::string_view candidate) const;
  // The same, handing back the candidate's SHA-256 (left as is for an empty candidate).
  bool matches(std::string_view candidate, Digest& digest) const;

 private:
  std::vector<Digest> digests_;
};

}  // namespace bal

namespace bal {

// HMAC-SHA256 (RFC 2104).
Digest hmac_sha256(std::string_view key, std::string_view message);

}  // namespace bal
