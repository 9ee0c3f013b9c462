/*  metrics: the node's status as Prometheus metrics (text exposition
 *  format 0.0.4), served on a local TCP address at /metrics by httpd, a
 *  tiny HTTP/1.0 responder in the node's zloop (docs/OPERATIONS.md,
 *  "Prometheus metrics"; httpd.h says what it answers, its limits and
 *  deadlines, and how it renders at most once a second).  Labels carry
 *  node ids, kinds, roles, versions and alarm names only: never a name or
 *  anything else of a person.
 */
#ifndef KETEN_METRICS_H
#define KETEN_METRICS_H

#include "node.h"
#include "util.h"

#include <czmq.h>
#include <jansson.h>

/*  Alarm thresholds, the same in `keten status` and the metrics. */
#define METRICS_SKEW_ALARM_MS 2000         /* |clock skew| above this */
#define METRICS_BACKLOG_ALARM 1000         /* outbox messages not yet settled */
#define METRICS_UNDELIVERED_ALARM_MS 60000 /* age of the oldest of them */
/*  uitvoerder: its own oldest copy for a member, not yet receipted, kept
 *  this long while the member was online (relay_backlog): by then it was
 *  offered six times (the relay's backoff, 1 s doubling), so the member
 *  is up but does not take it. */
#define METRICS_RELAY_ALARM_MS 60000

/*  What the alarms are computed from: a member as the uitvoerder last heard
 *  of it, or a partner's own state. */
typedef struct {
    bool uitvoerder_view;  /* a member row (else a partner's own) */
    bool online;           /* uitvoerder: heard within the timeout;
                            * partner: its link to the uitvoerder is up */
    bool heard;            /* uitvoerder: ever heard from */
    bool roster_stale;     /* uitvoerder: its roster is older */
    int64_t clock_skew_ms; /* uitvoerder: its clock minus ours */
    uint64_t outbox_depth;
    uint64_t oldest_undelivered_ms;
    bool log_alarm;
    bool roster_conflict; /* partner: it refused a roster older than, or
                           * different from, the one it holds */
    bool roster_refused;  /* uitvoerder: the member's last answer to a
                           * roster push was a refusal */
    bool refusal_flood;   /* uitvoerder: the member's refusals went past
                           * the hour's budget within the last hour */
    /*  uitvoerder: its incidents, or its access notices, went past the
     *  hour's budget within the last hour (the excess is refused). */
    bool incident_flood;
    bool access_notice_flood;
    /*  uitvoerder: the age of its oldest copy for the member not yet
     *  receipted (0: none), and how long the member has been online
     *  without a break. */
    uint64_t relay_oldest_ms;
    uint64_t online_for_ms;
    bool storage_failing; /* uitvoerder: the member's heartbeat said so */
    /*  uitvoerder: the member's heartbeat said its witness cannot be read,
     *  so its log_alarm is not known. */
    bool log_witness_unreadable;
    /*  Two copies of the node run with its keys at once: at the
     *  uitvoerder, as their heartbeats alternate; at a partner, as the
     *  uitvoerder's reply said. */
    bool duplicate_instance;
} metrics_alarm_input_t;

/*  The alarm names that apply, in the order status and metrics show them:
 *  offline (or link_down at a partner), stale_roster, clock_skew, backlog,
 *  undelivered_age, log_alarm, roster_refused, refusal_flood,
 *  incident_flood, access_notice_flood, relay_backlog, storage_failing and log_witness_unreadable
 *  (uitvoerder) or roster_conflict (partner; its own storage_failing is
 *  added by metrics_status), and duplicate_instance.  A JSON array (new
 *  reference). */
json_t *metrics_alarms (const metrics_alarm_input_t *in);

typedef struct _metrics_t metrics_t;

/*  The body of one answer to GET /metrics: heap (free()), or NULL when it
 *  cannot be made (answered with 500).  The same type as httpd_render_fn. */
typedef char *(metrics_render_fn) (void *arg);

/*  Listen on listen (metrics/listen: HOST:PORT, port * for any free one)
 *  and answer in loop, calling render for a GET /metrics at most once a
 *  second (the body it returns answers every request in that second).
 *  loop and arg are borrowed and must outlive the server. */
metrics_t *metrics_new (zloop_t *loop, const char *listen, metrics_render_fn *render, void *arg,
                        kt_reason_t *reason);
void metrics_destroy (metrics_t **self_p);
/*  The address bound, e.g. "127.0.0.1:40123" (a port * resolved). */
const char *metrics_endpoint (const metrics_t *self);

/* ---- the node's metrics ------------------------------------------------- */

/*  Serve the node's metrics when metrics/listen is set (node->metrics
 *  stays NULL when it is not). */
int metrics_node_start (node_t *node, kt_reason_t *reason);
/*  A metrics_render_fn for a node_t: its own lines, then what its role's
 *  metrics hook returns (node_core.h). */
char *metrics_node_render (void *node);
/*  The federation part of the uitvoerder's metrics (members, alarms, log
 *  and store counts) from its status answer, as of now_ms: heap (free()),
 *  NULL when out of memory.  Depends on the JSON alone, so any member row
 *  can be tested without a federation. */
char *metrics_render_federation (json_t *status, uint64_t now_ms);
/*  Add the node's own key age and the metrics endpoint to a status answer. */
void metrics_status (node_t *node, json_t *result);
/*  How old the node's secret key file is (its mtime at startup). */
uint64_t metrics_key_age_ms (const node_t *node, uint64_t now_ms);

#endif
