/*  keten log show --case CASE_REF: the trail of one subject in the
 *  provenance log - who supplied what, who received what, who read what,
 *  when - in plain language or as JSON: the basis for an inzage answer.
 *  The entries hold ids and pseudonyms only; the subject's signals are
 *  found through their message ids, which the uitvoerder's weegploeg file
 *  maps to the case_ref.
 *
 *  keten log show --type EVENT: the entries of one event type in a time
 *  window, across every subject, from the uitvoerder (log.events, which
 *  answers from the log's index on event and time).  With --case the
 *  type and window filter that subject's trail instead. */
#include "cli.h"

#include "policy.h"
#include "logfile.h"
#include "util.h"

#include <czmq.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const char *case_ref;
    zhashx_t *ids; /* hex message ids belonging to the trail */
    json_t *events;
    /*  --type, --since, --until on a trail: which of its events to show. */
    bool by_type;
    Keten__LogEvent type;
    uint64_t since_ms, until_ms;
} trail_t;

static const char *
s_event_name (Keten__LogEvent e)
{
    return logfile_event_name (e);
}

static bool
s_concerns (trail_t *t, const Keten__LogEntry *e, const char *hex)
{
    if (e->case_ref && strcmp (e->case_ref, t->case_ref) == 0)
        return true;
    for (size_t i = 0; i < e->n_case_refs; i++)
        if (strcmp (e->case_refs[i], t->case_ref) == 0)
            return true;
    return *hex && zhashx_lookup (t->ids, hex);
}

static void
s_on_entry (void *arg, uint64_t index, const Keten__LogEntry *e)
{
    trail_t *t = arg;
    char hex[KT_ID_HEX] = "";
    if (e->message_id.len == KT_ID_LEN)
        kt_hex (hex, e->message_id.data, KT_ID_LEN);
    if (!s_concerns (t, e, hex))
        return;
    /*  A message the uitvoerder sent about the subject: its delivery
     *  (logged later under the same id) belongs to the trail too. */
    if (*hex)
        zhashx_insert (t->ids, hex, (void *) 1);
    if ((t->by_type && e->event != t->type) || e->time_ms < t->since_ms ||
        e->time_ms >= t->until_ms)
        return;
    json_t *to = json_array ();
    for (size_t i = 0; i < e->n_recipients; i++)
        json_array_append_new (to, json_string (e->recipients[i]));
    json_t *o = json_pack ("{s:I, s:I, s:s, s:s, s:s, s:o}", "index", (json_int_t) index, "time_ms",
                           (json_int_t) e->time_ms, "event", s_event_name (e->event), "node",
                           e->node ? e->node : "", "os_user", e->os_user ? e->os_user : "",
                           "recipients", to);
    if (*hex)
        json_object_set_new (o, "message_id", json_string (hex));
    if (e->message_type)
        json_object_set_new (o, "message_type", json_string (policy_type_name (e->message_type)));
    if (e->what && *e->what)
        json_object_set_new (o, "what", json_string (e->what));
    json_array_append_new (t->events, o);
}

