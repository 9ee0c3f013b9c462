/*  backup: a consistent copy of a node's database files (backup.h). */
#include "backup.h"

#include "keten_version.h" /* KETEN_VERSION, generated at build time */
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool
backup_name_ok (const char *name)
{
    size_t len = strlen (name);
    if (len < 4 || len > 64 || strcmp (name + len - 3, ".db") != 0)
        return false;
    for (size_t i = 0; i < len - 3; i++)
        if (!((name[i] >= 'a' && name[i] <= 'z') || name[i] == '_'))
            return false;
    return true;
}

static int
s_sync_path (const char *path, int flags, kt_reason_t *reason)
{
    int fd = open (path, flags | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return kt_fail (reason, "cannot open %s: %s", path, strerror (errno));
    int rc = fsync (fd);
    int err = errno;
    close (fd);
    return rc == 0 ? 0 : kt_fail (reason, "cannot flush %s: %s", path, strerror (err));
}

int
backup_sync_dir (const char *dir, kt_reason_t *reason)
{
    return s_sync_path (dir, O_RDONLY | O_DIRECTORY, reason);
}

int
backup_copy_db (sqlite3 *db, const char *dst_path, kt_reason_t *reason)
{
    /*  Made here, empty and private, before VACUUM INTO fills it: SQLite
     *  would make it with the process's umask (0644 outside the packaged
     *  unit), readable by anyone while the copy is written, and would
     *  follow a link planted in its place. */
    int fd = open (dst_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return errno == EEXIST
                   ? kt_fail (reason, "%s exists already", dst_path)
                   : kt_fail (reason, "cannot create %s: %s", dst_path, strerror (errno));
    close (fd);
    kt_reason_t why;
    if (store_run (db, "VACUUM INTO ?", STORE_VALUES (STORE_TEXT (dst_path)), "copy the database",
                   &why) < 0) {
        unlink (dst_path);
        return kt_fail (reason, "cannot copy the database to %s: %s", dst_path, why.text);
    }
    if (chmod (dst_path, 0600) != 0) {
        unlink (dst_path);
        return kt_fail (reason, "cannot make %s private: %s", dst_path, strerror (errno));
    }
    return s_sync_path (dst_path, O_RDONLY, reason);
}

int
backup_make_dir (const char *dir, kt_reason_t *reason)
{
    if (!*dir || dir[0] != '/')
        return kt_fail (reason, "the backup directory must be an absolute path: %s", dir);
    if (mkdir (dir, 0700) != 0) {
        if (errno != EEXIST)
            return kt_fail (reason, "cannot create the backup directory %s: %s", dir,
                            strerror (errno));
        DIR *d = opendir (dir);
        if (!d)
            return kt_fail (reason, "cannot open the backup directory %s: %s", dir,
                            strerror (errno));
        struct dirent *e;
        bool empty = true;
        while ((e = readdir (d)))
            if (strcmp (e->d_name, ".") != 0 && strcmp (e->d_name, "..") != 0)
                empty = false;
        closedir (d);
        if (!empty)
            return kt_fail (reason, "%s is not empty: a backup goes into a new directory", dir);
    }
    return 0;
}

int
backup_file_sha256 (const char *path, char hex[65], uint64_t *bytes_p, kt_reason_t *reason)
{
    int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0 && errno == ELOOP)
        return kt_fail (reason, "%s is a symbolic link, not a file of its own", path);
    if (fd < 0)
        return kt_fail (reason, "cannot open %s: %s", path, strerror (errno));
    struct stat sb;
    if (fstat (fd, &sb) != 0 || !S_ISREG (sb.st_mode)) {
        close (fd);
        return kt_fail (reason, "%s is not a regular file", path);
    }
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init (&st);
    uint8_t buf[65536];
    uint64_t total = 0;
    for (;;) {
        ssize_t n = read (fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int err = errno;
            close (fd);
            return kt_fail (reason, "cannot read %s: %s", path, strerror (err));
        }
        if (n == 0)
            break;
        crypto_hash_sha256_update (&st, buf, (unsigned long long) n);
        total += (uint64_t) n;
    }
    close (fd);
    uint8_t h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final (&st, h);
    kt_hex (hex, h, sizeof h);
    *bytes_p = total;
    return 0;
}

static int
s_cmp (const void *a, const void *b)
{
    return strcmp (*(char *const *) a, *(char *const *) b);
}

/*  The database files of state_dir, sorted: names[0..n). */
static int
s_list (const char *state_dir, char *names[BACKUP_MAX_FILES], size_t *n_p, kt_reason_t *reason)
{
    DIR *d = opendir (state_dir);
    if (!d)
        return kt_fail (reason, "cannot open the state directory %s: %s", state_dir,
                        strerror (errno));
    size_t n = 0;
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir (d))) {
        if (!backup_name_ok (e->d_name))
            continue;
        if (n == BACKUP_MAX_FILES)
            rc = kt_fail (reason, "more than %d database files in %s", BACKUP_MAX_FILES, state_dir);
        else if (!(names[n++] = strdup (e->d_name)))
            rc = kt_fail (reason, "out of memory");
    }
    closedir (d);
    *n_p = n;
    if (rc == 0)
        qsort (names, n, sizeof names[0], s_cmp);
    return rc;
}

