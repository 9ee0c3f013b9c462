/*  figures: counted facts without persons (figures.h, docs/REPORT.md). */
#include "figures.h"

#include "calendar.h"
#include "store.h"
#include "weegploeg.h"

#include <stdio.h>
#include <stdlib.h>
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
    /*  2, issue #17: a row may stand for n facts alike (same day, kind,
     *  gemeente, label and value), as a batch of signals records them:
     *  a row per kind and distinct day, gemeente, label and value of the
     *  batch instead of two per signal.  Still no case_ref and no time of
     *  day; fewer rows say less about single signals. */
    "ALTER TABLE figure ADD COLUMN n INTEGER NOT NULL DEFAULT 1 CHECK (n >= 1);",
};

int
figures_migrate (sqlite3 *db, kt_reason_t *reason)
{
    return store_migrate (db, "figure", STORE_MIGRATIONS (s_migrations), reason);
}

static int
s_insert (sqlite3 *db, const char *day, const char *kind, const char *gemeente, const char *label,
          int64_t value, int64_t n, kt_reason_t *reason)
{
    return store_run (db,
                      "INSERT INTO figure (day, kind, gemeente, label, value, n)"
                      " VALUES (?,?,?,?,?,?)",
                      STORE_VALUES (STORE_TEXT (day), STORE_TEXT (kind), STORE_TEXT (gemeente),
                                    STORE_TEXT_N (label, strnlen (label, FIGURES_LABEL_MAX)),
                                    STORE_INT (value), STORE_INT (n)),
                      "record a figure", reason) < 0
               ? -1
               : 0;
}

int
figures_add (sqlite3 *db, uint64_t at_ms, const char *kind, const char *gemeente, const char *label,
             int64_t value, kt_reason_t *reason)
{
    char day[11];
    kt_local_date (at_ms, day);
    return s_insert (db, day, kind, gemeente ? gemeente : "", label ? label : "", value, 1, reason);
}

int
figures_tally_add (figures_tally_t *self, uint64_t at_ms, const char *kind, const char *gemeente,
                   const char *label, int64_t value)
{
    figures_count_t key = {.kind = kind, .value = value, .n = 1};
    kt_local_date (at_ms, key.day);
    snprintf (key.gemeente, sizeof key.gemeente, "%s", gemeente ? gemeente : "");
    label = label ? label : "";
    size_t len = strnlen (label, FIGURES_LABEL_MAX);
    memcpy (key.label, label, len);
    key.label[len] = '\0';
    for (size_t i = 0; i < self->n; i++) {
        figures_count_t *c = &self->rows[i];
        if (c->value == value && strcmp (c->kind, kind) == 0 && strcmp (c->day, key.day) == 0 &&
            strcmp (c->gemeente, key.gemeente) == 0 && strcmp (c->label, key.label) == 0) {
            c->n++;
            return 0;
        }
    }
    if (self->n == self->cap) {
        size_t cap = self->cap ? 2 * self->cap : 8;
        figures_count_t *rows = realloc (self->rows, cap * sizeof *rows);
        if (!rows)
            return -1;
        self->rows = rows;
        self->cap = cap;
    }
    self->rows[self->n++] = key;
    return 0;
}

int
figures_tally_store (figures_tally_t *self, sqlite3 *db, kt_reason_t *reason)
{
    for (size_t i = 0; i < self->n; i++) {
        const figures_count_t *c = &self->rows[i];
        if (s_insert (db, c->day, c->kind, c->gemeente, c->label, c->value, c->n, reason) != 0)
            return -1;
    }
    return 0;
}

void
figures_tally_clear (figures_tally_t *self)
{
    free (self->rows);
    memset (self, 0, sizeof *self);
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
    figures_row_t r = {store_text (q, 0), store_text (q, 1),           store_text (q, 2),
                       store_text (q, 3), sqlite3_column_int64 (q, 4), sqlite3_column_int64 (q, 5)};
    return v->fn (v->arg, &r, reason);
}

int
figures_each (sqlite3 *db, const char *from, const char *to, figures_row_fn *fn, void *arg,
              kt_reason_t *reason)
{
    visit_t v = {fn, arg};
    return store_each (db,
                       "SELECT day, kind, gemeente, label, value, n FROM figure"
                       " WHERE day >= ? AND day <= ? ORDER BY id",
                       store_bind_values,
                       (void *) STORE_VALUES (STORE_TEXT (from), STORE_TEXT (to)), s_row, &v,
                       "read the figures", reason);
}
