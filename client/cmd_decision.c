/*  keten weegploeg decide / decisions (uitvoerder) and keten decision
 *  list / show (kernpartij nodes): the weegploeg's decisions.  */
#include "cli.h"

#include "intake.h"
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
    "       keten weegploeg decide CASE_REF --meer-informatie --ask KERNPARTIJ\n"
    "                              (--question TEXT | --question-file F)\n"
    "                              [--criterion CODE ...]\n"
    "                              (--analysis TEXT | --analysis-file F)\n"
    "\n"
    "Record the weegploeg's decision on a subject (uitvoerder; art. 7.3-7.4, 8.2):\n"
    "the analysis against the referentiekader and whether the subject goes to a\n"
    "casusoverleg.  Agenderen opens the case in the casusoverleg file with a copy of\n"
    "the weegploeg data (art. 8.5, 10.1).  The decision goes to politie, OM and the\n"
    "gemeente of residence.  Meer informatie (art. 7.4 sub 1) first asks one\n"
    "kernpartij a question; its answer (keten decision answer) puts the subject on\n"
    "the next weegploeg agenda.  It opens no case and no informatieplicht task.\n"
    "\n"
    "  --agenderen          to a casusoverleg; name the parties to involve\n"
    "  --niet-agenderen     not to a casusoverleg\n"
    "  --meer-informatie    not yet: ask a kernpartij for more information first\n"
    "  --ask KERNPARTIJ     meer informatie: the active kernpartij asked (roster id;\n"
    "                       a gemeente only for its own residents, art. 8.4)\n"
    "  --question TEXT      meer informatie: what it is asked (personal data; sealed;\n"
    "                       1..16384 bytes)\n"
    "  --question-file F    read the question from F (keeps it out of the process\n"
    "                       list and the shell's history)\n"
    "  --party ID           a roster member to involve (kernpartij, casuspartij or\n"
    "                       externe casuspartner), 1..32\n"
    "  --criterion CODE     a criterion of the referentiekader that applies, 0..32\n"
    "  --analysis TEXT      the analysis (free text, personal data; sealed at rest)\n"
    "  --analysis-file F    read the analysis from F\n"
    "  --meeting ID         the weegploeg meeting that decided (w-...)\n"
    "  --json               print the daemon's answer as JSON\n";

/*  A decision as given on the command line. */
typedef struct {
    const char *analysis, *file, *meeting;
    const char *parties[MAX_ITEMS], *criteria[MAX_ITEMS];
    size_t n_parties, n_criteria;
    int agenderen; /* -1: not given */
    bool as_json;
    bool meer_informatie; /* art. 7.4 sub 1 (agenderen then 0) */
    const char *ask, *question, *question_file;
} s_decision_t;

enum {
    O_AG = CLI_OPT_LONG + 1,
    O_NIET,
    O_PARTY,
    O_CRIT,
    O_ANALYSIS,
    O_FILE,
    O_MEETING,
    O_JSON,
    O_MEER,
    O_ASK,
    O_QUESTION,
    O_QFILE
};

static int
s_decide_option (void *arg, const char *cmd, int opt, const char *value)
{
    s_decision_t *d = arg;
    switch (opt) {
    case O_AG:
    case O_NIET:
    case O_MEER:
        if (d->agenderen != -1)
            return cli_usage_error (
                cmd, "give one of --agenderen, --niet-agenderen and --meer-informatie, once");
        d->agenderen = opt == O_AG;
        d->meer_informatie = opt == O_MEER;
        return 0;
    case O_ASK:
        return cli_opt_string (cmd, "ask", value, 64, &d->ask);
    case O_QUESTION:
        return cli_opt_string (cmd, "question", value, ANALYSIS_MAX, &d->question);
    case O_QFILE:
        return cli_opt_string (cmd, "question-file", value, 4096, &d->question_file);
    case O_PARTY:
    case O_CRIT:
        if ((opt == O_PARTY ? d->n_parties : d->n_criteria) == MAX_ITEMS)
            return cli_usage_error (cmd, "at most %d of each", MAX_ITEMS);
        if (!*value || strlen (value) > 64)
            return cli_usage_error (cmd, "--party and --criterion need a value of 1..64 bytes");
        if (opt == O_PARTY)
            d->parties[d->n_parties++] = value;
        else
            d->criteria[d->n_criteria++] = value;
        return 0;
    case O_ANALYSIS:
        return cli_opt_string (cmd, "analysis", value, ANALYSIS_MAX, &d->analysis);
    case O_FILE:
        return cli_opt_string (cmd, "analysis-file", value, 4096, &d->file);
    case O_MEETING:
        return cli_opt_string (cmd, "meeting", value, 32, &d->meeting);
    default: /* O_JSON */
        d->as_json = true;
        return 0;
    }
}

