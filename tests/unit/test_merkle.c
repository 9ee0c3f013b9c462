/*  merkle: RFC 9162 hashing, roots, inclusion and consistency proofs and
 *  the compact range agree with the published vectors (every line of
 *  KETEN_TESTVECTORS) and with the RFC's recursive definitions, and every
 *  altered proof is refused.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "merkle.h"
#include "util.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define HL         MERKLE_HASH_LEN
#define MAX_LEAVES 8
#define MAX_PROOFS 16
#define GEN_MAX    70
#define VLEAVES    ((const uint8_t (*)[HL]) s_v.leaf_hash)
#define GEN        ((const uint8_t (*)[HL]) s_gen)

typedef struct {
    uint64_t a, b; /* index and size, or size1 and size2 */
    size_t n;
    uint8_t h[MERKLE_MAX_PATH][HL];
} proof_t;

typedef struct {
    uint8_t leaf_hash[MAX_LEAVES][HL];
    size_t n_leaves;
    uint8_t root[MAX_LEAVES + 1][HL];
    bool have_root[MAX_LEAVES + 1];
    proof_t incl[MAX_PROOFS], cons[MAX_PROOFS];
    size_t n_incl, n_cons;
    int hash_checks; /* hashleaf and hashchildren lines, checked while parsing */
} vectors_t;

static vectors_t s_v;
/*  Generated trees: leaf hashes of "leaf <i>" and the roots of every prefix. */
static uint8_t s_gen[GEN_MAX][HL];
static uint8_t s_gen_root[GEN_MAX + 1][HL];

/*  Reference implementations: the recursive definitions of RFC 9162
 *  2.1.1 (MTH), 2.1.3.1 (PATH) and 2.1.4.1 (PROOF/SUBPROOF), written out
 *  independently of merkle.c's level arrays and iterative verifiers. */
static size_t
s_split (size_t n)
{
    size_t k = 1;
    while (k * 2 < n)
        k *= 2;
    return k;
}

static void
s_ref_mth (uint8_t out[HL], const uint8_t (*d)[HL], size_t n)
{
    if (n == 0)
        crypto_hash_sha256 (out, NULL, 0);
    else if (n == 1)
        memcpy (out, d[0], HL);
    else {
        uint8_t l[HL], r[HL];
        size_t k = s_split (n);
        s_ref_mth (l, d, k);
        s_ref_mth (r, d + k, n - k);
        merkle_node_hash (out, l, r);
    }
}

static size_t
s_ref_path (uint8_t (*out)[HL], size_t m, const uint8_t (*d)[HL], size_t n)
{
    if (n == 1)
        return 0;
    size_t k = s_split (n), len;
    if (m < k) {
        len = s_ref_path (out, m, d, k);
        s_ref_mth (out[len], d + k, n - k);
    }
    else {
        len = s_ref_path (out, m - k, d + k, n - k);
        s_ref_mth (out[len], d, k);
    }
    return len + 1;
}

static size_t
s_ref_subproof (uint8_t (*out)[HL], size_t m, const uint8_t (*d)[HL], size_t n, bool whole)
{
    if (m == n) {
        if (whole)
            return 0;
        s_ref_mth (out[0], d, n);
        return 1;
    }
    size_t k = s_split (n), len;
    if (m <= k) {
        len = s_ref_subproof (out, m, d, k, whole);
        s_ref_mth (out[len], d + k, n - k);
    }
    else {
        len = s_ref_subproof (out, m - k, d + k, n - k, false);
        s_ref_mth (out[len], d, k);
    }
    return len + 1;
}

/*  Split a vector line into tokens in place; "..." is one token. */
static int
s_tokenize (char *line, char **tok, int max)
{
    int n = 0;
    char *p = line;
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        assert_true (n < max);
        if (*p == '"') {
            char *end = strchr (p + 1, '"');
            assert_non_null (end);
            *end = '\0';
            tok[n++] = p + 1;
            p = end + 1;
        }
        else {
            tok[n++] = p;
            while (*p && *p != ' ')
                p++;
            if (*p)
                *p++ = '\0';
        }
    }
    return n;
}

static void
s_unhex_hash (uint8_t out[HL], const char *hex)
{
    assert_int_equal (kt_unhex (out, HL, hex), 0);
}

