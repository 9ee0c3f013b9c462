/*  partner_correction: correction at a party's node (art. 12.5-12.6,
 *  docs/RIGHTS.md, "Correctie").  The uitvoerder's CORRECTION_NOTICE names
 *  a signal and what changes in it; the node applies it to every copy it
 *  holds - at a kernpartij the weegploeg agendas that carry the signal's
 *  items and its own record when it sent the signal, each sealed again
 *  under a new key whose predecessor is shredded once the change
 *  committed; at any participant the places the notice names in the
 *  shares and disclosures it received (art. 9.2, 10.4-10.5), sealed
 *  again - and truncates the WAL, so the old value is in no file of the
 *  node.  Only then does it answer with its receipt: the confirmation the
 *  uitvoerder records.
 *
 *  A signal's own sender corrects or withdraws it here (signal.correct,
 *  signal.withdraw): a CORRECTION_NOTICE goes to the uitvoerder through
 *  the outbox, which checks it, decides it in the sender's name and tells
 *  every holder - this node too, whose own record then changes like any
 *  copy.
 */
#include "partner.h"

#include "access.h"
#include "intake_rules.h"
#include "items.h"
#include "policy.h"
#include "store.h"

#include <string.h>

/*  What retainbox keeps the owed shreds of a correction under. */
#define SHRED_TAG "correction"

/*  The meetings a correction changed, for their calendar files. */
typedef struct {
    partner_t *p;
    zlist_t *meetings;
} changed_t;

static int
s_owe_agenda_key (void *arg, const char *meeting_id, const uint8_t old_key_id[KEYSTORE_ID_LEN],
                  kt_reason_t *reason)
{
    changed_t *c = arg;
    if (zlist_append (c->meetings, (void *) meeting_id) != 0)
        return kt_fail (reason, "out of memory");
    return retainbox_owe_shred (c->p->retainbox, old_key_id, SHRED_TAG, reason);
}

/*  After the commit: the replaced keys shredded, the WALs truncated, the
 *  calendar files written again.  0, or -1 with reason (logged): the
 *  next correction, the notice offered again, or a start repeats it. */
static int
s_after_commit (node_t *self, zlist_t *meetings, kt_reason_t *reason)
{
    int rc = 0;
    kt_reason_t why;
    if (retainbox_shred_tag (partner_of (self)->retainbox, SHRED_TAG, &why) != 0) {
        kt_log (KT_LOG_WARN, "correction shred_deferred reason=\"%s\"", why.text);
        rc = kt_fail (reason, "%s", why.text);
    }
    for (const char *id = meetings ? zlist_first (meetings) : NULL; id; id = zlist_next (meetings))
        if (partner_agenda_publish (self, id, &why) != 0) {
            kt_log (KT_LOG_WARN, "correction calendar_failed meeting=%s reason=\"%s\"", id,
                    why.text);
            rc = kt_fail (reason, "%s", why.text);
        }
    return rc;
}

int
partner_correction_start (node_t *self, kt_reason_t *reason)
{
    kt_reason_t why;
    (void) reason;
    s_after_commit (self, NULL, &why); /* logged; not a reason to stop */
    return 0;
}

/*  art. 9.2, 10.4-10.5: the places of the signal's items in the shares
 *  and disclosures this node received, as the notice names them, each
 *  made to read as the item does now (or emptied), inside the caller's
 *  transaction.  A copy named and not kept here is passed over: a notice
 *  as it arrives is applied only once every copy it names is kept
 *  (s_passed_kept); a restore's replay may find a backup older than the
 *  copy.  0, or -1 with reason. */
static int
s_apply_passed (partner_t *p, const Keten__CorrectionNotice *n, size_t *changed,
                kt_reason_t *reason)
{
    Keten__SignalItem empty;
    const Keten__SignalItem *now = items_passed_as (n->action, n->item, &empty);
    if (n->n_disclosed > 0 && !now)
        return kt_fail (reason, "correction notice: nothing to put in the copies it names");
    for (size_t i = 0; i < n->n_disclosed; i++) {
        const Keten__DisclosedItem *at = n->disclosed[i];
        int set = casebox_disclosure_set_item (p->casebox, n->case_ref, at->disclosure_id.data,
                                               at->position, now, reason);
        if (set < 0)
            return -1;
        if (set == 1)
            (*changed)++;
    }
    return 0;
}

/*  Whether every place n names is in a share or disclosure kept here:
 *  0, 1 when one is not kept (yet), 2 when a copy kept has no item at
 *  the place named (the notice is at fault: it can never apply), -1;
 *  reason says which. */
