/*  keten status as text at the uitvoerder: what it stores, its log and
 *  checkpoint, the incidents, the desk's requests, corrections and
 *  informatieplicht, the peered federations, and every member at a
 *  glance (status_text.c prints what every node shows).  */
#include "status_text.h"

#include "cli.h"

#include <stdio.h>
#include <string.h>

/*  "0.4 ms" for a member's rtt_us, "-" for none yet. */
static const char *
s_rtt (char *buf, size_t len, json_t *obj)
{
    uint64_t us = 0;
    if (!cli_json_uint (obj, "rtt_us", &us) || us == 0)
        snprintf (buf, len, "-");
    else if (us < 1000)
        snprintf (buf, len, "%llu µs", (unsigned long long) us);
    else
        snprintf (buf, len, "%.1f ms", (double) us / 1000.0);
    return buf;
}

static bool
s_has_alarm (json_t *alarms, const char *name)
{
    size_t i;
    json_t *a;
    json_array_foreach (alarms, i, a)
    {
        if (json_is_string (a) && strcmp (json_string_value (a), name) == 0)
            return true;
    }
    return false;
}

/*  "+0.012 s" (the member's clock ahead of ours), flagged with " !" when
 *  the daemon raised the clock_skew alarm (above 2 s). */
static const char *
s_skew (char *buf, size_t len, json_t *m, bool heard)
{
    json_t *v = json_object_get (m, "clock_skew_ms");
    if (!heard || !json_is_integer (v)) {
        snprintf (buf, len, "-");
        return buf;
    }
    json_int_t ms = json_integer_value (v);
    json_int_t mag = ms < 0 ? -ms : ms;
    snprintf (buf, len, "%c%lld.%03lld s%s", ms < 0 ? '-' : '+', (long long) (mag / 1000),
              (long long) (mag % 1000),
              s_has_alarm (json_object_get (m, "alarms"), "clock_skew") ? " !" : "");
    return buf;
}

/*  art. 11.4-11.5: informatieplicht tasks still open and deferrals whose
 *  review date has come; art. 8.3, 10.3: records due for their accuracy
 *  review (uitvoerder). */
static void
s_print_informatieplicht (json_t *result)
{
    char line[512];
    json_t *ip = json_object_get (result, "informatieplicht");
    if (json_is_object (ip)) {
        uint64_t open = 0;
        cli_json_uint (ip, "open", &open);
        json_t *due = json_object_get (ip, "review_due");
        snprintf (line, sizeof line, "%llu open, %zu deferral%s due for review",
                  (unsigned long long) open, json_array_size (due),
                  json_array_size (due) == 1 ? "" : "s");
        status_text_line ("infoplicht", line);
        size_t i;
        json_t *t;
        json_array_foreach (due, i, t)
        {
            char id[CLI_CELL_MAX + 1], ref[CLI_CELL_MAX + 1], on[CLI_CELL_MAX + 1];
            snprintf (line, sizeof line, "%s (%s) deferred until %s: inform or defer again",
                      cli_json_str (t, "task_id", id, sizeof id),
                      cli_json_str (t, "case_ref", ref, sizeof ref),
                      cli_json_str (t, "review_on", on, sizeof on));
            status_text_line ("review due", line);
        }
        /*  art. 11.5 and 13: retention does not wait for the informing. */
        json_array_foreach (json_object_get (ip, "before_retention"), i, t)
        {
            char id[CLI_CELL_MAX + 1], ref[CLI_CELL_MAX + 1], st[CLI_CELL_MAX + 1],
                act[CLI_CELL_MAX + 1], when[48];
            uint64_t due_ms = 0;
            cli_json_uint (t, "due_ms", &due_ms);
            cli_fmt_time (when, sizeof when, due_ms);
            const char *action = cli_json_str (t, "action", act, sizeof act);
            snprintf (line, sizeof line,
                      "%s (%s) %s, not informed yet (art. 11.5): the subject is %s %s (art. 13)",
                      cli_json_str (t, "task_id", id, sizeof id),
                      cli_json_str (t, "case_ref", ref, sizeof ref),
                      cli_json_str (t, "state", st, sizeof st),
                      strcmp (action, "archive") == 0 ? "archived" : "destroyed", when);
            status_text_line ("warning", line);
        }
    }
    json_t *review = json_object_get (result, "review");
    if (json_is_object (review)) {
        uint64_t due = 0, days = 0;
        cli_json_uint (review, "due", &due);
        cli_json_uint (review, "review_days", &days);
        snprintf (line, sizeof line, "%llu not reviewed for %llu days (keten review list)",
                  (unsigned long long) due, (unsigned long long) days);
        status_text_line ("accuracy", line);
    }
}

