// multipart/form-data (RFC 7578 over RFC 2046). Lenient where clients differ (LF line ends, a
// preamble, quoted or bare parameter values, filename*), strict where a mistake would lose
// data (a part must have a name, the closing delimiter must be there).
#include "balancer/multipart.h"

#include <cstring>

#include "balancer/ascii.h"

namespace bal::multipart {
namespace {

using ascii::lower;
using ascii::iequals;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Reads `; name=value` parameters after a media type or disposition type, calling
// on(name, value) with quoted values unquoted. Returns false on a malformed quoted string.
template <class On>
bool read_params(std::string_view s, On&& on) {
  while (true) {
    const size_t semi = s.find(';');
    if (semi == std::string_view::npos) return true;
    s.remove_prefix(semi + 1);
    s = trim(s);
    const size_t eq = s.find('=');
    if (eq == std::string_view::npos) return true;
    const std::string_view name = trim(s.substr(0, eq));
    s = trim(s.substr(eq + 1));
    std::string value;
    if (!s.empty() && s.front() == '"') {
      size_t i = 1;
      for (; i < s.size() && s[i] != '"'; ++i) {
        if (s[i] == '\\' && i + 1 < s.size()) ++i;
        value += s[i];
      }
      if (i >= s.size()) return false;
      s.remove_prefix(i + 1);
    } else {
      const size_t end = s.find(';');
      value = std::string(trim(s.substr(0, end)));
      s = end == std::string_view::npos ? std::string_view() : s.substr(end);
    }
    on(name, value);
  }
}

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = lower(c);
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

// RFC 5987 ext-value: charset'language'percent-encoded. Only UTF-8 (and ASCII) are read.
bool ext_value(std::string_view v, std::string& out) {
  const size_t q1 = v.find('\'');
  const size_t q2 = q1 == std::string_view::npos ? q1 : v.find('\'', q1 + 1);
  if (q2 == std::string_view::npos) return false;
  const std::string_view charset = v.substr(0, q1);
  if (!iequals(charset, "utf-8") && !iequals(charset, "us-ascii")) return false;
  out.clear();
  for (size_t i = q2 + 1; i < v.size(); ++i) {
    if (v[i] == '%' && i + 2 < v.size() && hex(v[i + 1]) >= 0 && hex(v[i + 2]) >= 0) {
      out += static_cast<char>(hex(v[i + 1]) * 16 + hex(v[i + 2]));
      i += 2;
    } else {
      out += v[i];
    }
  }
  return true;
}

bool valid_boundary(std::string_view b) {
  if (b.empty() || b.size() > 70 || b.back() == ' ') return false;
  for (const char c : b) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) return false;
  }
  return true;
}

// The next line end at or after `at`: {position of the line's end, position after it}.
struct LineEnd {
  size_t end;
  size_t next;
};

LineEnd line_end(std::string_view s, size_t at) {
  const size_t lf = s.find('\n', at);
  if (lf == std::string_view::npos) return {std::string_view::npos, std::string_view::npos};
  return {lf > at && s[lf - 1] == '\r' ? lf - 1 : lf, lf + 1};
}

// The next "\r\n--boundary" (or "\n--boundary") at or after `from`; npos when none.
size_t find_delimiter(std::string_view body, size_t from, std::string_view dash_boundary) {
  const char* base = body.data();
  const size_t size = body.size();
  size_t at = from;
  while (at < size) {
    const void* hit = std::memchr(base + at, '\n', size - at);
    if (hit == nullptr) return std::string_view::npos;
    const size_t lf = static_cast<size_t>(static_cast<const char*>(hit) - base);
    if (size - (lf + 1) >= dash_boundary.size() &&
        std::memcmp(base + lf + 1, dash_boundary.data(), dash_boundary.size()) == 0) {
      return lf > from && base[lf - 1] == '\r' ? lf - 1 : lf;
    }
    at = lf + 1;
  }
  return std::string_view::npos;
}

