/*  keten incident report / list / show / update / close: the incident
 *  register (art. 15.2g), the 72 hours of AVG art. 33 and whether the
 *  persons concerned were informed (AVG art. 34).  */
#include "cli.h"

#include "calendar.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

const char cmd_incident_usage[] =
    "Usage: keten incident report --what TEXT --found YYYY-MM-DDTHH:MM --data-kind KIND [...]\n"
    "                             [--subjects N] [--wait]\n"
    "       keten incident list [--limit N] [--json]        (uitvoerder, kernpartij)\n"
    "       keten incident show ID [--json]                 (uitvoerder, kernpartij)\n"
    "       keten incident update ID [--persons-informed yes|no|not-required [--note TEXT]]\n"
    "                                [--handling TEXT]\n"
    "                                [--ap-notified YYYY-MM-DDTHH:MM | --ap-not-required REASON]\n"
    "                                                       (uitvoerder)\n"
    "       keten incident close ID [--ap-notified YYYY-MM-DDTHH:MM | --ap-not-required REASON]\n"
    "                               [--persons-informed ... [--note TEXT]] [--handling TEXT]\n"
    "                                                       (uitvoerder)\n"
    "\n"
    "report  any node reports a data incident to the uitvoerder's register: what happened\n"
    "        (describe kinds of data, not people; a BSN is refused), when it was found\n"
    "        (Dutch time, Europe/Amsterdam), which kinds of data, how many subjects.\n"
    "list    the register, newest first (the 100 newest unless --limit N, up to 10000),\n"
    "        with the AVG art. 33 deadline for notifying the Autoriteit\n"
    "        Persoonsgegevens (72 hours from when the incident was found) and whether\n"
    "        the persons concerned were informed (AVG art. 34).  At a kernpartij node:\n"
    "        the copy the uitvoerder sends every kernpartij at each change.\n"
    "update  record whether the persons concerned were informed (AVG art. 34; no and\n"
    "        not-required with --note saying why), how the incident was handled, and\n"
    "        that the AP was notified (when) or why notification is not required\n"
    "        (AVG art. 33), each as soon as it is so.\n"
    "close   close the incident, once the AP outcome, persons informed and handling\n"
    "        are recorded (here or by update before).\n";

/*  Each command's own usage.  Texts are checked at the uitvoerder: at most
 *  4000 bytes (INCIDENT_TEXT_MAX), no BSN. */
