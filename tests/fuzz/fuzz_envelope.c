/*  libFuzzer harness: envelope_open on arbitrary bytes, at a real
 *  uitvoerder keyring, with the transport peer set as in ketend.  It also
 *  writes one well-formed envelope as a corpus seed (make fuzz copies it)
 *  so that mutations exercise the field-shape checks; keys are fresh per
 *  process, so the seed's signature does not verify in a later run.  */
#include "envelope.h"
#include "keys.h"
#include "note.h"
#include "roster.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static keyring_t *s_uitv, *s_politie;
static keys_secret_t *s_keys[2];

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
    (void) argc;
    (void) argv;
    if (sodium_init () < 0)
        abort ();
    char dir[] = "/tmp/keten-fuzz.XXXXXX";
    if (!mkdtemp (dir))
        abort ();
    const char *ids[] = {"uitvoerder-f", "politie-f"}, *kinds[] = {"uitvoerder", "politie"};
    char pubs[2][128];
    const char *pub_p[2];
    kt_reason_t r;
    for (int i = 0; i < 2; i++) {
        char path[128];
        if (keys_generate (ids[i], kinds[i], NULL, dir, &r) != 0)
            abort ();
        snprintf (path, sizeof path, "%s/%s.secret", dir, ids[i]);
        s_keys[i] = keys_load_secret (path, &r);
        snprintf (pubs[i], sizeof pubs[i], "%s/%s.pub", dir, ids[i]);
        pub_p[i] = pubs[i];
    }
    char *note, pinned[256];
    if (roster_build ("pga-fuzz", 1, pub_p, 2, s_keys[0], &note, &r) != 0)
        abort ();
    note_verifier_format (pinned, sizeof pinned, ids[0], s_keys[0]->pub.signing_pk);
    roster_t *r1 = roster_parse (note, strlen (note), pinned, &r);
    roster_t *r2 = roster_parse (note, strlen (note), pinned, &r);
    free (note);
    s_uitv = keyring_new (s_keys[0], &r1, &r);
    s_politie = keyring_new (s_keys[1], &r2, &r);
    if (!s_uitv || !s_politie)
        abort ();
    /*  Write one valid envelope as a seed for -seed_inputs / corpus use. */
    char *to[1] = {(char *) ids[0]};
    const uint8_t body[] = "seed";
    envelope_draft_t d = {KETEN__MESSAGE_TYPE__SIGNAL, to, 1, NULL, body, sizeof body,
                          kt_now_ms (), NULL};
    uint8_t id[KT_ID_LEN], *header, *env;
    size_t hlen, elen;
    if (envelope_seal (s_politie, &d, id, &header, &hlen, &r) == 0
        && envelope_sign (s_politie, &header, &hlen, 1, &env, &elen, &r) == 0) {
        FILE *f = fopen ("/tmp/keten-fuzz-envelope.seed", "wb");
        if (f) {
            fwrite (env, 1, elen, f);
            fclose (f);
        }
        free (env);
        free (header);
    }
    return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    envelope_open_opts_t o = {1 << 20, kt_now_ms (), 300000, 86400000, NULL, NULL,
                              keyring_peer (s_uitv, "politie-f")};
    envelope_opened_t out;
    kt_reason_t r;
    envelope_open (s_uitv, data, size, &o, &out, &r);
    envelope_opened_clear (&out);
    return 0;
}
