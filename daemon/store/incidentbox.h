/*  incidentbox: the uitvoerder's incident register (art. 15.2g) as a
 *  kernpartij node holds it, in node.db.  The kernpartijen are jointly
 *  the controller (art. 4), so each gets every change of the register as
 *  an INCIDENT_REGISTER entry: ids, times, kinds of data, counts, whether
 *  the persons concerned were informed (AVG art. 34), how it was handled
 *  - never who.  An entry replaces the one kept only when its version is
 *  higher, so a copy delivered late or twice changes nothing.
 */
#ifndef KETEN_INCIDENTBOX_H
#define KETEN_INCIDENTBOX_H

#include "incident.h"
#include "keten.pb-c.h"
#include "util.h"

#include <sqlite3.h>

typedef struct _incidentbox_t incidentbox_t;

incidentbox_t *incidentbox_new (sqlite3 *db, kt_reason_t *reason);
void incidentbox_destroy (incidentbox_t **self_p);

/*  Keep entry e (checked by the policy's checker) unless a version as
 *  high is kept; 1 when kept now, 0 when it was not newer, -1. */
int incidentbox_store (incidentbox_t *self, const Keten__IncidentRegisterEntry *e, uint64_t now_ms,
                       kt_reason_t *reason);
/*  Every incident kept, newest registration first, as the uitvoerder's
 *  register rows (incident.h); 0, or -1 with reason. */
int incidentbox_each (incidentbox_t *self, incident_row_fn *fn, void *arg, kt_reason_t *reason);
/*  A page of them: the limit newest, or with only the incident of that
 *  id (none when not kept); 0, or -1 with reason. */
int incidentbox_page (incidentbox_t *self, const char *only, size_t limit, incident_row_fn *fn,
                      void *arg, kt_reason_t *reason);
/*  art. 4: the node is no longer a kernpartij, and keeps no register:
 *  every incident deleted.  Returns how many, or -1 with reason. */
int64_t incidentbox_forget_all (incidentbox_t *self, kt_reason_t *reason);
/*  Whether db has the register's table (the node was a kernpartij once). */
bool incidentbox_present (sqlite3 *db);

#endif
