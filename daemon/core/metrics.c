/*  metrics: Prometheus text exposition of the node's status
 *  (docs/OPERATIONS.md, "Prometheus metrics").
 *
 *  The node's metrics are rendered from the same JSON that `keten status`
 *  shows, so that both always agree, and served at /metrics by httpd, the
 *  small HTTP/1.0 responder in the node's zloop (see httpd.h for what it
 *  promises a client, and why it cannot hold the loop up).
 */
#include "httpd.h"
#include "keten_version.h" /* KETEN_VERSION, generated at build time */
#include "node_core.h"
#include "statuscheck.h"
#include "store.h"

#include <stdarg.h>
#include <string.h>

struct _metrics_t {
    httpd_t *httpd;
};

metrics_t *
metrics_new (zloop_t *loop, const char *listen_on, metrics_render_fn *render, void *arg,
             kt_reason_t *reason)
{
    metrics_t *self = calloc (1, sizeof *self);
    if (!self) {
        kt_fail (reason, "out of memory");
        return NULL;
    }
    const httpd_site_t site = {
        .name = "metrics",
        .path = "/metrics",
        .content_type = "text/plain; version=0.0.4; charset=utf-8", /* format 0.0.4 */
        .render = render,
        .arg = arg,
    };
    self->httpd = httpd_new (loop, listen_on, &site, reason);
    if (!self->httpd) {
        free (self);
        return NULL;
    }
    return self;
}

void
metrics_destroy (metrics_t **self_p)
{
    metrics_t *self = *self_p;
    if (!self)
        return;
    httpd_destroy (&self->httpd);
    free (self);
    *self_p = NULL;
}

const char *
metrics_endpoint (const metrics_t *self)
{
    return httpd_endpoint (self->httpd);
}

/* ---- exposition text ---------------------------------------------------- */

typedef struct {
    char *buf;
    size_t len, cap;
    bool failed; /* out of memory: the whole text is dropped */
} text_t;

