// pacific.h — calendar arithmetic for Gemini's daily quotas, which reset at midnight in
// US Pacific time (America/Los_Angeles: UTC-8, or UTC-7 from the second Sunday of March
// 02:00 to the first Sunday of November 02:00, the rule in force since 2007).
#pragma once

#include <cstdint>

namespace bal {

// Days since 1970-01-01 of a proleptic Gregorian date.
int64_t days_from_civil(int64_t y, unsigned m, unsigned d);

// UTC offset of US Pacific time at the instant `utc_ms`, in hours (-7 or -8).
int pacific_offset_hours(int64_t utc_ms);

// The first instant strictly after `utc_ms` at which the Pacific calendar date changes.
int64_t next_pacific_midnight_ms(int64_t utc_ms);

// The last instant at or before `utc_ms` at which the Pacific calendar date changed.
int64_t pacific_day_start_ms(int64_t utc_ms);

}  // namespace bal
