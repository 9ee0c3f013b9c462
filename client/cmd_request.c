/*  keten request open / find / link / list / show / answer / grounds: the
 *  uitvoerder's desk for a person's requests about their own data
 *  (convenant art. 12, docs/RIGHTS.md); keten request decide: a
 *  kernpartij's decision on one (art. 4).  The documents for the person
 *  are made by the daemon and written here, into --out.  */
#include "cli.h"

#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char cmd_request_usage[] =
    "Usage: keten request open --kind KIND --received YYYY-MM-DD --from WHO\n"
    "                          [--representation minderjarige|curatele|mentorschap]\n"
    "                          --identity-by NAME --identity-how TEXT [--json]\n"
    "       keten request find ID (--bsn N | --name TEXT --birth-date YYYY-MM-DD) [--json]\n"
    "       keten request link ID CASE_REF\n"
    "       keten request list [--json]\n"
    "       keten request show ID [--json]\n"
    "       keten request decide ID --grant [--json]                        (kernpartij)\n"
    "       keten request decide ID --refuse GROUND --motivation TEXT\n"
    "                          [--partial --withhold MESSAGE_ID ...] [--json] (kernpartij)\n"
    "       keten request answer ID --out DIR [--nothing-found] [--json]\n"
    "       keten request grounds\n"
    "\n"
    "The uitvoerder's register of requests by a person about their own data (art. 12);\n"
    "the kernpartijen, jointly the controller (art. 4), decide them.\n"
    "open    register a request: KIND inzage, correctie, verwijdering, afscherming or\n"
    "        verzet; WHO betrokkene or vertegenwoordiger (then --representation); who\n"
    "        established the identity and how (no copy of an identity document is\n"
    "        kept).  Prints the request id and the day the answer is due (four weeks,\n"
    "        Europe/Amsterdam).\n"
    "find    look the person up (archived subjects too), recorded as an access with\n"
    "        the request as its purpose; certain and UNCERTAIN matches are shown,\n"
    "        never merged.\n"
    "link    record which subject (CASE_REF) the request is about.\n"
    "show    the request and the newest kernpartij decision on it.\n"
    "decide  at a kernpartij's node: grant (an inzage request: the overview), or refuse\n"
    "        on a ground of art. 41 lid 1 UAVG (see `grounds`) with the motivation;\n"
    "        --partial withholds the signals named by --withhold and grants the rest.\n"
    "        Sent signed to the uitvoerder; waits for its receipt and prints delivered\n"
    "        or refused with the reason.  A later decision replaces an earlier one\n"
    "        until the request is answered.\n"
    "answer  carry out the newest decision: write the overview for the person in Dutch\n"
    "        (overzicht-ID.html, printable, and .txt) and/or the refusal letter\n"
    "        (weigering-ID.html and .txt) to DIR and close the request; the read is\n"
    "        recorded.  --nothing-found answers an unlinked request: no data is held.\n"
    "        Refused while no kernpartij has decided.  A correctie, verwijdering,\n"
    "        afscherming or verzet request not refused is answered once the\n"
    "        corrections decided on it (keten correction decide --request ID) are\n"
    "        carried out: the letter saying what changed (besluit-ID.html and .txt).\n"
    "grounds the art. 41 UAVG grounds a refusal may rest on.\n";

