// decimal.h — decimal text to the nearest double, without libc's strtod: musl's reads through
// 128-bit long doubles, which Wasm has only in software (a dozen kilobytes of core.wasm).
#pragma once

#include <string_view>

namespace bal {

// Reads `text` whole as a decimal number: an optional sign, digits with an optional '.' (at
// least one digit in all), an optional exponent (e or E, optional sign, digits). The result is
// what strtod gives: the nearest double, ties to even, ±infinity past the largest double and
// ±0 below half the smallest subnormal. False, `out` untouched, for any other text (white
// space, hexadecimal, inf and nan included).
bool read_double(std::string_view text, double& out);

}  // namespace bal
