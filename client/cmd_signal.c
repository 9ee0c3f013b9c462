/*  keten signal submit, keten signal list.
 *
 *  A signal carries personal data: it is checked here with the same intake
 *  rules the daemon applies (so a mistake is caught before anything is
 *  sent), error messages name fields but never values, and the list shows
 *  only what the daemon lists (no personal data).
 */
#include "cli.h"

#include "intake.h"
#include "util.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- keten signal submit ------------------------------------------------ */

/*  The flags that make up a signal: option name, the object it belongs in
 *  (NULL: top level) and the JSON key (docs/SIGNAL-FORMAT.md). */
typedef struct {
    const char *opt;
    const char *group;
    const char *key;
    bool boolean;
} s_field_t;

static const s_field_t s_fields[] = {
    {"name", "subject", "name", false},
    {"birth-date", "subject", "birth_date", false},
    {"address", "subject", "address", false},
    {"municipality", "subject", "municipality", false},
    {"bsn", "subject", "bsn", false},
    {"description", NULL, "description", false},
    {"category", NULL, "category", false},
    {"observed-on", NULL, "observed_on", false},
    {"melder-name", "melder", "name", false},
    {"melder-contact", "melder", "contact", false},
    {"source-kind", "source", "kind", false},
    {"source-detail", "source", "detail", false},
    {"wpg-basis", NULL, "wpg_basis", false},
    {"legal-basis", NULL, "legal_basis", false},
    {"special-category", NULL, "special_category", true},
    {"criminal-data", NULL, "criminal_data", true},
    {"local-ref", NULL, "local_ref", false},
};
#define S_FIELDS (sizeof s_fields / sizeof s_fields[0])

static const char s_submit_usage[] =
    "Usage: keten signal submit --file FILE.json [--wait]\n"
    "       keten signal submit --name NAME --birth-date YYYY-MM-DD ... [--wait]\n"
    "\n"
    "Submit a signal (art. 7: kernpartijen only).  It is checked here first and\n"
    "sent only if valid.  Prints \"signal MESSAGE_ID STATE\"; STATE is queued, held\n"
    "(art. 9/10 Wpg: stays on this node until released), delivered or refused.\n"
    "\n"
    "  --file FILE     the signal as JSON (docs/SIGNAL-FORMAT.md); preferred, as\n"
    "                  command-line flags are visible to other local users in the\n"
    "                  process list and end up in shell history\n"
    "  --wait          wait (up to 120 s) for the uitvoerder's signed receipt\n"
    "\n"
    "Instead of --file, the signal's fields (give those that apply):\n"
    "  --name, --birth-date, --address, --municipality, --bsn     the subject\n"
    "  --description, --category, --observed-on YYYY-MM-DD\n"
    "  --melder-name, --melder-contact                            who reported it\n"
    "  --source-kind, --source-detail                             art. 7.2 source\n"
    "  --wpg-basis, --legal-basis\n"
    "  --special-category yes|no, --criminal-data yes|no\n"
    "  --local-ref REF     your own reference (no personal data)\n";

static int
s_parse_bool (const char *cmd, const char *opt, const char *value, bool *out)
{
    if (strcmp (value, "yes") == 0 || strcmp (value, "true") == 0)
        *out = true;
    else if (strcmp (value, "no") == 0 || strcmp (value, "false") == 0)
        *out = false;
    else
        return cli_usage_error (cmd, "--%s must be yes or no", opt);
    return 0;
}

/*  Build the signal object from the flags given; flags not given are left
 *  out, so the intake check names what is missing. */