/*  art. 12.5-12.6 (uitvoerder): corrections whose notice a party has not
 *  confirmed yet, and, as an alarm, decisions not carried out within the
 *  4 weeks of art. 12.6 (or of their request, art. 12.5). */
static void
s_print_corrections (json_t *corrections)
{
    if (!json_is_object (corrections))
        return;
    char line[512], ref[CLI_CELL_MAX + 1], id[CLI_CELL_MAX + 1], node[CLI_CELL_MAX + 1], due[32];
    json_t *unconfirmed = json_object_get (corrections, "unconfirmed");
    json_t *overdue = json_object_get (corrections, "overdue");
    snprintf (line, sizeof line, "%zu unconfirmed notice%s, %zu past 4 weeks",
              json_array_size (unconfirmed), json_array_size (unconfirmed) == 1 ? "" : "s",
              json_array_size (overdue));
    status_text_line ("corrections", line);
    size_t i;
    json_t *c;
    json_array_foreach (unconfirmed, i, c)
    {
        snprintf (line, sizeof line, "%s has not confirmed %s of %s",
                  cli_json_str (c, "node", node, sizeof node),
                  cli_json_str (c, "correction_id", id, sizeof id),
                  cli_json_str (c, "case_ref", ref, sizeof ref));
        status_text_line ("unconfirmed", line);
    }
    json_array_foreach (overdue, i, c)
    {
        uint64_t v = 0, own = 0;
        cli_json_uint (c, "due_ms", &v);
        cli_fmt_time (due, sizeof due, v);
        /*  Due by its request's 4 weeks (art. 12.5), which ended first. */
        bool by_request = json_object_get (c, "request_due_ms") &&
                          cli_json_uint (c, "decision_due_ms", &own) && v < own;
        snprintf (line, sizeof line, "correction %s of %s not carried out by %s (%s)",
                  cli_json_str (c, "correction_id", id, sizeof id),
                  cli_json_str (c, "case_ref", ref, sizeof ref), due,
                  by_request ? "art. 12.5: 4 weeks after the request's receipt" : "art. 12.6");
        status_text_line ("ALARM", line);
    }
}

/*  art. 12.3: the open requests of the desk, each with its deadline; a
 *  warning a week ahead, an ALARM once overdue. */
static void
s_print_rights (json_t *rights)
{
    if (!json_is_object (rights))
        return;
    char line[512];
    uint64_t warnings = 0, alarms = 0;
    cli_json_uint (rights, "warnings", &warnings);
    cli_json_uint (rights, "alarms", &alarms);
    json_t *open = json_object_get (rights, "open");
    snprintf (line, sizeof line, "%zu open request%s, %llu warning%s, %llu alarm%s",
              json_array_size (open), json_array_size (open) == 1 ? "" : "s",
              (unsigned long long) warnings, warnings == 1 ? "" : "s", (unsigned long long) alarms,
              alarms == 1 ? "" : "s");
    status_text_line ("requests", line);
    size_t i;
    json_t *r;
    json_array_foreach (open, i, r)
    {
        char id[CLI_CELL_MAX + 1], kind[CLI_CELL_MAX + 1], due[CLI_CELL_MAX + 1],
            state[CLI_CELL_MAX + 1];
        cli_json_str (r, "state", state, sizeof state);
        bool overdue = strcmp (state, "overdue") == 0, warning = strcmp (state, "warning") == 0;
        snprintf (line, sizeof line, "%s %s due %s (Europe/Amsterdam)%s%s",
                  cli_json_str (r, "id", id, sizeof id),
                  cli_json_str (r, "kind", kind, sizeof kind),
                  cli_json_str (r, "due", due, sizeof due),
                  overdue   ? ": OVERDUE (art. 12.3)"
                  : warning ? ": due within a week"
                            : "",
                  json_is_false (json_object_get (r, "linked")) ? "; subject not linked" : "");
        status_text_line (overdue ? "ALARM" : warning ? "warning" : "request", line);
    }
}