static json_t *
s_strings (const char *const *list, size_t n)
{
    json_t *array = json_array ();
    for (size_t i = 0; i < n; i++)
        json_array_append_new (array, json_string (list[i]));
    return array;
}

/*  The API arguments of a checked decision on case_ref (the analysis
 *  read from its file here); NULL after saying why. */
static json_t *
s_decide_args (const s_decision_t *d, const char *case_ref)
{
    char *text = NULL;
    size_t len = 0;
    if (d->file) {
        kt_reason_t reason;
        if (kt_read_file (d->file, ANALYSIS_MAX, &text, &len, &reason) != 0) {
            cli_error ("%s", reason.text);
            return NULL;
        }
    }
    json_t *args =
        json_pack ("{s:s, s:s, s:o, s:o, s:s}", "case_ref", case_ref, "outcome",
                   d->agenderen         ? "agenderen"
                   : d->meer_informatie ? "meer-informatie"
                                        : "niet-agenderen",
                   "criteria", s_strings (d->criteria, d->n_criteria), "parties",
                   s_strings (d->parties, d->n_parties), "analysis", text ? text : d->analysis);
    free (text);
    if (!args) {
        cli_error ("the analysis is not valid UTF-8 text");
        return NULL;
    }
    if (d->meeting)
        json_object_set_new (args, "meeting_id", json_string (d->meeting));
    if (d->ask)
        json_object_set_new (args, "asked", json_string (d->ask));
    char *qtext = NULL;
    if (d->question_file) {
        kt_reason_t reason;
        size_t qlen = 0;
        if (kt_read_file (d->question_file, ANALYSIS_MAX, &qtext, &qlen, &reason) != 0) {
            json_decref (args);
            cli_error ("%s", reason.text);
            return NULL;
        }
    }
    if (d->question || qtext) {
        json_t *q = json_string (qtext ? qtext : d->question);
        free (qtext);
        if (!q) {
            json_decref (args);
            cli_error ("the question is not valid UTF-8 text");
            return NULL;
        }
        json_object_set_new (args, "question", q);
    }
    return args;
}

static int
s_decided_print (json_t *result, const void *arg)
{
    const s_decision_t *d = arg;
    char id[32], ref[32], who[CLI_CELL_MAX + 1];
    char asked[CLI_CELL_MAX + 16] = "";
    if (d->meer_informatie)
        snprintf (asked, sizeof asked, " (%s asked)",
                  cli_json_str (result, "asked", who, sizeof who));
    printf ("decision %s on %s: %s%s%s\n", cli_json_str (result, "decision_id", id, sizeof id),
            cli_json_str (result, "case_ref", ref, sizeof ref),
            d->agenderen         ? "agenderen"
            : d->meer_informatie ? "meer informatie"
                                 : "niet agenderen",
            asked,
            json_is_true (json_object_get (result, "case_opened"))
                ? "; case opened in the casusoverleg file"
                : "");
    json_t *t;
    size_t i;
    printf ("sent to:");
    json_array_foreach (json_object_get (result, "sent_to"), i, t)
        printf (" %s", cli_json_str (t, "member", who, sizeof who));
    printf ("\n");
    return CLI_OK;
}

