/*  keten status as text: the node, its roster, and its links - the
 *  partner's link to the uitvoerder and outbox, or the uitvoerder's view
 *  of the members - from the daemon's status answer.  */
#include "status_text.h"

#include "cli.h"
#include "statuscheck.h"

#include <stdio.h>
#include <string.h>

/*  "3 s ago" for a past wall-clock time in ms, "never" for 0. */
const char *
status_text_ago (char *buf, size_t len, uint64_t at_ms, uint64_t now_ms)
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

void
status_text_line (const char *label, const char *value)
{
    printf ("%-15s %s\n", label, value);
}

/*  The alarm names, comma separated, or "-". */
const char *
status_text_alarms (char *buf, size_t len, json_t *alarms)
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
        status_text_line ("spool", cli_json_str (spool, "error", a, sizeof a));
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
    status_text_line ("spool", line);
    if (json_is_string (json_object_get (spool, "warning")))
        status_text_line ("warning", cli_json_str (spool, "warning", a, sizeof a));
    /*  Files neither forwarded nor rejected yet (spool_file_stuck). */
    uint64_t stuck = 0, oldest = 0;
    if (!cli_json_uint (spool, "waiting", &waiting))
        return;
    cli_json_uint (spool, "waiting_stuck", &stuck);
    if (waiting && cli_json_uint (spool, "oldest_waiting_ms", &oldest))
        snprintf (line, sizeof line, "%llu file%s, the oldest for %s%s",
                  (unsigned long long) waiting, waiting == 1 ? "" : "s",
                  cli_fmt_duration (d, sizeof d, now > oldest ? now - oldest : 0),
                  stuck ? " (STUCK: neither forwarded nor rejected; see the journal's spool lines)"
                        : "");
    else
        snprintf (line, sizeof line, "none");
    status_text_line ("spool waiting", line);
}

/*  art. 13: what is due, the four weeks' warnings of subjects the
 *  weegploeg has not weighed, and (uitvoerder) notices not confirmed by
 *  their node within a day. */
