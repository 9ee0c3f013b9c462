/*  keten peering: peering with other federations (docs/ROSTER.md,
 *  "Peering with another federation").  The uitvoerder pins another
 *  federation's uitvoerder in its own roster, or ends that peering; each
 *  is the next signed roster version, applied at once and pushed to every
 *  member.  list shows the peerings the roster holds, at any node.
 */
#include "cli.h"

#include "util.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char cmd_peering_usage[] =
    "Usage: keten peering add PUB_FILE --federation NAME --endpoint tcp://HOST:PORT\n"
    "                         [--wpg-entitled]\n"
    "                                          pin another federation's uitvoerder\n"
    "       keten peering end FEDERATION       end the peering with FEDERATION at once\n"
    "       keten peering list [--json]        the peerings the roster holds\n"
    "\n"
    "A peering is the other federation's uitvoerder pinned in this federation's\n"
    "roster: its keys (from its .pub file), where it listens, and whether its college\n"
    "is entitled to art. 9/10 Wpg data.  It is a peering only when the other side's\n"
    "roster pins this one too.  add and end are at the uitvoerder: every change is a\n"
    "new roster version, signed with the uitvoerder's key, applied without a restart,\n"
    "written to the provenance log and pushed to every member.  add prints the peer's\n"
    "log key: compare it with the 'log key' the peer's operator sees in keten status,\n"
    "by a channel of your own.  list works at any node.\n";

/*  Each command's own usage. */
static const cli_usage_t s_usages[] = {
    {"peering add",
     "Usage: keten peering add PUB_FILE --federation NAME --endpoint tcp://HOST:PORT\n"
     "                         [--wpg-entitled]\n"
     "\n"
     "Pin the uitvoerder of federation NAME, from its .pub file (at most 8192 bytes;\n"
     "made by keten keygen there), as a peer of this federation, since today.  At the\n"
     "uitvoerder: a new roster version, pushed to every member.  A peering that ended\n"
     "is replaced by the new one.  Prints the peer's log key (its signing key under\n"
     "the origin NAME/log): compare it with the 'log key' the peer's operator sees in\n"
     "keten status, by a channel of your own.  Options and PUB_FILE may come in any\n"
     "order.\n"
     "\n"
     "Options:\n"
     "  --federation NAME   the peer federation's name, e.g. pga-zeeland\n"
     "  --endpoint tcp://HOST:PORT\n"
     "                      where the peer uitvoerder listens\n"
     "  --wpg-entitled      its college is entitled to art. 9/10 Wpg data\n"},
    {"peering end", "Usage: keten peering end FEDERATION\n"
                    "\n"
                    "End the peering with FEDERATION at once: its uitvoerder's open connection\n"
                    "is dropped and its next one refused.  The ended peering stays in the\n"
                    "roster as history.  At the uitvoerder: a new roster version, pushed to\n"
                    "every member.\n"},
    {"peering list", "Usage: keten peering list [--json]\n"
                     "\n"
                     "The peerings the roster in force holds, ended ones too: the peer\n"
                     "federation, its uitvoerder, where it listens, since and until when, and\n"
                     "whether the peering is in force now.\n"
                     "\n"
                     "Options:\n"
                     "  --json   print the daemon's answer as JSON\n"},
    {NULL, NULL}};

enum { OPT_FEDERATION = CLI_OPT_LONG + 1, OPT_ENDPOINT, OPT_WPG_ENTITLED };

typedef struct {
    const char *federation, *endpoint;
    bool wpg_entitled;
} s_add_t;

static int
s_add_option (void *arg, const char *cmd, int opt, const char *value)
{
    s_add_t *a = arg;
    switch (opt) {
    case OPT_FEDERATION:
        return cli_opt_string (cmd, "federation", value, 64, &a->federation);
    case OPT_ENDPOINT:
        return cli_opt_string (cmd, "endpoint", value, 255, &a->endpoint);
    default: /* OPT_WPG_ENTITLED */
        if (a->wpg_entitled)
            return cli_usage_error (cmd, "--wpg-entitled given twice");
        a->wpg_entitled = true;
        return 0;
    }
}

