/*  Transport on real CURVE sockets over loopback: the ZAP handler admits
 *  exactly the roster's transport keys, fails closed, attributes messages
 *  by CURVE key, and a reloaded allow-list refuses a removed key on its
 *  next connection (docs/ARCHITECTURE.md, "Transport").  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include "keys.h"
#include "note.h"
#include "roster.h"
#include "transport.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

/*  A referentiekader as a roster names it (art. 7.3). */
static const referentiekader_t s_rk = {.version = "test-2026.1", .example = true};

static char s_dir[64];
static keys_secret_t *s_keys[3]; /* uitvoerder, politie, gemeente */
static const char *s_ids[] = {"uitvoerder-t", "politie-t", "gemeente-t"};
static const char *s_kinds[] = {"uitvoerder", "politie", "gemeente"};

static roster_t *
s_roster (size_t n_members, uint64_t version)
{
    kt_reason_t r;
    char paths[3][128];
    const char *pubs[3];
    for (size_t i = 0; i < n_members; i++) {
        snprintf (paths[i], sizeof paths[i], "%s/%s.pub", s_dir, s_ids[i]);
        pubs[i] = paths[i];
    }
    char *note;
    assert_int_equal (
        roster_build ("pga-test", version, pubs, n_members, s_keys[0], &s_rk, &note, &r), 0);
    char pinned[256];
    note_verifier_format (pinned, sizeof pinned, s_ids[0], s_keys[0]->pub.signing_pk);
    roster_t *roster = roster_parse (note, strlen (note), pinned, &r);
    free (note);
    assert_non_null (roster);
    return roster;
}

static int
s_setup (void **state)
{
    (void) state;
    if (testutil_tmpdir (s_dir, sizeof s_dir, "transport") != 0)
        return -1;
    kt_reason_t r;
    for (int i = 0; i < 3; i++) {
        char path[128];
        if (keys_generate (s_ids[i], s_kinds[i], NULL, s_dir, &r) != 0)
            return -1;
        snprintf (path, sizeof path, "%s/%s.secret", s_dir, s_ids[i]);
        s_keys[i] = keys_load_secret (path, &r);
        if (!s_keys[i])
            return -1;
    }
    zsys_set_logstream (NULL);
    return 0;
}

static int
s_teardown (void **state)
{
    (void) state;
    for (int i = 0; i < 3; i++)
        keys_secret_destroy (&s_keys[i]);
    return testutil_rmtree (s_dir);
}

static config_t
s_config (const char *endpoint)
{
    config_t c;
    memset (&c, 0, sizeof c);
    c.max_message = 65536;
    c.hwm = 1000;
    c.heartbeat_ms = 200;
    c.heartbeat_timeout_ms = 1000;
    snprintf (c.bind, sizeof c.bind, "tcp://127.0.0.1:*");
    if (endpoint)
        snprintf (c.connect, sizeof c.connect, "%s", endpoint);
    return c;
}

/*  Send a ping from client and wait (bounded) for it at the server.
 *  Returns true and the sender's CURVE key when it arrived.  Each call's
 *  pings carry a nonce of their own: a ping of an earlier call that
 *  comes late (a slow machine, valgrind) is not taken for this one's. */
static bool
s_ping (transport_t *server, transport_t *client, uint8_t key[32])
{
    uint8_t ping[12] = "ping";
    randombytes_buf (ping + 4, 8);
    zpoller_t *poller = zpoller_new (transport_sock (server), NULL);
    bool ok = false, came = false;
    for (int attempt = 0; attempt < 40 && !came; attempt++) {
        transport_send (client, NULL, 0, ping, sizeof ping);
        if (!zpoller_wait (poller, 50))
            continue;
        transport_msg_t msg;
        while (!came && transport_recv (server, &msg) == 1) {
            came = zframe_size (msg.data) == sizeof ping &&
                   memcmp (zframe_data (msg.data), ping, sizeof ping) == 0;
            ok = came && msg.have_peer_key;
            if (ok)
                memcpy (key, msg.peer_key, 32);
            zframe_destroy (&msg.data);
        }
    }
    zpoller_destroy (&poller);
    return ok;
}

/*  A server for roster (its allow-list in s_dir/allow_name) and a client
 *  with the keys of s_keys[who], connected: the client's ping arrived
 *  under its own CURVE key, and the extra pings are drained. */
