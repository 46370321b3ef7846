// frame.h — the framing of every message that crosses the Wasm boundary:
// [u32 LE header length][JSON header][payload]. See cpp/abi/balancer.h.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "balancer/json.h"

namespace bal {

struct Message {
  json header;               // always an object once decoded
  std::string_view payload;  // borrowed from the input bytes
};

// Decodes a framed message. Returns false when the frame or the header is malformed.
bool decode_frame(const uint8_t* data, uint32_t len, Message& out);

// Encodes header and payload into `out` (replacing its contents).
void encode_frame(const json& header, std::string_view payload, std::string& out);

}  // namespace bal
