/*  merkle: RFC 9162 Merkle trees over SHA-256 (libsodium).
 *
 *  Three views of one tree:
 *  - merkle_root: the RFC's MTH over a list of leaf hashes;
 *  - merkle_tree_t: every level of a small in-memory tree (a batch), so
 *    each leaf's inclusion path is a walk up the levels;
 *  - merkle_range_t: the compact range of an append-only log (one perfect
 *    subtree root per set bit of the size).
 *  Proofs are checked only with the iterative algorithms of RFC 9162
 *  sections 2.1.3.2 and 2.1.4.2, whose termination condition (sn == 0)
 *  also pins the exact proof length for the claimed sizes.
 */
#include "merkle.h"

#include <assert.h>
#include <stddef.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/*  A tree of n >= 1 leaves has at most 65 levels (n < 2^64). */
#define MERKLE_MAX_LEVELS (MERKLE_MAX_PATH + 1)

struct _merkle_tree_t {
    size_t levels;                    /* level 0 = leaves, last = root */
    size_t offset[MERKLE_MAX_LEVELS]; /* first node of each level in nodes */
    size_t count[MERKLE_MAX_LEVELS];  /* nodes on each level */
    uint8_t (*nodes)[MERKLE_HASH_LEN];
};

void
merkle_leaf_hash (uint8_t out[MERKLE_HASH_LEN], const void *data, size_t len)
{
    /*  The 0x00 / 0x01 prefixes keep a leaf from posing as an inner node
     *  (second-preimage attack on the tree). */
    const uint8_t prefix = 0x00;
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init (&st);
    crypto_hash_sha256_update (&st, &prefix, 1);
    crypto_hash_sha256_update (&st, (const uint8_t *) data, len);
    crypto_hash_sha256_final (&st, out);
}

void
merkle_node_hash (uint8_t out[MERKLE_HASH_LEN], const uint8_t left[MERKLE_HASH_LEN],
                  const uint8_t right[MERKLE_HASH_LEN])
{
    /*  Built in a buffer first: out may alias left or right. */
    uint8_t buf[1 + 2 * MERKLE_HASH_LEN];
    buf[0] = 0x01;
    memcpy (buf + 1, left, MERKLE_HASH_LEN);
    memcpy (buf + 1 + MERKLE_HASH_LEN, right, MERKLE_HASH_LEN);
    crypto_hash_sha256 (out, buf, sizeof buf);
}

static void
s_empty_root (uint8_t out[MERKLE_HASH_LEN])
{
    crypto_hash_sha256 (out, NULL, 0);
}

void
merkle_root (uint8_t out[MERKLE_HASH_LEN], const uint8_t (*leaves)[MERKLE_HASH_LEN], size_t n)
{
    /*  Folding the leaves through a compact range gives MTH without
     *  recursion or allocation: the range splits exactly where MTH does
     *  (at the largest power of two below the size). */
    merkle_range_t range;
    merkle_range_init (&range);
    for (size_t i = 0; i < n; i++)
        merkle_range_append (&range, leaves[i]);
    merkle_range_root (&range, out);
}

merkle_tree_t *
merkle_tree_new (const uint8_t (*leaves)[MERKLE_HASH_LEN], size_t n)
{
    /*  n nodes on level 0, ceil(n/2) on level 1, ...: fewer than 2n in all. */
    if (n == 0 || n > SIZE_MAX / (2 * MERKLE_HASH_LEN))
        return NULL;
    merkle_tree_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    size_t total = 0;
    for (size_t count = n;; count = count / 2 + count % 2) {
        assert (self->levels < MERKLE_MAX_LEVELS);
        self->offset[self->levels] = total;
        self->count[self->levels] = count;
        self->levels++;
        total += count;
        if (count == 1)
            break;
    }
    self->nodes = malloc (total * MERKLE_HASH_LEN);
    if (!self->nodes) {
        free (self);
        return NULL;
    }
    memcpy (self->nodes, leaves, n * MERKLE_HASH_LEN);
    for (size_t l = 1; l < self->levels; l++) {
        const uint8_t (*below)[MERKLE_HASH_LEN] = self->nodes + self->offset[l - 1];
        uint8_t (*here)[MERKLE_HASH_LEN] = self->nodes + self->offset[l];
        for (size_t i = 0; i < self->count[l]; i++) {
            /*  An odd last node is promoted unchanged.  This yields MTH:
             *  the promoted node is the root of the right-hand remainder
             *  that RFC 9162 splits off at the largest power of two. */
            if (2 * i + 1 < self->count[l - 1])
                merkle_node_hash (here[i], below[2 * i], below[2 * i + 1]);
            else
                memcpy (here[i], below[2 * i], MERKLE_HASH_LEN);
        }
    }
    return self;
}