static json_t *
s_signal_from_flags (const char *cmd, const char *const values[S_FIELDS], int *rc)
{
    json_t *signal = json_object ();
    *rc = CLI_FAIL;
    if (!signal) {
        cli_error ("out of memory");
        return NULL;
    }
    for (size_t i = 0; i < S_FIELDS; i++) {
        const s_field_t *f = &s_fields[i];
        if (!values[i])
            continue;
        json_t *value;
        if (f->boolean) {
            bool b;
            if (s_parse_bool (cmd, f->opt, values[i], &b) != 0) {
                json_decref (signal);
                *rc = CLI_USAGE;
                return NULL;
            }
            value = json_boolean (b);
        } else
            value = json_string (values[i]);
        if (!value) {
            json_decref (signal);
            /*  jansson refuses text that is not UTF-8. */
            *rc = cli_usage_error (cmd, "--%s is not valid UTF-8 text", f->opt);
            return NULL;
        }
        json_t *parent = signal;
        if (f->group) {
            parent = json_object_get (signal, f->group);
            if (!parent) {
                parent = json_object ();
                json_object_set_new (signal, f->group, parent);
            }
        }
        if (!parent || json_object_set_new (parent, f->key, value) != 0) {
            json_decref (signal);
            cli_error ("out of memory");
            return NULL;
        }
    }
    *rc = CLI_OK;
    return signal;
}

static json_t *
s_signal_from_file (const char *path)
{
    char *text = NULL;
    size_t len = 0;
    kt_reason_t reason;
    if (kt_read_file (path, INTAKE_MAX_BYTES, &text, &len, &reason) != 0) {
        cli_error ("%s", reason.text);
        return NULL;
    }
    json_error_t err;
    json_t *signal = json_loadb (text, len, JSON_REJECT_DUPLICATES, &err);
    free (text);
    if (!signal) {
        /*  Never err.text: it quotes the signal near the error. */
        cli_error ("%s: %s at line %d, column %d", path, intake_json_error (&err), err.line,
                   err.column);
        return NULL;
    }
    if (!json_is_object (signal)) {
        json_decref (signal);
        cli_error ("%s: a signal must be a JSON object", path);
        return NULL;
    }
    return signal;
}

enum { OPT_FILE = CLI_OPT_LONG + 1, OPT_WAIT, OPT_FIELD };

/*  A signal as given: --file, or its fields. */
typedef struct {
    const char *file;
    const char *values[S_FIELDS];
    bool wait, any_field;
} s_submit_t;

static int
s_submit_option (void *arg, const char *cmd, int opt, const char *value)
{
    s_submit_t *sub = arg;
    if (opt >= OPT_FIELD && opt < OPT_FIELD + (int) S_FIELDS) {
        size_t i = (size_t) (opt - OPT_FIELD);
        sub->any_field = true;
        /*  The intake applies each field's own limit; this only keeps
         *  absurd input out. */
        return cli_opt_string (cmd, s_fields[i].opt, value, INTAKE_MAX_BYTES, &sub->values[i]);
    }
    if (opt == OPT_FILE)
        return cli_opt_string (cmd, "file", value, PATH_MAX - 1, &sub->file);
    /*  OPT_WAIT */
    if (sub->wait)
        return cli_usage_error (cmd, "--wait given twice");
    sub->wait = true;
    return 0;
}

/*  The signal given, checked with the daemon's own intake rules: the
 *  daemon checks again, but checking here means nothing is sent (or
 *  stored) when the signal is wrong, and the error names the field.
 *  NULL with *rc the exit code after saying why. */
static json_t *
s_submit_signal (const char *cmd, const s_submit_t *sub, int *rc)
{
    *rc = CLI_FAIL;
    json_t *signal =
        sub->file ? s_signal_from_file (sub->file) : s_signal_from_flags (cmd, sub->values, rc);
    if (!signal) {
        if (sub->file)
            *rc = CLI_FAIL;
        return NULL;
    }
    Keten__Signal *checked = NULL;
    kt_reason_t reason;
    if (intake_signal_from_object (signal, &checked, &reason) != 0) {
        json_decref (signal);
        cli_error ("%s%sinvalid signal: %s", sub->file ? sub->file : "", sub->file ? ": " : "",
                   reason.text);
        *rc = CLI_FAIL;
        return NULL;
    }
    intake_signal_destroy (&checked);
    return signal;
}

