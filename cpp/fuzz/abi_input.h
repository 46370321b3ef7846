// abi_input.h — what the abi fuzz target (abi_fuzz.cpp) builds its calls from: the values a
// step picks (methods, paths, headers, upstream answers, pool results, numbers no shim
// sends) and the records it writes from them, cut or padded when the input says so.
// tests/fuzz/abi-input.mjs builds the same bytes from the same input: change both together.
#pragma once

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <utility>

#include "balancer.h"
#include "balancer/record.h"

namespace fuzz::abi {

using bal::abi::F;

inline constexpr int64_t kNow = 1700000000000;
inline constexpr double kInf = std::numeric_limits<double>::infinity();
inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Numbers a field may carry: kinds, slots, reasons, statuses, times, and what no shim sends.
// clang-format off
inline constexpr double kNums[] = {
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
    200, 204, 302, 400, 401, 403, 404, 429, 500, 503, 599, 600, 999, 1000, 1001,
    -1, 0.5, 1e9, 4294967295.0, 4294967296.0, 1700000000000.0, 1700000060000.0, 9007199254740991.0,
    1e300, -1e300, kNaN, kInf, -kInf};
// clang-format on

inline constexpr const char* kMethods[] = {"GET", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "HEAD"};
inline constexpr const char* kPaths[] = {"/v1/chat/completions",
                                         "/v1/embeddings",
                                         "/v1/models",
                                         "/v1/models/gemini-2.5-flash",
                                         "/v1beta/models/gemini-2.5-flash:generateContent",
                                         "/v1beta/models/gemini-2.5-flash:streamGenerateContent",
                                         "/v1beta/models",
                                         "/upload/v1beta/files",
                                         "/v1beta/files/abc",
                                         "/api/session",
                                         "/api/keys",
                                         "/api/keys/check",
                                         "/api/stats",
                                         "/",
                                         "/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent"};
inline constexpr const char* kQueries[] = {"", "alt=sse", "key=tok-a", "upload_id=u-1&upload_protocol=resumable",
                                           "page=2&limit=10"};
inline constexpr const char* kHeaderNames[] = {
#define BAL_FUZZ_HEADER(name) name,
    BAL_REQUEST_HEADERS(BAL_FUZZ_HEADER)
#undef BAL_FUZZ_HEADER
};
inline constexpr const char* kHeaderValues[] = {"Bearer tok-a",
                                                "Bearer fuzz-admin",
                                                "tok-a",
                                                "application/json",
                                                "https://app.example",
                                                "resumable",
                                                "start",
                                                "upload, finalize",
                                                "0",
                                                "12",
                                                "text/event-stream",
                                                "websocket"};
inline constexpr const char* kUpstreamHeaders[] = {
    "",
    "content-type\napplication/json\n",
    "content-type\ntext/event-stream\n",
    "content-type\napplication/json\nretry-after\n7\n",
    ("x-goog-upload-status\nactive\nx-goog-upload-url\nhttps://generativelanguage.googleapis.com/upload/v1beta/"
     "files?upload_id=u-1&upload_protocol=resumable\n"),
    "content-type\ntext/html\n"};
inline constexpr const char* kBodies[] = {
    "",
    R"({"candidates":[{"content":{"parts":[{"text":"hi"}],"role":"model"},"finishReason":"STOP"}],)"
    R"("usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":1,"totalTokenCount":4}})",
    "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]}}]}\r\n\r\n"
    "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"b\"}]},\"finishReason\":\"STOP\"}],"
    "\"usageMetadata\":{\"promptTokenCount\":2,\"candidatesTokenCount\":2}}\r\n\r\n",
    R"({"error":{"code":429,"message":"quota","status":"RESOURCE_EXHAUSTED","details":[{"@type":)"
    R"("type.googleapis.com/google.rpc.QuotaFailure","violations":)"
    R"([{"quotaId":"GenerateRequestsPerMinutePerProject"}]},)"
    R"({"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"2s"}]}})",
    R"({"error":{"code":400,"message":"API key not valid.","status":"INVALID_ARGUMENT","details":[{"@type":)"
    R"("type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID"}]}})",
    R"({"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}})",
    R"({"embeddings":[{"values":[0.1,0.2]},{"values":[0.3,0.4]}]})",
    R"({"models":[{"name":"models/gemini-2.5-flash","supportedGenerationMethods":["generateContent"]}],)"
    R"("nextPageToken":"p2"})",
    R"({"file":{"name":"files/abc","uri":"https://generativelanguage.googleapis.com/v1beta/files/abc"}})",
    R"({"model":"gemini-2.5-flash","messages":[{"role":"user","content":"hi"}],"stream":true,)"
    R"("stream_options":{"include_usage":true}})",
    R"({"model":"gemini-embedding-001","input":["a","b"]})",
    R"({"keys":["AIzaSyC1234567890abcdefghijklmnopqrstuv"]})",
    R"({"token":"fuzz-admin"})",
    R"({"ids":[1,2]})"};