static void
s_parse_proof (proof_t *p, char **tok, int ntok)
{
    assert_true (ntok >= 3 && ntok - 3 <= MERKLE_MAX_PATH);
    p->a = strtoull (tok[1], NULL, 10);
    p->b = strtoull (tok[2], NULL, 10);
    p->n = (size_t) (ntok - 3);
    for (size_t i = 0; i < p->n; i++)
        s_unhex_hash (p->h[i], tok[3 + i]);
}

/*  Every line of the vector file is either checked here, kept for the tests
 *  below, or (note-*) left to test_note; an unknown line fails the run so
 *  that nothing added to the file goes unchecked. */
static int
s_setup (void **state)
{
    (void) state;
    char *data;
    size_t len;
    kt_reason_t r;
    assert_int_equal (kt_read_file (KETEN_TESTVECTORS, 1 << 20, &data, &len, &r), 0);
    char *save = NULL;
    for (char *line = strtok_r (data, "\n", &save); line; line = strtok_r (NULL, "\n", &save)) {
        if (line[0] == '#' || strncmp (line, "note-", 5) == 0)
            continue;
        char *tok[MERKLE_MAX_PATH + 4];
        int ntok = s_tokenize (line, tok, MERKLE_MAX_PATH + 4);
        if (ntok == 0)
            continue;
        if (strcmp (tok[0], "leaves:") == 0) {
            for (int i = 1; i < ntok; i++) {
                uint8_t bin[64];
                size_t blen = strlen (tok[i]) / 2;
                assert_true (blen <= sizeof bin && s_v.n_leaves < MAX_LEAVES);
                assert_int_equal (kt_unhex (bin, blen, tok[i]), 0);
                merkle_leaf_hash (s_v.leaf_hash[s_v.n_leaves++], bin, blen);
            }
        }
        else if (strcmp (tok[0], "root") == 0 && ntok == 3) {
            size_t n = strtoul (tok[1], NULL, 10);
            assert_true (n <= MAX_LEAVES);
            s_unhex_hash (s_v.root[n], tok[2]);
            s_v.have_root[n] = true;
        }
        else if (strcmp (tok[0], "inclusion") == 0) {
            assert_true (s_v.n_incl < MAX_PROOFS);
            s_parse_proof (&s_v.incl[s_v.n_incl++], tok, ntok);
        }
        else if (strcmp (tok[0], "consistency") == 0) {
            assert_true (s_v.n_cons < MAX_PROOFS);
            s_parse_proof (&s_v.cons[s_v.n_cons++], tok, ntok);
        }
        else if (strcmp (tok[0], "hashleaf") == 0 && ntok == 3) {
            uint8_t want[HL], got[HL];
            s_unhex_hash (want, tok[2]);
            merkle_leaf_hash (got, tok[1], strlen (tok[1]));
            assert_memory_equal (got, want, HL);
            s_v.hash_checks++;
        }
        else if (strcmp (tok[0], "hashchildren") == 0 && ntok == 4) {
            /*  The vector's children are short strings, which the fixed
             *  32-byte merkle_node_hash cannot take; check the rule it
             *  encodes (0x01 || left || right) and that merkle_node_hash
             *  applies the same rule to full hashes. */
            uint8_t want[HL], got[HL], buf[1 + 2 * HL];
            size_t ll = strlen (tok[1]), rl = strlen (tok[2]);
            assert_true (ll <= HL && rl <= HL);
            s_unhex_hash (want, tok[3]);
            buf[0] = 0x01;
            memcpy (buf + 1, tok[1], ll);
            memcpy (buf + 1 + ll, tok[2], rl);
            crypto_hash_sha256 (got, buf, 1 + ll + rl);
            assert_memory_equal (got, want, HL);
            memcpy (buf + 1, s_v.leaf_hash[1], HL);
            memcpy (buf + 1 + HL, s_v.leaf_hash[2], HL);
            crypto_hash_sha256 (want, buf, sizeof buf);
            merkle_node_hash (got, s_v.leaf_hash[1], s_v.leaf_hash[2]);
            assert_memory_equal (got, want, HL);
            s_v.hash_checks++;
        }
        else
            fail_msg ("unknown line in test vectors: %s", tok[0]);
    }
    free (data);
    assert_int_equal (s_v.n_leaves, MAX_LEAVES);
    for (size_t n = 0; n <= MAX_LEAVES; n++)
        assert_true (s_v.have_root[n]);
    assert_true (s_v.n_incl > 0 && s_v.n_cons > 0 && s_v.hash_checks == 2);

    for (uint32_t i = 0; i < GEN_MAX; i++) {
        char buf[32];
        int n = snprintf (buf, sizeof buf, "leaf %u", i);
        merkle_leaf_hash (s_gen[i], buf, (size_t) n);
    }
    for (size_t n = 0; n <= GEN_MAX; n++)
        s_ref_mth (s_gen_root[n], GEN, n);
    return 0;
}