typedef struct {
    config_t sc;
    transport_t *server, *client;
} pair_t;

static void
s_pair_open (pair_t *p, const roster_t *roster, const char *allow_name, int who)
{
    kt_reason_t r;
    char allow[128];
    snprintf (allow, sizeof allow, "%s/%s", s_dir, allow_name);
    p->sc = s_config (NULL);
    p->server = transport_bind (&p->sc, s_keys[0], roster, allow, &r);
    assert_non_null (p->server);
    config_t cc = s_config (transport_endpoint (p->server));
    p->client = transport_connect (&cc, s_keys[who], s_keys[0]->pub.transport_pk, &r);
    assert_non_null (p->client);
    uint8_t key[32];
    assert_true (s_ping (p->server, p->client, key));
    assert_memory_equal (key, s_keys[who]->pub.transport_pk, 32);
    /*  Whatever else waits (s_ping's extra pings), read and dropped. */
    zpoller_t *poller = zpoller_new (transport_sock (p->server), NULL);
    while (zpoller_wait (poller, 200)) {
        transport_msg_t msg;
        while (transport_recv (p->server, &msg) == 1)
            zframe_destroy (&msg.data);
    }
    zpoller_destroy (&poller);
}

static void
s_pair_close (pair_t *p)
{
    transport_destroy (&p->client);
    transport_destroy (&p->server);
}

static void
test_zap_admits_roster_keys_and_refuses_others (void **state)
{
    (void) state;
    kt_reason_t r;
    char allow[128];
    snprintf (allow, sizeof allow, "%s/allow", s_dir);
    roster_t *roster = s_roster (2, 1); /* uitvoerder + politie only */
    config_t sc = s_config (NULL);
    transport_t *server = transport_bind (&sc, s_keys[0], roster, allow, &r);
    assert_non_null (server);
    /*  Fails closed: the enforce-domain option really is on. */
    int enforce = 0;
    assert_int_equal (transport_router_option (server, 93, &enforce), 0);
    assert_int_equal (enforce, 1);
    /*  And libzmq never stops reading a connection (the relay bounds
     *  what is kept instead). */
    int rcvhwm = -1;
    assert_int_equal (transport_router_option (server, ZMQ_RCVHWM, &rcvhwm), 0);
    assert_int_equal (rcvhwm, 0);
    config_t cc = s_config (transport_endpoint (server));

    transport_t *politie = transport_connect (&cc, s_keys[1], s_keys[0]->pub.transport_pk, &r);
    assert_non_null (politie);
    uint8_t key[32];
    assert_true (s_ping (server, politie, key));
    assert_memory_equal (key, s_keys[1]->pub.transport_pk, 32);

    /*  The gemeente is not in this roster: nothing it sends arrives. */
    transport_t *gemeente = transport_connect (&cc, s_keys[2], s_keys[0]->pub.transport_pk, &r);
    assert_non_null (gemeente);
    assert_false (s_ping (server, gemeente, key));

    /*  A roster that adds the gemeente and drops politie: after the
     *  reload the gemeente gets in, and politie's next connection fails. */
    transport_destroy (&gemeente);
    transport_destroy (&politie);
    roster_t *roster2 = s_roster (3, 2);
    roster_member_t *m = (roster_member_t *) roster_find (roster2, "politie-t");
    snprintf (m->leaves_at, sizeof m->leaves_at, "2000-01-01"); /* left long ago */
    assert_int_equal (transport_allow (server, roster2, &r), 0);
    gemeente = transport_connect (&cc, s_keys[2], s_keys[0]->pub.transport_pk, &r);
    assert_true (s_ping (server, gemeente, key));
    assert_memory_equal (key, s_keys[2]->pub.transport_pk, 32);
    politie = transport_connect (&cc, s_keys[1], s_keys[0]->pub.transport_pk, &r);
    assert_false (s_ping (server, politie, key));

    transport_destroy (&politie);
    transport_destroy (&gemeente);
    transport_destroy (&server);
    roster_destroy (&roster);
    roster_destroy (&roster2);
}

/*  A peer federation's uitvoerder (the gemeente's keys stand in for it)
 *  is admitted while its peering is in force, and refused once it has
 *  ended. */
