/*  store: SQLite files with WAL, fsync and versioned migrations.  */
#include "store.h"

#include "backup.h"
#include "store_vfs.h"
#include "store_wal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

/*  Statements kept prepared, by their text, for the files store_open
 *  opened (docs/PERFORMANCE.md, "2026-12-04, second session").  Parsing a
 *  statement costs more than running most of them: before this cache,
 *  16 % of a busy partner's CPU went to sqlite3_prepare.  Only queries,
 *  row changes and transaction statements are kept: several PRAGMAs act
 *  while they are prepared, and a PRAGMA or VACUUM is not run often
 *  enough to be worth keeping.  A statement in use (a
 *  row callback running the same text on the same file) is prepared
 *  afresh for the inner call.  One thread: the daemon's loop.  The one
 *  other thread, store_commit_start's (and store_sync_start's), runs
 *  sqlite3_exec or the log's sync on the file it commits and touches
 *  nothing here; while it uses the connection, the loop lets the cache
 *  finalize none of that file's statements (s_committing), and uses the
 *  file only when its connection has a mutex (store_open_shared), which
 *  the thread holds.  A log synced through its own descriptor
 *  (s_log_fd_sync) takes nothing of the connection. */
#define STORE_CACHED_FILES 64
#define STORE_CACHED_STMTS 128
static sqlite3 *s_cached_files[STORE_CACHED_FILES];
typedef struct {
    sqlite3 *db;
    uint64_t hash;
    char *sql;
    sqlite3_stmt *stmt;
    uint64_t used;
    bool busy;
} cached_stmt_t;
static cached_stmt_t s_cached[STORE_CACHED_STMTS];
static uint64_t s_cached_tick;
/*  The file whose COMMIT or log sync runs on the helper thread (the
 *  loop's copy). */
static sqlite3 *s_committing;

static bool
s_cacheable (sqlite3 *db, const char *sql)
{
    static const char *const verbs[] = {"SELECT", "INSERT", "UPDATE", "DELETE",  "REPLACE",
                                        "WITH",   "BEGIN",  "COMMIT", "ROLLBACK"};
    bool known = false;
    for (size_t i = 0; i < STORE_CACHED_FILES && !known; i++)
        known = s_cached_files[i] == db;
    if (!known)
        return false;
    while (*sql == ' ' || *sql == '\n' || *sql == '\t')
        sql++;
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        if (strncasecmp (sql, verbs[i], strlen (verbs[i])) == 0)
            return true;
    return false;
}

