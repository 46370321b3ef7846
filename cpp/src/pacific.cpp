#include "balancer/pacific.h"

namespace bal {
namespace {

constexpr int64_t kDayMs = 86400000;
constexpr int64_t kHourMs = 3600000;

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Civil date of a day count (Howard Hinnant's algorithm).
void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = floor_div(z, 146097);
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0);
}

// 0 = Sunday.
unsigned weekday(int64_t days) { return static_cast<unsigned>(days + 4 - floor_div(days + 4, 7) * 7); }

// Day number of the n-th Sunday (n >= 1) of month m of year y.
int64_t nth_sunday(int64_t y, unsigned m, unsigned n) {
  const int64_t first = days_from_civil(y, m, 1);
  const unsigned wd = weekday(first);
  return first + ((7 - wd) % 7) + 7 * static_cast<int64_t>(n - 1);
}

// DST transitions of year y as UTC instants: starts 02:00 PST (10:00 UTC), ends 02:00 PDT (09:00 UTC).
int64_t dst_start_ms(int64_t y) { return nth_sunday(y, 3, 2) * kDayMs + 10 * kHourMs; }
int64_t dst_end_ms(int64_t y) { return nth_sunday(y, 11, 1) * kDayMs + 9 * kHourMs; }

}  // namespace

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = floor_div(y, 400);
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

int pacific_offset_hours(int64_t utc_ms) {
  int64_t y;
  unsigned m, d;
  civil_from_days(floor_div(utc_ms, kDayMs), y, m, d);
  return (utc_ms >= dst_start_ms(y) && utc_ms < dst_end_ms(y)) ? -7 : -8;
}

int64_t next_pacific_midnight_ms(int64_t utc_ms) {
  const int64_t local_ms = utc_ms + pacific_offset_hours(utc_ms) * kHourMs;
  const int64_t next_local_day = floor_div(local_ms, kDayMs) + 1;
  // Transitions happen at 02:00 local, so the offset at local midnight is that of the
  // instant two hours earlier in UTC terms under either offset; try PST, then PDT.
  const int64_t as_pst = next_local_day * kDayMs + 8 * kHourMs;
  if (pacific_offset_hours(as_pst) == -8) return as_pst;
  return next_local_day * kDayMs + 7 * kHourMs;
}

int64_t pacific_day_start_ms(int64_t utc_ms) {
  // A Pacific day lasts 23 to 25 hours: start two days back and walk forward.
  int64_t start = next_pacific_midnight_ms(utc_ms - 2 * kDayMs);
  while (true) {
    const int64_t next = next_pacific_midnight_ms(start);
    if (next > utc_ms) return start;
    start = next;
  }
}

}  // namespace bal
