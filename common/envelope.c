/*  envelope: seal, sign and open keten messages.  */
#include "envelope.h"

#include "merkle.h"
#include "policy.h"
#include "verifier.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define SIG_CONTEXT "keten/v1"
#define BATCH_CONTEXT "keten/v1/batch"
#define AD_CONTEXT "keten/v1/ad"
#define WRAP_LEN (32 + crypto_box_MACBYTES)

/*  Associated data binds the ciphertext to the header fields around it, so
 *  a content key or ciphertext cannot be moved into another header.  */
static uint8_t *
s_ad_build (const Keten__Header *h, size_t *len_p)
{
    size_t len = sizeof AD_CONTEXT + KT_ID_LEN + 4 + 8 + 8 + 32 + strlen (h->sender) + 1 +
                 strlen (h->case_ref) + 1;
    for (size_t i = 0; i < h->n_recipients; i++)
        len += strlen (h->recipients[i]) + 1;
    uint8_t *ad = malloc (len);
    if (!ad)
        return NULL;
    uint8_t *p = ad;
    memcpy (p, AD_CONTEXT, sizeof AD_CONTEXT);
    p += sizeof AD_CONTEXT;
    memcpy (p, h->id.data, KT_ID_LEN);
    p += KT_ID_LEN;
    uint64_t fields[3] = {(uint64_t) h->type, h->created_ms, h->roster_version};
    for (int f = 0; f < 3; f++) {
        int bytes = f == 0 ? 4 : 8;
        for (int b = bytes - 1; b >= 0; b--)
            *p++ = (uint8_t) (fields[f] >> (8 * b));
    }
    memcpy (p, h->body_commitment.data, 32);
    p += 32;
    size_t sl = strlen (h->sender) + 1;
    memcpy (p, h->sender, sl);
    p += sl;
    sl = strlen (h->case_ref) + 1;
    memcpy (p, h->case_ref, sl);
    p += sl;
    for (size_t i = 0; i < h->n_recipients; i++) {
        sl = strlen (h->recipients[i]) + 1;
        memcpy (p, h->recipients[i], sl);
        p += sl;
    }
    *len_p = (size_t) (p - ad);
    return ad;
}

static bool
s_valid_case_ref (const char *s)
{
    size_t len = strlen (s);
    if (len > ENVELOPE_CASE_REF_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return false;
    return true;
}

/*  The header fields of draft around the id, commitment and nonce just
 *  made; everything but the key wraps and the ciphertext. */
static void
s_header_fill (Keten__Header *h, const keyring_t *keyring, const envelope_draft_t *draft,
               uint8_t id[KT_ID_LEN], const char *case_ref, uint8_t commitment[32],
               uint8_t nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES])
{
    h->version = ENVELOPE_VERSION;
    h->id.data = id;
    h->id.len = KT_ID_LEN;
    h->sender = (char *) keyring_self_member (keyring)->id;
    h->recipients = (char **) draft->recipients;
    h->n_recipients = draft->n_recipients;
    h->type = draft->type;
    h->created_ms = draft->created_ms;
    h->roster_version = keyring_roster (keyring)->version;
    h->case_ref = (char *) case_ref;
    h->body_commitment.data = commitment;
    h->body_commitment.len = 32;
    h->nonce.data = nonce;
    h->nonce.len = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
    h->sender_previous_keys = keyring_self_previous (keyring);
}

/*  Wrap content_key for every recipient of draft: wraps[i] points into
 *  wrapped, which has room for two wraps per recipient - its current key
 *  and, while its rotation overlap lasts, its previous one. */
/*  nonces: two fresh ones per recipient (its current key's, its
 *  previous key's). */
static int
s_wrap_keys (const keyring_t *keyring, const envelope_draft_t *draft, const uint8_t *content_key,
             const uint8_t *nonces, Keten__KeyWrap *wraps, Keten__KeyWrap **wrap_ptrs,
             uint8_t *wrapped, kt_reason_t *reason)
{
    uint64_t now = kt_now_ms ();
    for (size_t i = 0; i < draft->n_recipients; i++) {
        const keyring_peer_t *peer = keyring_peer (keyring, draft->recipients[i]);
        if (!peer)
            return kt_fail (reason, "recipient %s is not in the roster", draft->recipients[i]);
        uint8_t *wn = wrapped + 2 * i * (WRAP_LEN + crypto_box_NONCEBYTES);
        uint8_t *wc = wn + crypto_box_NONCEBYTES;
        memcpy (wn, nonces + 2 * i * crypto_box_NONCEBYTES, crypto_box_NONCEBYTES);
        crypto_box_easy_afternm (wc, content_key, crypto_aead_xchacha20poly1305_ietf_KEYBYTES, wn,
                                 peer->shared_key);
        keten__key_wrap__init (&wraps[i]);
        wraps[i].recipient = (char *) draft->recipients[i];
        wraps[i].nonce.data = wn;
        wraps[i].nonce.len = crypto_box_NONCEBYTES;
        wraps[i].wrapped.data = wc;
        wraps[i].wrapped.len = WRAP_LEN;
        if (roster_member_previous_active (peer->member, now)) {
            /*  The recipient may not have switched key files yet. */
            uint8_t *pn = wc + WRAP_LEN;
            uint8_t *pc = pn + crypto_box_NONCEBYTES;
            memcpy (pn, nonces + (2 * i + 1) * crypto_box_NONCEBYTES, crypto_box_NONCEBYTES);
            crypto_box_easy_afternm (pc, content_key, crypto_aead_xchacha20poly1305_ietf_KEYBYTES,
                                     pn, peer->previous_shared_key);
            wraps[i].previous_nonce.data = pn;
            wraps[i].previous_nonce.len = crypto_box_NONCEBYTES;
            wraps[i].previous_wrapped.data = pc;
            wraps[i].previous_wrapped.len = WRAP_LEN;
        }
        wrap_ptrs[i] = &wraps[i];
    }
    return 0;
}