void
status_text_retention (json_t *retention)
{
    if (!json_is_object (retention))
        return;
    char line[512], list[CLI_CELL_MAX + 1];
    /*  Not read (a partner says why here): not "0 due". */
    if (json_is_string (json_object_get (retention, "error"))) {
        char error[256];
        snprintf (line, sizeof line, "UNREADABLE: %s",
                  cli_json_str (retention, "error", error, sizeof error));
        status_text_line ("retention", line);
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
    status_text_line ("retention", line);
    if (json_array_size (warnings)) {
        snprintf (line, sizeof line, "not weighed, destroyed within four weeks (art. 13.3): %s",
                  status_text_alarms (list, sizeof list, warnings));
        status_text_line ("warning", line);
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
        status_text_line ("unconfirmed", line);
    }
}

/*  What this member's witness verified of the uitvoerder's log, and each
 *  alarm it raised (docs/PROTOCOL.md, "Checkpoints, proofs and
 *  witnesses"; docs/OPERATIONS.md, "A restored uitvoerder and the
 *  witnesses"). */
static void
s_print_witness (json_t *witness)
{
    if (!json_is_object (witness))
        return;
    char line[512], what[256], when[32];
    uint64_t size = 0, proven = 0, pending = 0;
    cli_json_uint (witness, "checkpoint_size", &size);
    cli_json_uint (witness, "receipts_proven", &proven);
    cli_json_uint (witness, "pending", &pending);
    json_t *alarms = json_object_get (witness, "alarms");
    snprintf (line, sizeof line,
              "checkpoint size %llu verified, %llu receipt%s proven, %llu pending, %zu alarm%s",
              (unsigned long long) size, (unsigned long long) proven, proven == 1 ? "" : "s",
              (unsigned long long) pending, json_array_size (alarms),
              json_array_size (alarms) == 1 ? "" : "s");
    status_text_line ("log witness", line);
    size_t i;
    json_t *a;
    json_array_foreach (alarms, i, a)
    {
        uint64_t at = 0;
        cli_json_uint (a, "at_ms", &at);
        snprintf (line, sizeof line, "the log witness, %s UTC: %s (keten log verify)",
                  cli_fmt_time (when, sizeof when, at),
                  cli_json_str (a, "what", what, sizeof what));
        status_text_line ("ALARM", line);
    }
}

/*  The uitvoerder hears another copy of this node with its keys
 *  (duplicate_instance): which run this one is, and what to do. */
static void
s_print_duplicate (json_t *result)
{
    size_t i;
    json_t *a;
    json_array_foreach (json_object_get (result, "alarms"), i, a)
    {
        if (!json_is_string (a) || strcmp (json_string_value (a), "duplicate_instance") != 0)
            continue;
        char line[256], instance[CLI_CELL_MAX + 1];
        snprintf (line, sizeof line,
                  "ANOTHER COPY of this node runs with its keys (this one is instance %s): "
                  "stop one (docs/OPERATIONS.md, duplicate_instance)",
                  cli_json_str (result, "instance", instance, sizeof instance));
        status_text_line ("duplicate", line);
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
                           status_text_ago (b, sizeof b, v, now));
        if (cli_json_uint (link, "rtt_us", &v) && v > 0 && n > 0 && (size_t) n < sizeof line)
            snprintf (line + n, sizeof line - (size_t) n, ", rtt %llu µs", (unsigned long long) v);
        status_text_line ("link", line);
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
        status_text_line ("outbox", line);
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
                  index, status_text_ago (b, sizeof b, y, now));
        status_text_line ("last receipt", line);
    } else if (json_is_null (receipt))
        status_text_line ("last receipt", "none yet");
    json_t *alarms = json_object_get (result, "alarms");
    if (json_is_array (alarms)) {
        char list[CLI_CELL_MAX + 1];
        status_text_line ("alarms", json_array_size (alarms)
                                        ? status_text_alarms (list, sizeof list, alarms)
                                        : "none");
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
                  (unsigned long long) version, status_text_ago (ago, sizeof ago, at, now));
        status_text_line ("roster conflict", said);
    }
    s_print_duplicate (result);
    s_print_witness (json_object_get (result, "log_witness"));
    s_print_spool (json_object_get (result, "spool"), now);
    status_text_retention (json_object_get (result, "retention"));
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
        status_text_line ("UNREADABLE", line);
    }
}

/*  What `keten status --check` judges, from the same list
 *  (common/statuscheck.c): a line with the verdict and one per check
 *  raised, so the text shows everything --check and the metrics alarm on
 *  - the lines above and below say which member, incident or request. */
typedef struct {
    size_t raised;
    int worst;
} s_checks_t;

static void
s_count_check (void *arg, const statuscheck_t *check, uint64_t count, const char *summary)
{
    (void) summary;
    s_checks_t *c = arg;
    if (count) {
        c->raised++;
        if ((int) check->level > c->worst)
            c->worst = (int) check->level;
    }
}

static void
s_print_check (void *arg, const statuscheck_t *check, uint64_t count, const char *summary)
{
    (void) arg;
    if (!count)
        return;
    char line[400], text[256];
    cli_clean (text, sizeof text, summary);
    snprintf (line, sizeof line, "%s %s: %s",
              check->level == STATUSCHECK_CRITICAL ? "CRITICAL" : "WARNING", check->name, text);
    status_text_line ("check", line);
}

static void
s_print_checks (json_t *result)
{
    s_checks_t c = {0, 0};
    statuscheck_run (result, s_count_check, &c);
    if (!c.raised) {
        status_text_line ("checks", "OK: none raised");
        return;
    }
    char line[160];
    snprintf (line, sizeof line, "%s: %zu raised",
              c.worst == STATUSCHECK_CRITICAL ? "CRITICAL" : "WARNING", c.raised);
    status_text_line ("checks", line);
    statuscheck_run (result, s_print_check, NULL);
}

/*  A database file of this node that fails its writes (storage_failing):
 *  which one, SQLite's words, since when. */
