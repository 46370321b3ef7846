// events.h — merging a batch of key events before they are written to the key pool.
//
// Isolates report every upstream attempt as an event ({id, model, outcome, action, until_ms,
// all_models, prompt_tokens, completion_tokens, error, at_ms, created?, count?}); a busy
// isolate sends hundreds at a time. Merging them per key, model and hour first turns those
// into a few rows of SQL, with the same totals:
//   requests / successes   counted events (count != false), and those whose outcome is "ok"
//   failures               per outcome, for counted events that are the upstream's or the
//                          key's failures (a client's own error or region is not)
//   tokens                 summed; the newest failure's error and time kept
//   action                 the strongest: disable over cooldown (latest end) over none
//   created                every resource named, once
#pragma once

#include "balancer/json.h"

namespace bal {

// `events` is a JSON array; anything malformed in it is skipped. Returns a JSON array of
// merged events: {id, model, hour_ms, at_ms, requests, successes, failures: {outcome: n},
// prompt_tokens, completion_tokens, error, error_ms, action, reason, until_ms, all_models,
// created}.
json merge_events(const json& events);

}  // namespace bal
