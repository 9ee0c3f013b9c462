/*  partner_agenda: a kernpartij node receives weegploeg agendas and
 *  decisions (art. 8.2), and every partner node the casusoverleg agendas
 *  of the cases it takes part in (art. 9-10).  The node keeps the newest
 *  version of each meeting, writes it as an iCalendar file for the
 *  dossierhouder's calendar, runs the configured hook, and confirms with
 *  a signed receipt once it is stored.  Showing an agenda is a read of
 *  personal data and is recorded first (art. 15.2e).  A node whose kind
 *  changes so that it is no longer a kernpartij no longer keeps what
 *  only kernpartijen receive (partner_agenda_follow_role).
 */
#include "partner.h"
#include "partner_json.h"
#include "render.h"

#include "ics.h"
#include "policy.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool
s_kernpartij (node_t *self)
{
    return keyring_self_member (self->keyring)->role == ROLE_KERNPARTIJ;
}

/*  Whether user may write into (and pass through) the directory st
 *  describes.  ketend --check run as root judges for ketend's user by
 *  the mode bits; ketend itself asks the kernel (ACLs included). */
static bool
s_user_can_write (const char *path, const struct stat *st, uid_t user)
{
    if (user == geteuid ())
        return access (path, W_OK | X_OK) == 0;
    if (user == 0)
        return true;
    if (st->st_uid == user)
        return (st->st_mode & (S_IWUSR | S_IXUSR)) == (S_IWUSR | S_IXUSR);
    if ((st->st_mode & (S_IWGRP | S_IXGRP)) == (S_IWGRP | S_IXGRP)) {
        struct passwd *pw = getpwuid (user);
        gid_t groups[256];
        int n = sizeof groups / sizeof groups[0];
        if (pw && getgrouplist (pw->pw_name, pw->pw_gid, groups, &n) >= 0)
            for (int i = 0; i < n; i++)
                if (groups[i] == st->st_gid)
                    return true;
    }
    return (st->st_mode & (S_IWOTH | S_IXOTH)) == (S_IWOTH | S_IXOTH);
}

int
partner_agenda_check (const config_t *config, uid_t user, kt_reason_t *reason)
{
    const char *dir = config->ics_dir;
    if (*dir) {
        struct stat st;
        if (stat (dir, &st) != 0)
            return errno == ENOENT
                       ? kt_fail (reason,
                                  "agenda/ics-dir %s does not exist; make it for ketend's user "
                                  "and the group that reads the calendar files, e.g. install -d "
                                  "-o keten -g keten-weegploeg -m 2750 %s (docs/OPERATIONS.md)",
                                  dir, dir)
                       : kt_fail (reason, "agenda/ics-dir %s cannot be looked at: %s", dir,
                                  strerror (errno));
        if (!S_ISDIR (st.st_mode))
            return kt_fail (reason, "agenda/ics-dir %s is not a directory", dir);
        if (!s_user_can_write (dir, &st, user)) {
            /*  Not a matter of owner or mode (a read-only file system, as
             *  the unit's sandbox makes all but its own paths): said as is. */
            if (user == geteuid () && errno != EACCES && errno != EPERM)
                return kt_fail (reason, "agenda/ics-dir %s cannot be written: %s", dir,
                                strerror (errno));
            return kt_fail (reason,
                            "agenda/ics-dir %s is not writable by ketend's user (uid %u); make "
                            "it that user's, e.g. chown keten:keten-weegploeg %s && chmod 2750 "
                            "%s (docs/OPERATIONS.md)",
                            dir, (unsigned) user, dir, dir);
        }
    }
    if (*config->agenda_hook && hook_check (config->agenda_hook, reason) != 0)
        return -1;
    return 0;
}

