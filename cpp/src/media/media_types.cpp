#include "balancer/media_types.h"

#include <string>

#include "balancer/ascii.h"

namespace bal::media {
namespace {

struct Signature {
  size_t offset;
  std::string_view bytes;
  std::string_view mime;
};

// Read top to bottom; the first match wins. RIFF and ftyp containers are told apart by the
// bytes after their header. MPEG audio frame sync (FF Ex/Fx) is checked separately below,
// because its layer bits tell MP3 from AAC.
constexpr Signature kSignatures[] = {
    {0, "\x89PNG\r\n\x1a\n", "image/png"},
    {0, "\xff\xd8\xff", "image/jpeg"},
    {8, "WEBP", "image/webp"},  // after "RIFF" + size
    {8, "WAVE", "audio/wav"},
    {8, "AIFF", "audio/aiff"},  // after "FORM" + size
    {8, "AIFC", "audio/aiff"},
    {4, "ftypheic", "image/heic"},
    {4, "ftypheix", "image/heic"},
    {4, "ftypmif1", "image/heif"},
    {4, "ftypmsf1", "image/heif"},
    {4, "ftypM4A ", "audio/mp4"},
    {4, "ftypqt  ", "video/mov"},
    {4, "ftyp", "video/mp4"},
    {0, "GIF8", "image/gif"},
    {0, "%PDF-", "application/pdf"},
    {0, "ID3", "audio/mp3"},
    {0, "fLaC", "audio/flac"},
    {0, "OggS", "audio/ogg"},
    {0, "\x1a\x45\xdf\xa3", "audio/webm"},
};

struct Extension {
  std::string_view suffix;
  std::string_view mime;
};

constexpr Extension kExtensions[] = {
    {".png", "image/png"},   {".jpg", "image/jpeg"},  {".jpeg", "image/jpeg"}, {".webp", "image/webp"},
    {".heic", "image/heic"}, {".heif", "image/heif"}, {".wav", "audio/wav"},   {".mp3", "audio/mp3"},
    {".mpga", "audio/mp3"},  {".mpeg", "audio/mp3"},  {".aiff", "audio/aiff"}, {".aif", "audio/aiff"},
    {".aac", "audio/aac"},   {".ogg", "audio/ogg"},   {".oga", "audio/ogg"},   {".opus", "audio/ogg"},
    {".flac", "audio/flac"}, {".m4a", "audio/mp4"},   {".webm", "audio/webm"}, {".pdf", "application/pdf"},
    {".mp4", "video/mp4"},   {".mov", "video/mov"},
};

// Declared types that name the same thing as an accepted one.
struct Alias {
  std::string_view alias;
  std::string_view mime;
};

constexpr Alias kAliases[] = {
    {"image/jpg", "image/jpeg"},    {"image/pjpeg", "image/jpeg"},   {"audio/x-wav", "audio/wav"},
    {"audio/wave", "audio/wav"},    {"audio/vnd.wave", "audio/wav"}, {"audio/mpeg", "audio/mp3"},
    {"audio/x-flac", "audio/flac"}, {"audio/x-aiff", "audio/aiff"},  {"audio/x-m4a", "audio/mp4"},
    {"audio/m4a", "audio/mp4"},     {"audio/opus", "audio/ogg"},     {"video/quicktime", "video/mov"},
};

// What Gemini takes inline, per kind (Google's documented lists; audio/mp4 and audio/webm are
// what browsers record and Gemini reads them too).
struct Accepted {
  Kind kind;
  std::string_view mime;
};

constexpr Accepted kAccepted[] = {
    {Kind::image, "image/png"},  {Kind::image, "image/jpeg"},         {Kind::image, "image/webp"},
    {Kind::image, "image/heic"}, {Kind::image, "image/heif"},         {Kind::audio, "audio/wav"},
    {Kind::audio, "audio/mp3"},  {Kind::audio, "audio/aiff"},         {Kind::audio, "audio/aac"},
    {Kind::audio, "audio/ogg"},  {Kind::audio, "audio/flac"},         {Kind::audio, "audio/mp4"},
    {Kind::audio, "audio/webm"}, {Kind::document, "application/pdf"}, {Kind::video, "video/mp4"},
    {Kind::video, "video/mov"},  {Kind::video, "video/webm"},         {Kind::video, "video/mpeg"},
};

struct KindName {
  Kind kind;
  std::string_view names;
};

constexpr KindName kKindNames[] = {
    {Kind::image, "PNG, JPEG, WebP, HEIC or HEIF"},
    {Kind::audio, "WAV, MP3, AIFF, AAC, OGG, FLAC, M4A or WebM"},
    {Kind::document, "PDF"},
    {Kind::video, "MP4, MOV, WebM or MPEG"},
};

using ascii::lower;

bool ends_with_ci(std::string_view s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  s = s.substr(s.size() - suffix.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (lower(s[i]) != suffix[i]) return false;
  }
  return true;
}

// "Image/JPG; charset=x" → "image/jpeg" (into `buf`); a known alias becomes its canonical name.
std::string_view canonical(std::string_view declared, std::string& buf) {
  declared = declared.substr(0, declared.find(';'));
  while (!declared.empty() && declared.back() == ' ') declared.remove_suffix(1);
  while (!declared.empty() && declared.front() == ' ') declared.remove_prefix(1);
  buf.clear();
  for (const char c : declared) buf += lower(c);
  for (const Alias& a : kAliases) {
    if (buf == a.alias) return a.mime;
  }
  return buf;
}

}  // namespace

std::string_view sniff(std::string_view b) {
  for (const Signature& s : kSignatures) {
    if (b.size() >= s.offset + s.bytes.size() && b.substr(s.offset, s.bytes.size()) == s.bytes) return s.mime;
  }
  if (b.size() >= 2 && static_cast<unsigned char>(b[0]) == 0xff && (static_cast<unsigned char>(b[1]) & 0xe0) == 0xe0) {
    // MPEG frame sync: layer bits 00 are AAC's ADTS, anything else MPEG audio.
    return (static_cast<unsigned char>(b[1]) & 0x06) == 0 ? "audio/aac" : "audio/mp3";
  }
  return {};
}

bool accepted(Kind kind, std::string_view mime) {
  for (const Accepted& a : kAccepted) {
    if (a.kind == kind && a.mime == mime) return true;
  }
  return false;
}

std::string_view accepted_names(Kind kind) {
  for (const KindName& k : kKindNames) {
    if (k.kind == kind) return k.names;
  }
  return {};
}

std::string_view identify(std::string_view bytes, std::string_view declared, std::string_view filename, Kind kind) {
  const std::string_view sniffed = sniff(bytes);
  if (accepted(kind, sniffed)) return sniffed;
  // MP4 and WebM are containers: the same signature holds sound only or pictures too.
  if (kind == Kind::audio && sniffed == "video/mp4") return "audio/mp4";
  if (kind == Kind::video && sniffed == "audio/webm") return "video/webm";
  // Bytes with a known signature of another kind are that kind, whatever the label says.
  if (!sniffed.empty()) return {};
  std::string buf;
  const std::string_view named = canonical(declared, buf);
  for (const Accepted& a : kAccepted) {
    if (a.kind == kind && a.mime == named) return a.mime;
  }
  for (const Extension& e : kExtensions) {
    if (ends_with_ci(filename, e.suffix) && accepted(kind, e.mime)) return e.mime;
  }
  return {};
}

}  // namespace bal::media
