/*  keten weegploeg decide / decisions (uitvoerder) and keten decision
 *  list / show (kernpartij nodes): the weegploeg's decisions.  */
#include "cli.h"

#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ITEMS 32
#define ANALYSIS_MAX 16384

static const char s_decide_usage[] =
    "Usage: keten weegploeg decide CASE_REF --agenderen --party ID [--party ID ...]\n"
    "                              --criterion CODE [...] (--analysis TEXT | "
    "--analysis-file F)\n"
    "       keten weegploeg decide CASE_REF --niet-agenderen\n"
    "                              [--criterion CODE ...] (--analysis TEXT | "
    "--analysis-file F)\n"
    "\n"
    "Record the weegploeg's decision on a subject (uitvoerder; art. 7.3-7.4, 8.2):\n"
    "the analysis against the referentiekader and whether the subject goes to a\n"
    "casusoverleg.  Agenderen opens the case in the casusoverleg file with a copy of\n"
    "the weegploeg data (art. 8.5, 10.1).  The decision goes to politie, OM and the\n"
    "gemeente of residence.\n"
    "\n"
    "  --agenderen          to a casusoverleg; name the parties to involve\n"
    "  --niet-agenderen     not to a casusoverleg\n"
    "  --party ID           a roster member to involve (kernpartij, casuspartij or\n"
    "                       externe casuspartner), 1..32\n"
    "  --criterion CODE     a criterion of the referentiekader that applies, 0..32\n"
    "  --analysis TEXT      the analysis (free text, personal data; sealed at rest)\n"
    "  --analysis-file F    read the analysis from F\n"
    "  --meeting ID         the weegploeg meeting that decided (w-...)\n"
    "  --json               print the daemon's answer as JSON\n";

