/*  keten case ... and keten plan ...: the casusoverleg (art. 9-10).  At the
 *  uitvoerder: the plan van aanpak, disclosures of consented items to
 *  externe casuspartners, shares of consented items with participants,
 *  the casusoverleg's advice to close.  At a participant: its cases, the
 *  plan versions, progress on its own measures, contributions, and its
 *  own decisions (consent, share; at a kernpartij, closure).  */
#include "cli.h"

#include "intake.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LIST 16
/*  --item: at most POLICY_MAX_CONSENT_ITEMS (common/policy.h). */
#define MAX_ITEMS 64

const char cmd_case_usage[] =
    "Usage: keten case COMMAND ...\n"
    "\n"
    "  list                              the cases (uitvoerder: all; participant: its own)\n"
    "  show CASE_REF                     the newest plan, what was disclosed to or shared\n"
    "                                    with this node and the closure decision (a read of\n"
    "                                    personal data: recorded first)\n"
    "  plan CASE_REF --file PLAN.json    record a new plan version and send it to every\n"
    "                                    participant (uitvoerder)\n"
    "  contribute CASE_REF --kind K --legal-basis B --file ITEMS.json [--wait]\n"
    "                                    send what this node holds (art. 9.2; K: informatie,\n"
    "                                    achterblijver, netwerk)\n"
    "  consent CASE_REF --to RECIPIENT --item MSGID[:INDEX] [...] --necessity TEXT\n"
    "          --data-kind KIND [...] [--wait]\n"
    "                                    consent to pass items this party supplied (its\n"
    "                                    signals, contributions) to an externe casuspartner\n"
    "                                    (art. 10.5) or another participant (art. 9.2, for\n"
    "                                    the uitvoerder's share; at the supplying party's node)\n"
    "  disclose CASE_REF --to EXTERN --item MSGID[:INDEX] [...]\n"
    "                                    pass consented items, as supplied, to an externe\n"
    "                                    casuspartner (art. 10.5; uitvoerder)\n"
    "  share CASE_REF --to PARTICIPANT [...] --item MSGID[:INDEX] [...] --necessity TEXT\n"
    "        --data-kind KIND [...] [--wait]\n"
    "                                    share items with named participants of the case\n"
    "                                    (art. 9.2, 10.4): at a participant's node its own\n"
    "                                    signals and contributions; at the uitvoerder items\n"
    "                                    whose source consented to each recipient (case\n"
    "                                    consent --to PARTICIPANT).  Never art. 9/10 Wpg\n"
    "                                    data to a casuspartij; an externe casuspartner\n"
    "                                    gets data by consent and disclose only\n"
    "  advise CASE_REF --advice TEXT     record the casusoverleg's advice to close and send\n"
    "                                    it to the kernpartijen involved (art. 9.4; uitvoerder)\n"
    "  close CASE_REF --decision close|continue [--reason TEXT] [--wait]\n"
    "                                    this kernpartij's decision on that advice; the case\n"
    "                                    closes when each kernpartij involved decided close\n"
    "                                    (art. 9.4; at the kernpartij's node)\n"
    "\n"
    "MSGID is a signal's or contribution's message id (32 hex digits), INDEX an item in it\n"
    "(from 0; without it, every item).  Options: --json prints the daemon's answer as JSON.\n"
    "File formats: docs/CASUSOVERLEG.md.\n";

const char cmd_plan_usage[] =
    "Usage: keten plan show CASE_REF [--version N] [--json]\n"
    "       keten plan progress CASE_REF MEASURE_ID --status S [--note TEXT] [--wait]\n"
    "\n"
    "show      a version of the integraal plan van aanpak (newest by default); overdue\n"
    "          measures are marked.  A read of personal data: recorded first.\n"
    "progress  report on one of this node's own measures (S: open, in-progress, done,\n"
    "          cancelled); the uitvoerder makes it the next plan version.\n";

/*  Each command's own usage; the limits are s_strings', s_lists' and
 *  s_option's below. */
#define S_ITEM_HELP                                                                                \
    "  --item MSGID[:INDEX]  an item: a signal's or contribution's message id (32 hex\n"           \
    "                        digits) and the item in it (from 0; without it, every item);\n"       \
    "                        at most 40 bytes, up to 64 times\n"
