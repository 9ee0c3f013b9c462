/*  node: the shared core of every ketend.  */
#include "node_core.h"

#include "backup.h"
#include "clockcheck.h"
#include "render.h"

#include "keten_version.h" /* KETEN_VERSION, generated at build time */
#include "policy.h"
#include "service.h" /* systemd watchdog (service.c) */
#include "store.h"

#include <stddef.h>

#include <errno.h>
#include <sodium.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

static const char *const s_migrations[] = {
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);",
    /*  Every roster version accepted, with the hash of its signed bytes:
     *  a different roster under a version already seen is refused. */
    "CREATE TABLE roster_seen (version INTEGER PRIMARY KEY, hash BLOB NOT NULL);",
};

static int
s_state_path (char *out, size_t len, const node_t *self, const char *file, kt_reason_t *reason)
{
    if (snprintf (out, len, "%s/%s", self->config.state_dir, file) >= (int) len)
        return kt_fail (reason, "state directory path too long");
    return 0;
}

/*  Each second: the counts of peers' lines whose minute is over
 *  (node_peer_line). */
static int
s_peer_lines_said (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    node_t *self = arg;
    ratelog_peer_flush (self->peer_lines, kt_mono_us (), false);
    return 0;
}

bool
node_peer_line (node_t *self, const char *event, const char *peer)
{
    return ratelog_peer_due (self->peer_lines, event, peer ? peer : "-", kt_mono_us ());
}

static void s_api_handle (void *arg, const api_caller_t *caller, const char *cmd, json_t *args);
static void s_api_flush (void *arg);
static void s_api_closed (void *arg, const uint64_t *conn_ids, size_t n);

/*  The role that serves this node's roster role; NULL when none does. */
static const node_role_t *
s_pick_role (const node_role_t *const *roles, size_t n_roles, roster_role_t role)
{
    for (size_t i = 0; i < n_roles; i++)
        if (roles[i]->serves & (1u << role))
            return roles[i];
    return NULL;
}