#define S_TEXT_LIMIT "at most 4000 bytes; no BSN"
static const cli_usage_t s_usages[] = {
    {"incident report",
     "Usage: keten incident report --what TEXT --found YYYY-MM-DDTHH:MM --data-kind KIND [...]\n"
     "                             [--subjects N] [--wait] [--json]\n"
     "\n"
     "Report a data incident to the uitvoerder's register (any node; art. 15.2g).\n"
     "\n"
     "Options:\n"
     "  --what TEXT           what happened (" S_TEXT_LIMIT ")\n"
     "  --found TIME          when it was found, Dutch time (Europe/Amsterdam), e.g.\n"
     "                        2026-11-23T09:15; in the hour the autumn clock change\n"
     "                        repeats add the offset: ...T02:10+02:00 (the first) or\n"
     "                        +01:00 (the second); a time the spring change skips\n"
     "                        is refused\n"
     "  --data-kind KIND      a kind of data concerned: a word of letters, - and _\n"
     "                        (1..64, 1..16 times)\n"
     "  --subjects N          how many persons are concerned (0..10000000)\n"
     "  --wait                wait up to 120 s (not 10 s) for the outcome\n"
     "  --json                print the daemon's answer as JSON\n"},
    {"incident list",
     "Usage: keten incident list [--limit N] [--json]\n"
     "\n"
     "The incident register (uitvoerder, kernpartij), newest first, with the AVG\n"
     "art. 33 deadline for notifying the Autoriteit Persoonsgegevens (72 hours\n"
     "from when the incident was found) and whether the persons concerned were\n"
     "informed (AVG art. 34).  At a kernpartij node: the copy the uitvoerder sends\n"
     "every kernpartij at each change.  The 100 newest unless --limit says\n"
     "otherwise; the JSON answer says whether there were more (truncated).\n"
     "\n"
     "Options:\n"
     "  --limit N             the N newest (1..10000; 100)\n"
     "  --json                print the daemon's answer as JSON\n"},
    {"incident show", "Usage: keten incident show ID [--json]\n"
                      "\n"
                      "One incident of the register (uitvoerder, kernpartij).\n"
                      "\n"
                      "Options:\n"
                      "  --json                print the daemon's answer as JSON\n"},
    {"incident update",
     "Usage: keten incident update ID [--persons-informed yes|no|not-required [--note TEXT]]\n"
     "                                [--handling TEXT]\n"
     "                                [--ap-notified YYYY-MM-DDTHH:MM | --ap-not-required R]\n"
     "                                [--json]\n"
     "\n"
     "Record whether the persons concerned were informed (AVG art. 34), how the\n"
     "incident was handled, and that the Autoriteit Persoonsgegevens was notified\n"
     "(when) or why notification is not required (AVG art. 33; uitvoerder).  Once the\n"
     "AP outcome is recorded the incident no longer counts against the 72 hours,\n"
     "while it stays open until it is handled.  Give at least one of them.\n"
     "\n"
     "Options:\n"
     "  --ap-notified TIME    when the AP was notified, Dutch time (Europe/Amsterdam),\n"
     "                        e.g. 2026-11-24T10:00; in the hour the autumn clock\n"
     "                        change repeats add +02:00 (the first) or +01:00 (the\n"
     "                        second); a time the spring change skips is refused\n"
     "  --ap-not-required R   why notifying the AP is not required (" S_TEXT_LIMIT ")\n"
     "  --persons-informed A  yes, no or not-required (no and not-required with --note)\n"
     "  --note TEXT           why not (" S_TEXT_LIMIT ")\n"
     "  --handling TEXT       how it was handled (" S_TEXT_LIMIT ")\n"
     "  --json                print the daemon's answer as JSON\n"},
    {"incident close",
     "Usage: keten incident close ID [--ap-notified YYYY-MM-DDTHH:MM | --ap-not-required REASON]\n"
     "                               [--persons-informed yes|no|not-required [--note TEXT]]\n"
     "                               [--handling TEXT] [--json]\n"
     "\n"
     "Close an incident (uitvoerder): only once the AP outcome (AVG art. 33: that the\n"
     "Autoriteit Persoonsgegevens was notified, when, or why notification is not\n"
     "required), persons informed and handling are recorded, here or by update.\n"
     "\n"
     "Options:\n"
     "  --ap-notified TIME    when the AP was notified, Dutch time (Europe/Amsterdam),\n"
     "                        e.g. 2026-11-24T10:00; in the hour the autumn clock\n"
     "                        change repeats add +02:00 (the first) or +01:00 (the\n"
     "                        second); a time the spring change skips is refused\n"
     "  --ap-not-required R   why notifying the AP is not required (" S_TEXT_LIMIT ")\n"
     "  --persons-informed A  yes, no or not-required (no and not-required with --note)\n"
     "  --note TEXT           why not (" S_TEXT_LIMIT ")\n"
     "  --handling TEXT       how it was handled (" S_TEXT_LIMIT ")\n"
     "  --json                print the daemon's answer as JSON\n"},
    {NULL, NULL}};

