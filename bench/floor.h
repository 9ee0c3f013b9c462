/*  floor.h: the parts keten-floor and keten-rate-floor both use (a
 *  header, not a .c file: each .c file in bench/ is a program of its
 *  own).  Each stops the bench on failure: a floor measured on a part
 *  that failed would be no floor. */
#ifndef KETEN_BENCH_FLOOR_H
#define KETEN_BENCH_FLOOR_H

#include "store.h"

#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void
floor_check (int rc, const kt_reason_t *reason)
{
    if (rc != 0) {
        fprintf (stderr, "floor: %s\n", reason->text);
        exit (1);
    }
}

/*  A database file and its -wal and -shm. */
static inline void
floor_remove (const char *path)
{
    char side[4200];
    unlink (path);
    snprintf (side, sizeof side, "%s-wal", path);
    unlink (side);
    snprintf (side, sizeof side, "%s-shm", path);
    unlink (side);
}

/*  A CURVE server (ROUTER) bound on loopback and a client (DEALER)
 *  connected to it. */
typedef struct {
    zcert_t *server_cert, *client_cert;
    zsock_t *server, *client;
} floor_curve_t;

static inline void
floor_curve_new (floor_curve_t *p)
{
    p->server_cert = zcert_new ();
    p->client_cert = zcert_new ();
    p->server = zsock_new (ZMQ_ROUTER);
    zcert_apply (p->server_cert, p->server);
    zsock_set_curve_server (p->server, 1);
    int port = p->server ? zsock_bind (p->server, "tcp://127.0.0.1:*") : -1;
    if (port < 0) {
        fprintf (stderr, "floor: cannot bind a loopback port\n");
        exit (1);
    }
    p->client = zsock_new (ZMQ_DEALER);
    zcert_apply (p->client_cert, p->client);
    zsock_set_curve_serverkey (p->client, zcert_public_txt (p->server_cert));
    zsock_connect (p->client, "tcp://127.0.0.1:%d", port);
}

static inline void
floor_curve_destroy (floor_curve_t *p)
{
    zsock_destroy (&p->client);
    zsock_destroy (&p->server);
    zcert_destroy (&p->server_cert);
    zcert_destroy (&p->client_cert);
}

#endif
