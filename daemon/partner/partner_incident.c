/*  partner_incident: the incident register (art. 15.2g) at a kernpartij
 *  node.  The kernpartijen are jointly the controller (art. 4); the
 *  uitvoerder keeps the register in their name and sends each of them
 *  every change of it (INCIDENT_REGISTER).  This node keeps the newest
 *  version of each incident and shows them with `keten incident list`
 *  (right audit: checking the security measures, art. 15.3).  Any node
 *  still reports incidents (incident.report, partner_send.c).
 */
#include "partner.h"

#include "incidentbox.h"
#include "render.h"

#include <string.h>

int
partner_incident_start (node_t *self, kt_reason_t *reason)
{
    partner_t *p = partner_of (self);
    /*  art. 4: only a kernpartij's node holds the register. */
    if (keyring_self_member (self->keyring)->role != ROLE_KERNPARTIJ)
        return 0;
    p->incidentbox = incidentbox_new (self->db, reason);
    return p->incidentbox ? 0 : -1;
}

void
partner_incident_stop (node_t *self)
{
    incidentbox_destroy (&partner_of (self)->incidentbox);
}

void
partner_on_incident_register (node_t *self, node_message_t *m)
{
    partner_t *p = partner_of (self);
    const Keten__IncidentRegisterEntry *e = (const Keten__IncidentRegisterEntry *) m->body;
    kt_reason_t reason;
    if (!p->incidentbox) {
        const char *why = "this node keeps no incident register (art. 4: kernpartijen only)";
        kt_log (KT_LOG_WARN, "incident register refused id=%s reason=\"%s\"", m->hex, why);
        partner_receipt (self, m->opened.id, false, why);
        return;
    }
    int kept = incidentbox_store (p->incidentbox, e, kt_now_ms (), &reason);
    if (kept < 0) {
        /*  No receipt: the relay offers it again. */
        kt_log (KT_LOG_ERROR, "incident register store_failed id=%s reason=\"%s\"", m->hex,
                reason.text);
        return;
    }
    kt_log (KT_LOG_INFO, "incident register received id=%s incident=%s version=%u%s", m->hex,
            e->incident_id, e->version, kept ? "" : " older=yes");
    partner_receipt (self, m->opened.id, true, NULL);
}

typedef struct {
    json_t *list;
    uint64_t now_ms;
} incidents_t;

static int
s_incident (void *arg, const incident_row_t *row, kt_reason_t *reason)
{
    incidents_t *in = arg;
    return render_append (in->list, node_incident_json (row, in->now_ms), reason);
}

void
partner_incident_list (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    partner_t *p = partner_of (self);
    if (!p->incidentbox) {
        apiserver_reply_error (self->api, caller,
                               "the incident register is kept by the uitvoerder and shown at "
                               "kernpartij nodes (art. 4, 15.2g); this node is not one");
        return;
    }
    kt_reason_t reason;
    incidents_t in = {json_array (), kt_now_ms ()};
    int limit = node_limit (args);
    const char *only = json_string_value (json_object_get (args, "incident_id"));
    node_reply_incidents (
        self, caller,
        render_done (in.list, incidentbox_page (p->incidentbox, only, (size_t) limit + 1,
                                                s_incident, &in, &reason)),
        limit, &reason);
}