/*  What became of a submitted signal. */
static int
s_submitted_print (json_t *result)
{
    char id[KT_ID_HEX + 8], state[32], why[KT_REASON_MAX];
    cli_json_str (result, "message_id", id, sizeof id);
    cli_json_str (result, "state", state, sizeof state);
    uint64_t index = 0;
    if (strcmp (state, "delivered") == 0 && cli_json_uint (result, "log_index", &index))
        printf ("signal %s %s log index %llu\n", id, state, (unsigned long long) index);
    else if (strcmp (state, "refused") == 0) {
        printf ("signal %s refused: %s\n", id, cli_json_str (result, "reason", why, sizeof why));
        return CLI_FAIL;
    } else
        printf ("signal %s %s\n", id, state);
    return CLI_OK;
}

int
cmd_signal_submit (cli_t *cli, int argc, char **argv)
{
    struct option options[S_FIELDS + 4];
    size_t n = 0;
    options[n++] = (struct option){"file", required_argument, NULL, OPT_FILE};
    options[n++] = (struct option){"wait", no_argument, NULL, OPT_WAIT};
    options[n++] = (struct option){"help", no_argument, NULL, CLI_OPT_HELP};
    for (size_t i = 0; i < S_FIELDS; i++)
        options[n++] =
            (struct option){s_fields[i].opt, required_argument, NULL, OPT_FIELD + (int) i};
    options[n] = (struct option){NULL, 0, NULL, 0};

    const char *cmd = "signal submit";
    s_submit_t sub = {0};
    int rc = cli_options (cmd, argc, argv, options, s_submit_usage, s_submit_option, &sub);
    if (rc)
        return CLI_DONE (rc);
    if (optind < argc)
        return cli_usage_error (cmd, "unexpected argument");
    if (sub.file && sub.any_field)
        return cli_usage_error (cmd, "give --file or the signal's fields, not both");
    if (!sub.file && !sub.any_field)
        return cli_usage_error (cmd, "give --file FILE.json or the signal's fields");
    json_t *signal = s_submit_signal (cmd, &sub, &rc);
    if (!signal)
        return rc;
    json_t *args = json_pack ("{s:o, s:b}", "signal", signal, "wait", sub.wait);
    if (!args) {
        cli_error ("out of memory");
        return CLI_FAIL;
    }
    bool unanswered = false;
    json_t *result = cli_call (cli, "signal.submit", args,
                               sub.wait ? CLI_WAIT_TIMEOUT_MS : CLI_SUBMIT_TIMEOUT_MS, &unanswered);
    if (!result) {
        /*  Submitting again blindly could make two signals of one. */
        if (unanswered)
            cli_error ("the node may have stored the signal all the same; check 'keten signal "
                       "list' before submitting it again");
        return CLI_FAIL;
    }
    rc = s_submitted_print (result);
    json_decref (result);
    return rc;
}

/* ---- keten signal list -------------------------------------------------- */

static const char s_list_usage[] =
    "Usage: keten signal list [--limit N] [--json]\n"
    "\n"
    "List this node's signals, newest first, without personal data.  On a\n"
    "partner: id, own reference, category, delivery state (queued, delivered,\n"
    "refused; held: an art. 9/10 Wpg signal awaiting its release;\n"
    "awaiting-confirmation: a spool signal awaiting the police representative,\n"
    "art. 7.2a) and, for a spool signal, the representative.  On the\n"
    "uitvoerder: id, case reference, sender, category, provenance-log index.\n"
    "Times are UTC.\n"
    "\n"
    "  --limit N   at most N signals, 1-10000 (default 100)\n"
    "  --json      print the daemon's answer as JSON\n";

static const char *
s_uint_text (json_t *obj, const char *key, char *buf, size_t len)
{
    uint64_t v;
    if (!cli_json_uint (obj, key, &v))
        return "-";
    snprintf (buf, len, "%llu", (unsigned long long) v);
    return buf;
}

static const char *
s_time_text (json_t *obj, const char *key, char *buf, size_t len)
{
    uint64_t ms = 0;
    cli_json_uint (obj, key, &ms);
    return cli_fmt_time (buf, len, ms);
}

