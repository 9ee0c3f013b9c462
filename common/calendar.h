/*  calendar: the Europe/Amsterdam calendar, without a tz database
 *  (calendar.c says how).  Every date and time a person types or reads in
 *  keten is on this calendar, whatever TZ the daemon or the CLI runs in.
 */
#ifndef KETEN_CALENDAR_H
#define KETEN_CALENDAR_H

#include <stdint.h>

/*  Days since 1970-01-01 of the proleptic Gregorian y-m-d (m 1..12; a d
 *  past the month runs on), and back. */
int64_t kt_days_from_civil (int64_t y, int m, int d);
void kt_civil_from_days (int64_t z, int *y, int *m, int *d);
/*  The offset of Dutch civil time from UTC at utc_s, in seconds. */
int kt_amsterdam_offset (int64_t utc_s);
/*  Local YYYY-MM-DD of ms since the epoch. */
void kt_local_date (uint64_t ms, char out[11]);
/*  Local "YYYY-MM-DD HH:MM" of ms since the epoch. */
void kt_local_time (uint64_t ms, char out[17]);
/*  The first ms of local day y-m-d (m 1..12, d may run past the month:
 *  it is normalised). */
uint64_t kt_local_midnight_ms (int y, int m, int d);
/*  Local YYYY-MM-DDTHH:MM (a real date and time) as ms since the epoch:
 *  0, or -1 when text is not one. */
int kt_local_parse (const char *text, uint64_t *ms);

#endif