/*  Each command's own usage; the limits are s_option's and s_parse's. */
#define S_ID_HELP "ID is the request id: r- and 16 hex digits.\n"
#define S_JSON_HELP "  --json              print the daemon's answer as JSON\n"
static const cli_usage_t s_usages[] = {
    {"request open",
     "Usage: keten request open --kind KIND --received YYYY-MM-DD --from WHO\n"
     "                          [--representation minderjarige|curatele|mentorschap]\n"
     "                          --identity-by NAME --identity-how TEXT [--json]\n"
     "\n"
     "Register a person's request about their own data (art. 12; uitvoerder).  No\n"
     "copy of an identity document is kept.  Prints the request id and the day the\n"
     "answer is due (four weeks, Europe/Amsterdam).\n"
     "\n"
     "Options (each value 1..1000 bytes):\n"
     "  --kind KIND         inzage, correctie, verwijdering, afscherming or verzet\n"
     "  --received DATE     the day the request came in (YYYY-MM-DD)\n"
     "  --from WHO          betrokkene or vertegenwoordiger\n"
     "  --representation R  a vertegenwoordiger's ground: minderjarige, curatele or\n"
     "                      mentorschap\n"
     "  --identity-by NAME  who established the requester's identity\n"
     "  --identity-how TEXT how it was established\n" S_JSON_HELP},
    {"request find",
     "Usage: keten request find ID (--bsn N | --name TEXT --birth-date YYYY-MM-DD) [--json]\n"
     "\n"
     "Look the person up (archived subjects too), recorded as an access with the\n"
     "request as its purpose; certain and UNCERTAIN matches are shown, never merged.\n" S_ID_HELP
     "\n"
     "Options (each value 1..1000 bytes):\n"
     "  --bsn N             the person's BSN\n"
     "  --name TEXT         the person's name (with --birth-date)\n"
     "  --birth-date DATE   the person's birth date (YYYY-MM-DD)\n" S_JSON_HELP},
    {"request link",
     "Usage: keten request link ID CASE_REF [--json]\n"
     "\n"
     "Record which subject (CASE_REF) the request is about (uitvoerder).\n" S_ID_HELP "\n"
     "Options:\n" S_JSON_HELP},
    {"request list", "Usage: keten request list [--json]\n"
                     "\n"
                     "The register of requests: each with its due day and state (uitvoerder).\n"
                     "\n"
                     "Options:\n" S_JSON_HELP},
    {"request show",
     "Usage: keten request show ID [--json]\n"
     "\n"
     "The request and the newest kernpartij decision on it (uitvoerder).\n" S_ID_HELP "\n"
     "Options:\n" S_JSON_HELP},
    {"request decide",
     "Usage: keten request decide ID --grant [--json]\n"
     "       keten request decide ID --refuse GROUND --motivation TEXT\n"
     "                               [--partial --withhold MESSAGE_ID ...] [--json]\n"
     "\n"
     "At a kernpartij's node (art. 4): grant the request (an inzage request: the\n"
     "overview), or refuse it on a ground of art. 41 lid 1 UAVG (request grounds)\n"
     "with the motivation.  Sent signed to the uitvoerder; waits for its receipt and\n"
     "prints delivered or refused with the reason.  A later decision replaces an\n"
     "earlier one until the request is answered.  " S_ID_HELP "\n"
     "Options:\n"
     "  --grant             grant the request\n"
     "  --refuse GROUND     refuse it on GROUND (a code, 1..1000 bytes)\n"
     "  --ground GROUND     the same as --refuse GROUND\n"
     "  --motivation TEXT   why (1..8000 bytes)\n"
     "  --partial           withhold only the signals named by --withhold, grant the rest\n"
     "  --withhold MSGID    a signal's message id (32 hex digits; up to 64 times)\n" S_JSON_HELP},
    {"request answer",
     "Usage: keten request answer ID --out DIR [--nothing-found] [--json]\n"
     "\n"
     "Carry out the newest kernpartij decision (uitvoerder): write the overview for\n"
     "the person in Dutch (overzicht-ID.html, printable, and .txt) and/or the refusal\n"
     "letter (weigering-ID.html and .txt) to DIR and close the request; the read is\n"
     "recorded.  Refused while no kernpartij has decided.  A correctie, verwijdering,\n"
     "afscherming or verzet request not refused is answered once the corrections\n"
     "decided on it (keten correction decide --request ID) are carried out: the\n"
     "letter saying what changed (besluit-ID.html and .txt).  The documents come\n"
     "in one answer of at most 16 MiB (some 4,000 signals); a larger overview is\n"
     "refused and the request left open.  " S_ID_HELP "\n"
     "Options:\n"
     "  --out DIR           the directory to write to (a path of at most 4000 bytes)\n"
     "  --nothing-found     answer an unlinked request: no data is held\n" S_JSON_HELP},
    {"request grounds", "Usage: keten request grounds [--json]\n"
                        "\n"
                        "The art. 41 lid 1 UAVG grounds a refusal may rest on, by code.\n"
                        "\n"
                        "Options:\n" S_JSON_HELP},
    {NULL, NULL}};