static void
s_print_storage (json_t *result, uint64_t now)
{
    json_t *storage = json_object_get (result, "storage");
    if (!json_is_true (json_object_get (storage, "failing")))
        return;
    char line[512], file[CLI_CELL_MAX + 1], error[160], d[48];
    uint64_t since = 0;
    cli_json_uint (storage, "since_ms", &since);
    const char *name = cli_json_str (storage, "file", file, sizeof file);
    snprintf (line, sizeof line, "FAILING: %s, for %s: %s",
              strcmp (name, "-") == 0 ? "a database file" : name,
              cli_fmt_duration (d, sizeof d, since && now > since ? now - since : 0),
              cli_json_str (storage, "error", error, sizeof error));
    status_text_line ("storage", line);
}

/*  This node's clock while no peer confirms it (node_clock.c): why, and
 *  how long retention has waited for it, or that the operator's word
 *  stands in for the peers. */
static void
s_print_clock (json_t *result)
{
    json_t *clock = json_object_get (result, "clock");
    char line[512], why[300], d[48];
    /*  On the operator's word alone (keten clock confirm). */
    if (json_is_true (json_object_get (clock, "by_operator"))) {
        status_text_line ("clock", cli_json_str (clock, "why", why, sizeof why));
        return;
    }
    if (!json_is_false (json_object_get (clock, "confirmed")))
        return;
    uint64_t waited = 0;
    int n = snprintf (line, sizeof line, "NOT CONFIRMED: %s",
                      cli_json_str (clock, "why", why, sizeof why));
    if (cli_json_uint (clock, "retention_waiting_s", &waited) && n > 0 && (size_t) n < sizeof line)
        snprintf (line + n, sizeof line - (size_t) n, "; retention waits, for %s",
                  cli_fmt_duration (d, sizeof d, waited * 1000));
    status_text_line ("clock", line);
}

/*  The status answer as text, as of now (ms since the epoch). */
void
status_text_print (json_t *result, uint64_t now)
{
    uint64_t v;
    char a[CLI_CELL_MAX + 1], b[64];
    status_text_line ("node", cli_json_str (result, "node", a, sizeof a));
    status_text_line ("kind", cli_json_str (result, "kind", a, sizeof a));
    status_text_line ("role", cli_json_str (result, "role", a, sizeof a));
    status_text_line ("version", cli_json_str (result, "software_version", a, sizeof a));
    status_text_line (
        "uptime",
        cli_json_uint (result, "uptime_s", &v)
            ? cli_fmt_duration (b, sizeof b, v > UINT64_MAX / 1000 ? UINT64_MAX : v * 1000)
            : "-");
    if (cli_json_uint (result, "roster_version", &v))
        snprintf (b, sizeof b, "%llu", (unsigned long long) v);
    else
        snprintf (b, sizeof b, "-");
    status_text_line ("roster version", b);
    if (cli_json_uint (result, "key_age_days", &v)) {
        snprintf (b, sizeof b, "%llu d", (unsigned long long) v);
        status_text_line ("key age", b);
    }
    if (json_is_string (json_object_get (result, "old_keys_until"))) {
        /*  A rotation this node has not followed: how long its key file
         *  still works (keys_overlap_ending), or that it stopped. */
        char line[200];
        uint64_t end = 0;
        cli_json_uint (result, "old_keys_end_ms", &end);
        cli_json_str (result, "old_keys_until", a, sizeof a);
        if (json_is_true (json_object_get (result, "old_keys_ended")))
            snprintf (line, sizeof line,
                      "OVERLAP ENDED: the key file in use stopped working on %s; install the "
                      "new one and restart",
                      a);
        else
            snprintf (line, sizeof line,
                      "rotated: the key file in use works until %s (%s left); install the new "
                      "one and restart",
                      a, cli_fmt_duration (b, sizeof b, end > now ? end - now : 0));
        status_text_line ("keys", line);
    }
    if (json_is_true (json_object_get (result, "expelled")))
        status_text_line ("sending", "STOPPED: this node is no longer accepted (see its log)");
    if (json_is_string (json_object_get (result, "metrics_listen")))
        status_text_line ("metrics", cli_json_str (result, "metrics_listen", a, sizeof a));
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
        status_text_line ("access review", line);
    }
    s_print_checks (result);
    s_print_unreadable (result);
    s_print_storage (result, now);
    s_print_clock (result);
    if (json_object_get (result, "members"))
        status_text_uitvoerder (result, now);
    else
        s_print_partner (result, now);
}
