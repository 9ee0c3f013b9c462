/*  faultfs: an LD_PRELOAD library for fault-injection tests.  It counts
 *  the process's writes to regular files - write, pwrite, pwrite64,
 *  writev, fsync, fdatasync, ftruncate - and its renames, from the moment
 *  the file named by KETEN_FAULT_ARM exists (so a daemon's start is not
 *  counted), and makes the KETEN_FAULT_AT-th of them fail once with
 *  KETEN_FAULT_ERRNO (EIO, the default, or ENOSPC); KETEN_FAULT_AT=0
 *  only counts.  The count so far is kept in the file KETEN_FAULT_COUNT
 *  (decimal), so a test learns how many such calls a scenario makes.
 *  Sockets, pipes and eventfds are never counted or failed.
 *  KETEN_FAULT_SYNCS=1 counts (and fails) only fsync and fdatasync,
 *  KETEN_FAULT_SUFFIX=S only those on a file whose path ends in S (renames
 *  are not counted then), KETEN_FAULT_ALL=1 fails every counted call from
 *  the AT-th on, and
 *  KETEN_FAULT_SYNC_DELAY_MS=D makes each such one take D ms more, as a
 *  slow disk would (tests/integration/test_sent_while_synced.sh).  The
 *  count is shared by the process's threads.
 *
 *  Test code only: never installed, never linked into keten.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static const char *s_arm;
static int s_armed;
static unsigned long s_at, s_count;
static int s_errno = EIO;
static int s_count_fd = -1;
static int s_syncs_only;
static const char *s_suffix;
static int s_all;
static unsigned long s_sync_delay_ms;

static ssize_t (*real_write) (int, const void *, size_t);
static ssize_t (*real_pwrite) (int, const void *, size_t, off_t);
static ssize_t (*real_pwrite64) (int, const void *, size_t, off64_t);
static ssize_t (*real_writev) (int, const struct iovec *, int);
static int (*real_fsync) (int);
static int (*real_fdatasync) (int);
static int (*real_ftruncate) (int, off_t);
static int (*real_rename) (const char *, const char *);
static int (*real_renameat) (int, const char *, int, const char *);
static int (*real_renameat2) (int, const char *, int, const char *, unsigned);

static void
s_init_once (void)
{
    real_write = dlsym (RTLD_NEXT, "write");
    real_pwrite = dlsym (RTLD_NEXT, "pwrite");
    real_pwrite64 = dlsym (RTLD_NEXT, "pwrite64");
    real_writev = dlsym (RTLD_NEXT, "writev");
    real_fsync = dlsym (RTLD_NEXT, "fsync");
    real_fdatasync = dlsym (RTLD_NEXT, "fdatasync");
    real_ftruncate = dlsym (RTLD_NEXT, "ftruncate");
    real_rename = dlsym (RTLD_NEXT, "rename");
    real_renameat = dlsym (RTLD_NEXT, "renameat");
    real_renameat2 = dlsym (RTLD_NEXT, "renameat2");
    s_arm = getenv ("KETEN_FAULT_ARM");
    const char *at = getenv ("KETEN_FAULT_AT");
    s_at = at ? strtoul (at, NULL, 10) : 0;
    const char *e = getenv ("KETEN_FAULT_ERRNO");
    if (e && strcmp (e, "ENOSPC") == 0)
        s_errno = ENOSPC;
    const char *syncs = getenv ("KETEN_FAULT_SYNCS");
    s_syncs_only = syncs && strcmp (syncs, "1") == 0;
    s_suffix = getenv ("KETEN_FAULT_SUFFIX");
    const char *all = getenv ("KETEN_FAULT_ALL");
    s_all = all && strcmp (all, "1") == 0;
    const char *delay = getenv ("KETEN_FAULT_SYNC_DELAY_MS");
    s_sync_delay_ms = delay ? strtoul (delay, NULL, 10) : 0;
    const char *count = getenv ("KETEN_FAULT_COUNT");
    if (count)
        s_count_fd = open (count, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
}

static pthread_once_t s_once = PTHREAD_ONCE_INIT;

static void
s_init (void)
{
    pthread_once (&s_once, s_init_once);
}

/*  Whether this call is to fail: counted when armed and on a regular file
 *  (fd < 0: a rename, always a file); sync: an fsync or fdatasync. */
static int
s_fail_call (int fd, int sync)
{
    s_init ();
    if (s_syncs_only && !sync)
        return 0;
    if (s_suffix && fd < 0)
        return 0;
    if (s_suffix && fd >= 0) {
        char link[64], path[4096];
        snprintf (link, sizeof link, "/proc/self/fd/%d", fd);
        ssize_t n = readlink (link, path, sizeof path - 1);
        size_t len = strlen (s_suffix);
        if (n < 0 || (size_t) n < len)
            return 0;
        path[n] = '\0';
        if (strcmp (path + n - len, s_suffix) != 0)
            return 0;
    }
    if (fd >= 0) {
        struct stat st;
        if (fd == s_count_fd || fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
            return 0;
    }
    if (!__atomic_load_n (&s_armed, __ATOMIC_ACQUIRE)) {
        if (!s_arm || access (s_arm, F_OK) != 0)
            return 0;
        __atomic_store_n (&s_armed, 1, __ATOMIC_RELEASE);
    }
    unsigned long count = __atomic_add_fetch (&s_count, 1, __ATOMIC_ACQ_REL);
    if (s_count_fd >= 0) {
        char buf[24];
        int n = snprintf (buf, sizeof buf, "%-20lu\n", count);
        if (real_pwrite (s_count_fd, buf, (size_t) n, 0) < 0)
            return 0;
    }
    if (sync && s_sync_delay_ms) {
        struct timespec ts = {(time_t) (s_sync_delay_ms / 1000),
                              (long) (s_sync_delay_ms % 1000) * 1000000L};
        while (nanosleep (&ts, &ts) != 0 && errno == EINTR)
            ;
    }
    if (s_at && (count == s_at || (s_all && count > s_at))) {
        errno = s_errno;
        return 1;
    }
    return 0;
}

static int
s_fail (int fd)
{
    return s_fail_call (fd, 0);
}

ssize_t
write (int fd, const void *buf, size_t n)
{
    return s_fail (fd) ? -1 : real_write (fd, buf, n);
}

ssize_t
pwrite (int fd, const void *buf, size_t n, off_t off)
{
    return s_fail (fd) ? -1 : real_pwrite (fd, buf, n, off);
}

ssize_t
pwrite64 (int fd, const void *buf, size_t n, off64_t off)
{
    return s_fail (fd) ? -1 : real_pwrite64 (fd, buf, n, off);
}

ssize_t
writev (int fd, const struct iovec *iov, int n)
{
    return s_fail (fd) ? -1 : real_writev (fd, iov, n);
}

int
fsync (int fd)
{
    return s_fail_call (fd, 1) ? -1 : real_fsync (fd);
}

int
fdatasync (int fd)
{
    return s_fail_call (fd, 1) ? -1 : real_fdatasync (fd);
}

int
ftruncate (int fd, off_t len)
{
    return s_fail (fd) ? -1 : real_ftruncate (fd, len);
}

int
rename (const char *from, const char *to)
{
    return s_fail (-1) ? -1 : real_rename (from, to);
}

int
renameat (int dfd, const char *from, int tdfd, const char *to)
{
    return s_fail (-1) ? -1 : real_renameat (dfd, from, tdfd, to);
}

int
renameat2 (int dfd, const char *from, int tdfd, const char *to, unsigned flags)
{
    return s_fail (-1) ? -1 : real_renameat2 (dfd, from, tdfd, to, flags);
}
