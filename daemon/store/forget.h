/*  forget: the node's journal of what it forgot (docs/OPERATIONS.md,
 *  "Backup and restore"), in its own file forget.db.
 *
 *  Every destruction of a subject (art. 13) and every correction (art.
 *  12.5) is noted here, in its own commit, before it is carried out: the
 *  case_ref, the node's own message ids a destruction names, and for a
 *  correction what it changes (a CorrectionNotice, sealed under a key
 *  derived from the node's storage key, the only personal data here).
 *  A merge of two subjects at the uitvoerder is noted once it is made.
 *  When a subject is destroyed, the sealed corrections about it (and
 *  about the subjects merged into it, and about the node's own messages
 *  the destruction names) are deleted from the journal (secure_delete,
 *  WAL truncated).
 *
 *  A backup copies this file with the others; `keten restore` keeps the
 *  node's own journal (it knows more than the backup's) and marks it
 *  restored, and the next start does again, in their order, the
 *  destructions and corrections noted since the backup was taken, before
 *  the node serves anything: a backup cannot bring back what was
 *  forgotten or corrected after it.
 */
#ifndef KETEN_FORGET_H
#define KETEN_FORGET_H

#include "keten.pb-c.h"
#include "util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FORGET_FILE "forget.db"

typedef struct _forget_t forget_t;

/*  storage_key is borrowed (the node's keys outlive this). */
forget_t *forget_open (const char *path, const uint8_t storage_key[32], kt_reason_t *reason);
void forget_destroy (forget_t **self_p);

/*  Note a destruction of case_ref with n_ids of the node's own message
 *  ids (KT_ID_LEN each, concatenated); the journal's sealed corrections
 *  of case_ref go, and those of the messages named.  case_ref "": the
 *  messages only (a partner's own signals no notice tied to a subject).
 *  With once, a destruction of case_ref noted before is not noted again
 *  (a destruction resumed: the uitvoerder destroys a case_ref once), but
 *  its corrections are blanked and the file checkpointed all the same.
 *  Durable on return. */
int forget_note_destroy (forget_t *self, const char *case_ref, const uint8_t *ids, size_t n_ids,
                         bool once, kt_reason_t *reason);
/*  Note a correction: what (ids and the action, no personal data),
 *  detail (a JSON object of ids the role needs to do it again, or NULL)
 *  and the notice itself, sealed; a deletion takes the sealed changes
 *  noted before of the same item (or of the whole signal).  With once,
 *  a what already noted for case_ref is not noted again (a notice
 *  offered again: what names its message id).  Durable on return: 0, 1
 *  when once found it noted already, -1 with reason. */
int forget_note_correct (forget_t *self, const char *case_ref, const char *what, const char *detail,
                         const Keten__CorrectionNotice *notice, bool once, kt_reason_t *reason);

/*  Note that subject gone was merged into keep (the uitvoerder's
 *  weegploeg file): from then on a destruction of keep also forgets what
 *  was noted under gone, and a restore of a backup taken before merges
 *  them again.  Once per pair; durable on return. */
int forget_note_merge (forget_t *self, const char *keep, const char *gone, kt_reason_t *reason);
/*  Each subject merged into case_ref, at any depth, to fn (0 go on, 1
 *  stop, -1 error with reason). */
typedef int (forget_merged_fn) (void *arg, const char *case_ref, kt_reason_t *reason);
int forget_each_merged (forget_t *self, const char *case_ref, forget_merged_fn *fn, void *arg,
                        kt_reason_t *reason);

/*  After a restore: 1 with *from_seq (the replay goes on after it: the
 *  end of the backup's journal, or the last entry replayed), 0 when the
 *  node was not restored since its last start, -1. */
int forget_restored (forget_t *self, int64_t *from_seq, kt_reason_t *reason);

/*  One noted act, for the replay; notice is NULL for a destruction or a
 *  merge, and for a correction whose subject or item was deleted since;
 *  a merge's detail is {"gone": CASE_REF}. */
typedef struct {
    int64_t seq;
    const char *kind; /* "destroy", "correct", "merge" */
    const char *case_ref;
    const uint8_t *ids;
    size_t n_ids;
    const char *detail; /* "" or a JSON object */
    Keten__CorrectionNotice *notice;
} forget_entry_t;
typedef int (forget_entry_fn) (void *arg, const forget_entry_t *entry, kt_reason_t *reason);
/*  Each act noted after from_seq, oldest first, up to the newest noted
 *  when the call began; nothing fn does is noted (the notes are there),
 *  and each entry done is recorded, so that a crash goes on from the
 *  next one. */
int forget_replay (forget_t *self, int64_t from_seq, forget_entry_fn *fn, void *arg,
                   kt_reason_t *reason);
/*  The replay after a restore is complete: when the journal since the
 *  backup holds a destruction or a correction, the copies taken before
 *  a migration (of the restored files) are removed, then the restore
 *  mark. */
int forget_restore_done (forget_t *self, kt_reason_t *reason);

#endif