// What key pool calls answer (CALLED's RESULT).
inline constexpr const char* kResults[] = {"null",
                                           R"({"keys":[],"total":0,"counts":{}})",
                                           R"({"added":1,"existing":0,"total":3})",
                                           R"({"running":true})",
                                           R"({"running":false,"checked":2})",
                                           R"({"deleted":1})",
                                           "[",
                                           "API key not valid. Please pass a valid API key."};
// What a follow step answers a FETCH with (no fetch gives 101 or 999, but the ABI carries them),
// and a socket closes with.
inline constexpr int kStatuses[] = {200, 200, 200, 204, 302, 400, 401, 403, 404, 429,
                                    429, 500, 503, 504, 101, 999, 1000, 1007, 1008, 1011};
inline constexpr const char* kPools[] = {
    ("K 1 AIzaSyA1234567890abcdefghijklmnopqrstuv a\nK 2 AIzaSyB1234567890abcdefghijklmnopqrstuv a\n"
     "C 2 gemini-2.5-flash 1700000060000\n"),
    "K 1 AIzaSyA1234567890abcdefghijklmnopqrstuv a\nC 1 * 1700000060000\n",
    "K 1 AIzaSyA1234567890abcdefghijklmnopqrstuv d\n", "",
    "K 1 AIzaSyA1234567890abcdefghijklmnopqrstuv a\nK 2 AIzaSyB1234567890abcdefghijklmnopqrstuv a\nA 2 files/abc\n"};
// CONFIGURE's bindings, one per bit of a byte.
inline constexpr std::pair<const char*, const char*> kBindings[] = {
    {"ADMIN_TOKEN", "fuzz-admin"},  {"AUTH_TOKENS", "tok-a"},
    {"ALLOW_CLIENT_KEYS", "true"},  {"CORS_ORIGINS", "https://app.example"},
    {"RATE_LIMIT_PER_MINUTE", "2"}, {"MAX_BODY_BYTES", "1024"},
    {"MAX_ATTEMPTS", "2"},          {"MODEL_MAP", "gpt-*=gemini-2.5-flash"}};

// A record, written here rather than with the core's own writer.
struct Rec {
  std::string out;
  Rec& raw(F f, std::string_view v) {
    const auto id = static_cast<uint16_t>(f);
    const auto n = static_cast<uint32_t>(v.size());
    const char head[6] = {static_cast<char>(id & 0xff),        static_cast<char>(id >> 8),
                          static_cast<char>(n & 0xff),         static_cast<char>((n >> 8) & 0xff),
                          static_cast<char>((n >> 16) & 0xff), static_cast<char>(n >> 24)};
    out.append(head, 6).append(v);
    return *this;
  }
  Rec& bits(F f, uint64_t b) {
    char v[8];
    for (int i = 0; i < 8; ++i) v[i] = static_cast<char>((b >> (8 * i)) & 0xff);
    return raw(f, std::string_view(v, 8));
  }
  Rec& num(F f, double d) {
    uint64_t b = 0;
    std::memcpy(&b, &d, sizeof b);
    return bits(f, b);
  }
};

// Whether `bytes` is a sequence of whole fields (what the core must accept).
inline bool well_framed(std::string_view bytes) {
  while (bytes.size() >= 6) {
    const auto* u = reinterpret_cast<const unsigned char*>(bytes.data());
    const uint32_t n = u[2] | (u[3] << 8) | (u[4] << 16) | (static_cast<uint32_t>(u[5]) << 24);
    if (n > bytes.size() - 6) return false;
    bytes.remove_prefix(6 + n);
  }
  return bytes.empty();
}