/*  Encrypt plain into cipher under content_key with h's fields as
 *  associated data, then pack h into *header_p (heap, free()). */
static int
s_encrypt_pack (Keten__Header *h, const uint8_t *plain, size_t plain_len, uint8_t *cipher,
                const uint8_t *content_key, uint8_t **header_p, size_t *header_len_p,
                kt_reason_t *reason)
{
    size_t ad_len;
    uint8_t *ad = s_ad_build (h, &ad_len);
    if (!ad)
        return kt_fail (reason, "out of memory");
    unsigned long long clen;
    crypto_aead_xchacha20poly1305_ietf_encrypt (cipher, &clen, plain, plain_len, ad, ad_len, NULL,
                                                h->nonce.data, content_key);
    free (ad);
    h->ciphertext.data = cipher;
    h->ciphertext.len = (size_t) clen;

    size_t len = keten__header__get_packed_size (h);
    uint8_t *out = malloc (len);
    if (!out)
        return kt_fail (reason, "out of memory");
    keten__header__pack (h, out);
    *header_p = out;
    *header_len_p = len;
    return 0;
}

int
envelope_seal (const keyring_t *keyring, const envelope_draft_t *draft, uint8_t id[KT_ID_LEN],
               uint8_t **header_p, size_t *header_len_p, kt_reason_t *reason)
{
    const char *case_ref = draft->case_ref ? draft->case_ref : "";
    if (!s_valid_case_ref (case_ref))
        return kt_fail (reason, "case_ref is not a valid pseudonym");
    if (draft->n_recipients == 0 || draft->n_recipients > POLICY_MAX_RECIPIENTS)
        return kt_fail (reason, "a message needs 1..%d recipients", POLICY_MAX_RECIPIENTS);

    int rc = -1;
    size_t plain_len = ENVELOPE_SALT_LEN + draft->body_len;
    uint8_t *plain = malloc (plain_len);
    uint8_t *cipher = malloc (plain_len + crypto_aead_xchacha20poly1305_ietf_ABYTES);
    Keten__KeyWrap *wraps = calloc (draft->n_recipients, sizeof *wraps);
    Keten__KeyWrap **wrap_ptrs = calloc (draft->n_recipients, sizeof *wrap_ptrs);
    /*  Room for two wraps per recipient: its current and previous key. */
    uint8_t *wrapped = malloc (2 * draft->n_recipients * (WRAP_LEN + crypto_box_NONCEBYTES));
    uint8_t content_key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
    uint8_t nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES];
    uint8_t commitment[32];
    /*  Every random byte the message needs from one draw: the salt, the
     *  content key, the nonce, the id's random part and the wraps'
     *  nonces.  Each call of libsodium's generator has a cost of its own
     *  (a process-id check, a re-key), and the bytes are as random either
     *  way. */
    enum {
        KEY = ENVELOPE_SALT_LEN,
        NONCE = KEY + sizeof content_key,
        ID = NONCE + sizeof nonce,
        WRAPS = ID + KT_ID_LEN - 6,
    };
    uint8_t fresh[WRAPS + 2 * POLICY_MAX_RECIPIENTS * crypto_box_NONCEBYTES];
    size_t fresh_len = WRAPS + 2 * draft->n_recipients * crypto_box_NONCEBYTES;
    if (!plain || !cipher || !wraps || !wrap_ptrs || !wrapped) {
        kt_fail (reason, "out of memory");
        goto done;
    }
    kt_random_buf (fresh, fresh_len);
    if (draft->id)
        memmove (id, draft->id, KT_ID_LEN);
    else
        kt_ordered_id_from (id, KT_ID_LEN, fresh + ID);
    memcpy (plain, fresh, ENVELOPE_SALT_LEN);
    memcpy (content_key, draft->content_key ? draft->content_key : fresh + KEY, sizeof content_key);
    memcpy (nonce, fresh + NONCE, sizeof nonce);
    if (draft->body_len)
        memcpy (plain + ENVELOPE_SALT_LEN, draft->body, draft->body_len);
    crypto_generichash (commitment, sizeof commitment, plain, plain_len, NULL, 0);

    Keten__Header h = KETEN__HEADER__INIT;
    s_header_fill (&h, keyring, draft, id, case_ref, commitment, nonce);
    if (s_wrap_keys (keyring, draft, content_key, fresh + WRAPS, wraps, wrap_ptrs, wrapped,
                     reason) != 0)
        goto done;
    h.key_wraps = wrap_ptrs;
    h.n_key_wraps = draft->n_recipients;
    rc = s_encrypt_pack (&h, plain, plain_len, cipher, content_key, header_p, header_len_p, reason);