static void
test_zap_admits_a_peer_uitvoerder_while_its_peering_lasts (void **state)
{
    (void) state;
    kt_reason_t r;
    roster_t *roster = s_roster (1, 1); /* the uitvoerder alone */
    roster->peerings = calloc (1, sizeof *roster->peerings);
    assert_non_null (roster->peerings);
    roster->peering_count = 1;
    roster_peering_t *p = &roster->peerings[0];
    snprintf (p->federation, sizeof p->federation, "pga-peer");
    snprintf (p->since, sizeof p->since, "2026-12-04");
    memcpy (p->transport_pk, s_keys[2]->pub.transport_pk, 32);
    pair_t pair;
    s_pair_open (&pair, roster, "allow-peering", 2);
    transport_destroy (&pair.client);

    snprintf (p->ended, sizeof p->ended, "2000-01-01"); /* ended long ago */
    assert_int_equal (transport_allow (pair.server, roster, &r), 0);
    config_t cc = s_config (transport_endpoint (pair.server));
    pair.client = transport_connect (&cc, s_keys[2], s_keys[0]->pub.transport_pk, &r);
    uint8_t key[32];
    assert_false (s_ping (pair.server, pair.client, key));

    s_pair_close (&pair);
    roster_destroy (&roster);
}

/*  Every message waiting at server (bounded wait), each frame's bytes
 *  appended to out[] as received, until want_envelopes came (alone or in
 *  bundles); how many messages came. */
static size_t
s_collect (transport_t *server, size_t want_envelopes, zframe_t **out, size_t max)
{
    size_t n = 0, envelopes = 0;
    zpoller_t *poller = zpoller_new (transport_sock (server), NULL);
    for (int waits = 0; envelopes < want_envelopes && waits < 100; waits++) {
        if (!zpoller_wait (poller, 50))
            continue;
        transport_msg_t msg;
        while (n < max && transport_recv (server, &msg) == 1) {
            const uint8_t *d = zframe_data (msg.data);
            size_t len = zframe_size (msg.data);
            size_t at = TRANSPORT_BUNDLE_HEAD, env_len;
            const uint8_t *env;
            if (transport_is_bundle (d, len))
                while (transport_bundle_next (d, len, &at, &env, &env_len) == 1)
                    envelopes++;
            else
                envelopes++;
            out[n++] = msg.data;
        }
    }
    zpoller_destroy (&poller);
    return n;
}

/*  Bundles (docs/PROTOCOL.md, "Bundles") on real CURVE sockets: as many
 *  envelopes as the peer's limit lets go in one message, in order, each
 *  whole; with no limit each goes alone, and an envelope too large for a
 *  bundle goes alone too. */
static void
test_a_run_of_envelopes_goes_in_bundles_the_peer_takes (void **state)
{
    (void) state;
    roster_t *roster = s_roster (2, 1);
    pair_t pair;
    s_pair_open (&pair, roster, "allow-bundles", 1);
    transport_t *server = pair.server, *client = pair.client;

    enum { N = 10 };
    uint8_t bodies[N][1000];
    uint8_t *envs[N];
    size_t lens[N];
    for (size_t i = 0; i < N; i++) {
        randombytes_buf (bodies[i], sizeof bodies[i]);
        bodies[i][0] = 0x0a; /* as an envelope starts: field 1 */
        envs[i] = bodies[i];
        lens[i] = i == 7 ? sizeof bodies[i] : 100 + 50 * i;
    }
    /*  (limit, messages expected): all in one; one each; as many as fit
     *  at a time (4, 2, then one each), the one too large for any bundle
     *  alone. */
    const struct {
        size_t limit, messages;
    } cases[] = {{65536, 1}, {0, N}, {TRANSPORT_BUNDLE_SLACK + 1 + 4 + 450 + 4 + 500, 6}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        assert_int_equal (transport_send_all (client, NULL, 0, envs, lens, N, cases[c].limit), N);
        zframe_t *got[N];
        size_t n = s_collect (server, N, got, N);
        assert_int_equal (n, cases[c].messages);
        size_t next = 0;
        for (size_t m = 0; m < n; m++) {
            const uint8_t *d = zframe_data (got[m]);
            size_t len = zframe_size (got[m]), at = TRANSPORT_BUNDLE_HEAD, env_len;
            const uint8_t *env;
            if (!transport_is_bundle (d, len)) {
                assert_int_equal (len, lens[next]);
                assert_memory_equal (d, envs[next], len);
                next++;
            } else {
                assert_true (len + TRANSPORT_BUNDLE_SLACK <= cases[c].limit);
                int rc;
                while ((rc = transport_bundle_next (d, len, &at, &env, &env_len)) == 1) {
                    assert_int_equal (env_len, lens[next]);
                    assert_memory_equal (env, envs[next], env_len);
                    next++;
                }
                assert_int_equal (rc, 0);
            }
            zframe_destroy (&got[m]);
        }
        assert_int_equal (next, N);
    }
    s_pair_close (&pair);
    roster_destroy (&roster);
}