int
partner_agenda_start (node_t *self, kt_reason_t *reason)
{
    partner_t *p = partner_of (self);
    /*  art. 8.4: only kernpartijen take part in the weegploeg and receive
     *  its decisions.  Any partner may take part in a casusoverleg, so
     *  any may receive agendas; a node that is not a kernpartij makes its
     *  agenda table with the first one (partner_on_agenda). */
    if (s_kernpartij (self)) {
        if (!(p->agendabox = agendabox_new (self->db, self->keystore, reason)) ||
            !(p->decisionbox = decisionbox_new (self->db, self->keystore, reason)))
            return -1;
    } else if (agendabox_present (self->db) &&
               !(p->agendabox = agendabox_new (self->db, self->keystore, reason)))
        return -1;
    if (*self->config.ics_dir) {
        struct stat st;
        if (stat (self->config.ics_dir, &st) != 0 || !S_ISDIR (st.st_mode) ||
            access (self->config.ics_dir, W_OK) != 0)
            return kt_fail (reason, "agenda/ics-dir %s is not a directory this node can write",
                            self->config.ics_dir);
        /*  A crash while a calendar file was written leaves its
         *  temporary copy (kt_write_file), which may name subjects
         *  (ics-personal-data) and which no later write or destruction
         *  rewrites: removed before anything is served.  Only names
         *  kt_write_file makes for MEETING.ics. */
        kt_reason_t why;
        int removed = kt_remove_write_temps (self->config.ics_dir, ".ics", &why);
        if (removed < 0)
            kt_log (KT_LOG_ERROR, "agenda ics_temp_not_removed reason=\"%s\"", why.text);
        else if (removed > 0)
            kt_log (KT_LOG_INFO, "agenda ics_temps_removed files=%d", removed);
    }
    if (*self->config.agenda_hook && !(p->hook = hook_new (self->config.agenda_hook, reason)))
        return -1;
    return 0;
}

void
partner_agenda_stop (node_t *self)
{
    partner_t *p = partner_of (self);
    hook_destroy (&p->hook);
    agendabox_destroy (&p->agendabox);
    decisionbox_destroy (&p->decisionbox);
}

/*  Write MEETING.ics (when agenda/ics-dir is set) into path ("" when
 *  none is written): 0, or -1 with reason. */
static int
s_write_ics (node_t *self, const Keten__WeegploegAgenda *a, char *path, size_t size,
             kt_reason_t *reason)
{
    path[0] = '\0';
    if (!*self->config.ics_dir)
        return 0;
    /*  art. 13.2: an archived subject is on no agenda, the calendar's
     *  included (a shallow copy without its items). */
    partner_t *p = partner_of (self);
    Keten__AgendaItem *shown[64];
    Keten__WeegploegAgenda copy = *a;
    copy.items = shown;
    copy.n_items = 0;
    for (size_t i = 0; i < a->n_items && i < 64; i++)
        if (!p->retainbox || !retainbox_hidden (p->retainbox, a->items[i]->case_ref))
            shown[copy.n_items++] = a->items[i];
    a = &copy;
    size_t len = 0;
    char *ics = ics_format (a, keyring_roster (self->keyring)->federation, self->config.id,
                            self->config.ics_personal_data != 0, &len);
    snprintf (path, size, "%s/%s.ics", self->config.ics_dir, a->meeting_id);
    int rc =
        !ics ? kt_fail (reason, "out of memory") : kt_write_file (path, ics, len, 0640, reason);
    free (ics);
    if (rc != 0)
        path[0] = '\0';
    return rc;
}

static void
s_hook (node_t *self, const char *event, const char *meeting_id, const char *path)
{
    partner_t *p = partner_of (self);
    kt_reason_t reason;
    if (p->hook && hook_run (p->hook, event, meeting_id, path, &reason) != 0)
        kt_log (KT_LOG_ERROR, "agenda hook_failed meeting=%s reason=\"%s\"", meeting_id,
                reason.text);
}

/*  Write MEETING.ics and run the hook.  Failures are logged, not fatal:
 *  the agenda is stored and `keten agenda list` shows it. */
static void
s_publish (node_t *self, const Keten__WeegploegAgenda *a, agenda_event_t event)
{
    char path[PATH_MAX + 64];
    kt_reason_t reason;
    if (s_write_ics (self, a, path, sizeof path, &reason) != 0)
        kt_log (KT_LOG_ERROR, "agenda ics_failed meeting=%s reason=\"%s\"", a->meeting_id,
                reason.text);
    s_hook (self, agenda_event_name (event), a->meeting_id, path);
}

int
partner_agenda_publish (node_t *self, const char *meeting_id, kt_reason_t *reason)
{
    partner_t *p = partner_of (self);
    Keten__WeegploegAgenda *a = NULL;
    char path[PATH_MAX + 64];
    if (!p->agendabox || agendabox_get (p->agendabox, meeting_id, &a, reason) != 0)
        return p->agendabox ? -1 : 0;
    /*  The file must follow (it may name the subject); the hook is told
     *  as of any update, and its failure is only logged. */
    int rc = s_write_ics (self, a, path, sizeof path, reason);
    if (rc == 0)
        s_hook (self, agenda_event_name (AGENDA_UPDATED), meeting_id, path);
    keten__weegploeg_agenda__free_unpacked (a, NULL);
    return rc;
}

