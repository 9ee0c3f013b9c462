/*  backup: a consistent copy of a node's database files, with a manifest
 *  and checksums, and its check before a restore (docs/OPERATIONS.md,
 *  "Backup and restore").
 *
 *  A backup directory holds each FILE.db of the node's state directory,
 *  copied with VACUUM INTO (a snapshot of one file, compacted, so no freed
 *  page of a deleted row travels with it), and MANIFEST.json, written
 *  last: its node, kind, role, software version, the time it was taken,
 *  its purpose and each file's name, size and SHA-256.  A directory
 *  without a manifest is an unfinished backup and is refused.  ketend
 *  takes every file of one backup in one turn of its event loop, so no
 *  write falls between two files: together they are one moment.
 */
#ifndef KETEN_BACKUP_H
#define KETEN_BACKUP_H

#include "util.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#define BACKUP_MANIFEST "MANIFEST.json"
/*  In the state directory: the lock ketend holds while it runs (and
 *  `keten restore` while it restores), and the prefixes of the
 *  directories a restore stages the backup's files in and moves the
 *  node's own to. */
#define BACKUP_LOCK "ketend.lock"
#define BACKUP_INCOMING "restore-incoming-"
#define BACKUP_ASIDE "before-restore-"
#define BACKUP_FORMAT "keten-backup-1"
/*  Files a backup may name: FILE.db, FILE of [a-z_], at most this many. */
#define BACKUP_MAX_FILES 32

/*  Whether name is a database file name a backup may hold ("node.db"). */
bool backup_name_ok (const char *name);

/*  Copy db (a connection to a file of the state directory, outside any
 *  transaction) to dst_path, which must not exist (nor be a link): made
 *  0600 first, filled by VACUUM INTO, flushed to disk. */
int backup_copy_db (sqlite3 *db, const char *dst_path, kt_reason_t *reason);

/*  Flush dir itself, so that the names made, moved or removed in it
 *  survive a power cut. */
int backup_sync_dir (const char *dir, kt_reason_t *reason);

/*  Make dir (mode 0700; its parent must exist; a directory that exists
 *  must be empty) for a backup. */
int backup_make_dir (const char *dir, kt_reason_t *reason);

/*  Copy every database file of state_dir into dir (made by
 *  backup_make_dir), then write the manifest: about (an object with
 *  node, kind, role, purpose and anything else to keep) gains
 *  format, software_version, taken_ms and files; between (may be NULL)
 *  is called after each file (ketend kicks its watchdog).  0, or -1 with
 *  reason; on -1 what was written into dir is removed. */
int backup_take (const char *state_dir, const char *dir, json_t *about, void (*between) (void),
                 kt_reason_t *reason);

/*  Read dir's manifest and check it: the format, every file named once,
 *  of a valid name, present with its size and SHA-256.  The manifest, or
 *  NULL with a reason naming what is wrong. */
json_t *backup_verify (const char *dir, kt_reason_t *reason);

/*  Before a schema migration (store_migrate): a backup of every file of
 *  the state directory into STATE_DIR/pre-migration-TIME, taken once per
 *  process, when the node has said who it is (store_migrate does nothing
 *  before).  about is copied.  Such copies are removed as soon as the
 *  node forgets anything (backup_drop_premigration): they must not keep
 *  what retention or a correction took away. */
void backup_set_premigration (const char *state_dir, const json_t *about);
int backup_premigration (kt_reason_t *reason);
/*  Remove every copy in state_dir that holds what the node has now
 *  forgotten - those taken before a migration, and the files a restore
 *  replaced (before-restore-*): how many went (one that cannot be removed
 *  is logged and left), or -1 when state_dir cannot be read. */
int backup_drop_premigration (const char *state_dir, kt_reason_t *reason);
/*  The path of the newest copy in state_dir taken before a migration
 *  (STATE_DIR/pre-migration-TIME) into path: 0, or -1 when none. */
int backup_newest_premigration (const char *state_dir, char *path, size_t size);
/*  The same for the copies taken before a migration only: what a
 *  restore's replay forgets again is in the restored files such a copy
 *  was taken of, not in the newer ones the restore replaced. */
int backup_drop_migration_copies (const char *state_dir, kt_reason_t *reason);

/*  Remove the staging directories (BACKUP_INCOMING*) a restore cut off
 *  before left in state_dir, once a restore run again has succeeded: they
 *  hold copies of a backup, and ketend refuses to start while one is
 *  there.  How many are left (each one logged), or -1 when state_dir
 *  cannot be read. */
int backup_drop_incoming (const char *state_dir, kt_reason_t *reason);

/*  The SHA-256 of a file as 64 hex digits, and its size. */
int backup_file_sha256 (const char *path, char hex[65], uint64_t *bytes_p, kt_reason_t *reason);

#endif
