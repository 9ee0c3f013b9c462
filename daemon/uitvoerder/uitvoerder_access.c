/*  uitvoerder_access: reads of personal data in the provenance log (art.
 *  15.2e) - the uitvoerder's own reads directly, its members' through the
 *  ACCESS_NOTICE each sends - so a subject's trail (keten log show
 *  --case) shows who read what, where.
 */
#include "uitvoerder.h"

#include <string.h>

/*  The log entry of a read: node, OS user, what, case_refs; no data. */
static void
s_entry (Keten__LogEntry *e, const char *node, const char *user, const char *what,
         char *const *refs, size_t n)
{
    e->event = KETEN__LOG_EVENT__PERSONAL_DATA_ACCESSED;
    e->time_ms = kt_now_ms ();
    e->node = (char *) node;
    e->os_user = (char *) user;
    e->what = (char *) what;
    e->case_refs = (char **) refs;
    e->n_case_refs = n;
}

int
uitvoerder_log_access (node_t *self, const char *user, const char *what,
                       const char *const *case_refs, size_t n, kt_reason_t *reason)
{
    Keten__LogEntry e = KETEN__LOG_ENTRY__INIT;
    uint64_t index;
    kt_reason_t why;
    s_entry (&e, keyring_self_member (self->keyring)->id, user, what, (char *const *) case_refs, n);
    if (provlog_append_one (uitvoerder_of (self)->log, NULL, &e, &index, &why) != 0)
        return kt_fail (reason, "cannot log the read: %s", why.text);
    return 0;
}

/*  A member's read, its notice bounded by the policy table's checker. */
void
uitvoerder_on_access (node_t *self, node_message_t *m)
{
    provlog_t *log = uitvoerder_of (self)->log;
    member_link_t *link = m->link;
    const roster_member_t *sender = m->peer->member;
    const envelope_opened_t *opened = &m->opened;
    const Keten__AccessNotice *a = (const Keten__AccessNotice *) m->body;
    /*  Past the hour's budget: refused before it costs a commit and a
     *  log entry that is never pruned.  A retry of one logged before (its
     *  receipt was lost) is answered as before and takes nothing of the
     *  budget, so a backlog resent after a lost link cannot use it up. */
    if (!uitvoerder_budget_or_refuse (
            self, link, sender->id, opened, &link->notices, UITVOERDER_NOTICES_HOUR,
            &link->notice_flood_until_ms, "access_notice_flood",
            "access notice budget: more than %d access notices from this member within "
            "an hour; the read stays in the member's own access table",
            UITVOERDER_NOTICES_HOUR))
        return;
    /*  Once per message id, however often it is retried. */
    Keten__LogEntry e = KETEN__LOG_ENTRY__INIT;
    s_entry (&e, sender->id, a->os_user, a->what, a->case_refs, a->n_case_refs);
    e.message_id = opened->header->id;
    e.message_type = KETEN__MESSAGE_TYPE__ACCESS_NOTICE;
    e.header_hash.data = (uint8_t *) opened->leaf_hash;
    e.header_hash.len = 32;
    uint64_t index;
    kt_reason_t reason;
    int rc = provlog_begin (log, &reason);
    if (rc == 0)
        rc = provlog_append_received (log, &e, &index, &reason);
    if (rc == 0)
        rc = provlog_commit (log, &reason);
    else
        provlog_rollback (log);
    if (rc == 0)
        uitvoerder_receipt (self, link, sender->id, opened->id, true, index, NULL);
    else if (rc > 0)
        uitvoerder_receipt (self, link, sender->id, opened->id, false, 0, reason.text);
    else
        kt_log (KT_LOG_ERROR, "access log_failed peer=%s reason=\"%s\"", sender->id, reason.text);
}