static bool
s_incl (const proof_t *p, const uint8_t (*path)[HL], size_t len, uint64_t index, uint64_t size,
        const uint8_t *root)
{
    return merkle_verify_inclusion (s_v.leaf_hash[p->a], index, size, path, len, root);
}

static bool
s_cons (uint64_t s1, uint64_t s2, const uint8_t (*proof)[HL], size_t len)
{
    return merkle_verify_consistency (s1, s2, s_v.root[s1], s_v.root[s2], proof, len);
}

static void
test_roots_match_vectors_by_all_three_constructions (void **state)
{
    (void) state;
    merkle_range_t range;
    merkle_range_init (&range);
    for (size_t n = 0; n <= MAX_LEAVES; n++) {
        uint8_t got[HL];
        merkle_root (got, VLEAVES, n);
        assert_memory_equal (got, s_v.root[n], HL);
        merkle_range_root (&range, got);
        assert_memory_equal (got, s_v.root[n], HL);
        if (n > 0) {
            merkle_tree_t *tree = merkle_tree_new (VLEAVES, n);
            assert_non_null (tree);
            merkle_tree_root (tree, got);
            assert_memory_equal (got, s_v.root[n], HL);
            merkle_tree_destroy (&tree);
            assert_null (tree);
        }
        if (n < MAX_LEAVES)
            merkle_range_append (&range, s_v.leaf_hash[n]);
    }
}

static void
test_inclusion_proofs_match_vectors (void **state)
{
    (void) state;
    for (size_t i = 0; i < s_v.n_incl; i++) {
        const proof_t *p = &s_v.incl[i];
        assert_true (s_incl (p, p->h, p->n, p->a, p->b, s_v.root[p->b]));
        merkle_tree_t *tree = merkle_tree_new (VLEAVES, p->b);
        uint8_t path[MERKLE_MAX_PATH][HL];
        assert_int_equal (merkle_tree_path (tree, p->a, path, MERKLE_MAX_PATH), (int) p->n);
        assert_memory_equal (path, p->h, p->n * HL);
        merkle_tree_destroy (&tree);
    }
}

static void
test_consistency_proofs_match_vectors (void **state)
{
    (void) state;
    for (size_t i = 0; i < s_v.n_cons; i++) {
        const proof_t *p = &s_v.cons[i];
        assert_true (s_cons (p->a, p->b, p->h, p->n));
        uint8_t ref[MERKLE_MAX_PATH][HL];
        assert_int_equal (s_ref_subproof (ref, p->a, VLEAVES, p->b, true), p->n);
        assert_memory_equal (ref, p->h, p->n * HL);
    }
}

static void
test_inclusion_proof_with_flipped_byte_is_refused (void **state)
{
    (void) state;
    for (size_t i = 0; i < s_v.n_incl; i++) {
        const proof_t *p = &s_v.incl[i];
        proof_t bad = *p;
        for (size_t b = 0; b < p->n * HL; b++) {
            bad.h[b / HL][b % HL] ^= 0x01;
            assert_false (s_incl (p, bad.h, bad.n, p->a, p->b, s_v.root[p->b]));
            bad.h[b / HL][b % HL] ^= 0x01;
        }
        uint8_t root[HL], leaf[HL];
        for (size_t b = 0; b < HL; b++) {
            memcpy (root, s_v.root[p->b], HL);
            root[b] ^= 0x80;
            assert_false (s_incl (p, p->h, p->n, p->a, p->b, root));
            memcpy (leaf, s_v.leaf_hash[p->a], HL);
            leaf[b] ^= 0x80;
            assert_false (merkle_verify_inclusion (leaf, p->a, p->b, p->h, p->n, s_v.root[p->b]));
        }
    }
}