static void
s_list_print (json_t *signals)
{
    if (json_array_size (signals) == 0) {
        printf ("no signals\n");
        return;
    }
    /*  The uitvoerder's entries carry a case reference, a partner's do not. */
    bool uitvoerder = false;
    size_t i;
    json_t *s;
    json_array_foreach (signals, i, s) if (json_object_get (s, "case_ref")) uitvoerder = true;

    static const char *const uitv_header[] = {"MESSAGE_ID", "CASE_REF", "SENDER",
                                              "CATEGORY",   "RECEIVED", "LOG_INDEX"};
    static const char *const partner_header[] = {"MESSAGE_ID",    "LOCAL_REF", "CATEGORY",
                                                 "STATE",         "CREATED",   "LOG_INDEX/REASON",
                                                 "REPRESENTATIVE"};
    cli_table_t *table =
        cli_table_new (uitvoerder ? 6 : 7, uitvoerder ? uitv_header : partner_header);
    json_array_foreach (signals, i, s)
    {
        char b[7][CLI_CELL_MAX + 1];
        if (uitvoerder) {
            const char *row[] = {cli_json_str (s, "message_id", b[0], sizeof b[0]),
                                 cli_json_str (s, "case_ref", b[1], sizeof b[1]),
                                 cli_json_str (s, "sender", b[2], sizeof b[2]),
                                 cli_json_str (s, "category", b[3], sizeof b[3]),
                                 s_time_text (s, "received_ms", b[4], sizeof b[4]),
                                 s_uint_text (s, "log_index", b[5], sizeof b[5])};
            cli_table_add (table, row);
        } else {
            const char *state = cli_json_str (s, "state", b[3], sizeof b[3]);
            const char *last = strcmp (state, "refused") == 0
                                   ? cli_json_str (s, "reason", b[5], sizeof b[5])
                                   : s_uint_text (s, "log_index", b[5], sizeof b[5]);
            /*  art. 7.2a: a spool signal's representative, and who
             *  confirmed it (confirm mode). */
            char rep_buf[CLI_CELL_MAX + 1], by_buf[CLI_CELL_MAX + 1];
            const char *rep = cli_json_str (s, "representative", rep_buf, sizeof rep_buf);
            const char *by = cli_json_str (s, "confirmed_by", by_buf, sizeof by_buf);
            char cell[3 * CLI_CELL_MAX];
            if (strcmp (by, "-") != 0)
                snprintf (cell, sizeof cell, "%s (confirmed by %s)", rep, by);
            else
                snprintf (cell, sizeof cell, "%s", rep);
            cli_clean (b[6], sizeof b[6], cell);
            const char *row[] = {cli_json_str (s, "message_id", b[0], sizeof b[0]),
                                 cli_json_str (s, "local_ref", b[1], sizeof b[1]),
                                 cli_json_str (s, "category", b[2], sizeof b[2]),
                                 state,
                                 s_time_text (s, "created_ms", b[4], sizeof b[4]),
                                 last,
                                 b[6]};
            cli_table_add (table, row);
        }
    }
    cli_table_print (table);
    cli_table_destroy (&table);
}

enum { OPT_LIMIT = CLI_OPT_LONG + 1, OPT_JSON };

typedef struct {
    const char *limit_text;
    uint64_t limit;
    bool as_json;
} s_list_t;

static int
s_list_option (void *arg, const char *cmd, int opt, const char *value)
{
    s_list_t *l = arg;
    if (opt == OPT_LIMIT) {
        if (cli_opt_string (cmd, "limit", value, 20, &l->limit_text))
            return CLI_USAGE;
        return cli_opt_uint (cmd, "limit", value, 1, 10000, &l->limit);
    }
    if (l->as_json)
        return cli_usage_error (cmd, "--json given twice");
    l->as_json = true;
    return 0;
}

static int
s_listed_print (json_t *result, const void *arg)
{
    (void) arg;
    json_t *signals = json_object_get (result, "signals");
    if (!json_is_array (signals)) {
        cli_error ("ketend's answer has no signals list");
        return CLI_FAIL;
    }
    s_list_print (signals);
    return CLI_OK;
}

