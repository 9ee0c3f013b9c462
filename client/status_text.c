/*  keten status as text: the node, its roster, and its links - the
 *  partner's link to the uitvoerder and outbox, or the uitvoerder's view
 *  of the members - from the daemon's status answer.  */
#include "status_text.h"

#include "cli.h"

#include <stdio.h>
#include <string.h>

/*  "3 s ago" for a past wall-clock time in ms, "never" for 0. */
static const char *
s_ago (char *buf, size_t len, uint64_t at_ms, uint64_t now_ms)
{
    if (at_ms == 0) {
        snprintf (buf, len, "never");
        return buf;
    }
    char d[48];
    /*  Clocks may differ by a little: a time just ahead of ours is "now". */
    cli_fmt_duration (d, sizeof d, now_ms > at_ms ? now_ms - at_ms : 0);
    snprintf (buf, len, "%s ago", d);
    return buf;
}

static void
s_line (const char *label, const char *value)
{
    printf ("%-15s %s\n", label, value);
}

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

/*  The alarm names, comma separated, or "-". */
static const char *
s_alarms (char *buf, size_t len, json_t *alarms)
{
    size_t i, n = 0;
    json_t *a;
    buf[0] = 0;
    json_array_foreach (alarms, i, a)
    {
        if (!json_is_string (a))
            continue;
        char clean[CLI_CELL_MAX + 1];
        cli_clean (clean, sizeof clean, json_string_value (a));
        size_t used = strlen (buf), want = strlen (clean) + (n ? 1 : 0);
        if (used + want >= len)
            break; /* cut: a cell shows what fits */
        if (n++)
            buf[used++] = ',';
        memcpy (buf + used, clean, strlen (clean) + 1);
    }
    if (n == 0)
        snprintf (buf, len, "-");
    return buf;
}

/*  The police spool's rejected files and when the first is removed
 *  (art. 13, intake/rejected-keep-days), with the warning, if any. */
static void
s_print_spool (json_t *spool, uint64_t now)
{
    if (!json_is_object (spool))
        return;
    char line[512], a[256], d[48];
    uint64_t waiting = 0, keep = 0, next = 0;
    if (json_is_string (json_object_get (spool, "error"))) {
        s_line ("spool", cli_json_str (spool, "error", a, sizeof a));
        return;
    }
    cli_json_uint (spool, "rejected_waiting", &waiting);
    cli_json_uint (spool, "rejected_keep_days", &keep);
    if (waiting && cli_json_uint (spool, "next_removal_ms", &next))
        snprintf (line, sizeof line, "%llu rejected, next removed in %s (kept %llu days)",
                  (unsigned long long) waiting,
                  cli_fmt_duration (d, sizeof d, next > now ? next - now : 0),
                  (unsigned long long) keep);
    else
        snprintf (line, sizeof line, "0 rejected (kept %llu days)", (unsigned long long) keep);
    s_line ("spool", line);
    if (json_is_string (json_object_get (spool, "warning")))
        s_line ("warning", cli_json_str (spool, "warning", a, sizeof a));
}

/*  art. 13: what is due, the four weeks' warnings of subjects the
 *  weegploeg has not weighed, and (uitvoerder) notices not confirmed by
 *  their node within a day. */