static void
test_inclusion_proof_with_wrong_index_is_refused (void **state)
{
    (void) state;
    for (size_t i = 0; i < s_v.n_incl; i++) {
        const proof_t *p = &s_v.incl[i];
        for (uint64_t idx = 0; idx < p->b + 3; idx++)
            if (idx != p->a)
                assert_false (s_incl (p, p->h, p->n, idx, p->b, s_v.root[p->b]));
        assert_false (s_incl (p, p->h, p->n, UINT64_MAX, p->b, s_v.root[p->b]));
    }
}

/*  The size is bound by the root it comes with (a signed checkpoint): a
 *  proof checked against the root of another size must fail.  Against the
 *  same root, a wrong size is caught when it changes the proof's shape. */
static void
test_inclusion_proof_with_wrong_size_is_refused (void **state)
{
    (void) state;
    for (size_t i = 0; i < s_v.n_incl; i++) {
        const proof_t *p = &s_v.incl[i];
        for (uint64_t size = 0; size <= MAX_LEAVES; size++)
            if (size != p->b)
                assert_false (s_incl (p, p->h, p->n, p->a, size, s_v.root[size]));
        const uint64_t shape_changers[] = {0, p->a, p->b + 1, 2 * p->b, UINT64_MAX};
        for (size_t k = 0; k < sizeof shape_changers / sizeof *shape_changers; k++)
            assert_false (s_incl (p, p->h, p->n, p->a, shape_changers[k], s_v.root[p->b]));
    }
}

static void
test_inclusion_proof_truncated_or_extended_is_refused (void **state)
{
    (void) state;
    for (size_t i = 0; i < s_v.n_incl; i++) {
        const proof_t *p = &s_v.incl[i];
        for (size_t len = 0; len < p->n; len++)
            assert_false (s_incl (p, p->h, len, p->a, p->b, s_v.root[p->b]));
        proof_t longer = *p;
        for (size_t k = 0; k <= p->n; k++) {
            /*  Any extra element: a zero hash, a copy of a path element. */
            memset (longer.h[p->n], 0, HL);
            if (k < p->n)
                memcpy (longer.h[p->n], p->h[k], HL);
            assert_false (s_incl (p, longer.h, p->n + 1, p->a, p->b, s_v.root[p->b]));
        }
        /*  Longer than any tree can need: refused before any hashing. */
        assert_false (s_incl (p, longer.h, MERKLE_MAX_PATH + 1, p->a, p->b, s_v.root[p->b]));
    }
}

static void
test_inclusion_in_empty_tree_is_refused (void **state)
{
    (void) state;
    assert_false (merkle_verify_inclusion (s_v.leaf_hash[0], 0, 0, NULL, 0, s_v.root[0]));
}

static void
test_consistency_proof_with_flipped_byte_is_refused (void **state)
{
    (void) state;
    for (size_t i = 0; i < s_v.n_cons; i++) {
        const proof_t *p = &s_v.cons[i];
        proof_t bad = *p;
        for (size_t b = 0; b < p->n * HL; b++) {
            bad.h[b / HL][b % HL] ^= 0x01;
            assert_false (s_cons (p->a, p->b, bad.h, bad.n));
            bad.h[b / HL][b % HL] ^= 0x01;
        }
        uint8_t root[HL];
        for (size_t b = 0; b < HL; b++) {
            memcpy (root, s_v.root[p->a], HL);
            root[b] ^= 0x80;
            assert_false (merkle_verify_consistency (p->a, p->b, root, s_v.root[p->b], p->h, p->n));
            memcpy (root, s_v.root[p->b], HL);
            root[b] ^= 0x80;
            assert_false (merkle_verify_consistency (p->a, p->b, s_v.root[p->a], root, p->h, p->n));
        }
        assert_false (merkle_verify_consistency (p->a, p->b, s_v.root[p->b], s_v.root[p->a], p->h,
                                                 p->n));
    }
}