int
cmd_peering_add (cli_t *cli, int argc, char **argv)
{
    static const struct option options[] = {{"federation", required_argument, NULL, OPT_FEDERATION},
                                            {"endpoint", required_argument, NULL, OPT_ENDPOINT},
                                            {"wpg-entitled", no_argument, NULL, OPT_WPG_ENTITLED},
                                            {"help", no_argument, NULL, CLI_OPT_HELP},
                                            {NULL, 0, NULL, 0}};
    const char *cmd = "peering add";
    s_add_t a = {NULL, NULL, false};
    int rc = cli_options (cmd, argc, argv, options, cli_usage_of (s_usages, cmd, cmd_peering_usage),
                          s_add_option, &a);
    if (rc)
        return CLI_DONE (rc);
    if (optind >= argc)
        return cli_usage_error (cmd, "give the peer uitvoerder's PUB_FILE");
    if (optind + 1 < argc)
        return cli_usage_error (cmd, "too many arguments");
    if (!a.federation || !a.endpoint)
        return cli_usage_error (cmd, "--federation and --endpoint are required");
    if (!kt_valid_node_id (a.federation))
        return cli_usage_error (cmd, "--federation must be 1-64 of a-z 0-9 -, starting with a "
                                     "letter");
    if (strncmp (a.endpoint, "tcp://", 6) != 0)
        return cli_usage_error (cmd, "--endpoint must be tcp://HOST:PORT");
    const char *file = argv[optind];
    char *text = NULL;
    size_t len = 0;
    kt_reason_t reason;
    if (kt_read_file (file, 8192, &text, &len, &reason) != 0) {
        cli_error ("%s", reason.text);
        return CLI_FAIL;
    }
    json_t *args =
        json_pack ("{s:s, s:s, s:s, s:s, s:b}", "op", "peering-add", "pub", text, "federation",
                   a.federation, "endpoint", a.endpoint, "wpg_entitled", a.wpg_entitled);
    free (text);
    if (!args) {
        cli_error ("%s is not text", file);
        return CLI_FAIL;
    }
    json_t *result = cli_call (cli, "roster.change", args, CLI_TIMEOUT_MS, NULL);
    if (!result)
        return CLI_FAIL;
    uint64_t version = 0;
    char who[CLI_CELL_MAX + 1], key[256];
    cli_json_uint (result, "version", &version);
    printf ("roster version %llu: peering with %s; pushed to %zu member(s)\n",
            (unsigned long long) version, cli_json_str (result, "federation", who, sizeof who),
            json_array_size (json_object_get (result, "sent_to")));
    printf ("peer log key: %s\n", cli_json_str (result, "log_key", key, sizeof key));
    printf ("Compare it with the 'log key' of keten status at the peer uitvoerder, by a channel "
            "of your own.\n");
    rc = cli_roster_warnings (result, version);
    json_decref (result);
    return rc;
}

int
cmd_peering_end (cli_t *cli, int argc, char **argv)
{
    static const struct option options[] = {{"help", no_argument, NULL, CLI_OPT_HELP},
                                            {NULL, 0, NULL, 0}};
    const char *cmd = "peering end";
    int rc = cli_options (cmd, argc, argv, options, cli_usage_of (s_usages, cmd, cmd_peering_usage),
                          NULL, NULL);
    if (rc)
        return CLI_DONE (rc);
    if (optind >= argc)
        return cli_usage_error (cmd, "give the FEDERATION whose peering ends");
    if (optind + 1 < argc)
        return cli_usage_error (cmd, "too many arguments");
    const char *federation = argv[optind];
    if (!kt_valid_node_id (federation))
        return cli_usage_error (cmd, "FEDERATION must be 1-64 of a-z 0-9 -, starting with a "
                                     "letter");
    json_t *result =
        cli_call (cli, "roster.change",
                  json_pack ("{s:s, s:s}", "op", "peering-end", "federation", federation),
                  CLI_TIMEOUT_MS, NULL);
    if (!result)
        return CLI_FAIL;
    uint64_t version = 0;
    char who[CLI_CELL_MAX + 1];
    cli_json_uint (result, "version", &version);
    printf ("roster version %llu: peering with %s ended; pushed to %zu member(s)\n",
            (unsigned long long) version, cli_json_str (result, "federation", who, sizeof who),
            json_array_size (json_object_get (result, "sent_to")));
    rc = cli_roster_warnings (result, version);
    json_decref (result);
    return rc;
}

static int
s_list_print (json_t *r, const void *arg)
{
    (void) arg;
    json_t *peerings = json_object_get (r, "peerings");
    char own[CLI_CELL_MAX + 1];
    if (json_array_size (peerings) == 0) {
        printf ("%s peers with no other federation\n",
                cli_json_str (r, "federation", own, sizeof own));
        return CLI_OK;
    }
    static const char *const header[] = {"FEDERATION", "UITVOERDER", "ENDPOINT",
                                         "SINCE",      "ENDED",      "ACTIVE"};
    cli_table_t *t = cli_table_new (6, header);
    json_t *p;
    size_t i;
    json_array_foreach (peerings, i, p)
    {
        char fed[CLI_CELL_MAX + 1], uitv[CLI_CELL_MAX + 1], ep[CLI_CELL_MAX + 1],
            since[CLI_CELL_MAX + 1], ended[CLI_CELL_MAX + 1];
        const char *cells[6] = {cli_json_str (p, "federation", fed, sizeof fed),
                                cli_json_str (p, "uitvoerder", uitv, sizeof uitv),
                                cli_json_str (p, "endpoint", ep, sizeof ep),
                                cli_json_str (p, "since", since, sizeof since),
                                cli_json_str (p, "ended", ended, sizeof ended),
                                json_is_true (json_object_get (p, "active")) ? "yes" : "no"};
        cli_table_add (t, cells);
    }
    cli_table_print (t);
    cli_table_destroy (&t);
    return CLI_OK;
}

int
cmd_peering_list (cli_t *cli, int argc, char **argv)
{
    const char *cmd = "peering list";
    bool as_json = false;
    int rc = cli_options_json (cmd, argc, argv, cli_usage_of (s_usages, cmd, cmd_peering_usage),
                               &as_json);
    if (rc)
        return CLI_DONE (rc);
    if (optind < argc)
        return cli_usage_error (cmd, "unexpected argument");
    return cli_request (cli, "peering.list", NULL, CLI_TIMEOUT_MS, as_json, s_list_print, NULL);
}