int
cmd_weegploeg_decide (cli_t *cli, int argc, char **argv)
{
    static const struct option options[] = {{"agenderen", no_argument, NULL, O_AG},
                                            {"niet-agenderen", no_argument, NULL, O_NIET},
                                            {"party", required_argument, NULL, O_PARTY},
                                            {"criterion", required_argument, NULL, O_CRIT},
                                            {"analysis", required_argument, NULL, O_ANALYSIS},
                                            {"analysis-file", required_argument, NULL, O_FILE},
                                            {"meeting", required_argument, NULL, O_MEETING},
                                            {"meer-informatie", no_argument, NULL, O_MEER},
                                            {"ask", required_argument, NULL, O_ASK},
                                            {"question", required_argument, NULL, O_QUESTION},
                                            {"question-file", required_argument, NULL, O_QFILE},
                                            {"json", no_argument, NULL, O_JSON},
                                            {"help", no_argument, NULL, CLI_OPT_HELP},
                                            {NULL, 0, NULL, 0}};
    const char *cmd = "weegploeg decide";
    s_decision_t d = {.agenderen = -1};
    int rc = cli_options (cmd, argc, argv, options, s_decide_usage, s_decide_option, &d);
    if (rc)
        return CLI_DONE (rc);
    if (optind != argc - 1)
        return cli_usage_error (cmd, "give one CASE_REF");
    if (d.agenderen == -1)
        return cli_usage_error (cmd, "give --agenderen, --niet-agenderen or --meer-informatie");
    /*  art. 7.4 sub 1: a question goes with meer informatie, and only. */
    if (d.question && d.question_file)
        return cli_usage_error (cmd, "give --question or --question-file, not both");
    if (d.meer_informatie && (!d.ask || (!d.question && !d.question_file)))
        return cli_usage_error (cmd, "--meer-informatie needs --ask and --question");
    if (!d.meer_informatie && (d.ask || d.question || d.question_file))
        return cli_usage_error (cmd, "--ask and --question go with --meer-informatie only");
    if (!d.analysis == !d.file)
        return cli_usage_error (cmd, "give --analysis or --analysis-file");
    json_t *args = s_decide_args (&d, argv[optind]);
    if (!args)
        return CLI_FAIL;
    return cli_request (cli, "weegploeg.decide", args, CLI_TIMEOUT_MS, d.as_json, s_decided_print,
                        &d);
}

static void
s_print_decisions (json_t *list)
{
    static const char *const header[] = {"DECISION", "CASE_REF", "OUTCOME",         "CRITERIA",
                                         "PARTIES",  "QUESTION", "REFERENTIEKADER", "SHA256"};
    cli_table_t *t = cli_table_new (8, header);
    json_t *d;
    size_t i;
    json_array_foreach (list, i, d)
    {
        char a[CLI_CELL_MAX + 1], b[CLI_CELL_MAX + 1], c[CLI_CELL_MAX + 1], e[CLI_CELL_MAX + 1],
            f[CLI_CELL_MAX + 1], g[CLI_CELL_MAX + 1], h[CLI_CELL_MAX + 1];
        /*  art. 7.4 sub 1: a question's state (open, answered, closed)
         *  and the kernpartij asked. */
        char who[CLI_CELL_MAX + 1], state[CLI_CELL_MAX + 1], question[2 * CLI_CELL_MAX + 8] = "-";
        json_t *st = json_object_get (d, "question");
        if (json_is_string (json_object_get (d, "asked")))
            snprintf (question, sizeof question, "%s (%s)",
                      json_is_string (st) ? cli_json_str (d, "question", state, sizeof state)
                      : json_is_true (json_object_get (d, "open")) ? "open"
                                                                   : "closed",
                      cli_json_str (d, "asked", who, sizeof who));
        /*  art. 7.3: the version and the hash of the criteria it was
         *  weighed against ("-": recorded before the hash was). */
        const char *sha = cli_json_str (d, "referentiekader_sha256", h, sizeof h);
        const char *cells[8] = {cli_json_str (d, "decision_id", a, sizeof a),
                                cli_json_str (d, "case_ref", b, sizeof b),
                                cli_json_str (d, "outcome", c, sizeof c),
                                cli_json_str (d, "criteria", e, sizeof e),
                                cli_json_str (d, "parties", f, sizeof f),
                                question,
                                cli_json_str (d, "referentiekader", g, sizeof g),
                                sha};
        cli_table_add (t, cells);
    }
    cli_table_print (t);
    cli_table_destroy (&t);
}

static const char s_decisions_usage[] =
    "Usage: keten weegploeg decisions [--json]\n\n"
    "List the weegploeg's decisions and the cases open in the casusoverleg\n"
    "file (uitvoerder).  No personal data.\n";

