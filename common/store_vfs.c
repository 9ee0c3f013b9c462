/*  store_vfs: SQLite's own file layer ("unix"), with the frames of a
 *  commit's write-ahead log handed to the kernel in two writes instead of
 *  two per page, and a commit whose sync failed made void in the log.
 *
 *  SQLite writes each frame of a write-ahead log with two pwrite calls,
 *  its 24-byte header and then its page: a commit of seven pages makes
 *  fourteen system calls.  On the machines keten is measured on, a call
 *  that first writes into a clean page of the log (as they are after a
 *  sync) costs about 3 µs, and one of 28 KiB about 8 µs (docs/
 *  PERFORMANCE.md, "2026-12-06, sixth session").  Here a commit's frames
 *  are held in memory as they come and written in one call with the
 *  commit frame's header, then the commit frame's page in a second.
 *
 *  What is held, and when it goes out.  Only a log's frames that are not
 *  a commit's last are held: a 24-byte frame header at a frame's place
 *  whose commit field (bytes 4-7, the file's size in pages after a
 *  commit, 0 in every other frame) is 0, and the page right after it.
 *  Any other write - the commit frame's header, a frame rewritten in
 *  place, the log's own header, a header from SQLite's rewrite of a
 *  transaction's checksums - is written at once, together with the held
 *  run when it continues it (one call) or after it.  So when SQLite has
 *  written a commit's last header, the commit's frames are all in the
 *  file: before SQLite syncs the log (synchronous=FULL), before it
 *  publishes the commit to other connections in the shared index (either
 *  setting), and within the xWrite whose error SQLite sees, so a failed
 *  write fails the commit as it always did.  At most STORE_VFS_HELD bytes
 *  are held per log.
 *
 *  A read of held bytes is served from memory and the log's size counts
 *  them: a read never writes, since SQLite may answer a read's error by
 *  rolling back one statement and going on.  A failed write of held
 *  frames is kept: every later write, sync and truncate of the log fails
 *  with it until the transaction has ended, so the frames it lost can
 *  never be committed.  A sync, truncate or close writes what is held
 *  first.  Nothing is held while the database file is locked exclusively
 *  (SQLite's exclusive locking mode, which keten does not use).
 *
 *  Crash reasoning (docs/ARCHITECTURE.md, rule 20): held frames belong to
 *  a transaction that has not committed; a crash loses them as it loses
 *  any uncommitted transaction, and nothing was promised for them.  A
 *  transaction that ends without committing leaves its held frames
 *  behind: they are dropped when its connection gives up the log's write
 *  lock, as SQLite itself forgets them then (they lie past the last
 *  committed frame, where no reader looks).  The shared index is
 *  published after a barrier: if frames were still held there, they are
 *  written first, and a failure then stops the process (abort), because
 *  the commit can no longer fail; the rules above make that unreachable,
 *  and a crash at that point is safe (the log on disk ends at the last
 *  commit whose frames it has).  A commit whose sync fails is made void
 *  in the file as well as in SQLite, so that a crash after it cannot
 *  bring it back (s_unwrite).
 */
#include "store_vfs.h"

#include "util.h"

#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STORE_VFS_NAME "keten"
/*  The most a log holds before it writes (16 frames of 4 KiB pages: a
 *  call per 16 pages saves nearly all of the calls, and each log's buffer
 *  stays small, since it is kept while the file is open). */
#define STORE_VFS_HELD (64 * 1024)
/*  The most written in one call: "unix" cuts a write of 128 KiB or more
 *  short. */
#define STORE_VFS_WRITE_MAX 65536
/*  A log header's and a frame header's size in SQLite's write-ahead log
 *  format. */
#define STORE_VFS_LOG_HEADER 32
#define STORE_VFS_FRAME_HEADER 24
/*  SQLite's largest page size: the page after a held header may come on
 *  top of a full run. */
#define STORE_VFS_PAGE_MAX 65536
/*  The shared index's write lock: the first of its locks (SQLite's
 *  WAL_WRITE_LOCK). */
#define STORE_VFS_WRITE_LOCK 0

