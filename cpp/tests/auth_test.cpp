#include "balancer/auth.h"

#include <catch2/catch.hpp>

using bal::sha256;
using bal::to_hex;

TEST_CASE("sha256 matches the FIPS 180-4 test vectors", "[auth]") {
  CHECK(to_hex(sha256("")) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(to_hex(sha256("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(to_hex(sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")) ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  // 55, 56 and 64 bytes cross the padding boundaries.
  CHECK(to_hex(sha256(std::string(55, 'a'))) == "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
  CHECK(to_hex(sha256(std::string(56, 'a'))) == "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
  CHECK(to_hex(sha256(std::string(64, 'a'))) == "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

TEST_CASE("hmac_sha256 matches RFC 4231", "[auth]") {
  // Test case 2.
  CHECK(to_hex(bal::hmac_sha256("Jefe", "what do ya want for nothing?")) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Test case 6: a key longer than the block size.
  CHECK(to_hex(bal::hmac_sha256(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First")) ==
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST_CASE("token sets compare every configured token", "[auth]") {
  bal::TokenSet tokens;
  tokens.assign(" alpha , beta,,gamma ");
  CHECK(tokens.size() == 3);
  CHECK(tokens.matches("alpha"));
  CHECK(tokens.matches("beta"));
  CHECK(tokens.matches("gamma"));
  CHECK_FALSE(tokens.matches(""));
  CHECK_FALSE(tokens.matches("alph"));
  CHECK_FALSE(tokens.matches("alpha "));
  CHECK_FALSE(tokens.matches("ALPHA"));

  bal::TokenSet empty;
  empty.assign(" , ,");
  CHECK(empty.empty());
  CHECK_FALSE(empty.matches(""));
  CHECK_FALSE(empty.matches("anything"));
}

TEST_CASE("a token set hands back the digest it compared", "[auth]") {
  bal::TokenSet tokens;
  tokens.assign("alpha,beta");
  bal::Digest d{};
  CHECK(tokens.matches("beta", d));
  CHECK(d == bal::sha256("beta"));
  CHECK_FALSE(tokens.matches("gamma", d));
  CHECK(d == bal::sha256("gamma"));
  bal::Digest untouched{};
  untouched[0] = 7;
  CHECK_FALSE(tokens.matches("", untouched));
  CHECK(untouched[0] == 7);
}

TEST_CASE("digest_equal spots a difference in any byte", "[auth]") {
  const bal::Digest a = sha256("x");
  for (size_t i = 0; i < a.size(); ++i) {
    bal::Digest b = a;
    b[i] ^= 1;
    CHECK_FALSE(bal::digest_equal(a, b));
  }
  CHECK(bal::digest_equal(a, sha256("x")));
}

TEST_CASE("token sets take candidates of any size and content", "[auth]") {
  bal::TokenSet tokens;
  tokens.assign("secret");
  CHECK_FALSE(tokens.matches(std::string(1 << 20, 's')));
  CHECK_FALSE(tokens.matches(std::string("secret\0", 7)));
  CHECK_FALSE(tokens.matches("secret\r\n"));
  CHECK_FALSE(tokens.matches("\xff\xfe"));
  CHECK(tokens.matches("secret"));
}

TEST_CASE("digest_equal reads every byte: a first-byte and a last-byte difference look the same", "[auth]") {
  // Timing cannot be asserted reliably in a unit test; what can be is that the comparison
  // has no early exit: the result only depends on the OR of all differences.
  const bal::Digest a = sha256("a");
  bal::Digest first = a, last = a, all = a;
  first[0] ^= 0x80;
  last[31] ^= 0x01;
  for (auto& b : all) b = static_cast<uint8_t>(~b);
  CHECK_FALSE(bal::digest_equal(a, first));
  CHECK_FALSE(bal::digest_equal(a, last));
  CHECK_FALSE(bal::digest_equal(a, all));
}
