// Decimal to double: exact when the digits and the power of ten are both exact doubles;
// otherwise an estimate within a few units in the last place, then corrected by comparing the
// decimal value with the midpoints next to the estimate in exact integer arithmetic.
#include "balancer/decimal.h"

#include <cstdint>
#include <cstring>

namespace bal {
namespace {

constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                             1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

// Significant digits kept. A double's midpoints have at most 767 significant decimal digits,
// so digits past this many only matter as "something nonzero follows", kept as one more '1'.
constexpr size_t kMaxDigits = 780;

// Limbs enough for either side of a comparison: at most 781 digits times 5^310, or the
// digits shifted by up to 1076 bits, or a 54-bit mantissa times 5^1105 shifted by up to 2076
// bits (the ranges nearest() lets through): under 4,800 bits.
constexpr size_t kMaxLimbs = 160;

// An unsigned integer, 32 bits a limb, least significant first, on the stack.
class Big {
 public:
  explicit Big(uint64_t v) {
    for (; v != 0; v >>= 32) limbs_[size_++] = static_cast<uint32_t>(v);
  }
  void mul_add(uint32_t m, uint32_t a) {
    uint64_t carry = a;
    for (size_t i = 0; i < size_; ++i) {
      const uint64_t t = uint64_t{limbs_[i]} * m + carry;
      limbs_[i] = static_cast<uint32_t>(t);
      carry = t >> 32;
    }
    if (carry != 0) limbs_[size_++] = static_cast<uint32_t>(carry);
  }
  void mul_pow5(int64_t n) {
    for (; n >= 13; n -= 13) mul_add(1220703125u, 0);  // 5^13
    uint32_t rest = 1;
    for (; n > 0; --n) rest *= 5;
    mul_add(rest, 0);
  }
  void shift_left(int64_t bits) {
    if (size_ == 0 || bits == 0) return;
    const size_t words = static_cast<size_t>(bits / 32);
    const unsigned b = static_cast<unsigned>(bits % 32);
    uint32_t carry = 0;
    if (b != 0) {
      for (size_t i = 0; i < size_; ++i) {
        const uint32_t next = limbs_[i] >> (32 - b);
        limbs_[i] = (limbs_[i] << b) | carry;
        carry = next;
      }
    }
    for (size_t i = size_; i-- > 0;) limbs_[i + words] = limbs_[i];
    for (size_t i = 0; i < words; ++i) limbs_[i] = 0;
    size_ += words;
    if (carry != 0) limbs_[size_++] = carry;
  }
  friend int compare(const Big& a, const Big& b) {
    if (a.size_ != b.size_) return a.size_ < b.size_ ? -1 : 1;
    for (size_t i = a.size_; i-- > 0;) {
      if (a.limbs_[i] != b.limbs_[i]) return a.limbs_[i] < b.limbs_[i] ? -1 : 1;
    }
    return 0;
  }