static void
s_print (json_t *list, const char *only)
{
    static const char *const header[] = {"ID", "REPORTER", "FOUND (UTC)", "AP DEADLINE (UTC)",
                                         "AP", "KINDS",    "SUBJECTS",    "INFORMED"};
    cli_table_t *t = cli_table_new (8, header);
    json_t *x;
    size_t i;
    json_array_foreach (list, i, x)
    {
        char id[CLI_CELL_MAX + 1], who[CLI_CELL_MAX + 1], found[32], deadline[32],
            ap[CLI_CELL_MAX + 1], kinds[CLI_CELL_MAX + 1], subjects[24], informed[CLI_CELL_MAX + 1];
        uint64_t v = 0;
        cli_json_str (x, "id", id, sizeof id);
        if (only && strcmp (id, only) != 0)
            continue;
        cli_json_uint (x, "found_ms", &v);
        cli_fmt_time (found, sizeof found, v);
        cli_json_uint (x, "ap_deadline_ms", &v);
        cli_fmt_time (deadline, sizeof deadline, v);
        v = 0;
        cli_json_uint (x, "subjects", &v);
        snprintf (subjects, sizeof subjects, "%llu", (unsigned long long) v);
        const char *cells[8] = {id,
                                cli_json_str (x, "reporter", who, sizeof who),
                                found,
                                deadline,
                                cli_json_str (x, "ap", ap, sizeof ap),
                                cli_json_str (x, "data_kinds", kinds, sizeof kinds),
                                subjects,
                                cli_json_str (x, "persons_informed", informed, sizeof informed)};
        cli_table_add (t, cells);
        if (only) {
            char what[2048];
            json_t *w = json_object_get (x, "what");
            cli_clean (what, sizeof what, json_is_string (w) ? json_string_value (w) : "");
            cli_table_print (t);
            cli_table_destroy (&t);
            printf ("\nwhat happened: %s\n", what);
            json_t *nr = json_object_get (x, "ap_not_required");
            if (json_is_string (nr)) {
                cli_clean (what, sizeof what, json_string_value (nr));
                printf ("AP notification not required: %s\n", what);
            }
            json_t *note = json_object_get (x, "persons_informed_note");
            cli_clean (what, sizeof what, json_is_string (note) ? json_string_value (note) : "");
            printf ("persons informed (AVG art. 34): %s%s%s\n", informed, *what ? ": " : "", what);
            json_t *h = json_object_get (x, "handling");
            cli_clean (what, sizeof what, json_is_string (h) ? json_string_value (h) : "");
            printf ("handling: %s\n", *what ? what : "not recorded");
            return;
        }
    }
    if (only) {
        cli_table_destroy (&t);
        cli_error ("no incident %s", only);
        return;
    }
    cli_table_print (t);
    cli_table_destroy (&t);
}

/*  What the four commands are given (each takes every option, as they
 *  always have; the daemon ignores what a command does not use). */
typedef struct {
    json_t *args;
    json_t *kinds; /* the --data-kind values */
    bool as_json;
} s_request_t;

enum {
    O_WHAT = CLI_OPT_LONG + 1,
    O_FOUND,
    O_KIND,
    O_SUBJECTS,
    O_WAIT,
    O_NOTIFIED,
    O_NOTREQ,
    O_JSON,
    O_INFORMED,
    O_NOTE,
    O_HANDLING,
    O_LIMIT
};

/*  --found or --ap-notified: a time on the Dutch calendar, whatever the
 *  CLI's TZ (the same input gives the same art. 33 deadline everywhere),
 *  as found_ms or ap_notified_ms. */
static int
s_time_option (s_request_t *r, const char *cmd, const char *name, const char *value)
{
    uint64_t ms;
    kt_reason_t why;
    if (kt_local_parse (value, &ms, &why) != 0)
        return cli_usage_error (cmd, "--%s: %s", name, why.text);
    json_object_set_new (r->args, strcmp (name, "found") == 0 ? "found_ms" : "ap_notified_ms",
                         json_integer ((json_int_t) ms));
    return 0;
}

