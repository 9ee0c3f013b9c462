/*  plan: the integraal plan van aanpak (art. 9-10).  */
#include "plan.h"

#include "calendar.h"
#include "intake.h"
#include "keystore.h"
#include "store.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *const plan_migrations[] = {
    "CREATE TABLE plan (case_ref TEXT NOT NULL, version INTEGER NOT NULL,"
    " stored_ms INTEGER NOT NULL, body BLOB NOT NULL, PRIMARY KEY (case_ref, version));"
    /*  Every version is kept (art. 10.2e): never changed in place. */
    "CREATE TRIGGER plan_no_update BEFORE UPDATE ON plan"
    " BEGIN SELECT RAISE (ABORT, 'plan versions are kept as they were'); END;",
};
const size_t plan_n_migrations = sizeof plan_migrations / sizeof plan_migrations[0];

static const struct {
    const char *name;
    Keten__GoalKind kind;
} s_goals[] = {
    {"deradicalisering", KETEN__GOAL_KIND__DERADICALISERING},
    {"gedragsverandering", KETEN__GOAL_KIND__GEDRAGSVERANDERING},
    {"veiligheidsrisicos", KETEN__GOAL_KIND__VEILIGHEIDSRISICOS},
    {"uitreizen-voorkomen", KETEN__GOAL_KIND__UITREIZEN_VOORKOMEN},
    {"zorg", KETEN__GOAL_KIND__ZORG},
    {"hulp-achterblijvers", KETEN__GOAL_KIND__HULP_ACHTERBLIJVERS},
};
#define N_GOALS (sizeof s_goals / sizeof s_goals[0])

static const struct {
    const char *name;
    Keten__MeasureStatus status;
} s_statuses[] = {
    {"open", KETEN__MEASURE_STATUS__OPEN},
    {"in-progress", KETEN__MEASURE_STATUS__IN_PROGRESS},
    {"done", KETEN__MEASURE_STATUS__DONE},
    {"cancelled", KETEN__MEASURE_STATUS__CANCELLED},
};
#define N_STATUSES (sizeof s_statuses / sizeof s_statuses[0])

const char *
plan_status_name (Keten__MeasureStatus status)
{
    for (size_t i = 0; i < N_STATUSES; i++)
        if (s_statuses[i].status == status)
            return s_statuses[i].name;
    return NULL;
}

bool
plan_status_from_name (const char *name, Keten__MeasureStatus *out)
{
    for (size_t i = 0; name && i < N_STATUSES; i++)
        if (strcmp (s_statuses[i].name, name) == 0) {
            *out = s_statuses[i].status;
            return true;
        }
    return false;
}

const char *
plan_goal_name (Keten__GoalKind kind)
{
    for (size_t i = 0; i < N_GOALS; i++)
        if (s_goals[i].kind == kind)
            return s_goals[i].name;
    return NULL;
}

bool
plan_measure_id_ok (const char *id)
{
    if (!id || strlen (id) != 10 || strncmp (id, "m-", 2) != 0)
        return false;
    for (int i = 2; i < 10; i++)
        if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
            return false;
    return true;
}

static bool
s_member_id_ok (const char *id)
{
    return id && kt_valid_node_id (id);
}

