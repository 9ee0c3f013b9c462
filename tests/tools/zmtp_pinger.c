/*  keten-zmtp-pinger: a hostile but authenticated member that speaks
 *  ZMTP 3.1 with CurveZMQ itself (RFC 37, RFC 26) over a plain TCP
 *  socket, for the integration test of a member that resets its
 *  connection while the uitvoerder's receive queue for it is full
 *  (tests/integration/test_member_reset_full_queue.sh).
 *
 *  It connects with a member's own transport keys (the uitvoerder's ZAP
 *  handler admits them), seals and signs one HEARTBEAT with the member's
 *  keys and sends it again and again as MESSAGE commands, each followed by
 *  a ZMTP PING command, until the uitvoerder stops reading (its receive
 *  queue for this connection full: nothing written for STALL ms).  Then
 *  it closes with SO_LINGER 0, so that the kernel sends a TCP reset while
 *  unread bytes, PINGs among them, wait on the uitvoerder's side.
 *  libzmq's own DEALER cannot do this: its PINGs follow a timer.
 *
 *  Prints one line: "handshake=ok pairs=N end=stalled|limit|closed
 *  seconds=S" (N: the MESSAGE and PING pairs wholly written).  Exit 0:
 *  a stalled connection was reset; 3: it never stalled - the uitvoerder
 *  kept reading for LIMIT_S seconds, or closed the connection itself
 *  (reset all the same); 1: the handshake failed or was refused; 2:
 *  usage or keys.  It decides nothing: the test watches the
 *  uitvoerder.
 *
 *    keten-zmtp-pinger SECRET ROSTER UITV_KEY UITV_ID TRANSPORT_HEX HOST PORT [STALL_MS [LIMIT_S]]
 *
 *  All cryptography is libsodium's crypto_box (the RFC's Curve25519,
 *  XSalsa20 and Poly1305); the boxes are crypto_box_easy's form, MAC
 *  first, which is NaCl's crypto_box without its leading zero bytes.
 */
#include "envelope.h"
#include "keyring.h"
#include "keys.h"
#include "roster.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/*  ZMTP frame flags (RFC 37, "Formal grammar"). */
#define F_MORE 0x01
#define F_LONG 0x02
#define F_COMMAND 0x04
/*  The flags byte inside a CurveZMQ MESSAGE box (RFC 26, "The MESSAGE
 *  command"): a command travels in a MESSAGE box too once the handshake
 *  is over, so a PING is one with this bit set. */
#define BOX_COMMAND 0x02

static int64_t
s_mono_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
s_put_be64 (uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t) v;
        v >>= 8;
    }
}