/*  One event in words. */
static void
s_say (json_t *o)
{
    char when[32], node[CLI_CELL_MAX + 1], user[CLI_CELL_MAX + 1], type[CLI_CELL_MAX + 1],
        what[256], who[512] = "";
    uint64_t v = 0, index = 0;
    cli_json_uint (o, "time_ms", &v);
    cli_json_uint (o, "index", &index);
    cli_fmt_time (when, sizeof when, v);
    const char *ev = json_string_value (json_object_get (o, "event"));
    /*  cli_json_str answers "-" for a field that is absent. */
    const char *nd = cli_json_str (o, "node", node, sizeof node);
    const char *us = cli_json_str (o, "os_user", user, sizeof user);
    const char *ty = cli_json_str (o, "message_type", type, sizeof type);
    const char *wh = cli_json_str (o, "what", what, sizeof what);
    bool has_user = *us && strcmp (us, "-") != 0;
    bool has_what = *wh && strcmp (wh, "-") != 0;
    json_t *r;
    size_t i, n = 0;
    json_array_foreach (json_object_get (o, "recipients"), i, r)
    {
        char c[CLI_CELL_MAX + 1];
        cli_clean (c, sizeof c, json_is_string (r) ? json_string_value (r) : "");
        n += (size_t) snprintf (who + n, n < sizeof who ? sizeof who - n : 0, "%s%s", i ? ", " : "",
                                c);
        if (n >= sizeof who)
            break;
    }
    char by[160];
    snprintf (by, sizeof by, "%s%s%s%s", nd, has_user ? " (" : "", has_user ? us : "",
              has_user ? ")" : "");
    printf ("#%-6llu %s  ", (unsigned long long) index, when);
    if (!ev)
        printf ("?\n");
    else if (!strcmp (ev, "MESSAGE_RECEIVED"))
        printf ("%s supplied a %s (received by the uitvoerder)%s%s%s\n", by, ty,
                has_what ? " [" : "", has_what ? wh : "", has_what ? "]" : "");
    else if (!strcmp (ev, "MESSAGE_SENT"))
        printf ("%s sent a %s to %s%s%s%s\n", by, ty, who, has_what ? " (" : "", has_what ? wh : "",
                has_what ? ")" : "");
    else if (!strcmp (ev, "MESSAGE_DELIVERED"))
        printf ("%s confirmed it received that message\n", by);
    else if (!strcmp (ev, "MESSAGE_REFUSED"))
        printf ("a %s from %s was refused: %s\n", ty, by, wh);
    else if (!strcmp (ev, "WEEGPLOEG_DECIDED") && !strcmp (wh, "meer-informatie"))
        printf ("the weegploeg asked %s for more information (recorded by %s; art. 7.4 sub 1)\n",
                who, by);
    else if (!strcmp (ev, "WEEGPLOEG_DECIDED"))
        printf ("the weegploeg decided: %s (recorded by %s; parties: %s)\n", wh, by,
                *who ? who : "none");
    else if (!strcmp (ev, "INFORMATION_ANSWERED"))
        printf ("%s answered the weegploeg's question of decision %s\n", by, wh);
    else if (!strcmp (ev, "PERSONAL_DATA_ACCESSED"))
        printf ("%s read the personal data (%s)\n", by, wh);
    else if (!strcmp (ev, "DISCLOSED"))
        printf ("%s disclosed data to %s with consent (kinds: %s)\n", by, who, wh);
    else if (!strcmp (ev, "SHARED"))
        printf ("%s's data was shared with %s in the casusoverleg\n", by, who);
    else if (!strcmp (ev, "CORRECTED"))
        printf ("%s corrected the record: %s\n", by, wh);
    else if (!strcmp (ev, "SIGNAL_WITHDRAWN"))
        printf ("%s withdrew its signal before the weegploeg weighed it (%s); it was destroyed\n",
                by, wh);
    else if (!strcmp (ev, "CASE_CLOSED"))
        printf ("the case was closed (recorded by %s; decided by %s)\n", by, who);
    else
        printf ("%s by %s %s\n", ev, by, wh);
}

#define LOG_SHOW_USAGE                                                                             \
    "Usage: keten log show --case CASE_REF [--type EVENT] [--since DATE] [--until DATE]\n"         \
    "                      [--json | --format dot]\n"                                              \
    "       keten log show --type EVENT [--since DATE] [--until DATE] [--limit N]\n"               \
    "                      [--oldest-first] [--json]                        (uitvoerder)\n"        \
    "\n"                                                                                           \
    "--case: the trail of one subject in the provenance log, oldest first: who\n"                  \
    "supplied which signal, what was sent to whom and confirmed, who read\n"                       \
    "the personal data at the uitvoerder, decisions, disclosures,\n"                               \
    "corrections and closure - the basis for answering an inzage request.\n"                       \
    "Reads at partner nodes are in their own access records (keten audit\n"                        \
    "access there).  --type, --since and --until narrow the trail.\n"                              \
    "--format dot prints the trail as a Graphviz graph (dot -Tsvg): each\n"                        \
    "event in time order, the node that acted and the nodes it went to.\n"                         \
    "\n"                                                                                           \
    "--type alone: every entry of that event, across all subjects, in the\n"                       \
    "window, newest first (--oldest-first: oldest first); at most --limit\n"                       \
    "entries (default 100, at most 10000), and it says when there are more.\n"                     \
    "Needs the audit right (access/audit-group).\n"                                                \
    "\n"                                                                                           \
    "EVENT is a log event, in any case (message_refused, roster_refused, ...).\n"                  \
    "DATE is YYYY-MM-DD (00:00 UTC) or YYYY-MM-DDTHH:MM:SSZ; --since is\n"                         \
    "inclusive, --until exclusive.  No personal data is shown: ids,\n"                             \
    "pseudonyms, actors.\n"

