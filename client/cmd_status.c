/*  keten status: ask the node for its status and print it - as text
 *  (client/status_text.c), JSON, the monitoring-plugin verdict (--check),
 *  or for every node of this machine (--all).  */
#include "cli.h"
#include "status_text.h"
#include "statuscheck.h"

#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char s_status_usage[] =
    "Usage: keten status [--json] [--watch [SECONDS] [--count N]]\n"
    "       keten status --check\n"
    "       keten status --all [--json | --check]\n"
    "\n"
    "Show the node: id, kind, role, version, uptime, roster version and key age;\n"
    "every check --check raises, a line each, and any part of the status that\n"
    "cannot be read; a database file that fails its writes.  On a partner also\n"
    "the link to the uitvoerder, the outbox, the last receipt, its log witness\n"
    "and any alarm (link_down, backlog, undelivered_age, log_alarm,\n"
    "roster_conflict, storage_failing, duplicate_instance).  On the uitvoerder\n"
    "its own alarms, the\n"
    "newest checkpoint and its cosigners, the open incidents with their AP\n"
    "deadline, retention, the open requests of its desk (art. 12: a warning a\n"
    "week ahead, an ALARM once overdue), informatieplicht, corrections, the\n"
    "peered federations and transfers, and every member at a glance: online,\n"
    "last seen, round trip, outbox backlog, roster version (stale ones flagged),\n"
    "checkpoint verified, software version, key age, clock skew (flagged above\n"
    "2 s) and its alarms (offline, stale_roster, clock_skew, backlog,\n"
    "undelivered_age, log_alarm, roster_refused, refusal_flood, incident_flood,\n"
    "access_notice_flood, relay_backlog, storage_failing, log_witness_unreadable,\n"
    "duplicate_instance); a member\n"
    "that has left the federation is shown as left, without alarms.\n"
    "\n"
    "  --json             print the daemon's answer as JSON\n"
    "  --watch [SECONDS]  refresh every SECONDS (2; 1..3600) until interrupted;\n"
    "                     on a terminal the screen is cleared each time\n"
    "  --count N          with --watch: stop after N refreshes (for scripts, tests)\n"
    "  --check            one line and the monitoring-plugin exit status (Icinga,\n"
    "                     Nagios): 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (no answer)\n"
    "  --all              every node this machine runs, one per federation (each\n"
    "                     NODE.cfg in $KETEN_CONFIG_DIR, else /etc/keten): a line\n"
    "                     each with its federation and verdict; exit 1 when one\n"
    "                     cannot be asked (no answer, an unusable config) or there is\n"
    "                     none; with --check one line and the gravest verdict\n"
    "                     (CRITICAL, then UNKNOWN, WARNING, OK) as the exit status\n";

/*  One refresh: ask the daemon, print its answer.  Returns an exit code. */
static int
s_show (cli_t *cli, bool as_json)
{
    json_t *result = cli_call (cli, "status", NULL, CLI_TIMEOUT_MS, NULL);
    if (!result)
        return CLI_FAIL;
    if (as_json) {
        int rc = cli_print_json (result);
        json_decref (result);
        return rc;
    }
    status_text_print (result, kt_now_ms ());
    json_decref (result);
    return CLI_OK;
}
/* ---- --check: the monitoring-plugin convention ------------------------------ */

enum { S_OK = 0, S_WARNING = 1, S_CRITICAL = 2, S_UNKNOWN = 3 };

typedef struct {
    int level;
    char text[480];
} s_verdict_t;

