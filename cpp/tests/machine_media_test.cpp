// The media routes in the request machine: images, speech, transcription and translation as
// tables of scenarios (upstream answers in order → keys tried, key verdicts, the answer).
#include <catch2/catch.hpp>

#include "balancer/base64.h"
#include "machine_support.h"

using namespace machine_test;

namespace {

const std::string kPng =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

std::string image_reply(const std::string& data = kPng) {
  return R"({"candidates":[{"content":{"role":"model","parts":[{"inlineData":{"mimeType":"image/png","data":")" + data +
         R"("}}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":5,"candidatesTokenCount":1290}})";
}

// 4 samples of 16-bit PCM, as Gemini's TTS models answer.
const std::string kPcm = std::string("\x01\x00\x02\x00\x03\x00\x04\x00", 8);

std::string speech_reply() {
  std::string data;
  bal::base64::encode(kPcm, data);
  return R"({"candidates":[{"content":{"role":"model","parts":[{"inlineData":{"mimeType":"audio/L16;codec=pcm;rate=24000","data":")" +
         data + R"("}}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":4,"candidatesTokenCount":8}})";
}

const std::string kTranscript =
    R"({"candidates":[{"content":{"role":"model","parts":[{"text":" Hello there. "}]},"finishReason":"STOP"}],)"
    R"("usageMetadata":{"promptTokenCount":40,"candidatesTokenCount":3}})";

const std::string kBoundary = "machine-media";
const std::string kWav = std::string("RIFF\x24\x00\x00\x00WAVEfmt ", 16) + std::string(24, '\x01');

struct FormPart {
  std::string name, filename, type, data;
};

std::string form(const std::vector<FormPart>& parts) {
  std::string b;
  for (const FormPart& p : parts) {
    b += "--" + kBoundary + "\r\nContent-Disposition: form-data; name=\"" + p.name + "\"";
    if (!p.filename.empty()) b += "; filename=\"" + p.filename + "\"";
    b += "\r\n";
    if (!p.type.empty()) b += "Content-Type: " + p.type + "\r\n";
    b += "\r\n" + p.data + "\r\n";
  }
  return b + "--" + kBoundary + "--\r\n";
}

json form_headers() {
  return {{"authorization", "Bearer " + kClient}, {"content-type", "multipart/form-data; boundary=" + kBoundary}};
}

// One media route: where it is, the body it is sent, the Gemini answer that serves it, the
// model its calls go to and the family its statistics count under.
struct MediaRoute {
  const char* name;
  std::string path;
  bool multipart;
  std::string body;
  std::string good;
  std::string model;
  std::string family;
};

std::vector<MediaRoute> routes() {
  const std::string audio = form({{"file", "a.wav", "audio/wav", kWav}, {"model", "", "", "whisper-1"}});
  return {
      {"images.generate", "/v1/images/generations", false, R"({"prompt":"a fox"})", image_reply(),
       "gemini-3.1-flash-image", "openai.images"},
      {"images.edit", "/v1/images/edits", true,
       form({{"image", "a.png", "image/png",
              [] {
                std::string b;
                bal::base64::decode(kPng, b);
                return b;
              }()},
             {"prompt", "", "", "make it blue"}}),
       image_reply(), "gemini-3.1-flash-image", "openai.images"},
      {"audio.speech", "/v1/audio/speech", false, R"({"model":"tts-1","input":"Hello","voice":"alloy"})",
       speech_reply(), "gemini-3.8-flash-lite-tts", "openai.speech"},
      {"audio.transcriptions", "/v1/audio/transcriptions", true, audio, kTranscript, "gemini-3.5-flash-lite",
       "openai.transcriptions"},
      {"audio.translations", "/v1/audio/translations", true, audio, kTranscript, "gemini-3.5-flash-lite",
       "openai.transcriptions"},
  };
}

struct Row {
  const char* name;
  std::vector<Answer> script;  // an empty body is the route's good answer
  int status;
  std::vector<int64_t> keys;
  std::vector<int64_t> disabled;
  std::vector<int64_t> cooling;
};