// Reads one part's header block starting at `at`; sets `at` past the blank line.
Error read_headers(std::string_view body, size_t& at, Part& part) {
  bool named = false;
  const size_t start = at;
  while (true) {
    const LineEnd le = line_end(body, at);
    if (le.end == std::string_view::npos || le.next - start > kMaxHeaderBytes) return bad_part_headers;
    const std::string_view line = body.substr(at, le.end - at);
    at = le.next;
    if (line.empty()) break;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) return bad_part_headers;
    const std::string_view name = trim(line.substr(0, colon));
    const std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "content-type")) {
      part.content_type.clear();
      for (const char c : value) part.content_type += lower(c);
    } else if (iequals(name, "content-disposition")) {
      const size_t semi = value.find(';');
      if (!iequals(trim(value.substr(0, semi)), "form-data")) return no_part_name;
      std::string ext_name;
      const bool ok = read_params(value, [&](std::string_view key, const std::string& v) {
        if (iequals(key, "name")) {
          part.name = v;
          named = true;
        } else if (iequals(key, "filename")) {
          part.filename = v;
          part.has_filename = true;
        } else if (iequals(key, "filename*") && ext_value(v, ext_name)) {
          part.filename = ext_name;
          part.has_filename = true;
        }
      });
      if (!ok) return bad_part_headers;
    }
  }
  return named ? none : no_part_name;
}

}  // namespace

const Part* Form::field(std::string_view name) const {
  const Part* found = nullptr;
  for (const Part& p : parts) {
    if (p.name == name) found = &p;
  }
  return found;
}

std::vector<const Part*> Form::all(std::string_view name) const {
  std::vector<const Part*> out;
  for (const Part& p : parts) {
    if (p.name == name) out.push_back(&p);
  }
  return out;
}

Error boundary_of(std::string_view content_type, std::string& boundary) {
  const std::string_view type = trim(content_type.substr(0, content_type.find(';')));
  if (!iequals(type, "multipart/form-data")) return not_form_data;
  boundary.clear();
  bool found = false;
  const bool ok = read_params(content_type, [&](std::string_view key, const std::string& v) {
    if (iequals(key, "boundary")) {
      boundary = v;
      found = true;
    }
  });
  return ok && found && valid_boundary(boundary) ? none : no_boundary;
}

Error parse(std::string_view content_type, std::string_view body, Form& form) {
  form.parts.clear();
  std::string boundary;
  if (const Error err = boundary_of(content_type, boundary)) return err;
  const std::string dash = "--" + boundary;
  // The first delimiter: at the very start, or after a preamble that ends with a line break.
  size_t at = 0;
  if (body.substr(0, dash.size()) != dash) {
    at = find_delimiter(body, 0, dash);
    if (at == std::string_view::npos) return no_first_boundary;
    at = body.find('\n', at) + 1;
  }
  at += dash.size();
  while (true) {
    if (body.substr(at, 2) == "--") return none;  // the closing delimiter; the epilogue is ignored
    while (at < body.size() && (body[at] == ' ' || body[at] == '\t')) ++at;
    const LineEnd le = line_end(body, at);
    if (le.end != at) return le.end == std::string_view::npos ? unterminated : bad_part_headers;
    at = le.next;
    if (form.parts.size() == kMaxParts) return too_many_parts;
    Part part;
    if (const Error err = read_headers(body, at, part)) return err;
    const size_t end = find_delimiter(body, at, dash);
    if (end == std::string_view::npos) return unterminated;
    part.data = body.substr(at, end - at);
    form.parts.push_back(std::move(part));
    at = body.find('\n', end) + 1 + dash.size();
  }
}

const char* error_message(Error err) {
  switch (err) {
    case none:
      return "";
    case not_form_data:
      return "The request body must be multipart/form-data.";
    case no_boundary:
      return "The multipart/form-data content type has no valid boundary parameter.";
    case no_first_boundary:
      return "The multipart body does not start with its boundary.";
    case bad_part_headers:
      return "A part of the multipart body has malformed headers.";
    case no_part_name:
      return "A part of the multipart body has no Content-Disposition form-data name.";
    case unterminated:
      return "The multipart body ends before its closing boundary.";
    case too_many_parts:
      return "The multipart body has too many parts.";
  }
  return "The multipart body is malformed.";
}

}  // namespace bal::multipart