typedef struct s_file s_file_t;
struct s_file {
    sqlite3_file base;
    sqlite3_file *real; /* the "unix" layer's, in the memory after this */
    s_file_t *log;      /* a database file's: its write-ahead log, while open */
    s_file_t *db;       /* a log's: its database file, if opened here */
    unsigned char *held;
    size_t held_len;
    sqlite3_int64 held_at;
    bool page_due; /* the last held write is a header; its page comes next */
    int page_size; /* a log's, from its header; 0 until known */
    int failed;    /* a log's: a write of held frames failed (sticky) */
    int lock;      /* a database file's lock level */
    /*  A log's: whether its connection holds the log's write lock (a
     *  write transaction is open), where that transaction's first frame
     *  begins (-1: none written yet), and whether its commit frame's
     *  header has been written (s_unwrite). */
    bool writing;
    sqlite3_int64 txn_first;
    bool txn_commit;
    /*  A database file's: its connection's commits do not wait for the
     *  disk (store_vfs_lazy; read with __atomic, as a log's sync may run
     *  on the helper thread). */
    bool lazy;
    /*  A log's: a descriptor of its own for store_vfs_log_fd, opened at
     *  its first call (only the files synced beside a loop ask), or -1;
     *  and the name SQLite opened it by, valid until xClose. */
    int sync_fd;
    const char *name;
};

static sqlite3_vfs *s_real;
/*  store_vfs_sync_gate's: asked before every sync of a log made here. */
static int (*s_gate) (sqlite3_file *log);
static sqlite3_vfs s_vfs;
static const sqlite3_io_methods s_db_methods;
static sqlite3_io_methods s_log_methods;

#define S_REAL(f) (((s_file_t *) (f))->real)

static uint32_t
s_get32 (const unsigned char *b)
{
    return (uint32_t) b[0] << 24 | (uint32_t) b[1] << 16 | (uint32_t) b[2] << 8 | b[3];
}

/*  The held run written, in calls of at most STORE_VFS_WRITE_MAX.  A
 *  failure is kept: the frames are lost, so the transaction they belong
 *  to must not commit, and every later write, sync or truncate of the log
 *  fails with it until that transaction has ended (s_drop).  SQLite may
 *  otherwise roll back only the statement that met the error and commit
 *  the rest, whose frames were never written. */
static int
s_flush (s_file_t *p)
{
    if (p->failed)
        return p->failed;
    int rc = SQLITE_OK;
    for (size_t done = 0; done < p->held_len && rc == SQLITE_OK;) {
        size_t n =
            p->held_len - done < STORE_VFS_WRITE_MAX ? p->held_len - done : STORE_VFS_WRITE_MAX;
        rc = p->real->pMethods->xWrite (p->real, p->held + done, (int) n,
                                        p->held_at + (sqlite3_int64) done);
        done += n;
    }
    p->held_len = 0;
    p->page_due = false;
    p->failed = rc;
    return rc;
}

/*  The transaction's end: what it left held, and a failure, forgotten. */
static void
s_drop (s_file_t *p)
{
    p->held_len = 0;
    p->page_due = false;
    p->failed = SQLITE_OK;
    p->txn_first = -1;
    p->txn_commit = false;
}

/*  Whether a write of amt bytes at at is a frame's header: 24 bytes at a
 *  frame's place (the log's header is 32 bytes, then frames of 24 + page
 *  size). */
static bool
s_frame_header (const s_file_t *p, int amt, sqlite3_int64 at)
{
    return amt == STORE_VFS_FRAME_HEADER && p->page_size != 0 && at >= STORE_VFS_LOG_HEADER &&
           (at - STORE_VFS_LOG_HEADER) % (STORE_VFS_FRAME_HEADER + p->page_size) == 0;
}

/*  Whether a write of amt bytes at at is a frame header that may be held:
 *  24 bytes at a frame's place (the log's header is 32 bytes, then frames
 *  of 24 + page size), not a commit's (bytes 4-7: the file's size in
 *  pages after a commit, 0 in every other frame), while the database
 *  file is not locked exclusively (SQLite's exclusive locking mode keeps
 *  the log's write lock, so s_drop would never run). */
static bool
s_holdable_header (const s_file_t *p, const unsigned char *buf, int amt, sqlite3_int64 at)
{
    if (!s_frame_header (p, amt, at))
        return false;
    if (p->db && p->db->lock >= SQLITE_LOCK_EXCLUSIVE)
        return false;
    return s_get32 (buf + 4) == 0;
}

