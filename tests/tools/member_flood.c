/*  keten-member-flood: a hostile but authenticated member, for the
 *  integration tests of what one member may cost the uitvoerder.  Seals
 *  and signs COUNT messages of MODE with a member's own keys
 *  (batch-signed, as an outbox does) and sends them to the uitvoerder
 *  as fast as ZeroMQ takes them, then reads answers until 3 s of
 *  silence (tests/integration/lib.sh: kt_member_flood).  Prints what
 *  it sent, how many answers came and the seconds it took.  It decides
 *  nothing.
 *
 *    keten-member-flood SECRET ROSTER UITV_KEY UITV_ID TRANSPORT_HEX ENDPOINT MODE COUNT [ARG]
 *
 *  MODE:
 *    incident     INCIDENT with a 4000-byte description
 *    cpreq        CHECKPOINT asking for the proof ARG ("OLD:NEW")
 *    heartbeat    HEARTBEAT with hostile counts, ARG: its dating offset in ms
 *                 (sent_ms and the header's created_ms, which the clock
 *                 check measures: a member lying about its clock)
 *    badbundle    a bundle frame of 64 one-byte envelopes (no signing)
 *    access       ACCESS_NOTICE naming 64 case refs
 *
 *  FLOOD_ID=HEX sends every message under that id; FLOOD_SAVE=FILE keeps
 *  the first envelope sent, FLOOD_REPLAY=FILE sends that one again (COUNT
 *  times, MODE unused) as an outbox retries it.
 */
#include "config.h"
#include "envelope.h"
#include "keyring.h"
#include "keys.h"
#include "roster.h"
#include "transport.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t
s_body (const char *mode, const char *arg, uint64_t i, uint8_t **out, Keten__MessageType *type)
{
    static char what[4001];
    memset (what, 'x', 4000);
    what[4000] = 0;
    uint64_t now = kt_now_ms ();
    size_t len = 0;
    if (!strcmp (mode, "incident")) {
        Keten__Incident in = KETEN__INCIDENT__INIT;
        char *kinds[] = {"adres"};
        in.what = what;
        in.found_ms = now - 1000;
        in.data_kinds = kinds;
        in.n_data_kinds = 1;
        in.subjects = (uint32_t) i +
                      (getenv ("FLOOD_SUBJECTS") ? (uint32_t) atoi (getenv ("FLOOD_SUBJECTS")) : 0);
        *type = KETEN__MESSAGE_TYPE__INCIDENT;
        len = protobuf_c_message_get_packed_size (&in.base);
        *out = malloc (len);
        protobuf_c_message_pack (&in.base, *out);
    } else if (!strcmp (mode, "cpreq")) {
        Keten__CheckpointMessage m = KETEN__CHECKPOINT_MESSAGE__INIT;
        unsigned long long o = 0, n = 0;
        if (arg)
            sscanf (arg, "%llu:%llu", &o, &n);
        m.request_old_size = o;
        m.request_new_size = n;
        *type = KETEN__MESSAGE_TYPE__CHECKPOINT;
        len = protobuf_c_message_get_packed_size (&m.base);
        *out = malloc (len ? len : 1);
        protobuf_c_message_pack (&m.base, *out);
    } else if (!strcmp (mode, "heartbeat")) {
        Keten__Heartbeat hb = KETEN__HEARTBEAT__INIT;
        static uint8_t inst[16];
        hb.software_version = "1.0";
        hb.uptime_s = UINT64_MAX;
        hb.outbox_depth = UINT64_MAX;
        hb.oldest_undelivered_ms = UINT64_MAX;
        hb.roster_version = UINT64_MAX;
        hb.sent_ms = now + (arg ? (uint64_t) strtoll (arg, NULL, 10) : 0);
        hb.rtt_us = UINT64_MAX;
        hb.checkpoint_size = UINT64_MAX;
        hb.key_age_s = UINT64_MAX;
        hb.heartbeat_ms = UINT64_MAX;
        hb.receipts_max = UINT64_MAX;
        hb.bundle_max = UINT64_MAX;
        memcpy (inst, &i, sizeof i);
        hb.instance_id.data = inst;
        hb.instance_id.len = 16;
        *type = KETEN__MESSAGE_TYPE__HEARTBEAT;
        len = protobuf_c_message_get_packed_size (&hb.base);
        *out = malloc (len);
        protobuf_c_message_pack (&hb.base, *out);
    } else if (!strcmp (mode, "access")) {
        Keten__AccessNotice a = KETEN__ACCESS_NOTICE__INIT;
        static char refs[64][20];
        static char *ref[64];
        for (int k = 0; k < 64; k++) {
            snprintf (refs[k], sizeof refs[k], "k-%016llx",
                      (unsigned long long) (i * 64 + (uint64_t) k));
            ref[k] = refs[k];
        }
        a.case_refs = ref;
        a.n_case_refs = 64;
        a.what = "read";
        a.os_user = "x";
        a.at_ms = now;
        *type = KETEN__MESSAGE_TYPE__ACCESS_NOTICE;
        len = protobuf_c_message_get_packed_size (&a.base);
        *out = malloc (len);
        protobuf_c_message_pack (&a.base, *out);
    }
    return len;
}

