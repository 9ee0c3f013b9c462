/*  Envelope seal/open: every check of docs/PROTOCOL.md,
 *  "Checks on receipt, in order", refuses what it must.  Real keys, a real
 *  signed roster, no mocks.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include "envelope.h"
#include "keys.h"
#include "note.h"
#include "roster.h"
#include "rosterchange.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_BYTES (1024 * 1024)

typedef struct {
    char dir[64];
    keys_secret_t *keys[4];
    keyring_t *ring[4];   /* uitvoerder, politie, gemeente, rvdk */
} fixture_t;

enum { UITV, POLITIE, GEMEENTE, RVDK };
/*  A referentiekader as a roster names it (art. 7.3). */
static const referentiekader_t s_rk = {.version = "test-2026.1", .example = true};

static const char *s_ids[] = {"uitvoerder-t", "politie-t", "gemeente-t", "rvdk-t"};
static const char *s_kinds[] = {"uitvoerder", "politie", "gemeente", "rvdk"};

static int
s_setup (void **state)
{
    fixture_t *f = calloc (1, sizeof *f);
    assert_int_equal (testutil_tmpdir (f->dir, sizeof f->dir, "envelope"), 0);
    kt_reason_t r;
    char path[128];
    const char *pubs[4];
    char pubpaths[4][128];
    for (int i = 0; i < 4; i++) {
        assert_int_equal (keys_generate (s_ids[i], s_kinds[i], NULL, f->dir, &r), 0);
        snprintf (path, sizeof path, "%s/%s.secret", f->dir, s_ids[i]);
        f->keys[i] = keys_load_secret (path, &r);
        assert_non_null (f->keys[i]);
        snprintf (pubpaths[i], sizeof pubpaths[i], "%s/%s.pub", f->dir, s_ids[i]);
        pubs[i] = pubpaths[i];
    }
    char *note = NULL;
    assert_int_equal (roster_build ("pga-test", 1, pubs, 4, f->keys[UITV], &s_rk, &note, &r), 0);
    char pinned[256];
    assert_int_equal (note_verifier_format (pinned, sizeof pinned, s_ids[UITV],
                                            f->keys[UITV]->pub.signing_pk),
                      0);
    for (int i = 0; i < 4; i++) {
        roster_t *roster = roster_parse (note, strlen (note), pinned, &r);
        assert_non_null (roster);
        f->ring[i] = keyring_new (f->keys[i], &roster, &r);
        assert_non_null (f->ring[i]);
    }
    free (note);
    *state = f;
    return 0;
}

static int
s_teardown (void **state)
{
    fixture_t *f = *state;
    for (int i = 0; i < 4; i++) {
        keyring_destroy (&f->ring[i]);
        keys_secret_destroy (&f->keys[i]);
    }
    assert_int_equal (testutil_rmtree (f->dir), 0);
    free (f);
    return 0;
}

static const uint8_t s_body[] = "a signal body";

/*  A draft of s_body, made at created_ms, to recipients[0]. */
static envelope_draft_t
s_draft (Keten__MessageType type, char **recipients, uint64_t created_ms)
{
    return (envelope_draft_t){.type = type,
                              .recipients = recipients,
                              .n_recipients = 1,
                              .body = s_body,
                              .body_len = sizeof s_body,
                              .created_ms = created_ms};
}

static void
s_assert_contains_text (const char *text, const char *part)
{
    if (!strstr (text, part))
        fail_msg ("'%s' does not contain '%s'", text, part);
}

/*  Seal and sign one message from `from` to `to`. */
static void
s_make (fixture_t *f, int from, int to, Keten__MessageType type, uint64_t created_ms,
        uint8_t **env, size_t *env_len, uint8_t id[KT_ID_LEN])
{
    char *recipients[1] = {(char *) s_ids[to]};
    envelope_draft_t d = s_draft (type, recipients, created_ms);
    uint8_t *header;
    size_t header_len;
    kt_reason_t r;
    assert_int_equal (envelope_seal (f->ring[from], &d, id, &header, &header_len, &r), 0);
    assert_int_equal (envelope_sign (f->ring[from], &header, &header_len, 1, env, env_len, &r), 0);
    free (header);
}

/*  What every test opens with: at most MAX_BYTES, now, a clock skew of
 *  5 minutes and an age of a day; no duplicate check, transport peer,
 *  arena or work beside the signature. */
static envelope_open_opts_t
s_opts (void)
{
    return (envelope_open_opts_t){.max_bytes = MAX_BYTES,
                                  .now_ms = kt_now_ms (),
                                  .clock_skew_ms = 300000,
                                  .max_age_ms = 86400000};
}

static int
s_open (fixture_t *f, int at, const uint8_t *data, size_t len, envelope_seen_fn *seen,
        kt_reason_t *r)
{
    envelope_open_opts_t o = s_opts ();
    o.seen = seen;
    envelope_opened_t out;
    int rc = envelope_open (f->ring[at], data, len, &o, &out, r);
    if (rc == ENVELOPE_OK) {
        assert_int_equal (out.body_len, sizeof s_body);
        assert_memory_equal (out.body, s_body, sizeof s_body);
    }
    envelope_opened_clear (&out);
    return rc;
}

