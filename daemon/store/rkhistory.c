/*  rkhistory: the referentiekaders put in force (art. 7.3).  */
#include "rkhistory.h"

#include <stdlib.h>
#include <string.h>

struct _rkhistory_t {
    sqlite3 *db;
};

static const char *const s_migrations[] = {
    /*  Append-only: a decision records the SHA-256 it was weighed
     *  against, and this is where its criteria are read back; the
     *  triggers refuse any change or removal. */
    "CREATE TABLE referentiekader_adopted (seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    " version TEXT NOT NULL, sha256 TEXT NOT NULL, example INTEGER NOT NULL,"
    " adopted_ms INTEGER NOT NULL, roster_version INTEGER NOT NULL, text TEXT NOT NULL);"
    "CREATE INDEX referentiekader_adopted_version ON referentiekader_adopted (version);"
    "CREATE TRIGGER referentiekader_adopted_no_update BEFORE UPDATE ON referentiekader_adopted"
    " BEGIN SELECT RAISE (ABORT, 'referentiekader_adopted is append-only'); END;"
    "CREATE TRIGGER referentiekader_adopted_no_delete BEFORE DELETE ON referentiekader_adopted"
    " BEGIN SELECT RAISE (ABORT, 'referentiekader_adopted is append-only'); END;",
};

rkhistory_t *
rkhistory_new (sqlite3 *db, kt_reason_t *reason)
{
    rkhistory_t *self =
        store_module_new (sizeof *self, db, "rkhistory", STORE_MIGRATIONS (s_migrations), reason);
    if (self)
        self->db = db;
    return self;
}

void
rkhistory_destroy (rkhistory_t **self_p)
{
    free (*self_p);
    *self_p = NULL;
}

int
rkhistory_add (rkhistory_t *self, const referentiekader_t *rk, const char *text, size_t len,
               uint64_t roster_version, uint64_t now_ms, kt_reason_t *reason)
{
    char sha[65];
    kt_hex (sha, rk->sha256, 32);
    int rc = store_run (self->db,
                        "INSERT INTO referentiekader_adopted (version, sha256, example, adopted_ms,"
                        " roster_version, text) VALUES (?,?,?,?,?,?)",
                        STORE_VALUES (STORE_TEXT (rk->version), STORE_TEXT (sha),
                                      STORE_INT (rk->example ? 1 : 0), STORE_INT (now_ms),
                                      STORE_INT (roster_version), STORE_TEXT_N (text, len)),
                        "keep the referentiekader", reason);
    return rc < 0 ? -1 : 0;
}

typedef struct {
    uint8_t *sha256;
    char **text_p;
    uint64_t *roster_version_p;
} s_find_t;

static int
s_find_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    s_find_t *f = arg;
    uint8_t sha[32];
    if (kt_unhex (sha, 32, store_text (q, 0)) != 0)
        return kt_fail (reason, "referentiekader_adopted holds a malformed sha256");
    if (f->sha256)
        memcpy (f->sha256, sha, 32);
    if (f->roster_version_p)
        *f->roster_version_p = (uint64_t) sqlite3_column_int64 (q, 2);
    if (f->text_p) {
        const char *text = store_text (q, 1);
        size_t len = (size_t) sqlite3_column_bytes (q, 1);
        if (!(*f->text_p = malloc (len + 1)))
            return kt_fail (reason, "out of memory");
        memcpy (*f->text_p, text, len);
        (*f->text_p)[len] = '\0';
    }
    return 0;
}

int
rkhistory_find (rkhistory_t *self, const char *version, uint8_t sha256[32], char **text_p,
                uint64_t *roster_version_p, kt_reason_t *reason)
{
    if (text_p)
        *text_p = NULL;
    s_find_t f = {sha256, text_p, roster_version_p};
    return store_one (self->db,
                      "SELECT sha256, text, roster_version FROM referentiekader_adopted"
                      " WHERE version=? ORDER BY seq DESC LIMIT 1",
                      STORE_VALUES (STORE_TEXT (version)), s_find_row, &f,
                      "read the referentiekaders adopted", reason);
}

typedef struct {
    rkhistory_row_fn *fn;
    void *arg;
} s_each_t;

static int
s_each_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    s_each_t *e = arg;
    rkhistory_row_t row = {.version = store_text (q, 0),
                           .sha256 = store_text (q, 1),
                           .example = sqlite3_column_int (q, 2) != 0,
                           .adopted_ms = (uint64_t) sqlite3_column_int64 (q, 3),
                           .roster_version = (uint64_t) sqlite3_column_int64 (q, 4)};
    return e->fn (e->arg, &row, reason);
}

int
rkhistory_each (rkhistory_t *self, rkhistory_row_fn *fn, void *arg, kt_reason_t *reason)
{
    s_each_t e = {fn, arg};
    return store_each (self->db,
                       "SELECT version, sha256, example, adopted_ms, roster_version"
                       " FROM referentiekader_adopted ORDER BY seq",
                       NULL, NULL, s_each_row, &e, "read the referentiekaders adopted", reason);
}