static void
s_print_retention (json_t *retention)
{
    if (!json_is_object (retention))
        return;
    char line[512], list[CLI_CELL_MAX + 1];
    /*  Not read (a partner says why here): not "0 due". */
    if (json_is_string (json_object_get (retention, "error"))) {
        char error[256];
        snprintf (line, sizeof line, "UNREADABLE: %s",
                  cli_json_str (retention, "error", error, sizeof error));
        s_line ("retention", line);
        return;
    }
    uint64_t due = 0;
    cli_json_uint (retention, "due", &due);
    json_t *warnings = json_object_get (retention, "warnings");
    json_t *unconfirmed = json_object_get (retention, "unconfirmed");
    snprintf (line, sizeof line, "%llu due now, %zu warning%s, %zu unconfirmed notice%s",
              (unsigned long long) due, json_array_size (warnings),
              json_array_size (warnings) == 1 ? "" : "s", json_array_size (unconfirmed),
              json_array_size (unconfirmed) == 1 ? "" : "s");
    s_line ("retention", line);
    if (json_array_size (warnings)) {
        snprintf (line, sizeof line, "not weighed, destroyed within four weeks (art. 13.3): %s",
                  s_alarms (list, sizeof list, warnings));
        s_line ("warning", line);
    }
    size_t i;
    json_t *u;
    json_array_foreach (unconfirmed, i, u)
    {
        char ref[CLI_CELL_MAX + 1], node[CLI_CELL_MAX + 1], action[CLI_CELL_MAX + 1];
        snprintf (line, sizeof line, "%s has not confirmed %s of %s for over a day",
                  cli_json_str (u, "node", node, sizeof node),
                  cli_json_str (u, "action", action, sizeof action),
                  cli_json_str (u, "case_ref", ref, sizeof ref));
        s_line ("unconfirmed", line);
    }
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
        s_line ("infoplicht", line);
        size_t i;
        json_t *t;
        json_array_foreach (due, i, t)
        {
            char id[CLI_CELL_MAX + 1], ref[CLI_CELL_MAX + 1], on[CLI_CELL_MAX + 1];
            snprintf (line, sizeof line, "%s (%s) deferred until %s: inform or defer again",
                      cli_json_str (t, "task_id", id, sizeof id),
                      cli_json_str (t, "case_ref", ref, sizeof ref),
                      cli_json_str (t, "review_on", on, sizeof on));
            s_line ("review due", line);
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
            s_line ("warning", line);
        }
    }
    json_t *review = json_object_get (result, "review");
    if (json_is_object (review)) {
        uint64_t due = 0, days = 0;
        cli_json_uint (review, "due", &due);
        cli_json_uint (review, "review_days", &days);
        snprintf (line, sizeof line, "%llu not reviewed for %llu days (keten review list)",
                  (unsigned long long) due, (unsigned long long) days);
        s_line ("accuracy", line);
    }
}

/*  art. 12.5-12.6 (uitvoerder): corrections whose notice a party has not
 *  confirmed yet, and, as an alarm, decisions not carried out within the
 *  4 weeks of art. 12.6. */
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
    s_line ("corrections", line);
    size_t i;
    json_t *c;
    json_array_foreach (unconfirmed, i, c)
    {
        snprintf (line, sizeof line, "%s has not confirmed %s of %s",
                  cli_json_str (c, "node", node, sizeof node),
                  cli_json_str (c, "correction_id", id, sizeof id),
                  cli_json_str (c, "case_ref", ref, sizeof ref));
        s_line ("unconfirmed", line);
    }
    json_array_foreach (overdue, i, c)
    {
        uint64_t v = 0;
        cli_json_uint (c, "due_ms", &v);
        cli_fmt_time (due, sizeof due, v);
        snprintf (line, sizeof line, "correction %s of %s not carried out by %s (art. 12.6)",
                  cli_json_str (c, "correction_id", id, sizeof id),
                  cli_json_str (c, "case_ref", ref, sizeof ref), due);
        s_line ("ALARM", line);
    }
}

