/*  ics: weegploeg and casusoverleg agendas as iCalendar (RFC 5545).  */
#include "ics.h"

#include "calendar.h"
#include "keten_version.h" /* KETEN_VERSION, generated at build time */
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    char *buf;
    size_t len, cap;
    bool failed;
} out_t;

static void
s_put (out_t *o, const char *s, size_t n)
{
    if (o->failed)
        return;
    if (o->len + n + 1 > o->cap) {
        size_t cap = o->cap ? o->cap : 4096;
        while (cap < o->len + n + 1)
            cap *= 2;
        char *b = realloc (o->buf, cap);
        if (!b) {
            o->failed = true;
            return;
        }
        o->buf = b;
        o->cap = cap;
    }
    memcpy (o->buf + o->len, s, n);
    o->len += n;
    o->buf[o->len] = '\0';
}

/*  One content line: escaped value, folded at 75 octets (RFC 5545 3.1)
 *  without splitting a UTF-8 sequence, CRLF line ends. */
static void
s_line (out_t *o, const char *name, const char *value, bool escape)
{
    out_t l = {0};
    s_put (&l, name, strlen (name));
    s_put (&l, ":", 1);
    for (const char *p = value; *p; p++) {
        if (escape && (*p == '\\' || *p == ';' || *p == ','))
            s_put (&l, "\\", 1);
        if (escape && *p == '\n')
            s_put (&l, "\\n", 2);
        else if (*p != '\r')
            s_put (&l, p, 1);
    }
    if (l.failed) {
        o->failed = true;
        free (l.buf);
        return;
    }
    size_t col = 0;
    for (size_t i = 0; i < l.len;) {
        size_t n = 1;
        unsigned char c = (unsigned char) l.buf[i];
        if (c >= 0xf0)
            n = 4;
        else if (c >= 0xe0)
            n = 3;
        else if (c >= 0xc0)
            n = 2;
        if (i + n > l.len)
            n = l.len - i;
        if (col + n > 75) {
            s_put (o, "\r\n ", 3);
            col = 1;
        }
        s_put (o, l.buf + i, n);
        col += n;
        i += n;
    }
    s_put (o, "\r\n", 2);
    free (l.buf);
}

static void s_linef (out_t *o, const char *name, bool escape, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));
static void
s_linef (out_t *o, const char *name, bool escape, const char *fmt, ...)
{
    char value[512];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (value, sizeof value, fmt, ap);
    va_end (ap);
    s_line (o, name, value, escape);
}

/*  DTSTART: the start as typed, Dutch wall-clock time (meeting.c keeps
 *  out a time the spring change skips). */
static void
s_start (char out[17], const char *starts_at)
{
    snprintf (out, 17, "%.4s%.2s%.2sT%.2s%.2s00", starts_at, starts_at + 5, starts_at + 8,
              starts_at + 11, starts_at + 14);
}

/*  DTEND: duration_min minutes of real time after the start (the first
 *  reading of a start the autumn change repeats, as RFC 5545 reads it),
 *  in Dutch time - a meeting across a clock change lasts what it says.
 *  An end in the second reading of the repeated hour is one a local time
 *  would name ambiguously: it is written in UTC (*utc set). */
static void
s_end (char out[18], const char *starts_at, unsigned duration_min, bool *utc)
{
    int64_t wall = 0, start = 0;
    kt_local_wall (starts_at, &wall);
    kt_local_resolve (wall, &start);
    int64_t end = start + (int64_t) duration_min * 60;
    char t[17];
    kt_local_time (end > 0 ? (uint64_t) end * 1000 : 0, t);
    t[10] = 'T';
    int64_t end_wall = 0, first = end;
    *utc = kt_local_wall (t, &end_wall) == 0 &&
           kt_local_resolve (end_wall, &first) == KT_LOCAL_TWICE && first != end;
    if (*utc) {
        time_t e = (time_t) end;
        struct tm tm;
        gmtime_r (&e, &tm);
        strftime (out, 18, "%Y%m%dT%H%M%SZ", &tm);
        return;
    }
    snprintf (out, 18, "%.4s%.2s%.2sT%.2s%.2s00", t, t + 5, t + 8, t + 11, t + 14);
}

