/*  store_wal: the write-ahead logs of the files store_open opened,
 *  checkpointed on a thread of their own (docs/PERFORMANCE.md,
 *  "2026-12-05, second session").
 *
 *  SQLite's own automatic checkpoint runs inside the COMMIT that takes
 *  the log past 1,000 pages, on the thread that commits: the node's loop
 *  copied the pages into the file and waited for its fdatasync, a few
 *  milliseconds every few dozen commits, while nothing else was handled.
 *  Here the commit only asks, and this thread runs a PASSIVE checkpoint
 *  on a connection of its own.  PASSIVE never waits for a lock and never
 *  stops a reader or a writer; the log starts again from its beginning at
 *  the first commit after a checkpoint that copied all of it.
 *
 *  Crash reasoning: a checkpoint first syncs the log (this thread's
 *  connection waits for the disk), so the pages it copies are durable in
 *  the log, also those of a commit whose sync still runs beside the loop
 *  (store_sync_start); what it does or leaves undone changes nothing a
 *  commit has promised, and after a crash SQLite replays the log as it
 *  always does.
 *
 *  A checkpoint that must finish (store_checkpoint and every TRUNCATE that
 *  makes deleted pages go from the log) would find this thread's
 *  checkpoint in its way and not run at all: it holds the file here first
 *  (store_wal_hold), which waits for a running one and keeps new ones off
 *  until store_wal_release. */
#include "store_wal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/*  A log this long has not started again for a while: commits kept
 *  coming while the thread copied, so that no commit found it all copied
 *  (the log only starts again at a commit that does).  Then the
 *  committing thread checkpoints too, right after its commit, when no
 *  other writer can add to the log. */
#define STORE_WAL_BEHIND (10 * STORE_WAL_PAGES)
#define STORE_WAL_FILES 64

typedef struct {
    sqlite3 *db; /* the loop's connection: the key */
    char *path;
    sqlite3 *own; /* this thread's connection, opened at its first checkpoint */
    bool queued;  /* asked for and not run yet */
    int held;     /* store_wal_hold calls not released */
    bool beside;  /* store_wal_beside: a commit's sync runs or is to run beside the loop */
    int last_rc;  /* the last checkpoint's outcome, logged when it changes */
} wal_file_t;

static struct {
    pthread_mutex_t lock;
    pthread_cond_t work, idle;
    pthread_t thread;
    bool started, quit;
    int running; /* index of the file being checkpointed, or -1 */
    wal_file_t files[STORE_WAL_FILES];
} s_wal = {.lock = PTHREAD_MUTEX_INITIALIZER,
           .work = PTHREAD_COND_INITIALIZER,
           .idle = PTHREAD_COND_INITIALIZER,
           .running = -1};

/*  The slot of db (NULL: a free one), or -1. */
static int
s_slot (sqlite3 *db)
{
    for (int i = 0; i < STORE_WAL_FILES; i++)
        if (s_wal.files[i].db == db)
            return i;
    return -1;
}

static int
s_find (sqlite3 *db)
{
    return db ? s_slot (db) : -1;
}

static int
s_next (void)
{
    for (int i = 0; i < STORE_WAL_FILES; i++)
        if (s_wal.files[i].db && s_wal.files[i].queued && !s_wal.files[i].held)
            return i;
    return -1;
}

