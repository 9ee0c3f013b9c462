/*  keten retention status / run / reopen / read: the convenant's
 *  retention schedule (art. 13, docs/RETENTION.md); keten clock confirm,
 *  the operator's word on the clock the schedule waits for.  */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

const char cmd_retention_usage[] =
    "Usage: keten retention status [--json]\n"
    "       keten retention run [--dry-run] [--json]\n"
    "       keten retention reopen CASE_REF --reason TEXT [--json]   (kernpartij nodes)\n"
    "       keten retention read CASE_REF                            (kernpartij nodes)\n"
    "\n"
    "status  what this node will archive or destroy, when, per case_ref (no personal\n"
    "        data); at the uitvoerder also the nodes that have not confirmed a notice,\n"
    "        and the destructions a representative's withdrawal owes (art. 7.2a).\n"
    "run     run the schedule now (ketend runs it at start and every hour);\n"
    "        --dry-run only lists what is due.\n"
    "reopen  order archived data back for renewed processing (art. 13.4): a signed\n"
    "        order from this kernpartij to the uitvoerder, with the reason; waits for\n"
    "        the uitvoerder's answer.\n"
    "read    read what this node keeps archived about CASE_REF (art. 13.2; recorded\n"
    "        as a read of personal data); printed as JSON.\n"
    "\n"
    "Periods (roster retention/*): not agendered: destroyed not-agendered-days after\n"
    "the last processing or the decision (art. 13.3); otherwise archived archive-days\n"
    "and destroyed destroy-days after the last processing (art. 13.2, 13.1).\n";

/*  Each command's own usage. */
#define S_REF_HELP "CASE_REF is k- and 16 hex digits.\n"
static const cli_usage_t s_usages[] = {
    {"retention status",
     "Usage: keten retention status [--json]\n"
     "\n"
     "What this node will archive or destroy, when, per case_ref (no personal data);\n"
     "at the uitvoerder also the nodes that have not confirmed a notice (art. 13), and\n"
     "the destructions a representative's withdrawal owes, since when (art. 7.2a).\n"
     "\n"
     "Options:\n"
     "  --json           print the daemon's answer as JSON\n"},
    {"retention run", "Usage: keten retention run [--dry-run] [--json]\n"
                      "\n"
                      "Run the retention schedule now (ketend runs it at start and every hour).\n"
                      "Refused until its peers confirm this node's clock (keten status: clock);\n"
                      "a dry run still lists.\n"
                      "\n"
                      "Options:\n"
                      "  --dry-run        only list what is due\n"
                      "  --json           print the daemon's answer as JSON\n"},
    {"retention reopen",
     "Usage: keten retention reopen CASE_REF --reason TEXT [--json]   (kernpartij nodes)\n"
     "\n"
     "Order archived data back for renewed processing (art. 13.4): a signed order\n"
     "from this kernpartij to the uitvoerder, with the reason; waits for the\n"
     "uitvoerder's answer.  " S_REF_HELP "\n"
     "Options:\n"
     "  --reason TEXT    why (1..1000 bytes)\n"
     "  --json           print the daemon's answer as JSON\n"},
    {"retention read", "Usage: keten retention read CASE_REF   (kernpartij nodes)\n"
                       "\n"
                       "Read what this node keeps archived about CASE_REF (art. 13.2; recorded as\n"
                       "a read of personal data); printed as JSON.  " S_REF_HELP},
    {NULL, NULL}};

const char cmd_clock_usage[] =
    "Usage: keten clock confirm [--hours N] [--json]\n"
    "\n"
    "State that you checked this node's wall clock against a source outside the\n"
    "federation (timedatectl, chronyc tracking against a time server you trust, a\n"
    "radio clock, your phone's network time) and found it right.  The steps that\n"
    "wait for a clock the federation confirms - retention's archiving and\n"
    "destruction, the safety net, the spool's forgetting of rejected files, the\n"
    "uitvoerder's expiry and withdrawal of copies - then run on your word for N\n"
    "hours (1..24, default 24), however many peers disagree or are away, until\n"
    "this node's wall clock steps (by 10 s or more against its monotonic clock),\n"
    "a peer's measured skew moves by more than clock-skew-ms from what it was at\n"
    "the confirmation, or ketend stops.  Recorded in the access log (keten audit access: what\n"
    "clock.confirm:Nh, with your OS user) and the journal.  Needs the admin group.\n"
    "Check first: docs/OPERATIONS.md, \"Confirming the clock by hand\".\n"
    "\n"
    "Options:\n"
    "  --hours N        how long the confirmation lasts (1..24, default 24)\n"
    "  --json           print the daemon's answer as JSON\n";

