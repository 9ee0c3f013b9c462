/*  util: reasons, logging, time, hex.  */
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
/*  kt_log's journal fields: CODE_FILE/CODE_LINE would always name kt_log. */
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

static kt_log_level_t s_level = KT_LOG_INFO;
static char s_ident[64] = "keten";
/*  s_ident is a node id (kt_log_set_ident), not the program's name. */
static bool s_ident_is_node = false;

int
kt_fail (kt_reason_t *reason, const char *fmt, ...)
{
    if (reason) {
        va_list ap;
        va_start (ap, fmt);
        vsnprintf (reason->text, sizeof reason->text, fmt, ap);
        va_end (ap);
    }
    return -1;
}

void
kt_log_set_level (kt_log_level_t level)
{
    s_level = level;
}

void
kt_log_set_ident (const char *ident)
{
    snprintf (s_ident, sizeof s_ident, "%s", ident);
    s_ident_is_node = strcmp (ident, program_invocation_short_name) != 0;
}

char *
kt_runuser_advice (char *out, size_t len, const char *user)
{
    const char *program = program_invocation_short_name;
    if (strcmp (program, "ketend") == 0)
        snprintf (out, len, "runuser -u %s -- ketend --check --config FILE", user);
    else
        snprintf (out, len, "runuser -u %s -- %s ... (the same command)", user, program);
    return out;
}

/*  True when stderr is the journal stream systemd gave this process:
 *  JOURNAL_STREAM holds the device and inode of that stream, which stay
 *  set in children whose stderr was redirected, so both are compared. */
static bool
s_log_to_journal (void)
{
    static int cached = -1;
    if (cached >= 0)
        return cached == 1;
    cached = 0;
    const char *env = getenv ("JOURNAL_STREAM");
    struct stat st;
    if (env && fstat (STDERR_FILENO, &st) == 0) {
        char *end;
        errno = 0;
        unsigned long long dev = strtoull (env, &end, 10);
        if (errno == 0 && end != env && *end == ':') {
            const char *ino_text = end + 1;
            unsigned long long ino = strtoull (ino_text, &end, 10);
            if (errno == 0 && end != ino_text && *end == '\0' &&
                dev == (unsigned long long) st.st_dev && ino == (unsigned long long) st.st_ino)
                cached = 1;
        }
    }
    return cached == 1;
}

void
kt_log (kt_log_level_t level, const char *fmt, ...)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    static const int priorities[] = {LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERR};
    if (level < s_level)
        return;
    char line[1024];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (line, sizeof line, fmt, ap);
    va_end (ap);
    if (s_log_to_journal ()) {
        /*  The fields are the line's own parts, so they carry nothing the
         *  line does not (never personal data): KETEN_EVENT is its first
         *  word (node, message, signal, ...), KETEN_NODE the node id once
         *  the configuration named it, KETEN_PEER and KETEN_MESSAGE_ID the
         *  line's peer= (or to=) and id= values. */
        char fields[6][160];
        struct iovec iov[8];
        int n = 0;
        snprintf (fields[0], sizeof fields[0], "KETEN_EVENT=%.*s", (int) strcspn (line, " "), line);
        snprintf (fields[1], sizeof fields[1], "PRIORITY=%d", priorities[level]);
        snprintf (fields[2], sizeof fields[2], "SYSLOG_IDENTIFIER=%s",
                  program_invocation_short_name);
        for (int i = 0; i < 3; i++)
            iov[n++] = (struct iovec){fields[i], strlen (fields[i])};
        if (s_ident_is_node) {
            snprintf (fields[3], sizeof fields[3], "KETEN_NODE=%s", s_ident);
            iov[n++] = (struct iovec){fields[3], strlen (fields[3])};
        }
        static const char *const keys[][2] = {
            {" peer=", "KETEN_PEER="}, {" to=", "KETEN_PEER="}, {" id=", "KETEN_MESSAGE_ID="}};
        bool have_peer = false;
        for (size_t k = 0; k < 3; k++) {
            const char *at = strstr (line, keys[k][0]);
            if (!at || (k == 1 && have_peer))
                continue;
            at += strlen (keys[k][0]);
            int slot = k == 2 ? 5 : 4;
            snprintf (fields[slot], sizeof fields[slot], "%s%.*s", keys[k][1],
                      (int) strcspn (at, " \""), at);
            iov[n++] = (struct iovec){fields[slot], strlen (fields[slot])};
            have_peer |= k < 2;
        }
        char message[sizeof line + 8];
        snprintf (message, sizeof message, "MESSAGE=%s", line);
        iov[n++] = (struct iovec){message, strlen (message)};
        int rc = sd_journal_sendv (iov, n);
        if (rc >= 0)
            return;
        /*  The journal refused (full, restarting): the line still goes to
         *  stderr, which is the same journal stream. */
    }
    /*  One write per line so lines from several processes do not interleave. */
    char out[1200];
    int n = snprintf (out, sizeof out, "%s %s: %s\n", s_ident, names[level], line);
    if (n > 0) {
        ssize_t rc =
            write (STDERR_FILENO, out, (size_t) n < sizeof out ? (size_t) n : sizeof out - 1);
        (void) rc;
    }
}