#define S_JSON_HELP "  --json                print the daemon's answer as JSON\n"
#define S_REF_HELP "CASE_REF is the case's reference (at most 32 bytes).\n"
static const cli_usage_t s_usages[] = {
    {"case list", "Usage: keten case list [--json]\n"
                  "\n"
                  "The cases: at the uitvoerder all of them, at a participant its own, with\n"
                  "state, plan version, overdue measures and the closure advice.\n"
                  "\n"
                  "Options:\n" S_JSON_HELP},
    {"case show", "Usage: keten case show CASE_REF [--json]\n"
                  "\n"
                  "The newest plan, what was disclosed to or shared with this node and the\n"
                  "closure decision.  A read of personal data: recorded first.\n" S_REF_HELP "\n"
                  "Options:\n" S_JSON_HELP},
    {"case plan",
     "Usage: keten case plan CASE_REF --file PLAN.json [--json]\n"
     "\n"
     "Record a new version of the case's plan van aanpak and send it to every\n"
     "participant (uitvoerder).\n" S_REF_HELP "\n"
     "Options:\n"
     "  --file PLAN.json      the plan (at most 256 KiB; docs/CASUSOVERLEG.md)\n" S_JSON_HELP},
    {"case contribute",
     "Usage: keten case contribute CASE_REF --kind K --legal-basis B --file ITEMS.json\n"
     "                             [--wait] [--json]\n"
     "\n"
     "Send what this node holds about the case to the casusoverleg (art. 9.2).\n" S_REF_HELP "\n"
     "Options:\n"
     "  --kind K              informatie, achterblijver or netwerk (at most 32 bytes)\n"
     "  --legal-basis B       the legal basis, e.g. avg-6-1-e (at most 32 bytes)\n"
     "  --file ITEMS.json     a list of items in the signal item format (at most 256 KiB;\n"
     "                        docs/SIGNAL-FORMAT.md)\n"
     "  --wait                wait up to 120 s (not 10 s) for the outcome\n" S_JSON_HELP},
    {"case consent",
     "Usage: keten case consent CASE_REF --to RECIPIENT --item MSGID[:INDEX] [...]\n"
     "                          --necessity TEXT --data-kind KIND [...] [--wait] [--json]\n"
     "\n"
     "Consent to pass items this party supplied (its signals, contributions) to an\n"
     "externe casuspartner (art. 10.5) or to another participant (art. 9.2, for the\n"
     "uitvoerder's share).  At the supplying party's node.\n" S_REF_HELP "\n"
     "Options:\n"
     "  --to RECIPIENT        the recipient's roster id (at most 64 bytes)\n" S_ITEM_HELP
     "  --necessity TEXT      why the recipient needs them (at most 2000 bytes)\n"
     "  --data-kind KIND      a kind of data passed: a word of letters, - and _ (at\n"
     "                        most 64, up to 16 times)\n"
     "  --wait                wait up to 120 s (not 10 s) for the outcome\n" S_JSON_HELP},
    {"case disclose",
     "Usage: keten case disclose CASE_REF --to EXTERN --item MSGID[:INDEX] [...] [--json]\n"
     "\n"
     "Pass consented items, as supplied, to an externe casuspartner (art. 10.5;\n"
     "uitvoerder).  Each item's source must have consented first.\n" S_REF_HELP "\n"
     "Options:\n"
     "  --to EXTERN           the externe casuspartner's roster id (at most 64 bytes)\n" S_ITEM_HELP
         S_JSON_HELP},
    {"case share",
     "Usage: keten case share CASE_REF --to PARTICIPANT [...] --item MSGID[:INDEX] [...]\n"
     "                        --necessity TEXT --data-kind KIND [...] [--wait] [--json]\n"
     "\n"
     "Share items with named participants of the case (art. 9.2, 10.4): at a\n"
     "participant's node its own signals and contributions; at the uitvoerder items\n"
     "whose source consented to each recipient.  Never art. 9/10 Wpg data to a\n"
     "casuspartij; an externe casuspartner gets data by consent and disclose only.\n" S_REF_HELP
     "\n"
     "Options:\n"
     "  --to PARTICIPANT      a recipient's roster id (at most 64 bytes, up to 16 "
     "times)\n" S_ITEM_HELP
     "  --necessity TEXT      why the recipients need them (at most 2000 bytes)\n"
     "  --data-kind KIND      a kind of data shared: a word of letters, - and _ (at\n"
     "                        most 64, up to 16 times)\n"
     "  --wait                wait up to 120 s (not 10 s) for the outcome\n" S_JSON_HELP},
    {"case advise", "Usage: keten case advise CASE_REF --advice TEXT [--json]\n"
                    "\n"
                    "Record the casusoverleg's advice to close the case and send it to the\n"
                    "kernpartijen involved (art. 9.4; uitvoerder).\n" S_REF_HELP "\n"
                    "Options:\n"
                    "  --advice TEXT         the advice (at most 2000 bytes)\n" S_JSON_HELP},
    {"case close",
     "Usage: keten case close CASE_REF --decision close|continue [--reason TEXT] [--wait]\n"
     "                        [--json]\n"
     "\n"
     "This kernpartij's decision on the casusoverleg's advice to close; the case\n"
     "closes when each kernpartij involved decided close (art. 9.4; at the\n"
     "kernpartij's node).\n" S_REF_HELP "\n"
     "Options:\n"
     "  --decision D          close or continue\n"
     "  --reason TEXT         why (at most 1000 bytes)\n"
     "  --wait                wait up to 120 s (not 10 s) for the outcome\n" S_JSON_HELP},
    {"plan show", "Usage: keten plan show CASE_REF [--version N] [--json]\n"
                  "\n"
                  "A version of the integraal plan van aanpak (the newest by default); overdue\n"
                  "measures are marked.  A read of personal data: recorded first.\n" S_REF_HELP "\n"
                  "Options:\n"
                  "  --version N           that version (1..1000000)\n" S_JSON_HELP},
    {"plan progress",
     "Usage: keten plan progress CASE_REF MEASURE_ID --status S [--note TEXT] [--wait]\n"
     "                           [--json]\n"
     "\n"
     "Report on one of this node's own measures; the uitvoerder makes it the next\n"
     "plan version.\n" S_REF_HELP "MEASURE_ID is the measure's id (at most 16 bytes).\n"
     "\n"
     "Options:\n"
     "  --status S            open, in-progress, done or cancelled\n"
     "  --note TEXT           a note (at most 2000 bytes)\n"
     "  --wait                wait up to 120 s (not 10 s) for the outcome\n" S_JSON_HELP},
    {NULL, NULL}};

