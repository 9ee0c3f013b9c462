/*  httpd: a tiny HTTP/1.0 responder on a local TCP address, driven by the
 *  node's zloop, that serves one rendered text at one path (the metrics
 *  endpoint, docs/OPERATIONS.md, "Prometheus metrics").
 *
 *  It answers `GET path` (and HEAD) with the body, 404 to any other path,
 *  405 to any other method, 400 to anything that is not a short HTTP
 *  request, 500 when the body cannot be made, and closes the connection
 *  after every answer.  A request is at most 4 KiB and must arrive within
 *  1 s of connecting; the answer must be taken within 5 s; the sockets
 *  never block the loop.  The body is rendered at most once a second and
 *  served from that copy in between.  With all 16 connections in use, a
 *  new one evicts the oldest that is still sending its request.  When
 *  accept fails for want of descriptors or memory, the listener rests 1 s
 *  at a time (logged once per run of failures) instead of spinning.
 */
#ifndef KETEN_HTTPD_H
#define KETEN_HTTPD_H

#include "util.h"

#include <czmq.h>

typedef struct _httpd_t httpd_t;

/*  The body of one 200 answer: heap (the server frees it), or NULL when
 *  it cannot be made (answered with 500, and tried again on the next
 *  request). */
typedef char *(httpd_render_fn) (void *arg);

/*  What a server serves.  The strings are borrowed and must outlive the
 *  server (string literals, typically). */
typedef struct {
    const char *name;         /* leads its log lines and reasons, e.g. "metrics" */
    const char *path;         /* the one path answered, e.g. "/metrics"; a query is ignored */
    const char *content_type; /* of a 200 answer */
    httpd_render_fn *render;  /* called at most once a second */
    void *arg;                /* render's argument, borrowed */
} httpd_site_t;

/*  Listen on listen (HOST:PORT as config_parse_listen reads it, port *
 *  for any free one) and answer in loop.  loop is borrowed and must
 *  outlive the server; site is copied.  NULL with a reason on failure. */
httpd_t *httpd_new (zloop_t *loop, const char *listen, const httpd_site_t *site,
                    kt_reason_t *reason);
/*  Close every connection and the listener, and leave the loop. */
void httpd_destroy (httpd_t **self_p);
/*  The address bound, e.g. "127.0.0.1:40123" (a port * resolved). */
const char *httpd_endpoint (const httpd_t *self);

#endif