static void
test_sealed_signal_opens_at_the_uitvoerder (void **state)
{
    fixture_t *f = *state;
    uint8_t *env, id[KT_ID_LEN];
    size_t len;
    kt_reason_t r;
    s_make (f, POLITIE, UITV, KETEN__MESSAGE_TYPE__SIGNAL, kt_now_ms (), &env, &len, id);
    assert_int_equal (s_open (f, UITV, env, len, NULL, &r), ENVELOPE_OK);
    free (env);
}

/*  A message sealed with a given content key (a data key from the
 *  keystore's pool): the sealer reads its own copy with that key alone,
 *  no other key reads it, a flipped byte of it fails, and the recipient
 *  opens it as any. */
static void
test_the_content_key_given_opens_the_sealers_own_copy (void **state)
{
    fixture_t *f = *state;
    uint8_t key[ENVELOPE_KEY_LEN], other[ENVELOPE_KEY_LEN];
    randombytes_buf (key, sizeof key);
    randombytes_buf (other, sizeof other);
    char *recipients[1] = {(char *) s_ids[UITV]};
    envelope_draft_t d = s_draft (KETEN__MESSAGE_TYPE__SIGNAL, recipients, kt_now_ms ());
    d.content_key = key;
    uint8_t *header, id[KT_ID_LEN], *body = NULL;
    size_t header_len, body_len = 0;
    kt_reason_t r;
    assert_int_equal (envelope_seal (f->ring[POLITIE], &d, id, &header, &header_len, &r), 0);
    assert_int_equal (envelope_open_own (header, header_len, id, key, &body, &body_len, &r), 0);
    assert_int_equal (body_len, sizeof s_body);
    assert_memory_equal (body, s_body, sizeof s_body);
    free (body);
    assert_int_equal (envelope_open_own (header, header_len, id, other, &body, &body_len, &r), -1);
    s_assert_contains_text (r.text, "does not decrypt");
    /*  A flipped byte of the ciphertext, or a header field the AEAD
     *  binds, never yields a body (the key wraps are not read here). */
    Keten__Header *h = keten__header__unpack (NULL, header_len, header);
    assert_non_null (h);
    uint8_t *c = memmem (header, header_len, h->ciphertext.data, h->ciphertext.len);
    assert_non_null (c);
    for (size_t i = 0; i < h->ciphertext.len; i++) {
        c[i] ^= 0x01;
        body = NULL;
        assert_int_equal (envelope_open_own (header, header_len, id, key, &body, &body_len, &r),
                          -1);
        assert_null (body);
        c[i] ^= 0x01;
    }
    for (int field = 0; field < 4; field++) {
        Keten__Header m = *h;
        uint8_t id2[KT_ID_LEN];
        memcpy (id2, h->id.data, KT_ID_LEN);
        id2[KT_ID_LEN - 1] ^= 1;
        if (field == 0)
            m.created_ms++;
        else if (field == 1)
            m.roster_version++;
        else if (field == 2)
            m.id.data = id2;
        else
            m.sender = (char *) s_ids[GEMEENTE];
        size_t ml = keten__header__get_packed_size (&m);
        uint8_t *mb = malloc (ml);
        assert_non_null (mb);
        keten__header__pack (&m, mb);
        body = NULL;
        assert_int_equal (envelope_open_own (mb, ml, id, key, &body, &body_len, &r), -1);
        assert_null (body);
        if (field == 2) {
            /*  Refused as another message's; asked for as that one, the
             *  AEAD still refuses it. */
            s_assert_contains_text (r.text, "another message's");
            assert_int_equal (envelope_open_own (mb, ml, id2, key, &body, &body_len, &r), -1);
            s_assert_contains_text (r.text, "does not decrypt");
            assert_null (body);
        }
        free (mb);
    }
    keten__header__free_unpacked (h, NULL);
    uint8_t *env;
    size_t env_len;
    assert_int_equal (envelope_sign (f->ring[POLITIE], &header, &header_len, 1, &env, &env_len, &r),
                      0);
    assert_int_equal (s_open (f, UITV, env, env_len, NULL, &r), ENVELOPE_OK);
    free (env);
    free (header);
    /*  Without a key given, the content key is a fresh one: the same key
     *  does not open that. */
    d.content_key = NULL;
    assert_int_equal (envelope_seal (f->ring[POLITIE], &d, id, &header, &header_len, &r), 0);
    assert_int_equal (envelope_open_own (header, header_len, id, key, &body, &body_len, &r), -1);
    free (header);
}

static void
test_tampered_header_is_refused (void **state)
{
    fixture_t *f = *state;
    uint8_t *env, id[KT_ID_LEN];
    size_t len;
    kt_reason_t r;
    s_make (f, POLITIE, UITV, KETEN__MESSAGE_TYPE__SIGNAL, kt_now_ms (), &env, &len, id);
    /*  Flip each byte in turn: nothing may open. */
    for (size_t i = 0; i < len; i++) {
        env[i] ^= 0x01;
        assert_int_not_equal (s_open (f, UITV, env, len, NULL, &r), ENVELOPE_OK);
        env[i] ^= 0x01;
    }
    free (env);
}

