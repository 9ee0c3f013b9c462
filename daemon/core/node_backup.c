/*  node_backup: `keten backup DIR` at a running node, and what a start
 *  does after `keten restore` (docs/OPERATIONS.md, "Backup and restore").
 */
#include "node_core.h"

#include "backup.h"

#include <string.h>

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
        backup_take (self->config.state_dir, dir, about, &reason) != 0) {
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
    uint64_t taken_ms = 0;
    int restored = forget_restored (self->forget, &taken_ms, reason);
    if (restored <= 0)
        return restored;
    /*  What was destroyed or corrected since the backup was taken is done
     *  again, in its order, before the node serves anything; a crash here
     *  repeats it all at the next start (a destruction done is nothing to
     *  do; a correction done is done again, changing nothing more). */
    if (forget_each_since (self->forget, taken_ms, s_redo, self, reason) != 0 ||
        forget_restore_done (self->forget, reason) != 0)
        return -1;
    kt_log (KT_LOG_INFO, "restore replayed backup_taken_ms=%llu", (unsigned long long) taken_ms);
    return 0;
}
