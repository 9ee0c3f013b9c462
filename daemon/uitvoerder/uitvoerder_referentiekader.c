/*  uitvoerder_referentiekader: the region's referentiekader in force at
 *  the uitvoerder (convenant art. 7.3).  The roster names it by version
 *  and by the SHA-256 of its file; the uitvoerder keeps every one it put
 *  in force, with its text, in the weegploeg file (rkhistory.c), weighs
 *  each decision against the one in force and records its hash in it.
 *
 *  At start the one in force is the roster's: read back from the kept
 *  ones, or else from the file weegploeg/referentiekader names, whose
 *  hash must be the roster's.  `keten referentiekader adopt` puts another
 *  in force as the next roster version, the way a membership change does
 *  (uitvoerder_roster.c).  Crash order of an adoption: the text is
 *  committed to the weegploeg file first, then the roster naming it is
 *  kept, logged, pushed and applied.  A crash between the two leaves a
 *  kept text whose roster was never issued (harmless: the roster in force
 *  still names the one before, and adopting the file again issues it),
 *  never a roster whose criteria this node cannot read back.
 */
#include "uitvoerder.h"

#include <string.h>

/*  Put text (taken) in force here, after checking it parses to the
 *  version and hash the roster names. */
static int
s_use (node_t *self, char *text, const roster_t *roster, kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    referentiekader_t *rk = calloc (1, sizeof *rk);
    if (!rk) {
        free (text);
        return kt_fail (reason, "out of memory");
    }
    int rc = referentiekader_parse (text, strlen (text), "the kept referentiekader", rk, reason);
    if (rc == 0 && (strcmp (rk->version, roster->referentiekader) != 0 ||
                    memcmp (rk->sha256, roster->referentiekader_sha256, 32) != 0))
        rc = kt_fail (reason, "the kept referentiekader %s is not the roster's",
                      roster->referentiekader);
    if (rc != 0) {
        free (rk);
        free (text);
        return -1;
    }
    free (u->rk);
    free (u->rk_text);
    u->rk = rk;
    u->rk_text = text;
    if (rk->example)
        kt_log (KT_LOG_WARN,
                "referentiekader example=yes version=%s: an illustration, "
                "not the region's own (test federation)",
                rk->version);
    return 0;
}

/*  The REFERENTIEKADER_IN_FORCE entry for the one roster names, put in
 *  force by roster version since: once per since (a start after a crash
 *  finds it logged, a later roster naming the same one logs nothing). */
static int
s_log_in_force (node_t *self, const roster_t *roster, uint64_t since, const char *user,
                kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    char sha[65], what[160], key[128];
    kt_hex (sha, roster->referentiekader_sha256, 32);
    snprintf (what, sizeof what, "%s sha256=%s", roster->referentiekader, sha);
    snprintf (key, sizeof key, "referentiekader/%llu/%s", (unsigned long long) since,
              roster->referentiekader);
    Keten__LogEntry e = KETEN__LOG_ENTRY__INIT;
    e.event = KETEN__LOG_EVENT__REFERENTIEKADER_IN_FORCE;
    e.time_ms = kt_now_ms ();
    e.node = (char *) keyring_self_member (self->keyring)->id;
    e.os_user = (char *) user;
    e.what = what;
    return provlog_append_one (u->log, key, &e, NULL, reason);
}

/*  A refusal of what the operator configured: ketend exits EX_CONFIG. */
static int
s_refuse (node_t *self)
{
    self->config_refused = true;
    return -1;
}