done:
    sodium_memzero (fresh, fresh_len);
    sodium_memzero (content_key, sizeof content_key);
    if (plain) {
        sodium_memzero (plain, plain_len);
        free (plain);
    }
    free (cipher);
    free (wraps);
    free (wrap_ptrs);
    free (wrapped);
    return rc;
}

/*  Open one wrap (nonce, wrapped) under shared into key. */
static bool
s_unwrap (const ProtobufCBinaryData *nonce, const ProtobufCBinaryData *wrapped,
          const uint8_t *shared, uint8_t key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES])
{
    return nonce->len == crypto_box_NONCEBYTES && wrapped->len == WRAP_LEN &&
           crypto_box_open_easy_afternm (key, wrapped->data, wrapped->len, nonce->data, shared) ==
               0;
}

int
envelope_rewrap (const keyring_t *keyring, const char *recipient, const uint8_t *old_shared,
                 bool keep_old, uint8_t **header_p, size_t *header_len_p, kt_reason_t *reason)
{
    const keyring_peer_t *peer = keyring_peer (keyring, recipient);
    if (!peer)
        return kt_fail (reason, "recipient %s is not in the roster", recipient);
    Keten__Header *h = keten__header__unpack (NULL, *header_len_p, *header_p);
    if (!h)
        return 0; /* not ours to mend: it is refused where it arrives */
    Keten__KeyWrap *w = NULL;
    for (size_t i = 0; i < h->n_key_wraps; i++)
        if (h->key_wraps[i]->recipient && strcmp (h->key_wraps[i]->recipient, recipient) == 0)
            w = h->key_wraps[i];
    int rc = 0;
    uint8_t key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
    if (strcmp (h->sender, keyring_self_member (keyring)->id) != 0)
        rc = kt_fail (reason, "only the sealer can wrap a message again");
    else if (w && s_unwrap (&w->nonce, &w->wrapped, peer->shared_key, key))
        rc = 0; /* wrapped for the current key already */
    else if (w && (s_unwrap (&w->nonce, &w->wrapped, old_shared, key) ||
                   s_unwrap (&w->previous_nonce, &w->previous_wrapped, old_shared, key))) {
        const uint8_t *previous = roster_member_previous_active (peer->member, kt_now_ms ())
                                      ? peer->previous_shared_key
                                  : keep_old ? old_shared
                                             : NULL;
        uint8_t fresh[2][crypto_box_NONCEBYTES + WRAP_LEN];
        ProtobufCBinaryData was[4] = {w->nonce, w->wrapped, w->previous_nonce, w->previous_wrapped};
        const uint8_t *shared[2] = {peer->shared_key, previous};
        ProtobufCBinaryData *slots[2][2] = {{&w->nonce, &w->wrapped},
                                            {&w->previous_nonce, &w->previous_wrapped}};
        for (int k = 0; k < 2; k++) {
            slots[k][0]->len = slots[k][1]->len = 0;
            if (!shared[k])
                continue;
            kt_random_buf (fresh[k], crypto_box_NONCEBYTES);
            crypto_box_easy_afternm (fresh[k] + crypto_box_NONCEBYTES, key, sizeof key, fresh[k],
                                     shared[k]);
            *slots[k][0] = (ProtobufCBinaryData){crypto_box_NONCEBYTES, fresh[k]};
            *slots[k][1] = (ProtobufCBinaryData){WRAP_LEN, fresh[k] + crypto_box_NONCEBYTES};
        }
        size_t len = keten__header__get_packed_size (h);
        uint8_t *out = malloc (len);
        if (out) {
            keten__header__pack (h, out);
            free (*header_p);
            *header_p = out;
            *header_len_p = len;
            rc = 1;
        } else
            rc = kt_fail (reason, "out of memory");
        /*  The unpacked message frees what it allocated, not fresh. */
        w->nonce = was[0], w->wrapped = was[1], w->previous_nonce = was[2];
        w->previous_wrapped = was[3];
        sodium_memzero (fresh, sizeof fresh);
    }
    sodium_memzero (key, sizeof key);
    keten__header__free_unpacked (h, NULL);
    return rc;
}

static int
s_pack_envelope (const Keten__Envelope *env, uint8_t **out_p, size_t *len_p)
{
    size_t len = keten__envelope__get_packed_size (env);
    uint8_t *out = malloc (len);
    if (!out)
        return -1;
    keten__envelope__pack (env, out);
    *out_p = out;
    *len_p = len;
    return 0;
}

