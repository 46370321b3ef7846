// The isolate's pool (pool.h) fed snapshots and change batches it did not expect. Input:
// text; the part before the first line "---" is loaded as a snapshot, each later part is
// applied as the next version's changes (every other one keeping unused keys, as a new slice
// is). After each, picks must be keys the pool may use and never an excluded one, and the
// counts must agree with them.
#include <cstdint>
#include <string>
#include <vector>

#include "balancer/pool.h"
#include "fuzz_support.h"

namespace {

constexpr int64_t kNow = 1700000000000;
constexpr std::string_view kCut = "\n---\n";

void check(bal::Pool& pool, int64_t now) {
  FUZZ_CHECK(pool.members() <= pool.size());
  for (const char* model : {"m", "gemini-2.5-flash"}) {
    std::vector<int64_t> tried;
    for (int i = 0; i < 8; ++i) {
      const auto pick = pool.select(model, now, tried);
      if (!pick) {
        if (tried.empty()) FUZZ_CHECK(pool.status(model, now).active == 0);
        break;
      }
      const bal::PoolKey& k = pool.at(*pick);
      FUZZ_CHECK(pool.find(k.id) == &k);
      FUZZ_CHECK(pool.eligible(k, model, now));
      for (int64_t id : tried) FUZZ_CHECK(id != k.id);
      tried.push_back(k.id);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = fuzz::as_text(data, size);
  bal::Pool pool;
  int64_t version = 0;
  int64_t now = kNow;
  for (int part = 0;; ++part) {
    const size_t cut = text.find(kCut);
    const std::string_view changes = text.substr(0, cut);
    const bool applied =
        part == 0 ? pool.load(changes, 7, version) : pool.update(changes, version, version + 1, now, part % 2 == 0);
    if (applied && part > 0) ++version;
    FUZZ_CHECK(pool.version() == version);
    check(pool, now);
    if (cut == std::string_view::npos) break;
    text.remove_prefix(cut + kCut.size());
    now += 7919;
  }
  return 0;
}
