/*  keten status: the node, its roster, and its links - the partner's link
 *  to the uitvoerder and outbox, or the uitvoerder's view of the members.  */
#include "cli.h"

#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void
s_status_usage (void)
{
    printf ("Usage: keten status [--json]\n"
            "\n"
            "Show the node: id, kind, role, version, uptime and roster version.  On a\n"
            "partner also the link to the uitvoerder, the outbox and the last receipt;\n"
            "on the uitvoerder the members as last heard from and the stored counts.\n"
            "\n"
            "  --json   print the daemon's answer as JSON\n");
}

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
}

static void
s_print_uitvoerder (json_t *result, uint64_t now)
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
    }
    json_t *members = json_object_get (result, "members");
    if (!json_is_array (members))
        return;
    printf ("\n");
    static const char *const header[] = {"ID", "KIND", "ROLE", "ONLINE", "LAST_SEEN", "RTT"};
    cli_table_t *table = cli_table_new (6, header);
    size_t i;
    json_t *m;
    json_array_foreach (members, i, m)
    {
        char b[6][CLI_CELL_MAX + 1];
        uint64_t seen = 0, rtt = 0;
        cli_json_uint (m, "last_seen_ms", &seen);
        /*  The round trip the member measured to the uitvoerder (0: none yet). */
        if (cli_json_uint (m, "rtt_us", &rtt) && rtt > 0)
            snprintf (b[5], sizeof b[5], "%llu µs", (unsigned long long) rtt);
        else
            snprintf (b[5], sizeof b[5], "-");
        const char *row[] = {cli_json_str (m, "id", b[0], sizeof b[0]),
                             cli_json_str (m, "kind", b[1], sizeof b[1]),
                             cli_json_str (m, "role", b[2], sizeof b[2]),
                             json_is_true (json_object_get (m, "online")) ? "yes" : "no",
                             s_ago (b[4], sizeof b[4], seen, now),
                             b[5]};
        cli_table_add (table, row);
    }
    if (json_array_size (members) == 0)
        printf ("no other members in the roster\n");
    else
        cli_table_print (table);
    cli_table_destroy (&table);
}

int
cmd_status (cli_t *cli, int argc, char **argv)
{
    enum { OPT_JSON = CLI_OPT_LONG + 1 };
    static const struct option options[] = {{"json", no_argument, NULL, OPT_JSON},
                                            {"help", no_argument, NULL, CLI_OPT_HELP},
                                            {NULL, 0, NULL, 0}};
    const char *cmd = "status";
    bool as_json = false;
    int c;
    cli_getopt_reset ();
    while ((c = getopt_long (argc, argv, ":h", options, NULL)) != -1) {
        switch (c) {
        case OPT_JSON:
            if (as_json)
                return cli_usage_error (cmd, "--json given twice");
            as_json = true;
            break;
        case 'h':
        case CLI_OPT_HELP:
            s_status_usage ();
            return CLI_OK;
        default:
            return cli_getopt_error (cmd, c, argv);
        }
    }
    if (optind < argc)
        return cli_usage_error (cmd, "unexpected argument");

    json_t *result = cli_call (cli, "status", NULL, CLI_TIMEOUT_MS, NULL);
    if (!result)
        return CLI_FAIL;
    if (as_json) {
        int rc = cli_print_json (result);
        json_decref (result);
        return rc;
    }
    uint64_t now = kt_now_ms (), v;
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
    if (json_object_get (result, "members"))
        s_print_uitvoerder (result, now);
    else
        s_print_partner (result, now);
    json_decref (result);
    return CLI_OK;
}