/*  Add what (at level) to the verdict's summary. */
static void s_note (s_verdict_t *v, int level, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
static void
s_note (s_verdict_t *v, int level, const char *fmt, ...)
{
    if (level > v->level)
        v->level = level;
    size_t used = strlen (v->text);
    if (used + 4 >= sizeof v->text)
        return;
    if (used)
        used += (size_t) snprintf (v->text + used, sizeof v->text - used, "; ");
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (v->text + used, sizeof v->text - used, fmt, ap);
    va_end (ap);
}

static void
s_judge_one (void *arg, const statuscheck_t *check, uint64_t count, const char *summary)
{
    if (count)
        s_note (arg, check->level == STATUSCHECK_CRITICAL ? S_CRITICAL : S_WARNING, "%s", summary);
}

/*  Every alarm and warning the status carries (common/statuscheck.c):
 *  what `keten status` shows as ALARM is critical, what it warns of is a
 *  warning. */
static void
s_judge (json_t *r, s_verdict_t *v)
{
    statuscheck_run (r, s_judge_one, v);
}

static int
s_check (cli_t *cli)
{
    static const char *const names[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};
    json_t *result = cli_call (cli, "status", NULL, CLI_TIMEOUT_MS, NULL);
    if (!result) {
        printf ("KETEN UNKNOWN - no answer from ketend\n");
        return S_UNKNOWN;
    }
    s_verdict_t v = {S_OK, ""};
    s_judge (result, &v);
    char node[CLI_CELL_MAX + 1];
    cli_json_str (result, "node", node, sizeof node);
    printf ("KETEN %s - %s: %s\n", names[v.level], node, *v.text ? v.text : "no alarms");
    json_decref (result);
    return v.level;
}

/* ---- --all: every node of this machine, one per federation ------------------ */

typedef struct {
    json_t *rows;
    int worst;
    bool unasked; /* a node could not be asked (no answer, unusable config) */
} s_all_t;

/*  The plugin convention's order of gravity: CRITICAL over UNKNOWN over
 *  WARNING over OK. */
static int
s_graver (int a, int b)
{
    static const int rank[] = {0, 1, 3, 2}; /* OK, WARNING, CRITICAL, UNKNOWN */
    return rank[b] > rank[a] ? b : a;
}

static void
s_all_node (void *arg, const char *path, const config_t *config, const char *federation)
{
    s_all_t *a = arg;
    static const char *const names[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};
    json_t *row = json_pack ("{s:s}", "config", path);
    if (!row)
        return;
    if (!config) {
        json_object_set_new (row, "verdict", json_string ("UNKNOWN"));
        json_object_set_new (row, "summary", json_string (federation));
        a->worst = s_graver (a->worst, S_UNKNOWN);
        a->unasked = true;
        json_array_append_new (a->rows, row);
        return;
    }
    json_object_set_new (row, "federation", json_string (federation));
    json_object_set_new (row, "node", json_string (config->id));
    cli_t one = {path, NULL};
    json_t *r = cli_call (&one, "status", NULL, 3000, NULL);
    s_verdict_t v = {S_UNKNOWN, "no answer from ketend"};
    a->unasked |= !r;
    if (r) {
        v = (s_verdict_t){S_OK, ""};
        s_judge (r, &v);
        json_object_set_new (row, "role", json_copy (json_object_get (r, "role")));
        json_decref (r);
    }
    a->worst = s_graver (a->worst, v.level);
    json_object_set_new (row, "verdict", json_string (names[v.level]));
    json_object_set_new (row, "summary", json_string (*v.text ? v.text : "no alarms"));
    json_array_append_new (a->rows, row);
}

/*  One line per node this machine runs (docs/OPERATIONS.md, "A party in
 *  several federations"); with check, one line and the worst verdict as
 *  the exit status. */
static int
s_all (bool as_json, bool check)
{
    s_all_t a = {json_array (), S_OK, false};
    if (!a.rows || cli_each_node (s_all_node, &a) < 0) {
        json_decref (a.rows);
        if (check)
            printf ("KETEN UNKNOWN - cannot read the config directory %s\n", cli_config_dir ());
        return check ? S_UNKNOWN : CLI_FAIL;
    }
    /*  No node at all is not "all well". */
    if (json_array_size (a.rows) == 0)
        a.worst = S_UNKNOWN, a.unasked = true;
    size_t i;
    json_t *row;
    static const char *const names[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};
    if (check) {
        char line[1024] = "";
        json_array_foreach (a.rows, i, row)
        {
            size_t used = strlen (line);
            snprintf (line + used, sizeof line - used, "%s%s/%s: %s", used ? "; " : "",
                      json_string_value (json_object_get (row, "federation"))
                          ?: json_string_value (json_object_get (row, "config")),
                      json_string_value (json_object_get (row, "node")) ?: "?",
                      json_string_value (json_object_get (row, "summary")));
        }
        printf ("KETEN %s - %s\n", names[a.worst],
                json_array_size (a.rows) ? line : "no node configuration (NODE.cfg) found");
        json_decref (a.rows);
        return a.worst;
    }
    int rc = a.unasked ? CLI_FAIL : CLI_OK;
    if (as_json) {
        json_t *out = json_pack ("{s:s, s:o}", "config_dir", cli_config_dir (), "nodes", a.rows);
        cli_print_json (out);
        json_decref (out);
        return rc;
    }
    static const char *const header[] = {"FEDERATION", "NODE", "ROLE", "VERDICT", "SUMMARY"};
    cli_table_t *t = cli_table_new (5, header);
    json_array_foreach (a.rows, i, row)
    {
        const char *cells[5] = {
            json_string_value (json_object_get (row, "federation")) ?: "-",
            json_string_value (json_object_get (row, "node"))
                ?: json_string_value (json_object_get (row, "config")),
            json_string_value (json_object_get (row, "role")) ?: "-",
            json_string_value (json_object_get (row, "verdict")),
            json_string_value (json_object_get (row, "summary")),
        };
        cli_table_add (t, cells);
    }
    cli_table_print (t);
    cli_table_destroy (&t);
    json_decref (a.rows);
    return rc;
}

int
cmd_status (cli_t *cli, int argc, char **argv)
{
    enum { OPT_JSON = CLI_OPT_LONG + 1, OPT_WATCH, OPT_COUNT, OPT_CHECK, OPT_ALL };
    static const struct option options[] = {{"json", no_argument, NULL, OPT_JSON},
                                            {"check", no_argument, NULL, OPT_CHECK},
                                            {"all", no_argument, NULL, OPT_ALL},
                                            {"watch", optional_argument, NULL, OPT_WATCH},
                                            {"count", required_argument, NULL, OPT_COUNT},
                                            {"help", no_argument, NULL, CLI_OPT_HELP},
                                            {NULL, 0, NULL, 0}};
    const char *cmd = "status";
    bool as_json = false, watch = false, counted = false, check = false, all = false;
    uint64_t every_s = 2, count = 0;
    int c;
    cli_getopt_reset ();
    while ((c = getopt_long (argc, argv, ":h", options, NULL)) != -1) {
        switch (c) {
        case OPT_JSON:
            if (as_json)
                return cli_usage_error (cmd, "--json given twice");
            as_json = true;
            break;
        case OPT_WATCH:
            if (watch)
                return cli_usage_error (cmd, "--watch given twice");
            watch = true;
            /*  --watch SECONDS as well as --watch=SECONDS: a following
             *  argument that starts with a digit is the interval. */
            if (!optarg && optind < argc && argv[optind][0] >= '0' && argv[optind][0] <= '9')
                optarg = argv[optind++];
            if (optarg && cli_opt_uint (cmd, "watch", optarg, 1, 3600, &every_s) != 0)
                return CLI_USAGE;
            break;
        case OPT_CHECK:
            check = true;
            break;
        case OPT_ALL:
            all = true;
            break;
        case OPT_COUNT:
            if (counted)
                return cli_usage_error (cmd, "--count given twice");
            counted = true;
            if (cli_opt_uint (cmd, "count", optarg, 1, 1000000, &count) != 0)
                return CLI_USAGE;
            break;
        case 'h':
        case CLI_OPT_HELP:
            fputs (s_status_usage, stdout);
            return CLI_OK;
        default:
            return cli_getopt_error (cmd, c, argv);
        }
    }
    if (optind < argc)
        return cli_usage_error (cmd, "unexpected argument");
    if (counted && !watch)
        return cli_usage_error (cmd, "--count needs --watch");
    if (check && (watch || as_json))
        return cli_usage_error (cmd, "--check takes no other option but --all");
    if (all && (watch || cli->config_path || cli->socket_path))
        return cli_usage_error (cmd, "--all asks every node of this machine: no --watch, -c, -s "
                                     "or -f");
    if (all)
        return s_all (as_json, check);
    if (check)
        return s_check (cli);
    if (!watch)
        return s_show (cli, as_json);

    /*  Refresh until interrupted (SIGINT ends the process) or count runs
     *  out; a daemon that does not answer is reported and asked again. */
    bool tty = isatty (STDOUT_FILENO);
    int rc = CLI_OK;
    for (uint64_t n = 0; count == 0 || n < count; n++) {
        if (n > 0) {
            struct timespec ts = {(time_t) every_s, 0};
            while (nanosleep (&ts, &ts) != 0 && errno == EINTR)
                ;
        }
        if (tty && !as_json)
            printf ("\033[H\033[2J");
        else if (n > 0 && !as_json)
            printf ("\n");
        if (!as_json) {
            char at[32];
            printf ("keten status, every %llu s (Ctrl-C to stop), %s UTC\n\n",
                    (unsigned long long) every_s, cli_fmt_time (at, sizeof at, kt_now_ms ()));
        }
        rc = s_show (cli, as_json);
        fflush (stdout);
    }
    return rc;
}