static void
test_consistency_proof_with_wrong_sizes_is_refused (void **state)
{
    (void) state;
    for (size_t i = 0; i < s_v.n_cons; i++) {
        const proof_t *p = &s_v.cons[i];
        for (uint64_t s1 = 1; s1 <= MAX_LEAVES; s1++)
            for (uint64_t s2 = s1; s2 <= MAX_LEAVES; s2++)
                if (s1 != p->a || s2 != p->b)
                    assert_false (s_cons (s1, s2, p->h, p->n));
        /*  The roots stay those of the true sizes; only the sizes lie.  As
         *  for inclusion, a size is bound by its root (2 -> 5 and 2 -> 6
         *  proofs have the same shape), so the lies here change the shape. */
        assert_false (merkle_verify_consistency (p->b, p->a, s_v.root[p->a], s_v.root[p->b], p->h,
                                                 p->n));
        assert_false (merkle_verify_consistency (p->a, 2 * p->b, s_v.root[p->a], s_v.root[p->b],
                                                 p->h, p->n));
        assert_false (merkle_verify_consistency (p->a, UINT64_MAX, s_v.root[p->a], s_v.root[p->b],
                                                 p->h, p->n));
    }
}

static void
test_consistency_proof_truncated_or_extended_is_refused (void **state)
{
    (void) state;
    for (size_t i = 0; i < s_v.n_cons; i++) {
        const proof_t *p = &s_v.cons[i];
        for (size_t len = 0; len < p->n; len++)
            assert_false (s_cons (p->a, p->b, p->h, len));
        proof_t longer = *p;
        for (size_t k = 0; k <= p->n; k++) {
            memset (longer.h[p->n], 0, HL);
            if (k < p->n)
                memcpy (longer.h[p->n], p->h[k], HL);
            assert_false (s_cons (p->a, p->b, longer.h, p->n + 1));
        }
        /*  The proof shifted by one (first element dropped, one added). */
        assert_false (s_cons (p->a, p->b, longer.h + 1, p->n));
        assert_false (s_cons (p->a, p->b, longer.h, MERKLE_MAX_PATH + 1));
    }
}

static void
test_consistency_of_equal_sizes_needs_empty_proof_and_equal_roots (void **state)
{
    (void) state;
    for (uint64_t n = 0; n <= MAX_LEAVES; n++) {
        assert_true (s_cons (n, n, NULL, 0));
        assert_false (s_cons (n, n, (const uint8_t (*)[HL]) s_v.root[n], 1));
        uint64_t other = (n + 1) % (MAX_LEAVES + 1);
        assert_false (merkle_verify_consistency (n, n, s_v.root[n], s_v.root[other], NULL, 0));
    }
}

/*  RFC 9162 defines consistency proofs for 0 < size1 < size2 only; the
 *  empty tree is taken to be a prefix of every tree, with an empty proof
 *  and only if root1 is the empty tree's root. */
static void
test_consistency_from_empty_tree_needs_empty_proof_and_empty_root (void **state)
{
    (void) state;
    for (uint64_t n = 1; n <= MAX_LEAVES; n++) {
        assert_true (s_cons (0, n, NULL, 0));
        assert_false (s_cons (0, n, (const uint8_t (*)[HL]) s_v.root[n], 1));
        assert_false (merkle_verify_consistency (0, n, s_v.root[1], s_v.root[n], NULL, 0));
    }
}

static void
test_consistency_with_empty_proof_between_different_sizes_is_refused (void **state)
{
    (void) state;
    for (uint64_t s1 = 1; s1 <= MAX_LEAVES; s1++)
        for (uint64_t s2 = s1 + 1; s2 <= MAX_LEAVES; s2++)
            assert_false (s_cons (s1, s2, NULL, 0));
}

/*  Every path from the level arrays equals RFC 9162 PATH() and verifies;
 *  each one with a flipped byte, or against a neighbouring size's root,
 *  does not. */
