/*  keten log reanchor: a member's log witness follows the uitvoerder's
 *  log again after an alarm its operator looked into (docs/OPERATIONS.md,
 *  "A restored uitvoerder and the witnesses").
 */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char s_usage[] =
    "Usage: keten log reanchor [--peer FEDERATION] --size N --root HEX --reason TEXT [--json]\n"
    "\n"
    "After this node's log witness raised log_alarm and the cause is known - the\n"
    "uitvoerder was restored from a backup, announced as an incident - follow the\n"
    "uitvoerder's log again from the tree its operator names out of band: the\n"
    "size and root `keten status` prints at the uitvoerder (log: size N, root R).\n"
    "The next checkpoint must be proven to extend that tree, as always.  The\n"
    "decision is kept with your user, the reason and the tree it replaced; the\n"
    "alarms and the receipts of the history given up are kept beside it, no\n"
    "longer verified.  Refused when there is no alarm.  Needs the admin group.\n"
    "\n"
    "At the uitvoerder, --peer FEDERATION does the same for its witness of a\n"
    "peered federation's log (docs/FEDERATIONS.md), from the tree that\n"
    "federation's operator names.\n"
    "\n"
    "  --peer FEDERATION  the peered federation (uitvoerder only)\n"
    "  --size N       the uitvoerder's tree size\n"
    "  --root HEX     its root, 64 hex digits\n"
    "  --reason TEXT  the incident and who named the tree (one line, <= 500 bytes)\n"
    "  --json         the result as JSON\n";

enum { O_SIZE = CLI_OPT_LONG + 1, O_ROOT, O_REASON, O_PEER, O_JSON };

typedef struct {
    uint64_t size;
    const char *root, *reason, *peer;
    bool have_size, as_json;
} s_args_t;

static int
s_option (void *arg, const char *cmd, int opt, const char *value)
{
    s_args_t *a = arg;
    switch (opt) {
    case O_SIZE:
        a->have_size = true;
        return cli_opt_uint (cmd, "size", value, 1, INT64_MAX, &a->size);
    case O_ROOT:
        return cli_opt_string (cmd, "root", value, 64, &a->root);
    case O_REASON:
        return cli_opt_string (cmd, "reason", value, 500, &a->reason);
    case O_PEER:
        return cli_opt_string (cmd, "peer", value, 64, &a->peer);
    default: /* O_JSON */
        a->as_json = true;
        return 0;
    }
}

static int
s_print (json_t *r, const void *arg)
{
    (void) arg;
    uint64_t old_size = 0, new_size = 0, alarms = 0, receipts = 0;
    cli_json_uint (r, "old_size", &old_size);
    cli_json_uint (r, "new_size", &new_size);
    cli_json_uint (r, "alarms_cleared", &alarms);
    cli_json_uint (r, "receipts_set_aside", &receipts);
    printf ("log witness re-anchored on size %llu (it had verified up to size %llu): %llu "
            "alarm(s) and %llu receipt proof(s) set aside with the decision\n",
            (unsigned long long) new_size, (unsigned long long) old_size,
            (unsigned long long) alarms, (unsigned long long) receipts);
    return CLI_OK;
}

int
cmd_log_reanchor (cli_t *cli, int argc, char **argv)
{
    const char *cmd = "log reanchor";
    static const struct option options[] = {{"size", required_argument, NULL, O_SIZE},
                                            {"root", required_argument, NULL, O_ROOT},
                                            {"reason", required_argument, NULL, O_REASON},
                                            {"json", no_argument, NULL, O_JSON},
                                            {"peer", required_argument, NULL, O_PEER},
                                            {"help", no_argument, NULL, CLI_OPT_HELP},
                                            {NULL, 0, NULL, 0}};
    s_args_t a = {0};
    int rc = cli_options (cmd, argc, argv, options, s_usage, s_option, &a);
    if (rc)
        return CLI_DONE (rc);
    if (optind < argc)
        return cli_usage_error (cmd, "unexpected argument");
    if (!a.have_size || !a.root || !a.reason)
        return cli_usage_error (cmd, "--size, --root and --reason are required");
    if (strlen (a.root) != 64 || strspn (a.root, "0123456789abcdef") != 64)
        return cli_usage_error (cmd, "--root must be 64 lowercase hex digits");
    json_t *args = json_pack ("{s:I, s:s, s:s}", "size", (json_int_t) a.size, "root", a.root,
                              "reason", a.reason);
    if (args && a.peer)
        json_object_set_new (args, "peer", json_string (a.peer));
    if (!args)
        return cli_usage_error (cmd, "--reason must be UTF-8 text");
    return cli_request (cli, "log.reanchor", args, CLI_TIMEOUT_MS, a.as_json, s_print, NULL);
}