uint64_t
kt_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (uint64_t) ts.tv_sec * 1000u + (uint64_t) ts.tv_nsec / 1000000u;
}

uint64_t
kt_mono_us (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

bool
kt_timer_due (uint64_t *last_ms, uint64_t period_ms)
{
    uint64_t now = kt_mono_us () / 1000;
    if (*last_ms && now >= *last_ms && now - *last_ms < period_ms / 4)
        return false;
    *last_ms = now ? now : 1;
    return true;
}

char *
kt_hex (char *out, const uint8_t *bin, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[bin[i] >> 4];
        out[2 * i + 1] = digits[bin[i] & 15];
    }
    out[2 * len] = '\0';
    return out;
}

static int
s_nibble (char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int
kt_unhex (uint8_t *out, size_t outlen, const char *hex)
{
    if (!hex || strlen (hex) != 2 * outlen)
        return -1;
    for (size_t i = 0; i < outlen; i++) {
        int hi = s_nibble (hex[2 * i]), lo = s_nibble (hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t) (hi << 4 | lo);
    }
    return 0;
}

/*  A thread's pool, in sodium_malloc memory (locked in RAM, left out of
 *  core dumps, a guard page right after bytes): the bytes from used on
 *  are not handed out yet. */
typedef struct {
    size_t used;
    uint8_t bytes[KT_RANDOM_POOL];
} random_pool_t;

static _Thread_local random_pool_t *s_pool;
static pthread_once_t s_pool_once = PTHREAD_ONCE_INIT;
static pthread_key_t s_pool_key; /* frees a thread's pool when it ends */
static bool s_pool_ok;           /* the key and the fork handler are in place */

/*  In a forked child (pthread_atfork): the forking thread's pool, the
 *  only one a thread of the child can reach, is emptied. */
static void
s_pool_drop (void)
{
    if (s_pool) {
        sodium_memzero (s_pool->bytes, sizeof s_pool->bytes);
        s_pool->used = KT_RANDOM_POOL;
    }
}

static void
s_pool_free (void *pool)
{
    s_pool = NULL;
    sodium_free (pool);
}

static void
s_pool_init (void)
{
    /*  sodium_malloc needs sodium_init (idempotent; a program that draws
     *  random bytes only may not have called it). */
    s_pool_ok = sodium_init () >= 0 && pthread_key_create (&s_pool_key, s_pool_free) == 0;
    /*  Without the handler a child could hand out its parent's bytes:
     *  then there is no pool at all. */
    if (s_pool_ok && pthread_atfork (NULL, NULL, s_pool_drop) != 0)
        s_pool_ok = false;
}

/*  The calling thread's pool, made on its first draw; NULL when there is
 *  none (out of memory, or s_pool_init failed). */
static random_pool_t *
s_pool_get (void)
{
    if (s_pool)
        return s_pool;
    pthread_once (&s_pool_once, s_pool_init);
    random_pool_t *pool = s_pool_ok ? sodium_malloc (sizeof *pool) : NULL;
    if (!pool)
        return NULL;
    if (pthread_setspecific (s_pool_key, pool) != 0) {
        sodium_free (pool);
        return NULL;
    }
    pool->used = KT_RANDOM_POOL;
    return s_pool = pool;
}

void
kt_random_buf (void *out, size_t len)
{
    random_pool_t *pool = len <= KT_RANDOM_POOLED ? s_pool_get () : NULL;
    if (!pool) {
        randombytes_buf (out, len);
        return;
    }
    if (KT_RANDOM_POOL - pool->used < len) {
        randombytes_buf (pool->bytes, sizeof pool->bytes);
        pool->used = 0;
    }
    memcpy (out, pool->bytes + pool->used, len);
    sodium_memzero (pool->bytes + pool->used, len);
    pool->used += len;
}

void
kt_ordered_id (uint8_t *id, size_t len)
{
    if (len > 6)
        kt_random_buf (id + 6, len - 6);
    kt_ordered_id_from (id, len, NULL);
}

/*  The last 16-byte id made in this process (kt_ordered_id_from). */
static pthread_mutex_t s_id_lock = PTHREAD_MUTEX_INITIALIZER;
static uint8_t s_last_id[KT_ID_LEN];
static bool s_have_last_id;

/*  id (16 bytes) made greater than the last one made here, if it is not:
 *  the last one plus 1 + the 56-bit number in step's first 7 bytes, and
 *  when that overflows the 10 bytes after the milliseconds (after about
 *  2^24 ids in one millisecond, or sooner when its first was high), the
 *  next millisecond with its own random bytes. */
static void
s_after_last (uint8_t id[KT_ID_LEN], const uint8_t *step)
{
    pthread_mutex_lock (&s_id_lock);
    if (s_have_last_id && memcmp (id, s_last_id, KT_ID_LEN) <= 0) {
        uint8_t next[KT_ID_LEN];
        memcpy (next, s_last_id, KT_ID_LEN);
        uint64_t add = 0;
        memcpy (&add, step, 7);
        unsigned carry = 1; /* the 1 of 1 + add */
        for (int i = KT_ID_LEN - 1; i >= 6; i--) {
            unsigned sum = next[i] + (unsigned) (add & 0xff) + carry;
            next[i] = (uint8_t) sum;
            carry = sum >> 8;
            add >>= 8;
        }
        if (carry) {
            /*  Past the millisecond's last id: the next millisecond. */
            uint64_t ms = 0;
            for (int i = 0; i < 6; i++)
                ms = ms << 8 | s_last_id[i];
            ms++;
            for (int i = 0; i < 6; i++)
                next[i] = (uint8_t) (ms >> (8 * (5 - i)));
            memcpy (next + 6, id + 6, KT_ID_LEN - 6);
        }
        memcpy (id, next, KT_ID_LEN);
    }
    memcpy (s_last_id, id, KT_ID_LEN);
    s_have_last_id = true;
    pthread_mutex_unlock (&s_id_lock);
}

void
kt_ordered_id_from (uint8_t *id, size_t len, const uint8_t *random)
{
    uint64_t ms = kt_now_ms ();
    for (size_t i = 0; i < 6 && i < len; i++)
        id[i] = (uint8_t) (ms >> (8 * (5 - i)));
    if (len > 6 && random)
        memcpy (id + 6, random, len - 6);
    if (len == KT_ID_LEN)
        s_after_last (id, id + 6);
}

bool
kt_valid_node_id (const char *id)
{
    if (!id)
        return false;
    size_t len = strlen (id);
    if (len < 1 || len > 64 || !(id[0] >= 'a' && id[0] <= 'z'))
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return false;
    }
    return true;
}

