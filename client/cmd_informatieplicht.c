/*  keten informatieplicht list / consult / inform / letter (the
 *  uitvoerder's desk) and decide (a kernpartij's node): the
 *  informatieplicht towards the person (art. 11.2-11.5); keten review
 *  list / record: the periodic accuracy review of the files (art. 8.3,
 *  10.3), at the uitvoerder (docs/RIGHTS.md).  */
#include "cli.h"
#include "util.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

const char cmd_informatieplicht_usage[] =
    "Usage: keten informatieplicht list [--json]                            (uitvoerder)\n"
    "       keten informatieplicht consult TASK --party ID                  (uitvoerder)\n"
    "       keten informatieplicht decide TASK --inform [--json]            (kernpartij)\n"
    "       keten informatieplicht decide TASK --defer GROUND --note TEXT --review YYYY-MM-DD\n"
    "                                          [--json]                     (kernpartij)\n"
    "       keten informatieplicht inform TASK --on YYYY-MM-DD --by PARTY --how TEXT\n"
    "                                                                       (uitvoerder)\n"
    "       keten informatieplicht letter TASK --out DIR                    (uitvoerder)\n"
    "\n"
    "Every weegploeg decision, agenderen or niet agenderen, opens a task to inform the\n"
    "person (art. 11.2).  The kernpartijen, jointly the controller (art. 4), decide\n"
    "whether the person can be informed; the uitvoerder keeps the task and informs.\n"
    "list     the tasks: open, deferred (review date, deciding kernpartij), to-inform\n"
    "         (cleared by a kernpartij) or informed.\n"
    "consult  record that kernpartij ID was consulted (art. 11.3); needed before a\n"
    "         kernpartij's decision is taken.\n"
    "decide   at a kernpartij's node: the person can be informed now (--inform), or\n"
    "         not yet, on a ground of art. 41 lid 1 UAVG (uavg-41-1-a .. uavg-41-1-j)\n"
    "         with a note for the file (art. 11.4) until the review date (after today);\n"
    "         `keten status` at the uitvoerder lists it when the date comes, and a\n"
    "         kernpartij decides again (art. 11.5).  Sent signed to the uitvoerder; waits\n"
    "         for its receipt and prints delivered or refused with the reason.\n"
    "inform   record that the person was informed: on which date, by which party, how;\n"
    "         only after a kernpartij decided that the person can be informed.\n"
    "letter   write the letter to the person (Dutch; art. 14 AVG) as\n"
    "         DIR/informatie-TASK.html and .txt (recorded as a read of personal data).\n";

const char cmd_review_usage[] =
    "Usage: keten review list [--json]\n"
    "       keten review record CASE_REF --result ok|correction-needed --note TEXT\n"
    "(uitvoerder)\n"
    "\n"
    "list    the worklist: subjects (weegploeg file, art. 8.3) and cases (casusoverleg\n"
    "        file, art. 10.3) not reviewed for accuracy for weegploeg/review-days.\n"
    "record  record a review of CASE_REF's records in both files: who (your OS user),\n"
    "        when, the result, a note. A correction found is made as a correction.\n";

