// record.h — the records that cross the Wasm boundary (cpp/abi/balancer.h): fields of
// [u16 id][u32 length][value], read in place without a DOM and written straight into one
// buffer.
//
//   bal::abi::Reader in(bytes);
//   if (!in.ok()) return bad_input();
//   std::string_view path = in.str(bal::abi::F::PATH);
//   for (bal::abi::Reader task : in.records(bal::abi::F::TASK)) { ... }
//
//   std::string out;
//   bal::abi::Writer w(out);
//   w.num(F::KIND, 1).str(F::HEADERS, "content-type\ntext/plain\n").bytes(F::BODY, body);
//   size_t at = w.begin(F::TASK); w.num(F::SLOT, 0); w.end(at);
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "balancer.h"

namespace bal::abi {

enum class F : uint16_t {
#define BAL_FIELD_ENUM(name, id, type) name = id,
  BAL_FIELDS(BAL_FIELD_ENUM)
#undef BAL_FIELD_ENUM
};

enum class Op : uint32_t {
#define BAL_OP_ENUM(name, id) name = id,
  BAL_OPS(BAL_OP_ENUM)
#undef BAL_OP_ENUM
};

enum class ActionKind : uint8_t {
#define BAL_ACTION_ENUM(name, id) name = id,
  BAL_ACTIONS(BAL_ACTION_ENUM)
#undef BAL_ACTION_ENUM
};

enum class TaskKind : uint8_t {
#define BAL_TASK_ENUM(name, id) name = id,
  BAL_TASKS(BAL_TASK_ENUM)
#undef BAL_TASK_ENUM
};

enum class EventKind : uint8_t {
#define BAL_EVENT_ENUM(name, id) name = id,
  BAL_EVENTS(BAL_EVENT_ENUM)
#undef BAL_EVENT_ENUM
};

enum Flag : uint32_t {
#define BAL_FLAG_ENUM(name, bit) FLAG_##name = bit,
  BAL_FLAGS(BAL_FLAG_ENUM)
#undef BAL_FLAG_ENUM
};

enum class Reason : uint8_t {
  none = 0,
#define BAL_REASON_ENUM(name, id) name = id,
  BAL_REASONS(BAL_REASON_ENUM)
#undef BAL_REASON_ENUM
};

// The highest field id: readers index fields by id.
inline constexpr uint16_t kMaxField = 64;

class Reader {
 public:
  Reader() = default;
  // Checks the framing of every field (nested records are checked when read).
  explicit Reader(std::string_view bytes);
  bool ok() const { return ok_; }

  bool has(F f) const { return span(f).data() != nullptr; }
  std::string_view str(F f) const { return span(f); }
  std::string_view bytes(F f) const { return span(f); }
  // A num field; `fallback` when absent, malformed or not finite.
  double num(F f, double fallback = 0) const;
  // A num field as an integer clamped to [lo, hi]; `fallback` when absent or malformed.
  int64_t integer(F f, int64_t fallback, int64_t lo, int64_t hi) const;

  // The rec fields with id `f`, in order.
  class Records;
  Records records(F f) const;

 private:
  std::string_view span(F f) const {
    const auto i = static_cast<uint16_t>(f);
    return i < kMaxField ? fields_[i] : std::string_view();
  }
  std::string_view all_;
  std::string_view fields_[kMaxField];  // the last of each id
  bool ok_ = false;
};

class Reader::Records {
 public:
  Records(std::string_view all, F f) : all_(all), f_(f) {}
  class iterator {
   public:
    iterator(std::string_view rest, F f, bool done) : rest_(rest), f_(f), done_(done) {
      if (!done_) advance();
    }
    Reader operator*() const { return Reader(current_); }
    iterator& operator++() {
      advance();
      return *this;
    }
    bool operator!=(const iterator& o) const { return done_ != o.done_ || rest_.data() != o.rest_.data(); }

   private:
    void advance();
    std::string_view rest_;
    std::string_view current_;
    F f_;
    bool done_;
  };
  iterator begin() const { return {all_, f_, false}; }
  iterator end() const { return {std::string_view(), f_, true}; }

 private:
  std::string_view all_;
  F f_;
};

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}
  Writer& num(F f, double v);
  Writer& str(F f, std::string_view v) { return raw(f, v); }
  Writer& bytes(F f, std::string_view v) { return raw(f, v); }
  // Bytes that outlive the record's reading (balancer.h: ref), by address and length.
  Writer& ref(F f, std::string_view v);
  // Opens a nested record; returns where its length goes, for end().
  size_t begin(F f);
  void end(size_t at);

 private:
  Writer& raw(F f, std::string_view v);
  void head(F f, uint32_t len);
  std::string& out_;
};

// "name\nvalue\n" pairs (the HEADERS field).
class HeaderList {
 public:
  void add(std::string_view name, std::string_view value);
  const std::string& text() const { return text_; }
  bool empty() const { return text_.empty(); }

 private:
  std::string text_;
};

// Calls fn(name, value) for each of "name\nvalue\n" pairs, in order.
template <class Fn>
void for_each_header(std::string_view pairs, Fn&& fn) {
  while (!pairs.empty()) {
    const size_t a = pairs.find('\n');
    if (a == std::string_view::npos) return;
    const size_t b = pairs.find('\n', a + 1);
    if (b == std::string_view::npos) return;
    fn(pairs.substr(0, a), pairs.substr(a + 1, b - a - 1));
    pairs.remove_prefix(b + 1);
  }
}

// The value of header `name` in "name\nvalue\n" pairs ("" when absent); names are compared
// as given (the shim lower-cases them).
std::string_view header_value(std::string_view pairs, std::string_view name);

}  // namespace bal::abi