std::vector<Row> table() {
  const Answer ok{200, ""};
  return {
      {"200: one key", {ok}, 200, {1}, {}, {}},
      {"400 API_KEY_INVALID: disabled, next key",
       {answer(400, reason_error(400, "INVALID_ARGUMENT", "API_KEY_INVALID", "API key not valid.")), ok},
       200,
       {1, 2},
       {1},
       {}},
      {"403 leaked: disabled, next key",
       {answer(403, gemini_error(403, "PERMISSION_DENIED",
                                 "Your API key was reported as leaked. Please use another API key.")),
        ok},
       200,
       {1, 2},
       {1},
       {}},
      {"429 per minute: cooled down for the model, next key",
       {answer(429, quota("GenerateRequestsPerMinutePerProjectPerModel-FreeTier")), ok},
       200,
       {1, 2},
       {},
       {1}},
      {"400 INVALID_ARGUMENT: the client's request, no key blamed, not retried",
       {answer(400, gemini_error(400, "INVALID_ARGUMENT", "Unsupported MIME type: image/x-foo"))},
       400,
       {1},
       {},
       {}},
      {"400 quoting a dead key's words: still the client's",
       {answer(400, gemini_error(400, "INVALID_ARGUMENT",
                                 "Invalid value at 'contents[0].parts[0].text' (API key not valid.)"))},
       400,
       {1},
       {},
       {}},
      {"400 location: nobody's key",
       {answer(400, gemini_error(400, "FAILED_PRECONDITION", "User location is not supported for the API use."))},
       400,
       {1},
       {},
       {}},
      {"500: retried without blame",
       {answer(500, gemini_error(500, "INTERNAL", "Internal error.")), ok},
       200,
       {1, 2},
       {},
       {}},
  };
}

}  // namespace

TEST_CASE("machine: each media route through the key verdicts of GEMINI.md", "[machine][media]") {
  for (const MediaRoute& route : routes()) {
    for (const Row& row : table()) {
      DYNAMIC_SECTION(route.name << ": " << row.name) {
        Sim sim;
        sim.keys(4);
        std::deque<Answer> script;
        for (Answer a : row.script) {
          if (a.body.empty()) a.body = route.good;
          script.push_back(a);
        }
        const Run r = sim.run("POST", route.path, route.multipart ? form_headers() : sim.bearer(), route.body, script);
        CHECK(r.status == row.status);
        CHECK(r.keys == row.keys);
        for (const bal::Task& t : r.fetches) {
          CHECK(t.url == "https://up.example/v1beta/models/" + route.model + ":generateContent");
        }
        for (int64_t id = 1; id <= 4; ++id) {
          const bal::PoolKey& k = sim.iso.pool.at(*sim.iso.pool.index_of(id));
          const bool dead = std::find(row.disabled.begin(), row.disabled.end(), id) != row.disabled.end();
          const bool cooling = std::find(row.cooling.begin(), row.cooling.end(), id) != row.cooling.end();
          INFO("key " << id);
          CHECK(k.disabled == dead);
          CHECK(!sim.iso.pool.eligible(k, route.model, sim.now) == (dead || cooling));
        }
        const json events = sim.events();
        for (const json& f : events["families"]) CHECK(f["family"] == route.family);
        for (const json& c : events["cooldowns"]) CHECK((c["scope"] == route.model || c["scope"] == "*"));
        if (r.status != 200) {
          CHECK(r.body["error"]["type"] == (r.status >= 500 ? "server_error" : "invalid_request_error"));
          CHECK(r.body["error"]["message"].get<std::string>().find("AIza") == std::string::npos);
        }
      }
    }
  }
}

