// groundingMetadata → citations: which source supports which span of the answer (gemini.h).
//
// Google gives each span as UTF-8 byte offsets into the answer's text; the OpenAI and
// Anthropic formats count characters. The text stays JSON-escaped as Gemini sent it, so the
// offsets are found by walking it once and decoding escapes on the way.
#include <algorithm>

#include "balancer/gemini.h"

namespace bal::gemini {
namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The \uXXXX escape at `at` (pointing at the backslash), or -1.
int32_t unicode_escape(std::string_view s, size_t at) {
  if (at + 6 > s.size() || s[at] != '\\' || s[at + 1] != 'u') return -1;
  int32_t v = 0;
  for (size_t i = at + 2; i < at + 6; ++i) {
    const int d = hex_digit(s[i]);
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

// Walks escaped text one decoded code point at a time, counting decoded bytes and code points.
class Walker {
 public:
  explicit Walker(std::string_view escaped) : s_(escaped) {}

  bool done() const { return at_ >= s_.size(); }
  int64_t bytes() const { return bytes_; }
  int64_t code_points() const { return code_points_; }

  void step() {
    const auto c = static_cast<unsigned char>(s_[at_]);
    size_t used = 1;
    int64_t decoded = 1;
    if (c == '\\' && at_ + 1 < s_.size()) {
      used = 2;
      if (s_[at_ + 1] == 'u') {
        const int32_t v = unicode_escape(s_, at_);
        used = v < 0 ? 2 : 6;
        if (v >= 0xD800 && v <= 0xDBFF) {
          const int32_t low = unicode_escape(s_, at_ + 6);
          if (low >= 0xDC00 && low <= 0xDFFF) used = 12;
          decoded = used == 12 ? 4 : 3;
        } else if (v >= 0x800) {
          decoded = 3;
        } else if (v >= 0x80) {
          decoded = 2;
        }
      }
    } else if (c >= 0xC0) {
      used = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
      decoded = static_cast<int64_t>(used);
    }
    at_ = std::min(at_ + used, s_.size());
    bytes_ += decoded;
    ++code_points_;
  }

 private:
  std::string_view s_;
  size_t at_ = 0;
  int64_t bytes_ = 0;
  int64_t code_points_ = 0;
};

// Google cites a handful of pages per answer; a list past this is not worth a client's time
// (nor the quadratic checks of a stream that drops repeats).
constexpr size_t kMaxCitations = 256;

struct Source {
  std::string_view url;
  std::string_view title;
};

// A chunk's source: a web page, a File Search document or a Maps place, whichever has a URI.
Source source_of(raw::value chunk) {
  for (const char* kind : {"web", "retrievedContext", "maps"}) {
    const raw::value s = chunk.get(kind);
    const raw::value uri = s.get("uri");
    if (uri.is_string() && !uri.raw().empty()) {
      const raw::value title = s.get("title");
      return {uri.raw(), title.is_string() ? title.raw() : std::string_view()};
    }
  }
  return {};
}

}  // namespace

std::vector<Citation> read_sources(raw::value grounding) {
  std::vector<Citation> out;
  for (raw::value chunk : grounding.get("groundingChunks").items()) {
    const Source s = source_of(chunk);
    if (s.url.empty() || out.size() >= kMaxCitations) continue;
    bool listed = false;
    for (const Citation& c : out) listed = listed || c.url == s.url;
    if (!listed) out.push_back({s.url, s.title, 0, 0});
  }
  return out;
}

std::vector<Citation> read_citations(raw::value grounding, std::string_view text) {
  std::vector<Citation> out;
  if (!grounding.is_object()) return out;
  std::vector<Source> sources;
  for (raw::value chunk : grounding.get("groundingChunks").items()) sources.push_back(source_of(chunk));
  if (sources.empty()) return out;

  // Each supported span × each source it names; offsets in bytes for now.
  for (raw::value support : grounding.get("groundingSupports").items()) {
    const raw::value segment = support.get("segment");
    // proto3 leaves a 0 start out.
    const int64_t start = segment.get("startIndex").as_int64().value_or(0);
    const int64_t end = segment.get("endIndex").as_int64().value_or(0);
    if (start < 0 || end < start) continue;
    for (raw::value index : support.get("groundingChunkIndices").items()) {
      const std::optional<int64_t> i = index.as_int64();
      if (!i || *i < 0 || *i >= static_cast<int64_t>(sources.size())) continue;
      const Source& s = sources[static_cast<size_t>(*i)];
      if (s.url.empty() || out.size() >= kMaxCitations) continue;
      out.push_back({s.url, s.title, start, end});
    }
  }

  // Bytes → code points, in one walk over the offsets in order. A span past the text goes.
  std::vector<int64_t> offsets;
  for (const Citation& c : out) {
    offsets.push_back(c.start);
    offsets.push_back(c.end);
  }
  std::sort(offsets.begin(), offsets.end());
  offsets.erase(std::unique(offsets.begin(), offsets.end()), offsets.end());
  std::vector<int64_t> points(offsets.size(), -1);
  Walker w(text);
  for (size_t k = 0; k < offsets.size(); ++k) {
    while (w.bytes() < offsets[k] && !w.done()) w.step();
    // An offset inside a character counts that character in.
    if (w.bytes() >= offsets[k]) points[k] = w.code_points();
  }
  const auto point = [&](int64_t byte) {
    return points[static_cast<size_t>(std::lower_bound(offsets.begin(), offsets.end(), byte) - offsets.begin())];
  };
  size_t kept = 0;
  for (Citation& c : out) {
    const int64_t start = point(c.start);
    const int64_t end = point(c.end);
    if (start < 0 || end < 0) continue;
    c.start = start;
    c.end = end;
    out[kept++] = c;
  }
  out.resize(kept);

  // Sources no kept span cites still count: an empty span at the start.
  for (const Source& s : sources) {
    if (s.url.empty() || out.size() >= kMaxCitations) continue;
    bool listed = false;
    for (const Citation& c : out) listed = listed || c.url == s.url;
    if (!listed) out.push_back({s.url, s.title, 0, 0});
  }
  return out;
}

}  // namespace bal::gemini