/*  Envelopes that would fill a bundle to the byte of the peer's largest
 *  message all arrive: the bundle leaves room for what CurveZMQ adds on
 *  the wire, where libzmq checks the limit (without it the server drops
 *  the connection, and nothing arrives). */
static void
test_a_bundle_fits_the_peers_limit_on_the_wire (void **state)
{
    (void) state;
    roster_t *roster = s_roster (2, 1);
    pair_t pair; /* the server's max-message: 65536 */
    s_pair_open (&pair, roster, "allow-bundle-limit", 1);
    /*  16 of 4,091 bytes: a bundle of all of them is 65,521 bytes, within
     *  65,536 but not once CurveZMQ's 33 are added. */
    enum { N = 16, LEN = 4091 };
    uint8_t *bodies = calloc (N, LEN);
    assert_non_null (bodies);
    uint8_t *envs[N];
    size_t lens[N];
    for (size_t i = 0; i < N; i++) {
        envs[i] = bodies + i * LEN;
        envs[i][0] = 0x0a;
        lens[i] = LEN;
    }
    assert_int_equal (transport_send_all (pair.client, NULL, 0, envs, lens, N, pair.sc.max_message),
                      N);
    /*  All arrived (s_collect waits for N envelopes): 15 together, and
     *  the last alone. */
    zframe_t *got[N];
    size_t n = s_collect (pair.server, N, got, N);
    assert_int_equal (n, 2);
    assert_true (transport_is_bundle (zframe_data (got[0]), zframe_size (got[0])));
    assert_int_equal (zframe_size (got[1]), LEN);
    for (size_t m = 0; m < n; m++)
        zframe_destroy (&got[m]);
    free (bodies);
    s_pair_close (&pair);
    roster_destroy (&roster);
}

static void
test_a_peer_gone_with_a_full_queue_leaves_the_server_standing (void **state)
{
    (void) state;
    roster_t *roster = s_roster (2, 1);
    kt_reason_t r;
    char allow[128];
    snprintf (allow, sizeof allow, "%s/allow-gone", s_dir);
    config_t sc = s_config (NULL); /* pings every 200 ms, were they sent */
    sc.max_message = 4u << 20;
    transport_t *server = transport_bind (&sc, s_keys[0], roster, allow, &r);
    assert_non_null (server);
    config_t cc = s_config (transport_endpoint (server));
    cc.max_message = sc.max_message;
    cc.hwm = 100000;
    transport_t *client = transport_connect (&cc, s_keys[1], s_keys[0]->pub.transport_pk, &r);
    assert_non_null (client);
    uint8_t key[32];
    assert_true (s_ping (server, client, key));
    /*  Far more than the server's queue (16) and TCP hold. */
    enum { LEN = 1000, N = 30000 };
    uint8_t *body = calloc (1, LEN);
    assert_non_null (body);
    for (int i = 0; i < N; i++)
        assert_int_equal (transport_send (client, NULL, 0, body, LEN), 0);
    zclock_sleep (500);
    transport_destroy (&client);
    /*  Several of the server's ping intervals with nothing read. */
    zclock_sleep (1000);
    client = transport_connect (&cc, s_keys[1], s_keys[0]->pub.transport_pk, &r);
    assert_non_null (client);
    zpoller_t *poller = zpoller_new (transport_sock (server), NULL);
    bool pinged = false;
    for (int i = 0; i < 400 && !pinged; i++) {
        transport_send (client, NULL, 0, "ping", 4);
        while (!pinged && zpoller_wait (poller, 50)) {
            transport_msg_t msg;
            while (transport_recv (server, &msg) == 1) {
                pinged = pinged || zframe_size (msg.data) == 4;
                zframe_destroy (&msg.data);
            }
        }
    }
    assert_true (pinged);
    zpoller_destroy (&poller);
    free (body);
    transport_destroy (&client);
    transport_destroy (&server);
    roster_destroy (&roster);
}