static uint64_t
s_sql_hash (const char *sql)
{
    uint64_t h = 1469598103934665603ULL;
    for (const unsigned char *p = (const unsigned char *) sql; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return h;
}

/*  sql prepared on db, from the cache when it is there and free; *slot
 *  is the cache entry to give it back to (store_give), or NULL when the
 *  caller finalizes it.  NULL and the SQLite code in *rc on failure. */
static sqlite3_stmt *
s_take (sqlite3 *db, const char *sql, cached_stmt_t **slot, int *rc)
{
    *slot = NULL;
    bool cacheable = s_cacheable (db, sql);
    uint64_t hash = cacheable ? s_sql_hash (sql) : 0;
    cached_stmt_t *free_slot = NULL;
    if (cacheable) {
        for (size_t i = 0; i < STORE_CACHED_STMTS; i++) {
            cached_stmt_t *c = &s_cached[i];
            if (c->db == db && c->hash == hash && strcmp (c->sql, sql) == 0) {
                if (c->busy) {
                    free_slot = NULL;
                    break;
                }
                c->busy = true;
                c->used = ++s_cached_tick;
                *slot = c;
                return c->stmt;
            }
            if (!c->busy && (!c->db || c->db != s_committing) &&
                (!free_slot || !c->db || (free_slot->db && c->used < free_slot->used)))
                free_slot = c;
        }
    }
    sqlite3_stmt *stmt = NULL;
    *rc = sqlite3_prepare_v3 (db, sql, -1, cacheable ? SQLITE_PREPARE_PERSISTENT : 0, &stmt, NULL);
    if (*rc != SQLITE_OK) {
        sqlite3_finalize (stmt);
        return NULL;
    }
    char *copy = free_slot ? strdup (sql) : NULL;
    if (copy) {
        if (free_slot->db) {
            sqlite3_finalize (free_slot->stmt);
            free (free_slot->sql);
        }
        *free_slot = (cached_stmt_t){db, hash, copy, stmt, ++s_cached_tick, true};
        *slot = free_slot;
    }
    return stmt;
}

static void
s_give (sqlite3_stmt *stmt, cached_stmt_t *slot)
{
    if (!slot) {
        sqlite3_finalize (stmt);
        return;
    }
    /*  Nothing a caller bound may be read after it returns. */
    sqlite3_reset (stmt);
    sqlite3_clear_bindings (stmt);
    slot->busy = false;
}

/*  Forget db's statements and stop keeping new ones (store_close). */
static void
s_uncache (sqlite3 *db)
{
    for (size_t i = 0; i < STORE_CACHED_STMTS; i++)
        if (s_cached[i].db == db) {
            sqlite3_finalize (s_cached[i].stmt);
            free (s_cached[i].sql);
            s_cached[i] = (cached_stmt_t){0};
        }
    for (size_t i = 0; i < STORE_CACHED_FILES; i++)
        if (s_cached_files[i] == db)
            s_cached_files[i] = NULL;
}

static void
s_cache_file (sqlite3 *db)
{
    for (size_t i = 0; i < STORE_CACHED_FILES; i++)
        if (!s_cached_files[i]) {
            s_cached_files[i] = db;
            return;
        }
}

/*  The files this process created: their migrations change nothing that
 *  was there, so they take no copy first. */
#define STORE_NEW_MAX 32
static sqlite3 *s_new[STORE_NEW_MAX];

static bool
s_is_new (sqlite3 *db)
{
    for (size_t i = 0; i < STORE_NEW_MAX; i++)
        if (s_new[i] == db)
            return true;
    return false;
}

static void
s_set_new (sqlite3 *db, sqlite3 *value)
{
    for (size_t i = 0; i < STORE_NEW_MAX; i++)
        if (s_new[i] == db) {
            s_new[i] = value;
            return;
        }
}

/*  store_open, the connection's threading mode in mutex (NOMUTEX: one
 *  thread uses it at a time; FULLMUTEX: it serialises its users). */
static sqlite3 *
s_open (const char *path, int mutex, kt_reason_t *reason)
{
    sqlite3 *db = NULL;
    struct stat st;
    bool created = lstat (path, &st) != 0;
    /*  store_vfs: a commit's log frames in two writes, not two per page
     *  (store_vfs.c). */
    int rc = sqlite3_open_v2 (
        path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | mutex | SQLITE_OPEN_NOFOLLOW,
        store_vfs_name ());
    if (rc != SQLITE_OK) {
        kt_fail (reason, "cannot open database %s: %s", path,
                 db ? sqlite3_errmsg (db) : sqlite3_errstr (rc));
        sqlite3_close (db);
        return NULL;
    }
    sqlite3_extended_result_codes (db, 1);
    /*  A SQLite built without mutexes would open it without one, and
     *  nothing would keep the loop out of a COMMIT on the helper thread. */
    if (mutex == SQLITE_OPEN_FULLMUTEX && !sqlite3_db_mutex (db)) {
        kt_fail (reason,
                 "cannot open database %s: this SQLite library is built without "
                 "thread safety",
                 path);
        sqlite3_close (db);
        return NULL;
    }
    /*  Only this process writes these files, on one connection each, so a
     *  lock held elsewhere is an operator's shell or a broken tool: wait a
     *  moment, then fail - the caller refuses or retries later, and the
     *  node's loop (heartbeats, every other file) goes on instead of
     *  waiting seconds per try.  The failure is storage_failing in status. */
    sqlite3_busy_timeout (db, STORE_BUSY_TIMEOUT_MS);
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
    if (created)
        s_set_new (NULL, db);
    s_cache_file (db);
    store_wal_watch (db);
    return db;
}

sqlite3 *
store_open (const char *path, kt_reason_t *reason)
{
    return s_open (path, SQLITE_OPEN_NOMUTEX, reason);
}

void
store_setup (void)
{
    /*  No allocation statistics: SQLite would take a global mutex for each
     *  allocation to count it (issue #17: about 1 % of a busy partner's
     *  CPU), and nothing here reads them. */
    sqlite3_config (SQLITE_CONFIG_MEMSTATUS, 0);
}

sqlite3 *
store_open_shared (const char *path, kt_reason_t *reason)
{
    return s_open (path, SQLITE_OPEN_FULLMUTEX, reason);
}

sqlite3 *
store_open_readonly (const char *path, kt_reason_t *reason)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2 (
        path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW, NULL);
    if (rc != SQLITE_OK) {
        kt_fail (reason, "cannot open database %s: %s", path,
                 db ? sqlite3_errmsg (db) : sqlite3_errstr (rc));
        sqlite3_close (db);
        return NULL;
    }
    sqlite3_extended_result_codes (db, 1);
    sqlite3_busy_timeout (db, STORE_BUSY_TIMEOUT_MS);
    /*  A reader never checkpoints: the file stays as its writer left it. */
    sqlite3_db_config (db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
    return db;
}

/*  The schema version of each module this build brings its tables to:
 *  what ketend --check and a start compare a state directory's files
 *  with before opening any for writing.  store_migrate refuses a module
 *  missing here or with more migrations than said here, so a migration
 *  added without its line here fails every test that opens the module. */
static const struct {
    const char *module;
    size_t version;
} s_known[] = {
    {"access", 3},     {"agendabox", 2}, {"casebox", 4},     {"casework", 2},   {"casusoverleg", 7},
    {"correction", 5}, {"decision", 3},  {"decisionbox", 3}, {"disclosed", 1},  {"figure", 2},
    {"forget", 2},     {"incident", 3},  {"incidentbox", 2}, {"infoplicht", 2}, {"keystore", 4},
    {"lifecycle", 1},  {"logproof", 1},  {"meeting", 3},     {"node", 2},       {"outbox", 5},
    {"plan", 1},       {"provlog", 7},   {"relay", 8},       {"request", 3},    {"retainbox", 2},
    {"review", 1},     {"rkhistory", 1}, {"signalbox", 4},   {"spool", 4},      {"transfer", 2},
    {"weegploeg", 6},  {"witness", 5},
};

size_t
store_schema_known (const char *module)
{
    for (size_t i = 0; i < sizeof s_known / sizeof s_known[0]; i++)
        if (strcmp (s_known[i].module, module) == 0)
            return s_known[i].version;
    return 0;
}

static bool s_newer_seen;

bool
store_schema_newer_seen (void)
{
    return s_newer_seen;
}

/*  The refusal of a file migrated by a newer release, with the way back
 *  (with this release's client, docs/OPERATIONS.md): the copy the newer
 *  release took before it migrated (the newest pre-migration-TIME beside
 *  the file), or else a backup. */
static int
s_refuse_newer (const char *file, const char *module, long long version, size_t known,
                kt_reason_t *reason)
{
    s_newer_seen = true;
    char dir[4096] = "", copy[4200] = "";
    const char *slash = strrchr (file, '/');
    if (slash)
        snprintf (dir, sizeof dir, "%.*s", (int) (slash - file), file);
    /*  Short: the reason holds KT_REASON_MAX bytes, two paths included. */
    if (*dir && backup_newest_premigration (dir, copy, sizeof copy) == 0)
        return kt_fail (reason,
                        "%s: %s tables have schema version %lld, newer than this ketend knows "
                        "(%zu); to go back, stopped: keten restore %s",
                        file, module, version, known, copy);
    return kt_fail (reason,
                    "%s: %s tables have schema version %lld, newer than this ketend knows "
                    "(%zu); to go back, stopped: keten restore a backup taken before the upgrade",
                    file, module, version, known);
}

int
store_schema_check_file (const char *path, kt_reason_t *reason)
{
    sqlite3 *db = store_open_readonly (path, reason);
    if (!db)
        return -1;
    int rc = 0;
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2 (db, "SELECT module, version FROM schema_version", -1, &q, NULL) !=
        SQLITE_OK) {
        /*  No schema_version table: a file no module has migrated yet. */
        bool none = strstr (sqlite3_errmsg (db), "no such table") != NULL;
        if (!none)
            rc = kt_fail (reason, "cannot read the schema versions of %s: %s", path,
                          sqlite3_errmsg (db));
        sqlite3_close (db);
        return rc;
    }
    int step;
    while (rc == 0 && (step = sqlite3_step (q)) == SQLITE_ROW) {
        const char *module = (const char *) sqlite3_column_text (q, 0);
        long long version = sqlite3_column_int64 (q, 1);
        size_t known = module ? store_schema_known (module) : 0;
        /*  A module this build does not know is a newer release's, and
         *  nothing here reads its tables. */
        if (known && (version < 0 || (unsigned long long) version > known))
            rc = s_refuse_newer (path, module, version, known, reason);
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = kt_fail (reason, "cannot read the schema versions of %s: %s", path,
                      sqlite3_errmsg (db));
    sqlite3_finalize (q);
    sqlite3_close (db);
    return rc;
}

int
store_schema_check_dir (const char *dir, kt_reason_t *reason)
{
    DIR *d = opendir (dir);
    if (!d) {
        if (errno == ENOENT)
            return 0;
        return kt_fail (reason, "cannot open %s: %s", dir, strerror (errno));
    }
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir (d))) {
        size_t len = strlen (e->d_name);
        struct stat st;
        if (len < 4 || strcmp (e->d_name + len - 3, ".db") != 0 ||
            fstatat (dirfd (d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG (st.st_mode))
            continue;
        char path[4400];
        snprintf (path, sizeof path, "%s/%s", dir, e->d_name);
        kt_reason_t why;
        if (store_schema_check_file (path, &why) == 0)
            continue;
        if (store_schema_newer_seen ()) {
            *reason = why;
            rc = -1;
        } else
            /*  Not this check's to refuse: a start that opens the file
             *  says what is wrong with it, and one it does not open is
             *  no reason to stop. */
            kt_log (KT_LOG_WARN, "store schema_unread reason=\"%s\"", why.text);
    }
    closedir (d);
    return rc;
}

int
store_migrate (sqlite3 *db, const char *module, const char *const *migrations, size_t n_migrations,
               kt_reason_t *reason)
{
    size_t known = store_schema_known (module);
    if (n_migrations > known)
        return kt_fail (reason,
                        "%s tables have %zu migrations, but common/store.c knows %zu: its "
                        "schema table is not up to date",
                        module, n_migrations, known);
    sqlite3_stmt *q =
        store_prepare (db, "SELECT version FROM schema_version WHERE module=?", reason);
    if (!q)
        return -1;
    sqlite3_bind_text (q, 1, module, -1, SQLITE_STATIC);
    int64_t version = sqlite3_step (q) == SQLITE_ROW ? sqlite3_column_int64 (q, 0) : 0;
    sqlite3_finalize (q);
    if (version < 0 || (uint64_t) version > n_migrations) {
        const char *file = sqlite3_db_filename (db, "main");
        return s_refuse_newer (file && *file ? file : "a database", module, (long long) version,
                               n_migrations, reason);
    }
    /*  Tables this file already holds change: a copy of every file first
     *  (docs/OPERATIONS.md, "Backup and restore"). */
    if (version > 0 && (size_t) version < n_migrations && !s_is_new (db) &&
        backup_premigration (reason) != 0)
        return -1;
    for (size_t v = (size_t) version; v < n_migrations; v++) {
        char bump[160];
        snprintf (bump, sizeof bump,
                  "INSERT OR REPLACE INTO schema_version (module, version) VALUES ('%s', %zu);",
                  module, v + 1);
        if (store_begin (db, reason) != 0 || store_exec (db, migrations[v], reason) != 0 ||
            store_exec (db, bump, reason) != 0 || store_commit (db, reason) != 0) {
            store_rollback (db);
            return kt_fail (reason, "cannot migrate %s tables to schema version %zu", module,
                            v + 1);
        }
    }
    return 0;
}

void *
store_module_new (size_t size, sqlite3 *db, const char *module, const char *const *migrations,
                  size_t n_migrations, kt_reason_t *reason)
{
    void *self = calloc (1, size);
    if (!self) {
        kt_fail (reason, "out of memory");
        return NULL;
    }
    if (store_migrate (db, module, migrations, n_migrations, reason) != 0) {
        free (self);
        return NULL;
    }
    return self;
}

/*  Storage health: per database file open, the failure about storage its
 *  last write met, until a commit on it that changed rows succeeds
 *  (another file's commit may well succeed while the disk is full).  A
 *  commit that changed nothing (a retention run with nothing due, every
 *  second) writes no page, so it proves nothing: it would end the alarm
 *  on a disk still full, to be raised again at the next real write.
 *
 *  After a full disk even a commit that changed rows proves little: one
 *  that fits in space the file or its log already holds (the log is
 *  written again from its start after a checkpoint, and a failed commit
 *  leaves the space it got) succeeds on a disk still full, while the next
 *  signal, or the log growing, fails again.  So that failure ends only
 *  when, besides, the file system has room again (s_health_room): looked
 *  at (statvfs) only then, at most once a second, never in the normal
 *  case. */
#define STORE_HEALTH_MAX 32
/*  After a full disk, the file system is looked at again only this long
 *  after it was last found without room. */
#define STORE_ROOM_CHECK_US 1000000u

typedef struct {
    sqlite3 *db;
    int code;
    uint64_t since_ms;
    int64_t changes;     /* the connection's total changes at the failure or
                            at the last begin or rollback since */
    bool rows_committed; /* a commit that changed rows succeeded since the failure */
    uint64_t room_tried; /* kt_mono_us when its file system was last found
                            without room (SQLITE_FULL), 0: not yet */
    bool sticky;         /* a failed log sync not healed: until store_close */
} s_health_t;
static s_health_t s_health[STORE_HEALTH_MAX];

/*  Whether a failure of code is one of writing pages (a full disk, an
 *  I/O error, a read-only file): only a commit that wrote some shows it
 *  gone.  A lock held too long or a failed open is gone with any commit. */
static bool
s_health_needs_pages (int code)
{
    return code == SQLITE_FULL || code == SQLITE_IOERR || code == SQLITE_READONLY;
}

void
store_health_note (sqlite3 *db, int code)
{
    switch (code & 0xff) {
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_READONLY:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_CANTOPEN:
        break;
    default:
        return;
    }
    size_t free_slot = STORE_HEALTH_MAX;
    for (size_t i = 0; i < STORE_HEALTH_MAX; i++) {
        if (s_health[i].db == db) {
            /*  A failure of writing pages is not replaced by one that any
             *  commit ends (a lock held too long while the disk is still
             *  full): the alarm would end with the next commit. */
            if (!s_health[i].sticky &&
                (s_health_needs_pages (code & 0xff) || !s_health_needs_pages (s_health[i].code)))
                s_health[i].code = code & 0xff;
            s_health[i].changes = sqlite3_total_changes64 (db);
            s_health[i].rows_committed = false;
            return;
        }
        if (!s_health[i].db && free_slot == STORE_HEALTH_MAX)
            free_slot = i;
    }
    if (free_slot < STORE_HEALTH_MAX)
        s_health[free_slot] = (s_health_t){.db = db,
                                           .code = code & 0xff,
                                           .since_ms = kt_now_ms (),
                                           .changes = sqlite3_total_changes64 (db)};
}

/*  A transaction begins or was rolled back on db: only changes made from
 *  here on may show that its storage works again. */
static void
s_health_mark (sqlite3 *db)
{
    for (size_t i = 0; i < STORE_HEALTH_MAX; i++)
        if (s_health[i].db == db)
            s_health[i].changes = sqlite3_total_changes64 (db);
}

/*  The room a file system must have free before a full disk's failure
 *  of db ends: what its log takes before it is checkpointed
 *  (STORE_WAL_PAGES pages) and as much again for the file to take those
 *  pages at the checkpoint - 8 MB at SQLite's 4 KiB pages, which keten
 *  keeps.  With less, the next commits that grow the log, or the
 *  checkpoint, meet the full disk again. */
static uint64_t
s_room_needed (sqlite3 *db)
{
    int64_t page = store_int (db, "PRAGMA page_size", 4096);
    if (page < 512 || page > 65536)
        page = 4096;
    return 2u * STORE_WAL_PAGES * (uint64_t) page;
}

/*  Whether the file system of h's file has room again (s_room_needed),
 *  for a failure of SQLITE_FULL: asked of the system at most once a
 *  second, so not at all in between.  A file with no path (in memory) has
 *  no file system to ask; one that cannot be asked is taken to have room,
 *  as before it was looked at (an alarm no freed space can end would be
 *  worse than one that ends with the next commit of rows). */
static bool
s_health_room (s_health_t *h)
{
    uint64_t now = kt_mono_us ();
    if (h->room_tried && now - h->room_tried < STORE_ROOM_CHECK_US)
        return false;
    const char *path = sqlite3_db_filename (h->db, "main");
    if (!path || !*path)
        return true;
    struct statvfs fs;
    if (statvfs (path, &fs) != 0) {
        kt_log (KT_LOG_WARN,
                "store room_unknown reason=\"%s\": the end of a full disk's failure is "
                "not checked",
                strerror (errno));
        return true;
    }
    uint64_t room = (uint64_t) fs.f_bavail * (uint64_t) (fs.f_frsize ? fs.f_frsize : fs.f_bsize);
    if (room >= s_room_needed (h->db))
        return true;
    h->room_tried = now ? now : 1;
    return false;
}

/*  A commit (or a write outside a transaction) on db succeeded: the
 *  failure ends, if it was of writing pages only when it changed rows
 *  since the mark (this commit or one before it since the failure), and
 *  if it was a full disk only when its file system has room again. */
static void
s_health_clear (sqlite3 *db)
{
    for (size_t i = 0; i < STORE_HEALTH_MAX; i++) {
        s_health_t *h = &s_health[i];
        if (h->db != db || h->sticky)
            continue;
        if (sqlite3_total_changes64 (db) != h->changes)
            h->rows_committed = true;
        if (!s_health_needs_pages (h->code) ||
            (h->rows_committed && (h->code != SQLITE_FULL || s_health_room (h))))
            h->db = NULL;
    }
}

/*  db's failure kept as it is until store_close. */
static void
s_health_stick (sqlite3 *db)
{
    for (size_t i = 0; i < STORE_HEALTH_MAX; i++)
        if (s_health[i].db == db)
            s_health[i].sticky = true;
}

bool
store_health_failing_file (const char **what, const char **file, uint64_t *since_ms)
{
    bool failing = false;
    for (size_t i = 0; i < STORE_HEALTH_MAX; i++)
        if (s_health[i].db && (!failing || s_health[i].since_ms < *since_ms)) {
            failing = true;
            *what = sqlite3_errstr (s_health[i].code);
            *since_ms = s_health[i].since_ms;
            const char *path = sqlite3_db_filename (s_health[i].db, "main");
            const char *base = path ? strrchr (path, '/') : NULL;
            *file = base ? base + 1 : path ? path : "";
        }
    return failing;
}

bool
store_health_failing (const char **what, uint64_t *since_ms)
{
    const char *file;
    return store_health_failing_file (what, &file, since_ms);
}

bool
store_writes_stopped (sqlite3 *db, const char **what)
{
    for (size_t i = 0; i < STORE_HEALTH_MAX; i++)
        if (s_health[i].db == db && s_health[i].sticky) {
            *what = sqlite3_errstr (s_health[i].code);
            return true;
        }
    return false;
}

void
store_close (sqlite3 **db_p)
{
    if (*db_p) {
        for (size_t i = 0; i < STORE_HEALTH_MAX; i++)
            if (s_health[i].db == *db_p)
                s_health[i] = (s_health_t){0};
        s_set_new (*db_p, NULL);
        s_uncache (*db_p);
        store_wal_unwatch (*db_p);
        sqlite3_close_v2 (*db_p);
        *db_p = NULL;
    }
}

int
store_exec (sqlite3 *db, const char *sql, kt_reason_t *reason)
{
    char *err = NULL;
    if (sqlite3_exec (db, sql, NULL, NULL, &err) != SQLITE_OK) {
        store_health_note (db, sqlite3_errcode (db));
        kt_fail (reason, "database error: %s", err ? err : sqlite3_errmsg (db));
        sqlite3_free (err);
        return -1;
    }
    return 0;
}

/*  store_exec of one statement, kept prepared. */
static int
s_exec_kept (sqlite3 *db, const char *sql, kt_reason_t *reason)
{
    cached_stmt_t *slot;
    int rc;
    sqlite3_stmt *stmt = s_take (db, sql, &slot, &rc);
    if (stmt) {
        rc = sqlite3_step (stmt);
        if (rc == SQLITE_ROW)
            rc = SQLITE_DONE;
    }
    if (rc != SQLITE_DONE) {
        store_health_note (db, sqlite3_errcode (db));
        kt_fail (reason, "database error: %s", sqlite3_errmsg (db));
    }
    if (stmt)
        s_give (stmt, slot);
    return rc == SQLITE_DONE ? 0 : -1;
}

static int s_sync_failed (sqlite3 *db, int rc, bool held, kt_reason_t *reason);

int
store_begin (sqlite3 *db, kt_reason_t *reason)
{
    if (s_exec_kept (db, "BEGIN IMMEDIATE", reason) != 0)
        return -1;
    s_health_mark (db);
    return 0;
}

int
store_commit (sqlite3 *db, kt_reason_t *reason)
{
    if (s_exec_kept (db, "COMMIT", reason) != 0)
        return -1;
    s_health_clear (db);
    return 0;
}

/*  The commit or log sync on the helper thread (store_commit_start,
 *  store_sync_start): one thread, made at the first such commit and kept
 *  (a thread made per commit costs more than the overlap gains), stopped
 *  at exit. */
static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pthread_t thread;
    bool started, quit, done;
    bool holding; /* the thread holds a shared connection's mutex (store_open_shared) */
    sqlite3 *db;  /* the commit asked for, until store_commit_wait */
    /*  store_sync_start's: the committed write-ahead log to make durable
     *  (db's), instead of a COMMIT to run; NULL for a COMMIT. */
    sqlite3_file *log;
    /*  own_fd: the log is synced through a copy (log_fd, the thread's
     *  until it closes it) of its own descriptor (store_vfs_log_fd),
     *  without the connection's mutex; else through its methods, under
     *  it. */
    bool own_fd;
    int log_fd;
    int rc;
    int ended_fd; /* store_commit_fd, -1 until asked for */
} s_async = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER, .ended_fd = -1};

