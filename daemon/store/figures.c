/*  figures: counted facts without persons (figures.h, docs/REPORT.md). */
#include "figures.h"

#include "calendar.h"
#include "store.h"
#include "weegploeg.h"

#include <stdio.h>
#include <string.h>

static const char *const s_migrations[] = {
    /*  No case_ref, no time of day, no reference to any other table: a
     *  row cannot be joined back to a subject, and no destruction
     *  cascades into it. */
    "CREATE TABLE figure (id INTEGER PRIMARY KEY, day TEXT NOT NULL, kind TEXT NOT NULL,"
    " gemeente TEXT NOT NULL, label TEXT NOT NULL, value INTEGER NOT NULL);"
    "CREATE INDEX figure_day ON figure (day);"
    "CREATE TRIGGER figure_no_update BEFORE UPDATE ON figure"
    " BEGIN SELECT RAISE (ABORT, 'figure rows are append-only'); END;"
    "CREATE TRIGGER figure_no_delete BEFORE DELETE ON figure"
    " BEGIN SELECT RAISE (ABORT, 'figure rows are append-only'); END;",
};

int
figures_migrate (sqlite3 *db, kt_reason_t *reason)
{
    return store_migrate (db, "figure", STORE_MIGRATIONS (s_migrations), reason);
}

int
figures_add (sqlite3 *db, uint64_t at_ms, const char *kind, const char *gemeente, const char *label,
             int64_t value, kt_reason_t *reason)
{
    char day[11];
    kt_local_date (at_ms, day);
    label = label ? label : "";
    size_t n = strnlen (label, FIGURES_LABEL_MAX);
    return store_run (db,
                      "INSERT INTO figure (day, kind, gemeente, label, value) VALUES (?,?,?,?,?)",
                      STORE_VALUES (STORE_TEXT (day), STORE_TEXT (kind),
                                    STORE_TEXT (gemeente ? gemeente : ""), STORE_TEXT_N (label, n),
                                    STORE_INT (value)),
                      "record a figure", reason) < 0
               ? -1
               : 0;
}

void
figures_gemeente (const roster_t *roster, const char *municipality, char out[KEYS_ID_MAX + 1])
{
    *out = '\0';
    if (!roster || !municipality || !*municipality)
        return;
    for (size_t i = 0; i < roster->member_count; i++) {
        const roster_member_t *m = &roster->members[i];
        if (strcmp (m->kind, "gemeente") == 0 && weegploeg_kernpartij_sees (m, municipality)) {
            snprintf (out, KEYS_ID_MAX + 1, "%s", m->id);
            return;
        }
    }
}

typedef struct {
    figures_row_fn *fn;
    void *arg;
} visit_t;

static int
s_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    visit_t *v = arg;
    figures_row_t r = {store_text (q, 0), store_text (q, 1), store_text (q, 2), store_text (q, 3),
                       sqlite3_column_int64 (q, 4)};
    return v->fn (v->arg, &r, reason);
}

int
figures_each (sqlite3 *db, const char *from, const char *to, figures_row_fn *fn, void *arg,
              kt_reason_t *reason)
{
    visit_t v = {fn, arg};
    return store_each (db,
                       "SELECT day, kind, gemeente, label, value FROM figure"
                       " WHERE day >= ? AND day <= ? ORDER BY id",
                       store_bind_values,
                       (void *) STORE_VALUES (STORE_TEXT (from), STORE_TEXT (to)), s_row, &v,
                       "read the figures", reason);
}
