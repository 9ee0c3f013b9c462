/*  keten backup, keten restore (docs/OPERATIONS.md, "Backup and restore").
 *
 *  backup asks the running ketend for a consistent copy of its database
 *  files (node.backup).  restore works on a stopped node's state
 *  directory with no ketend to ask, under ketend's own lock: it checks
 *  the backup against its manifest, stages its files, moves the node's
 *  aside, puts the backup's in, and marks forget.db so that the next
 *  start destroys and corrects again what was destroyed and corrected
 *  after the backup's journal ended.  forget.db's tables
 *  (daemon/store/forget.c) are the interface between the two.
 */
#include "cli.h"

#include "backup.h"
#include "calendar.h"
#include "config.h"
#include "keten_version.h" /* KETEN_VERSION, generated at build time */
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/*  A path in the state or backup directory, with a file name after it. */
#define S_LONG (PATH_MAX + 320)

static const char s_backup_usage[] =
    "Usage: keten backup DIR [--json]\n"
    "\n"
    "A consistent copy of every database file of the running node into DIR, a new\n"
    "directory (or an empty one) that ketend can write - under the packaged unit,\n"
    "a directory below /var/backups/keten - with MANIFEST.json: the node, the time,\n"
    "each file's size and SHA-256.  The secret key file is not in it: keep that\n"
    "apart (docs/OPERATIONS.md, \"Key escrow\").  Needs the admin group.\n"
    "\n"
    "  --json   the manifest as JSON\n";

static const char s_restore_usage[] =
    "Usage: keten -c CONFIG restore DIR [--json]\n"
    "\n"
    "Put the backup in DIR back into the stopped node whose config is CONFIG.\n"
    "Refused while ketend runs or starts, and for a backup that does not match its\n"
    "manifest, is of another node, lacks a database file the node has, or was\n"
    "taken by a newer release.  The node's database files are moved to\n"
    "STATE-DIR/before-restore-TIME (copy them elsewhere if you need them: ketend\n"
    "removes them when the node next forgets anything); its journal of what it\n"
    "forgot (forget.db) stays (one begun anew and empty is replaced by the\n"
    "backup's), and at its next start, before it serves anything, ketend destroys\n"
    "again every subject destroyed (art. 13), merges again every two subjects\n"
    "merged, and carries out again every correction (art. 12.5) made since the\n"
    "backup was taken.  A restore cut off half-way is run again.  Run it as root\n"
    "(it switches to the state directory's owner, who must be able to read DIR)\n"
    "or as the node's user.\n"
    "\n"
    "  --json   what was done, as JSON\n";

/*  DIR as an absolute path: its parent must exist. */
static int
s_absolute (const char *cmd, const char *dir, char out[PATH_MAX])
{
    if (!*dir || strlen (dir) >= PATH_MAX - 1)
        return cli_usage_error (cmd, "DIR is empty or too long");
    char copy[PATH_MAX], copy2[PATH_MAX], parent[PATH_MAX];
    snprintf (copy, sizeof copy, "%s", dir);
    snprintf (copy2, sizeof copy2, "%s", dir);
    const char *base = basename (copy);
    if (!realpath (dirname (copy2), parent)) {
        cli_error ("the parent of %s: %s", dir, strerror (errno));
        return CLI_FAIL;
    }
    if (!strcmp (base, ".") || !strcmp (base, "..") || !strcmp (base, "/"))
        return cli_usage_error (cmd, "DIR must name a directory, not %s", base);
    if ((size_t) snprintf (out, PATH_MAX, "%s/%s", strcmp (parent, "/") ? parent : "", base) >=
        PATH_MAX)
        return cli_usage_error (cmd, "DIR is too long");
    return 0;
}

static int
s_print_backup (json_t *m, const void *arg)
{
    (void) arg;
    char node[80], dir[PATH_MAX], when[40];
    uint64_t taken = 0, bytes = 0;
    cli_json_str (m, "node", node, sizeof node);
    cli_json_str (m, "dir", dir, sizeof dir);
    cli_json_uint (m, "taken_ms", &taken);
    json_t *files = json_object_get (m, "files");
    size_t i;
    json_t *f;
    json_array_foreach (files, i, f)
    {
        uint64_t b = 0;
        cli_json_uint (f, "bytes", &b);
        bytes += b;
    }
    printf ("backup of %s written to %s: %zu files, %llu bytes, taken %s\n", node, dir,
            json_array_size (files), (unsigned long long) bytes,
            cli_fmt_time (when, sizeof when, taken));
    return CLI_OK;
}