static void
test_tree_paths_verify_for_every_index_of_every_size_up_to_70 (void **state)
{
    (void) state;
    for (size_t n = 1; n <= GEN_MAX; n++) {
        merkle_tree_t *tree = merkle_tree_new (GEN, n);
        assert_non_null (tree);
        uint8_t root[HL];
        merkle_tree_root (tree, root);
        assert_memory_equal (root, s_gen_root[n], HL);
        merkle_root (root, GEN, n);
        assert_memory_equal (root, s_gen_root[n], HL);
        for (size_t i = 0; i < n; i++) {
            uint8_t path[MERKLE_MAX_PATH][HL], ref[MERKLE_MAX_PATH][HL];
            int len = merkle_tree_path (tree, i, path, MERKLE_MAX_PATH);
            size_t ref_len = s_ref_path (ref, i, GEN, n);
            assert_int_equal (len, (int) ref_len);
            assert_memory_equal (path, ref, ref_len * HL);
            const uint8_t (*cp)[HL] = (const uint8_t (*)[HL]) path;
            assert_true (merkle_verify_inclusion (s_gen[i], i, n, cp, ref_len, s_gen_root[n]));
            if (n > 1) {
                path[len - 1][7] ^= 0x04;
                assert_false (merkle_verify_inclusion (s_gen[i], i, n, cp, ref_len, root));
                path[len - 1][7] ^= 0x04;
            }
            if (i + 1 < n)
                assert_false (merkle_verify_inclusion (s_gen[i], i, n - 1, cp, ref_len,
                                                       s_gen_root[n - 1]));
            if (n < GEN_MAX)
                assert_false (merkle_verify_inclusion (s_gen[i], i, n + 1, cp, ref_len,
                                                       s_gen_root[n + 1]));
        }
        merkle_tree_destroy (&tree);
    }
}

/*  Paths of neighbouring leaves, verified one after another as a drain's
 *  receipts are (the verifier reuses the steps a path shares with the
 *  last one): each verifies, and right after each, the same path with
 *  any one hash flipped, one hash short or one too many, another leaf,
 *  or another index does not. */
static void
test_neighbouring_paths_verify_and_every_tampered_one_does_not (void **state)
{
    (void) state;
    enum { N = 1000 };
    static uint8_t leaves[N][HL];
    for (uint32_t i = 0; i < N; i++)
        merkle_leaf_hash (leaves[i], &i, sizeof i);
    /*  A tree of one leaf: the path is empty (a receipt may carry none). */
    assert_true (merkle_verify_inclusion (leaves[0], 0, 1, NULL, 0, leaves[0]));
    assert_false (merkle_verify_inclusion (leaves[1], 0, 1, NULL, 0, leaves[0]));
    for (size_t n = N - 3; n <= N; n++) {
        merkle_tree_t *tree = merkle_tree_new (leaves, n);
        assert_non_null (tree);
        uint8_t root[HL];
        merkle_tree_root (tree, root);
        for (size_t i = 0; i < n; i++) {
            uint8_t path[MERKLE_MAX_PATH + 1][HL];
            int len = merkle_tree_path (tree, i, path, MERKLE_MAX_PATH);
            assert_true (len > 0);
            const uint8_t (*cp)[HL] = (const uint8_t (*)[HL]) path;
            assert_true (merkle_verify_inclusion (leaves[i], i, n, cp, (size_t) len, root));
            for (int k = 0; k < len; k++) {
                path[k][k % HL] ^= 0x10;
                assert_false (merkle_verify_inclusion (leaves[i], i, n, cp, (size_t) len, root));
                path[k][k % HL] ^= 0x10;
            }
            assert_false (merkle_verify_inclusion (leaves[i], i, n, cp, (size_t) len - 1, root));
            memcpy (path[len], path[len - 1], HL);
            assert_false (merkle_verify_inclusion (leaves[i], i, n, cp, (size_t) len + 1, root));
            assert_false (
                merkle_verify_inclusion (leaves[(i + 1) % n], i, n, cp, (size_t) len, root));
            assert_false (
                merkle_verify_inclusion (leaves[i], (i + 1) % n, n, cp, (size_t) len, root));
            /*  And it still verifies after all of them. */
            assert_true (merkle_verify_inclusion (leaves[i], i, n, cp, (size_t) len, root));
        }
        merkle_tree_destroy (&tree);
    }
}

static void
test_consistency_proofs_verify_for_every_pair_of_sizes_up_to_70 (void **state)
{
    (void) state;
    for (size_t n = 2; n <= GEN_MAX; n++)
        for (size_t m = 1; m < n; m++) {
            uint8_t proof[MERKLE_MAX_PATH][HL];
            size_t len = s_ref_subproof (proof, m, GEN, n, true);
            const uint8_t (*cp)[HL] = (const uint8_t (*)[HL]) proof;
            assert_true (
                merkle_verify_consistency (m, n, s_gen_root[m], s_gen_root[n], cp, len));
            assert_false (
                merkle_verify_consistency (m, n, s_gen_root[m], s_gen_root[n], cp, len - 1));
            proof[0][0] ^= 0x01;
            assert_false (
                merkle_verify_consistency (m, n, s_gen_root[m], s_gen_root[n], cp, len));
        }
}

