/*  plan: the integraal plan van aanpak of each case (art. 9-10), kept in the
 *  casusoverleg file.  The uitvoerder records it on behalf of the
 *  casusoverleg: goals (art. 3 a-f) and measures, each with the owning
 *  party, what is to be done, a due date and a status.  Every change - a new
 *  plan from the uitvoerder, or an owner's progress report - is a new
 *  version; all versions are kept, sealed under the case's key.
 */
#ifndef KETEN_PLAN_H
#define KETEN_PLAN_H

#include "keten.pb-c.h"
#include "util.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#define PLAN_MAX_GOALS 16
#define PLAN_MAX_MEASURES 64
#define PLAN_TEXT_MAX 2000

/*  The plan of a new version as asked through the local API (JSON,
 *  checked here): { "goals": [ { "kind", "text" } ], "measures": [ {
 *  "measure_id"?, "owner", "what", "due_on", "status"? } ] }.  Measures
 *  without an id are new; owners must be participants. */
int plan_from_json (json_t *obj, const char *const *participants, size_t n_participants,
                    Keten__CasePlan **plan_p, kt_reason_t *reason);

/*  Check a plan that arrived as a message (partner side). */
int plan_check (const Keten__CasePlan *plan, kt_reason_t *reason);

/*  Store version plan->version of case_ref, sealed under key (SQLite
 *  file db, inside the caller's transaction).  in_order (the uitvoerder,
 *  which makes the versions): refuse a version that is not the next one;
 *  otherwise (a participant, whose copies may arrive out of order) keep
 *  each version once. */
int plan_store (sqlite3 *db, const Keten__CasePlan *plan, const uint8_t key[32], bool in_order,
                kt_reason_t *reason);
/*  The newest version (version 0) or version n of case_ref, decrypted
 *  (free with keten__case_plan__free_unpacked); *plan_p NULL when none. */
int plan_load (sqlite3 *db, const char *case_ref, uint32_t version, const uint8_t key[32],
               Keten__CasePlan **plan_p, kt_reason_t *reason);
/*  The tables, for the owner of db (casusoverleg.c, casebox.c). */
extern const char *const plan_migrations[];
extern const size_t plan_n_migrations;

/*  Today for due dates: YYYY-MM-DD on the Dutch calendar (calendar.h),
 *  whatever the daemon's TZ. */
void plan_today (char today[11]);
/*  Whether measure m is past its due date on today and not done or
 *  cancelled. */
bool plan_measure_overdue (const Keten__PlanMeasure *m, const char *today);
/*  Measures past their due date (the Dutch today) and not done or
 *  cancelled; with owner, only that party's. */
size_t plan_overdue (const Keten__CasePlan *plan, const char *owner);

/*  The name of a goal kind ("zorg", ...), NULL for an unknown one. */
const char *plan_goal_name (Keten__GoalKind kind);

/*  A measure id as keten makes them: "m-" and 8 lower-case hex digits. */
bool plan_measure_id_ok (const char *id);

const char *plan_status_name (Keten__MeasureStatus status);
bool plan_status_from_name (const char *name, Keten__MeasureStatus *out);

#endif