static int
s_option (void *arg, const char *cmd, int opt, const char *value)
{
    s_request_t *r = arg;
    uint64_t v;
    switch (opt) {
    case O_WHAT:
        json_object_set_new (r->args, "what", json_string (value));
        return 0;
    case O_FOUND:
        return s_time_option (r, cmd, "found", value);
    case O_NOTIFIED:
        return s_time_option (r, cmd, "ap-notified", value);
    case O_KIND:
        if (json_array_size (r->kinds) >= 16 || !*value || strlen (value) > 64)
            return cli_usage_error (cmd, "1..16 --data-kind values of 1..64 bytes");
        json_array_append_new (r->kinds, json_string (value));
        return 0;
    case O_SUBJECTS:
        if (cli_opt_uint (cmd, "subjects", value, 0, 10000000, &v))
            return CLI_USAGE;
        json_object_set_new (r->args, "subjects", json_integer ((json_int_t) v));
        return 0;
    case O_WAIT:
        json_object_set_new (r->args, "wait", json_true ());
        return 0;
    case O_NOTREQ:
        json_object_set_new (r->args, "ap_not_required", json_string (value));
        return 0;
    case O_INFORMED:
        if (strcmp (value, "yes") && strcmp (value, "no") && strcmp (value, "not-required"))
            return cli_usage_error (cmd, "--persons-informed is yes, no or not-required");
        json_object_set_new (r->args, "persons_informed", json_string (value));
        return 0;
    case O_NOTE:
        json_object_set_new (r->args, "persons_informed_note", json_string (value));
        return 0;
    case O_HANDLING:
        json_object_set_new (r->args, "handling", json_string (value));
        return 0;
    case O_LIMIT:
        if (cli_opt_uint (cmd, "limit", value, 1, 10000, &v))
            return CLI_USAGE;
        json_object_set_new (r->args, "limit", json_integer ((json_int_t) v));
        return 0;
    default: /* O_JSON */
        r->as_json = true;
        return 0;
    }
}

/*  Parse the options into r (r->args new; its data_kinds when report
 *  is true) and check that positional arguments are left.  Returns an
 *  exit code, or CLI_HELPED; r->args is released unless CLI_OK. */
static int
s_parse (int argc, char **argv, int positional, bool report, s_request_t *r)
{
    static const struct option options[] = {
        {"what", required_argument, NULL, O_WHAT},
        {"found", required_argument, NULL, O_FOUND},
        {"data-kind", required_argument, NULL, O_KIND},
        {"subjects", required_argument, NULL, O_SUBJECTS},
        {"wait", no_argument, NULL, O_WAIT},
        {"ap-notified", required_argument, NULL, O_NOTIFIED},
        {"ap-not-required", required_argument, NULL, O_NOTREQ},
        {"persons-informed", required_argument, NULL, O_INFORMED},
        {"note", required_argument, NULL, O_NOTE},
        {"handling", required_argument, NULL, O_HANDLING},
        {"limit", required_argument, NULL, O_LIMIT},
        {"json", no_argument, NULL, O_JSON},
        {"help", no_argument, NULL, CLI_OPT_HELP},
        {NULL, 0, NULL, 0}};
    char cmd[32];
    snprintf (cmd, sizeof cmd, "incident %.16s", argv[0]);
    *r = (s_request_t){json_object (), json_array (), false};
    int rc = cli_options (cmd, argc, argv, options,
                          cli_usage_of (s_usages, cmd, cmd_incident_usage), s_option, r);
    if (rc == CLI_OK && argc - optind != positional)
        rc = cli_usage_error (cmd, "wrong number of arguments");
    if (rc == CLI_OK && report)
        json_object_set (r->args, "data_kinds", r->kinds);
    json_decref (r->kinds);
    if (rc != CLI_OK)
        json_decref (r->args);
    return rc;
}

/*  Send r to the daemon (r->args stolen); its answer, or NULL. */
static json_t *
s_call (cli_t *cli, const char *call, s_request_t *r)
{
    bool wait = json_is_true (json_object_get (r->args, "wait"));
    return cli_call (cli, call, r->args, wait ? CLI_WAIT_TIMEOUT_MS : CLI_TIMEOUT_MS, NULL);
}