node_t *
node_new (const config_t *config, const node_role_t *const *roles, size_t n_roles,
          bool *misconfigured, kt_reason_t *reason)
{
    /*  Until the role's check has passed every failure is in what the
     *  operator wrote (keys, roster, membership, role config); after it,
     *  nothing is wrong with the configuration. */
    bool config_stage = true;
    *misconfigured = false;
    if (sodium_init () < 0) {
        kt_fail (reason, "libsodium cannot initialise");
        return NULL;
    }
    node_t *self = calloc (1, sizeof *self);
    if (!self) {
        kt_fail (reason, "out of memory");
        return NULL;
    }
    self->config = *config;
    self->lock_fd = -1;
    if (!(self->arena = kt_arena_new ())) {
        free (self);
        kt_fail (reason, "out of memory");
        return NULL;
    }
    self->started_ms = kt_now_ms ();
    self->started_mono_ms = kt_mono_us () / 1000;
    if (!(self->clock = clockcheck_new ()) || !(self->peer_lines = ratelog_peer_new ())) {
        clockcheck_destroy (&self->clock);
        kt_arena_destroy (&self->arena);
        free (self);
        kt_fail (reason, "out of memory");
        return NULL;
    }
    char path[PATH_MAX + 32];
    roster_t *roster = NULL;

    self->keys = keys_load_secret (config->key_file, reason);
    if (!self->keys)
        goto fail;
    /*  The key's age, shown in status (a key file has no created field). */
    struct stat key_st;
    if (stat (config->key_file, &key_st) == 0)
        self->key_created_ms = (uint64_t) key_st.st_mtime * 1000;
    if (strcmp (self->keys->pub.id, config->id) != 0) {
        kt_fail (reason, "%s holds the keys of %s, but this node is configured as %s",
                 config->key_file, self->keys->pub.id, config->id);
        goto fail;
    }
    roster = node_newest_roster (config, reason);
    if (!roster || node_roster_example_check (config, roster, reason) != 0)
        goto fail;
    /*  The keyring checks this node's membership and keys; it holds the
     *  roster from here on. */
    self->keyring = keyring_new (self->keys, &roster, reason);
    if (!self->keyring)
        goto fail;
    /*  art. 15.2c, 18.2: a roster that says this node left (revoked, or
     *  its opzegging's leaves-at day passed) keeps it from sending after
     *  a restart too, as while it ran (node_check_membership). */
    node_check_membership (self);
    roster_role_t role = keyring_self_member (self->keyring)->role;
    const node_role_t *serving = s_pick_role (roles, n_roles, role);
    if (!serving) {
        kt_fail (reason, "this ketend has no role for a %s", roster_role_name (role));
        goto fail;
    }
    if (node_config_member_check (config, keyring_self_member (self->keyring), reason) != 0 ||
        serving->check (config, reason) != 0)
        goto fail;
    config_stage = false;
    if (mkdir (config->state_dir, 0700) != 0 && errno != EEXIST) {
        kt_fail (reason, "cannot create state directory %s: %s", config->state_dir,
                 strerror (errno));
        goto fail;
    }
    if (node_lock_state (self, reason) != 0)
        goto fail;
    /*  A file a newer release migrated is refused before any is opened
     *  to write or any port is bound (a downgrade): exit 78. */
    if (store_schema_check_dir (config->state_dir, reason) != 0) {
        self->config_refused = store_schema_newer_seen ();
        goto fail;
    }
    /*  Who a copy taken before a schema migration is of. */
    {
        const roster_member_t *me = keyring_self_member (self->keyring);
        json_t *about = json_pack ("{s:s, s:s, s:s}", "node", me->id, "kind", me->kind, "role",
                                   roster_role_name (me->role));
        backup_set_premigration (config->state_dir, about);
        json_decref (about);
    }
    if (s_state_path (path, sizeof path, self, "node.db", reason) != 0 ||
        !(self->db = serving->commits_beside ? store_open_shared (path, reason)
                                             : store_open (path, reason)) ||
        /*  A file whose log is synced beside the loop starts with its log
         *  written anew and synced, before any commit: should a sync of
         *  the last run have failed unhealed, the pages the kernel kept
         *  unwritten reach the disk now (docs/ARCHITECTURE.md, crash
         *  reasoning rule 19). */
        (serving->commits_beside && store_log_rewrite (self->db, reason) != 0) ||
        store_migrate (self->db, "node", s_migrations, sizeof s_migrations / sizeof s_migrations[0],
                       reason) != 0 ||
        node_accept_roster (self, keyring_roster (self->keyring), reason) != 0)
        goto fail;
    if (s_state_path (path, sizeof path, self, "keystore.db", reason) != 0 ||
        !(self->keystore = keystore_open (path, self->keys->storage_key, reason)))
        goto fail;
    /*  The key file's storage key must be the one that wrapped the data
     *  keys: another is a configuration error (exit 78), not a crash to
     *  restart from. */
    int storage = keystore_check_storage (self->keystore, reason);
    if (storage != 0) {
        self->config_refused = storage == KEYSTORE_OTHER_STORAGE_KEY;
        goto fail;
    }
    if (s_state_path (path, sizeof path, self, FORGET_FILE, reason) != 0 ||
        !(self->forget = forget_open (path, self->keys->storage_key, reason)))
        goto fail;
    if (!(self->access = access_new (self->db, config->id, reason)) ||
        node_audit_first_start (self, reason) != 0)
        goto fail;
    self->loop = zloop_new ();
    zloop_timer (self->loop, 1000, 0, s_peer_lines_said, self);
    /*  Set before start: a start that fails half-way is stopped. */
    self->role = serving;
    /*  Each role replays what a restore owes (node_replay_forgotten)
     *  inside its start, before it resumes any send; this call finds
     *  nothing left then, and stands for a role that does not. */
    if (self->role->start (self, reason) != 0 || node_replay_forgotten (self, reason) != 0)
        goto fail;
    /*  The rights' groups as gids, once: the loop asks no name service
     *  for a caller's groups (peercred.h). */
    node_rights_resolve (self);
    self->api =
        apiserver_new (self->loop, config->socket_path, s_api_handle, s_api_flush, self, reason);
    if (!self->api || metrics_node_start (self, reason) != 0)
        goto fail;
    apiserver_on_closed (self->api, s_api_closed);
    apiserver_set_admin_group (
        self->api, self->right_known[NODE_RIGHT_ADMIN] ? &self->right_gid[NODE_RIGHT_ADMIN] : NULL);
    kt_log (KT_LOG_INFO, "node started id=%s role=%s roster_version=%llu", config->id,
            roster_role_name (keyring_self_member (self->keyring)->role),
            (unsigned long long) keyring_roster (self->keyring)->version);
    return self;
fail:
    *misconfigured = config_stage || (self && self->config_refused);
    roster_destroy (&roster);
    node_destroy (&self);
    return NULL;
}

