/*  store_rows: many rows of one shape inserted in few statements (issue
 *  #17).  SQLite pays for each statement it runs (binding, opening and
 *  closing its cursors, the virtual machine's start and end) about as much
 *  as for the row itself; a group commit's rows of one table go in as
 *  "INSERT ... VALUES (...), (...), ..." of 64, 16, 4 or 1 rows, each size
 *  prepared once and kept.
 */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*  The statement sizes, largest first: any count is a sum of them. */
static const size_t s_sizes[] = {64, 16, 4, 1};
#define N_SIZES (sizeof s_sizes / sizeof s_sizes[0])

struct _store_rows_t {
    sqlite3 *db;
    char *insert; /* "INSERT INTO t (a, b)" */
    int n_cols;
    sqlite3_stmt *stmts[N_SIZES]; /* prepared when first needed */
    /*  The rows added: n_cols values each, text and blobs copied into
     *  bytes (ptr holds 1 + the offset into it, or 0 for SQL NULL, until
     *  the flush makes it a pointer again). */
    store_value_t *values;
    size_t n_rows, cap_rows;
    uint8_t *bytes;
    size_t n_bytes, cap_bytes;
};

store_rows_t *
store_rows_new (sqlite3 *db, const char *insert, int n_cols, kt_reason_t *reason)
{
    store_rows_t *self = calloc (1, sizeof *self);
    if (!self || !(self->insert = strdup (insert))) {
        free (self);
        kt_fail (reason, "out of memory");
        return NULL;
    }
    self->db = db;
    self->n_cols = n_cols;
    return self;
}

void
store_rows_destroy (store_rows_t **self_p)
{
    store_rows_t *self = *self_p;
    if (!self)
        return;
    store_rows_clear (self);
    for (size_t i = 0; i < N_SIZES; i++)
        sqlite3_finalize (self->stmts[i]);
    free (self->insert);
    free (self->values);
    free (self->bytes);
    free (self);
    *self_p = NULL;
}

/*  Room kept between groups; a group that needed more gives it back. */
#define ROWS_KEEP_BYTES (256 * 1024)
#define ROWS_KEEP_ROWS 1024

void
store_rows_clear (store_rows_t *self)
{
    /*  The copies may be a row's clear columns (a local reference): not
     *  left in freed memory. */
    if (self->bytes)
        memset (self->bytes, 0, self->n_bytes);
    self->n_rows = 0;
    self->n_bytes = 0;
    if (self->cap_bytes > ROWS_KEEP_BYTES) {
        free (self->bytes);
        self->bytes = NULL;
        self->cap_bytes = 0;
    }
    if (self->cap_rows > ROWS_KEEP_ROWS) {
        free (self->values);
        self->values = NULL;
        self->cap_rows = 0;
    }
}

size_t
store_rows_count (const store_rows_t *self)
{
    return self->n_rows;
}

/*  n bytes of room at the end of the copies; its offset, or -1. */
static ptrdiff_t
s_room (store_rows_t *self, size_t n)
{
    if (self->n_bytes + n > self->cap_bytes) {
        size_t cap = self->cap_bytes ? self->cap_bytes : 4096;
        while (cap < self->n_bytes + n)
            cap *= 2;
        uint8_t *grown = malloc (cap);
        if (!grown)
            return -1;
        /*  Not realloc: the old copies are wiped before they are let go. */
        if (self->bytes) {
            memcpy (grown, self->bytes, self->n_bytes);
            memset (self->bytes, 0, self->n_bytes);
            free (self->bytes);
        }
        self->bytes = grown;
        self->cap_bytes = cap;
    }
    ptrdiff_t at = (ptrdiff_t) self->n_bytes;
    self->n_bytes += n;
    return at;
}

