/*  merkle: RFC 9162 (Certificate Transparency v2) Merkle tree hashing over
 *  SHA-256, used for batch signatures (one Ed25519 signature over the root
 *  of a batch of headers) and for the provenance log.
 *
 *  leaf hash = SHA-256(0x00 || data), node hash = SHA-256(0x01 || l || r),
 *  empty tree root = SHA-256("").  Proof paths are leaf-side first.
 */
#ifndef KETEN_MERKLE_H
#define KETEN_MERKLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MERKLE_HASH_LEN 32
/*  Longest proof for any tree of up to 2^64 leaves. */
#define MERKLE_MAX_PATH 64

void merkle_leaf_hash (uint8_t out[MERKLE_HASH_LEN], const void *data, size_t len);
void merkle_node_hash (uint8_t out[MERKLE_HASH_LEN], const uint8_t left[MERKLE_HASH_LEN],
                       const uint8_t right[MERKLE_HASH_LEN]);

/*  Root of the tree over n leaf hashes (SHA-256("") when n == 0). */
void merkle_root (uint8_t out[MERKLE_HASH_LEN], const uint8_t (*leaves)[MERKLE_HASH_LEN], size_t n);

/*  A whole small tree held in memory (a batch): all levels are kept so that
 *  every leaf's inclusion path is O(log n) to read. */
typedef struct _merkle_tree_t merkle_tree_t;

/*  Copies the n (>= 1) leaf hashes.  Returns NULL on allocation failure. */
merkle_tree_t *merkle_tree_new (const uint8_t (*leaves)[MERKLE_HASH_LEN], size_t n);
void merkle_tree_destroy (merkle_tree_t **self_p);
void merkle_tree_root (const merkle_tree_t *self, uint8_t out[MERKLE_HASH_LEN]);
/*  Writes the inclusion path of leaf index into path (room for max hashes)
 *  and returns its length, or -1 if index is out of range or max too small. */
int merkle_tree_path (const merkle_tree_t *self, size_t index, uint8_t (*path)[MERKLE_HASH_LEN],
                      size_t max);

/*  RFC 9162 section 2.1.3.2: true iff path proves leaf at index in a tree of
 *  size whose root is root. */
bool merkle_verify_inclusion (const uint8_t leaf[MERKLE_HASH_LEN], uint64_t index, uint64_t size,
                              const uint8_t (*path)[MERKLE_HASH_LEN], size_t path_len,
                              const uint8_t root[MERKLE_HASH_LEN]);

/*  How many hashes path a ends with that path b ends with too: the
 *  levels that the inclusion paths of two leaves of one tree share. */
size_t merkle_path_shared_end (const uint8_t (*a)[MERKLE_HASH_LEN], size_t na,
                               const uint8_t (*b)[MERKLE_HASH_LEN], size_t nb);

/*  RFC 9162 section 2.1.4.2: true iff proof shows the tree of size1 with
 *  root1 is a prefix of the tree of size2 with root2. */
bool merkle_verify_consistency (uint64_t size1, uint64_t size2, const uint8_t root1[MERKLE_HASH_LEN],
                                const uint8_t root2[MERKLE_HASH_LEN],
                                const uint8_t (*proof)[MERKLE_HASH_LEN], size_t proof_len);

/*  Compact range: the roots of the perfect subtrees that make up a tree of
 *  size leaves (one per set bit of size), so appending is O(log n) and the
 *  root is available at any time without the leaves. */
typedef struct {
    uint64_t size;
    uint8_t hashes[MERKLE_MAX_PATH][MERKLE_HASH_LEN]; /* largest subtree first */
    int count;
} merkle_range_t;

void merkle_range_init (merkle_range_t *self);
void merkle_range_append (merkle_range_t *self, const uint8_t leaf[MERKLE_HASH_LEN]);
void merkle_range_root (const merkle_range_t *self, uint8_t out[MERKLE_HASH_LEN]);

#endif