static void
s_print_partner (json_t *result, uint64_t now)
{
    char line[512], a[CLI_CELL_MAX + 1], b[64];
    uint64_t v, w, x, y;
    json_t *link = json_object_get (result, "link");
    if (json_is_object (link)) {
        json_t *up = json_object_get (link, "up");
        int n = snprintf (line, sizeof line, "%s, peer %s", json_is_true (up) ? "up" : "down",
                          cli_json_str (link, "peer", a, sizeof a));
        if (cli_json_uint (link, "last_seen_ms", &v) && n > 0 && (size_t) n < sizeof line)
            n += snprintf (line + n, sizeof line - (size_t) n, ", last seen %s",
                           s_ago (b, sizeof b, v, now));
        if (cli_json_uint (link, "rtt_us", &v) && v > 0 && n > 0 && (size_t) n < sizeof line)
            snprintf (line + n, sizeof line - (size_t) n, ", rtt %llu µs", (unsigned long long) v);
        s_line ("link", line);
    }
    json_t *outbox = json_object_get (result, "outbox");
    if (json_is_object (outbox)) {
        char oldest[64] = "-";
        if (cli_json_uint (outbox, "oldest_ms", &v) && v > 0)
            cli_fmt_duration (oldest, sizeof oldest, now > v ? now - v : 0);
        v = w = x = 0;
        cli_json_uint (outbox, "depth", &v);
        cli_json_uint (outbox, "delivered", &w);
        cli_json_uint (outbox, "refused", &x);
        snprintf (line, sizeof line, "depth %llu, oldest %s, delivered %llu, refused %llu",
                  (unsigned long long) v, oldest, (unsigned long long) w, (unsigned long long) x);
        s_line ("outbox", line);
    }
    json_t *receipt = json_object_get (result, "last_receipt");
    if (json_is_object (receipt)) {
        x = y = 0;
        bool has_index = cli_json_uint (receipt, "log_index", &x);
        cli_json_uint (receipt, "at_ms", &y);
        char index[32] = "";
        if (has_index)
            snprintf (index, sizeof index, " log index %llu", (unsigned long long) x);
        snprintf (line, sizeof line, "%s%s, %s", cli_json_str (receipt, "message_id", a, sizeof a),
                  index, s_ago (b, sizeof b, y, now));
        s_line ("last receipt", line);
    } else if (json_is_null (receipt))
        s_line ("last receipt", "none yet");
    json_t *alarms = json_object_get (result, "alarms");
    if (json_is_array (alarms)) {
        char list[CLI_CELL_MAX + 1];
        s_line ("alarms", json_array_size (alarms) ? s_alarms (list, sizeof list, alarms) : "none");
    }
    /*  A roster refused as older than, or different from, ours: the
     *  uitvoerder's history went back (docs/ROSTER.md). */
    json_t *conflict = json_object_get (result, "roster_conflict");
    if (json_is_object (conflict)) {
        uint64_t version = 0, at = 0;
        cli_json_uint (conflict, "version", &version);
        cli_json_uint (conflict, "at_ms", &at);
        char ago[64], said[160];
        snprintf (said, sizeof said,
                  "refused a pushed roster version %llu %s: older than or different from ours",
                  (unsigned long long) version, s_ago (ago, sizeof ago, at, now));
        s_line ("roster conflict", said);
    }
    s_print_spool (json_object_get (result, "spool"), now);
    s_print_retention (json_object_get (result, "retention"));
}

/*  The uitvoerder's own lines: what it stores, its log, its members. */
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
    s_line ("requests", line);
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
        s_line (overdue ? "ALARM" : warning ? "warning" : "request", line);
    }
}

static void
s_print_uitvoerder_head (json_t *result)
{
    char line[512], a[CLI_CELL_MAX + 1];
    uint64_t v, w;
    json_t *stored = json_object_get (result, "stored");
    if (json_is_object (stored)) {
        v = w = 0;
        cli_json_uint (stored, "signals", &v);
        cli_json_uint (stored, "subjects", &w);
        snprintf (line, sizeof line, "signals %llu, subjects %llu", (unsigned long long) v,
                  (unsigned long long) w);
        s_line ("stored", line);
    }
    json_t *log = json_object_get (result, "log");
    if (json_is_object (log)) {
        v = 0;
        cli_json_uint (log, "size", &v);
        snprintf (line, sizeof line, "size %llu, root %s", (unsigned long long) v,
                  cli_json_str (log, "root", a, sizeof a));
        s_line ("log", line);
        char vkey[256];
        if (*cli_json_str (log, "vkey", vkey, sizeof vkey))
            s_line ("log key", vkey);
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
        s_line ("members", line);
    }
    s_print_retention (json_object_get (result, "retention"));
    s_print_rights (json_object_get (result, "rights"));
    s_print_informatieplicht (result);
    s_print_corrections (json_object_get (result, "corrections"));
}

enum { S_MEMBER_COLS = 13 };

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
    s_alarms (b[12], CLI_CELL_MAX + 1, json_object_get (m, "alarms"));
    row[0] = cli_json_str (m, "id", b[0], CLI_CELL_MAX + 1);
    row[1] = cli_json_str (m, "kind", b[1], CLI_CELL_MAX + 1);
    row[2] = cli_json_str (m, "role", b[2], CLI_CELL_MAX + 1);
    /*  A member that has left is not expected online (no alarms). */
    row[3] = json_is_true (json_object_get (m, "left"))     ? "left"
             : json_is_true (json_object_get (m, "online")) ? "yes"
                                                            : "NO";
    row[4] = s_ago (b[4], CLI_CELL_MAX + 1, seen, now);
    for (int c = 5; c <= 12; c++)
        row[c] = b[c];
    row[9] = heard ? cli_json_str (m, "software_version", b[9], CLI_CELL_MAX + 1) : "-";
}

