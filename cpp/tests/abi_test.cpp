// Drives the C ABI (balancer.h) natively, the way worker-shim/core.mjs does from JavaScript.
#include <catch2/catch.hpp>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "balancer.h"
#include "balancer/json.h"
#include "balancer/record.h"

using bal::abi::F;
using bal::abi::Op;
using bal::abi::Reader;
using bal::abi::Writer;

namespace {

int32_t call(Op op, uint32_t handle, const std::string& in) {
  return bal_call(static_cast<uint32_t>(op), handle, reinterpret_cast<const uint8_t*>(in.data()),
                  static_cast<uint32_t>(in.size()));
}

std::string result() {
  return {reinterpret_cast<const char*>(bal_result_data()), bal_result_size()};
}

std::string configure_input() {
  std::string in;
  Writer(in).bytes(F::BODY, R"({"ADMIN_TOKEN":"adm","AUTH_TOKENS":"t1","GEMINI_API_BASE":"https://up.example"})");
  return in;
}

std::string head(const std::string& method, const std::string& path, const std::string& headers) {
  std::string in;
  Writer(in)
      .str(F::METHOD, method)
      .str(F::PATH, path)
      .str(F::HEADERS, headers)
      .num(F::NOW, 1.7e12)
      .str(F::RANDOM, "00");
  return in;
}

int64_t open_count() {
  REQUIRE(call(Op::OPEN_COUNT, 0, "") == BAL_OK);
  const std::string r = result();
  return Reader(r).integer(F::COUNT, -1, -1, 1000000);
}

}  // namespace

TEST_CASE("ABI: version, and the tables the shim builds its own from", "[abi]") {
  CHECK(bal_abi_version() == BAL_ABI_VERSION);
  bal_describe();
  const std::string d = result();
  CHECK(d.rfind("abi " + std::to_string(BAL_ABI_VERSION) + "\n", 0) == 0);
  for (const char* line :
       {"op OPEN 2\n", "field BODY 6 bytes\n", "field TASK 19 rec\n", "action STREAM 5\n", "task FETCH 1\n",
        "event UPSTREAM_HEAD 3\n", "flag EVENTS_PENDING 1\n", "reason TIMEOUT 3\n", "header x-goog-api-key\n",
        "upstream_header x-goog-upload-url\n", "config MODEL_MAP\n", "op PROBE 15\n", "field KEY 42 str\n",
        // The key pool's policies, as the numbers the object and the key reports apply.
        "policy USAGE_KEEP_MS 604800000\n", "policy AFFINITY_MAX_ROWS 5000\n", "policy RESPONSE_TTL_MS 2592000000\n",
        "policy RESPONSES_MAX_BYTES 536870912\n", "policy CHECK_BATCH 40\n", "policy SLICE_KEYS 64\n",
        "policy REPORT_DELAY_MS 1000\n", "policy REPORT_BACKLOG 20\n"}) {
    INFO(line);
    CHECK(d.find(line) != std::string::npos);
  }
}

TEST_CASE("ABI: a request through bal_call, and every way to get it wrong", "[abi]") {
  REQUIRE(call(Op::CONFIGURE, 0, configure_input()) == BAL_OK);
  std::string pool;
  Writer(pool).num(F::SEED, 0).num(F::NOW, 1.7e12).bytes(F::BODY, "K 7 AIzaSyA1234567890abcdefghijklmnopqrstuv a\n");
  REQUIRE(call(Op::POOL_LOAD, 0, pool) == BAL_OK);
  const std::string loaded = result();
  CHECK(Reader(loaded).num(F::OK) == 1);
  CHECK(Reader(loaded).num(F::COUNT) == 1);
  const int64_t before = open_count();

  REQUIRE(call(Op::OPEN, 0, head("GET", "/v1beta/models", "x-goog-api-key\nt1\n")) == BAL_OK);
  std::string out = result();
  const Reader action(out);
  const auto handle = static_cast<uint32_t>(action.num(F::HANDLE));
  CHECK(handle != 0);
  CHECK(action.num(F::KIND) == static_cast<double>(bal::abi::ActionKind::TASKS));
  int fetches = 0;
  for (Reader task : action.records(F::TASK)) {
    ++fetches;
    CHECK(task.num(F::KIND) == static_cast<double>(bal::abi::TaskKind::FETCH));
    CHECK(task.str(F::URL) == "https://up.example/v1beta/models");
    CHECK(bal::abi::header_value(task.str(F::HEADERS), "x-goog-api-key") == "AIzaSyA1234567890abcdefghijklmnopqrstuv");
  }
  CHECK(fetches == 1);
  CHECK(open_count() == before + 1);

  // An event for another slot or a malformed record is refused without ending the request.
  CHECK(call(Op::FEED, handle, std::string("\x01\x00\x08\x00\x00\x00", 6)) == BAL_ERR_BAD_INPUT);
  CHECK(call(Op::FEED, handle + 1000, "") == BAL_ERR_BAD_HANDLE);
  CHECK(call(Op::CHUNK, handle + 1000, "x") == BAL_ERR_BAD_HANDLE);
  CHECK(call(Op::END, handle + 1000, "") == BAL_ERR_BAD_HANDLE);
  CHECK(bal_call(999, 0, nullptr, 0) == BAL_ERR_UNKNOWN_OP);

  std::string ev;
  Writer(ev)
      .num(F::KIND, static_cast<double>(bal::abi::EventKind::UPSTREAM_HEAD))
      .num(F::SLOT, 0)
      .num(F::STATUS, 200)
      .str(F::HEADERS, "content-type\napplication/json\n");
  REQUIRE(call(Op::FEED, handle, ev) == BAL_OK);
  out = result();
  // A JSON answer is read whole, then answered.
  CHECK(Reader(out).num(F::KIND) == static_cast<double>(bal::abi::ActionKind::READ_UPSTREAM));
  CHECK(Reader(out).num(F::SLOT) == 0);
  ev.clear();
  Writer(ev).num(F::KIND, static_cast<double>(bal::abi::EventKind::UPSTREAM_BODY)).num(F::SLOT, 0).bytes(
      F::BODY, R"({"models":[]})");
  REQUIRE(call(Op::FEED, handle, ev) == BAL_OK);
  out = result();
  CHECK(Reader(out).num(F::KIND) == static_cast<double>(bal::abi::ActionKind::RESPOND));
  CHECK(Reader(out).num(F::STATUS) == 200);
  // A native answer goes back as the shim read it: the action does not carry it again.
  CHECK_FALSE(Reader(out).has(F::BODY));
  CHECK(static_cast<uint32_t>(Reader(out).num(F::FLAGS)) ==
        (bal::abi::FLAG_EVENTS_PENDING | bal::abi::FLAG_BODY_AS_READ));
  CHECK(open_count() == before);

  REQUIRE(call(Op::EVENTS, 0, "") == BAL_OK);
  out = result();
  const bal::json events = bal::parse_json(Reader(out).bytes(F::BODY));
  REQUIRE(events["keys"].size() == 1);
  CHECK(events["keys"][0]["id"] == 7);
  CHECK(events["keys"][0]["requests"] == 1);
  CHECK(events["families"][0]["family"] == "gemini");

  // A request closed before its end is gone; closing twice is harmless.
  REQUIRE(call(Op::OPEN, 0, head("GET", "/v1beta/models", "x-goog-api-key\nt1\n")) == BAL_OK);
  out = result();
  const auto h2 = static_cast<uint32_t>(Reader(out).num(F::HANDLE));
  CHECK(call(Op::CLOSE, h2, "") == BAL_OK);
  CHECK(call(Op::CLOSE, h2, "") == BAL_OK);
  CHECK(open_count() == before);
  // A request answered at once leaves nothing open.
  REQUIRE(call(Op::OPEN, 0, head("GET", "/nothing", "")) == BAL_OK);
  CHECK(open_count() == before);
}

TEST_CASE("ABI: REDACT and CLASSIFY", "[abi]") {
  REQUIRE(call(Op::REDACT, 0, "key AIzaSyA1234567890abcdefghijklmnopqrstuv here") == BAL_OK);
  CHECK(result() == "key AIzaSy…[redacted] here");
  std::string in;
  Writer(in)
      .num(F::STATUS, 429)
      .str(F::MODEL, "m")
      .num(F::NOW, 1000)
      .bytes(
          F::BODY,
          R"({"error":{"code":429,"status":"RESOURCE_EXHAUSTED","message":"x","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"5s"}]}})");
  REQUIRE(call(Op::CLASSIFY, 0, in) == BAL_OK);
  const std::string out = result();
  const bal::json v = bal::parse_json(Reader(out).bytes(F::BODY));
  CHECK(v["outcome"] == "quota_other");
  CHECK(v["group"] == "rate_limited");
  CHECK(v["action"] == "cooldown");
  CHECK(v["scope"] == "m");
  CHECK(v["until_ms"] == 6000);
  CHECK(v["dead"] == false);
  CHECK(v["revive"] == true);

  // A probe that got no answer (STATUS 0): its own class; the key is neither dead nor revived.
  in.clear();
  Writer(in).num(F::STATUS, 0).str(F::MODEL, "m").num(F::NOW, 1000);
  REQUIRE(call(Op::CLASSIFY, 0, in) == BAL_OK);
  const std::string none = result();
  const bal::json n = bal::parse_json(Reader(none).bytes(F::BODY));
  CHECK(n["outcome"] == "network_error");
  CHECK(n["group"] == "error");
  CHECK(n["action"] == "none");
  CHECK(n["dead"] == false);
  CHECK(n["revive"] == false);
}

