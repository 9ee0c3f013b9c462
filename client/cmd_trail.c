/*  keten log show --case CASE_REF: the trail of one subject in the
 *  provenance log - who supplied what, who received what, who read what,
 *  when - in plain language or as JSON: the basis for an inzage answer.
 *  The entries hold ids and pseudonyms only; the subject's signals are
 *  found through their message ids, which the uitvoerder's weegploeg file
 *  maps to the case_ref.  */
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
} trail_t;

static const char *
s_event_name (Keten__LogEvent e)
{
    const ProtobufCEnumValue *v =
        protobuf_c_enum_descriptor_get_value (&keten__log_event__descriptor, (int) e);
    return v ? v->name : "UNKNOWN";
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
    else if (!strcmp (ev, "WEEGPLOEG_DECIDED"))
        printf ("the weegploeg decided: %s (recorded by %s; parties: %s)\n", wh, by,
                *who ? who : "none");
    else if (!strcmp (ev, "PERSONAL_DATA_ACCESSED"))
        printf ("%s read the personal data (%s)\n", by, wh);
    else if (!strcmp (ev, "DISCLOSED"))
        printf ("%s disclosed data to %s with consent (kinds: %s)\n", by, who, wh);
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

int
cmd_log_show (cli_t *cli, int argc, char **argv)
{
    const char *cmd = "log show";
    const char *case_ref = NULL;
    bool as_json = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp (argv[i], "--case") && i + 1 < argc)
            case_ref = argv[++i];
        else if (!strcmp (argv[i], "--json"))
            as_json = true;
        else if (!strcmp (argv[i], "--help") || !strcmp (argv[i], "-h")) {
            printf ("Usage: keten log show --case CASE_REF [--json]   (uitvoerder)\n"
                    "\n"
                    "The trail of one subject in the provenance log, oldest first: who\n"
                    "supplied which signal, what was sent to whom and confirmed, who read\n"
                    "the personal data at the uitvoerder, decisions, disclosures,\n"
                    "corrections and closure - the basis for answering an inzage request.\n"
                    "Reads at partner nodes are in their own access records (keten audit\n"
                    "access there).  No personal data is shown: ids, pseudonyms, actors.\n");
            return CLI_OK;
        } else
            return cli_usage_error (cmd, "see keten log show --help");
    }
    if (!case_ref || !*case_ref || strlen (case_ref) > 32)
        return cli_usage_error (cmd, "give --case CASE_REF");
    json_t *r = cli_call (cli, "log.trail", json_pack ("{s:s}", "case_ref", case_ref),
                          CLI_TIMEOUT_MS, NULL);
    if (!r)
        return CLI_FAIL;
    trail_t t = {case_ref, zhashx_new (), json_array ()};
    json_t *id;
    size_t i;
    json_array_foreach (json_object_get (r, "signal_ids"), i, id) if (json_is_string (id))
        zhashx_insert (t.ids, json_string_value (id), (void *) 1);
    kt_reason_t reason;
    const char *path = json_string_value (json_object_get (r, "log_path"));
    int rc = CLI_OK;
    if (!path || logfile_scan (path, s_on_entry, &t, &reason) != 0) {
        cli_error ("%s", path ? reason.text : "no log path in the answer");
        rc = CLI_FAIL;
    } else if (as_json) {
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
