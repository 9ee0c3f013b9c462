/*  calendar: the Europe/Amsterdam calendar, without a tz database
 *  (calendar.c says how).  Every date and time a person types or reads in
 *  keten is on this calendar, whatever TZ the daemon or the CLI runs in.
 */
#ifndef KETEN_CALENDAR_H
#define KETEN_CALENDAR_H

#include "util.h"

#include <stdint.h>

/*  Days since 1970-01-01 of the proleptic Gregorian y-m-d (m 1..12; a d
 *  past the month runs on), and back. */
int64_t kt_days_from_civil (int64_t y, int m, int d);
void kt_civil_from_days (int64_t z, int *y, int *m, int *d);
/*  The civil date `months` calendar months after y-m-d (months >= 0),
 *  the day cut to that month's last when it has fewer days (31 March and
 *  3 months: 30 June; 30 November and 3: 28 or 29 February). */
void kt_months_on (int y, int m, int d, int months, int *oy, int *om, int *od);
/*  The same for a date YYYY-MM-DD (a real one, checked by the caller):
 *  out is the YYYY-MM-DD `months` calendar months on. */
void kt_date_months_on (const char *date, int months, char out[11]);
/*  The offset of Dutch civil time from UTC at utc_s, in seconds. */
int kt_amsterdam_offset (int64_t utc_s);
/*  The local day of ms since the epoch, as days since 1970-01-01 (the
 *  Dutch calendar day, compared with kt_days_from_civil's). */
int64_t kt_local_day (uint64_t ms);
/*  Local YYYY-MM-DD of ms since the epoch. */
void kt_local_date (uint64_t ms, char out[11]);
/*  Local "YYYY-MM-DD HH:MM" of ms since the epoch. */
void kt_local_time (uint64_t ms, char out[17]);
/*  The first ms of local day y-m-d (m 1..12, d may run past the month:
 *  it is normalised). */
uint64_t kt_local_midnight_ms (int y, int m, int d);
/*  The Dutch date YYYY-MM-DD `days` days after (or before, days < 0)
 *  the Dutch day of ms since the epoch. */
void kt_local_date_on (uint64_t ms, int64_t days, char out[11]);
/*  The first ms of the Dutch day of date, a real YYYY-MM-DD from 1970
 *  on: the instant a Dutch day rule (a roster's leaves-at, a key overlap's
 *  previous-until, a peering's ended) takes effect - 23:00 UTC (22:00 in
 *  summer) the day before.  0, or -1 when date is not one. */
int kt_local_date_start_ms (const char *date, uint64_t *ms);
/*  The last ms of the Dutch day `days` days after the Dutch day of ms: a
 *  deadline "within N days" (art. 12: four weeks, 28) where the whole
 *  last day counts. */
uint64_t kt_local_day_end_ms (uint64_t ms, int64_t days);
/*  Local YYYY-MM-DDTHH:MM (a real date, 1970 on, and a time 00:00..23:59)
 *  as seconds since the epoch read as if local were UTC (the wall clock):
 *  0, or -1 when text is not one. */
int kt_local_wall (const char *text, int64_t *wall_s);
/*  How a Dutch wall-clock time (kt_local_wall's seconds) reads: one
 *  instant; none (the spring change skips it: *utc_s is its CET reading,
 *  an hour later on the clock); or two (the autumn change repeats it:
 *  *utc_s is the first, CEST, reading; the CET one is an hour later). */
typedef enum { KT_LOCAL_ONE, KT_LOCAL_GAP, KT_LOCAL_TWICE } kt_local_reading_t;
kt_local_reading_t kt_local_resolve (int64_t wall_s, int64_t *utc_s);
/*  A Dutch time a person typed, YYYY-MM-DDTHH:MM (a real date and time),
 *  as ms since the epoch: 0, or -1 with reason saying why not.  A time
 *  the spring change skips is refused; one the autumn change repeats
 *  (02:00-02:59 on its night) needs its offset, YYYY-MM-DDTHH:MM+02:00
 *  (the first, summer time) or +01:00 (the second): the offset is taken
 *  on any time, and must be the one in force then. */
int kt_local_parse (const char *text, uint64_t *ms, kt_reason_t *reason);
/*  A stored Dutch wall-clock time (an agenda's start), YYYY-MM-DDTHH:MM:
 *  a real date from 2000 on and a minute 00:00..23:59 that the spring
 *  change does not skip (one the autumn change repeats is taken: it is
 *  kept as typed).  0, or -1 with reason naming field and why. */
int kt_local_start_check (const char *field, const char *text, kt_reason_t *reason);

#endif