/*  The helper's work ended with rc: told to store_commit_wait and, by
 *  its event, to the loop.  With s_async.lock held. */
static void
s_async_ended (int rc)
{
    s_async.rc = rc;
    s_async.done = true;
    pthread_cond_broadcast (&s_async.cond);
    if (s_async.ended_fd >= 0) {
        uint64_t one = 1;
        /*  A full counter (never, in practice) is readable already. */
        ssize_t written = write (s_async.ended_fd, &one, sizeof one);
        (void) written;
    }
}

/*  db's committed write-ahead log made durable through a descriptor of
 *  its own (fd, closed here), without the connection's mutex, so that the
 *  loop goes on using the connection meanwhile (docs/ARCHITECTURE.md,
 *  crash reasoning rule 19).  fdatasync on any descriptor of the file
 *  writes the file's dirty pages, whoever wrote them; what the loop
 *  commits without waiting meanwhile is behind the synced commit in the
 *  log, and a crash keeps a prefix of the log.  Every other sync of the
 *  log waits for this one and fails with it until the heal
 *  (s_sync_gate).  On failure only the checkpoint thread is held off
 *  here, at once (s_sync_failed says why); the loop, told by the event,
 *  heals the log before it starts another sync. */
static int
s_log_fd_sync (sqlite3 *db, int fd)
{
    int rc = fdatasync (fd) == 0 ? SQLITE_OK : SQLITE_IOERR_FSYNC;
    close (fd);
    if (rc != SQLITE_OK)
        store_wal_hold (db);
    return rc;
}

