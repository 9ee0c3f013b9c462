/*  itemref: MSGID[:INDEX] as typed, checked.  */
#include "itemref.h"

#include "policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
itemref_parse (const char *text, Keten__ItemRef *ref, uint8_t id_buf[KT_ID_LEN],
               kt_reason_t *reason)
{
    keten__item_ref__init (ref);
    char hex[KT_ID_HEX];
    size_t len = text ? strlen (text) : 0;
    const char *colon = text ? strchr (text, ':') : NULL;
    size_t hex_len = colon ? (size_t) (colon - text) : len;
    if (hex_len != 2 * KT_ID_LEN)
        return kt_fail (reason, "an item is MSGID or MSGID:INDEX, MSGID being %d hex digits",
                        2 * KT_ID_LEN);
    memcpy (hex, text, hex_len);
    hex[hex_len] = '\0';
    if (kt_unhex (id_buf, KT_ID_LEN, hex) != 0)
        return kt_fail (reason, "an item's MSGID is not %d hex digits", 2 * KT_ID_LEN);
    ref->message_id.data = id_buf;
    ref->message_id.len = KT_ID_LEN;
    if (!colon) {
        ref->all_items = true;
        return 0;
    }
    const char *n = colon + 1;
    if (!*n || strlen (n) > 2 || strspn (n, "0123456789") != strlen (n))
        return kt_fail (reason, "an item's INDEX is a number from 0 to %d", POLICY_MAX_ITEMS - 1);
    unsigned long v = strtoul (n, NULL, 10);
    if (v >= POLICY_MAX_ITEMS)
        return kt_fail (reason, "an item's INDEX is a number from 0 to %d", POLICY_MAX_ITEMS - 1);
    ref->index = (uint32_t) v;
    return 0;
}

void
itemref_format (char *buf, size_t len, const uint8_t id[KT_ID_LEN], long index)
{
    char hex[KT_ID_HEX];
    kt_hex (hex, id, KT_ID_LEN);
    if (index < 0)
        snprintf (buf, len, "%s", hex);
    else
        snprintf (buf, len, "%s:%ld", hex, index);
}
