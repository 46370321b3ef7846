/*
 * balancer.h — the C ABI of the balancer core, the only surface the Worker sees.
 *
 * Only numbers and bytes cross this boundary. One entry point runs every operation:
 *
 *     int32_t bal_call(op, handle, in, len)   -> a bal_status; the output is at
 *                                                bal_result_data() / bal_result_size()
 *
 * Inputs and outputs are records: a sequence of fields, each
 *
 *     [u16 LE field id][u32 LE length][value]
 *
 * whose value is, by the field's type: num (an f64, 8 bytes LE), str (UTF-8), bytes (raw),
 * rec (a nested record; a rec field may repeat and is read as a list), or ref (bytes the
 * core holds, given by place instead of copied into the record: a u64 LE address in the
 * core's memory and a u32 LE length; how long the place stays valid is said with the
 * field). A few operations take or give raw bytes instead of a record (CHUNK, BODY_CHUNK,
 * REDACT), said below. Unknown fields
 * are ignored, so the shim can only ever send what this table names.
 *
 * This header is the one source of the ABI: the tables below (operations, fields, actions,
 * tasks, events, flags and the request headers the core reads) are compiled into the core,
 * and bal_describe() hands them to the shim as text, from which worker-shim/core.mjs builds
 * its own tables when it loads the module. Nothing is copied by hand.
 *
 * Ownership:
 *   - bal_alloc() returns memory owned by the caller until passed to bal_free(); inputs are
 *     borrowed for the duration of the call.
 *   - bal_result_data() is borrowed: valid until the next bal_call(). Copy it out before
 *     anything else runs.
 *
 * The core is sans-I/O: it never reads a clock, never draws randomness, never performs I/O.
 * The shim passes NOW (ms since the epoch) and RANDOM (hex from a CSPRNG) in.
 *
 * A request is a handle: OPEN (the head) answers an action; the shim carries it out and
 * FEEDs the result (an event), which answers the next action, until RESPOND or STREAM.
 * See cpp/include/balancer/request.h for the life of a request.
 */
#ifndef BALANCER_ABI_H
#define BALANCER_ABI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped with every change of shape of anything below; the shim refuses another version. */
#define BAL_ABI_VERSION 14u