static json_t *
s_load_json (const char *path)
{
    char *text = NULL;
    size_t len = 0;
    kt_reason_t reason;
    if (kt_read_file (path, 256 * 1024, &text, &len, &reason) != 0) {
        cli_error ("%s", reason.text);
        return NULL;
    }
    json_error_t err;
    json_t *v = json_loadb (text, len, JSON_REJECT_DUPLICATES, &err);
    free (text);
    if (!v)
        cli_error ("%s: %s at line %d, column %d", path, intake_json_error (&err), err.line,
                   err.column);
    return v;
}

static void
s_print_plan (json_t *plan)
{
    char a[CLI_CELL_MAX + 1], b[CLI_CELL_MAX + 1];
    uint64_t v = 0;
    cli_json_uint (plan, "version", &v);
    printf ("plan van aanpak %s, version %llu\n", cli_json_str (plan, "case_ref", a, sizeof a),
            (unsigned long long) v);
    json_t *x;
    size_t i;
    printf ("participants:");
    json_array_foreach (json_object_get (plan, "participants"), i, x)
    {
        cli_clean (a, sizeof a, json_is_string (x) ? json_string_value (x) : "-");
        printf (" %s", a);
    }
    printf ("\ngoals (art. 3):\n");
    json_array_foreach (json_object_get (plan, "goals"), i, x)
    {
        char text[1024];
        json_t *t = json_object_get (x, "text");
        cli_clean (text, sizeof text, json_is_string (t) ? json_string_value (t) : "");
        printf ("  - %s: %s\n", cli_json_str (x, "kind", a, sizeof a), text);
    }
    static const char *const header[] = {"MEASURE", "OWNER", "DUE", "STATUS", "WHAT"};
    cli_table_t *t = cli_table_new (5, header);
    json_array_foreach (json_object_get (plan, "measures"), i, x)
    {
        char id[CLI_CELL_MAX + 1], owner[CLI_CELL_MAX + 1], due[CLI_CELL_MAX + 1],
            status[CLI_CELL_MAX + 16], what[CLI_CELL_MAX + 1];
        cli_json_str (x, "status", b, sizeof b);
        snprintf (status, sizeof status, "%s%s", b,
                  json_is_true (json_object_get (x, "overdue")) ? " OVERDUE" : "");
        const char *cells[5] = {cli_json_str (x, "measure_id", id, sizeof id),
                                cli_json_str (x, "owner", owner, sizeof owner),
                                cli_json_str (x, "due_on", due, sizeof due), status,
                                cli_json_str (x, "what", what, sizeof what)};
        cli_table_add (t, cells);
    }
    printf ("measures:\n");
    cli_table_print (t);
    cli_table_destroy (&t);
}