/*  Whether the node named section unreadable (node_status_unreadable). */
static bool
s_unreadable (json_t *result, const char *section)
{
    size_t i;
    json_t *u;
    json_array_foreach (json_object_get (result, "unreadable"), i, u)
    {
        const char *s = json_string_value (json_object_get (u, "section"));
        if (s && strcmp (s, section) == 0)
            return true;
    }
    return false;
}

/*  The newest checkpoint the uitvoerder signed, and who cosigned it
 *  (docs/PROTOCOL.md, "Checkpoints, proofs and witnesses"). */
static void
s_print_checkpoint (json_t *result, uint64_t now)
{
    json_t *cp = json_object_get (result, "checkpoint");
    if (!json_is_object (cp)) {
        status_text_line ("checkpoint", s_unreadable (result, "checkpoint")
                                            ? "cannot be read (see UNREADABLE)"
                                            : "none signed yet");
        return;
    }
    char line[512], when[32], ago[64], raw[256], cosigners[320];
    uint64_t size = 0, signed_ms = 0;
    cli_json_uint (cp, "size", &size);
    cli_json_uint (cp, "signed_ms", &signed_ms);
    /*  "politie-x,om-y" as "politie-x, om-y". */
    size_t o = 0;
    const char *list = cli_json_str (cp, "cosigners", raw, sizeof raw);
    for (const char *p = list; *p && o + 3 < sizeof cosigners; p++) {
        cosigners[o++] = *p;
        if (*p == ',')
            cosigners[o++] = ' ';
    }
    cosigners[o] = '\0';
    snprintf (line, sizeof line, "size %llu, signed %s UTC (%s), %s%s", (unsigned long long) size,
              cli_fmt_time (when, sizeof when, signed_ms),
              status_text_ago (ago, sizeof ago, signed_ms, now),
              strcmp (cosigners, "-") == 0 ? "not cosigned yet" : "cosigned by ",
              strcmp (cosigners, "-") == 0 ? "" : cosigners);
    status_text_line ("checkpoint", line);
}

/*  art. 15.2g, AVG art. 33: the open incidents, and each whose AP outcome
 *  is not recorded yet with the 72 hours within which the AP is to be
 *  notified; an ALARM once they ran out. */
static void
s_print_incidents (json_t *incidents, uint64_t now)
{
    if (!json_is_object (incidents))
        return;
    char line[512], id[CLI_CELL_MAX + 1], when[32], d[48];
    uint64_t open = 0;
    cli_json_uint (incidents, "open", &open);
    snprintf (line, sizeof line, "%llu open (keten incident list)", (unsigned long long) open);
    status_text_line ("incidents", line);
    size_t i;
    json_t *x;
    json_array_foreach (json_object_get (incidents, "ap_pending"), i, x)
    {
        uint64_t deadline = 0;
        cli_json_uint (x, "ap_deadline_ms", &deadline);
        cli_json_str (x, "id", id, sizeof id);
        cli_fmt_time (when, sizeof when, deadline);
        if (json_is_true (json_object_get (x, "overdue"))) {
            snprintf (line, sizeof line,
                      "incident %s: no AP outcome recorded, its AP deadline (AVG art. 33, 72 "
                      "hours) passed at %s UTC (keten incident update %s --ap-notified ...)",
                      id, when, id);
            status_text_line ("ALARM", line);
        } else {
            snprintf (line, sizeof line,
                      "incident %s: notify the AP by %s UTC (AVG art. 33), in %s", id, when,
                      cli_fmt_duration (d, sizeof d, deadline > now ? deadline - now : 0));
            status_text_line ("warning", line);
        }
    }
    /*  The node lists the soonest few; the rest are counted. */
    uint64_t pending = 0;
    size_t listed = json_array_size (json_object_get (incidents, "ap_pending"));
    if (cli_json_uint (incidents, "ap_pending_count", &pending) && pending > listed) {
        snprintf (line, sizeof line,
                  "%llu more incidents await their AP outcome (keten incident list)",
                  (unsigned long long) (pending - listed));
        status_text_line ("warning", line);
    }
}

