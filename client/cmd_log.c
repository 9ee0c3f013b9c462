/*  keten log verify: recompute the provenance log from its entries.  */
#include "cli.h"

#include "config.h"
#include "provlog.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void
s_verify_usage (void)
{
    printf ("Usage: keten -c CONFIG log verify [--json]\n"
            "       keten log verify --file LOG.DB [--json]\n"
            "\n"
            "At the uitvoerder: recompute the whole provenance log (state-dir/log.db)\n"
            "from its entries - indexes without gaps, every leaf hash, every entry\n"
            "decodes, the stored tree head - and print its size and root.  On failure\n"
            "it names the first bad index and exits 1.  Reads the file only; the\n"
            "daemon may be running.\n"
            "\n"
            "  --file PATH   the log file (default: log.db in the config's state-dir)\n"
            "  --json        print the result as JSON\n"
            "  -h, --help    this help\n");
}

static int
s_verify (cli_t *cli, int argc, char **argv)
{
    enum { OPT_FILE = CLI_OPT_LONG + 1, OPT_JSON };
    static const struct option options[] = {{"file", required_argument, NULL, OPT_FILE},
                                            {"json", no_argument, NULL, OPT_JSON},
                                            {"help", no_argument, NULL, CLI_OPT_HELP},
                                            {NULL, 0, NULL, 0}};
    const char *cmd = "log verify";
    const char *file = NULL;
    bool as_json = false;
    int c;
    cli_getopt_reset ();
    while ((c = getopt_long (argc, argv, ":h", options, NULL)) != -1) {
        int rc = 0;
        switch (c) {
        case OPT_FILE:
            rc = cli_opt_string (cmd, "file", optarg, 4000, &file);
            break;
        case OPT_JSON:
            if (as_json)
                return cli_usage_error (cmd, "--json given twice");
            as_json = true;
            break;
        case 'h':
        case CLI_OPT_HELP:
            s_verify_usage ();
            return CLI_OK;
        default:
            return cli_getopt_error (cmd, c, argv);
        }
        if (rc)
            return rc;
    }
    if (optind < argc)
        return cli_usage_error (cmd, "unexpected argument");
    char path[PATH_MAX + 16];
    kt_reason_t reason;
    if (file)
        snprintf (path, sizeof path, "%s", file);
    else if (cli->config_path) {
        config_t config;
        if (config_load (cli->config_path, &config, &reason) != 0) {
            cli_error ("%s", reason.text);
            return CLI_FAIL;
        }
        snprintf (path, sizeof path, "%s/log.db", config.state_dir);
    } else
        return cli_usage_error (cmd, "give -c CONFIG (before the command) or --file LOG.DB");

    uint64_t size = 0, bad = 0;
    uint8_t root[32];
    char hex[65];
    if (provlog_verify (path, &size, root, &bad, &reason) != 0) {
        if (as_json) {
            json_t *r = json_pack ("{s:b, s:I, s:s}", "ok", 0, "first_bad_index", (json_int_t) bad,
                                   "reason", reason.text);
            cli_print_json (r);
            json_decref (r);
        }
        cli_error ("%s: verification failed at index %llu: %s", path, (unsigned long long) bad,
                   reason.text);
        return CLI_FAIL;
    }
    kt_hex (hex, root, 32);
    if (as_json) {
        json_t *r = json_pack ("{s:b, s:I, s:s}", "ok", 1, "size", (json_int_t) size, "root", hex);
        int rc = cli_print_json (r);
        json_decref (r);
        return rc;
    }
    printf ("%s: %llu entries verified, root %s\n", path, (unsigned long long) size, hex);
    return CLI_OK;
}

int
cmd_log (cli_t *cli, int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error ("log", "which log command? (verify)");
    if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0) {
        printf ("Usage: keten log COMMAND ...\n"
                "\n"
                "  verify   recompute the provenance log and check it (uitvoerder)\n"
                "\n"
                "'keten log COMMAND --help' describes a command.\n");
        return CLI_OK;
    }
    if (strcmp (argv[1], "verify") == 0)
        return s_verify (cli, argc - 1, argv + 1);
    char name[65];
    cli_clean (name, sizeof name, argv[1]);
    return cli_usage_error ("log", "unknown log command '%s'", name);
}