int
cmd_signal_list (cli_t *cli, int argc, char **argv)
{
    static const struct option options[] = {{"limit", required_argument, NULL, OPT_LIMIT},
                                            {"json", no_argument, NULL, OPT_JSON},
                                            {"help", no_argument, NULL, CLI_OPT_HELP},
                                            {NULL, 0, NULL, 0}};
    const char *cmd = "signal list";
    s_list_t l = {NULL, 0, false};
    int rc = cli_options (cmd, argc, argv, options, s_list_usage, s_list_option, &l);
    if (rc)
        return CLI_DONE (rc);
    if (optind < argc)
        return cli_usage_error (cmd, "unexpected argument");
    json_t *args = l.limit_text ? json_pack ("{s:I}", "limit", (json_int_t) l.limit) : NULL;
    return cli_request (cli, "signal.list", args, CLI_TIMEOUT_MS, l.as_json, s_listed_print, NULL);
}

static const char s_release_usage[] =
    "Usage: keten signal release MESSAGE_ID --opsporingsbelang-checked --om-consulted NAME\n"
    "                            --bevoegd-functionaris NAME\n"
    "\n"
    "Release a held police signal (art. 9/10 Wpg) so that it is forwarded to the\n"
    "weegploeg. Under the Wpg machtigingsbesluit (art. 2) this is allowed only\n"
    "after the investigation interest (opsporingsbelang) was checked and the OM\n"
    "and the bevoegd functionaris of art. 2:10 Besluit politiegegevens were\n"
    "consulted. Both names are required (1-200 bytes, not blank) and travel\n"
    "sealed with the signal; the release is recorded with your OS user, which\n"
    "the uitvoerder's provenance log shows (never the names).\n"
    "\n"
    "  --opsporingsbelang-checked   the investigation interest does not object\n"
    "  --om-consulted NAME          the OM officer consulted\n"
    "  --bevoegd-functionaris NAME  the bevoegd functionaris (art. 2:10 Bpg) consulted\n"
    "  -h, --help                   this help\n";

enum { OPT_CHECKED = CLI_OPT_LONG + 1, OPT_OM, OPT_FUNCTIONARIS };

typedef struct {
    const char *om, *functionaris;
    bool checked;
} s_release_t;

static int
s_release_option (void *arg, const char *cmd, int opt, const char *value)
{
    s_release_t *r = arg;
    if (opt == OPT_OM)
        return cli_opt_string (cmd, "om-consulted", value, 200, &r->om);
    if (opt == OPT_FUNCTIONARIS)
        return cli_opt_string (cmd, "bevoegd-functionaris", value, 200, &r->functionaris);
    if (r->checked)
        return cli_usage_error (cmd, "--opsporingsbelang-checked given twice");
    r->checked = true;
    return 0;
}

int
cmd_signal_release (cli_t *cli, int argc, char **argv)
{
    static const struct option options[] = {
        {"opsporingsbelang-checked", no_argument, NULL, OPT_CHECKED},
        {"om-consulted", required_argument, NULL, OPT_OM},
        {"bevoegd-functionaris", required_argument, NULL, OPT_FUNCTIONARIS},
        {"help", no_argument, NULL, CLI_OPT_HELP},
        {NULL, 0, NULL, 0}};
    const char *cmd = "signal release";
    s_release_t r = {NULL, NULL, false};
    int rc = cli_options (cmd, argc, argv, options, s_release_usage, s_release_option, &r);
    if (rc)
        return CLI_DONE (rc);
    const char *om = r.om;
    bool checked = r.checked;
    if (optind + 1 != argc)
        return cli_usage_error (cmd, "give exactly one MESSAGE_ID");
    const char *id = argv[optind];
    if (strlen (id) != 32 || strspn (id, "0123456789abcdef") != 32)
        return cli_usage_error (cmd, "MESSAGE_ID must be 32 lower-case hex digits");
    if (!checked)
        return cli_usage_error (cmd, "--opsporingsbelang-checked is required: a held signal "
                                     "leaves only once the investigation interest was checked");
    if (!om)
        return cli_usage_error (cmd, "--om-consulted NAME is required: the OM must be consulted "
                                     "first");
    if (!r.functionaris)
        return cli_usage_error (cmd, "--bevoegd-functionaris NAME is required: the bevoegd "
                                     "functionaris of art. 2:10 Bpg must be consulted first "
                                     "(Wpg machtigingsbesluit art. 2c)");
    json_t *args = json_pack ("{s:s, s:b, s:s, s:s}", "message_id", id, "opsporingsbelang_checked",
                              1, "om_consulted", om, "bevoegd_functionaris", r.functionaris);
    json_t *result = cli_call (cli, "signal.release", args, CLI_TIMEOUT_MS, NULL);
    if (!result)
        return CLI_FAIL;
    char state_buf[32];
    const char *state = cli_json_str (result, "state", state_buf, sizeof state_buf);
    printf ("signal %s released, %s\n", id, strcmp (state, "-") != 0 ? state : "queued");
    json_decref (result);
    return CLI_OK;
}

