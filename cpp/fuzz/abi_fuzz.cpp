// The C ABI itself, as the shim drives it: a sequence of calls with any op and bytes, and
// stream handles opened, pushed, finished and closed in any order (or never closed).
// Input (FuzzedDataProvider): up to 32 steps, each a step kind (1 byte from the end) and its
// operands; strings come from the front. tests/fuzz/formats.mjs reads the same layout.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <set>
#include <string>

#include "balancer.h"
#include "balancer/frame.h"
#include "fuzz_support.h"

namespace {

using bal::json;

enum Step : uint8_t { kCall, kCallRaw, kOpen, kPush, kFinish, kClose, kLastStep = kClose };

// Every result, success or not, is a frame whose header is a JSON object; an error names itself.
void check_result(int32_t rc) {
  FUZZ_CHECK(rc >= BAL_OK && rc <= BAL_ERR_BAD_HANDLE);
  bal::Message m;
  FUZZ_CHECK(bal::decode_frame(bal_result_data(), bal_result_size(), m));
  if (rc != BAL_OK) FUZZ_CHECK(bal::get_string(m.header, "error").size() > 0);
}

std::string frame(const std::string& header, const std::string& payload) {
  std::string out;
  const auto n = static_cast<uint32_t>(header.size());
  for (int shift = 0; shift < 32; shift += 8) out.push_back(static_cast<char>((n >> shift) & 0xff));
  return out + header + payload;
}

const uint8_t* bytes(const std::string& s) {
  return reinterpret_cast<const uint8_t*>(s.data());
}
uint32_t length(const std::string& s) {
  return static_cast<uint32_t>(s.size());
}

// A handle this input opened, or any number (the core must refuse those).
uint32_t pick_handle(FuzzedDataProvider& in, const std::set<uint32_t>& open) {
  if (!open.empty() && in.ConsumeBool()) {
    auto it = open.begin();
    std::advance(it, in.ConsumeIntegralInRange<size_t>(0, open.size() - 1));
    return *it;
  }
  return in.ConsumeIntegral<uint32_t>();
}

void reset() {
  // Each input starts from the same configuration and pool, so a crash replays alone.
  const std::string config = frame(R"({"admin_token":"fuzz-admin","auth_tokens":"tok-a"})", "");
  check_result(bal_call(BAL_OP_CONFIGURE, bytes(config), length(config)));
  const std::string pool = frame(R"({"seed":7})",
                                 "K 1 AIzaSyA1234567890abcdefghijklmnopqrstuv a\n"
                                 "K 2 AIzaSyB1234567890abcdefghijklmnopqrstuv a\nC 2 gemini-2.5-flash 1700000060000\n");
  check_result(bal_call(BAL_OP_POOL_LOAD, bytes(pool), length(pool)));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  reset();
  FuzzedDataProvider in(data, size);
  std::set<uint32_t> open;
  for (int steps = 0; steps < 32 && in.remaining_bytes() > 0; ++steps) {
    switch (static_cast<Step>(in.ConsumeIntegralInRange<uint8_t>(0, kLastStep))) {
      case kCall: {
        const uint32_t op = in.ConsumeIntegralInRange<uint32_t>(0, 16);
        const std::string header = in.ConsumeRandomLengthString(4096);
        const std::string in_frame = frame(header, in.ConsumeRandomLengthString(65536));
        check_result(bal_call(op, bytes(in_frame), length(in_frame)));
        break;
      }
      case kCallRaw: {
        const uint32_t op = in.ConsumeIntegral<uint32_t>();
        const std::string raw = in.ConsumeRandomLengthString(4096);
        check_result(bal_call(op, raw.empty() ? nullptr : bytes(raw), length(raw)));
        break;
      }
      case kOpen: {
        const std::string in_frame = frame(in.ConsumeRandomLengthString(4096), "");
        if (const uint32_t h = bal_stream_open(bytes(in_frame), length(in_frame))) {
          FUZZ_CHECK(open.insert(h).second);
        }
        break;
      }
      case kPush: {
        const uint32_t h = pick_handle(in, open);
        const std::string chunk = in.ConsumeRandomLengthString(65536);
        const int32_t rc = bal_stream_push(h, chunk.empty() ? nullptr : bytes(chunk), length(chunk));
        FUZZ_CHECK((rc == BAL_OK) == (open.count(h) == 1));
        check_result(rc);
        break;
      }
      case kFinish: {
        const uint32_t h = pick_handle(in, open);
        const int32_t rc = bal_stream_finish(h);
        FUZZ_CHECK((rc == BAL_OK) == (open.count(h) == 1));
        check_result(rc);
        break;
      }
      case kClose: {
        const uint32_t h = pick_handle(in, open);
        bal_stream_close(h);
        open.erase(h);
        break;
      }
    }
    FUZZ_CHECK(bal_stream_count() == open.size());
  }
  // What the shim does in its finally blocks: nothing may stay open.
  for (uint32_t h : open) bal_stream_close(h);
  FUZZ_CHECK(bal_stream_count() == 0);
  return 0;
}