TEST_CASE("machine: n images are n upstream calls, each failing over on its own", "[machine][media]") {
  Sim sim;
  sim.keys(5);
  // Three calls start at once; the second one's key is limited and only that call moves on.
  const Run r = sim.run(
      "POST", "/v1/images/generations", sim.bearer(), R"({"prompt":"a fox","n":3,"size":"1792x1024"})",
      {answer(200, image_reply("AAAA")), answer(429, quota("GenerateRequestsPerMinutePerProjectPerModel-FreeTier")),
       answer(200, image_reply("CCCC")), answer(200, image_reply("BBBB"))});
  REQUIRE(r.status == 200);
  REQUIRE(r.body["data"].size() == 3);
  CHECK(r.body["data"][0]["b64_json"] == "AAAA");
  CHECK(r.body["data"][1]["b64_json"] == "BBBB");
  CHECK(r.body["data"][2]["b64_json"] == "CCCC");
  REQUIRE(r.fetches.size() == 4);
  for (const bal::Task& t : r.fetches) {
    CHECK(json::parse(t.body)["generationConfig"]["imageConfig"]["aspectRatio"] == "16:9");
  }
  // The limited call moves on to a fresh key.
  CHECK(r.keys[3] != r.keys[1]);
  CHECK(r.header("x-balancer-attempts") == "4");
  CHECK(!sim.iso.pool.eligible(sim.iso.pool.at(*sim.iso.pool.index_of(r.keys[1])), "gemini-3.1-flash-image", sim.now));
  int64_t requests = 0;
  const json events = sim.events();
  for (const json& k : events["keys"]) requests += k["requests"].get<int64_t>();
  CHECK(requests == 4);
}

TEST_CASE("machine: one image call that fails for good fails the request with its error", "[machine][media]") {
  Sim sim;
  sim.keys(2);
  const Run r = sim.run("POST", "/v1/images/generations", sim.bearer(), R"({"prompt":"a fox","n":2})",
                        {answer(200, image_reply()),
                         answer(400, gemini_error(400, "INVALID_ARGUMENT", "Request contains an invalid argument."))});
  CHECK(r.status == 400);
  CHECK(r.body["error"]["message"] == "Request contains an invalid argument.");
  CHECK(r.keys.size() == 2);
}

TEST_CASE("machine: speech answers the WAV bytes with the translator's content type", "[machine][media]") {
  Sim sim;
  sim.keys(1);
  const Run r = sim.run("POST", "/v1/audio/speech", sim.bearer(), R"({"input":"Hello","voice":"alloy"})",
                        {answer(200, speech_reply())});
  REQUIRE(r.status == 200);
  CHECK(r.header("content-type") == "audio/wav");
  REQUIRE(r.raw.size() == 44 + kPcm.size());
  CHECK(r.raw.substr(0, 4) == "RIFF");
  CHECK(r.raw.substr(8, 4) == "WAVE");
  CHECK(r.raw.substr(44) == kPcm);
  const Run pcm =
      sim.run("POST", "/v1/audio/speech", sim.bearer(), R"({"input":"Hello","voice":"alloy","response_format":"pcm"})",
              {answer(200, speech_reply())});
  CHECK(pcm.raw == kPcm);
}

TEST_CASE("machine: the media routes' own refusals touch no key", "[machine][media]") {
  struct Case {
    const char* name;
    std::string method, path;
    bool multipart;
    std::string body;
    int status;
    std::string param;
  };
  const std::vector<Case> cases = {
      {"a size with no near ratio", "POST", "/v1/images/generations", false, R"({"prompt":"x","size":"1000x100"})", 400,
       "size"},
      {"an Imagen model", "POST", "/v1/images/generations", false,
       R"({"prompt":"x","model":"imagen-4.0-generate-001"})", 400, "model"},
      {"mp3 speech", "POST", "/v1/audio/speech", false, R"({"input":"x","voice":"alloy","response_format":"mp3"})", 400,
       "response_format"},
      {"a transcription without a file", "POST", "/v1/audio/transcriptions", true,
       form({{"model", "", "", "whisper-1"}}), 400, "file"},
      {"an edit that is not multipart", "POST", "/v1/images/edits", false, R"({"prompt":"x"})", 400, ""},
      {"GET on an upload route", "GET", "/v1/audio/transcriptions", false, "", 405, ""},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.name) {
      Sim sim;
      sim.keys(2);
      const Run r = sim.run(c.method, c.path, c.multipart ? form_headers() : sim.bearer(), c.body, {});
      CHECK(r.status == c.status);
      CHECK(r.fetches.empty());
      CHECK(r.body["error"]["type"].is_string());
      if (!c.param.empty()) CHECK(r.body["error"]["param"] == c.param);
      CHECK(sim.iso.events.empty());
    }
  }
}