void
merkle_tree_destroy (merkle_tree_t **self_p)
{
    assert (self_p);
    merkle_tree_t *self = *self_p;
    if (self) {
        free (self->nodes);
        free (self);
        *self_p = NULL;
    }
}

void
merkle_tree_root (const merkle_tree_t *self, uint8_t out[MERKLE_HASH_LEN])
{
    assert (self);
    memcpy (out, self->nodes[self->offset[self->levels - 1]], MERKLE_HASH_LEN);
}

int
merkle_tree_path (const merkle_tree_t *self, size_t index, uint8_t (*path)[MERKLE_HASH_LEN],
                  size_t max)
{
    assert (self);
    if (index >= self->count[0])
        return -1;
    /*  A node without a sibling was promoted and contributes no hash, just
     *  as RFC 9162's PATH() skips a level in the right-hand remainder. */
    size_t len = 0;
    for (size_t l = 0; l + 1 < self->levels; l++) {
        size_t sibling = index ^ 1;
        if (sibling < self->count[l]) {
            if (len >= max)
                return -1;
            memcpy (path[len++], self->nodes[self->offset[l] + sibling], MERKLE_HASH_LEN);
        }
        index /= 2;
    }
    return (int) len;
}

static bool
s_hash_equal (const uint8_t a[MERKLE_HASH_LEN], const uint8_t b[MERKLE_HASH_LEN])
{
    return sodium_memcmp (a, b, MERKLE_HASH_LEN) == 0;
}

/*  Right-shift fn and sn together until LSB(fn) is set or fn is 0: skips
 *  the levels where the node on the path is the right border of the tree
 *  and was promoted without a sibling. */
static void
s_skip_border (uint64_t *fn, uint64_t *sn)
{
    while (*fn != 0 && (*fn & 1) == 0) {
        *fn >>= 1;
        *sn >>= 1;
    }
}

/*  The last path that verified, with the state after each of its steps.
 *  Receipts and batch headers arrive in runs of neighbouring leaves of one
 *  tree, whose paths meet a few levels up.  Once a new path reaches a node
 *  of the last one (same tree, same position, same hash) and the rest of
 *  its hashes are the same as the rest of the last one's, every step left
 *  would compute what the last one computed: it ends at the same root.
 *  The answer is the one the full computation gives, for every input; it
 *  only skips repeating it.  Per thread, so no caller shares it. */
static _Thread_local struct {
    bool valid;
    uint64_t size;
    uint8_t root[MERKLE_HASH_LEN];
    size_t path_len;
    uint8_t path[MERKLE_MAX_PATH][MERKLE_HASH_LEN];
    uint8_t r[MERKLE_MAX_PATH][MERKLE_HASH_LEN]; /* the node after step i */
    uint64_t fn[MERKLE_MAX_PATH], sn[MERKLE_MAX_PATH];
} s_last;

/*  The step of the last verified path from which the new path's step i,
 *  which left node r at (fn, sn), goes the same way to the root, or -1. */