void
partner_on_agenda (node_t *self, node_message_t *m)
{
    partner_t *p = partner_of (self);
    const envelope_opened_t *opened = &m->opened;
    const char *hex = m->hex;
    kt_reason_t reason;
    Keten__MessageType type = opened->header->type;
    roster_role_t role = keyring_self_member (self->keyring)->role;
    const Keten__WeegploegAgenda *a = (const Keten__WeegploegAgenda *) m->body;
    const char *why = NULL;
    if (type == KETEN__MESSAGE_TYPE__WEEGPLOEG_AGENDA && role != ROLE_KERNPARTIJ)
        why = "art. 8.4: only kernpartijen receive weegploeg agendas"; /* and by policy */
    else if (agendabox_check (a, type, role == ROLE_EXTERN, &reason) != 0)
        why = reason.text;
    else if (!p->agendabox && !(p->agendabox = agendabox_new (self->db, self->keystore, &reason))) {
        /*  No receipt: the uitvoerder offers it again. */
        kt_log (KT_LOG_ERROR, "agenda store_failed id=%s reason=\"%s\"", hex, reason.text);
        return;
    }
    if (why) {
        kt_log (KT_LOG_WARN, "agenda refused id=%s reason=\"%s\"", hex, why);
        partner_receipt (self, opened->id, false, why);
        return;
    }
    /*  art. 13: a subject destroyed here does not come back with a copy
     *  made before its destruction; one made after it does (the
     *  uitvoerder keeps it alive).  The rest of the agenda is kept (a
     *  shallow copy without the items left out; the body is freed as it
     *  was decoded). */
    Keten__AgendaItem *kept[64];
    Keten__WeegploegAgenda copy = *a;
    copy.items = kept;
    if (retainbox_keep_items (p->retainbox, a, opened->header->created_ms, kept, &copy.n_items,
                              &reason) != 0) {
        /*  No receipt: the uitvoerder offers it again. */
        kt_log (KT_LOG_ERROR, "agenda store_failed id=%s reason=\"%s\"", hex, reason.text);
        return;
    }
    a = &copy;
    agenda_event_t event;
    if (agendabox_store (p->agendabox, opened->id, a, kt_now_ms (), &event, &reason) != 0) {
        /*  No receipt: the uitvoerder offers it again. */
        kt_log (KT_LOG_ERROR, "agenda store_failed id=%s reason=\"%s\"", hex, reason.text);
        return;
    }
    kt_log (KT_LOG_INFO, "agenda received id=%s kind=%s meeting=%s sequence=%u event=%s items=%zu",
            hex,
            a->kind == KETEN__WEEGPLOEG_AGENDA__KIND__CASUSOVERLEG ? "casusoverleg" : "weegploeg",
            a->meeting_id, (unsigned) a->sequence, agenda_event_name (event), a->n_items);
    if (event != AGENDA_STALE)
        s_publish (self, a, event);
    partner_receipt (self, opened->id, true, NULL);
}

void
partner_agenda_list (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    partner_t *p = partner_of (self);
    int limit = 100;
    json_t *l = args ? json_object_get (args, "limit") : NULL;
    if (json_is_integer (l) && json_integer_value (l) > 0 && json_integer_value (l) <= 10000)
        limit = (int) json_integer_value (l);
    /*  A node without an agenda table has received none. */
    kt_reason_t reason;
    /*  art. 8.4: weegploeg meetings at a kernpartij's node only - also
     *  while what it kept as one is not yet dropped (a failed step is
     *  done again at the next start or retention run). */
    render_reply (self->api, caller, "meetings",
                  p->agendabox ? partner_json_agendas (p->agendabox, p->retainbox,
                                                       s_kernpartij (self), limit, &reason)
                               : json_array (),
                  &reason);
}

