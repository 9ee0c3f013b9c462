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
    "          access table and the provenance log first, art. 15.2e); with an open\n"
    "          question of the weegploeg (open_question: the kernpartij asked,\n"
    "          art. 7.4 sub 1) and the answers received\n"
    "matches   subjects that may be one person but could not be matched for certain\n"
    "          (same name and birth date, BSN different or known for one only);\n"
    "          --all includes the decided ones.  Case_refs only.\n"
    "match     decide one: --same moves OTHER's signals to KEEP and removes OTHER\n"
    "          (refused when OTHER is already on an agenda or decided on);\n"
    "          --different records that they are different persons.\n";

/*  Each command's own usage. */
static const cli_usage_t s_usages[] = {
    {"weegploeg subject",
     "Usage: keten weegploeg subject CASE_REF [--json]   (uitvoerder)\n"
     "\n"
     "Show a subject's signals, as JSON (personal data: the read is recorded in the\n"
     "access table and the provenance log first, art. 15.2e); with an open question\n"
     "of the weegploeg (open_question: the kernpartij asked, art. 7.4 sub 1) and the\n"
     "answers received.  CASE_REF is at most 32 bytes.\n"
     "\n"
     "Options:\n"
     "  --json        the same (the answer is always JSON)\n"},
    {"weegploeg matches",
     "Usage: keten weegploeg matches [--all] [--json]   (uitvoerder)\n"
     "\n"
     "Subjects that may be one person but could not be matched for certain (same\n"
     "name and birth date, BSN different or known for one only).  Case_refs only.\n"
     "\n"
     "Options:\n"
     "  --all         include the matches already decided\n"
     "  --json        print the daemon's answer as JSON\n"},
    {"weegploeg match",
     "Usage: keten weegploeg match KEEP OTHER (--same | --different) [--json]   (uitvoerder)\n"
     "\n"
     "Decide a possible match of subjects KEEP and OTHER (case_refs, at most 32 bytes\n"
     "each).\n"
     "\n"
     "Options:\n"
     "  --same        one person: move OTHER's signals to KEEP and remove OTHER\n"
     "                (refused when OTHER is already on an agenda or decided on)\n"
     "  --different   record that they are different persons\n"
     "  --json        print the daemon's answer as JSON\n"},
    {NULL, NULL}};

/*  The options of the three commands (each takes all of them, as it
 *  always has). */
typedef struct {
    bool as_json, all;
    int same; /* -1: neither --same nor --different */
} s_options_t;

enum { O_JSON = CLI_OPT_LONG + 1, O_ALL, O_SAME, O_DIFF };

static int
s_option (void *arg, const char *cmd, int opt, const char *value)
{
    (void) value;
    s_options_t *o = arg;
    switch (opt) {
    case O_JSON:
        o->as_json = true;
        return 0;
    case O_ALL:
        o->all = true;
        return 0;
    default: /* O_SAME, O_DIFF */
        if (o->same != -1)
            return cli_usage_error (cmd, "give --same or --different once");
        o->same = opt == O_SAME;
        return 0;
    }
}

/*  Returns as cli_options. */
static int
s_options (int argc, char **argv, s_options_t *o)
{
    static const struct option options[] = {
        {"json", no_argument, NULL, O_JSON},       {"all", no_argument, NULL, O_ALL},
        {"same", no_argument, NULL, O_SAME},       {"different", no_argument, NULL, O_DIFF},
        {"help", no_argument, NULL, CLI_OPT_HELP}, {NULL, 0, NULL, 0}};
    *o = (s_options_t){false, false, -1};
    /*  argv[0] names the command in errors, as it always has. */
    char cmd[40];
    snprintf (cmd, sizeof cmd, "weegploeg %.24s", argv[0]);
    return cli_options (argv[0], argc, argv, options, cli_usage_of (s_usages, cmd, s_usage_text),
                        s_option, o);
}

int
cmd_weegploeg_subject (cli_t *cli, int argc, char **argv)
{
    s_options_t o;
    int rc = s_options (argc, argv, &o);
    if (rc)
        return CLI_DONE (rc);
    if (argc - optind != 1 || strlen (argv[optind]) > 32)
        return cli_usage_error ("weegploeg subject", "give one CASE_REF");
    json_t *result = cli_call (cli, "weegploeg.subject",
                               json_pack ("{s:s}", "case_ref", argv[optind]), CLI_TIMEOUT_MS, NULL);
    if (!result)
        return CLI_FAIL;
    /*  The signals as submitted, in their JSON form. */
    rc = cli_print_json (result);
    json_decref (result);
    return rc;
}

static void
s_matches_print (json_t *matches)
{
    static const char *const header[] = {"CASE_REF", "OTHER", "STATE", "REASON"};
    cli_table_t *t = cli_table_new (4, header);
    json_t *m;
    size_t i;
    json_array_foreach (matches, i, m)
    {
        char a[CLI_CELL_MAX + 1], b[CLI_CELL_MAX + 1], s[CLI_CELL_MAX + 1], r[CLI_CELL_MAX + 1];
        const char *cells[4] = {
            cli_json_str (m, "case_ref", a, sizeof a), cli_json_str (m, "other", b, sizeof b),
            cli_json_str (m, "state", s, sizeof s), cli_json_str (m, "reason", r, sizeof r)};
        cli_table_add (t, cells);
    }
    cli_table_print (t);
    cli_table_destroy (&t);
}

int
cmd_weegploeg_matches (cli_t *cli, int argc, char **argv)
{
    s_options_t o;
    int rc = s_options (argc, argv, &o);
    if (rc)
        return CLI_DONE (rc);
    if (argc - optind != 0)
        return cli_usage_error ("weegploeg matches", "unexpected argument");
    json_t *result = cli_call (cli, "weegploeg.matches", json_pack ("{s:b}", "all", o.all),
                               CLI_TIMEOUT_MS, NULL);
    if (!result)
        return CLI_FAIL;
    if (o.as_json)
        rc = cli_print_json (result);
    else
        s_matches_print (json_object_get (result, "matches"));
    json_decref (result);
    return rc;
}

int
cmd_weegploeg_match (cli_t *cli, int argc, char **argv)
{
    s_options_t o;
    int rc = s_options (argc, argv, &o);
    if (rc)
        return CLI_DONE (rc);
    if (argc - optind != 2 || o.same == -1 || strlen (argv[optind]) > 32 ||
        strlen (argv[optind + 1]) > 32)
        return cli_usage_error ("weegploeg match", "give KEEP OTHER and --same or --different");
    json_t *args = json_pack ("{s:s, s:s, s:b}", "keep", argv[optind], "other", argv[optind + 1],
                              "same", o.same);
    json_t *result = cli_call (cli, "weegploeg.match", args, CLI_TIMEOUT_MS, NULL);
    if (!result)
        return CLI_FAIL;
    if (o.as_json)
        rc = cli_print_json (result);
    else
        printf ("%s and %s: %s\n", argv[optind], argv[optind + 1],
                o.same ? "the same person; merged" : "different persons");
    json_decref (result);
    return rc;
}