/*  Remove what a failed backup wrote into dir (it was new or empty). */
static void
s_unwrite (const char *dir, char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf (path, sizeof path, "%s/%s", dir, names[i]);
        unlink (path);
    }
}

int
backup_take (const char *state_dir, const char *dir, json_t *about, void (*between) (void),
             kt_reason_t *reason)
{
    char *names[BACKUP_MAX_FILES] = {0};
    size_t n = 0;
    json_t *files = json_array ();
    int rc = files ? s_list (state_dir, names, &n, reason) : kt_fail (reason, "out of memory");
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char src[4096], dst[4096], hex[65];
        uint64_t bytes = 0;
        snprintf (src, sizeof src, "%s/%s", state_dir, names[i]);
        snprintf (dst, sizeof dst, "%s/%s", dir, names[i]);
        sqlite3 *db = NULL;
        if (sqlite3_open_v2 (src, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL) !=
            SQLITE_OK) {
            rc = kt_fail (reason, "cannot open %s: %s", src,
                          db ? sqlite3_errmsg (db) : "out of memory");
        } else {
            sqlite3_busy_timeout (db, 250);
            rc = backup_copy_db (db, dst, reason);
        }
        store_close (&db);
        if (rc == 0)
            rc = backup_file_sha256 (dst, hex, &bytes, reason);
        if (between)
            between ();
        if (rc == 0 &&
            json_array_append_new (files, json_pack ("{s:s, s:I, s:s}", "name", names[i], "bytes",
                                                     (json_int_t) bytes, "sha256", hex)) != 0)
            rc = kt_fail (reason, "out of memory");
    }
    if (rc == 0 && n == 0)
        rc = kt_fail (reason, "no database file in %s", state_dir);
    char *text = NULL;
    if (rc == 0) {
        json_object_set_new (about, "format", json_string (BACKUP_FORMAT));
        json_object_set_new (about, "software_version", json_string (KETEN_VERSION));
        json_object_set_new (about, "taken_ms", json_integer ((json_int_t) kt_now_ms ()));
        json_object_set (about, "files", files);
        text = json_dumps (about, JSON_INDENT (2) | JSON_SORT_KEYS);
        if (!text)
            rc = kt_fail (reason, "out of memory");
    }
    json_decref (files);
    if (rc == 0) {
        char path[4096];
        snprintf (path, sizeof path, "%s/%s", dir, BACKUP_MANIFEST);
        rc = kt_write_file (path, text, strlen (text), 0600, reason);
    }
    free (text);
    /*  A copy that is not a backup must not linger with personal data. */
    if (rc != 0)
        s_unwrite (dir, names, n);
    for (size_t i = 0; i < n; i++)
        free (names[i]);
    return rc;
}

