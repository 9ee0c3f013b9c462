/*  ics: a weegploeg agenda as an iCalendar object (RFC 5545), so the
 *  dossierhouder sees the meeting in the calendar they already use.  One
 *  event per meeting: UID is the meeting id, SEQUENCE its version, so a
 *  change or a cancellation (METHOD:CANCEL, STATUS:CANCELLED) updates the
 *  same calendar entry.  Times are Europe/Amsterdam with its VTIMEZONE;
 *  the end is the start plus the duration in real time (across a clock
 *  change too), in UTC when it falls in the second reading of the hour
 *  the autumn change repeats.
 *
 *  Without personal_data the description names only case_refs and signal
 *  counts (`keten agenda show` gives the details, and logs the read); with
 *  it, the subjects' names and birth dates too.
 */
#ifndef KETEN_ICS_H
#define KETEN_ICS_H

#include "keten.pb-c.h"

#include <stdbool.h>
#include <stddef.h>

/*  The agenda (checked by agendabox_check) as iCalendar text; heap,
 *  free().  NULL when out of memory. */
char *ics_format (const Keten__WeegploegAgenda *agenda, const char *federation, const char *node_id,
                  bool personal_data, size_t *len_p);

#endif