/*  A member that sends far more than the uitvoerder reads: its
 *  connection keeps transport/hwm messages (the rest dropped and
 *  counted), what is held stays within that bound, what it kept comes
 *  in order, and another member's message is not held up behind it. */
static void
test_a_flood_is_bounded_per_connection_and_others_go_first (void **state)
{
    (void) state;
    roster_t *roster = s_roster (3, 1);
    pair_t pair; /* hwm 1000 */
    s_pair_open (&pair, roster, "allow-flood", 1);
    kt_reason_t r;
    config_t cc = s_config (transport_endpoint (pair.server));
    cc.hwm = 100000; /* the flooder queues it all */
    transport_destroy (&pair.client);
    pair.client = transport_connect (&cc, s_keys[1], s_keys[0]->pub.transport_pk, &r);
    assert_non_null (pair.client);
    enum { LEN = 1000, N = 20000 };
    uint8_t body[LEN];
    memset (body, 0x0a, sizeof body);
    transport_stats_t st;
    for (uint32_t i = 0; i < N; i++) {
        memcpy (body + 1, &i, sizeof i);
        for (int tries = 0; tries < 5000 && transport_send (pair.client, NULL, 0, body, LEN) != 0;
             tries++)
            zclock_sleep (1); /* until it is connected */
    }
    /*  Until the relay has dropped what it cannot keep. */
    for (int i = 0; i < 200; i++) {
        assert_true (transport_stats (pair.server, &st));
        if (st.dropped[TRANSPORT_DROP_CONNECTION_FULL] + st.queued_messages >=
            N - 2 * TRANSPORT_RELAY_HWM)
            break;
        zclock_sleep (20);
    }
    assert_true (st.dropped[TRANSPORT_DROP_CONNECTION_FULL] > 0);
    assert_true (st.queued_messages <= pair.sc.hwm);
    /*  The connection's queue, and what the PAIR to the loop holds. */
    assert_true (st.held_bytes <= pair.sc.hwm * (LEN + 200) + 2 * TRANSPORT_RELAY_HWM * LEN);
    /*  The gemeente's message comes before the flood's queue is read. */
    transport_t *gemeente = transport_connect (&cc, s_keys[2], s_keys[0]->pub.transport_pk, &r);
    assert_non_null (gemeente);
    for (int tries = 0; tries < 100 && transport_send (gemeente, NULL, 0, "ping", 4) != 0; tries++)
        zclock_sleep (10);
    /*  Until the relay keeps it too (beside the flood's full queue). */
    for (int i = 0; i < 200 && st.queued_messages <= pair.sc.hwm; i++) {
        zclock_sleep (20);
        assert_true (transport_stats (pair.server, &st));
    }
    assert_true (st.queued_messages > pair.sc.hwm);
    zpoller_t *poller = zpoller_new (transport_sock (pair.server), NULL);
    size_t before = 0, flood = 0;
    bool pinged = false;
    int64_t last = -1;
    for (int waits = 0; waits < 100 && !pinged; waits++) {
        if (!zpoller_wait (poller, 50))
            continue;
        transport_msg_t msg;
        while (!pinged && transport_recv (pair.server, &msg) == 1) {
            if (zframe_size (msg.data) == 4) {
                pinged = true;
                assert_memory_equal (msg.peer_key, s_keys[2]->pub.transport_pk, 32);
            } else {
                uint32_t i;
                memcpy (&i, zframe_data (msg.data) + 1, sizeof i);
                assert_true ((int64_t) i > last); /* in order, gaps where dropped */
                last = i;
                before++;
            }
            zframe_destroy (&msg.data);
        }
    }
    assert_true (pinged);
    assert_true (before <= 2 * TRANSPORT_RELAY_HWM + 64);
    /*  The rest of the flood still comes. */
    for (int waits = 0; waits < 40; waits++) {
        if (!zpoller_wait (poller, 50))
            continue;
        transport_msg_t msg;
        while (transport_recv (pair.server, &msg) == 1) {
            flood++;
            zframe_destroy (&msg.data);
        }
    }
    assert_true (flood > 0);
    zpoller_destroy (&poller);
    transport_destroy (&gemeente);
    s_pair_close (&pair);
    roster_destroy (&roster);
}