TEST_CASE("machine: an upload is read up to 16 MB and never counted as JSON", "[machine][media]") {
  Sim sim;
  sim.keys(1);
  bal::Action a = sim.open("POST", "/v1/audio/transcriptions", form_headers());
  REQUIRE(a.kind == ActionKind::READ_BODY);
  CHECK(a.max_bytes == bal::kUploadMaxBodyBytes);
  a = sim.feed(EventKind::BODY_FAILED, 0,
               [](bal::abi::Writer& w) { w.num(F::REASON, static_cast<double>(bal::abi::Reason::TOO_LARGE)); });
  REQUIRE(a.kind == ActionKind::RESPOND);
  CHECK(a.status == 413);
  CHECK(bal::parse_json(a.body)["error"]["message"].get<std::string>().find("16 MB") != std::string::npos);
  // MAX_BODY_BYTES below that wins; the JSON media routes take a prompt, not a file.
  Sim small(json{{"MAX_BODY_BYTES", "2048"}});
  CHECK(small.open("POST", "/v1/images/edits", form_headers()).max_bytes == 2048);
  CHECK(sim.open("POST", "/v1/audio/speech", sim.bearer()).max_bytes == bal::kMediaJsonMaxBodyBytes);
  // A file that looks like a JSON array of 300000 numbers is bytes, not JSON values to count.
  std::string brackets = "[";
  for (int i = 0; i < 300000; ++i) brackets += "0,";
  brackets += "0]";
  const Run r = sim.run("POST", "/v1/audio/transcriptions", form_headers(),
                        form({{"file", "a.wav", "audio/wav", kWav + brackets}, {"model", "", "", "whisper-1"}}),
                        {answer(200, kTranscript)});
  REQUIRE(r.status == 200);
  CHECK(r.body["text"] == "Hello there.");
}

TEST_CASE("machine: the media routes are named in the unknown-route answer", "[machine][media]") {
  Sim sim;
  const Run r = sim.run("POST", "/v1/audio/voices", sim.bearer(), "{}", {});
  CHECK(r.status == 404);
  const std::string message = r.body["error"]["message"];
  for (const char* route : {"POST /v1/images/generations", "POST /v1/images/edits", "POST /v1/audio/speech",
                            "POST /v1/audio/transcriptions", "POST /v1/audio/translations"}) {
    CHECK(message.find(route) != std::string::npos);
  }
}

