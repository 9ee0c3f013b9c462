/*  roster_peering: the roster's peering section (docs/ROSTER.md) - the
 *  uitvoerders of other federations that this federation's uitvoerder
 *  pins.  A peer's transport key goes into the uitvoerder's allow-list
 *  and its signing key verifies the peer's log, so the section is checked
 *  as strictly as the members: a peer that could be taken for a member,
 *  or for another peer, is refused.  An ended peering stays in the roster
 *  as history; it no longer admits anyone.
 */
#include "roster.h"

#include "roster_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    P_UITVOERDER,
    P_NAME,
    P_TRANSPORT,
    P_SIGNING,
    P_ENCRYPTION,
    P_ENDPOINT,
    P_SINCE,
    P_ENDED,
    P_WPG_ENTITLED,
    P_COUNT
};
static const char *const s_peering_keys[P_COUNT] = {"uitvoerder", "name",       "transport",
                                                    "signing",    "encryption", "endpoint",
                                                    "since",      "ended",      "wpg-entitled"};

/*  Exactly 64 lowercase hex digits, into out. */
static bool
s_key (const char *hex, uint8_t out[32])
{
    return strlen (hex) == 64 && strspn (hex, "0123456789abcdef") == 64 &&
           kt_unhex (out, 32, hex) == 0;
}

/*  "tcp://HOST:PORT": HOST printable ASCII without spaces, quotes or '/'
 *  (the roster writes the endpoint between quotes), PORT 1..65535. */
static bool
s_valid_endpoint (const char *s)
{
    if (strlen (s) > ROSTER_ENDPOINT_MAX || strncmp (s, "tcp://", 6) != 0)
        return false;
    const char *host = s + 6, *colon = strrchr (host, ':');
    if (!colon || colon == host)
        return false;
    for (const char *c = host; c < colon; c++) {
        unsigned char ch = (unsigned char) *c;
        if (ch <= ' ' || ch > '~' || ch == '"' || ch == '\'' || ch == '/')
            return false;
    }
    const char *port = colon + 1;
    size_t digits = strlen (port);
    if (digits < 1 || digits > 5 || strspn (port, "0123456789") != digits)
        return false;
    long v = strtol (port, NULL, 10);
    return v >= 1 && v <= 65535;
}

/*  uitvoerder, name and the three keys of peering p (its federation set). */
static int
s_decode_identity (zconfig_t **item, roster_peering_t *p, kt_reason_t *reason)
{
    const char *uitvoerder = zconfig_value (item[P_UITVOERDER]);
    if (!kt_valid_node_id (uitvoerder))
        return kt_fail (reason,
                        "roster: peering %s: uitvoerder '%.64s' must be 1..64 of [a-z0-9-] "
                        "starting with a letter",
                        p->federation, uitvoerder);
    snprintf (p->uitvoerder, sizeof p->uitvoerder, "%s", uitvoerder);
    const char *name = zconfig_value (item[P_NAME]);
    if (!keys_valid_name (name))
        return kt_fail (reason,
                        "roster: peering %s: name must be 1..%d bytes of UTF-8 without "
                        "control characters or '\"'",
                        p->federation, KEYS_NAME_MAX);
    snprintf (p->name, sizeof p->name, "%s", name);
    uint8_t *out[3] = {p->transport_pk, p->signing_pk, p->encryption_pk};
    for (int i = 0; i < 3; i++)
        if (!s_key (zconfig_value (item[P_TRANSPORT + i]), out[i]))
            return kt_fail (reason, "roster: peering %s: %s key must be 64 lowercase hex digits",
                            p->federation, s_peering_keys[P_TRANSPORT + i]);
    if (!keys_encryption_usable (p->encryption_pk))
        return kt_fail (reason, "roster: peering %s: its encryption key is of low order",
                        p->federation);
    return 0;
}