/* Operations: X(name, id). Inputs and outputs are records unless said otherwise. */
#define BAL_OPS(X)                                                                       \
  X(CONFIGURE, 1)  /* in: BODY (JSON configuration)          out: OK                  */ \
  X(OPEN, 2)       /* in: the request head                   out: HANDLE + an action  */ \
  X(FEED, 3)       /* handle; in: an event                   out: the next action     */ \
  X(CHUNK, 4)      /* handle; in: raw upstream bytes         out: raw bytes to send   */ \
                   /* (a RELAYed session: an upstream message that mentions            */ \
                   /* usageMetadata; out: nothing)                                       */ \
  X(BODY_CHUNK, 14) /* handle; in: raw bytes of the client's body, in order, while     */ \
                   /* READ_BODY with INSPECT is under way: the request keeps them (room  */ \
                   /* for the whole body is taken at the first, from content-length).    */ \
                   /* out: nothing. Refused (BAD_STATE) in any other state or past       */ \
                   /* MAX_BYTES                                                          */ \
  X(END, 5)        /* handle; in: REASON? BODY (tail)        out: OK, BODY (the last  */ \
                   /* bytes), TASKs (CALLs) to carry out before sending them, FLAGS      */ \
                   /* A RELAYed session: in REASON (ABORTED: the client closed; none:    */ \
                   /* the upstream closed; NETWORK: the upstream failed), STATUS, TEXT   */ \
                   /* (that close); out: STATUS, TEXT (the close for the other side)     */ \
  X(CLOSE, 6)      /* handle; frees the request (idempotent) out: nothing             */ \
  X(POOL_LOAD, 7)  /* in: NOW, SEED, VERSION, BODY (pool     out: OK, VERSION, COUNT, */ \
                   /* snapshot, pool.h); no BODY: unchanged,   MEMBERS                   */ \
                   /* and fresh as of NOW                                                */ \
  X(EVENTS, 8)     /* in: NOW                                out: BODY (JSON: rows per*/ \
                   /* table, events.h; absent when there are none), FLAGS (POOL_STALE,   */ \
                   /* POOL_NEXT: the report brings the pool up to date with them)        */ \
  X(CLASSIFY, 9)   /* in: STATUS, BODY, MODEL, NOW           out: BODY (JSON verdict: */ \
                   /* outcome, group, dead, revive, action, scope, until_ms, message)    */ \
  X(REDACT, 10)    /* in: raw text                           out: raw text, redacted  */ \
  X(OPEN_COUNT, 11) /* in: nothing                           out: COUNT (open handles)*/ \
  X(TICK, 12)      /* handle; the upstream has been silent   out: raw bytes to send   */ \
                   /* PING_MS (a keep-alive, if the API has one)                         */ \
  X(POOL_APPLY, 13) /* in: FROM, TO, NOW, FLAGS (KEEP_UNUSED), out: OK, VERSION, COUNT,*/ \
                   /* BODY (change lines, pool.h); refused     MEMBERS                   */ \
                   /* (OK 0) unless the pool is at FROM                                  */ \
  X(PROBE, 15)     /* in: KEY                                out: URL, METHOD, HEADERS,*/ \
                   /* BODY, TIMEOUT_MS (the whole fetch, its body too), MAX_BYTES        */ \
                   /* (read at most this much of an answer that is not 2xx) and MODEL    */ \
                   /* (CLASSIFY's): a free call that checks the key (classify.h). Never  */ \
                   /* follow a redirect; CLASSIFY the answer (STATUS 0: none came).      */ \
                   /* Refused (BAD_INPUT): a KEY empty or with a control character       */