/*  docs/FEDERATIONS.md: each peered federation, whether its link is up,
 *  how far its log was verified, and an ALARM when that log showed a
 *  fork or a rollback; the transfers both ways. */
static void
s_print_peerings (json_t *result, uint64_t now)
{
    json_t *peerings = json_object_get (result, "peerings");
    char line[640];
    if (json_is_array (peerings)) {
        size_t i, up = 0;
        json_t *p;
        json_array_foreach (peerings, i, p)
        {
            up += json_is_true (json_object_get (p, "connected"));
        }
        if (json_array_size (peerings) == 0)
            snprintf (line, sizeof line, "none");
        else
            snprintf (line, sizeof line, "%zu, %zu connected", json_array_size (peerings), up);
        status_text_line ("peerings", line);
        json_array_foreach (peerings, i, p)
        {
            char fed[CLI_CELL_MAX + 1], uitv[CLI_CELL_MAX + 1], how[CLI_CELL_MAX + 1],
                endpoint[CLI_CELL_MAX + 1], ago[64], verified[96];
            bool connected = json_is_true (json_object_get (p, "connected"));
            bool alarm = json_is_true (json_object_get (p, "log_alarm"));
            uint64_t seen = 0, size = 0;
            cli_json_uint (p, "last_seen_ms", &seen);
            json_t *w = json_object_get (p, "witness");
            if (!json_is_object (w))
                snprintf (verified, sizeof verified, "its log witness cannot be read");
            else if (cli_json_uint (w, "checkpoint_size", &size) && size > 0)
                snprintf (verified, sizeof verified, "its log verified to size %llu",
                          (unsigned long long) size);
            else
                snprintf (verified, sizeof verified, "its log not verified yet");
            snprintf (line, sizeof line, "%s (%s, %s %s): %s, last seen %s; %s%s",
                      cli_json_str (p, "federation", fed, sizeof fed),
                      cli_json_str (p, "uitvoerder", uitv, sizeof uitv),
                      cli_json_str (p, "connection", how, sizeof how),
                      cli_json_str (p, "endpoint", endpoint, sizeof endpoint),
                      connected ? "connected" : "NOT connected",
                      status_text_ago (ago, sizeof ago, seen, now), verified,
                      alarm
                          ? "; LOG ALARM: its log showed a fork or a rollback (docs/FEDERATIONS.md)"
                          : "");
            status_text_line (alarm ? "ALARM" : connected ? "peering" : "warning", line);
        }
    }
    json_t *transfers = json_object_get (result, "transfers");
    if (s_unreadable (result, "transfers"))
        status_text_line ("transfers", "cannot be read (see UNREADABLE)");
    else if (json_is_object (transfers)) {
        uint64_t n[4] = {0};
        cli_json_uint (transfers, "pending", &n[0]);
        cli_json_uint (transfers, "accepted", &n[1]);
        cli_json_uint (transfers, "refused", &n[2]);
        cli_json_uint (transfers, "received", &n[3]);
        snprintf (line, sizeof line,
                  "%llu pending, %llu accepted, %llu refused, %llu received (keten transfers)",
                  (unsigned long long) n[0], (unsigned long long) n[1], (unsigned long long) n[2],
                  (unsigned long long) n[3]);
        status_text_line ("transfers", line);
    }
}

