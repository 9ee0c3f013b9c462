/*  testutil: a scratch directory for a unit test's real files, made under
 *  /tmp and removed afterwards (by walking it, not by a shell).  Header
 *  only: each test program includes it once.  */
#ifndef KETEN_TESTUTIL_H
#define KETEN_TESTUTIL_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
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

/*  Remove dir and everything below it (symlinks are removed, not followed). */
static inline int
testutil_rmtree (const char *dir)
{
    return nftw (dir, testutil_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