/*  A frame's header written by the open write transaction: where its
 *  first frame begins, and whether this is its commit frame's.  Only
 *  while the connection holds the log's write lock, which is taken and
 *  given up through its database file opened here (s_shm_lock), and not
 *  in SQLite's exclusive locking mode (there the lock is not given up
 *  between transactions): so nothing of one transaction is taken for the
 *  next's, and no write outside one (a heal's rewrite of the log) is
 *  taken for a transaction's. */
static void
s_note_frame (s_file_t *p, const unsigned char *buf, int amt, sqlite3_int64 at)
{
    if (!p->writing || !s_frame_header (p, amt, at) || !p->db ||
        p->db->lock >= SQLITE_LOCK_EXCLUSIVE)
        return;
    if (p->txn_first < 0 || at < p->txn_first)
        p->txn_first = at;
    if (s_get32 (buf + 4) != 0)
        p->txn_commit = true;
}

/*  A commit whose sync failed.  SQLite forgets the transaction in this
 *  process (its frames lie past the last committed one, and the next
 *  transaction writes over them), but the frames are in the file, in the
 *  kernel's cache: after a crash of the process (kill -9) the next open
 *  would replay them, and a transaction whose caller was told it failed
 *  would come back, with whatever was written on top of its absence
 *  meanwhile in other files.  So the header of its first frame is
 *  overwritten with zeros, and the log's recovery stops before it; then
 *  synced, for a power failure too.  If that fails as well, a disk that
 *  refuses every sync is past what a commit can promise; the journal
 *  says so. */
static void
s_unwrite (s_file_t *p)
{
    static const unsigned char zeros[STORE_VFS_FRAME_HEADER];
    int rc = p->real->pMethods->xWrite (p->real, zeros, sizeof zeros, p->txn_first);
    if (rc == SQLITE_OK)
        rc = p->real->pMethods->xSync (p->real, SQLITE_SYNC_NORMAL);
    p->txn_commit = false;
    if (rc == SQLITE_OK)
        kt_log (KT_LOG_WARN, "store commit_unwritten: a commit's sync failed; its frames in the "
                             "write-ahead log were made void");
    else
        kt_log (KT_LOG_ERROR,
                "store commit_unwrite_failed reason=\"SQLite error %d: a commit's "
                "sync failed, and voiding its frames failed too\"",
                rc);
}

/*  The page size a log's header (32 bytes at 0) names, or 0. */
static int
s_header_page_size (const unsigned char *buf)
{
    uint32_t magic = s_get32 (buf);
    if (magic != 0x377f0682 && magic != 0x377f0683)
        return 0;
    uint32_t size = s_get32 (buf + 8);
    return size >= 512 && size <= STORE_VFS_PAGE_MAX && (size & (size - 1)) == 0 ? (int) size : 0;
}

/*  The log's methods. */

static int
s_log_write (sqlite3_file *f, const void *buf, int amt, sqlite3_int64 at)
{
    s_file_t *p = (s_file_t *) f;
    if (p->failed)
        return p->failed;
    s_note_frame (p, buf, amt, at);
    if (at == 0 && amt >= STORE_VFS_LOG_HEADER) {
        int rc = s_flush (p);
        if (rc != SQLITE_OK)
            return rc;
        p->page_size = s_header_page_size (buf);
        return p->real->pMethods->xWrite (p->real, buf, amt, at);
    }
    bool next = p->held_len > 0 && at == p->held_at + (sqlite3_int64) p->held_len;
    bool header = s_holdable_header (p, buf, amt, at);
    bool hold = p->page_due ? next && amt == p->page_size : header && (p->held_len == 0 || next);
    if (hold && p->held_len + (size_t) amt <= STORE_VFS_HELD) {
        if (!p->held) {
            p->held = malloc (STORE_VFS_HELD + STORE_VFS_FRAME_HEADER + STORE_VFS_PAGE_MAX);
            if (!p->held)
                return p->real->pMethods->xWrite (p->real, buf, amt, at);
        }
        if (p->held_len == 0)
            p->held_at = at;
        memcpy (p->held + p->held_len, buf, (size_t) amt);
        p->held_len += (size_t) amt;
        p->page_due = !p->page_due;
        return SQLITE_OK;
    }
    if (next && amt <= STORE_VFS_PAGE_MAX) {
        /*  The commit frame's header (or a full run's last page): written
         *  with the run before it, in one call. */
        memcpy (p->held + p->held_len, buf, (size_t) amt);
        p->held_len += (size_t) amt;
        return s_flush (p);
    }
    int rc = s_flush (p);
    if (rc != SQLITE_OK)
        return rc;
    return p->real->pMethods->xWrite (p->real, buf, amt, at);
}