/*  A rebind closes the ROUTER on the transport's thread and binds a new
 *  one on the same endpoint: the loop's socket stays the same, and a
 *  member's DEALER comes back on the new one. */
static void
test_a_rebind_keeps_the_loops_socket_and_members_come_back (void **state)
{
    (void) state;
    roster_t *roster = s_roster (2, 1);
    pair_t pair;
    s_pair_open (&pair, roster, "allow-rebind", 1);
    zsock_t *sock = transport_sock (pair.server);
    char endpoint[CONFIG_ENDPOINT_MAX + 1];
    snprintf (endpoint, sizeof endpoint, "%s", transport_endpoint (pair.server));
    kt_reason_t r;
    for (int round = 0; round < 2; round++) {
        assert_int_equal (transport_rebind (pair.server, &pair.sc, s_keys[0], &r), 0);
        assert_ptr_equal (transport_sock (pair.server), sock);
        assert_string_equal (transport_endpoint (pair.server), endpoint);
        uint8_t key[32];
        assert_true (s_ping (pair.server, pair.client, key));
        assert_memory_equal (key, s_keys[1]->pub.transport_pk, 32);
    }
    int enforce = 0;
    assert_int_equal (transport_router_option (pair.server, 93, &enforce), 0);
    assert_int_equal (enforce, 1);
    s_pair_close (&pair);
    roster_destroy (&roster);
}

/*  A bundle is read as far as it is whole: an empty envelope, a length
 *  past the end or a cut length stops it there. */
static void
test_a_malformed_bundle_is_read_no_further (void **state)
{
    (void) state;
    /*  mark, "ab", then what each case appends */
    const struct {
        uint8_t tail[8];
        size_t tail_len;
        int last;
    } cases[] = {
        {{0}, 0, 0},                          /* whole: the end */
        {{0, 0, 0, 0}, 4, -1},                /* an empty envelope */
        {{0, 0, 0, 9, 'x'}, 5, -1},           /* longer than what is left */
        {{0, 0, 1}, 3, -1},                   /* a length cut short */
        {{0xff, 0xff, 0xff, 0xff, 1}, 5, -1}, /* a length past any size */
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        uint8_t b[32] = {TRANSPORT_BUNDLE_MARK, 0, 0, 0, 2, 'a', 'b'};
        size_t len = 7;
        memcpy (b + len, cases[c].tail, cases[c].tail_len);
        len += cases[c].tail_len;
        assert_true (transport_is_bundle (b, len));
        size_t at = TRANSPORT_BUNDLE_HEAD, env_len = 0;
        const uint8_t *env = NULL;
        assert_int_equal (transport_bundle_next (b, len, &at, &env, &env_len), 1);
        assert_int_equal (env_len, 2);
        assert_memory_equal (env, "ab", 2);
        assert_int_equal (transport_bundle_next (b, len, &at, &env, &env_len), cases[c].last);
    }
    const uint8_t envelope[] = {0x0a, 0x01, 0x00};
    assert_false (transport_is_bundle (envelope, sizeof envelope));
    assert_false (transport_is_bundle (envelope, 0));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_zap_admits_roster_keys_and_refuses_others),
        cmocka_unit_test (test_zap_admits_a_peer_uitvoerder_while_its_peering_lasts),
        cmocka_unit_test (test_a_run_of_envelopes_goes_in_bundles_the_peer_takes),
        cmocka_unit_test (test_a_bundle_fits_the_peers_limit_on_the_wire),
        cmocka_unit_test (test_a_malformed_bundle_is_read_no_further),
        cmocka_unit_test (test_a_peer_gone_with_a_full_queue_leaves_the_server_standing),
        cmocka_unit_test (test_a_flood_is_bounded_per_connection_and_others_go_first),
        cmocka_unit_test (test_a_rebind_keeps_the_loops_socket_and_members_come_back),
    };
    if (sodium_init () < 0)
        return 1;
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