/*  One header alone: the signature is over "keten/v1" || header. */
static int
s_sign_one (const uint8_t *sk, const uint8_t *header, size_t header_len, uint8_t **env_p,
            size_t *env_len_p, kt_reason_t *reason)
{
    uint8_t sig[crypto_sign_BYTES];
    Keten__Envelope env = KETEN__ENVELOPE__INIT;
    env.signature.data = sig;
    env.signature.len = sizeof sig;
    size_t mlen = sizeof SIG_CONTEXT - 1 + header_len;
    uint8_t *m = malloc (mlen);
    if (!m)
        return kt_fail (reason, "out of memory");
    memcpy (m, SIG_CONTEXT, sizeof SIG_CONTEXT - 1);
    memcpy (m + sizeof SIG_CONTEXT - 1, header, header_len);
    crypto_sign_detached (sig, NULL, m, mlen, sk);
    free (m);
    env.header.data = (uint8_t *) header;
    env.header.len = header_len;
    if (s_pack_envelope (&env, env_p, env_len_p) != 0)
        return kt_fail (reason, "out of memory");
    return 0;
}

/*  The Merkle tree over the leaf hashes of n headers; NULL when out of
 *  memory. */
static merkle_tree_t *
s_batch_tree (uint8_t *const *headers, const size_t *header_lens, size_t n, uint8_t (*kept)[32])
{
    uint8_t (*leaves)[32] = kept ? kept : malloc (n * sizeof *leaves);
    if (!leaves)
        return NULL;
    for (size_t i = 0; i < n; i++)
        merkle_leaf_hash (leaves[i], headers[i], header_lens[i]);
    merkle_tree_t *tree = merkle_tree_new ((const uint8_t (*)[32]) leaves, n);
    if (!kept)
        free (leaves);
    return tree;
}

/*  Pack each header of the batch with the one signature sig over root and
 *  its own inclusion path.  On failure nothing packed is left behind. */
static int
s_pack_batch (merkle_tree_t *tree, uint8_t root[32], uint8_t sig[crypto_sign_BYTES],
              uint8_t *const *headers, const size_t *header_lens, size_t n, uint8_t **envs,
              size_t *env_lens, kt_reason_t *reason)
{
    Keten__Envelope env = KETEN__ENVELOPE__INIT;
    env.signature.data = sig;
    env.signature.len = crypto_sign_BYTES;
    uint8_t path[MERKLE_MAX_PATH][32];
    ProtobufCBinaryData path_items[MERKLE_MAX_PATH];
    Keten__BatchProof proof = KETEN__BATCH_PROOF__INIT;
    proof.root.data = root;
    proof.root.len = 32;
    proof.size = n;
    proof.path = path_items;
    env.batch = &proof;
    size_t done_count = 0;
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        int plen = merkle_tree_path (tree, i, path, MERKLE_MAX_PATH);
        if (plen < 0) {
            rc = kt_fail (reason, "internal error: no inclusion path");
            break;
        }
        for (int k = 0; k < plen; k++) {
            path_items[k].data = path[k];
            path_items[k].len = 32;
        }
        proof.n_path = (size_t) plen;
        proof.index = i;
        env.header.data = headers[i];
        env.header.len = header_lens[i];
        if (s_pack_envelope (&env, &envs[i], &env_lens[i]) != 0) {
            rc = kt_fail (reason, "out of memory");
            break;
        }
        done_count++;
    }
    if (rc != 0)
        for (size_t i = 0; i < done_count; i++) {
            free (envs[i]);
            envs[i] = NULL;
        }
    return rc;
}

int
envelope_sign (const keyring_t *keyring, uint8_t *const *headers, const size_t *header_lens,
               size_t n, uint8_t **envs, size_t *env_lens, kt_reason_t *reason)
{
    return envelope_sign_leaves (keyring, headers, header_lens, n, envs, env_lens, NULL, reason);
}

int
envelope_sign_leaves (const keyring_t *keyring, uint8_t *const *headers, const size_t *header_lens,
                      size_t n, uint8_t **envs, size_t *env_lens, uint8_t (*leaves)[32],
                      kt_reason_t *reason)
{
    if (n == 0 || n > ENVELOPE_BATCH_MAX)
        return kt_fail (reason, "a batch holds 1..%d headers", ENVELOPE_BATCH_MAX);
    const uint8_t *sk = keyring_self (keyring)->signing_sk;
    if (n == 1) {
        if (leaves)
            merkle_leaf_hash (leaves[0], headers[0], header_lens[0]);
        return s_sign_one (sk, headers[0], header_lens[0], &envs[0], &env_lens[0], reason);
    }

    /*  A batch: one signature over "keten/v1/batch" || Merkle root. */
    merkle_tree_t *tree = s_batch_tree (headers, header_lens, n, leaves);
    if (!tree)
        return kt_fail (reason, "out of memory");
    uint8_t root[32];
    merkle_tree_root (tree, root);
    uint8_t m[sizeof BATCH_CONTEXT - 1 + 32];
    memcpy (m, BATCH_CONTEXT, sizeof BATCH_CONTEXT - 1);
    memcpy (m + sizeof BATCH_CONTEXT - 1, root, 32);
    uint8_t sig[crypto_sign_BYTES];
    crypto_sign_detached (sig, NULL, m, sizeof m, sk);
    int rc = s_pack_batch (tree, root, sig, headers, header_lens, n, envs, env_lens, reason);
    merkle_tree_destroy (&tree);
    return rc;
}