inline std::string pick_or_free(FuzzedDataProvider& in, const char* const* list, size_t n, size_t max_len) {
  if (in.ConsumeBool()) return list[in.ConsumeIntegralInRange<size_t>(0, n - 1)];
  return in.ConsumeRandomLengthString(max_len);
}
template <size_t N>
std::string pick_or_free(FuzzedDataProvider& in, const char* const (&list)[N], size_t max_len) {
  return pick_or_free(in, list, N, max_len);
}

inline void num_field(FuzzedDataProvider& in, Rec& r, F f) {
  const uint8_t i = in.ConsumeIntegral<uint8_t>();
  if (i < std::size(kNums)) {
    r.num(f, kNums[i]);
  } else {
    r.bits(f, in.ConsumeIntegral<uint64_t>());
  }
}

// Most records go as built; some are cut, padded, given a huge length, or doubled.
inline std::string mangled(FuzzedDataProvider& in, std::string rec) {
  const uint8_t m = in.ConsumeIntegral<uint8_t>();
  if (m < 224) return rec;
  const size_t k = m - 224u;
  if (k < 8) {
    rec.resize(rec.size() - std::min(rec.size(), k + 1));
  } else if (k < 16) {
    rec.append(k - 7, '\xff');
  } else if (k < 24) {
    if (rec.size() >= 6) std::memset(rec.data() + 2, 0xff, 4);
  } else {
    rec += rec;
  }
  return rec;
}

// What the shim takes from a Headers object or a URL never holds CR or NUL (both refuse
// them), and the core may copy such text into answer headers.
inline std::string header_text(std::string s) {
  for (char& c : s) {
    if (c == '\r' || c == '\0') c = ' ';
  }
  return s;
}

inline std::string head(FuzzedDataProvider& in) {
  Rec r;
  r.raw(F::METHOD, pick_or_free(in, kMethods, 16));
  r.raw(F::PATH, pick_or_free(in, kPaths, 512));
  r.raw(F::QUERY, pick_or_free(in, kQueries, 256));
  std::string pairs;
  for (size_t n = in.ConsumeIntegralInRange<size_t>(0, 6); n > 0; --n) {
    pairs += in.PickValueInArray(kHeaderNames);
    pairs += '\n';
    pairs += header_text(pick_or_free(in, kHeaderValues, 256));
    pairs += '\n';
  }
  r.raw(F::HEADERS, pairs);
  r.raw(F::ORIGIN,
        in.ConsumeBool() ? std::string("https://worker.example") : header_text(in.ConsumeRandomLengthString(64)));
  num_field(in, r, F::NOW);
  r.raw(F::RANDOM, "0123456789abcdef0123456789abcdef");
  return mangled(in, std::move(r.out));
}

// Any event, whatever the request's state.
inline std::string event(FuzzedDataProvider& in) {
  Rec r;
  num_field(in, r, F::KIND);
  num_field(in, r, F::SLOT);
  num_field(in, r, F::STATUS);
  r.raw(F::HEADERS, header_text(pick_or_free(in, kUpstreamHeaders, 256)));
  r.raw(F::BODY, pick_or_free(in, kBodies, 65536));
  num_field(in, r, F::REASON);
  num_field(in, r, F::SIZE);
  num_field(in, r, F::OK);
  r.raw(F::RESULT, pick_or_free(in, kResults, 4096));
  num_field(in, r, F::NOW);
  return mangled(in, std::move(r.out));
}

inline std::string bindings(uint8_t bits) {
  std::string json = "{";
  for (size_t i = 0; i < std::size(kBindings); ++i) {
    if ((bits & (1u << i)) == 0) continue;
    if (json.size() > 1) json += ',';
    json += std::string("\"") + kBindings[i].first + "\":\"" + kBindings[i].second + "\"";
  }
  return json + "}";
}

inline std::string pool_load(FuzzedDataProvider& in) {
  Rec r;
  num_field(in, r, F::NOW);
  num_field(in, r, F::SEED);
  const size_t choice = in.ConsumeIntegralInRange<size_t>(0, std::size(kPools) + 1);
  if (choice < std::size(kPools)) {
    r.raw(F::BODY, kPools[choice]);
  } else if (choice == std::size(kPools)) {
    r.raw(F::BODY, in.ConsumeRandomLengthString(4096));
  }
  return mangled(in, std::move(r.out));
}

}  // namespace fuzz::abi
