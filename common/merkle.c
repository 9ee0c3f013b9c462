/*  merkle: RFC 9162 Merkle trees over SHA-256.  */
#include "merkle.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

struct _merkle_tree_t {
    size_t n;
    size_t levels;
    uint8_t (**level)[MERKLE_HASH_LEN]; /* level[0] = leaves */
    size_t *count;
};

void
merkle_leaf_hash (uint8_t out[MERKLE_HASH_LEN], const void *data, size_t len)
{
    crypto_hash_sha256_state st;
    const uint8_t prefix = 0x00;
    crypto_hash_sha256_init (&st);
    crypto_hash_sha256_update (&st, &prefix, 1);
    crypto_hash_sha256_update (&st, data, len);
    crypto_hash_sha256_final (&st, out);
}

void
merkle_node_hash (uint8_t out[MERKLE_HASH_LEN], const uint8_t left[MERKLE_HASH_LEN],
                  const uint8_t right[MERKLE_HASH_LEN])
{
    uint8_t buf[1 + 2 * MERKLE_HASH_LEN];
    buf[0] = 0x01;
    memcpy (buf + 1, left, MERKLE_HASH_LEN);
    memcpy (buf + 1 + MERKLE_HASH_LEN, right, MERKLE_HASH_LEN);
    crypto_hash_sha256 (out, buf, sizeof buf);
}

void
merkle_root (uint8_t out[MERKLE_HASH_LEN], const uint8_t (*leaves)[MERKLE_HASH_LEN], size_t n)
{
    if (n == 0) {
        crypto_hash_sha256 (out, NULL, 0);
        return;
    }
    merkle_range_t r;
    merkle_range_init (&r);
    for (size_t i = 0; i < n; i++)
        merkle_range_append (&r, leaves[i]);
    merkle_range_root (&r, out);
}

merkle_tree_t *
merkle_tree_new (const uint8_t (*leaves)[MERKLE_HASH_LEN], size_t n)
{
    if (n == 0)
        return NULL;
    merkle_tree_t *t = calloc (1, sizeof *t);
    if (!t)
        return NULL;
    size_t levels = 1;
    for (size_t c = n; c > 1; c = (c + 1) / 2)
        levels++;
    t->n = n;
    t->levels = levels;
    t->level = calloc (levels, sizeof *t->level);
    t->count = calloc (levels, sizeof *t->count);
    if (!t->level || !t->count) {
        merkle_tree_destroy (&t);
        return NULL;
    }
    size_t c = n;
    for (size_t l = 0; l < levels; l++) {
        t->count[l] = c;
        t->level[l] = malloc (c * MERKLE_HASH_LEN);
        if (!t->level[l]) {
            merkle_tree_destroy (&t);
            return NULL;
        }
        if (l == 0)
            memcpy (t->level[0], leaves, n * MERKLE_HASH_LEN);
        else
            for (size_t i = 0; i < c; i++) {
                size_t left = 2 * i, right = 2 * i + 1;
                /*  An odd last node is promoted unchanged: this gives the
                 *  same root as RFC 9162's split at the largest power of two. */
                if (right < t->count[l - 1])
                    merkle_node_hash (t->level[l][i], t->level[l - 1][left],
                                      t->level[l - 1][right]);
                else
                    memcpy (t->level[l][i], t->level[l - 1][left], MERKLE_HASH_LEN);
            }
        c = (c + 1) / 2;
    }
    return t;
}

void
merkle_tree_destroy (merkle_tree_t **self_p)
{
    merkle_tree_t *t = *self_p;
    if (!t)
        return;
    if (t->level)
        for (size_t l = 0; l < t->levels; l++)
            free (t->level[l]);
    free (t->level);
    free (t->count);
    free (t);
    *self_p = NULL;
}

void
merkle_tree_root (const merkle_tree_t *self, uint8_t out[MERKLE_HASH_LEN])
{
    memcpy (out, self->level[self->levels - 1][0], MERKLE_HASH_LEN);
}

int
merkle_tree_path (const merkle_tree_t *self, size_t index, uint8_t (*path)[MERKLE_HASH_LEN],
                  size_t max)
{
    if (index >= self->n)
        return -1;
    size_t len = 0;
    for (size_t l = 0; l + 1 < self->levels; l++) {
        size_t sibling = index ^ 1;
        if (sibling < self->count[l]) {
            if (len >= max)
                return -1;
            memcpy (path[len++], self->level[l][sibling], MERKLE_HASH_LEN);
        }
        index /= 2;
    }
    return (int) len;
}