/* Fields: X(name, id, type). */
#define BAL_FIELDS(X)                                                                         \
  X(KIND, 1, num)        /* an action's, a task's or an event's kind                        */ \
  X(HANDLE, 2, num)      /* the request handle OPEN made                                     */ \
  X(FLAGS, 3, num)       /* BAL_FLAGS bits                                                   */ \
  X(STATUS, 4, num)      /* an HTTP status                                                   */ \
  X(HEADERS, 5, str)     /* "name\nvalue\n" pairs, lower-case names                          */ \
  X(BODY, 6, bytes)      /* a body, or bytes                                                 */ \
  X(METHOD, 7, str)      /* an HTTP method                                                   */ \
  X(PATH, 8, str)        /* the request path, as sent (still percent-encoded)                */ \
  X(QUERY, 9, str)       /* the query string, without '?'                                    */ \
  X(URL, 10, str)        /* a URL to fetch; MEDIA_DONE: where a redirect leads               */ \
  X(ORIGIN, 11, str)     /* the Worker's own origin, "https://host"                          */ \
  X(NOW, 12, num)        /* the time, ms since the epoch                                     */ \
  X(RANDOM, 13, str)     /* 32 hex digits from a CSPRNG: ids and seeds                       */ \
  X(SLOT, 14, num)       /* which of a request's tasks a task or an event is about           */ \
  X(MAX_BYTES, 15, num)  /* read at most this many bytes                                     */ \
  X(TIMEOUT_MS, 16, num) /* give up after this long                                          */ \
  X(IDLE_MS, 17, num)    /* a stream silent this long is cut off                             */ \
  X(MODE, 18, num)       /* STREAM: 1 translate each chunk through CHUNK, 2 pass untouched   */ \
  X(TASK, 19, rec)       /* a task to start (repeats)                                        */ \
  X(MS, 20, num)         /* WAIT: how long                                                   */ \
  X(NAME, 21, str)       /* CALL: the key pool method                                        */ \
  X(ARGS, 22, str)       /* CALL: its arguments, a JSON array                                */ \
  X(RESULT, 23, str)     /* CALLED: the method's result as JSON                              */ \
  X(SIZE, 24, num)       /* BODY event: the body's size when the core did not ask for it     */ \
  X(REASON, 25, num)     /* why a read or a fetch failed: BAL_FAIL_*                         */ \
  X(CLIENT_BODY, 26, num) /* FETCH: 1 sends the client's body as read, untouched             */ \
  X(LOG, 27, str)        /* a line for the log (already redacted)                            */ \
  X(SEED, 28, num)       /* POOL_LOAD: where selection starts when it holds every key        */ \
  X(COUNT, 29, num)      /* a count                                                          */ \
  X(OK, 30, num)         /* 1 or 0                                                           */ \
  X(MODEL, 31, str)      /* a Gemini model id                                                */ \
  X(MIME, 33, str)       /* a content type                                                   */ \
  X(PING_MS, 34, num)    /* STREAM: TICK the request after this long without a chunk         */ \
  X(VERSION, 35, num)    /* the pool's version (POOL_LOAD, POOL_APPLY)                        */ \
  X(FROM, 36, num)       /* POOL_APPLY: the version the changes start from                   */ \
  X(TO, 37, num)         /* POOL_APPLY: the version they bring the pool to                   */ \
  X(MEMBERS, 38, num)    /* keys of this isolate's slice the pool holds (COUNT: all it holds) */ \
  X(KEY_ID, 39, num)     /* POOL: a key the request must use (an upload session's, a bound    */ \
                         /* conversation's) that this isolate does not hold: ask for it too   */ \
  X(TEXT, 40, str)       /* a WebSocket close reason                                         */ \
  X(BODY_REF, 41, ref)   /* FETCH: its body, held by the request: valid until the request    */ \
                         /* ends (RESPOND, CLOSE, the END of a STREAM), so a retry or a body  */ \
                         /* still being sent reads it in place                                */ \
  X(KEY, 42, str)        /* PROBE: the API key to check                                      */

/* Actions (an OPEN's or a FEED's answer, KIND): X(name, id). */
#define BAL_ACTIONS(X)                                                                    \
  X(RESPOND, 1)        /* answer now: STATUS, HEADERS, BODY; drain a body not read for  */ \
                       /* at most TIMEOUT_MS first. The request is over.                 */ \
  X(READ_BODY, 2)      /* read the client's body: MAX_BYTES, TIMEOUT_MS; FLAGS INSPECT   */ \
                       /* says whether the core reads its bytes (pass each chunk by       */ \
                       /* BODY_CHUNK as it arrives; else keep them: a FETCH may send      */ \
                       /* them as CLIENT_BODY): feed BODY or BODY_FAILED                  */ \
  X(TASKS, 3)          /* start every TASK (maybe none), then await any started task     */ \
                       /* still pending and FEED its result                              */ \
  X(READ_UPSTREAM, 4)  /* read SLOT's upstream body whole (at most MAX_BYTES) and FEED    */ \
                       /* UPSTREAM_BODY; abort the fetch past MAX_BYTES                   */ \
  X(STREAM, 5)         /* answer STATUS, HEADERS with SLOT's upstream body: MODE 1 through */ \
                       /* CHUNK, MODE 2 untouched; END when it ends (REASON if it broke); */ \
                       /* IDLE_MS: cut off a silent upstream; PING_MS: TICK it meanwhile. */ \
                       /* Other tasks are abandoned.                                      */ \
  X(ACCEPT, 6)         /* a WebSocket session (the Live API): answer 101 and accept the   */ \
                       /* client's socket (binary frames as bytes); FEED BODY with its    */ \
                       /* first message, or BODY_FAILED (TIMEOUT) if none comes within    */ \
                       /* TIMEOUT_MS. Until RELAY, hold its later messages, and FEED      */ \
                       /* CLIENT_CLOSED if it closes, whatever the request awaits.        */ \
  X(RELAY, 7)          /* SLOT's upstream socket carries the session: send the client the */ \
                       /* upstream's first message and the upstream the messages held,    */ \
                       /* then pass frames both ways untouched; CHUNK each upstream       */ \
                       /* message that mentions usageMetadata; when a side closes or      */ \
                       /* fails, END and close the other side as END says. Other tasks    */ \
                       /* are abandoned.                                                  */ \
  X(CLOSE, 8)          /* close the client's socket with STATUS (a close code) and TEXT,  */ \
                       /* and every upstream socket of the request. The request is over.  */