static ptrdiff_t
s_joins_last (uint64_t size, const uint8_t root[MERKLE_HASH_LEN],
              const uint8_t (*path)[MERKLE_HASH_LEN], size_t path_len, size_t i, uint64_t fn,
              uint64_t sn, const uint8_t r[MERKLE_HASH_LEN])
{
    if (!s_last.valid || s_last.size != size || !s_hash_equal (s_last.root, root))
        return -1;
    for (size_t j = 0; j < s_last.path_len; j++) {
        if (s_last.sn[j] != sn)
            continue;
        size_t rest = path_len - i - 1;
        bool same = s_last.fn[j] == fn && s_last.path_len - j - 1 == rest &&
                    s_hash_equal (s_last.r[j], r) &&
                    memcmp (s_last.path[j + 1], path[i + 1], rest * MERKLE_HASH_LEN) == 0;
        return same ? (ptrdiff_t) j : -1;
    }
    return -1;
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
    uint8_t steps[MERKLE_MAX_PATH][MERKLE_HASH_LEN];
    uint64_t fns[MERKLE_MAX_PATH], sns[MERKLE_MAX_PATH];
    memcpy (r, leaf, MERKLE_HASH_LEN);
    for (size_t i = 0; i < path_len; i++) {
        if (sn == 0)
            return false; /* path longer than the tree is high */
        if ((fn & 1) == 1 || fn == sn) {
            merkle_node_hash (r, path[i], r);
            s_skip_border (&fn, &sn);
        } else
            merkle_node_hash (r, r, path[i]);
        fn >>= 1;
        sn >>= 1;
        memcpy (steps[i], r, MERKLE_HASH_LEN);
        fns[i] = fn;
        sns[i] = sn;
        ptrdiff_t j = s_joins_last (size, root, path, path_len, i, fn, sn, r);
        if (j >= 0) {
            /*  This path becomes the last one: its own steps so far, the
             *  last one's from here on. */
            size_t rest = path_len - i - 1, from = (size_t) j + 1;
            memmove (s_last.r[i + 1], s_last.r[from], rest * MERKLE_HASH_LEN);
            memmove (&s_last.fn[i + 1], &s_last.fn[from], rest * sizeof fns[0]);
            memmove (&s_last.sn[i + 1], &s_last.sn[from], rest * sizeof sns[0]);
            memcpy (s_last.r, steps, (i + 1) * MERKLE_HASH_LEN);
            memcpy (s_last.fn, fns, (i + 1) * sizeof fns[0]);
            memcpy (s_last.sn, sns, (i + 1) * sizeof sns[0]);
            memcpy (s_last.path, path, path_len * MERKLE_HASH_LEN);
            s_last.path_len = path_len;
            return true;
        }
    }
    /*  sn != 0 means the path stopped short of the root. */
    if (sn != 0 || !s_hash_equal (r, root))
        return false;
    s_last.valid = true;
    s_last.size = size;
    memcpy (s_last.root, root, MERKLE_HASH_LEN);
    s_last.path_len = path_len;
    if (path_len > 0) { /* a tree of one leaf has an empty path, maybe NULL */
        memcpy (s_last.path, path, path_len * MERKLE_HASH_LEN);
        memcpy (s_last.r, steps, path_len * MERKLE_HASH_LEN);
        memcpy (s_last.fn, fns, path_len * sizeof fns[0]);
        memcpy (s_last.sn, sns, path_len * sizeof sns[0]);
    }
    return true;
}

size_t
merkle_path_shared_end (const uint8_t (*a)[MERKLE_HASH_LEN], size_t na,
                        const uint8_t (*b)[MERKLE_HASH_LEN], size_t nb)
{
    size_t k = 0;
    while (k < na && k < nb && memcmp (a[na - 1 - k], b[nb - 1 - k], MERKLE_HASH_LEN) == 0)
        k++;
    return k;
}

