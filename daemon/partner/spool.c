/*  spool: the police node's intake directory.
 *
 *  Invariants (docs/SIGNAL-FORMAT.md, "The police spool"):
 *  - work/, done/ and rejected/ are in the state directory (intake/
 *    spool-state-dir), never in the spool: the writer may rename anything
 *    in the spool, and a file in a renamed work/ would never be sent, one
 *    in a renamed done/ never forgotten.  The state directory is on the
 *    spool's filesystem and mount (a rename cannot cross either), and
 *    nobody but ketend's user (or root) may write its parent;
 *  - a file is claimed before it is read: renamed, under its own name and
 *    without replacing anything (RENAME_NOREPLACE), into work/, which only
 *    ketend writes.  Writers may replace NAME.json in the spool at any
 *    moment (they rename .NAME.tmp over it); everything after the claim -
 *    read, record, move to done/ or rejected/ - names work/NAME, which
 *    nobody else can replace, so the file moved is the file read.  A
 *    replacement is a new file for a later scan;
 *  - every scan handles work/ first: a crash or a failure leaves files
 *    there, and the (name, hash) record keeps one that was sent from being
 *    sent again.  A spool file whose name is still taken in work/ waits;
 *  - a file leaves work/ only by a rename into done/ or rejected/, never by
 *    unlink, and that rename never replaces a file already there: a later
 *    file with the same name gets the next free name, so no earlier record
 *    is destroyed;
 *  - a rejected file's reason is durable in rejected/ before the file is
 *    moved there, so a file in rejected/ always has its reason beside it;
 *  - every move is made durable (the target, work/ and the spool fsynced)
 *    before the scan goes on, so a crash cannot bring a moved file back;
 *  - a failure that says nothing about the file (out of descriptors or
 *    memory, an I/O error, a stale NFS handle) leaves it where it is for
 *    the next scan, and a line that would repeat on every scan is logged
 *    once a minute per file (s_quiet_due, ratelog.h);
 *  - the spool is where intake/spool-dir leads now: every scan compares
 *    the path with the directory held open and takes a replacement only
 *    once it passes the start's checks; a scan that cannot get through
 *    is the status's spool error (spool_health), never silence;
 *  - the layout before (work/, done/, rejected/ in the spool) is taken in
 *    by what each file is, never by the names the writer may have given
 *    the directories (s_upgrade);
 *  - file names and anything read from a file stay out of the log: names
 *    may say who a signal is about, and a reason may quote the file (an
 *    unknown key is named).  The log gets a fixed class word and the
 *    inode number (`ls -i`); rejected/ keeps the rest.
 */
#include "spool.h"

#include "intake.h"
#include "ratelog.h"
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
#include <time.h>
#include <unistd.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0) /* <linux/fs.h>: do not overwrite the target */
#endif

enum {
    SPOOL_SCAN_MAX = 1024,            /* entries looked at per directory and scan */
    SPOOL_SEQ_TRIES = 100,            /* NAME, then STEM.1.json .. STEM.99.json */
    SPOOL_TRIES = SPOOL_SEQ_TRIES + 4 /* then a few random suffixes */
};
/*  A name in done/ or rejected/: a spool name, a suffix of at most 17
 *  bytes, and room for ".reason"; below NAME_MAX (255). */
#define SPOOL_FINAL_MAX (SPOOL_NAME_MAX + 32)
/*  The layout before's work/, done/ and rejected/. */
#define SPOOL_OLD_MAX 3

struct _spool_t {
    sqlite3 *db;
    char dir[PATH_MAX];   /* the spool, which the police system writes */
    char state[PATH_MAX]; /* ketend's own: work/, done/, rejected/ */
    int dir_fd, state_fd, work_fd, done_fd, rejected_fd;
    /*  The spool's directories of the layout before whose files the
     *  scans claim (s_upgrade, s_old_work): under the name each had (the
     *  writer may have renamed them into each other's names). */
    struct {
        int fd;
        char sub[16];
        char **names; /* the files the scans claim from it (s_old_kind:
                         OLD_UNSENT), sorted; owned */
        size_t n_names;
    } old[SPOOL_OLD_MAX];
    size_t n_old;
    sqlite3_stmt *lookup, *insert, *by_hash, *by_name;
    ratelog_t *quiet; /* the lines a failure repeats on every scan */
    /*  What the last scan could not do (spool_health): look at the
     *  spool's path, (re)open it, or read it or work/.  "" when it did
     *  all. */
    kt_reason_t error;
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
    unsigned long nlink;    /* OK: how many names the file has */
    unsigned long long ino; /* OK: the inode read (fstat), for the log */
    const char *cls;        /* REJECT: fixed class word, the only thing logged */
    kt_reason_t why;        /* REJECT: the full reason, for rejected/ only */
    int err;                /* RETRY, and REJECT for a failed open or read: errno */
} spool_read_t;

static const char *const s_migrations[] = {
    "CREATE TABLE spool (name TEXT NOT NULL, hash BLOB NOT NULL, message_id BLOB NOT NULL,"
    " owner INTEGER NOT NULL, at_ms INTEGER NOT NULL, PRIMARY KEY (name, hash));",
    /*  art. 13: a file name may say who a signal is about, and the row
     *  outlives the file (it is what the re-drop check needs); keep the
     *  name's hash only.  secure_delete (store_open) overwrites the old
     *  table's pages. */
    "CREATE TABLE spool_v2 (name_hash BLOB NOT NULL, hash BLOB NOT NULL,"
    " message_id BLOB NOT NULL, owner INTEGER NOT NULL, at_ms INTEGER NOT NULL,"
    " PRIMARY KEY (name_hash, hash));"
    "INSERT INTO spool_v2 SELECT spool_name_hash (name), hash, message_id, owner, at_ms"
    " FROM spool;"
    "DROP TABLE spool;"
    "ALTER TABLE spool_v2 RENAME TO spool;",
    /*  spool_each_by_hash, for every file in done/ after a receipt. */
    "CREATE INDEX spool_by_hash ON spool (hash);",
    /*  spool_forget, when the signal is destroyed (art. 13). */
    "CREATE INDEX spool_by_message ON spool (message_id);",
};

/*  BLAKE2b-256 of a file name: what the spool table keeps of it. */
static void
s_name_hash (const char *name, uint8_t out[32])
{
    crypto_generichash (out, 32, (const uint8_t *) name, strlen (name), NULL, 0);
}

/*  spool_name_hash (TEXT): s_name_hash in SQL, for migration 2 only. */
static void
s_sql_name_hash (sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void) argc;
    const unsigned char *name = sqlite3_value_text (argv[0]);
    if (!name) {
        sqlite3_result_error (ctx, "spool_name_hash: no name", -1);
        return;
    }
    uint8_t hash[32];
    s_name_hash ((const char *) name, hash);
    sqlite3_result_blob (ctx, hash, sizeof hash, SQLITE_TRANSIENT);
}

static void s_final_name (char *out, size_t cap, const char *name, int attempt);
static int s_original_name (const char *name, char *out, size_t cap);
static spool_outcome_t s_read_at (int dir, const char *name, spool_read_t *r);
static int s_forwarded (spool_t *self, const char *name, const uint8_t hash[32]);
static bool s_quiet_due (spool_t *self, const char *event, unsigned long long ino);
static bool s_is_candidate (const char *name);

/*  Open sub under dir_fd (path dir), creating it (0700) if needed; a new
 *  directory is made durable in dir at once.  Returns the descriptor, or
 *  -1 with reason. */
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

/*  work/, done/ and rejected/ must be ketend's alone.  The claim, and the
 *  moves out of work/ on a filesystem without RENAME_NOREPLACE, rely on
 *  nobody else creating or replacing a name in work/; done/ and
 *  rejected/ hold the signals themselves, and whoever owned them could
 *  read and change every one.  One someone else owns is refused; a work/
 *  open to group or others (made by hand) is closed (0700).  done/ and
 *  rejected/ are closed to writes by group and others (who could put a
 *  file there that retention takes for one ketend wrote, or rename one
 *  away from it), and keep their read bits: the operator may let a
 *  group read rejected/.  No setuid, setgid or sticky bit is set
 *  (RestrictSUIDSGID=yes, s_state_open). */
static int
s_private (spool_t *self, int fd, const char *sub, kt_reason_t *reason)
{
    struct stat st;
    if (fstat (fd, &st) != 0)
        return kt_fail (reason, "cannot stat %s/%s: %s", self->state, sub, strerror (errno));
    if (st.st_uid != geteuid ())
        return kt_fail (reason,
                        "intake/spool-state-dir %s: %s/ belongs to uid %u, not to ketend's user"
                        " (uid %u); it must be ketend's own (chown it, or remove it and let"
                        " ketend make it)",
                        self->state, sub, (unsigned) st.st_uid, (unsigned) geteuid ());
    if (strcmp (sub, "work") != 0) {
        if ((st.st_mode & (S_IWGRP | S_IWOTH)) == 0)
            return 0;
        mode_t mode = st.st_mode & 0755;
        if (fchmod (fd, mode) != 0)
            return kt_fail (reason, "cannot close %s/%s to writes by others: %s", self->state, sub,
                            strerror (errno));
        kt_log (KT_LOG_INFO, "spool dir_made_private dir=%s mode=%04o", sub, (unsigned) mode);
        return 0;
    }
    if ((st.st_mode & 077) == 0)
        return 0;
    if (fchmod (fd, 0700) != 0)
        return kt_fail (reason, "cannot make %s/work private (0700): %s", self->state,
                        strerror (errno));
    kt_log (KT_LOG_INFO, "spool work_made_private mode=0700");
    return 0;
}

/*  Whether a rename from directory from_fd into directory to_fd can work
 *  at all: 0, or -1 with errno EXDEV when the two are on different mounts
 *  (a rename cannot cross one even within a filesystem: a bind mount, as
 *  systemd makes one of each ReadWritePaths= entry).  The probe renames
 *  nothing: the kernel compares the two mounts first, and then refuses
 *  "." as a target that exists (EEXIST) before it looks at the source.  A
 *  kernel without renameat2 (ENOSYS) is taken at its word (st_dev, by the
 *  caller). */
static int
s_same_mount (int from_fd, int to_fd)
{
    if (spool_rename_noreplace (from_fd, ".keten-mount-probe", to_fd, ".") == 0 || errno != EXDEV)
        return 0;
    return -1;
}

/*  What a check makes of a system call that failed with err: the setup
 *  is wrong (-1: access refused, by a mode or by the unit's sandbox, or
 *  a path that leads to no directory), or it cannot tell now (1: an I/O
 *  error, a stale NFS handle, out of descriptors or memory, anything
 *  else), which a start leaves to a restart.  ketend --check and the
 *  start's check refuse the first (exit 78, not restarted); the start
 *  itself fails on the second when it persists (exit 1, restarted). */