/*  A sender that signs a header with a corrupted ciphertext (or a key wrap
 *  from another message) still cannot get it opened: AEAD catches it. */
static void
test_tampered_ciphertext_under_valid_signature_is_refused (void **state)
{
    fixture_t *f = *state;
    uint8_t *env, id[KT_ID_LEN];
    size_t len;
    kt_reason_t r;
    s_make (f, POLITIE, UITV, KETEN__MESSAGE_TYPE__SIGNAL, kt_now_ms (), &env, &len, id);
    Keten__Envelope *e = keten__envelope__unpack (NULL, len, env);
    Keten__Header *h = keten__header__unpack (NULL, e->header.len, e->header.data);
    h->ciphertext.data[h->ciphertext.len / 2] ^= 0x80;
    size_t hlen = keten__header__get_packed_size (h);
    uint8_t *hbuf = malloc (hlen);
    keten__header__pack (h, hbuf);
    uint8_t *env2;
    size_t len2;
    assert_int_equal (envelope_sign (f->ring[POLITIE], &hbuf, &hlen, 1, &env2, &len2, &r), 0);
    assert_int_equal (s_open (f, UITV, env2, len2, NULL, &r), ENVELOPE_REFUSED);
    assert_non_null (strstr (r.text, "decrypt"));
    keten__header__free_unpacked (h, NULL);
    keten__envelope__free_unpacked (e, NULL);
    free (hbuf);
    free (env2);
    free (env);
}

static void
test_message_for_another_node_does_not_open (void **state)
{
    fixture_t *f = *state;
    uint8_t *env, id[KT_ID_LEN];
    size_t len;
    kt_reason_t r;
    /*  A heartbeat from the uitvoerder to politie, presented to the gemeente. */
    s_make (f, UITV, POLITIE, KETEN__MESSAGE_TYPE__HEARTBEAT, kt_now_ms (), &env, &len, id);
    assert_int_equal (s_open (f, GEMEENTE, env, len, NULL, &r), ENVELOPE_REFUSED);
    assert_non_null (strstr (r.text, "not a recipient"));
    assert_int_equal (s_open (f, POLITIE, env, len, NULL, &r), ENVELOPE_OK);
    free (env);
}

static void
test_signature_by_wrong_key_is_refused (void **state)
{
    fixture_t *f = *state;
    uint8_t *env, id[KT_ID_LEN];
    size_t len;
    kt_reason_t r;
    s_make (f, POLITIE, UITV, KETEN__MESSAGE_TYPE__SIGNAL, kt_now_ms (), &env, &len, id);
    /*  The gemeente re-signs politie's header with its own key. */
    Keten__Envelope *e = keten__envelope__unpack (NULL, len, env);
    uint8_t *h = e->header.data, *env2;
    size_t hl = e->header.len, len2;
    assert_int_equal (envelope_sign (f->ring[GEMEENTE], &h, &hl, 1, &env2, &len2, &r), 0);
    assert_int_equal (s_open (f, UITV, env2, len2, NULL, &r), ENVELOPE_REFUSED);
    assert_non_null (strstr (r.text, "signature"));
    keten__envelope__free_unpacked (e, NULL);
    free (env2);
    free (env);
}

/*  What the caller's work beside a signature's check saw (opts.overlap). */
static int s_overlap_calls;

static void
s_overlap (void *arg, const envelope_opened_t *opened)
{
    (void) arg;
    s_overlap_calls++;
    assert_int_equal (opened->body_len, sizeof s_body);
    assert_memory_equal (opened->body, s_body, sizeof s_body);
}

/*  env (len bytes) with one bit of its signature flipped (heap). */
static uint8_t *
s_bad_signature (const uint8_t *env, size_t len, size_t *len_p)
{
    Keten__Envelope *e = keten__envelope__unpack (NULL, len, env);
    assert_non_null (e);
    e->signature.data[7] ^= 0x10;
    *len_p = keten__envelope__get_packed_size (e);
    uint8_t *bad = malloc (*len_p);
    assert_non_null (bad);
    keten__envelope__pack (e, bad);
    keten__envelope__free_unpacked (e, NULL);
    return bad;
}

static bool
s_seen_always (void *arg, const uint8_t id[KT_ID_LEN])
{
    (void) arg;
    (void) id;
    return true;
}

/*  A signature checked on the verifier's thread while the caller's work
 *  runs (opts.overlap, for the types it names): a good one opens as in
 *  place, the work done once with the decrypted body; a bad one is
 *  refused for its signature with nothing of the body or sender left,
 *  though the work ran, and is not reported as a duplicate; another
 *  type, or a batch whose signature was verified before, is checked in
 *  place, without the work.  Many in a row: the thread is kept. */
