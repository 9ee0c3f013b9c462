/*  store: SQLite files with WAL, fsync and versioned migrations.  */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>

sqlite3 *
store_open (const char *path, kt_reason_t *reason)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2 (path, &db,
                              SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
                                  | SQLITE_OPEN_NOFOLLOW,
                              NULL);
    if (rc != SQLITE_OK) {
        kt_fail (reason, "cannot open database %s: %s", path,
                 db ? sqlite3_errmsg (db) : sqlite3_errstr (rc));
        sqlite3_close (db);
        return NULL;
    }
    sqlite3_extended_result_codes (db, 1);
    sqlite3_busy_timeout (db, 5000);
    /*  WAL for concurrent readers; synchronous=FULL so that every commit
     *  is fsync'd: a receipt is only ever sent for a durable message
     *  (docs/ARCHITECTURE.md, "Crash reasoning").  secure_delete overwrites
     *  freed content so a destroyed key does not linger in free pages. */
    const char *pragmas = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                          "PRAGMA foreign_keys=ON; PRAGMA secure_delete=ON;"
                          "PRAGMA trusted_schema=OFF;"
                          "CREATE TABLE IF NOT EXISTS schema_version (module TEXT PRIMARY KEY,"
                          " version INTEGER NOT NULL);";
    if (store_exec (db, pragmas, reason) != 0) {
        kt_fail (reason, "cannot use database %s: %s", path, sqlite3_errmsg (db));
        sqlite3_close (db);
        return NULL;
    }
    return db;
}

int
store_migrate (sqlite3 *db, const char *module, const char *const *migrations,
               size_t n_migrations, kt_reason_t *reason)
{
    sqlite3_stmt *q = store_prepare (db, "SELECT version FROM schema_version WHERE module=?", reason);
    if (!q)
        return -1;
    sqlite3_bind_text (q, 1, module, -1, SQLITE_STATIC);
    int64_t version = sqlite3_step (q) == SQLITE_ROW ? sqlite3_column_int64 (q, 0) : 0;
    sqlite3_finalize (q);
    if (version < 0 || (uint64_t) version > n_migrations)
        return kt_fail (reason, "%s tables have schema version %lld, newer than this ketend knows (%zu)",
                        module, (long long) version, n_migrations);
    for (size_t v = (size_t) version; v < n_migrations; v++) {
        char bump[160];
        snprintf (bump, sizeof bump,
                  "INSERT OR REPLACE INTO schema_version (module, version) VALUES ('%s', %zu);",
                  module, v + 1);
        if (store_begin (db, reason) != 0 || store_exec (db, migrations[v], reason) != 0
            || store_exec (db, bump, reason) != 0 || store_commit (db, reason) != 0) {
            store_rollback (db);
            return kt_fail (reason, "cannot migrate %s tables to schema version %zu", module, v + 1);
        }
    }
    return 0;
}

void
store_close (sqlite3 **db_p)
{
    if (*db_p) {
        sqlite3_close_v2 (*db_p);
        *db_p = NULL;
    }
}

int
store_exec (sqlite3 *db, const char *sql, kt_reason_t *reason)
{
    char *err = NULL;
    if (sqlite3_exec (db, sql, NULL, NULL, &err) != SQLITE_OK) {
        kt_fail (reason, "database error: %s", err ? err : sqlite3_errmsg (db));
        sqlite3_free (err);
        return -1;
    }
    return 0;
}

int
store_begin (sqlite3 *db, kt_reason_t *reason)
{
    return store_exec (db, "BEGIN IMMEDIATE", reason);
}

int
store_commit (sqlite3 *db, kt_reason_t *reason)
{
    return store_exec (db, "COMMIT", reason);
}

void
store_rollback (sqlite3 *db)
{
    if (!sqlite3_get_autocommit (db))
        sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
}

sqlite3_stmt *
store_prepare (sqlite3 *db, const char *sql, kt_reason_t *reason)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v3 (db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL) != SQLITE_OK) {
        kt_fail (reason, "database error: %s", sqlite3_errmsg (db));
        return NULL;
    }
    return stmt;
}

int64_t
store_int (sqlite3 *db, const char *sql, int64_t fallback)
{
    sqlite3_stmt *stmt = NULL;
    int64_t value = fallback;
    if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) == SQLITE_OK && sqlite3_step (stmt) == SQLITE_ROW)
        value = sqlite3_column_int64 (stmt, 0);
    sqlite3_finalize (stmt);
    return value;
}