static int
s_check_failed (int err)
{
    return err == EACCES || err == EPERM || err == ENOENT || err == ENOTDIR || err == ELOOP ||
                   err == ENAMETOOLONG
               ? -1
               : 1;
}

/*  target_fd (path target) on the filesystem and mount of the spool
 *  (dir_fd, path dir): 0, or -1 with a reason naming both (1 when it
 *  cannot tell now, s_check_failed). */
static int
s_same_place (int dir_fd, const char *dir, int target_fd, const char *target, kt_reason_t *reason)
{
    struct stat spool, st;
    if (fstat (dir_fd, &spool) != 0 || fstat (target_fd, &st) != 0) {
        int err = errno;
        kt_fail (reason, "cannot stat %s or %s: %s", dir, target, strerror (err));
        return s_check_failed (err);
    }
    /*  The advice first, the paths last: a refusal is at most
     *  KT_REASON_MAX bytes, and a unit's paths with a long node id (40
     *  bytes) still fit whole. */
    if (st.st_dev != spool.st_dev)
        return kt_fail (reason,
                        "a rename cannot cross filesystems: put intake/spool-state-dir beside"
                        " the spool; %s is on another filesystem than the spool %s",
                        target, dir);
    if (s_same_mount (dir_fd, target_fd) != 0)
        return kt_fail (reason,
                        "a rename cannot cross mounts (each ReadWritePaths= entry is one): keep"
                        " both under one entry; %s is on another mount than the spool %s",
                        target, dir);
    return 0;
}

/*  The state directory (fd, path state) and what of work/, done/ and
 *  rejected/ is in it already: directories of ketend's user (user), as
 *  the start makes them.  Whoever owned one could read and change every
 *  signal in it, or (work/) replace a file being sent.  The start would
 *  refuse them as well (s_state_open, s_private), but only as a failure
 *  (exit 1), restarted for ever; here they are refused in ketend --check
 *  and at start alike (exit 78). */
static int
s_check_own (int fd, const char *state, uid_t user, kt_reason_t *reason)
{
    static const char *const subs[] = {"", "work", "done", "rejected"};
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
        const char *sub = subs[i];
        struct stat st;
        if ((*sub ? fstatat (fd, sub, &st, AT_SYMLINK_NOFOLLOW) : fstat (fd, &st)) != 0) {
            int err = errno;
            if (err == ENOENT)
                continue; /* the start makes it */
            kt_fail (reason, "cannot stat %s/%s: %s", state, sub, strerror (err));
            return s_check_failed (err);
        }
        if (!S_ISDIR (st.st_mode))
            return kt_fail (reason,
                            "intake/spool-state-dir %s: %s is not a directory; ketend keeps its"
                            " %s/ there (remove it and let ketend make it)",
                            state, sub, sub);
        if (st.st_uid == user)
            continue;
        if (*sub)
            return kt_fail (reason,
                            "intake/spool-state-dir %s: %s/ belongs to uid %u, not to ketend's"
                            " user (uid %u); it must be ketend's own (chown it, or remove it"
                            " and let ketend make it)",
                            state, sub, (unsigned) st.st_uid, (unsigned) user);
        return kt_fail (reason,
                        "intake/spool-state-dir %s belongs to uid %u, not to ketend's user (uid"
                        " %u); it must be ketend's own (chown it, or remove it and let ketend"
                        " make it)",
                        state, (unsigned) st.st_uid, (unsigned) user);
    }
    return 0;
}

/*  Whether others than user and root may rename what is in directory
 *  st: it is another's, or group or others may write it and it is not
 *  sticky (in a sticky one only an entry's owner may rename the entry,
 *  and the next directory down is checked for its owner). */
static bool
s_open_to_others (const struct stat *st, uid_t user)
{
    return (st->st_uid != 0 && st->st_uid != user) ||
           ((st->st_mode & (S_IWGRP | S_IWOTH)) && !(st->st_mode & S_ISVTX));
}

/*  Where directory fd is, for a message: its path as /proc says it, or
 *  a description. */
