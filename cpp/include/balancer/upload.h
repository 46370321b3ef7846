// upload.h — resumable uploads, and the headers of passed-through answers.
//
// Google answers the start of a resumable upload with x-goog-upload-url: a URL on its own
// host that names the session (upload_id). The session belongs to the project of the key
// that started it, so every later request of the upload must use that key. The URL handed
// to the client points at this Worker instead and carries the key's pool id in one more
// parameter (kUploadKeyParam): the next request finds its key from whichever isolate it
// lands in, with no shared state. The router takes the parameter out before the request goes
// on to Google. A client that edits it only sends its own upload to a key that will refuse it.
//
//   passed_back_headers("x-goog-upload-url\nhttps://g.example/upload/v1beta/files?upload_id=u\n",
//                       "https://g.example", "https://w.example", 7)
//   == "x-goog-upload-url\nhttps://w.example/upload/v1beta/files?upload_id=u&balancer_key=7\n"
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>


namespace bal {

inline constexpr std::string_view kUploadKeyParam = "balancer_key";

// The headers of a passed-through answer a client may see, as it sees them: only the
// content type and the upload protocol's headers; upload URLs on `upstream_origin` moved to
// `worker_origin`, stripped of credential parameters and pinned to `key_id` (when the pool
// picked the key); every value redacted. Headers are "name\nvalue\n" pairs (record.h),
// lower-case names, in and out.
std::string passed_back_headers(std::string_view upstream, std::string_view upstream_origin,
                                std::string_view worker_origin, std::optional<int64_t> key_id);

// `query` without kUploadKeyParam. When `path` continues an upload (under /upload/, with an
// upload_id) and the parameter names a key id, that id goes to `*pinned`.
std::string take_upload_pin(std::string_view path, std::string_view query, std::optional<int64_t>* pinned);

}  // namespace bal
