/*  keyring: roster members with cached shared keys.  */
#include "keyring.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define BATCH_CACHE 16

struct _keyring_t {
    const keys_secret_t *self;
    roster_t *roster;
    const roster_member_t *self_member;
    bool self_previous;
    keyring_peer_t *peers;      /* one per roster member, same order */
    uint8_t *shared;            /* sodium_malloc'd, member_count * BEFORENMBYTES */
    struct {
        uint8_t signer[32];
        uint8_t root[32];
        bool used;
    } batch[BATCH_CACHE];
    size_t batch_next;
};

keyring_t *
keyring_new (const keys_secret_t *self, roster_t **roster_p, kt_reason_t *reason)
{
    roster_t *roster = *roster_p;
    *roster_p = NULL;
    keyring_t *kr = calloc (1, sizeof *kr);
    if (!kr) {
        roster_destroy (&roster);
        kt_fail (reason, "out of memory");
        return NULL;
    }
    kr->self = self;
    kr->roster = roster;
    kr->self_member = roster_find (roster, self->pub.id);
    if (!kr->self_member) {
        kt_fail (reason, "this node (%s) is not a member of roster version %llu", self->pub.id,
                 (unsigned long long) roster->version);
        keyring_destroy (&kr);
        return NULL;
    }
    const roster_member_t *me = kr->self_member;
    bool current = sodium_memcmp (me->signing_pk, self->pub.signing_pk, 32) == 0
                && sodium_memcmp (me->encryption_pk, self->pub.encryption_pk, 32) == 0
                && sodium_memcmp (me->transport_pk, self->pub.transport_pk, 32) == 0;
    bool previous = me->has_previous
                 && sodium_memcmp (me->previous_signing_pk, self->pub.signing_pk, 32) == 0
                 && sodium_memcmp (me->previous_encryption_pk, self->pub.encryption_pk, 32) == 0
                 && sodium_memcmp (me->previous_transport_pk, self->pub.transport_pk, 32) == 0;
    if (!current && previous && !roster_member_previous_active (me, kt_now_ms ())) {
        kt_fail (reason, "the keys of %s were rotated in roster version %llu and the overlap "
                         "ended on %s: install the new key file", self->pub.id,
                 (unsigned long long) roster->version, me->previous_until);
        keyring_destroy (&kr);
        return NULL;
    }
    if (!current && !previous) {
        kt_fail (reason, "the public keys of %s in roster version %llu do not match this node's "
                         "key file (after a key rotation: start once with the old key file to "
                         "receive the new roster, or copy the uitvoerder's state-dir/roster.txt "
                         "here)", self->pub.id, (unsigned long long) roster->version);
        keyring_destroy (&kr);
        return NULL;
    }
    kr->self_previous = !current;
    size_t n = roster->member_count;
    kr->peers = calloc (n, sizeof *kr->peers);
    /*  Two shared keys per member: with its current and its previous
     *  encryption key. */
    kr->shared = sodium_malloc (2 * n * crypto_box_BEFORENMBYTES);
    if (!kr->peers || !kr->shared) {
        kt_fail (reason, "out of memory");
        keyring_destroy (&kr);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        const roster_member_t *m = &roster->members[i];
        uint8_t *key = kr->shared + 2 * i * crypto_box_BEFORENMBYTES;
        uint8_t *prev = key + crypto_box_BEFORENMBYTES;
        /*  Fails only for a low-order public key, which a hostile roster
         *  entry could carry: refuse the roster rather than use a weak key. */
        if (crypto_box_beforenm (key, m->encryption_pk, self->encryption_sk) != 0
            || (m->has_previous
                && crypto_box_beforenm (prev, m->previous_encryption_pk, self->encryption_sk)
                       != 0)) {
            kt_fail (reason, "roster member %s has an unusable encryption key", m->id);
            keyring_destroy (&kr);
            return NULL;
        }
        kr->peers[i].member = m;
        kr->peers[i].shared_key = key;
        kr->peers[i].previous_shared_key = m->has_previous ? prev : NULL;
    }
    return kr;
}

void
keyring_destroy (keyring_t **self_p)
{
    keyring_t *kr = *self_p;
    if (!kr)
        return;
    if (kr->shared)
        sodium_free (kr->shared); /* wipes */
    free (kr->peers);
    roster_destroy (&kr->roster);
    free (kr);
    *self_p = NULL;
}

const roster_t *
keyring_roster (const keyring_t *self)
{
    return self->roster;
}

const keys_secret_t *
keyring_self (const keyring_t *self)
{
    return self->self;
}

const roster_member_t *
keyring_self_member (const keyring_t *self)
{
    return self->self_member;
}

bool
keyring_self_previous (const keyring_t *self)
{
    return self->self_previous;
}

const keyring_peer_t *
keyring_peer (const keyring_t *self, const char *id)
{
    for (size_t i = 0; i < self->roster->member_count; i++)
        if (strcmp (self->roster->members[i].id, id) == 0)
            return &self->peers[i];
    return NULL;
}

const keyring_peer_t *
keyring_peer_by_transport (const keyring_t *self, const uint8_t pk[32], uint64_t now_ms)
{
    const roster_member_t *m = roster_find_transport (self->roster, pk, now_ms);
    return m ? &self->peers[m - self->roster->members] : NULL;
}

bool
keyring_batch_verified (const keyring_t *self, const uint8_t signer_pk[32], const uint8_t root[32])
{
    for (size_t i = 0; i < BATCH_CACHE; i++)
        if (self->batch[i].used && memcmp (self->batch[i].root, root, 32) == 0
            && memcmp (self->batch[i].signer, signer_pk, 32) == 0)
            return true;
    return false;
}

void
keyring_batch_remember (keyring_t *self, const uint8_t signer_pk[32], const uint8_t root[32])
{
    size_t i = self->batch_next++ % BATCH_CACHE;
    memcpy (self->batch[i].signer, signer_pk, 32);
    memcpy (self->batch[i].root, root, 32);
    self->batch[i].used = true;
}