static void
test_a_signature_checked_beside_the_callers_work (void **state)
{
    fixture_t *f = *state;
    kt_reason_t r;
    envelope_open_opts_t o = s_opts ();
    o.overlap = s_overlap;
    o.overlap_types = UINT32_C (1) << KETEN__MESSAGE_TYPE__SIGNAL;
    envelope_opened_t out;
    for (int round = 0; round < 20; round++) {
        uint8_t *env, id[KT_ID_LEN];
        size_t len, bad_len;
        s_make (f, POLITIE, UITV, KETEN__MESSAGE_TYPE__SIGNAL, kt_now_ms (), &env, &len, id);
        s_overlap_calls = 0;
        assert_int_equal (envelope_open (f->ring[UITV], env, len, &o, &out, &r), ENVELOPE_OK);
        assert_int_equal (s_overlap_calls, 1);
        assert_int_equal (out.body_len, sizeof s_body);
        assert_memory_equal (out.body, s_body, sizeof s_body);
        assert_string_equal (out.sender->member->id, s_ids[POLITIE]);
        envelope_opened_clear (&out);
        uint8_t *bad = s_bad_signature (env, len, &bad_len);
        s_overlap_calls = 0;
        assert_int_equal (envelope_open (f->ring[UITV], bad, bad_len, &o, &out, &r),
                          ENVELOPE_REFUSED);
        assert_int_equal (s_overlap_calls, 1);
        s_assert_contains_text (r.text, "bad signature");
        assert_null (out.body);
        assert_null (out.plain);
        assert_null (out.sender);
        envelope_opened_clear (&out);
        /*  A duplicate id with a bad signature: the signature's refusal. */
        o.seen = s_seen_always;
        assert_int_equal (envelope_open (f->ring[UITV], bad, bad_len, &o, &out, &r),
                          ENVELOPE_REFUSED);
        s_assert_contains_text (r.text, "bad signature");
        envelope_opened_clear (&out);
        assert_int_equal (envelope_open (f->ring[UITV], env, len, &o, &out, &r),
                          ENVELOPE_DUPLICATE);
        envelope_opened_clear (&out);
        o.seen = NULL;
        free (bad);
        free (env);
    }
    /*  Another type: in place. */
    uint8_t *env, id[KT_ID_LEN];
    size_t len;
    s_make (f, UITV, POLITIE, KETEN__MESSAGE_TYPE__RECEIPT, kt_now_ms (), &env, &len, id);
    s_overlap_calls = 0;
    assert_int_equal (envelope_open (f->ring[POLITIE], env, len, &o, &out, &r), ENVELOPE_OK);
    assert_int_equal (s_overlap_calls, 0);
    envelope_opened_clear (&out);
    free (env);
    /*  A batch of three: its first checked beside the work, the others
     *  found verified; a batch whose signature is bad is refused whole
     *  and not remembered. */
    for (int good = 1; good >= 0; good--) {
        enum { N = 3 };
        uint8_t *headers[N], *envs[N], ids[N][KT_ID_LEN];
        size_t lens[N], env_lens[N];
        char *recipients[1] = {(char *) s_ids[UITV]};
        for (int i = 0; i < N; i++) {
            envelope_draft_t d = s_draft (KETEN__MESSAGE_TYPE__SIGNAL, recipients, kt_now_ms ());
            assert_int_equal (
                envelope_seal (f->ring[POLITIE], &d, ids[i], &headers[i], &lens[i], &r), 0);
        }
        assert_int_equal (envelope_sign (f->ring[POLITIE], headers, lens, N, envs, env_lens, &r),
                          0);
        for (int i = 0; i < N; i++) {
            uint8_t *msg = envs[i];
            size_t msg_len = env_lens[i];
            if (!good)
                msg = s_bad_signature (envs[i], env_lens[i], &msg_len);
            s_overlap_calls = 0;
            assert_int_equal (envelope_open (f->ring[UITV], msg, msg_len, &o, &out, &r),
                              good ? ENVELOPE_OK : ENVELOPE_REFUSED);
            assert_int_equal (s_overlap_calls, good && i > 0 ? 0 : 1);
            envelope_opened_clear (&out);
            if (!good)
                free (msg);
            free (headers[i]);
            free (envs[i]);
        }
    }
}

static void
test_truncated_and_oversize_input_is_refused (void **state)
{
    fixture_t *f = *state;
    uint8_t *env, id[KT_ID_LEN];
    size_t len;
    kt_reason_t r;
    s_make (f, POLITIE, UITV, KETEN__MESSAGE_TYPE__SIGNAL, kt_now_ms (), &env, &len, id);
    for (size_t cut = 0; cut < len; cut++)
        assert_int_equal (s_open (f, UITV, env, cut, NULL, &r), ENVELOPE_REFUSED);
    envelope_open_opts_t o = s_opts ();
    o.max_bytes = len - 1;
    envelope_opened_t out;
    assert_int_equal (envelope_open (f->ring[UITV], env, len, &o, &out, &r), ENVELOPE_REFUSED);
    assert_non_null (strstr (r.text, "bytes"));
    envelope_opened_clear (&out);
    free (env);
}

static void
test_replayed_id_is_reported_as_duplicate (void **state)
{
    fixture_t *f = *state;
    uint8_t *env, id[KT_ID_LEN];
    size_t len;
    kt_reason_t r;
    s_make (f, POLITIE, UITV, KETEN__MESSAGE_TYPE__SIGNAL, kt_now_ms (), &env, &len, id);
    assert_int_equal (s_open (f, UITV, env, len, s_seen_always, &r), ENVELOPE_DUPLICATE);
    free (env);
}

