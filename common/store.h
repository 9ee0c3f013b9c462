/*  store: open a node's SQLite file with the pragmas keten relies on (WAL,
 *  synchronous=FULL so a commit is on disk before a receipt leaves, secure
 *  deletes) and bring its schema up to date with numbered migrations kept
 *  in code next to the module that owns the tables (docs/ARCHITECTURE.md,
 *  "Conventions", rule 7).
 */
#ifndef KETEN_STORE_H
#define KETEN_STORE_H

#include "util.h"

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

sqlite3 *store_open (const char *path, kt_reason_t *reason);
/*  Bring module's tables up to date: migrations[i] takes them from version
 *  i to i + 1, each in its own transaction, recorded per module in the
 *  schema_version table (several modules may share a file, as the outbox
 *  and the business tables must, to change them in one transaction).  A
 *  schema newer than the code is refused. */
int store_migrate (sqlite3 *db, const char *module, const char *const *migrations,
                   size_t n_migrations, kt_reason_t *reason);
void store_close (sqlite3 **db_p);

/*  BEGIN IMMEDIATE / COMMIT / ROLLBACK.  Return 0 or -1 with reason. */
int store_begin (sqlite3 *db, kt_reason_t *reason);
int store_commit (sqlite3 *db, kt_reason_t *reason);
void store_rollback (sqlite3 *db);

/*  Run one statement without results. */
int store_exec (sqlite3 *db, const char *sql, kt_reason_t *reason);
/*  Prepare with a reason on failure (a failure here is a programming
 *  error in our SQL or a broken file). */
sqlite3_stmt *store_prepare (sqlite3 *db, const char *sql, kt_reason_t *reason);
/*  First column of a one-row query as an integer; fallback when no row. */
int64_t store_int (sqlite3 *db, const char *sql, int64_t fallback);

#endif