static void
s_print_cases (json_t *cases)
{
    static const char *const header[] = {"CASE_REF", "STATE",   "PLAN",
                                         "OVERDUE",  "CLOSURE", "PARTICIPANTS"};
    cli_table_t *t = cli_table_new (6, header);
    json_t *c;
    size_t i;
    json_array_foreach (cases, i, c)
    {
        char ref[CLI_CELL_MAX + 1], state[CLI_CELL_MAX + 1], plan[24], overdue[24],
            parts[CLI_CELL_MAX + 1];
        uint64_t v = 0;
        cli_json_uint (c, "plan_version", &v);
        snprintf (plan, sizeof plan, "v%llu", (unsigned long long) v);
        v = 0;
        if (!cli_json_uint (c, "overdue", &v))
            cli_json_uint (c, "overdue_own", &v);
        snprintf (overdue, sizeof overdue, "%llu", (unsigned long long) v);
        /*  art. 9.4 (uitvoerder): how many kernpartijen are still to
         *  decide on the casusoverleg's advice to close. */
        char closure[48] = "-";
        json_t *advice = json_object_get (c, "closure_advice");
        if (json_is_object (advice))
            snprintf (closure, sizeof closure, "advised, %zu to decide",
                      json_array_size (json_object_get (advice, "still_to_decide")));
        const char *cells[6] = {cli_json_str (c, "case_ref", ref, sizeof ref),
                                cli_json_str (c, "state", state, sizeof state),
                                plan,
                                overdue,
                                closure,
                                cli_json_str (c, "participants", parts, sizeof parts)};
        cli_table_add (t, cells);
    }
    cli_table_print (t);
    cli_table_destroy (&t);
}

/*  A closed case: who decided and (not at an externe casuspartner, art.
 *  10.5) the casusoverleg's advice. */
static void
s_print_closure (json_t *closure)
{
    printf ("the case is CLOSED");
    json_t *x;
    size_t i;
    json_array_foreach (json_object_get (closure, "decided_by"), i, x)
    {
        char id[CLI_CELL_MAX + 1];
        cli_clean (id, sizeof id, json_is_string (x) ? json_string_value (x) : "-");
        printf ("%s%s", i ? ", " : "; decided by ", id);
    }
    json_t *advice = json_object_get (closure, "advice");
    if (json_is_string (advice)) {
        char text[2048];
        cli_clean (text, sizeof text, json_string_value (advice));
        printf ("\nadvice: %s", text);
    }
    printf ("\n");
}

/*  art. 9.2, 10.4: what other participants shared with this node, each
 *  share with its source, necessity and kinds of data, then its items. */
