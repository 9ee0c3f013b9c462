/*  keten weegploeg agenda / meetings and keten casusoverleg agenda /
 *  meetings (uitvoerder), keten agenda list / show (partner nodes):
 *  weegploeg and casusoverleg meetings and their agendas.  */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#define MAX_CASES 64

static void
s_plan_usage (void)
{
    printf ("Usage: keten weegploeg agenda --start YYYY-MM-DDTHH:MM --location TEXT\n"
            "                              --case CASE_REF [--case CASE_REF ...]\n"
            "                              [--duration MINUTES]\n"
            "       keten weegploeg agenda --meeting ID [--start ...] [--location ...]\n"
            "                              [--duration ...] [--case CASE_REF ...]\n"
            "       keten weegploeg agenda --meeting ID --cancel\n"
            "\n"
            "Plan a weegploeg meeting (uitvoerder), change it, or cancel it, and send\n"
            "each kernpartij its copy of the agenda, signed and encrypted (art. 8.2-8.4):\n"
            "politie and OM get every subject, a gemeente only its own residents, and a\n"
            "gemeente whose last subject was taken off gets a cancellation.\n"
            "\n"
            "  --start T        local time (Europe/Amsterdam), e.g. 2026-12-01T10:00\n"
            "  --location TEXT  where the weegploeg meets\n"
            "  --duration MIN   1..720 minutes (new meetings: 120)\n"
            "  --case CASE_REF  a subject from `keten signal list` (1..64; a change\n"
            "                   with --case replaces the whole list)\n"
            "  --meeting ID     the meeting to change (w-...)\n"
            "  --cancel         cancel the meeting\n"
            "  --json           print the daemon's answer as JSON\n");
}

static void
s_casus_plan_usage (void)
{
    printf ("Usage: keten casusoverleg agenda --start YYYY-MM-DDTHH:MM --location TEXT\n"
            "                                 --case CASE_REF [--case CASE_REF ...]\n"
            "                                 [--duration MINUTES]\n"
            "       keten casusoverleg agenda --meeting ID [--start ...] [--location ...]\n"
            "                                 [--duration ...] [--case CASE_REF ...]\n"
            "       keten casusoverleg agenda --meeting ID --cancel\n"
            "\n"
            "Plan a casusoverleg meeting (uitvoerder), change it, or cancel it, and send\n"
            "the agenda, signed and encrypted, to the participants of the cases on it and\n"
            "to nobody else (art. 9-10).  Each participant gets only the cases it takes\n"
            "part in: case_ref and subject (name, birth date, municipality) for a\n"
            "convenant party, the case_ref only for an externe casuspartner (art. 10.5).\n"
            "A participant whose last case was taken off gets a cancellation.\n"
            "\n"
            "  --start T        local time (Europe/Amsterdam), e.g. 2026-12-01T10:00\n"
            "  --location TEXT  where the casusoverleg meets\n"
            "  --duration MIN   1..720 minutes (new meetings: 120)\n"
            "  --case CASE_REF  an open case from `keten case list` (1..64; a change\n"
            "                   with --case replaces the whole list)\n"
            "  --meeting ID     the meeting to change (w-...)\n"
            "  --cancel         cancel the meeting\n"
            "  --json           print the daemon's answer as JSON\n");
}

/*  keten weegploeg agenda (casusoverleg false) or keten casusoverleg
 *  agenda: the same options, a different API command and recipients. */