/*  report and close answer with a state (and a reason when refused). */
static int
s_state (cli_t *cli, const char *call, s_request_t *r)
{
    json_t *result = s_call (cli, call, r);
    if (!result)
        return CLI_FAIL;
    int rc = CLI_OK;
    if (r->as_json)
        rc = cli_print_json (result);
    else {
        char a[CLI_CELL_MAX + 1], b[CLI_CELL_MAX + 1], why[512];
        json_t *reason = json_object_get (result, "reason");
        cli_clean (why, sizeof why, json_is_string (reason) ? json_string_value (reason) : "");
        const char *id = json_object_get (result, "incident_id")
                             ? cli_json_str (result, "incident_id", a, sizeof a)
                             : cli_json_str (result, "message_id", a, sizeof a);
        const char *state = cli_json_str (result, "state", b, sizeof b);
        printf ("%s %s%s%s\n", id, state, *why ? ": " : "", why);
        if (strcmp (state, "refused") == 0)
            rc = CLI_FAIL;
    }
    json_decref (result);
    return rc;
}

/*  list and show read the register (show: one incident of it). */
static int
s_register (cli_t *cli, s_request_t *r, const char *only)
{
    json_t *result = s_call (cli, "incident.list", r);
    if (!result)
        return CLI_FAIL;
    int rc = CLI_OK;
    if (r->as_json)
        rc = cli_print_json (result);
    else {
        s_print (json_object_get (result, "incidents"), only);
        if (!only && json_is_true (json_object_get (result, "truncated")))
            printf ("(the %zu newest; keten incident list --limit N for more)\n",
                    json_array_size (json_object_get (result, "incidents")));
    }
    json_decref (result);
    return rc;
}

int
cmd_incident_report (cli_t *cli, int argc, char **argv)
{
    s_request_t r;
    int rc = s_parse (argc, argv, 0, true, &r);
    if (rc)
        return CLI_DONE (rc);
    return s_state (cli, "incident.report", &r);
}

int
cmd_incident_list (cli_t *cli, int argc, char **argv)
{
    s_request_t r;
    int rc = s_parse (argc, argv, 0, false, &r);
    if (rc)
        return CLI_DONE (rc);
    return s_register (cli, &r, NULL);
}

int
cmd_incident_show (cli_t *cli, int argc, char **argv)
{
    s_request_t r;
    int rc = s_parse (argc, argv, 1, false, &r);
    if (rc)
        return CLI_DONE (rc);
    /*  The daemon reads that one, however far down the list it is. */
    json_object_set_new (r.args, "incident_id", json_string (argv[optind]));
    return s_register (cli, &r, argv[optind]);
}

int
cmd_incident_close (cli_t *cli, int argc, char **argv)
{
    s_request_t r;
    int rc = s_parse (argc, argv, 1, false, &r);
    if (rc)
        return CLI_DONE (rc);
    json_object_set_new (r.args, "incident_id", json_string (argv[optind]));
    return s_state (cli, "incident.close", &r);
}

int
cmd_incident_update (cli_t *cli, int argc, char **argv)
{
    s_request_t r;
    int rc = s_parse (argc, argv, 1, false, &r);
    if (rc)
        return CLI_DONE (rc);
    if (!json_object_get (r.args, "persons_informed") && !json_object_get (r.args, "handling") &&
        !json_object_get (r.args, "ap_notified_ms") &&
        !json_object_get (r.args, "ap_not_required")) {
        json_decref (r.args);
        return cli_usage_error ("incident update",
                                "give --persons-informed, --handling, --ap-notified or "
                                "--ap-not-required");
    }
    if (json_object_get (r.args, "ap_notified_ms") && json_object_get (r.args, "ap_not_required")) {
        json_decref (r.args);
        return cli_usage_error ("incident update",
                                "give --ap-notified or --ap-not-required, not both");
    }
    json_object_set_new (r.args, "incident_id", json_string (argv[optind]));
    return s_state (cli, "incident.update", &r);
}