/*  Each command's own usage; the limits are s_option's. */
#define S_JSON_HELP "  --json           print the daemon's answer as JSON\n"
static const cli_usage_t s_usages[] = {
    {"informatieplicht list",
     "Usage: keten informatieplicht list [--json]   (uitvoerder)\n"
     "\n"
     "The tasks to inform the person (art. 11.2), one per weegploeg decision: open,\n"
     "deferred (review date, deciding kernpartij), to-inform (cleared by a\n"
     "kernpartij) or informed.\n"
     "\n"
     "Options:\n" S_JSON_HELP},
    {"informatieplicht consult",
     "Usage: keten informatieplicht consult TASK --party ID [--json]   (uitvoerder)\n"
     "\n"
     "Record that kernpartij ID was consulted on task TASK (art. 11.3); needed before\n"
     "a kernpartij's decision is taken.\n"
     "\n"
     "Options:\n"
     "  --party ID       the kernpartij's roster id (at most 64 bytes)\n" S_JSON_HELP},
    {"informatieplicht decide",
     "Usage: keten informatieplicht decide TASK --inform [--json]   (kernpartij)\n"
     "       keten informatieplicht decide TASK --defer GROUND --note TEXT\n"
     "                                         --review YYYY-MM-DD [--json]\n"
     "\n"
     "At a kernpartij's node (art. 4): the person can be informed now, or not yet,\n"
     "on a ground of art. 41 lid 1 UAVG with a note for the file (art. 11.4) until\n"
     "the review date; keten status at the uitvoerder lists it when the date comes,\n"
     "and a kernpartij decides again (art. 11.5).  Sent signed to the uitvoerder;\n"
     "waits for its receipt and prints delivered or refused with the reason.\n"
     "\n"
     "Options:\n"
     "  --inform         the person can be informed now\n"
     "  --defer GROUND   not yet: uavg-41-1-a .. uavg-41-1-j (at most 16 bytes)\n"
     "  --note TEXT      why, for the file (at most 4000 bytes)\n"
     "  --review DATE    when to decide again (YYYY-MM-DD, after today)\n" S_JSON_HELP},
    {"informatieplicht inform",
     "Usage: keten informatieplicht inform TASK --on YYYY-MM-DD --by PARTY --how TEXT\n"
     "                                         [--json]   (uitvoerder)\n"
     "\n"
     "Record that the person was informed; only after a kernpartij decided that the\n"
     "person can be informed.\n"
     "\n"
     "Options:\n"
     "  --on DATE        the day the person was informed (YYYY-MM-DD)\n"
     "  --by PARTY       the party that informed them (at most 64 bytes)\n"
     "  --how TEXT       how (at most 4000 bytes)\n" S_JSON_HELP},
    {"informatieplicht letter",
     "Usage: keten informatieplicht letter TASK --out DIR   (uitvoerder)\n"
     "\n"
     "Write the letter to the person (Dutch; art. 14 AVG) as DIR/informatie-TASK.html\n"
     "and .txt (recorded as a read of personal data).\n"
     "\n"
     "Options:\n"
     "  --out DIR        the directory to write to (a path of at most 4032 bytes)\n"},
    {"review list", "Usage: keten review list [--json]   (uitvoerder)\n"
                    "\n"
                    "The accuracy review worklist: subjects (weegploeg file, art. 8.3) and cases\n"
                    "(casusoverleg file, art. 10.3) not reviewed for weegploeg/review-days.\n"
                    "\n"
                    "Options:\n" S_JSON_HELP},
    {"review record",
     "Usage: keten review record CASE_REF --result ok|correction-needed --note TEXT [--json]\n"
     "\n"
     "Record a review of CASE_REF's records in both files: who (your OS user), when,\n"
     "the result, a note (uitvoerder).  A correction found is made as a correction.\n"
     "\n"
     "Options:\n"
     "  --result R       ok or correction-needed\n"
     "  --note TEXT      the finding (at most 4000 bytes)\n" S_JSON_HELP},
    {NULL, NULL}};

enum {
    O_JSON = CLI_OPT_LONG + 1,
    O_PARTY,
    O_ON,
    O_BY,
    O_HOW,
    O_GROUND,
    O_NOTE,
    O_REVIEW,
    O_OUT,
    O_RESULT,
    O_INFORM,
    O_DEFER
};

typedef struct {
    bool as_json;
    const char *party, *on, *by, *how, *ground, *note, *review, *out, *result;
    bool inform;
} s_request_t;

