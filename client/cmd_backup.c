/*  keten backup, keten restore (docs/OPERATIONS.md, "Backup and restore").
 *
 *  backup asks the running ketend for a consistent copy of its database
 *  files (node.backup).  restore works on a stopped node's state
 *  directory with no ketend to ask: it checks the backup against its
 *  manifest, moves the node's files aside, puts the backup's in, and
 *  marks forget.db so that the next start destroys and corrects again
 *  what was destroyed and corrected since the backup.  forget.db's tables (daemon/store/forget.c)
 * are the interface between the two.
 */
#include "cli.h"

#include "backup.h"
#include "calendar.h"
#include "config.h"
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
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
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
    "The backup is checked against its manifest and must be of this node.  The\n"
    "node's database files are moved to STATE-DIR/before-restore-TIME (remove them\n"
    "once the node runs as it should: they hold personal data); its journal of\n"
    "what it forgot (forget.db) stays, and at its next start, before it serves\n"
    "anything, ketend destroys again every subject destroyed (art. 13) and carries\n"
    "out again every correction (art. 12.5) made since the backup was taken.  Run\n"
    "it as root or as the node's user.\n"
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

/*  Whether something answers on the node's socket. */
static bool
s_running (const char *socket_path)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen (socket_path) >= sizeof addr.sun_path)
        return false;
    memcpy (addr.sun_path, socket_path, strlen (socket_path) + 1);
    int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    bool up = connect (fd, (struct sockaddr *) &addr, sizeof addr) == 0;
    close (fd);
    return up;
}

static int
s_int_row (sqlite3_stmt *row, void *arg, kt_reason_t *reason)
{
    (void) reason;
    *(int *) arg = sqlite3_column_int (row, 0);
    return 0;
}

/*  The subjects (kind "destroy") or corrections ("correct") forget.db at
 *  path noted at or after since_ms; -1 when it cannot be read. */
static int
s_count_since (const char *path, const char *kind, uint64_t since_ms)
{
    sqlite3 *db = NULL;
    int n = -1;
    kt_reason_t reason;
    if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW, NULL) ==
            SQLITE_OK &&
        store_one (db,
                   "SELECT count(DISTINCT CASE kind WHEN 'destroy' THEN case_ref ELSE seq END)"
                   " FROM forgotten WHERE kind = ? AND at_ms >= ?",
                   STORE_VALUES (STORE_TEXT (kind), STORE_INT (since_ms)), s_int_row, &n,
                   "count the journal's entries", &reason) != 1)
        n = -1;
    sqlite3_close (db);
    return n;
}

/*  Mark forget.db at path restored from a backup taken at taken_ms. */
static int
s_mark (const char *path, uint64_t taken_ms)
{
    sqlite3 *db = NULL;
    kt_reason_t reason;
    snprintf (reason.text, sizeof reason.text, "cannot open it");
    int rc = sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL) ==
                         SQLITE_OK &&
                     store_run (db,
                                "INSERT OR REPLACE INTO restored (id, backup_taken_ms, restored_ms)"
                                " VALUES (1, ?, ?)",
                                STORE_VALUES (STORE_INT (taken_ms), STORE_INT (kt_now_ms ())),
                                "mark the journal restored", &reason) == 1
                 ? 0
                 : -1;
    if (rc != 0)
        cli_error ("cannot mark %s restored: %s", path, reason.text);
    sqlite3_close (db);
    return rc;
}