/*  Every other sync of a log whose group is being synced through its own
 *  descriptor (s_log_fd_sync) waits for that sync, and fails with it
 *  until the loop has healed the log (store_commit_wait, s_sync_failed):
 *  so no commit of the loop's that waits for the disk can succeed after
 *  the group's sync failed (on the loop's descriptor the kernel reports
 *  a write-back error only to the first sync after it: a second would
 *  succeed with the group's pages on disk nowhere), and no sync of the
 *  loop's can take the error's report first where the kernel keeps it
 *  once for all descriptors.  Only syncs wait here (a commit's that waits
 *  for the disk, or the rare sync of the log's header when it starts
 *  again); reads and the commits that do not wait go on.  Lock order: the
 *  caller holds its connection's mutex and takes s_async.lock; the helper
 *  thread never takes a connection's mutex while it holds s_async.lock
 *  unless the loop is kept out of that connection until it holds it
 *  (s_async_start), and never for a log synced on its own descriptor. */
static int
s_sync_gate (sqlite3_file *log)
{
    pthread_mutex_lock (&s_async.lock);
    bool ours = s_async.log == log && s_async.own_fd;
    while (ours && !s_async.done)
        pthread_cond_wait (&s_async.cond, &s_async.lock);
    int rc = ours ? s_async.rc : SQLITE_OK;
    pthread_mutex_unlock (&s_async.lock);
    return rc;
}

