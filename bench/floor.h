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

/*  A fresh database file DIR/NAME (store_open: WAL, synchronous=FULL)
 *  with schema run on it. */
static inline sqlite3 *
floor_db (const char *dir, const char *name, const char *schema)
{
    char path[4096];
    kt_reason_t reason;
    snprintf (path, sizeof path, "%s/%s", dir, name);
    floor_remove (path);
    sqlite3 *db = store_open (path, &reason);
    floor_check (!db, &reason);
    floor_check (store_exec (db, schema, &reason), &reason);
    return db;
}

/*  floor_db's file closed and removed. */
static inline void
floor_db_drop (sqlite3 **db_p, const char *dir, const char *name)
{
    char path[4096];
    store_close (db_p);
    snprintf (path, sizeof path, "%s/%s", dir, name);
    floor_remove (path);
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