static int
s_passed_check (partner_t *p, const Keten__CorrectionNotice *n, kt_reason_t *reason)
{
    for (size_t i = 0; i < n->n_disclosed; i++) {
        const Keten__DisclosedItem *at = n->disclosed[i];
        const uint8_t *id = at->disclosure_id.data;
        char hex[KT_ID_HEX];
        size_t n_items;
        int kept = casebox_disclosure_size (p->casebox, n->case_ref, id, &n_items, reason);
        if (kept < 0)
            return -1;
        if (!kept) {
            kt_fail (reason, "it names the copy %s, not kept here yet",
                     kt_hex (hex, id, KT_ID_LEN));
            return 1;
        }
        if (at->position >= n_items) {
            kt_fail (reason, "it names item %u of the copy %s, which holds %zu",
                     (unsigned) at->position, kt_hex (hex, id, KT_ID_LEN), n_items);
            return 2;
        }
    }
    return 0;
}

/*  Every meeting naming case_ref, added to meetings (a notice offered
 *  again: its calendar files are written again, whatever the first
 *  offer changed). */
static int
s_all_meetings (void *arg, const char *meeting_id, kt_reason_t *reason)
{
    zlist_t *meetings = arg;
    for (const char *id = zlist_first (meetings); id; id = zlist_next (meetings))
        if (strcmp (id, meeting_id) == 0)
            return 0;
    return zlist_append (meetings, (void *) meeting_id) == 0 ? 0
                                                             : kt_fail (reason, "out of memory");
}

/*  Apply n to every copy here, in one transaction: 0, or -1 with
 *  reason. */
static int
s_apply (node_t *self, const Keten__CorrectionNotice *n, zlist_t *meetings, size_t *passed,
         kt_reason_t *reason)
{
    partner_t *p = partner_of (self);
    items_change_t change = {n->action, n->item_index, n->item};
    changed_t c = {p, meetings};
    /*  Weegploeg data (agendas, a signal sent) is a kernpartij's only
     *  (art. 8.4): at a casuspartij or externe casuspartner the notice
     *  reaches what was shared with or disclosed to it, and nothing else
     *  (art. 10.5). */
    bool kern = keyring_self_member (self->keyring)->role == ROLE_KERNPARTIJ;
    if (store_begin (self->db, reason) != 0)
        return -1;
    int rc = 0;
    if (kern && p->agendabox && *n->case_ref)
        rc = agendabox_correct (p->agendabox, n->case_ref, n->signal_id.data, n->whole_signal,
                                &change, s_owe_agenda_key, &c, reason);
    uint8_t old_key_id[KEYSTORE_ID_LEN];
    bool found = false;
    /*  Its own signal, when it sent it: not strict, a repeat (or its own
     *  correction coming back) changes nothing. */
    if (rc == 0 && kern)
        rc = signalbox_correct (p->signalbox, n->signal_id.data, n->whole_signal, &change, false,
                                old_key_id, &found, reason);
    if (rc == 0 && found)
        rc = retainbox_owe_shred (p->retainbox, old_key_id, SHRED_TAG, reason);
    /*  The signal as sent, kept in the outbox once receipted, holds the
     *  old value too: blanked (the id and receipt stay). */
    if (rc == 0 && found && outbox_blank (p->outbox, n->signal_id.data, reason) < 0)
        rc = -1;
    if (rc == 0 && *n->case_ref)
        rc = s_apply_passed (p, n, passed, reason);
    if (rc != 0 || store_commit (self->db, reason) != 0) {
        store_rollback (self->db);
        return -1;
    }
    return 0;
}