int
store_rows_add (store_rows_t *self, const store_value_t *values, kt_reason_t *reason)
{
    int n = 0;
    while (values[n].type)
        n++;
    if (n != self->n_cols)
        return kt_fail (reason, "a row of %d values for %d columns", n, self->n_cols);
    if (self->n_rows == self->cap_rows) {
        size_t cap = self->cap_rows ? 2 * self->cap_rows : 64;
        store_value_t *grown = realloc (self->values, cap * (size_t) n * sizeof *grown);
        if (!grown)
            return kt_fail (reason, "out of memory");
        self->values = grown;
        self->cap_rows = cap;
    }
    store_value_t *row = self->values + self->n_rows * (size_t) n;
    size_t mark = self->n_bytes;
    for (int i = 0; i < n; i++) {
        store_value_t v = values[i];
        if ((v.type == SQLITE_TEXT || v.type == SQLITE_BLOB) && v.ptr) {
            /*  A copy, its length explicit (STORE_TEXT_N); a NULL pointer
             *  stays NULL and binds SQL NULL, as store_bind_values does. */
            size_t len = v.type == SQLITE_TEXT && !v.num ? strlen (v.ptr) : v.len;
            ptrdiff_t at = s_room (self, len ? len : 1);
            if (at < 0) {
                /*  This row's copies so far, wiped and let go. */
                if (self->bytes)
                    memset (self->bytes + mark, 0, self->n_bytes - mark);
                self->n_bytes = mark;
                return kt_fail (reason, "out of memory");
            }
            memcpy (self->bytes + at, v.ptr, len);
            v.num = v.type == SQLITE_TEXT ? 1 : v.num;
            v.ptr = (const void *) (uintptr_t) (at + 1);
            v.len = len;
        }
        row[i] = v;
    }
    self->n_rows++;
    return 0;
}

/*  The statement for size rows (prepared now if not yet). */
static sqlite3_stmt *
s_stmt (store_rows_t *self, size_t k, const char *what, kt_reason_t *reason)
{
    if (self->stmts[k])
        return self->stmts[k];
    size_t size = s_sizes[k];
    size_t one = 2 + 2 * (size_t) self->n_cols + 1; /* "(?,?)," */
    size_t len = strlen (self->insert) + 8 + size * one + 1;
    char *sql = malloc (len);
    if (!sql) {
        kt_fail (reason, "out of memory");
        return NULL;
    }
    size_t o = (size_t) snprintf (sql, len, "%s VALUES ", self->insert);
    for (size_t r = 0; r < size; r++) {
        sql[o++] = r ? ',' : ' ';
        sql[o++] = '(';
        for (int c = 0; c < self->n_cols; c++) {
            if (c)
                sql[o++] = ',';
            sql[o++] = '?';
        }
        sql[o++] = ')';
    }
    sql[o] = '\0';
    kt_reason_t why;
    if (!(self->stmts[k] = store_prepare (self->db, sql, &why)))
        kt_fail (reason, "cannot %s: %s", what, why.text);
    free (sql);
    return self->stmts[k];
}

int
store_rows_flush (store_rows_t *self, const char *what, kt_reason_t *reason)
{
    /*  The copies stay where they are until the rows are cleared: their
     *  offsets made pointers once, for store_bind_n. */
    size_t n_values = self->n_rows * (size_t) self->n_cols;
    for (size_t i = 0; i < n_values; i++)
        if ((self->values[i].type == SQLITE_TEXT || self->values[i].type == SQLITE_BLOB) &&
            self->values[i].ptr)
            self->values[i].ptr = self->bytes + ((uintptr_t) self->values[i].ptr - 1);
    size_t at = 0;
    int rc = 0;
    for (size_t k = 0; rc == 0 && k < N_SIZES; k++)
        while (rc == 0 && self->n_rows - at >= s_sizes[k]) {
            sqlite3_stmt *stmt = s_stmt (self, k, what, reason);
            kt_reason_t why = {""};
            if (!stmt)
                rc = -1;
            else if (store_bind_n (stmt, self->values + at * (size_t) self->n_cols,
                                   s_sizes[k] * (size_t) self->n_cols, &why) != 0) {
                sqlite3_clear_bindings (stmt);
                rc = kt_fail (reason, "cannot %s: %s", what, why.text);
            } else {
                int step = sqlite3_step (stmt);
                if (step != SQLITE_DONE) {
                    store_health_note (self->db, step);
                    rc = kt_fail (reason, "cannot %s: %s", what, sqlite3_errmsg (self->db));
                }
                sqlite3_reset (stmt);
                sqlite3_clear_bindings (stmt);
            }
            at += s_sizes[k];
        }
    store_rows_clear (self);
    return rc;
}