static uint64_t
s_get_be64 (const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

/*  All of len bytes, blocking (the handshake's socket is blocking, with
 *  a receive and send timeout). */
static int
s_write_all (int fd, const uint8_t *p, size_t len)
{
    while (len > 0) {
        ssize_t n = send (fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t) n;
    }
    return 0;
}

static int
s_read_all (int fd, uint8_t *p, size_t len)
{
    while (len > 0) {
        ssize_t n = recv (fd, p, len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t) n;
    }
    return 0;
}

/*  A frame's head for size bytes of body with flags (short or long). */
static size_t
s_frame_head (uint8_t *head, uint8_t flags, size_t size)
{
    if (size <= 255) {
        head[0] = flags;
        head[1] = (uint8_t) size;
        return 2;
    }
    head[0] = flags | F_LONG;
    s_put_be64 (head + 1, size);
    return 9;
}

static int
s_send_command (int fd, const uint8_t *body, size_t len)
{
    uint8_t head[9];
    size_t hl = s_frame_head (head, F_COMMAND, len);
    return s_write_all (fd, head, hl) == 0 && s_write_all (fd, body, len) == 0 ? 0 : -1;
}

/*  One command frame of the handshake into body (room for cap bytes):
 *  its length, or -1. */
static ssize_t
s_recv_command (int fd, uint8_t *body, size_t cap)
{
    uint8_t flags, b[8];
    if (s_read_all (fd, &flags, 1) != 0 || !(flags & F_COMMAND))
        return -1;
    size_t size;
    if (flags & F_LONG) {
        if (s_read_all (fd, b, 8) != 0)
            return -1;
        uint64_t v = s_get_be64 (b);
        if (v > cap)
            return -1;
        size = (size_t) v;
    } else {
        if (s_read_all (fd, b, 1) != 0)
            return -1;
        size = b[0];
    }
    if (size > cap || s_read_all (fd, body, size) != 0)
        return -1;
    return (ssize_t) size;
}

/*  An ERROR command's reason, for the message when the server refuses. */
static void
s_say_error (const uint8_t *body, ssize_t len)
{
    if (len >= 7 && !memcmp (body,
                             "\x05"
                             "ERROR",
                             6)) {
        int n = body[6] <= len - 7 ? body[6] : (int) (len - 7);
        fprintf (stderr, "keten-zmtp-pinger: refused: ERROR \"%.*s\"\n", n,
                 (const char *) body + 7);
    } else
        fprintf (stderr, "keten-zmtp-pinger: the handshake failed (no answer, or not CURVE's)\n");
}

typedef struct {
    int fd;
    uint8_t precom[crypto_box_BEFORENMBYTES]; /* C' and S' */
    uint64_t nonce;                           /* the client's short nonce */
} s_conn_t;

/*  Greeting and the CurveZMQ handshake with long-term keys (cpk, csk) to
 *  the server's long-term key spk.  0 or -1 (said on stderr). */
static int
s_handshake (s_conn_t *c, const uint8_t cpk[32], const uint8_t csk[32], const uint8_t spk[32])
{
    /*  Greeting: signature, version 3.1, CURVE, as-server 0. */
    uint8_t greeting[64] = {0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 3, 1};
    memcpy (greeting + 12, "CURVE", 5);
    uint8_t theirs[64];
    if (s_write_all (c->fd, greeting, sizeof greeting) != 0 ||
        s_read_all (c->fd, theirs, sizeof theirs) != 0 || theirs[0] != 0xff || theirs[9] != 0x7f ||
        theirs[10] < 3 || memcmp (theirs + 12, "CURVE\0", 6) != 0) {
        fprintf (stderr, "keten-zmtp-pinger: no ZMTP 3 CURVE greeting from the server\n");
        return -1;
    }
    /*  HELLO: C', and a box of 64 zero bytes from C' to S. */
    uint8_t tpk[32], tsk[32];
    crypto_box_keypair (tpk, tsk);
    uint8_t nonce[24], zeros[64] = {0};
    uint8_t hello[200] = "\x05HELLO\x01\x00";
    memcpy (hello + 80, tpk, 32);
    c->nonce = 1;
    memcpy (nonce, "CurveZMQHELLO---", 16);
    s_put_be64 (nonce + 16, c->nonce);
    memcpy (hello + 112, nonce + 16, 8);
    if (crypto_box_easy (hello + 120, zeros, 64, nonce, spk, tsk) != 0 ||
        s_send_command (c->fd, hello, sizeof hello) != 0)
        return -1;
    /*  WELCOME: S' and the cookie, in a box from S to C'. */
    uint8_t body[512];
    ssize_t n = s_recv_command (c->fd, body, sizeof body);
    if (n != 168 || memcmp (body, "\x07WELCOME", 8) != 0) {
        s_say_error (body, n);
        return -1;
    }
    uint8_t welcome[128];
    memcpy (nonce, "WELCOME-", 8);
    memcpy (nonce + 8, body + 8, 16);
    if (crypto_box_open_easy (welcome, body + 24, 144, nonce, spk, tsk) != 0) {
        fprintf (stderr, "keten-zmtp-pinger: WELCOME does not open with the server's key\n");
        return -1;
    }
    const uint8_t *server_tpk = welcome, *cookie = welcome + 32;
    if (crypto_box_beforenm (c->precom, server_tpk, tsk) != 0)
        return -1;
    /*  INITIATE: the cookie, and in a box from C' to S' our long-term
     *  key C, the vouch (C' and S in a box from C to S') and metadata. */
    uint8_t vouch_plain[64], vouch_nonce[24];
    memcpy (vouch_plain, tpk, 32);
    memcpy (vouch_plain + 32, spk, 32);
    memcpy (vouch_nonce, "VOUCH---", 8);
    randombytes_buf (vouch_nonce + 8, 16);
    static const uint8_t meta[] = "\x0bSocket-Type\x00\x00\x00\x06"
                                  "DEALER";
    const size_t meta_len = sizeof meta - 1;
    uint8_t plain[32 + 16 + 80 + sizeof meta];
    memcpy (plain, cpk, 32);
    memcpy (plain + 32, vouch_nonce + 8, 16);
    if (crypto_box_easy (plain + 48, vouch_plain, 64, vouch_nonce, server_tpk, csk) != 0)
        return -1;
    memcpy (plain + 128, meta, meta_len);
    const size_t plain_len = 128 + meta_len;
    uint8_t initiate[9 + 96 + 8 + sizeof plain + crypto_box_MACBYTES];
    memcpy (initiate, "\x08INITIATE", 9);
    memcpy (initiate + 9, cookie, 96);
    c->nonce++;
    memcpy (nonce, "CurveZMQINITIATE", 16);
    s_put_be64 (nonce + 16, c->nonce);
    memcpy (initiate + 105, nonce + 16, 8);
    if (crypto_box_easy_afternm (initiate + 113, plain, plain_len, nonce, c->precom) != 0 ||
        s_send_command (c->fd, initiate, 113 + plain_len + crypto_box_MACBYTES) != 0)
        return -1;
    sodium_memzero (tsk, sizeof tsk);
    /*  READY (ZAP admitted C), or ERROR. */
    n = s_recv_command (c->fd, body, sizeof body);
    if (n < 14 + (ssize_t) crypto_box_MACBYTES || memcmp (body, "\x05READY", 6) != 0) {
        s_say_error (body, n);
        return -1;
    }
    uint8_t ready[512];
    memcpy (nonce, "CurveZMQREADY---", 16);
    memcpy (nonce + 16, body + 6, 8);
    if (crypto_box_open_easy_afternm (ready, body + 14, (size_t) n - 14, nonce, c->precom) != 0) {
        fprintf (stderr, "keten-zmtp-pinger: READY does not open\n");
        return -1;
    }
    return 0;
}

/*  One MESSAGE command (a data frame, as libzmq sends it) carrying flags
 *  and data in a box from C' to S', appended at out: its length. */
static size_t
s_message (s_conn_t *c, uint8_t flags, const uint8_t *data, size_t len, uint8_t *out,
           uint8_t *plain)
{
    plain[0] = flags;
    memcpy (plain + 1, data, len);
    size_t body = 16 + 1 + len + crypto_box_MACBYTES;
    size_t hl = s_frame_head (out, 0, body);
    uint8_t *p = out + hl;
    uint8_t nonce[24];
    c->nonce++;
    memcpy (nonce, "CurveZMQMESSAGEC", 16);
    s_put_be64 (nonce + 16, c->nonce);
    memcpy (p, "\x07MESSAGE", 8);
    memcpy (p + 8, nonce + 16, 8);
    if (crypto_box_easy_afternm (p + 16, plain, 1 + len, nonce, c->precom) != 0)
        return 0;
    return hl + body;
}

/*  One HEARTBEAT to the uitvoerder, sealed and signed with the member's
 *  keys, as its node would send it: heap, free(). */
static uint8_t *
s_heartbeat (const char *secret, const char *roster_path, const char *uitv_key, const char *uitv_id,
             keys_secret_t **keys_p, size_t *len)
{
    kt_reason_t reason = {""};
    keys_secret_t *keys = keys_load_secret (secret, &reason);
    roster_t *roster = keys ? roster_load (roster_path, uitv_key, &reason) : NULL;
    keyring_t *keyring = roster ? keyring_new (keys, &roster, &reason) : NULL;
    if (!keyring) {
        fprintf (stderr, "keten-zmtp-pinger: %s\n", reason.text);
        keys_secret_destroy (&keys);
        return NULL;
    }
    Keten__Heartbeat hb = KETEN__HEARTBEAT__INIT;
    uint8_t instance[16];
    randombytes_buf (instance, sizeof instance);
    hb.software_version = "pinger";
    hb.sent_ms = kt_now_ms ();
    hb.instance_id.data = instance;
    hb.instance_id.len = sizeof instance;
    size_t blen = protobuf_c_message_get_packed_size (&hb.base);
    uint8_t *body = malloc (blen ? blen : 1);
    protobuf_c_message_pack (&hb.base, body);
    char *to[] = {(char *) uitv_id};
    envelope_draft_t draft = {.type = KETEN__MESSAGE_TYPE__HEARTBEAT,
                              .recipients = to,
                              .n_recipients = 1,
                              .body = body,
                              .body_len = blen,
                              .created_ms = kt_now_ms ()};
    uint8_t id[KT_ID_LEN], *header = NULL, *env = NULL;
    size_t hlen = 0;
    if (envelope_seal (keyring, &draft, id, &header, &hlen, &reason) != 0 ||
        envelope_sign (keyring, &header, &hlen, 1, &env, len, &reason) != 0) {
        fprintf (stderr, "keten-zmtp-pinger: %s\n", reason.text);
        env = NULL;
    }
    free (header);
    free (body);
    keyring_destroy (&keyring);
    *keys_p = keys;
    return env;
}

static int
s_connect (const char *host, const char *port)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai = NULL;
    if (getaddrinfo (host, port, &hints, &ai) != 0)
        return -1;
    int fd = socket (ai->ai_family, SOCK_STREAM, 0);
    if (fd >= 0 && connect (fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        close (fd);
        fd = -1;
    }
    freeaddrinfo (ai);
    if (fd < 0)
        return -1;
    struct timeval tv = {.tv_sec = 5};
    setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int one = 1;
    setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

int
main (int argc, char **argv)
{
    if (argc < 8 || argc > 10) {
        fprintf (stderr, "usage: keten-zmtp-pinger SECRET ROSTER UITV_KEY UITV_ID TRANSPORT_HEX "
                         "HOST PORT [STALL_MS [LIMIT_S]]\n");
        return 2;
    }
    int stall_ms = argc > 8 ? atoi (argv[8]) : 300;
    int limit_s = argc > 9 ? atoi (argv[9]) : 10;
    uint8_t spk[32];
    if (sodium_init () < 0 || stall_ms <= 0 || limit_s <= 0 || strlen (argv[5]) != 64 ||
        kt_unhex (spk, 32, argv[5]) != 0) {
        fprintf (stderr, "keten-zmtp-pinger: STALL_MS, LIMIT_S > 0; TRANSPORT_HEX 64 hex digits\n");
        return 2;
    }
    keys_secret_t *keys = NULL;
    size_t env_len = 0;
    uint8_t *env = s_heartbeat (argv[1], argv[2], argv[3], argv[4], &keys, &env_len);
    if (!env)
        return 2;
    s_conn_t c = {.fd = s_connect (argv[6], argv[7])};
    if (c.fd < 0) {
        fprintf (stderr, "keten-zmtp-pinger: cannot connect to %s:%s\n", argv[6], argv[7]);
        keys_secret_destroy (&keys);
        free (env);
        return 1;
    }
    int rc = s_handshake (&c, keys->pub.transport_pk, keys->transport_sk, spk);
    keys_secret_destroy (&keys);
    if (rc != 0) {
        close (c.fd);
        free (env);
        return 1;
    }
    /*  Pairs of a MESSAGE with the heartbeat and a PING (TTL 0, so no
     *  timer of the uitvoerder's is armed), made a batch at a time. */
    enum { BATCH = 64 };
    static const uint8_t ping[] = "\x04PING\x00\x00";
    size_t pair_max =
        9 + 16 + 1 + env_len + crypto_box_MACBYTES + 2 + 16 + 1 + 7 + crypto_box_MACBYTES;
    uint8_t *buf = malloc (BATCH * pair_max), *plain = malloc (1 + env_len + sizeof ping);
    if (!buf || !plain) {
        fprintf (stderr, "keten-zmtp-pinger: out of memory\n");
        close (c.fd);
        free (buf);
        free (plain);
        free (env);
        return 2;
    }
    uint8_t sink[65536];
    size_t at = 0, end = 0, pair_len = 0;
    uint64_t written = 0;
    int64_t t0 = s_mono_ms (), last_progress = t0;
    const char *end_how = "limit";
    for (;;) {
        if (at == end) {
            at = end = 0;
            for (int k = 0; k < BATCH; k++) {
                end += s_message (&c, 0, env, env_len, buf + end, plain);
                end += s_message (&c, BOX_COMMAND, ping, sizeof ping - 1, buf + end, plain);
                pair_len = pair_len ? pair_len : end;
            }
        }
        int64_t now = s_mono_ms ();
        if (now - last_progress >= stall_ms) {
            end_how = "stalled";
            break;
        }
        if (now - t0 >= (int64_t) limit_s * 1000)
            break;
        struct pollfd pfd = {.fd = c.fd, .events = POLLOUT | POLLIN};
        int left = (int) (stall_ms - (now - last_progress));
        if (poll (&pfd, 1, left > 0 ? left : 0) < 0 && errno != EINTR)
            break;
        /*  The uitvoerder's answers (PONGs, a heartbeat reply) are read
         *  and dropped, so its writing never waits for us. */
        if (pfd.revents & POLLIN)
            while (recv (c.fd, sink, sizeof sink, MSG_DONTWAIT) > 0)
                ;
        if (pfd.revents & (POLLERR | POLLHUP)) {
            end_how = "closed";
            break;
        }
        if (pfd.revents & POLLOUT) {
            ssize_t n = send (c.fd, buf + at, end - at, MSG_DONTWAIT | MSG_NOSIGNAL);
            if (n > 0) {
                at += (size_t) n;
                written += (uint64_t) n;
                last_progress = s_mono_ms ();
            } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                end_how = "closed";
                break;
            }
        }
    }
    /*  Every pair is as long as the first: the ones wholly written. */
    uint64_t pairs = pair_len ? written / pair_len : 0;
    /*  A reset, not a close: SO_LINGER on with 0 s. */
    struct linger lin = {.l_onoff = 1, .l_linger = 0};
    setsockopt (c.fd, SOL_SOCKET, SO_LINGER, &lin, sizeof lin);
    close (c.fd);
    printf ("handshake=ok pairs=%llu end=%s seconds=%.1f\n", (unsigned long long) pairs, end_how,
            (s_mono_ms () - t0) / 1000.0);
    free (buf);
    free (plain);
    free (env);
    return !strcmp (end_how, "stalled") ? 0 : 3;
}
