// Drives the C ABI natively, the way worker-shim/core.mjs does from JavaScript.
#include <catch2/catch.hpp>

#include <cstring>
#include <string>

#include "balancer.h"
#include "balancer/frame.h"

using bal::json;

namespace {

struct Result {
  int32_t rc;
  json header;
  std::string payload;
};

Result run(uint32_t op, const json& header, const std::string& payload = "") {
  std::string in;
  bal::encode_frame(header, payload, in);
  const int32_t rc = bal_call(op, reinterpret_cast<const uint8_t*>(in.data()), static_cast<uint32_t>(in.size()));
  bal::Message m;
  REQUIRE(bal::decode_frame(bal_result_data(), bal_result_size(), m));
  return {rc, m.header, std::string(m.payload)};
}

}  // namespace

TEST_CASE("ABI version", "[abi]") { CHECK(bal_abi_version() == BAL_ABI_VERSION); }

TEST_CASE("malformed frames and unknown ops are errors, not traps", "[abi]") {
  const uint8_t short_frame[] = {1, 2};
  CHECK(bal_call(BAL_OP_ROUTE, short_frame, 2) == BAL_ERR_BAD_FRAME);
  const uint8_t too_long[] = {200, 0, 0, 0, '{', '}'};
  CHECK(bal_call(BAL_OP_ROUTE, too_long, sizeof too_long) == BAL_ERR_BAD_FRAME);
  const uint8_t not_object[] = {2, 0, 0, 0, '[', ']'};
  CHECK(bal_call(BAL_OP_ROUTE, not_object, sizeof not_object) == BAL_ERR_BAD_FRAME);
  CHECK(bal_call(BAL_OP_ROUTE, nullptr, 0) == BAL_ERR_BAD_FRAME);
  CHECK(run(999, json::object()).rc == BAL_ERR_UNKNOWN_OP);
  const uint8_t empty_header[] = {0, 0, 0, 0};
  CHECK(bal_call(BAL_OP_POOL_STATUS, empty_header, 4) == BAL_OK);
}

TEST_CASE("configure, load a pool, select, classify, and the pool learns", "[abi]") {
  REQUIRE(run(BAL_OP_CONFIGURE, {{"admin_token", "adm"}, {"auth_tokens", "t1"}}).header["clients_set"] == true);
  const std::string k1 = "AIzaSyA1234567890abcdefghijklmnopqrstuv";
  const std::string k2 = "AIzaSyB1234567890abcdefghijklmnopqrstuv";
  const auto load = run(BAL_OP_POOL_LOAD, {{"seed", 0}}, "K 1 " + k1 + " a\nK 2 " + k2 + " a\n");
  REQUIRE(load.header["ok"] == true);
  CHECK(load.header["count"] == 2);

  const auto pick = run(BAL_OP_SELECT, {{"model", "m"}, {"now_ms", 1000}, {"exclude", json::array()}});
  REQUIRE(pick.header["id"].is_number());
  const int64_t id = pick.header["id"];
  CHECK(pick.header["key"] == (id == 1 ? k1 : k2));

  const std::string dead =
      R"({"error":{"code":400,"message":"API key not valid.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID"}]}})";
  const auto verdict = run(BAL_OP_CLASSIFY, {{"status", 400}, {"model", "m"}, {"now_ms", 1000}, {"key_id", id}}, dead);
  CHECK(verdict.header["outcome"] == "key_invalid");
  CHECK(verdict.header["dead"] == true);
  CHECK(verdict.header["action"] == "disable");

  for (int i = 0; i < 4; ++i) {
    const auto next = run(BAL_OP_SELECT, {{"model", "m"}, {"now_ms", 1000}});
    CHECK(next.header["id"] == (id == 1 ? 2 : 1));
  }
  const auto none = run(BAL_OP_SELECT, {{"model", "m"}, {"now_ms", 1000}, {"exclude", {1, 2}}});
  CHECK(none.header["id"].is_null());
  CHECK(none.header["pool"]["disabled"] == 1);

  REQUIRE(run(BAL_OP_POOL_EVENT, {{"id", id == 1 ? 2 : 1}, {"action", "cooldown"}, {"model", "m"}, {"until_ms", 6000}, {"now_ms", 1000}}).rc ==
          BAL_OK);
  const auto status = run(BAL_OP_POOL_STATUS, {{"model", "m"}, {"now_ms", 1000}});
  CHECK(status.header["active"] == 0);
  CHECK(status.header["retry_after_ms"] == 5000);
}