/*  endpoint, since, ended and wpg-entitled of peering p. */
static int
s_decode_terms (zconfig_t **item, roster_peering_t *p, kt_reason_t *reason)
{
    const char *endpoint = zconfig_value (item[P_ENDPOINT]);
    if (!s_valid_endpoint (endpoint))
        return kt_fail (reason,
                        "roster: peering %s: endpoint must be tcp://HOST:PORT (HOST printable "
                        "ASCII without spaces, quotes or '/', PORT 1..65535), at most %d bytes",
                        p->federation, ROSTER_ENDPOINT_MAX);
    snprintf (p->endpoint, sizeof p->endpoint, "%s", endpoint);
    const char *since = zconfig_value (item[P_SINCE]);
    const char *ended = item[P_ENDED] ? zconfig_value (item[P_ENDED]) : "";
    if (!roster_text_valid_date (since))
        return kt_fail (reason, "roster: peering %s: since = %.16s is not a date YYYY-MM-DD",
                        p->federation, since);
    if (*ended && !roster_text_valid_date (ended))
        return kt_fail (reason,
                        "roster: peering %s: ended = %.16s is not a date YYYY-MM-DD or \"\"",
                        p->federation, ended);
    /*  Both are YYYY-MM-DD: as strings they sort as the days do. */
    if (*ended && strcmp (ended, since) < 0)
        return kt_fail (reason, "roster: peering %s: ended %s is before since %s", p->federation,
                        ended, since);
    snprintf (p->since, sizeof p->since, "%s", since);
    snprintf (p->ended, sizeof p->ended, "%s", ended);
    const char *wpg = zconfig_value (item[P_WPG_ENTITLED]);
    if (!streq (wpg, "0") && !streq (wpg, "1"))
        return kt_fail (reason, "roster: peering %s: wpg-entitled must be 0 or 1", p->federation);
    p->wpg_entitled = streq (wpg, "1");
    return 0;
}

static int
s_decode_one (zconfig_t *node, const roster_t *r, roster_peering_t *p, kt_reason_t *reason)
{
    const char *federation = zconfig_name (node);
    if (!kt_valid_node_id (federation))
        return kt_fail (reason,
                        "roster: peering federation '%.64s' must be 1..64 of [a-z0-9-] starting "
                        "with a letter",
                        federation);
    if (*zconfig_value (node))
        return kt_fail (reason, "roster: peering %s is a section and takes no value", federation);
    if (streq (federation, r->federation))
        return kt_fail (reason,
                        "roster: peering %s: that is this roster's own federation; a federation "
                        "does not peer with itself",
                        federation);
    snprintf (p->federation, sizeof p->federation, "%s", federation);
    char where[96];
    snprintf (where, sizeof where, "peering/%s", federation);
    zconfig_t *item[P_COUNT];
    if (roster_text_collect (node, where, s_peering_keys, P_COUNT, 0, item, reason) != 0)
        return -1;
    for (int i = 0; i < P_COUNT; i++)
        if (!item[i] && i != P_ENDED)
            return kt_fail (reason, "roster: peering %s has no %s", federation, s_peering_keys[i]);
    if (s_decode_identity (item, p, reason) != 0)
        return -1;
    return s_decode_terms (item, p, reason);
}

static const char *const s_kind_names[3] = {"transport", "signing", "encryption"};

/*  The member one of whose keys - any kind, current or previous - is pk. */
static const roster_member_t *
s_member_with (const roster_t *r, const uint8_t pk[32])
{
    for (size_t i = 0; i < r->member_count; i++) {
        const roster_member_t *m = &r->members[i];
        const uint8_t *keys[6] = {m->transport_pk,        m->signing_pk,
                                  m->encryption_pk,       m->previous_transport_pk,
                                  m->previous_signing_pk, m->previous_encryption_pk};
        for (int k = 0; k < (m->has_previous ? 6 : 3); k++)
            if (memcmp (keys[k], pk, 32) == 0)
                return m;
    }
    return NULL;
}

/*  A peer taken for a member would be admitted, and could sign, as that
 *  member; two peers with one key could pass for each other.  Ended
 *  peerings count too: they stay in the roster. */