/*  Copy src to dst (a new file) durably, mode 0600, owned by uid:gid. */
static int
s_copy (const char *src, const char *dst, uid_t uid, gid_t gid)
{
    char tmp[S_LONG + 16];
    snprintf (tmp, sizeof tmp, "%s.restore", dst);
    unlink (tmp);
    int in = open (src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    int out = in < 0 ? -1 : open (tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    int rc = in < 0 || out < 0 ? -1 : 0;
    char buf[65536];
    while (rc == 0) {
        ssize_t n = read (in, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = n < 0 ? -1 : 0;
            break;
        }
        for (ssize_t done = 0; rc == 0 && done < n;) {
            ssize_t w = write (out, buf + done, (size_t) (n - done));
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                rc = -1;
            else
                done += w;
        }
    }
    int err = errno;
    if (rc == 0 && geteuid () == 0 && fchown (out, uid, gid) != 0)
        rc = -1, err = errno;
    if (rc == 0 && fsync (out) != 0)
        rc = -1, err = errno;
    if (in >= 0)
        close (in);
    if (out >= 0)
        close (out);
    if (rc == 0 && rename (tmp, dst) != 0)
        rc = -1, err = errno;
    if (rc != 0) {
        unlink (tmp);
        cli_error ("cannot copy %s to %s: %s", src, dst, strerror (err));
    }
    return rc;
}

static int
s_sync_dir (const char *dir)
{
    int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = fd >= 0 && fsync (fd) == 0 ? 0 : -1;
    if (fd >= 0)
        close (fd);
    if (rc != 0)
        cli_error ("cannot flush %s: %s", dir, strerror (errno));
    return rc;
}

/*  Move STATE/NAME and its -wal and -shm into aside (made on first use). */
static int
s_move_aside (const char *state, const char *name, const char *aside, bool *made, int *moved)
{
    static const char *const tails[] = {"", "-wal", "-shm", "-journal"};
    for (size_t t = 0; t < sizeof tails / sizeof tails[0]; t++) {
        char from[S_LONG], to[S_LONG + 320];
        snprintf (from, sizeof from, "%s/%s%s", state, name, tails[t]);
        snprintf (to, sizeof to, "%s/%s%s", aside, name, tails[t]);
        struct stat st;
        if (lstat (from, &st) != 0)
            continue;
        if (!*made) {
            if (mkdir (aside, 0700) != 0) {
                cli_error ("cannot create %s: %s", aside, strerror (errno));
                return -1;
            }
            *made = true;
        }
        if (rename (from, to) != 0) {
            cli_error ("cannot move %s to %s: %s", from, aside, strerror (errno));
            return -1;
        }
        if (!*tails[t])
            (*moved)++;
    }
    return 0;
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
    if (!config) {
        cli_error ("out of memory");
        return CLI_FAIL;
    }
    kt_reason_t reason;
    json_t *manifest = NULL;
    const char *dir = argv[optind];
    rc = CLI_FAIL;
    if (config_load (cli->config_path, config, &reason) != 0) {
        cli_error ("%s", reason.text);
        goto done;
    }
    if (s_running (config->socket_path)) {
        cli_error ("ketend %s is running (its socket %s answers): stop it first, e.g. "
                   "systemctl stop ketend@%s",
                   config->id, config->socket_path, config->id);
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
    uint64_t taken = (uint64_t) json_integer_value (json_object_get (manifest, "taken_ms"));
    char when[40];
    cli_fmt_time (when, sizeof when, taken);
    struct stat st;
    if (stat (config->state_dir, &st) != 0 || !S_ISDIR (st.st_mode)) {
        cli_error ("the state directory %s does not exist: create it as ketend would (mode "
                   "0700, owned by the node's user) and run restore again",
                   config->state_dir);
        goto done;
    }
    char forget[S_LONG];
    snprintf (forget, sizeof forget, "%s/forget.db", config->state_dir);
    bool have_journal = access (forget, F_OK) == 0;
    if (have_journal && s_count_since (forget, "correct", taken) < 0) {
        cli_error ("cannot read the node's journal %s; move it away only if it is damaged "
                   "beyond reading (the restore then knows nothing forgotten since the backup)",
                   forget);
        goto done;
    }
    /*  The node's files aside, the backup's in; the node's own journal
     *  stays (it holds everything the backup's does, and more). */
    char aside[S_LONG];
    snprintf (aside, sizeof aside, "%s/before-restore-%llu", config->state_dir,
              (unsigned long long) kt_now_ms ());
    bool made = false;
    int moved = 0;
    json_t *files = json_object_get (manifest, "files");
    size_t i;
    json_t *f;
    DIR *d = opendir (config->state_dir);
    if (!d) {
        cli_error ("cannot open %s: %s", config->state_dir, strerror (errno));
        goto done;
    }
    struct dirent *e;
    int move_rc = 0;
    while (move_rc == 0 && (e = readdir (d)))
        if (backup_name_ok (e->d_name) && strcmp (e->d_name, "forget.db") != 0)
            move_rc = s_move_aside (config->state_dir, e->d_name, aside, &made, &moved);
    closedir (d);
    if (move_rc != 0)
        goto done;
    json_array_foreach (files, i, f)
    {
        const char *name = json_string_value (json_object_get (f, "name"));
        if (have_journal && strcmp (name, "forget.db") == 0)
            continue;
        char src[S_LONG], dst[S_LONG];
        snprintf (src, sizeof src, "%s/%s", dir, name);
        snprintf (dst, sizeof dst, "%s/%s", config->state_dir, name);
        if (s_copy (src, dst, st.st_uid, st.st_gid) != 0)
            goto done;
    }
    if (s_sync_dir (config->state_dir) != 0)
        goto done;
    int again = 0, redo = 0;
    if (access (forget, F_OK) == 0) {
        if (s_mark (forget, taken) != 0)
            goto done;
        again = s_count_since (forget, "destroy", taken);
        redo = s_count_since (forget, "correct", taken);
    }
    if (as_json) {
        json_t *r = json_pack ("{s:s, s:s, s:I, s:I, s:i, s:i, s:i}", "node", config->id, "from",
                               dir, "taken_ms", (json_int_t) taken, "files",
                               (json_int_t) json_array_size (files), "moved_aside", moved,
                               "destroy_again", again, "correct_again", redo);
        if (made)
            json_object_set_new (r, "aside", json_string (aside));
        rc = cli_print_json (r);
        json_decref (r);
    } else {
        printf ("restored %s from %s (taken %s): %zu files\n", config->id, dir, when,
                json_array_size (files));
        if (made)
            printf ("the %d files it replaced are in %s: remove them once the node runs as it "
                    "should (they hold personal data)\n",
                    moved, aside);
        printf ("at its next start, before it serves anything, ketend destroys again the %d "
                "subject(s) destroyed and carries out again the %d correction(s) made since the "
                "backup was taken\n",
                again < 0 ? 0 : again, redo < 0 ? 0 : redo);
        rc = CLI_OK;
    }
done:
    json_decref (manifest);
    free (config);
    return rc;
}
