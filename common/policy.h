/*  policy: the convenant's exchange rules as one explicit table
 *  (docs/ARCHITECTURE.md, "Conventions", rule 14): which message type may
 *  come from which role and go to whom.  Anything not in the table is
 *  refused with a reason the sender sees.
 */
#ifndef KETEN_POLICY_H
#define KETEN_POLICY_H

#include "keten.pb-c.h"
#include "roster.h"
#include "util.h"

#include <stddef.h>

#define POLICY_MAX_RECIPIENTS 64
/*  Bounds of the retention bodies (art. 13). */
#define POLICY_MAX_RETAINED 4096
#define POLICY_MAX_REASON 1000
/*  Bounds of a correction's item (art. 12.5; common/items.h keeps the
 *  same for a signal's items). */
#define POLICY_MAX_ITEMS 32
#define POLICY_MAX_ITEM_TEXT 4000
/*  Places of a signal's items in one participant's shared or disclosed
 *  copies that one correction notice names (art. 9.2, 10.4-10.5). */
#define POLICY_MAX_DISCLOSED 1024
/*  Bounds of a kernpartij's rights decision (art. 11, 12) and of an
 *  entry of the incident register (art. 15.2g). */
#define POLICY_MAX_MOTIVATION 8000
#define POLICY_MAX_WITHHOLD 64
#define POLICY_MAX_INCIDENT_TEXT 4000
/*  Bounds of a casework decision (CASE_DECISION, art. 10.5). */
#define POLICY_MAX_CONSENT_ITEMS 64
#define POLICY_MAX_NECESSITY 2000
/*  art. 9.2, 10.4: the recipients of one share (ShareDecision.to). */
#define POLICY_MAX_SHARE_TO 16
/*  A transfer to a peered federation (docs/FEDERATIONS.md). */
#define POLICY_MAX_BASIS 500
#define POLICY_MAX_TRANSFER_SIGNALS 256
/*  The receipts of one RECEIPTS message (docs/PROTOCOL.md, "Receipts"),
 *  and its checkpoint note (checkpoint.h's CHECKPOINT_NOTE_MAX). */
#define POLICY_MAX_RECEIPTS 4096
#define POLICY_MAX_RECEIPTS_NOTE (64 * 1024)

/*  0 when sender (an active member) may send type to exactly these
 *  recipients under roster at now_ms; else -1 and the reason. */
int policy_check (const roster_t *roster, Keten__MessageType type, const roster_member_t *sender,
                  char *const *recipients, size_t n_recipients, uint64_t now_ms,
                  kt_reason_t *reason);

/*  What a message type's body is and what it takes beyond decoding: one
 *  row per type (every row of that type in the table has the same). */
typedef struct {
    const ProtobufCMessageDescriptor *descriptor;
    /*  Bounds a decoded body must keep, or NULL; pure (no state, no
     *  clock), so it can run before anything else sees the body. */
    int (*check) (const ProtobufCMessage *body, kt_reason_t *reason);
    bool receipted; /* the recipient answers it with a receipt */
} policy_body_t;

/*  The body of type, NULL for a type the federation does not accept. */
const policy_body_t *policy_body (Keten__MessageType type);

/*  A row of the table, read-only, for the register (AVG art. 30, `keten
 *  register`): the type, the roles that may send it (a bit set of
 *  1 << roster_role_t), to whom ("the uitvoerder", "one member", "one
 *  kernpartij") and the rule it quotes. */
typedef struct {
    Keten__MessageType type;
    unsigned senders;
    const char *to;
    const char *why;
} policy_rule_t;
/*  Row i into *out: 0, or -1 past the last row. */
int policy_rule (size_t i, policy_rule_t *out);

/*  Name of a message type for logs and reasons ("SIGNAL"). */
const char *policy_type_name (Keten__MessageType type);

#endif
