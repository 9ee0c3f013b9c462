/*  node_roster: a node's roster over time.  The roster only moves forward
 *  (docs/ROSTER.md, "How a node accepts a roster").  A newer version -
 *  built by the uitvoerder when the membership changes, or received from
 *  it - is kept in the state directory (the config's roster file may be
 *  read-only), applied without a restart (a new keyring; at the uitvoerder
 *  a new allow-list and a fresh listening socket, so a revoked member's
 *  open connection drops), and pushed to every member.
 */
#include "node_core.h"

#include "logproof.h"
#include "note.h"
#include "rosterchange.h"
#include "store.h"

#include <sodium.h>
#include <string.h>

/*  The roster may only move forward (docs/ROSTER.md,
 *  "How a node accepts a roster"): refuse a version older than the
 *  highest accepted before, and a roster whose bytes differ from the one
 *  accepted under its version.  An older version never seen passes when
 *  superseded_ok (it is only answered, not kept).  On 0, *known says that
 *  this very roster was accepted before; on -1, *refused says that the
 *  roster is refused, not that node.db could not be read. */
static int
s_check (node_t *self, const roster_t *roster, const uint8_t hash[32], bool superseded_ok,
         bool *known, bool *refused, kt_reason_t *reason)
{
    uint64_t version = roster->version;
    *known = false;
    *refused = false;
    sqlite3_stmt *q =
        store_prepare (self->db, "SELECT hash FROM roster_seen WHERE version=?", reason);
    if (!q)
        return -1;
    sqlite3_bind_int64 (q, 1, (sqlite3_int64) version);
    bool same = false;
    int step = sqlite3_step (q);
    if (step == SQLITE_ROW) {
        *known = true;
        same = store_blob_is (q, 0, 32) && memcmp (sqlite3_column_blob (q, 0), hash, 32) == 0;
    }
    sqlite3_finalize (q);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return kt_fail (reason, "cannot read the roster versions seen: %s",
                        sqlite3_errmsg (self->db));
    *refused = true;
    if (*known && !same)
        return kt_fail (reason,
                        "this roster differs from the version-%llu roster accepted before; a "
                        "changed roster needs a higher version",
                        (unsigned long long) version);
    int64_t seen = node_meta_get (self, "roster_version", 0);
    /*  Known or not: an older roster than the newest accepted is a
     *  downgrade (a lost kept file, a restored backup), never taken. */
    if ((int64_t) version < seen && !superseded_ok)
        return kt_fail (reason,
                        "roster version %llu is older than version %lld accepted before; "
                        "refusing the downgrade",
                        (unsigned long long) version, (long long) seen);
    *refused = false;
    return 0;
}

/*  Record version and hash as seen, and as the newest, in one commit: a
 *  crash leaves both or neither.  A strictly newer roster ends a
 *  roster_conflict alarm in the same commit: the uitvoerder's history
 *  went on past the conflicting push (docs/ROSTER.md, "A replayed
 *  roster"). */
static int
s_record (node_t *self, uint64_t version, const uint8_t hash[32], kt_reason_t *reason)
{
    if (store_begin (self->db, reason) != 0)
        return -1;
    int64_t seen = node_meta_get (self, "roster_version", 0);
    bool newer = (int64_t) version > seen;
    if (store_run (self->db, "INSERT INTO roster_seen (version, hash) VALUES (?, ?)",
                   STORE_VALUES (STORE_INT (version), STORE_BLOB (hash, 32)),
                   "record the roster version", reason) < 0 ||
        (newer && node_meta_set (self, "roster_version", version, reason) != 0) ||
        (newer && node_meta_get (self, "roster_conflict", 0) > 0 &&
         (node_meta_set (self, "roster_conflict", 0, reason) != 0 ||
          node_meta_set (self, "roster_conflict_ms", 0, reason) != 0)) ||
        store_commit (self->db, reason) != 0) {
        store_rollback (self->db);
        return -1;
    }
    return 0;
}

static void
s_hash (uint8_t hash[32], const roster_t *roster)
{
    crypto_generichash (hash, 32, (const uint8_t *) roster->note, roster->note_len, NULL, 0);
}

/*  At start roster comes from a file (the configured roster or the kept
 *  copy), so recording it here records a version a file holds.  A kept
 *  file newer than node.db's newest version is what a crash between
 *  keeping and recording leaves (rule 9): it is signed by the pinned key,
 *  so it is accepted and recorded now. */
