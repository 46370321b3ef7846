// OpenAI message content → Gemini parts: text, image_url, input_audio, file.
//
// An http(s) image URL is fetched by the request machine (media_url.h): the first
// translation only names it, the second writes its bytes inline.
#include "balancer/media_url.h"
#include "request_internal.h"

namespace bal::openai::req {
namespace {

using gemini::mime_for_filename;
using gemini::write_inline;

// What a part writer needs besides the part.
struct PartContext {
  std::string_view role;
  Turns& turns;
  Failure& err;
  media::UrlMedia* urls;
};

bool write_text(raw::value text, std::string_view role, Turns& turns, Failure& err, const Path& at) {
  if (!text.is_string()) return err.fail_at(at, "must be a string.", "invalid_type");
  // Gemini refuses empty text parts; an empty text adds nothing.
  if (!text.raw().empty()) turns.part(role).begin_object().key("text").raw_string(text).end_object();
  return true;
}

bool write_image(raw::value part, PartContext& cx, const Path& at) {
  raw::value image = part.get("image_url");
  raw::value url = image.is_string() ? image : image.get("url");
  const Path url_at(at, image.is_string() ? "image_url" : "image_url.url");
  if (!url.is_string()) return cx.err.fail_at(url_at, "must be a string.", "invalid_type");
  DataUrl data;
  if (parse_data_url(url, data)) {
    write_inline(cx.turns, cx.role, data.mime, data.data());
    return true;
  }
  const std::string href = url.str();
  if (media::is_remote_url(href)) {
    std::string_view mime, b64;
    if (!media::remote_inline(cx.urls, href, url_at, media::Kind::image, mime, b64, cx.err)) return false;
    write_inline(cx.turns, cx.role, mime, b64);
    return true;
  }
  return cx.err.fail_at(url_at, "must be an http(s) URL or a base64 data URL (data:<mime type>;base64,<data>).");
}

// Base64 data that is not a data: URL, with the MIME type the part implies.
void write_bare_base64(raw::value data, std::string_view mime, std::string_view role, Turns& turns) {
  if (!data.has_escapes()) {
    write_inline(turns, role, mime, data.raw());
    return;
  }
  std::string escaped;
  raw::append_escaped(escaped, data.str());
  write_inline(turns, role, mime, escaped);
}

bool write_audio(raw::value part, PartContext& cx, const Path& at) {
  const std::string_view role = cx.role;
  Turns& turns = cx.turns;
  Failure& err = cx.err;
  raw::value audio = part.get("input_audio");
  raw::value data = audio.get("data");
  const Path data_at(at, "input_audio.data");
  if (!data.is_string()) return err.fail_at(data_at, "must be a base64 string.", "invalid_type");
  DataUrl url;
  if (parse_data_url(data, url)) {
    write_inline(turns, role, url.mime, url.data());
    return true;
  }
  const std::string format = audio.get("format").str();
  bool ok = !format.empty() && format.size() <= 16;
  for (const char c : format) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'));
  if (!ok) return err.fail_at(Path(at, "input_audio.format"), "must name an audio format such as wav or mp3.");
  write_bare_base64(data, "audio/" + format, role, turns);
  return true;
}

bool write_file(raw::value part, PartContext& cx, const Path& at) {
  const std::string_view role = cx.role;
  Turns& turns = cx.turns;
  Failure& err = cx.err;
  raw::value file = part.get("file");
  raw::value data = present(file.get("file_data"));
  const Path data_at(at, "file.file_data");
  if (!data.exists()) {
    if (present(file.get("file_id")).exists()) {
      return err.fail("Uploaded file ids are not supported: send the file inline in file.file_data.",
                      Path(at, "file.file_id").str(), "unsupported_value");
    }
    return err.fail_at(data_at, "is required.", "missing_required_parameter");
  }
  if (!data.is_string()) return err.fail_at(data_at, "must be a string.", "invalid_type");
  DataUrl url;
  if (parse_data_url(data, url)) {
    write_inline(turns, role, url.mime, url.data());
    return true;
  }
  write_bare_base64(data, mime_for_filename(file.get("filename").str()), role, turns);
  return true;
}

using PartWriter = bool (*)(raw::value, PartContext&, const Path&);

struct PartType {
  std::string_view type;
  bool media;  // allowed only where media is (user turns)
  PartWriter write;
};

bool write_text_part(raw::value part, PartContext& cx, const Path& at) {
  return write_text(part.get("text"), cx.role, cx.turns, cx.err, Path(at, "text"));
}

bool write_refusal_part(raw::value part, PartContext& cx, const Path& at) {
  return write_text(part.get("refusal"), cx.role, cx.turns, cx.err, Path(at, "refusal"));
}

constexpr PartType kPartTypes[] = {
    {"text", false, write_text_part}, {"refusal", false, write_refusal_part},
    {"image_url", true, write_image}, {"input_audio", true, write_audio},
    {"file", true, write_file},
};

}  // namespace

bool write_content(raw::value content, std::string_view role, bool with_media, Turns& turns, Failure& err,
                   const Path& at, media::UrlMedia* urls) {
  content = present(content);
  if (!content.exists()) return true;
  if (content.is_string()) return write_text(content, role, turns, err, at);
  if (!content.is_array()) return err.fail_at(at, "must be a string or an array of content parts.", "invalid_type");
  size_t j = 0;
  for (raw::value part : content.items()) {
    const Path part_at(at, j++);
    raw::value type = part.get("type");
    const PartType* found = nullptr;
    for (const PartType& t : kPartTypes) {
      if (type.equals(t.type) && (with_media || !t.media)) found = &t;
    }
    if (found == nullptr) {
      return err.fail_at(Path(part_at, "type"), "'" + type.str() + "' is not a supported content part type here.",
                         "unsupported_value");
    }
    PartContext cx{role, turns, err, urls};
    if (!found->write(part, cx, part_at)) return false;
  }
  return true;
}

bool content_text(raw::value content, std::string& text, Failure& err, const Path& at) {
  content = present(content);
  if (!content.exists()) return true;
  if (content.is_string()) {
    text = content.str();
    return true;
  }
  if (!content.is_array()) return err.fail_at(at, "must be a string or an array of text parts.", "invalid_type");
  size_t j = 0;
  for (raw::value part : content.items()) {
    const Path part_at(at, j++);
    if (!part.get("type").equals("text") || !part.get("text").is_string()) {
      return err.fail_at(part_at, "must be a text part.", "invalid_type");
    }
    text += part.get("text").str();
  }
  return true;
}

}  // namespace bal::openai::req