bool
merkle_verify_consistency (uint64_t size1, uint64_t size2, const uint8_t root1[MERKLE_HASH_LEN],
                           const uint8_t root2[MERKLE_HASH_LEN],
                           const uint8_t (*proof)[MERKLE_HASH_LEN], size_t proof_len)
{
    if (size1 > size2 || proof_len > MERKLE_MAX_PATH)
        return false;
    /*  RFC 9162 2.1.4 defines proofs for 0 < size1 < size2 only.  The two
     *  edge cases are decided as transparency-dev/merkle does, and need an
     *  empty proof: equal sizes are consistent iff the roots are equal; the
     *  empty tree is a prefix of every tree, provided root1 really is the
     *  empty tree's root. */
    if (size1 == size2)
        return proof_len == 0 && s_hash_equal (root1, root2);
    if (size1 == 0) {
        uint8_t empty[MERKLE_HASH_LEN];
        s_empty_root (empty);
        return proof_len == 0 && s_hash_equal (root1, empty);
    }
    if (proof_len == 0)
        return false;

    /*  RFC 9162 2.1.4.2.  When size1 is a power of two the old tree is a
     *  single perfect subtree of the new one, and the proof omits its root
     *  (root1) as the first element. */
    const uint8_t *first;
    size_t next;
    if ((size1 & (size1 - 1)) == 0) {
        first = root1;
        next = 0;
    } else {
        first = proof[0];
        next = 1;
    }
    uint64_t fn = size1 - 1, sn = size2 - 1;
    while ((fn & 1) == 1) {
        fn >>= 1;
        sn >>= 1;
    }
    uint8_t fr[MERKLE_HASH_LEN], sr[MERKLE_HASH_LEN];
    memcpy (fr, first, MERKLE_HASH_LEN);
    memcpy (sr, first, MERKLE_HASH_LEN);
    for (size_t i = next; i < proof_len; i++) {
        if (sn == 0)
            return false; /* proof longer than needed */
        if ((fn & 1) == 1 || fn == sn) {
            merkle_node_hash (fr, proof[i], fr);
            merkle_node_hash (sr, proof[i], sr);
            s_skip_border (&fn, &sn);
        } else
            merkle_node_hash (sr, sr, proof[i]);
        fn >>= 1;
        sn >>= 1;
    }
    /*  Both roots are checked (no early exit on the first) so that timing
     *  says nothing about which one failed. */
    bool ok1 = s_hash_equal (fr, root1);
    bool ok2 = s_hash_equal (sr, root2);
    return sn == 0 && ok1 && ok2;
}

void
merkle_range_init (merkle_range_t *self)
{
    assert (self);
    memset (self, 0, sizeof *self);
}

void
merkle_range_append (merkle_range_t *self, const uint8_t leaf[MERKLE_HASH_LEN])
{
    assert (self);
    /*  Invariant: count == popcount (size), hashes[] largest subtree first.
     *  2^64 - 1 leaves is the most a uint64_t size can count. */
    assert (self->count >= 0 && self->count <= MERKLE_MAX_PATH);
    assert (self->size < UINT64_MAX);
    /*  Appending is binary increment: each trailing 1-bit of size is a
     *  subtree of the same size as the carry, so they merge (the older one
     *  on the left) and the carry moves up one level. */
    uint8_t carry[MERKLE_HASH_LEN];
    memcpy (carry, leaf, MERKLE_HASH_LEN);
    for (uint64_t bits = self->size; (bits & 1) == 1; bits >>= 1) {
        self->count--;
        merkle_node_hash (carry, self->hashes[self->count], carry);
    }
    memcpy (self->hashes[self->count], carry, MERKLE_HASH_LEN);
    self->count++;
    self->size++;
}

void
merkle_range_root (const merkle_range_t *self, uint8_t out[MERKLE_HASH_LEN])
{
    assert (self);
    assert (self->count >= 0 && self->count <= MERKLE_MAX_PATH);
    if (self->count == 0) {
        s_empty_root (out);
        return;
    }
    /*  MTH splits off the largest subtree on the left at every step, so the
     *  smaller subtrees fold together first: right to left. */
    uint8_t r[MERKLE_HASH_LEN];
    memcpy (r, self->hashes[self->count - 1], MERKLE_HASH_LEN);
    for (int i = self->count - 2; i >= 0; i--)
        merkle_node_hash (r, self->hashes[i], r);
    memcpy (out, r, MERKLE_HASH_LEN);
}