static int
s_plan (cli_t *cli, int argc, char **argv, bool casusoverleg)
{
    enum {
        O_START = CLI_OPT_LONG + 1,
        O_LOCATION,
        O_DURATION,
        O_CASE,
        O_MEETING,
        O_CANCEL,
        O_JSON
    };
    static const struct option options[] = {{"start", required_argument, NULL, O_START},
                                            {"location", required_argument, NULL, O_LOCATION},
                                            {"duration", required_argument, NULL, O_DURATION},
                                            {"case", required_argument, NULL, O_CASE},
                                            {"meeting", required_argument, NULL, O_MEETING},
                                            {"cancel", no_argument, NULL, O_CANCEL},
                                            {"json", no_argument, NULL, O_JSON},
                                            {"help", no_argument, NULL, CLI_OPT_HELP},
                                            {NULL, 0, NULL, 0}};
    const char *cmd = casusoverleg ? "casusoverleg agenda" : "weegploeg agenda";
    const char *start = NULL, *location = NULL, *meeting = NULL, *duration_text = NULL;
    const char *cases[MAX_CASES];
    size_t n_cases = 0;
    uint64_t duration = 0;
    bool cancel = false, as_json = false;
    int c;
    cli_getopt_reset ();
    while ((c = getopt_long (argc, argv, ":h", options, NULL)) != -1) {
        int rc = 0;
        switch (c) {
        case O_START:
            rc = cli_opt_string (cmd, "start", optarg, 16, &start);
            break;
        case O_LOCATION:
            rc = cli_opt_string (cmd, "location", optarg, 128, &location);
            break;
        case O_DURATION:
            rc = cli_opt_string (cmd, "duration", optarg, 3, &duration_text);
            if (rc == 0)
                rc = cli_opt_uint (cmd, "duration", optarg, 1, 720, &duration);
            break;
        case O_CASE:
            if (n_cases == MAX_CASES)
                return cli_usage_error (cmd, "at most %d --case options", MAX_CASES);
            if (!*optarg || strlen (optarg) > 64)
                return cli_usage_error (cmd, "--case needs a case_ref (k-...)");
            cases[n_cases++] = optarg;
            break;
        case O_MEETING:
            rc = cli_opt_string (cmd, "meeting", optarg, 32, &meeting);
            break;
        case O_CANCEL:
            cancel = true;
            break;
        case O_JSON:
            as_json = true;
            break;
        case 'h':
        case CLI_OPT_HELP:
            if (casusoverleg)
                s_casus_plan_usage ();
            else
                s_plan_usage ();
            return CLI_OK;
        default:
            return cli_getopt_error (cmd, c, argv);
        }
        if (rc)
            return rc;
    }
    if (optind < argc)
        return cli_usage_error (cmd, "unexpected argument");
    if (cancel && (!meeting || start || location || duration_text || n_cases))
        return cli_usage_error (cmd, "--cancel takes --meeting and nothing else");
    if (!meeting && (!start || !location || n_cases == 0))
        return cli_usage_error (cmd, "a new meeting needs --start, --location and --case");

    json_t *args = json_object ();
    if (meeting)
        json_object_set_new (args, "meeting_id", json_string (meeting));
    if (start)
        json_object_set_new (args, "starts_at", json_string (start));
    if (location)
        json_object_set_new (args, "location", json_string (location));
    if (duration_text)
        json_object_set_new (args, "duration_min", json_integer ((json_int_t) duration));
    if (n_cases) {
        json_t *refs = json_array ();
        for (size_t i = 0; i < n_cases; i++)
            json_array_append_new (refs, json_string (cases[i]));
        json_object_set_new (args, "case_refs", refs);
    }
    if (cancel)
        json_object_set_new (args, "cancel", json_true ());
    json_t *result = cli_call (cli, casusoverleg ? "casusoverleg.agenda" : "weegploeg.agenda", args,
                               CLI_TIMEOUT_MS, NULL);
    if (!result)
        return CLI_FAIL;
    int rc = CLI_OK;
    if (as_json)
        rc = cli_print_json (result);
    else {
        char id[32], member[CLI_CELL_MAX + 1];
        uint64_t seq = 0, items = 0;
        cli_json_uint (result, "sequence", &seq);
        printf ("meeting %s version %llu sent to:\n",
                cli_json_str (result, "meeting_id", id, sizeof id), (unsigned long long) seq);
        json_t *to = json_object_get (result, "sent_to"), *t;
        size_t i;
        json_array_foreach (to, i, t)
        {
            char what[48] = "cancellation";
            cli_json_uint (t, "items", &items);
            if (!json_is_true (json_object_get (t, "cancelled")))
                snprintf (what, sizeof what, "%llu %s", (unsigned long long) items,
                          casusoverleg ? "case(s)" : "subject(s)");
            printf ("  %-28s %s\n", cli_json_str (t, "member", member, sizeof member), what);
        }
    }
    json_decref (result);
    return rc;
}

/*  --json or not, and nothing else: for the list commands. */
static int
s_list_options (const char *cmd, int argc, char **argv, void (*usage) (void), bool *as_json)
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
            usage ();
            return -1;
        } else
            return cli_getopt_error (cmd, c, argv);
    }
    return 0;
}

static void
s_meetings_usage (void)
{
    printf ("Usage: keten weegploeg meetings [--json]\n"
            "\n"
            "List the weegploeg meetings planned (uitvoerder): time, place, version,\n"
            "subjects as case_refs and who received which version.  No personal data.\n");
}