static const char s_list_usage[] =
    "Usage: keten decision list [--json]\n\n"
    "List the weegploeg decisions this node received.  A meer informatie decision\n"
    "(art. 7.4 sub 1) shows its question as open, answered (by this node, the one\n"
    "asked) or closed (a later decision followed), with the kernpartij asked.\n";

static const char s_show_usage[] = "Usage: keten decision show DECISION_ID [--json]\n\n"
                                   "Show one weegploeg decision with its analysis (and, for meer\n"
                                   "informatie, the kernpartij asked and the question).  The\n"
                                   "read is recorded first (art. 15.2e).\n";

static const char s_answer_usage[] =
    "Usage: keten decision answer DECISION_ID --legal-basis B --file ITEMS.json [--wait]\n"
    "                             [--json]\n"
    "\n"
    "Answer the weegploeg's question to this node (a meer informatie decision, art.\n"
    "7.4 sub 1): the items go, signed and encrypted, to the uitvoerder, which keeps\n"
    "them in the weegploeg file with the subject's signals and puts the subject on\n"
    "the next weegploeg agenda.  Refused when the decision is unknown here, is not\n"
    "meer informatie, or asked another kernpartij; the uitvoerder refuses an answer\n"
    "once a later decision closed the question.\n"
    "\n"
    "  --legal-basis B   the legal basis of the items (as for keten case contribute)\n"
    "  --file ITEMS.json a JSON array of items, as for keten case contribute\n"
    "                    (docs/CASUSOVERLEG.md)\n"
    "  --wait            wait for the uitvoerder's receipt (or its refusal)\n"
    "  --json            print the daemon's answer as JSON\n";

static int
s_decisions_print (json_t *result, const void *arg)
{
    (void) arg;
    s_print_decisions (json_object_get (result, "decisions"));
    printf ("\ncasusoverleg file: %zu case(s)\n",
            json_array_size (json_object_get (result, "cases")));
    return CLI_OK;
}

int
cmd_weegploeg_decisions (cli_t *cli, int argc, char **argv)
{
    bool as_json = false;
    int rc = cli_options_json ("weegploeg decisions", argc, argv, s_decisions_usage, &as_json);
    if (rc)
        return CLI_DONE (rc);
    if (optind < argc)
        return cli_usage_error ("weegploeg decisions", "unexpected argument");
    return cli_request (cli, "weegploeg.decisions", NULL, CLI_TIMEOUT_MS, as_json,
                        s_decisions_print, NULL);
}

static int
s_list_print (json_t *result, const void *arg)
{
    (void) arg;
    s_print_decisions (json_object_get (result, "decisions"));
    return CLI_OK;
}

int
cmd_decision_list (cli_t *cli, int argc, char **argv)
{
    bool as_json = false;
    int rc = cli_options_json ("decision list", argc, argv, s_list_usage, &as_json);
    if (rc)
        return CLI_DONE (rc);
    if (optind < argc)
        return cli_usage_error ("decision list", "unexpected argument");
    return cli_request (cli, "decision.list", NULL, CLI_TIMEOUT_MS, as_json, s_list_print, NULL);
}

/*  Words of a JSON array of strings, each cleaned, after a space. */
static void
s_print_words (json_t *list)
{
    json_t *v;
    size_t i;
    json_array_foreach (list, i, v)
    {
        char a[CLI_CELL_MAX + 1];
        cli_clean (a, sizeof a, json_is_string (v) ? json_string_value (v) : "-");
        printf (" %s", a);
    }
}

/*  A free text under its heading: line breaks kept, other control
 *  characters cleaned. */
static void
s_print_text (const char *heading, json_t *v)
{
    char text[ANALYSIS_MAX + 1];
    const char *src = json_is_string (v) ? json_string_value (v) : "";
    size_t o = 0;
    for (const char *p = src; *p && o < sizeof text - 1; p++)
        text[o++] = (*p == '\n' || (unsigned char) *p >= 0x20) && *p != 0x7f ? *p : '?';
    text[o] = '\0';
    printf ("%s\n%s\n", heading, text);
}

