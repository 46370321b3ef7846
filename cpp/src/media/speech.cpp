// /v1/audio/speech → a Gemini TTS model. Gemini answers 24 kHz 16-bit mono PCM as base64; the
// client gets the bytes, as WAV (the RIFF header written here) or bare PCM.
#include "balancer/ascii.h"
#include "balancer/base64.h"
#include "media_internal.h"

namespace bal::media {
namespace {

using detail::bad_request;

// Gemini's 30 prebuilt voices.
constexpr std::string_view kGeminiVoices[] = {
    "Zephyr",     "Puck",          "Charon",       "Kore",      "Fenrir",     "Leda",    "Orus",    "Aoede",
    "Callirrhoe", "Autonoe",       "Enceladus",    "Iapetus",   "Umbriel",    "Algieba", "Despina", "Erinome",
    "Algenib",    "Rasalgethi",    "Laomedeia",    "Achernar",  "Alnilam",    "Schedar", "Gacrux",  "Pulcherrima",
    "Achird",     "Zubenelgenubi", "Vindemiatrix", "Sadachbia", "Sadaltager", "Sulafat",
};

struct VoicePair {
  std::string_view openai;
  std::string_view gemini;
};

// OpenAI's voices, each given the Gemini voice Google describes closest to it (bright, firm,
// warm, deep ...). Documented in the README.
constexpr VoicePair kOpenAIVoices[] = {
    {"alloy", "Kore"},   {"ash", "Orus"},       {"ballad", "Sulafat"}, {"coral", "Aoede"},  {"echo", "Charon"},
    {"fable", "Fenrir"}, {"nova", "Leda"},      {"onyx", "Algenib"},   {"sage", "Schedar"}, {"shimmer", "Zephyr"},
    {"verse", "Puck"},   {"marin", "Achernar"}, {"cedar", "Iapetus"},
};

constexpr uint32_t kDefaultRate = 24000;

enum class AudioFormat { wav, pcm };

using ascii::lower;
using ascii::iequals;

void put_u32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

void put_u16(std::string& out, uint16_t v) {
  out += static_cast<char>(v & 0xff);
  out += static_cast<char>(v >> 8);
}

// "audio/L16;codec=pcm;rate=24000" → 24000; 0 when the type is not 16-bit PCM.
uint32_t pcm_rate(std::string_view mime) {
  const std::string_view type = mime.substr(0, mime.find(';'));
  if (!iequals(type, "audio/l16") && !iequals(type, "audio/pcm")) return 0;
  const size_t at = mime.find("rate=");
  if (at == std::string_view::npos) return kDefaultRate;
  const auto rate = detail::int_text(mime.substr(at + 5, mime.find(';', at) - at - 5));
  return rate && *rate >= 1000 && *rate <= 384000 ? static_cast<uint32_t>(*rate) : 0;
}

class SpeechExchange final : public detail::OpenAIExchange {
 public:
  explicit SpeechExchange(AudioFormat format) : format_(format) {}
  Reply answer(const std::vector<std::string_view>& bodies) override;

