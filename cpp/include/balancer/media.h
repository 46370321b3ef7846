// media.h — OpenAI's image and audio routes, translated to Gemini (exchange.h).
//
//   POST /v1/images/generations   JSON          → n × generateContent on an image model
//   POST /v1/images/edits         multipart     → n × generateContent, the images inline
//   POST /v1/audio/speech         JSON          → generateContent on a TTS model → WAV or PCM
//   POST /v1/audio/transcriptions multipart     → generateContent, the audio inline
//   POST /v1/audio/translations   multipart     → the same, translated to English
//
//   bal::Translated t = bal::media::translate_speech(body, info);
//   if (t.error) return t.exchange->error(*t.error);
//   ... the machine runs t.calls (images: one call per image, each on its own key) ...
//   bal::Reply r = t.exchange->answer(bodies);   // speech: r.body holds the WAV bytes
//
// Errors are OpenAI's ({"error":{"message","type","param","code"}}). Models go through
// MODEL_MAP (info.models): dall-e-*/gpt-image-* to an image model, tts-1*/gpt-4o-mini-tts to a
// TTS model, whisper-*/gpt-4o-*-transcribe to a Gemini model that listens.
#pragma once

#include <cstdint>
#include <string_view>

#include "balancer/exchange.h"

namespace bal::media {

// The statistics family of each route (per key, per model, per family).
inline constexpr std::string_view kImagesFamily = "openai.images";
inline constexpr std::string_view kSpeechFamily = "openai.speech";
inline constexpr std::string_view kTranscriptionFamily = "openai.transcriptions";
inline constexpr std::string_view kLiveFamily = "gemini.live";

// The model a request names when it names none.
inline constexpr std::string_view kDefaultImageModel = "gpt-image-1";
inline constexpr std::string_view kDefaultSpeechModel = "tts-1";

// Gemini's limit for a whole request with inline data; media beyond it must go through the
// Files API.
inline constexpr int64_t kInlineRequestLimit = 20 * 1024 * 1024;

// At most this many images per request (OpenAI's own limit for n).
inline constexpr int64_t kMaxImages = 10;

Translated translate_image_generation(std::string_view body, const RequestInfo& info);
// `content_type` is the request's, with its boundary.
Translated translate_image_edit(std::string_view content_type, std::string_view body, const RequestInfo& info);

Translated translate_speech(std::string_view body, const RequestInfo& info);

enum class AudioTask { transcribe, translate };
Translated translate_transcription(std::string_view content_type, std::string_view body, AudioTask task,
                                   const RequestInfo& info);

// OpenAI size ("1792x1024") → Gemini aspect ratio ("16:9"): the nearest of the ten ratios
// Gemini's image models take, within 5 % of the size's own ratio; "" for "auto" and absent.
// False for a size with no near ratio or that is not WxH.
bool aspect_ratio_for(std::string_view size, std::string_view& ratio);

// OpenAI voice ("alloy") or a Gemini prebuilt voice in any case ("kore") → Gemini's name
// ("Kore"); empty when neither.
std::string_view gemini_voice(std::string_view voice);

// The 44-byte RIFF/WAVE header of 16-bit mono PCM at `rate` Hz with `data_bytes` of samples.
void append_wav_header(std::string& out, uint32_t rate, uint32_t data_bytes);

}  // namespace bal::media