/*  Decode-level checks: every field has the shape the rest relies on. */
static int
s_check_header_shape (const Keten__Header *h, kt_reason_t *reason)
{
    if (h->id.len != KT_ID_LEN)
        return kt_fail (reason, "message id is not %d bytes", KT_ID_LEN);
    if (h->version != ENVELOPE_VERSION)
        return kt_fail (reason, "protocol version %u is not supported (this node speaks %d)",
                        h->version, ENVELOPE_VERSION);
    if (!kt_valid_node_id (h->sender))
        return kt_fail (reason, "sender is not a valid node id");
    if (h->n_recipients == 0 || h->n_recipients > POLICY_MAX_RECIPIENTS)
        return kt_fail (reason, "message has %zu recipients; 1..%d allowed", h->n_recipients,
                        POLICY_MAX_RECIPIENTS);
    for (size_t i = 0; i < h->n_recipients; i++)
        if (!kt_valid_node_id (h->recipients[i]))
            return kt_fail (reason, "recipient %zu is not a valid node id", i);
    if (!s_valid_case_ref (h->case_ref))
        return kt_fail (reason, "case_ref is not a valid pseudonym");
    if (h->body_commitment.len != 32)
        return kt_fail (reason, "body commitment is not 32 bytes");
    if (h->nonce.len != crypto_aead_xchacha20poly1305_ietf_NPUBBYTES)
        return kt_fail (reason, "content nonce has the wrong length");
    if (h->n_key_wraps != h->n_recipients)
        return kt_fail (reason, "%zu key wraps for %zu recipients", h->n_key_wraps,
                        h->n_recipients);
    for (size_t i = 0; i < h->n_key_wraps; i++) {
        const Keten__KeyWrap *w = h->key_wraps[i];
        bool previous = w->previous_nonce.len || w->previous_wrapped.len;
        if (strcmp (w->recipient, h->recipients[i]) != 0 || w->nonce.len != crypto_box_NONCEBYTES ||
            w->wrapped.len != WRAP_LEN ||
            (previous && (w->previous_nonce.len != crypto_box_NONCEBYTES ||
                          w->previous_wrapped.len != WRAP_LEN)))
            return kt_fail (reason, "key wrap %zu is malformed", i);
    }
    if (h->ciphertext.len < ENVELOPE_SALT_LEN + crypto_aead_xchacha20poly1305_ietf_ABYTES)
        return kt_fail (reason, "ciphertext is too short");
    return 0;
}

/*  A signature left to the verifier while the rest of the message is
 *  opened (envelope_open_opts_t.overlap): what to do once it is known
 *  good. */
typedef struct {
    bool started;
    bool batch; /* remember root as verified under pk */
    uint8_t root[32];
    const uint8_t *pk;
} pending_sig_t;

/*  Ed25519 over m (heap, taken) under pk: now, or - later given and the
 *  verifier free - started on the verifier's thread (later->started) and
 *  taken as good until s_pending_end says otherwise. */
static int
s_verify (uint8_t *m, size_t mlen, const uint8_t *sig, const uint8_t *pk, pending_sig_t *later)
{
    if (later && verifier_start (sig, m, mlen, pk)) {
        later->started = true;
        later->pk = pk;
        return 0;
    }
    int bad = crypto_sign_verify_detached (sig, m, mlen, pk);
    free (m);
    return bad ? -1 : 0;
}