static int
s_option (void *arg, const char *cmd, int opt, const char *value)
{
    s_request_t *r = arg;
    switch (opt) {
    case O_PARTY:
        return cli_opt_string (cmd, "party", value, 64, &r->party);
    case O_ON:
        return cli_opt_string (cmd, "on", value, 10, &r->on);
    case O_BY:
        return cli_opt_string (cmd, "by", value, 64, &r->by);
    case O_HOW:
        return cli_opt_string (cmd, "how", value, 4000, &r->how);
    case O_GROUND:
        return cli_opt_string (cmd, "ground", value, 16, &r->ground);
    case O_NOTE:
        return cli_opt_string (cmd, "note", value, 4000, &r->note);
    case O_REVIEW:
        return cli_opt_string (cmd, "review", value, 10, &r->review);
    case O_OUT:
        return cli_opt_string (cmd, "out", value, PATH_MAX - 64, &r->out);
    case O_RESULT:
        return cli_opt_string (cmd, "result", value, 32, &r->result);
    case O_INFORM:
        r->inform = true;
        return 0;
    case O_DEFER:
        return cli_opt_string (cmd, "defer", value, 16, &r->ground);
    default: /* O_JSON */
        r->as_json = true;
        return 0;
    }
}

/*  Options of cmd, then want arguments (0 or 1: *arg_p).  Returns 0, an
 *  exit code, or CLI_HELPED. */
static int
s_parse (const char *cmd, const char *usage, int argc, char **argv, const struct option *options,
         s_request_t *r, int want, const char **arg_p)
{
    int rc =
        cli_options (cmd, argc, argv, options, cli_usage_of (s_usages, cmd, usage), s_option, r);
    if (rc)
        return rc;
    if (argc - optind != want)
        return cli_usage_error (cmd, want ? "give exactly one %s" : "unexpected argument",
                                strstr (cmd, "review") ? "CASE_REF" : "TASK");
    if (want)
        *arg_p = argv[optind];
    return 0;
}

/*  Each option a command requires, by name. */
static int
s_need (const char *cmd, const char *value, const char *opt)
{
    return value ? 0 : cli_usage_error (cmd, "--%s is required", opt);
}

/* ---- informatieplicht ------------------------------------------------------ */

static int
s_print_tasks (json_t *result, const void *arg)
{
    (void) arg;
    static const char *const header[] = {"TASK",         "CASE_REF",    "DECISION",
                                         "OPENED (UTC)", "STATE",       "DECIDED BY",
                                         "CONSULTED",    "GROUND / BY", "REVIEW / ON"};
    cli_table_t *t = cli_table_new (9, header);
    json_t *x;
    size_t i;
    json_t *tasks = json_object_get (result, "tasks");
    json_array_foreach (tasks, i, x)
    {
        char id[CLI_CELL_MAX + 1], ref[CLI_CELL_MAX + 1], outcome[CLI_CELL_MAX + 1], opened[32],
            state[CLI_CELL_MAX + 1], consulted[CLI_CELL_MAX + 1], who[CLI_CELL_MAX + 1],
            when[CLI_CELL_MAX + 16], decided[CLI_CELL_MAX + 1];
        uint64_t v = 0;
        cli_json_uint (x, "opened_ms", &v);
        cli_fmt_time (opened, sizeof opened, v);
        json_t *c;
        size_t j;
        char joined[1024] = "";
        size_t used = 0;
        json_array_foreach (json_object_get (x, "consulted"), j, c)
        {
            const char *one = json_string_value (c) ? json_string_value (c) : "";
            size_t len = strlen (one);
            if (used + len + 2 > sizeof joined)
                break;
            if (j)
                joined[used++] = ',';
            memcpy (joined + used, one, len + 1);
            used += len;
        }
        cli_clean (consulted, sizeof consulted, joined);
        cli_json_str (x, "state", state, sizeof state);
        bool informed = strcmp (state, "informed") == 0, deferred = strcmp (state, "deferred") == 0;
        if (informed) {
            cli_json_str (x, "informed_by", who, sizeof who);
            cli_json_str (x, "informed_on", when, sizeof when);
        } else if (deferred) {
            char on[CLI_CELL_MAX + 1];
            cli_json_str (x, "ground", who, sizeof who);
            cli_json_str (x, "review_on", on, sizeof on);
            snprintf (when, sizeof when, "%s%s", on,
                      json_is_true (json_object_get (x, "review_due")) ? " DUE" : "");
        } else
            snprintf (who, sizeof who, "-"), snprintf (when, sizeof when, "-");
        cli_json_str (x, "decided_by", decided, sizeof decided);
        const char *cells[9] = {cli_json_str (x, "task_id", id, sizeof id),
                                cli_json_str (x, "case_ref", ref, sizeof ref),
                                cli_json_str (x, "outcome", outcome, sizeof outcome),
                                opened,
                                state,
                                *decided ? decided : "-",
                                *consulted ? consulted : "-",
                                who,
                                when};
        cli_table_add (t, cells);
    }
    if (json_array_size (tasks))
        cli_table_print (t);
    else
        printf ("no informatieplicht tasks\n");
    cli_table_destroy (&t);
    return CLI_OK;
}

