/*  libFuzzer harness: a message as an admitted member sends it - sealed
 *  for its recipient and signed with the sender's real key - opened at the
 *  recipient (decryption, header and policy checks) and its body decoded
 *  and checked as the dispatcher does, for every message type, in both
 *  directions.  fuzz_envelope never gets past the signature; this one
 *  starts after it.  Byte 0 picks the type, byte 1 the direction, the
 *  rest is the body.  */
#include "fuzzfed.h"
#include "policy.h"

static fuzzfed_t s_fed;

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
    (void) argc;
    (void) argv;
    fuzzfed_init (&s_fed);
    return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    Keten__MessageType type = (Keten__MessageType) data[0];
    int from = data[1] & 1, to = !from;
    char *recipients[1] = {(char *) fuzzfed_ids[to]};
    envelope_draft_t d = {type, recipients, 1, NULL, data + 2, size - 2, kt_now_ms (), NULL, NULL};
    uint8_t id[KT_ID_LEN], *header = NULL, *env = NULL;
    size_t header_len, env_len;
    kt_reason_t r;
    if (envelope_seal (s_fed.ring[from], &d, id, &header, &header_len, &r) != 0)
        return 0;
    if (envelope_sign (s_fed.ring[from], &header, &header_len, 1, &env, &env_len, &r) != 0) {
        free (header);
        return 0;
    }
    free (header);
    envelope_open_opts_t o = {.max_bytes = 1 << 20,
                              .now_ms = kt_now_ms (),
                              .clock_skew_ms = 300000,
                              .max_age_ms = 86400000,
                              .transport_peer = keyring_peer (s_fed.ring[to], fuzzfed_ids[from])};
    envelope_opened_t out;
    if (envelope_open (s_fed.ring[to], env, env_len, &o, &out, &r) == ENVELOPE_OK) {
        const policy_body_t *b = policy_body (out.header->type);
        ProtobufCMessage *body =
            b ? protobuf_c_message_unpack (b->descriptor, NULL, out.body_len, out.body) : NULL;
        if (body && b->check)
            b->check (body, &r);
        if (body)
            protobuf_c_message_free_unpacked (body, NULL);
    }
    envelope_opened_clear (&out);
    free (env);
    return 0;
}
