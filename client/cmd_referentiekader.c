/*  keten referentiekader: the region's referentiekader (convenant art.
 *  7.3).  adopt puts another in force at the uitvoerder as the next
 *  roster version; show says which one is in force.
 */
#include "cli.h"

#include "referentiekader.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char cmd_referentiekader_usage[] =
    "Usage: keten referentiekader adopt FILE      put FILE in force (uitvoerder)\n"
    "       keten referentiekader show [--json]   the referentiekader in force\n"
    "\n"
    "The weegploeg weighs every signal against the referentiekader (art. 7.3).\n"
    "The roster names the one in force by its version and the SHA-256 of its\n"
    "file, and every decision records both.\n"
    "\n"
    "adopt  at the uitvoerder: FILE (ZPL, at most 256 KiB, docs/WEEGPLOEG.md) is\n"
    "       checked and put in force as the next roster version, signed, applied\n"
    "       without a restart, written to the provenance log and pushed to every\n"
    "       member.  Refused: the version in force, a version put in force before\n"
    "       with other bytes (a changed file needs a new version), and an example\n"
    "       (example = 1) unless node/test-federation = 1.\n"
    "show   at the uitvoerder the one in force with its criteria and every one put\n"
    "       in force before; at a partner the version and hash its roster names.\n";

/*  Each command's own usage. */
static const char s_adopt_usage[] =
    "Usage: keten referentiekader adopt FILE   (uitvoerder)\n"
    "\n"
    "Put the region's referentiekader in FILE (ZPL, at most 256 KiB,\n"
    "docs/WEEGPLOEG.md) in force (art. 7.3): checked here and at the uitvoerder,\n"
    "then the next roster version, signed, applied without a restart, written to\n"
    "the provenance log and pushed to every member.  Refused: the version in force,\n"
    "a version put in force before with other bytes (a changed file needs a new\n"
    "version), and an example (example = 1) unless node/test-federation = 1.\n";
static const char s_show_usage[] =
    "Usage: keten referentiekader show [--json]\n"
    "\n"
    "The referentiekader in force (art. 7.3): at the uitvoerder with its criteria and\n"
    "every one put in force before; at a partner the version and SHA-256 its roster\n"
    "names.\n"
    "\n"
    "Options:\n"
    "  --json   print the daemon's answer as JSON\n";

int
cmd_referentiekader_adopt (cli_t *cli, int argc, char **argv)
{
    const char *cmd = "referentiekader adopt";
    const char *file = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp (argv[i], "--help") || !strcmp (argv[i], "-h")) {
            fputs (s_adopt_usage, stdout);
            return CLI_OK;
        }
        if (argv[i][0] == '-' || file)
            return cli_usage_error (cmd, "give one FILE");
        file = argv[i];
    }
    if (!file || !*file)
        return cli_usage_error (cmd, "give the referentiekader FILE");
    char *text = NULL;
    size_t len = 0;
    kt_reason_t reason;
    /*  Checked here too, so a mistake is named before anything is sent;
     *  the uitvoerder checks it again (its input is hostile too). */
    referentiekader_t rk;
    if (kt_read_file (file, REFERENTIEKADER_MAX_BYTES, &text, &len, &reason) != 0 ||
        referentiekader_parse (text, len, file, &rk, &reason) != 0) {
        free (text);
        cli_error ("%s", reason.text);
        return CLI_FAIL;
    }
    json_t *args = json_pack ("{s:s%}", "text", text, len);
    free (text);
    if (!args) {
        cli_error ("%s is not UTF-8 text", file);
        return CLI_FAIL;
    }
    json_t *r = cli_call (cli, "referentiekader.adopt", args, CLI_TIMEOUT_MS, NULL);
    if (!r)
        return CLI_FAIL;
    char v[CLI_CELL_MAX + 1], sha[CLI_CELL_MAX + 1];
    uint64_t version = 0;
    cli_json_uint (r, "version", &version);
    printf ("roster version %llu: referentiekader %s sha256=%s in force; pushed to %zu member(s)\n",
            (unsigned long long) version, cli_json_str (r, "referentiekader", v, sizeof v),
            cli_json_str (r, "referentiekader_sha256", sha, sizeof sha),
            json_array_size (json_object_get (r, "sent_to")));
    int rc = cli_roster_warnings (r, version);
    json_decref (r);
    return rc;
}

static int
s_show_print (json_t *r, const void *arg)
{
    (void) arg;
    char v[CLI_CELL_MAX + 1], sha[CLI_CELL_MAX + 1];
    uint64_t roster_version = 0;
    cli_json_uint (r, "roster_version", &roster_version);
    printf ("referentiekader %s\nsha256          %s\nexample         %s\nroster version  %llu\n",
            cli_json_str (r, "version", v, sizeof v),
            cli_json_str (r, "referentiekader_sha256", sha, sizeof sha),
            json_is_true (json_object_get (r, "example")) ? "yes (an illustration)" : "no",
            (unsigned long long) roster_version);
    json_t *criteria = json_object_get (r, "criteria");
    if (!criteria)
        return CLI_OK; /* a partner: the criteria are kept at the uitvoerder */
    if (!json_is_true (json_object_get (r, "kept")))
        printf ("criteria        not kept here: weegploeg/referentiekader must name the file\n");
    json_t *c;
    size_t i;
    if (json_array_size (criteria))
        printf ("\n");
    json_array_foreach (criteria, i, c)
    {
        char code[CLI_CELL_MAX + 1], text[1024];
        json_t *t = json_object_get (c, "text");
        cli_clean (text, sizeof text, json_is_string (t) ? json_string_value (t) : "");
        printf ("  %-20s %s\n", cli_json_str (c, "code", code, sizeof code), text);
    }
    static const char *const header[] = {"VERSION", "SHA256", "EXAMPLE", "ROSTER", "ADOPTED"};
    cli_table_t *t = cli_table_new (5, header);
    json_t *h;
    json_array_foreach (json_object_get (r, "history"), i, h)
    {
        char a[CLI_CELL_MAX + 1], b[CLI_CELL_MAX + 1], n[24], when[32];
        uint64_t rv = 0, at = 0;
        cli_json_uint (h, "roster_version", &rv);
        cli_json_uint (h, "adopted_ms", &at);
        snprintf (n, sizeof n, "%llu", (unsigned long long) rv);
        const char *cells[5] = {cli_json_str (h, "version", a, sizeof a),
                                cli_json_str (h, "sha256", b, sizeof b),
                                json_is_true (json_object_get (h, "example")) ? "yes" : "no", n,
                                cli_fmt_time (when, sizeof when, at)};
        cli_table_add (t, cells);
    }
    printf ("\nput in force here:\n");
    cli_table_print (t);
    cli_table_destroy (&t);
    return CLI_OK;
}

int
cmd_referentiekader_show (cli_t *cli, int argc, char **argv)
{
    bool as_json = false;
    int rc = cli_options_json ("referentiekader show", argc, argv, s_show_usage, &as_json);
    if (rc)
        return CLI_DONE (rc);
    if (optind < argc)
        return cli_usage_error ("referentiekader show", "unexpected argument");
    return cli_request (cli, "referentiekader.show", NULL, CLI_TIMEOUT_MS, as_json, s_show_print,
                        NULL);
}