static int
s_check_unique (const roster_t *r, kt_reason_t *reason)
{
    for (size_t i = 0; i < r->peering_count; i++) {
        const roster_peering_t *a = &r->peerings[i];
        const uint8_t *ka[3] = {a->transport_pk, a->signing_pk, a->encryption_pk};
        /*  Its uitvoerder's id is how messages find their peer: one that
         *  is a member's (this federation's own uitvoerder's, say) would
         *  be resolved to that member. */
        for (size_t m = 0; m < r->member_count; m++)
            if (streq (a->uitvoerder, r->members[m].id))
                return kt_fail (reason, "roster: peering %s: its uitvoerder %s is a member's id",
                                a->federation, a->uitvoerder);
        for (int k = 0; k < 3; k++) {
            const roster_member_t *m = s_member_with (r, ka[k]);
            if (m)
                return kt_fail (reason, "roster: peering %s: its %s key is a key of member %s",
                                a->federation, s_kind_names[k], m->id);
        }
        for (size_t j = i + 1; j < r->peering_count; j++) {
            const roster_peering_t *b = &r->peerings[j];
            if (streq (a->federation, b->federation))
                return kt_fail (reason, "roster: duplicate peering %s", a->federation);
            const uint8_t *kb[3] = {b->transport_pk, b->signing_pk, b->encryption_pk};
            for (int x = 0; x < 3; x++)
                for (int y = 0; y < 3; y++)
                    if (memcmp (ka[x], kb[y], 32) == 0)
                        return kt_fail (reason,
                                        "roster: peerings %s and %s share a key (the %s key of "
                                        "%s)",
                                        a->federation, b->federation, s_kind_names[x],
                                        a->federation);
        }
    }
    return 0;
}

int
roster_peerings_decode (zconfig_t *section, roster_t *r, kt_reason_t *reason)
{
    size_t count = 0;
    for (zconfig_t *c = zconfig_child (section); c; c = zconfig_next (c))
        if (++count > ROSTER_MAX_PEERINGS)
            return kt_fail (reason, "roster: more than %d peerings", ROSTER_MAX_PEERINGS);
    if (count == 0)
        return 0;
    r->peerings = calloc (count, sizeof *r->peerings);
    if (!r->peerings)
        return kt_fail (reason, "out of memory");
    for (zconfig_t *c = zconfig_child (section); c; c = zconfig_next (c))
        if (s_decode_one (c, r, &r->peerings[r->peering_count++], reason) != 0)
            return -1;
    return s_check_unique (r, reason);
}

void
roster_peerings_write (FILE *f, const roster_t *r)
{
    if (r->peering_count == 0)
        return;
    fprintf (f, "    peering\n");
    for (size_t i = 0; i < r->peering_count; i++) {
        const roster_peering_t *p = &r->peerings[i];
        char tp[65], sp[65], ep[65];
        fprintf (f,
                 "        %s\n"
                 "            uitvoerder = %s\n"
                 "            name = \"%s\"\n"
                 "            transport = %s\n"
                 "            signing = %s\n"
                 "            encryption = %s\n"
                 "            endpoint = \"%s\"\n"
                 "            since = %s\n"
                 "            ended = \"%s\"\n"
                 "            wpg-entitled = %d\n",
                 p->federation, p->uitvoerder, p->name, kt_hex (tp, p->transport_pk, 32),
                 kt_hex (sp, p->signing_pk, 32), kt_hex (ep, p->encryption_pk, 32), p->endpoint,
                 p->since, p->ended, p->wpg_entitled ? 1 : 0);
    }
}

const roster_peering_t *
roster_peering (const roster_t *self, const char *federation)
{
    for (size_t i = 0; federation && i < self->peering_count; i++)
        if (streq (self->peerings[i].federation, federation))
            return &self->peerings[i];
    return NULL;
}

bool
roster_peering_active (const roster_peering_t *peering, uint64_t now_ms)
{
    /*  From 00:00 Dutch time on its ended day the peer is refused; an
     *  unreadable date fails closed, as for a member's leaves-at. */
    if (!*peering->ended)
        return true;
    uint64_t start = roster_text_day_start_ms (peering->ended);
    return start > 0 && now_ms < start;
}