static void
s_print_uitvoerder_head (json_t *result, uint64_t now)
{
    char line[512], a[CLI_CELL_MAX + 1];
    uint64_t v, w;
    /*  This node's own alarms (storage_failing); the members' are below. */
    json_t *own = json_object_get (result, "alarms");
    if (json_is_array (own)) {
        char list[CLI_CELL_MAX + 1];
        status_text_line (
            "alarms", json_array_size (own) ? status_text_alarms (list, sizeof list, own) : "none");
    }
    json_t *stored = json_object_get (result, "stored");
    if (json_is_object (stored)) {
        v = w = 0;
        cli_json_uint (stored, "signals", &v);
        cli_json_uint (stored, "subjects", &w);
        snprintf (line, sizeof line, "signals %llu, subjects %llu", (unsigned long long) v,
                  (unsigned long long) w);
        status_text_line ("stored", line);
    }
    json_t *log = json_object_get (result, "log");
    if (json_is_object (log)) {
        v = 0;
        cli_json_uint (log, "size", &v);
        snprintf (line, sizeof line, "size %llu, root %s", (unsigned long long) v,
                  cli_json_str (log, "root", a, sizeof a));
        status_text_line ("log", line);
        char vkey[256];
        if (*cli_json_str (log, "vkey", vkey, sizeof vkey))
            status_text_line ("log key", vkey);
    }
    json_t *fed = json_object_get (result, "federation");
    if (json_is_object (fed)) {
        uint64_t n = 0, online = 0, alarms = 0;
        cli_json_uint (fed, "members", &n);
        cli_json_uint (fed, "online", &online);
        cli_json_uint (fed, "alarms", &alarms);
        int len = snprintf (line, sizeof line, "%llu of %llu online, %llu alarm%s",
                            (unsigned long long) online, (unsigned long long) n,
                            (unsigned long long) alarms, alarms == 1 ? "" : "s");
        /*  Those that have left are listed, not counted. */
        size_t i, left = 0;
        json_t *m;
        json_array_foreach (json_object_get (result, "members"), i, m)
        {
            left += json_is_true (json_object_get (m, "left"));
        }
        if (left && len > 0 && (size_t) len < sizeof line)
            snprintf (line + len, sizeof line - (size_t) len, "; %zu left the federation", left);
        status_text_line ("members", line);
    }
    s_print_checkpoint (result, now);
    s_print_incidents (json_object_get (result, "incidents"), now);
    status_text_retention (json_object_get (result, "retention"));
    s_print_rights (json_object_get (result, "rights"));
    s_print_informatieplicht (result);
    s_print_corrections (json_object_get (result, "corrections"));
    s_print_peerings (result, now);
}

enum { S_MEMBER_COLS = 14 };

/*  One member's row at the uitvoerder; cells are written into b.  What
 *  only the member itself reports is "-" until it was heard from. */
static void
s_member_row (json_t *m, uint64_t now, char b[S_MEMBER_COLS][CLI_CELL_MAX + 1],
              const char *row[S_MEMBER_COLS])
{
    char d[48];
    uint64_t v = 0, w = 0, seen = 0;
    cli_json_uint (m, "last_seen_ms", &seen);
    bool heard = seen > 0;
    /*  The round trip the member measured to the uitvoerder (0: none yet). */
    s_rtt (b[5], CLI_CELL_MAX + 1, m);
    /*  Backlog: messages not settled, and how old the oldest is. */
    cli_json_uint (m, "outbox_depth", &v);
    cli_json_uint (m, "oldest_undelivered_ms", &w);
    if (!heard)
        snprintf (b[6], CLI_CELL_MAX + 1, "-");
    else if (v > 0 && w > 0)
        snprintf (b[6], CLI_CELL_MAX + 1, "%llu, %s old", (unsigned long long) v,
                  cli_fmt_duration (d, sizeof d, w));
    else
        snprintf (b[6], CLI_CELL_MAX + 1, "%llu", (unsigned long long) v);
    v = 0;
    cli_json_uint (m, "roster_version", &v);
    if (heard)
        snprintf (b[7], CLI_CELL_MAX + 1, "%llu%s", (unsigned long long) v,
                  json_is_true (json_object_get (m, "roster_stale")) ? " STALE" : "");
    else
        snprintf (b[7], CLI_CELL_MAX + 1, "-");
    v = 0;
    cli_json_uint (m, "checkpoint_size", &v);
    if (v > 0)
        snprintf (b[8], CLI_CELL_MAX + 1, "%llu", (unsigned long long) v);
    else
        snprintf (b[8], CLI_CELL_MAX + 1, "-");
    v = 0;
    cli_json_uint (m, "key_age_days", &v);
    if (heard)
        snprintf (b[10], CLI_CELL_MAX + 1, "%llu d", (unsigned long long) v);
    else
        snprintf (b[10], CLI_CELL_MAX + 1, "-");
    s_skew (b[11], CLI_CELL_MAX + 1, m, heard);
    /*  Our own copies for it not receipted yet, and the oldest's age. */
    v = w = 0;
    cli_json_uint (m, "relay_pending", &v);
    cli_json_uint (m, "relay_oldest_ms", &w);
    if (v > 0 && w > 0)
        snprintf (b[12], CLI_CELL_MAX + 1, "%llu, %s old", (unsigned long long) v,
                  cli_fmt_duration (d, sizeof d, w));
    else
        snprintf (b[12], CLI_CELL_MAX + 1, "%llu", (unsigned long long) v);
    status_text_alarms (b[13], CLI_CELL_MAX + 1, json_object_get (m, "alarms"));
    row[0] = cli_json_str (m, "id", b[0], CLI_CELL_MAX + 1);
    row[1] = cli_json_str (m, "kind", b[1], CLI_CELL_MAX + 1);
    row[2] = cli_json_str (m, "role", b[2], CLI_CELL_MAX + 1);
    /*  A member that has left is not expected online (no alarms). */
    row[3] = json_is_true (json_object_get (m, "left"))     ? "left"
             : json_is_true (json_object_get (m, "online")) ? "yes"
                                                            : "NO";
    row[4] = status_text_ago (b[4], CLI_CELL_MAX + 1, seen, now);
    for (int c = 5; c <= 13; c++)
        row[c] = b[c];
    row[9] = heard ? cli_json_str (m, "software_version", b[9], CLI_CELL_MAX + 1) : "-";
}