static void *
s_async_loop (void *arg)
{
    (void) arg;
    pthread_mutex_lock (&s_async.lock);
    for (;;) {
        while (!s_async.quit && !(s_async.db && !s_async.done))
            pthread_cond_wait (&s_async.cond, &s_async.lock);
        if (s_async.quit)
            break;
        sqlite3 *db = s_async.db;
        sqlite3_file *log = s_async.log;
        if (log && s_async.own_fd) {
            int fd = s_async.log_fd;
            s_async.log_fd = -1;
            pthread_mutex_unlock (&s_async.lock);
            int rc = s_log_fd_sync (db, fd);
            pthread_mutex_lock (&s_async.lock);
            s_async_ended (rc);
            continue;
        }
        /*  A shared connection is this thread's from before
         *  store_commit_start returns until the COMMIT has ended, and a
         *  failed one is rolled back before the loop may use it again: a
         *  statement of the loop's must never land inside (or change the
         *  synchronous setting of) the transaction being committed.  NULL,
         *  a no-op, for a connection of one thread. */
        sqlite3_mutex *m = sqlite3_db_mutex (db);
        sqlite3_mutex_enter (m);
        s_async.holding = true;
        pthread_cond_broadcast (&s_async.cond);
        pthread_mutex_unlock (&s_async.lock);
        /*  sqlite3_exec, not the kept statements: those belong to the
         *  loop's thread.  A log to sync (store_sync_start): through its
         *  own file's methods, as SQLite's COMMIT syncs it, under the
         *  connection's mutex. */
        int rc = log ? log->pMethods->xSync (log, SQLITE_SYNC_NORMAL)
                     : sqlite3_exec (db, "COMMIT", NULL, NULL, NULL);
        if (!log && rc != SQLITE_OK && m && !sqlite3_get_autocommit (db))
            (void) sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
        /*  A failed sync: no statement of the loop's may commit after the
         *  unconfirmed frames before s_sync_failed has looked at them, and
         *  the checkpoint thread is held off from here on (s_sync_failed
         *  says why), not only from when the loop gets to wait. */
        if (log && rc != SQLITE_OK) {
            (void) sqlite3_exec (db, "PRAGMA query_only=1", NULL, NULL, NULL);
            store_wal_hold (db);
        }
        sqlite3_mutex_leave (m);
        pthread_mutex_lock (&s_async.lock);
        s_async.holding = false;
        s_async_ended (rc);
    }
    pthread_mutex_unlock (&s_async.lock);
    return NULL;
}

__attribute__ ((destructor)) static void
s_async_stop (void)
{
    pthread_mutex_lock (&s_async.lock);
    bool started = s_async.started;
    s_async.quit = true;
    pthread_cond_broadcast (&s_async.cond);
    pthread_mutex_unlock (&s_async.lock);
    if (started)
        pthread_join (s_async.thread, NULL);
    if (s_async.ended_fd >= 0)
        close (s_async.ended_fd);
    s_async.ended_fd = -1;
}

int
store_commit_fd (kt_reason_t *reason)
{
    pthread_mutex_lock (&s_async.lock);
    if (s_async.ended_fd < 0)
        s_async.ended_fd = eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC);
    int fd = s_async.ended_fd;
    pthread_mutex_unlock (&s_async.lock);
    if (fd < 0)
        kt_fail (reason, "cannot make the commit thread's event: %s", strerror (errno));
    return fd;
}

bool
store_commit_ended (sqlite3 *db)
{
    pthread_mutex_lock (&s_async.lock);
    bool ended = s_async.db == db && s_async.done;
    pthread_mutex_unlock (&s_async.lock);
    return ended;
}

/*  db's COMMIT (log NULL) or the sync of its committed log handed to
 *  the helper thread. */