int
uitvoerder_referentiekader_start (node_t *self, kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    const roster_t *roster = keyring_roster (self->keyring);
    if (!(u->rkhistory = rkhistory_new (weegploeg_db (u->weegploeg), reason)))
        return -1;
    char want[65], have[65];
    kt_hex (want, roster->referentiekader_sha256, 32);
    uint8_t sha[32];
    char *text = NULL;
    uint64_t since = roster->version;
    int found = rkhistory_find (u->rkhistory, roster->referentiekader, sha, &text, &since, reason);
    if (found < 0)
        return -1;
    if (found) {
        if (memcmp (sha, roster->referentiekader_sha256, 32) != 0) {
            free (text);
            kt_fail (reason,
                     "roster %llu names %s sha256 %s, but %s was in force here with sha256 %s "
                     "(a changed file needs a new version)",
                     (unsigned long long) roster->version, roster->referentiekader, want,
                     roster->referentiekader, kt_hex (have, sha, 32));
            return s_refuse (self);
        }
        if (s_use (self, text, roster, reason) != 0)
            return -1;
    } else if (*self->config.referentiekader_file) {
        referentiekader_t rk;
        const char *path = self->config.referentiekader_file;
        if (referentiekader_load (path, &rk, &text, reason) != 0)
            return s_refuse (self);
        /*  art. 7.3: the weegploeg weighs against the referentiekader the
         *  convenant parties put in force - the one the roster names, to
         *  the byte. */
        if (strcmp (rk.version, roster->referentiekader) != 0) {
            free (text);
            kt_fail (reason, "%s is referentiekader %s, but the roster names %s", path, rk.version,
                     roster->referentiekader);
            return s_refuse (self);
        }
        if (memcmp (rk.sha256, roster->referentiekader_sha256, 32) != 0) {
            free (text);
            kt_fail (reason, "%s: sha256 %s, but roster %llu names %s sha256 %s", path,
                     kt_hex (have, rk.sha256, 32), (unsigned long long) roster->version,
                     roster->referentiekader, want);
            return s_refuse (self);
        }
        if (rkhistory_add (u->rkhistory, &rk, text, strlen (text), roster->version, kt_now_ms (),
                           reason) != 0) {
            free (text);
            return -1;
        }
        if (s_use (self, text, roster, reason) != 0)
            return -1;
    } else {
        kt_log (KT_LOG_WARN,
                "referentiekader none version=%s sha256=%s: not kept here and "
                "weegploeg/referentiekader is not set; decisions are refused until it names "
                "that file",
                roster->referentiekader, want);
        return 0;
    }
    kt_reason_t why;
    if (s_log_in_force (self, roster, since, "ketend", &why) != 0)
        kt_log (KT_LOG_ERROR, "log append_failed event=referentiekader reason=\"%s\"", why.text);
    return 0;
}

void
uitvoerder_referentiekader_stop (node_t *self)
{
    uitvoerder_t *u = uitvoerder_of (self);
    free (u->rk);
    u->rk = NULL;
    free (u->rk_text);
    u->rk_text = NULL;
    rkhistory_destroy (&u->rkhistory);
}

int
uitvoerder_referentiekader_follow (node_t *self, const roster_t *old, kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    const roster_t *roster = keyring_roster (self->keyring);
    /*  A membership change names the same one: nothing changes (also
     *  when none is known here yet). */
    if (strcmp (old->referentiekader, roster->referentiekader) == 0 &&
        memcmp (old->referentiekader_sha256, roster->referentiekader_sha256, 32) == 0)
        return 0;
    uint8_t sha[32];
    char *text = NULL;
    int found = rkhistory_find (u->rkhistory, roster->referentiekader, sha, &text, NULL, reason);
    if (found < 0)
        return -1;
    if (!found || memcmp (sha, roster->referentiekader_sha256, 32) != 0) {
        free (text);
        return kt_fail (reason,
                        "roster version %llu names referentiekader %s, which is not kept here",
                        (unsigned long long) roster->version, roster->referentiekader);
    }
    return s_use (self, text, roster, reason);
}

/*  After the roster that puts it in force is kept: on record. */
static int
s_adopt_kept (node_t *self, const roster_t *next, void *arg, kt_reason_t *reason)
{
    if (s_log_in_force (self, next, next->version, arg, reason) != 0) {
        kt_reason_t why = *reason;
        return kt_fail (
            reason, "REFERENTIEKADER_IN_FORCE not logged (%s); logged on the next start", why.text);
    }
    return 0;
}

/*  The checks of an adoption: a valid file, no example outside a test
 *  federation, not the one in force, and no version kept before with
 *  other bytes. */
static int
s_adopt_check (node_t *self, const char *text, referentiekader_t *rk, kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    if (!text)
        return kt_fail (reason, "referentiekader.adopt needs text (the file's contents)");
    size_t len = strlen (text);
    if (len > REFERENTIEKADER_MAX_BYTES)
        return kt_fail (reason, "the referentiekader is more than %d bytes",
                        REFERENTIEKADER_MAX_BYTES);
    if (referentiekader_parse (text, len, "the referentiekader", rk, reason) != 0)
        return -1;
    if (rk->example && !self->config.test_federation)
        return kt_fail (reason,
                        "referentiekader %s is an example (example = 1, the illustration in "
                        "configs/); only a test or demo federation (node/test-federation = 1) "
                        "puts one in force",
                        rk->version);
    const roster_t *roster = keyring_roster (self->keyring);
    char sha[65], other[65];
    kt_hex (sha, rk->sha256, 32);
    if (strcmp (rk->version, roster->referentiekader) == 0)
        return memcmp (rk->sha256, roster->referentiekader_sha256, 32) == 0
                   ? kt_fail (reason, "referentiekader %s is in force already", rk->version)
                   : kt_fail (reason,
                              "a changed referentiekader needs a new version: %s is in force "
                              "with sha256 %s, this file has %s",
                              rk->version, kt_hex (other, roster->referentiekader_sha256, 32), sha);
    uint8_t kept[32];
    int found = rkhistory_find (u->rkhistory, rk->version, kept, NULL, NULL, reason);
    if (found < 0)
        return -1;
    if (found && memcmp (kept, rk->sha256, 32) != 0)
        return kt_fail (reason,
                        "a changed referentiekader needs a new version: %s was in force before "
                        "with sha256 %s, this file has %s",
                        rk->version, kt_hex (other, kept, 32), sha);
    return 0;
}