int
cmd_backup (cli_t *cli, int argc, char **argv)
{
    bool as_json = false;
    int rc = cli_options_json ("backup", argc, argv, s_backup_usage, &as_json);
    if (rc)
        return CLI_DONE (rc);
    if (optind != argc - 1)
        return cli_usage_error ("backup", "give one DIR");
    char dir[PATH_MAX];
    if ((rc = s_absolute ("backup", argv[optind], dir)) != 0)
        return rc;
    return cli_request (cli, "node.backup", json_pack ("{s:s}", "dir", dir), CLI_WAIT_TIMEOUT_MS,
                        as_json, s_print_backup, NULL);
}

/* ---- restore ---------------------------------------------------------------- */

static int
s_int_row (sqlite3_stmt *row, void *arg, kt_reason_t *reason)
{
    (void) reason;
    *(int64_t *) arg = sqlite3_column_int64 (row, 0);
    return 0;
}

/*  One number from forget.db at path (sql with at most one int
 *  parameter); -1 when it cannot be read. */
static int64_t
s_journal_int (const char *path, const char *sql, int64_t param)
{
    sqlite3 *db = NULL;
    int64_t n = -1;
    kt_reason_t reason;
    if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW, NULL) ==
            SQLITE_OK &&
        store_one (db, sql, STORE_VALUES (STORE_INT (param)), s_int_row, &n, "read the journal",
                   &reason) != 1)
        n = -1;
    sqlite3_close (db);
    return n;
}

static int
s_text_row (sqlite3_stmt *row, void *arg, kt_reason_t *reason)
{
    (void) reason;
    snprintf (arg, 200, "%lld %s %s", (long long) sqlite3_column_int64 (row, 0),
              store_text (row, 1), store_text (row, 2));
    return 0;
}

/*  Entry seq of forget.db at path as "AT_MS KIND CASE_REF" into out (200
 *  bytes): 1, 0 when there is none, -1 when it cannot be read. */
static int
s_journal_entry (const char *path, int64_t seq, char out[200])
{
    sqlite3 *db = NULL;
    kt_reason_t reason;
    *out = 0;
    int rc = -1;
    if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW, NULL) == SQLITE_OK)
        rc = store_one (db, "SELECT at_ms, kind, case_ref FROM forgotten WHERE seq = ?",
                        STORE_VALUES (STORE_INT (seq)), s_text_row, out, "read the journal",
                        &reason);
    sqlite3_close (db);
    return rc;
}

/*  Mark forget.db at path restored: replay what comes after after_seq. */
static int
s_mark (const char *path, uint64_t taken_ms, int64_t after_seq)
{
    sqlite3 *db = NULL;
    kt_reason_t reason;
    snprintf (reason.text, sizeof reason.text, "cannot open it");
    int rc = sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL) ==
                         SQLITE_OK &&
                     store_run (db,
                                "INSERT OR REPLACE INTO restored (id, backup_taken_ms,"
                                " restored_ms, after_seq, done_seq) VALUES (1, ?, ?, ?, 0)",
                                STORE_VALUES (STORE_INT (taken_ms), STORE_INT (kt_now_ms ()),
                                              STORE_INT (after_seq)),
                                "mark the journal restored", &reason) == 1
                 ? 0
                 : -1;
    if (rc != 0)
        cli_error ("cannot mark %s restored: %s", path, reason.text);
    sqlite3_close (db);
    return rc;
}

/*  Copy src (a regular file) to dst (a new file) durably, mode 0600, and
 *  check what was written against the manifest's sha256. */