TEST_CASE("machine: an upload passed chunk by chunk is the body, and its call's body stays in place for a retry",
          "[machine][media]") {
  Sim sim;
  sim.keys(2);
  std::string audio = kWav;
  for (int i = 0; audio.size() < 300000; ++i) audio += static_cast<char>(i * 7);
  const std::string body = form({{"model", "", "", "whisper-1"}, {"file", "a.wav", "audio/wav", audio}});
  json headers = form_headers();
  headers["content-length"] = std::to_string(body.size());
  bal::Action a = sim.open("POST", "/v1/audio/transcriptions", headers);
  REQUIRE(a.kind == ActionKind::READ_BODY);
  REQUIRE((a.flags & bal::abi::FLAG_INSPECT) != 0);
  for (size_t at = 0; at < body.size(); at += 65536) REQUIRE(sim.machine->body_chunk(body.substr(at, 65536)));
  a = sim.feed(EventKind::BODY, 0, [&](bal::abi::Writer& w) { w.num(F::SIZE, static_cast<double>(body.size())); });
  REQUIRE(a.kind == ActionKind::TASKS);
  REQUIRE(a.tasks.size() == 1);
  const bal::Task first = a.tasks[0];
  CHECK_FALSE(first.client_body);
  CHECK(bal::abi::header_value(first.headers, "content-length") == std::to_string(first.body_view.size()));
  const json sent = bal::parse_json(first.body_view);
  std::string base64;
  bal::base64::encode(audio, base64);
  CHECK(sent["contents"][0]["parts"][1]["inlineData"]["data"] == base64);
  const std::string bytes(first.body_view);

  // The first key is limited: the retry on the second sends the same bytes from the same place.
  a = sim.feed(EventKind::UPSTREAM_HEAD, 0,
               [](bal::abi::Writer& w) { w.num(F::STATUS, 429).str(F::HEADERS, "content-type\napplication/json\n"); });
  REQUIRE(a.kind == ActionKind::READ_UPSTREAM);
  a = sim.feed(EventKind::UPSTREAM_BODY, 0, [](bal::abi::Writer& w) { w.bytes(F::BODY, quota("PerMinute")); });
  REQUIRE(a.kind == ActionKind::TASKS);
  REQUIRE(a.tasks.size() == 1);
  CHECK(sim.key_id_of(a.tasks[0]) != sim.key_id_of(first));
  CHECK(a.tasks[0].body_view.data() == first.body_view.data());
  CHECK(a.tasks[0].body_view == bytes);
}

TEST_CASE("machine: body chunks are taken only while an inspected body is read, up to its limit", "[machine][media]") {
  Sim sim(json{{"MAX_BODY_BYTES", "2048"}});
  sim.keys(1);
  sim.machine = std::make_unique<bal::Machine>();
  CHECK_FALSE(sim.machine->body_chunk("x"));  // not even opened
  // A native body the core does not inspect stays with the shim, sent as the client's.
  bal::Action a = sim.open("POST", kNativePath, sim.client());
  REQUIRE(a.kind == ActionKind::READ_BODY);
  CHECK((a.flags & bal::abi::FLAG_INSPECT) == 0);
  CHECK_FALSE(sim.machine->body_chunk("x"));
  a = sim.feed(EventKind::BODY, 0, [](bal::abi::Writer& w) { w.num(F::SIZE, 7); });
  REQUIRE(a.tasks.size() == 1);
  CHECK(a.tasks[0].client_body);
  CHECK(a.tasks[0].body_view.empty());
  CHECK(bal::abi::header_value(a.tasks[0].headers, "content-length").empty());

  // Up to MAX_BYTES and no further; nothing once the body is in.
  a = sim.open("POST", "/v1/audio/transcriptions", form_headers());
  REQUIRE(a.max_bytes == 2048);
  CHECK(sim.machine->body_chunk(std::string(2000, 'a')));
  CHECK_FALSE(sim.machine->body_chunk(std::string(49, 'a')));
  CHECK(sim.machine->body_chunk(std::string(48, 'a')));
  CHECK_FALSE(sim.machine->body_chunk("a"));
  a = sim.feed(EventKind::BODY, 0, [](bal::abi::Writer& w) { w.num(F::SIZE, 2048); });
  CHECK(a.status == 400);  // not a form, but read whole
  CHECK_FALSE(sim.machine->body_chunk("a"));

  // The shim's count must match what came, and bytes come one way only.
  a = sim.open("POST", "/v1/audio/transcriptions", form_headers());
  REQUIRE(sim.machine->body_chunk("abc"));
  CHECK(sim.feed(EventKind::BODY, 0, [](bal::abi::Writer& w) { w.num(F::SIZE, 4); }).status == 500);
  a = sim.open("POST", "/v1/audio/transcriptions", form_headers());
  REQUIRE(sim.machine->body_chunk("abc"));
  CHECK(sim.feed(EventKind::BODY, 0, [](bal::abi::Writer& w) { w.bytes(F::BODY, "abc"); }).status == 500);
}