static int
s_check_signature (keyring_t *keyring, const Keten__Envelope *env, const uint8_t leaf[32],
                   const uint8_t *signing_pk, pending_sig_t *later, kt_reason_t *reason)
{
    if (env->signature.len != crypto_sign_BYTES)
        return kt_fail (reason, "signature is not %d bytes", crypto_sign_BYTES);
    if (!env->batch) {
        size_t mlen = sizeof SIG_CONTEXT - 1 + env->header.len;
        uint8_t *m = malloc (mlen);
        if (!m)
            return kt_fail (reason, "out of memory");
        memcpy (m, SIG_CONTEXT, sizeof SIG_CONTEXT - 1);
        memcpy (m + sizeof SIG_CONTEXT - 1, env->header.data, env->header.len);
        return s_verify (m, mlen, env->signature.data, signing_pk, later) != 0
                   ? kt_fail (reason, "bad signature")
                   : 0;
    }
    const Keten__BatchProof *b = env->batch;
    if (b->root.len != 32 || b->size == 0 || b->size > ENVELOPE_BATCH_MAX || b->index >= b->size ||
        b->n_path > MERKLE_MAX_PATH)
        return kt_fail (reason, "batch proof is malformed");
    uint8_t path[MERKLE_MAX_PATH][32];
    for (size_t i = 0; i < b->n_path; i++) {
        if (b->path[i].len != 32)
            return kt_fail (reason, "batch proof is malformed");
        memcpy (path[i], b->path[i].data, 32);
    }
    if (!merkle_verify_inclusion (leaf, b->index, b->size, (const uint8_t (*)[32]) path, b->n_path,
                                  b->root.data))
        return kt_fail (reason, "bad signature: header is not in the signed batch");
    if (keyring_batch_verified (keyring, signing_pk, b->root.data))
        return 0;
    size_t mlen = sizeof BATCH_CONTEXT - 1 + 32;
    uint8_t *m = malloc (mlen);
    if (!m)
        return kt_fail (reason, "out of memory");
    memcpy (m, BATCH_CONTEXT, sizeof BATCH_CONTEXT - 1);
    memcpy (m + sizeof BATCH_CONTEXT - 1, b->root.data, 32);
    if (s_verify (m, mlen, env->signature.data, signing_pk, later) != 0)
        return kt_fail (reason, "bad signature");
    if (later && later->started) {
        later->batch = true;
        memcpy (later->root, b->root.data, 32);
    } else
        keyring_batch_remember (keyring, signing_pk, b->root.data);
    return 0;
}

/*  The outcome of a signature left to the verifier (none started: 0).
 *  Bad: -1 with the reason the check would have given at once. */
static int
s_pending_end (keyring_t *keyring, pending_sig_t *p, kt_reason_t *reason)
{
    if (!p->started)
        return 0;
    p->started = false;
    if (!verifier_wait ())
        return kt_fail (reason, "bad signature");
    if (p->batch)
        keyring_batch_remember (keyring, p->pk, p->root);
    return 0;
}

/*  h's ciphertext (its shape checked: s_check_header_shape) opened under
 *  key and its commitment checked: *plain_p (heap, the salt then the
 *  body; the caller wipes and frees it, also when this fails) and
 *  *plain_len_p. */
static int
s_open_body (const Keten__Header *h, const uint8_t *key, uint8_t **plain_p, size_t *plain_len_p,
             kt_reason_t *reason)
{
    size_t ad_len;
    uint8_t *ad = s_ad_build (h, &ad_len);
    *plain_len_p = h->ciphertext.len - crypto_aead_xchacha20poly1305_ietf_ABYTES;
    *plain_p = malloc (*plain_len_p);
    uint8_t commitment[32];
    int rc = -1;
    if (!ad || !*plain_p)
        kt_fail (reason, "out of memory");
    else if (crypto_aead_xchacha20poly1305_ietf_decrypt (*plain_p, NULL, NULL, h->ciphertext.data,
                                                         h->ciphertext.len, ad, ad_len,
                                                         h->nonce.data, key) != 0)
        kt_fail (reason, "ciphertext does not decrypt (tampered or wrong key)");
    else if (crypto_generichash (commitment, sizeof commitment, *plain_p, *plain_len_p, NULL, 0) !=
                 0 ||
             sodium_memcmp (commitment, h->body_commitment.data, 32) != 0)
        kt_fail (reason, "body does not match its commitment");
    else
        rc = 0;
    free (ad);
    return rc;
}

static int
s_decrypt (const keyring_t *keyring, envelope_opened_t *out, kt_reason_t *reason)
{
    const Keten__Header *h = out->header;
    const char *self_id = keyring_self_member (keyring)->id;
    size_t slot = h->n_recipients;
    for (size_t i = 0; i < h->n_recipients; i++)
        if (strcmp (h->recipients[i], self_id) == 0)
            slot = i;
    if (slot == h->n_recipients)
        return kt_fail (reason, "this node is not a recipient");
    const Keten__KeyWrap *w = h->key_wraps[slot];
    /*  Which of the sender's key sets sealed it, and which of this node's
     *  keys a wrap is for, need not be known: during a key rotation
     *  overlap every candidate is tried (a wrong key fails the MAC).  The
     *  sender's previous keys count only while its overlap lasts (checked
     *  with the signature); a previous-key wrap is there only when the
     *  sealer knew of this node's rotation. */
    const uint8_t *shared[2] = {out->sender->shared_key, NULL};
    if (out->sender_overlap) {
        shared[0] =
            out->sender_previous_keys ? out->sender->previous_shared_key : out->sender->shared_key;
        shared[1] =
            out->sender_previous_keys ? out->sender->shared_key : out->sender->previous_shared_key;
    }
    const ProtobufCBinaryData *wraps[2][2] = {{&w->wrapped, &w->nonce},
                                              {&w->previous_wrapped, &w->previous_nonce}};
    int first = keyring_self_previous (keyring) ? 1 : 0;
    uint8_t key[32];
    bool opened = false;
    for (int k = 0; k < 2 && !opened; k++)
        for (int x = 0; x < 2 && !opened; x++) {
            const ProtobufCBinaryData *const *wr = wraps[(first + x) % 2];
            opened = shared[k] && s_unwrap (wr[1], wr[0], shared[k], key);
        }
    if (!opened)
        return kt_fail (reason, "content key does not unwrap for this node");
    int rc = s_open_body (h, key, &out->plain, &out->plain_len, reason);
    if (rc == 0) {
        out->body = out->plain + ENVELOPE_SALT_LEN;
        out->body_len = out->plain_len - ENVELOPE_SALT_LEN;
    }
    sodium_memzero (key, sizeof key);
    return rc;
}

