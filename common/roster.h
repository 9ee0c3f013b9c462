/*  roster: the convenant as data - the federation's members, their roles
 *  and public keys - signed by the uitvoerder as a C2SP signed note whose
 *  text is ZPL.  Format in docs/ROSTER.md.
 *
 *  Every node pins the uitvoerder's note verifier key in its config and
 *  accepts only a roster signed by that key, with a version not lower than
 *  the highest it has accepted before.
 */
#ifndef KETEN_ROSTER_H
#define KETEN_ROSTER_H

#include "keys.h"
#include "referentiekader.h"
#include "util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ROSTER_MAX_BYTES (4 * 1024 * 1024)
#define ROSTER_MAX_MEMBERS 1024
/*  Longest overlap of a key rotation: a member's old keys are accepted at
 *  most this many full days after the roster that rotated them. */
#define ROSTER_OVERLAP_MAX_DAYS 90

typedef enum {
    ROLE_KERNPARTIJ = 1,  /* politie, om, gemeente (art. 1) */
    ROLE_CASUSPARTIJ = 2, /* rvdk, reclassering */
    ROLE_EXTERN = 3,      /* externe casuspartner (bijlage 1) */
    ROLE_UITVOERDER = 4
} roster_role_t;

typedef struct {
    char id[KEYS_ID_MAX + 1];
    char name[KEYS_NAME_MAX + 1];
    char kind[KEYS_KIND_MAX + 1];
    roster_role_t role;
    uint8_t transport_pk[32];
    uint8_t signing_pk[32];
    uint8_t encryption_pk[32];
    char joined[11];                      /* YYYY-MM-DD */
    char notice_given[11];                /* YYYY-MM-DD or "" (art. 18.2 opzegging) */
    char leaves_at[11];                   /* YYYY-MM-DD or "": keys stop working that day */
    char municipality[KEYS_NAME_MAX + 1]; /* gemeente only: whose residents */
    /*  Key rotation with an overlap period: until previous_until (00:00
     *  Dutch time) the member may still use the keys it had before, so its node
     *  can switch key files at a moment of its choosing.  has_previous is
     *  false when previous_until is "". */
    bool has_previous;
    uint8_t previous_transport_pk[32];
    uint8_t previous_signing_pk[32];
    uint8_t previous_encryption_pk[32];
    char previous_until[11]; /* YYYY-MM-DD or "" */
} roster_member_t;

/*  A peering (docs/FEDERATIONS.md): another federation's uitvoerder,
 *  pinned by this federation's uitvoerder in its own roster.  It is a
 *  peering only when the other side's roster pins this one too.  The
 *  peer's log is verified under its signing key with the origin its
 *  federation name gives (common/checkpoint.h). */
#define ROSTER_MAX_PEERINGS 64
#define ROSTER_ENDPOINT_MAX 255

typedef struct {
    char federation[65];            /* the peer federation's name */
    char uitvoerder[KEYS_ID_MAX + 1]; /* its uitvoerder's member id */
    char name[KEYS_NAME_MAX + 1];
    uint8_t transport_pk[32];
    uint8_t signing_pk[32];
    uint8_t encryption_pk[32];
    char endpoint[ROSTER_ENDPOINT_MAX + 1]; /* where it listens: tcp://HOST:PORT */
    char since[11];                 /* YYYY-MM-DD */
    char ended[11];                 /* YYYY-MM-DD or "": from 00:00 Dutch time that day no more */
    /*  Its college is entitled to art. 9/10 Wpg data (a transfer carries
     *  such data only then). */
    bool wpg_entitled;
} roster_peering_t;

typedef struct {
    char federation[65];
    uint64_t version;
    char issued[32];                       /* RFC 3339 UTC */
    char referentiekader[65];              /* version of the referentiekader in force */
    uint8_t referentiekader_sha256[32];    /* art. 7.3: SHA-256 of its file's exact bytes */
    bool referentiekader_example;          /* an illustration, not a region's own */
    uint32_t retention_not_agendered_days; /* art. 13: at most 183 */
    uint32_t retention_archive_days;       /* art. 13: at most 365 */
    uint32_t retention_destroy_days;       /* art. 13: at most 1826 */
    size_t member_count;
    roster_member_t *members;
    size_t peering_count;
    roster_peering_t *peerings; /* NULL when none */
    char *note; /* the signed note exactly as loaded */
    size_t note_len;
} roster_t;