static void
s_print_meetings (json_t *meetings, bool with_recipients)
{
    static const char *const header[] = {"MEETING", "KIND",     "VERSION", "STARTS",
                                         "MIN",     "LOCATION", "STATE",   "SUBJECTS"};
    cli_table_t *t = cli_table_new (8, header);
    json_t *m;
    size_t i;
    json_array_foreach (meetings, i, m)
    {
        char id[CLI_CELL_MAX + 1], kind_buf[CLI_CELL_MAX + 1], seq[24], start[CLI_CELL_MAX + 1],
            dur[24], loc[CLI_CELL_MAX + 1], subjects[24];
        uint64_t v = 0;
        cli_json_uint (m, "sequence", &v);
        snprintf (seq, sizeof seq, "%llu", (unsigned long long) v);
        v = 0;
        cli_json_uint (m, "duration_min", &v);
        snprintf (dur, sizeof dur, "%llu", (unsigned long long) v);
        snprintf (subjects, sizeof subjects, "%zu",
                  json_array_size (json_object_get (m, "case_refs")));
        /*  An older ketend sends no kind: its agendas are weegploeg's. */
        const char *kind = json_is_string (json_object_get (m, "kind"))
                               ? cli_json_str (m, "kind", kind_buf, sizeof kind_buf)
                               : "weegploeg";
        const char *cells[8] = {cli_json_str (m, "meeting_id", id, sizeof id),
                                kind,
                                seq,
                                cli_json_str (m, "starts_at", start, sizeof start),
                                dur,
                                cli_json_str (m, "location", loc, sizeof loc),
                                json_is_true (json_object_get (m, "cancelled")) ? "cancelled"
                                                                                : "planned",
                                subjects};
        cli_table_add (t, cells);
    }
    cli_table_print (t);
    cli_table_destroy (&t);
    if (!with_recipients)
        return;
    json_array_foreach (meetings, i, m)
    {
        char id[CLI_CELL_MAX + 1], who[CLI_CELL_MAX + 1];
        printf ("\n%s recipients:", cli_json_str (m, "meeting_id", id, sizeof id));
        json_t *r;
        size_t j;
        json_array_foreach (json_object_get (m, "recipients"), j, r)
            printf (" %s%s", cli_json_str (r, "member", who, sizeof who),
                    json_is_true (json_object_get (r, "has_items")) ? "" : " (cancelled)");
        printf ("\n");
    }
}

static void
s_casus_meetings_usage (void)
{
    printf ("Usage: keten casusoverleg meetings [--json]\n"
            "\n"
            "List the casusoverleg meetings planned (uitvoerder): time, place, version,\n"
            "cases as case_refs and who received which version.  No personal data.\n");
}

static int
s_meetings (cli_t *cli, int argc, char **argv, bool casusoverleg)
{
    bool as_json = false;
    const char *cmd = casusoverleg ? "casusoverleg meetings" : "weegploeg meetings";
    int rc = s_list_options (cmd, argc, argv,
                             casusoverleg ? s_casus_meetings_usage : s_meetings_usage, &as_json);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    if (optind < argc)
        return cli_usage_error (cmd, "unexpected argument");
    json_t *result = cli_call (cli, casusoverleg ? "casusoverleg.meetings" : "weegploeg.meetings",
                               NULL, CLI_TIMEOUT_MS, NULL);
    if (!result)
        return CLI_FAIL;
    if (as_json)
        rc = cli_print_json (result);
    else
        s_print_meetings (json_object_get (result, "meetings"), true);
    json_decref (result);
    return rc;
}

int
cmd_weegploeg_agenda (cli_t *cli, int argc, char **argv)
{
    return s_plan (cli, argc, argv, false);
}

int
cmd_weegploeg_meetings (cli_t *cli, int argc, char **argv)
{
    return s_meetings (cli, argc, argv, false);
}

int
cmd_casusoverleg_agenda (cli_t *cli, int argc, char **argv)
{
    return s_plan (cli, argc, argv, true);
}

int
cmd_casusoverleg_meetings (cli_t *cli, int argc, char **argv)
{
    return s_meetings (cli, argc, argv, true);
}

/* ---- keten agenda (partner nodes) ---------------------------------------- */

static void
s_agenda_list_usage (void)
{
    printf ("Usage: keten agenda list [--json]\n"
            "\n"
            "List the agendas this node received: weegploeg agendas (kernpartijen) and\n"
            "casusoverleg agendas (participants of the cases on them); the newest\n"
            "version of each meeting, its kind, subjects as case_refs.  No personal data.\n");
}

static void
s_agenda_show_usage (void)
{
    printf ("Usage: keten agenda show MEETING_ID [--json]\n"
            "\n"
            "Show one agenda with its subjects (and, for a weegploeg, their signals).\n"
            "This is a read of personal data: it is recorded with your user name first\n"
            "(art. 15.2e) and listed by `keten audit access`.\n");
}