/* Tasks (TASK records, KIND): X(name, id). Each has a SLOT; its result is FED with it. */
#define BAL_TASKS(X)                                                                       \
  X(FETCH, 1)  /* URL, METHOD, HEADERS (content-length with a BODY_REF), BODY_REF or      */ \
               /* CLIENT_BODY, TIMEOUT_MS (first byte): send the body with that length    */ \
               /* (not chunked); never follow a redirect; FEED UPSTREAM_HEAD or           */ \
               /* UPSTREAM_FAILED                                                         */ \
  X(WAIT, 2)   /* MS; FEED WAITED                                                         */ \
  X(CALL, 3)   /* a key pool method: NAME, ARGS (a JSON array); BODY, when present, is the */ \
               /* `body` field of the last argument, as bytes; FEED CALLED (OK 0: it threw) */ \
  X(POOL, 4)   /* bring the pool up to date now (FLAGS POOL_STALE: even if one is loaded  */ \
               /* and a refresh is under way; POOL_NEXT: with the next slice of keys;     */ \
               /* KEY_ID: with that key, held even outside the slice); FEED POOL_READY    */ \
  X(MEDIA, 5)  /* GET a public URL with no credentials and nothing of the client's request:*/ \
               /* URL, MAX_BYTES (content-length and the bytes counted while reading),     */ \
               /* TIMEOUT_MS (the whole fetch); never follow a redirect (the core checks   */ \
               /* each target); FEED MEDIA_DONE                                            */ \
  X(SOCKET, 6) /* open a WebSocket: URL (https), HEADERS; send it the client's first       */ \
               /* message as it came (text or binary); FEED SOCKET_OPEN when it answers    */ \
               /* anything (keep that message for RELAY), or SOCKET_CLOSED if it closes   */ \
               /* or fails first, or nothing comes within TIMEOUT_MS (then close it)      */

/* Events (FEED's input, KIND): X(name, id). */
#define BAL_EVENTS(X)                                                                    \
  X(BODY, 1)            /* SIZE: the body's size (with INSPECT, the count of bytes     */ \
                        /* passed by BODY_CHUNK, checked); or BODY, the bytes whole    */ \
  X(BODY_FAILED, 2)     /* REASON: TOO_LARGE, UNREADABLE, TIMEOUT                      */ \
  X(UPSTREAM_HEAD, 3)   /* SLOT, STATUS, HEADERS                                       */ \
  X(UPSTREAM_BODY, 4)   /* SLOT, BODY (cut at MAX_BYTES), REASON if it broke            */ \
  X(UPSTREAM_FAILED, 5) /* SLOT, REASON: NETWORK or TIMEOUT                            */ \
  X(WAITED, 6)          /* SLOT                                                        */ \
  X(CALLED, 7)          /* SLOT, OK, RESULT (JSON), or BODY when the method gave bytes   */ \
  X(POOL_READY, 8)      /* SLOT, OK                                                    */ \
  X(MEDIA_DONE, 9)      /* SLOT, STATUS, MIME (content-type), BODY; a 301/302/303/307/  */ \
                        /* 308 with URL: its Location resolved against the URL fetched */ \
                        /* ("" if none or unreadable), no BODY; or REASON: TOO_LARGE,  */ \
                        /* TIMEOUT, NETWORK                                            */ \
  X(SOCKET_OPEN, 10)    /* SLOT: the upstream socket answered                          */ \
  X(SOCKET_CLOSED, 11)  /* SLOT, STATUS (the close code; 1006 without a close frame),  */ \
                        /* TEXT (its reason); REASON TIMEOUT: no answer in time,       */ \
                        /* NETWORK: the socket could not be opened                     */ \
  X(CLIENT_CLOSED, 12)  /* STATUS, TEXT: the client closed its socket before RELAY     */

