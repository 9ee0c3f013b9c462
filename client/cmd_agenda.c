/*  keten weegploeg agenda / meetings and keten casusoverleg agenda /
 *  meetings (uitvoerder), keten agenda list / show (partner nodes):
 *  weegploeg and casusoverleg meetings and their agendas.  */
#include "cli.h"

#include "calendar.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MAX_CASES 64

static const char s_plan_usage[] =
    "Usage: keten weegploeg agenda --start YYYY-MM-DDTHH:MM --location TEXT\n"
    "                              [--case CASE_REF ...]\n"
    "                              [--duration MINUTES]\n"
    "       keten weegploeg agenda --meeting ID [--start ...] [--location ...]\n"
    "                              [--duration ...] [--case CASE_REF ...]\n"
    "       keten weegploeg agenda --meeting ID --cancel\n"
    "\n"
    "Plan a weegploeg meeting (uitvoerder), change it, or cancel it, and send\n"
    "each kernpartij its copy of the agenda, signed and encrypted (art. 8.2-8.4):\n"
    "politie and OM get every subject, a gemeente only its own residents, and a\n"
    "gemeente whose last subject was taken off gets a cancellation.  A new meeting\n"
    "also takes every subject due (a kernpartij answered the weegploeg's question,\n"
    "art. 7.4 sub 1; `keten weegploeg meetings` lists them): --case may then be\n"
    "left out.  An answer arriving while a meeting is planned puts its subject on\n"
    "the earliest one still to come, as a new version.\n"
    "\n"
    "  --start T        local time (Europe/Amsterdam), e.g. 2026-12-01T10:00: a day\n"
    "                   that exists, not a time the spring clock change skips\n"
    "                   (02:00-02:59)\n"
    "  --location TEXT  where the weegploeg meets\n"
    "  --duration MIN   1..720 minutes (new meetings: 120)\n"
    "  --case CASE_REF  a subject from `keten signal list` (1..64; a change\n"
    "                   with --case replaces the whole list)\n"
    "  --meeting ID     the meeting to change (w-...)\n"
    "  --cancel         cancel the meeting\n"
    "  --json           print the daemon's answer as JSON\n";

static const char s_casus_plan_usage[] =
    "Usage: keten casusoverleg agenda --start YYYY-MM-DDTHH:MM --location TEXT\n"
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
    "  --start T        local time (Europe/Amsterdam), e.g. 2026-12-01T10:00: a day\n"
    "                   that exists, not a time the spring clock change skips\n"
    "                   (02:00-02:59)\n"
    "  --location TEXT  where the casusoverleg meets\n"
    "  --duration MIN   1..720 minutes (new meetings: 120)\n"
    "  --case CASE_REF  an open case from `keten case list` (1..64; a change\n"
    "                   with --case replaces the whole list)\n"
    "  --meeting ID     the meeting to change (w-...)\n"
    "  --cancel         cancel the meeting\n"
    "  --json           print the daemon's answer as JSON\n";

static const char s_meetings_usage[] =
    "Usage: keten weegploeg meetings [--json]\n"
    "\n"
    "List the weegploeg meetings planned (uitvoerder): time, place, version,\n"
    "subjects as case_refs and who received which version, and the subjects due on\n"
    "the next agenda (art. 7.4 sub 1: an answer to the weegploeg's question came in\n"
    "and no planned meeting took them yet).  No personal data.\n";

static const char s_casus_meetings_usage[] =
    "Usage: keten casusoverleg meetings [--json]\n"
    "\n"
    "List the casusoverleg meetings planned (uitvoerder): time, place, version,\n"
    "cases as case_refs and who received which version.  No personal data.\n";

/*  The two kinds of meeting the uitvoerder plans: the same options and
 *  listing, a different API command, usage and recipients. */
typedef struct {
    const char *agenda_cmd, *agenda_call, *agenda_usage;
    const char *meetings_cmd, *meetings_call, *meetings_usage;
    const char *items; /* what an agenda lists */
} s_kind_t;

static const s_kind_t s_weegploeg = {"weegploeg agenda",   "weegploeg.agenda",   s_plan_usage,
                                     "weegploeg meetings", "weegploeg.meetings", s_meetings_usage,
                                     "subject(s)"};
static const s_kind_t s_casusoverleg = {
    "casusoverleg agenda",   "casusoverleg.agenda",  s_casus_plan_usage, "casusoverleg meetings",
    "casusoverleg.meetings", s_casus_meetings_usage, "case(s)"};

