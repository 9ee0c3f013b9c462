/*  spool: the police node's intake directory.
 *
 *  Invariants (DESIGN section 1, docs/SIGNAL-FORMAT.md "The police spool"):
 *  - a file leaves the spool directory only by a rename into done/ or
 *    rejected/, never by unlink, and that rename never replaces a file
 *    already there (RENAME_NOREPLACE): a later file with the same name
 *    gets the next free name, so no earlier record is destroyed;
 *  - a rejected file's reason is durable in rejected/ before the file is
 *    moved there, so a file in rejected/ always has its reason beside it;
 *  - every move is made durable (both directories fsynced) before the
 *    scan goes on, so a crash cannot bring a moved file back;
 *  - a failure that says nothing about the file (out of descriptors or
 *    memory, an I/O error) leaves it in place for the next scan;
 *  - file names and anything read from a file stay out of the log: names
 *    may say who a signal is about, and a reason may quote the file (an
 *    unknown key is named).  The log gets a fixed class word and the
 *    inode number (`ls -i`); rejected/ keeps the rest.
 */
#include "spool.h"

#include "intake.h"
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0) /* <linux/fs.h>: do not overwrite the target */
#endif

enum {
    SPOOL_SCAN_MAX = 1024,            /* entries looked at per scan; the rest wait */
    SPOOL_SEQ_TRIES = 100,            /* NAME, then STEM.1.json .. STEM.99.json */
    SPOOL_TRIES = SPOOL_SEQ_TRIES + 4 /* then a few random suffixes */
};
/*  A name in done/ or rejected/: a spool name, a suffix of at most 17
 *  bytes, and room for ".reason"; below NAME_MAX (255). */
#define SPOOL_FINAL_MAX (SPOOL_NAME_MAX + 32)

struct _spool_t {
    sqlite3 *db;
    char dir[PATH_MAX];
    int dir_fd, done_fd, rejected_fd;
    sqlite3_stmt *lookup, *insert;
};

/*  One directory entry that may be a signal file. */
typedef struct {
    char *name;             /* owned */
    unsigned long long ino; /* for the log, which never names files */
} spool_entry_t;

/*  What reading one file gave (s_read). */
typedef enum {
    SPOOL_READ_OK,     /* data holds the file */
    SPOOL_READ_REJECT, /* the file itself is wrong: cls and why say how */
    SPOOL_READ_RETRY,  /* a passing failure (err): leave it for the next scan */
    SPOOL_READ_GONE    /* the file disappeared since the directory was read */
} spool_outcome_t;

typedef struct {
    char *data; /* OK: the bytes, NUL-terminated; owned, wiped by the caller */
    size_t len;
    uid_t owner;
    const char *cls; /* REJECT: fixed class word, the only thing logged */
    kt_reason_t why; /* REJECT: the full reason, for rejected/ only */
    int err;         /* RETRY: errno, for the log */
} spool_read_t;

static const char *const s_migrations[] = {
    "CREATE TABLE spool (name TEXT NOT NULL, hash BLOB NOT NULL, message_id BLOB NOT NULL,"
    " owner INTEGER NOT NULL, at_ms INTEGER NOT NULL, PRIMARY KEY (name, hash));",
};

/*  Open dir/sub, creating it (0700) if needed; a new directory is made
 *  durable in dir at once.  Returns the descriptor, or -1 with reason. */