static int
s_decide (cli_t *cli, int argc, char **argv)
{
    enum {
        O_AG = CLI_OPT_LONG + 1,
        O_NIET,
        O_PARTY,
        O_CRIT,
        O_ANALYSIS,
        O_FILE,
        O_MEETING,
        O_JSON
    };
    static const struct option options[] = {{"agenderen", no_argument, NULL, O_AG},
                                            {"niet-agenderen", no_argument, NULL, O_NIET},
                                            {"party", required_argument, NULL, O_PARTY},
                                            {"criterion", required_argument, NULL, O_CRIT},
                                            {"analysis", required_argument, NULL, O_ANALYSIS},
                                            {"analysis-file", required_argument, NULL, O_FILE},
                                            {"meeting", required_argument, NULL, O_MEETING},
                                            {"json", no_argument, NULL, O_JSON},
                                            {"help", no_argument, NULL, CLI_OPT_HELP},
                                            {NULL, 0, NULL, 0}};
    const char *cmd = "weegploeg decide";
    const char *analysis = NULL, *file = NULL, *meeting = NULL;
    const char *parties[MAX_ITEMS], *criteria[MAX_ITEMS];
    size_t n_parties = 0, n_criteria = 0;
    int agenderen = -1;
    bool as_json = false;
    int c;
    cli_getopt_reset ();
    while ((c = getopt_long (argc, argv, ":h", options, NULL)) != -1) {
        int rc = 0;
        switch (c) {
        case O_AG:
        case O_NIET:
            if (agenderen != -1)
                return cli_usage_error (cmd, "give --agenderen or --niet-agenderen once");
            agenderen = c == O_AG;
            break;
        case O_PARTY:
        case O_CRIT:
            if ((c == O_PARTY ? n_parties : n_criteria) == MAX_ITEMS)
                return cli_usage_error (cmd, "at most %d of each", MAX_ITEMS);
            if (!*optarg || strlen (optarg) > 64)
                return cli_usage_error (cmd, "--party and --criterion need a value of 1..64 bytes");
            if (c == O_PARTY)
                parties[n_parties++] = optarg;
            else
                criteria[n_criteria++] = optarg;
            break;
        case O_ANALYSIS:
            rc = cli_opt_string (cmd, "analysis", optarg, ANALYSIS_MAX, &analysis);
            break;
        case O_FILE:
            rc = cli_opt_string (cmd, "analysis-file", optarg, 4096, &file);
            break;
        case O_MEETING:
            rc = cli_opt_string (cmd, "meeting", optarg, 32, &meeting);
            break;
        case O_JSON:
            as_json = true;
            break;
        case 'h':
        case CLI_OPT_HELP:
            fputs (s_decide_usage, stdout);
            return CLI_OK;
        default:
            return cli_getopt_error (cmd, c, argv);
        }
        if (rc)
            return rc;
    }
    if (optind != argc - 1)
        return cli_usage_error (cmd, "give one CASE_REF");
    if (agenderen == -1)
        return cli_usage_error (cmd, "give --agenderen or --niet-agenderen");
    if (!analysis == !file)
        return cli_usage_error (cmd, "give --analysis or --analysis-file");
    char *text = NULL;
    size_t len = 0;
    if (file) {
        kt_reason_t reason;
        if (kt_read_file (file, ANALYSIS_MAX, &text, &len, &reason) != 0) {
            cli_error ("%s", reason.text);
            return CLI_FAIL;
        }
    }
    json_t *crit = json_array (), *part = json_array ();
    for (size_t i = 0; i < n_criteria; i++)
        json_array_append_new (crit, json_string (criteria[i]));
    for (size_t i = 0; i < n_parties; i++)
        json_array_append_new (part, json_string (parties[i]));
    json_t *args = json_pack ("{s:s, s:s, s:o, s:o, s:s}", "case_ref", argv[optind], "outcome",
                              agenderen ? "agenderen" : "niet-agenderen", "criteria", crit,
                              "parties", part, "analysis", text ? text : analysis);
    free (text);
    if (!args) {
        cli_error ("the analysis is not valid UTF-8 text");
        return CLI_FAIL;
    }
    if (meeting)
        json_object_set_new (args, "meeting_id", json_string (meeting));
    json_t *result = cli_call (cli, "weegploeg.decide", args, CLI_TIMEOUT_MS, NULL);
    if (!result)
        return CLI_FAIL;
    int rc = CLI_OK;
    if (as_json)
        rc = cli_print_json (result);
    else {
        char id[32], ref[32], who[CLI_CELL_MAX + 1];
        printf ("decision %s on %s: %s%s\n", cli_json_str (result, "decision_id", id, sizeof id),
                cli_json_str (result, "case_ref", ref, sizeof ref),
                agenderen ? "agenderen" : "niet agenderen",
                json_is_true (json_object_get (result, "case_opened"))
                    ? "; case opened in the casusoverleg file"
                    : "");
        json_t *t;
        size_t i;
        printf ("sent to:");
        json_array_foreach (json_object_get (result, "sent_to"), i, t)
            printf (" %s", cli_json_str (t, "member", who, sizeof who));
        printf ("\n");
    }
    json_decref (result);
    return rc;
}

static void
s_print_decisions (json_t *list)
{
    static const char *const header[] = {"DECISION", "CASE_REF", "OUTCOME", "CRITERIA", "PARTIES"};
    cli_table_t *t = cli_table_new (5, header);
    json_t *d;
    size_t i;
    json_array_foreach (list, i, d)
    {
        char a[CLI_CELL_MAX + 1], b[CLI_CELL_MAX + 1], c[CLI_CELL_MAX + 1], e[CLI_CELL_MAX + 1],
            f[CLI_CELL_MAX + 1];
        const char *cells[5] = {
            cli_json_str (d, "decision_id", a, sizeof a), cli_json_str (d, "case_ref", b, sizeof b),
            cli_json_str (d, "outcome", c, sizeof c), cli_json_str (d, "criteria", e, sizeof e),
            cli_json_str (d, "parties", f, sizeof f)};
        cli_table_add (t, cells);
    }
    cli_table_print (t);
    cli_table_destroy (&t);
}

/*  Only --json (and --help); returns -1 after printing help. */
static int
s_json_only (const char *cmd, int argc, char **argv, const char *usage, bool *as_json)
{
    enum { O_JSON = CLI_OPT_LONG + 1 };
    static const struct option options[] = {{"json", no_argument, NULL, O_JSON},
                                            {"help", no_argument, NULL, CLI_OPT_HELP},
                                            {NULL, 0, NULL, 0}};
    int c;
    cli_getopt_reset ();
    while ((c = getopt_long (argc, argv, ":h", options, NULL)) != -1) {
        if (c == O_JSON)
            *as_json = true;
        else if (c == 'h' || c == CLI_OPT_HELP) {
            fputs (usage, stdout);
            return -1;
        } else
            return cli_getopt_error (cmd, c, argv);
    }
    return 0;
}