static void
test_tree_path_refuses_index_out_of_range_and_short_buffer (void **state)
{
    (void) state;
    merkle_tree_t *tree = merkle_tree_new (VLEAVES, MAX_LEAVES);
    assert_non_null (tree);
    uint8_t path[MERKLE_MAX_PATH][HL];
    assert_int_equal (merkle_tree_path (tree, MAX_LEAVES, path, MERKLE_MAX_PATH), -1);
    assert_int_equal (merkle_tree_path (tree, SIZE_MAX, path, MERKLE_MAX_PATH), -1);
    assert_int_equal (merkle_tree_path (tree, 0, path, 2), -1);
    assert_int_equal (merkle_tree_path (tree, 0, path, 3), 3);
    merkle_tree_destroy (&tree);
    merkle_tree_destroy (&tree); /* destroying NULL is a no-op */

    tree = merkle_tree_new (VLEAVES, 1);
    assert_int_equal (merkle_tree_path (tree, 0, NULL, 0), 0);
    merkle_tree_destroy (&tree);
}

static void
test_tree_of_zero_leaves_is_refused (void **state)
{
    (void) state;
    assert_null (merkle_tree_new (VLEAVES, 0));
}

static void
test_compact_range_root_matches_merkle_root_at_every_size_up_to_300 (void **state)
{
    (void) state;
    enum { N = 300 };
    uint8_t (*leaves)[HL] = malloc (N * HL);
    assert_non_null (leaves);
    merkle_range_t range;
    merkle_range_init (&range);
    for (size_t n = 0; n <= N; n++) {
        uint8_t want[HL], got[HL];
        merkle_root (want, (const uint8_t (*)[HL]) leaves, n);
        merkle_range_root (&range, got);
        assert_memory_equal (got, want, HL);
        assert_int_equal (range.size, n);
        assert_int_equal (range.count, __builtin_popcountll (n));
        s_ref_mth (want, (const uint8_t (*)[HL]) leaves, n);
        assert_memory_equal (got, want, HL);
        if (n < N) {
            merkle_leaf_hash (leaves[n], &n, sizeof n);
            merkle_range_append (&range, leaves[n]);
        }
    }
    free (leaves);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_roots_match_vectors_by_all_three_constructions),
        cmocka_unit_test (test_inclusion_proofs_match_vectors),
        cmocka_unit_test (test_consistency_proofs_match_vectors),
        cmocka_unit_test (test_inclusion_proof_with_flipped_byte_is_refused),
        cmocka_unit_test (test_neighbouring_paths_verify_and_every_tampered_one_does_not),
        cmocka_unit_test (test_inclusion_proof_with_wrong_index_is_refused),
        cmocka_unit_test (test_inclusion_proof_with_wrong_size_is_refused),
        cmocka_unit_test (test_inclusion_proof_truncated_or_extended_is_refused),
        cmocka_unit_test (test_inclusion_in_empty_tree_is_refused),
        cmocka_unit_test (test_consistency_proof_with_flipped_byte_is_refused),
        cmocka_unit_test (test_consistency_proof_with_wrong_sizes_is_refused),
        cmocka_unit_test (test_consistency_proof_truncated_or_extended_is_refused),
        cmocka_unit_test (test_consistency_of_equal_sizes_needs_empty_proof_and_equal_roots),
        cmocka_unit_test (test_consistency_from_empty_tree_needs_empty_proof_and_empty_root),
        cmocka_unit_test (test_consistency_with_empty_proof_between_different_sizes_is_refused),
        cmocka_unit_test (test_tree_paths_verify_for_every_index_of_every_size_up_to_70),
        cmocka_unit_test (test_consistency_proofs_verify_for_every_pair_of_sizes_up_to_70),
        cmocka_unit_test (test_tree_path_refuses_index_out_of_range_and_short_buffer),
        cmocka_unit_test (test_tree_of_zero_leaves_is_refused),
        cmocka_unit_test (test_compact_range_root_matches_merkle_root_at_every_size_up_to_300),
    };
    if (sodium_init () < 0)
        return 1;
    return cmocka_run_group_tests (tests, s_setup, NULL);
}