json_t *
backup_verify (const char *dir, kt_reason_t *reason)
{
    char path[4096];
    snprintf (path, sizeof path, "%s/%s", dir, BACKUP_MANIFEST);
    char *text = NULL;
    size_t len = 0;
    kt_reason_t why;
    if (kt_read_file (path, 1 << 20, &text, &len, &why) != 0) {
        kt_fail (reason, "%s has no readable %s (an unfinished backup?): %s", dir, BACKUP_MANIFEST,
                 why.text);
        return NULL;
    }
    json_error_t jerr;
    json_t *m = json_loadb (text, len, 0, &jerr);
    free (text);
    const char *format = json_string_value (json_object_get (m, "format"));
    json_t *files = json_object_get (m, "files");
    if (!m || !format || strcmp (format, BACKUP_FORMAT) != 0 ||
        !json_is_string (json_object_get (m, "node")) ||
        !json_is_integer (json_object_get (m, "taken_ms")) || !json_is_array (files) ||
        json_array_size (files) == 0 || json_array_size (files) > BACKUP_MAX_FILES) {
        json_decref (m);
        kt_fail (reason, "%s is not a keten backup manifest (%s)", path, BACKUP_FORMAT);
        return NULL;
    }
    size_t i;
    json_t *f;
    json_array_foreach (files, i, f)
    {
        const char *name = json_string_value (json_object_get (f, "name"));
        const char *want = json_string_value (json_object_get (f, "sha256"));
        json_t *bytes = json_object_get (f, "bytes");
        if (!name || !backup_name_ok (name) || !want || strlen (want) != 64 ||
            !json_is_integer (bytes)) {
            kt_fail (reason, "%s: file %zu is not named FILE.db with its size and sha256", path,
                     i + 1);
            json_decref (m);
            return NULL;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp (name, json_string_value (
                                  json_object_get (json_array_get (files, j), "name"))) == 0) {
                kt_fail (reason, "%s names %s twice", path, name);
                json_decref (m);
                return NULL;
            }
        char file[4096], hex[65];
        uint64_t got = 0;
        snprintf (file, sizeof file, "%s/%s", dir, name);
        if (backup_file_sha256 (file, hex, &got, reason) != 0) {
            json_decref (m);
            return NULL;
        }
        if (got != (uint64_t) json_integer_value (bytes) || strcmp (hex, want) != 0) {
            kt_fail (reason,
                     "%s does not match the manifest (%llu bytes, sha256 %.16s...): the "
                     "backup is damaged",
                     file, (unsigned long long) got, hex);
            json_decref (m);
            return NULL;
        }
    }
    return m;
}

/* ---- before a migration ---------------------------------------------------- */

static struct {
    char state_dir[4096];
    json_t *about;
    bool taken;
} s_pre;

void
backup_set_premigration (const char *state_dir, const json_t *about)
{
    snprintf (s_pre.state_dir, sizeof s_pre.state_dir, "%s", state_dir);
    json_decref (s_pre.about);
    s_pre.about = about ? json_deep_copy (about) : NULL;
    s_pre.taken = false;
}

int
backup_premigration (kt_reason_t *reason)
{
    if (!s_pre.about || s_pre.taken)
        return 0;
    char dir[4200];
    snprintf (dir, sizeof dir, "%s/pre-migration-%llu", s_pre.state_dir,
              (unsigned long long) kt_now_ms ());
    json_t *about = json_deep_copy (s_pre.about);
    if (!about)
        return kt_fail (reason, "out of memory");
    json_object_set_new (about, "purpose", json_string ("pre-migration"));
    kt_reason_t why;
    int rc = backup_make_dir (dir, &why) == 0
                 ? backup_take (s_pre.state_dir, dir, about, NULL, &why)
                 : -1;
    json_decref (about);
    if (rc != 0)
        rmdir (dir);
    if (rc != 0)
        return kt_fail (reason, "no copy before the schema migration, so none is run: %s",
                        why.text);
    s_pre.taken = true;
    kt_log (KT_LOG_INFO, "backup pre_migration dir=%s", dir);
    return 0;
}

