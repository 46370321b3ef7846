/*
 * balancer.h — the C ABI of the balancer core, the only surface the Worker sees.
 *
 * Only numbers and bytes cross this boundary. Every operation takes one input
 * message and produces one output message, both framed the same way:
 *
 *     [u32 little-endian header length][header: UTF-8 JSON object][payload bytes]
 *
 * The header carries small control data; the payload carries a body (request or
 * response bytes) untouched, so large bodies are never escaped into JSON.
 *
 * Ownership:
 *   - bal_alloc() returns memory owned by the caller until passed to bal_free()
 *     or to an operation that says it takes it (none do: inputs are borrowed).
 *   - bal_result_data() is borrowed: valid until the next bal_call(),
 *     bal_stream_*() or bal_free() call. Copy it out before doing anything else.
 *
 * The core is sans-I/O: it never reads a clock or draws randomness. Callers pass
 * `now_ms` and `seed` in the header where an operation needs them.
 */
#ifndef BALANCER_ABI_H
#define BALANCER_ABI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever an operation's input or output changes shape. */
#define BAL_ABI_VERSION 1u

enum bal_op {
  BAL_OP_CONFIGURE = 1,        /* header: {admin_token, auth_tokens, ...}; sets tokens and limits   */
  BAL_OP_ROUTE = 2,            /* header: request line + headers; payload: body  -> plan            */
  BAL_OP_POOL_LOAD = 3,        /* payload: pool snapshot text (see pool.h)       -> {count}          */
  BAL_OP_SELECT = 4,           /* header: {model, now_ms, seed, exclude[]}       -> {id, key} | none */
  BAL_OP_CLASSIFY = 5,         /* header: {status, model, now_ms, key_id}; payload: upstream body   */
  BAL_OP_PARSE_KEYS = 6,       /* payload: JSON body or text                     -> keys, rejected  */
  BAL_OP_MASK = 7,             /* header: {keys: [...]}                          -> {masked: [...]} */
  BAL_OP_REDACT = 8,           /* payload: text                                  -> payload redacted*/
  BAL_OP_TRANSLATE = 9,        /* header: {kind, ...}; payload: body             -> translated body */
  BAL_OP_POOL_EVENT = 10,      /* header: {id, model, action, until_ms}          -> {}              */
  BAL_OP_POOL_STATUS = 11,     /* header: {now_ms, model?}                        -> counts, earliest */
  BAL_OP_ERROR = 12,           /* header: {family, status, message, code?}       -> respond plan    */
  BAL_OP_USAGE = 13,           /* header: {sse}; payload: an answer's tail      -> usage, complete */
  BAL_OP_LEARN = 14,           /* header: {key_id}; payload: an answer (or tail) -> {created: [...]}*/
  BAL_OP_MERGE_EVENTS = 15,    /* payload: JSON array of key events -> payload: merged events     */
  BAL_OP_MEDIA = 16            /* header: {action, ...}: Live API and media URL decisions (media_abi.h) */
};

enum bal_status {
  BAL_OK = 0,
  BAL_ERR_BAD_FRAME = 1,       /* the input message is not framed as above        */
  BAL_ERR_BAD_HEADER = 2,      /* the header is not a JSON object of the right shape */
  BAL_ERR_UNKNOWN_OP = 3,
  BAL_ERR_BAD_HANDLE = 4
};

uint32_t bal_abi_version(void);

void* bal_alloc(uint32_t size);
void bal_free(void* ptr);

/* Runs `op` over the framed input [in, in + len). Returns a bal_status; on BAL_OK the
 * framed output is at bal_result_data() / bal_result_size(); on an error the output is
 * a header {"error": "..."} with no payload. */
int32_t bal_call(uint32_t op, const uint8_t* in, uint32_t len);

const uint8_t* bal_result_data(void);
uint32_t bal_result_size(void);

/* Streams: a translation whose input arrives in chunks (SSE). State lives in the core
 * per handle; every opened handle must be closed, whatever happens to the stream.
 *   bal_stream_open(framed header {kind, ...}) -> handle (0 on failure)
 *   bal_stream_push(handle, raw chunk bytes)    -> status; output payload = bytes to emit
 *   bal_stream_finish(handle)                   -> status; output payload = final bytes
 *   bal_stream_close(handle)                    -> frees the state; idempotent */
uint32_t bal_stream_open(const uint8_t* in, uint32_t len);
int32_t bal_stream_push(uint32_t handle, const uint8_t* chunk, uint32_t len);
int32_t bal_stream_finish(uint32_t handle);
void bal_stream_close(uint32_t handle);

/* Number of stream handles currently open (for leak checks in tests). */
uint32_t bal_stream_count(void);

#ifdef __cplusplus
}
#endif

#endif /* BALANCER_ABI_H */
