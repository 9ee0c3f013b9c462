/*  keten log verify: recompute the provenance log from its entries.  */
#include "cli.h"

#include "config.h"
#include "logverify.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char s_verify_usage[] =
    "Usage: keten log verify [--json]\n"
    "       keten log verify --file LOG.DB [--json]\n"
    "\n"
    "Without --file it asks this node's ketend (keten -c CONFIG or -s SOCKET).\n"
    "At a partner: check every kept receipt's inclusion proof against its\n"
    "checkpoint, and that checkpoint against the newest one this node verified\n"
    "(consistency proofs); exits 1 on a failed proof or a log alarm.\n"
    "\n"
    "At the uitvoerder: recompute the whole provenance log (state-dir/log.db)\n"
    "from its entries - indexes without gaps, every leaf hash, every entry\n"
    "decodes, arrivals where the arrival index puts them, every stored\n"
    "interior hash, nothing indexed past the end, the stored tree head - and\n"
    "print its size and root.  On failure it names the first bad index and\n"
    "exits 1.  Reads the file only, in one snapshot; the daemon may be\n"
    "running.  Then every checkpoint it signed and stored must be signed by\n"
    "this log and match the entries.  A log cut back consistently to an\n"
    "earlier size is a valid smaller log: the partners' kept checkpoints\n"
    "show it (their `keten log verify` and status alarm).\n"
    "\n"
    "  --file PATH   the log file (default: log.db in the config's state-dir)\n"
    "  --json        print the result as JSON\n"
    "  -h, --help    this help\n";

/*  A partner's answer: every kept receipt against its checkpoint, every
 *  checkpoint against the newest verified one, and any alarm. */
static int
s_partner_result (json_t *result, bool as_json)
{
    json_t *w = json_object_get (result, "witness");
    uint64_t n = 0, ok = 0, pending = 0, failed = 0, size = 0, bad = 0;
    cli_json_uint (w, "receipts", &n);
    cli_json_uint (w, "verified", &ok);
    cli_json_uint (w, "pending", &pending);
    cli_json_uint (w, "failed", &failed);
    cli_json_uint (w, "checkpoint_size", &size);
    bool alarm = json_is_true (json_object_get (w, "alarm"));
    int rc = failed || alarm ? CLI_FAIL : CLI_OK;
    if (as_json)
        cli_print_json (w);
    else if (rc == CLI_OK)
        printf ("%llu receipts: %llu proven in checkpoints consistent with the newest verified "
                "(size %llu), %llu awaiting a consistency proof\n",
                (unsigned long long) n, (unsigned long long) ok, (unsigned long long) size,
                (unsigned long long) pending);
    if (rc != CLI_OK) {
        if (cli_json_uint (w, "first_bad_index", &bad))
            cli_error ("receipt proof failed: first bad log index %llu (%llu of %llu receipts "
                       "failed)",
                       (unsigned long long) bad, (unsigned long long) failed,
                       (unsigned long long) n);
        if (alarm)
            cli_error ("ALARM: the uitvoerder's log is not what this node verified before; "
                       "keten status shows the alarms");
    }
    json_decref (result);
    return rc;
}

/*  The uitvoerder's log file recomputed, and its stored checkpoints
 *  (checkpoints: the daemon's answer, or NULL when it was not reached). */
