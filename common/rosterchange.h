/*  rosterchange: the uitvoerder changes the federation's membership (art.
 *  15.2c, 18.2) by issuing the next roster version: a member added, a
 *  member's kind (and so its role) changed, a member revoked at once, or an
 *  opzegging recorded (the member leaves three months later), or a
 *  member's keys rotated with an overlap period in which its old keys are
 *  still accepted; or another referentiekader put in force (art. 7.3),
 *  the members unchanged; or another federation's uitvoerder pinned as a
 *  peer, or such a peering ended.  The result is signed and checked
 *  exactly as every node will check it.
 */
#ifndef KETEN_ROSTERCHANGE_H
#define KETEN_ROSTERCHANGE_H

#include "keys.h"
#include "roster.h"
#include "util.h"

typedef enum {
    ROSTER_CHANGE_ADD,             /* pub: the new member's public keys */
    ROSTER_CHANGE_KIND,            /* id, kind */
    ROSTER_CHANGE_REVOKE,          /* id: leaves-at today, at once (art. 15.2c) */
    ROSTER_CHANGE_OPZEGGING,       /* id, date (YYYY-MM-DD, "" today): art. 18.2 */
    ROSTER_CHANGE_ROTATE,          /* pub: the member's new keys; overlap_days */
    ROSTER_CHANGE_END_OVERLAP,     /* id: its previous keys stop at once */
    ROSTER_CHANGE_REFERENTIEKADER, /* rk: the referentiekader put in force (art. 7.3) */
    /*  pub: the peer uitvoerder's public keys; federation, endpoint,
     *  wpg_entitled.  Since today; an ended peering with federation is
     *  replaced by the new one. */
    ROSTER_CHANGE_PEER_ADD,
    ROSTER_CHANGE_PEER_END /* federation: ended today, at once */
} roster_change_op_t;

#define ROSTER_OVERLAP_DEFAULT_DAYS 7

typedef struct {
    roster_change_op_t op;
    const char *id;
    const char *kind;
    const char *date;
    const keys_public_t *pub;
    unsigned overlap_days;       /* ROTATE: 0 = the old keys stop at once */
    const referentiekader_t *rk; /* REFERENTIEKADER: checked, its sha256 set */
    const char *federation;      /* PEER_ADD, PEER_END: the peer federation */
    const char *endpoint;        /* PEER_ADD: tcp://HOST:PORT where its uitvoerder listens */
    bool wpg_entitled;           /* PEER_ADD: its college is entitled to art. 9/10 Wpg data */
} roster_change_t;

/*  The next version of old with change applied, signed by signer (the
 *  uitvoerder); *note_p receives the signed note (heap, free()). */
int roster_change (const roster_t *old, const roster_change_t *change, const keys_secret_t *signer,
                   char **note_p, kt_reason_t *reason);
/*  The same as issued at now_ms (ms since the epoch): roster_change is
 *  this at kt_now_ms (); the tests give the hour a rule depends on. */
int roster_change_at (const roster_t *old, const roster_change_t *change,
                      const keys_secret_t *signer, uint64_t now_ms, char **note_p,
                      kt_reason_t *reason);

#endif
