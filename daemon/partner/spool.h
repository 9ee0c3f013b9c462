/*  spool: automatic forwarding from a directory (the police node's
 *  intake).  Police systems drop one JSON signal per file into the spool
 *  directory (written under a temporary name and renamed to
 *  NAME.json, so a half-written file is never read; names starting with
 *  '.' or not ending in ".json" are left alone, and so is every directory
 *  not so named).  ketend's own directories are not in the spool, where
 *  the writer could rename them, but in the state directory beside it
 *  (intake/spool-state-dir, by default SPOOL-DIR.state), which only
 *  ketend writes, on the spool's filesystem and mount.  Each file is first
 *  claimed: renamed, under its own name, into STATE/work/, so that a
 *  writer replacing NAME.json afterwards drops a new file instead of
 *  changing the one being handled.  From work/ it is validated; a valid
 *  one is stored and queued in the same transaction that records (a hash
 *  of the file name, content hash, message id) here, and only then moved
 *  to done/, which it leaves once its signal's receipt is kept
 *  (spool_retain.h).  An invalid one (or one with more than one name, a
 *  hard link) is moved to rejected/ with its reason beside it
 *  (FINAL.reason, written before the move).  A move never replaces a file
 *  already in done/ or rejected/: a later file of the same name becomes
 *  STEM.1.json, STEM.2.json, ...  A name longer than SPOOL_NAME_MAX is
 *  rejected as name-too-long-INODE.json, the name kept in its reason.
 *  Every scan handles work/ before the spool: a file left there by a crash
 *  is sent if it was not, and recognised by name and hash and only moved
 *  to done/ if it was.  A passing failure (out of descriptors or memory,
 *  EIO, ESTALE, ETIMEDOUT) leaves a file for the next scan, logged once a
 *  minute.  The log never names a file nor quotes a reason: it says a
 *  fixed class and the inode number.
 *  The layout before: work/, done/ and rejected/ inside the spool, which
 *  the writer may have renamed into each other's names.  A start moves
 *  what is in them (spool_new) by what each file is, not by the
 *  directory's name: each directory whole by one rename where it holds
 *  what its name says and the state directory has none yet, else file by
 *  file, so a crash at any point leaves every file in one of the two
 *  places, and the next start goes on.
 *  Details: docs/SIGNAL-FORMAT.md, "The police spool".
 */
#ifndef KETEN_SPOOL_H
#define KETEN_SPOOL_H

#include "keten.pb-c.h"
#include "util.h"

#include <sqlite3.h>
#include <stdint.h>
#include <sys/types.h>

#define SPOOL_NAME_MAX 200

typedef struct _spool_t spool_t;

typedef struct {
    char name[SPOOL_NAME_MAX + 1]; /* NAME.json, no directory part */
    uint8_t hash[32];              /* BLAKE2b-256 of the file's bytes */
    uid_t owner;                   /* who dropped it (file owner) */
    unsigned long long ino;        /* inode, to name the file in the log */
    Keten__Signal *signal;         /* validated; owned */
} spool_file_t;

/*  db (node.db) is borrowed.  Creates state (0700) if it is missing, and
 *  in it work/ (0700), done/ and rejected/, after moving there the ones
 *  an older ketend made in dir; refuses (NULL, reason) what spool_check
 *  refuses, and fails (NULL, reason) where it cannot tell. */
spool_t *spool_new (sqlite3 *db, const char *dir, const char *state, kt_reason_t *reason);
/*  Whether state may hold ketend's directories for the spool dir, without
 *  changing anything (ketend --check, and every start): not inside the
 *  spool, its parent and every directory above it (the real ones, and
 *  those its configured path names) writable by nobody but ketend's
 *  user (user) or root (or sticky), itself and the work/, done/ and
 *  rejected/ in it directories of user's, and each of them on the
 *  spool's filesystem and mount, so that a rename from the spool into it
 *  works.  A state directory not made yet is judged by its parent.  0; -1 with reason when the
 * setup is wrong, dir not there at all included (refused: exit 78); 1 with reason when it cannot
 * tell now - a look failed for a passing reason (an I/O error, a stale NFS handle, out of
 * descriptors) - which a start says (exit 1, restarted). */
int spool_check (const char *dir, const char *state, uid_t user, kt_reason_t *reason);
/*  The record of the file signal id came from, gone with the signal (art.
 *  13: its name's and content's hashes, its owner, its time; inside the
 *  caller's transaction), and the file itself if it is still in done/ (a
 *  signal destroyed before its receipt).  0, or -1 with reason. */