void
partner_on_correction (node_t *self, node_message_t *m)
{
    const Keten__CorrectionNotice *n = (const Keten__CorrectionNotice *) m->body;
    kt_reason_t reason;
    /*  A subject destroyed here holds nothing to correct: the notice,
     *  made before the destruction, is answered as every late copy. */
    if (*n->case_ref && partner_retention_late (self, m, "correction", n->case_ref))
        return;
    zlist_t *meetings = zlist_new ();
    if (!meetings) {
        kt_log (KT_LOG_ERROR, "correction notice failed id=%s reason=\"out of memory\"", m->hex);
        return;
    }
    zlist_autofree (meetings);
    /*  Noted first (forget.db): a restore of an older backup applies it
     *  again. */
    char what[96];
    snprintf (what, sizeof what, "notice %s correction %.30s", m->hex, n->correction_id);
    size_t passed = 0;
    /*  A node that holds no agenda (not a kernpartij) holds a signal's
     *  items only where a share or disclosure put them: a notice that
     *  names none is nothing for it, and is refused before anything of
     *  it (its item) is noted here. */
    if (keyring_self_member (self->keyring)->role != ROLE_KERNPARTIJ && n->n_disclosed == 0) {
        self->role->refuse (self, m, "correction",
                            "this node holds no copy of the signal a correction notice could name");
        zlist_destroy (&meetings);
        return;
    }
    /*  A copy it names not kept here yet: waits, noting nothing, until
     *  the copy is here (the uitvoerder offers the notice again).  A
     *  place that copy does not have is refused: offered again it would
     *  fail again, for good. */
    partner_t *p = partner_of (self);
    int rc = s_passed_check (p, n, &reason);
    if (rc == 2) {
        self->role->refuse (self, m, "correction", reason.text);
        zlist_destroy (&meetings);
        return;
    }
    /*  Noted once per notice: offered again after a failure below, it
     *  is not noted again. */
    bool again = false;
    if (rc == 0) {
        rc = forget_note_correct (self->forget, n->case_ref, what, NULL, n, true, &reason);
        again = rc == 1;
        rc = rc == 1 ? 0 : rc;
    }
    if (rc == 0)
        rc = s_apply (self, n, meetings, &passed, &reason);
    if (rc == 0 && again && p->agendabox &&
        keyring_self_member (self->keyring)->role == ROLE_KERNPARTIJ)
        rc = agendabox_meetings_of (p->agendabox, n->case_ref, s_all_meetings, meetings, &reason);
    /*  Applied, but an old value may still be in a file here (a key not
     *  shredded, a WAL not truncated, a calendar file not written): no
     *  receipt yet, so the uitvoerder offers the notice again and this
     *  is done again.  Crash reasoning, rule 3: no receipt, so the
     *  uitvoerder offers it again; what was done is repeated
     *  harmlessly. */
    if (rc == 0 && s_after_commit (self, meetings, &reason) != 0)
        rc = 1;
    if (rc != 0) {
        if (rc > 0)
            kt_log (KT_LOG_WARN, "correction notice waits id=%s correction=%s reason=\"%s\"",
                    m->hex, n->correction_id, reason.text);
        else
            kt_log (KT_LOG_ERROR, "correction notice failed id=%s correction=%s reason=\"%s\"",
                    m->hex, n->correction_id, reason.text);
        zlist_destroy (&meetings);
        return;
    }
    kt_log (KT_LOG_INFO,
            "correction notice applied id=%s correction=%s case_ref=%s agendas=%zu passed=%zu",
            m->hex, n->correction_id, n->case_ref, zlist_size (meetings), passed);
    zlist_destroy (&meetings);
    /*  Applied durably: now the receipt, the node's confirmation. */
    partner_receipt (self, m->opened.id, true, NULL);
}

int
partner_correction_redo (node_t *self, const Keten__CorrectionNotice *n, kt_reason_t *reason)
{
    zlist_t *meetings = zlist_new ();
    if (!meetings)
        return kt_fail (reason, "out of memory");
    zlist_autofree (meetings);
    size_t passed = 0;
    int rc = s_apply (self, n, meetings, &passed, reason);
    if (rc == 0) {
        kt_reason_t why;
        s_after_commit (self, meetings, &why); /* logged; a start repeats it */
        kt_log (KT_LOG_INFO, "restore correction_redone correction=%s case_ref=%s agendas=%zu",
                n->correction_id, n->case_ref, zlist_size (meetings));
    }
    zlist_destroy (&meetings);
    return rc;
}

/* ---- a signal's own sender (art. 12.5) ------------------------------------ */

static bool
s_text_ok (const char *s, size_t min, size_t max)
{
    size_t len = s ? strlen (s) : 0;
    if (len < min || len > max)
        return false;
    for (const unsigned char *p = (const unsigned char *) s; p && *p; p++)
        if ((*p < 0x20 && *p != '\n') || *p == 0x7f)
            return false;
    return true;
}

/*  Queue the notice for the uitvoerder.  The own record changes when
 *  the uitvoerder's notice comes back (it tells the signal's sender as
 *  every holder), so it changes only if the uitvoerder, which checks
 *  every rule, decided it; until then the outbox keeps the request. */
static int
s_own (node_t *self, Keten__CorrectionNotice *n, uint8_t id[KT_ID_LEN], kt_reason_t *reason)
{
    partner_t *p = partner_of (self);
    int has = signalbox_has (p->signalbox, n->signal_id.data, reason);
    if (has < 0)
        return -1;
    if (!has)
        return kt_fail (reason, "no signal with this message id was sent from this node");
    return partner_queue (self, KETEN__MESSAGE_TYPE__CORRECTION_NOTICE, &n->base, id, reason);
}