/*  referentiekader.adopt { text }: art. 7.3, the next roster version puts
 *  text in force (order: the file header's comment). */
void
uitvoerder_referentiekader_adopt (node_t *self, const api_caller_t *caller, const char *cmd,
                                  json_t *args)
{
    (void) cmd;
    uitvoerder_t *u = uitvoerder_of (self);
    kt_reason_t reason;
    referentiekader_t rk;
    const char *text =
        json_is_object (args) ? json_string_value (json_object_get (args, "text")) : NULL;
    if (s_adopt_check (self, text, &rk, &reason) != 0) {
        apiserver_reply_error (self->api, caller, reason.text);
        return;
    }
    roster_change_t change = {.op = ROSTER_CHANGE_REFERENTIEKADER, .rk = &rk};
    roster_t *next = uitvoerder_roster_sign (self, &change, &reason);
    uint64_t version = next ? next->version : 0;
    /*  The text first, committed: a roster naming it is never kept
     *  without it. */
    if (!next || rkhistory_add (u->rkhistory, &rk, text, strlen (text), version, kt_now_ms (),
                                &reason) != 0) {
        roster_destroy (&next);
        apiserver_reply_error (self->api, caller, reason.text);
        return;
    }
    char user[65], sha[65], what[200];
    access_user_name (caller->uid, user, sizeof user);
    kt_hex (sha, rk.sha256, 32);
    snprintf (what, sizeof what, "referentiekader %s -> version %llu", rk.version,
              (unsigned long long) version);
    json_t *result =
        uitvoerder_roster_issue (self, next, &change, user, what, s_adopt_kept, user, &reason);
    if (!result) {
        apiserver_reply_error (self->api, caller, reason.text);
        return;
    }
    kt_log (KT_LOG_INFO, "referentiekader adopted version=%s sha256=%s roster_version=%llu user=%s",
            rk.version, sha, (unsigned long long) version, user);
    json_object_set_new (result, "referentiekader", json_string (rk.version));
    json_object_set_new (result, "referentiekader_sha256", json_string (sha));
    json_object_set_new (result, "example", json_boolean (rk.example));
    apiserver_reply_ok (self->api, caller, result);
}

static void
s_criterion (void *arg, const char *code, const char *text)
{
    json_array_append_new (arg, json_pack ("{s:s, s:s}", "code", code, "text", text));
}

static int
s_history_row (void *arg, const rkhistory_row_t *row, kt_reason_t *reason)
{
    (void) reason;
    json_array_append_new (arg, json_pack ("{s:s, s:s, s:b, s:I, s:I}", "version", row->version,
                                           "sha256", row->sha256, "example", row->example,
                                           "adopted_ms", (json_int_t) row->adopted_ms,
                                           "roster_version", (json_int_t) row->roster_version));
    return 0;
}

/*  referentiekader.show: the one in force, with its criteria, and every
 *  one put in force here. */
void
uitvoerder_referentiekader_show (node_t *self, const api_caller_t *caller, const char *cmd,
                                 json_t *args)
{
    (void) cmd;
    (void) args;
    uitvoerder_t *u = uitvoerder_of (self);
    const roster_t *roster = keyring_roster (self->keyring);
    kt_reason_t reason;
    char sha[65];
    json_t *criteria = json_array ();
    if (u->rk_text &&
        referentiekader_each (u->rk_text, strlen (u->rk_text), s_criterion, criteria) != 0) {
        json_decref (criteria);
        apiserver_reply_error (self->api, caller, "the referentiekader in force does not parse");
        return;
    }
    json_t *history = json_array ();
    if (rkhistory_each (u->rkhistory, s_history_row, history, &reason) != 0) {
        json_decref (criteria);
        json_decref (history);
        apiserver_reply_error (self->api, caller, reason.text);
        return;
    }
    apiserver_reply_ok (self->api, caller,
                        json_pack ("{s:s, s:s, s:s, s:b, s:I, s:b, s:o, s:o}", "role", "uitvoerder",
                                   "version", roster->referentiekader, "referentiekader_sha256",
                                   kt_hex (sha, roster->referentiekader_sha256, 32), "example",
                                   roster->referentiekader_example, "roster_version",
                                   (json_int_t) roster->version, "kept", u->rk != NULL, "criteria",
                                   criteria, "history", history));
}
