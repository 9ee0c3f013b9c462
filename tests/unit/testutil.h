/*  testutil: a scratch directory for a unit test's real files, made under
 *  /tmp and removed afterwards (by walking it, not by a shell).  Header
 *  only: each test program includes it once.  */
#ifndef KETEN_TESTUTIL_H
#define KETEN_TESTUTIL_H

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/*  dir receives /tmp/keten-WHAT.XXXXXX, made.  0, or -1 with errno. */
static inline int
testutil_tmpdir (char *dir, size_t size, const char *what)
{
    snprintf (dir, size, "/tmp/keten-%s.XXXXXX", what);
    return mkdtemp (dir) ? 0 : -1;
}

static inline int
testutil_remove_entry (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st;
    (void) flag;
    (void) ftw;
    return remove (path);
}

static inline int
testutil_writable_entry (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) ftw;
    if (flag == FTW_D && !(st->st_mode & S_IWUSR))
        chmod (path, st->st_mode | S_IRWXU);
    return 0;
}

/*  Remove dir and everything below it (symlinks are removed, not
 *  followed), directories a test made read-only (its own) included. */
static inline int
testutil_rmtree (const char *dir)
{
    nftw (dir, testutil_writable_entry, 16, FTW_PHYS);
    return nftw (dir, testutil_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/*  Remove a SQLite file made outside a scratch directory, with its
 *  -wal and -shm. */
static inline void
testutil_remove_db (const char *path)
{
    char side[4200];
    remove (path);
    snprintf (side, sizeof side, "%s-wal", path);
    remove (side);
    snprintf (side, sizeof side, "%s-shm", path);
    remove (side);
}

/*  Whether any file in dir whose name starts with prefix holds needle
 *  (the first 4 MiB of each): 1 found, 0 not, -1 when dir or a file
 *  cannot be read, so a failed read never passes for "not there". */
static inline int
testutil_files_hold (const char *dir, const char *prefix, const char *needle)
{
    static char buf[4 << 20];
    DIR *d = opendir (dir);
    if (!d)
        return -1;
    int found = 0;
    size_t n = strlen (needle);
    for (struct dirent *de; found == 0 && (de = readdir (d));) {
        if (strncmp (de->d_name, prefix, strlen (prefix)) != 0)
            continue;
        char path[512];
        snprintf (path, sizeof path, "%s/%s", dir, de->d_name);
        FILE *fp = fopen (path, "rb");
        if (!fp) {
            found = -1;
            break;
        }
        size_t len = fread (buf, 1, sizeof buf, fp);
        fclose (fp);
        for (size_t i = 0; found == 0 && i + n <= len; i++)
            found = memcmp (buf + i, needle, n) == 0;
    }
    closedir (d);
    return found;
}

#endif
