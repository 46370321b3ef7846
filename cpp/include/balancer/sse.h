// sse.h — splits a Server-Sent Events byte stream into the data of each event.
//
// Bytes arrive in arbitrary network chunks: a line, a CRLF pair or a UTF-8 character can be
// cut anywhere. The splitter keeps what it needs between chunks and yields one event's data
// (its "data:" lines joined by "\n", as the SSE specification says) at a time. Lines end
// with CRLF, LF or CR; comments (":") and the other fields (event, id, retry) are ignored.
//
//   bal::sse::Splitter s;
//   std::string_view rest = chunk, data;
//   while (s.next(rest, data)) handle(data);   // `data` is valid until the next call
//   if (s.overflowed()) { /* one event grew past the limit: stop reading */ }
//   ...at the end of the body:
//   if (s.flush(data)) handle(data);           // an event the upstream did not terminate
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace bal::sse {

// Gemini events are a few hundred bytes; inline images make some megabytes. Past this one
// event is a runaway upstream, and holding it would only exhaust the isolate's memory.
inline constexpr size_t kDefaultMaxEventBytes = size_t{16} << 20;

class Splitter {
 public:
  explicit Splitter(size_t max_event_bytes = kDefaultMaxEventBytes) : max_event_bytes_(max_event_bytes) {}

  // Consumes bytes from the front of `chunk` until an event is complete; then sets `data` to
  // it and returns true (call again with the rest). Returns false once `chunk` is used up or
  // the event grew past the limit (then overflowed() is true and all later input is ignored).
  bool next(std::string_view& chunk, std::string_view& data);

  // At the end of the stream: the data of an event that had no closing blank line, if any.
  bool flush(std::string_view& data);

  bool overflowed() const { return overflowed_; }

 private:
  // Handles one complete line; returns true when it closes an event that has data.
  bool take_line(std::string_view line);
  bool over_limit(size_t extra);
  void overflow();

  size_t max_event_bytes_;
  std::string line_;   // a line cut by a chunk boundary
  std::string data_;   // the current event's data lines, joined
  std::string ready_;  // the event handed out last (data_ is reused for the next one)
  bool has_data_ = false;
  bool skip_lf_ = false;  // the previous chunk ended in CR: a leading LF belongs to it
  bool overflowed_ = false;
};

}  // namespace bal::sse