int
plan_check (const Keten__CasePlan *p, kt_reason_t *reason)
{
    if (!p->case_ref || strlen (p->case_ref) != 18 || strncmp (p->case_ref, "k-", 2) != 0)
        return kt_fail (reason, "plan: case_ref is not k-<16 hex digits>");
    if (p->version < 1)
        return kt_fail (reason, "plan: version must be at least 1");
    if (p->n_participants < 1 || p->n_participants > 64)
        return kt_fail (reason, "plan: 1..64 participants");
    for (size_t i = 0; i < p->n_participants; i++)
        if (!s_member_id_ok (p->participants[i]))
            return kt_fail (reason, "plan: participant %zu is not a member id", i + 1);
    if (p->n_goals < 1 || p->n_goals > PLAN_MAX_GOALS)
        return kt_fail (reason, "plan: 1..%d goals (art. 3 a-f)", PLAN_MAX_GOALS);
    for (size_t i = 0; i < p->n_goals; i++) {
        if (!plan_goal_name (p->goals[i]->kind))
            return kt_fail (reason, "plan: goal %zu: kind must be one of art. 3 a-f", i + 1);
        if (!intake_text_ok (p->goals[i]->text, 0, PLAN_TEXT_MAX, true))
            return kt_fail (reason, "plan: goal %zu: text of at most %d bytes", i + 1,
                            PLAN_TEXT_MAX);
    }
    if (p->n_measures > PLAN_MAX_MEASURES)
        return kt_fail (reason, "plan: at most %d measures", PLAN_MAX_MEASURES);
    for (size_t i = 0; i < p->n_measures; i++) {
        const Keten__PlanMeasure *m = p->measures[i];
        if (!plan_measure_id_ok (m->measure_id))
            return kt_fail (reason, "plan: measure %zu: id is not m-<8 hex digits>", i + 1);
        for (size_t j = 0; j < i; j++)
            if (strcmp (m->measure_id, p->measures[j]->measure_id) == 0)
                return kt_fail (reason, "plan: measure %s is listed twice", m->measure_id);
        bool owner_in = false;
        for (size_t j = 0; j < p->n_participants; j++)
            owner_in |= strcmp (m->owner, p->participants[j]) == 0;
        if (!owner_in)
            return kt_fail (reason, "plan: measure %zu: owner '%.64s' is not a participant", i + 1,
                            m->owner);
        if (!intake_text_ok (m->what, 1, PLAN_TEXT_MAX, true))
            return kt_fail (reason, "plan: measure %zu: what is to be done, 1..%d bytes", i + 1,
                            PLAN_TEXT_MAX);
        if (!intake_valid_date (m->due_on))
            return kt_fail (reason, "plan: measure %zu: due_on is not a date YYYY-MM-DD", i + 1);
        if (!plan_status_name (m->status))
            return kt_fail (reason, "plan: measure %zu: unknown status", i + 1);
        if (!intake_text_ok (m->progress_note, 0, PLAN_TEXT_MAX, true))
            return kt_fail (reason, "plan: measure %zu: progress note too long", i + 1);
    }
    return 0;
}

/*  goals[i] of a JSON plan into g (pointing into o). */
static int
s_goal_from_json (json_t *o, size_t i, Keten__PlanGoal *g, kt_reason_t *reason)
{
    const char *kind = json_string_value (json_object_get (o, "kind"));
    const char *text = json_string_value (json_object_get (o, "text"));
    size_t k = 0;
    while (kind && k < N_GOALS && strcmp (kind, s_goals[k].name) != 0)
        k++;
    if (!json_is_object (o) || !kind || k == N_GOALS)
        return kt_fail (reason,
                        "plan: goals[%zu].kind must be deradicalisering, "
                        "gedragsverandering, veiligheidsrisicos, uitreizen-voorkomen, "
                        "zorg or hulp-achterblijvers (art. 3 a-f)",
                        i);
    g->kind = s_goals[k].kind;
    g->text = (char *) (text ? text : "");
    return 0;
}

/*  measures[i] of a JSON plan into m (pointing into o); a new measure
 *  gets a random id, written to id. */
static int
s_measure_from_json (json_t *o, size_t i, Keten__PlanMeasure *m, char id[11], kt_reason_t *reason)
{
    const char *given = json_string_value (json_object_get (o, "measure_id"));
    const char *status = json_string_value (json_object_get (o, "status"));
    if (!json_is_object (o))
        return kt_fail (reason, "plan: measures[%zu] must be an object", i);
    if (given)
        snprintf (id, 11, "%s", given);
    else {
        uint8_t rnd[4];
        char hex[9];
        kt_random_buf (rnd, sizeof rnd);
        snprintf (id, 11, "m-%s", kt_hex (hex, rnd, sizeof rnd));
    }
    m->measure_id = id;
    m->owner = (char *) json_string_value (json_object_get (o, "owner"));
    m->what = (char *) json_string_value (json_object_get (o, "what"));
    m->due_on = (char *) json_string_value (json_object_get (o, "due_on"));
    m->status = KETEN__MEASURE_STATUS__OPEN;
    m->progress_note = "";
    int rc = 0;
    if (status && !plan_status_from_name (status, &m->status))
        rc = kt_fail (reason,
                      "plan: measures[%zu].status must be open, in-progress, done or "
                      "cancelled",
                      i);
    if (!m->owner || !m->what || !m->due_on)
        rc = kt_fail (reason, "plan: measures[%zu] needs owner, what and due_on", i);
    return rc;
}

