/*  keten-peer-send: for the transfer test (tests/integration/
 *  test_transfer.sh) - send the bytes of one envelope, exactly as kept, to
 *  an uitvoerder's listening socket over CurveZMQ with a node's own keys,
 *  as a peered uitvoerder dialling in would; optionally with one byte
 *  flipped (a forgery).  Prints how many answers came within 3 s.  It
 *  opens nothing and decides nothing: the test asserts on what the
 *  receiving node stored and logged.
 *
 *    keten-peer-send SECRET_KEY_FILE SERVER_TRANSPORT_HEX ENDPOINT ENVELOPE_FILE [FLIP_OFFSET]
 */
#include "config.h"
#include "keys.h"
#include "transport.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
main (int argc, char **argv)
{
    if (argc != 5 && argc != 6) {
        fprintf (stderr, "usage: keten-peer-send SECRET_KEY_FILE SERVER_TRANSPORT_HEX ENDPOINT "
                         "ENVELOPE_FILE [FLIP_OFFSET]\n");
        return 2;
    }
    kt_reason_t reason;
    keys_secret_t *keys = keys_load_secret (argv[1], &reason);
    uint8_t server[32];
    if (!keys || strlen (argv[2]) != 64 || kt_unhex (server, 32, argv[2]) != 0) {
        fprintf (stderr, "keten-peer-send: %s\n", keys ? "server key: 64 hex digits" : reason.text);
        return 2;
    }
    char *data = NULL;
    size_t len = 0;
    if (kt_read_file (argv[4], 1 << 24, &data, &len, &reason) != 0 || len == 0) {
        fprintf (stderr, "keten-peer-send: %s\n", len ? reason.text : "empty envelope");
        return 2;
    }
    if (argc == 6) {
        size_t at = strtoul (argv[5], NULL, 10);
        if (at >= len) {
            fprintf (stderr, "keten-peer-send: flip offset beyond the envelope\n");
            return 2;
        }
        data[at] ^= 0x01;
    }
    config_t config;
    memset (&config, 0, sizeof config);
    config.max_message = 1 << 24;
    config.hwm = 100;
    config.heartbeat_ms = 200;
    config.heartbeat_timeout_ms = 2000;
    transport_t *t = transport_connect_to (&config, keys, server, argv[3], &reason);
    if (!t) {
        fprintf (stderr, "keten-peer-send: %s\n", reason.text);
        return 2;
    }
    /*  The handshake first: IMMEDIATE drops what a connection not yet up
     *  would queue, so try for up to 5 s. */
    int sent = -1;
    for (int i = 0; i < 100 && sent != 0; i++) {
        sent = transport_send (t, NULL, 0, data, len);
        if (sent != 0)
            zclock_sleep (50);
    }
    int answers = 0;
    zpoller_t *poller = zpoller_new (transport_sock (t), NULL);
    int64_t until = zclock_mono () + 3000;
    while (sent == 0) {
        int64_t left = until - zclock_mono ();
        if (left <= 0)
            break;
        if (!zpoller_wait (poller, (int) left))
            continue;
        transport_msg_t msg;
        while (transport_recv (t, &msg) == 1) {
            answers++;
            zframe_destroy (&msg.data);
        }
    }
    zpoller_destroy (&poller);
    printf ("sent=%s answers=%d\n", sent == 0 ? "yes" : "no", answers);
    transport_destroy (&t);
    free (data);
    keys_secret_destroy (&keys);
    return sent == 0 ? 0 : 1;
}