/*  A read of held bytes is served from memory: a read never writes, so
 *  no write error can surface where SQLite does not expect one. */
static int
s_log_read (sqlite3_file *f, void *buf, int amt, sqlite3_int64 at)
{
    s_file_t *p = (s_file_t *) f;
    sqlite3_int64 lo = at, hi = at + amt;
    sqlite3_int64 hs = p->held_at, he = p->held_at + (sqlite3_int64) p->held_len;
    if (p->held_len == 0 || hi <= hs || lo >= he)
        return p->real->pMethods->xRead (p->real, buf, amt, at);
    unsigned char *out = buf;
    if (lo < hs) {
        int rc = p->real->pMethods->xRead (p->real, out, (int) (hs - lo), lo);
        if (rc != SQLITE_OK)
            return rc;
    }
    sqlite3_int64 from = lo > hs ? lo : hs, to = hi < he ? hi : he;
    memcpy (out + (from - lo), p->held + (from - hs), (size_t) (to - from));
    if (hi > he)
        return p->real->pMethods->xRead (p->real, out + (he - lo), (int) (hi - he), he);
    return SQLITE_OK;
}

static int
s_log_close (sqlite3_file *f)
{
    s_file_t *p = (s_file_t *) f;
    int flushed = s_flush (p);
    if (p->sync_fd >= 0)
        close (p->sync_fd);
    p->sync_fd = -1;
    int rc = p->real->pMethods ? p->real->pMethods->xClose (p->real) : SQLITE_OK;
    if (p->db && p->db->log == p)
        p->db->log = NULL;
    free (p->held);
    p->held = NULL;
    return flushed != SQLITE_OK ? flushed : rc;
}

static int
s_log_truncate (sqlite3_file *f, sqlite3_int64 size)
{
    int rc = s_flush ((s_file_t *) f);
    return rc != SQLITE_OK ? rc : S_REAL (f)->pMethods->xTruncate (S_REAL (f), size);
}

/*  A sync that fails after the open transaction wrote its commit frame
 *  fails that commit: its frames are made void (s_unwrite).
 *
 *  A commit's sync on a connection that does not wait for the disk
 *  (store_vfs_lazy) is not made: its frames are in the file (s_flush),
 *  and the next sync makes them durable, as under synchronous=NORMAL,
 *  where SQLite makes no such call.  Only the sync right after a write
 *  transaction's commit frame: every other sync SQLite makes under
 *  either setting is made - a log header's just written at a restart
 *  (before any frame of the new log, so that none of the old can pass
 *  for one of it), a checkpoint's before it copies frames into the
 *  database file (a checkpoint holds the same write lock), a sync after
 *  the commit (store_sync_start's). */
static int
s_log_sync (sqlite3_file *f, int flags)
{
    s_file_t *p = (s_file_t *) f;
    int rc = s_flush (p);
    if (rc == SQLITE_OK && p->writing && p->txn_commit && p->db &&
        __atomic_load_n (&p->db->lazy, __ATOMIC_RELAXED))
        return SQLITE_OK;
    int (*gate) (sqlite3_file *) = __atomic_load_n (&s_gate, __ATOMIC_ACQUIRE);
    if (rc == SQLITE_OK && gate)
        rc = gate (f);
    if (rc == SQLITE_OK)
        rc = p->real->pMethods->xSync (p->real, flags);
    if (rc != SQLITE_OK && p->writing && p->txn_commit && p->txn_first >= 0)
        s_unwrite (p);
    return rc;
}

/*  The size the file would have with the held bytes written. */
static int
s_log_file_size (sqlite3_file *f, sqlite3_int64 *size)
{
    s_file_t *p = (s_file_t *) f;
    int rc = p->real->pMethods->xFileSize (p->real, size);
    sqlite3_int64 end = p->held_at + (sqlite3_int64) p->held_len;
    if (rc == SQLITE_OK && p->held_len > 0 && end > *size)
        *size = end;
    return rc;
}