int
kt_check_zpl_text (const char *data, size_t len, const char *what, kt_reason_t *reason)
{
    if (memchr (data, '\0', len))
        return kt_fail (reason, "%s contains a NUL byte", what);
    size_t line = 1, col = 0;
    for (size_t i = 0; i < len; i++) {
        if (data[i] == '\n') {
            line++;
            col = 0;
        } else if (++col > 1000)
            return kt_fail (reason, "%s: line %zu is longer than 1000 bytes", what, line);
    }
    return 0;
}

int
kt_read_file (const char *path, size_t max, char **data_p, size_t *len_p, kt_reason_t *reason)
{
    /*  O_NONBLOCK: a FIFO in the file's place is refused by the fstat
     *  below instead of blocking the open (no effect on a regular file). */
    int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0)
        return kt_fail (reason, "cannot open %s: %s", path, strerror (errno));
    struct stat st;
    if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode)) {
        close (fd);
        return kt_fail (reason, "%s is not a regular file", path);
    }
    if ((uint64_t) st.st_size > max) {
        close (fd);
        return kt_fail (reason, "%s is %lld bytes, more than the limit of %zu", path,
                        (long long) st.st_size, max);
    }
    char *buf = malloc ((size_t) st.st_size + 1);
    if (!buf) {
        close (fd);
        return kt_fail (reason, "out of memory reading %s", path);
    }
    size_t got = 0;
    while (got < (size_t) st.st_size) {
        ssize_t n = read (fd, buf + got, (size_t) st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t) n;
    }
    close (fd);
    if (got != (size_t) st.st_size) {
        free (buf);
        return kt_fail (reason, "short read on %s", path);
    }
    buf[got] = '\0';
    *data_p = buf;
    if (len_p)
        *len_p = got;
    return 0;
}