int
node_accept_roster (node_t *self, const roster_t *roster, kt_reason_t *reason)
{
    uint8_t hash[32];
    s_hash (hash, roster);
    bool known, refused;
    if (s_check (self, roster, hash, false, &known, &refused, reason) != 0)
        return -1;
    return known ? 0 : s_record (self, roster->version, hash, reason);
}

/*  state_dir/roster.txt: the newest roster this node accepted. */
static void
s_kept_path (char *out, size_t len, const config_t *config)
{
    snprintf (out, len, "%s/roster.txt", config->state_dir);
}

roster_t *
node_newest_roster (const config_t *config, kt_reason_t *reason)
{
    roster_t *roster = roster_load (config->roster_file, config->uitvoerder_key, reason);
    if (!roster)
        return NULL;
    char path[PATH_MAX + 16];
    s_kept_path (path, sizeof path, config);
    if (access (path, F_OK) != 0)
        return roster;
    kt_reason_t why;
    roster_t *kept = roster_load (path, config->uitvoerder_key, &why);
    if (!kept) {
        /*  Signed by the pinned key or nothing: a damaged copy is
         *  reported and the configured roster is used. */
        kt_log (KT_LOG_WARN, "roster kept_copy_refused reason=\"%s\"", why.text);
        return roster;
    }
    if (kept->version > roster->version) {
        roster_destroy (&roster);
        return kept;
    }
    roster_destroy (&kept);
    return roster;
}

int
node_roster_example_check (const config_t *config, const roster_t *roster, kt_reason_t *reason)
{
    if (!roster->referentiekader_example || config->test_federation)
        return 0;
    return kt_fail (reason,
                    "roster %llu: referentiekader %s is an example (the illustration in "
                    "configs/); put the region's own in force (keten roster build "
                    "--referentiekader, keten referentiekader adopt) or set "
                    "node/test-federation = 1 for a test or demo federation",
                    (unsigned long long) roster->version, roster->referentiekader);
}

int
node_config_member_check (const config_t *config, const roster_member_t *me, kt_reason_t *reason)
{
    if (!*config->intake_key || me->role == ROLE_KERNPARTIJ)
        return 0;
    return kt_fail (reason,
                    "%s is set, but %s's role is %s (kind %s): the intake section (a spool of "
                    "signals, who may confirm or release them) is read only by a kernpartij's "
                    "node (art. 7.1: only kernpartijen forward signals); remove it from the "
                    "config",
                    config->intake_key, config->id, roster_role_name (me->role), me->kind);
}

/*  docs/ARCHITECTURE.md, Crash reasoning, rule 9: the file first, durably
 *  (kt_write_file fsyncs it and the state directory), and only then its
 *  version in node.db.  A crash between leaves a kept file newer than
 *  node.db, which the next start accepts; never a version recorded that no
 *  file holds, which would make this node refuse its own roster. */
int
node_keep_roster (node_t *self, const roster_t *roster, bool *refused, kt_reason_t *reason)
{
    char path[PATH_MAX + 16];
    s_kept_path (path, sizeof path, &self->config);
    uint8_t hash[32];
    s_hash (hash, roster);
    bool known;
    if (s_check (self, roster, hash, false, &known, refused, reason) != 0)
        return -1;
    if (kt_write_file (path, roster->note, roster->note_len, 0644, reason) != 0)
        return -1;
    if (known || s_record (self, roster->version, hash, reason) == 0)
        return 0;
    /*  The file is in place, so the next start takes this version: say
     *  so, rather than a plain failure the operator would believe. */
    kt_reason_t why = *reason;
    return kt_fail (reason,
                    "roster version %llu is kept but not recorded; it takes effect when ketend "
                    "next starts: %s",
                    (unsigned long long) roster->version, why.text);
}

/*  Raise the roster_conflict alarm for version (kept in node.db, so a
 *  restart still shows it; the newest conflict wins).  A failure to keep
 *  it is logged: the refusal and its receipt stand either way. */