int
envelope_open_own (const uint8_t *header, size_t header_len, const uint8_t id[KT_ID_LEN],
                   const uint8_t key[ENVELOPE_KEY_LEN], uint8_t **body_p, size_t *body_len_p,
                   kt_reason_t *reason)
{
    _Static_assert(ENVELOPE_KEY_LEN == crypto_aead_xchacha20poly1305_ietf_KEYBYTES,
                   "a data key is a content key");
    Keten__Header *h = keten__header__unpack (NULL, header_len, header);
    if (!h)
        return kt_fail (reason, "the sealed message does not decode");
    uint8_t *plain = NULL;
    size_t plain_len = 0;
    int rc = s_check_header_shape (h, reason);
    if (rc == 0 && memcmp (h->id.data, id, KT_ID_LEN) != 0)
        rc = kt_fail (reason, "the sealed message is another message's");
    if (rc == 0)
        rc = s_open_body (h, key, &plain, &plain_len, reason);
    if (rc == 0 && !(*body_p = malloc (plain_len - ENVELOPE_SALT_LEN + 1)))
        rc = kt_fail (reason, "out of memory");
    if (rc == 0) {
        *body_len_p = plain_len - ENVELOPE_SALT_LEN;
        memcpy (*body_p, plain + ENVELOPE_SALT_LEN, *body_len_p);
    }
    if (plain) {
        sodium_memzero (plain, plain_len);
        free (plain);
    }
    keten__header__free_unpacked (h, NULL);
    return rc;
}

/*  Step 4: the sender is in the roster and active, and is the member the
 *  transport authenticated (only the uitvoerder relays others' messages).
 *  The sender, or NULL with the reason. */
static const keyring_peer_t *
s_check_sender (const keyring_t *keyring, const Keten__Header *h, const envelope_open_opts_t *opts,
                kt_reason_t *reason)
{
    const keyring_peer_t *sender = keyring_peer (keyring, h->sender);
    if (!sender) {
        kt_fail (reason, "sender %s is not in roster version %llu", h->sender,
                 (unsigned long long) keyring_roster (keyring)->version);
        return NULL;
    }
    if (!roster_member_active (sender->member, opts->now_ms)) {
        kt_fail (reason, "sender %s is no longer an active member", h->sender);
        return NULL;
    }
    if (opts->transport_peer && opts->transport_peer != sender &&
        opts->transport_peer->member->role != ROLE_UITVOERDER) {
        kt_fail (reason, "sender %s does not match the authenticated transport key of %s",
                 h->sender, opts->transport_peer->member->id);
        return NULL;
    }
    return sender;
}

/*  Step 5: the signature, under the sender's current keys or - while its
 *  key rotation overlap lasts - the previous ones.  The header says which
 *  keys sealed it; the signature is made when it is sent, which may be
 *  after the node switched key files (an outbox retry), so during the
 *  overlap either key may have signed it.  On success out knows the
 *  sender and which of its keys are in play. */
static int
s_check_sender_signature (keyring_t *keyring, const Keten__Envelope *env,
                          const keyring_peer_t *sender, const envelope_open_opts_t *opts,
                          envelope_opened_t *out, pending_sig_t *later, kt_reason_t *reason)
{
    const Keten__Header *h = out->header;
    merkle_leaf_hash (out->leaf_hash, env->header.data, env->header.len);
    bool overlap = roster_member_previous_active (sender->member, opts->now_ms);
    bool previous = h->sender_previous_keys;
    if (previous && !overlap)
        return kt_fail (reason,
                        "sender %s used keys that are no longer accepted (its key rotation "
                        "overlap has ended)",
                        h->sender);
    /*  Left to the verifier only when one key can have signed it: the
     *  other key of an overlap is tried at once, after the first. */
    if (s_check_signature (keyring, env, out->leaf_hash,
                           previous ? sender->member->previous_signing_pk
                                    : sender->member->signing_pk,
                           overlap ? NULL : later, reason) != 0) {
        /*  The reason stays the one for the keys the header names. */
        kt_reason_t why;
        if (!overlap || s_check_signature (keyring, env, out->leaf_hash,
                                           previous ? sender->member->signing_pk
                                                    : sender->member->previous_signing_pk,
                                           NULL, &why) != 0)
            return -1;
    }
    out->sender_previous_keys = previous;
    out->sender_overlap = overlap;
    out->sender = sender;
    return 0;
}

