/*  roster_text: what the two halves of the roster's decoder share - the
 *  member part (roster.c) and the peering part (roster_peering.c).  For
 *  those two files only: everyone else reads a roster through roster.h.
 */
#ifndef KETEN_ROSTER_TEXT_H
#define KETEN_ROSTER_TEXT_H

#include "roster.h"

#include <czmq.h>
#include <stdio.h>
#include <time.h>

/*  Take the children of section into item[], indexed like names[]; refuse
 *  unknown, repeated and wrongly nested keys.  Bit i of sections marks
 *  names[i] as a sub-section (which takes no value); all others are keys
 *  (which take no children). */
int roster_text_collect (zconfig_t *section, const char *where, const char *const *names, size_t n,
                         unsigned sections, zconfig_t **item, kt_reason_t *reason);
/*  Strict "YYYY-MM-DD", a real calendar day. */
bool roster_text_valid_date (const char *s);
/*  The instant a roster date YYYY-MM-DD takes effect: the start of that
 *  day on the Dutch calendar (00:00 Europe/Amsterdam, calendar.h), in ms
 *  since the epoch; 0 when unreadable (callers fail closed on it). */
uint64_t roster_text_day_start_ms (const char *date);

/*  The peering section (after the members: a peer's keys are checked
 *  against theirs) into r->peerings. */
int roster_peerings_decode (zconfig_t *section, roster_t *r, kt_reason_t *reason);
/*  r's peering section, in the shape roster_peerings_decode reads;
 *  nothing when r has none. */
void roster_peerings_write (FILE *f, const roster_t *r);

#endif