TEST_CASE("route, parse keys, mask, redact and error plans through the ABI", "[abi]") {
  run(BAL_OP_CONFIGURE, {{"admin_token", "adm"}, {"auth_tokens", "t1"}});
  const auto plan = run(BAL_OP_ROUTE, {{"method", "GET"}, {"path", "/v1beta/models"}, {"headers", {{"x-goog-api-key", "t1"}}}});
  CHECK(plan.header["action"] == "upstream");

  const std::string k = "AIzaSyA1234567890abcdefghijklmnopqrstuv";
  const auto keys = run(BAL_OP_PARSE_KEYS, json::object(), k + "\n" + k + "\nnope");
  CHECK(keys.header["keys"] == json{k});
  CHECK(keys.header["duplicates"] == 1);
  CHECK(run(BAL_OP_MASK, {{"keys", {k, 5}}}).header["masked"] == json{"AIzaSy…stuv", ""});
  CHECK(run(BAL_OP_REDACT, json::object(), "x " + k).payload == "x AIzaSy…[redacted]");

  const auto err = run(BAL_OP_ERROR, {{"family", "gemini"}, {"status", 429}, {"message", "slow down"}});
  CHECK(err.header["status"] == 429);
  CHECK(bal::parse_json(err.payload)["error"]["status"] == "RESOURCE_EXHAUSTED");
}

TEST_CASE("stream handles: unknown ones are refused, counts stay balanced", "[abi]") {
  const uint32_t before = bal_stream_count();
  CHECK(bal_stream_push(123456, nullptr, 0) == BAL_ERR_BAD_HANDLE);
  CHECK(bal_stream_finish(123456) == BAL_ERR_BAD_HANDLE);
  bal_stream_close(123456);
  std::string in;
  bal::encode_frame({{"kind", "no-such-kind"}}, "", in);
  CHECK(bal_stream_open(reinterpret_cast<const uint8_t*>(in.data()), static_cast<uint32_t>(in.size())) == 0);
  CHECK(bal_stream_count() == before);
}

TEST_CASE("numbers in headers past any integer's range are clamped (fuzz regression)", "[abi]") {
  // tests/fuzz-corpus/abi/regression-huge-numbers: casting these to integers was undefined behaviour.
  const auto v = run(BAL_OP_CLASSIFY, {{"status", 1e300},
                                       {"now_ms", -1e300},
                                       {"attempts", 1e300},
                                       {"server_failures", 1e300},
                                       {"elapsed_ms", 1e300},
                                       {"key_id", 1e300}});
  CHECK(v.rc == BAL_OK);
  CHECK(v.header["retry"] == false);
  const auto t = run(BAL_OP_TRANSLATE, {{"kind", "chat"}, {"status", 429}, {"now_ms", 1.7e22}, {"retry_after_ms", 1e300}},
                     R"({"error":{"message":"slow"}})");
  CHECK(t.rc == BAL_OK);
  CHECK(t.header["headers"]["retry-after"] == "8640000000000");
  CHECK(run(BAL_OP_POOL_EVENT, {{"id", -1e300}, {"until_ms", 1e300}, {"now_ms", 1e300}}).rc == BAL_OK);
  CHECK(run(BAL_OP_POOL_LOAD, {{"seed", -5}}, "").rc == BAL_OK);
  CHECK(run(BAL_OP_ERROR, {{"family", "openai"}, {"status", 1e300}}).rc == BAL_OK);
  CHECK(run(BAL_OP_CONFIGURE, {{"max_body_bytes", 1e300}}).rc == BAL_OK);
  CHECK(run(BAL_OP_ROUTE, {{"method", "GET"}, {"path", "/api/stats"}, {"now_ms", 1e300}}).rc == BAL_OK);
}

TEST_CASE("alloc and free", "[abi]") {
  void* p = bal_alloc(0);
  REQUIRE(p != nullptr);
  bal_free(p);
  p = bal_alloc(1 << 20);
  REQUIRE(p != nullptr);
  std::memset(p, 0, 1 << 20);
  bal_free(p);
}