void
node_destroy (node_t **self_p)
{
    node_t *self = *self_p;
    if (!self)
        return;
    metrics_destroy (&self->metrics);
    if (self->api && self->role && self->role_state && self->role->api_closing)
        self->role->api_closing (self);
    /*  Those answers, and any other not sent yet, go out before the
     *  close: cut off, a "queued" invites a duplicate. */
    if (self->api)
        apiserver_finish (self->api, API_STOP_FLUSH_MS);
    apiserver_destroy (&self->api);
    if (self->role)
        self->role->stop (self);
    for (size_t i = 0; i < self->n_out; i++)
        free (self->out[i].header);
    free (self->out);
    transport_destroy (&self->transport);
    zloop_destroy (&self->loop);
    access_destroy (&self->access);
    keystore_destroy (&self->keystore);
    forget_destroy (&self->forget);
    keyring_destroy (&self->keyring);
    store_close (&self->db);
    keys_secret_destroy (&self->keys);
    if (self->lock_fd >= 0)
        close (self->lock_fd); /* the lock goes with it */
    kt_arena_destroy (&self->arena);
    clockcheck_destroy (&self->clock);
    ratelog_peer_destroy (&self->peer_lines); /* says the counts still open */
    free (self);
    *self_p = NULL;
}

int
node_run (node_t *self)
{
    /*  systemd watchdog (service.c): kicked by a timer on this loop, so a
     *  hung loop is restarted.  No-op outside systemd. */
    if (service_watchdog_attach (self->loop) < 0)
        return -1;
    /*  The clock is confirmed on the peers' word only once each online
     *  one had a heartbeat timeout to be heard, counted from when the loop
     *  begins to hear them (docs/RETENTION.md, "A clock the federation
     *  confirms"). */
    clockcheck_start (self->clock, kt_mono_us () / 1000, self->config.heartbeat_timeout_ms);
    zloop_start (self->loop);
    kt_log (KT_LOG_INFO, "node stopping id=%s", self->config.id);
    return 0;
}

void
node_open_opts (node_t *self, envelope_open_opts_t *opts)
{
    memset (opts, 0, sizeof *opts);
    opts->max_bytes = self->config.max_message;
    opts->now_ms = kt_now_ms ();
    opts->clock_skew_ms = self->config.clock_skew_ms;
    opts->max_age_ms = (uint64_t) self->config.max_age_s * 1000u;
    opts->allocator = kt_arena_allocator (self->arena);
}

void
node_body_free (node_t *self, ProtobufCMessage *body)
{
    if (body)
        protobuf_c_message_free_unpacked (body, kt_arena_allocator (self->arena));
}

static int
s_seal (node_t *self, Keten__MessageType type, const char *recipient, const ProtobufCMessage *body,
        const uint8_t *given_id, uint8_t id[KT_ID_LEN], uint8_t **header_p, size_t *header_len_p,
        kt_reason_t *reason)
{
    size_t len = protobuf_c_message_get_packed_size (body);
    if (len > self->config.max_message)
        return kt_fail (reason, "%s body of %zu bytes exceeds delivery/max-message",
                        policy_type_name (type), len);
    uint8_t *buf = malloc (len ? len : 1);
    if (!buf)
        return kt_fail (reason, "out of memory");
    protobuf_c_message_pack (body, buf);
    char *recipients[1] = {(char *) recipient};
    envelope_draft_t draft = {type, recipients, 1, NULL, buf, len, kt_now_ms (), given_id, NULL};
    int rc = envelope_seal (self->keyring, &draft, id, header_p, header_len_p, reason);
    sodium_memzero (buf, len);
    free (buf);
    return rc;
}

