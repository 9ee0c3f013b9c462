/*  keten weegploeg subject / matches / match (uitvoerder): look at a
 *  subject in the weegploeg file and decide possible matches.  */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char s_usage_text[] =
    "Usage: keten weegploeg subject CASE_REF [--json]\n"
    "       keten weegploeg matches [--all] [--json]\n"
    "       keten weegploeg match KEEP OTHER (--same | --different)\n"
    "\n"
    "subject   show a subject's signals (personal data: the read is recorded in the\n"
    "          access table and the provenance log first, art. 15.2e)\n"
    "matches   subjects that may be one person but could not be matched for certain\n"
    "          (same name and birth date, BSN different or known for one only);\n"
    "          --all includes the decided ones.  Case_refs only.\n"
    "match     decide one: --same moves OTHER's signals to KEEP and removes OTHER\n"
    "          (refused when OTHER is already on an agenda or decided on);\n"
    "          --different records that they are different persons.\n";

int
cmd_weegploeg_subject (cli_t *cli, int argc, char **argv)
{
    enum { O_JSON = CLI_OPT_LONG + 1, O_ALL, O_SAME, O_DIFF };
    static const struct option options[] = {
        {"json", no_argument, NULL, O_JSON},       {"all", no_argument, NULL, O_ALL},
        {"same", no_argument, NULL, O_SAME},       {"different", no_argument, NULL, O_DIFF},
        {"help", no_argument, NULL, CLI_OPT_HELP}, {NULL, 0, NULL, 0}};
    const char *cmd = argv[0];
    bool as_json = false, all = false;
    int same = -1, c;
    cli_getopt_reset ();
    while ((c = getopt_long (argc, argv, ":h", options, NULL)) != -1) {
        switch (c) {
        case O_JSON:
            as_json = true;
            break;
        case O_ALL:
            all = true;
            break;
        case O_SAME:
        case O_DIFF:
            if (same != -1)
                return cli_usage_error (cmd, "give --same or --different once");
            same = c == O_SAME;
            break;
        case 'h':
        case CLI_OPT_HELP:
            fputs (s_usage_text, stdout);
            return CLI_OK;
        default:
            return cli_getopt_error (cmd, c, argv);
        }
    }
    int n_args = argc - optind;
    json_t *args = NULL;
    const char *call;
    if (strcmp (cmd, "subject") == 0) {
        if (n_args != 1 || strlen (argv[optind]) > 32)
            return cli_usage_error ("weegploeg subject", "give one CASE_REF");
        call = "weegploeg.subject";
        args = json_pack ("{s:s}", "case_ref", argv[optind]);
    } else if (strcmp (cmd, "matches") == 0) {
        if (n_args != 0)
            return cli_usage_error ("weegploeg matches", "unexpected argument");
        call = "weegploeg.matches";
        args = json_pack ("{s:b}", "all", all);
    } else {
        if (n_args != 2 || same == -1 || strlen (argv[optind]) > 32 ||
            strlen (argv[optind + 1]) > 32)
            return cli_usage_error ("weegploeg match", "give KEEP OTHER and --same or --different");
        call = "weegploeg.match";
        args = json_pack ("{s:s, s:s, s:b}", "keep", argv[optind], "other", argv[optind + 1],
                          "same", same);
    }
    json_t *result = cli_call (cli, call, args, CLI_TIMEOUT_MS, NULL);
    if (!result)
        return CLI_FAIL;
    int rc = CLI_OK;
    if (as_json || strcmp (cmd, "subject") == 0)
        rc = cli_print_json (result); /* the signals as submitted, in their JSON form */
    else if (strcmp (cmd, "matches") == 0) {
        static const char *const header[] = {"CASE_REF", "OTHER", "STATE", "REASON"};
        cli_table_t *t = cli_table_new (4, header);
        json_t *m;
        size_t i;
        json_array_foreach (json_object_get (result, "matches"), i, m)
        {
            char a[CLI_CELL_MAX + 1], b[CLI_CELL_MAX + 1], s[CLI_CELL_MAX + 1], r[CLI_CELL_MAX + 1];
            const char *cells[4] = {
                cli_json_str (m, "case_ref", a, sizeof a), cli_json_str (m, "other", b, sizeof b),
                cli_json_str (m, "state", s, sizeof s), cli_json_str (m, "reason", r, sizeof r)};
            cli_table_add (t, cells);
        }
        cli_table_print (t);
        cli_table_destroy (&t);
    } else
        printf ("%s and %s: %s\n", argv[optind], argv[optind + 1],
                same ? "the same person; merged" : "different persons");
    json_decref (result);
    return rc;
}