/* ---- keten signal confirm (art. 7.2a) ------------------------------------ */

static const char s_confirm_usage[] =
    "Usage: keten signal confirm MESSAGE_ID... | --all\n"
    "\n"
    "Give police spool signals to the weegploeg as the police representative\n"
    "(art. 7.2a) when intake/representative-mode = confirm: until then they\n"
    "wait on this node (state awaiting-confirmation in keten signal list) and\n"
    "nothing reaches the uitvoerder.  Needs a member of intake/representative-\n"
    "group; the confirmation is recorded with your OS user, here and at the\n"
    "uitvoerder.  All the signals named are confirmed in one step, or none: an\n"
    "unknown id, or one that does not await confirmation, is refused by name.\n"
    "An art. 9/10 Wpg signal then still waits for keten signal release.\n"
    "\n"
    "  --all       every signal awaiting confirmation\n"
    "  -h, --help  this help\n";

enum { OPT_ALL = CLI_OPT_LONG + 1 };

static int
s_confirm_option (void *arg, const char *cmd, int opt, const char *value)
{
    (void) value;
    bool *all = arg;
    if (opt != OPT_ALL)
        return cli_usage_error (cmd, "unknown option");
    if (*all)
        return cli_usage_error (cmd, "--all given twice");
    *all = true;
    return 0;
}

int
cmd_signal_confirm (cli_t *cli, int argc, char **argv)
{
    static const struct option options[] = {{"all", no_argument, NULL, OPT_ALL},
                                            {"help", no_argument, NULL, CLI_OPT_HELP},
                                            {NULL, 0, NULL, 0}};
    const char *cmd = "signal confirm";
    bool all = false;
    int rc = cli_options (cmd, argc, argv, options, s_confirm_usage, s_confirm_option, &all);
    if (rc)
        return CLI_DONE (rc);
    if (all == (optind < argc))
        return cli_usage_error (cmd, "give the MESSAGE_IDs to confirm, or --all");
    json_t *args = NULL;
    if (all)
        args = json_pack ("{s:b}", "all", 1);
    else {
        json_t *ids = json_array ();
        for (int i = optind; i < argc; i++) {
            if (strlen (argv[i]) != 32 || strspn (argv[i], "0123456789abcdef") != 32) {
                json_decref (ids);
                return cli_usage_error (cmd, "MESSAGE_ID must be 32 lower-case hex digits");
            }
            json_array_append_new (ids, json_string (argv[i]));
        }
        args = json_pack ("{s:o}", "message_ids", ids);
    }
    json_t *result = cli_call (cli, "signal.confirm", args, CLI_TIMEOUT_MS, NULL);
    if (!result)
        return CLI_FAIL;
    json_t *list = json_object_get (result, "confirmed");
    char by[CLI_CELL_MAX + 1];
    cli_json_str (result, "confirmed_by", by, sizeof by);
    if (json_array_size (list) == 0)
        printf ("no signal awaits confirmation\n");
    size_t i;
    json_t *o;
    json_array_foreach (list, i, o)
    {
        char id[CLI_CELL_MAX + 1], state[CLI_CELL_MAX + 1];
        printf ("signal %s confirmed by %s, %s\n", cli_json_str (o, "message_id", id, sizeof id),
                by, cli_json_str (o, "state", state, sizeof state));
    }
    json_decref (result);
    return CLI_OK;
}
