#include <catch2/catch.hpp>

#include <algorithm>

#include "balancer/affinity.h"
#include "balancer/pool.h"

TEST_CASE("resource names in paths, bodies and answers", "[affinity]") {
  CHECK(bal::resource_names("/v1beta/files/abc-123:download") == std::vector<std::string>{"files/abc-123"});
  CHECK(bal::resource_names(R"({"cachedContent": "cachedContents/xyz9"})") == std::vector<std::string>{"cachedContents/xyz9"});
  CHECK(bal::resource_names(R"({"fileUri": "https://generativelanguage.googleapis.com/v1beta/files/q1"})") ==
        std::vector<std::string>{"files/q1"});
  CHECK(bal::resource_names("/upload/v1beta/files?uploadType=resumable").empty());
  CHECK(bal::resource_names("profiles/abc").empty());
}

TEST_CASE("thought signatures in native and OpenAI bodies", "[affinity]") {
  const auto sigs = bal::thought_signatures(
      R"({"thoughtSignature": "c2lnLTE=", "extra_content":{"google":{"thought_signature":"c2lnLTI="}}})");
  REQUIRE(sigs.size() == 2);
  CHECK(sigs[0] == "c2lnLTE=");
  CHECK(sigs[1] == "c2lnLTI=");
  CHECK(bal::thought_signatures(R"({"thoughtSignature": 5})").empty());
}

// The plain way to find them: every occurrence of either name, then its string value.
std::vector<std::string_view> signatures_the_slow_way(std::string_view text) {
  std::vector<std::pair<size_t, std::string_view>> found;
  for (std::string_view field : {std::string_view("\"thoughtSignature\""), std::string_view("\"thought_signature\"")}) {
    for (size_t at = text.find(field); at != std::string_view::npos; at = text.find(field, at + 1)) {
      size_t i = at + field.size();
      while (i < text.size() && std::string_view(" \t\n\r:").find(text[i]) != std::string_view::npos) ++i;
      if (i >= text.size() || text[i] != '"') continue;
      size_t end = i + 1;
      while (end < text.size() && text[end] != '"') end += text[end] == '\\' ? 2 : 1;
      if (end >= text.size() || end == i + 1) continue;
      found.emplace_back(at, text.substr(i + 1, end - i - 1));
    }
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string_view> out;
  for (const auto& [at, sig] : found) out.push_back(sig);
  return out;
}

TEST_CASE("thought signatures are found wherever they are, among lookalikes", "[affinity]") {
  const std::string_view pieces[] = {"\"thoughtSignature\": \"A1\"", "\"thought_signature\":\"B2\"", "ignature\"",
                                     "\"Signature\":\"x\"",          "Signature\"",                  "\\\"",
                                     "\"thoughtSignature\":5",       "说明 ",                        "quotes \" and ",
                                     "\"thoughtSignature\":\"\"",    "\"thoughtSignature\" :\"C\\\"3\""};
  uint32_t seed = 12345;
  for (int round = 0; round < 2000; ++round) {
    std::string text;
    for (int k = 0; k < 12; ++k) {
      seed = seed * 1103515245u + 12345u;
      text += pieces[(seed >> 16) % std::size(pieces)];
    }
    INFO(text);
    CHECK(bal::thought_signatures(text) == signatures_the_slow_way(text));
  }
}

TEST_CASE("learned resources and signatures route later requests", "[affinity]") {
  bal::Affinity a;
  CHECK(a.empty());
  std::vector<std::string> created;
  a.learn("POST", "/upload/v1beta/files",
          R"({"file": {"name": "files/abc-123", "uri": "https://x/v1beta/files/abc-123"}})", 7, &created);
  CHECK(created == std::vector<std::string>{"files/abc-123"});
  a.learn("POST", "/v1beta/models/m:generateContent",
          R"({"candidates":[{"content":{"parts":[{"functionCall":{"name":"f"},"thoughtSignature":"SIG"}]}}]})", 9,
          &created);
  CHECK(created.size() == 1);
  CHECK(a.key_for("/v1beta/files/abc-123", "") == 7);
  CHECK(a.key_for("/v1beta/models/m:generateContent",
                  R"({"contents":[{"parts":[{"fileData":{"fileUri":"https://x/v1beta/files/abc-123"}}]}]})") == 7);
  CHECK(a.key_for("/v1beta/models/m:generateContent", R"({"contents":[{"parts":[{"thoughtSignature":"SIG"}]}]})") == 9);
  CHECK_FALSE(a.key_for("/v1beta/files/other", ""));
  // Learning the same resource again reports nothing new.
  created.clear();
  a.learn("GET", "/v1beta/files/abc-123", R"({"name": "files/abc-123"})", 7, &created);
  CHECK(created.empty());
}

TEST_CASE("batches, long-running operations and File Search stores stay with the key that made them",
          "[affinity]") {
  bal::Affinity a;
  std::vector<std::string> created;
  a.learn("POST", "/v1beta/models/gemini-3.8-flash:batchGenerateContent",
          R"({"name": "batches/b-123", "metadata": {"@type": "x"}})", 3, &created);
  a.learn("POST", "/v1beta/models/veo-3.0-generate-001:predictLongRunning",
          R"({"name": "models/veo-3.0-generate-001/operations/op9"})", 4, &created);
  a.learn("POST", "/v1beta/fileSearchStores", R"({"name": "fileSearchStores/store-1", "displayName": "d"})", 5,
          &created);
  CHECK(created == std::vector<std::string>{"batches/b-123", "operations/op9", "fileSearchStores/store-1"});
  // Polling, cancelling, downloading and using them go to that key.
  CHECK(a.key_for("/v1beta/batches/b-123", "") == 3);
  CHECK(a.key_for("/v1beta/batches/b-123:cancel", "") == 3);
  CHECK(a.key_for("/v1beta/models/veo-3.0-generate-001/operations/op9", "") == 4);
  CHECK(a.key_for("/upload/v1beta/fileSearchStores/store-1:uploadToFileSearchStore", "") == 5);
  CHECK(a.key_for("/v1beta/fileSearchStores/store-1/upload/operations/u1", "") == 5);
  CHECK(a.key_for("/v1beta/models/m:generateContent",
                  R"({"tools":[{"fileSearch":{"fileSearchStoreNames":["fileSearchStores/store-1"]}}]})") == 5);
  CHECK_FALSE(a.key_for("/v1beta/batches/other", ""));
  // A finished batch's answers file was made in its project too.
  created.clear();
  a.learn("GET", "/v1beta/batches/b-123",
          R"({"name": "batches/b-123", "done": true, "response": {"responsesFile": "files/batch-out-1"}})", 3, &created);
  CHECK(created == std::vector<std::string>{"files/batch-out-1"});
  CHECK(a.key_for("/download/v1beta/files/batch-out-1:download", "") == 3);
  // An operation's name that is not under a model, or not one name, teaches nothing.
  created.clear();
  a.learn("POST", "/v1beta/models/m:predictLongRunning", R"({"name": "tunedModels/t/operations/x y"})", 4, &created);
  a.learn("POST", "/v1beta/models/m:predictLongRunning", R"({"name": "operations"})", 4, &created);
  CHECK(created.empty());
}

TEST_CASE("a stored interaction stays with the key that made it: get, poll, cancel, continue", "[affinity]") {
  bal::Affinity a;
  std::vector<std::string> created;
  // Made whole: the answer's "id" is the interaction's.
  a.learn("POST", "/v1beta/interactions", R"({"id": "v1_abc-1", "status": "completed", "outputs": []})", 3, &created);
  // Made as a stream: its lifecycle events name it; a text delta that says the same is not one.
  const std::string streamed =
      "event: content.delta\n"
      R"(data: {"delta": {"text": "{\"interaction\": {\"id\": \"v1_fake\"}}"}})"
      "\n\nevent: interaction.created\n"
      R"(data: {"event_type": "interaction.created", "interaction": {"id": "v1_s-2", "status": "in_progress"}})"
      "\n\n";
  a.learn("POST", "/v1beta/interactions", streamed, 4, &created);
  CHECK(created == std::vector<std::string>{"interactions/v1_abc-1", "interactions/v1_s-2"});
  CHECK(a.key_for("/v1beta/interactions/v1_abc-1", "") == 3);
  CHECK(a.key_for("/v1beta/interactions/v1_abc-1/cancel", "") == 3);
  CHECK(a.key_for("/v1beta/interactions/v1_s-2", "") == 4);
  const std::string continued = R"({"model": "m", "input": "on", "previous_interaction_id": "v1_s-2"})";
  CHECK(a.key_for("/v1beta/interactions", continued) == 4);
  CHECK_FALSE(a.key_for("/v1beta/interactions", R"({"model": "m", "previous_interaction_id": "v1_other"})"));
  CHECK_FALSE(a.key_for("/v1beta/interactions/v1_fake", ""));
  // The bare id counts only in a new interaction's body, never in a model call's.
  CHECK_FALSE(a.key_for("/v1beta/models/m:generateContent", R"({"previous_interaction_id": "v1_s-2"})"));
  // Reading one describes it (a background interaction polled on the key that has it).
  created.clear();
  a.learn("GET", "/v1beta/interactions/v1_abc-1", R"({"id": "v1_abc-1", "status": "completed"})", 5, &created);
  CHECK(created == std::vector<std::string>{"interactions/v1_abc-1"});
  CHECK(a.key_for("/v1beta/interactions/v1_abc-1", "") == 5);
  // An id that is not one path segment, or an answer about another interaction, teaches nothing.
  created.clear();
  a.learn("POST", "/v1beta/interactions", R"({"id": "a/b"})", 3, &created);
  a.learn("POST", "/v1beta/interactions", R"({"name": "interactions/x"})", 3, &created);
  a.learn("GET", "/v1beta/interactions/v1_abc-1", R"({"id": "v1_zzz"})", 3, &created);
  CHECK(created.empty());
  // One made with store: false is kept nowhere: nothing is learnt of it (native.cpp asks this).
  CHECK_FALSE(bal::stored_interaction("/v1/interactions", R"({"model": "m", "input": "x", "store": false})"));
  CHECK(bal::stored_interaction("/v1/interactions", R"({"model": "m", "input": "x", "store": true})"));
  CHECK(bal::stored_interaction("/v1/interactions", R"({"model": "m", "input": "x"})"));
  CHECK(bal::stored_interaction("/v1/interactions/v1_a", ""));
  CHECK(bal::stored_interaction("/v1beta/files", R"({"store": false})"));
  CHECK(bal::resource_kind("/v1beta/interactions/v1_abc-1") == "interactions");
  CHECK(bal::resource_kind("/upload/v1beta/files") == "files");
  CHECK(bal::resource_kind("/v1beta/models/m:generateContent") == "models");
  CHECK(bal::resource_kind("/other") == "");
}

TEST_CASE("what an answer may teach follows from the request, not from the answer", "[affinity]") {
  using bal::Lesson;
  struct Row {
    const char* method;
    const char* path;
    Lesson lesson;
  };
  const Row rows[] = {
      {"POST", "/upload/v1beta/files", Lesson::created},
      {"PUT", "/upload/v1/files", Lesson::created},
      {"GET", "/v1beta/files/abc-1", Lesson::described},
      {"POST", "/v1beta/cachedContents", Lesson::created},
      {"GET", "/v1alpha/cachedContents/c9", Lesson::described},
      {"PATCH", "/v1beta/cachedContents/c9", Lesson::described},
      {"POST", "/v1beta/models/gemini-3-pro-preview:generateContent", Lesson::signatures},
      {"POST", "/v1beta/models/gemini-3-pro-preview:streamGenerateContent", Lesson::signatures},
      {"GET", "/v1beta/files", Lesson::nothing},  // a list
      {"GET", "/v1beta/cachedContents", Lesson::nothing},
      {"DELETE", "/v1beta/files/abc-1", Lesson::nothing},
      {"GET", "/v1beta/files/abc-1:download", Lesson::nothing},
      {"POST", "/v1beta/files", Lesson::created},
      {"GET", "/upload/v1beta/files/abc", Lesson::nothing},
      {"POST", "/v1beta/models/m:countTokens", Lesson::nothing},
      {"POST", "/v1beta/models/m:embedContent", Lesson::nothing},
      {"GET", "/v1beta/models/m", Lesson::nothing},
      {"POST", "/v1beta/batches", Lesson::nothing},
      {"POST", "/v1beta/models/m:batchGenerateContent", Lesson::created},
      {"POST", "/v1beta/models/m:asyncBatchEmbedContent", Lesson::created},
      {"POST", "/v1beta/models/veo-3:predictLongRunning", Lesson::created},
      {"GET", "/v1beta/batches/b1", Lesson::described},
      {"GET", "/v1beta/batches", Lesson::nothing},
      {"POST", "/v1beta/batches/b1:cancel", Lesson::nothing},
      {"POST", "/v1beta/fileSearchStores", Lesson::created},
      {"GET", "/v1beta/fileSearchStores/s1", Lesson::described},
      {"POST", "/upload/v1beta/fileSearchStores/s1:uploadToFileSearchStore", Lesson::nothing},
      {"GET", "/v1beta/models/veo-3/operations/o1", Lesson::nothing},
  };
  for (const Row& row : rows) {
    INFO(row.method << " " << row.path);
    CHECK(bal::lesson_for(row.method, row.path) == row.lesson);
  }
}

TEST_CASE("a model that echoes a resource name teaches nothing about it", "[affinity]") {
  bal::Affinity a;
  std::vector<std::string> created;
  a.learn("POST", "/upload/v1beta/files", R"({"file": {"name": "files/victim"}})", 1, &created);
  REQUIRE(a.key_for("/v1beta/files/victim", "") == 1);
  // Another client asks a model, on key 2, to repeat the name in every way it can.
  const std::string echo =
      R"({"candidates":[{"content":{"parts":[{"text":"/files/victim "files/victim" /files/victim"}]}}],)"
      R"("name":"files/victim","file":{"name":"files/victim"}})";
  a.learn("POST", "/v1beta/models/m:generateContent", echo, 2, &created);
  a.learn("POST", "/v1beta/models/m:streamGenerateContent", echo, 2, &created);
  a.learn("POST", "/v1beta/models/m:countTokens", echo, 2, &created);
  CHECK(a.key_for("/v1beta/files/victim", "") == 1);
  CHECK(created == std::vector<std::string>{"files/victim"});
  // A description names the resource the path asked for, or teaches nothing.
  a.learn("GET", "/v1beta/files/mine", R"({"name": "files/victim"})", 2, &created);
  a.learn("GET", "/v1beta/files/victim2", R"({"name": "files/victim"})", 2, &created);
  CHECK(a.key_for("/v1beta/files/victim", "") == 1);
  // A cache created on key 3 is learnt from its create answer, with nothing else of it.
  a.learn("POST", "/v1beta/cachedContents", R"({"name": "cachedContents/c1", "model": "files/victim"})", 3, &created);
  CHECK(a.key_for("/v1beta/cachedContents/c1", "") == 3);
  CHECK(a.key_for("/v1beta/files/victim", "") == 1);
}

TEST_CASE("signatures are bounded", "[affinity]") {
  bal::Affinity a;
  for (size_t i = 0; i < bal::Affinity::kMaxSignatures + 10; ++i) {
    a.learn("POST", "/v1beta/models/m:generateContent", "{\"thoughtSignature\": \"s" + std::to_string(i) + "\"}", 1,
            nullptr);
  }
  CHECK(a.signature_count() == bal::Affinity::kMaxSignatures);
  CHECK_FALSE(a.key_for("", "{\"thoughtSignature\": \"s0\"}"));
  CHECK(a.key_for("", "{\"thoughtSignature\": \"s20009\"}") == 1);
}

TEST_CASE("the pool prefers the affinity key while it is usable", "[affinity]") {
  std::string snap;
  for (int i = 1; i <= 4; ++i) snap += "K " + std::to_string(i) + " AIzaSy" + std::string(33, static_cast<char>('a' + i)) + " a\n";
  snap += "A 3 files/abc\nC 2 m 9999999999999\n";
  bal::Pool pool;
  REQUIRE(pool.load(snap, 0));
  CHECK(pool.affinity().key_for("/v1beta/files/abc", "") == 3);
  for (int i = 0; i < 5; ++i) CHECK(pool.at(*pool.select("m", 1000, {}, 3)).id == 3);
  // A cooling or already-tried key is not forced.
  CHECK(pool.at(*pool.select("m", 1000, {}, 2)).id != 2);
  CHECK(pool.at(*pool.select("m", 1000, {3}, 3)).id != 3);
  CHECK_FALSE(pool.load("A 9\n", 0));
}
