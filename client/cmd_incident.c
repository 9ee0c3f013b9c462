/*  keten incident report / list / show / close: the incident register
 *  (art. 15.2g) and the 72 hours of AVG art. 33.  */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char s_usage[] =
    "Usage: keten incident report --what TEXT --found YYYY-MM-DDTHH:MM --data-kind KIND [...]\n"
    "                             [--subjects N] [--wait]\n"
    "       keten incident list [--json]                    (uitvoerder)\n"
    "       keten incident show ID [--json]                 (uitvoerder)\n"
    "       keten incident close ID (--ap-notified YYYY-MM-DDTHH:MM | --ap-not-required REASON)\n"
    "\n"
    "report  any node reports a data incident to the uitvoerder's register: what happened\n"
    "        (describe kinds of data, not people), when it was found (local time), which\n"
    "        kinds of data, how many subjects.\n"
    "list    the register, with the AVG art. 33 deadline for notifying the Autoriteit\n"
    "        Persoonsgegevens: 72 hours from when the incident was found.\n"
    "close   record that the AP was notified (when) or why notification is not required.\n";

/*  Local YYYY-MM-DDTHH:MM as ms since the epoch; 0 when it is not one. */
static uint64_t
s_parse_local (const char *text)
{
    struct tm tm = {0};
    const char *end = strptime (text, "%Y-%m-%dT%H:%M", &tm);
    if (!end || *end)
        return 0;
    tm.tm_isdst = -1;
    time_t t = mktime (&tm);
    return t > 0 ? (uint64_t) t * 1000 : 0;
}

static void
s_print (json_t *list, const char *only)
{
    static const char *const header[] = {"ID", "REPORTER", "FOUND (UTC)", "AP DEADLINE (UTC)",
                                         "AP", "KINDS",    "SUBJECTS"};
    cli_table_t *t = cli_table_new (7, header);
    json_t *x;
    size_t i;
    json_array_foreach (list, i, x)
    {
        char id[CLI_CELL_MAX + 1], who[CLI_CELL_MAX + 1], found[32], deadline[32],
            ap[CLI_CELL_MAX + 1], kinds[CLI_CELL_MAX + 1], subjects[24];
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
        const char *cells[7] = {id,
                                cli_json_str (x, "reporter", who, sizeof who),
                                found,
                                deadline,
                                cli_json_str (x, "ap", ap, sizeof ap),
                                cli_json_str (x, "data_kinds", kinds, sizeof kinds),
                                subjects};
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

int
cmd_incident (cli_t *cli, int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error ("incident", "which incident command? (report, list, show, close)");
    if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0) {
        fputs (s_usage, stdout);
        return CLI_OK;
    }
    const char *sub = argv[1];
    char cmd[32];
    snprintf (cmd, sizeof cmd, "incident %.16s", sub);
    enum {
        O_WHAT = CLI_OPT_LONG + 1,
        O_FOUND,
        O_KIND,
        O_SUBJECTS,
        O_WAIT,
        O_NOTIFIED,
        O_NOTREQ,
        O_JSON
    };
    static const struct option options[] = {{"what", required_argument, NULL, O_WHAT},
                                            {"found", required_argument, NULL, O_FOUND},
                                            {"data-kind", required_argument, NULL, O_KIND},
                                            {"subjects", required_argument, NULL, O_SUBJECTS},
                                            {"wait", no_argument, NULL, O_WAIT},
                                            {"ap-notified", required_argument, NULL, O_NOTIFIED},
                                            {"ap-not-required", required_argument, NULL, O_NOTREQ},
                                            {"json", no_argument, NULL, O_JSON},
                                            {"help", no_argument, NULL, CLI_OPT_HELP},
                                            {NULL, 0, NULL, 0}};
    json_t *args = json_object (), *kinds = json_array ();
    bool as_json = false;
    int c, rc = CLI_OK;
    cli_getopt_reset ();
    while (rc == CLI_OK && (c = getopt_long (argc - 1, argv + 1, ":h", options, NULL)) != -1) {
        uint64_t v;
        switch (c) {
        case O_WHAT:
            json_object_set_new (args, "what", json_string (optarg));
            break;
        case O_FOUND:
        case O_NOTIFIED:
            if (!(v = s_parse_local (optarg)))
                rc = cli_usage_error (cmd, "times are YYYY-MM-DDTHH:MM, local time");
            else
                json_object_set_new (args, c == O_FOUND ? "found_ms" : "ap_notified_ms",
                                     json_integer ((json_int_t) v));
            break;
        case O_KIND:
            if (json_array_size (kinds) >= 16 || !*optarg || strlen (optarg) > 64)
                rc = cli_usage_error (cmd, "1..16 --data-kind values of 1..64 bytes");
            else
                json_array_append_new (kinds, json_string (optarg));
            break;
        case O_SUBJECTS:
            if (cli_opt_uint (cmd, "subjects", optarg, 0, 10000000, &v))
                rc = CLI_USAGE;
            else
                json_object_set_new (args, "subjects", json_integer ((json_int_t) v));
            break;
        case O_WAIT:
            json_object_set_new (args, "wait", json_true ());
            break;
        case O_NOTREQ:
            json_object_set_new (args, "ap_not_required", json_string (optarg));
            break;
        case O_JSON:
            as_json = true;
            break;
        case 'h':
        case CLI_OPT_HELP:
            fputs (s_usage, stdout);
            json_decref (args);
            json_decref (kinds);
            return CLI_OK;
        default:
            rc = cli_getopt_error (cmd, c, argv + 1);
        }
    }
    int positional = argc - 1 - optind;
    const char *call = NULL, *only = NULL;
    if (rc == CLI_OK) {
        if (strcmp (sub, "report") == 0 && positional == 0) {
            call = "incident.report";
            json_object_set (args, "data_kinds", kinds);
        } else if (strcmp (sub, "list") == 0 && positional == 0)
            call = "incident.list";
        else if (strcmp (sub, "show") == 0 && positional == 1) {
            call = "incident.list";
            only = argv[optind + 1];
        } else if (strcmp (sub, "close") == 0 && positional == 1) {
            call = "incident.close";
            json_object_set_new (args, "incident_id", json_string (argv[optind + 1]));
        } else
            rc = cli_usage_error ("incident", "see keten incident --help");
    }
    json_decref (kinds);
    if (rc != CLI_OK) {
        json_decref (args);
        return rc;
    }
    bool wait = json_is_true (json_object_get (args, "wait"));
    json_t *result = cli_call (cli, call, args, wait ? CLI_WAIT_TIMEOUT_MS : CLI_TIMEOUT_MS, NULL);
    if (!result)
        return CLI_FAIL;
    if (as_json)
        rc = cli_print_json (result);
    else if (strcmp (call, "incident.list") == 0)
        s_print (json_object_get (result, "incidents"), only);
    else {
        char a[CLI_CELL_MAX + 1], b[CLI_CELL_MAX + 1], why[512];
        json_t *r = json_object_get (result, "reason");
        cli_clean (why, sizeof why, json_is_string (r) ? json_string_value (r) : "");
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