/*  A meeting to plan, change or cancel, as given. */
typedef struct {
    const char *start, *location, *meeting, *duration_text;
    const char *cases[MAX_CASES];
    size_t n_cases;
    uint64_t duration;
    bool cancel, as_json;
} s_meeting_t;

enum { O_START = CLI_OPT_LONG + 1, O_LOCATION, O_DURATION, O_CASE, O_MEETING, O_CANCEL, O_JSON };

static int
s_meeting_option (void *arg, const char *cmd, int opt, const char *value)
{
    s_meeting_t *m = arg;
    switch (opt) {
    case O_START: {
        /*  Checked here, so a typo (2026-02-30T10:00, 24:00) is said
         *  before anything is sent; the uitvoerder checks it again. */
        kt_reason_t why;
        if (cli_opt_string (cmd, "start", value, 16, &m->start))
            return CLI_USAGE;
        if (kt_local_start_check ("--start", value, &why) != 0)
            return cli_usage_error (cmd, "%s", why.text);
        return 0;
    }
    case O_LOCATION:
        return cli_opt_string (cmd, "location", value, 128, &m->location);
    case O_DURATION:
        if (cli_opt_string (cmd, "duration", value, 3, &m->duration_text))
            return CLI_USAGE;
        return cli_opt_uint (cmd, "duration", value, 1, 720, &m->duration);
    case O_CASE:
        if (m->n_cases == MAX_CASES)
            return cli_usage_error (cmd, "at most %d --case options", MAX_CASES);
        if (!*value || strlen (value) > 64)
            return cli_usage_error (cmd, "--case needs a case_ref (k-...)");
        m->cases[m->n_cases++] = value;
        return 0;
    case O_MEETING:
        return cli_opt_string (cmd, "meeting", value, 32, &m->meeting);
    case O_CANCEL:
        m->cancel = true;
        return 0;
    default: /* O_JSON */
        m->as_json = true;
        return 0;
    }
}

/*  The API arguments of a checked meeting. */
static json_t *
s_meeting_args (const s_meeting_t *m)
{
    json_t *args = json_object ();
    if (m->meeting)
        json_object_set_new (args, "meeting_id", json_string (m->meeting));
    if (m->start)
        json_object_set_new (args, "starts_at", json_string (m->start));
    if (m->location)
        json_object_set_new (args, "location", json_string (m->location));
    if (m->duration_text)
        json_object_set_new (args, "duration_min", json_integer ((json_int_t) m->duration));
    if (m->n_cases) {
        json_t *refs = json_array ();
        for (size_t i = 0; i < m->n_cases; i++)
            json_array_append_new (refs, json_string (m->cases[i]));
        json_object_set_new (args, "case_refs", refs);
    }
    if (m->cancel)
        json_object_set_new (args, "cancel", json_true ());
    return args;
}

/*  Who received which version: arg is the kind's word for its items. */
static int
s_sent_print (json_t *result, const void *arg)
{
    const char *items_word = arg;
    char id[32], member[CLI_CELL_MAX + 1];
    uint64_t seq = 0, items = 0;
    cli_json_uint (result, "sequence", &seq);
    printf ("meeting %s version %llu sent to:\n",
            cli_json_str (result, "meeting_id", id, sizeof id), (unsigned long long) seq);
    json_t *t;
    size_t i;
    json_array_foreach (json_object_get (result, "sent_to"), i, t)
    {
        char what[48] = "cancellation";
        cli_json_uint (t, "items", &items);
        if (!json_is_true (json_object_get (t, "cancelled")))
            snprintf (what, sizeof what, "%llu %s", (unsigned long long) items, items_word);
        printf ("  %-28s %s\n", cli_json_str (t, "member", member, sizeof member), what);
    }
    char warning[160];
    if (json_is_string (json_object_get (result, "warning")))
        fprintf (stderr, "keten: warning: %s\n",
                 cli_json_str (result, "warning", warning, sizeof warning));
    return CLI_OK;
}