void
partner_agenda_show (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    partner_t *p = partner_of (self);
    const char *id = args ? json_string_value (json_object_get (args, "meeting_id")) : NULL;
    kt_reason_t reason;
    Keten__WeegploegAgenda *a = NULL;
    if (!id) {
        apiserver_reply_error (self->api, caller, "agenda.show needs meeting_id");
        return;
    }
    if (!p->agendabox) {
        char msg[96];
        snprintf (msg, sizeof msg, "no agenda for meeting %.24s on this node", id);
        apiserver_reply_error (self->api, caller, msg);
        return;
    }
    if (agendabox_get (p->agendabox, id, &a, &reason) != 0) {
        apiserver_reply_error (self->api, caller, reason.text);
        return;
    }
    if (a->kind != KETEN__WEEGPLOEG_AGENDA__KIND__CASUSOVERLEG && !s_kernpartij (self)) {
        keten__weegploeg_agenda__free_unpacked (a, NULL);
        apiserver_reply_error (self->api, caller, PARTNER_NOT_KERNPARTIJ);
        return;
    }
    /*  art. 13.2: an archived subject's item is not shown (retention.read
     *  at a kernpartij is); a meeting of archived subjects only still
     *  shows its time and place.  art. 15.2e: record the read before
     *  anything is shown. */
    const char *refs[64];
    bool shown[64] = {false};
    size_t n = 0;
    for (size_t i = 0; i < a->n_items && i < 64; i++)
        if ((shown[i] = !retainbox_hidden (p->retainbox, a->items[i]->case_ref)))
            refs[n++] = a->items[i]->case_ref;
    if (n > 0 && node_record_access (self, caller, "agenda.show", refs, n, &reason) != 0) {
        keten__weegploeg_agenda__free_unpacked (a, NULL);
        apiserver_reply_error (self->api, caller, reason.text);
        return;
    }
    json_t *items = json_array ();
    for (size_t i = 0; i < a->n_items && i < 64; i++)
        if (shown[i])
            json_array_append_new (items, partner_json_agenda_item (a->items[i]));
    apiserver_reply_ok (
        self->api, caller,
        json_pack ("{s:s, s:s, s:I, s:b, s:s, s:i, s:s, s:o}", "meeting_id", a->meeting_id, "kind",
                   a->kind == KETEN__WEEGPLOEG_AGENDA__KIND__CASUSOVERLEG ? "casusoverleg"
                                                                          : "weegploeg",
                   "sequence", (json_int_t) a->sequence, "cancelled", a->cancelled, "starts_at",
                   a->starts_at, "duration_min", (int) a->duration_min, "location", a->location,
                   "items", items));
    keten__weegploeg_agenda__free_unpacked (a, NULL);
}

void
partner_on_decision (node_t *self, node_message_t *m)
{
    partner_t *p = partner_of (self);
    const envelope_opened_t *opened = &m->opened;
    const char *hex = m->hex;
    kt_reason_t reason;
    const Keten__WeegploegDecision *d = (const Keten__WeegploegDecision *) m->body;
    if (!p->decisionbox || decisionbox_check (d, &reason) != 0) {
        const char *why = !p->decisionbox ? "this node takes no weegploeg decisions" : reason.text;
        kt_log (KT_LOG_WARN, "decision refused id=%s reason=\"%s\"", hex, why);
        partner_receipt (self, opened->id, false, why);
        return;
    }
    /*  art. 13: a decision made before the subject was destroyed here. */
    if (partner_retention_late (self, m, "decision", d->case_ref))
        return;
    if (decisionbox_store (p->decisionbox, d, kt_now_ms (), &reason) != 0) {
        kt_log (KT_LOG_ERROR, "decision store_failed id=%s reason=\"%s\"", hex, reason.text);
        return;
    }
    kt_log (KT_LOG_INFO, "decision received id=%s decision=%s case_ref=%s", hex, d->decision_id,
            d->case_ref);
    partner_receipt (self, opened->id, true, NULL);
}

/*  art. 8.4: only a kernpartij's node keeps weegploeg decisions; true when
 *  this one does not (the caller has its answer). */
static bool
s_not_kernpartij (node_t *self, const api_caller_t *caller)
{
    if (partner_of (self)->decisionbox && s_kernpartij (self))
        return false;
    apiserver_reply_error (self->api, caller,
                           "only kernpartij nodes receive weegploeg decisions (art. 8.4)");
    return true;
}

void
partner_decision_list (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    (void) args;
    if (s_not_kernpartij (self, caller))
        return;
    kt_reason_t reason;
    render_reply (self->api, caller, "decisions",
                  partner_json_decisions (partner_of (self)->decisionbox,
                                          partner_of (self)->retainbox, 100, &reason),
                  &reason);
}