/*  One PASSIVE checkpoint of f, on this thread's connection. */
static int
s_checkpoint (wal_file_t *f)
{
    if (!f->own) {
        int rc = sqlite3_open_v2 (
            f->path, &f->own, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW,
            NULL);
        /*  synchronous=FULL as the loop's connection: the copied pages
         *  are on disk before the log may start again. */
        if (rc == SQLITE_OK)
            rc = sqlite3_exec (f->own, "PRAGMA synchronous=FULL", NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
            sqlite3_close_v2 (f->own);
            f->own = NULL;
            return rc;
        }
    }
    return sqlite3_wal_checkpoint_v2 (f->own, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
}

static void *
s_loop (void *arg)
{
    (void) arg;
    pthread_mutex_lock (&s_wal.lock);
    for (;;) {
        int i;
        while (!s_wal.quit && (i = s_next ()) < 0)
            pthread_cond_wait (&s_wal.work, &s_wal.lock);
        if (s_wal.quit)
            break;
        wal_file_t *f = &s_wal.files[i];
        f->queued = false;
        s_wal.running = i;
        pthread_mutex_unlock (&s_wal.lock);
        int rc = s_checkpoint (f);
        /*  SQLITE_BUSY: another checkpoint (an operator's sqlite3) runs;
         *  the next commit asks again. */
        if (rc != SQLITE_OK && rc != SQLITE_BUSY && rc != f->last_rc)
            kt_log (KT_LOG_WARN, "store wal_checkpoint_failed file=%s reason=\"%s\"", f->path,
                    sqlite3_errstr (rc));
        f->last_rc = rc;
        pthread_mutex_lock (&s_wal.lock);
        s_wal.running = -1;
        pthread_cond_broadcast (&s_wal.idle);
    }
    pthread_mutex_unlock (&s_wal.lock);
    return NULL;
}

__attribute__ ((destructor)) static void
s_stop (void)
{
    pthread_mutex_lock (&s_wal.lock);
    bool started = s_wal.started;
    s_wal.quit = true;
    pthread_cond_broadcast (&s_wal.work);
    pthread_mutex_unlock (&s_wal.lock);
    if (started)
        pthread_join (s_wal.thread, NULL);
    /*  Under the lock: a commit may still end on store.c's helper thread
     *  and call s_hook. */
    pthread_mutex_lock (&s_wal.lock);
    for (int i = 0; i < STORE_WAL_FILES; i++) {
        sqlite3_close_v2 (s_wal.files[i].own);
        free (s_wal.files[i].path);
        s_wal.files[i] = (wal_file_t){0};
    }
    pthread_mutex_unlock (&s_wal.lock);
}

/*  Called by SQLite after each commit, on the thread that committed. */
static int
s_hook (void *arg, sqlite3 *db, const char *name, int pages)
{
    (void) arg;
    (void) name;
    if (pages < STORE_WAL_PAGES)
        return SQLITE_OK;
    pthread_mutex_lock (&s_wal.lock);
    int i = s_wal.quit ? -1 : s_find (db);
    /*  No thread (it could not be made; tried again at the next commit),
     *  or the log far behind: this thread checkpoints as well, as SQLite
     *  itself would have. */
    bool here = i >= 0 && pages >= STORE_WAL_BEHIND && !s_wal.files[i].beside;
    if (i >= 0 && !s_wal.started && pthread_create (&s_wal.thread, NULL, s_loop, NULL) == 0)
        s_wal.started = true;
    if (i >= 0 && !s_wal.started && !s_wal.files[i].beside)
        here = true;
    else if (i >= 0 && !s_wal.files[i].queued) {
        s_wal.files[i].queued = true;
        pthread_cond_broadcast (&s_wal.work);
    }
    pthread_mutex_unlock (&s_wal.lock);
    /*  SQLITE_BUSY when the thread's checkpoint runs: the next commit
     *  tries again. */
    if (here)
        (void) sqlite3_wal_checkpoint_v2 (db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    return SQLITE_OK;
}

void
store_wal_watch (sqlite3 *db)
{
    const char *path = sqlite3_db_filename (db, "main");
    char *copy = path && *path ? strdup (path) : NULL;
    pthread_mutex_lock (&s_wal.lock);
    int i = copy ? s_slot (NULL) : -1;
    if (i >= 0) {
        s_wal.files[i] = (wal_file_t){.db = db, .path = copy};
        copy = NULL;
    }
    pthread_mutex_unlock (&s_wal.lock);
    /*  Outside the lock: s_hook takes it while SQLite holds the
     *  connection's mutex, and sqlite3_wal_hook takes that one. */
    if (i >= 0)
        sqlite3_wal_hook (db, s_hook, NULL);
    /*  No room (or an in-memory file): SQLite's automatic checkpoint,
     *  on the committing thread, as before. */
    free (copy);
}

/*  Wait until f is not being checkpointed; with the lock held. */
static void
s_wait_idle (int i)
{
    while (s_wal.running == i)
        pthread_cond_wait (&s_wal.idle, &s_wal.lock);
}

void
store_wal_unwatch (sqlite3 *db)
{
    pthread_mutex_lock (&s_wal.lock);
    int i = s_find (db);
    wal_file_t f = {0};
    if (i >= 0) {
        s_wal.files[i].held++;
        s_wait_idle (i);
        f = s_wal.files[i];
        s_wal.files[i] = (wal_file_t){0};
    }
    pthread_mutex_unlock (&s_wal.lock);
    if (i >= 0)
        sqlite3_wal_hook (db, NULL, NULL);
    sqlite3_close_v2 (f.own);
    free (f.path);
}

void
store_wal_hold (sqlite3 *db)
{
    pthread_mutex_lock (&s_wal.lock);
    int i = s_find (db);
    if (i >= 0) {
        s_wal.files[i].held++;
        s_wait_idle (i);
    }
    pthread_mutex_unlock (&s_wal.lock);
}

void
store_wal_beside (sqlite3 *db, bool on)
{
    pthread_mutex_lock (&s_wal.lock);
    int i = s_find (db);
    if (i >= 0)
        s_wal.files[i].beside = on;
    pthread_mutex_unlock (&s_wal.lock);
}

void
store_wal_release (sqlite3 *db)
{
    pthread_mutex_lock (&s_wal.lock);
    int i = s_find (db);
    if (i >= 0 && s_wal.files[i].held > 0 && --s_wal.files[i].held == 0 && s_wal.files[i].queued)
        pthread_cond_broadcast (&s_wal.work);
    pthread_mutex_unlock (&s_wal.lock);
}