static void
test_message_outside_clock_window_is_refused (void **state)
{
    fixture_t *f = *state;
    uint8_t *env, id[KT_ID_LEN];
    size_t len;
    kt_reason_t r;
    s_make (f, POLITIE, UITV, KETEN__MESSAGE_TYPE__SIGNAL, kt_now_ms () + 3600000, &env, &len, id);
    assert_int_equal (s_open (f, UITV, env, len, NULL, &r), ENVELOPE_REFUSED);
    assert_non_null (strstr (r.text, "future"));
    /*  Passing condition: marked transient so no final refusal is sent. */
    envelope_open_opts_t o = s_opts ();
    envelope_opened_t out;
    assert_int_equal (envelope_open (f->ring[UITV], env, len, &o, &out, &r), ENVELOPE_REFUSED);
    assert_true (out.transient);
    envelope_opened_clear (&out);
    free (env);
    s_make (f, POLITIE, UITV, KETEN__MESSAGE_TYPE__SIGNAL, kt_now_ms () - 2 * 86400000ull, &env,
            &len, id);
    assert_int_equal (s_open (f, UITV, env, len, NULL, &r), ENVELOPE_REFUSED);
    assert_non_null (strstr (r.text, "older"));
    free (env);
}

static void
test_signal_from_casuspartij_is_refused (void **state)
{
    fixture_t *f = *state;
    uint8_t *env, id[KT_ID_LEN];
    size_t len;
    kt_reason_t r;
    s_make (f, RVDK, UITV, KETEN__MESSAGE_TYPE__SIGNAL, kt_now_ms (), &env, &len, id);
    assert_int_equal (s_open (f, UITV, env, len, NULL, &r), ENVELOPE_REFUSED);
    assert_non_null (strstr (r.text, "art. 7.1"));
    free (env);
}

static void
test_sender_must_match_transport_identity (void **state)
{
    fixture_t *f = *state;
    uint8_t *env, id[KT_ID_LEN];
    size_t len;
    kt_reason_t r;
    s_make (f, POLITIE, UITV, KETEN__MESSAGE_TYPE__SIGNAL, kt_now_ms (), &env, &len, id);
    envelope_open_opts_t o = s_opts ();
    o.transport_peer = keyring_peer (f->ring[UITV], s_ids[GEMEENTE]);
    envelope_opened_t out;
    assert_int_equal (envelope_open (f->ring[UITV], env, len, &o, &out, &r), ENVELOPE_REFUSED);
    assert_non_null (strstr (r.text, "transport"));
    envelope_opened_clear (&out);
    free (env);
}

static void
test_batch_signature_covers_every_member_and_only_them (void **state)
{
    fixture_t *f = *state;
    enum { N = 13 };
    uint8_t *headers[N], *envs[N];
    size_t lens[N], env_lens[N];
    kt_reason_t r;
    char *to[1] = {(char *) s_ids[UITV]};
    for (int i = 0; i < N; i++) {
        envelope_draft_t d = s_draft (KETEN__MESSAGE_TYPE__SIGNAL, to, kt_now_ms ());
        uint8_t id[KT_ID_LEN];
        assert_int_equal (envelope_seal (f->ring[POLITIE], &d, id, &headers[i], &lens[i], &r), 0);
    }
    assert_int_equal (envelope_sign (f->ring[POLITIE], headers, lens, N, envs, env_lens, &r), 0);
    for (int i = 0; i < N; i++)
        assert_int_equal (s_open (f, UITV, envs[i], env_lens[i], NULL, &r), ENVELOPE_OK);
    /*  Swap the batch proofs of two members: each header no longer matches
     *  its path, even though root and signature are valid. */
    Keten__Envelope *a = keten__envelope__unpack (NULL, env_lens[0], envs[0]);
    Keten__Envelope *b = keten__envelope__unpack (NULL, env_lens[1], envs[1]);
    Keten__BatchProof *tmp = a->batch;
    a->batch = b->batch;
    b->batch = tmp;
    size_t alen = keten__envelope__get_packed_size (a);
    uint8_t *abuf = malloc (alen);
    keten__envelope__pack (a, abuf);
    assert_int_equal (s_open (f, UITV, abuf, alen, NULL, &r), ENVELOPE_REFUSED);
    b->batch = a->batch;
    a->batch = tmp;
    keten__envelope__free_unpacked (a, NULL);
    keten__envelope__free_unpacked (b, NULL);
    free (abuf);
    for (int i = 0; i < N; i++) {
        free (headers[i]);
        free (envs[i]);
    }
}

/*  The leaves envelope_sign_leaves gives the sender are the leaf hashes
 *  the receiver finds for the same headers (what the uitvoerder's log
 *  entry names as header_hash), alone and in a batch. */