static void
s_raise_conflict (node_t *self, uint64_t version)
{
    kt_reason_t why;
    if (store_begin (self->db, &why) != 0 ||
        node_meta_set (self, "roster_conflict", version, &why) != 0 ||
        node_meta_set (self, "roster_conflict_ms", kt_now_ms (), &why) != 0 ||
        store_commit (self->db, &why) != 0) {
        store_rollback (self->db);
        kt_log (KT_LOG_ERROR, "roster conflict_not_kept version=%llu reason=\"%s\"",
                (unsigned long long) version, why.text);
    }
}

/*  A pushed roster no newer than the one in use.  The same bytes as a
 *  version accepted before is a harmless repeat (a receipt that was lost,
 *  a relay that offers a superseded push again): answered as taken,
 *  nothing applied.  Anything else is a roster the uitvoerder should never
 *  send - a version older than ours we never saw, or other bytes under a
 *  version we hold: its history went back (a restored backup, a replay) -
 *  so it is refused and the roster_conflict alarm raised (docs/ROSTER.md,
 *  "A replayed roster").  On -1 *refused tells a refusal from a store
 *  error. */
static int
s_not_newer (node_t *self, const roster_t *roster, bool *refused, kt_reason_t *reason)
{
    const roster_t *current = keyring_roster (self->keyring);
    uint8_t hash[32];
    s_hash (hash, roster);
    bool known;
    int rc = s_check (self, roster, hash, true, &known, refused, reason);
    if (rc != 0 && !*refused)
        return rc;
    bool repeat = rc == 0 && known;
    if (rc == 0 && !known) {
        /*  The version in use is always recorded (node_accept_roster at
         *  start); this guards a node.db that lost its rows. */
        uint8_t now_hash[32];
        s_hash (now_hash, current);
        repeat = roster->version == current->version && memcmp (hash, now_hash, 32) == 0;
    }
    if (repeat)
        return 0;
    *refused = true;
    rc =
        roster->version == current->version
            ? kt_fail (reason,
                       "this roster differs from the version-%llu roster accepted before; a "
                       "changed roster needs a higher version",
                       (unsigned long long) roster->version)
            : kt_fail (reason,
                       "roster version %llu is older than version %llu held here and is not "
                       "the one accepted before under that version; refusing the downgrade",
                       (unsigned long long) roster->version, (unsigned long long) current->version);
    s_raise_conflict (self, roster->version);
    kt_log (KT_LOG_WARN, "roster conflict version=%llu held=%llu: alarm roster_conflict raised",
            (unsigned long long) roster->version, (unsigned long long) current->version);
    return rc;
}

int
node_roster_conflict_clear (node_t *self, uint64_t *version, kt_reason_t *reason)
{
    *version = node_roster_conflict (self, NULL);
    if (!*version)
        return kt_fail (reason, "no roster_conflict alarm is raised here");
    if (store_begin (self->db, reason) != 0)
        return -1;
    if (node_meta_set (self, "roster_conflict", 0, reason) != 0 ||
        node_meta_set (self, "roster_conflict_ms", 0, reason) != 0 ||
        store_commit (self->db, reason) != 0) {
        store_rollback (self->db);
        return -1;
    }
    return 0;
}

uint64_t
node_roster_conflict (node_t *self, uint64_t *at_ms)
{
    int64_t version = node_meta_get (self, "roster_conflict", 0);
    int64_t at = node_meta_get (self, "roster_conflict_ms", 0);
    if (at_ms)
        *at_ms = at > 0 ? (uint64_t) at : 0;
    return version > 0 ? (uint64_t) version : 0;
}

int
node_apply_roster (node_t *self, const char *note, size_t len, bool *refused, kt_reason_t *reason)
{
    *refused = true;
    roster_t *roster = roster_parse (note, len, self->config.uitvoerder_key, reason);
    if (!roster)
        return -1;
    if (roster->version <= keyring_roster (self->keyring)->version) {
        int rc = s_not_newer (self, roster, refused, reason);
        roster_destroy (&roster);
        return rc;
    }
    /*  art. 7.3: never applied silently; refused (the uitvoerder sees its
     *  roster_refused alarm) and said here. */
    if (node_roster_example_check (&self->config, roster, reason) != 0) {
        kt_log (KT_LOG_ERROR,
                "roster refused version=%llu: example referentiekader %s and "
                "node/test-federation is not set",
                (unsigned long long) roster->version, roster->referentiekader);
        roster_destroy (&roster);
        return -1;
    }
    if (node_keep_roster (self, roster, refused, reason) != 0) {
        roster_destroy (&roster);
        return -1;
    }
    *refused = false;
    return node_use_roster (self, &roster, reason);
}

