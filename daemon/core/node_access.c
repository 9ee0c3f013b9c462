/*  node_access: every read of personal data, at any node, on record (art.
 *  15.2e): first in the node's own access table (the read is refused if
 *  that fails), then in the provenance log at the uitvoerder - the role's
 *  log_access: directly there, through an ACCESS_NOTICE in the outbox
 *  from a partner - so a subject's trail (keten log show --case) shows
 *  who read what, where.
 */
#include "node_core.h"

int
node_record_access (node_t *self, const api_caller_t *caller, const char *what,
                    const char *const *case_refs, size_t n, kt_reason_t *reason)
{
    if (access_record (self->access, caller->uid, what, case_refs, n, kt_now_ms (), reason) != 0)
        return -1;
    char user[65];
    access_user_name (caller->uid, user, sizeof user);
    return self->role->log_access (self, user, what, case_refs, n, reason);
}