static void
test_the_signers_leaves_are_the_receivers (void **state)
{
    fixture_t *f = *state;
    enum { N = 5 };
    char *to[1] = {(char *) s_ids[UITV]};
    for (size_t n = 1; n <= N; n += N - 1) {
        uint8_t *headers[N], *envs[N], leaves[N][32];
        size_t lens[N], env_lens[N];
        kt_reason_t r;
        for (size_t i = 0; i < n; i++) {
            envelope_draft_t d = s_draft (KETEN__MESSAGE_TYPE__SIGNAL, to, kt_now_ms ());
            uint8_t id[KT_ID_LEN];
            assert_int_equal (envelope_seal (f->ring[POLITIE], &d, id, &headers[i], &lens[i], &r),
                              0);
        }
        assert_int_equal (
            envelope_sign_leaves (f->ring[POLITIE], headers, lens, n, envs, env_lens, leaves, &r),
            0);
        for (size_t i = 0; i < n; i++) {
            envelope_open_opts_t o = s_opts ();
            envelope_opened_t out;
            assert_int_equal (envelope_open (f->ring[UITV], envs[i], env_lens[i], &o, &out, &r),
                              ENVELOPE_OK);
            assert_memory_equal (out.leaf_hash, leaves[i], 32);
            envelope_opened_clear (&out);
            free (headers[i]);
            free (envs[i]);
        }
    }
}

/*  Key rotation with an overlap (issue #5): politie and gemeente get new
 *  keys in roster version 2 and may run either key file until the overlap
 *  ends.  Every pair of old/new key files must still talk; after the
 *  overlap the old keys are refused. */
static keyring_t *
s_ring (const char *note, const char *pinned, const keys_secret_t *keys)
{
    kt_reason_t r;
    roster_t *roster = roster_parse (note, strlen (note), pinned, &r);
    if (!roster)
        fail_msg ("%s", r.text);
    keyring_t *ring = keyring_new (keys, &roster, &r);
    if (!ring)
        fail_msg ("%s", r.text);
    return ring;
}

static int
s_open_with (keyring_t *ring, const uint8_t *env, size_t len, uint64_t now, kt_reason_t *r)
{
    envelope_open_opts_t o = s_opts ();
    o.now_ms = now;
    envelope_opened_t out;
    int rc = envelope_open (ring, env, len, &o, &out, r);
    if (rc == ENVELOPE_OK)
        assert_memory_equal (out.body, s_body, sizeof s_body);
    envelope_opened_clear (&out);
    return rc;
}

static void
s_send (keyring_t *from, const char *to, Keten__MessageType type, uint8_t **env, size_t *len)
{
    char *recipients[1] = {(char *) to};
    envelope_draft_t d = s_draft (type, recipients, kt_now_ms ());
    uint8_t *header, id[KT_ID_LEN];
    size_t header_len;
    kt_reason_t r;
    assert_int_equal (envelope_seal (from, &d, id, &header, &header_len, &r), 0);
    assert_int_equal (envelope_sign (from, &header, &header_len, 1, env, len, &r), 0);
    free (header);
}

/*  The uitvoerder key line every node pins. */
static void
s_pinned (fixture_t *f, char *pinned, size_t len)
{
    assert_int_equal (note_verifier_format (pinned, len, s_ids[UITV],
                                            f->keys[UITV]->pub.signing_pk),
                      0);
}

/*  A new key file for member who, made in the fixture's directory sub. */
static keys_secret_t *
s_new_keys (fixture_t *f, const char *sub, int who)
{
    char dir[128], path[192];
    kt_reason_t r;
    snprintf (dir, sizeof dir, "%s/%s", f->dir, sub);
    assert_int_equal (keys_generate (s_ids[who], s_kinds[who], NULL, dir, &r), 0);
    snprintf (path, sizeof path, "%s/%s.secret", dir, s_ids[who]);
    keys_secret_t *keys = keys_load_secret (path, &r);
    assert_non_null (keys);
    return keys;
}

