/*  node: the shared core of every ketend.  */
#include "node_internal.h"
#include "render.h"

#include "policy.h"
#include "service.h" /* systemd watchdog (service.c) */
#include "store.h"

#include <errno.h>
#include <sodium.h>
#include <string.h>
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

static void s_api_handle (void *arg, const api_caller_t *caller, const char *cmd, json_t *args);
static void s_api_flush (void *arg);

node_t *
node_new (const config_t *config, kt_reason_t *reason)
{
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
    self->started_ms = kt_now_ms ();
    char path[PATH_MAX + 32];
    roster_t *roster = NULL;

    self->keys = keys_load_secret (config->key_file, reason);
    if (!self->keys)
        goto fail;
    /*  DESIGN 8: the key's age, shown in status (no created field). */
    struct stat key_st;
    if (stat (config->key_file, &key_st) == 0)
        self->key_created_ms = (uint64_t) key_st.st_mtime * 1000;
    if (strcmp (self->keys->pub.id, config->id) != 0) {
        kt_fail (reason, "%s holds the keys of %s, but this node is configured as %s",
                 config->key_file, self->keys->pub.id, config->id);
        goto fail;
    }
    roster = node_newest_roster (config, reason);
    if (!roster)
        goto fail;
    if (mkdir (config->state_dir, 0700) != 0 && errno != EEXIST) {
        kt_fail (reason, "cannot create state directory %s: %s", config->state_dir,
                 strerror (errno));
        goto fail;
    }
    if (s_state_path (path, sizeof path, self, "node.db", reason) != 0
        || !(self->db = store_open (path, reason))
        || store_migrate (self->db, "node", s_migrations,
                          sizeof s_migrations / sizeof s_migrations[0], reason)
               != 0
        || node_accept_roster (self, roster, reason) != 0)
        goto fail;
    self->keyring = keyring_new (self->keys, &roster, reason);
    if (!self->keyring)
        goto fail;
    self->uitvoerder = keyring_self_member (self->keyring)->role == ROLE_UITVOERDER;
    if (self->uitvoerder && !*config->bind) {
        kt_fail (reason, "%s is the uitvoerder: its config needs transport/bind", config->id);
        goto fail;
    }
    if (!self->uitvoerder && !*config->connect) {
        kt_fail (reason, "%s is a partner: its config needs transport/connect", config->id);
        goto fail;
    }
    if (s_state_path (path, sizeof path, self, "keystore.db", reason) != 0
        || !(self->keystore = keystore_open (path, self->keys->storage_key, reason)))
        goto fail;
    if (!(self->access = access_new (self->db, config->id, reason)))
        goto fail;
    self->loop = zloop_new ();
    self->waiters = zhashx_new ();
    if (self->uitvoerder ? uitvoerder_start (self, reason) != 0 : partner_start (self, reason) != 0)
        goto fail;
    self->api = apiserver_new (self->loop, config->socket_path, s_api_handle, s_api_flush, self,
                               reason);
    if (!self->api || metrics_node_start (self, reason) != 0)
        goto fail;
    kt_log (KT_LOG_INFO, "node started id=%s role=%s roster_version=%llu", config->id,
            roster_role_name (keyring_self_member (self->keyring)->role),
            (unsigned long long) keyring_roster (self->keyring)->version);
    return self;
fail:
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
    apiserver_destroy (&self->api);
    if (self->uitvoerder)
        uitvoerder_stop (self);
    else
        partner_stop (self);
    for (size_t i = 0; i < self->n_out; i++)
        free (self->out[i].header);
    free (self->out);
    if (self->waiters) {
        api_caller_t *w;
        for (w = zhashx_first (self->waiters); w; w = zhashx_next (self->waiters)) {
            api_caller_clear (w);
            free (w);
        }
        zhashx_destroy (&self->waiters);
    }
    transport_destroy (&self->transport);
    zloop_destroy (&self->loop);
    access_destroy (&self->access);
    keystore_destroy (&self->keystore);
    keyring_destroy (&self->keyring);
    store_close (&self->db);
    keys_secret_destroy (&self->keys);
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
}