static int
s_log_file_control (sqlite3_file *f, int op, void *arg)
{
    int rc = s_flush ((s_file_t *) f);
    return rc != SQLITE_OK ? rc : S_REAL (f)->pMethods->xFileControl (S_REAL (f), op, arg);
}

static int
s_log_fetch (sqlite3_file *f, sqlite3_int64 at, int amt, void **pp)
{
    *pp = NULL;
    int rc = s_flush ((s_file_t *) f);
    return rc != SQLITE_OK ? rc : S_REAL (f)->pMethods->xFetch (S_REAL (f), at, amt, pp);
}

/*  Both kinds: SQLite's own, unchanged. */

static int
s_close (sqlite3_file *f)
{
    s_file_t *p = (s_file_t *) f;
    if (p->log && p->log->db == p)
        p->log->db = NULL;
    p->log = NULL;
    return p->real->pMethods ? p->real->pMethods->xClose (p->real) : SQLITE_OK;
}

static int
s_read (sqlite3_file *f, void *buf, int amt, sqlite3_int64 at)
{
    return S_REAL (f)->pMethods->xRead (S_REAL (f), buf, amt, at);
}

static int
s_write (sqlite3_file *f, const void *buf, int amt, sqlite3_int64 at)
{
    return S_REAL (f)->pMethods->xWrite (S_REAL (f), buf, amt, at);
}

static int
s_truncate (sqlite3_file *f, sqlite3_int64 size)
{
    return S_REAL (f)->pMethods->xTruncate (S_REAL (f), size);
}

static int
s_sync (sqlite3_file *f, int flags)
{
    return S_REAL (f)->pMethods->xSync (S_REAL (f), flags);
}

static int
s_file_size (sqlite3_file *f, sqlite3_int64 *size)
{
    return S_REAL (f)->pMethods->xFileSize (S_REAL (f), size);
}

static int
s_lock (sqlite3_file *f, int level)
{
    s_file_t *p = (s_file_t *) f;
    int rc = p->real->pMethods->xLock (p->real, level);
    if (rc == SQLITE_OK && level > p->lock)
        p->lock = level;
    return rc;
}

static int
s_unlock (sqlite3_file *f, int level)
{
    s_file_t *p = (s_file_t *) f;
    int rc = p->real->pMethods->xUnlock (p->real, level);
    if (rc == SQLITE_OK && level < p->lock)
        p->lock = level;
    return rc;
}

static int
s_check_reserved_lock (sqlite3_file *f, int *out)
{
    return S_REAL (f)->pMethods->xCheckReservedLock (S_REAL (f), out);
}

static int
s_file_control (sqlite3_file *f, int op, void *arg)
{
    return S_REAL (f)->pMethods->xFileControl (S_REAL (f), op, arg);
}

static int
s_sector_size (sqlite3_file *f)
{
    return S_REAL (f)->pMethods->xSectorSize (S_REAL (f));
}

static int
s_device_characteristics (sqlite3_file *f)
{
    return S_REAL (f)->pMethods->xDeviceCharacteristics (S_REAL (f));
}

static int
s_shm_map (sqlite3_file *f, int page, int size, int extend, void volatile **pp)
{
    return S_REAL (f)->pMethods->xShmMap (S_REAL (f), page, size, extend, pp);
}

/*  The database file's shared index: a transaction that gives up the
 *  log's write lock has committed (nothing of its own is held then) or
 *  has not (what it left held is dropped); one that takes it begins with
 *  nothing noted (s_note_frame). */
static int
s_shm_lock (sqlite3_file *f, int offset, int n, int flags)
{
    s_file_t *p = (s_file_t *) f;
    bool write_lock = p->log && offset == STORE_VFS_WRITE_LOCK;
    if (write_lock && (flags & SQLITE_SHM_UNLOCK)) {
        s_drop (p->log);
        p->log->writing = false;
    }
    int rc = p->real->pMethods->xShmLock (p->real, offset, n, flags);
    if (write_lock && rc == SQLITE_OK && (flags & SQLITE_SHM_LOCK) &&
        (flags & SQLITE_SHM_EXCLUSIVE)) {
        s_drop (p->log);
        p->log->writing = true;
    }
    return rc;
}