/*  The entries of one event type, as log.events answered them. */
static void
s_print_events (json_t *r)
{
    static const char *const header[] = {"INDEX",   "TIME (UTC)", "EVENT",    "NODE",
                                         "OS_USER", "TYPE",       "CASE_REF", "WHAT"};
    json_t *events = json_object_get (r, "events");
    char ev[CLI_CELL_MAX + 1];
    const char *order = json_string_value (json_object_get (r, "order"));
    bool truncated = json_is_true (json_object_get (r, "truncated"));
    printf ("%zu %s entr%s, %s first%s\n", json_array_size (events),
            cli_json_str (r, "event", ev, sizeof ev), json_array_size (events) == 1 ? "y" : "ies",
            order && !strcmp (order, "oldest") ? "oldest" : "newest",
            truncated ? " (more in the window: narrow it or raise --limit)" : "");
    if (!json_array_size (events))
        return;
    cli_table_t *t = cli_table_new (8, header);
    json_t *o;
    size_t i;
    json_array_foreach (events, i, o)
    {
        char index[24], when[32], event[CLI_CELL_MAX + 1], node[CLI_CELL_MAX + 1],
            user[CLI_CELL_MAX + 1], type[CLI_CELL_MAX + 1], ref[CLI_CELL_MAX + 1],
            what[CLI_CELL_MAX + 1];
        uint64_t v = 0;
        cli_json_uint (o, "index", &v);
        snprintf (index, sizeof index, "%llu", (unsigned long long) v);
        v = 0;
        cli_json_uint (o, "time_ms", &v);
        cli_fmt_time (when, sizeof when, v);
        const char *case_ref = cli_json_str (o, "case_ref", ref, sizeof ref);
        json_t *refs = json_object_get (o, "case_refs");
        /*  A message about several subjects: the first, and how many. */
        if (!strcmp (case_ref, "-") && json_array_size (refs) &&
            json_is_string (json_array_get (refs, 0))) {
            char first[40];
            cli_clean (first, sizeof first, json_string_value (json_array_get (refs, 0)));
            if (json_array_size (refs) > 1)
                snprintf (ref, sizeof ref, "%s +%zu", first, json_array_size (refs) - 1);
            else
                snprintf (ref, sizeof ref, "%s", first);
            case_ref = ref;
        }
        const char *cells[8] = {index,
                                when,
                                cli_json_str (o, "event", event, sizeof event),
                                cli_json_str (o, "node", node, sizeof node),
                                cli_json_str (o, "os_user", user, sizeof user),
                                cli_json_str (o, "message_type", type, sizeof type),
                                case_ref,
                                cli_json_str (o, "what", what, sizeof what)};
        cli_table_add (t, cells);
    }
    cli_table_print (t);
    cli_table_destroy (&t);
}

/*  --type without --case: the uitvoerder lists them from its index. */
static int
s_show_type (cli_t *cli, const char *type, int64_t since, int64_t until, uint64_t limit,
             bool oldest_first, bool as_json)
{
    json_t *args =
        json_pack ("{s:s, s:s}", "event", type, "order", oldest_first ? "oldest" : "newest");
    if (since >= 0)
        json_object_set_new (args, "since_ms", json_integer (since));
    if (until >= 0)
        json_object_set_new (args, "until_ms", json_integer (until));
    if (limit)
        json_object_set_new (args, "limit", json_integer ((json_int_t) limit));
    json_t *r = cli_call (cli, "log.events", args, CLI_TIMEOUT_MS, NULL);
    if (!r)
        return CLI_FAIL;
    int rc = CLI_OK;
    if (as_json)
        rc = cli_print_json (r);
    else
        s_print_events (r);
    json_decref (r);
    return rc;
}

