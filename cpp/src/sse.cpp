#include "balancer/sse.h"

#include <cstring>

namespace bal::sse {
namespace {

// The first CR or LF. Gemini ends lines with CRLF, so the CR comes first: memchr (word at a
// time, or vectorised) finds it faster than a loop testing every byte for both.
size_t line_end(std::string_view s) {
  const void* cr = std::memchr(s.data(), '\r', s.size());
  const size_t limit = cr == nullptr ? s.size() : static_cast<size_t>(static_cast<const char*>(cr) - s.data());
  const void* lf = std::memchr(s.data(), '\n', limit);
  if (lf != nullptr) return static_cast<size_t>(static_cast<const char*>(lf) - s.data());
  return cr == nullptr ? std::string_view::npos : limit;
}

}  // namespace

bool Splitter::over_limit(size_t extra) {
  if (line_.size() + data_.size() + extra <= max_event_bytes_) return false;
  overflow();
  return true;
}

void Splitter::overflow() {
  // Give the memory back at once: the stream is finished as far as we are concerned.
  overflowed_ = true;
  std::string().swap(line_);
  std::string().swap(data_);
  has_data_ = false;
}

bool Splitter::take_line(std::string_view line) {
  if (line.empty()) {
    if (!has_data_) return false;
    ready_.swap(data_);
    data_.clear();
    has_data_ = false;
    return true;
  }
  const size_t colon = line.find(':');
  if (colon == 0) return false;  // a comment, used by servers as a keep-alive
  if (line.substr(0, colon) != "data") return false;
  std::string_view value = colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  // `value` may point into line_, which is about to be dropped: count it once.
  if (data_.size() + value.size() + 1 > max_event_bytes_) {
    overflow();
    return false;
  }
  if (has_data_) data_.push_back('\n');
  data_.append(value);
  has_data_ = true;
  return false;
}

bool Splitter::next(std::string_view& chunk, std::string_view& data) {
  while (!chunk.empty() && !overflowed_) {
    if (skip_lf_) {
      skip_lf_ = false;
      if (chunk.front() == '\n') {
        chunk.remove_prefix(1);
        continue;
      }
    }
    const size_t end = line_end(chunk);
    if (end == std::string_view::npos) {
      if (!over_limit(chunk.size())) line_.append(chunk);
      chunk = {};
      return false;
    }
    std::string_view line = chunk.substr(0, end);
    if (!line_.empty()) {
      if (over_limit(line.size())) return false;
      line_.append(line);
      line = line_;
    }
    size_t consumed = end + 1;
    if (chunk[end] == '\r') {
      if (end + 1 == chunk.size()) {
        skip_lf_ = true;
      } else if (chunk[end + 1] == '\n') {
        ++consumed;
      }
    }
    chunk.remove_prefix(consumed);
    const bool complete = take_line(line);
    line_.clear();
    if (complete) {
      data = ready_;
      return true;
    }
  }
  return false;
}

bool Splitter::flush(std::string_view& data) {
  if (overflowed_) return false;
  if (!line_.empty()) {
    take_line(line_);
    line_.clear();
  }
  if (!take_line({})) return false;
  data = ready_;
  return true;
}

}  // namespace bal::sse