/*  The offset a heartbeat's header is dated by (its ARG), 0 otherwise. */
static uint64_t
s_dated (const char *mode, const char *arg)
{
    return !strcmp (mode, "heartbeat") && arg ? (uint64_t) strtoll (arg, NULL, 10) : 0;
}

/*  An envelope's bytes to path, or from it (heap, free()): 0 or -1. */
static int
s_save (const char *path, const uint8_t *data, size_t len)
{
    FILE *f = fopen (path, "wb");
    if (!f)
        return -1;
    size_t put = fwrite (data, 1, len, f);
    return fclose (f) == 0 && put == len ? 0 : -1;
}

static int
s_load (const char *path, uint8_t **data, size_t *len)
{
    FILE *f = fopen (path, "rb");
    if (!f)
        return -1;
    *data = malloc (1 << 16);
    *len = *data ? fread (*data, 1, 1 << 16, f) : 0;
    bool whole = *len > 0 && *len < (1 << 16) && feof (f);
    fclose (f);
    if (!whole) {
        free (*data);
        *data = NULL;
        return -1;
    }
    return 0;
}

int
main (int argc, char **argv)
{
    if (argc != 9 && argc != 10) {
        fprintf (stderr, "usage: keten-member-flood SECRET ROSTER UITV_KEY UITV_ID TRANSPORT_HEX "
                         "ENDPOINT MODE COUNT [ARG]\n");
        return 2;
    }
    const char *mode = argv[7];
    uint64_t count = strtoull (argv[8], NULL, 10);
    const char *arg = argc == 10 ? argv[9] : NULL;
    kt_reason_t reason = {""};
    keys_secret_t *keys = keys_load_secret (argv[1], &reason);
    roster_t *roster = keys ? roster_load (argv[2], argv[3], &reason) : NULL;
    keyring_t *keyring = roster ? keyring_new (keys, &roster, &reason) : NULL;
    uint8_t server[32];
    if (!keyring || kt_unhex (server, 32, argv[5]) != 0) {
        fprintf (stderr, "keten-member-flood: %s\n", reason.text);
        return 2;
    }
    config_t config;
    memset (&config, 0, sizeof config);
    config.max_message = 1 << 24;
    config.hwm = 100000;
    config.heartbeat_ms = 200;
    config.heartbeat_timeout_ms = 2000;
    transport_t *t = transport_connect_to (&config, keys, server, argv[6], &reason);
    if (!t) {
        fprintf (stderr, "keten-member-flood: %s\n", reason.text);
        return 2;
    }
    int64_t t0 = zclock_mono ();
    uint64_t sent = 0, answers = 0;
    zpoller_t *poller = zpoller_new (transport_sock (t), NULL);
    char *to[] = {argv[4]};
    uint8_t *replay = NULL;
    size_t replay_len = 0;
    const char *replay_path = getenv ("FLOOD_REPLAY");
    if (replay_path && s_load (replay_path, &replay, &replay_len) != 0) {
        fprintf (stderr, "keten-member-flood: cannot read %s\n", replay_path);
        return 2;
    }
    enum { BATCH = 256 };
    for (uint64_t done = 0; done < count;) {
        size_t n = count - done < BATCH ? (size_t) (count - done) : BATCH;
        uint8_t *headers[BATCH], *envs[BATCH];
        size_t hlens[BATCH], elens[BATCH];
        /*  FLOOD_REPLAY=FILE: the envelope FLOOD_SAVE kept, byte for
         *  byte, as a member's outbox retries one that got no receipt. */
        if (replay) {
            for (size_t k = 0; k < n; k++)
                while (transport_send (t, NULL, 0, replay, replay_len) != 0)
                    zclock_sleep (1);
            sent += n;
            done += n;
            continue;
        }
        if (!strcmp (mode, "badbundle")) {
            uint8_t frame[1 + 64 * 5];
            frame[0] = 0;
            for (int k = 0; k < 64; k++) {
                uint8_t *p = frame + 1 + k * 5;
                p[0] = p[1] = p[2] = 0;
                p[3] = 1;
                p[4] = 0xff;
            }
            for (size_t k = 0; k < n; k++)
                while (transport_send (t, NULL, 0, frame, sizeof frame) != 0)
                    zclock_sleep (1);
            sent += n;
            done += n;
            continue;
        }
        for (size_t k = 0; k < n; k++) {
            Keten__MessageType type = 0;
            uint8_t *body = NULL;
            size_t blen = s_body (mode, arg, done + k, &body, &type);
            /*  FLOOD_PAD=N: an unknown field (15, bytes) of N bytes after
             *  the body's own, which the body's checker does not see. */
            const char *pad_env = getenv ("FLOOD_PAD");
            size_t pad = pad_env ? strtoull (pad_env, NULL, 10) : 0;
            if (pad) {
                body = realloc (body, blen + 16 + pad);
                uint8_t *p = body + blen;
                *p++ = (15 << 3) | 2;
                for (size_t v = pad;; v >>= 7) {
                    *p++ = (uint8_t) ((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
                    if (v <= 0x7f)
                        break;
                }
                memset (p, 'p', pad);
                blen = (size_t) (p - body) + pad;
            }
            envelope_draft_t draft = {.type = type,
                                      .recipients = to,
                                      .n_recipients = 1,
                                      .body = body,
                                      .body_len = blen,
                                      .created_ms = kt_now_ms () + s_dated (mode, arg)};
            /*  FLOOD_ID=HEX: every message under this id. */
            uint8_t fixed[KT_ID_LEN];
            const char *id_env = getenv ("FLOOD_ID");
            if (id_env && kt_unhex (fixed, KT_ID_LEN, id_env) == 0)
                draft.id = fixed;
            uint8_t id[KT_ID_LEN];
            if (envelope_seal (keyring, &draft, id, &headers[k], &hlens[k], &reason) != 0) {
                fprintf (stderr, "seal: %s\n", reason.text);
                return 1;
            }
            free (body);
        }
        if (envelope_sign (keyring, headers, hlens, n, envs, elens, &reason) != 0) {
            fprintf (stderr, "sign: %s\n", reason.text);
            return 1;
        }
        /*  FLOOD_SAVE=FILE: the first envelope kept, for FLOOD_REPLAY. */
        const char *save = getenv ("FLOOD_SAVE");
        if (save && done == 0 && s_save (save, envs[0], elens[0]) != 0) {
            fprintf (stderr, "keten-member-flood: cannot write %s\n", save);
            return 1;
        }
        for (size_t k = 0; k < n; k++) {
            for (int tries = 0; transport_send (t, NULL, 0, envs[k], elens[k]) != 0; tries++) {
                if (tries > 20000) {
                    fprintf (stderr, "send stuck\n");
                    return 1;
                }
                /*  Read answers meanwhile, so ours are not the bottleneck. */
                transport_msg_t msg;
                while (transport_recv (t, &msg) == 1) {
                    answers++;
                    zframe_destroy (&msg.data);
                }
                zclock_sleep (1);
            }
            sent++;
            free (headers[k]);
            free (envs[k]);
        }
        done += n;
        transport_msg_t msg;
        while (transport_recv (t, &msg) == 1) {
            answers++;
            zframe_destroy (&msg.data);
        }
    }
    int64_t t_sent = zclock_mono ();
    for (;;) {
        if (!zpoller_wait (poller, 3000))
            break;
        transport_msg_t msg;
        while (transport_recv (t, &msg) == 1) {
            answers++;
            zframe_destroy (&msg.data);
        }
    }
    printf ("mode=%s sent=%llu answers=%llu send_s=%.1f total_s=%.1f\n", mode,
            (unsigned long long) sent, (unsigned long long) answers, (t_sent - t0) / 1000.0,
            (zclock_mono () - t0 - 3000) / 1000.0);
    free (replay);
    zpoller_destroy (&poller);
    transport_destroy (&t);
    keyring_destroy (&keyring);
    keys_secret_destroy (&keys);
    return 0;
}