/*  text as a DOT string's inside: quotes and backslashes escaped, control
 *  characters dropped. */
static void
s_dot_str (const char *text)
{
    for (const unsigned char *p = (const unsigned char *) text; p && *p; p++)
        if (*p == '"' || *p == '\\')
            printf ("\\%c", *p);
        else if (*p >= 0x20 && *p != 0x7f)
            putchar (*p);
}

/*  The trail as a Graphviz digraph: the events in time order, chained;
 *  an edge from the node that acted to each event, and from the event to
 *  each node it went to.  Ids, events and times only, as the log holds. */
static void
s_print_dot (const char *case_ref, json_t *events)
{
    printf ("digraph \"trail ");
    s_dot_str (case_ref);
    printf ("\" {\n  rankdir=LR;\n  node [fontname=\"sans-serif\", fontsize=10];\n");
    zhashx_t *actors = zhashx_new ();
    json_t *o, *r;
    size_t i, k;
    json_array_foreach (events, i, o)
    {
        const char *nd = json_string_value (json_object_get (o, "node"));
        if (nd && *nd)
            zhashx_insert (actors, nd, (void *) 1);
        json_array_foreach (json_object_get (o, "recipients"), k, r) if (json_is_string (r))
            zhashx_insert (actors, json_string_value (r), (void *) 1);
    }
    for (void *v = zhashx_first (actors); v; v = zhashx_next (actors)) {
        printf ("  \"");
        s_dot_str ((const char *) zhashx_cursor (actors));
        printf ("\" [shape=box, style=rounded];\n");
    }
    zhashx_destroy (&actors);
    uint64_t prev = 0;
    json_array_foreach (events, i, o)
    {
        uint64_t index = 0, at = 0;
        cli_json_uint (o, "index", &index);
        cli_json_uint (o, "time_ms", &at);
        char when[32];
        cli_fmt_time (when, sizeof when, at);
        const char *ev = json_string_value (json_object_get (o, "event"));
        const char *ty = json_string_value (json_object_get (o, "message_type"));
        const char *wh = json_string_value (json_object_get (o, "what"));
        const char *us = json_string_value (json_object_get (o, "os_user"));
        const char *nd = json_string_value (json_object_get (o, "node"));
        printf ("  e%llu [shape=note, label=\"#%llu ", (unsigned long long) index,
                (unsigned long long) index);
        s_dot_str (ev ? ev : "?");
        printf ("\\n");
        s_dot_str (when);
        if (ty) {
            printf ("\\n");
            s_dot_str (ty);
        }
        if (wh && *wh) {
            printf ("\\n");
            s_dot_str (wh);
        }
        printf ("\"];\n");
        if (i > 0)
            printf ("  e%llu -> e%llu [style=dashed, arrowhead=none];\n", (unsigned long long) prev,
                    (unsigned long long) index);
        if (nd && *nd) {
            printf ("  \"");
            s_dot_str (nd);
            printf ("\" -> e%llu", (unsigned long long) index);
            if (us && *us) {
                printf (" [label=\"");
                s_dot_str (us);
                printf ("\"]");
            }
            printf (";\n");
        }
        json_array_foreach (json_object_get (o, "recipients"), k, r) if (json_is_string (r))
        {
            printf ("  e%llu -> \"", (unsigned long long) index);
            s_dot_str (json_string_value (r));
            printf ("\";\n");
        }
        prev = index;
    }
    printf ("}\n");
}