static int
s_print_task (json_t *result, const void *arg)
{
    (void) arg;
    json_t *task = json_object_get (result, "task");
    char id[CLI_CELL_MAX + 1], state[CLI_CELL_MAX + 1];
    printf ("%s %s\n", cli_json_str (task, "task_id", id, sizeof id),
            cli_json_str (task, "state", state, sizeof state));
    return CLI_OK;
}

int
cmd_informatieplicht_list (cli_t *cli, int argc, char **argv)
{
    static const struct option options[] = {{"json", no_argument, NULL, O_JSON},
                                            {"help", no_argument, NULL, CLI_OPT_HELP},
                                            {NULL, 0, NULL, 0}};
    s_request_t r = {0};
    int rc = s_parse ("informatieplicht list", cmd_informatieplicht_usage, argc, argv, options, &r,
                      0, NULL);
    if (rc)
        return CLI_DONE (rc);
    return cli_request (cli, "informatieplicht.list", json_object (), CLI_TIMEOUT_MS, r.as_json,
                        s_print_tasks, NULL);
}

int
cmd_informatieplicht_consult (cli_t *cli, int argc, char **argv)
{
    const char *cmd = "informatieplicht consult";
    static const struct option options[] = {{"party", required_argument, NULL, O_PARTY},
                                            {"json", no_argument, NULL, O_JSON},
                                            {"help", no_argument, NULL, CLI_OPT_HELP},
                                            {NULL, 0, NULL, 0}};
    s_request_t r = {0};
    const char *task = NULL;
    int rc = s_parse (cmd, cmd_informatieplicht_usage, argc, argv, options, &r, 1, &task);
    if (!rc)
        rc = s_need (cmd, r.party, "party");
    if (rc)
        return CLI_DONE (rc);
    return cli_request (cli, "informatieplicht.consult",
                        json_pack ("{s:s, s:s}", "task_id", task, "party", r.party), CLI_TIMEOUT_MS,
                        r.as_json, s_print_task, NULL);
}

