/*  itemref: an item a party supplied to a case, as people type it:
 *  MSGID (every item of that message) or MSGID:INDEX (one item, from 0),
 *  MSGID being the 32 hex digits of a SIGNAL or CASE_CONTRIBUTION message
 *  id (art. 10.5, docs/CASUSOVERLEG.md).
 */
#ifndef KETEN_ITEMREF_H
#define KETEN_ITEMREF_H

#include "keten.pb-c.h"
#include "util.h"

/*  Parse text into ref, whose message_id points into id_buf (borrowed:
 *  keep id_buf as long as ref).  0, or -1 with a reason naming the
 *  problem (never the text). */
int itemref_parse (const char *text, Keten__ItemRef *ref, uint8_t id_buf[KT_ID_LEN],
                   kt_reason_t *reason);

/*  "HEX" or "HEX:INDEX" of a message id and an item index (index < 0: the
 *  whole message) into buf. */
void itemref_format (char *buf, size_t len, const uint8_t id[KT_ID_LEN], long index);

#endif