void
partner_decision_show (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    if (s_not_kernpartij (self, caller))
        return;
    const char *id = args ? json_string_value (json_object_get (args, "decision_id")) : NULL;
    kt_reason_t reason;
    Keten__WeegploegDecision *d = NULL;
    if (!id) {
        apiserver_reply_error (self->api, caller, "decision.show needs decision_id");
        return;
    }
    if (decisionbox_get (partner_of (self)->decisionbox, id, &d, &reason) != 0) {
        apiserver_reply_error (self->api, caller, reason.text);
        return;
    }
    /*  art. 13.2: an archived subject's decision is read with
     *  retention.read only. */
    if (retainbox_hidden (partner_of (self)->retainbox, d->case_ref)) {
        keten__weegploeg_decision__free_unpacked (d, NULL);
        apiserver_reply_error (self->api, caller, PARTNER_ARCHIVED);
        return;
    }
    /*  art. 15.2e: the analysis is personal data; record the read first. */
    const char *ref = d->case_ref;
    if (node_record_access (self, caller, "decision.show", &ref, 1, &reason) != 0) {
        keten__weegploeg_decision__free_unpacked (d, NULL);
        apiserver_reply_error (self->api, caller, reason.text);
        return;
    }
    apiserver_reply_ok (self->api, caller, partner_json_decision (d));
    keten__weegploeg_decision__free_unpacked (d, NULL);
}

/* ---- a node that is no longer a kernpartij (art. 8.4) -------------------- */

/*  What retainbox keeps the owed shreds of the dropped data under. */
#define SHRED_TAG "role"

/*  A weegploeg meeting leaves this node's calendar before its agenda
 *  goes: MEETING.ics written as the meeting cancelled, without items and
 *  one version on (so a calendar that took the last one takes this), the
 *  hook told "cancel".  A step of its own, done again while the agenda
 *  stays; a file that cannot be written is logged with the meeting id
 *  and holds nothing back (the keys are what make the data unreadable). */
static int
s_calendar_drop (void *arg, const char *meeting_id, kt_reason_t *reason)
{
    (void) reason;
    node_t *self = arg;
    partner_t *p = partner_of (self);
    if (!*self->config.ics_dir && !p->hook)
        return 0;
    char path[PATH_MAX + 64] = "";
    Keten__WeegploegAgenda *a = NULL;
    kt_reason_t why;
    int rc = 0;
    if (agendabox_get (p->agendabox, meeting_id, &a, &why) == 0) {
        Keten__WeegploegAgenda gone = *a;
        gone.cancelled = true;
        gone.n_items = 0;
        gone.sequence = a->sequence + 1;
        rc = s_write_ics (self, &gone, path, sizeof path, &why);
        keten__weegploeg_agenda__free_unpacked (a, NULL);
    } else if (*self->config.ics_dir) {
        /*  Unreadable: the file goes, whatever it shows. */
        snprintf (path, sizeof path, "%s/%s.ics", self->config.ics_dir, meeting_id);
        rc = unlink (path) == 0 || errno == ENOENT ? 0 : kt_fail (&why, "%s", strerror (errno));
        *path = '\0';
    }
    if (rc != 0)
        kt_log (KT_LOG_ERROR, "agenda ics_failed meeting=%s reason=\"%s\"", meeting_id, why.text);
    s_hook (self, agenda_event_name (AGENDA_CANCELLED), meeting_id, path);
    return 0;
}

static int
s_owe_agenda_key (void *arg, const char *meeting_id, const uint8_t key_id[KEYSTORE_ID_LEN],
                  kt_reason_t *reason)
{
    partner_t *p = arg;
    /*  No calendar file is owed for it any more either. */
    return retainbox_owe_shred (p->retainbox, key_id, SHRED_TAG, reason) != 0 ||
                   retainbox_forget_meeting (p->retainbox, meeting_id, reason) != 0
               ? -1
               : 0;
}

/*  The weegploeg agendas, the decisions and the incident register this
 *  node kept as a kernpartij, deleted in one commit on node.db with their
 *  keys owed; then the keys shredded and the WALs truncated (Crash
 *  reasoning 11).  decisions and incidents may be NULL (no such table
 *  here).  A crash before the commit leaves all of it, dropped again at
 *  the next start or retention run; one after it, owed keys, shredded
 *  then. */