/*  Just before a commit is published to other connections: its frames
 *  must be in the file (the header comment says why nothing is held
 *  here, and why a failure stops the process). */
static void
s_shm_barrier (sqlite3_file *f)
{
    s_file_t *p = (s_file_t *) f;
    if (p->log && p->log->held_len > 0 && s_flush (p->log) != SQLITE_OK) {
        kt_log (KT_LOG_ERROR, "store write_ahead_log_frames_lost reason=\"a write failed "
                              "after its commit could fail\"");
        abort ();
    }
    p->real->pMethods->xShmBarrier (p->real);
}

static int
s_shm_unmap (sqlite3_file *f, int delete_flag)
{
    return S_REAL (f)->pMethods->xShmUnmap (S_REAL (f), delete_flag);
}

static int
s_fetch (sqlite3_file *f, sqlite3_int64 at, int amt, void **pp)
{
    return S_REAL (f)->pMethods->xFetch (S_REAL (f), at, amt, pp);
}

static int
s_unfetch (sqlite3_file *f, sqlite3_int64 at, void *page)
{
    return S_REAL (f)->pMethods->xUnfetch (S_REAL (f), at, page);
}

static const sqlite3_io_methods s_db_methods = {
    .iVersion = 3,
    .xClose = s_close,
    .xRead = s_read,
    .xWrite = s_write,
    .xTruncate = s_truncate,
    .xSync = s_sync,
    .xFileSize = s_file_size,
    .xLock = s_lock,
    .xUnlock = s_unlock,
    .xCheckReservedLock = s_check_reserved_lock,
    .xFileControl = s_file_control,
    .xSectorSize = s_sector_size,
    .xDeviceCharacteristics = s_device_characteristics,
    .xShmMap = s_shm_map,
    .xShmLock = s_shm_lock,
    .xShmBarrier = s_shm_barrier,
    .xShmUnmap = s_shm_unmap,
    .xFetch = s_fetch,
    .xUnfetch = s_unfetch,
};

/*  The layer itself: every file opened through "unix"; a database file
 *  and its write-ahead log wrapped, any other file (temporary files,
 *  SQLite's statement journals) left as "unix" made it. */
static int
s_open (sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out_flags)
{
    (void) vfs;
    bool db = (flags & SQLITE_OPEN_MAIN_DB) != 0;
    bool log = (flags & SQLITE_OPEN_WAL) != 0 && name;
    if (!db && !log)
        return s_real->xOpen (s_real, name, f, flags, out_flags);
    s_file_t *p = (s_file_t *) f;
    memset (p, 0, sizeof *p);
    p->real = (sqlite3_file *) ((char *) f + ((sizeof (s_file_t) + 7) & ~(size_t) 7));
    int rc = s_real->xOpen (s_real, name, p->real, flags, out_flags);
    if (rc != SQLITE_OK || !p->real->pMethods) {
        p->base.pMethods = NULL;
        return rc;
    }
    p->base.pMethods = db ? &s_db_methods : &s_log_methods;
    p->txn_first = -1;
    p->sync_fd = -1;
    if (log) {
        p->name = name;
        /*  A log with frames already: its page size from its header. */
        unsigned char header[STORE_VFS_LOG_HEADER];
        if (p->real->pMethods->xRead (p->real, header, sizeof header, 0) == SQLITE_OK)
            p->page_size = s_header_page_size (header);
        s_file_t *main = (s_file_t *) sqlite3_database_file_object (name);
        if (main && main->base.pMethods == &s_db_methods) {
            p->db = main;
            main->log = p;
        }
    }
    return SQLITE_OK;
}

static int
s_delete (sqlite3_vfs *vfs, const char *name, int sync_dir)
{
    (void) vfs;
    return s_real->xDelete (s_real, name, sync_dir);
}

static int
s_access (sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
    (void) vfs;
    return s_real->xAccess (s_real, name, flags, out);
}

static int
s_full_pathname (sqlite3_vfs *vfs, const char *name, int n, char *out)
{
    (void) vfs;
    return s_real->xFullPathname (s_real, name, n, out);
}

static void *
s_dl_open (sqlite3_vfs *vfs, const char *name)
{
    (void) vfs;
    return s_real->xDlOpen (s_real, name);
}

