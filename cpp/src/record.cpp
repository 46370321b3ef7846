#include "balancer/record.h"

#include <cmath>
#include <cstring>

namespace bal::abi {
namespace {

constexpr size_t kHead = 6;  // u16 id + u32 length

uint32_t read_u32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<uint32_t>(u[0]) | (static_cast<uint32_t>(u[1]) << 8) | (static_cast<uint32_t>(u[2]) << 16) |
         (static_cast<uint32_t>(u[3]) << 24);
}

uint16_t read_u16(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<uint16_t>(u[0] | (u[1] << 8));
}

// Splits the next field off `rest`; false at the end or on a malformed field.
bool next_field(std::string_view& rest, uint16_t& id, std::string_view& value) {
  if (rest.size() < kHead) return false;
  id = read_u16(rest.data());
  const uint32_t len = read_u32(rest.data() + 2);
  if (len > rest.size() - kHead) return false;
  value = rest.substr(kHead, len);
  rest.remove_prefix(kHead + len);
  return true;
}

}  // namespace

Reader::Reader(std::string_view bytes) : all_(bytes) {
  std::string_view rest = bytes;
  uint16_t id = 0;
  std::string_view value;
  while (next_field(rest, id, value)) {
    // A present but empty value must still read as present: point it into the input.
    if (id < kMaxField) fields_[id] = value.data() != nullptr ? value : std::string_view(rest.data(), 0);
  }
  ok_ = rest.empty();
}

double Reader::num(F f, double fallback) const {
  const std::string_view v = span(f);
  if (v.size() != sizeof(double)) return fallback;
  double d = 0;
  std::memcpy(&d, v.data(), sizeof d);  // Wasm and every native target here are little-endian
  return std::isfinite(d) ? d : fallback;
}

int64_t Reader::integer(F f, int64_t fallback, int64_t lo, int64_t hi) const {
  const std::string_view v = span(f);
  if (v.size() != sizeof(double)) return fallback;
  const double d = num(f, static_cast<double>(fallback));
  if (!(d >= static_cast<double>(lo))) return lo;
  if (!(d <= static_cast<double>(hi))) return hi;
  return static_cast<int64_t>(d);
}

Reader::Records Reader::records(F f) const {
  return Records(all_, f);
}

void Reader::Records::iterator::advance() {
  uint16_t id = 0;
  std::string_view value;
  while (next_field(rest_, id, value)) {
    if (id == static_cast<uint16_t>(f_)) {
      current_ = value;
      return;
    }
  }
  done_ = true;
  rest_ = {};
}

void Writer::head(F f, uint32_t len) {
  const auto id = static_cast<uint16_t>(f);
  const char h[kHead] = {static_cast<char>(id & 0xff),          static_cast<char>(id >> 8),
                         static_cast<char>(len & 0xff),         static_cast<char>((len >> 8) & 0xff),
                         static_cast<char>((len >> 16) & 0xff), static_cast<char>((len >> 24) & 0xff)};
  out_.append(h, kHead);
}

Writer& Writer::raw(F f, std::string_view v) {
  head(f, static_cast<uint32_t>(v.size()));
  out_.append(v);
  return *this;
}

Writer& Writer::ref(F f, std::string_view v) {
  const auto at = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(v.data()));
  const auto len = static_cast<uint32_t>(v.size());
  char b[12];
  std::memcpy(b, &at, 8);
  std::memcpy(b + 8, &len, 4);
  return raw(f, std::string_view(b, sizeof b));
}

Writer& Writer::num(F f, double v) {
  char b[sizeof(double)];
  std::memcpy(b, &v, sizeof b);
  return raw(f, std::string_view(b, sizeof b));
}

size_t Writer::begin(F f) {
  head(f, 0);
  return out_.size();
}

void Writer::end(size_t at) {
  const auto len = static_cast<uint32_t>(out_.size() - at);
  for (int i = 0; i < 4; ++i) out_[at - 4 + static_cast<size_t>(i)] = static_cast<char>((len >> (8 * i)) & 0xff);
}

void HeaderList::add(std::string_view name, std::string_view value) {
  text_.append(name);
  text_.push_back('\n');
  text_.append(value);
  text_.push_back('\n');
}

std::string_view header_value(std::string_view pairs, std::string_view name) {
  std::string_view found;
  for_each_header(pairs, [&](std::string_view n, std::string_view v) {
    if (found.data() == nullptr && n == name) found = v;
  });
  return found;
}

}  // namespace bal::abi