 private:
  AudioFormat format_;
};

Reply SpeechExchange::answer(const std::vector<std::string_view>& bodies) {
  detail::Answer a;
  if (bodies.empty() || !detail::read_answer(bodies[0], a)) {
    return error(bad_gateway("Gemini's answer could not be read."));
  }
  usage_ = a.usage;
  Reply r;
  // The header goes first; its sizes are filled in once the samples are known.
  if (format_ == AudioFormat::wav) r.body.assign(44, '\0');
  uint32_t rate = 0;
  for (const raw::value part : a.parts.items()) {
    const raw::value data = part.get("inlineData");
    if (!data.is_object()) continue;
    const uint32_t this_rate = pcm_rate(data.get("mimeType").str());
    if (this_rate == 0 || (rate != 0 && this_rate != rate)) {
      return error(bad_gateway("Gemini answered with audio that is not 16-bit PCM at one rate (" +
                                       data.get("mimeType").str() + ")."));
    }
    rate = this_rate;
    const raw::value b64 = data.get("data");
    const bool ok = b64.has_escapes() ? base64::decode(b64.str(), r.body) : base64::decode(b64.raw(), r.body);
    if (!ok) return error(bad_gateway("Gemini's audio is not valid base64."));
  }
  if (rate == 0) return error(detail::empty_answer(a, "audio"));
  if (format_ == AudioFormat::wav) {
    std::string header;
    append_wav_header(header, rate, static_cast<uint32_t>(r.body.size() - 44));
    r.body.replace(0, 44, header);
    r.content_type = "audio/wav";
  } else {
    r.content_type = "audio/pcm";
  }
  return r;
}

bool read_voice(raw::value voice, std::string_view& name, ApiError& err) {
  if (voice.is_object()) {
    err = bad_request("Custom voices are not supported: use one of OpenAI's voices or a Gemini prebuilt voice.",
                      "voice", "unsupported_value");
    return false;
  }
  if (!voice.is_string()) {
    err = bad_request(
        "voice is required: one of OpenAI's voices (alloy, ash, ballad, coral, echo, fable, nova, onyx, "
        "sage, shimmer, verse, marin, cedar) or a Gemini prebuilt voice (Kore, Puck, Zephyr ...).",
        "voice", "missing_required_parameter");
    return false;
  }
  name = gemini_voice(voice.str());
  if (!name.empty()) return true;
  err = bad_request("voice '" + voice.str() +
                        "' is neither one of OpenAI's voices nor one of Gemini's 30 prebuilt voices (Zephyr, Puck, "
                        "Charon, Kore, Fenrir, Leda, Orus, Aoede, Callirrhoe, Autonoe, Enceladus, Iapetus, Umbriel, "
                        "Algieba, Despina, Erinome, Algenib, Rasalgethi, Laomedeia, Achernar, Alnilam, Schedar, "
                        "Gacrux, Pulcherrima, Achird, Zubenelgenubi, Vindemiatrix, Sadachbia, Sadaltager, Sulafat).",
                    "voice");
  return false;
}

bool read_audio_format(raw::value format, AudioFormat& out, ApiError& err) {
  format = gemini::present(format);
  // OpenAI's default is MP3; this server has no encoder, so the default is WAV.
  if (!format.exists() || format.equals("wav")) return (out = AudioFormat::wav, true);
  if (format.equals("pcm")) return (out = AudioFormat::pcm, true);
  err = bad_request("response_format '" + format.str() +
                        "' is not supported: Gemini speaks 24 kHz 16-bit PCM and this server answers it as wav "
                        "(the default) or pcm; mp3, opus, aac and flac would need an encoder.",
                    "response_format", "unsupported_value");
  return false;
}

bool read_speed(raw::value speed, ApiError& err) {
  speed = gemini::present(speed);
  if (!speed.exists() || speed.as_double().value_or(0) == 1.0) return true;
  err = bad_request("speed must be 1: Gemini's speech has no speed setting (ask for a pace in instructions instead).",
                    "speed", "unsupported_value");
  return false;
}

}  // namespace

std::string_view gemini_voice(std::string_view voice) {
  for (const VoicePair& v : kOpenAIVoices) {
    if (iequals(voice, v.openai)) return v.gemini;
  }
  for (const std::string_view v : kGeminiVoices) {
    if (iequals(voice, v)) return v;
  }
  return {};
}

void append_wav_header(std::string& out, uint32_t rate, uint32_t data_bytes) {
  constexpr uint16_t kChannels = 1;
  constexpr uint16_t kBits = 16;
  out += "RIFF";
  put_u32(out, 36 + data_bytes);
  out += "WAVEfmt ";
  put_u32(out, 16);  // the fmt chunk's size
  put_u16(out, 1);   // PCM
  put_u16(out, kChannels);
  put_u32(out, rate);
  put_u32(out, rate * kChannels * kBits / 8);
  put_u16(out, kChannels * kBits / 8);
  put_u16(out, kBits);
  out += "data";
  put_u32(out, data_bytes);
}

Translated translate_speech(std::string_view body, const RequestInfo& info) {
  raw::document doc;
  auto exchange = [] { return std::make_unique<SpeechExchange>(AudioFormat::wav); };
  if (doc.parse(body) != raw::success) {
    return detail::refuse(bad_request(gemini::parse_error_message(doc), {}, "invalid_json"), exchange());
  }
  const raw::value root = doc.root();
  if (!root.is_object()) return detail::refuse(bad_request("The body must be a JSON object."), exchange());
  ApiError err;
  std::string model;
  std::string_view voice;
  AudioFormat format = AudioFormat::wav;
  const raw::value input = gemini::present(root.get("input"));
  const raw::value instructions = gemini::present(root.get("instructions"));
  const raw::value client_model = gemini::present(root.get("model"));
  const raw::value stream_format = gemini::present(root.get("stream_format"));
  const bool ok =
      detail::check_fields(
          root, {"model", "input", "voice", "instructions", "response_format", "speed", "stream_format"}, err) &&
      ((input.is_string() && !input.raw().empty()) ||
       (err = bad_request("input is required: the text to speak.", "input", "missing_required_parameter"), false)) &&
      (!instructions.exists() || instructions.is_string() ||
       (err = bad_request("instructions must be a string.", "instructions"), false)) &&
      (!client_model.exists() || client_model.is_string() ||
       (err = bad_request("model must be a string.", "model"), false)) &&
      detail::resolve_model(client_model.str(), kDefaultSpeechModel, info, false, model, err) &&
      read_voice(gemini::present(root.get("voice")), voice, err) &&
      read_audio_format(root.get("response_format"), format, err) && read_speed(root.get("speed"), err) &&
      (!stream_format.exists() || stream_format.equals("audio") ||
       (err = bad_request("stream_format 'sse' is not supported: the audio is answered whole.", "stream_format",
                          "unsupported_value"),
        false));
  if (!ok) return detail::refuse(err, exchange());

  // Gemini's TTS models refuse systemInstruction: the style goes before the text, the way
  // Google's own examples direct them ("Say cheerfully: ...").
  UpstreamCall c;
  c.model = model;
  c.path = detail::generate_path(model);
  c.body.reserve(input.raw().size() + instructions.raw().size() + 256);
  c.body += R"({"contents":[{"role":"user","parts":[{"text":")";
  if (instructions.exists() && !instructions.raw().empty()) {
    c.body += instructions.raw();
    c.body += ":\\n";
  }
  c.body += input.raw();
  c.body += R"("}]}],"generationConfig":{"responseModalities":["AUDIO"],"speechConfig":{"voiceConfig":)";
  c.body += R"({"prebuiltVoiceConfig":{"voiceName":")";
  c.body += voice;
  c.body += R"("}}}}})";
  Translated t;
  t.calls.push_back(std::move(c));
  t.exchange = std::make_unique<SpeechExchange>(format);
  return t;
}

}  // namespace bal::media