/* FLAGS bits: X(name, bit value). */
#define BAL_FLAGS(X)                                                                       \
  X(EVENTS_PENDING, 1) /* key events wait in the core: drain them (EVENTS) soon         */ \
  X(POOL_STALE, 2)     /* the pool is old: refresh it in the background                  */ \
  X(INSPECT, 4)        /* READ_BODY: feed the bytes, the core reads them                  */ \
  X(POOL_NEXT, 8)      /* with POOL_STALE: this isolate is through half its slice: ask    */ \
                       /* for the next one                                                */ \
  X(KEEP_UNUSED, 16)   /* POOL_APPLY: keys a new slice leaves stay in turn until used once */ \
  X(BODY_AS_READ, 32)  /* RESPOND: send the upstream body last fed (UPSTREAM_BODY) as it  */ \
                       /* came; the action carries no BODY                                 */

/* REASON values: X(name, id). */
#define BAL_REASONS(X) \
  X(TOO_LARGE, 1)      \
  X(UNREADABLE, 2)     \
  X(TIMEOUT, 3)        \
  X(NETWORK, 4)        \
  X(ABORTED, 5)

/* The request headers the core reads (lower case); the shim passes no others. */
#define BAL_REQUEST_HEADERS(X)           \
  X("authorization")                     \
  X("x-goog-api-key")                    \
  X("x-api-key")                         \
  X("anthropic-version")                 \
  X("cookie")                            \
  X("origin")                            \
  X("sec-fetch-site")                    \
  X("cf-connecting-ip")                  \
  X("content-type")                      \
  X("content-length")                    \
  X("accept")                            \
  X("x-goog-api-client")                 \
  X("x-goog-upload-protocol")            \
  X("x-goog-upload-command")             \
  X("x-goog-upload-offset")              \
  X("x-goog-upload-header-content-length") \
  X("x-goog-upload-header-content-type") \
  X("api-revision")                      \
  X("access-control-request-method")     \
  X("access-control-request-headers")    \
  X("upgrade")

/* The upstream answer headers the core reads (UPSTREAM_HEAD); the shim passes no others. */
#define BAL_UPSTREAM_HEADERS(X)        \
  X("content-type")                    \
  X("content-length")                  \
  X("retry-after")                     \
  X("x-goog-upload-status")            \
  X("x-goog-upload-url")               \
  X("x-goog-upload-chunk-granularity") \
  X("x-goog-upload-size-received")     \
  X("x-goog-upload-control-url")

/* The key pool's policies, which the KeyPool Durable Object and the Worker's key reports
 * apply as numbers (describe: "policy NAME VALUE"): how long what the object stores is kept and
 * how much of it, how key checks are paced, and how key events are reported to it. */