/*  Who may withdraw or correct signal id (answered here when not): a
 *  spool signal went to the weegploeg through the police representative
 *  (art. 7.2a), so the representative group withdraws it (before the
 *  weegploeg weighed it: the uitvoerder checks that) or corrects it; any
 *  other signal the submit group.  One never sent has nothing to change
 *  at the uitvoerder. */
static int
s_sender_may (node_t *self, const api_caller_t *caller, const char *cmd,
              const uint8_t id[KT_ID_LEN], signalbox_meta_t *meta_p)
{
    /*  Someone with neither right learns nothing, not even whether the
     *  signal is here. */
    if (!node_caller_holds (self, caller, NODE_RIGHT_SUBMIT) &&
        !node_caller_holds (self, caller, NODE_RIGHT_REPRESENTATIVE)) {
        char why[320];
        node_caller_may (self, caller, cmd, NODE_RIGHT_SUBMIT, why, sizeof why);
        apiserver_reply_error (self->api, caller, why);
        return -1;
    }
    signalbox_meta_t meta;
    kt_reason_t reason;
    int found = signalbox_meta (partner_of (self)->signalbox, id, &meta, &reason);
    *meta_p = meta;
    const char *err = found < 0 ? reason.text
                      : !found  ? "no signal with this message id was sent from this node"
                      : meta.awaiting
                          ? "this spool signal awaits confirmation and was never sent; there is "
                            "nothing to withdraw or correct at the uitvoerder"
                      /*  A held art. 9/10 Wpg signal leaves only by its
                       *  release (Wpg machtigingsbesluit art. 2): neither
                       *  its correction nor a withdrawal's reason may go
                       *  first. */
                      : meta.held ? "this signal is held under the Wpg (art. 9/10) and was never "
                                    "sent; there is nothing to withdraw or correct at the "
                                    "uitvoerder (it leaves only by keten signal release)"
                                  : NULL;
    /*  A signal the uitvoerder refused is not in its file: nothing to
     *  withdraw or correct there (one still on its way is: the
     *  uitvoerder waits for it, uitvoerder_on_correction). */
    outbox_status_t st = {0};
    int queued = err ? 0 : outbox_status (partner_of (self)->outbox, id, &st, &reason);
    if (queued < 0)
        err = reason.text;
    else if (queued > 0 && st.state == OUTBOX_REFUSED)
        err = "the uitvoerder refused this signal, so its file holds nothing of it to withdraw "
              "or correct (keten signal list says why)";
    if (err) {
        apiserver_reply_error (self->api, caller, err);
        outbox_status_clear (&st);
        return -1;
    }
    outbox_status_clear (&st);
    char why[320];
    if (!node_caller_may (self, caller, cmd,
                          meta.via_spool ? NODE_RIGHT_REPRESENTATIVE : NODE_RIGHT_SUBMIT, why,
                          sizeof why)) {
        apiserver_reply_error (self->api, caller, why);
        return -1;
    }
    return 0;
}

/*  signal.withdraw {message_id, reason} and signal.correct {message_id,
 *  item_index, item}. */
