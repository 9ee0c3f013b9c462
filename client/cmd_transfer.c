/*  keten transfer, keten transfers: a subject moves to a peered federation
 *  (docs/FEDERATIONS.md), and what moved both ways.
 */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char s_usage[] =
    "Usage: keten transfer CASE_REF --to FEDERATION --basis TEXT [--json]   (uitvoerder)\n"
    "\n"
    "Hand the subject CASE_REF over to the uitvoerder of a peered federation, on\n"
    "the decision of the kernpartijen whose signals it holds (art. 4): each of\n"
    "them decided so at its own node (keten decision transfer there), on this\n"
    "same basis; refused, naming them, until they have.  The minimal set goes:\n"
    "the subject, each\n"
    "signal's facts with its origin and legal basis, the plan's status; art. 9/10\n"
    "Wpg data only when the peering allows it.  Sealed end to end to the other\n"
    "uitvoerder; both logs record it with each other's log index.  Needs the\n"
    "disclosure group.\n"
    "\n"
    "  --to FEDERATION       the peered federation (keten peering list)\n"
    "  --basis TEXT          the legal basis decided on (one line, <= 500 bytes)\n"

    "  --json                the result as JSON\n";

static const char s_list_usage[] =
    "Usage: keten transfers [CASE_REF] [--json]   (uitvoerder)\n"
    "\n"
    "The subjects handed over to peered federations (sent: pending, accepted at\n"
    "the other log's index, or refused) and taken in from them (received, with\n"
    "the sending log's index).  No personal data.\n";

enum { O_TO = CLI_OPT_LONG + 1, O_BASIS, O_JSON };

typedef struct {
    const char *to, *basis;
    bool as_json;
} s_args_t;

static int
s_option (void *arg, const char *cmd, int opt, const char *value)
{
    s_args_t *a = arg;
    switch (opt) {
    case O_TO:
        return cli_opt_string (cmd, "to", value, 64, &a->to);
    case O_BASIS:
        return cli_opt_string (cmd, "basis", value, 500, &a->basis);
    default: /* O_JSON */
        a->as_json = true;
        return 0;
    }
}

static int
s_print (json_t *r, const void *arg)
{
    (void) arg;
    uint64_t index = 0;
    cli_json_uint (r, "log_index", &index);
    bool sent = json_is_true (json_object_get (r, "sent"));
    const char *warning = json_string_value (json_object_get (r, "warning"));
    if (warning) {
        printf ("transfer %s of %s to %s: recorded, not yet logged and sent (%s); ketend "
                "finishes it (keten transfers)\n",
                json_string_value (json_object_get (r, "id")),
                json_string_value (json_object_get (r, "case_ref")),
                json_string_value (json_object_get (r, "federation")), warning);
        return CLI_OK;
    }
    printf ("transfer %s of %s to %s: logged at index %llu; %s\n",
            json_string_value (json_object_get (r, "id")),
            json_string_value (json_object_get (r, "case_ref")),
            json_string_value (json_object_get (r, "federation")), (unsigned long long) index,
            sent ? "sent, pending its receipt (keten transfers)"
                 : "the federation is not connected now: offered until it answers");
    return CLI_OK;
}

int
cmd_transfer (cli_t *cli, int argc, char **argv)
{
    const char *cmd = "transfer";
    static const struct option options[] = {{"to", required_argument, NULL, O_TO},
                                            {"basis", required_argument, NULL, O_BASIS},
                                            {"json", no_argument, NULL, O_JSON},
                                            {"help", no_argument, NULL, CLI_OPT_HELP},
                                            {NULL, 0, NULL, 0}};
    s_args_t a = {0};
    int rc = cli_options (cmd, argc, argv, options, s_usage, s_option, &a);
    if (rc)
        return CLI_DONE (rc);
    if (optind + 1 != argc)
        return cli_usage_error (cmd, "one CASE_REF is required");
    if (!a.to || !a.basis)
        return cli_usage_error (cmd, "--to and --basis are required");
    json_t *args =
        json_pack ("{s:s, s:s, s:s}", "case_ref", argv[optind], "to", a.to, "basis", a.basis);
    if (!args)
        return cli_usage_error (cmd, "arguments must be UTF-8 text");
    return cli_request (cli, "transfer.send", args, CLI_TIMEOUT_MS, a.as_json, s_print, NULL);
}

static void
s_print_rows (json_t *rows, bool sent)
{
    size_t i;
    json_t *row;
    json_array_foreach (rows, i, row)
    {
        uint64_t index = 0, other = 0, signals = 0, withheld = 0;
        cli_json_uint (row, "log_index", &index);
        cli_json_uint (row, sent ? "peer_log_index" : "sent_log_index", &other);
        cli_json_uint (row, "signals", &signals);
        cli_json_uint (row, "withheld", &withheld);
        const char *state = sent ? json_string_value (json_object_get (row, "state")) : "received";
        printf ("  %s  %s %s %s  %s  %llu signals, %llu withheld  log %llu", state,
                json_string_value (json_object_get (row, "case_ref")), sent ? "->" : "<-",
                json_string_value (json_object_get (row, "federation")),
                sent ? "" : json_string_value (json_object_get (row, "from_case_ref")),
                (unsigned long long) signals, (unsigned long long) withheld,
                (unsigned long long) index);
        if (other)
            printf (", theirs %llu", (unsigned long long) other);
        const char *refused = json_string_value (json_object_get (row, "refused"));
        if (sent && refused && *refused)
            printf (" (%s)", refused);
        printf ("\n    basis: %s; decided by %s\n",
                json_string_value (json_object_get (row, "basis")),
                json_string_value (json_object_get (row, "decided_by")));
    }
}

static int
s_print_list (json_t *r, const void *arg)
{
    (void) arg;
    json_t *sent = json_object_get (r, "sent"), *received = json_object_get (r, "received");
    printf ("sent: %zu\n", json_array_size (sent));
    s_print_rows (sent, true);
    printf ("received: %zu\n", json_array_size (received));
    s_print_rows (received, false);
    return CLI_OK;
}

int
cmd_transfers (cli_t *cli, int argc, char **argv)
{
    const char *cmd = "transfers";
    bool as_json = false;
    int rc = cli_options_json (cmd, argc, argv, s_list_usage, &as_json);
    if (rc)
        return CLI_DONE (rc);
    if (argc - optind > 1)
        return cli_usage_error (cmd, "at most one CASE_REF");
    json_t *args = optind < argc ? json_pack ("{s:s}", "case_ref", argv[optind]) : json_object ();
    if (!args)
        return cli_usage_error (cmd, "CASE_REF must be UTF-8 text");
    return cli_request (cli, "transfer.list", args, CLI_TIMEOUT_MS, as_json, s_print_list, NULL);
}