/*  Step 8: the clock-skew window.  A message from the future is refused
 *  for now only (transient); one older than the window for good. */
static int
s_check_window (const Keten__Header *h, const envelope_open_opts_t *opts, envelope_opened_t *out,
                kt_reason_t *reason)
{
    if (h->created_ms > opts->now_ms + opts->clock_skew_ms) {
        out->transient = true; /* the same message passes once time catches up */
        out->window_refused = true;
        return kt_fail (reason,
                        "message is dated %llu ms in the future (clock skew: the sender's "
                        "clock or this node's is off)",
                        (unsigned long long) (h->created_ms - opts->now_ms));
    }
    if (h->created_ms + opts->max_age_ms < opts->now_ms) {
        out->window_refused = true;
        /*  An outbox retry may be old; a message sent just now that is
         *  refused here says the two clocks disagree. */
        return kt_fail (reason,
                        "message is dated %llu s before this node's clock, older than the %llu s "
                        "acceptance window (if it was sent just now, the sender's clock and this "
                        "node's disagree)",
                        (unsigned long long) ((opts->now_ms - h->created_ms) / 1000),
                        (unsigned long long) (opts->max_age_ms / 1000));
    }
    return 0;
}

int
envelope_open (keyring_t *keyring, const uint8_t *data, size_t len,
               const envelope_open_opts_t *opts, envelope_opened_t *out, kt_reason_t *reason)
{
    memset (out, 0, sizeof *out);
    /* 1. size */
    if (len == 0 || len > opts->max_bytes)
        return kt_fail (reason, "message of %zu bytes is outside 1..%zu", len, opts->max_bytes);
    /* 2. decode */
    out->allocator = opts->allocator;
    Keten__Envelope *env = keten__envelope__unpack (opts->allocator, len, data);
    if (!env)
        return kt_fail (reason, "message does not decode as an envelope");
    int rc = ENVELOPE_REFUSED;
    pending_sig_t pending = {0};
    out->header = keten__header__unpack (opts->allocator, env->header.len, env->header.data);
    if (!out->header) {
        kt_fail (reason, "header does not decode");
        goto done;
    }
    if (out->header->id.len == KT_ID_LEN) {
        memcpy (out->id, out->header->id.data, KT_ID_LEN);
        out->have_id = true;
    }
    /* 3. version (and the shape of every field) */
    if (s_check_header_shape (out->header, reason) != 0)
        goto done;
    const Keten__Header *h = out->header;
    /* 4. sender in roster and active, and the one the transport authenticated */
    const keyring_peer_t *sender = s_check_sender (keyring, h, opts, reason);
    if (!sender)
        goto done;
    /* 5. signature: for a type the caller has work for, on the
     *  verifier's thread while the steps after it run here, its outcome
     *  waited for before this returns (a bad one is the refusal) */
    bool overlap = opts->overlap && h->type > 0 && h->type < 32 &&
                   (opts->overlap_types & (UINT32_C (1) << h->type));
    if (s_check_sender_signature (keyring, env, sender, opts, out, overlap ? &pending : NULL,
                                  reason) != 0)
        goto done;
    /* 6. recipient list allowed for this type and sender */
    if (policy_check (keyring_roster (keyring), h->type, sender->member, h->recipients,
                      h->n_recipients, opts->now_ms, reason) != 0)
        goto done;
    /* 7. duplicate id */
    if (opts->seen && opts->seen (opts->seen_arg, out->id)) {
        rc = ENVELOPE_DUPLICATE;
        goto done;
    }
    /* 8. clock-skew window */
    if (s_check_window (h, opts, out, reason) != 0)
        goto done;
    if (s_decrypt (keyring, out, reason) != 0)
        goto done;
    if (pending.started)
        opts->overlap (opts->overlap_arg, out);
    rc = ENVELOPE_OK;
done:
    if (s_pending_end (keyring, &pending, reason) != 0) {
        /*  Refused for its signature, as if checked at step 5: nothing
         *  after it counts, and nothing of it is known. */
        rc = ENVELOPE_REFUSED;
        out->transient = false;
        out->window_refused = false;
        out->sender = NULL;
        out->sender_previous_keys = out->sender_overlap = false;
        if (out->plain) {
            sodium_memzero (out->plain, out->plain_len);
            free (out->plain);
        }
        out->plain = NULL;
        out->plain_len = out->body_len = 0;
        out->body = NULL;
    }
    keten__envelope__free_unpacked (env, opts->allocator);
    return rc;
}

void
envelope_opened_clear (envelope_opened_t *opened)
{
    if (opened->header)
        keten__header__free_unpacked (opened->header, opened->allocator);
    if (opened->plain) {
        sodium_memzero (opened->plain, opened->plain_len);
        free (opened->plain);
    }
    memset (opened, 0, sizeof *opened);
}