int
node_seal (node_t *self, Keten__MessageType type, const char *recipient,
           const ProtobufCMessage *body, uint8_t id[KT_ID_LEN], uint8_t **header_p,
           size_t *header_len_p, kt_reason_t *reason)
{
    return s_seal (self, type, recipient, body, NULL, id, header_p, header_len_p, reason);
}

int
node_seal_as (node_t *self, Keten__MessageType type, const char *recipient,
              const ProtobufCMessage *body, const uint8_t id[KT_ID_LEN], uint8_t **header_p,
              size_t *header_len_p, kt_reason_t *reason)
{
    uint8_t same[KT_ID_LEN];
    return s_seal (self, type, recipient, body, id, same, header_p, header_len_p, reason);
}

int
node_queue_header (node_t *self, const node_route_t *to, const uint8_t id[KT_ID_LEN],
                   uint8_t *header, size_t header_len, kt_reason_t *reason)
{
    if (self->n_out == self->cap_out) {
        size_t cap = self->cap_out ? self->cap_out * 2 : 256;
        outgoing_t *o = realloc (self->out, cap * sizeof *o);
        if (!o) {
            free (header);
            return kt_fail (reason, "out of memory");
        }
        self->out = o;
        self->cap_out = cap;
    }
    outgoing_t *o = &self->out[self->n_out++];
    o->routed = to != NULL;
    if (to)
        o->to = *to;
    memcpy (o->id, id, KT_ID_LEN);
    o->header = header;
    o->header_len = header_len;
    return 0;
}

int
node_queue (node_t *self, const node_route_t *to, Keten__MessageType type, const char *recipient,
            const ProtobufCMessage *body, kt_reason_t *reason)
{
    uint8_t id[KT_ID_LEN], *header = NULL;
    size_t header_len = 0;
    if (node_seal (self, type, recipient, body, id, &header, &header_len, reason) != 0)
        return -1;
    return node_queue_header (self, to, id, header, header_len, reason);
}

static bool
s_same_route (const outgoing_t *a, const outgoing_t *b)
{
    return a->routed == b->routed &&
           (!a->routed || (a->to.len == b->to.len && memcmp (a->to.id, b->to.id, a->to.len) == 0));
}

/*  The signed envelopes of out[0..n), each run of them to one peer
 *  together (in bundles when it reads them: docs/PROTOCOL.md,
 *  "Bundles").  Receipts and replies are not retried: a lost one makes
 *  the sender retry, and the duplicate is answered again. */
static void
s_send_signed (node_t *self, const outgoing_t *out, uint8_t *const *envs, const size_t *lens,
               size_t n)
{
    size_t i = 0;
    while (i < n) {
        const outgoing_t *o = &out[i];
        size_t k = 1;
        while (i + k < n && s_same_route (o, &out[i + k]))
            k++;
        size_t max = k > 1 && self->role->bundle_max
                         ? self->role->bundle_max (self, o->routed ? &o->to : NULL)
                         : 0;
        size_t sent = transport_send_all (self->transport, o->routed ? o->to.id : NULL,
                                          o->routed ? o->to.len : 0, &envs[i], &lens[i], k, max);
        if (sent < k)
            kt_log (KT_LOG_DEBUG, "send dropped errno=%d count=%zu", errno, k - sent);
        i += k;
    }
}

void
node_send_batch (node_t *self)
{
    if (self->role && self->role->send_held)
        self->role->send_held (self);
    size_t n = self->n_out;
    if (n == 0)
        return;
    for (size_t start = 0; start < n; start += ENVELOPE_BATCH_MAX) {
        size_t count = n - start < ENVELOPE_BATCH_MAX ? n - start : ENVELOPE_BATCH_MAX;
        uint8_t **headers = malloc (count * sizeof *headers);
        size_t *lens = malloc (count * sizeof *lens);
        uint8_t **envs = calloc (count, sizeof *envs);
        size_t *env_lens = calloc (count, sizeof *env_lens);
        kt_reason_t reason;
        if (headers && lens && envs && env_lens) {
            for (size_t i = 0; i < count; i++) {
                headers[i] = self->out[start + i].header;
                lens[i] = self->out[start + i].header_len;
            }
            if (envelope_sign (self->keyring, headers, lens, count, envs, env_lens, &reason) != 0)
                kt_log (KT_LOG_ERROR, "send sign_failed reason=\"%s\"", reason.text);
            else
                s_send_signed (self, &self->out[start], envs, env_lens, count);
            for (size_t i = 0; i < count; i++)
                free (envs[i]);
        }
        free (headers);
        free (lens);
        free (envs);
        free (env_lens);
    }
    for (size_t i = 0; i < n; i++)
        free (self->out[i].header);
    self->n_out = 0;
}