static void s_put (text_t *t, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static void
s_put (text_t *t, const char *fmt, ...)
{
    if (t->failed)
        return;
    for (;;) {
        va_list ap;
        va_start (ap, fmt);
        int n = vsnprintf (t->buf ? t->buf + t->len : NULL, t->buf ? t->cap - t->len : 0, fmt, ap);
        va_end (ap);
        if (n < 0) {
            t->failed = true;
            return;
        }
        if (t->buf && t->len + (size_t) n < t->cap) {
            t->len += (size_t) n;
            return;
        }
        size_t cap = t->cap ? t->cap * 2 : 16384;
        while (cap < t->len + (size_t) n + 1)
            cap *= 2;
        char *buf = realloc (t->buf, cap);
        if (!buf) {
            t->failed = true;
            return;
        }
        t->buf = buf;
        t->cap = cap;
    }
}

static void
s_family (text_t *t, const char *name, const char *type, const char *help)
{
    s_put (t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/*  A label value as the format wants it: backslash, quote and newline
 *  escaped.  Values are ids, kinds, roles: short; longer is cut. */
static const char *
s_label (char *out, size_t len, const char *value)
{
    size_t o = 0;
    for (const char *p = value ? value : ""; *p && o + 3 < len; p++) {
        if (*p == '\\' || *p == '"' || *p == '\n') {
            out[o++] = '\\';
            out[o++] = *p == '\n' ? 'n' : *p;
        } else
            out[o++] = *p;
    }
    out[o] = 0;
    return out;
}

static uint64_t
s_uint (json_t *obj, const char *key)
{
    json_t *v = json_object_get (obj, key);
    return json_is_integer (v) && json_integer_value (v) > 0 ? (uint64_t) json_integer_value (v)
                                                             : 0;
}

static int64_t
s_int (json_t *obj, const char *key)
{
    json_t *v = json_object_get (obj, key);
    return json_is_integer (v) ? (int64_t) json_integer_value (v) : 0;
}

static bool
s_has_alarm (json_t *alarms, const char *name)
{
    size_t i;
    json_t *a;
    json_array_foreach (alarms, i, a)
    {
        if (json_is_string (a) && streq (json_string_value (a), name))
            return true;
    }
    return false;
}

/*  Seconds since a wall-clock time in ms; +Inf for never. */
static void
s_put_age (text_t *t, uint64_t at_ms, uint64_t now_ms)
{
    if (at_ms == 0)
        s_put (t, "+Inf\n");
    else
        s_put (t, "%.3f\n", now_ms > at_ms ? (double) (now_ms - at_ms) / 1000.0 : 0.0);
}

/*  One gauge per member, from a field of its status object. */
typedef enum { V_INT, V_MS, V_US, V_BOOL, V_AGE } s_value_t;

typedef struct {
    const char *name;
    const char *field;
    s_value_t value;
    const char *help;
} s_member_gauge_t;

static const s_member_gauge_t s_member_gauges[] = {
    {"keten_member_online", "online", V_BOOL,
     "1 when the member was heard from within the heartbeat timeout"},
    {"keten_member_last_seen_seconds", "last_seen_ms", V_AGE,
     "Seconds since the member was last heard from (+Inf: never)"},
    {"keten_member_rtt_seconds", "rtt_us", V_US,
     "Round trip the member last measured to the uitvoerder"},
    {"keten_member_outbox_depth", "outbox_depth", V_INT,
     "Messages in the member's outbox not yet settled"},
    {"keten_member_oldest_undelivered_seconds", "oldest_undelivered_ms", V_MS,
     "Age of the oldest message in the member's outbox not yet settled"},
    {"keten_member_roster_version", "roster_version", V_INT, "Roster version the member runs"},
    {"keten_member_roster_stale", "roster_stale", V_BOOL,
     "1 when the member's roster is older than the uitvoerder's"},
    {"keten_member_checkpoint_size", "checkpoint_size", V_INT,
     "Tree size of the newest log checkpoint the member verified"},
    {"keten_member_key_age_seconds", "key_age_s", V_INT,
     "Seconds since the member's secret key file was made"},
    {"keten_member_clock_skew_seconds", "clock_skew_ms", V_MS,
     "The member's clock minus the uitvoerder's"},
    {"keten_member_uptime_seconds", "uptime_s", V_INT,
     "Seconds the member's ketend has been running"},
    {"keten_member_relay_pending", "relay_pending", V_INT,
     "The uitvoerder's own copies for the member not yet receipted"},
    {"keten_member_relay_oldest_seconds", "relay_oldest_ms", V_MS,
     "Age of the oldest of the uitvoerder's copies for the member not yet receipted"},
    {"keten_member_expired_messages", "expired_messages", V_INT,
     "The uitvoerder's copies for the member that expired undelivered (delivery/max-age-s)"},
};

/*  Every alarm a member row of the uitvoerder's status can carry. */
static const char *const s_member_alarms[] = {"offline",
                                              "stale_roster",
                                              "clock_skew",
                                              "backlog",
                                              "undelivered_age",
                                              "log_alarm",
                                              "roster_refused",
                                              "refusal_flood",
                                              "incident_flood",
                                              "access_notice_flood",
                                              "relay_backlog",
                                              "storage_failing",
                                              "log_witness_unreadable",
                                              "duplicate_instance"};
/*  Every alarm a partner's own status can carry: its link's, and a clock
 *  its peers disagree with (node_clock.c). */
static const char *const s_link_alarms[] = {
    "link_down",       "backlog",         "undelivered_age",    "log_alarm",
    "roster_conflict", "storage_failing", "duplicate_instance", "clock_skew"};
/*  Every alarm the uitvoerder's own status (not a member's) can carry. */
static const char *const s_hub_alarms[] = {"storage_failing", "clock_skew"};

/*  member="ID",kind="KIND",role="ROLE": the only labels a member gets. */
static const char *
s_member_labels (char *out, size_t len, json_t *m)
{
    char id[80], kind[80], role[80];
    snprintf (out, len, "member=\"%s\",kind=\"%s\",role=\"%s\"",
              s_label (id, sizeof id, json_string_value (json_object_get (m, "id"))),
              s_label (kind, sizeof kind, json_string_value (json_object_get (m, "kind"))),
              s_label (role, sizeof role, json_string_value (json_object_get (m, "role"))));
    return out;
}

static void
s_render_members (text_t *t, json_t *members, uint64_t now)
{
    char labels[320], version[80];
    size_t i;
    json_t *m;
    for (size_t g = 0; g < sizeof s_member_gauges / sizeof s_member_gauges[0]; g++) {
        const s_member_gauge_t *mg = &s_member_gauges[g];
        s_family (t, mg->name, "gauge", mg->help);
        json_array_foreach (members, i, m)
        {
            s_put (t, "%s{%s} ", mg->name, s_member_labels (labels, sizeof labels, m));
            if (mg->value == V_BOOL)
                s_put (t, "%d\n", json_is_true (json_object_get (m, mg->field)) ? 1 : 0);
            else if (mg->value == V_AGE)
                s_put_age (t, s_uint (m, mg->field), now);
            else if (mg->value == V_MS)
                s_put (t, "%.3f\n", (double) s_int (m, mg->field) / 1000.0);
            else if (mg->value == V_US)
                s_put (t, "%.6f\n", (double) s_int (m, mg->field) / 1e6);
            else
                s_put (t, "%lld\n", (long long) s_int (m, mg->field));
        }
    }
    s_family (t, "keten_member_info", "gauge", "The member's software version, as a label");
    json_array_foreach (members, i, m)
    {
        const char *v = json_string_value (json_object_get (m, "software_version"));
        s_put (t, "keten_member_info{%s,version=\"%s\"} 1\n",
               s_member_labels (labels, sizeof labels, m), s_label (version, sizeof version, v));
    }
    s_family (t, "keten_member_alarm", "gauge", "1 while the alarm is raised for the member");
    json_array_foreach (members, i, m)
    {
        json_t *alarms = json_object_get (m, "alarms");
        s_member_labels (labels, sizeof labels, m);
        for (size_t a = 0; a < sizeof s_member_alarms / sizeof s_member_alarms[0]; a++)
            s_put (t, "keten_member_alarm{%s,alarm=\"%s\"} %d\n", labels, s_member_alarms[a],
                   s_has_alarm (alarms, s_member_alarms[a]) ? 1 : 0);
    }
}

/*  The uitvoerder's view of the federation, from its status answer. */
static void
s_render_federation (text_t *t, json_t *r, uint64_t now)
{
    json_t *fed = json_object_get (r, "federation");
    s_family (t, "keten_members", "gauge",
              "Members of the federation (the uitvoerder and members that have left not counted)");
    s_put (t, "keten_members %llu\n", (unsigned long long) s_uint (fed, "members"));
    s_family (t, "keten_members_online", "gauge",
              "Members heard from within the heartbeat timeout");
    s_put (t, "keten_members_online %llu\n", (unsigned long long) s_uint (fed, "online"));
    s_family (t, "keten_alarms", "gauge", "Alarms raised over all members");
    s_put (t, "keten_alarms %llu\n", (unsigned long long) s_uint (fed, "alarms"));
    /*  A member that has left the federation is not one to watch: its
     *  series end, so nothing pages for it (docs/OPERATIONS.md). */
    json_t *present = json_array ();
    size_t i;
    json_t *m;
    json_array_foreach (json_object_get (r, "members"), i, m)
    {
        if (present && !json_is_true (json_object_get (m, "left")))
            json_array_append (present, m);
    }
    if (!present)
        t->failed = true;
    s_render_members (t, present, now);
    json_decref (present);
    json_t *log = json_object_get (r, "log");
    s_family (t, "keten_log_size", "gauge", "Entries in the provenance log");
    s_put (t, "keten_log_size %llu\n", (unsigned long long) s_uint (log, "size"));
    json_t *stored = json_object_get (r, "stored");
    s_family (t, "keten_signals_stored", "gauge", "Signals in the weegploeg file");
    s_put (t, "keten_signals_stored %llu\n", (unsigned long long) s_uint (stored, "signals"));
    s_family (t, "keten_subjects_stored", "gauge", "Subjects in the weegploeg file");
    s_put (t, "keten_subjects_stored %llu\n", (unsigned long long) s_uint (stored, "subjects"));
}

char *
metrics_render_federation (json_t *status, uint64_t now_ms)
{
    text_t t = {0};
    s_render_federation (&t, status, now_ms);
    if (t.failed) {
        free (t.buf);
        return NULL;
    }
    return t.buf;
}

/*  The incidents still open, from their summary. */
static void
s_render_incidents (text_t *t, json_t *incidents)
{
    s_family (t, "keten_incidents_open", "gauge", "Incidents registered and not closed");
    s_put (t, "keten_incidents_open %llu\n", (unsigned long long) s_uint (incidents, "open"));
}

/*  A member's link to the uitvoerder and its outbox, from its status. */
static void
s_render_link (text_t *t, json_t *r, uint64_t now)
{
    json_t *link = json_object_get (r, "link");
    json_t *outbox = json_object_get (r, "outbox");
    s_family (t, "keten_link_up", "gauge",
              "1 when the uitvoerder was heard from within the timeout");
    s_put (t, "keten_link_up %d\n", json_is_true (json_object_get (link, "up")) ? 1 : 0);
    s_family (t, "keten_link_last_seen_seconds", "gauge",
              "Seconds since the uitvoerder was last heard from (+Inf: never)");
    s_put (t, "keten_link_last_seen_seconds ");
    s_put_age (t, s_uint (link, "last_seen_ms"), now);
    s_family (t, "keten_link_rtt_seconds", "gauge", "Round trip to the uitvoerder, last measured");
    s_put (t, "keten_link_rtt_seconds %.6f\n", (double) s_uint (link, "rtt_us") / 1e6);
    s_family (t, "keten_outbox_pending", "gauge", "Messages in the outbox not yet settled");
    s_put (t, "keten_outbox_pending %llu\n", (unsigned long long) s_uint (outbox, "depth"));
    s_family (t, "keten_oldest_undelivered_seconds", "gauge",
              "Age of the oldest message in the outbox not yet settled");
    s_put (t, "keten_oldest_undelivered_seconds %.3f\n",
           (double) s_uint (outbox, "oldest_undelivered_ms") / 1000.0);
    s_family (t, "keten_outbox_delivered", "gauge", "Messages kept as delivered");
    s_put (t, "keten_outbox_delivered %llu\n", (unsigned long long) s_uint (outbox, "delivered"));
    s_family (t, "keten_outbox_refused", "gauge", "Messages kept as refused by the uitvoerder");
    s_put (t, "keten_outbox_refused %llu\n", (unsigned long long) s_uint (outbox, "refused"));
    s_family (t, "keten_checkpoint_size", "gauge",
              "Tree size of the newest log checkpoint verified (0: none)");
    s_put (t, "keten_checkpoint_size %llu\n", (unsigned long long) s_uint (r, "checkpoint_size"));
}

/*  This node's own alarms, every one it can carry, from its whole status
 *  (a role's metrics view leaves out the clock's): each pages by itself,
 *  as node_alarms, their sum, has no alert rule (docs/OPERATIONS.md). */
static void
s_render_alarms (text_t *t, json_t *status)
{
    bool partner = json_object_get (status, "link") != NULL;
    const char *const *names = partner ? s_link_alarms : s_hub_alarms;
    size_t n = partner ? sizeof s_link_alarms / sizeof s_link_alarms[0]
                       : sizeof s_hub_alarms / sizeof s_hub_alarms[0];
    json_t *alarms = json_object_get (status, "alarms");
    s_family (t, "keten_alarm", "gauge", "1 while the alarm is raised at this node");
    for (size_t a = 0; a < n; a++)
        s_put (t, "keten_alarm{alarm=\"%s\"} %d\n", names[a],
               s_has_alarm (alarms, names[a]) ? 1 : 0);
}

/*  What the role put in its metrics view, in the order the parts have
 *  always been shown: the federation and its incidents (the uitvoerder),
 *  or the link (a partner). */
static void
s_render_role (text_t *t, json_t *view, uint64_t now)
{
    if (json_object_get (view, "federation"))
        s_render_federation (t, view, now);
    if (json_object_get (view, "incidents"))
        s_render_incidents (t, json_object_get (view, "incidents"));
    if (json_object_get (view, "link"))
        s_render_link (t, view, now);
}

/*  The police spool's files that wait, neither forwarded nor rejected
 *  (spool_file_stuck), from its status; nothing where there is no spool
 *  or it cannot be read (spool_unreadable says so). */
static void
s_render_spool (text_t *t, json_t *spool, uint64_t now)
{
    if (!json_is_integer (json_object_get (spool, "waiting")))
        return;
    s_family (t, "keten_spool_waiting_files", "gauge",
              "Files in the intake spool and its work/ not yet forwarded or rejected");
    s_put (t, "keten_spool_waiting_files %llu\n", (unsigned long long) s_uint (spool, "waiting"));
    s_family (t, "keten_spool_oldest_waiting_seconds", "gauge",
              "How long the oldest of them has waited (0: none waits)");
    uint64_t oldest = s_uint (spool, "oldest_waiting_ms");
    s_put (t, "keten_spool_oldest_waiting_seconds %.3f\n",
           oldest && now > oldest ? (double) (now - oldest) / 1000.0 : 0.0);
}

static void
s_render_check (void *arg, const statuscheck_t *check, uint64_t count, const char *summary)
{
    (void) summary;
    s_put (arg, "keten_check{check=\"%s\",severity=\"%s\"} %llu\n", check->name,
           statuscheck_level_name (check->level), (unsigned long long) count);
}

char *
metrics_node_render (void *arg)
{
    node_t *self = arg;
    uint64_t now = kt_now_ms ();
    const roster_member_t *me = keyring_self_member (self->keyring);
    text_t t = {0};
    char id[80], kind[80], role[80];
    s_family (&t, "keten_up", "gauge", "1: ketend answers");
    s_put (&t, "keten_up 1\n");
    s_family (&t, "keten_info", "gauge", "This node, its kind, role and software version");
    s_put (&t, "keten_info{node=\"%s\",kind=\"%s\",role=\"%s\",version=\"%s\"} 1\n",
           s_label (id, sizeof id, me->id), s_label (kind, sizeof kind, me->kind),
           s_label (role, sizeof role, roster_role_name (me->role)), KETEN_VERSION);
    s_family (&t, "keten_uptime_seconds", "gauge", "Seconds since ketend started");
    s_put (&t, "keten_uptime_seconds %llu\n", (unsigned long long) node_uptime_s (self));
    s_family (&t, "keten_roster_version", "gauge", "Roster version this node runs");
    s_put (&t, "keten_roster_version %llu\n",
           (unsigned long long) keyring_roster (self->keyring)->version);
    s_family (&t, "keten_key_age_seconds", "gauge",
              "Seconds since this node's secret key file was made");
    s_put (&t, "keten_key_age_seconds %llu\n",
           (unsigned long long) (metrics_key_age_ms (self, now) / 1000));
    transport_stats_t ts;
    if (transport_stats (self->transport, &ts)) {
        s_family (
            &t, "keten_transport_dropped_total", "counter",
            "Messages the uitvoerder's transport dropped, by reason: a connection's, one "
            "member's or all connections' queues full (the member sends again), malformed, or sent "
            "to a connection gone or full");
        for (int i = 0; i < TRANSPORT_DROP_REASONS; i++)
            s_put (&t, "keten_transport_dropped_total{reason=\"%s\"} %llu\n",
                   transport_drop_name ((transport_drop_t) i), (unsigned long long) ts.dropped[i]);
        s_family (&t, "keten_transport_held_bytes", "gauge",
                  "Bytes of received messages the transport holds for the loop");
        s_put (&t, "keten_transport_held_bytes %llu\n", (unsigned long long) ts.held_bytes);
    }
    json_t *review = json_object ();
    if (review)
        node_audit_status (self, review);
    const char *what;
    uint64_t since;
    s_family (&t, "keten_storage_failing", "gauge",
              "1: a database file failed a write (full disk, I/O error, locked) and has not "
              "committed since (after a full disk: rows, with 8 MB free on its filesystem)");
    s_put (&t, "keten_storage_failing %d\n", store_health_failing (&what, &since) ? 1 : 0);
    s_family (&t, "keten_access_review_due", "gauge",
              "1: the periodic review of the access log is due (art. 15.2e)");
    s_put (&t, "keten_access_review_due %d\n",
           json_is_true (json_object_get (review, "access_review_due")) ? 1 : 0);
    json_decref (review);
    json_t *view = self->role->metrics (self, now);
    s_render_role (&t, view, now);
    json_decref (view);
    json_t *status = node_status (self);
    if (status) {
        s_render_alarms (&t, status);
        s_render_spool (&t, json_object_get (status, "spool"), now);
        s_family (&t, "keten_check", "gauge",
                  "What `keten status --check` judges, one series per check: how many "
                  "are raised (0: none)");
        statuscheck_run (status, s_render_check, &t);
        json_decref (status);
    } else
        t.failed = true;
    if (t.failed) {
        free (t.buf);
        return NULL;
    }
    return t.buf;
}

/* ---- the node's status -------------------------------------------------- */

int
metrics_node_start (node_t *node, kt_reason_t *reason)
{
    if (!*node->config.metrics_listen)
        return 0;
    node->metrics =
        metrics_new (node->loop, node->config.metrics_listen, metrics_node_render, node, reason);
    if (!node->metrics)
        return -1;
    kt_log (KT_LOG_INFO, "metrics listening endpoint=%s", metrics_endpoint (node->metrics));
    return 0;
}

void
metrics_status (node_t *node, json_t *result)
{
    /*  Storage that fails (a full disk, a file locked by another process):
     *  an alarm of this node, whatever its role, while it keeps failing. */
    const char *what = "", *file = "";
    uint64_t since = 0;
    bool failing = store_health_failing_file (&what, &file, &since);
    json_object_set_new (result, "storage",
                         failing ? json_pack ("{s:b, s:s, s:I, s:s}", "failing", true, "error",
                                              what, "since_ms", (json_int_t) since, "file", file)
                                 : json_pack ("{s:b}", "failing", false));
    json_t *alarms = json_object_get (result, "alarms");
    if (!json_is_array (alarms)) {
        alarms = json_array ();
        json_object_set_new (result, "alarms", alarms);
    }
    if (failing)
        json_array_append_new (alarms, json_string ("storage_failing"));
    json_object_set_new (
        result, "key_age_days",
        json_integer ((json_int_t) (metrics_key_age_ms (node, kt_now_ms ()) / 86400000)));
    if (node->metrics)
        json_object_set_new (result, "metrics_listen",
                             json_string (metrics_endpoint (node->metrics)));
}

uint64_t
metrics_key_age_ms (const node_t *node, uint64_t now_ms)
{
    return node->key_created_ms && node->key_created_ms < now_ms ? now_ms - node->key_created_ms
                                                                 : 0;
}

json_t *
metrics_alarms (const metrics_alarm_input_t *in)
{
    json_t *alarms = json_array ();
    uint64_t skew = in->clock_skew_ms < 0 ? (uint64_t) 0 - (uint64_t) in->clock_skew_ms
                                          : (uint64_t) in->clock_skew_ms;
    if (!in->online)
        json_array_append_new (alarms, json_string (in->uitvoerder_view ? "offline" : "link_down"));
    if (in->uitvoerder_view && in->roster_stale)
        json_array_append_new (alarms, json_string ("stale_roster"));
    if (in->uitvoerder_view && in->heard && skew > METRICS_SKEW_ALARM_MS)
        json_array_append_new (alarms, json_string ("clock_skew"));
    if (in->outbox_depth >= METRICS_BACKLOG_ALARM)
        json_array_append_new (alarms, json_string ("backlog"));
    if (in->oldest_undelivered_ms >= METRICS_UNDELIVERED_ALARM_MS)
        json_array_append_new (alarms, json_string ("undelivered_age"));
    if (in->log_alarm)
        json_array_append_new (alarms, json_string ("log_alarm"));
    if (in->uitvoerder_view && in->roster_refused)
        json_array_append_new (alarms, json_string ("roster_refused"));
    if (in->uitvoerder_view && in->refusal_flood)
        json_array_append_new (alarms, json_string ("refusal_flood"));
    if (in->uitvoerder_view && in->incident_flood)
        json_array_append_new (alarms, json_string ("incident_flood"));
    if (in->uitvoerder_view && in->access_notice_flood)
        json_array_append_new (alarms, json_string ("access_notice_flood"));
    /*  Copies the member does not take although it is there: counted
     *  from when it came online, so one back from an outage is not
     *  alarmed on while its backlog is being delivered. */
    if (in->uitvoerder_view && in->online && in->relay_oldest_ms >= METRICS_RELAY_ALARM_MS &&
        in->online_for_ms >= METRICS_RELAY_ALARM_MS)
        json_array_append_new (alarms, json_string ("relay_backlog"));
    if (in->uitvoerder_view && in->storage_failing)
        json_array_append_new (alarms, json_string ("storage_failing"));
    /*  Its log_alarm not known: an alarm, not "no alarm". */
    if (in->uitvoerder_view && in->log_witness_unreadable)
        json_array_append_new (alarms, json_string ("log_witness_unreadable"));
    if (!in->uitvoerder_view && in->roster_conflict)
        json_array_append_new (alarms, json_string ("roster_conflict"));
    if (in->duplicate_instance)
        json_array_append_new (alarms, json_string ("duplicate_instance"));
    return alarms;
}
