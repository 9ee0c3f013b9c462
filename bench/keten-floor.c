/*  keten-floor: what the guarantees cost on this machine, one primitive at
 *  a time, in one run (issue #17: "a measured floor").  A signal with one
 *  in flight waits, in order, for: the politie node's durable commit,
 *  an Ed25519 signature on its batch, the CurveZMQ hop, the uitvoerder's
 *  verification, its durable commits (log and weegploeg file, at once),
 *  a signature on the new checkpoint and one on the receipt's batch, the
 *  hop back, and the politie node's verification of both.  Each is
 *  measured here alone (p50 of many), and their sum is printed: no
 *  implementation of keten's protocol can answer one signal faster on
 *  this machine.
 *
 *  usage: keten-floor DIR   (DIR on the disk the state directories use)
 */
#include <czmq.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROUNDS 2000

static double s_samples[ROUNDS];

static int
s_cmp (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

static double
s_p50 (void)
{
    qsort (s_samples, ROUNDS, sizeof s_samples[0], s_cmp);
    return s_samples[ROUNDS / 2];
}

static double
s_us (void)
{
    return (double) zclock_usecs ();
}

/* ---- durable waits ------------------------------------------------------ */

static int s_fd[2];
static char s_page[8192];
static pthread_barrier_t s_go, s_done;
static volatile int s_round = -1;

static void
s_write_sync (int fd, int round)
{
    if (pwrite (fd, s_page, sizeof s_page, (off_t) (round % 64) * (off_t) sizeof s_page) < 0 ||
        fdatasync (fd) != 0) {
        perror ("keten-floor: pwrite/fdatasync");
        exit (1);
    }
}

static void *
s_second (void *arg)
{
    (void) arg;
    for (;;) {
        pthread_barrier_wait (&s_go);
        if (s_round < 0)
            return NULL;
        s_write_sync (s_fd[1], s_round);
        pthread_barrier_wait (&s_done);
    }
}

static void
s_disk (const char *dir, double *one, double *two_seq, double *two_par)
{
    for (int i = 0; i < 2; i++) {
        char path[4096];
        snprintf (path, sizeof path, "%s/floor-%d", dir, i);
        s_fd[i] = open (path, O_RDWR | O_CREAT | O_TRUNC, 0600);
        if (s_fd[i] < 0) {
            perror (path);
            exit (1);
        }
        unlink (path);
    }
    pthread_barrier_init (&s_go, NULL, 2);
    pthread_barrier_init (&s_done, NULL, 2);
    pthread_t t;
    pthread_create (&t, NULL, s_second, NULL);
    for (int i = 0; i < ROUNDS; i++) {
        double t0 = s_us ();
        s_write_sync (s_fd[0], i);
        s_samples[i] = s_us () - t0;
    }
    *one = s_p50 ();
    for (int i = 0; i < ROUNDS; i++) {
        double t0 = s_us ();
        s_write_sync (s_fd[0], i);
        s_write_sync (s_fd[1], i);
        s_samples[i] = s_us () - t0;
    }
    *two_seq = s_p50 ();
    for (int i = 0; i < ROUNDS; i++) {
        double t0 = s_us ();
        s_round = i;
        pthread_barrier_wait (&s_go);
        s_write_sync (s_fd[0], i);
        pthread_barrier_wait (&s_done);
        s_samples[i] = s_us () - t0;
    }
    *two_par = s_p50 ();
    s_round = -1;
    pthread_barrier_wait (&s_go);
    pthread_join (t, NULL);
    close (s_fd[0]);
    close (s_fd[1]);
}

/* ---- crypto ------------------------------------------------------------- */

static void
s_crypto (double *sign, double *verify, double *sha, double *aead)
{
    uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    uint8_t m[200], sig[crypto_sign_BYTES], buf[1024], out[1024 + 16], key[32], nonce[24];
    crypto_sign_keypair (pk, sk);
    randombytes_buf (m, sizeof m);
    randombytes_buf (buf, sizeof buf);
    randombytes_buf (key, sizeof key);
    randombytes_buf (nonce, sizeof nonce);
    for (int i = 0; i < ROUNDS; i++) {
        m[0] = (uint8_t) i;
        double t0 = s_us ();
        crypto_sign_detached (sig, NULL, m, sizeof m, sk);
        s_samples[i] = s_us () - t0;
    }
    *sign = s_p50 ();
    for (int i = 0; i < ROUNDS; i++) {
        double t0 = s_us ();
        if (crypto_sign_verify_detached (sig, m, sizeof m, pk) != 0)
            exit (1);
        s_samples[i] = s_us () - t0;
    }
    *verify = s_p50 ();
    for (int i = 0; i < ROUNDS; i++) {
        uint8_t h[32];
        double t0 = s_us ();
        crypto_hash_sha256 (h, buf, sizeof buf);
        s_samples[i] = s_us () - t0;
        buf[0] ^= h[0];
    }
    *sha = s_p50 ();
    for (int i = 0; i < ROUNDS; i++) {
        double t0 = s_us ();
        crypto_aead_xchacha20poly1305_ietf_encrypt (out, NULL, buf, sizeof buf, NULL, 0, NULL,
                                                    nonce, key);
        s_samples[i] = s_us () - t0;
        nonce[0]++;
    }
    *aead = s_p50 ();
}

/* ---- the hop ------------------------------------------------------------ */

/*  A 1 KiB message to a CURVE server on loopback and its answer back. */
static double
s_curve_round_trip (void)
{
    zcert_t *server_cert = zcert_new (), *client_cert = zcert_new ();
    zsock_t *server = zsock_new (ZMQ_ROUTER);
    zcert_apply (server_cert, server);
    zsock_set_curve_server (server, 1);
    int port = zsock_bind (server, "tcp://127.0.0.1:*");
    zsock_t *client = zsock_new (ZMQ_DEALER);
    zcert_apply (client_cert, client);
    zsock_set_curve_serverkey (client, zcert_public_txt (server_cert));
    zsock_connect (client, "tcp://127.0.0.1:%d", port);
    char payload[1024];
    memset (payload, 'k', sizeof payload);
    for (int i = -100; i < ROUNDS; i++) {
        double t0 = s_us ();
        zframe_t *f = zframe_new (payload, sizeof payload);
        zframe_send (&f, client, 0);
        zmsg_t *in = zmsg_recv (server);
        zframe_t *route = zmsg_pop (in);
        zmsg_destroy (&in);
        zframe_send (&route, server, ZFRAME_MORE);
        f = zframe_new (payload, sizeof payload);
        zframe_send (&f, server, 0);
        f = zframe_recv (client);
        zframe_destroy (&f);
        if (i >= 0)
            s_samples[i] = s_us () - t0;
    }
    zsock_destroy (&client);
    zsock_destroy (&server);
    zcert_destroy (&server_cert);
    zcert_destroy (&client_cert);
    return s_p50 ();
}

int
main (int argc, char **argv)
{
    if (argc != 2 || sodium_init () < 0) {
        fprintf (stderr, "usage: keten-floor DIR\n");
        return 2;
    }
    double one, two_seq, two_par, sign, verify, sha, aead;
    s_disk (argv[1], &one, &two_seq, &two_par);
    s_crypto (&sign, &verify, &sha, &aead);
    double hop = s_curve_round_trip ();
    printf ("fdatasync p50: one file %.0f us, two files one after the other %.0f us, two at once "
            "%.0f us\n",
            one, two_seq, two_par);
    printf ("ed25519 p50: sign %.0f us, verify %.0f us\n", sign, verify);
    printf ("per KiB p50: sha256 %.1f us, xchacha20poly1305 %.1f us\n", sha, aead);
    printf ("curvezmq round trip, 1 KiB each way, p50: %.0f us\n", hop);
    /*  The politie node's commit, then (its batch signed) the hop there
     *  and back, the uitvoerder's two commits at once, three signatures
     *  and three verifications (signal batch; checkpoint, receipt batch). */
    double floor_one = one + hop + two_par + 3 * sign + 3 * verify;
    printf ("floor, one signal in flight, keten's protocol: %.0f us "
            "(politie commit %.0f + round trip %.0f + uitvoerder commits %.0f + 3 signatures "
            "%.0f + 3 verifications %.0f)\n",
            floor_one, one, hop, two_par, 3 * sign, 3 * verify);
    return 0;
}