static int
s_subdir (int dir_fd, const char *dir, const char *sub, kt_reason_t *reason)
{
    if (mkdirat (dir_fd, sub, 0700) == 0)
        fsync (dir_fd);
    else if (errno != EEXIST) {
        kt_fail (reason, "cannot create %s/%s: %s", dir, sub, strerror (errno));
        return -1;
    }
    int fd = openat (dir_fd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        kt_fail (reason, "cannot open %s/%s: %s", dir, sub, strerror (errno));
    return fd;
}

spool_t *
spool_new (sqlite3 *db, const char *dir, kt_reason_t *reason)
{
    spool_t *self = calloc (1, sizeof *self);
    if (!self) {
        kt_fail (reason, "out of memory");
        return NULL;
    }
    self->db = db;
    self->dir_fd = self->done_fd = self->rejected_fd = -1;
    snprintf (self->dir, sizeof self->dir, "%s", dir);
    self->dir_fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (self->dir_fd < 0) {
        kt_fail (reason, "intake/spool-dir %s cannot be opened: %s", dir, strerror (errno));
        spool_destroy (&self);
        return NULL;
    }
    if ((self->done_fd = s_subdir (self->dir_fd, dir, "done", reason)) < 0 ||
        (self->rejected_fd = s_subdir (self->dir_fd, dir, "rejected", reason)) < 0 ||
        store_migrate (db, "spool", s_migrations, sizeof s_migrations / sizeof s_migrations[0],
                       reason) != 0 ||
        !(self->lookup =
              store_prepare (db, "SELECT message_id FROM spool WHERE name=? AND hash=?", reason)) ||
        !(self->insert = store_prepare (db,
                                        "INSERT INTO spool (name, hash, message_id, owner,"
                                        " at_ms) VALUES (?,?,?,?,?)",
                                        reason))) {
        spool_destroy (&self);
        return NULL;
    }
    return self;
}

void
spool_destroy (spool_t **self_p)
{
    spool_t *self = *self_p;
    if (!self)
        return;
    sqlite3_finalize (self->lookup);
    sqlite3_finalize (self->insert);
    if (self->dir_fd >= 0)
        close (self->dir_fd);
    if (self->done_fd >= 0)
        close (self->done_fd);
    if (self->rejected_fd >= 0)
        close (self->rejected_fd);
    free (self);
    *self_p = NULL;
}

/*  Rename from (in from_fd) to to (in to_fd), failing with EEXIST rather
 *  than replacing an existing to.  0 or -1 with errno.  A filesystem
 *  without RENAME_NOREPLACE (EINVAL, e.g. NFS) gets link + unlink, which
 *  refuses an existing target as well; a crash between the two leaves the
 *  file in both places, so the spool sees it once more (and finds it in
 *  the table, or rejects it again): a copy too many, nothing lost. */
static int
s_rename_noreplace (int from_fd, const char *from, int to_fd, const char *to)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 28))
    int rc = renameat2 (from_fd, from, to_fd, to, RENAME_NOREPLACE);
#else
    int rc = (int) syscall (SYS_renameat2, from_fd, from, to_fd, to, RENAME_NOREPLACE);
#endif
    if (rc == 0 || (errno != EINVAL && errno != ENOSYS))
        return rc;
    if (linkat (from_fd, from, to_fd, to, 0) != 0)
        return -1;
    if (unlinkat (from_fd, from, 0) != 0)
        kt_log (KT_LOG_ERROR, "spool unlink_after_link_failed errno=%d", errno);
    return 0;
}

/*  The attempt-th name to try for name in done/ or rejected/: name itself
 *  (attempt 0), then STEM.1.json .. STEM.99.json, then STEM.RANDOM.json.
 *  name ends in ".json" (s_is_candidate) and is at most SPOOL_NAME_MAX
 *  bytes; the end is kept so that whatever reads done/ as *.json still
 *  sees every file. */
static void
s_final_name (char *out, size_t cap, const char *name, int attempt)
{
    int stem = (int) strlen (name) - 5;
    if (attempt == 0)
        snprintf (out, cap, "%s", name);
    else if (attempt < SPOOL_SEQ_TRIES)
        snprintf (out, cap, "%.*s.%d.json", stem, name, attempt);
    else
        snprintf (out, cap, "%.*s.%08x%08x.json", stem, name, randombytes_random (),
                  randombytes_random ());
}

/*  Make a move out of the spool durable: first the new entry in to_fd,
 *  then the removal from the spool, so that a crash cannot resurrect the
 *  file in the spool (where it would be handled a second time). */
static void
s_sync_move (spool_t *self, int to_fd, const char *to)
{
    if (fsync (to_fd) != 0)
        kt_log (KT_LOG_ERROR, "spool fsync_failed dir=%s errno=%d", to, errno);
    if (fsync (self->dir_fd) != 0)
        kt_log (KT_LOG_ERROR, "spool fsync_failed dir=spool errno=%d", errno);
}

/*  Move name from the spool into done/ under the first free name (never
 *  replacing an earlier file).  0 when moved; -1 (logged) when it stays
 *  in the spool: the next scan finds it in the table and tries again. */
static int
s_move_done (spool_t *self, const char *name, unsigned long long ino)
{
    char final[SPOOL_FINAL_MAX];
    for (int attempt = 0; attempt < SPOOL_TRIES; attempt++) {
        s_final_name (final, sizeof final, name, attempt);
        if (s_rename_noreplace (self->dir_fd, name, self->done_fd, final) == 0) {
            s_sync_move (self, self->done_fd, "done");
            return 0;
        }
        if (errno != EEXIST)
            break;
    }
    kt_log (errno == ENOENT ? KT_LOG_WARN : KT_LOG_ERROR,
            "spool move_failed to=done ino=%llu errno=%d", ino, errno);
    return -1;
}