bool
merkle_verify_inclusion (const uint8_t leaf[MERKLE_HASH_LEN], uint64_t index, uint64_t size,
                         const uint8_t (*path)[MERKLE_HASH_LEN], size_t path_len,
                         const uint8_t root[MERKLE_HASH_LEN])
{
    if (index >= size || path_len > MERKLE_MAX_PATH)
        return false;
    uint64_t fn = index, sn = size - 1;
    uint8_t r[MERKLE_HASH_LEN];
    memcpy (r, leaf, MERKLE_HASH_LEN);
    for (size_t i = 0; i < path_len; i++) {
        if (sn == 0)
            return false;
        if ((fn & 1) || fn == sn) {
            merkle_node_hash (r, path[i], r);
            if (!(fn & 1))
                while (fn != 0 && !(fn & 1)) {
                    fn >>= 1;
                    sn >>= 1;
                }
        } else
            merkle_node_hash (r, r, path[i]);
        fn >>= 1;
        sn >>= 1;
    }
    return sn == 0 && sodium_memcmp (r, root, MERKLE_HASH_LEN) == 0;
}

bool
merkle_verify_consistency (uint64_t size1, uint64_t size2, const uint8_t root1[MERKLE_HASH_LEN],
                           const uint8_t root2[MERKLE_HASH_LEN],
                           const uint8_t (*proof)[MERKLE_HASH_LEN], size_t proof_len)
{
    if (size1 > size2 || proof_len > MERKLE_MAX_PATH)
        return false;
    if (size1 == size2)
        return proof_len == 0 && sodium_memcmp (root1, root2, MERKLE_HASH_LEN) == 0;
    if (size1 == 0)
        return proof_len == 0; /* the empty tree is a prefix of every tree */
    if (proof_len == 0)
        return false;
    /*  RFC 9162 2.1.4.2.  If size1 is a power of two, root1 is the first
     *  node of the proof. */
    size_t start = 0;
    uint8_t first[MERKLE_HASH_LEN];
    if ((size1 & (size1 - 1)) == 0)
        memcpy (first, root1, MERKLE_HASH_LEN);
    else
        memcpy (first, proof[start++], MERKLE_HASH_LEN);
    uint64_t fn = size1 - 1, sn = size2 - 1;
    while (fn & 1) {
        fn >>= 1;
        sn >>= 1;
    }
    uint8_t fr[MERKLE_HASH_LEN], sr[MERKLE_HASH_LEN];
    memcpy (fr, first, MERKLE_HASH_LEN);
    memcpy (sr, first, MERKLE_HASH_LEN);
    for (size_t i = start; i < proof_len; i++) {
        if (sn == 0)
            return false;
        if ((fn & 1) || fn == sn) {
            merkle_node_hash (fr, proof[i], fr);
            merkle_node_hash (sr, proof[i], sr);
            if (!(fn & 1))
                while (fn != 0 && !(fn & 1)) {
                    fn >>= 1;
                    sn >>= 1;
                }
        } else
            merkle_node_hash (sr, sr, proof[i]);
        fn >>= 1;
        sn >>= 1;
    }
    return sn == 0 && sodium_memcmp (fr, root1, MERKLE_HASH_LEN) == 0
        && sodium_memcmp (sr, root2, MERKLE_HASH_LEN) == 0;
}

void
merkle_range_init (merkle_range_t *self)
{
    memset (self, 0, sizeof *self);
}

void
merkle_range_append (merkle_range_t *self, const uint8_t leaf[MERKLE_HASH_LEN])
{
    /*  Each set bit of size is one perfect subtree; appending a leaf merges
     *  the trailing subtrees of equal size, like binary carry. */
    uint8_t carry[MERKLE_HASH_LEN];
    memcpy (carry, leaf, MERKLE_HASH_LEN);
    uint64_t size = self->size;
    while (size & 1) {
        merkle_node_hash (carry, self->hashes[--self->count], carry);
        size >>= 1;
    }
    memcpy (self->hashes[self->count++], carry, MERKLE_HASH_LEN);
    self->size++;
}

void
merkle_range_root (const merkle_range_t *self, uint8_t out[MERKLE_HASH_LEN])
{
    if (self->count == 0) {
        crypto_hash_sha256 (out, NULL, 0);
        return;
    }
    uint8_t r[MERKLE_HASH_LEN];
    memcpy (r, self->hashes[self->count - 1], MERKLE_HASH_LEN);
    for (int i = self->count - 2; i >= 0; i--)
        merkle_node_hash (r, self->hashes[i], r);
    memcpy (out, r, MERKLE_HASH_LEN);
}