static int
s_file_result (const char *path, json_t *checkpoints, bool as_json)
{
    uint64_t size = 0, bad = 0, n_cp = 0, bad_cp = 0, first_cp = 0;
    uint8_t root[32];
    char hex[65];
    kt_reason_t reason;
    if (logverify_file (path, &size, root, &bad, &reason) != 0) {
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
    cli_json_uint (checkpoints, "checkpoints", &n_cp);
    cli_json_uint (checkpoints, "bad", &bad_cp);
    kt_hex (hex, root, 32);
    if (as_json) {
        json_t *r = json_pack ("{s:b, s:I, s:s, s:I, s:I}", "ok", bad_cp == 0, "size",
                               (json_int_t) size, "root", hex, "checkpoints", (json_int_t) n_cp,
                               "checkpoints_bad", (json_int_t) bad_cp);
        cli_print_json (r);
        json_decref (r);
    } else
        printf ("%s: %llu entries verified, root %s%s\n", path, (unsigned long long) size, hex,
                checkpoints ? "" : " (stored checkpoints not checked)");
    if (checkpoints && !as_json && bad_cp == 0)
        printf ("%llu stored checkpoints: each signed by this log and matching its entries\n",
                (unsigned long long) n_cp);
    if (bad_cp) {
        cli_json_uint (checkpoints, "first_bad_size", &first_cp);
        cli_error ("%llu stored checkpoint(s) do not match the log; the first at size %llu",
                   (unsigned long long) bad_cp, (unsigned long long) first_cp);
        return CLI_FAIL;
    }
    return CLI_OK;
}

enum { OPT_FILE = CLI_OPT_LONG + 1, OPT_JSON };

typedef struct {
    const char *file;
    bool as_json;
} s_verify_t;

static int
s_verify_option (void *arg, const char *cmd, int opt, const char *value)
{
    s_verify_t *v = arg;
    if (opt == OPT_FILE)
        return cli_opt_string (cmd, "file", value, 4000, &v->file);
    if (v->as_json)
        return cli_usage_error (cmd, "--json given twice");
    v->as_json = true;
    return 0;
}

int
cmd_log_verify (cli_t *cli, int argc, char **argv)
{
    static const struct option options[] = {{"file", required_argument, NULL, OPT_FILE},
                                            {"json", no_argument, NULL, OPT_JSON},
                                            {"help", no_argument, NULL, CLI_OPT_HELP},
                                            {NULL, 0, NULL, 0}};
    const char *cmd = "log verify";
    s_verify_t v = {NULL, false};
    int rc = cli_options (cmd, argc, argv, options, s_verify_usage, s_verify_option, &v);
    if (rc)
        return CLI_DONE (rc);
    const char *file = v.file;
    bool as_json = v.as_json;
    if (optind < argc)
        return cli_usage_error (cmd, "unexpected argument");
    char path[PATH_MAX + 16];
    json_t *result = NULL;
    if (file)
        snprintf (path, sizeof path, "%s", file);
    else {
        /*  Ask the node: a partner checks its kept receipts against its
         *  newest checkpoint; the uitvoerder checks its stored checkpoints
         *  and names its log file, which is recomputed here. */
        result = cli_call (cli, "log.verify", NULL, CLI_WAIT_TIMEOUT_MS, NULL);
        if (!result && !cli->config_path)
            return CLI_FAIL;
        const char *role = result ? json_string_value (json_object_get (result, "role")) : NULL;
        if (role && strcmp (role, "partner") == 0)
            return s_partner_result (result, as_json);
        const char *log_path =
            result ? json_string_value (json_object_get (result, "log_path")) : NULL;
        if (log_path)
            snprintf (path, sizeof path, "%s", log_path);
        else {
            config_t config;
            kt_reason_t reason;
            if (config_load (cli->config_path, &config, &reason) != 0) {
                cli_error ("%s", reason.text);
                json_decref (result);
                return CLI_FAIL;
            }
            snprintf (path, sizeof path, "%s/log.db", config.state_dir);
            cli_error ("ketend is not reachable: verifying the file only, not the stored "
                       "checkpoints");
        }
    }
    rc = s_file_result (path, result ? json_object_get (result, "checkpoints") : NULL, as_json);
    json_decref (result);
    return rc;
}

static const char s_checkpoints_usage[] =
    "Usage: keten log checkpoints [--json]   (uitvoerder)\n"
    "\n"
    "The checkpoints the uitvoerder signed over its provenance log, newest first:\n"
    "size, when signed, which witnesses cosigned, root.\n"
    "\n"
    "  --json        print the result as JSON\n"
    "  -h, --help    this help\n";

static void
s_checkpoints_print (json_t *r)
{
    static const char *const header[] = {"SIZE", "SIGNED (UTC)", "COSIGNED BY", "ROOT"};
    cli_table_t *t = cli_table_new (4, header);
    json_t *c;
    size_t i;
    json_array_foreach (json_object_get (r, "checkpoints"), i, c)
    {
        char size[24], when[32], who[CLI_CELL_MAX + 1], root[CLI_CELL_MAX + 1];
        uint64_t v = 0;
        cli_json_uint (c, "size", &v);
        snprintf (size, sizeof size, "%llu", (unsigned long long) v);
        v = 0;
        cli_json_uint (c, "signed_ms", &v);
        cli_fmt_time (when, sizeof when, v);
        const char *cells[4] = {size, when, cli_json_str (c, "cosigners", who, sizeof who),
                                cli_json_str (c, "root", root, sizeof root)};
        cli_table_add (t, cells);
    }
    cli_table_print (t);
    cli_table_destroy (&t);
}

int
cmd_log_checkpoints (cli_t *cli, int argc, char **argv)
{
    if (argc == 2 && (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)) {
        fputs (s_checkpoints_usage, stdout);
        return CLI_OK;
    }
    bool as_json = argc == 2 && strcmp (argv[1], "--json") == 0;
    if (argc > 2 || (argc == 2 && !as_json))
        return cli_usage_error ("log checkpoints", "only --json");
    json_t *r = cli_call (cli, "log.checkpoints", NULL, CLI_TIMEOUT_MS, NULL);
    if (!r)
        return CLI_FAIL;
    int rc = CLI_OK;
    if (as_json)
        rc = cli_print_json (r);
    else
        s_checkpoints_print (r);
    json_decref (r);
    return rc;
}