enum {
    O_JSON = CLI_OPT_LONG + 1,
    O_KIND,
    O_RECEIVED,
    O_FROM,
    O_REPR,
    O_ID_BY,
    O_ID_HOW,
    O_BSN,
    O_NAME,
    O_BIRTH,
    O_OUT,
    O_NOTHING,
    O_GROUND,
    O_MOTIVATION,
    O_PARTIAL,
    O_WITHHOLD,
    O_GRANT,
    O_REFUSE
};

typedef struct {
    json_t *args;
    bool as_json;
    const char *out;
    bool grant;
} s_request_t;

static const struct option s_options[] = {{"json", no_argument, NULL, O_JSON},
                                          {"kind", required_argument, NULL, O_KIND},
                                          {"received", required_argument, NULL, O_RECEIVED},
                                          {"from", required_argument, NULL, O_FROM},
                                          {"representation", required_argument, NULL, O_REPR},
                                          {"identity-by", required_argument, NULL, O_ID_BY},
                                          {"identity-how", required_argument, NULL, O_ID_HOW},
                                          {"bsn", required_argument, NULL, O_BSN},
                                          {"name", required_argument, NULL, O_NAME},
                                          {"birth-date", required_argument, NULL, O_BIRTH},
                                          {"out", required_argument, NULL, O_OUT},
                                          {"nothing-found", no_argument, NULL, O_NOTHING},
                                          {"ground", required_argument, NULL, O_GROUND},
                                          {"motivation", required_argument, NULL, O_MOTIVATION},
                                          {"partial", no_argument, NULL, O_PARTIAL},
                                          {"withhold", required_argument, NULL, O_WITHHOLD},
                                          {"grant", no_argument, NULL, O_GRANT},
                                          {"refuse", required_argument, NULL, O_REFUSE},
                                          {"help", no_argument, NULL, CLI_OPT_HELP},
                                          {NULL, 0, NULL, 0}};

/*  The JSON key of each option with a text value. */
static const char *
s_key (int opt)
{
    switch (opt) {
    case O_KIND:
        return "kind";
    case O_RECEIVED:
        return "received";
    case O_FROM:
        return "from";
    case O_REPR:
        return "representation";
    case O_ID_BY:
        return "identity_by";
    case O_ID_HOW:
        return "identity_how";
    case O_BSN:
        return "bsn";
    case O_NAME:
        return "name";
    case O_BIRTH:
        return "birth_date";
    case O_GROUND:
    case O_REFUSE:
        return "ground";
    case O_MOTIVATION:
        return "motivation";
    default:
        return NULL;
    }
}

static int
s_option (void *arg, const char *cmd, int opt, const char *value)
{
    s_request_t *r = arg;
    const char *key = s_key (opt), *slot = NULL;
    if (key) {
        if (json_object_get (r->args, key))
            return cli_usage_error (cmd, "--%s given twice", key);
        if (cli_opt_string (cmd, key, value, opt == O_MOTIVATION ? 8000 : 1000, &slot))
            return CLI_USAGE;
        json_object_set_new (r->args, key, json_string (slot));
        return 0;
    }
    switch (opt) {
    case O_OUT:
        return cli_opt_string (cmd, "out", value, 4000, &r->out);
    case O_NOTHING:
        json_object_set_new (r->args, "nothing_found", json_true ());
        return 0;
    case O_PARTIAL:
        json_object_set_new (r->args, "partial", json_true ());
        return 0;
    case O_GRANT:
        r->grant = true;
        return 0;
    case O_WITHHOLD: {
        json_t *w = json_object_get (r->args, "withhold");
        if (!w)
            json_object_set_new (r->args, "withhold", (w = json_array ()));
        if (strlen (value) != 32 || json_array_size (w) >= 64)
            return cli_usage_error (cmd, "--withhold takes a message id of 32 hex digits");
        json_array_append_new (w, json_string (value));
        return 0;
    }
    default: /* O_JSON */
        r->as_json = true;
        return 0;
    }
}

