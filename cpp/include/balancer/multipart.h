// multipart.h — a multipart/form-data reader (RFC 7578) for the upload routes
// (/v1/images/edits, /v1/audio/transcriptions): the parts stay spans of the body, so a 10 MB
// file is found, never copied.
//
//   bal::multipart::Form form;
//   if (auto err = bal::multipart::parse(content_type, body, form)) {
//     return bad_request(bal::multipart::error_message(err));
//   }
//   const bal::multipart::Part* file = form.field("file");   // the last part of that name
//   for (const auto* image : form.all("image[]")) ...        // every part of that name, in order
//
// The body must outlive the form. Errors are values; no input traps or loops for long (every
// step moves forward through the body).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bal::multipart {

// Only `none` is zero, so `if (auto err = parse(...))` reads as "on error".
enum Error : uint8_t {
  none = 0,
  not_form_data,      // the content type is not multipart/form-data
  no_boundary,        // no boundary parameter, or an invalid one (RFC 2046: 1-70 characters)
  no_first_boundary,  // the body does not start with the first delimiter
  bad_part_headers,   // a part's headers are malformed or missing their blank line
  no_part_name,       // a part without Content-Disposition: form-data; name="..."
  unterminated,       // the body ends before the closing delimiter
  too_many_parts,     // more than kMaxParts
};

inline constexpr size_t kMaxParts = 256;
inline constexpr size_t kMaxHeaderBytes = 16 * 1024;  // one part's header block

struct Part {
  std::string name;
  std::string filename;       // empty when the part had none
  bool has_filename = false;  // a file part (filename="" still counts: browsers send it)
  std::string content_type;   // as sent, lower-cased, parameters kept; empty when absent
  std::string_view data;      // into the body
};

struct Form {
  std::vector<Part> parts;

  // The last part named `name` (a repeated plain field: the last wins), or nullptr.
  const Part* field(std::string_view name) const;
  // Every part named `name`, in order.
  std::vector<const Part*> all(std::string_view name) const;
};

// The boundary of a multipart/form-data content type.
Error boundary_of(std::string_view content_type, std::string& boundary);

// Reads `body` sent with `content_type` into `form` (replacing what it held).
Error parse(std::string_view content_type, std::string_view body, Form& form);

// A sentence for the client ("The multipart body ends before its closing boundary.").
const char* error_message(Error err);

}  // namespace bal::multipart