static void
s_show_print (json_t *r)
{
    char a[CLI_CELL_MAX + 1], b[CLI_CELL_MAX + 1], c[CLI_CELL_MAX + 1], d[CLI_CELL_MAX + 1];
    uint64_t v = 0, minutes = 0;
    cli_json_uint (r, "sequence", &v);
    cli_json_uint (r, "duration_min", &minutes);
    json_t *kind = json_object_get (r, "kind");
    printf ("meeting   %s %s (version %llu)%s\n",
            json_is_string (kind) ? cli_json_str (r, "kind", b, sizeof b) : "weegploeg",
            cli_json_str (r, "meeting_id", a, sizeof a), (unsigned long long) v,
            json_is_true (json_object_get (r, "cancelled")) ? "  CANCELLED" : "");
    printf ("starts    %s, %llu min\n", cli_json_str (r, "starts_at", a, sizeof a),
            (unsigned long long) minutes);
    printf ("location  %s\n", cli_json_str (r, "location", a, sizeof a));
    json_t *it;
    size_t i;
    json_array_foreach (json_object_get (r, "items"), i, it)
    {
        json_t *s = json_object_get (it, "subject");
        if (!json_is_object (s)) /* casusoverleg, externe casuspartner (art. 10.5) */
            printf ("\n%zu. %s\n", i + 1, cli_json_str (it, "case_ref", a, sizeof a));
        else
            printf (
                "\n%zu. %s  %s, born %s, %s\n", i + 1, cli_json_str (it, "case_ref", a, sizeof a),
                cli_json_str (s, "name", b, sizeof b), cli_json_str (s, "birth_date", c, sizeof c),
                cli_json_str (s, "municipality", d, sizeof d));
        json_t *g;
        size_t j;
        json_array_foreach (json_object_get (it, "signals"), j, g)
        {
            printf ("   signal from %s, observed %s, category %s, source %s%s%s\n",
                    cli_json_str (g, "sender", a, sizeof a),
                    cli_json_str (g, "observed_on", b, sizeof b),
                    cli_json_str (g, "category", c, sizeof c),
                    cli_json_str (g, "source_kind", d, sizeof d),
                    json_is_true (json_object_get (g, "special_category")) ? ", special category"
                                                                           : "",
                    json_is_true (json_object_get (g, "criminal_data")) ? ", criminal data" : "");
            json_t *desc = json_object_get (g, "description");
            /*  Keep the line breaks of the description; clean the rest. */
            const char *p = json_is_string (desc) ? json_string_value (desc) : "";
            while (*p) {
                const char *nl = strchr (p, '\n');
                size_t n = nl ? (size_t) (nl - p) : strlen (p);
                char raw[1024], line[1024];
                snprintf (raw, sizeof raw, "%.*s", (int) (n < 1023 ? n : 1023), p);
                cli_clean (line, sizeof line, raw);
                printf ("     %s\n", line);
                p += n + (nl ? 1 : 0);
            }
            json_t *item;
            size_t k;
            json_array_foreach (json_object_get (g, "items"), k, item)
            {
                char label[CLI_CELL_MAX + 1], text[1024];
                cli_json_str (item, "label", label, sizeof label);
                json_t *t = json_object_get (item, "text");
                cli_clean (text, sizeof text, json_is_string (t) ? json_string_value (t) : "-");
                printf ("     %s: %s\n", label, text);
            }
        }
    }
}

/*  keten agenda list, or keten agenda show MEETING_ID. */
static int
s_agenda (cli_t *cli, int argc, char **argv, bool show)
{
    bool as_json = false;
    const char *cmd = show ? "agenda show" : "agenda list";
    int rc = s_list_options (cmd, argc, argv, show ? s_agenda_show_usage : s_agenda_list_usage,
                             &as_json);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    json_t *args = NULL;
    if (show) {
        if (optind != argc - 1 || strlen (argv[optind]) > 32)
            return cli_usage_error (cmd, "give one MEETING_ID");
        args = json_pack ("{s:s}", "meeting_id", argv[optind]);
    } else if (optind < argc)
        return cli_usage_error (cmd, "unexpected argument");
    json_t *result =
        cli_call (cli, show ? "agenda.show" : "agenda.list", args, CLI_TIMEOUT_MS, NULL);
    if (!result)
        return CLI_FAIL;
    if (as_json)
        rc = cli_print_json (result);
    else if (show)
        s_show_print (result);
    else
        s_print_meetings (json_object_get (result, "meetings"), false);
    json_decref (result);
    return rc;
}

int
cmd_agenda_list (cli_t *cli, int argc, char **argv)
{
    return s_agenda (cli, argc, argv, false);
}

int
cmd_agenda_show (cli_t *cli, int argc, char **argv)
{
    return s_agenda (cli, argc, argv, true);
}
