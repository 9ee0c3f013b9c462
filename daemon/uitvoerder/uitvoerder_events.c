/*  uitvoerder_events: the provenance log by event type and time
 *  (`keten log show --type EVENT`, API log.events): every MESSAGE_REFUSED
 *  since a date, every ROSTER_REFUSED, every read of personal data in a
 *  week.  Answered from the log's index on (event, time), so a bounded
 *  answer costs the rows it returns, not a walk over the whole log; the
 *  entries hold ids, pseudonyms, actors and keten's own words only
 *  (docs/ARCHITECTURE.md, "The provenance log").
 *
 *  Its right is AUDIT, not READ: a trail of one subject (log.trail) serves
 *  case work and an inzage answer, while a list across every subject and
 *  actor - who was refused, who read what - is supervision of the
 *  processing itself (art. 15.2e), for those who audit it.
 */
#include "uitvoerder.h"

#include "checkpoint.h"
#include "logfile.h"
#include "policy.h"
#include "render.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*  The widest window: anything later than this is "no end". */
#define EVENTS_NO_END ((uint64_t) INT64_MAX)

typedef struct {
    json_t *events;
} events_t;

static json_t *
s_strings (char **items, size_t n)
{
    json_t *a = json_array ();
    for (size_t i = 0; a && i < n; i++)
        json_array_append_new (a, json_string (items[i] ? items[i] : ""));
    return a;
}

/*  One entry as JSON (ids, actors, keten's own words). */
static json_t *
s_entry_json (uint64_t index, const Keten__LogEntry *e)
{
    json_t *o = json_pack ("{s:I, s:I, s:s, s:s, s:s, s:o}", "index", (json_int_t) index, "time_ms",
                           (json_int_t) e->time_ms, "event", logfile_event_name (e->event), "node",
                           e->node ? e->node : "", "os_user", e->os_user ? e->os_user : "",
                           "recipients", s_strings (e->recipients, e->n_recipients));
    if (!o)
        return NULL;
    char hex[KT_ID_HEX];
    if (e->message_id.len == KT_ID_LEN)
        json_object_set_new (o, "message_id",
                             json_string (kt_hex (hex, e->message_id.data, KT_ID_LEN)));
    if (e->message_type)
        json_object_set_new (o, "message_type", json_string (policy_type_name (e->message_type)));
    if (e->case_ref && *e->case_ref)
        json_object_set_new (o, "case_ref", json_string (e->case_ref));
    if (e->n_case_refs)
        json_object_set_new (o, "case_refs", s_strings (e->case_refs, e->n_case_refs));
    if (e->what && *e->what)
        json_object_set_new (o, "what", json_string (e->what));
    return o;
}

static int
s_event_row (void *arg, uint64_t index, const Keten__LogEntry *e, kt_reason_t *reason)
{
    events_t *ev = arg;
    json_t *o = s_entry_json (index, e);
    if (!o)
        return kt_fail (reason, "out of memory");
    return render_append (ev->events, o, reason);
}

/*  A time bound from args: absent is dflt; else a whole number of ms. */
static int
s_bound (json_t *args, const char *key, uint64_t dflt, uint64_t *out, kt_reason_t *reason)
{
    json_t *v = json_object_get (args, key);
    if (!v) {
        *out = dflt;
        return 0;
    }
    if (!json_is_integer (v) || json_integer_value (v) < 0)
        return kt_fail (reason, "%s must be a time in ms since 1970 (UTC)", key);
    *out = (uint64_t) json_integer_value (v);
    return 0;
}

static json_t *
s_events (node_t *self, json_t *args, kt_reason_t *reason)
{
    Keten__LogEvent event;
    uint64_t since, until;
    json_t *order = json_object_get (args, "order");
    const char *o = order ? json_string_value (order) : "newest";
    if (logfile_event_parse (json_string_value (json_object_get (args, "event")), &event, reason) !=
            0 ||
        s_bound (args, "since_ms", 0, &since, reason) != 0 ||
        s_bound (args, "until_ms", EVENTS_NO_END, &until, reason) != 0)
        return NULL;
    if (!o || (strcmp (o, "newest") != 0 && strcmp (o, "oldest") != 0)) {
        kt_fail (reason, "order must be newest or oldest");
        return NULL;
    }
    if (since > until) {
        kt_fail (reason, "since_ms is after until_ms");
        return NULL;
    }
    int limit = node_limit (args);
    events_t ev = {json_array ()};
    if (!ev.events) {
        kt_fail (reason, "out of memory");
        return NULL;
    }
    /*  One more than asked for tells whether the answer was cut. */
    bool newest = strcmp (o, "newest") == 0;
    if (provlog_each_event (uitvoerder_of (self)->log, event, since, until, newest,
                            (size_t) limit + 1, s_event_row, &ev, reason) != 0) {
        json_decref (ev.events);
        return NULL;
    }
    bool truncated = json_array_size (ev.events) > (size_t) limit;
    if (truncated)
        json_array_remove (ev.events, (size_t) limit);
    return json_pack ("{s:s, s:I, s:I, s:s, s:i, s:b, s:o}", "event", logfile_event_name (event),
                      "since_ms", (json_int_t) since, "until_ms", (json_int_t) until, "order", o,
                      "limit", limit, "truncated", truncated, "events", ev.events);
}

