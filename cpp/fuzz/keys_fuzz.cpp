// Key lists people paste (parse_key_list, extract_keys), masking, and redaction. Input: the
// pasted text (JSON or plain).
#include <cstdint>
#include <set>
#include <string>

#include "balancer/keys.h"
#include "balancer/redact.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = fuzz::as_text(data, size);

  const bal::KeyList list = bal::parse_key_list(text);
  std::set<std::string> seen;
  for (const std::string& k : list.keys) {
    FUZZ_CHECK(bal::is_well_formed_key(k));
    FUZZ_CHECK(seen.insert(k).second);
    // A mask is shown in the admin UI and logs: it must not be a key any more.
    FUZZ_CHECK(!bal::contains_key_material(bal::mask_key(k)));
  }
  FUZZ_CHECK(list.keys.size() <= bal::kMaxKeysPerRequest);
  // Rejected entries are echoed back to the admin: "safe to display".
  for (const std::string& r : list.rejected) FUZZ_CHECK(bal::extract_keys(r).empty());

  seen.clear();
  for (const std::string& k : bal::extract_keys(text)) {
    FUZZ_CHECK(bal::is_well_formed_key(k));
    FUZZ_CHECK(text.find(k) != std::string_view::npos);
    FUZZ_CHECK(seen.insert(k).second);
  }

  // What redact() leaves must hold no key, nor anything it would redact again.
  const std::string redacted = bal::redact(text);
  FUZZ_CHECK(bal::extract_keys(redacted).empty());
  FUZZ_CHECK(!bal::contains_key_material(redacted));
  FUZZ_CHECK(!bal::contains_key_material(bal::mask_key(text.substr(0, 64))));
  return 0;
}