static void
test_rotated_keys_work_in_every_combination_during_the_overlap (void **state)
{
    fixture_t *f = *state;
    kt_reason_t r;
    char pinned[256];
    s_pinned (f, pinned, sizeof pinned);
    /*  New key files for politie and gemeente, and the rotated roster. */
    keys_secret_t *fresh[2];
    int who[2] = {POLITIE, GEMEENTE};
    const roster_t *v1 = keyring_roster (f->ring[UITV]);
    char *note = NULL;
    roster_t *cur = NULL;
    for (int k = 0; k < 2; k++) {
        fresh[k] = s_new_keys (f, "new", who[k]);
        roster_change_t c = {.op = ROSTER_CHANGE_ROTATE, .pub = &fresh[k]->pub, .overlap_days = 7};
        char *next = NULL;
        if (roster_change (cur ? cur : v1, &c, f->keys[UITV], &next, &r) != 0)
            fail_msg ("%s", r.text);
        roster_destroy (&cur);
        cur = roster_parse (next, strlen (next), pinned, &r);
        assert_non_null (cur);
        free (note);
        note = next;
    }
    roster_destroy (&cur);
    keyring_t *uitv = s_ring (note, pinned, f->keys[UITV]);
    keyring_t *pol[2] = {s_ring (note, pinned, f->keys[POLITIE]), s_ring (note, pinned, fresh[0])};
    keyring_t *gem[2] = {s_ring (note, pinned, f->keys[GEMEENTE]),
                         s_ring (note, pinned, fresh[1])};
    assert_true (keyring_self_previous (pol[0]));
    assert_false (keyring_self_previous (pol[1]));
    uint8_t *env;
    size_t len;
    for (int p = 0; p < 2; p++) {
        /*  A signal under old or new police keys opens at the uitvoerder. */
        s_send (pol[p], s_ids[UITV], KETEN__MESSAGE_TYPE__SIGNAL, &env, &len);
        assert_int_equal (s_open_with (uitv, env, len, kt_now_ms (), &r), ENVELOPE_OK);
        /*  ... and after the overlap only under the new keys. */
        uint64_t later = kt_now_ms () + 8 * 86400000ull;
        int rc = s_open_with (uitv, env, len, later, &r);
        assert_int_equal (rc, ENVELOPE_REFUSED);
        if (p == 0)
            s_assert_contains_text (r.text, "overlap has ended");
        free (env);
        /*  The uitvoerder reaches either key file of politie and gemeente. */
        keyring_t *to[2] = {pol[p], gem[p]};
        for (int k = 0; k < 2; k++) {
            s_send (uitv, s_ids[who[k]], KETEN__MESSAGE_TYPE__HEARTBEAT, &env, &len);
            int ok = s_open_with (to[k], env, len, kt_now_ms (), &r);
            if (ok != ENVELOPE_OK)
                fail_msg ("uitvoerder -> %s on %s keys: %s", s_ids[who[k]], p ? "new" : "old",
                          r.text);
            free (env);
        }
    }
    /*  The uitvoerder on v1 does not know the new keys: a message under
     *  them is refused; one it sealed under v1 does not open at a node
     *  that already runs its new keys. */
    s_send (pol[1], s_ids[UITV], KETEN__MESSAGE_TYPE__SIGNAL, &env, &len);
    assert_int_equal (s_open_with (f->ring[UITV], env, len, kt_now_ms (), &r), ENVELOPE_REFUSED);
    free (env);
    s_send (f->ring[UITV], s_ids[POLITIE], KETEN__MESSAGE_TYPE__HEARTBEAT, &env, &len);
    assert_int_equal (s_open_with (pol[1], env, len, kt_now_ms (), &r), ENVELOPE_REFUSED);
    assert_int_equal (s_open_with (pol[0], env, len, kt_now_ms (), &r), ENVELOPE_OK);
    free (env);
    /*  Outbox items across the switch: sealed under the old key file
     *  (with or without knowing of the rotation), signed at send time by
     *  the new one.  Accepted during the overlap, refused after it. */
    keyring_t *sealers[2] = {pol[0], f->ring[POLITIE]};
    for (int k = 0; k < 2; k++) {
        char *recipients[1] = {(char *) s_ids[UITV]};
        envelope_draft_t d = s_draft (KETEN__MESSAGE_TYPE__SIGNAL, recipients, kt_now_ms ());
        uint8_t *header, id[KT_ID_LEN];
        size_t header_len;
        assert_int_equal (envelope_seal (sealers[k], &d, id, &header, &header_len, &r), 0);
        assert_int_equal (envelope_sign (pol[1], &header, &header_len, 1, &env, &len, &r), 0);
        free (header);
        if (s_open_with (uitv, env, len, kt_now_ms (), &r) != ENVELOPE_OK)
            fail_msg ("outbox item sealed %s the rotation, signed after the switch: %s",
                      k ? "before" : "during", r.text);
        assert_int_equal (s_open_with (uitv, env, len, kt_now_ms () + 8 * 86400000ull, &r),
                          ENVELOPE_REFUSED);
        free (env);
    }
    /*  A police node still on version 1 (old keys) reads what the
     *  uitvoerder seals under version 2 - the new roster itself included. */
    s_send (uitv, s_ids[POLITIE], KETEN__MESSAGE_TYPE__ROSTER, &env, &len);
    if (s_open_with (f->ring[POLITIE], env, len, kt_now_ms (), &r) != ENVELOPE_OK)
        fail_msg ("a node behind on the roster cannot read the uitvoerder: %s", r.text);
    free (env);
    /*  A police node that has not applied version 2 yet signs with its
     *  old keys without saying so: accepted during the overlap only. */
    s_send (f->ring[POLITIE], s_ids[UITV], KETEN__MESSAGE_TYPE__SIGNAL, &env, &len);
    assert_int_equal (s_open_with (uitv, env, len, kt_now_ms (), &r), ENVELOPE_OK);
    assert_int_equal (s_open_with (uitv, env, len, kt_now_ms () + 8 * 86400000ull, &r),
                      ENVELOPE_REFUSED);
    free (env);
    for (int k = 0; k < 2; k++) {
        keyring_destroy (&pol[k]);
        keyring_destroy (&gem[k]);
        keys_secret_destroy (&fresh[k]);
    }
    keyring_destroy (&uitv);
    free (note);
}

/*  A message the uitvoerder sealed for politie's old keys, still waiting
 *  when politie's keys are rotated without an overlap: wrapped again, it
 *  opens under the new key file and no longer under the old one (unless
 *  the old wrap is kept on purpose, as for a roster). */
