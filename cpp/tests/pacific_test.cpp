#include "balancer/pacific.h"

#include <catch2/catch.hpp>

namespace {
constexpr int64_t kHour = 3600000;
int64_t utc(int64_t y, unsigned m, unsigned d, int64_t h = 0, int64_t min = 0) {
  return bal::days_from_civil(y, m, d) * 24 * kHour + h * kHour + min * 60000;
}
}  // namespace

TEST_CASE("civil dates convert to day numbers", "[pacific]") {
  CHECK(bal::days_from_civil(1970, 1, 1) == 0);
  CHECK(bal::days_from_civil(2000, 3, 1) == 11017);
  CHECK(bal::days_from_civil(2026, 11, 26) == 20783);
}

TEST_CASE("Pacific offset follows US daylight saving", "[pacific]") {
  CHECK(bal::pacific_offset_hours(utc(2026, 1, 15, 12)) == -8);
  CHECK(bal::pacific_offset_hours(utc(2026, 7, 1, 12)) == -7);
  // 2026: DST from Sunday 8 March 10:00 UTC to Sunday 1 November 09:00 UTC.
  CHECK(bal::pacific_offset_hours(utc(2026, 3, 8, 9, 59)) == -8);
  CHECK(bal::pacific_offset_hours(utc(2026, 3, 8, 10, 0)) == -7);
  CHECK(bal::pacific_offset_hours(utc(2026, 11, 1, 8, 59)) == -7);
  CHECK(bal::pacific_offset_hours(utc(2026, 11, 1, 9, 0)) == -8);
}

TEST_CASE("next Pacific midnight in winter, summer and across DST changes", "[pacific]") {
  // Winter: midnight PST is 08:00 UTC.
  CHECK(bal::next_pacific_midnight_ms(utc(2026, 1, 15, 12)) == utc(2026, 1, 16, 8));
  CHECK(bal::next_pacific_midnight_ms(utc(2026, 1, 15, 7, 59)) == utc(2026, 1, 15, 8));
  // Exactly at midnight: the next one is a day later.
  CHECK(bal::next_pacific_midnight_ms(utc(2026, 1, 15, 8)) == utc(2026, 1, 16, 8));
  // Summer: midnight PDT is 07:00 UTC.
  CHECK(bal::next_pacific_midnight_ms(utc(2026, 7, 1, 12)) == utc(2026, 7, 2, 7));
  // Saturday 7 March 2026 (PST) -> Sunday 8 March starts at 08:00 UTC (still PST at midnight).
  CHECK(bal::next_pacific_midnight_ms(utc(2026, 3, 7, 20)) == utc(2026, 3, 8, 8));
  // Sunday 8 March after the change -> Monday starts at 07:00 UTC (PDT): a 23-hour day.
  CHECK(bal::next_pacific_midnight_ms(utc(2026, 3, 8, 12)) == utc(2026, 3, 9, 7));
  // Saturday 31 October (PDT) -> Sunday 1 November starts at 07:00 UTC.
  CHECK(bal::next_pacific_midnight_ms(utc(2026, 10, 31, 20)) == utc(2026, 11, 1, 7));
  // Sunday 1 November after the change -> Monday starts at 08:00 UTC (PST): a 25-hour day.
  CHECK(bal::next_pacific_midnight_ms(utc(2026, 11, 1, 12)) == utc(2026, 11, 2, 8));
  // New year.
  CHECK(bal::next_pacific_midnight_ms(utc(2026, 12, 31, 23)) == utc(2027, 1, 1, 8));
}

TEST_CASE("the Pacific day start is the last midnight", "[pacific]") {
  CHECK(bal::pacific_day_start_ms(utc(2026, 1, 15, 12)) == utc(2026, 1, 15, 8));
  CHECK(bal::pacific_day_start_ms(utc(2026, 1, 15, 8)) == utc(2026, 1, 15, 8));
  CHECK(bal::pacific_day_start_ms(utc(2026, 1, 15, 7)) == utc(2026, 1, 14, 8));
  CHECK(bal::pacific_day_start_ms(utc(2026, 11, 1, 20)) == utc(2026, 11, 1, 7));
  CHECK(bal::pacific_day_start_ms(utc(2026, 11, 2, 9)) == utc(2026, 11, 2, 8));
}