/*  Parse argv of `request CMD`: want positional arguments (the request
 *  id first, put in args as request_id).  Returns 0, an exit code, or
 *  CLI_HELPED; r->args released unless 0. */
static int
s_parse (int argc, char **argv, int want, s_request_t *r)
{
    char cmd[32];
    snprintf (cmd, sizeof cmd, "request %.16s", argv[0]);
    *r = (s_request_t){json_object (), false, NULL, false};
    int rc = cli_options (cmd, argc, argv, s_options,
                          cli_usage_of (s_usages, cmd, cmd_request_usage), s_option, r);
    if (rc == 0 && argc - optind != want)
        rc = cli_usage_error (cmd, want == 0   ? "unexpected argument"
                                   : want == 1 ? "give the request id"
                                               : "give the request id and a CASE_REF");
    if (rc == 0 && want >= 1) {
        const char *id = argv[optind];
        bool ok = strlen (id) == 18 && strncmp (id, "r-", 2) == 0;
        for (const char *p = id + 2; ok && *p; p++)
            ok = (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f');
        if (!ok)
            rc = cli_usage_error (cmd, "the request id is r- and 16 hex digits");
        else
            json_object_set_new (r->args, "request_id", json_string (id));
    }
    if (rc == 0 && want == 2)
        json_object_set_new (r->args, "case_ref", json_string (argv[optind + 1]));
    if (rc != 0)
        json_decref (r->args);
    return rc;
}

static const char *
s_get (json_t *o, const char *key, char *buf, size_t len)
{
    return cli_json_str (o, key, buf, len);
}

static int
s_print_opened (json_t *result, const void *arg)
{
    (void) arg;
    char id[CLI_CELL_MAX + 1], due[CLI_CELL_MAX + 1];
    printf ("%s due %s\n", s_get (result, "request_id", id, sizeof id),
            s_get (result, "due", due, sizeof due));
    return CLI_OK;
}

int
cmd_request_open (cli_t *cli, int argc, char **argv)
{
    s_request_t r;
    int rc = s_parse (argc, argv, 0, &r);
    if (rc)
        return CLI_DONE (rc);
    return cli_request (cli, "request.open", r.args, CLI_TIMEOUT_MS, r.as_json, s_print_opened,
                        NULL);
}

static int
s_print_found (json_t *result, const void *arg)
{
    (void) arg;
    json_t *matches = json_object_get (result, "matches");
    if (!json_array_size (matches)) {
        printf ("no subject found (the lookup is recorded)\n");
        return CLI_OK;
    }
    static const char *const header[] = {"CASE_REF", "MATCH", "BY", "ARCHIVED", "WHY"};
    cli_table_t *t = cli_table_new (5, header);
    json_t *m;
    size_t i;
    json_array_foreach (matches, i, m)
    {
        char ref[CLI_CELL_MAX + 1], by[CLI_CELL_MAX + 1], why[CLI_CELL_MAX + 1];
        const char *cells[5] = {s_get (m, "case_ref", ref, sizeof ref),
                                json_is_true (json_object_get (m, "certain")) ? "certain"
                                                                              : "UNCERTAIN",
                                s_get (m, "by", by, sizeof by),
                                json_is_true (json_object_get (m, "archived")) ? "yes" : "-",
                                s_get (m, "why", why, sizeof why)};
        cli_table_add (t, cells);
    }
    cli_table_print (t);
    cli_table_destroy (&t);
    printf ("\nan uncertain match is never linked by itself: check it, then `keten request "
            "link`\n");
    return CLI_OK;
}

int
cmd_request_find (cli_t *cli, int argc, char **argv)
{
    s_request_t r;
    int rc = s_parse (argc, argv, 1, &r);
    if (rc)
        return CLI_DONE (rc);
    bool bsn = json_object_get (r.args, "bsn"), name = json_object_get (r.args, "name"),
         birth = json_object_get (r.args, "birth_date");
    if (bsn == (name || birth) || name != birth) {
        json_decref (r.args);
        return cli_usage_error ("request find", "give --bsn, or --name with --birth-date");
    }
    return cli_request (cli, "request.find", r.args, CLI_TIMEOUT_MS, r.as_json, s_print_found,
                        NULL);
}

static int
s_print_linked (json_t *result, const void *arg)
{
    (void) arg;
    char id[CLI_CELL_MAX + 1], ref[CLI_CELL_MAX + 1];
    printf ("%s linked to %s%s\n", s_get (result, "request_id", id, sizeof id),
            s_get (result, "case_ref", ref, sizeof ref),
            json_is_true (json_object_get (result, "archived")) ? " (archived, art. 13.2)" : "");
    return CLI_OK;
}

int
cmd_request_link (cli_t *cli, int argc, char **argv)
{
    s_request_t r;
    int rc = s_parse (argc, argv, 2, &r);
    if (rc)
        return CLI_DONE (rc);
    return cli_request (cli, "request.link", r.args, CLI_TIMEOUT_MS, r.as_json, s_print_linked,
                        NULL);
}

static int
s_print_list (json_t *result, const void *arg)
{
    (void) arg;
    static const char *const header[] = {"ID",    "KIND",     "RECEIVED", "DUE",
                                         "STATE", "DEADLINE", "CASE_REF"};
    cli_table_t *t = cli_table_new (7, header);
    json_t *x;
    size_t i;
    json_array_foreach (json_object_get (result, "requests"), i, x)
    {
        char c[7][CLI_CELL_MAX + 1];
        static const char *const keys[] = {"id",    "kind",     "received", "due",
                                           "state", "deadline", "case_ref"};
        const char *cells[7];
        for (int k = 0; k < 7; k++)
            cells[k] = s_get (x, keys[k], c[k], sizeof c[k]);
        if (!*cells[6])
            cells[6] = "-";
        cli_table_add (t, cells);
    }
    if (json_array_size (json_object_get (result, "requests")))
        cli_table_print (t);
    else
        printf ("no requests\n");
    cli_table_destroy (&t);
    return CLI_OK;
}

int
cmd_request_list (cli_t *cli, int argc, char **argv)
{
    s_request_t r;
    int rc = s_parse (argc, argv, 0, &r);
    if (rc)
        return CLI_DONE (rc);
    return cli_request (cli, "request.list", r.args, CLI_TIMEOUT_MS, r.as_json, s_print_list, NULL);
}

static int
s_print_show (json_t *result, const void *arg)
{
    (void) arg;
    json_t *x = json_object_get (result, "request");
    static const char *const keys[] = {
        "id",  "kind",     "received", "from",  "representation", "identity_by", "identity_how",
        "due", "deadline", "case_ref", "state", "ground",         "motivation",  "decided_by"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        char v[2048];
        json_t *j = json_object_get (x, keys[k]);
        if (!json_is_string (j) || !*json_string_value (j))
            continue;
        cli_clean (v, sizeof v, json_string_value (j));
        printf ("%-15s %s\n", keys[k], v);
    }
    char when[32];
    uint64_t ms = 0;
    if (cli_json_uint (x, "opened_ms", &ms))
        printf ("%-15s %s UTC\n", "opened", cli_fmt_time (when, sizeof when, ms));
    if (cli_json_uint (x, "closed_ms", &ms) && ms)
        printf ("%-15s %s UTC\n", "closed", cli_fmt_time (when, sizeof when, ms));
    /*  The kernpartij's newest decision, which `answer` follows. */
    json_t *d = json_object_get (x, "decision");
    if (!json_is_object (d)) {
        printf ("%-15s %s\n", "decision", "none yet (a kernpartij decides: keten request decide)");
        return CLI_OK;
    }
    char o[CLI_CELL_MAX + 1], by[CLI_CELL_MAX + 1], user[CLI_CELL_MAX + 1], g[CLI_CELL_MAX + 1];
    cli_json_uint (d, "decided_ms", &ms);
    printf ("%-15s %s by %s (%s) at %s UTC%s%s\n", "decision",
            cli_json_str (d, "outcome", o, sizeof o), cli_json_str (d, "decided_by", by, sizeof by),
            cli_json_str (d, "os_user", user, sizeof user), cli_fmt_time (when, sizeof when, ms),
            json_object_get (d, "ground") ? ", ground " : "",
            json_object_get (d, "ground") ? cli_json_str (d, "ground", g, sizeof g) : "");
    json_t *w;
    size_t i;
    json_array_foreach (json_object_get (d, "withhold"), i, w)
    {
        char v[CLI_CELL_MAX + 1];
        cli_clean (v, sizeof v, json_is_string (w) ? json_string_value (w) : "");
        printf ("%-15s %s\n", "withheld", v);
    }
    return CLI_OK;
}

int
cmd_request_show (cli_t *cli, int argc, char **argv)
{
    s_request_t r;
    int rc = s_parse (argc, argv, 1, &r);
    if (rc)
        return CLI_DONE (rc);
    return cli_request (cli, "request.show", r.args, CLI_TIMEOUT_MS, r.as_json, s_print_show, NULL);
}

/*  The documents an answer or a refusal writes: base name, JSON key. */
static const struct {
    const char *base, *ext, *key;
} s_files[] = {
    {"overzicht", "html", "overview_html"}, {"overzicht", "txt", "overview_txt"},
    {"weigering", "html", "letter_html"},   {"weigering", "txt", "letter_txt"},
    {"besluit", "html", "decision_html"},   {"besluit", "txt", "decision_txt"},
};
#define S_N_FILES (sizeof s_files / sizeof s_files[0])

/*  Refuse before the call what would make writing fail after it: the
 *  request is closed by the call, and its documents come only once. */
static int
s_check_out (const char *out, const char *id, const char *cmd)
{
    struct stat st;
    if (!out)
        return cli_usage_error (cmd, "--out DIR names where the documents go");
    if (stat (out, &st) != 0 || !S_ISDIR (st.st_mode) || access (out, W_OK | X_OK) != 0) {
        cli_error ("%s: %s is not a directory this user can write", cmd, out);
        return CLI_FAIL;
    }
    for (size_t i = 0; i < S_N_FILES; i++) {
        char name[64], path[4200];
        snprintf (name, sizeof name, "%s-%s.%s", s_files[i].base, id, s_files[i].ext);
        snprintf (path, sizeof path, "%s/%s", out, name);
        if (access (path, F_OK) == 0) {
            cli_error ("%s: %s exists already; not overwritten", cmd, path);
            return CLI_FAIL;
        }
    }
    return CLI_OK;
}

static int
s_documents (cli_t *cli, int argc, char **argv, const char *call)
{
    s_request_t r;
    int rc = s_parse (argc, argv, 1, &r);
    if (rc)
        return CLI_DONE (rc);
    if (r.grant || json_object_get (r.args, "ground") || json_object_get (r.args, "motivation") ||
        json_object_get (r.args, "partial") || json_object_get (r.args, "withhold")) {
        json_decref (r.args);
        return cli_usage_error ("request answer",
                                "the answer follows the kernpartij's decision: it takes only "
                                "--out and --nothing-found (see keten request decide)");
    }
    char cmd[32], id[24];
    snprintf (cmd, sizeof cmd, "request %.16s", argv[0]);
    snprintf (id, sizeof id, "%s", json_string_value (json_object_get (r.args, "request_id")));
    if ((rc = s_check_out (r.out, id, cmd)) != CLI_OK) {
        json_decref (r.args);
        return rc;
    }
    /*  The daemon closes the request before it answers: a caller that
     *  gave up on a large overview (thousands of signals, a long log to
     *  scan) would leave it answered without its documents. */
    json_t *result = cli_call (cli, call, r.args, CLI_WAIT_TIMEOUT_MS, NULL);
    if (!result)
        return CLI_FAIL;
    rc = CLI_OK;
    for (size_t i = 0; i < S_N_FILES; i++) {
        json_t *doc = json_object_get (result, s_files[i].key);
        if (!json_is_string (doc))
            continue;
        char name[64], path[4200];
        kt_reason_t reason;
        snprintf (name, sizeof name, "%s-%s.%s", s_files[i].base, id, s_files[i].ext);
        snprintf (path, sizeof path, "%s/%s", r.out, name);
        /*  Personal data: readable by this user only. */
        if (kt_write_file (path, json_string_value (doc), json_string_length (doc), 0600,
                           &reason) != 0) {
            cli_error ("%s: cannot write %s: %s", cmd, path, reason.text);
            rc = CLI_FAIL;
        } else if (!r.as_json)
            printf ("wrote %s\n", path);
    }
    if (r.as_json) {
        for (size_t i = 0; i < S_N_FILES; i++)
            json_object_del (result, s_files[i].key);
        cli_print_json (result);
    } else {
        char state[CLI_CELL_MAX + 1];
        printf ("%s %s\n", id, s_get (result, "state", state, sizeof state));
    }
    json_decref (result);
    return rc;
}

int
cmd_request_answer (cli_t *cli, int argc, char **argv)
{
    return s_documents (cli, argc, argv, "request.answer");
}

/*  The answer of a message sent to the uitvoerder and waited for. */
static int
s_print_sent (json_t *result, const void *arg)
{
    (void) arg;
    char id[CLI_CELL_MAX + 1], b[CLI_CELL_MAX + 1], why[512];
    const char *state = cli_json_str (result, "state", b, sizeof b);
    json_t *reason = json_object_get (result, "reason");
    cli_clean (why, sizeof why, json_is_string (reason) ? json_string_value (reason) : "");
    printf ("%s %s%s%s\n", cli_json_str (result, "message_id", id, sizeof id), state,
            *why ? ": " : "", why);
    return strcmp (state, "delivered") == 0 ? CLI_OK : CLI_FAIL;
}

int
cmd_request_decide (cli_t *cli, int argc, char **argv)
{
    const char *cmd = "request decide";
    s_request_t r;
    int rc = s_parse (argc, argv, 1, &r);
    if (rc)
        return CLI_DONE (rc);
    bool refuse = json_object_get (r.args, "ground") != NULL;
    bool partial = json_is_true (json_object_get (r.args, "partial"));
    const char *why = NULL;
    if (r.grant == refuse)
        why = "give --grant or --refuse GROUND";
    else if (r.grant && (json_object_get (r.args, "motivation") || partial ||
                         json_object_get (r.args, "withhold")))
        why = "--motivation, --partial and --withhold go with --refuse";
    else if (refuse && !json_object_get (r.args, "motivation"))
        why = "a refusal is motivated: --motivation TEXT (art. 12.4)";
    else if (partial != (json_object_get (r.args, "withhold") != NULL))
        why = "--partial names the signals it withholds with --withhold MESSAGE_ID";
    else if (r.out || json_object_get (r.args, "nothing_found"))
        why = "--out and --nothing-found go with answer, at the uitvoerder";
    if (why) {
        json_decref (r.args);
        return cli_usage_error (cmd, "%s", why);
    }
    json_object_del (r.args, "partial");
    json_object_set_new (r.args, "outcome",
                         json_string (r.grant   ? "grant"
                                      : partial ? "partial"
                                                : "refuse"));
    json_object_set_new (r.args, "wait", json_true ());
    return cli_request (cli, "request.decide", r.args, CLI_WAIT_TIMEOUT_MS, r.as_json, s_print_sent,
                        NULL);
}

static int
s_print_grounds (json_t *result, const void *arg)
{
    (void) arg;
    json_t *g;
    size_t i;
    json_array_foreach (json_object_get (result, "grounds"), i, g)
    {
        char code[CLI_CELL_MAX + 1], text[1024];
        json_t *t = json_object_get (g, "text");
        cli_clean (text, sizeof text, json_is_string (t) ? json_string_value (t) : "");
        printf ("%-8s %s\n", s_get (g, "code", code, sizeof code), text);
    }
    return CLI_OK;
}

int
cmd_request_grounds (cli_t *cli, int argc, char **argv)
{
    s_request_t r;
    int rc = s_parse (argc, argv, 0, &r);
    if (rc)
        return CLI_DONE (rc);
    return cli_request (cli, "request.grounds", r.args, CLI_TIMEOUT_MS, r.as_json, s_print_grounds,
                        NULL);
}