int
node_use_roster (node_t *self, roster_t **roster_p, kt_reason_t *reason)
{
    roster_t *roster = *roster_p;
    *roster_p = NULL;
    uint64_t version = roster->version;
    const roster_member_t *me = roster_find (roster, self->config.id);
    uint64_t now = kt_now_ms ();
    bool still_member = me && roster_member_active (me, now);
    bool current_keys = me && sodium_memcmp (me->signing_pk, self->keys->pub.signing_pk, 32) == 0;
    bool old_keys = me && roster_member_previous_active (me, now) &&
                    sodium_memcmp (me->previous_signing_pk, self->keys->pub.signing_pk, 32) == 0;
    if (still_member && !current_keys && !old_keys) {
        /*  Rotated without an overlap (or the overlap is over): this key
         *  file is no longer accepted anywhere. */
        roster_destroy (&roster);
        self->expelled = true;
        kt_log (KT_LOG_ERROR,
                "roster version=%llu replaces this node's keys: sending stopped; "
                "install the new key file and restart",
                (unsigned long long) version);
        return 0;
    }
    if (still_member && old_keys)
        kt_log (KT_LOG_WARN,
                "roster version=%llu rotates this node's keys: the key file in use "
                "is accepted until %s; install the new one and restart before then",
                (unsigned long long) version, me->previous_until);
    if (!still_member) {
        /*  art. 15.2c / 18.2: dropped from the federation.  Stop sending
         *  and say so; the data here stays for its retention periods. */
        roster_destroy (&roster);
        self->expelled = true;
        kt_log (KT_LOG_ERROR, "roster version=%llu drops this node: sending stopped",
                (unsigned long long) version);
        return 0;
    }
    keyring_t *keyring = keyring_new (self->keys, &roster, reason);
    if (!keyring) {
        roster_destroy (&roster);
        return -1;
    }
    keyring_t *gone = self->keyring;
    self->keyring = keyring;
    if (self->role->roster_changed (self, keyring_roster (gone), reason) != 0) {
        self->keyring = gone;
        keyring_destroy (&keyring);
        return -1;
    }
    keyring_destroy (&gone);
    kt_log (KT_LOG_INFO, "roster applied version=%llu members=%zu", (unsigned long long) version,
            keyring_roster (self->keyring)->member_count);
    return 0;
}

void
node_peering_list (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    (void) args;
    const roster_t *roster = keyring_roster (self->keyring);
    uint64_t now = kt_now_ms ();
    json_t *list = json_array ();
    for (size_t i = 0; list && i < roster->peering_count; i++) {
        const roster_peering_t *p = &roster->peerings[i];
        /*  What the peer's operator compares out of band: its log key
         *  follows from its signing key and its federation's name. */
        char log_key[NOTE_NAME_MAX + 64];
        if (logproof_vkey_of (p->federation, p->signing_pk, log_key, sizeof log_key) != 0)
            *log_key = '\0';
        json_t *row = json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:s}", "federation",
                                 p->federation, "uitvoerder", p->uitvoerder, "name", p->name,
                                 "endpoint", p->endpoint, "since", p->since, "ended", p->ended,
                                 "active", roster_peering_active (p, now), "wpg_entitled",
                                 p->wpg_entitled, "log_key", log_key);
        if (!row || json_array_append_new (list, row) != 0) {
            json_decref (list);
            list = NULL;
        }
    }
    json_t *r = list ? json_pack ("{s:s, s:I, s:o}", "federation", roster->federation,
                                  "roster_version", (json_int_t) roster->version, "peerings", list)
                     : NULL;
    if (!r)
        apiserver_reply_error (self->api, caller, "out of memory");
    else
        apiserver_reply_ok (self->api, caller, r);
}

bool
node_check_membership (node_t *self)
{
    const roster_member_t *me = keyring_self_member (self->keyring);
    if (self->expelled || roster_member_active (me, kt_now_ms ()))
        return !self->expelled;
    self->expelled = true;
    kt_log (KT_LOG_ERROR,
            "roster version=%llu: this node left the federation on %s: sending stopped",
            (unsigned long long) keyring_roster (self->keyring)->version, me->leaves_at);
    return false;
}