TEST_CASE("ABI: PROBE describes the fetch that checks a key, against the configured upstream", "[abi]") {
  const std::string key = "AIzaSyA1234567890abcdefghijklmnopqrstuv";
  const auto probe = [&](const std::string& bindings) {
    std::string config;
    Writer(config).bytes(F::BODY, bindings);
    REQUIRE(call(Op::CONFIGURE, 0, config) == BAL_OK);
    std::string in;
    Writer(in).str(F::KEY, key).num(F::NOW, 1.7e12);
    REQUIRE(call(Op::PROBE, 0, in) == BAL_OK);
    return result();
  };

  // No GEMINI_API_BASE: Google's own.
  const std::string plain = probe("{}");
  const Reader p(plain);
  CHECK(p.str(F::URL) == "https://generativelanguage.googleapis.com/v1beta/models/gemini-3.5-flash-lite:countTokens");
  CHECK(p.str(F::METHOD) == "POST");
  CHECK(p.str(F::MODEL) == "gemini-3.5-flash-lite");
  CHECK(p.num(F::TIMEOUT_MS) == 15000);
  CHECK(p.num(F::MAX_BYTES) == 64 * 1024);
  // The key travels in its header only.
  CHECK(p.str(F::HEADERS) == "content-type\napplication/json\nx-goog-api-key\n" + key + "\n");
  CHECK(bal::abi::header_value(p.str(F::HEADERS), "x-goog-api-key") == key);
  CHECK(p.str(F::URL).find(key) == std::string_view::npos);
  CHECK(p.str(F::URL).find("key=") == std::string_view::npos);
  CHECK(p.bytes(F::BODY).find(key) == std::string_view::npos);
  // The body is JSON a countTokens takes: one user turn.
  const bal::json body = bal::parse_json(p.bytes(F::BODY));
  REQUIRE(body.is_object());
  CHECK(body["contents"].size() == 1);
  CHECK(body["contents"][0]["role"] == "user");
  CHECK(body["contents"][0]["parts"][0]["text"].is_string());

  // A configured base, trailing slashes and blanks included, is used as the request path uses it.
  const std::string configured = probe(R"({"GEMINI_API_BASE":" http://127.0.0.1:8787/gemini/// "})");
  const Reader c(configured);
  CHECK(c.str(F::URL) == "http://127.0.0.1:8787/gemini/v1beta/models/gemini-3.5-flash-lite:countTokens");
  CHECK(c.str(F::HEADERS) == p.str(F::HEADERS));
  CHECK(c.bytes(F::BODY) == p.bytes(F::BODY));
  REQUIRE(call(Op::CONFIGURE, 0, configure_input()) == BAL_OK);
  std::string in;
  Writer(in).str(F::KEY, key);
  REQUIRE(call(Op::PROBE, 0, in) == BAL_OK);
  const std::string up = result();
  CHECK(Reader(up).str(F::URL) == "https://up.example/v1beta/models/gemini-3.5-flash-lite:countTokens");

  // A key that could not be a header value is refused, and says why.
  for (const std::string bad : {std::string(), key + "\nx-evil\n1", std::string("AIza\0x", 6)}) {
    std::string b;
    Writer(b).str(F::KEY, bad);
    CHECK(call(Op::PROBE, 0, b) == BAL_ERR_BAD_INPUT);
    const std::string why = result();
    CHECK(!Reader(why).str(F::LOG).empty());
  }
  CHECK(call(Op::PROBE, 0, "\x01") == BAL_ERR_BAD_INPUT);  // not a record
}

TEST_CASE("ABI: a pool at a version takes the changes from that version only", "[abi]") {
  const std::string k1 = "AIzaSyA1234567890abcdefghijklmnopqrstuv";
  const std::string k2 = "AIzaSyB1234567890abcdefghijklmnopqrstuv";
  const auto pool_call = [](Op op, const std::function<void(Writer&)>& fields) {
    std::string in;
    Writer w(in);
    fields(w);
    REQUIRE(call(op, 0, in) == BAL_OK);
    const std::string out = result();
    const Reader r(out);
    return std::vector<double>{r.num(F::OK), r.num(F::VERSION), r.num(F::COUNT), r.num(F::MEMBERS)};
  };
  CHECK(pool_call(Op::POOL_LOAD, [&](Writer& w) {
          w.num(F::SEED, 0).num(F::VERSION, 7).num(F::NOW, 1000).bytes(F::BODY, "W 0 0\nK 1 " + k1 + " a\n");
        }) == std::vector<double>{1, 7, 1, 1});
  CHECK(pool_call(Op::POOL_APPLY, [&](Writer& w) {
          w.num(F::FROM, 6).num(F::TO, 8).num(F::NOW, 1000).bytes(F::BODY, "K 2 " + k2 + " a\n");
        }) == std::vector<double>{0, 7, 1, 1});
  CHECK(pool_call(Op::POOL_APPLY, [&](Writer& w) {
          w.num(F::FROM, 7).num(F::TO, 8).num(F::NOW, 1000).bytes(F::BODY, "K 2 " + k2 + " a\nD 1\n");
        }) == std::vector<double>{1, 8, 1, 1});
  // A request picks the one key left.
  REQUIRE(call(Op::CONFIGURE, 0, configure_input()) == BAL_OK);
  REQUIRE(call(Op::OPEN, 0, head("GET", "/v1beta/models", "x-goog-api-key\nt1\n")) == BAL_OK);
  const std::string out = result();
  const Reader action(out);
  for (Reader task : action.records(F::TASK)) {
    CHECK(bal::abi::header_value(task.str(F::HEADERS), "x-goog-api-key") == k2);
  }
  CHECK(call(Op::CLOSE, static_cast<uint32_t>(action.num(F::HANDLE)), "") == BAL_OK);
}

TEST_CASE("ABI: BODY_CHUNK passes the client's body in, and the call's body leaves by place", "[abi]") {
  REQUIRE(call(Op::CONFIGURE, 0, configure_input()) == BAL_OK);
  std::string pool;
  Writer(pool).num(F::SEED, 0).num(F::NOW, 1.7e12).bytes(F::BODY, "K 7 AIzaSyA1234567890abcdefghijklmnopqrstuv a\n");
  REQUIRE(call(Op::POOL_LOAD, 0, pool) == BAL_OK);
  const int64_t before = open_count();
  const std::string body = R"({"model":"gemini-2.5-flash","messages":[{"role":"user","content":"Hello"}]})";
  REQUIRE(call(Op::OPEN, 0,
               head("POST", "/v1/chat/completions",
                    "authorization\nBearer t1\ncontent-type\napplication/json\ncontent-length\n" +
                        std::to_string(body.size()) + "\n")) == BAL_OK);
  std::string out = result();
  const auto handle = static_cast<uint32_t>(Reader(out).num(F::HANDLE));
  CHECK(Reader(out).num(F::KIND) == static_cast<double>(bal::abi::ActionKind::READ_BODY));
  CHECK(call(Op::BODY_CHUNK, handle + 1000, "x") == BAL_ERR_BAD_HANDLE);
  for (size_t at = 0; at < body.size(); at += 10) REQUIRE(call(Op::BODY_CHUNK, handle, body.substr(at, 10)) == BAL_OK);
  CHECK(bal_result_size() == 0);
  std::string ev;
  Writer(ev)
      .num(F::KIND, static_cast<double>(bal::abi::EventKind::BODY))
      .num(F::SIZE, static_cast<double>(body.size()));
  REQUIRE(call(Op::FEED, handle, ev) == BAL_OK);
  out = result();
  const Reader action(out);
  CHECK(action.num(F::KIND) == static_cast<double>(bal::abi::ActionKind::TASKS));
  int fetches = 0;
  for (Reader task : action.records(F::TASK)) {
    ++fetches;
    // BODY_REF: a u64 address and a u32 length of bytes the request holds.
    const std::string_view ref = task.bytes(F::BODY_REF);
    REQUIRE(ref.size() == 12);
    uint64_t at = 0;
    uint32_t length = 0;
    std::memcpy(&at, ref.data(), 8);
    std::memcpy(&length, ref.data() + 8, 4);
    const std::string sent(reinterpret_cast<const char*>(static_cast<uintptr_t>(at)), length);
    CHECK(bal::parse_json(sent)["contents"][0]["parts"][0]["text"] == "Hello");
    CHECK(bal::abi::header_value(task.str(F::HEADERS), "content-length") == std::to_string(length));
  }
  CHECK(fetches == 1);
  // Once the body is in, no more of it is taken.
  CHECK(call(Op::BODY_CHUNK, handle, "x") == BAL_ERR_BAD_STATE);
  CHECK(call(Op::CLOSE, handle, "") == BAL_OK);
  CHECK(open_count() == before);
}