/*  Decode the JSON plan into heap structs pointing into obj, then pack
 *  and unpack for a copy that owns its strings. */
int
plan_from_json (json_t *obj, const char *const *participants, size_t n_participants,
                Keten__CasePlan **plan_p, kt_reason_t *reason)
{
    *plan_p = NULL;
    json_t *goals = json_object_get (obj, "goals"), *measures = json_object_get (obj, "measures");
    if (!json_is_array (goals) || json_array_size (goals) > PLAN_MAX_GOALS)
        return kt_fail (reason, "plan: goals must be an array of at most %d", PLAN_MAX_GOALS);
    if (measures && (!json_is_array (measures) || json_array_size (measures) > PLAN_MAX_MEASURES))
        return kt_fail (reason, "plan: measures must be an array of at most %d", PLAN_MAX_MEASURES);
    size_t ng = json_array_size (goals), nm = json_array_size (measures);
    Keten__PlanGoal *g = calloc (ng ? ng : 1, sizeof *g), **gp = calloc (ng ? ng : 1, sizeof *gp);
    Keten__PlanMeasure *m = calloc (nm ? nm : 1, sizeof *m),
                       **mp = calloc (nm ? nm : 1, sizeof *mp);
    char (*ids)[11] = calloc (nm ? nm : 1, sizeof *ids);
    int rc = g && gp && m && mp && ids ? 0 : kt_fail (reason, "out of memory");
    for (size_t i = 0; rc == 0 && i < ng; i++) {
        keten__plan_goal__init (&g[i]);
        gp[i] = &g[i];
        rc = s_goal_from_json (json_array_get (goals, i), i, &g[i], reason);
    }
    for (size_t i = 0; rc == 0 && i < nm; i++) {
        keten__plan_measure__init (&m[i]);
        mp[i] = &m[i];
        rc = s_measure_from_json (json_array_get (measures, i), i, &m[i], ids[i], reason);
    }
    Keten__CasePlan p = KETEN__CASE_PLAN__INIT;
    p.case_ref = "k-0000000000000000"; /* set by the caller */
    p.version = 1;
    p.participants = (char **) participants;
    p.n_participants = n_participants;
    p.goals = gp;
    p.n_goals = ng;
    p.measures = mp;
    p.n_measures = nm;
    if (rc == 0)
        rc = plan_check (&p, reason);
    if (rc == 0) {
        size_t len = keten__case_plan__get_packed_size (&p);
        uint8_t *buf = malloc (len ? len : 1);
        if (!buf)
            rc = kt_fail (reason, "out of memory");
        else {
            keten__case_plan__pack (&p, buf);
            *plan_p = keten__case_plan__unpack (NULL, len, buf);
            free (buf);
            if (!*plan_p)
                rc = kt_fail (reason, "out of memory");
        }
    }
    free (g);
    free (gp);
    free (m);
    free (mp);
    free (ids);
    return rc;
}

static int
s_int_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    *(int64_t *) arg = sqlite3_column_int64 (q, 0);
    return 0;
}