static int
s_copy (const char *src, const char *dst, const char *want_sha256)
{
    int in = open (src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    struct stat st;
    if (in < 0 || fstat (in, &st) != 0 || !S_ISREG (st.st_mode)) {
        cli_error ("%s is not a regular file I can read: %s", src,
                   in < 0 ? strerror (errno) : "not a regular file");
        if (in >= 0)
            close (in);
        return -1;
    }
    int out = open (dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    int rc = out < 0 ? -1 : 0, err = errno;
    char buf[65536];
    while (rc == 0) {
        ssize_t n = read (in, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = n < 0 ? -1 : 0, err = errno;
            break;
        }
        for (ssize_t done = 0; rc == 0 && done < n;) {
            ssize_t w = write (out, buf + done, (size_t) (n - done));
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                rc = -1, err = errno;
            else
                done += w;
        }
    }
    if (rc == 0 && fsync (out) != 0)
        rc = -1, err = errno;
    close (in);
    if (out >= 0)
        close (out);
    if (rc != 0) {
        cli_error ("cannot copy %s to %s: %s", src, dst, strerror (err));
        return -1;
    }
    char hex[65];
    uint64_t bytes;
    kt_reason_t reason;
    if (backup_file_sha256 (dst, hex, &bytes, &reason) != 0 || strcmp (hex, want_sha256) != 0) {
        cli_error ("%s changed while it was copied: not the file the manifest names", src);
        return -1;
    }
    return 0;
}

static int
s_sync_dir (const char *dir)
{
    kt_reason_t reason;
    if (backup_sync_dir (dir, &reason) == 0)
        return 0;
    cli_error ("%s", reason.text);
    return -1;
}

static const char *const s_tails[] = {"", "-wal", "-shm", "-journal"};

/*  Move NAME (with its -wal, -shm) from one directory to another. */
static int
s_move (const char *from_dir, const char *to_dir, const char *name)
{
    for (size_t t = 0; t < sizeof s_tails / sizeof s_tails[0]; t++) {
        char from[S_LONG], to[S_LONG + 320];
        snprintf (from, sizeof from, "%s/%s%s", from_dir, name, s_tails[t]);
        snprintf (to, sizeof to, "%s/%s%s", to_dir, name, s_tails[t]);
        struct stat st;
        if (lstat (from, &st) != 0)
            continue;
        if (rename (from, to) != 0) {
            cli_error ("cannot move %s to %s: %s", from, to_dir, strerror (errno));
            return -1;
        }
    }
    return 0;
}

/*  Run as the state directory's owner: a root restore then writes
 *  nothing the node's own user could not, and follows no link that user
 *  could plant. */
static int
s_become_owner (const struct stat *st)
{
    if (geteuid () != 0 || st->st_uid == 0)
        return 0;
    if (setgroups (0, NULL) != 0 || setgid (st->st_gid) != 0 || setuid (st->st_uid) != 0) {
        cli_error ("cannot switch to the state directory's owner (uid %u): %s",
                   (unsigned) st->st_uid, strerror (errno));
        return -1;
    }
    return 0;
}

typedef struct {
    const char *state;
    char incoming[S_LONG], aside[S_LONG];
    char *installed[BACKUP_MAX_FILES], *moved[BACKUP_MAX_FILES];
    size_t n_installed, n_moved;
} s_swap_t;

/*  Put the node's own files back after a failure half-way. */
static void
s_roll_back (s_swap_t *w)
{
    for (size_t i = 0; i < w->n_installed; i++)
        s_move (w->state, w->incoming, w->installed[i]);
    for (size_t i = 0; i < w->n_moved; i++)
        s_move (w->aside, w->state, w->moved[i]);
    if (s_sync_dir (w->state) == 0)
        fprintf (stderr, "keten: the node's own files are back in %s\n", w->state);
}

int
cmd_restore (cli_t *cli, int argc, char **argv)
{
    bool as_json = false;
    int rc = cli_options_json ("restore", argc, argv, s_restore_usage, &as_json);
    if (rc)
        return CLI_DONE (rc);
    if (optind != argc - 1)
        return cli_usage_error ("restore", "give one DIR");
    if (!cli->config_path)
        return cli_usage_error ("restore",
                                "the node's config is needed: keten -c CONFIG restore DIR");
    config_t *config = calloc (1, sizeof *config);
    s_swap_t *w = calloc (1, sizeof *w);
    if (!config || !w) {
        free (config);
        free (w);
        cli_error ("out of memory");
        return CLI_FAIL;
    }
    kt_reason_t reason;
    json_t *manifest = NULL;
    const char *dir = argv[optind];
    int lock = -1;
    rc = CLI_FAIL;
    struct stat st;
    if (config_load (cli->config_path, config, &reason) != 0) {
        cli_error ("%s", reason.text);
        goto done;
    }
    w->state = config->state_dir;
    if (stat (config->state_dir, &st) != 0 || !S_ISDIR (st.st_mode)) {
        cli_error ("the state directory %s does not exist: create it as ketend would (mode "
                   "0700, owned by the node's user) and run restore again",
                   config->state_dir);
        goto done;
    }
    if (s_become_owner (&st) != 0)
        goto done;
    /*  ketend holds this lock from before it opens any file until it
     *  exits: a node that runs, or is starting, is not restored under. */
    char path[S_LONG];
    snprintf (path, sizeof path, "%s/%s", config->state_dir, BACKUP_LOCK);
    lock = open (path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (lock < 0) {
        cli_error ("cannot open %s as uid %u: %s", path, (unsigned) geteuid (), strerror (errno));
        goto done;
    }
    if (flock (lock, LOCK_EX | LOCK_NB) != 0) {
        cli_error ("ketend %s is running or starting (%s is locked): stop it first, e.g. "
                   "systemctl stop ketend@%s",
                   config->id, path, config->id);
        goto done;
    }
    /*  As root this runs as the node's user now: a backup copied back
     *  by root is often one that user cannot read. */
    if (access (dir, R_OK | X_OK) != 0 && errno == EACCES) {
        cli_error ("the state directory's owner (uid %u) cannot read %s: give it read access "
                   "(e.g. chown -R it), then run restore again",
                   (unsigned) geteuid (), dir);
        goto done;
    }
    if (!(manifest = backup_verify (dir, &reason))) {
        cli_error ("%s", reason.text);
        goto done;
    }
    const char *node = json_string_value (json_object_get (manifest, "node"));
    if (strcmp (node, config->id) != 0) {
        cli_error ("%s is a backup of %s, and this node is %s", dir, node, config->id);
        goto done;
    }
    json_t *files = json_object_get (manifest, "files");
    size_t i;
    json_t *f;
    /*  A backup a newer release took (or migrated) is not one this
     *  release's ketend can start on: refused before anything moves. */
    json_array_foreach (files, i, f)
    {
        char file[S_LONG];
        snprintf (file, sizeof file, "%s/%s", dir, json_string_value (json_object_get (f, "name")));
        if (store_schema_check_file (file, &reason) == 0)
            continue;
        const char *by = json_string_value (json_object_get (manifest, "software_version"));
        if (store_schema_newer_seen ())
            cli_error ("%s was taken by a newer release (%s; this is %s), which this release "
                       "cannot start on: %s",
                       dir, by ? by : "unknown", KETEN_VERSION, reason.text);
        else
            cli_error ("%s: %s", dir, reason.text);
        goto done;
    }
    /*  Every file the node has must come back: a node without its
     *  keystore, say, would start with none, and lose every key. */
    DIR *d = opendir (config->state_dir);
    if (!d) {
        cli_error ("cannot open %s: %s", config->state_dir, strerror (errno));
        goto done;
    }
    struct dirent *e;
    char missing[512] = "";
    while ((e = readdir (d))) {
        if (!backup_name_ok (e->d_name) || strcmp (e->d_name, "forget.db") == 0)
            continue;
        bool there = false;
        json_array_foreach (files, i, f) there |=
            strcmp (json_string_value (json_object_get (f, "name")), e->d_name) == 0;
        if (!there)
            snprintf (missing + strlen (missing), sizeof missing - strlen (missing), " %s",
                      e->d_name);
    }
    closedir (d);
    if (*missing) {
        cli_error ("%s does not hold what this node has:%s", dir, missing);
        goto done;
    }
    uint64_t taken = (uint64_t) json_integer_value (json_object_get (manifest, "taken_ms"));
    char when[40], forget[S_LONG], theirs[S_LONG];
    cli_fmt_time (when, sizeof when, taken);
    snprintf (forget, sizeof forget, "%s/forget.db", config->state_dir);
    snprintf (theirs, sizeof theirs, "%s/forget.db", dir);
    bool have_journal = access (forget, F_OK) == 0;
    /*  The backup's journal ends at after_seq: the node's own journal
     *  continues the same numbers, and what comes after is what the node
     *  forgot since. */
    int64_t after_seq =
        access (theirs, F_OK) == 0
            ? s_journal_int (theirs, "SELECT coalesce(max(seq), ?) FROM forgotten", 0)
            : 0;
    /*  The node's journal must be the backup's continued: its entries up
     *  to after_seq the backup's own.  A journal begun anew (a node on a
     *  new machine started once before its restore) is not: kept, it
     *  would drop what the backup's knows, and a later restore of an
     *  older backup would not forget that again (art. 13). */
    if (have_journal && after_seq > 0) {
        char ours[200], them[200];
        int in_ours = s_journal_entry (forget, after_seq, ours);
        int in_them = s_journal_entry (theirs, after_seq, them);
        int64_t noted = s_journal_int (forget, "SELECT count(*) FROM forgotten WHERE seq > ?", 0);
        if (in_ours < 0 || in_them != 1 || noted < 0) {
            cli_error ("cannot read the journal (forget.db) of the backup or of the node");
            goto done;
        }
        if (in_ours == 0 && noted == 0) {
            /*  Empty: the backup's journal comes back with its files. */
            have_journal = false;
        } else if (in_ours == 0 || strcmp (ours, them) != 0) {
            cli_error (
                "the node's journal %s does not continue the backup's (entry %lld "
                "differs): it was begun anew after the backup was taken.  Restore a "
                "backup taken since, or move %s aside to restore this one with its own "
                "journal (what the node's journal noted is then not done again: do it by hand)",
                forget, (long long) after_seq, forget);
            goto done;
        }
    }
    int64_t again = 0, redo = 0, merged = 0;
    if (have_journal) {
        again = s_journal_int (forget,
                               "SELECT count(DISTINCT case_ref) FROM forgotten"
                               " WHERE kind = 'destroy' AND seq > ?",
                               after_seq);
        redo = s_journal_int (
            forget, "SELECT count(*) FROM forgotten WHERE kind = 'correct' AND seq > ?", after_seq);
        merged = s_journal_int (
            forget, "SELECT count(*) FROM forgotten WHERE kind = 'merge' AND seq > ?", after_seq);
    }
    if (after_seq < 0 || again < 0 || redo < 0 || merged < 0) {
        cli_error ("cannot read the journal (forget.db) of the backup or of the node");
        goto done;
    }
    /*  1. The backup's files into a directory of their own, checked as
     *  written.  Until step 4 removes it, ketend refuses to start: a
     *  restore cut off anywhere is run again, never half used. */
    uint64_t now = kt_now_ms ();
    snprintf (w->incoming, sizeof w->incoming, "%s/%s%llu", config->state_dir, BACKUP_INCOMING,
              (unsigned long long) now);
    snprintf (w->aside, sizeof w->aside, "%s/%s%llu", config->state_dir, BACKUP_ASIDE,
              (unsigned long long) now);
    if (mkdir (w->incoming, 0700) != 0 || mkdir (w->aside, 0700) != 0) {
        cli_error ("cannot create %s: %s", w->incoming, strerror (errno));
        goto done;
    }
    json_array_foreach (files, i, f)
    {
        const char *name = json_string_value (json_object_get (f, "name"));
        if (have_journal && strcmp (name, "forget.db") == 0)
            continue;
        char src[S_LONG], dst[S_LONG + 80];
        snprintf (src, sizeof src, "%s/%s", dir, name);
        snprintf (dst, sizeof dst, "%s/%s", w->incoming, name);
        if (s_copy (src, dst, json_string_value (json_object_get (f, "sha256"))) != 0)
            goto done;
    }
    if (s_sync_dir (w->incoming) != 0)
        goto done;
    /*  2. The node's files aside (its own journal stays: it holds all the
     *  backup's does, and more), 3. the backup's in. */
    if (!(d = opendir (config->state_dir))) {
        cli_error ("cannot open %s: %s", config->state_dir, strerror (errno));
        goto done;
    }
    int step = 0;
    while (step == 0 && (e = readdir (d))) {
        if (!backup_name_ok (e->d_name) || (have_journal && strcmp (e->d_name, "forget.db") == 0))
            continue;
        if (w->n_moved == BACKUP_MAX_FILES || !(w->moved[w->n_moved] = strdup (e->d_name)))
            step = -1;
        else if ((step = s_move (config->state_dir, w->aside, e->d_name)) == 0)
            w->n_moved++;
        else
            free (w->moved[w->n_moved]);
    }
    closedir (d);
    json_array_foreach (files, i, f)
    {
        const char *name = json_string_value (json_object_get (f, "name"));
        if (step != 0 || (have_journal && strcmp (name, "forget.db") == 0))
            continue;
        if ((step = s_move (w->incoming, config->state_dir, name)) == 0)
            w->installed[w->n_installed++] = strdup (name);
    }
    if (step == 0)
        step = s_sync_dir (config->state_dir);
    /*  The journal marked, 4. the staging directory gone: done. */
    if (step == 0 && access (forget, F_OK) == 0)
        step = s_mark (forget, taken, after_seq);
    if (step != 0) {
        s_roll_back (w);
        goto done;
    }
    if (rmdir (w->incoming) != 0 || s_sync_dir (config->state_dir) != 0) {
        cli_error ("cannot remove %s: %s; remove it (it is empty) before ketend starts",
                   w->incoming, strerror (errno));
        goto done;
    }
    *w->incoming = 0;
    /*  A restore cut off before this one left its staging directory, and
     *  ketend refuses to start while it is there: this restore is the
     *  one run again, so it goes now, not before (a failure above must
     *  leave the node refusing to start on a half-restored state). */
    int left = backup_drop_incoming (config->state_dir, &reason);
    if (left != 0) {
        cli_error ("restored, but %s holds a staging directory of a restore cut off before "
                   "(%s): remove every %s* there before ketend starts",
                   config->state_dir, left < 0 ? reason.text : "not removed, see above",
                   BACKUP_INCOMING);
        goto done;
    }
    if (as_json) {
        json_t *r =
            json_pack ("{s:s, s:s, s:I, s:I, s:I, s:s, s:I, s:I, s:I}", "node", config->id, "from",
                       dir, "taken_ms", (json_int_t) taken, "files",
                       (json_int_t) json_array_size (files), "moved_aside", (json_int_t) w->n_moved,
                       "aside", w->aside, "destroy_again", (json_int_t) again, "merge_again",
                       (json_int_t) merged, "correct_again", (json_int_t) redo);
        rc = cli_print_json (r);
        json_decref (r);
    } else {
        printf ("restored %s from %s (taken %s): %zu files\n", config->id, dir, when,
                json_array_size (files));
        printf ("the %zu files it replaced are in %s: copy them elsewhere if you need them; "
                "ketend removes them when the node next forgets anything (they hold personal "
                "data)\n",
                w->n_moved, w->aside);
        printf ("at its next start, before it serves anything, ketend destroys again the %lld "
                "subject(s) destroyed, merges again the %lld pair(s) of subjects merged and "
                "carries out again the %lld correction(s) made since the backup was taken\n",
                (long long) again, (long long) merged, (long long) redo);
        rc = CLI_OK;
    }
done:
    /*  A failure handled here left the node's own files in place (rolled
     *  back when the swap had begun): the staging directory goes.  Only
     *  a restore cut off (killed, a power cut) leaves it, and ketend then
     *  refuses to start until restore is run again. */
    if (rc != CLI_OK && *w->incoming) {
        for (size_t k = 0; k < BACKUP_MAX_FILES; k++) {
            json_t *g = json_array_get (json_object_get (manifest, "files"), k);
            for (size_t t = 0; g && t < sizeof s_tails / sizeof s_tails[0]; t++) {
                char gone[S_LONG + 160];
                snprintf (gone, sizeof gone, "%s/%s%s", w->incoming,
                          json_string_value (json_object_get (g, "name")), s_tails[t]);
                unlink (gone);
            }
        }
        if (rmdir (w->incoming) != 0 && errno != ENOENT)
            fprintf (stderr, "keten: cannot remove %s: %s; remove it before ketend starts\n",
                     w->incoming, strerror (errno));
    }
    if (rc != CLI_OK && *w->aside)
        rmdir (w->aside); /* only when nothing is left there */
    for (size_t k = 0; k < w->n_installed; k++)
        free (w->installed[k]);
    for (size_t k = 0; k < w->n_moved; k++)
        free (w->moved[k]);
    if (lock >= 0)
        close (lock);
    json_decref (manifest);
    free (config);
    free (w);
    return rc;
}