/*  A rename is durable only once its directory is: fsync the directory
 *  that holds path, so that a power cut after the call returns cannot
 *  bring the old file back (docs/ARCHITECTURE.md, Crash reasoning). */
static int
s_sync_parent (const char *path, kt_reason_t *reason)
{
    char dir[4096];
    const char *slash = strrchr (path, '/');
    if (!slash)
        snprintf (dir, sizeof dir, ".");
    else if (slash == path)
        snprintf (dir, sizeof dir, "/");
    else if ((size_t) (slash - path) >= sizeof dir)
        return kt_fail (reason, "path too long: %s", path);
    else
        snprintf (dir, sizeof dir, "%.*s", (int) (slash - path), path);
    int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return kt_fail (reason, "cannot open directory %s: %s", dir, strerror (errno));
    int rc = fsync (fd) == 0
                 ? 0
                 : kt_fail (reason, "cannot sync directory %s: %s", dir, strerror (errno));
    close (fd);
    return rc;
}

int
kt_write_file (const char *path, const void *data, size_t len, int mode, kt_reason_t *reason)
{
    char tmp[4096];
    if (snprintf (tmp, sizeof tmp, "%s.tmp.%d", path, (int) getpid ()) >= (int) sizeof tmp)
        return kt_fail (reason, "path too long: %s", path);
    /*  A crash between this open and the rename leaves the temporary
     *  file; after a reboot the same pid is likely, and O_EXCL would then
     *  refuse every later write.  The name is this process's own. */
    if (unlink (tmp) != 0 && errno != ENOENT)
        return kt_fail (reason, "cannot remove %s: %s", tmp, strerror (errno));
    int fd = open (tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0)
        return kt_fail (reason, "cannot create %s: %s", tmp, strerror (errno));
    const char *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t n = write (fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            close (fd);
            unlink (tmp);
            return kt_fail (reason, "cannot write %s: %s", tmp, strerror (errno));
        }
        p += n;
        left -= (size_t) n;
    }
    if (fchmod (fd, (mode_t) mode) != 0 || fsync (fd) != 0) {
        close (fd);
        unlink (tmp);
        return kt_fail (reason, "cannot sync %s: %s", tmp, strerror (errno));
    }
    close (fd);
    if (rename (tmp, path) != 0) {
        unlink (tmp);
        return kt_fail (reason, "cannot rename %s to %s: %s", tmp, path, strerror (errno));
    }
    return s_sync_parent (path, reason);
}

/*  NAME.tmp.PID with NAME ending in suffix (and longer than it). */
static bool
s_write_temp_name (const char *name, const char *suffix)
{
    const char *tmp = strstr (name, ".tmp.");
    if (!tmp)
        return false;
    while (strstr (tmp + 1, ".tmp."))
        tmp = strstr (tmp + 1, ".tmp.");
    const char *pid = tmp + 5;
    if (!*pid || strspn (pid, "0123456789") != strlen (pid))
        return false;
    size_t base = (size_t) (tmp - name), n = strlen (suffix);
    return base > n && strncmp (tmp - n, suffix, n) == 0;
}

int
kt_remove_write_temps (const char *dir, const char *suffix, kt_reason_t *reason)
{
    DIR *d = opendir (dir);
    if (!d)
        return kt_fail (reason, "cannot open %s: %s", dir, strerror (errno));
    int removed = 0, rc = 0;
    struct dirent *e;
    while ((e = readdir (d))) {
        struct stat st;
        if (!s_write_temp_name (e->d_name, suffix) ||
            fstatat (dirfd (d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG (st.st_mode))
            continue;
        if (unlinkat (dirfd (d), e->d_name, 0) == 0)
            removed++;
        else if (errno != ENOENT && rc == 0)
            rc = kt_fail (reason, "cannot remove %s/%s: %s", dir, e->d_name, strerror (errno));
    }
    closedir (d);
    /*  The removals are durable before the caller goes on. */
    if (rc == 0 && removed > 0) {
        int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || fsync (fd) != 0)
            rc = kt_fail (reason, "cannot sync directory %s: %s", dir, strerror (errno));
        if (fd >= 0)
            close (fd);
    }
    return rc == 0 ? removed : -1;
}

DIR *
kt_dir_dup (int dir_fd)
{
    int fd = dup (dir_fd);
    DIR *dir = fd >= 0 ? fdopendir (fd) : NULL;
    if (!dir) {
        int err = errno;
        if (fd >= 0)
            close (fd);
        errno = err;
        return NULL;
    }
    rewinddir (dir);
    return dir;
}