void
uitvoerder_log_events (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    kt_reason_t reason;
    if (!json_is_object (args)) {
        apiserver_reply_error (self->api, caller, "log.events needs an event");
        return;
    }
    render_reply (self->api, caller, NULL, s_events (self, args, &reason), &reason);
}

/*  log.proof: for someone who checks the log from outside, one entry -
 *  by the message whose arrival it logged, or by its index - with the
 *  signed checkpoint of the log as it stands, the entry's inclusion proof
 *  in it (RFC 9162), the entry's bytes as hashed, and the verifier key of
 *  the checkpoint.  Everything is ids and keten's own words: no personal
 *  data. */
static json_t *
s_proof (node_t *self, json_t *args, kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    json_t *v = json_object_get (args, "message_id");
    json_t *at = json_object_get (args, "index");
    uint64_t index = 0;
    if ((v != NULL) == (at != NULL))
        return kt_fail (reason, "log.proof needs message_id or index"), NULL;
    if (v) {
        uint8_t id[KT_ID_LEN];
        const char *hex = json_string_value (v);
        if (!hex || kt_unhex (id, KT_ID_LEN, hex) != 0)
            return kt_fail (reason, "message_id must be 32 hex digits"), NULL;
        int found = provlog_received_index (u->log, id, &index, reason);
        if (found < 0)
            return NULL;
        if (found == 0)
            return kt_fail (reason, "no arrival of message %.32s is in the log", hex), NULL;
    } else {
        if (!json_is_integer (at) || json_integer_value (at) < 0)
            return kt_fail (reason, "index must be a whole number from 0"), NULL;
        index = (uint64_t) json_integer_value (at);
    }
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (provlog_entry_bytes (u->log, index, &bytes, &len, reason) != 0)
        return NULL;
    Keten__Receipt r = KETEN__RECEIPT__INIT;
    logproof_receipt_t proof;
    Keten__LogEntry *e = keten__log_entry__unpack (NULL, len, bytes);
    char vkey[256];
    json_t *out = NULL;
    if (!e)
        kt_fail (reason, "entry %llu does not decode", (unsigned long long) index);
    else if (logproof_prove (u->proof, index, &r, &proof, reason) == 0 &&
             logproof_vkey (u->proof, vkey, sizeof vkey) == 0) {
        char leaf[65], hexbuf[65];
        json_t *path = json_array ();
        for (size_t i = 0; path && i < r.n_inclusion; i++)
            json_array_append_new (path, json_string (kt_hex (hexbuf, r.inclusion[i].data, 32)));
        char *b64 = malloc (sodium_base64_ENCODED_LEN (len, sodium_base64_VARIANT_ORIGINAL));
        if (b64)
            sodium_bin2base64 (b64, sodium_base64_ENCODED_LEN (len, sodium_base64_VARIANT_ORIGINAL),
                               bytes, len, sodium_base64_VARIANT_ORIGINAL);
        /*  The tree size the proof is for: the note's text (before the
         *  blank line and its signatures). */
        checkpoint_t cp;
        kt_reason_t why;
        const char *note = (const char *) r.checkpoint.data;
        const char *blank = strstr (note, "\n\n");
        uint64_t size = blank && checkpoint_parse_text (note, (size_t) (blank - note) + 1, &cp,
                                                        &why) == 0
                            ? cp.size
                            : 0;
        json_t *entry = s_entry_json (index, e);
        if (path && b64 && entry)
            out = json_pack ("{s:I, s:I, s:s%, s:s, s:o, s:s, s:o, s:s}", "index", (json_int_t) index,
                             "tree_size", (json_int_t) size, "checkpoint",
                             (const char *) r.checkpoint.data, r.checkpoint.len, "leaf_hash",
                             kt_hex (leaf, r.leaf_hash.data, 32), "inclusion", path, "entry_base64",
                             b64, "entry", entry, "vkey", vkey);
        else {
            json_decref (path);
            json_decref (entry);
            kt_fail (reason, "out of memory");
        }
        free (b64);
    }
    if (e)
        keten__log_entry__free_unpacked (e, NULL);
    free (bytes);
    return out;
}

void
uitvoerder_log_proof (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    kt_reason_t reason;
    if (!json_is_object (args)) {
        apiserver_reply_error (self->api, caller, "log.proof needs message_id or index");
        return;
    }
    render_reply (self->api, caller, NULL, s_proof (self, args, &reason), &reason);
}
