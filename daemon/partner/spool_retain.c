/*  spool_retain: the police spool forgets (convenant art. 13).  See
 *  spool_retain.h for the rules; docs/SIGNAL-FORMAT.md, "What the spool
 *  keeps", for the operator's view.
 *
 *  Crash reasoning (docs/ARCHITECTURE.md, "Crash reasoning"): nothing is
 *  committed here.  A done/ file is removed only after the receipt of its
 *  signal is committed (outbox_settle, in node.db, synchronous=FULL), so a
 *  crash can never leave a removed file whose signal must be sent again:
 *  the signal itself is sealed in the signal table and the outbox.  A
 *  rejected file is removed before its reason, so rejected/ never holds a
 *  file without its reason; a crash between leaves an orphan reason,
 *  which the next pass removes as well.
 */
#include "spool_retain.h"

#include "intake.h"
#include "ratelog.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SPOOL_RETAIN_REJECTED_EVERY_MS (60ULL * 1000) /* rejected/ once a minute */
#define SPOOL_DAY_MS (86400ULL * 1000)

struct _spool_retain_t {
    spool_t *spool; /* borrowed: its table */
    int done_fd, rejected_fd;
    uint32_t keep_days;
    spool_settled_fn *settled;
    void *settled_arg;
    bool woken;                 /* a receipt was kept since the last done/ pass */
    struct timespec done_mtime; /* done/'s mtime at the last pass */
    uint64_t rejected_last_ms;  /* the last rejected/ pass (0: none yet) */
    DIR *rejected_walk;         /* rejected/ where the last pass stopped (NULL: from the start) */
    ratelog_t *quiet;           /* failures that would repeat on every pass */
};

/*  A descriptor of its own for directory fd (the spool's): the same
 *  directory, with an offset of its own.  -1 with reason. */