static void
test_a_waiting_message_is_wrapped_again_for_rotated_keys (void **state)
{
    fixture_t *f = *state;
    kt_reason_t r;
    char pinned[256];
    s_pinned (f, pinned, sizeof pinned);
    keys_secret_t *fresh = s_new_keys (f, "rot0", POLITIE);
    roster_change_t c = {.op = ROSTER_CHANGE_ROTATE, .pub = &fresh->pub, .overlap_days = 0};
    char *note = NULL;
    if (roster_change (keyring_roster (f->ring[UITV]), &c, f->keys[UITV], &note, &r) != 0)
        fail_msg ("%s", r.text);
    keyring_t *uitv = s_ring (note, pinned, f->keys[UITV]);
    keyring_t *pol = s_ring (note, pinned, fresh);
    const uint8_t *old_shared = keyring_peer (f->ring[UITV], s_ids[POLITIE])->shared_key;
    for (int keep_old = 0; keep_old < 2; keep_old++) {
        char *recipients[1] = {(char *) s_ids[POLITIE]};
        envelope_draft_t d =
            s_draft (KETEN__MESSAGE_TYPE__WEEGPLOEG_AGENDA, recipients, kt_now_ms ());
        uint8_t *header, id[KT_ID_LEN], *env;
        size_t header_len, len;
        assert_int_equal (envelope_seal (f->ring[UITV], &d, id, &header, &header_len, &r), 0);
        /*  Not under the new keys yet: the new key file cannot read it. */
        assert_int_equal (envelope_sign (uitv, &header, &header_len, 1, &env, &len, &r), 0);
        assert_int_equal (s_open_with (pol, env, len, kt_now_ms (), &r), ENVELOPE_REFUSED);
        s_assert_contains_text (r.text, "does not unwrap");
        free (env);
        if (envelope_rewrap (uitv, s_ids[POLITIE], old_shared, keep_old, &header, &header_len,
                             &r)
            != 1)
            fail_msg ("not wrapped again: %s", r.text);
        /*  Done once: a wrap for the current key is left alone. */
        assert_int_equal (envelope_rewrap (uitv, s_ids[POLITIE], old_shared, keep_old, &header,
                                           &header_len, &r),
                          0);
        assert_int_equal (envelope_sign (uitv, &header, &header_len, 1, &env, &len, &r), 0);
        if (s_open_with (pol, env, len, kt_now_ms (), &r) != ENVELOPE_OK)
            fail_msg ("the new key file cannot read it: %s", r.text);
        assert_int_equal (s_open_with (f->ring[POLITIE], env, len, kt_now_ms (), &r),
                          keep_old ? ENVELOPE_OK : ENVELOPE_REFUSED);
        free (env);
        free (header);
    }
    /*  Only the sealer holds the wrap's other half. */
    char *recipients[1] = {(char *) s_ids[UITV]};
    envelope_draft_t d = s_draft (KETEN__MESSAGE_TYPE__SIGNAL, recipients, kt_now_ms ());
    uint8_t *header, id[KT_ID_LEN];
    size_t header_len;
    assert_int_equal (envelope_seal (f->ring[POLITIE], &d, id, &header, &header_len, &r), 0);
    assert_int_equal (envelope_rewrap (uitv, s_ids[UITV], old_shared, false, &header,
                                       &header_len, &r),
                      -1);
    s_assert_contains_text (r.text, "only the sealer");
    /*  A header that does not decode is left as it is. */
    header[0] ^= 0xff;
    header_len = 3;
    assert_int_equal (envelope_rewrap (uitv, s_ids[POLITIE], old_shared, false, &header,
                                       &header_len, &r),
                      0);
    free (header);
    keyring_destroy (&uitv);
    keyring_destroy (&pol);
    keys_secret_destroy (&fresh);
    free (note);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_sealed_signal_opens_at_the_uitvoerder),
        cmocka_unit_test (test_the_content_key_given_opens_the_sealers_own_copy),
        cmocka_unit_test (test_tampered_header_is_refused),
        cmocka_unit_test (test_tampered_ciphertext_under_valid_signature_is_refused),
        cmocka_unit_test (test_message_for_another_node_does_not_open),
        cmocka_unit_test (test_signature_by_wrong_key_is_refused),
        cmocka_unit_test (test_a_signature_checked_beside_the_callers_work),
        cmocka_unit_test (test_truncated_and_oversize_input_is_refused),
        cmocka_unit_test (test_replayed_id_is_reported_as_duplicate),
        cmocka_unit_test (test_message_outside_clock_window_is_refused),
        cmocka_unit_test (test_signal_from_casuspartij_is_refused),
        cmocka_unit_test (test_sender_must_match_transport_identity),
        cmocka_unit_test (test_batch_signature_covers_every_member_and_only_them),
        cmocka_unit_test (test_the_signers_leaves_are_the_receivers),
        cmocka_unit_test (test_rotated_keys_work_in_every_combination_during_the_overlap),
        cmocka_unit_test (test_a_waiting_message_is_wrapped_again_for_rotated_keys),
    };
    if (sodium_init () < 0)
        return 1;
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
