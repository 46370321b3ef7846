#include "balancer/frame.h"

namespace bal {

bool decode_frame(const uint8_t* data, uint32_t len, Message& out) {
  if (data == nullptr || len < 4) return false;
  const uint32_t header_len = static_cast<uint32_t>(data[0]) | (static_cast<uint32_t>(data[1]) << 8) |
                              (static_cast<uint32_t>(data[2]) << 16) | (static_cast<uint32_t>(data[3]) << 24);
  if (header_len > len - 4) return false;
  const char* base = reinterpret_cast<const char*>(data);
  if (header_len == 0) {
    out.header = json::object();
  } else {
    out.header = parse_json(std::string_view(base + 4, header_len));
    if (!out.header.is_object()) return false;
  }
  out.payload = std::string_view(base + 4 + header_len, len - 4 - header_len);
  return true;
}

void encode_frame(const json& header, std::string_view payload, std::string& out) {
  const std::string h = dump_json(header);
  const auto n = static_cast<uint32_t>(h.size());
  out.clear();
  out.reserve(4 + h.size() + payload.size());
  out.push_back(static_cast<char>(n & 0xffu));
  out.push_back(static_cast<char>((n >> 8) & 0xffu));
  out.push_back(static_cast<char>((n >> 16) & 0xffu));
  out.push_back(static_cast<char>((n >> 24) & 0xffu));
  out.append(h);
  out.append(payload);
}

}  // namespace bal