static int
s_async_start (sqlite3 *db, sqlite3_file *log, kt_reason_t *reason)
{
    pthread_mutex_lock (&s_async.lock);
    int err = 0;
    if (s_async.db)
        err = EBUSY;
    else if (!s_async.started &&
             (err = pthread_create (&s_async.thread, NULL, s_async_loop, NULL)) == 0)
        s_async.started = true;
    if (err == 0) {
        s_async.db = db;
        s_async.log = log;
        /*  A copy the thread owns: the log's own stays the log's. */
        int fd = log ? store_vfs_log_fd (log) : -1;
        s_async.log_fd = fd >= 0 ? fcntl (fd, F_DUPFD_CLOEXEC, 0) : -1;
        s_async.own_fd = s_async.log_fd >= 0;
        if (s_async.own_fd)
            store_vfs_sync_gate (s_sync_gate);
        s_async.done = false;
        pthread_cond_broadcast (&s_async.cond);
        /*  A shared connection: not back to the loop before the thread
         *  holds it, so that nothing of the loop's lands in the
         *  transaction being committed, or (a log sync) runs between a
         *  failed sync and its query_only.  A log synced through its own
         *  descriptor takes nothing of the connection: back at once. */
        while (sqlite3_db_mutex (db) && !s_async.own_fd && !s_async.holding && !s_async.done)
            pthread_cond_wait (&s_async.cond, &s_async.lock);
    }
    bool own_fd = s_async.own_fd;
    pthread_mutex_unlock (&s_async.lock);
    if (err != 0)
        return kt_fail (reason, "database error: the commit cannot start: %s", strerror (err));
    /*  The thread uses the connection itself: none of its statements
     *  finalized meanwhile. */
    if (!own_fd)
        s_committing = db;
    return 0;
}

int
store_commit_start (sqlite3 *db, kt_reason_t *reason)
{
    return s_async_start (db, NULL, reason);
}

/*  db back to commits that wait for the disk (after store_sync's
 *  false); false, logged, when that failed. */
static bool
s_sync_restored (sqlite3 *db, kt_reason_t *why)
{
    if (store_sync (db, true, why) == 0)
        return true;
    /*  Never leave a file that should wait for the disk not waiting. */
    kt_log (KT_LOG_ERROR, "store synchronous_restore_failed reason=\"%s\"", why->text);
    return false;
}

int
store_begin_written (sqlite3 *db, kt_reason_t *reason)
{
    /*  Set outside the transaction: SQLite refuses it inside. */
    if (store_sync (db, false, reason) != 0)
        return -1;
    if (store_begin (db, reason) == 0) {
        store_wal_beside (db, true);
        return 0;
    }
    kt_reason_t why;
    (void) s_sync_restored (db, &why);
    return -1;
}

void
store_rollback_written (sqlite3 *db)
{
    store_rollback (db);
    store_wal_beside (db, false);
    kt_reason_t why;
    (void) s_sync_restored (db, &why);
}

int
store_commit_written (sqlite3 *db, kt_reason_t *reason)
{
    if (store_commit (db, reason) != 0) {
        store_rollback_written (db);
        return -1;
    }
    /*  A commit made is kept even if the setting is not restored: the
     *  caller's store_sync_start makes it durable all the same. */
    kt_reason_t why;
    (void) s_sync_restored (db, &why);
    return 0;
}

/*  db's write-ahead log file (in WAL mode the pager's journal file), or
 *  NULL while none is open. */
static sqlite3_file *
s_log_file (sqlite3 *db)
{
    sqlite3_file *log = NULL;
    if (sqlite3_file_control (db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &log) != SQLITE_OK ||
        !log || !log->pMethods)
        return NULL;
    return log;
}

bool
store_syncs_beside (sqlite3 *db)
{
    if (!sqlite3_db_mutex (db))
        return false;
    sqlite3_stmt *q = NULL;
    bool wal = sqlite3_prepare_v2 (db, "PRAGMA journal_mode", -1, &q, NULL) == SQLITE_OK &&
               sqlite3_step (q) == SQLITE_ROW && strcasecmp (store_text (q, 0), "wal") == 0;
    sqlite3_finalize (q);
    return wal;
}

int
store_sync_start (sqlite3 *db, kt_reason_t *reason)
{
    sqlite3_file *log = sqlite3_db_mutex (db) ? s_log_file (db) : NULL;
    if (!log) {
        store_wal_beside (db, false);
        return kt_fail (reason, "database error: the file has no log to sync beside the loop");
    }
    kt_reason_t why;
    if (s_async_start (db, log, &why) == 0)
        return 0;
    /*  The thread cannot take it (not made, or busy): synced here, under
     *  the connection's mutex as there. */
    sqlite3_mutex *m = sqlite3_db_mutex (db);
    sqlite3_mutex_enter (m);
    int rc = log->pMethods->xSync (log, SQLITE_SYNC_NORMAL);
    sqlite3_mutex_leave (m);
    store_wal_beside (db, false);
    if (rc != SQLITE_OK)
        return s_sync_failed (db, rc, false, reason) == 0 ? 1 : -1;
    s_health_clear (db);
    return 1;
}

/*  Every byte of db's write-ahead log read through the log file's own
 *  methods and written back, then the log synced again.  After a failed
 *  sync the kernel holds pages it could not write marked clean: a sync
 *  would return success without them.  Written anew they are dirty
 *  again, so this sync's success is real, and with it every commit in
 *  the log is durable, the failed one and any chained after it.  (A
 *  checkpoint instead would sync the log falsely first and then copy
 *  pages that are on disk nowhere into the file: a power failure
 *  during the copy would leave the file torn.)  Under the connection's
 *  mutex; 0, or an SQLite code. */
static int
s_log_rewrite (sqlite3 *db)
{
    sqlite3_file *log = s_log_file (db);
    if (!log)
        return SQLITE_OK; /* no log open: nothing in it */
    sqlite3_mutex *m = sqlite3_db_mutex (db);
    sqlite3_mutex_enter (m);
    sqlite3_int64 size = 0;
    enum { CHUNK = 64 * 1024 };
    uint8_t *buf = malloc (CHUNK);
    /*  A failed sync on the log's own descriptor (store_vfs_log_fd, the
     *  helper thread's) leaves the error to be told once more on this
     *  one: told here, before the rewrite makes every page of the log
     *  dirty again, so that the sync after it answers for the rewrite
     *  alone and a healed sync is not taken for a second failure. */
    if (buf && store_vfs_log_fd (log) >= 0)
        (void) log->pMethods->xSync (log, SQLITE_SYNC_NORMAL);
    int rc = buf ? log->pMethods->xFileSize (log, &size) : SQLITE_NOMEM;
    for (sqlite3_int64 at = 0; rc == SQLITE_OK && at < size; at += CHUNK) {
        int n = (int) (size - at < CHUNK ? size - at : CHUNK);
        rc = log->pMethods->xRead (log, buf, n, at);
        if (rc == SQLITE_OK)
            rc = log->pMethods->xWrite (log, buf, n, at);
    }
    if (rc == SQLITE_OK)
        rc = log->pMethods->xSync (log, SQLITE_SYNC_NORMAL);
    sqlite3_mutex_leave (m);
    free (buf);
    return rc;
}

int
store_log_rewrite (sqlite3 *db, kt_reason_t *reason)
{
    /*  A read opens the log if the connection has not yet. */
    (void) store_int (db, "SELECT count(*) FROM sqlite_master", 0);
    int rc = s_log_rewrite (db);
    return rc == SQLITE_OK
               ? 0
               : kt_fail (reason, "database error: the write-ahead log: %s", sqlite3_errstr (rc));
}