static int
s_show_print (json_t *result, const void *arg)
{
    (void) arg;
    char a[CLI_CELL_MAX + 1], b[CLI_CELL_MAX + 1], c[CLI_CELL_MAX + 1], k[CLI_CELL_MAX + 1],
        h[CLI_CELL_MAX + 1];
    printf ("decision  %s on %s: %s (referentiekader %s)\n",
            cli_json_str (result, "decision_id", a, sizeof a),
            cli_json_str (result, "case_ref", b, sizeof b),
            cli_json_str (result, "outcome", c, sizeof c),
            cli_json_str (result, "referentiekader", k, sizeof k));
    /*  art. 7.3: the criteria to the byte. */
    const char *sha = cli_json_str (result, "referentiekader_sha256", h, sizeof h);
    printf ("referentiekader-sha256 %s\n", sha);
    printf ("criteria ");
    s_print_words (json_object_get (result, "criteria"));
    printf ("\nparties  ");
    s_print_words (json_object_get (result, "parties"));
    printf ("\n");
    s_print_text ("analysis", json_object_get (result, "analysis"));
    /*  art. 7.4 sub 1: the kernpartij asked and the question. */
    if (json_is_string (json_object_get (result, "asked"))) {
        printf ("asked    %s\n", cli_json_str (result, "asked", a, sizeof a));
        s_print_text ("question", json_object_get (result, "question"));
    }
    return CLI_OK;
}

int
cmd_decision_show (cli_t *cli, int argc, char **argv)
{
    bool as_json = false;
    int rc = cli_options_json ("decision show", argc, argv, s_show_usage, &as_json);
    if (rc)
        return CLI_DONE (rc);
    if (optind != argc - 1 || strlen (argv[optind]) > 32)
        return cli_usage_error ("decision show", "give one DECISION_ID");
    return cli_request (cli, "decision.show", json_pack ("{s:s}", "decision_id", argv[optind]),
                        CLI_TIMEOUT_MS, as_json, s_show_print, NULL);
}

/*  keten decision answer: the queued message, or the receipt (--wait). */
static int
s_answer_print (json_t *result, const void *arg)
{
    (void) arg;
    char id[CLI_CELL_MAX + 1], b[CLI_CELL_MAX + 1], why[512];
    const char *state = cli_json_str (result, "state", b, sizeof b);
    json_t *reason = json_object_get (result, "reason");
    cli_clean (why, sizeof why, json_is_string (reason) ? json_string_value (reason) : "");
    printf ("%s %s%s%s\n", cli_json_str (result, "message_id", id, sizeof id), state,
            *why ? ": " : "", why);
    return strcmp (state, "refused") == 0 ? CLI_FAIL : CLI_OK;
}

enum { O_BASIS = CLI_OPT_LONG + 1, O_ITEMS, O_WAIT, O_ANSWER_JSON };

typedef struct {
    const char *basis, *file;
    bool wait, as_json;
} s_answer_t;

static int
s_answer_option (void *arg, const char *cmd, int opt, const char *value)
{
    s_answer_t *a = arg;
    switch (opt) {
    case O_BASIS:
        return cli_opt_string (cmd, "legal-basis", value, 32, &a->basis);
    case O_ITEMS:
        return cli_opt_string (cmd, "file", value, 4096, &a->file);
    case O_WAIT:
        a->wait = true;
        return 0;
    default: /* O_ANSWER_JSON */
        a->as_json = true;
        return 0;
    }
}