/*  Remove dir and the plain files in it; what else is there stays (and
 *  is said).  0 removed, -1 not (logged). */
static int
s_remove_copy (const char *dir)
{
    DIR *sub = opendir (dir);
    if (!sub) {
        kt_log (KT_LOG_WARN, "backup copy_not_removed dir=%s reason=\"%s\"", dir, strerror (errno));
        return -1;
    }
    struct dirent *f;
    while ((f = readdir (sub))) {
        struct stat st;
        if (strcmp (f->d_name, ".") == 0 || strcmp (f->d_name, "..") == 0 ||
            fstatat (dirfd (sub), f->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || S_ISDIR (st.st_mode))
            continue;
        unlinkat (dirfd (sub), f->d_name, 0);
    }
    closedir (sub);
    if (rmdir (dir) != 0) {
        kt_log (KT_LOG_WARN, "backup copy_not_removed dir=%s reason=\"%s\"", dir, strerror (errno));
        return -1;
    }
    return 0;
}

static bool
s_prefixed (const char *name, const char *prefix)
{
    return strncmp (name, prefix, strlen (prefix)) == 0;
}

/*  Remove the directories in state_dir whose names start with prefix, or
 *  with prefix2 (may be NULL). */
static int
s_drop_dirs (const char *state_dir, const char *prefix, const char *prefix2, int *left,
             kt_reason_t *reason)
{
    DIR *d = opendir (state_dir);
    if (!d)
        return kt_fail (reason, "cannot open %s: %s", state_dir, strerror (errno));
    int dropped = 0;
    struct dirent *e;
    while ((e = readdir (d))) {
        if (!s_prefixed (e->d_name, prefix) && !(prefix2 && s_prefixed (e->d_name, prefix2)))
            continue;
        struct stat st;
        if (fstatat (dirfd (d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR (st.st_mode))
            continue;
        char dir[4200];
        snprintf (dir, sizeof dir, "%s/%s", state_dir, e->d_name);
        if (s_remove_copy (dir) == 0)
            dropped++;
        else if (left)
            (*left)++;
    }
    closedir (d);
    return dropped;
}

int
backup_newest_premigration (const char *state_dir, char *path, size_t size)
{
    DIR *d = opendir (state_dir);
    if (!d)
        return -1;
    unsigned long long newest = 0;
    bool found = false;
    struct dirent *e;
    while ((e = readdir (d))) {
        char *end;
        struct stat st;
        if (strncmp (e->d_name, "pre-migration-", 14) != 0)
            continue;
        errno = 0;
        unsigned long long t = strtoull (e->d_name + 14, &end, 10);
        if (errno || *end || end == e->d_name + 14 ||
            fstatat (dirfd (d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR (st.st_mode))
            continue;
        if (!found || t > newest)
            newest = t;
        found = true;
    }
    closedir (d);
    if (!found)
        return -1;
    snprintf (path, size, "%s/pre-migration-%llu", state_dir, newest);
    return 0;
}

/*  The copies ketend took before a migration, and the files a restore
 *  replaced: both hold what is forgotten now. */
int
backup_drop_premigration (const char *state_dir, kt_reason_t *reason)
{
    return s_drop_dirs (state_dir, "pre-migration-", BACKUP_ASIDE, NULL, reason);
}

int
backup_drop_migration_copies (const char *state_dir, kt_reason_t *reason)
{
    return s_drop_dirs (state_dir, "pre-migration-", NULL, NULL, reason);
}

int
backup_drop_incoming (const char *state_dir, kt_reason_t *reason)
{
    int left = 0;
    if (s_drop_dirs (state_dir, BACKUP_INCOMING, NULL, &left, reason) < 0)
        return -1;
    return left;
}