static int
s_drop (node_t *self, decisionbox_t *decisions, incidentbox_t *incidents, kt_reason_t *reason)
{
    partner_t *p = partner_of (self);
    if (p->agendabox && agendabox_each_weegploeg (p->agendabox, s_calendar_drop, self, reason) != 0)
        return -1;
    if (store_begin (self->db, reason) != 0)
        return -1;
    int64_t agendas =
        p->agendabox ? agendabox_forget_weegploeg (p->agendabox, s_owe_agenda_key, p, reason) : 0;
    int rc = agendas < 0 ? -1 : 0;
    uint8_t *keys = NULL;
    size_t n_decisions = 0;
    if (rc == 0 && decisions)
        rc = decisionbox_forget_all (decisions, &keys, &n_decisions, reason);
    for (size_t i = 0; rc == 0 && i < n_decisions; i++)
        rc = retainbox_owe_shred (p->retainbox, keys + i * KEYSTORE_ID_LEN, SHRED_TAG, reason);
    free (keys);
    int64_t n_incidents = rc == 0 && incidents ? incidentbox_forget_all (incidents, reason) : 0;
    if (n_incidents < 0)
        rc = -1;
    if (rc != 0 || store_commit (self->db, reason) != 0) {
        store_rollback (self->db);
        return -1;
    }
    if (agendas > 0 || n_decisions > 0 || n_incidents > 0)
        kt_log (KT_LOG_INFO,
                "roster role=%s: weegploeg data no longer kept here (art. 8.4) agendas=%lld "
                "decisions=%zu incidents=%lld",
                roster_role_name (keyring_self_member (self->keyring)->role), (long long) agendas,
                n_decisions, (long long) n_incidents);
    /*  Also keys a crash left owed after an earlier drop's commit. */
    if (agendas == 0 && n_decisions == 0 && n_incidents == 0 &&
        retainbox_owed_tag (p->retainbox, SHRED_TAG) == 0)
        return 0;
    return retainbox_shred_tag (p->retainbox, SHRED_TAG, reason);
}

int
partner_agenda_follow_role (node_t *self, kt_reason_t *reason)
{
    partner_t *p = partner_of (self);
    bool kern = s_kernpartij (self);
    /*  art. 13.2: only a kernpartij keeps archived data. */
    retainbox_set_archive_destroys (p->retainbox, !kern);
    if (kern) {
        /*  A kernpartij now (a new kind): it takes the weegploeg's
         *  agendas and decisions and the incident register from here on. */
        if ((!p->agendabox && !(p->agendabox = agendabox_new (self->db, self->keystore, reason))) ||
            (!p->decisionbox &&
             !(p->decisionbox = decisionbox_new (self->db, self->keystore, reason))) ||
            (!p->incidentbox && !(p->incidentbox = incidentbox_new (self->db, reason))))
            return -1;
        /*  Keys a drop as a casuspartij still owes (a crash or a failed
         *  shred after its commit): the data they opened is gone, and
         *  being a kernpartij again gives no ground to keep them. */
        int64_t owed = retainbox_owed_tag (p->retainbox, SHRED_TAG);
        if (owed < 0)
            return kt_fail (reason, "cannot read the keys owed a shred");
        return owed > 0 ? retainbox_shred_tag (p->retainbox, SHRED_TAG, reason) : 0;
    }
    /*  No longer one: nothing of the weegploeg is taken (policy refuses
     *  it, and the handlers find no box), and what it kept as one goes:
     *  it has no ground to hold it (art. 8.4, 15.2g), as a casuspartij
     *  has none to hold an archived subject (docs/RETENTION.md).  A table
     *  this node never had is not made. */
    decisionbox_t *decisions = p->decisionbox;
    incidentbox_t *incidents = p->incidentbox;
    p->decisionbox = NULL;
    p->incidentbox = NULL;
    int rc = 0;
    if (!decisions && decisionbox_present (self->db) &&
        !(decisions = decisionbox_new (self->db, self->keystore, reason)))
        rc = -1;
    if (rc == 0 && !incidents && incidentbox_present (self->db) &&
        !(incidents = incidentbox_new (self->db, reason)))
        rc = -1;
    if (rc == 0)
        rc = s_drop (self, decisions, incidents, reason);
    decisionbox_destroy (&decisions);
    incidentbox_destroy (&incidents);
    return rc;
}
