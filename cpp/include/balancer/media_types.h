// media_types.h — which file a byte string is, and which of those Gemini takes inline.
//
// Clients label uploads loosely (application/octet-stream, a wrong extension), so the bytes'
// own signature decides first, then the declared type, then the file name.
//
//   std::string_view mime = bal::media::identify(bytes, part.content_type, part.filename,
//                                                bal::media::Kind::image);
//   if (mime.empty()) return bad_request("not a PNG, JPEG, WebP, HEIC or HEIF image");
#pragma once

#include <string_view>

namespace bal::media {

enum class Kind { image, audio, document, video };

// The MIME type the bytes' signature shows ("image/png", "audio/wav" ...); empty when unknown.
std::string_view sniff(std::string_view bytes);

// The Gemini MIME type for an upload of `kind`: the sniffed type when it is one Gemini takes
// for that kind, else the declared content type (parameters dropped, "image/jpg" read as
// "image/jpeg"), else the file name's extension; empty when none is acceptable.
std::string_view identify(std::string_view bytes, std::string_view declared, std::string_view filename, Kind kind);

// Whether Gemini takes `mime` (lower case, no parameters) inline for `kind`.
bool accepted(Kind kind, std::string_view mime);

// "PNG, JPEG, WebP, HEIC or HEIF", for error messages.
std::string_view accepted_names(Kind kind);

}  // namespace bal::media