/*  keten weegploeg agenda or keten casusoverleg agenda. */
static int
s_plan (cli_t *cli, int argc, char **argv, const s_kind_t *kind)
{
    static const struct option options[] = {{"start", required_argument, NULL, O_START},
                                            {"location", required_argument, NULL, O_LOCATION},
                                            {"duration", required_argument, NULL, O_DURATION},
                                            {"case", required_argument, NULL, O_CASE},
                                            {"meeting", required_argument, NULL, O_MEETING},
                                            {"cancel", no_argument, NULL, O_CANCEL},
                                            {"json", no_argument, NULL, O_JSON},
                                            {"help", no_argument, NULL, CLI_OPT_HELP},
                                            {NULL, 0, NULL, 0}};
    const char *cmd = kind->agenda_cmd;
    s_meeting_t m = {0};
    int rc = cli_options (cmd, argc, argv, options, kind->agenda_usage, s_meeting_option, &m);
    if (rc)
        return CLI_DONE (rc);
    if (optind < argc)
        return cli_usage_error (cmd, "unexpected argument");
    if (m.cancel && (!m.meeting || m.start || m.location || m.duration_text || m.n_cases))
        return cli_usage_error (cmd, "--cancel takes --meeting and nothing else");
    /*  A new weegploeg meeting may take only the subjects due (art. 7.4
     *  sub 1); the uitvoerder refuses it when none is. */
    if (!m.meeting && (!m.start || !m.location || (m.n_cases == 0 && kind != &s_weegploeg)))
        return cli_usage_error (cmd, "a new meeting needs --start, --location and --case");
    return cli_request (cli, kind->agenda_call, s_meeting_args (&m), CLI_TIMEOUT_MS, m.as_json,
                        s_sent_print, kind->items);
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

static int
s_meetings_print (json_t *result, const void *arg)
{
    (void) arg;
    s_print_meetings (json_object_get (result, "meetings"), true);
    /*  art. 7.4 sub 1: subjects whose question was answered and that no
     *  planned meeting took yet (weegploeg only). */
    json_t *due = json_object_get (result, "due");
    if (json_array_size (due)) {
        printf ("\ndue on the next weegploeg agenda:");
        json_t *x;
        size_t i;
        json_array_foreach (due, i, x)
        {
            char ref[CLI_CELL_MAX + 1];
            cli_clean (ref, sizeof ref, json_is_string (x) ? json_string_value (x) : "-");
            printf (" %s", ref);
        }
        printf ("\n");
    }
    return CLI_OK;
}

static int
s_meetings (cli_t *cli, int argc, char **argv, const s_kind_t *kind)
{
    bool as_json = false;
    const char *cmd = kind->meetings_cmd;
    int rc = cli_options_json (cmd, argc, argv, kind->meetings_usage, &as_json);
    if (rc)
        return CLI_DONE (rc);
    if (optind < argc)
        return cli_usage_error (cmd, "unexpected argument");
    return cli_request (cli, kind->meetings_call, NULL, CLI_TIMEOUT_MS, as_json, s_meetings_print,
                        NULL);
}

int
cmd_weegploeg_agenda (cli_t *cli, int argc, char **argv)
{
    return s_plan (cli, argc, argv, &s_weegploeg);
}

int
cmd_weegploeg_meetings (cli_t *cli, int argc, char **argv)
{
    return s_meetings (cli, argc, argv, &s_weegploeg);
}

int
cmd_casusoverleg_agenda (cli_t *cli, int argc, char **argv)
{
    return s_plan (cli, argc, argv, &s_casusoverleg);
}

int
cmd_casusoverleg_meetings (cli_t *cli, int argc, char **argv)
{
    return s_meetings (cli, argc, argv, &s_casusoverleg);
}

/* ---- keten agenda (partner nodes) ---------------------------------------- */

static const char s_agenda_list_usage[] =
    "Usage: keten agenda list [--json]\n"
    "\n"
    "List the agendas this node received: weegploeg agendas (kernpartijen) and\n"
    "casusoverleg agendas (participants of the cases on them); the newest\n"
    "version of each meeting, its kind, subjects as case_refs.  No personal data.\n";

static const char s_agenda_show_usage[] =
    "Usage: keten agenda show MEETING_ID [--json | --format html --out FILE]\n"
    "\n"
    "Show one agenda with its subjects (and, for a weegploeg, their signals).\n"
    "This is a read of personal data: it is recorded with your user name first\n"
    "(art. 15.2e) and listed by `keten audit access`.\n"
    "\n"
    "  --json           print the agenda as JSON\n"
    "  --format html    a printable page for those who take part in the meeting:\n"
    "                   self-contained HTML (no scripts, nothing loaded from\n"
    "                   elsewhere), marked \"Vertrouwelijk\" on every printed page\n"
    "  --out FILE       where the page goes: a new file, mode 0600, never\n"
    "                   overwritten (it names persons); required with --format html\n";

/*  One signal on an agenda item, its description's line breaks kept. */
static void
s_signal_print (json_t *g)
{
    char a[CLI_CELL_MAX + 1], b[CLI_CELL_MAX + 1], c[CLI_CELL_MAX + 1], d[CLI_CELL_MAX + 1];
    printf ("   signal from %s, observed %s, category %s, source %s%s%s\n",
            cli_json_str (g, "sender", a, sizeof a), cli_json_str (g, "observed_on", b, sizeof b),
            cli_json_str (g, "category", c, sizeof c), cli_json_str (g, "source_kind", d, sizeof d),
            json_is_true (json_object_get (g, "special_category")) ? ", special category" : "",
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

static int
s_show_print (json_t *r, const void *arg)
{
    (void) arg;
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
        json_array_foreach (json_object_get (it, "signals"), j, g) s_signal_print (g);
    }
    return CLI_OK;
}

static int
s_agenda_list_print (json_t *result, const void *arg)
{
    (void) arg;
    s_print_meetings (json_object_get (result, "meetings"), false);
    return CLI_OK;
}

int
cmd_agenda_list (cli_t *cli, int argc, char **argv)
{
    bool as_json = false;
    int rc = cli_options_json ("agenda list", argc, argv, s_agenda_list_usage, &as_json);
    if (rc)
        return CLI_DONE (rc);
    if (optind < argc)
        return cli_usage_error ("agenda list", "unexpected argument");
    return cli_request (cli, "agenda.list", NULL, CLI_TIMEOUT_MS, as_json, s_agenda_list_print,
                        NULL);
}

/*  The printable page of an agenda (the same content as the text). */
static void
s_show_html (FILE *f, json_t *r)
{
    char a[CLI_CELL_MAX + 1], b[CLI_CELL_MAX + 1];
    json_t *kind = json_object_get (r, "kind");
    const char *k = json_is_string (kind) ? json_string_value (kind) : "weegploeg";
    uint64_t v = 0, minutes = 0;
    cli_json_uint (r, "sequence", &v);
    cli_json_uint (r, "duration_min", &minutes);
    fputs ("<!DOCTYPE html>\n<html lang=\"nl\"><head><meta charset=\"utf-8\">\n"
           "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
           "style-src 'unsafe-inline'; script-src 'none'\">\n<title>Vertrouwelijk - agenda ",
           f);
    cli_html_text (f, k);
    fputs ("</title>\n<style>\n"
           "body{font-family:sans-serif;font-size:11pt;margin:2.5em 2em;max-width:48em}\n"
           ".mark{position:fixed;top:0;left:0;right:0;text-align:center;font-weight:bold;"
           "letter-spacing:.2em;border-bottom:2px solid #900;color:#900;background:#fff;"
           "padding:.2em}\n"
           "h1{font-size:15pt}h2{font-size:12pt;margin-top:1.2em;border-top:1px solid #999;"
           "padding-top:.4em}\n"
           ".signal{margin:.4em 0 .4em 1em}.desc{white-space:pre-wrap;margin:.2em 0 .2em 1em}\n"
           ".note{font-size:9pt;color:#444;margin-top:2em}\n"
           "@media print{body{margin:2.5em 0 0 0}h2{break-after:avoid}"
           ".signal{break-inside:avoid}}\n"
           "</style></head><body>\n<div class=\"mark\">VERTROUWELIJK</div>\n<h1>Agenda ",
           f);
    cli_html_text (f, k);
    fputs (" ", f);
    cli_html_text (f, cli_json_str (r, "meeting_id", a, sizeof a));
    fprintf (f, " (versie %llu)%s</h1>\n<p>", (unsigned long long) v,
             json_is_true (json_object_get (r, "cancelled")) ? " - GEANNULEERD" : "");
    cli_html_text (f, cli_json_str (r, "starts_at", a, sizeof a));
    fprintf (f, ", %llu min, ", (unsigned long long) minutes);
    cli_html_text (f, cli_json_str (r, "location", a, sizeof a));
    fputs ("</p>\n", f);
    json_t *it;
    size_t i;
    json_array_foreach (json_object_get (r, "items"), i, it)
    {
        json_t *s = json_object_get (it, "subject");
        fprintf (f, "<h2>%zu. ", i + 1);
        cli_html_text (f, cli_json_str (it, "case_ref", a, sizeof a));
        if (json_is_object (s)) {
            const char *keys[] = {"name", "birth_date", "municipality"};
            const char *sep[] = {" - ", ", geboren ", ", "};
            for (int n = 0; n < 3; n++) {
                json_t *x = json_object_get (s, keys[n]);
                fputs (sep[n], f);
                cli_html_text (f, json_is_string (x) ? json_string_value (x) : "-");
            }
        }
        fputs ("</h2>\n", f);
        json_t *g;
        size_t j;
        json_array_foreach (json_object_get (it, "signals"), j, g)
        {
            fputs ("<div class=\"signal\">Signaal van ", f);
            cli_html_text (f, cli_json_str (g, "sender", a, sizeof a));
            fputs (", waargenomen ", f);
            cli_html_text (f, cli_json_str (g, "observed_on", a, sizeof a));
            fputs (", categorie ", f);
            cli_html_text (f, cli_json_str (g, "category", a, sizeof a));
            fputs (", bron ", f);
            cli_html_text (f, cli_json_str (g, "source_kind", b, sizeof b));
            json_t *desc = json_object_get (g, "description");
            fputs ("<div class=\"desc\">", f);
            cli_html_text (f, json_is_string (desc) ? json_string_value (desc) : "");
            fputs ("</div>", f);
            json_t *item;
            size_t n;
            json_array_foreach (json_object_get (g, "items"), n, item)
            {
                json_t *t = json_object_get (item, "text");
                fputs ("<div class=\"desc\">", f);
                cli_html_text (f, cli_json_str (item, "label", a, sizeof a));
                fputs (": ", f);
                cli_html_text (f, json_is_string (t) ? json_string_value (t) : "-");
                fputs ("</div>", f);
            }
            fputs ("</div>\n", f);
        }
    }
    fputs ("<p class=\"note\">Vertrouwelijk: persoonsgegevens uit het convenant "
           "persoonsgerichte aanpak radicalisering en extremisme. Alleen voor de deelnemers "
           "aan dit overleg; niet verder verspreiden, na afloop vernietigen. Het openen van "
           "deze agenda is vastgelegd.</p>\n</body></html>\n",
           f);
}

int
cmd_agenda_show (cli_t *cli, int argc, char **argv)
{
    static const struct option options[] = {{"json", no_argument, NULL, 'j'},
                                             {"format", required_argument, NULL, 'f'},
                                             {"out", required_argument, NULL, 'o'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *cmd = "agenda show", *out = NULL;
    bool as_json = false, html = false;
    int opt;
    optind = 0;
    while ((opt = getopt_long (argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
        case 'j':
            as_json = true;
            break;
        case 'f':
            if (strcmp (optarg, "html") != 0 && strcmp (optarg, "text") != 0)
                return cli_usage_error (cmd, "--format is text or html");
            html = strcmp (optarg, "html") == 0;
            break;
        case 'o':
            out = optarg;
            break;
        case 'h':
            fputs (s_agenda_show_usage, stdout);
            return CLI_OK;
        default:
            return cli_usage_error (cmd, "see keten agenda show --help");
        }
    }
    if (optind != argc - 1 || strlen (argv[optind]) > 32)
        return cli_usage_error (cmd, "give one MEETING_ID");
    if (html && (as_json || !out))
        return cli_usage_error (cmd, "--format html writes to --out FILE, without --json");
    if (out && !html)
        return cli_usage_error (cmd, "--out goes with --format html");
    if (!html)
        return cli_request (cli, "agenda.show", json_pack ("{s:s}", "meeting_id", argv[optind]),
                            CLI_TIMEOUT_MS, as_json, s_show_print, NULL);
    /*  The page names persons: a new file only its owner reads, made
     *  before the read is asked for, so a refused file leaves nothing. */
    int fd = open (out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        cli_error ("%s: cannot create %s: %s", cmd, out, strerror (errno));
        return CLI_FAIL;
    }
    json_t *r = cli_call (cli, "agenda.show", json_pack ("{s:s}", "meeting_id", argv[optind]),
                          CLI_TIMEOUT_MS, NULL);
    FILE *f = r ? fdopen (fd, "w") : NULL;
    int rc = CLI_OK;
    if (f) {
        s_show_html (f, r);
        if (fflush (f) != 0 || fsync (fileno (f)) != 0)
            rc = CLI_FAIL;
        if (fclose (f) != 0)
            rc = CLI_FAIL;
    } else {
        close (fd);
        rc = CLI_FAIL;
    }
    if (rc != CLI_OK)
        unlink (out);
    if (rc != CLI_OK && r)
        cli_error ("%s: cannot write %s", cmd, out);
    else if (rc == CLI_OK)
        printf ("wrote %s (mode 0600; it names persons)\n", out);
    json_decref (r);
    return rc;
}