static void
s_print_uitvoerder (json_t *result, uint64_t now)
{
    s_print_uitvoerder_head (result);
    json_t *members = json_object_get (result, "members");
    if (!json_is_array (members))
        return;
    printf ("\n");
    static const char *const header[S_MEMBER_COLS] = {
        "MEMBER", "KIND",    "ROLE",    "ONLINE",  "LAST_SEEN",  "RTT",   "OUTBOX",
        "ROSTER", "CHECKPT", "VERSION", "KEY_AGE", "CLOCK_SKEW", "ALARMS"};
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
    }
}

/*  The parts of the status the node could not read (a store that
 *  failed): each named with why, so that nothing missing reads as
 *  "nothing due"; --check raises status_incomplete for them. */
static void
s_print_unreadable (json_t *result)
{
    size_t i;
    json_t *u;
    json_array_foreach (json_object_get (result, "unreadable"), i, u)
    {
        char section[CLI_CELL_MAX + 1], error[256], line[512];
        snprintf (line, sizeof line,
                  "%s cannot be read, its alarms are unknown: %s (the node's journal says more)",
                  cli_json_str (u, "section", section, sizeof section),
                  cli_json_str (u, "error", error, sizeof error));
        s_line ("UNREADABLE", line);
    }
}

/*  The status answer as text, as of now (ms since the epoch). */
void
status_text_print (json_t *result, uint64_t now)
{
    uint64_t v;
    char a[CLI_CELL_MAX + 1], b[64];
    s_line ("node", cli_json_str (result, "node", a, sizeof a));
    s_line ("kind", cli_json_str (result, "kind", a, sizeof a));
    s_line ("role", cli_json_str (result, "role", a, sizeof a));
    s_line ("version", cli_json_str (result, "software_version", a, sizeof a));
    s_line ("uptime",
            cli_json_uint (result, "uptime_s", &v)
                ? cli_fmt_duration (b, sizeof b, v > UINT64_MAX / 1000 ? UINT64_MAX : v * 1000)
                : "-");
    if (cli_json_uint (result, "roster_version", &v))
        snprintf (b, sizeof b, "%llu", (unsigned long long) v);
    else
        snprintf (b, sizeof b, "-");
    s_line ("roster version", b);
    if (cli_json_uint (result, "key_age_days", &v)) {
        snprintf (b, sizeof b, "%llu d", (unsigned long long) v);
        s_line ("key age", b);
    }
    if (json_is_string (json_object_get (result, "old_keys_until"))) {
        char line[160];
        snprintf (line, sizeof line,
                  "rotated: the key file in use works until %s; install the new one",
                  cli_json_str (result, "old_keys_until", a, sizeof a));
        s_line ("keys", line);
    }
    if (json_is_true (json_object_get (result, "expelled")))
        s_line ("sending", "STOPPED: this node is no longer accepted (see its log)");
    if (json_is_string (json_object_get (result, "metrics_listen")))
        s_line ("metrics", cli_json_str (result, "metrics_listen", a, sizeof a));
    if (json_is_true (json_object_get (result, "access_review_due"))) {
        /*  art. 15.2e: the access log is to be reviewed periodically. */
        char line[160];
        uint64_t days = 0;
        cli_json_uint (result, "access_review_days", &days);
        if (cli_json_uint (result, "access_review_last_ms", &v))
            snprintf (line, sizeof line,
                      "DUE: last one %s, more than %llu days ago (keten audit review)",
                      cli_fmt_time (b, sizeof b, v), (unsigned long long) days);
        else
            snprintf (line, sizeof line,
                      "DUE: none recorded in the %llu days since this node first ran "
                      "(keten audit review)",
                      (unsigned long long) days);
        s_line ("access review", line);
    }
    s_print_unreadable (result);
    if (json_object_get (result, "members"))
        s_print_uitvoerder (result, now);
    else
        s_print_partner (result, now);
}