/*  The sync of db's committed log failed (rc); the file takes no writes
 *  from here on (query_only; set where the sync failed already when that
 *  was under the connection's mutex).  Healed by s_log_rewrite: then the
 *  commit is durable after all and the file takes writes again (0;
 *  storage_failing until the next good commit).  Otherwise the file
 *  takes no more writes in this run and is not checkpointed at its close
 *  (a checkpoint would copy pages that may be on disk nowhere),
 *  storage_failing stays with the disk's error until the process ends,
 *  and -1; the next start rewrites the log before anything else
 *  (store_log_rewrite, node_new). */
static int
s_sync_failed (sqlite3 *db, int rc, bool held, kt_reason_t *reason)
{
    store_health_note (db, rc);
    /*  The checkpoint thread held off (held: by the helper thread that
     *  met the failure): its connection's descriptor may have been opened
     *  after the error was first reported, and Linux does not tell such a
     *  descriptor; its sync of the log would succeed falsely before it
     *  copied pages that are on disk nowhere.  Released once healed; kept
     *  unhealed, until the file is closed. */
    if (!held)
        store_wal_hold (db);
    kt_reason_t why = {""};
    if (store_exec (db, "PRAGMA query_only=1", &why) != 0)
        kt_log (KT_LOG_ERROR, "store query_only_failed reason=\"%s\"", why.text);
    int again = s_log_rewrite (db);
    if (again == SQLITE_OK && store_exec (db, "PRAGMA query_only=0", &why) == 0) {
        store_wal_release (db);
        kt_log (KT_LOG_ERROR,
                "store sync_failed reason=\"%s\": healed, the log written and synced anew",
                sqlite3_errstr (rc));
        return 0;
    }
    s_health_stick (db);
    (void) sqlite3_db_config (db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
    kt_log (KT_LOG_ERROR,
            "store sync_failed reason=\"%s\" heal=\"%s\": the file takes no writes until the "
            "node is restarted",
            sqlite3_errstr (rc), again != SQLITE_OK ? sqlite3_errstr (again) : why.text);
    return kt_fail (reason, "database error: %s", sqlite3_errstr (rc));
}

int
store_commit_wait (sqlite3 *db, kt_reason_t *reason)
{
    pthread_mutex_lock (&s_async.lock);
    bool ours = s_async.db == db;
    while (ours && !s_async.done)
        pthread_cond_wait (&s_async.cond, &s_async.lock);
    int rc = s_async.rc;
    bool synced = s_async.log != NULL;
    if (ours) {
        s_async.db = NULL;
        s_async.log = NULL;
        s_async.own_fd = false;
    }
    pthread_mutex_unlock (&s_async.lock);
    if (ours) {
        s_committing = NULL;
        store_wal_beside (db, false);
    }
    if (!ours)
        return kt_fail (reason, "database error: no commit is running on this file");
    if (rc != SQLITE_OK && synced)
        return s_sync_failed (db, rc, true, reason);
    if (rc != SQLITE_OK) {
        store_health_note (db, rc);
        return kt_fail (reason, "database error: %s", sqlite3_errstr (rc));
    }
    s_health_clear (db);
    return 0;
}

void
store_rollback (sqlite3 *db)
{
    kt_reason_t ignored;
    if (!sqlite3_get_autocommit (db))
        (void) s_exec_kept (db, "ROLLBACK", &ignored);
    s_health_mark (db);
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
    cached_stmt_t *slot;
    int64_t value = fallback;
    int rc;
    sqlite3_stmt *stmt = s_take (db, sql, &slot, &rc);
    if (stmt && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
        value = sqlite3_column_int64 (stmt, 0);
    else if (rc != SQLITE_DONE)
        kt_log (KT_LOG_ERROR, "store query_failed error=\"%s\"", sqlite3_errmsg (db));
    if (stmt)
        s_give (stmt, slot);
    return value;
}

int
store_bind_values (sqlite3_stmt *stmt, void *arg, kt_reason_t *reason)
{
    const store_value_t *v = arg;
    size_t n = 0;
    while (v && v[n].type)
        n++;
    return store_bind_n (stmt, v, n, reason);
}

int
store_bind_n (sqlite3_stmt *stmt, const store_value_t *v, size_t n, kt_reason_t *reason)
{
    for (int i = 1; (size_t) i <= n; v++, i++) {
        int rc;
        switch (v->type) {
        case SQLITE_INTEGER:
            rc = sqlite3_bind_int64 (stmt, i, (sqlite3_int64) v->num);
            break;
        case SQLITE_TEXT:
            rc = v->ptr ? sqlite3_bind_text (stmt, i, v->ptr, v->num ? (int) v->len : -1,
                                             SQLITE_STATIC)
                        : sqlite3_bind_null (stmt, i);
            break;
        case SQLITE_BLOB:
            rc = sqlite3_bind_blob (stmt, i, v->ptr, (int) v->len, SQLITE_STATIC);
            break;
        default:
            rc = sqlite3_bind_null (stmt, i);
        }
        if (rc != SQLITE_OK)
            return kt_fail (reason, "parameter %d: %s", i, sqlite3_errstr (rc));
    }
    return 0;
}

int
store_each_stmt (sqlite3_stmt *stmt, store_bind_fn *bind, void *bind_arg, store_row_fn *row,
                 void *row_arg, const char *what, kt_reason_t *reason)
{
    sqlite3 *db = sqlite3_db_handle (stmt);
    sqlite3_reset (stmt);
    sqlite3_clear_bindings (stmt);
    kt_reason_t why = {""};
    int rc = bind ? bind (stmt, bind_arg, &why) : 0;
    if (rc != 0)
        kt_fail (reason, "cannot %s: %s", what, why.text);
    int step = SQLITE_DONE;
    while (rc == 0 && (step = sqlite3_step (stmt)) == SQLITE_ROW) {
        int taken = row ? row (stmt, row_arg, reason) : 0;
        if (taken < 0)
            rc = -1;
        else if (taken > 0)
            break;
    }
    /*  A write that went through outside a transaction (autocommit) is
     *  as good news as a commit. */
    if (rc == 0 && step == SQLITE_DONE && !sqlite3_stmt_readonly (stmt) &&
        sqlite3_get_autocommit (db))
        s_health_clear (db);
    if (rc == 0 && step != SQLITE_ROW && step != SQLITE_DONE) {
        store_health_note (db, step);
        rc = kt_fail (reason, "cannot %s: %s", what, sqlite3_errmsg (db));
    }
    sqlite3_reset (stmt);
    return rc;
}

int
store_each (sqlite3 *db, const char *sql, store_bind_fn *bind, void *bind_arg, store_row_fn *row,
            void *row_arg, const char *what, kt_reason_t *reason)
{
    cached_stmt_t *slot;
    int rc;
    sqlite3_stmt *stmt = s_take (db, sql, &slot, &rc);
    if (!stmt) {
        store_health_note (db, rc);
        return kt_fail (reason, "cannot %s: %s", what, sqlite3_errmsg (db));
    }
    rc = store_each_stmt (stmt, bind, bind_arg, row, row_arg, what, reason);
    s_give (stmt, slot);
    return rc;
}

/*  Row taker of store_one: count the row, hand it on. */
typedef struct {
    store_row_fn *row;
    void *arg;
    bool found;
} one_t;

static int
s_one_row (sqlite3_stmt *row, void *arg, kt_reason_t *reason)
{
    one_t *one = arg;
    one->found = true;
    if (one->row && one->row (row, one->arg, reason) < 0)
        return -1;
    return 1;
}

int
store_one (sqlite3 *db, const char *sql, const store_value_t *values, store_row_fn *row,
           void *row_arg, const char *what, kt_reason_t *reason)
{
    one_t one = {row, row_arg, false};
    if (store_each (db, sql, store_bind_values, (void *) values, s_one_row, &one, what, reason) !=
        0)
        return -1;
    return one.found ? 1 : 0;
}

int
store_has_table (sqlite3 *db, const char *name, kt_reason_t *reason)
{
    return store_one (db, "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?",
                      STORE_VALUES (STORE_TEXT (name)), NULL, NULL, "look for a table", reason);
}

int
store_run (sqlite3 *db, const char *sql, const store_value_t *values, const char *what,
           kt_reason_t *reason)
{
    if (store_each (db, sql, store_bind_values, (void *) values, NULL, NULL, what, reason) != 0)
        return -1;
    return sqlite3_changes (db);
}

int
store_run_all (sqlite3 *db, const char *const *sql, size_t n, const store_value_t *values,
               const char *what, kt_reason_t *reason)
{
    for (size_t i = 0; i < n; i++)
        if (store_run (db, sql[i], values, what, reason) < 0)
            return -1;
    return 0;
}

int
store_sync (sqlite3 *db, bool wait, kt_reason_t *reason)
{
    /*  synchronous=NORMAL in WAL mode: a commit does not wait for the
     *  disk; its frames become durable with the next commit on this file
     *  that does (FULL), at a checkpoint, or with store_sync_start.  A
     *  file opened through store_vfs is told so directly: the PRAGMA is
     *  parsed anew at each change, two per transaction that does not
     *  wait (issue #17: 5-6 µs each).  Which way is used depends only on
     *  the database file, so a setting is always undone the way it was
     *  made. */
    sqlite3_file *file = NULL;
    if (sqlite3_file_control (db, "main", SQLITE_FCNTL_FILE_POINTER, &file) == SQLITE_OK &&
        store_vfs_lazy (file, !wait) == 0)
        return 0;
    return store_exec (db, wait ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL", reason);
}

bool
store_commits_wait (sqlite3 *db)
{
    sqlite3_file *file = NULL;
    int lazy = sqlite3_file_control (db, "main", SQLITE_FCNTL_FILE_POINTER, &file) == SQLITE_OK
                   ? store_vfs_is_lazy (file)
                   : -1;
    if (lazy >= 0)
        return !lazy;
    /*  Not cached: the PRAGMA's value is read when it is prepared. */
    sqlite3_stmt *q = NULL;
    bool full = sqlite3_prepare_v2 (db, "PRAGMA synchronous", -1, &q, NULL) == SQLITE_OK &&
                sqlite3_step (q) == SQLITE_ROW && sqlite3_column_int (q, 0) >= 2;
    sqlite3_finalize (q);
    return full;
}

int
store_run_cached (sqlite3 *db, const char *sql, const store_value_t *values, const char *what,
                  kt_reason_t *reason)
{
    if (store_sync (db, false, reason) != 0)
        return -1;
    int rc = store_run (db, sql, values, what, reason);
    kt_reason_t why;
    if (!s_sync_restored (db, &why))
        return kt_fail (reason, "%s", why.text);
    return rc;
}

int
store_run_stmt (sqlite3_stmt *stmt, const store_value_t *values, const char *what,
                kt_reason_t *reason)
{
    if (store_each_stmt (stmt, store_bind_values, (void *) values, NULL, NULL, what, reason) != 0)
        return -1;
    return sqlite3_changes (sqlite3_db_handle (stmt));
}

const char *
store_text (sqlite3_stmt *row, int col)
{
    const char *text = (const char *) sqlite3_column_text (row, col);
    return text ? text : "";
}

bool
store_blob_is (sqlite3_stmt *row, int col, size_t len)
{
    return sqlite3_column_type (row, col) == SQLITE_BLOB &&
           (size_t) sqlite3_column_bytes (row, col) == len;
}

void
store_join (char *buf, size_t len, const char *const *items, size_t n)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && o < len; i++)
        o += (size_t) snprintf (buf + o, len - o, "%s%s", i ? "," : "", items[i]);
}

typedef struct {
    store_text_fn *fn;
    void *arg;
} text_visit_t;

static int
s_text_row (sqlite3_stmt *row, void *arg, kt_reason_t *reason)
{
    text_visit_t *v = arg;
    return v->fn (v->arg, store_text (row, 0), reason);
}

int
store_each_text (sqlite3 *db, const char *sql, const store_value_t *values, store_text_fn *fn,
                 void *arg, const char *what, kt_reason_t *reason)
{
    text_visit_t v = {fn, arg};
    return store_each (db, sql, store_bind_values, (void *) values, s_text_row, &v, what, reason);
}

static int
s_checkpoint_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    *(bool *) arg = sqlite3_column_int (q, 0) != 0;
    return 0;
}