int
cmd_decision_answer (cli_t *cli, int argc, char **argv)
{
    static const struct option options[] = {{"legal-basis", required_argument, NULL, O_BASIS},
                                            {"file", required_argument, NULL, O_ITEMS},
                                            {"wait", no_argument, NULL, O_WAIT},
                                            {"json", no_argument, NULL, O_ANSWER_JSON},
                                            {"help", no_argument, NULL, CLI_OPT_HELP},
                                            {NULL, 0, NULL, 0}};
    const char *cmd = "decision answer";
    s_answer_t a = {0};
    int rc = cli_options (cmd, argc, argv, options, s_answer_usage, s_answer_option, &a);
    if (rc)
        return CLI_DONE (rc);
    if (optind != argc - 1 || strlen (argv[optind]) > 32)
        return cli_usage_error (cmd, "give one DECISION_ID");
    if (!a.basis || !a.file)
        return cli_usage_error (cmd, "give --legal-basis and --file");
    char *text = NULL;
    size_t len = 0;
    kt_reason_t reason;
    if (kt_read_file (a.file, 256 * 1024, &text, &len, &reason) != 0) {
        cli_error ("%s", reason.text);
        return CLI_FAIL;
    }
    json_error_t err;
    json_t *items = json_loadb (text, len, JSON_REJECT_DUPLICATES, &err);
    free (text);
    if (!items) {
        cli_error ("%s: %s at line %d, column %d", a.file, intake_json_error (&err), err.line,
                   err.column);
        return CLI_FAIL;
    }
    if (!json_is_array (items)) {
        json_decref (items);
        cli_error ("%s: not a JSON array of items", a.file);
        return CLI_FAIL;
    }
    json_t *args = json_pack ("{s:s, s:s, s:o, s:b}", "decision_id", argv[optind], "legal_basis",
                              a.basis, "items", items, "wait", a.wait);
    return cli_request (cli, "decision.answer", args, a.wait ? CLI_WAIT_TIMEOUT_MS : CLI_TIMEOUT_MS,
                        a.as_json, s_answer_print, NULL);
}

/* ---- keten decision transfer (art. 4, docs/FEDERATIONS.md) ------------------- */

static const char s_transfer_usage[] =
    "Usage: keten decision transfer CASE_REF --to FEDERATION --basis TEXT [--wait] [--json]\n"
    "       (kernpartij)\n"
    "\n"
    "This kernpartij's decision that the subject CASE_REF moves to the peered\n"
    "federation FEDERATION on the legal basis TEXT (art. 4).  Sent signed to the\n"
    "uitvoerder, which records it as this node's decision; it hands the subject\n"
    "over (keten transfer there) only when every kernpartij whose signal the\n"
    "subject holds decided so, on the same basis.  Needs the disclosure group.\n"
    "\n"
    "  --to FEDERATION  the peered federation\n"
    "  --basis TEXT     the legal basis (one line, <= 500 bytes)\n"
    "  --wait           wait for the uitvoerder's receipt: delivered or refused\n"
    "  --json           the result as JSON\n";

enum { O_TR_TO = CLI_OPT_LONG + 1, O_TR_BASIS, O_TR_WAIT, O_TR_JSON };

typedef struct {
    const char *to, *basis;
    bool wait, as_json;
} s_transfer_t;

static int
s_transfer_option (void *arg, const char *cmd, int opt, const char *value)
{
    s_transfer_t *a = arg;
    switch (opt) {
    case O_TR_TO:
        return cli_opt_string (cmd, "to", value, 64, &a->to);
    case O_TR_BASIS:
        return cli_opt_string (cmd, "basis", value, 500, &a->basis);
    case O_TR_WAIT:
        a->wait = true;
        return 0;
    default: /* O_TR_JSON */
        a->as_json = true;
        return 0;
    }
}

int
cmd_decision_transfer (cli_t *cli, int argc, char **argv)
{
    static const struct option options[] = {
        {"to", required_argument, NULL, O_TR_TO},  {"basis", required_argument, NULL, O_TR_BASIS},
        {"wait", no_argument, NULL, O_TR_WAIT},    {"json", no_argument, NULL, O_TR_JSON},
        {"help", no_argument, NULL, CLI_OPT_HELP}, {NULL, 0, NULL, 0}};
    const char *cmd = "decision transfer";
    s_transfer_t a = {0};
    int rc = cli_options (cmd, argc, argv, options, s_transfer_usage, s_transfer_option, &a);
    if (rc)
        return CLI_DONE (rc);
    if (optind != argc - 1 || strlen (argv[optind]) > 64)
        return cli_usage_error (cmd, "give one CASE_REF");
    if (!a.to || !a.basis)
        return cli_usage_error (cmd, "give --to and --basis");
    json_t *args = json_pack ("{s:s, s:s, s:s, s:b}", "case_ref", argv[optind], "to", a.to, "basis",
                              a.basis, "wait", a.wait);
    if (!args)
        return cli_usage_error (cmd, "arguments must be UTF-8 text");
    return cli_request (cli, "transfer.decide", args, a.wait ? CLI_WAIT_TIMEOUT_MS : CLI_TIMEOUT_MS,
                        a.as_json, s_answer_print, NULL);
}