static const char s_vtimezone[] = "BEGIN:VTIMEZONE\r\n"
                                  "TZID:Europe/Amsterdam\r\n"
                                  "BEGIN:DAYLIGHT\r\n"
                                  "TZOFFSETFROM:+0100\r\n"
                                  "TZOFFSETTO:+0200\r\n"
                                  "TZNAME:CEST\r\n"
                                  "DTSTART:19700329T020000\r\n"
                                  "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n"
                                  "END:DAYLIGHT\r\n"
                                  "BEGIN:STANDARD\r\n"
                                  "TZOFFSETFROM:+0200\r\n"
                                  "TZOFFSETTO:+0100\r\n"
                                  "TZNAME:CET\r\n"
                                  "DTSTART:19701025T030000\r\n"
                                  "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\n"
                                  "END:STANDARD\r\n"
                                  "END:VTIMEZONE\r\n";

static void
s_description (out_t *o, const Keten__WeegploegAgenda *a, bool personal_data)
{
    out_t d = {0};
    char line[512];
    bool casusoverleg = a->kind == KETEN__WEEGPLOEG_AGENDA__KIND__CASUSOVERLEG;
    if (a->cancelled) {
        s_put (&d, "Vervallen / cancelled.", 22);
    } else {
        snprintf (line, sizeof line, "%s: %zu %s. Details: keten agenda show %s\n",
                  casusoverleg ? "Casusoverleg" : "Weegploeg", a->n_items,
                  casusoverleg ? "case(s)" : "subject(s)", a->meeting_id);
        s_put (&d, line, strlen (line));
        for (size_t i = 0; i < a->n_items; i++) {
            const Keten__AgendaItem *it = a->items[i];
            if (casusoverleg && personal_data && it->subject)
                snprintf (line, sizeof line, "%zu. %s - %s (%s)\n", i + 1, it->case_ref,
                          it->subject->name, it->subject->birth_date);
            else if (casusoverleg) /* the case_ref only (art. 10.5 for an externe) */
                snprintf (line, sizeof line, "%zu. %s\n", i + 1, it->case_ref);
            else if (personal_data)
                snprintf (line, sizeof line, "%zu. %s - %s (%s), %zu signal(s)\n", i + 1,
                          it->case_ref, it->subject->name, it->subject->birth_date, it->n_signals);
            else
                snprintf (line, sizeof line, "%zu. %s, %zu signal(s)\n", i + 1, it->case_ref,
                          it->n_signals);
            s_put (&d, line, strlen (line));
        }
    }
    if (d.failed)
        o->failed = true;
    else
        s_line (o, "DESCRIPTION", d.buf, true);
    free (d.buf);
}

char *
ics_format (const Keten__WeegploegAgenda *a, const char *federation, const char *node_id,
            bool personal_data, size_t *len_p)
{
    out_t o = {0};
    char start[17], end[18], stamp[32];
    time_t issued = (time_t) (a->issued_ms / 1000);
    struct tm tm;
    gmtime_r (&issued, &tm);
    strftime (stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    bool end_utc;
    s_start (start, a->starts_at);
    s_end (end, a->starts_at, a->duration_min, &end_utc);

    s_line (&o, "BEGIN", "VCALENDAR", false);
    s_line (&o, "VERSION", "2.0", false);
    s_linef (&o, "PRODID", false, "-//keten//%s//NL", KETEN_VERSION);
    s_line (&o, "METHOD", a->cancelled ? "CANCEL" : "PUBLISH", false);
    s_put (&o, s_vtimezone, sizeof s_vtimezone - 1);
    s_line (&o, "BEGIN", "VEVENT", false);
    s_linef (&o, "UID", false, "%s@%s", a->meeting_id, federation);
    s_linef (&o, "SEQUENCE", false, "%u", (unsigned) a->sequence);
    s_line (&o, "DTSTAMP", stamp, false);
    s_line (&o, "DTSTART;TZID=Europe/Amsterdam", start, false);
    s_line (&o, end_utc ? "DTEND" : "DTEND;TZID=Europe/Amsterdam", end, false);
    s_linef (&o, "SUMMARY", true, "%s%s (%s)", a->cancelled ? "VERVALLEN: " : "",
             a->kind == KETEN__WEEGPLOEG_AGENDA__KIND__CASUSOVERLEG ? "Casusoverleg" : "Weegploeg",
             a->meeting_id);
    s_line (&o, "LOCATION", a->location, true);
    s_line (&o, "STATUS", a->cancelled ? "CANCELLED" : "CONFIRMED", false);
    s_linef (&o, "X-KETEN-NODE", false, "%s", node_id);
    s_description (&o, a, personal_data);
    s_line (&o, "END", "VEVENT", false);
    s_line (&o, "END", "VCALENDAR", false);
    if (o.failed) {
        free (o.buf);
        return NULL;
    }
    *len_p = o.len;
    return o.buf;
}
