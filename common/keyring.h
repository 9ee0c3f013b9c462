/*  keyring: this node's secret keys plus, for every roster member, its
 *  public keys and the precomputed X25519 shared key between this node's
 *  encryption key and the member's (crypto_box_beforenm).  Caching the
 *  shared key per peer pair means sealing and opening a message costs no
 *  public-key operation beyond the signature
 *  (docs/PERFORMANCE.md, "Where the time goes").
 *
 *  A keyring is built from one roster version; when the roster changes a
 *  new keyring replaces the old one.
 */
#ifndef KETEN_KEYRING_H
#define KETEN_KEYRING_H

#include "keys.h"
#include "roster.h"
#include "util.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct _keyring_t keyring_t;

/*  Borrowed view of one member. */
typedef struct {
    const roster_member_t *member;  /* points into the keyring's roster */
    const uint8_t *shared_key;      /* crypto_box_BEFORENMBYTES, secret */
    /*  With the member's previous encryption key during a key rotation
     *  overlap (member->has_previous), else NULL. */
    const uint8_t *previous_shared_key;
} keyring_peer_t;

/*  Build a keyring for self (must be a roster member whose public keys
 *  match self's - or, during a key rotation overlap, whose previous keys
 *  do) over roster.  Takes ownership of roster.  self is
 *  borrowed and must outlive the keyring. */
keyring_t *keyring_new (const keys_secret_t *self, roster_t **roster_p, kt_reason_t *reason);
void keyring_destroy (keyring_t **self_p);

const roster_t *keyring_roster (const keyring_t *self);
const keys_secret_t *keyring_self (const keyring_t *self);
const roster_member_t *keyring_self_member (const keyring_t *self);
/*  This node still runs the keys its roster entry lists as previous (a
 *  rotation overlap): it signs and is reached under those. */
bool keyring_self_previous (const keyring_t *self);
/*  NULL when id is not in the roster. */
const keyring_peer_t *keyring_peer (const keyring_t *self, const char *id);
/*  The member whose CurveZMQ transport key is pk (or its previous one,
 *  while the overlap lasts at now_ms), or NULL. */
const keyring_peer_t *keyring_peer_by_transport (const keyring_t *self, const uint8_t pk[32],
                                                 uint64_t now_ms);

/*  Batch-signature verification cache: remembers the last few (signer,
 *  root) pairs whose Ed25519 signature was verified, so the other messages
 *  of the same batch cost a hash path instead of a verification. */
bool keyring_batch_verified (const keyring_t *self, const uint8_t signer_pk[32],
                             const uint8_t root[32]);
void keyring_batch_remember (keyring_t *self, const uint8_t signer_pk[32], const uint8_t root[32]);

#endif