static void
s_print_shared (json_t *shared)
{
    if (!json_array_size (shared))
        return;
    printf ("shared with this node in the casusoverleg (art. 9.2, 10.4):\n");
    json_t *s, *x;
    size_t i, k;
    json_array_foreach (shared, i, s)
    {
        char source[CLI_CELL_MAX + 1], kinds[512] = "", necessity[2048];
        size_t n = 0;
        json_array_foreach (json_object_get (s, "data_kinds"), k, x)
        {
            char c[CLI_CELL_MAX + 1];
            cli_clean (c, sizeof c, json_is_string (x) ? json_string_value (x) : "");
            n += (size_t) snprintf (kinds + n, n < sizeof kinds ? sizeof kinds - n : 0, "%s%s",
                                    k ? ", " : "", c);
            if (n >= sizeof kinds)
                break;
        }
        json_t *why = json_object_get (s, "necessity");
        cli_clean (necessity, sizeof necessity,
                   json_is_string (why) ? json_string_value (why) : "");
        printf ("  from %s; kinds of data: %s\n    necessity: %s\n",
                cli_json_str (s, "source", source, sizeof source), kinds, necessity);
        json_array_foreach (json_object_get (s, "items"), k, x)
        {
            char kind[CLI_CELL_MAX + 1], text[4096];
            json_t *t = json_object_get (x, "text");
            cli_clean (text, sizeof text, json_is_string (t) ? json_string_value (t) : "");
            printf ("    - %s: %s\n", cli_json_str (x, "kind", kind, sizeof kind), text);
        }
    }
}

/*  art. 9.4: the casusoverleg's advice to close, for this kernpartij to
 *  decide on. */
static void
s_print_advice (json_t *a)
{
    char text[2048];
    json_t *advice = json_object_get (a, "advice");
    cli_clean (text, sizeof text, json_is_string (advice) ? json_string_value (advice) : "");
    printf ("the casusoverleg ADVISES closing the case: %s\n", text);
    printf ("decide with: keten case close CASE_REF --decision close|continue [--reason TEXT]\n");
}

enum {
    O_FILE = CLI_OPT_LONG + 1,
    O_KIND,
    O_BASIS,
    O_WAIT,
    O_TO,
    O_ITEM,
    O_NECESSITY,
    O_DATAKIND,
    O_ADVICE,
    O_DECISION,
    O_REASON,
    O_VERSION,
    O_STATUS,
    O_NOTE,
    O_JSON
};

/*  Options whose value goes into args as it is: a string, or an item of
 *  a list (--item, --data-kind become arrays). */
typedef struct {
    int opt;
    const char *key;
    size_t max;
} s_string_t;

static const s_string_t s_strings[] = {{O_KIND, "kind", 32},       {O_BASIS, "legal_basis", 32},
                                       {O_TO, "to", 64},           {O_NECESSITY, "necessity", 2000},
                                       {O_ADVICE, "advice", 2000}, {O_STATUS, "status", 16},
                                       {O_NOTE, "note", 2000},     {O_DECISION, "decision", 16},
                                       {O_REASON, "reason", 1000}};
static const s_string_t s_lists[] = {{O_ITEM, "item_refs", 40}, {O_DATAKIND, "data_kinds", 64}};

static const s_string_t *
s_find (const s_string_t *rows, size_t n, int opt)
{
    for (size_t i = 0; i < n; i++)
        if (rows[i].opt == opt)
            return &rows[i];
    return NULL;
}

/*  What the options of a case or plan command give. */
typedef struct {
    json_t *args;
    const char *file;
    bool as_json;
} s_given_t;

static int
s_option (void *arg, const char *cmd, int opt, const char *value)
{
    s_given_t *g = arg;
    const s_string_t *row;
    /*  art. 9.2: a share names one or more participants. */
    if (opt == O_TO && strcmp (cmd, "case share") == 0) {
        json_t *l = json_object_get (g->args, "to");
        if (!l)
            json_object_set_new (g->args, "to", l = json_array ());
        if (!*value || strlen (value) > 64 || json_array_size (l) >= MAX_LIST)
            return cli_usage_error (cmd, "a --to value is empty, too long or too many");
        json_array_append_new (l, json_string (value));
        return 0;
    }
    if ((row = s_find (s_strings, sizeof s_strings / sizeof s_strings[0], opt))) {
        if (json_object_get (g->args, row->key))
            return cli_usage_error (cmd, "an option is given twice");
        if (!*value || strlen (value) > row->max)
            return cli_usage_error (cmd, "an option value is empty or too long");
        json_object_set_new (g->args, row->key, json_string (value));
        return 0;
    }
    if ((row = s_find (s_lists, sizeof s_lists / sizeof s_lists[0], opt))) {
        json_t *l = json_object_get (g->args, row->key);
        if (!l)
            json_object_set_new (g->args, row->key, l = json_array ());
        if (!*value || strlen (value) > row->max ||
            json_array_size (l) >= (opt == O_ITEM ? MAX_ITEMS : MAX_LIST))
            return cli_usage_error (cmd, "a list value is empty, too long or too many");
        json_array_append_new (l, json_string (value));
        return 0;
    }
    uint64_t v;
    switch (opt) {
    case O_FILE:
        if (g->file)
            return cli_usage_error (cmd, "--file given twice");
        g->file = value;
        return 0;
    case O_WAIT:
        json_object_set_new (g->args, "wait", json_true ());
        return 0;
    case O_VERSION:
        if (cli_opt_uint (cmd, "version", value, 1, 1000000, &v))
            return CLI_USAGE;
        json_object_set_new (g->args, "version", json_integer ((json_int_t) v));
        return 0;
    default: /* O_JSON */
        g->as_json = true;
        return 0;
    }
}

