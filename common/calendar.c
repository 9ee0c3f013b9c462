/*  calendar: the Europe/Amsterdam calendar without a tz database, so the
 *  daemon's or the operator's TZ never moves a deadline or a meeting
 *  (docs/RIGHTS.md, "Deadlines").  Dutch civil time is CET (+1h), and
 *  CEST (+2h) from 01:00 UTC on the last Sunday of March to 01:00 UTC on
 *  the last Sunday of October (EU summer time since 1996).
 */
#include "calendar.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/*  Days since 1970-01-01 of the proleptic Gregorian y-m-d (m 1..12, d
 *  1..31; a d past the month runs on), H. Hinnant's days_from_civil. */
int64_t
kt_days_from_civil (int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468 + (d - 1);
}

/*  The civil date of days since 1970-01-01. */
void
kt_civil_from_days (int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int) (doy - (153 * mp + 2) / 5 + 1);
    *m = (int) (mp < 10 ? mp + 3 : mp - 9);
    *y = (int) (yoe + era * 400 + (*m <= 2));
}

void
kt_months_on (int y, int m, int d, int months, int *oy, int *om, int *od)
{
    int total = (m - 1) + months;
    y += total / 12;
    m = total % 12 + 1;
    int64_t next = m == 12 ? kt_days_from_civil (y + 1, 1, 1) : kt_days_from_civil (y, m + 1, 1);
    int last = (int) (next - kt_days_from_civil (y, m, 1));
    *oy = y;
    *om = m;
    *od = d < last ? d : last;
}

void
kt_date_months_on (const char *date, int months, char out[11])
{
    int y = 0, m = 1, d = 1;
    if (sscanf (date, "%4d-%2d-%2d", &y, &m, &d) != 3 || m < 1 || m > 12)
        y = 1970, m = 1, d = 1;
    kt_months_on (y, m, d, months, &y, &m, &d);
    char tmp[48];
    snprintf (tmp, sizeof tmp, "%04d-%02d-%02d", y % 10000, m, d);
    snprintf (out, 11, "%.10s", tmp);
}

static int64_t
s_floor_div (int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/*  The day (since the epoch) of the last Sunday of month m (31 days). */
static int64_t
s_last_sunday (int y, int m)
{
    int64_t last = kt_days_from_civil (y, m, 31);
    int64_t weekday = ((last + 4) % 7 + 7) % 7; /* 1970-01-01 was a Thursday; 0 Sunday */
    return last - weekday;
}

int
kt_amsterdam_offset (int64_t utc_s)
{
    int y, m, d;
    kt_civil_from_days (s_floor_div (utc_s, 86400), &y, &m, &d);
    int64_t start = s_last_sunday (y, 3) * 86400 + 3600;
    int64_t end = s_last_sunday (y, 10) * 86400 + 3600;
    return utc_s >= start && utc_s < end ? 7200 : 3600;
}

static int64_t
s_local_s (uint64_t ms)
{
    int64_t s = (int64_t) (ms / 1000);
    return s + kt_amsterdam_offset (s);
}

int64_t
kt_local_day (uint64_t ms)
{
    return s_floor_div (s_local_s (ms), 86400);
}

void
kt_local_date (uint64_t ms, char out[11])
{
    /*  The last day written, per thread: the uitvoerder dates every
     *  signal's report counts, nearly always on the same day as the one
     *  before (issue #17). */
    static _Thread_local int64_t s_day = INT64_MIN;
    static _Thread_local char s_text[11];
    int64_t day = s_floor_div (s_local_s (ms), 86400);
    if (day != s_day) {
        int y, m, d;
        kt_civil_from_days (day, &y, &m, &d);
        char tmp[48];
        snprintf (tmp, sizeof tmp, "%04d-%02d-%02d", y % 10000, m, d);
        snprintf (s_text, sizeof s_text, "%.10s", tmp);
        s_day = day;
    }
    memcpy (out, s_text, sizeof s_text);
}

void
kt_local_time (uint64_t ms, char out[17])
{
    int64_t local = s_local_s (ms);
    int y, m, d;
    kt_civil_from_days (s_floor_div (local, 86400), &y, &m, &d);
    int64_t sec = local - s_floor_div (local, 86400) * 86400;
    char tmp[64];
    snprintf (tmp, sizeof tmp, "%04d-%02d-%02d %02d:%02d", y % 10000, m, d, (int) (sec / 3600),
              (int) (sec % 3600 / 60));
    snprintf (out, 17, "%.16s", tmp);
}

uint64_t
kt_local_midnight_ms (int y, int m, int d)
{
    int64_t day = kt_days_from_civil (y, m, 1) + (d - 1);
    /*  The clocks change at 01:00 UTC (02:00 or 03:00 local), never near
     *  local midnight, so the offset an hour before UTC midnight is the
     *  one in force at local midnight. */
    int64_t utc = day * 86400 - kt_amsterdam_offset (day * 86400 - 3600);
    return utc < 0 ? 0 : (uint64_t) utc * 1000;
}

void
kt_local_date_on (uint64_t ms, int64_t days, char out[11])
{
    int y, m, d;
    kt_civil_from_days (kt_local_day (ms) + days, &y, &m, &d);
    char tmp[48];
    snprintf (tmp, sizeof tmp, "%04d-%02d-%02d", y % 10000, m, d);
    snprintf (out, 11, "%.10s", tmp);
}

/*  A real YYYY-MM-DD from 1970 on, as y-m-d: 0, or -1. */
static int
s_parse_date (const char *text, int *y, int *m, int *d)
{
    if (!text || strlen (text) != 10 || text[4] != '-' || text[7] != '-')
        return -1;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (text[i] < '0' || text[i] > '9'))
            return -1;
    *y = (text[0] - '0') * 1000 + (text[1] - '0') * 100 + (text[2] - '0') * 10 + (text[3] - '0');
    *m = (text[5] - '0') * 10 + (text[6] - '0');
    *d = (text[8] - '0') * 10 + (text[9] - '0');
    int cy, cm, cd;
    if (*y < 1970 || *m < 1 || *m > 12 || *d < 1)
        return -1;
    kt_civil_from_days (kt_days_from_civil (*y, *m, *d), &cy, &cm, &cd);
    return cy == *y && cm == *m && cd == *d ? 0 : -1;
}

