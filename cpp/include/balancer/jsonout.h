// jsonout.h — the one JSON writer of the proxy path, shared by every request and response
// translator, and the small helpers that copy validated JSON spans without decoding them.
//
// Long strings (texts, base64 data) move from one document to another as the sender escaped
// them (see rawjson.h): the writer takes escaped spans and requotes them; only short values
// are decoded or escaped here.
//
//   std::string body;
//   {
//     bal::JsonOut out(body, expected_size);
//     out.begin_object().key("text").raw_string(v).key("n").number(3).end_object();
//   }  // body now holds {"text":"...","n":3}
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "balancer/rawjson.h"

namespace bal {

// A compact JSON writer that places the commas. It writes straight into the string's buffer
// through a cursor: libc++'s std::string members are compiled out of line in Wasm, so a call
// per character costs more than the copying itself. The string holds exactly what was
// written once the writer is gone; view() reads it before that. Keys are literal ASCII names.
class JsonOut {
 public:
  // Appends to `s`; `expected` is a size hint for the first allocation.
  explicit JsonOut(std::string& s, size_t expected = 64);
  ~JsonOut() { s_.resize(len_); }
  JsonOut(const JsonOut&) = delete;
  JsonOut& operator=(const JsonOut&) = delete;

  JsonOut& begin_object();
  JsonOut& end_object();
  JsonOut& begin_array();
  JsonOut& end_array();
  JsonOut& key(std::string_view name);
  JsonOut& raw_key(raw::value name);        // a key copied as the client escaped it
  JsonOut& string(std::string_view text);   // unescaped text, escaped here
  JsonOut& raw_string(raw::value v);        // a string value's escaped span, requoted
  JsonOut& escaped(std::string_view text);  // text already escaped as JSON string contents
  JsonOut& raw(std::string_view json);      // any complete JSON text
  JsonOut& number(int64_t v);
  JsonOut& boolean(bool v);
  JsonOut& null();
  std::string_view view() const { return {buf_, len_}; }

 private:
  void put(char c) {
    if (len_ == cap_) grow(1);
    buf_[len_++] = c;
  }
  void put(std::string_view v);
  void grow(size_t n);
  void separate();
  void open(char c);
  void close(char c);

  std::string& s_;
  char* buf_ = nullptr;
  size_t len_ = 0;
  size_t cap_ = 0;
  uint64_t has_items_ = 0;  // bit d: the container open at depth d already holds an item
  uint32_t depth_ = 0;
  bool after_key_ = false;
};

void append_int(std::string& out, int64_t v);

// A string value's escaped contents; empty for anything else, so a wrong-typed field can
// never splice arbitrary JSON into the output.
inline std::string_view escaped_span(raw::value v) {
  return v.is_string() ? v.raw() : std::string_view();
}

// Appends a JSON value's text with the white space between tokens removed (non-stream
// answers arrive pretty-printed; arguments and vectors need not carry that).
void append_minified(std::string& out, std::string_view json_text);
// Appends a JSON value's minified text as a JSON string (OpenAI's "arguments").
void append_as_string(std::string& out, std::string_view json_text);

}  // namespace bal