#define BAL_POLICIES(X)                                                                         \
  X(USAGE_KEEP_MS, 7LL * 24 * 3600 * 1000)      /* usage per key, per family, per hour      */ \
  X(AFFINITY_KEEP_MS, 7LL * 24 * 3600 * 1000)   /* which key made a file or cache: files    */ \
                                                /* live 48 h, caches their TTL (unseen)     */ \
  X(AFFINITY_MAX_ROWS, 5000)                    /* past it the oldest are forgotten first   */ \
  X(BATCH_KEEP_MS, 10LL * 60 * 1000)            /* a reported batch's id, to refuse it again */ \
  X(COOLDOWN_KEEP_MS, 3600LL * 1000)            /* an ended cooldown's row, after its end   */ \
  X(PRUNE_EVERY_MS, 60LL * 1000)                /* the above are pruned at most this often  */ \
  X(SESSIONS_MAX, 1000)                         /* admin UI sessions at once                */ \
  X(SLICE_KEYS, 64)                             /* enabled keys an isolate holds at a time  */ \
  X(CHANGES_MAX_ENTRIES, 20000)                 /* the object's log of recent changes, in   */ \
  X(CHANGES_MAX_CHARS, 1LL << 20)               /* memory; further back, a fresh slice      */ \
  X(PULL_CHANGES_MAX_CHARS, 32LL * 1024)        /* changes past this go as a fresh slice    */ \
  X(SNAPSHOT_AFFINITY_MAX_BYTES, 256LL * 1024)  /* the affinities a snapshot carries        */ \
  X(RESPONSE_TTL_MS, 30LL * 24 * 3600 * 1000)   /* a stored Responses API answer            */ \
  X(RESPONSE_MAX_BYTES, 16LL * 1024 * 1024)     /* one stored answer; larger is not stored  */ \
  X(RESPONSES_MAX_BYTES, 512LL * 1024 * 1024)   /* all of them; the oldest go first         */ \
  X(RESPONSE_LOAD_MAX_BYTES, 32LL * 1024 * 1024) /* the chain one request replays           */ \
  X(RESPONSE_CLEAN_GAP_MS, 60LL * 1000)         /* the cleaning alarm, at most this often   */ \
  X(CHECK_BATCH, 40)                            /* key probes per step: within the free     */ \
                                                /* plan's 50 subrequests per invocation     */ \
  X(CHECK_CONCURRENCY, 6)                       /* and its 6 simultaneous connections       */ \
  X(CHECK_CLAIM_MS, 60LL * 1000)                /* a claimed probe unanswered by then is    */ \
                                                /* tried again                              */ \
  X(CHECK_STEP_MS, 500)                         /* a check job's steps start this far apart */ \
  X(REPORT_DELAY_MS, 1000)                      /* key events gathered before a report      */ \
  X(REPORT_TRIES, 3)                            /* a report's tries, the n-th retry after   */ \
  X(REPORT_RETRY_MS, 250)                       /* this times 2^(n-1)                       */ \
  X(REPORT_BACKLOG, 20)                         /* failed reports kept to send with the     */ \
                                                /* next one; past it the oldest are dropped */

enum bal_status {
  BAL_OK = 0,
  BAL_ERR_BAD_INPUT = 1,  /* the input is not a record of the right shape */
  BAL_ERR_UNKNOWN_OP = 2,
  BAL_ERR_BAD_HANDLE = 3, /* no open request has this handle              */
  BAL_ERR_BAD_STATE = 4   /* the event does not fit the request's state   */
};

uint32_t bal_abi_version(void);

void* bal_alloc(uint32_t size);
void bal_free(void* ptr);

/* Runs `op` (BAL_OPS) on request `handle` (0 where the op takes none) over the input
 * [in, in + len). On an error the output is a record with LOG saying why. */
int32_t bal_call(uint32_t op, uint32_t handle, const uint8_t* in, uint32_t len);

const uint8_t* bal_result_data(void);
uint32_t bal_result_size(void);

/* The tables above as text, one entry a line: "abi N", "op NAME ID", "field NAME ID TYPE",
 * "action NAME ID", "task NAME ID", "event NAME ID", "flag NAME BIT", "reason NAME ID",
 * "header NAME", "upstream_header NAME", "policy NAME VALUE", "config NAME" (the Worker
 * bindings CONFIGURE reads).
 * Borrowed like a result. */
void bal_describe(void);

#ifdef __cplusplus
}
#endif

#endif /* BALANCER_ABI_H */