/*  The role the convenant gives an organisation kind. */
roster_role_t roster_role_for_kind (const char *kind);
const char *roster_role_name (roster_role_t role);

/*  Verify data (a signed note) against the pinned verifier key, then parse
 *  and validate its text.  Refuses an unsigned or wrongly signed roster, a
 *  malformed one, duplicate ids or keys, and a roster without exactly one
 *  uitvoerder whose signing key is the pinned key. */
roster_t *roster_parse (const char *data, size_t len, const char *pinned_key, kt_reason_t *reason);
roster_t *roster_load (const char *path, const char *pinned_key, kt_reason_t *reason);
void roster_destroy (roster_t **self_p);

const roster_member_t *roster_find (const roster_t *self, const char *id);
/*  The member whose transport key - or previous transport key, while its
 *  overlap lasts at now_ms - is pk. */
const roster_member_t *roster_find_transport (const roster_t *self, const uint8_t pk[32],
                                              uint64_t now_ms);
const roster_member_t *roster_uitvoerder (const roster_t *self);
/*  The peering with federation, or NULL. */
const roster_peering_t *roster_peering (const roster_t *self, const char *federation);
/*  Roster dates are days of the Dutch calendar (Europe/Amsterdam,
 *  calendar.h): a day rule takes effect at 00:00 Dutch time, i.e. 23:00
 *  UTC (22:00 in summer) the day before, on every node alike. */
/*  A peering is in force until 00:00 Dutch time of its ended day. */
bool roster_peering_active (const roster_peering_t *peering, uint64_t now_ms);
/*  A member is active until the start (00:00 Dutch time) of its
 *  leaves_at day. */
bool roster_member_active (const roster_member_t *member, uint64_t now_ms);
/*  The member's previous keys are still accepted at now_ms (before 00:00
 *  Dutch time of previous_until). */
bool roster_member_previous_active (const roster_member_t *member, uint64_t now_ms);
/*  When the member's previous keys stop (00:00 Dutch time of
 *  previous_until), in ms since the epoch; 0 when it has none (or the
 *  date is unreadable). */
uint64_t roster_member_previous_end_ms (const roster_member_t *member);

/*  The municipality of a gemeente: its name without a leading "Gemeente "
 *  ("Gemeente Sittard-Geleen"), else its id without "gemeente-". */
void roster_default_municipality (const char *id, const char *name, char *out, size_t len);

/*  Build the roster text from members' public key files and sign it with
 *  the uitvoerder's secret keys (which must also be one of the members);
 *  rk is the referentiekader it puts in force (art. 7.3: its version,
 *  SHA-256 and example flag go into the roster).  *note_p receives the
 *  signed note (heap, free()). */
int roster_build (const char *federation, uint64_t version, const char *const *pub_files,
                  size_t n_files, const keys_secret_t *signer, const referentiekader_t *rk,
                  char **note_p, kt_reason_t *reason);
/*  The roster's referentiekader fields set from rk. */
void roster_set_referentiekader (roster_t *r, const referentiekader_t *rk);

/*  Write r (its head, members and peerings; r->note is not read) as
 *  roster text, sign it with the uitvoerder's secret keys and parse the
 *  result exactly as every node will, so that a roster nobody would
 *  accept is never handed out.  A member's previous keys are written
 *  while its overlap lasts; an ended peering is written as history.  On
 *  a refusal the reason is refused followed by the parser's reason.
 *  *note_p receives the signed note (heap, free()).  Used by
 *  roster_build and by rosterchange.c for the next version. */
int roster_sign (const roster_t *r, const keys_secret_t *signer, const char *refused, char **note_p,
                 kt_reason_t *reason);
/*  A member as its public key file describes it, joined on joined
 *  (YYYY-MM-DD); no notice, no leaving date, no previous keys. */
void roster_member_from_public (roster_member_t *m, const keys_public_t *pub, const char *joined);

#endif