 private:
  uint32_t limbs_[kMaxLimbs];
  size_t size_ = 0;
};

// Significant digits, leading zeros dropped.
struct Digits {
  char d[kMaxDigits + 1];
  size_t n = 0;
};

// The sign of digits × 10^exp10 − m × 2^exp2.
int compare_exact(const Digits& digits, int64_t exp10, uint64_t m, int64_t exp2) {
  Big lhs(0);
  // Nine digits a step.
  for (size_t i = 0; i < digits.n;) {
    uint32_t chunk = 0, scale = 1;
    for (size_t k = 0; k < 9 && i < digits.n; ++k, ++i) {
      chunk = chunk * 10 + static_cast<uint32_t>(digits.d[i] - '0');
      scale *= 10;
    }
    lhs.mul_add(scale, chunk);
  }
  Big rhs(m);
  // 10^e = 5^e × 2^e: the fives go to the side whose power is not negative, and so do the twos.
  if (exp10 >= 0) {
    lhs.mul_pow5(exp10);
  } else {
    rhs.mul_pow5(-exp10);
  }
  exp2 -= exp10;
  if (exp2 >= 0) {
    rhs.shift_left(exp2);
  } else {
    lhs.shift_left(-exp2);
  }
  return compare(lhs, rhs);
}

double from_bits(uint64_t bits) {
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}

uint64_t to_bits(double d) {
  uint64_t bits;
  std::memcpy(&bits, &d, sizeof bits);
  return bits;
}

constexpr uint64_t kInfBits = 0x7ff0000000000000u;

// The positive double nearest digits × 10^exp10 (digits: no leading zeros, not empty).
double nearest(const Digits& digits, int64_t exp10) {
  const int64_t magnitude = static_cast<int64_t>(digits.n) + exp10;  // value < 10^magnitude
  if (magnitude > 310) return from_bits(kInfBits);
  if (magnitude < -324) return 0.0;  // below 10^-325, less than half the smallest subnormal
  const size_t head = digits.n < 19 ? digits.n : 19;
  uint64_t w = 0;
  for (size_t i = 0; i < head; ++i) w = w * 10 + static_cast<uint64_t>(digits.d[i] - '0');
  int64_t e = exp10 + static_cast<int64_t>(digits.n - head);
  if (head == digits.n && w < (uint64_t{1} << 53) && e >= -22 && e <= 22) {
    // Both operands exact: one correctly rounded operation.
    return e >= 0 ? static_cast<double>(w) * kPow10[e] : static_cast<double>(w) / kPow10[-e];
  }
  // An estimate, off by at most a few units in the last place, then corrected.
  double x = static_cast<double>(w);
  for (; e > 22; e -= 22) x *= 1e22;
  if (e > 0) x *= kPow10[e];
  for (; e < -22; e += 22) x /= 1e22;
  if (e < 0) x /= kPow10[-e];
  uint64_t bits = to_bits(x);
  if (bits >= kInfBits) bits = kInfBits - 1;  // the largest double
  if (bits == 0) bits = 1;                    // the smallest subnormal
  for (;;) {
    const uint64_t biased = bits >> 52;
    const uint64_t fraction = bits & ((uint64_t{1} << 52) - 1);
    const uint64_t m = biased == 0 ? fraction : fraction | (uint64_t{1} << 52);
    const int64_t k = biased == 0 ? -1074 : static_cast<int64_t>(biased) - 1075;  // x = m × 2^k
    // Above the midpoint to the next double (or on it, with an odd m): round up.
    const int up = compare_exact(digits, exp10, 2 * m + 1, k - 1);
    if (up > 0 || (up == 0 && (m & 1) != 0)) {
      ++bits;
      if (bits == kInfBits) return from_bits(kInfBits);
      continue;
    }
    // Below the midpoint to the previous one (which is closer below a power of two).
    const bool power_of_two = fraction == 0 && biased > 1;
    const int down = power_of_two ? compare_exact(digits, exp10, 4 * m - 1, k - 2)
                                  : compare_exact(digits, exp10, 2 * m - 1, k - 1);
    if (down < 0 || (down == 0 && (m & 1) != 0)) {
      --bits;
      if (bits == 0) return 0.0;
      continue;
    }
    return from_bits(bits);
  }
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

bool read_double(std::string_view text, double& out) {
  size_t i = 0;
  const size_t n = text.size();
  bool negative = false;
  if (i < n && (text[i] == '+' || text[i] == '-')) negative = text[i++] == '-';
  Digits digits;
  int64_t exp10 = 0;  // the value is digits × 10^exp10
  bool any = false;
  bool dropped = false;  // a nonzero digit past kMaxDigits
  const auto take = [&](char c, bool fraction) {
    any = true;
    if (digits.n == 0 && c == '0') {
      if (fraction) --exp10;
      return;
    }
    if (digits.n < kMaxDigits) {
      digits.d[digits.n++] = c;
      if (fraction) --exp10;
      return;
    }
    if (c != '0') dropped = true;
    if (!fraction) ++exp10;
  };
  for (; i < n && is_digit(text[i]); ++i) take(text[i], false);
  if (i < n && text[i] == '.') {
    for (++i; i < n && is_digit(text[i]); ++i) take(text[i], true);
  }
  if (!any) return false;
  if (i < n && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    bool negative_exp = false;
    if (i < n && (text[i] == '+' || text[i] == '-')) negative_exp = text[i++] == '-';
    if (i >= n || !is_digit(text[i])) return false;
    int64_t e = 0;
    for (; i < n && is_digit(text[i]); ++i) {
      if (e < 100000000) e = e * 10 + (text[i] - '0');  // far past any double either way
    }
    exp10 += negative_exp ? -e : e;
  }
  if (i != n) return false;
  if (dropped) {
    digits.d[digits.n++] = '1';
    --exp10;
  }
  const double v = digits.n == 0 ? 0.0 : nearest(digits, exp10);
  out = negative ? -v : v;
  return true;
}

}  // namespace bal
