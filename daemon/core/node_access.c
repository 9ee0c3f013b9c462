/*  node_access: every read of personal data, at any node, on record (art.
 *  15.2e): first in the node's own access table (the read is refused if
 *  that fails), then in the provenance log at the uitvoerder - the role's
 *  log_access: directly there, through an ACCESS_NOTICE in the outbox
 *  from a partner - so a subject's trail (keten log show --case) shows
 *  who read what, where.
 */
#include "node_core.h"

#include "store.h"

int
node_record_access (node_t *self, const api_caller_t *caller, const char *what,
                    const char *const *case_refs, size_t n, kt_reason_t *reason)
{
    char user[65];
    access_user_name (caller->uid, user, sizeof user);
    /*  Crash reasoning (ARCHITECTURE.md, rule 10): the access rows and
     *  what the role writes to node.db to carry the read to the provenance
     *  log (a partner's ACCESS_NOTICE outbox row) are one transaction, so
     *  no read is on record here without its way there.  A failure rolls
     *  both back, and the caller is shown nothing. */
    if (store_begin (self->db, reason) != 0)
        return -1;
    if (access_record (self->access, caller->uid, what, case_refs, n, kt_now_ms (), reason) != 0 ||
        (self->role->access_notice &&
         self->role->access_notice (self, user, what, case_refs, n, reason) != 0) ||
        store_commit (self->db, reason) != 0) {
        store_rollback (self->db);
        return -1;
    }
    return self->role->log_access ? self->role->log_access (self, user, what, case_refs, n, reason)
                                  : 0;
}

bool
node_record_refusal (node_t *self, const api_caller_t *caller, const char *cmd)
{
    kt_reason_t reason;
    /*  The refusal is answered whether or not it could be recorded: a
     *  record that fails must not turn a refusal into a grant.  It is
     *  then at least in the journal. */
    int rc = access_record_refusal (self->access, caller->uid, cmd, kt_now_ms (), &reason);
    if (rc < 0)
        kt_log (KT_LOG_ERROR, "access refusal_not_recorded cmd=%.64s uid=%u reason=\"%s\"", cmd,
                (unsigned) caller->uid, reason.text);
    if (rc == 2)
        kt_log (KT_LOG_WARN,
                "api refusal_flood uid=%u: over 100 refusals this hour; further ones are "
                "answered and counted, not recorded one by one",
                (unsigned) caller->uid);
    return rc <= 0;
}

int
node_record_act (node_t *self, const api_caller_t *caller, const char *what, kt_reason_t *reason)
{
    return access_record_act (self->access, caller->uid, what, kt_now_ms (), reason);
}
