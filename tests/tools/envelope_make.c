/*  keten-envelope-make: for tests that send what a member's software
 *  would send only by a fault (keten-peer-send sends the bytes it writes
 *  to OUT_FILE).  It decides nothing: the tests assert on what the
 *  uitvoerder answered, stored and logged.
 *
 *    keten-envelope-make SECRET_KEY_FILE ROSTER_FILE UITVOERDER_KEY TO ID_HEX OUT_FILE
 *      one SIGNAL envelope to TO under the message id ID_HEX, sealed and
 *      signed with the node's keys, as a member whose software reused an
 *      id would send it (tests/integration/test_id_reused.sh).  The body
 *      is a few bytes, not a signal: the uitvoerder refuses a reused id
 *      before it opens a body.
 *    keten-envelope-make SECRET_KEY_FILE ROSTER_FILE UITVOERDER_KEY --header HEADER_FILE OUT_FILE
 *      a header the node sealed and keeps (a politie node's signal row),
 *      signed as its outbox sends it again (tests/integration/
 *      test_signal_deleted.sh).
 */
#include "envelope.h"
#include "keyring.h"
#include "keys.h"
#include "roster.h"
#include "util.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
main (int argc, char **argv)
{
    if (argc != 7) {
        fprintf (stderr, "usage: keten-envelope-make SECRET_KEY_FILE ROSTER_FILE UITVOERDER_KEY "
                         "(TO ID_HEX | --header HEADER_FILE) OUT_FILE\n");
        return 2;
    }
    bool resend = strcmp (argv[4], "--header") == 0;
    kt_reason_t reason = {""};
    keys_secret_t *keys = keys_load_secret (argv[1], &reason);
    roster_t *roster = keys ? roster_load (argv[2], argv[3], &reason) : NULL;
    keyring_t *keyring = roster ? keyring_new (keys, &roster, &reason) : NULL;
    uint8_t id[KT_ID_LEN];
    int rc = 1;
    uint8_t *header = NULL, *env = NULL;
    size_t header_len = 0, env_len = 0;
    if (!keyring)
        fprintf (stderr, "keten-envelope-make: %s\n", reason.text);
    else if (resend) {
        char *data = NULL;
        size_t len = 0;
        if (kt_read_file (argv[5], 1 << 24, &data, &len, &reason) != 0 || len == 0)
            fprintf (stderr, "keten-envelope-make: %s\n", len ? reason.text : "empty header");
        else {
            header = (uint8_t *) data;
            header_len = len;
            if (envelope_sign (keyring, &header, &header_len, 1, &env, &env_len, &reason) != 0 ||
                kt_write_file (argv[6], env, env_len, 0600, &reason) != 0)
                fprintf (stderr, "keten-envelope-make: %s\n", reason.text);
            else
                rc = 0;
        }
    } else if (strlen (argv[5]) != 2 * KT_ID_LEN || kt_unhex (id, KT_ID_LEN, argv[5]) != 0)
        fprintf (stderr, "keten-envelope-make: ID_HEX: %d hex digits\n", 2 * KT_ID_LEN);
    else {
        char *to[] = {argv[4]};
        static const char body[] = "another message under the same id";
        envelope_draft_t draft = {.type = KETEN__MESSAGE_TYPE__SIGNAL,
                                  .recipients = to,
                                  .n_recipients = 1,
                                  .body = (const uint8_t *) body,
                                  .body_len = sizeof body - 1,
                                  .created_ms = kt_now_ms (),
                                  .id = id};
        uint8_t sealed[KT_ID_LEN];
        if (envelope_seal (keyring, &draft, sealed, &header, &header_len, &reason) != 0 ||
            envelope_sign (keyring, &header, &header_len, 1, &env, &env_len, &reason) != 0 ||
            kt_write_file (argv[6], env, env_len, 0600, &reason) != 0)
            fprintf (stderr, "keten-envelope-make: %s\n", reason.text);
        else
            rc = 0;
    }
    free (header);
    free (env);
    keyring_destroy (&keyring);
    roster_destroy (&roster);
    keys_secret_destroy (&keys);
    return rc;
}