static void
s_dl_error (sqlite3_vfs *vfs, int n, char *out)
{
    (void) vfs;
    s_real->xDlError (s_real, n, out);
}

static void (*s_dl_sym (sqlite3_vfs *vfs, void *h, const char *sym)) (void)
{
    (void) vfs;
    return s_real->xDlSym (s_real, h, sym);
}

static void
s_dl_close (sqlite3_vfs *vfs, void *h)
{
    (void) vfs;
    s_real->xDlClose (s_real, h);
}

static int
s_randomness (sqlite3_vfs *vfs, int n, char *out)
{
    (void) vfs;
    return s_real->xRandomness (s_real, n, out);
}

static int
s_sleep (sqlite3_vfs *vfs, int us)
{
    (void) vfs;
    return s_real->xSleep (s_real, us);
}

static int
s_current_time (sqlite3_vfs *vfs, double *out)
{
    (void) vfs;
    return s_real->xCurrentTime (s_real, out);
}

static int
s_get_last_error (sqlite3_vfs *vfs, int n, char *out)
{
    (void) vfs;
    return s_real->xGetLastError (s_real, n, out);
}

static int
s_current_time_int64 (sqlite3_vfs *vfs, sqlite3_int64 *out)
{
    (void) vfs;
    return s_real->xCurrentTimeInt64 (s_real, out);
}

static pthread_once_t s_once = PTHREAD_ONCE_INIT;
static bool s_registered;

static void
s_register (void)
{
    s_real = sqlite3_vfs_find ("unix");
    if (!s_real || s_real->iVersion < 2 || !s_real->xCurrentTimeInt64)
        return;
    /*  A log's methods: the database file's, but for what holds frames. */
    s_log_methods = s_db_methods;
    s_log_methods.xClose = s_log_close;
    s_log_methods.xRead = s_log_read;
    s_log_methods.xWrite = s_log_write;
    s_log_methods.xTruncate = s_log_truncate;
    s_log_methods.xSync = s_log_sync;
    s_log_methods.xFileSize = s_log_file_size;
    s_log_methods.xFileControl = s_log_file_control;
    s_log_methods.xFetch = s_log_fetch;
    s_vfs = (sqlite3_vfs){
        .iVersion = 2,
        .szOsFile = (int) ((sizeof (s_file_t) + 7) & ~(size_t) 7) + s_real->szOsFile,
        .mxPathname = s_real->mxPathname,
        .zName = STORE_VFS_NAME,
        .xOpen = s_open,
        .xDelete = s_delete,
        .xAccess = s_access,
        .xFullPathname = s_full_pathname,
        .xDlOpen = s_dl_open,
        .xDlError = s_dl_error,
        .xDlSym = s_dl_sym,
        .xDlClose = s_dl_close,
        .xRandomness = s_randomness,
        .xSleep = s_sleep,
        .xCurrentTime = s_current_time,
        .xGetLastError = s_get_last_error,
        .xCurrentTimeInt64 = s_current_time_int64,
    };
    s_registered = sqlite3_vfs_register (&s_vfs, 0) == SQLITE_OK;
}

int
store_vfs_lazy (sqlite3_file *db_file, bool lazy)
{
    if (!db_file || db_file->pMethods != &s_db_methods)
        return -1;
    __atomic_store_n (&((s_file_t *) db_file)->lazy, lazy, __ATOMIC_RELAXED);
    return 0;
}

int
store_vfs_is_lazy (sqlite3_file *db_file)
{
    if (!db_file || db_file->pMethods != &s_db_methods)
        return -1;
    return __atomic_load_n (&((s_file_t *) db_file)->lazy, __ATOMIC_RELAXED) ? 1 : 0;
}

void
store_vfs_sync_gate (int (*gate) (sqlite3_file *log))
{
    __atomic_store_n (&s_gate, gate, __ATOMIC_RELEASE);
}

int
store_vfs_log_fd (sqlite3_file *log)
{
    if (!log || log->pMethods != &s_log_methods)
        return -1;
    s_file_t *p = (s_file_t *) log;
    if (p->sync_fd < 0)
        p->sync_fd = open (p->name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    return p->sync_fd;
}

const char *
store_vfs_name (void)
{
    pthread_once (&s_once, s_register);
    return s_registered ? STORE_VFS_NAME : NULL;
}