int
cmd_weegploeg_decisions (cli_t *cli, int argc, char **argv)
{
    bool as_json = false;
    int rc = s_json_only ("weegploeg decisions", argc, argv,
                          "Usage: keten weegploeg decisions [--json]\n\n"
                          "List the weegploeg's decisions and the cases open in the casusoverleg\n"
                          "file (uitvoerder).  No personal data.\n",
                          &as_json);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    if (optind < argc)
        return cli_usage_error ("weegploeg decisions", "unexpected argument");
    json_t *result = cli_call (cli, "weegploeg.decisions", NULL, CLI_TIMEOUT_MS, NULL);
    if (!result)
        return CLI_FAIL;
    if (as_json)
        rc = cli_print_json (result);
    else {
        s_print_decisions (json_object_get (result, "decisions"));
        printf ("\ncasusoverleg file: %zu case(s)\n",
                json_array_size (json_object_get (result, "cases")));
    }
    json_decref (result);
    return rc;
}

int
cmd_weegploeg_decide (cli_t *cli, int argc, char **argv)
{
    return s_decide (cli, argc, argv);
}

/*  keten decision list, or keten decision show DECISION_ID. */
static int
s_decision (cli_t *cli, int argc, char **argv, bool show)
{
    bool as_json = false;
    const char *cmd = show ? "decision show" : "decision list";
    int rc = s_json_only (cmd, argc, argv,
                          show ? "Usage: keten decision show DECISION_ID [--json]\n\n"
                                 "Show one weegploeg decision with its analysis.  The read is\n"
                                 "recorded first (art. 15.2e).\n"
                               : "Usage: keten decision list [--json]\n\n"
                                 "List the weegploeg decisions this node received.\n",
                          &as_json);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    json_t *args = NULL;
    if (show) {
        if (optind != argc - 1 || strlen (argv[optind]) > 32)
            return cli_usage_error (cmd, "give one DECISION_ID");
        args = json_pack ("{s:s}", "decision_id", argv[optind]);
    } else if (optind < argc)
        return cli_usage_error (cmd, "unexpected argument");
    json_t *result =
        cli_call (cli, show ? "decision.show" : "decision.list", args, CLI_TIMEOUT_MS, NULL);
    if (!result)
        return CLI_FAIL;
    if (as_json)
        rc = cli_print_json (result);
    else if (show) {
        char a[CLI_CELL_MAX + 1], b[CLI_CELL_MAX + 1], c[CLI_CELL_MAX + 1];
        printf ("decision  %s on %s: %s (referentiekader %s)\n",
                cli_json_str (result, "decision_id", a, sizeof a),
                cli_json_str (result, "case_ref", b, sizeof b),
                cli_json_str (result, "outcome", c, sizeof c),
                cli_json_str (result, "referentiekader", a, sizeof a));
        json_t *v;
        size_t i;
        printf ("criteria ");
        json_array_foreach (json_object_get (result, "criteria"), i, v)
        {
            cli_clean (a, sizeof a, json_is_string (v) ? json_string_value (v) : "-");
            printf (" %s", a);
        }
        printf ("\nparties  ");
        json_array_foreach (json_object_get (result, "parties"), i, v)
        {
            cli_clean (a, sizeof a, json_is_string (v) ? json_string_value (v) : "-");
            printf (" %s", a);
        }
        char analysis[ANALYSIS_MAX + 1];
        json_t *an = json_object_get (result, "analysis");
        const char *src = json_is_string (an) ? json_string_value (an) : "";
        /*  Line breaks kept, other control characters cleaned. */
        size_t o = 0;
        for (const char *p = src; *p && o < sizeof analysis - 1; p++)
            analysis[o++] = (*p == '\n' || (unsigned char) *p >= 0x20) && *p != 0x7f ? *p : '?';
        analysis[o] = '\0';
        printf ("\nanalysis\n%s\n", analysis);
    } else
        s_print_decisions (json_object_get (result, "decisions"));
    json_decref (result);
    return rc;
}

int
cmd_decision_list (cli_t *cli, int argc, char **argv)
{
    return s_decision (cli, argc, argv, false);
}

int
cmd_decision_show (cli_t *cli, int argc, char **argv)
{
    return s_decision (cli, argc, argv, true);
}