int
plan_store (sqlite3 *db, const Keten__CasePlan *plan, const uint8_t key[32], bool in_order,
            kt_reason_t *reason)
{
    int64_t newest = -1;
    if (store_one (db, "SELECT coalesce(max(version), 0) FROM plan WHERE case_ref=?",
                   STORE_VALUES (STORE_TEXT (plan->case_ref)), s_int_row, &newest,
                   "read the plan versions", reason) < 0)
        return -1;
    if (in_order && (int64_t) plan->version != newest + 1)
        return kt_fail (reason, "plan version %u of %s does not follow version %lld",
                        (unsigned) plan->version, plan->case_ref, (long long) newest);
    uint8_t *sealed = NULL;
    size_t sealed_len = 0;
    char ad[64];
    snprintf (ad, sizeof ad, "%s/%u", plan->case_ref, (unsigned) plan->version);
    int rc = keystore_seal_message (key, ad, strlen (ad), &plan->base, &sealed, &sealed_len);
    if (rc != 0)
        return kt_fail (reason, "out of memory");
    rc = store_run (db,
                    "INSERT OR IGNORE INTO plan (case_ref, version, stored_ms, body)"
                    " VALUES (?,?,?,?)",
                    STORE_VALUES (STORE_TEXT (plan->case_ref), STORE_INT (plan->version),
                                  STORE_INT (kt_now_ms ()), STORE_BLOB (sealed, sealed_len)),
                    "store the plan", reason);
    free (sealed);
    return rc < 0 ? -1 : 0;
}

typedef struct {
    const char *case_ref;
    char *ad; /* [64] */
    keystore_record_t record;
} plan_record_t;

/*  A plan row, opened with "case_ref/version" as its associated data. */
static int
s_plan_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    plan_record_t *p = arg;
    snprintf (p->ad, 64, "%s/%u", p->case_ref, (unsigned) sqlite3_column_int64 (q, 0));
    p->record.ad_len = strlen (p->ad);
    return keystore_record_row (q, &p->record, reason);
}

int
plan_load (sqlite3 *db, const char *case_ref, uint32_t version, const uint8_t key[32],
           Keten__CasePlan **plan_p, kt_reason_t *reason)
{
    *plan_p = NULL;
    char ad[64];
    plan_record_t p = {
        case_ref,
        ad,
        {NULL, key, ad, 0, 1, &keten__case_plan__descriptor, NULL, KEYSTORE_NO_RECORD}};
    int found = store_one (db,
                           version ? "SELECT version, body FROM plan WHERE case_ref=?1"
                                     " AND version=?2"
                                   : "SELECT version, body FROM plan WHERE case_ref=?1"
                                     " ORDER BY version DESC LIMIT 1",
                           version ? STORE_VALUES (STORE_TEXT (case_ref), STORE_INT (version))
                                   : STORE_VALUES (STORE_TEXT (case_ref)),
                           s_plan_row, &p, "read the plan", reason);
    if (found <= 0)
        return found < 0 ? -1
               : version
                   ? kt_fail (reason, "%.24s has no plan version %u", case_ref, (unsigned) version)
                   : 0;
    *plan_p = (Keten__CasePlan *) p.record.msg;
    if (p.record.result == KEYSTORE_TAMPERED || p.record.result == KEYSTORE_NO_RECORD)
        return kt_fail (reason, "a plan version of %.24s does not decrypt", case_ref);
    return *plan_p ? 0 : kt_fail (reason, "a plan version of %.24s does not decode", case_ref);
}

bool
plan_measure_overdue (const Keten__PlanMeasure *m, const char *today)
{
    bool open =
        m->status == KETEN__MEASURE_STATUS__OPEN || m->status == KETEN__MEASURE_STATUS__IN_PROGRESS;
    /*  YYYY-MM-DD compares as text. */
    return open && strcmp (m->due_on, today) < 0;
}

void
plan_today (char today[11])
{
    /*  The Dutch calendar's day (calendar.h), whatever the daemon's TZ. */
    kt_local_date (kt_now_ms (), today);
}

size_t
plan_overdue (const Keten__CasePlan *plan, const char *owner)
{
    char today[11];
    plan_today (today);
    size_t n = 0;
    for (size_t i = 0; i < plan->n_measures; i++) {
        const Keten__PlanMeasure *m = plan->measures[i];
        if (plan_measure_overdue (m, today) && (!owner || strcmp (m->owner, owner) == 0))
            n++;
    }
    return n;
}