int spool_forget (spool_t *self, const uint8_t id[KT_ID_LEN], kt_reason_t *reason);
void spool_destroy (spool_t **self_p);
/*  The state directory's done/ and rejected/, as spool_new opened and
 *  checked them (borrowed: spool_retain takes copies). */
int spool_done_fd (const spool_t *self);
int spool_rejected_fd (const spool_t *self);

/*  Look at what is in work/, then claim and look at spool files, until
 *  max files are returned: reject the invalid ones, finish the ones
 *  already recorded, and return the valid new ones in files (the caller
 *  records, commits, then calls spool_done; and frees the signals).  A
 *  file returned and not finished stays in work/ and is returned again by
 *  the next scan, so the caller must record or drop every file returned
 *  before it scans again. */
size_t spool_scan (spool_t *self, spool_file_t *files, size_t max);
/*  What the last scan could not do: 0 when it did all; -1 with reason
 *  when intake/spool-dir could not be looked at, was replaced by a
 *  directory that cannot be used (refused like a start refuses it, or
 *  not opened: the spool is not scanned meanwhile), or it or work/ could
 *  not be read.  For the node's status (the spool's error, which
 *  `keten status --check` and the metrics raise). */
int spool_health (const spool_t *self, kt_reason_t *reason);

/*  A file waits this long, neither forwarded nor rejected, before the
 *  status warns of it (spool_file_stuck): a healthy node claims a file
 *  within a scan (intake/spool-poll-ms, at most a minute) and a burst of
 *  thousands within minutes (docs/SIGNAL-FORMAT.md, "Files that wait"). */
#define SPOOL_STUCK_MS (15ull * 60 * 1000)

/*  The files that wait to be forwarded or rejected: the candidates in
 *  the spool (not claimed yet) and in work/ (claimed, not finished). */
typedef struct {
    uint64_t waiting;   /* how many */
    uint64_t stuck;     /* of them, waiting SPOOL_STUCK_MS or longer */
    uint64_t oldest_ms; /* since when the oldest waits (its ctime); 0: none */
} spool_waiting_t;
/*  Look at the spool and work/ as they are now (not as the last scan saw
 *  them: a scan that does not run must not hide a file).  Each file waits
 *  since its ctime (a writer cannot set it): in the spool its last change,
 *  normally the writer's rename into it; in work/ the claim.  At most
 *  100,000 entries of each are looked at.  0, or -1 with reason (a
 *  directory that cannot be read now). */
int spool_waiting (const spool_t *self, uint64_t now_ms, spool_waiting_t *out, kt_reason_t *reason);

/*  Record a file as forwarded as message id, inside the caller's
 *  transaction. */
int spool_record (spool_t *self, const spool_file_t *file, const uint8_t id[KT_ID_LEN],
                  kt_reason_t *reason);
/*  After the commit: move the file from work/ to done/ (under the next
 *  free name if done/NAME exists).  If that fails (logged) the file stays
 *  in work/ and the next scan, finding it in the table, moves it. */
void spool_done (spool_t *self, const spool_file_t *file);

/*  Take one message id: 0 go on, 1 stop, -1 error with reason. */
typedef int (spool_id_fn) (void *arg, const uint8_t id[KT_ID_LEN]);
/*  Call fn with the message id of every file recorded with content hash
 *  hash (BLAKE2b-256 of its bytes, as in spool_file_t): what a file still
 *  in done/ was sent as, whatever name it has there.  0, or -1 with
 *  reason (fn's, or the table could not be read). */
/*  renameat2 with RENAME_NOREPLACE: 0, or -1 with errno (EEXIST: to
 *  exists; EINVAL or ENOSYS: the filesystem or kernel cannot, e.g. NFS). */
int spool_rename_noreplace (int from_fd, const char *from, int to_fd, const char *to);
int spool_each_by_hash (spool_t *self, const uint8_t hash[32], spool_id_fn *fn, void *arg,
                        kt_reason_t *reason);
/*  Call fn with the message id of every file recorded under name, or
 *  under the name a numbered one (STEM.N.json) came in under: what a
 *  file in done/ that cannot be read was sent as.  0, or -1 with reason. */
int spool_each_by_name (spool_t *self, const char *name, spool_id_fn *fn, void *arg,
                        kt_reason_t *reason);

#endif
