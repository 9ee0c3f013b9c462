/*  spool_retain: what the police spool keeps, and for how long (convenant
 *  art. 13; docs/SIGNAL-FORMAT.md, "What the spool keeps").
 *
 *  - done/: a forwarded file's plaintext is removed once the receipt for
 *    its signal is kept (its outbox row settled, accepted or refused).
 *    What the re-drop check needs, the file's name and content hash,
 *    stays in the spool table, so a file seen again is still recognised.
 *    A file is known by its content hash, since in done/ it may carry a
 *    suffix (STEM.1.json); it is removed only when every signal recorded
 *    with that hash is settled.  A held art. 9/10 Wpg signal has no
 *    outbox row until its release, so its file stays until the release
 *    is receipted.  A file the table does not know is left alone.
 *  - rejected/: a file and its FINAL.reason are removed keep_days after
 *    the rejection, which is the reason's mtime (set by ketend from its
 *    own clock when it writes the reason).  An entry without a reason is
 *    not ketend's and is left alone.
 *
 *  Both are removals by unlink followed by an fsync of the directory; a
 *  crash in between leaves the file for the next pass, which removes it
 *  then: every pass is idempotent.  The log says the inode, never a name.
 */
#ifndef KETEN_SPOOL_RETAIN_H
#define KETEN_SPOOL_RETAIN_H

#include "spool.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct _spool_retain_t spool_retain_t;

/*  Whether the signal sent as id is settled (its receipt kept): 1 yes,
 *  0 no (pending, held, never queued), -1 cannot tell (kept then). */
typedef int (spool_settled_fn) (void *arg, const uint8_t id[KT_ID_LEN]);

/*  Retention for the spool's done/ and rejected/ in its state directory:
 *  the very directories spool_new opened and checked (their descriptors,
 *  never their paths again: a path may lead elsewhere by now).  spool is
 *  borrowed, for its table; settled(arg, id) says whether a signal's
 *  receipt is kept.  NULL with reason on failure. */
spool_retain_t *spool_retain_new (spool_t *spool, uint32_t keep_days, spool_settled_fn *settled,
                                  void *arg, kt_reason_t *reason);
void spool_retain_destroy (spool_retain_t **self_p);

/*  A receipt was kept: the next pass looks at done/. */
void spool_retain_wake (spool_retain_t *self);
/*  One pass, for the spool timer: done/ when woken or when done/ changed
 *  since the last look (a file moved there), rejected/ at start and then
 *  once a minute, while clock_confirmed (the federation confirms this
 *  node's clock: node_clock_guard). */
void spool_retain_pass (spool_retain_t *self, uint64_t now_ms, bool clock_confirmed);

/*  Remove every done/ file whose signals are all settled.  Returns how
 *  many were removed (-1: done/ could not be read, logged). */
int spool_retain_done (spool_retain_t *self);
/*  Remove every rejected/ file (and its reason) rejected keep_days or
 *  more before now_ms.  Returns how many (-1: rejected/ unreadable). */
int spool_retain_rejected (spool_retain_t *self, uint64_t now_ms);

/*  What rejected/ holds, for status. */
typedef struct {
    uint64_t waiting;         /* rejected files (with their reason) still there */
    uint64_t next_removal_ms; /* when the first of them goes (0: none) */
    uint64_t within_warning;  /* how many go within SPOOL_RETAIN_WARN_MS of now */
    uint32_t keep_days;
} spool_retain_status_t;
#define SPOOL_RETAIN_WARN_MS (2ULL * 86400 * 1000) /* warn two days ahead */
int spool_retain_status (spool_retain_t *self, uint64_t now_ms, spool_retain_status_t *st,
                         kt_reason_t *reason);

#endif
