/*  libFuzzer harness: envelope_open on arbitrary bytes, at a real
 *  uitvoerder keyring, with the transport peer set as in ketend.  It also
 *  writes one well-formed envelope as a corpus seed (make fuzz copies it)
 *  so that mutations exercise the field-shape checks; keys are fresh per
 *  process, so the seed's signature does not verify in a later run.  */
#include "fuzzfed.h"

static fuzzfed_t s_fed;
static keyring_t *s_uitv, *s_politie;

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
    (void) argc;
    (void) argv;
    fuzzfed_init (&s_fed);
    s_uitv = s_fed.ring[0];
    s_politie = s_fed.ring[1];
    const char *const *ids = fuzzfed_ids;
    kt_reason_t r;
    /*  Write one valid envelope as a seed for -seed_inputs / corpus use. */
    char *to[1] = {(char *) ids[0]};
    const uint8_t body[] = "seed";
    envelope_draft_t d = {
        KETEN__MESSAGE_TYPE__SIGNAL, to, 1, NULL, body, sizeof body, kt_now_ms (), NULL, NULL};
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
    envelope_open_opts_t o = {.max_bytes = 1 << 20,
                              .now_ms = kt_now_ms (),
                              .clock_skew_ms = 300000,
                              .max_age_ms = 86400000,
                              .transport_peer = keyring_peer (s_uitv, "politie-f")};
    envelope_opened_t out;
    kt_reason_t r;
    envelope_open (s_uitv, data, size, &o, &out, &r);
    envelope_opened_clear (&out);
    return 0;
}