int64_t
node_meta_get (node_t *self, const char *key, int64_t missing)
{
    sqlite3_stmt *q = store_prepare (self->db, "SELECT value FROM meta WHERE key=?", NULL);
    if (!q)
        return missing;
    sqlite3_bind_text (q, 1, key, -1, SQLITE_STATIC);
    int64_t v = sqlite3_step (q) == SQLITE_ROW ? sqlite3_column_int64 (q, 0) : missing;
    sqlite3_finalize (q);
    return v;
}

int
node_meta_set (node_t *self, const char *key, uint64_t value, kt_reason_t *reason)
{
    sqlite3_stmt *q =
        store_prepare (self->db, "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", reason);
    if (!q)
        return -1;
    sqlite3_bind_text (q, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (q, 2, (sqlite3_int64) value);
    int rc = sqlite3_step (q) == SQLITE_DONE ? 0 : kt_fail (reason, "cannot write meta %s", key);
    sqlite3_finalize (q);
    return rc;
}

/* ---- local API ---------------------------------------------------------- */

/*  How long before the overlap of a key rotation ends a node still on its
 *  old key file warns (keys_overlap_ending): a week, the default overlap
 *  (docs/OPERATIONS.md, "Rotating this node's keys"). */
#define NODE_OLD_KEYS_WARN_MS (7ull * 24 * 3600 * 1000)

/*  A key rotation this node has not followed yet: until when its current
 *  key file still works, and whether that ends within the week or has
 *  ended (the checks keys_overlap_ending and keys_overlap_ended). */
static void
s_status_old_keys (json_t *r, const roster_member_t *me, uint64_t now)
{
    uint64_t end = roster_member_previous_end_ms (me);
    json_object_set_new (r, "old_keys_until", json_string (me->previous_until));
    json_object_set_new (r, "old_keys_end_ms", json_integer ((json_int_t) end));
    /*  An end the roster parser let through but we cannot read: ended
     *  (fails closed, as roster_member_previous_active does). */
    if (now >= end)
        json_object_set_new (r, "old_keys_ended", json_true ());
    else if (end - now <= NODE_OLD_KEYS_WARN_MS)
        json_object_set_new (r, "old_keys_ending", json_true ());
}

uint64_t
node_uptime_s (const node_t *self)
{
    return (kt_mono_us () / 1000 - self->started_mono_ms) / 1000;
}

json_t *
node_status (node_t *self)
{
    const roster_member_t *me = keyring_self_member (self->keyring);
    json_t *r = json_pack ("{s:s, s:s, s:s, s:s, s:I, s:I}", "node", me->id, "kind", me->kind,
                           "role", roster_role_name (me->role), "software_version", KETEN_VERSION,
                           "uptime_s", (json_int_t) node_uptime_s (self), "roster_version",
                           (json_int_t) keyring_roster (self->keyring)->version);
    if (!r)
        return NULL;
    json_object_set_new (r, "federation_name",
                         json_string (keyring_roster (self->keyring)->federation));
    if (self->expelled)
        json_object_set_new (r, "expelled", json_true ());
    if (keyring_self_previous (self->keyring))
        s_status_old_keys (r, me, kt_now_ms ());
    node_audit_status (self, r);
    self->role->status (self, r);
    node_clock_status (self, r);
    return r;
}

void
node_status_unreadable (json_t *status, const char *section, const char *reason)
{
    json_t *list = json_object_get (status, "unreadable");
    if (!json_is_array (list)) {
        list = json_array ();
        if (!list || json_object_set_new (status, "unreadable", list) != 0)
            return;
    }
    json_array_append_new (list, json_pack ("{s:s, s:s}", "section", section, "error",
                                            reason && *reason ? reason : "cannot be read"));
}

static void
s_status (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    (void) args;
    json_t *r = node_status (self);
    if (!r) {
        apiserver_reply_error (self->api, caller, "out of memory");
        return;
    }
    apiserver_reply_ok (self->api, caller, r);
}

int
node_limit (json_t *args)
{
    json_t *l = args ? json_object_get (args, "limit") : NULL;
    if (!json_is_integer (l))
        return 100;
    json_int_t v = json_integer_value (l);
    return v < 1 ? 1 : v > NODE_LIMIT_MAX ? NODE_LIMIT_MAX : (int) v;
}

void
node_reply_signals (node_t *self, const api_caller_t *caller, json_t *list,
                    const kt_reason_t *reason)
{
    if (!list) {
        render_reply (self->api, caller, "signals", NULL, reason);
        return;
    }
    /*  art. 15.2e: who looked, kernel-identified; counts, never content. */
    kt_log (KT_LOG_INFO, "access signal.list uid=%u pid=%d rows=%zu", (unsigned) caller->uid,
            (int) caller->pid, json_array_size (list));
    apiserver_reply_ok (self->api, caller, json_pack ("{s:o}", "signals", list));
}

static void
s_audit_access (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    json_t *since = args ? json_object_get (args, "since_ms") : NULL;
    json_t *after = args ? json_object_get (args, "after_id") : NULL;
    if (since && (!json_is_integer (since) || json_integer_value (since) < 0))
        apiserver_reply_error (self->api, caller, "since_ms must be a non-negative integer");
    else if (after && (!json_is_integer (after) || json_integer_value (after) < 0))
        apiserver_reply_error (self->api, caller, "after_id must be a non-negative integer");
    else {
        kt_reason_t reason;
        render_reply (self->api, caller, "access",
                      render_access (self->access,
                                     since ? (uint64_t) json_integer_value (since) : 0,
                                     after ? (int64_t) json_integer_value (after) : 0,
                                     node_limit (args), &reason),
                      &reason);
    }
}

/*  The core's own commands; every other one is the role's. */
static const node_command_t s_commands[] = {
    {"status", NODE_RIGHT_NONE, s_status, NULL, ""},
    {"audit.access", NODE_RIGHT_AUDIT, s_audit_access, NULL, "after_id:i limit:l since_ms:i"},
    {"audit.review", NODE_RIGHT_AUDIT, node_audit_review, NULL, "finding:s from:s to:*"},
    {"audit.reviews", NODE_RIGHT_AUDIT, node_audit_reviews, NULL, "limit:l"},
    {"audit.grants", NODE_RIGHT_AUDIT, node_audit_grants, NULL, ""},
    {"node.backup", NODE_RIGHT_ADMIN, node_backup, NULL, "dir:s"},
    /*  The operator's word on this node's clock (node_clock.c). */
    {"clock.confirm", NODE_RIGHT_ADMIN, node_clock_confirm, NULL, "hours:i"},
    /*  The roster's peerings with other federations (no personal data). */
    {"peering.list", NODE_RIGHT_READ, node_peering_list, NULL, ""},
};

/*  The row for cmd in table: an exact name, else (prefix) a "name.*". */
static const node_command_t *
s_find (const node_command_t *table, size_t n, const char *cmd, bool prefix)
{
    for (size_t i = 0; i < n; i++) {
        const char *name = table[i].name;
        size_t len = strlen (name);
        bool is_prefix = len >= 2 && streq (name + len - 2, ".*");
        if (!prefix && !is_prefix && streq (name, cmd))
            return &table[i];
        if (prefix && is_prefix && strncmp (name, cmd, len - 1) == 0)
            return &table[i];
    }
    return NULL;
}

const node_command_t *
node_core_commands (size_t *n_p)
{
    *n_p = sizeof s_commands / sizeof s_commands[0];
    return s_commands;
}

const node_command_t *
node_command_find (const node_role_t *role, const char *cmd)
{
    const node_command_t *c =
        s_find (s_commands, sizeof s_commands / sizeof s_commands[0], cmd, false);
    if (!c)
        c = s_find (role->commands, role->n_commands, cmd, false);
    if (!c)
        c = s_find (role->commands, role->n_commands, cmd, true);
    return c;
}

/*  The config setting that names right's group, and the group it names
 *  ("" when unset: nobody has the right); NULL for NODE_RIGHT_NONE. */
static const struct {
    const char *setting;
    size_t offset;
} s_rights[NODE_RIGHT_COUNT] = {
    [NODE_RIGHT_READ] = {"access/read-group", offsetof (config_t, read_group)},
    [NODE_RIGHT_SUBMIT] = {"access/submit-group", offsetof (config_t, submit_group)},
    [NODE_RIGHT_RELEASE] = {"intake/release-group", offsetof (config_t, release_group)},
    [NODE_RIGHT_REPRESENTATIVE] = {"intake/representative-group",
                                   offsetof (config_t, representative_group)},
    [NODE_RIGHT_WEEGPLOEG] = {"access/weegploeg-group", offsetof (config_t, weegploeg_group)},
    [NODE_RIGHT_DISCLOSURE] = {"access/disclosure-group", offsetof (config_t, disclosure_group)},
    [NODE_RIGHT_RIGHTS] = {"access/rights-group", offsetof (config_t, rights_group)},
    [NODE_RIGHT_AUDIT] = {"access/audit-group", offsetof (config_t, audit_group)},
    [NODE_RIGHT_ADMIN] = {"access/admin-group", offsetof (config_t, admin_group)},
};

const char *
node_right_setting (node_right_t right)
{
    return right > NODE_RIGHT_NONE && right < NODE_RIGHT_COUNT ? s_rights[right].setting : NULL;
}

const char *
node_right_group (const config_t *config, node_right_t right)
{
    if (right <= NODE_RIGHT_NONE || right >= NODE_RIGHT_COUNT)
        return NULL;
    return (const char *) config + s_rights[right].offset;
}

void
node_rights_resolve (node_t *self)
{
    for (node_right_t r = NODE_RIGHT_NONE + 1; r < NODE_RIGHT_COUNT; r++) {
        const char *group = node_right_group (&self->config, r);
        self->right_known[r] = false;
        if (!*group)
            continue;
        kt_reason_t why;
        int found = peercred_group_gid (group, &self->right_gid[r], &why);
        self->right_known[r] = found == 1;
        if (found == 0)
            kt_log (KT_LOG_WARN,
                    "access group_missing setting=%s group=%s: no such group on this host; "
                    "nobody holds this right until it is made (groupadd %s) and ketend is "
                    "started again",
                    node_right_setting (r), group, group);
        else if (found < 0)
            kt_log (KT_LOG_ERROR,
                    "access group_unresolved setting=%s group=%s reason=\"%s\": nobody holds "
                    "this right until ketend is started again",
                    node_right_setting (r), group, why.text);
    }
}

bool
node_caller_holds (const node_t *self, const api_caller_t *caller, node_right_t right)
{
    if (right <= NODE_RIGHT_NONE || right >= NODE_RIGHT_COUNT)
        return true;
    return self->right_known[right] && peercred_in_group (caller->cred, self->right_gid[right]);
}

/*  Whether caller has right; if not, why (naming the setting or the
 *  group), and the refusal is logged with the OS user. */
bool
node_caller_may (node_t *self, const api_caller_t *caller, const char *cmd, node_right_t right,
                 char *why, size_t why_len)
{
    const char *group = node_right_group (&self->config, right);
    if (!group)
        return true;
    if (*group && node_caller_holds (self, caller, right))
        return true;
    char user[64];
    access_user_name (caller->uid, user, sizeof user);
    if (*group)
        snprintf (why, why_len, "%.64s needs a caller in group %.32s (%s); user %.64s is not", cmd,
                  group, node_right_setting (right), user);
    else
        snprintf (why, why_len, "%.64s is refused: %s is not set in this node's config", cmd,
                  node_right_setting (right));
    if (node_record_refusal (self, caller, cmd))
        kt_log (KT_LOG_WARN, "api refused cmd=%.64s uid=%u user=%s right=%s", cmd,
                (unsigned) caller->uid, user, node_right_setting (right));
    return false;
}

void
node_api_run (node_t *self, const api_caller_t *caller, json_t *args, node_api_fn *fn)
{
    if (!json_is_object (args)) {
        apiserver_reply_error (self->api, caller, "arguments must be an object");
        return;
    }
    kt_reason_t reason;
    json_t *result = json_object ();
    if (fn (self, caller, args, result, &reason) != 0) {
        json_decref (result);
        apiserver_reply_error (self->api, caller, reason.text);
        return;
    }
    apiserver_reply_ok (self->api, caller, result);
}

/*  The type letter spec declares for key ("key:t" words), or 0 when spec
 *  does not name key. */
static char
s_arg_type (const char *spec, const char *key)
{
    size_t len = strlen (key);
    for (const char *w = spec; w && *w;) {
        while (*w == ' ')
            w++;
        const char *colon = strchr (w, ':');
        if (!colon)
            return 0;
        if ((size_t) (colon - w) == len && strncmp (w, key, len) == 0)
            return colon[1];
        w = strchr (colon, ' ');
    }
    return 0;
}

#define S_STR_(x) #x
#define S_STR(x) S_STR_ (x)

/*  Whether value has the type letter t (node_command_t.args); if not,
 *  what it must be. */
static const char *
s_arg_wrong (char t, const json_t *value)
{
    switch (t) {
    case 's':
        return json_is_string (value) ? NULL : "a string";
    case 'b':
        return json_is_boolean (value) ? NULL : "true or false";
    case 'i':
        return json_is_integer (value) ? NULL : "an integer";
    case 'l':
        return json_is_integer (value) && json_integer_value (value) >= 1 &&
                       json_integer_value (value) <= NODE_LIMIT_MAX
                   ? NULL
                   : "an integer from 1 to " S_STR (NODE_LIMIT_MAX);
    case 'o':
        return json_is_object (value) ? NULL : "an object";
    case 'a':
        return json_is_array (value) ? NULL : "an array";
    default:
        return NULL;
    }
}

/*  The keys of spec, for an error message: "a, b" or "none". */
static void
s_arg_names (const char *spec, char *out, size_t out_len)
{
    size_t at = 0;
    out[0] = '\0';
    for (const char *w = spec; w && *w && at < out_len;) {
        while (*w == ' ')
            w++;
        const char *colon = strchr (w, ':');
        if (!colon)
            break;
        int n = snprintf (out + at, out_len - at, "%s%.*s", at ? ", " : "", (int) (colon - w), w);
        at += n > 0 ? (size_t) n : 0;
        w = strchr (colon, ' ');
    }
    if (!out[0])
        snprintf (out, out_len, "none");
}

bool
node_args_valid (const node_command_t *c, const char *cmd, json_t *args, char *why, size_t why_len)
{
    const char *spec = c->args ? c->args : "";
    if (!args || streq (spec, "*"))
        return true;
    const char *key;
    json_t *value;
    json_object_foreach (args, key, value)
    {
        char t = s_arg_type (spec, key);
        if (!t) {
            char names[160];
            s_arg_names (spec, names, sizeof names);
            snprintf (why, why_len, "%.64s takes no argument \"%.48s\" (its arguments: %s)", cmd,
                      key, names);
            return false;
        }
        const char *must = s_arg_wrong (t, value);
        if (must) {
            snprintf (why, why_len, "argument %.48s of %.64s must be %s", key, cmd, must);
            return false;
        }
    }
    return true;
}

static void
s_api_handle (void *arg, const api_caller_t *caller, const char *cmd, json_t *args)
{
    node_t *self = arg;
    const node_command_t *c = node_command_find (self->role, cmd);
    char msg[320];
    if (!c) {
        snprintf (msg, sizeof msg, "unknown command %.64s", cmd);
        apiserver_reply_error (self->api, caller, msg);
    } else if (!c->handler)
        apiserver_reply_error (self->api, caller, c->refusal);
    else if (!node_caller_may (self, caller, cmd, c->right, msg, sizeof msg))
        apiserver_reply_error (self->api, caller, msg);
    else if (!node_args_valid (c, cmd, args, msg, sizeof msg))
        apiserver_reply_error (self->api, caller, msg);
    else
        c->handler (self, caller, cmd, args);
}

static void
s_api_closed (void *arg, const uint64_t *conn_ids, size_t n)
{
    node_t *self = arg;
    if (self->role->api_closed)
        self->role->api_closed (self, conn_ids, n);
}

static void
s_api_flush (void *arg)
{
    node_t *self = arg;
    if (self->role->api_flush)
        self->role->api_flush (self);
}