void
status_text_uitvoerder (json_t *result, uint64_t now)
{
    s_print_uitvoerder_head (result, now);
    json_t *members = json_object_get (result, "members");
    if (!json_is_array (members))
        return;
    printf ("\n");
    static const char *const header[S_MEMBER_COLS] = {
        "MEMBER", "KIND",    "ROLE",    "ONLINE",  "LAST_SEEN",  "RTT",   "OUTBOX",
        "ROSTER", "CHECKPT", "VERSION", "KEY_AGE", "CLOCK_SKEW", "RELAY", "ALARMS"};
    cli_table_t *table = cli_table_new (S_MEMBER_COLS, header);
    size_t i;
    json_t *m;
    json_array_foreach (members, i, m)
    {
        char b[S_MEMBER_COLS][CLI_CELL_MAX + 1];
        const char *row[S_MEMBER_COLS];
        s_member_row (m, now, b, row);
        cli_table_add (table, row);
    }
    if (json_array_size (members) == 0)
        printf ("no other members in the roster\n");
    else
        cli_table_print (table);
    cli_table_destroy (&table);
    /*  What a member away longer than delivery/max-age-s never received:
     *  it must be told again by hand. */
    json_array_foreach (members, i, m)
    {
        uint64_t expired = 0;
        char id[CLI_CELL_MAX + 1];
        cli_json_uint (m, "expired_messages", &expired);
        if (expired)
            printf ("%s missed %llu message%s (expired undelivered; `keten log show --type "
                    "MESSAGE_REFUSED` lists them)\n",
                    cli_json_str (m, "id", id, sizeof id), (unsigned long long) expired,
                    expired == 1 ? "" : "s");
        /*  Its own storage alarm, which only its heartbeat tells us. */
        if (json_is_true (json_object_get (m, "storage_failing")))
            printf ("%s: a database file at the member fails its writes (storage_failing): "
                    "its own `keten status` names the file\n",
                    cli_json_str (m, "id", id, sizeof id));
        /*  Its witness's alarms not known: not shown as none. */
        if (json_is_true (json_object_get (m, "log_witness_unreadable")))
            printf ("%s: the member's log witness cannot be read (log_witness_unreadable): "
                    "whether it saw a fork or a rollback is not known; its own `keten status` "
                    "says why\n",
                    cli_json_str (m, "id", id, sizeof id));
        /*  Two copies of its node heard alive at once. */
        if (json_is_true (json_object_get (m, "duplicate_instance")))
            printf ("%s: two copies of the member's node run with its keys (duplicate_instance): "
                    "stop the copy, see docs/OPERATIONS.md\n",
                    cli_json_str (m, "id", id, sizeof id));
    }
}