int
node_seal (node_t *self, Keten__MessageType type, const char *recipient,
           const ProtobufCMessage *body, uint8_t id[KT_ID_LEN], uint8_t **header_p,
           size_t *header_len_p, kt_reason_t *reason)
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
    envelope_draft_t draft = {type, recipients, 1, NULL, buf, len, kt_now_ms (), NULL};
    int rc = envelope_seal (self->keyring, &draft, id, header_p, header_len_p, reason);
    sodium_memzero (buf, len);
    free (buf);
    return rc;
}

int
node_queue_header (node_t *self, const member_link_t *to, const uint8_t id[KT_ID_LEN],
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
    o->to = to;
    memcpy (o->id, id, KT_ID_LEN);
    o->header = header;
    o->header_len = header_len;
    return 0;
}

int
node_queue (node_t *self, const member_link_t *to, Keten__MessageType type, const char *recipient,
            const ProtobufCMessage *body, kt_reason_t *reason)
{
    uint8_t id[KT_ID_LEN], *header = NULL;
    size_t header_len = 0;
    if (node_seal (self, type, recipient, body, id, &header, &header_len, reason) != 0)
        return -1;
    return node_queue_header (self, to, id, header, header_len, reason);
}

void
node_send_batch (node_t *self)
{
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
                for (size_t i = 0; i < count; i++) {
                    const member_link_t *to = self->out[start + i].to;
                    /*  Receipts and replies are not retried: a lost one makes
                     *  the sender retry, and the duplicate is answered again. */
                    if (transport_send (self->transport, to ? to->rid : NULL, to ? to->rid_len : 0,
                                        envs[i], env_lens[i])
                        != 0)
                        kt_log (KT_LOG_DEBUG, "send dropped errno=%d", errno);
                    free (envs[i]);
                }
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

/* ---- local API ---------------------------------------------------------- */

static void
s_status (node_t *self, const api_caller_t *caller)
{
    const roster_member_t *me = keyring_self_member (self->keyring);
    json_t *r = json_pack ("{s:s, s:s, s:s, s:s, s:I, s:I}", "node", me->id, "kind", me->kind,
                           "role", roster_role_name (me->role), "software_version", KETEN_VERSION,
                           "uptime_s", (json_int_t) ((kt_now_ms () - self->started_ms) / 1000),
                           "roster_version", (json_int_t) keyring_roster (self->keyring)->version);
    if (self->expelled)
        json_object_set_new (r, "expelled", json_true ());
    /*  A key rotation this node has not followed yet: until when its
     *  current key file still works. */
    if (keyring_self_previous (self->keyring))
        json_object_set_new (r, "old_keys_until", json_string (me->previous_until));
    /*  DESIGN 7: the newest checkpoint (and its witnesses) at the
     *  uitvoerder; at a member what it verified, and any alarm. */
    if (self->uitvoerder) {
        json_t *newest = render_checkpoints (self->proof, 1, NULL);
        json_object_set_new (r, "checkpoint",
                             json_array_size (newest) ? json_incref (json_array_get (newest, 0))
                                                      : json_null ());
        json_decref (newest);
    } else
        json_object_set_new (r, "log_witness", witness_status (self->witness));
    if (self->uitvoerder) {
        uitvoerder_status (self, r);
        /*  art. 15.2g, AVG art. 33: open incidents and the AP deadline. */
        json_object_set_new (r, "incidents",
                             render_incident_summary (self->incident, kt_now_ms (), NULL));
    } else
        partner_status (self, r);
    apiserver_reply_ok (self->api, caller, r);
}

static int
s_limit (json_t *args)
{
    json_t *l = args ? json_object_get (args, "limit") : NULL;
    if (!json_is_integer (l))
        return 100;
    json_int_t v = json_integer_value (l);
    return v < 1 ? 1 : v > 10000 ? 10000 : (int) v;
}

static void
s_api_handle (void *arg, const api_caller_t *caller, const char *cmd, json_t *args)
{
    node_t *self = arg;
    if (streq (cmd, "status"))
        s_status (self, caller);
    else if (streq (cmd, "signal.submit")) {
        if (self->uitvoerder)
            apiserver_reply_error (self->api, caller,
                                   "the uitvoerder does not submit signals; a kernpartij does "
                                   "(art. 7.1)");
        else
            partner_submit (self, caller, args);
    } else if (streq (cmd, "signal.release")) {
        if (self->uitvoerder)
            apiserver_reply_error (self->api, caller, "only the node that holds a signal releases it");
        else
            partner_release (self, caller, args);
    } else if (strncmp (cmd, "weegploeg.", 10) == 0) {
        if (!self->uitvoerder)
            apiserver_reply_error (self->api, caller,
                                   "the uitvoerder keeps the weegploeg file; this node is a "
                                   "partner");
        else if (streq (cmd, "weegploeg.agenda"))
            uitvoerder_agenda (self, caller, args);
        else if (streq (cmd, "weegploeg.subject"))
            uitvoerder_subject_show (self, caller, args);
        else if (streq (cmd, "weegploeg.matches"))
            uitvoerder_matches (self, caller, args);
        else if (streq (cmd, "weegploeg.match"))
            uitvoerder_match (self, caller, args);
        else if (streq (cmd, "weegploeg.decide"))
            uitvoerder_decide (self, caller, args);
        else if (streq (cmd, "weegploeg.decisions"))
            apiserver_reply_ok (self->api, caller, uitvoerder_decisions (self, s_limit (args)));
        else if (streq (cmd, "weegploeg.meetings"))
            apiserver_reply_ok (self->api, caller,
                                json_pack ("{s:o}", "meetings",
                                           uitvoerder_meetings (self, s_limit (args))));
        else
            apiserver_reply_error (self->api, caller, "unknown weegploeg command");
    } else if (strncmp (cmd, "casusoverleg.", 13) == 0) {
        if (!self->uitvoerder)
            apiserver_reply_error (self->api, caller,
                                   "the uitvoerder keeps the casusoverleg file; this node is a "
                                   "partner");
        else if (streq (cmd, "casusoverleg.agenda"))
            uitvoerder_casus_agenda (self, caller, args);
        else if (streq (cmd, "casusoverleg.meetings"))
            apiserver_reply_ok (
                self->api, caller,
                json_pack ("{s:o}", "meetings", uitvoerder_casus_meetings (self, s_limit (args))));
        else
            apiserver_reply_error (self->api, caller, "unknown casusoverleg command");
    } else if (streq (cmd, "agenda.list") || streq (cmd, "agenda.show")) {
        /*  Every partner may take part in a casusoverleg (art. 9-10). */
        if (self->uitvoerder)
            apiserver_reply_error (self->api, caller,
                                   "the uitvoerder sends agendas; `keten weegploeg meetings` and "
                                   "`keten casusoverleg meetings` list them");
        else if (streq (cmd, "agenda.list"))
            partner_agenda_list (self, caller, args);
        else
            partner_agenda_show (self, caller, args);
    } else if (streq (cmd, "decision.list") || streq (cmd, "decision.show")) {
        if (!self->decisionbox)
            apiserver_reply_error (self->api, caller,
                                   "only kernpartij nodes receive weegploeg decisions (art. 8.4)");
        else if (streq (cmd, "decision.list"))
            partner_decision_list (self, caller, args);
        else
            partner_decision_show (self, caller, args);
    } else if (strncmp (cmd, "case.", 5) == 0 || strncmp (cmd, "plan.", 5) == 0) {
        if (self->uitvoerder)
            uitvoerder_case_api (self, caller, cmd, args);
        else
            partner_case_api (self, caller, cmd, args);
    } else if (streq (cmd, "log.trail")) {
        const char *ref = args ? json_string_value (json_object_get (args, "case_ref")) : NULL;
        char path[PATH_MAX + 32];
        snprintf (path, sizeof path, "%s/log.db", self->config.state_dir);
        if (!self->uitvoerder)
            apiserver_reply_error (self->api, caller, "the provenance log is kept by the uitvoerder");
        else if (!ref || strlen (ref) > 32)
            apiserver_reply_error (self->api, caller, "log.trail needs case_ref");
        else
            /*  The entries are read by the client, from the file. */
            apiserver_reply_ok (self->api, caller,
                                json_pack ("{s:s, s:s, s:o}", "log_path", path, "case_ref", ref,
                                           "signal_ids",
                                           render_case_messages (self->weegploeg, ref, NULL)));
    } else if (streq (cmd, "log.verify") || streq (cmd, "log.checkpoints")) {
        char path[PATH_MAX + 32];
        snprintf (path, sizeof path, "%s/log.db", self->config.state_dir);
        if (!self->uitvoerder)
            apiserver_reply_ok (self->api, caller,
                                json_pack ("{s:s, s:o}", "role", "partner", "witness",
                                           witness_verify (self->witness)));
        else if (streq (cmd, "log.checkpoints"))
            apiserver_reply_ok (self->api, caller,
                                json_pack ("{s:o}", "checkpoints",
                                           render_checkpoints (self->proof, s_limit (args), NULL)));
        else
            /*  The tree itself is recomputed by the client, from the file:
             *  seconds of work that must not stall this loop. */
            apiserver_reply_ok (self->api, caller,
                                json_pack ("{s:s, s:s, s:o}", "role", "uitvoerder", "log_path",
                                           path, "checkpoints",
                                           render_checkpoint_check (self->proof, NULL)));
    } else if (streq (cmd, "roster.change")) {
        if (!self->uitvoerder)
            apiserver_reply_error (self->api, caller,
                                   "the uitvoerder changes the roster (art. 15.2c)");
        else if (!json_is_object (args))
            apiserver_reply_error (self->api, caller, "arguments must be an object");
        else
            uitvoerder_roster_change (self, caller, args);
    } else if (strncmp (cmd, "incident.", 9) == 0) {
        node_incident_api (self, caller, cmd, args);
    } else if (streq (cmd, "audit.access")) {
        json_t *since = args ? json_object_get (args, "since_ms") : NULL;
        if (since && (!json_is_integer (since) || json_integer_value (since) < 0))
            apiserver_reply_error (self->api, caller, "since_ms must be a non-negative integer");
        else
            apiserver_reply_ok (
                self->api, caller,
                json_pack ("{s:o}", "access",
                           render_access (self->access,
                                        since ? (uint64_t) json_integer_value (since) : 0,
                                        s_limit (args), NULL)));
    } else if (streq (cmd, "signal.list")) {
        int limit = s_limit (args);
        json_t *list = self->uitvoerder ? uitvoerder_list_signals (self, limit)
                                        : partner_list_signals (self, limit);
        /*  art. 15.2e: who looked, kernel-identified; counts, never content. */
        kt_log (KT_LOG_INFO, "access signal.list uid=%u pid=%d rows=%zu", (unsigned) caller->uid,
                (int) caller->pid, json_array_size (list));
        apiserver_reply_ok (self->api, caller, json_pack ("{s:o}", "signals", list));
    } else {
        char msg[128];
        snprintf (msg, sizeof msg, "unknown command %.64s", cmd);
        apiserver_reply_error (self->api, caller, msg);
    }
}

static void
s_api_flush (void *arg)
{
    node_t *self = arg;
    if (!self->uitvoerder)
        partner_flush (self);
}
