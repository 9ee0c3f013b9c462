/*  spool: the police node's intake directory.  */
#include "spool.h"

#include "intake.h"
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct _spool_t {
    sqlite3 *db;
    char dir[PATH_MAX];
    int dir_fd, done_fd, rejected_fd;
    sqlite3_stmt *lookup, *insert;
};

static const char *const s_migrations[] = {
    "CREATE TABLE spool (name TEXT NOT NULL, hash BLOB NOT NULL, message_id BLOB NOT NULL,"
    " owner INTEGER NOT NULL, at_ms INTEGER NOT NULL, PRIMARY KEY (name, hash));",
};

static int
s_subdir (int dir_fd, const char *dir, const char *sub, kt_reason_t *reason)
{
    if (mkdirat (dir_fd, sub, 0700) != 0 && errno != EEXIST) {
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
    if ((self->done_fd = s_subdir (self->dir_fd, dir, "done", reason)) < 0
        || (self->rejected_fd = s_subdir (self->dir_fd, dir, "rejected", reason)) < 0
        || store_migrate (db, "spool", s_migrations, sizeof s_migrations / sizeof s_migrations[0],
                          reason)
               != 0
        || !(self->lookup
             = store_prepare (db, "SELECT message_id FROM spool WHERE name=? AND hash=?", reason))
        || !(self->insert = store_prepare (db,
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

/*  Move name into a subdirectory, and make the move durable. */
static void
s_move (spool_t *self, const char *name, int to_fd, const char *to)
{
    if (renameat (self->dir_fd, name, to_fd, name) != 0)
        kt_log (KT_LOG_ERROR, "spool move_failed to=%s errno=%d", to, errno);
    fsync (to_fd);
    fsync (self->dir_fd);
}

/*  rejected/NAME.reason first, then the file: a crash in between only
 *  rejects it again. */
static void
s_reject (spool_t *self, const char *name, const char *why)
{
    char reason_name[SPOOL_NAME_MAX + 16];
    snprintf (reason_name, sizeof reason_name, "%s.reason", name);
    int fd = openat (self->rejected_fd, reason_name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd >= 0) {
        char line[KT_REASON_MAX + 2];
        int n = snprintf (line, sizeof line, "%s\n", why);
        if (write (fd, line, (size_t) n) != n)
            kt_log (KT_LOG_ERROR, "spool reason_write_failed errno=%d", errno);
        fsync (fd);
        close (fd);
    }
    /*  File names are the writer's choice and may say who a signal is
     *  about: they stay out of the log; rejected/ holds name and reason. */
    kt_log (KT_LOG_WARN, "spool rejected reason=\"%s\"", why);
    s_move (self, name, self->rejected_fd, "rejected");
}

static bool
s_is_candidate (const char *name)
{
    size_t len = strlen (name);
    /*  Dot files and other names are work in progress of the writer. */
    return name[0] != '.' && len > 5 && strcmp (name + len - 5, ".json") == 0;
}

static int
s_cmp (const void *a, const void *b)
{
    return strcmp (*(char *const *) a, *(char *const *) b);
}

/*  Read one file (bounded, no symlinks).  0 ok, -1 reject with reason. */
static int
s_read (spool_t *self, const char *name, char **data_p, size_t *len_p, uid_t *owner,
        kt_reason_t *reason)
{
    int fd = openat (self->dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return kt_fail (reason, "cannot open: %s", strerror (errno));
    struct stat st;
    if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode)) {
        close (fd);
        return kt_fail (reason, "not a regular file");
    }
    if (st.st_size > INTAKE_MAX_BYTES) {
        close (fd);
        return kt_fail (reason, "file is %lld bytes, more than the limit of %d",
                        (long long) st.st_size, INTAKE_MAX_BYTES);
    }
    char *data = malloc ((size_t) st.st_size + 1);
    size_t got = 0;
    while (data && got < (size_t) st.st_size) {
        ssize_t n = read (fd, data + got, (size_t) st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t) n;
    }
    close (fd);
    if (!data || got != (size_t) st.st_size) {
        free (data);
        return kt_fail (reason, "short read");
    }
    data[got] = '\0';
    *data_p = data;
    *len_p = got;
    *owner = st.st_uid;
    return 0;
}

size_t
spool_scan (spool_t *self, spool_file_t *files, size_t max)
{
    int fd = dup (self->dir_fd);
    DIR *dir = fd >= 0 ? fdopendir (fd) : NULL;
    if (!dir) {
        if (fd >= 0)
            close (fd);
        kt_log (KT_LOG_ERROR, "spool unreadable dir=%s errno=%d", self->dir, errno);
        return 0;
    }
    rewinddir (dir);
    /*  Oldest names first when writers use sortable names; bounded per pass. */
    char *names[1024];
    size_t n_names = 0;
    struct dirent *de;
    while ((de = readdir (dir)) && n_names < 1024)
        if (s_is_candidate (de->d_name) && strlen (de->d_name) <= SPOOL_NAME_MAX)
            names[n_names++] = strdup (de->d_name);
    closedir (dir);
    qsort (names, n_names, sizeof names[0], s_cmp);

    size_t n = 0;
    for (size_t i = 0; i < n_names; i++) {
        const char *name = names[i];
        if (!name || n >= max) {
            free (names[i]);
            continue;
        }
        char *data = NULL;
        size_t len = 0;
        uid_t owner = 0;
        kt_reason_t why;
        if (s_read (self, name, &data, &len, &owner, &why) != 0) {
            s_reject (self, name, why.text);
            free (names[i]);
            continue;
        }
        spool_file_t *f = &files[n];
        memset (f, 0, sizeof *f);
        snprintf (f->name, sizeof f->name, "%s", name);
        crypto_generichash (f->hash, sizeof f->hash, (const uint8_t *) data, len, NULL, 0);
        f->owner = owner;
        sqlite3_reset (self->lookup);
        sqlite3_bind_text (self->lookup, 1, name, -1, SQLITE_STATIC);
        sqlite3_bind_blob (self->lookup, 2, f->hash, 32, SQLITE_STATIC);
        if (sqlite3_step (self->lookup) == SQLITE_ROW) {
            /*  Stored and queued before a crash: finish the move only. */
            kt_log (KT_LOG_INFO, "spool already_forwarded");
            sqlite3_reset (self->lookup);
            s_move (self, name, self->done_fd, "done");
        } else {
            sqlite3_reset (self->lookup);
            if (intake_signal_from_json (data, len, &f->signal, &why) != 0)
                s_reject (self, name, why.text);
            else
                n++;
        }
        sodium_memzero (data, len);
        free (data);
        free (names[i]);
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
    s_move (self, file->name, self->done_fd, "done");
}