int
cmd_informatieplicht_inform (cli_t *cli, int argc, char **argv)
{
    const char *cmd = "informatieplicht inform";
    static const struct option options[] = {
        {"on", required_argument, NULL, O_ON},     {"by", required_argument, NULL, O_BY},
        {"how", required_argument, NULL, O_HOW},   {"json", no_argument, NULL, O_JSON},
        {"help", no_argument, NULL, CLI_OPT_HELP}, {NULL, 0, NULL, 0}};
    s_request_t r = {0};
    const char *task = NULL;
    int rc = s_parse (cmd, cmd_informatieplicht_usage, argc, argv, options, &r, 1, &task);
    if (!rc)
        rc = s_need (cmd, r.on, "on");
    if (!rc)
        rc = s_need (cmd, r.by, "by");
    if (!rc)
        rc = s_need (cmd, r.how, "how");
    if (rc)
        return CLI_DONE (rc);
    return cli_request (
        cli, "informatieplicht.inform",
        json_pack ("{s:s, s:s, s:s, s:s}", "task_id", task, "on", r.on, "by", r.by, "how", r.how),
        CLI_TIMEOUT_MS, r.as_json, s_print_task, NULL);
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
cmd_informatieplicht_decide (cli_t *cli, int argc, char **argv)
{
    const char *cmd = "informatieplicht decide";
    static const struct option options[] = {{"inform", no_argument, NULL, O_INFORM},
                                            {"defer", required_argument, NULL, O_DEFER},
                                            {"note", required_argument, NULL, O_NOTE},
                                            {"review", required_argument, NULL, O_REVIEW},
                                            {"json", no_argument, NULL, O_JSON},
                                            {"help", no_argument, NULL, CLI_OPT_HELP},
                                            {NULL, 0, NULL, 0}};
    s_request_t r = {0};
    const char *task = NULL;
    int rc = s_parse (cmd, cmd_informatieplicht_usage, argc, argv, options, &r, 1, &task);
    if (!rc && r.inform == !!r.ground)
        rc = cli_usage_error (cmd, "give --inform or --defer GROUND");
    if (!rc && r.inform && (r.note || r.review))
        rc = cli_usage_error (cmd, "--note and --review go with --defer");
    if (!rc && r.ground)
        rc = s_need (cmd, r.note, "note");
    if (!rc && r.ground)
        rc = s_need (cmd, r.review, "review");
    if (rc)
        return CLI_DONE (rc);
    json_t *args = json_pack ("{s:s, s:s, s:b}", "task_id", task, "outcome",
                              r.inform ? "inform" : "defer", "wait", 1);
    if (r.ground) {
        json_object_set_new (args, "ground", json_string (r.ground));
        json_object_set_new (args, "note", json_string (r.note));
        json_object_set_new (args, "review_on", json_string (r.review));
    }
    return cli_request (cli, "informatieplicht.decide", args, CLI_WAIT_TIMEOUT_MS, r.as_json,
                        s_print_sent, NULL);
}

/*  DIR/informatie-TASK.EXT, mode 0600: it names the person. */
static int
s_write (const char *dir, const char *task, const char *ext, const char *body)
{
    char path[PATH_MAX];
    kt_reason_t reason;
    snprintf (path, sizeof path, "%s/informatie-%s.%s", dir, task, ext);
    if (kt_write_file (path, body, strlen (body), 0600, &reason) != 0) {
        cli_error ("%s", reason.text);
        return CLI_FAIL;
    }
    printf ("%s\n", path);
    return CLI_OK;
}

int
cmd_informatieplicht_letter (cli_t *cli, int argc, char **argv)
{
    const char *cmd = "informatieplicht letter";
    static const struct option options[] = {{"out", required_argument, NULL, O_OUT},
                                            {"help", no_argument, NULL, CLI_OPT_HELP},
                                            {NULL, 0, NULL, 0}};
    s_request_t r = {0};
    const char *task = NULL;
    int rc = s_parse (cmd, cmd_informatieplicht_usage, argc, argv, options, &r, 1, &task);
    if (!rc)
        rc = s_need (cmd, r.out, "out");
    /*  The task id names the files: keten's own form only. */
    bool ok = !rc && strlen (task) == 18 && strncmp (task, "t-", 2) == 0;
    for (const char *p = task ? task + 2 : ""; ok && *p; p++)
        ok = (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f');
    if (!rc && !ok)
        rc = cli_usage_error (cmd, "TASK must be t- and 16 hex digits");
    struct stat st;
    if (!rc && (stat (r.out, &st) != 0 || !S_ISDIR (st.st_mode)))
        rc = cli_usage_error (cmd, "--out must be an existing directory");
    if (rc)
        return CLI_DONE (rc);
    json_t *result = cli_call (cli, "informatieplicht.letter", json_pack ("{s:s}", "task_id", task),
                               CLI_TIMEOUT_MS, NULL);
    if (!result)
        return CLI_FAIL;
    const char *html = json_string_value (json_object_get (result, "html"));
    const char *text = json_string_value (json_object_get (result, "text"));
    rc = html && text ? CLI_OK : CLI_FAIL;
    if (rc != CLI_OK)
        cli_error ("the node sent no letter");
    if (rc == CLI_OK)
        rc = s_write (r.out, task, "html", html);
    if (rc == CLI_OK)
        rc = s_write (r.out, task, "txt", text);
    json_decref (result);
    return rc;
}

/* ---- review ----------------------------------------------------------------- */

static int
s_print_review (json_t *result, const void *arg)
{
    (void) arg;
    static const char *const header[] = {"CASE_REF", "FILE", "SINCE (UTC)", "LAST RESULT", "BY"};
    cli_table_t *t = cli_table_new (5, header);
    json_t *x;
    size_t i;
    json_t *due = json_object_get (result, "due");
    json_array_foreach (due, i, x)
    {
        char ref[CLI_CELL_MAX + 1], file[CLI_CELL_MAX + 1], since[32], res[CLI_CELL_MAX + 1],
            by[CLI_CELL_MAX + 1];
        uint64_t v = 0;
        cli_json_uint (x, "since_ms", &v);
        cli_fmt_time (since, sizeof since, v);
        bool reviewed = json_is_true (json_object_get (x, "reviewed"));
        const char *cells[5] = {cli_json_str (x, "case_ref", ref, sizeof ref),
                                cli_json_str (x, "file", file, sizeof file), since,
                                reviewed ? cli_json_str (x, "last_result", res, sizeof res)
                                         : "never reviewed",
                                reviewed ? cli_json_str (x, "last_user", by, sizeof by) : "-"};
        cli_table_add (t, cells);
    }
    uint64_t days = 0;
    cli_json_uint (result, "review_days", &days);
    if (json_array_size (due)) {
        printf ("not reviewed for %llu days or more:\n", (unsigned long long) days);
        cli_table_print (t);
    } else
        printf ("nothing due for review (period %llu days)\n", (unsigned long long) days);
    cli_table_destroy (&t);
    return CLI_OK;
}

static int
s_print_recorded (json_t *result, const void *arg)
{
    (void) arg;
    char ref[CLI_CELL_MAX + 1], res[CLI_CELL_MAX + 1];
    printf ("%s reviewed: %s\n", cli_json_str (result, "case_ref", ref, sizeof ref),
            cli_json_str (result, "result", res, sizeof res));
    return CLI_OK;
}

int
cmd_review_list (cli_t *cli, int argc, char **argv)
{
    static const struct option options[] = {{"json", no_argument, NULL, O_JSON},
                                            {"help", no_argument, NULL, CLI_OPT_HELP},
                                            {NULL, 0, NULL, 0}};
    s_request_t r = {0};
    int rc = s_parse ("review list", cmd_review_usage, argc, argv, options, &r, 0, NULL);
    if (rc)
        return CLI_DONE (rc);
    return cli_request (cli, "review.list", json_object (), CLI_TIMEOUT_MS, r.as_json,
                        s_print_review, NULL);
}

int
cmd_review_record (cli_t *cli, int argc, char **argv)
{
    const char *cmd = "review record";
    static const struct option options[] = {{"result", required_argument, NULL, O_RESULT},
                                            {"note", required_argument, NULL, O_NOTE},
                                            {"json", no_argument, NULL, O_JSON},
                                            {"help", no_argument, NULL, CLI_OPT_HELP},
                                            {NULL, 0, NULL, 0}};
    s_request_t r = {0};
    const char *ref = NULL;
    int rc = s_parse (cmd, cmd_review_usage, argc, argv, options, &r, 1, &ref);
    if (!rc)
        rc = s_need (cmd, r.result, "result");
    if (!rc)
        rc = s_need (cmd, r.note, "note");
    if (!rc && strcmp (r.result, "ok") != 0 && strcmp (r.result, "correction-needed") != 0)
        rc = cli_usage_error (cmd, "--result is ok or correction-needed");
    if (rc)
        return CLI_DONE (rc);
    return cli_request (
        cli, "review.record",
        json_pack ("{s:s, s:s, s:s}", "case_ref", ref, "result", r.result, "note", r.note),
        CLI_TIMEOUT_MS, r.as_json, s_print_recorded, NULL);
}