int
cmd_log_show (cli_t *cli, int argc, char **argv)
{
    const char *cmd = "log show";
    const char *case_ref = NULL, *type = NULL;
    int64_t since = -1, until = -1;
    uint64_t limit = 0;
    bool as_json = false, oldest_first = false, as_dot = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_value = i + 1 < argc;
        if (!strcmp (a, "--case") && has_value && !case_ref)
            case_ref = argv[++i];
        else if (!strcmp (a, "--type") && has_value && !type)
            type = argv[++i];
        else if ((!strcmp (a, "--since") || !strcmp (a, "--until")) && has_value) {
            int64_t *slot = a[2] == 's' ? &since : &until;
            if (*slot >= 0)
                return cli_usage_error (cmd, "%s given twice", a);
            if ((*slot = cli_parse_utc_date (argv[++i])) < 0)
                return cli_usage_error (cmd, "%s needs YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC)",
                                        a);
        } else if (!strcmp (a, "--limit") && has_value && !limit) {
            if (cli_opt_uint (cmd, "limit", argv[++i], 1, 10000, &limit) != 0)
                return CLI_USAGE;
        } else if (!strcmp (a, "--oldest-first"))
            oldest_first = true;
        else if (!strcmp (a, "--json"))
            as_json = true;
        else if (!strcmp (a, "--format") && has_value && !as_dot) {
            if (strcmp (argv[++i], "dot") != 0)
                return cli_usage_error (cmd, "--format takes dot");
            as_dot = true;
        } else if (!strcmp (a, "--help") || !strcmp (a, "-h")) {
            char names[1024];
            logfile_event_names (names, sizeof names);
            printf ("%s\nEvents: %s\n", LOG_SHOW_USAGE, names);
            return CLI_OK;
        } else
            return cli_usage_error (cmd, "see keten log show --help");
    }
    Keten__LogEvent event = KETEN__LOG_EVENT__LOG_EVENT_UNSPECIFIED;
    kt_reason_t reason;
    if (type && logfile_event_parse (type, &event, &reason) != 0) {
        char names[1024];
        logfile_event_names (names, sizeof names);
        return cli_usage_error (cmd, "unknown event for --type; one of: %s", names);
    }
    if (since >= 0 && until >= 0 && since > until)
        return cli_usage_error (cmd, "--since is after --until");
    if (as_dot && (as_json || !case_ref))
        return cli_usage_error (cmd, "--format dot is for --case, without --json");
    if (!case_ref) {
        if (!type)
            return cli_usage_error (cmd, "give --case CASE_REF or --type EVENT");
        return s_show_type (cli, type, since, until, limit, oldest_first, as_json);
    }
    if (!*case_ref || strlen (case_ref) > 32)
        return cli_usage_error (cmd, "give --case CASE_REF");
    if (limit || oldest_first)
        return cli_usage_error (cmd, "--limit and --oldest-first are for --type without --case");
    json_t *r = cli_call (cli, "log.trail", json_pack ("{s:s}", "case_ref", case_ref),
                          CLI_TIMEOUT_MS, NULL);
    if (!r)
        return CLI_FAIL;
    trail_t t = {case_ref,
                 zhashx_new (),
                 json_array (),
                 type != NULL,
                 event,
                 since >= 0 ? (uint64_t) since : 0,
                 until >= 0 ? (uint64_t) until : UINT64_MAX};
    json_t *id;
    size_t i;
    json_array_foreach (json_object_get (r, "signal_ids"), i, id) if (json_is_string (id))
        zhashx_insert (t.ids, json_string_value (id), (void *) 1);
    const char *path = json_string_value (json_object_get (r, "log_path"));
    int rc = CLI_OK;
    if (!path || logfile_scan (path, s_on_entry, &t, &reason) != 0) {
        cli_error ("%s", path ? reason.text : "no log path in the answer");
        rc = CLI_FAIL;
    } else if (as_dot)
        s_print_dot (case_ref, t.events);
    else if (as_json) {
        json_t *out = json_pack ("{s:s, s:O}", "case_ref", case_ref, "events", t.events);
        rc = cli_print_json (out);
        json_decref (out);
    } else {
        printf ("trail of %s in the provenance log (%zu events)\n", case_ref,
                json_array_size (t.events));
        json_t *o;
        json_array_foreach (t.events, i, o) s_say (o);
    }
    json_decref (t.events);
    zhashx_destroy (&t.ids);
    json_decref (r);
    return rc;
}