enum { O_JSON = CLI_OPT_LONG + 1, O_DRY_RUN, O_REASON, O_HOURS };

typedef struct {
    bool as_json, dry_run;
    const char *reason;
    uint64_t hours;
} s_request_t;

static int
s_option (void *arg, const char *cmd, int opt, const char *value)
{
    s_request_t *r = arg;
    switch (opt) {
    case O_DRY_RUN:
        r->dry_run = true;
        return 0;
    case O_REASON:
        return cli_opt_string (cmd, "reason", value, 1000, &r->reason);
    case O_HOURS:
        return cli_opt_uint (cmd, "hours", value, 1, 24, &r->hours);
    default: /* O_JSON */
        r->as_json = true;
        return 0;
    }
}

/*  Parse options of cmd (those in options) and at most want arguments;
 *  *ref_p receives the one argument when want is 1.  Returns 0, an exit
 *  code, or CLI_HELPED. */
static int
s_parse (const char *cmd, int argc, char **argv, const struct option *options, s_request_t *r,
         int want, const char **ref_p)
{
    const char *usage = strcmp (cmd, "clock confirm") == 0
                            ? cmd_clock_usage
                            : cli_usage_of (s_usages, cmd, cmd_retention_usage);
    int rc = cli_options (cmd, argc, argv, options, usage, s_option, r);
    if (rc)
        return rc;
    if (argc - optind != want)
        return cli_usage_error (cmd, want ? "give exactly one CASE_REF" : "unexpected argument");
    if (want) {
        const char *ref = argv[optind];
        bool ok = strlen (ref) == 18 && strncmp (ref, "k-", 2) == 0;
        for (const char *p = ref + 2; ok && *p; p++)
            ok = (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f');
        if (!ok)
            return cli_usage_error (cmd, "CASE_REF must be k- and 16 hex digits");
        *ref_p = ref;
    }
    return 0;
}

static int
s_print_status (json_t *result, const void *arg)
{
    (void) arg;
    static const char *const header[] = {"CASE_REF", "STATE", "LAST PROCESSING (UTC)", "NEXT",
                                         "DUE (UTC)", "WARNING"};
    cli_table_t *t = cli_table_new (6, header);
    json_t *c;
    size_t i;
    json_array_foreach (json_object_get (result, "cases"), i, c)
    {
        char ref[CLI_CELL_MAX + 1], state[CLI_CELL_MAX + 1], rule[CLI_CELL_MAX + 1], last[32],
            due[32];
        uint64_t v = 0;
        cli_json_uint (c, "last_processing_ms", &v);
        cli_fmt_time (last, sizeof last, v);
        v = 0;
        cli_json_uint (c, "due_ms", &v);
        cli_fmt_time (due, sizeof due, v);
        const char *cells[6] = {cli_json_str (c, "case_ref", ref, sizeof ref),
                                cli_json_str (c, "state", state, sizeof state),
                                last,
                                cli_json_str (c, "rule", rule, sizeof rule),
                                due,
                                json_is_true (json_object_get (c, "warning")) ? "yes" : "-"};
        cli_table_add (t, cells);
    }
    json_t *periods = json_object_get (result, "periods");
    uint64_t na = 0, ar = 0, de = 0, destroyed = 0;
    cli_json_uint (periods, "not_agendered_days", &na);
    cli_json_uint (periods, "archive_days", &ar);
    cli_json_uint (periods, "destroy_days", &de);
    cli_json_uint (result, "destroyed", &destroyed);
    printf ("periods: not agendered %llu d, archive %llu d, destroy %llu d; %llu destroyed\n\n",
            (unsigned long long) na, (unsigned long long) ar, (unsigned long long) de,
            (unsigned long long) destroyed);
    if (json_array_size (json_object_get (result, "cases")))
        cli_table_print (t);
    else
        printf ("no subjects held\n");
    cli_table_destroy (&t);
    /*  art. 7.2a (uitvoerder): destructions a representative's
     *  withdrawal owes that are not done yet. */
    json_t *owed = json_object_get (result, "withdrawals_owed");
    if (json_array_size (owed)) {
        static const char *const h3[] = {"CASE_REF", "WITHDRAWN (UTC)", "OWED FOR"};
        cli_table_t *o = cli_table_new (3, h3);
        json_array_foreach (owed, i, c)
        {
            char ref[CLI_CELL_MAX + 1], withdrawn[32], span[32];
            uint64_t v = 0;
            cli_json_uint (c, "withdrawn_ms", &v);
            cli_fmt_time (withdrawn, sizeof withdrawn, v);
            v = 0;
            cli_json_uint (c, "owed_s", &v);
            if (v >= 86400)
                snprintf (span, sizeof span, "%llu d %llu h", (unsigned long long) (v / 86400),
                          (unsigned long long) (v % 86400 / 3600));
            else if (v >= 3600)
                snprintf (span, sizeof span, "%llu h %llu min", (unsigned long long) (v / 3600),
                          (unsigned long long) (v % 3600 / 60));
            else
                snprintf (span, sizeof span, "%llu min", (unsigned long long) (v / 60));
            const char *cells[3] = {cli_json_str (c, "case_ref", ref, sizeof ref), withdrawn, span};
            cli_table_add (o, cells);
        }
        printf ("\ndestructions owed to a representative's withdrawal (art. 7.2a): %zu\n",
                json_array_size (owed));
        cli_table_print (o);
        cli_table_destroy (&o);
    }
    json_t *unconfirmed = json_object_get (result, "unconfirmed");
    if (json_array_size (unconfirmed)) {
        static const char *const h2[] = {"CASE_REF", "NODE", "ACTION", "SENT (UTC)"};
        cli_table_t *u = cli_table_new (4, h2);
        json_array_foreach (unconfirmed, i, c)
        {
            char ref[CLI_CELL_MAX + 1], node[CLI_CELL_MAX + 1], action[CLI_CELL_MAX + 1],
                sent[32];
            uint64_t v = 0;
            cli_json_uint (c, "sent_ms", &v);
            cli_fmt_time (sent, sizeof sent, v);
            const char *cells[4] = {cli_json_str (c, "case_ref", ref, sizeof ref),
                                    cli_json_str (c, "node", node, sizeof node),
                                    cli_json_str (c, "action", action, sizeof action), sent};
            cli_table_add (u, cells);
        }
        printf ("\nnot confirmed by the node within a day:\n");
        cli_table_print (u);
        cli_table_destroy (&u);
    }
    return CLI_OK;
}

static int
s_print_run (json_t *result, const void *arg)
{
    (void) arg;
    bool dry = json_is_true (json_object_get (result, "dry_run"));
    json_t *a;
    size_t i;
    json_array_foreach (json_object_get (result, "actions"), i, a)
    {
        char ref[CLI_CELL_MAX + 1], action[CLI_CELL_MAX + 1], due[32];
        uint64_t v = 0;
        cli_json_uint (a, "due_ms", &v);
        cli_fmt_time (due, sizeof due, v);
        printf ("%s %s%s (due %s)\n", cli_json_str (a, "case_ref", ref, sizeof ref),
                cli_json_str (a, "action", action, sizeof action), dry ? " due" : "d", due);
    }
    if (json_array_size (json_object_get (result, "actions")) == 0)
        printf ("nothing due\n");
    if (json_is_true (json_object_get (result, "more")))
        printf ("more are due: ketend does them in batches of 50 while it serves\n");
    return CLI_OK;
}

static int
s_print_sent (json_t *result, const void *arg)
{
    (void) arg;
    char id[CLI_CELL_MAX + 1], b[CLI_CELL_MAX + 1], why[512];
    const char *state = cli_json_str (result, "state", b, sizeof b);
    json_t *reason = json_object_get (result, "reason");
    cli_clean (why, sizeof why, json_is_string (reason) ? json_string_value (reason) : "");
    printf ("%s %s%s%s\n", cli_json_str (result, "message_id", id, sizeof id), state,
            *why ? ": " : "", why);
    return strcmp (state, "delivered") == 0 ? CLI_OK : CLI_FAIL;
}

int
cmd_retention_status (cli_t *cli, int argc, char **argv)
{
    static const struct option options[] = {{"json", no_argument, NULL, O_JSON},
                                            {"help", no_argument, NULL, CLI_OPT_HELP},
                                            {NULL, 0, NULL, 0}};
    s_request_t r = {0};
    int rc = s_parse ("retention status", argc, argv, options, &r, 0, NULL);
    if (rc)
        return CLI_DONE (rc);
    return cli_request (cli, "retention.status", json_object (), CLI_TIMEOUT_MS, r.as_json,
                        s_print_status, NULL);
}

int
cmd_retention_run (cli_t *cli, int argc, char **argv)
{
    static const struct option options[] = {{"dry-run", no_argument, NULL, O_DRY_RUN},
                                            {"json", no_argument, NULL, O_JSON},
                                            {"help", no_argument, NULL, CLI_OPT_HELP},
                                            {NULL, 0, NULL, 0}};
    s_request_t r = {0};
    int rc = s_parse ("retention run", argc, argv, options, &r, 0, NULL);
    if (rc)
        return CLI_DONE (rc);
    return cli_request (cli, "retention.run", json_pack ("{s:b}", "dry_run", r.dry_run),
                        CLI_WAIT_TIMEOUT_MS, r.as_json, s_print_run, NULL);
}

int
cmd_retention_reopen (cli_t *cli, int argc, char **argv)
{
    const char *cmd = "retention reopen";
    static const struct option options[] = {{"reason", required_argument, NULL, O_REASON},
                                            {"json", no_argument, NULL, O_JSON},
                                            {"help", no_argument, NULL, CLI_OPT_HELP},
                                            {NULL, 0, NULL, 0}};
    s_request_t r = {0};
    const char *ref = NULL;
    int rc = s_parse (cmd, argc, argv, options, &r, 1, &ref);
    if (rc)
        return CLI_DONE (rc);
    if (!r.reason)
        return cli_usage_error (cmd, "--reason is required: why the data is needed again "
                                     "(art. 13.4)");
    return cli_request (cli, "retention.reopen",
                        json_pack ("{s:s, s:s}", "case_ref", ref, "reason", r.reason),
                        CLI_WAIT_TIMEOUT_MS, r.as_json, s_print_sent, NULL);
}

int
cmd_retention_read (cli_t *cli, int argc, char **argv)
{
    static const struct option options[] = {{"help", no_argument, NULL, CLI_OPT_HELP},
                                            {NULL, 0, NULL, 0}};
    s_request_t r = {0};
    const char *ref = NULL;
    int rc = s_parse ("retention read", argc, argv, options, &r, 1, &ref);
    if (rc)
        return CLI_DONE (rc);
    return cli_request (cli, "retention.read", json_pack ("{s:s}", "case_ref", ref),
                        CLI_TIMEOUT_MS, true, NULL, NULL);
}

static int
s_print_confirmed (json_t *result, const void *arg)
{
    (void) arg;
    char until[40];
    uint64_t until_ms = 0, agree = 0, disagree = 0;
    cli_json_uint (result, "until_ms", &until_ms);
    cli_json_uint (result, "agree", &agree);
    cli_json_uint (result, "disagree", &disagree);
    printf ("this node's clock is confirmed by its operator until %s (unless it steps); peers "
            "that agree: %llu, disagree: %llu\n",
            cli_fmt_time (until, sizeof until, until_ms), (unsigned long long) agree,
            (unsigned long long) disagree);
    return CLI_OK;
}

int
cmd_clock_confirm (cli_t *cli, int argc, char **argv)
{
    static const struct option options[] = {{"hours", required_argument, NULL, O_HOURS},
                                            {"json", no_argument, NULL, O_JSON},
                                            {"help", no_argument, NULL, CLI_OPT_HELP},
                                            {NULL, 0, NULL, 0}};
    s_request_t r = {.hours = 24};
    int rc = s_parse ("clock confirm", argc, argv, options, &r, 0, NULL);
    if (rc)
        return CLI_DONE (rc);
    return cli_request (cli, "clock.confirm", json_pack ("{s:I}", "hours", (json_int_t) r.hours),
                        CLI_TIMEOUT_MS, r.as_json, s_print_confirmed, NULL);
}
