/*  node_backup: `keten backup DIR` at a running node, and what a start
 *  does after `keten restore` (docs/OPERATIONS.md, "Backup and restore").
 */
#include "node_core.h"

#include "backup.h"
#include "service.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

/*  Between two files of a backup: the loop is alive, only busy. */
static void
s_kick (void)
{
    service_watchdog_kick ();
}

/*  A backup of every database file into args.dir, a new directory that
 *  ketend may write (under the hardened unit: /var/backups/keten).  All
 *  files are copied in this one turn of the event loop, so no write falls
 *  between two of them; a large node holds its loop for as long as the
 *  copies take. */
void
node_backup (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    const char *dir = json_string_value (json_object_get (args, "dir"));
    if (!dir || !*dir || strlen (dir) > 3000 || dir[0] != '/' || strpbrk (dir, "\n\r")) {
        apiserver_reply_error (self->api, caller,
                               "dir must be an absolute path of at most 3000 bytes");
        return;
    }
    const roster_member_t *me = keyring_self_member (self->keyring);
    kt_reason_t reason;
    json_t *about =
        json_pack ("{s:s, s:s, s:s, s:s, s:I}", "node", me->id, "kind", me->kind, "role",
                   roster_role_name (me->role), "purpose", "backup", "roster_version",
                   (json_int_t) keyring_roster (self->keyring)->version);
    uint64_t started = kt_mono_us ();
    if (!about)
        kt_fail (&reason, "out of memory");
    if (!about || backup_make_dir (dir, &reason) != 0 ||
        backup_take (self->config.state_dir, dir, about, s_kick, &reason) != 0) {
        kt_log (KT_LOG_WARN, "backup failed dir=%s reason=\"%s\"", dir, reason.text);
        json_decref (about);
        apiserver_reply_error (self->api, caller, reason.text);
        return;
    }
    json_t *files = json_object_get (about, "files");
    json_int_t bytes = 0;
    size_t i;
    json_t *f;
    json_array_foreach (files, i, f) bytes += json_integer_value (json_object_get (f, "bytes"));
    kt_log (KT_LOG_INFO, "backup written dir=%s files=%zu bytes=%lld ms=%llu", dir,
            json_array_size (files), (long long) bytes,
            (unsigned long long) ((kt_mono_us () - started) / 1000));
    json_object_set_new (about, "dir", json_string (dir));
    apiserver_reply_ok (self->api, caller, about);
}

static int
s_redo (void *arg, const forget_entry_t *entry, kt_reason_t *reason)
{
    node_t *self = arg;
    kt_log (KT_LOG_INFO, "restore redo seq=%lld kind=%s case_ref=%s", (long long) entry->seq,
            entry->kind, entry->case_ref);
    return self->role->redo (self, entry, reason);
}

int
node_replay_forgotten (node_t *self, kt_reason_t *reason)
{
    int64_t from_seq = 0;
    int restored = forget_restored (self->forget, &from_seq, reason);
    if (restored <= 0)
        return restored;
    /*  What was destroyed or corrected after the backup's journal ends is
     *  done again, in its order, before the node serves anything; a crash
     *  here goes on from the entry after the last one done. */
    if (forget_replay (self->forget, from_seq, s_redo, self, reason) != 0 ||
        forget_restore_done (self->forget, reason) != 0)
        return -1;
    kt_log (KT_LOG_INFO, "restore replayed after_seq=%lld", (long long) from_seq);
    return 0;
}

int
node_lock_state (node_t *self, kt_reason_t *reason)
{
    char path[PATH_MAX + 32];
    snprintf (path, sizeof path, "%s/%s", self->config.state_dir, BACKUP_LOCK);
    self->lock_fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (self->lock_fd < 0)
        return kt_fail (reason, "cannot open %s: %s", path, strerror (errno));
    if (flock (self->lock_fd, LOCK_EX | LOCK_NB) != 0)
        return kt_fail (reason,
                        "%s is locked: another ketend, or keten restore, is using the state "
                        "directory %s",
                        path, self->config.state_dir);
    DIR *d = opendir (self->config.state_dir);
    if (!d)
        return kt_fail (reason, "cannot open %s: %s", self->config.state_dir, strerror (errno));
    struct dirent *e;
    char cut[300] = "";
    while ((e = readdir (d)))
        if (strncmp (e->d_name, BACKUP_INCOMING, strlen (BACKUP_INCOMING)) == 0)
            snprintf (cut, sizeof cut, "%s", e->d_name);
    closedir (d);
    /*  The operator's to sort out: not a start to retry. */
    self->config_refused = *cut != 0;
    if (*cut)
        return kt_fail (reason,
                        "a restore was cut off half-way (%s/%s holds the backup's files): run "
                        "keten -c CONFIG restore DIR again",
                        self->config.state_dir, cut);
    return 0;
}