/*  Parse the options of a case or plan command into args; --file is
 *  read into "plan" or "items".  Returns an exit code (CLI_OK to go on)
 *  or CLI_HELPED. */
static int
s_options (const char *cmd, int argc, char **argv, const char *usage, json_t *args, bool *as_json)
{
    static const struct option options[] = {{"file", required_argument, NULL, O_FILE},
                                            {"kind", required_argument, NULL, O_KIND},
                                            {"legal-basis", required_argument, NULL, O_BASIS},
                                            {"wait", no_argument, NULL, O_WAIT},
                                            {"to", required_argument, NULL, O_TO},
                                            {"item", required_argument, NULL, O_ITEM},
                                            {"necessity", required_argument, NULL, O_NECESSITY},
                                            {"data-kind", required_argument, NULL, O_DATAKIND},
                                            {"advice", required_argument, NULL, O_ADVICE},
                                            {"decision", required_argument, NULL, O_DECISION},
                                            {"reason", required_argument, NULL, O_REASON},
                                            {"version", required_argument, NULL, O_VERSION},
                                            {"status", required_argument, NULL, O_STATUS},
                                            {"note", required_argument, NULL, O_NOTE},
                                            {"json", no_argument, NULL, O_JSON},
                                            {"help", no_argument, NULL, CLI_OPT_HELP},
                                            {NULL, 0, NULL, 0}};
    s_given_t g = {args, NULL, false};
    int rc = cli_options (cmd, argc, argv, options, usage, s_option, &g);
    *as_json = g.as_json;
    if (rc)
        return rc;
    if (g.file) {
        json_t *v = s_load_json (g.file);
        if (!v)
            return CLI_FAIL;
        json_object_set_new (args, json_is_array (v) ? "items" : "plan", v);
    }
    return CLI_OK;
}

/*  Run one call and print its answer. */
static int
s_call (cli_t *cli, const char *call, json_t *args, bool as_json, int timeout_ms)
{
    json_t *result = cli_call (cli, call, args, timeout_ms, NULL);
    if (!result)
        return CLI_FAIL;
    int rc = CLI_OK;
    if (as_json)
        rc = cli_print_json (result);
    else if (json_is_array (json_object_get (result, "cases")))
        s_print_cases (json_object_get (result, "cases"));
    else if (json_is_object (json_object_get (result, "plan"))) {
        s_print_plan (json_object_get (result, "plan"));
        if (json_is_true (json_object_get (result, "closed")))
            s_print_closure (json_object_get (result, "closure"));
        else if (json_is_object (json_object_get (result, "closure_advice")))
            s_print_advice (json_object_get (result, "closure_advice"));
        size_t n = json_array_size (json_object_get (result, "disclosures"));
        if (n)
            printf ("%zu disclosure(s) received; --json shows them\n", n);
        s_print_shared (json_object_get (result, "shared"));
    } else {
        char id[CLI_CELL_MAX + 1], b[CLI_CELL_MAX + 1], why[512];
        const char *state = cli_json_str (result, "state", b, sizeof b);
        json_t *reason = json_object_get (result, "reason");
        cli_clean (why, sizeof why, json_is_string (reason) ? json_string_value (reason) : "");
        if (json_object_get (result, "message_id"))
            printf ("%s %s%s%s\n", cli_json_str (result, "message_id", id, sizeof id), state,
                    *why ? ": " : "", why);
        else
            rc = cli_print_json (result);
        if (strcmp (state, "refused") == 0)
            rc = CLI_FAIL;
    }
    json_decref (result);
    return rc;
}

