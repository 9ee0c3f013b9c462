/*  keten audit access: the reads of personal data recorded at this node,
 *  for the periodic review (art. 15.2e).  */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char cmd_audit_usage[] =
    "Usage: keten audit access [--since DATE] [--limit N] [--json]\n"
    "\n"
    "List every recorded read of personal data at this node: when, which OS\n"
    "user, what was read (the command) and about whom (the case_ref).\n"
    "\n"
    "  --since DATE   YYYY-MM-DD (00:00 UTC) or YYYY-MM-DDTHH:MM:SSZ; default: all\n"
    "  --limit N      at most N records (1..10000, default 100)\n"
    "  --json         print the daemon's answer as JSON\n";

/*  DATE as ms since the epoch; -1 when it is not a date we take. */
static int64_t
s_parse_since (const char *text)
{
    struct tm tm = {0};
    const char *end = strptime (text, "%Y-%m-%d", &tm);
    if (end && *end == 'T')
        end = strptime (end, "T%H:%M:%SZ", &tm);
    if (!end || *end)
        return -1;
    struct tm check = tm;
    time_t t = timegm (&check);
    if (t < 0 || check.tm_mday != tm.tm_mday || check.tm_mon != tm.tm_mon)
        return -1;
    return (int64_t) t * 1000;
}

static void
s_print (json_t *records)
{
    static const char *const header[] = {"WHEN (UTC)", "USER", "UID", "WHAT", "CASE_REF"};
    cli_table_t *t = cli_table_new (5, header);
    json_t *r;
    size_t i;
    json_array_foreach (records, i, r)
    {
        char when[32], user[CLI_CELL_MAX + 1], uid[24], what[CLI_CELL_MAX + 1],
            ref[CLI_CELL_MAX + 1];
        uint64_t v = 0;
        cli_json_uint (r, "at_ms", &v);
        cli_fmt_time (when, sizeof when, v);
        v = 0;
        cli_json_uint (r, "uid", &v);
        snprintf (uid, sizeof uid, "%llu", (unsigned long long) v);
        const char *cells[5] = {when, cli_json_str (r, "user", user, sizeof user), uid,
                                cli_json_str (r, "what", what, sizeof what),
                                cli_json_str (r, "case_ref", ref, sizeof ref)};
        cli_table_add (t, cells);
    }
    cli_table_print (t);
    cli_table_destroy (&t);
}

enum { O_SINCE = CLI_OPT_LONG + 1, O_LIMIT, O_JSON };

typedef struct {
    const char *since_text, *limit_text;
    uint64_t limit;
    bool as_json;
} s_access_t;

static int
s_access_option (void *arg, const char *cmd, int opt, const char *value)
{
    s_access_t *a = arg;
    switch (opt) {
    case O_SINCE:
        return cli_opt_string (cmd, "since", value, 20, &a->since_text);
    case O_LIMIT:
        if (cli_opt_string (cmd, "limit", value, 5, &a->limit_text))
            return CLI_USAGE;
        return cli_opt_uint (cmd, "limit", value, 1, 10000, &a->limit);
    default: /* O_JSON */
        a->as_json = true;
        return 0;
    }
}

static int
s_access_print (json_t *result, const void *arg)
{
    (void) arg;
    s_print (json_object_get (result, "access"));
    return CLI_OK;
}

int
cmd_audit_access (cli_t *cli, int argc, char **argv)
{
    const char *cmd = "audit access";
    static const struct option options[] = {{"since", required_argument, NULL, O_SINCE},
                                            {"limit", required_argument, NULL, O_LIMIT},
                                            {"json", no_argument, NULL, O_JSON},
                                            {"help", no_argument, NULL, CLI_OPT_HELP},
                                            {NULL, 0, NULL, 0}};
    s_access_t a = {NULL, NULL, 100, false};
    int rc = cli_options (cmd, argc, argv, options, cmd_audit_usage, s_access_option, &a);
    if (rc)
        return CLI_DONE (rc);
    if (optind < argc)
        return cli_usage_error (cmd, "unexpected argument");
    int64_t since = 0;
    if (a.since_text && (since = s_parse_since (a.since_text)) < 0)
        return cli_usage_error (cmd, "--since must be YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
    json_t *args =
        json_pack ("{s:I, s:I}", "since_ms", (json_int_t) since, "limit", (json_int_t) a.limit);
    return cli_request (cli, "audit.access", args, CLI_TIMEOUT_MS, a.as_json, s_access_print, NULL);
}