void
partner_signal_correct (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    bool withdraw = strcmp (cmd, "signal.withdraw") == 0;
    kt_reason_t reason;
    if (keyring_self_member (self->keyring)->role != ROLE_KERNPARTIJ) {
        apiserver_reply_error (self->api, caller,
                               "art. 7.1: only a kernpartij sends signals, so only it corrects "
                               "its own");
        return;
    }
    const char *hex = json_string_value (json_object_get (args, "message_id"));
    const char *why = json_string_value (json_object_get (args, "reason"));
    json_t *index = json_object_get (args, "item_index");
    json_t *item = json_object_get (args, "item");
    Keten__CorrectionNotice n = KETEN__CORRECTION_NOTICE__INIT;
    uint8_t signal_id[KT_ID_LEN];
    const char *err = NULL;
    if (!hex || strlen (hex) != 2 * KT_ID_LEN || kt_unhex (signal_id, KT_ID_LEN, hex) != 0)
        err = "message_id must be a signal's message id (32 hex digits)";
    else if (withdraw && !s_text_ok (why, 1, POLICY_MAX_REASON))
        err = "signal.withdraw: the reason must be 1..1000 bytes of text";
    else if (!withdraw && why && !s_text_ok (why, 0, POLICY_MAX_REASON))
        err = "signal.correct: the reason must be at most 1000 bytes of text";
    else if (!withdraw && (!json_is_integer (index) || json_integer_value (index) < 0 ||
                           json_integer_value (index) >= POLICY_MAX_ITEMS))
        err = "signal.correct: item_index must be the item's number, from 0";
    else if (!withdraw && !json_is_object (item))
        err = "signal.correct: item must be an object as in a signal's \"items\"";
    if (err) {
        apiserver_reply_error (self->api, caller, err);
        return;
    }
    signalbox_meta_t meta;
    if (s_sender_may (self, caller, cmd, signal_id, &meta) != 0)
        return;
    /*  A new text for an art. 9/10 Wpg signal is art. 9/10 data: it
     *  leaves as the signal did, by a release (Wpg machtigingsbesluit
     *  art. 2a, 2c): a member of the release group records the checks
     *  and names the officers consulted.  A withdrawal sends no data. */
    bool wpg = !withdraw && meta.released;
    const char *om = json_string_value (json_object_get (args, "om_consulted"));
    const char *fn = json_string_value (json_object_get (args, "bevoegd_functionaris"));
    if (wpg) {
        char may[320];
        const char *wpg_err =
            !node_caller_may (self, caller, cmd, NODE_RIGHT_RELEASE, may, sizeof may) ? may
            : !json_is_true (json_object_get (args, "opsporingsbelang_checked"))
                ? "this is an art. 9/10 Wpg signal: its new text leaves only as a release does; "
                  "record that the investigation interest does not object "
                  "(opsporingsbelang_checked)"
            : !intake_name_ok (om) ? "this is an art. 9/10 Wpg signal: name the OM officer "
                                     "consulted (om_consulted, 1..200 bytes on one line)"
            : !intake_name_ok (fn)
                ? "this is an art. 9/10 Wpg signal: name the bevoegd functionaris of art. 2:10 "
                  "Bpg consulted (bevoegd_functionaris, 1..200 bytes on one line)"
                : NULL;
        if (wpg_err) {
            apiserver_reply_error (self->api, caller, wpg_err);
            return;
        }
    } else if (json_object_get (args, "opsporingsbelang_checked") || om || fn) {
        apiserver_reply_error (self->api, caller,
                               withdraw ? "a withdrawal sends no data: it takes no Wpg release"
                                        : "only a new text for a released art. 9/10 Wpg signal "
                                          "takes a Wpg release");
        return;
    }
    Keten__SignalItem **items = NULL;
    size_t n_items = 0;
    if (!withdraw) {
        json_t *one = json_array ();
        int rc = one && json_array_append (one, item) == 0
                     ? items_decode (one, &items, &n_items, &reason)
                     : kt_fail (&reason, "out of memory");
        json_decref (one);
        if (rc != 0) {
            apiserver_reply_error (self->api, caller, reason.text);
            return;
        }
    }
    n.signal_id = (ProtobufCBinaryData){KT_ID_LEN, signal_id};
    n.action = withdraw ? KETEN__CORRECTION_ACTION__DELETE : KETEN__CORRECTION_ACTION__CORRECT;
    n.whole_signal = withdraw;
    n.item_index = withdraw ? 0 : (uint32_t) json_integer_value (index);
    n.item = n_items ? items[0] : NULL;
    n.reason = (char *) (why ? why : "");
    n.decided_ms = kt_now_ms ();
    /*  Who asked (kernel credentials), on record at the uitvoerder. */
    char user[65];
    access_user_name (caller->uid, user, sizeof user);
    n.os_user = user;
    if (wpg) {
        n.opsporingsbelang_checked = true;
        n.om_officer = (char *) om;
        n.bevoegd_functionaris = (char *) fn;
    }
    uint8_t id[KT_ID_LEN];
    int rc = s_own (self, &n, id, &reason);
    items_free (items, n_items);
    if (rc != 0) {
        apiserver_reply_error (self->api, caller, reason.text);
        return;
    }
    char idhex[KT_ID_HEX];
    kt_log (KT_LOG_INFO, "correction own=%s signal=%s uid=%u%s", withdraw ? "withdraw" : "correct",
            hex, (unsigned) caller->uid, wpg ? " opsporingsbelang_checked=yes" : "");
    bool wait = json_is_true (json_object_get (args, "wait"));
    kt_hex (idhex, id, KT_ID_LEN);
    if (!wait || !partner_waiter_add (self, id, caller, NULL, 0))
        apiserver_reply_ok (self->api, caller,
                            json_pack ("{s:s, s:s}", "message_id", idhex, "state", "queued"));
}