/*  Parse a case or plan command's options into args; *positional_p
 *  receives the number of arguments left, from argv[optind].  Returns an
 *  exit code, or CLI_HELPED. */
static int
s_parse (const char *cmd, int argc, char **argv, const char *usage, json_t *args, bool *as_json,
         int *positional_p)
{
    int rc = s_options (cmd, argc, argv, usage, args, as_json);
    *positional_p = argc - optind;
    return rc;
}

/*  The answer to a case or plan command; args is stolen. */
static int
s_send (cli_t *cli, const char *call, json_t *args, bool as_json)
{
    bool wait = json_is_true (json_object_get (args, "wait"));
    return s_call (cli, call, args, as_json, wait ? CLI_WAIT_TIMEOUT_MS : CLI_TIMEOUT_MS);
}

int
cmd_case_list (cli_t *cli, int argc, char **argv)
{
    json_t *args = json_object ();
    bool as_json = false;
    int positional = 0;
    int rc = s_parse ("case list", argc, argv, cli_usage_of (s_usages, "case list", cmd_case_usage),
                      args, &as_json, &positional);
    if (rc == CLI_OK && positional != 0)
        rc = cli_usage_error ("case list", "unexpected argument");
    if (rc != CLI_OK) {
        json_decref (args);
        return CLI_DONE (rc);
    }
    return s_send (cli, "case.list", args, as_json);
}

/*  keten case show|plan|contribute|consent|disclose|share|advise|close
 *  CASE_REF: the API command is case.<the command's name>. */
int
cmd_case_on_ref (cli_t *cli, int argc, char **argv)
{
    char cmd[32], call[32];
    snprintf (cmd, sizeof cmd, "case %s", argv[0]);
    snprintf (call, sizeof call, "case.%s", argv[0]);
    json_t *args = json_object ();
    bool as_json = false;
    int positional = 0;
    int rc = s_parse (cmd, argc, argv, cli_usage_of (s_usages, cmd, cmd_case_usage), args, &as_json,
                      &positional);
    if (rc == CLI_OK && (positional != 1 || strlen (argv[optind]) > 32))
        rc = cli_usage_error (cmd, "give one CASE_REF");
    if (rc != CLI_OK) {
        json_decref (args);
        return CLI_DONE (rc);
    }
    json_object_set_new (args, "case_ref", json_string (argv[optind]));
    return s_send (cli, call, args, as_json);
}

int
cmd_plan_show (cli_t *cli, int argc, char **argv)
{
    json_t *args = json_object ();
    bool as_json = false;
    int positional = 0;
    int rc = s_parse ("plan show", argc, argv, cli_usage_of (s_usages, "plan show", cmd_plan_usage),
                      args, &as_json, &positional);
    if (rc == CLI_OK && (positional != 1 || strlen (argv[optind]) > 32))
        rc = cli_usage_error ("plan show", "give one CASE_REF");
    if (rc != CLI_OK) {
        json_decref (args);
        return CLI_DONE (rc);
    }
    json_object_set_new (args, "case_ref", json_string (argv[optind]));
    return s_send (cli, "plan.show", args, as_json);
}

int
cmd_plan_progress (cli_t *cli, int argc, char **argv)
{
    const char *cmd = "plan progress";
    json_t *args = json_object ();
    bool as_json = false;
    int positional = 0;
    int rc = s_parse (cmd, argc, argv, cli_usage_of (s_usages, cmd, cmd_plan_usage), args, &as_json,
                      &positional);
    if (rc == CLI_OK &&
        (positional != 2 || strlen (argv[optind]) > 32 || strlen (argv[optind + 1]) > 16))
        rc = cli_usage_error (cmd, "give CASE_REF MEASURE_ID");
    else if (rc == CLI_OK && !json_object_get (args, "status"))
        rc = cli_usage_error (cmd, "give --status");
    if (rc != CLI_OK) {
        json_decref (args);
        return CLI_DONE (rc);
    }
    json_object_set_new (args, "case_ref", json_string (argv[optind]));
    json_object_set_new (args, "measure_id", json_string (argv[optind + 1]));
    return s_send (cli, "plan.progress", args, as_json);
}