static int
s_dup_dir (int fd, const char *sub, kt_reason_t *reason)
{
    int copy = fd >= 0 ? openat (fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    if (copy < 0)
        kt_fail (reason, "cannot take the spool's %s/: %s", sub, strerror (errno));
    return copy;
}

spool_retain_t *
spool_retain_new (spool_t *spool, uint32_t keep_days, spool_settled_fn *settled, void *arg,
                  kt_reason_t *reason)
{
    spool_retain_t *self = calloc (1, sizeof *self);
    if (!self) {
        kt_fail (reason, "out of memory");
        return NULL;
    }
    self->spool = spool;
    self->keep_days = keep_days;
    self->settled = settled;
    self->settled_arg = arg;
    self->woken = true; /* at start: what a crash or an older ketend left */
    self->done_fd = self->rejected_fd = -1;
    if (!(self->quiet = ratelog_new ())) {
        kt_fail (reason, "out of memory");
        spool_retain_destroy (&self);
        return NULL;
    }
    if ((self->done_fd = s_dup_dir (spool_done_fd (spool), "done", reason)) < 0 ||
        (self->rejected_fd = s_dup_dir (spool_rejected_fd (spool), "rejected", reason)) < 0) {
        spool_retain_destroy (&self);
        return NULL;
    }
    return self;
}

void
spool_retain_destroy (spool_retain_t **self_p)
{
    spool_retain_t *self = *self_p;
    if (!self)
        return;
    if (self->done_fd >= 0)
        close (self->done_fd);
    if (self->rejected_fd >= 0)
        close (self->rejected_fd);
    ratelog_destroy (&self->quiet);
    if (self->rejected_walk)
        closedir (self->rejected_walk);
    free (self);
    *self_p = NULL;
}

void
spool_retain_wake (spool_retain_t *self)
{
    self->woken = true;
}

/*  One pass of rejected/ makes at most this many calls on entries (each
 *  entry of rejected/ looked at, each one removed, moved or tried in a
 *  dropped directory), so that a directory the writer dropped with very
 *  many entries in it, or very many it cannot remove, does not hold the
 *  loop (a pass runs once a minute).  The next pass goes on where this
 *  one stopped (with the entry it was cut in), and starts from the top
 *  once it reached the end: every entry has its turn, none is held up by
 *  those before it. */
#define SPOOL_REMOVE_BUDGET 10000
/*  A directory nested this deep in a rejected entry is moved up into the
 *  entry's own directory and removed from there, so no nesting keeps one
 *  for good and no more directories than this are open at once. */
#define SPOOL_REMOVE_DEPTH 16

/*  The removal of rejected entries in one pass: the entry's own
 *  directory (at depth 0; -1: none), and how many more calls the pass may
 *  make.  An entry that cannot be removed stops its own tree's walk at
 *  once, at a few calls per level. */
typedef struct {
    int top;
    long budget;
    long done; /* entries removed or moved so far */
} s_removal_t;

/*  dir/name renamed to top/up, never replacing an entry there: 0, or -1
 *  with errno (EEXIST: up is taken).  Where the filesystem cannot rename
 *  without replacing (NFS), a rename after looking: only a directory the
 *  writer emptied and named so could be replaced, inside the entry. */
static int
s_move_up (int dir, const char *name, int top, const char *up)
{
    if (spool_rename_noreplace (dir, name, top, up) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return -1;
    struct stat st;
    if (fstatat (top, up, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        errno = EEXIST;
        return -1;
    }
    return errno == ENOENT ? renameat (dir, name, top, up) : -1;
}

/*  name under dir (at depth, the entry itself 0) removed whatever it is: a
 *  file, or a directory the writer dropped (claimed and rejected like any
 *  entry that is not a regular file) with everything in it, never
 *  following a symbolic link.  0, or -1 with errno: EAGAIN when the pass
 *  ran out of its budget or moved part of it up (what is left goes in the
 *  next pass). */
static int
s_remove (s_removal_t *r, int dir, const char *name, int depth)
{
    if (r->budget <= 0) {
        errno = EAGAIN;
        return -1;
    }
    r->budget--;
    if (unlinkat (dir, name, 0) == 0) {
        r->done++;
        return 0;
    }
    if (errno == ENOENT)
        return 0;
    if (errno != EISDIR)
        return -1;
    if (depth == SPOOL_REMOVE_DEPTH) {
        /*  Empty (even one the node may not write in): removed here. */
        r->budget--;
        if (unlinkat (dir, name, AT_REMOVEDIR) == 0) {
            r->done++;
            return 0;
        }
        if (errno == ENOENT)
            return 0;
        if (errno != ENOTEMPTY && errno != EEXIST)
            return -1;
        /*  Up into the entry's directory, under a name of its own: then
         *  it is at depth 1 and its parent can go. */
        struct stat st;
        char up[48];
        if (fstatat (dir, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            return errno == ENOENT ? 0 : -1;
        snprintf (up, sizeof up, ".up-%llu", (unsigned long long) st.st_ino);
        int moved = s_move_up (dir, name, r->top, up);
        if (moved != 0 && errno == EEXIST) {
            /*  The name is taken (the writer made it): one nobody can
             *  guess. */
            uint8_t rnd[8];
            char hex[17];
            kt_random_buf (rnd, sizeof rnd);
            snprintf (up, sizeof up, ".up-%s", kt_hex (hex, rnd, sizeof rnd));
            moved = s_move_up (dir, name, r->top, up);
        }
        r->done += moved == 0;
        return moved;
    }
    int fd = openat (dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir (fd) : NULL;
    if (!d) {
        int err = errno;
        if (fd >= 0)
            close (fd);
        errno = err;
        return -1;
    }
    if (depth == 0)
        r->top = fd;
    int rc = 0, err = 0;
    for (;;) {
        long done = r->done;
        while (rc == 0) {
            errno = 0;
            struct dirent *de = readdir (d);
            if (!de) {
                /*  A listing that fails is no end of it. */
                if (errno != 0) {
                    err = errno;
                    rc = -1;
                }
                break;
            }
            if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0 &&
                (rc = s_remove (r, fd, de->d_name, depth + 1)) != 0)
                err = errno;
        }
        if (rc != 0)
            break;
        r->budget--;
        if (unlinkat (dir, name, AT_REMOVEDIR) == 0) {
            r->done++;
            break;
        }
        if (errno == ENOENT)
            break;
        err = errno;
        rc = -1;
        /*  Not empty: at the entry itself, a directory moved up after the
         *  listing passed it; listed again while the pass may and the
         *  last listing got somewhere (else the next cycle tries). */
        if (err != ENOTEMPTY || depth != 0)
            break;
        err = EAGAIN;
        if (r->budget <= 0 || r->done == done)
            break;
        rc = 0;
        rewinddir (d);
    }
    closedir (d);
    if (depth == 0)
        r->top = -1;
    errno = err;
    return rc == 0 ? 0 : -1;
}

/*  Log "spool EVENT ino=INO errno=ERR" at most once a minute per file. */
static void
s_log_failure (spool_retain_t *self, const char *event, unsigned long long ino, int err)
{
    if (ratelog_due (self->quiet, event, ino, kt_mono_us ()))
        kt_log (KT_LOG_ERROR, "spool %s ino=%llu errno=%d%s", event, ino, err,
                ratelog_note (self->quiet));
}

/*  Open directory fd for reading from its start; NULL (logged) if not. */
static DIR *
s_opendir (spool_retain_t *self, int dir_fd, const char *sub)
{
    DIR *dir = kt_dir_dup (dir_fd);
    if (!dir) {
        int err = errno;
        if (ratelog_due (self->quiet, "retain_unreadable", (uint64_t) dir_fd, kt_mono_us ()))
            kt_log (KT_LOG_ERROR, "spool retain_unreadable dir=%s errno=%d%s", sub, err,
                    ratelog_note (self->quiet));
        return NULL;
    }
    return dir;
}

/*  What the signals recorded with one content hash are. */
typedef struct {
    spool_retain_t *self;
    size_t n;         /* signals recorded with the hash */
    bool all_settled; /* every one of them settled */
} s_hash_signals_t;

static int
s_signal_settled (void *arg, const uint8_t id[KT_ID_LEN])
{
    s_hash_signals_t *h = arg;
    h->n++;
    if (h->self->settled (h->self->settled_arg, id) != 1) {
        h->all_settled = false;
        return 1; /* one unsettled signal keeps the file: no need to look further */
    }
    return 0;
}

/*  Whether done/NAME may go: it is a regular file whose content was
 *  recorded as sent, and every signal sent with that content is settled.
 *  ino receives its inode, for the log. */
static bool
s_done_forgettable (spool_retain_t *self, const char *name, unsigned long long *ino)
{
    int fd = openat (self->done_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0 && (errno == EACCES || errno == EPERM)) {
        /*  Its writer, who owns it, made it unreadable (fchmod 000,
         *  through a descriptor it kept): its content cannot say what it
         *  was sent as, its name can.  Only ketend names files in done/,
         *  each after a record (its own name, or numbered from the one it
         *  came in under): it goes once every signal recorded under that
         *  name is settled, or it would stay for good. */
        struct stat st;
        *ino = fstatat (self->done_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG (st.st_mode)
                   ? (unsigned long long) st.st_ino
                   : 0;
        s_hash_signals_t h = {self, 0, true};
        kt_reason_t reason;
        if (*ino == 0 || spool_each_by_name (self->spool, name, s_signal_settled, &h, &reason) != 0)
            return false;
        return h.n > 0 && h.all_settled;
    }
    if (fd < 0)
        return false; /* gone, or not a file ketend put there */
    struct stat st;
    bool ok = fstat (fd, &st) == 0 && S_ISREG (st.st_mode) && st.st_size <= INTAKE_MAX_BYTES;
    *ino = ok ? (unsigned long long) st.st_ino : 0;
    size_t size = ok ? (size_t) st.st_size : 0;
    uint8_t *data = ok ? malloc (size + 1) : NULL;
    size_t got = 0;
    while (data && got < size) {
        ssize_t n = read (fd, data + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t) n;
    }
    close (fd);
    if (!data || got != size) {
        if (data)
            sodium_memzero (data, got);
        free (data);
        return false;
    }
    uint8_t hash[32];
    crypto_generichash (hash, sizeof hash, data, size, NULL, 0);
    sodium_memzero (data, size);
    free (data);
    s_hash_signals_t h = {self, 0, true};
    kt_reason_t reason;
    if (spool_each_by_hash (self->spool, hash, s_signal_settled, &h, &reason) != 0) {
        if (ratelog_due (self->quiet, "retain_lookup_failed", 0, kt_mono_us ()))
            kt_log (KT_LOG_ERROR, "spool retain_lookup_failed reason=\"%s\"%s", reason.text,
                    ratelog_note (self->quiet));
        return false;
    }
    /*  Never recorded: not a file ketend forwarded (put there by hand). */
    return h.n > 0 && h.all_settled;
}

int
spool_retain_done (spool_retain_t *self)
{
    DIR *dir = s_opendir (self, self->done_fd, "done");
    if (!dir)
        return -1;
    int removed = 0;
    struct dirent *de;
    while ((de = readdir (dir))) {
        if (de->d_name[0] == '.')
            continue;
        unsigned long long ino = 0;
        if (!s_done_forgettable (self, de->d_name, &ino))
            continue;
        /*  art. 13: the receipt is kept, so the signal is durable at the
         *  uitvoerder and sealed here; the plaintext has served its turn.
         *  Only ketend puts files in done/, from this one thread, so the
         *  name read is still the file hashed. */
        if (unlinkat (self->done_fd, de->d_name, 0) != 0) {
            if (errno != ENOENT)
                s_log_failure (self, "forget_failed", ino, errno);
            continue;
        }
        kt_log (KT_LOG_INFO, "spool forgotten ino=%llu", ino);
        removed++;
    }
    closedir (dir);
    /*  A crash before this fsync may bring a removed file back: the next
     *  pass removes it again. */
    if (removed > 0 && fsync (self->done_fd) != 0)
        s_log_failure (self, "forget_sync_failed", 0, errno);
    return removed;
}

/*  FINAL.reason's rejection time (its mtime, ms), or 0 if name is not a
 *  reason file. */
static uint64_t
s_rejected_at (spool_retain_t *self, const char *name)
{
    size_t len = strlen (name);
    struct stat st;
    if (len <= 7 || strcmp (name + len - 7, ".reason") != 0 ||
        fstatat (self->rejected_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG (st.st_mode))
        return 0;
    return (uint64_t) st.st_mtim.tv_sec * 1000 + (uint64_t) st.st_mtim.tv_nsec / 1000000;
}

int
spool_retain_rejected (spool_retain_t *self, uint64_t now_ms)
{
    /*  A listing of its own (not a dup of rejected_fd, whose offset other
     *  readers move), kept from pass to pass. */
    if (!self->rejected_walk) {
        int fd = openat (self->rejected_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || !(self->rejected_walk = fdopendir (fd))) {
            int err = errno;
            if (fd >= 0)
                close (fd);
            s_log_failure (self, "retain_unreadable", 0, err);
            return -1;
        }
    }
    DIR *dir = self->rejected_walk;
    uint64_t keep_ms = (uint64_t) self->keep_days * SPOOL_DAY_MS;
    int removed = 0;
    s_removal_t r = {-1, SPOOL_REMOVE_BUDGET, 0};
    struct dirent *de = NULL;
    bool cut = false;
    while (r.budget > 0) {
        long at_entry = telldir (dir);
        errno = 0;
        if (!(de = readdir (dir))) {
            if (errno != 0)
                s_log_failure (self, "retain_unreadable", 0, errno);
            break;
        }
        r.budget--;
        uint64_t at = s_rejected_at (self, de->d_name);
        if (at == 0 || at + keep_ms > now_ms)
            continue;
        char final[NAME_MAX + 1];
        snprintf (final, sizeof final, "%.*s", (int) (strlen (de->d_name) - 7), de->d_name);
        struct stat st;
        unsigned long long ino = fstatat (self->rejected_fd, final, &st, AT_SYMLINK_NOFOLLOW) == 0
                                     ? (unsigned long long) st.st_ino
                                     : 0;
        /*  art. 13: intake/rejected-keep-days after the rejection.  The
         *  file before its reason: rejected/ never holds a file without
         *  its reason. */
        long budget = r.budget, done = r.done;
        if (s_remove (&r, self->rejected_fd, final, 0) != 0) {
            int err = errno;
            /*  Unfinished: a directory under way (its removal goes on). */
            if (err == EAGAIN && budget - r.budget > 1 &&
                ratelog_due (self->quiet, "expire_unfinished", ino, kt_mono_us ()))
                kt_log (KT_LOG_INFO, "spool rejected_expiring ino=%llu%s", ino,
                        ratelog_note (self->quiet));
            else if (err != EAGAIN)
                s_log_failure (self, "expire_failed", ino, err);
            /*  Cut by the pass's budget: the next pass starts with it,
             *  if it was not begun or got somewhere (one that used the
             *  pass and got nowhere is not to hold the others up). */
            if (err == EAGAIN && r.budget <= 0 && (budget == 0 || r.done > done)) {
                seekdir (dir, at_entry);
                cut = true;
                break;
            }
            continue;
        }
        if (unlinkat (self->rejected_fd, de->d_name, 0) != 0 && errno != ENOENT) {
            s_log_failure (self, "expire_failed", ino, errno);
            continue;
        }
        kt_log (KT_LOG_INFO, "spool rejected_expired ino=%llu", ino);
        removed++;
    }
    /*  At the end (or an unreadable listing): the next pass starts from
     *  the top. */
    if (!de && !cut) {
        closedir (dir);
        self->rejected_walk = NULL;
    }
    if (removed > 0 && fsync (self->rejected_fd) != 0)
        s_log_failure (self, "expire_sync_failed", 0, errno);
    return removed;
}

void
spool_retain_pass (spool_retain_t *self, uint64_t now_ms, bool clock_confirmed)
{
    struct stat st;
    bool have_st = fstat (self->done_fd, &st) == 0;
    bool changed = have_st && (st.st_mtim.tv_sec != self->done_mtime.tv_sec ||
                               st.st_mtim.tv_nsec != self->done_mtime.tv_nsec);
    if (self->woken || changed) {
        /*  Cleared first: a receipt kept during the pass wakes the next. */
        self->woken = false;
        if (have_st)
            self->done_mtime = st.st_mtim;
        if (spool_retain_done (self) > 0 && fstat (self->done_fd, &st) == 0)
            self->done_mtime = st.st_mtim; /* our own removals changed it */
    }
    /*  rejected/ is forgotten by the clock alone: only on one the
     *  federation confirms (docs/RETENTION.md, "A clock the federation
     *  confirms"); done/ above goes by receipts, not by the clock. */
    if (clock_confirmed && (self->rejected_last_ms == 0 || now_ms < self->rejected_last_ms ||
                            now_ms - self->rejected_last_ms >= SPOOL_RETAIN_REJECTED_EVERY_MS)) {
        self->rejected_last_ms = now_ms;
        spool_retain_rejected (self, now_ms);
    }
}

int
spool_retain_status (spool_retain_t *self, uint64_t now_ms, spool_retain_status_t *st,
                     kt_reason_t *reason)
{
    memset (st, 0, sizeof *st);
    st->keep_days = self->keep_days;
    DIR *dir = kt_dir_dup (self->rejected_fd);
    if (!dir)
        return kt_fail (reason, "cannot read the spool's rejected/: %s", strerror (errno));
    uint64_t keep_ms = (uint64_t) self->keep_days * SPOOL_DAY_MS;
    struct dirent *de;
    while ((de = readdir (dir))) {
        uint64_t at = s_rejected_at (self, de->d_name);
        if (at == 0)
            continue;
        char final[NAME_MAX + 1];
        snprintf (final, sizeof final, "%.*s", (int) (strlen (de->d_name) - 7), de->d_name);
        struct stat fst;
        if (fstatat (self->rejected_fd, final, &fst, AT_SYMLINK_NOFOLLOW) != 0)
            continue; /* an orphan reason: no file waiting */
        uint64_t due = at + keep_ms;
        st->waiting++;
        if (st->next_removal_ms == 0 || due < st->next_removal_ms)
            st->next_removal_ms = due;
        if (due <= now_ms + SPOOL_RETAIN_WARN_MS)
            st->within_warning++;
    }
    closedir (dir);
    return 0;
}