/*  Remove rejected/FINAL.reason again (its file could not be moved). */
static void
s_reason_remove (spool_t *self, const char *final)
{
    char reason_name[SPOOL_FINAL_MAX + 8];
    snprintf (reason_name, sizeof reason_name, "%s.reason", final);
    if (unlinkat (self->rejected_fd, reason_name, 0) != 0)
        kt_log (KT_LOG_ERROR, "spool reason_remove_failed errno=%d", errno);
}

/*  Create rejected/FINAL.reason, which must not exist yet (O_EXCL: an
 *  earlier reason is never overwritten), holding why and, when the file
 *  could not keep its own name, the name it had (was, or NULL); then make
 *  it and its directory entry durable.  0, or -1 with errno (EEXIST: take
 *  the next name) and nothing left behind. */
static int
s_reason_create (spool_t *self, const char *final, const char *why, const char *was)
{
    char reason_name[SPOOL_FINAL_MAX + 8];
    snprintf (reason_name, sizeof reason_name, "%s.reason", final);
    int fd = openat (self->rejected_fd, reason_name,
                     O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return -1;
    char text[KT_REASON_MAX + NAME_MAX + 32];
    int n = was ? snprintf (text, sizeof text, "%s\nfile name was: %s\n", why, was)
                : snprintf (text, sizeof text, "%s\n", why);
    size_t len = n < 0 ? 0 : (size_t) n < sizeof text ? (size_t) n : sizeof text - 1;
    int rc = write (fd, text, len) == (ssize_t) len && fsync (fd) == 0 ? 0 : -1;
    int err = errno;
    close (fd);
    if (rc == 0 && fsync (self->rejected_fd) == 0)
        return 0;
    err = rc == 0 ? errno : err;
    s_reason_remove (self, final);
    errno = err;
    return -1;
}

/*  Move name from the spool to rejected/ with its reason beside it, under
 *  the first name derived from as (s_final_name) for which neither FINAL
 *  nor FINAL.reason exists.  cls is a fixed word and the only part of the
 *  reason that is logged; why goes to FINAL.reason only.
 *
 *  Order, and what a crash leaves: the reason is written and made durable
 *  first, then the file is renamed, then both directories are synced.  A
 *  crash before the rename leaves FINAL.reason without FINAL and the file
 *  still in the spool; the next scan rejects it again under the next free
 *  name (so the orphan reason is harmless and may be deleted).  A file in
 *  rejected/ never lacks its reason.  If the file is gone when it is to be
 *  moved (ENOENT), its reason is removed again: no stray .reason.  Any
 *  other failure leaves the file in the spool for the next scan. */
static void
s_reject (spool_t *self, const char *name, const char *as, unsigned long long ino, const char *cls,
          const char *why)
{
    const char *was = strcmp (name, as) != 0 ? name : NULL;
    char final[SPOOL_FINAL_MAX];
    bool moving = false; /* whether the last failure was the move */
    for (int attempt = 0; attempt < SPOOL_TRIES; attempt++) {
        s_final_name (final, sizeof final, as, attempt);
        moving = false;
        if (s_reason_create (self, final, why, was) != 0) {
            if (errno == EEXIST)
                continue;
            break;
        }
        moving = true;
        if (s_rename_noreplace (self->dir_fd, name, self->rejected_fd, final) == 0) {
            s_sync_move (self, self->rejected_fd, "rejected");
            kt_log (KT_LOG_WARN, "spool rejected class=%s ino=%llu", cls, ino);
            return;
        }
        int err = errno;
        s_reason_remove (self, final);
        errno = err;
        if (errno != EEXIST)
            break;
    }
    if (moving && errno == ENOENT)
        kt_log (KT_LOG_INFO, "spool vanished ino=%llu", ino);
    else
        kt_log (KT_LOG_ERROR, "spool reject_deferred class=%s step=%s ino=%llu errno=%d", cls,
                moving ? "move" : "reason", ino, errno);
}

/*  A name longer than SPOOL_NAME_MAX fits neither the table nor, with a
 *  suffix and ".reason", NAME_MAX: rather than ignore the file forever,
 *  reject it under a short generated name, the long one kept in its
 *  reason. */
static void
s_reject_long_name (spool_t *self, const spool_entry_t *e)
{
    char as[64];
    snprintf (as, sizeof as, "name-too-long-%llu.json", e->ino);
    kt_reason_t why;
    kt_fail (&why, "file name is %zu bytes, more than the limit of %d", strlen (e->name),
             SPOOL_NAME_MAX);
    s_reject (self, e->name, as, e->ino, "name_too_long", why.text);
}

/*  Whether name is a signal file for us.  Names starting with '.' and
 *  names not ending in ".json" are the writers' work in progress (they
 *  write .NAME.tmp and rename it to NAME.json, so a half-written file is
 *  never read): left alone, never rejected. */
static bool
s_is_candidate (const char *name)
{
    size_t len = strlen (name);
    return name[0] != '.' && len > 5 && strcmp (name + len - 5, ".json") == 0;
}

static int
s_cmp (const void *a, const void *b)
{
    return strcmp (((const spool_entry_t *) a)->name, ((const spool_entry_t *) b)->name);
}

/*  Fill entries with up to SPOOL_SCAN_MAX candidate names of the spool,
 *  sorted (oldest first when writers use sortable names), and return how
 *  many; the caller frees each name.  0 (logged) if the directory cannot
 *  be read. */
static size_t
s_list (spool_t *self, spool_entry_t *entries)
{
    int fd = dup (self->dir_fd);
    DIR *dir = fd >= 0 ? fdopendir (fd) : NULL;
    if (!dir) {
        kt_log (KT_LOG_ERROR, "spool unreadable dir=%s errno=%d", self->dir, errno);
        if (fd >= 0)
            close (fd);
        return 0;
    }
    rewinddir (dir);
    size_t n = 0;
    struct dirent *de;
    while (n < SPOOL_SCAN_MAX && (de = readdir (dir)))
        if (s_is_candidate (de->d_name)) {
            entries[n].name = strdup (de->d_name);
            entries[n].ino = (unsigned long long) de->d_ino;
            if (entries[n].name)
                n++;
        }
    closedir (dir);
    qsort (entries, n, sizeof entries[0], s_cmp);
    return n;
}

/*  Errors that say something about this moment, not about the file. */
static bool
s_transient (int err)
{
    return err == EMFILE || err == ENFILE || err == ENOMEM || err == EIO || err == EAGAIN ||
           err == EINTR;
}

/*  Classify a failure (errno err) to open, stat or read a spool file. */
static spool_outcome_t
s_read_failed (spool_read_t *r, int err, const char *what)
{
    if (err == ENOENT)
        return SPOOL_READ_GONE;
    if (s_transient (err)) {
        r->err = err;
        return SPOOL_READ_RETRY;
    }
    if (err == ELOOP) {
        r->cls = "not_regular";
        kt_fail (&r->why, "is a symbolic link");
    } else {
        r->cls = "unreadable";
        kt_fail (&r->why, "cannot %s: %s", what, strerror (err));
    }
    return SPOOL_READ_REJECT;
}

/*  Read the open file fd (stat st) into r: a regular file of at most
 *  INTAKE_MAX_BYTES, read in full. */
static spool_outcome_t
s_read_body (int fd, const struct stat *st, spool_read_t *r)
{
    if (!S_ISREG (st->st_mode)) {
        r->cls = "not_regular";
        kt_fail (&r->why, "not a regular file");
        return SPOOL_READ_REJECT;
    }
    if (st->st_size > INTAKE_MAX_BYTES) {
        r->cls = "too_large";
        kt_fail (&r->why, "file is %lld bytes, more than the limit of %d", (long long) st->st_size,
                 INTAKE_MAX_BYTES);
        return SPOOL_READ_REJECT;
    }
    size_t size = (size_t) st->st_size;
    char *data = malloc (size + 1);
    if (!data)
        return s_read_failed (r, ENOMEM, "read");
    size_t got = 0;
    while (got < size) {
        ssize_t n = read (fd, data + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            /*  End of file before st_size: it is being changed; later. */
            int err = n < 0 ? errno : EAGAIN;
            sodium_memzero (data, got);
            free (data);
            return s_read_failed (r, err, "read");
        }
        got += (size_t) n;
    }
    data[got] = '\0';
    r->data = data;
    r->len = got;
    r->owner = st->st_uid;
    return SPOOL_READ_OK;
}

/*  Read spool file name (bounded, no symbolic links, no blocking on a
 *  FIFO) into r. */
static spool_outcome_t
s_read (spool_t *self, const char *name, spool_read_t *r)
{
    int fd = openat (self->dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return s_read_failed (r, errno, "open");
    struct stat st;
    spool_outcome_t out;
    if (fstat (fd, &st) != 0)
        out = s_read_failed (r, errno, "stat");
    else
        out = s_read_body (fd, &st, r);
    close (fd);
    return out;
}

/*  Whether (name, hash) was forwarded already: 1 yes, 0 no, -1 the table
 *  could not be read (logged).  On -1 the caller must skip the file for
 *  this scan: taking it as new could send it twice. */
static int
s_forwarded (spool_t *self, const char *name, const uint8_t hash[32])
{
    sqlite3_stmt *s = self->lookup;
    sqlite3_reset (s);
    sqlite3_bind_text (s, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_blob (s, 2, hash, 32, SQLITE_STATIC);
    int rc = sqlite3_step (s);
    sqlite3_reset (s);
    if (rc == SQLITE_ROW || rc == SQLITE_DONE)
        return rc == SQLITE_ROW;
    kt_log (KT_LOG_ERROR, "spool lookup_failed rc=%d", rc);
    return -1;
}

/*  File e, read into r: finish it if it was forwarded before a crash,
 *  reject it if it is not a valid signal, or fill f and return true. */
static bool
s_take_read (spool_t *self, const spool_entry_t *e, const spool_read_t *r, spool_file_t *f)
{
    memset (f, 0, sizeof *f);
    snprintf (f->name, sizeof f->name, "%s", e->name);
    crypto_generichash (f->hash, sizeof f->hash, (const uint8_t *) r->data, r->len, NULL, 0);
    f->owner = r->owner;
    f->ino = e->ino;
    int seen = s_forwarded (self, e->name, f->hash);
    if (seen < 0)
        return false;
    if (seen) {
        /*  Stored and queued before a crash: finish the move only. */
        kt_log (KT_LOG_INFO, "spool already_forwarded ino=%llu", e->ino);
        s_move_done (self, e->name, e->ino);
        return false;
    }
    kt_reason_t why;
    if (intake_signal_from_json (r->data, r->len, &f->signal, &why) != 0) {
        s_reject (self, e->name, e->name, e->ino, "invalid_signal", why.text);
        return false;
    }
    return true;
}

/*  Handle one entry: reject it, leave it for the next scan, finish it, or
 *  (true) fill f with its validated signal. */
static bool
s_take (spool_t *self, const spool_entry_t *e, spool_file_t *f)
{
    if (strlen (e->name) > SPOOL_NAME_MAX) {
        s_reject_long_name (self, e);
        return false;
    }
    spool_read_t r = {0};
    switch (s_read (self, e->name, &r)) {
    case SPOOL_READ_GONE:
        /*  Taken away since the directory was read: nothing to do. */
        kt_log (KT_LOG_INFO, "spool vanished ino=%llu", e->ino);
        return false;
    case SPOOL_READ_RETRY:
        kt_log (KT_LOG_WARN, "spool read_retry ino=%llu errno=%d", e->ino, r.err);
        return false;
    case SPOOL_READ_REJECT:
        s_reject (self, e->name, e->name, e->ino, r.cls, r.why.text);
        return false;
    case SPOOL_READ_OK:
        break;
    }
    bool taken = s_take_read (self, e, &r, f);
    sodium_memzero (r.data, r.len);
    free (r.data);
    return taken;
}

size_t
spool_scan (spool_t *self, spool_file_t *files, size_t max)
{
    spool_entry_t entries[SPOOL_SCAN_MAX];
    size_t n_entries = s_list (self, entries);
    size_t n = 0;
    for (size_t i = 0; i < n_entries; i++) {
        /*  Past max the rest waits for the next scan, untouched. */
        if (n < max && s_take (self, &entries[i], &files[n]))
            n++;
        free (entries[i].name);
    }
    return n;
}

int
spool_record (spool_t *self, const spool_file_t *file, const uint8_t id[KT_ID_LEN],
              kt_reason_t *reason)
{
    sqlite3_stmt *s = self->insert;
    sqlite3_reset (s);
    sqlite3_bind_text (s, 1, file->name, -1, SQLITE_STATIC);
    sqlite3_bind_blob (s, 2, file->hash, 32, SQLITE_STATIC);
    sqlite3_bind_blob (s, 3, id, KT_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_int64 (s, 4, (sqlite3_int64) file->owner);
    sqlite3_bind_int64 (s, 5, (sqlite3_int64) kt_now_ms ());
    int rc = sqlite3_step (s);
    sqlite3_reset (s);
    if (rc != SQLITE_DONE)
        return kt_fail (reason, "cannot record spool file: %s", sqlite3_errmsg (self->db));
    return 0;
}

void
spool_done (spool_t *self, const spool_file_t *file)
{
    s_move_done (self, file->name, file->ino);
}