int
kt_local_date_start_ms (const char *date, uint64_t *ms)
{
    int y, m, d;
    if (s_parse_date (date, &y, &m, &d) != 0)
        return -1;
    *ms = kt_local_midnight_ms (y, m, d);
    return 0;
}

uint64_t
kt_local_day_end_ms (uint64_t ms, int64_t days)
{
    int y, m, d;
    kt_civil_from_days (kt_local_day (ms) + days + 1, &y, &m, &d);
    return kt_local_midnight_ms (y, m, d) - 1;
}

int
kt_local_wall (const char *text, int64_t *wall_s)
{
    int y, mo, d, h, mi;
    char extra;
    if (!text || strlen (text) != 16 || text[4] != '-' || text[7] != '-' || text[10] != 'T' ||
        text[13] != ':' ||
        sscanf (text, "%4d-%2d-%2dT%2d:%2d%c", &y, &mo, &d, &h, &mi, &extra) != 5)
        return -1;
    for (int i = 0; i < 16; i++)
        if (i != 4 && i != 7 && i != 10 && i != 13 && (text[i] < '0' || text[i] > '9'))
            return -1;
    int cy, cm, cd;
    kt_civil_from_days (kt_days_from_civil (y, mo, d), &cy, &cm, &cd);
    if (y < 1970 || cy != y || cm != mo || cd != d || h > 23 || mi > 59)
        return -1;
    *wall_s = kt_days_from_civil (y, mo, d) * 86400 + h * 3600 + mi * 60;
    return 0;
}

kt_local_reading_t
kt_local_resolve (int64_t wall_s, int64_t *utc_s)
{
    /*  A reading is one whose offset is the one in force at its instant. */
    bool cest = kt_amsterdam_offset (wall_s - 7200) == 7200;
    bool cet = kt_amsterdam_offset (wall_s - 3600) == 3600;
    *utc_s = cest ? wall_s - 7200 : wall_s - 3600;
    if (cest && cet)
        return KT_LOCAL_TWICE;
    return cest || cet ? KT_LOCAL_ONE : KT_LOCAL_GAP;
}

/*  The offset a typed time names, "+01:00" or "+02:00", in seconds: 0
 *  for none (""), -1 for anything else. */
static int
s_typed_offset (const char *text)
{
    if (!*text)
        return 0;
    if (strcmp (text, "+01:00") == 0)
        return 3600;
    if (strcmp (text, "+02:00") == 0)
        return 7200;
    return -1;
}

int
kt_local_parse (const char *text, uint64_t *ms, kt_reason_t *reason)
{
    char wall_text[17];
    int64_t wall, utc;
    size_t len = text ? strlen (text) : 0;
    int offset = len == 16 || len == 22 ? s_typed_offset (text + 16) : -1;
    if (offset >= 0)
        snprintf (wall_text, sizeof wall_text, "%.16s", text);
    if (offset < 0 || kt_local_wall (wall_text, &wall) != 0)
        return kt_fail (reason,
                        "'%.40s' is not a time YYYY-MM-DDTHH:MM (Dutch time, Europe/Amsterdam; "
                        "optionally with its offset, +01:00 or +02:00)",
                        text ? text : "");
    kt_local_reading_t reading = kt_local_resolve (wall, &utc);
    if (offset) {
        utc = wall - offset;
        if (kt_amsterdam_offset (utc) != offset)
            return kt_fail (reason,
                            "%s is not a Dutch time: on the Dutch clock it is %s then, not %s",
                            text, offset == 3600 ? "+02:00" : "+01:00", text + 16);
    } else if (reading == KT_LOCAL_GAP)
        return kt_fail (reason,
                        "%s does not exist in Dutch time: the clocks go from 02:00 to 03:00 "
                        "that night",
                        text);
    else if (reading == KT_LOCAL_TWICE)
        return kt_fail (reason,
                        "%s comes twice in Dutch time (the clocks go back from 03:00 to 02:00 "
                        "that night): add +02:00 for the first (summer time) or +01:00 for "
                        "the second (winter time), e.g. %s+02:00",
                        text, text);
    if (utc < 0)
        return kt_fail (reason, "%s is before 1970", text);
    *ms = (uint64_t) utc * 1000;
    return 0;
}

int
kt_local_start_check (const char *field, const char *text, kt_reason_t *reason)
{
    int64_t wall, utc;
    if (kt_local_wall (text, &wall) != 0 || wall < kt_days_from_civil (2000, 1, 1) * 86400)
        return kt_fail (reason,
                        "%s '%.40s' is not a Dutch date and time YYYY-MM-DDTHH:MM (a day that "
                        "exists, from 2000 on, and a time 00:00..23:59)",
                        field, text ? text : "");
    if (kt_local_resolve (wall, &utc) == KT_LOCAL_GAP)
        return kt_fail (reason,
                        "%s %s does not exist in Dutch time: the clocks go from 02:00 to "
                        "03:00 that night",
                        field, text);
    return 0;
}
