#include "balancer/decimal.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>

namespace {

// strtod (correctly rounded in the native C library) as the reference.
void check_like_strtod(const std::string& text) {
  double ours = 12345;
  REQUIRE(bal::read_double(text, ours));
  const double theirs = std::strtod(text.c_str(), nullptr);
  uint64_t a, b;
  std::memcpy(&a, &ours, 8);
  std::memcpy(&b, &theirs, 8);
  INFO(text);
  REQUIRE(a == b);
}

std::string random_digits(std::mt19937_64& rng, size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += static_cast<char>('0' + rng() % 10);
  return s;
}

}  // namespace

TEST_CASE("read_double: simple forms", "[decimal]") {
  for (const char* t : {"0", "-0", "1", "-1", "0.5", "1.", ".5", "+2", "1e5", "1E-5", "1e+5", "123.456e-7",
                        "0.1", "0.7", "3.0", "1e22", "1e23", "9007199254740993", "00012.50", "0e999999999999",
                        "1e-400", "-1e400", "1e308", "1.7976931348623157e308", "1.7976931348623158e308",
                        "1.7976931348623159e308", "4.9406564584124654e-324", "2.4703282292062327e-324",
                        "2.4703282292062328e-324", "2.2250738585072011e-308", "2.2250738585072012e-308",
                        "2.2250738585072014e-308", "1e-320"}) {
    check_like_strtod(t);
  }
  // The widest comparisons: the most digits kept, at both ends of the range.
  std::mt19937_64 rng(1);
  const std::string many = "1" + random_digits(rng, 800);
  for (int e : {-1105, -1104, -1101, -1090, -1000, -800, -500, -490, -480, -470, -460, 0}) {
    check_like_strtod(many + "e" + std::to_string(e));
    check_like_strtod("0." + std::string(324, '0') + many + "e" + std::to_string(e + 800));
  }
  check_like_strtod(std::string(780, '9') + "e-471");
  check_like_strtod(std::string(780, '9') + "e-470");
  check_like_strtod("0." + std::string(323, '0') + std::string(780, '9'));
  double v = 7;
  for (const char* bad : {"", "-", ".", "e5", "1e", "1e+", " 1", "1 ", "0x10", "inf", "nan", "1..2", "--1", "1e5.5"}) {
    INFO(bad);
    CHECK_FALSE(bal::read_double(bad, v));
  }
  CHECK(v == 7);
}

TEST_CASE("read_double: random decimals agree with strtod", "[decimal]") {
  std::mt19937_64 rng(20261207);
  for (int i = 0; i < 5000; ++i) {
    const size_t n = 1 + rng() % 40;
    std::string t = random_digits(rng, n);
    if (rng() % 2) t.insert(rng() % (t.size() + 1), ".");
    if (t == ".") t = "0.5";
    t += "e" + std::to_string(static_cast<int>(rng() % 700) - 360);
    check_like_strtod(t);
  }
  // Long mantissas, past the digits kept.
  for (int i = 0; i < 40; ++i) {
    std::string t = "0." + random_digits(rng, 700 + rng() % 400) + "e" + std::to_string(static_cast<int>(rng() % 600) - 300);
    check_like_strtod(t);
  }
}

TEST_CASE("read_double: exact midpoints and their neighbours round as strtod does", "[decimal]") {
  std::mt19937_64 rng(7);
  char buf[1200];
  for (int i = 0; i < 600; ++i) {
    uint64_t bits = rng() & 0x7fefffffffffffffu;
    if (i % 3 == 0) bits &= 0x000fffffffffffffu;  // subnormals
    double lo, hi;
    std::memcpy(&lo, &bits, 8);
    ++bits;
    std::memcpy(&hi, &bits, 8);
    // The midpoint is exact in x86's 64-bit long double mantissa; glibc prints it exactly.
    const long double mid = (static_cast<long double>(lo) + static_cast<long double>(hi)) / 2;
    std::snprintf(buf, sizeof buf, "%.800Le", mid);
    std::string exact = buf;
    check_like_strtod(exact);
    // Just above and below: a digit added, a digit taken off.
    const size_t e = exact.find('e');
    std::string mantissa = exact.substr(0, e), exponent = exact.substr(e);
    while (mantissa.back() == '0') mantissa.pop_back();
    check_like_strtod(mantissa + "0000001" + exponent);
    std::string below = mantissa;
    size_t k = below.size() - 1;
    while (below[k] == '0' || below[k] == '.') --k;
    below[k] = static_cast<char>(below[k] - 1);
    check_like_strtod(below + "999" + exponent);
  }
}
