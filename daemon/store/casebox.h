/*  casebox: the cases a partner node takes part in (art. 9-10), in node.db:
 *  every plan version received (sealed under a key per case), the case's
 *  state and closure decision (sealed too), and - at an externe casuspartner - the disclosures
 *  it received with their consent (art. 10.5).
 */
#ifndef KETEN_CASEBOX_H
#define KETEN_CASEBOX_H

#include "keten.pb-c.h"
#include "keystore.h"
#include "util.h"

#include <jansson.h>
#include <sqlite3.h>

typedef struct _casebox_t casebox_t;

casebox_t *casebox_new (sqlite3 *db, keystore_t *keystore, const char *self_id,
                        kt_reason_t *reason);
void casebox_destroy (casebox_t **self_p);

/*  Keep a checked plan version that names this node as participant. */
int casebox_store_plan (casebox_t *self, const Keten__CasePlan *plan, kt_reason_t *reason);
/*  The newest (version 0) or given version, decrypted; *plan_p NULL
 *  when the case is unknown here. */
int casebox_plan (casebox_t *self, const char *case_ref, uint32_t version, Keten__CasePlan **plan_p,
                  kt_reason_t *reason);
/*  Mark the case closed and keep its checked closure decision, sealed
 *  under the case key.  A case no plan brought here is left alone;
 *  a copy offered again changes nothing. */
int casebox_close (casebox_t *self, const Keten__CaseClosure *c, kt_reason_t *reason);
/*  The closure decision of case_ref, decrypted, as JSON { decided_by,
 *  closed_ms, advice? }; NULL when it is not closed here. */
json_t *casebox_closure (casebox_t *self, const char *case_ref);
/*  Keep a disclosure received (externe casuspartner). */
int casebox_store_disclosure (casebox_t *self, const uint8_t id[KT_ID_LEN],
                              const Keten__DisclosureConsent *d, kt_reason_t *reason);
/*  Cases known here (no personal data): case_ref, state, plan version,
 *  participants, own overdue measures, disclosures received. */
json_t *casebox_list (casebox_t *self);
/*  Disclosures of case_ref, decrypted, as JSON (items included). */
json_t *casebox_disclosures (casebox_t *self, const char *case_ref);
/*  Whether case_ref is known here and closed. */
bool casebox_closed (casebox_t *self, const char *case_ref);

#endif