static void
s_fd_path (int fd, char *out, size_t cap)
{
    char link[32];
    snprintf (link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink (link, out, cap - 1);
    if (n > 0)
        out[n] = '\0';
    else
        snprintf (out, cap, "a directory above it");
}

/*  Refuse directory path (stat st) above the state directory, which
 *  others than ketend's user (user) and root may write or own
 *  (s_open_to_others): -1 with reason.  Another user's may be ketend's
 *  own user's, and the check run as another (ketend --check as root,
 *  before the node's state directory, which tells ketend's user, is
 *  made): said so, not "use one like /var/spool/keten", which may be
 *  this very directory. */
static int
s_refuse_open (const char *path, const struct stat *st, uid_t user, kt_reason_t *reason)
{
    char advice[160];
    if (st->st_uid != 0 && st->st_uid != user)
        return kt_fail (reason,
                        "directories above intake/spool-state-dir must be ketend's user's"
                        " (uid %u) or root's; if ketend runs as uid %u, run the check as"
                        " that user (%s): %s is not",
                        (unsigned) user, (unsigned) st->st_uid,
                        kt_runuser_advice (advice, sizeof advice, "USER"), path);
    return kt_fail (reason,
                    "directories above intake/spool-state-dir must be writable by"
                    " ketend's user and root only (like /var/spool/keten, 0755), or"
                    " others could rename ketend's; %s (uid %u, mode %04o) is not",
                    path, (unsigned) st->st_uid, (unsigned) (st->st_mode & 07777));
}

/*  The state directory's path as configured: every directory it names on
 *  the way (/srv, /srv/open for /srv/open/st/state) as well as the real
 *  ones above it (s_check_state).  A symbolic link on the path is
 *  followed from the directory that holds it, and whoever may write that
 *  one may point the link elsewhere: the next start, or anything that
 *  opens the path again, would get another tree.  0, -1 with reason, or
 *  1 when it cannot tell now (s_check_failed). */
static int
s_check_path (const char *state, uid_t user, kt_reason_t *reason)
{
    char prefix[PATH_MAX];
    size_t len = strlen (state);
    for (size_t i = 1; i < len && i < sizeof prefix; i++) {
        if (state[i] != '/' || state[i - 1] == '/')
            continue;
        memcpy (prefix, state, i);
        prefix[i] = '\0';
        struct stat st;
        if (stat (prefix, &st) != 0) {
            int err = errno;
            kt_fail (reason, "cannot look at %s, above intake/spool-state-dir: %s", prefix,
                     strerror (err));
            return s_check_failed (err);
        }
        if (S_ISDIR (st.st_mode) && s_open_to_others (&st, user))
            return s_refuse_open (prefix, &st, user, reason);
    }
    return 0;
}

/*  The state directory state, or where it would be made (its parent,
 *  fd, when it does not exist yet): not the spool nor inside it, every
 *  directory above it writable by nobody but ketend's user (user) or
 *  root (unless sticky), so that the police system cannot rename it;
 *  ketend's own (s_check_own); on the spool's filesystem and mount.
 *  exists: whether fd is the state directory itself.  0, -1 with
 *  reason, or 1 with reason when it cannot tell now (s_check_failed). */
static int
s_check_state (int dir_fd, const char *dir, int fd, const char *state, bool exists, uid_t user,
               kt_reason_t *reason)
{
    struct stat spool, st, up;
    if (fstat (dir_fd, &spool) != 0) {
        int err = errno;
        kt_fail (reason, "cannot stat %s: %s", dir, strerror (err));
        return s_check_failed (err);
    }
    int checked = s_check_path (state, user, reason);
    if (checked != 0)
        return checked;
    /*  Up from the state directory (or the parent it would be made in) to
     *  the root: none of them the spool, and none above the state
     *  directory open to others (s_open_to_others), who could rename it
     *  or a directory it is in and put another in its place: a file left
     *  in a renamed work/ would never be sent.  A sticky parent lets
     *  others make the state directory before ketend does; it is theirs
     *  then, which s_check_own refuses.  O_PATH: a directory ketend may
     *  only pass through is looked at as well. */
    int at = dup (fd), rc = 0;
    for (int depth = 0; rc == 0 && depth < PATH_MAX / 2; depth++) {
        int parent = -1;
        if (at < 0 || fstat (at, &st) != 0 ||
            (parent = openat (at, "..", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0 ||
            fstat (parent, &up) != 0) {
            int err = errno;
            kt_fail (reason, "cannot look at the directories above %s: %s", state, strerror (err));
            rc = s_check_failed (err);
        } else if (st.st_dev == spool.st_dev && st.st_ino == spool.st_ino)
            rc = kt_fail (reason,
                          "intake/spool-state-dir must be outside the spool, where the writer"
                          " could rename ketend's directories (default SPOOL-DIR.state); it is"
                          " %s the spool: %s",
                          depth == 0 && exists ? "the same as" : "inside", state);
        else if ((depth > 0 || !exists) && s_open_to_others (&st, user)) {
            char path[PATH_MAX];
            s_fd_path (at, path, sizeof path);
            rc = s_refuse_open (path, &st, user, reason);
        }
        bool root = rc == 0 && up.st_dev == st.st_dev && up.st_ino == st.st_ino;
        if (at >= 0)
            close (at);
        at = parent;
        if (root)
            break;
    }
    if (at >= 0)
        close (at);
    if (rc != 0)
        return rc;
    if (exists && (rc = s_check_own (fd, state, user, reason)) != 0)
        return rc;
    if ((rc = s_same_place (dir_fd, dir, fd, state, reason)) != 0 || !exists)
        return rc;
    /*  And each of work/, done/ and rejected/ there: a mount of its own
     *  (a tmpfs, a bind mount) fails every move into it (EXDEV), which a
     *  start would find only after the check passed, and fail on, every
     *  5 s for ever. */
    static const char *const subs[] = {"work", "done", "rejected"};
    for (size_t i = 0; rc == 0 && i < sizeof subs / sizeof subs[0]; i++) {
        int sub = openat (fd, subs[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0) {
            int err = errno;
            if (err == ENOENT)
                continue; /* the start makes it */
            kt_fail (reason, "cannot open %s/%s: %s", state, subs[i], strerror (err));
            return s_check_failed (err);
        }
        char path[PATH_MAX + 16];
        snprintf (path, sizeof path, "%s/%s/", state, subs[i]);
        rc = s_same_place (dir_fd, dir, sub, path, reason);
        close (sub);
    }
    return rc;
}

/*  Open the state directory for a check into *fd: itself (*exists), or
 *  its parent when it is not made yet.  0; -1 with reason when neither
 *  opens, or 1 when it cannot tell now (s_check_failed). */
static int
s_open_state (const char *state, bool *exists, int *fd_p, kt_reason_t *reason)
{
    int fd = *fd_p = open (state, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    *exists = fd >= 0;
    if (fd >= 0)
        return 0;
    int err = errno;
    if (err != ENOENT) {
        kt_fail (reason, "intake/spool-state-dir %s cannot be opened: %s", state, strerror (err));
        return s_check_failed (err);
    }
    char parent[PATH_MAX];
    snprintf (parent, sizeof parent, "%s", state);
    char *slash = strrchr (parent, '/');
    if (!slash)
        snprintf (parent, sizeof parent, ".");
    else if (slash == parent)
        parent[1] = '\0';
    else
        *slash = '\0';
    fd = *fd_p = open (parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0)
        return 0;
    err = errno;
    kt_fail (reason, "intake/spool-state-dir %s cannot be made: %s: %s", state, parent,
             strerror (err));
    return s_check_failed (err);
}

int
spool_check (const char *dir, const char *state, uid_t user, kt_reason_t *reason)
{
    int dir_fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0) {
        int err = errno;
        /*  Not there at all: the setup's mistake (the unit does not make
         *  the spool), which a restart every 5 s does not cure.  A spool
         *  on a mount has the unit ordered after it (RequiresMountsFor=). */
        if (err == ENOENT)
            return kt_fail (reason,
                            "intake/spool-dir %s does not exist; make it, e.g. install -d -o "
                            "keten -g keten -m 0770 %s (docs/OPERATIONS.md)",
                            dir, dir);
        kt_fail (reason, "intake/spool-dir %s cannot be opened: %s", dir, strerror (err));
        return s_check_failed (err);
    }
    bool exists;
    int fd;
    int rc = s_open_state (state, &exists, &fd, reason);
    if (rc == 0)
        rc = s_check_state (dir_fd, dir, fd, state, exists, user, reason);
    if (fd >= 0)
        close (fd);
    close (dir_fd);
    return rc;
}

/*  Open the state directory, making it (0700) if it is missing (where
 *  spool_check allowed it): ketend's own, and closed to writes by group
 *  and others (who could rename work/ in it); a group may keep reading,
 *  for rejected/.  The mode it is closed to has no setuid, setgid or
 *  sticky bit: both units' RestrictSUIDSGID=yes refuses (EPERM) every
 *  chmod that sets S_ISUID or S_ISGID, and the start would fail for
 *  ever; none of the three means anything in a directory only ketend
 *  writes (the group of work/, done/ and rejected/, made already, stays). */
static int
s_state_open (spool_t *self, kt_reason_t *reason)
{
    bool made = mkdir (self->state, 0700) == 0;
    if (!made && errno != EEXIST)
        return kt_fail (reason, "intake/spool-state-dir %s cannot be made: %s", self->state,
                        strerror (errno));
    self->state_fd = open (self->state, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (self->state_fd < 0 || fstat (self->state_fd, &st) != 0)
        return kt_fail (reason, "intake/spool-state-dir %s cannot be opened: %s", self->state,
                        strerror (errno));
    if (made) {
        /*  Durable in its parent before anything is moved into it. */
        int up = openat (self->state_fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (up >= 0) {
            fsync (up);
            close (up);
        }
        kt_log (KT_LOG_INFO, "spool state_dir_made mode=0700");
    }
    if (st.st_uid != geteuid ())
        return kt_fail (reason,
                        "intake/spool-state-dir %s belongs to uid %u, not to ketend's user (uid"
                        " %u); it must be ketend's own (chown it, or remove it and let ketend"
                        " make it)",
                        self->state, (unsigned) st.st_uid, (unsigned) geteuid ());
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
        mode_t mode = st.st_mode & 0755;
        if (fchmod (self->state_fd, mode) != 0)
            return kt_fail (reason, "cannot close %s to writes by others: %s", self->state,
                            strerror (errno));
        kt_log (KT_LOG_INFO, "spool state_dir_made_private mode=%04o", (unsigned) mode);
    }
    return 0;
}

static void
s_names_free (char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free (names[i]);
    free (names);
}

/*  The names in directory fd (all but "." and ".."), for a pass that
 *  moves them out: a listing is not to be relied on while its directory
 *  changes.  0 with *n_p names in *names_p (the caller frees them,
 *  s_names_free), or -1 with reason when the directory cannot be read. */
static int
s_names (int fd, const char *what, char ***names_p, size_t *n_p, kt_reason_t *reason)
{
    *names_p = NULL;
    *n_p = 0;
    DIR *d = kt_dir_dup (fd);
    if (!d)
        return kt_fail (reason, "cannot read %s: %s", what, strerror (errno));
    char **names = NULL;
    size_t n = 0, cap = 0;
    int err = 0;
    for (;;) {
        errno = 0;
        struct dirent *de = readdir (d);
        if (!de) {
            err = errno;
            break;
        }
        if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
            continue;
        if (n == cap) {
            size_t grown_cap = cap ? 2 * cap : 16;
            char **grown = realloc (names, grown_cap * sizeof *grown);
            if (!grown) {
                err = ENOMEM;
                break;
            }
            names = grown;
            cap = grown_cap;
        }
        if (!(names[n] = strdup (de->d_name))) {
            err = ENOMEM;
            break;
        }
        n++;
    }
    closedir (d);
    if (err) {
        s_names_free (names, n);
        return kt_fail (reason, "cannot read %s: %s", what, strerror (err));
    }
    *names_p = names;
    *n_p = n;
    return 0;
}

/*  from_fd/name renamed to to_fd/to, never replacing to: 0, or -1 with
 *  errno (EEXIST: to is taken).  Without RENAME_NOREPLACE (NFS) a rename
 *  after looking, which is safe where only this thread names files in
 *  to_fd: the state's directories at start. */
static int
s_rename_free (int from_fd, const char *name, int to_fd, const char *to)
{
    if (spool_rename_noreplace (from_fd, name, to_fd, to) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return -1;
    struct stat st;
    if (fstatat (to_fd, to, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        errno = EEXIST;
        return -1;
    }
    return errno == ENOENT ? renameat (from_fd, name, to_fd, to) : -1;
}

/*  What an entry of a directory of the layout before is (s_old_kind).
 *  Decided by its content, never by the directory's name: the writer may
 *  rename the old work/, done/ and rejected/ in the spool into each
 *  other's names before the first start of this ketend, and a claimed,
 *  never sent file taken for a done/ one would never be sent, and kept
 *  for good (retention does not know its hash). */
typedef enum {
    OLD_GONE,   /* not there (any more), or a reason that goes with its file */
    OLD_PAIR,   /* a rejected file: its reason beside it, or gone ahead of it */
    OLD_ORPHAN, /* a reason without its file */
    OLD_SENT,   /* recorded as sent with its content: under its own name, or
                   (numbered in done/, STEM.N.json) the one it came in under */
    OLD_UNSENT, /* *.json without a record: the scans claim it, send or reject it */
    OLD_LEFT    /* cannot be told now, or no entry ketend makes: stays */
} old_kind_t;

/*  The name a rejected file of an old directory (old, name) gets in the
 *  state's rejected/: made of its inode, which stays the same over a
 *  crash and restart, so that its reason (moved first) and the file meet
 *  again under it, and a reason there without its file is known for this
 *  file's (s_old_kind) - its own name could be an orphan reason's of
 *  another file.  false when none fits. */
static bool
s_rejected_target (int old, const char *name, char *out, size_t cap)
{
    struct stat st;
    if (fstatat (old, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return false;
    size_t len = strlen (name);
    bool json = len > 5 && strcmp (name + len - 5, ".json") == 0;
    int n = json ? snprintf (out, cap, "%.*s.%016llx.json", (int) (len - 5), name,
                             (unsigned long long) st.st_ino)
                 : snprintf (out, cap, "%s.%016llx", name, (unsigned long long) st.st_ino);
    return n > 0 && (size_t) n + 8 < cap && (size_t) n + 7 <= NAME_MAX;
}

/*  What entry name of old directory old is (old_kind_t); to_rejected is
 *  the state's rejected/ (-1: none yet).  For OLD_SENT, base receives the
 *  name its record has (what a numbered name in done/ is made from, and
 *  what spool_forget knows it by: its own, even one that looks numbered,
 *  rapport.12.json, or the one it came in under, x.json for x.1.json).
 *  -1 with reason when the spool table cannot be read. */
static int
s_old_kind (spool_t *self, int old, int to_rejected, const char *name, char *base, size_t cap,
            old_kind_t *kind, kt_reason_t *reason)
{
    struct stat st;
    char other[NAME_MAX + 16];
    size_t len = strlen (name);
    *kind = OLD_LEFT;
    if (fstatat (old, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT)
            *kind = OLD_GONE;
        return 0;
    }
    if (len > 7 && strcmp (name + len - 7, ".reason") == 0) {
        snprintf (other, sizeof other, "%.*s", (int) (len - 7), name);
        if (fstatat (old, other, &st, AT_SYMLINK_NOFOLLOW) == 0)
            *kind = OLD_GONE; /* moved with its file */
        else if (errno == ENOENT)
            *kind = OLD_ORPHAN;
        return 0;
    }
    snprintf (other, sizeof other, "%s.reason", name);
    if (fstatat (old, other, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        *kind = OLD_PAIR;
        return 0;
    }
    if (errno != ENOENT)
        return 0;
    /*  Its reason gone ahead into the state's rejected/ before a crash
     *  (s_merge_rejected_file), under the name of this very inode. */
    char final[NAME_MAX + 1];
    if (to_rejected >= 0 && s_rejected_target (old, name, final, sizeof final)) {
        snprintf (other, sizeof other, "%s.reason", final);
        if (fstatat (to_rejected, other, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            fstatat (to_rejected, final, &st, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT) {
            *kind = OLD_PAIR;
            return 0;
        }
    }
    if (!s_is_candidate (name))
        return 0;
    spool_read_t r = {0};
    switch (s_read_at (old, name, &r)) {
    case SPOOL_READ_GONE:
        *kind = OLD_GONE;
        return 0;
    case SPOOL_READ_RETRY:
        return 0; /* the next start looks again */
    case SPOOL_READ_REJECT:
        /*  One that cannot be read (EACCES: a mode the writer gave it)
         *  may have been sent: it stays, and the next start looks again.
         *  Any other (too large, not a regular file...) was not: the
         *  claim rejects it. */
        if (strcmp (r.cls, "unreadable") != 0)
            *kind = OLD_UNSENT;
        return 0;
    case SPOOL_READ_OK:
        break;
    }
    uint8_t hash[32];
    crypto_generichash (hash, sizeof hash, (const uint8_t *) r.data, r.len, NULL, 0);
    sodium_memzero (r.data, r.len);
    free (r.data);
    *kind = OLD_UNSENT;
    char original[SPOOL_FINAL_MAX];
    int seen = s_forwarded (self, name, hash);
    if (seen == 1)
        snprintf (base, cap, "%s", name);
    else if (seen == 0 && s_original_name (name, original, sizeof original) &&
             (seen = s_forwarded (self, original, hash)) == 1)
        snprintf (base, cap, "%s", original);
    if (seen < 0)
        return kt_fail (reason, "cannot read the spool table to take in %s's old directories",
                        self->dir);
    if (seen == 1)
        *kind = OLD_SENT;
    return 0;
}

/*  Whether every entry of old directory old is what a directory of ketend
 *  named sub holds, so that it may become the state's sub whole:
 *  work/ files a scan takes as they are (not recorded, or recorded under
 *  their own names), done/ files recorded as sent, rejected/ files with
 *  their reasons (and reasons alone).  -1 with reason when the spool
 *  table cannot be read. */
static int
s_old_fits (spool_t *self, int old, const char *sub, bool *fits, kt_reason_t *reason)
{
    char **names;
    size_t n;
    *fits = false;
    if (s_names (old, "a directory of the layout before", &names, &n, reason) != 0)
        return -1;
    int to_rejected =
        openat (self->state_fd, "rejected", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int rc = 0;
    bool ok = true;
    for (size_t i = 0; ok && i < n; i++) {
        char base[SPOOL_FINAL_MAX];
        old_kind_t kind;
        if ((rc = s_old_kind (self, old, to_rejected, names[i], base, sizeof base, &kind,
                              reason)) != 0)
            break;
        if (strcmp (sub, "work") == 0)
            ok = kind == OLD_GONE || kind == OLD_UNSENT ||
                 (kind == OLD_SENT && strcmp (base, names[i]) == 0);
        else if (strcmp (sub, "done") == 0)
            ok = kind == OLD_GONE || kind == OLD_SENT;
        else
            ok = kind == OLD_GONE || kind == OLD_PAIR || kind == OLD_ORPHAN;
    }
    if (to_rejected >= 0)
        close (to_rejected);
    s_names_free (names, n);
    *fits = rc == 0 && ok;
    return rc;
}

/*  One file of the old rejected/ (old, name) into the state's (to) under
 *  final: its reason first, then the file, so that rejected/ never holds
 *  a file without its reason (retention would keep it for good).  final
 *  is free, so a reason there explains no file (an orphan, or this one's,
 *  moved before a crash): replaced.  A file that will not move (a
 *  directory the writer dropped and ketend may not write) takes its
 *  reason back.  0 moved; 1 stays (both in old); -1 with reason when the
 *  reason could not be taken back. */
static int
s_merge_rejected_file (int old, int to, const char *name, const char *final, kt_reason_t *reason)
{
    char why[NAME_MAX + 8], why_to[NAME_MAX + 8];
    snprintf (why, sizeof why, "%s.reason", name);
    snprintf (why_to, sizeof why_to, "%s.reason", final);
    struct stat st;
    bool reasoned = fstatat (old, why, &st, AT_SYMLINK_NOFOLLOW) == 0;
    if (reasoned && (renameat (old, why, to, why_to) != 0 || fsync (to) != 0))
        return 1;
    if (s_rename_free (old, name, to, final) == 0)
        return 0;
    if (reasoned && s_rename_free (to, why_to, old, why) != 0)
        return kt_fail (reason,
                        "a rejected file's reason was moved into the state's rejected/ and its"
                        " file would not follow, nor would the reason go back: %s",
                        strerror (errno));
    return 1;
}

static int
s_cmp_names (const void *a, const void *b)
{
    return strcmp (*(char *const *) a, *(char *const *) b);
}

/*  An old directory's files into the state's directories one by one, each
 *  by what it is (s_old_kind), never by the directory's name: a rejected
 *  file with its reason into rejected/ (s_merge_rejected_file, under its
 *  inode's name); a reason without its file there under its own name if
 *  it is free, else it goes; a file recorded as sent into done/ under its
 *  name or, taken, the next free numbered one of the name its record
 *  has (spool_forget finds it by that); a *.json without a record is left
 *  for the scans, which claim it like a spool file, so it is sent or
 *  rejected (*claim).  What cannot move, or cannot be told now, stays,
 *  counted in *left.  Crashes: every step is one rename (a reason before
 *  its file), so a file is in one place or the other, and the next start
 *  goes on.  -1 with reason when old or the spool table cannot be read,
 *  or a reason is left parted from its file. */
static int
s_merge_old (spool_t *self, int old, size_t *left, char ***claim, size_t *n_claim,
             kt_reason_t *reason)
{
    char **names;
    size_t n;
    *claim = NULL;
    *n_claim = 0;
    if (s_names (old, "a directory of the layout before", &names, &n, reason) != 0)
        return -1;
    int done = s_subdir (self->state_fd, self->state, "done", reason);
    int rejected = done < 0 ? -1 : s_subdir (self->state_fd, self->state, "rejected", reason);
    int rc = rejected < 0 ? -1 : 0;
    for (size_t i = 0; i < n && rc >= 0; i++) {
        const char *name = names[i];
        char base[SPOOL_FINAL_MAX], final[SPOOL_FINAL_MAX + 16];
        old_kind_t kind;
        if ((rc = s_old_kind (self, old, rejected, name, base, sizeof base, &kind, reason)) != 0)
            break;
        int moved = 0;
        switch (kind) {
        case OLD_GONE:
            break;
        case OLD_PAIR:
            moved = !s_rejected_target (old, name, final, sizeof final)
                        ? 1
                        : s_merge_rejected_file (old, rejected, name, final, reason);
            if (moved < 0)
                rc = -1;
            break;
        case OLD_ORPHAN:
            /*  It explains no file: under its own name if that is free. */
            if (s_rename_free (old, name, rejected, name) != 0 &&
                (errno != EEXIST || unlinkat (old, name, 0) != 0))
                moved = 1;
            break;
        case OLD_SENT:
            moved = s_rename_free (old, name, done, name);
            for (int attempt = 1; moved != 0 && errno == EEXIST && attempt < SPOOL_TRIES;
                 attempt++) {
                s_final_name (final, sizeof final, base, attempt);
                moved = s_rename_free (old, name, done, final);
            }
            moved = moved != 0; /* stays, for the next start */
            break;
        case OLD_UNSENT:
            /*  Only these: a file recorded as sent that stays (no free
             *  name) must not be claimed, where it would be taken for a
             *  new one under a numbered name. */
            {
                char *keep = names[i];
                names[i] = names[*n_claim];
                names[(*n_claim)++] = keep;
            }
            break;
        case OLD_LEFT:
            moved = 1;
            break;
        }
        *left += moved > 0;
    }
    if (rc == 0 && (fsync (rejected) != 0 || fsync (done) != 0 || fsync (old) != 0))
        rc = kt_fail (reason,
                      "cannot make the moves out of a directory of the layout before"
                      " durable: %s",
                      strerror (errno));
    if (done >= 0)
        close (done);
    if (rejected >= 0)
        close (rejected);
    /*  The ones for the scans, moved to the front, become *claim. */
    for (size_t i = *n_claim; i < n; i++)
        free (names[i]);
    if (rc < 0 || *n_claim == 0) {
        s_names_free (names, *n_claim);
        *n_claim = 0;
        return rc < 0 ? -1 : 0;
    }
    qsort (names, *n_claim, sizeof *names, s_cmp_names);
    *claim = names;
    return 0;
}

/*  The spool's sub of the layout before, opened into *old_p (and its
 *  stat into st) when it is one: a directory of ketend's user.  Opened
 *  before it is looked at, since the writer may rename anything in the
 *  spool at any moment: what is checked is what the upgrade merges from
 *  (this descriptor), and what it moves whole by name is checked again
 *  after (s_moved_whole).  Anything else under that name - none, no
 *  directory, one ketend may not read, another user's - is the
 *  writer's, and left alone like every entry of the spool not named
 *  *.json (*old_p -1); a directory of that name is logged, once a start
 *  (the name is fixed, nothing of the writer's is in the line): the
 *  operator may have made it for ketend, which will not take it.  0, or
 *  -1 with reason when it cannot be looked at now. */
static int
s_old_layout (spool_t *self, const char *sub, int *old_p, struct stat *st, kt_reason_t *reason)
{
    int old = *old_p = openat (self->dir_fd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (old < 0) {
        int err = errno;
        /*  One ketend may not read: whose it is, as for another user's
         *  below (the operator's look starts there). */
        if (err == EACCES && fstatat (self->dir_fd, sub, st, AT_SYMLINK_NOFOLLOW) == 0)
            kt_log (KT_LOG_WARN, "spool layout_not_ketends dir=%s uid=%u", sub,
                    (unsigned) st->st_uid);
        else if (err == EACCES)
            kt_log (KT_LOG_WARN, "spool layout_not_ketends dir=%s", sub);
        if (err == ENOENT || err == ENOTDIR || err == ELOOP || err == EACCES)
            return 0;
        return kt_fail (reason, "cannot open %s/%s: %s", self->dir, sub, strerror (err));
    }
    if (fstat (old, st) != 0) {
        int err = errno;
        close (old);
        *old_p = -1;
        return kt_fail (reason, "cannot stat %s/%s: %s", self->dir, sub, strerror (err));
    }
    if (st->st_uid != geteuid ()) {
        kt_log (KT_LOG_WARN, "spool layout_not_ketends dir=%s uid=%u", sub, (unsigned) st->st_uid);
        close (old);
        *old_p = -1;
        return 0;
    }
    /*  What is in it is looked at before it moves (s_old_fits): nobody
     *  but ketend may change that meanwhile (no setgid bit, as in
     *  s_state_open). */
    if ((st->st_mode & (S_IWGRP | S_IWOTH)) != 0 && fchmod (old, st->st_mode & 0755) != 0) {
        int err = errno;
        close (old);
        *old_p = -1;
        return kt_fail (reason, "cannot close %s/%s to writes by others: %s", self->dir, sub,
                        strerror (err));
    }
    return 0;
}

/*  After the spool's sub was renamed into the state directory whole:
 *  whether it was the directory checked (was, s_old_layout).  The writer
 *  may have renamed another in its place in between - its own, or
 *  another of ketend's old ones - which must not become (or be merged
 *  into) ketend's: that one goes back into the spool, and the start
 *  fails, so that the next looks again.  0 when it was (the move made
 *  durable); -1 with reason. */
static int
s_moved_whole (spool_t *self, const char *sub, const struct stat *was, kt_reason_t *reason)
{
    struct stat now;
    if (fstatat (self->state_fd, sub, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
        now.st_dev == was->st_dev && now.st_ino == was->st_ino) {
        if (fsync (self->state_fd) != 0 || fsync (self->dir_fd) != 0)
            return kt_fail (reason, "cannot make the move of %s/%s durable: %s", self->dir, sub,
                            strerror (errno));
        kt_log (KT_LOG_INFO, "spool layout_moved dir=%s", sub);
        return 0;
    }
    int back = s_rename_free (self->state_fd, sub, self->dir_fd, sub);
    if (back != 0 && errno == EEXIST) {
        /*  The writer made sub anew meanwhile: back under a name of its
         *  own in the spool, never left as ketend's sub (whose next
         *  start would take it for ketend's own, wrongly owned one). */
        char aside[64];
        snprintf (
            aside, sizeof aside, "%s.returned.%016llx", sub,
            (unsigned long long) (fstatat (self->state_fd, sub, &now, AT_SYMLINK_NOFOLLOW) == 0
                                      ? now.st_ino
                                      : 0));
        back = s_rename_free (self->state_fd, sub, self->dir_fd, aside);
    }
    int err = errno;
    fsync (self->state_fd);
    fsync (self->dir_fd);
    kt_log (KT_LOG_WARN, "spool layout_replaced dir=%s put_back=%s", sub, back == 0 ? "yes" : "no");
    if (back == 0)
        return kt_fail (reason,
                        "the spool's %s/ was replaced by another directory while it was moved"
                        " into %s; that one is back in the spool, and the next start looks again",
                        sub, self->state);
    return kt_fail (reason,
                    "the spool's %s/ was replaced by another directory while it was moved into"
                    " %s, and that one cannot go back (%s): move %s/%s into the spool by hand",
                    sub, self->state, strerror (err), self->state, sub);
}

/*  Remove the spool's old sub, now empty, if it is still the directory
 *  opened as fd (the writer may have put another one there by now). */
static void
s_old_remove (spool_t *self, const char *sub, int fd)
{
    struct stat now, was;
    if (fstat (fd, &was) != 0 || fstatat (self->dir_fd, sub, &now, AT_SYMLINK_NOFOLLOW) != 0 ||
        now.st_dev != was.st_dev || now.st_ino != was.st_ino)
        return;
    if (unlinkat (self->dir_fd, sub, AT_REMOVEDIR) == 0) {
        fsync (self->dir_fd);
        kt_log (KT_LOG_INFO, "spool layout_moved dir=%s", sub);
    } else
        kt_log (KT_LOG_WARN, "spool layout_left dir=%s errno=%d", sub, errno);
}

/*  The layout before kept work/, done/ and rejected/ in the spool; a start
 *  moves what is in them into the state directory.  The writer may have
 *  renamed them into each other's names, so their names say nothing:
 *  each is looked at, and where everything in it is what ketend's
 *  directory of its name holds (s_old_fits) and the state directory has
 *  none of that name yet (or an empty one), the whole directory goes by
 *  one rename, a crash leaving it in one place or the other (the
 *  directory moved is checked to be the one looked at, s_moved_whole).
 *  Otherwise its files go one by one, each by what it is (s_merge_old);
 *  the ones for the scans are claimed from it as from the spool, before
 *  the spool (spool_scan), so a file still being handled keeps its name
 *  and is found in the spool table.  What stays (no free name, or not to
 *  be told now) is left in the old directory, logged, for the next
 *  start. */
static int
s_upgrade (spool_t *self, kt_reason_t *reason)
{
    static const char *const subs[] = {"work", "done", "rejected"};
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
        const char *sub = subs[i];
        struct stat st;
        int old;
        bool fits;
        if (s_old_layout (self, sub, &old, &st, reason) != 0)
            return -1;
        if (old < 0)
            continue;
        if (s_old_fits (self, old, sub, &fits, reason) != 0) {
            close (old);
            return -1;
        }
        if (!fits)
            kt_log (KT_LOG_WARN, "spool layout_misnamed dir=%s", sub);
        else if (renameat (self->dir_fd, sub, self->state_fd, sub) == 0) {
            int rc = s_moved_whole (self, sub, &st, reason);
            close (old);
            if (rc != 0)
                return -1;
            continue;
        } else if (errno != ENOTEMPTY && errno != EEXIST) {
            int err = errno;
            close (old);
            return kt_fail (reason, "cannot move %s/%s to %s/%s: %s", self->dir, sub, self->state,
                            sub, strerror (err));
        }
        size_t left = 0, n_claim;
        char **claim;
        if (s_merge_old (self, old, &left, &claim, &n_claim, reason) != 0) {
            close (old);
            return -1;
        }
        if (left)
            kt_log (KT_LOG_WARN, "spool layout_left dir=%s entries=%zu", sub, left);
        if (n_claim) {
            /*  The scans empty it, and remove it then. */
            snprintf (self->old[self->n_old].sub, sizeof self->old[self->n_old].sub, "%s", sub);
            self->old[self->n_old].names = claim;
            self->old[self->n_old].n_names = n_claim;
            self->old[self->n_old++].fd = old;
            kt_log (KT_LOG_INFO, "spool layout_merging dir=%s", sub);
            continue;
        }
        if (!left)
            s_old_remove (self, sub, old);
        close (old);
    }
    return 0;
}

/*  done/, rejected/ and work/ must be on the filesystem and mount of the
 *  spool (dir_fd): files go there by rename, which can cross neither
 *  (EXDEV on every scan, for ever). */
static int
s_same_filesystem (spool_t *self, int dir_fd, kt_reason_t *reason)
{
    const struct {
        const char *sub;
        int fd;
    } subs[] = {{"work", self->work_fd}, {"done", self->done_fd}, {"rejected", self->rejected_fd}};
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
        char path[PATH_MAX + 16];
        snprintf (path, sizeof path, "%s/%s/", self->state, subs[i].sub);
        if (s_same_place (dir_fd, self->dir, subs[i].fd, path, reason) != 0)
            return -1;
    }
    return 0;
}

/*  Whether intake/spool-dir still names the directory the spool holds
 *  open (dir_fd).  The police system may put another in its place at any
 *  time - a redeploy that makes its drop directory anew, a share mounted
 *  over it - and the descriptor would keep reading the old one, where
 *  nothing arrives any more: forwarding would stop without a word.  So
 *  every scan compares the path with the descriptor (device and inode)
 *  and, where they differ, opens the new one and checks it as a start
 *  does (spool_check: the state directory not inside it, on its
 *  filesystem and mount, ...; work/, done/ and rejected/ too).  One that
 *  passes is scanned from now on; the old one is synced first (a claim
 *  from it is durable) and closed.  0: scan dir_fd.  -1 with self->error
 *  set: the path leads to no directory that can be used now, and the
 *  spool is not scanned (the old directory is no longer the spool) until
 *  it does; status says so (spool_health), which `keten status --check`
 *  and the metrics raise. */
static int
s_follow_spool (spool_t *self)
{
    struct stat now, held;
    if (stat (self->dir, &now) != 0) {
        int err = errno;
        if (s_quiet_due (self, "dir_unreachable", 0))
            kt_log (KT_LOG_ERROR, "spool dir_unreachable errno=%d%s", err,
                    ratelog_note (self->quiet));
        return kt_fail (&self->error, "intake/spool-dir %s cannot be looked at: %s", self->dir,
                        strerror (err));
    }
    if (fstat (self->dir_fd, &held) == 0 && now.st_dev == held.st_dev && now.st_ino == held.st_ino)
        return 0;
    kt_reason_t why;
    int fd = open (self->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        kt_fail (&why, "intake/spool-dir %s was replaced, and the new one cannot be opened: %s",
                 self->dir, strerror (errno));
    else if (s_check_state (fd, self->dir, self->state_fd, self->state, true, geteuid (), &why) !=
                 0 ||
             s_same_filesystem (self, fd, &why) != 0) {
        close (fd);
        fd = -1;
    }
    if (fd < 0) {
        /*  The paths of the config and a fixed text: no file's name. */
        if (s_quiet_due (self, "dir_refused", 0))
            kt_log (KT_LOG_ERROR, "spool dir_refused reason=\"%s\"%s", why.text,
                    ratelog_note (self->quiet));
        self->error = why;
        return -1;
    }
    if (fsync (self->dir_fd) != 0)
        kt_log (KT_LOG_ERROR, "spool fsync_failed dir=spool errno=%d", errno);
    close (self->dir_fd);
    self->dir_fd = fd;
    kt_log (KT_LOG_WARN, "spool dir_replaced: intake/spool-dir is another directory now, scanned"
                         " from here on");
    return 0;
}

/*  The spool's tables up to date.  Migration 2 replaces the file names
 *  with their hashes; secure_delete zeroes the freed pages, but older WAL
 *  frames may still hold the names, so the WAL is checkpointed and
 *  truncated right after it. */
static int
s_migrate (sqlite3 *db, kt_reason_t *reason)
{
    int64_t was = store_int (db, "SELECT version FROM schema_version WHERE module='spool'", 0);
    if (store_migrate (db, "spool", s_migrations, sizeof s_migrations / sizeof s_migrations[0],
                       reason) != 0)
        return -1;
    return was == 1 ? store_wal_truncate (db, NULL, "truncate node.db's WAL", reason) : 0;
}

/*  Make spool_name_hash known to db (migration 2 calls it). */
static int
s_register_name_hash (sqlite3 *db, kt_reason_t *reason)
{
    if (sqlite3_create_function (db, "spool_name_hash", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
                                 s_sql_name_hash, NULL, NULL) != SQLITE_OK)
        return kt_fail (reason, "cannot register spool_name_hash: %s", sqlite3_errmsg (db));
    return 0;
}

spool_t *
spool_new (sqlite3 *db, const char *dir, const char *state, kt_reason_t *reason)
{
    spool_t *self = calloc (1, sizeof *self);
    if (!self) {
        kt_fail (reason, "out of memory");
        return NULL;
    }
    self->db = db;
    self->dir_fd = self->state_fd = self->work_fd = self->done_fd = self->rejected_fd = -1;
    snprintf (self->dir, sizeof self->dir, "%s", dir);
    snprintf (self->state, sizeof self->state, "%s", state);
    if (!(self->quiet = ratelog_new ())) {
        kt_fail (reason, "out of memory");
        spool_destroy (&self);
        return NULL;
    }
    self->dir_fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (self->dir_fd < 0) {
        kt_fail (reason, "intake/spool-dir %s cannot be opened: %s", dir, strerror (errno));
        spool_destroy (&self);
        return NULL;
    }
    bool exists;
    int where;
    int checked = s_open_state (state, &exists, &where, reason);
    if (checked == 0)
        checked = s_check_state (self->dir_fd, dir, where, state, exists, geteuid (), reason);
    if (where >= 0)
        close (where);
    /*  The table before the upgrade: what a file of the layout before is
     *  (s_old_kind) is told by its record. */
    if (checked != 0 || s_state_open (self, reason) != 0 ||
        s_register_name_hash (db, reason) != 0 || s_migrate (db, reason) != 0 ||
        !(self->lookup = store_prepare (
              db, "SELECT message_id FROM spool WHERE name_hash=? AND hash=?", reason)) ||
        !(self->insert = store_prepare (db,
                                        "INSERT INTO spool (name_hash, hash, message_id, owner,"
                                        " at_ms) VALUES (?,?,?,?,?)",
                                        reason)) ||
        !(self->by_hash =
              store_prepare (db, "SELECT message_id FROM spool WHERE hash=?", reason)) ||
        !(self->by_name =
              store_prepare (db, "SELECT message_id FROM spool WHERE name_hash=?", reason)) ||
        s_upgrade (self, reason) != 0 ||
        (self->work_fd = s_subdir (self->state_fd, state, "work", reason)) < 0 ||
        (self->done_fd = s_subdir (self->state_fd, state, "done", reason)) < 0 ||
        (self->rejected_fd = s_subdir (self->state_fd, state, "rejected", reason)) < 0 ||
        s_private (self, self->work_fd, "work", reason) != 0 ||
        s_private (self, self->done_fd, "done", reason) != 0 ||
        s_private (self, self->rejected_fd, "rejected", reason) != 0 ||
        s_same_filesystem (self, self->dir_fd, reason) != 0) {
        spool_destroy (&self);
        return NULL;
    }
    return self;
}

int
spool_done_fd (const spool_t *self)
{
    return self->done_fd;
}

int
spool_rejected_fd (const spool_t *self)
{
    return self->rejected_fd;
}

void
spool_destroy (spool_t **self_p)
{
    spool_t *self = *self_p;
    if (!self)
        return;
    sqlite3_finalize (self->lookup);
    sqlite3_finalize (self->insert);
    sqlite3_finalize (self->by_hash);
    sqlite3_finalize (self->by_name);
    const int fds[] = {self->dir_fd, self->state_fd, self->work_fd, self->done_fd,
                       self->rejected_fd};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
        if (fds[i] >= 0)
            close (fds[i]);
    for (size_t i = 0; i < self->n_old; i++) {
        close (self->old[i].fd);
        s_names_free (self->old[i].names, self->old[i].n_names);
    }
    ratelog_destroy (&self->quiet);
    free (self);
    *self_p = NULL;
}

/*  Whether a line for event about inode ino (or another key), which a
 *  failure would repeat on every scan (every spool-poll-ms), is to be
 *  written now: once per (event, ino) a minute, at most RATELOG_BUDGET
 *  such lines a minute in all.  When it is, ratelog_note (self->quiet)
 *  holds what the line should add (" repeated=N", " suppressed=N"). */
static bool
s_quiet_due (spool_t *self, const char *event, unsigned long long ino)
{
    return ratelog_due (self->quiet, event, ino, kt_mono_us ());
}

/*  Log "spool EVENT ino=INO errno=ERR" through s_quiet_due. */
static void
s_log_repeating (spool_t *self, kt_log_level_t level, const char *event, unsigned long long ino,
                 int err)
{
    if (s_quiet_due (self, event, ino))
        kt_log (level, "spool %s ino=%llu errno=%d%s", event, ino, err, ratelog_note (self->quiet));
}

int
spool_rename_noreplace (int from_fd, const char *from, int to_fd, const char *to)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 28))
    return renameat2 (from_fd, from, to_fd, to, RENAME_NOREPLACE);
#else
    return (int) syscall (SYS_renameat2, from_fd, from, to_fd, to, RENAME_NOREPLACE);
#endif
}

/*  Claim file name of directory from_fd (the spool, or the old layout's
 *  work/): rename it to work/NAME, never replacing work/NAME.  0, or -1
 *  with errno (EEXIST: work/NAME is taken).
 *
 *  Without RENAME_NOREPLACE: only this process writes work/, and only
 *  from its one thread, so a name free in work/ now is still free at the
 *  rename; a plain rename then takes whatever NAME is at that instant, in
 *  one step.  (Link + unlink would unlink by name, and could delete a file
 *  that replaced NAME in between.) */
static int
s_claim_rename (spool_t *self, int from_fd, const char *name)
{
    if (spool_rename_noreplace (from_fd, name, self->work_fd, name) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return -1;
    struct stat st;
    if (fstatat (self->work_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        errno = EEXIST;
        return -1;
    }
    if (errno != ENOENT)
        return -1;
    return renameat (from_fd, name, self->work_fd, name);
}

/*  Move work/NAME to to_fd/FINAL, never replacing FINAL: 0, or -1 with
 *  errno (EEXIST: take the next name).  Without RENAME_NOREPLACE: link,
 *  which refuses an existing FINAL as well, then unlink work/NAME - by
 *  name, which is safe here because nobody but this process names files in
 *  work/, so it is still the file just linked.  A crash (or a failed
 *  unlink) between the two leaves the file in both places: the next scan
 *  finds it in the table and moves it again, or rejects it again (it now
 *  has two names: class hard_link).  A copy too many, nothing lost. */
static int
s_move_from_work (spool_t *self, const char *name, int to_fd, const char *final)
{
    if (spool_rename_noreplace (self->work_fd, name, to_fd, final) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return -1;
    if (linkat (self->work_fd, name, to_fd, final, 0) != 0)
        return -1;
    if (unlinkat (self->work_fd, name, 0) != 0)
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

/*  Make a move out of work/ durable: first the new entry in to_fd, then
 *  the removal from work/, then the claim's removal from the spool (a
 *  crash may otherwise undo the claim but not the move), so that a crash
 *  cannot bring the file back to be handled a second time. */
static void
s_sync_move (spool_t *self, int to_fd, const char *to)
{
    if (fsync (to_fd) != 0)
        kt_log (KT_LOG_ERROR, "spool fsync_failed dir=%s errno=%d", to, errno);
    if (fsync (self->work_fd) != 0)
        kt_log (KT_LOG_ERROR, "spool fsync_failed dir=work errno=%d", errno);
    if (fsync (self->dir_fd) != 0)
        kt_log (KT_LOG_ERROR, "spool fsync_failed dir=spool errno=%d", errno);
    for (size_t i = 0; i < self->n_old; i++)
        if (fsync (self->old[i].fd) != 0)
            kt_log (KT_LOG_ERROR, "spool fsync_failed dir=old_%s errno=%d", self->old[i].sub,
                    errno);
}

/*  Move work/NAME into done/ under the first free name (never replacing
 *  an earlier file).  0 when moved; -1 (logged) when it stays in work/:
 *  the next scan finds it in the table and tries again. */
static int
s_move_done (spool_t *self, const char *name, unsigned long long ino)
{
    char final[SPOOL_FINAL_MAX];
    for (int attempt = 0; attempt < SPOOL_TRIES; attempt++) {
        s_final_name (final, sizeof final, name, attempt);
        if (s_move_from_work (self, name, self->done_fd, final) == 0) {
            s_sync_move (self, self->done_fd, "done");
            /*  Handled: its inode is freed when done/ forgets the file
             *  (spool_retain.c) and may be the next file's at once. */
            ratelog_forget (self->quiet, ino);
            return 0;
        }
        if (errno != EEXIST)
            break;
    }
    s_log_repeating (self, errno == ENOENT ? KT_LOG_WARN : KT_LOG_ERROR, "move_failed to=done", ino,
                     errno);
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
    /*  art. 13: the reason's mtime is when the file was rejected, on
     *  ketend's own clock (not the kernel's, which a faked clock in a test
     *  does not move), and rejected/ is emptied by it (spool_retain.c). */
    uint64_t now = kt_now_ms ();
    struct timespec at[2] = {{(time_t) (now / 1000), (long) (now % 1000) * 1000000L},
                             {(time_t) (now / 1000), (long) (now % 1000) * 1000000L}};
    int rc = write (fd, text, len) == (ssize_t) len && futimens (fd, at) == 0 && fsync (fd) == 0
                 ? 0
                 : -1;
    int err = errno;
    close (fd);
    if (rc == 0 && fsync (self->rejected_fd) == 0)
        return 0;
    err = rc == 0 ? errno : err;
    s_reason_remove (self, final);
    errno = err;
    return -1;
}

/*  Move work/NAME to rejected/ with its reason beside it, under the first
 *  name derived from as (s_final_name) for which neither FINAL nor
 *  FINAL.reason exists.  cls is a fixed word and the only part of the
 *  reason that is logged; why goes to FINAL.reason only.
 *
 *  Order, and what a crash leaves: the reason is written and made durable
 *  first, then the file is renamed, then the directories are synced.  A
 *  crash before the rename leaves FINAL.reason without FINAL and the file
 *  still in work/; the next scan rejects it again under the next free
 *  name (so the orphan reason is harmless and may be deleted).  A file in
 *  rejected/ never lacks its reason.  If the file is gone when it is to be
 *  moved (ENOENT: someone removed it from work/), its reason is removed
 *  again: no stray .reason.  Any other failure leaves the file in work/
 *  for the next scan. */
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
        if (s_move_from_work (self, name, self->rejected_fd, final) == 0) {
            s_sync_move (self, self->rejected_fd, "rejected");
            kt_log (KT_LOG_WARN, "spool rejected class=%s ino=%llu", cls, ino);
            ratelog_forget (self->quiet, ino);
            return;
        }
        int err = errno;
        s_reason_remove (self, final);
        errno = err;
        if (errno != EEXIST)
            break;
    }
    int err = errno;
    if (moving && err == ENOENT)
        kt_log (KT_LOG_INFO, "spool vanished ino=%llu", ino);
    else if (s_quiet_due (self, "reject_deferred", ino))
        kt_log (KT_LOG_ERROR, "spool reject_deferred class=%s step=%s ino=%llu errno=%d%s", cls,
                moving ? "move" : "reason", ino, err, ratelog_note (self->quiet));
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

/*  Fill entries with up to SPOOL_SCAN_MAX candidate names of directory
 *  dir_fd (path base/sub: the spool, work/, or the old layout's work/),
 *  sorted (oldest first when writers use sortable names), and return how
 *  many; the caller frees each name.  0 (logged) if the directory cannot
 *  be read, with its errno in *failed when failed is not NULL (else 0
 *  there). */
static size_t
s_list (spool_t *self, int dir_fd, const char *base, const char *sub, spool_entry_t *entries,
        int *failed)
{
    if (failed)
        *failed = 0;
    DIR *dir = kt_dir_dup (dir_fd);
    if (!dir) {
        int err = errno;
        if (s_quiet_due (self, "unreadable", (unsigned long long) dir_fd))
            kt_log (KT_LOG_ERROR, "spool unreadable dir=%s%s errno=%d%s", base, sub, err,
                    ratelog_note (self->quiet));
        if (failed)
            *failed = err ? err : EIO;
        return 0;
    }
    size_t n = 0;
    struct dirent *de;
    /*  A listing that fails (an NFS spool whose server went away) is no
     *  end of it: said, like a directory that does not open. */
    for (errno = 0; n < SPOOL_SCAN_MAX && (de = readdir (dir)); errno = 0)
        if (s_is_candidate (de->d_name)) {
            entries[n].name = strdup (de->d_name);
            entries[n].ino = (unsigned long long) de->d_ino;
            if (entries[n].name)
                n++;
        }
    int err = n < SPOOL_SCAN_MAX ? errno : 0;
    closedir (dir);
    if (err) {
        if (s_quiet_due (self, "unreadable", (unsigned long long) dir_fd))
            kt_log (KT_LOG_ERROR, "spool unreadable dir=%s%s errno=%d%s", base, sub, err,
                    ratelog_note (self->quiet));
        if (failed)
            *failed = err;
    }
    qsort (entries, n, sizeof entries[0], s_cmp);
    return n;
}

/*  Errors that say something about this moment, not about the file.
 *  ESTALE and ETIMEDOUT: an NFS spool whose server went away a moment. */
static bool
s_transient (int err)
{
    return err == EMFILE || err == ENFILE || err == ENOMEM || err == EIO || err == EAGAIN ||
           err == EINTR || err == ESTALE || err == ETIMEDOUT;
}

/*  Classify a failure (errno err) to open, stat or read a spool file. */
static spool_outcome_t
s_read_failed (spool_read_t *r, int err, const char *what)
{
    if (err == ENOENT)
        return SPOOL_READ_GONE;
    r->err = err;
    if (s_transient (err))
        return SPOOL_READ_RETRY;
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
    r->nlink = (unsigned long) st->st_nlink;
    r->ino = (unsigned long long) st->st_ino;
    return SPOOL_READ_OK;
}

/*  Read NAME under dir (bounded, no symbolic links, no blocking on a
 *  FIFO) into r. */
static spool_outcome_t
s_read_at (int dir, const char *name, spool_read_t *r)
{
    int fd = openat (dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
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

/*  Read work/NAME into r. */
static spool_outcome_t
s_read (spool_t *self, const char *name, spool_read_t *r)
{
    return s_read_at (self->work_fd, name, r);
}

static int
s_found_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) q;
    (void) reason;
    *(bool *) arg = true;
    return 1;
}

/*  Whether (name, hash) was forwarded already: 1 yes, 0 no, -1 the table
 *  could not be read (logged).  On -1 the caller must skip the file for
 *  this scan: taking it as new could send it twice. */
static int
s_forwarded (spool_t *self, const char *name, const uint8_t hash[32])
{
    bool found = false;
    kt_reason_t reason;
    uint8_t name_hash[32];
    s_name_hash (name, name_hash);
    if (store_each_stmt (self->lookup, store_bind_values,
                         (void *) STORE_VALUES (STORE_BLOB (name_hash, 32), STORE_BLOB (hash, 32)),
                         s_found_row, &found, "look up a spool file", &reason) == 0)
        return found;
    if (s_quiet_due (self, "lookup_failed", 0))
        kt_log (KT_LOG_ERROR, "spool lookup_failed reason=\"%s\"%s", reason.text,
                ratelog_note (self->quiet));
    return -1;
}

/*  work/NAME (entry e), read into r: finish it if it was forwarded
 *  before a crash, reject it if it is not a valid signal, or fill f and
 *  return true. */
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
        /*  Stored and queued before a crash: finish the move only.  (Before
         *  the link count is looked at: a crash inside the link + unlink
         *  of s_move_from_work leaves a sent file with two names.) */
        kt_log (KT_LOG_INFO, "spool already_forwarded ino=%llu", e->ino);
        s_move_done (self, e->name, e->ino);
        return false;
    }
    kt_reason_t why;
    if (r->nlink != 1) {
        /*  Another name for the same file, elsewhere: its writer may not
         *  have meant it to be sent, or may not be able to read it. */
        kt_fail (&why,
                 "the file has %lu names (hard links); only a file with one name is taken,"
                 " since another name may be a file that was not meant to be sent",
                 r->nlink);
        s_reject (self, e->name, e->name, e->ino, "hard_link", why.text);
        return false;
    }
    if (intake_signal_from_json (r->data, r->len, &f->signal, &why) != 0) {
        s_reject (self, e->name, e->name, e->ino, "invalid_signal", why.text);
        return false;
    }
    return true;
}

/*  Handle work/NAME (entry e): reject it, leave it for the next scan,
 *  finish it, or (true) fill f with its validated signal. */
static bool
s_take (spool_t *self, spool_entry_t *e, spool_file_t *f)
{
    if (strlen (e->name) > SPOOL_NAME_MAX) {
        s_reject_long_name (self, e);
        return false;
    }
    spool_read_t r = {0};
    switch (s_read (self, e->name, &r)) {
    case SPOOL_READ_GONE:
        /*  Taken out of work/ (by hand) since it was listed. */
        kt_log (KT_LOG_INFO, "spool vanished ino=%llu", e->ino);
        return false;
    case SPOOL_READ_RETRY:
        s_log_repeating (self, KT_LOG_WARN, "read_retry", e->ino, r.err);
        return false;
    case SPOOL_READ_REJECT:
        s_reject (self, e->name, e->name, e->ino, r.cls, r.why.text);
        return false;
    case SPOOL_READ_OK:
        break;
    }
    e->ino = r.ino; /* the file read, which is what the log is about */
    bool taken = s_take_read (self, e, &r, f);
    sodium_memzero (r.data, r.len);
    free (r.data);
    return taken;
}

/*  Claim entry e of from_fd (the spool, or the old layout's work/) into
 *  work/ (s_claim_rename).  false (logged) when it stays where it is:
 *  gone, its name still taken in work/, or the rename failed. */
static bool
s_claim (spool_t *self, int from_fd, const spool_entry_t *e)
{
    if (s_claim_rename (self, from_fd, e->name) == 0)
        return true;
    int err = errno;
    if (err == ENOENT)
        kt_log (KT_LOG_INFO, "spool vanished ino=%llu", e->ino);
    else if (err == EEXIST)
        /*  An earlier file of this name is still in work/ (a failure left
         *  it there, or this scan returned it): this one waits for it. */
        s_log_repeating (self, KT_LOG_INFO, "claim_deferred", e->ino, err);
    else if (s_transient (err))
        s_log_repeating (self, KT_LOG_WARN, "claim_retry", e->ino, err);
    else
        /*  EACCES, EPERM (a sticky spool), EROFS...: it cannot be moved,
         *  so it cannot be taken either; it stays for the operator. */
        s_log_repeating (self, KT_LOG_ERROR, "claim_failed", e->ino, err);
    return false;
}

/*  Claim what entries (n_entries of directory from_fd) they can into
 *  work/ and look at each claimed, adding to files (*n of max); every
 *  name is freed.  Past max the rest stays where it is, unclaimed, for
 *  the next scan. */
static void
s_claim_all (spool_t *self, int from_fd, spool_entry_t *entries, size_t n_entries,
             spool_file_t *files, size_t *n, size_t max)
{
    for (size_t i = 0; i < n_entries; i++) {
        if (*n < max && s_claim (self, from_fd, &entries[i]) &&
            s_take (self, &entries[i], &files[*n]))
            (*n)++;
        free (entries[i].name);
    }
}

/*  The layout before's directories whose files s_upgrade left for the
 *  scans (s_merge_old: not recorded as sent): claimed from like the
 *  spool, before it, so a file there keeps its name (the spool table
 *  knows it by that) and waits while the name is taken.  Only the names
 *  s_upgrade found so; once none of them is left, the directory goes
 *  (anything else in it, put there by hand, stays with it for the
 *  operator: s_old_remove says so). */
static void
s_old_work (spool_t *self, spool_entry_t *entries, spool_file_t *files, size_t *n, size_t max)
{
    for (size_t k = 0; k < self->n_old && *n < max;) {
        int failed = 0;
        size_t n_listed = s_list (self, self->old[k].fd, self->dir, "/old", entries, &failed);
        size_t n_entries = 0;
        for (size_t i = 0; i < n_listed; i++) {
            const char *key = entries[i].name;
            if (bsearch (&key, self->old[k].names, self->old[k].n_names, sizeof (char *),
                         s_cmp_names))
                entries[n_entries++] = entries[i];
            else
                free (entries[i].name);
        }
        if (n_entries > 0 || failed) {
            s_claim_all (self, self->old[k].fd, entries, n_entries, files, n, max);
            k++;
            continue;
        }
        s_old_remove (self, self->old[k].sub, self->old[k].fd);
        close (self->old[k].fd);
        s_names_free (self->old[k].names, self->old[k].n_names);
        self->old[k] = self->old[--self->n_old];
    }
}

size_t
spool_scan (spool_t *self, spool_file_t *files, size_t max)
{
    spool_entry_t entries[SPOOL_SCAN_MAX];
    size_t n = 0;
    kt_reason_t error = {""};
    /*  work/ first: what a crash or a failure left there came before
     *  anything now in the spool, and a spool file whose name it holds
     *  cannot be claimed until it is gone. */
    int failed;
    size_t n_entries = s_list (self, self->work_fd, self->state, "/work", entries, &failed);
    if (failed)
        kt_fail (&error, "%s/work cannot be read: %s", self->state, strerror (failed));
    for (size_t i = 0; i < n_entries; i++) {
        if (n < max && s_take (self, &entries[i], &files[n]))
            n++;
        free (entries[i].name);
    }
    /*  Then what the old layout's work/ still holds, which came before
     *  anything now in the spool as well. */
    if (self->n_old > 0 && n < max)
        s_old_work (self, entries, files, &n, max);
    /*  The spool last, and only where intake/spool-dir still leads to it
     *  (or to a new one that may be used).  A scan that returned max
     *  files leaves it for the next, and what it said of it stands. */
    if (n < max) {
        self->error = error;
        if (s_follow_spool (self) != 0)
            return n;
        n_entries = s_list (self, self->dir_fd, self->dir, "", entries, &failed);
        if (failed && !*self->error.text)
            kt_fail (&self->error, "intake/spool-dir %s cannot be read: %s", self->dir,
                     strerror (failed));
        s_claim_all (self, self->dir_fd, entries, n_entries, files, &n, max);
    } else if (*error.text)
        self->error = error;
    return n;
}

int
spool_health (const spool_t *self, kt_reason_t *reason)
{
    if (!*self->error.text)
        return 0;
    *reason = self->error;
    return -1;
}

/*  Bounds the look of spool_waiting at each directory: a spool of more
 *  is long past the warning anyway. */
#define SPOOL_WAITING_MAX 100000

/*  Add the candidates of directory dir_fd (path base/sub) to w. */
static int
s_waiting_in (int dir_fd, const char *base, const char *sub, uint64_t now_ms, spool_waiting_t *w,
              kt_reason_t *reason)
{
    DIR *dir = kt_dir_dup (dir_fd);
    if (!dir)
        return kt_fail (reason, "cannot read %s%s: %s", base, sub, strerror (errno));
    struct dirent *de;
    size_t looked = 0;
    int err = 0;
    for (errno = 0; looked < SPOOL_WAITING_MAX && (de = readdir (dir)); errno = 0, looked++) {
        struct stat st;
        if (!s_is_candidate (de->d_name))
            continue;
        if (fstatat (dirfd (dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno == ENOENT)
                continue; /* claimed, or finished, since it was listed */
            err = errno;
            break;
        }
        /*  A ctime before 1970 or ahead of our clock (another machine's,
         *  on a share) waits since now. */
        uint64_t at = st.st_ctim.tv_sec > 0 ? (uint64_t) st.st_ctim.tv_sec * 1000u +
                                                  (uint64_t) st.st_ctim.tv_nsec / 1000000u
                                            : now_ms;
        if (at > now_ms)
            at = now_ms;
        w->waiting++;
        if (!w->oldest_ms || at < w->oldest_ms)
            w->oldest_ms = at;
        if (now_ms - at >= SPOOL_STUCK_MS)
            w->stuck++;
    }
    if (!err)
        err = errno;
    closedir (dir);
    return err ? kt_fail (reason, "cannot read %s%s: %s", base, sub, strerror (err)) : 0;
}

int
spool_waiting (const spool_t *self, uint64_t now_ms, spool_waiting_t *out, kt_reason_t *reason)
{
    memset (out, 0, sizeof *out);
    if (s_waiting_in (self->work_fd, self->state, "/work", now_ms, out, reason) != 0)
        return -1;
    return s_waiting_in (self->dir_fd, self->dir, "", now_ms, out, reason);
}

int
spool_record (spool_t *self, const spool_file_t *file, const uint8_t id[KT_ID_LEN],
              kt_reason_t *reason)
{
    uint8_t name_hash[32];
    s_name_hash (file->name, name_hash);
    return store_run_stmt (self->insert,
                           STORE_VALUES (STORE_BLOB (name_hash, 32), STORE_BLOB (file->hash, 32),
                                         STORE_BLOB (id, KT_ID_LEN), STORE_INT (file->owner),
                                         STORE_INT (kt_now_ms ())),
                           "record the spool file", reason) < 0
               ? -1
               : 0;
}

void
spool_done (spool_t *self, const spool_file_t *file)
{
    s_move_done (self, file->name, file->ino);
}

typedef struct {
    spool_id_fn *fn;
    void *arg;
} spool_by_hash_t;

static int
s_id_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    spool_by_hash_t *by = arg;
    if (!store_blob_is (q, 0, KT_ID_LEN))
        return kt_fail (reason, "a spool row has a message id of the wrong length");
    return by->fn (by->arg, sqlite3_column_blob (q, 0));
}

int
spool_each_by_hash (spool_t *self, const uint8_t hash[32], spool_id_fn *fn, void *arg,
                    kt_reason_t *reason)
{
    spool_by_hash_t by = {fn, arg};
    return store_each_stmt (self->by_hash, store_bind_values,
                            (void *) STORE_VALUES (STORE_BLOB (hash, 32)), s_id_row, &by,
                            "look up a spool file by its content", reason);
}

int
spool_each_by_name (spool_t *self, const char *name, spool_id_fn *fn, void *arg,
                    kt_reason_t *reason)
{
    char original[SPOOL_FINAL_MAX];
    const char *names[2] = {name, NULL};
    if (s_original_name (name, original, sizeof original))
        names[1] = original;
    spool_by_hash_t by = {fn, arg};
    for (size_t i = 0; i < 2 && names[i]; i++) {
        uint8_t name_hash[32];
        s_name_hash (names[i], name_hash);
        int rc = store_each_stmt (self->by_name, store_bind_values,
                                  (void *) STORE_VALUES (STORE_BLOB (name_hash, 32)), s_id_row, &by,
                                  "look up a spool file by its name", reason);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/*  A spool record's name and content hashes, as spool_forget reads them. */
typedef struct {
    uint8_t name_hash[32], hash[32];
} forget_row_t;

typedef struct {
    forget_row_t *rows;
    size_t n;
} forget_rows_t;

static int
s_forget_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    forget_rows_t *f = arg;
    if (!store_blob_is (q, 0, 32) || !store_blob_is (q, 1, 32))
        return 0;
    forget_row_t *grown = realloc (f->rows, (f->n + 1) * sizeof *grown);
    if (!grown)
        return kt_fail (reason, "out of memory");
    f->rows = grown;
    memcpy (f->rows[f->n].name_hash, sqlite3_column_blob (q, 0), 32);
    memcpy (f->rows[f->n].hash, sqlite3_column_blob (q, 1), 32);
    f->n++;
    return 0;
}

/*  The name a file in done/ came in under: name itself, or, when
 *  s_final_name numbered it (STEM.N.json, STEM.RANDOM.json), STEM.json.
 *  1 with *out when it is a numbered one, 0 when not. */
static int
s_original_name (const char *name, char *out, size_t cap)
{
    size_t len = strlen (name);
    if (len < 7 || strcmp (name + len - 5, ".json") != 0)
        return 0;
    const char *end = name + len - 5, *dot = end;
    while (dot > name && dot[-1] != '.')
        dot--;
    if (dot == name || dot == end)
        return 0;
    size_t n = (size_t) (end - dot);
    bool digits = n <= 2, hex = n == 16;
    for (const char *p = dot; p < end; p++) {
        digits &= *p >= '0' && *p <= '9';
        hex &= (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f');
    }
    if (!digits && !hex)
        return 0;
    return snprintf (out, cap, "%.*s.json", (int) (dot - 1 - name), name) < (int) cap;
}

/*  done/NAME, whose name (or the one it came in under, when it was
 *  numbered) hashes to one of rows', removed when its content is that
 *  row's: 1 removed, 0 not one of them, -1 one of them that could not be
 *  read or removed (the record stays, so a later pass finds it). */
static int
s_forget_done_file (spool_t *self, const char *name, const forget_rows_t *rows)
{
    char original[SPOOL_FINAL_MAX];
    uint8_t hashes[2][32];
    size_t n_names = 1;
    s_name_hash (name, hashes[0]);
    if (s_original_name (name, original, sizeof original))
        s_name_hash (original, hashes[n_names++]);
    bool named = false;
    for (size_t i = 0; i < rows->n && !named; i++)
        for (size_t k = 0; k < n_names && !named; k++)
            named = sodium_memcmp (rows->rows[i].name_hash, hashes[k], 32) == 0;
    if (!named)
        return 0;
    spool_read_t r = {0};
    int read = s_read_at (self->done_fd, name, &r);
    /*  Under the signal's name in ketend's own done/, and not to be read
     *  (EACCES): its writer, who owns it, made it so through a
     *  descriptor it kept (fchmod 000).  Taken for "not one keten wrote"
     *  it stayed for good, its plaintext with it, the record gone.
     *  done/ is ketend's: the name goes (the directory's write bit is
     *  all an unlink needs).  No rename: nothing to reason about a crash
     *  beyond the unlink, whose record stays until it is done. */
    if (read == SPOOL_READ_REJECT && (r.err == EACCES || r.err == EPERM)) {
        if (unlinkat (self->done_fd, name, 0) == 0 || errno == ENOENT)
            return 1;
        return -1;
    }
    /*  Gone meanwhile, or no regular file of ours (a directory, a link
     *  someone put there under the name): nothing of the signal to
     *  remove.  A passing failure keeps the record for the next run. */
    if (read == SPOOL_READ_GONE || read == SPOOL_READ_REJECT) {
        if (read == SPOOL_READ_REJECT)
            kt_log (KT_LOG_WARN, "spool forget_skipped: a file in done/ under the signal's name "
                                 "is not one keten wrote");
        return 0;
    }
    if (read != SPOOL_READ_OK)
        return -1;
    uint8_t hash[32];
    crypto_generichash (hash, sizeof hash, (const uint8_t *) r.data, r.len, NULL, 0);
    sodium_memzero (r.data, r.len);
    free (r.data);
    for (size_t i = 0; i < rows->n; i++)
        if (sodium_memcmp (hash, rows->rows[i].hash, 32) == 0)
            return unlinkat (self->done_fd, name, 0) == 0 ? 1 : -1;
    return 0; /* another file under that name */
}

int
spool_forget (spool_t *self, const uint8_t id[KT_ID_LEN], kt_reason_t *reason)
{
    /*  Its file first, if it is still in done/ (a signal destroyed before
     *  its receipt was kept): once the record is gone, the spool's pass
     *  would take the file for one put there by hand and keep it. */
    forget_rows_t rows = {0};
    if (store_each (self->db, "SELECT name_hash, hash FROM spool WHERE message_id=?",
                    store_bind_values, (void *) STORE_VALUES (STORE_BLOB (id, KT_ID_LEN)),
                    s_forget_row, &rows, "find the spool file's record", reason) != 0) {
        free (rows.rows);
        return -1;
    }
    if (rows.n > 0) {
        DIR *dir = kt_dir_dup (self->done_fd);
        bool removed = false, kept = !dir;
        int failed_errno = dir ? 0 : errno;
        if (dir) {
            for (struct dirent *de; (de = readdir (dir));) {
                int rc = de->d_name[0] != '.' ? s_forget_done_file (self, de->d_name, &rows) : 0;
                if (rc < 0 && !kept)
                    failed_errno = errno;
                removed |= rc > 0;
                kept |= rc < 0;
            }
            closedir (dir);
        }
        if (removed && fsync (self->done_fd) != 0)
            kt_log (KT_LOG_ERROR, "spool forget_sync_failed errno=%d", errno);
        /*  Its file is still there: the record stays, so that the next
         *  pass of the destruction finds it again. */
        if (kept) {
            free (rows.rows);
            return kt_fail (reason,
                            "a destroyed signal's file in the spool's done/ could not be "
                            "read or removed (errno %d); tried again at the next run",
                            failed_errno);
        }
    }
    free (rows.rows);
    return store_run (self->db, "DELETE FROM spool WHERE message_id=?",
                      STORE_VALUES (STORE_BLOB (id, KT_ID_LEN)), "forget the spool file's record",
                      reason) < 0
               ? -1
               : 0;
}