int
store_wal_truncate (sqlite3 *db, bool *busy, const char *what, kt_reason_t *reason)
{
    bool held_off = false;
    store_wal_hold (db);
    int rc = store_one (db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, s_checkpoint_row, &held_off,
                        what, reason);
    store_wal_release (db);
    if (busy)
        *busy = held_off;
    return rc < 0 ? -1 : 0;
}

int
store_checkpoint (sqlite3 *db, const char *what, kt_reason_t *reason)
{
    /*  Without waiting for readers: the event loop must not stand still
     *  for the busy timeout; the caller tries again later.  It does wait
     *  for a checkpoint the checkpoint thread is running on the file
     *  (store_wal_truncate): one checkpoint's copy, as long as SQLite's own
     *  used to hold up a commit on the loop, where telling the caller to
     *  try again later would postpone a destruction to the next run. */
    int64_t timeout = store_int (db, "PRAGMA busy_timeout", STORE_BUSY_TIMEOUT_MS);
    sqlite3_busy_timeout (db, 0);
    bool busy = false;
    int rc = store_wal_truncate (db, &busy, "checkpoint the write-ahead log", reason);
    sqlite3_busy_timeout (db, (int) timeout);
    if (rc < 0)
        return -1;
    if (busy)
        return kt_fail (reason, "the write-ahead log of %s is held by a reader; tried again later",
                        what);
    return 0;
}
