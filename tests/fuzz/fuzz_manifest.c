/*  libFuzzer harness: backup_verify, the check `keten restore` runs on a
 *  backup directory (outside input), on arbitrary bytes as its
 *  MANIFEST.json.  The directory holds one real file, node.db, so that a
 *  manifest naming it gets as far as its size and hash.  */
#include "backup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static char s_dir[64];

static void
s_cleanup (void)
{
    char path[128];
    snprintf (path, sizeof path, "%s/node.db", s_dir);
    unlink (path);
    snprintf (path, sizeof path, "%s/%s", s_dir, BACKUP_MANIFEST);
    unlink (path);
    rmdir (s_dir);
}

static void
s_fixture (void)
{
    snprintf (s_dir, sizeof s_dir, "/tmp/keten-fuzz-manifest.XXXXXX");
    if (!mkdtemp (s_dir))
        abort ();
    char path[128];
    snprintf (path, sizeof path, "%s/node.db", s_dir);
    FILE *f = fopen (path, "w");
    if (!f)
        abort ();
    fputs ("keten backup fuzz\n", f); /* the seed's sha256 and size */
    fclose (f);
    atexit (s_cleanup);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (!*s_dir)
        s_fixture ();
    char path[128];
    snprintf (path, sizeof path, "%s/%s", s_dir, BACKUP_MANIFEST);
    FILE *f = fopen (path, "w");
    if (!f)
        return 0;
    fwrite (data, 1, size, f);
    fclose (f);
    kt_reason_t reason;
    json_t *m = backup_verify (s_dir, &reason);
    json_decref (m);
    return 0;
}
