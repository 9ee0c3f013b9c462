/*  roster: the convenant as data, signed by the uitvoerder (docs/ROSTER.md).
 *
 *  The roster decides who may connect, sign and receive, so it is checked
 *  in this order and nowhere else: signature by the pinned uitvoerder key
 *  over the exact bytes, then the ZPL text, field by field.  Nothing of an
 *  unsigned or wrongly signed roster is parsed at all.
 */
#include "roster.h"

#include "calendar.h"
#include "note.h"
#include "roster_text.h"

#include <czmq.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/*  art. 13.3: not-agendered weegploeg data at most 6 months; art. 13.2:
 *  archived at most 1 year after last processing; art. 13.1: destroyed
 *  5 years after last processing.  The schedule itself holds to the
 *  calendar months and years (common/retention.c); these are the day
 *  counts a roster may name.  A new roster names 181 days for 13.3, the
 *  shortest 6 months there are; up to 183 is taken from one made before. */
#define RETENTION_NOT_AGENDERED_MAX 183
#define RETENTION_NOT_AGENDERED_NEW 181
#define RETENTION_ARCHIVE_MAX 365
#define RETENTION_DESTROY_MAX 1826

roster_role_t
roster_role_for_kind (const char *kind)
{
    /*  art. 1: politie, OM and the gemeenten are kernpartijen; RvdK and
     *  Reclassering are casuspartijen; bijlage 1 names the externe
     *  casuspartners; the uitvoerder keeps the files (art. 5). */
    if (!kind)
        return (roster_role_t) 0;
    if (streq (kind, "politie") || streq (kind, "om") || streq (kind, "gemeente"))
        return ROLE_KERNPARTIJ;
    if (streq (kind, "rvdk") || streq (kind, "reclassering"))
        return ROLE_CASUSPARTIJ;
    if (streq (kind, "extern"))
        return ROLE_EXTERN;
    if (streq (kind, "uitvoerder"))
        return ROLE_UITVOERDER;
    return (roster_role_t) 0;
}

const char *
roster_role_name (roster_role_t role)
{
    static const char *const names[] = {"unknown", "kernpartij", "casuspartij", "extern",
                                        "uitvoerder"};
    return role >= ROLE_KERNPARTIJ && role <= ROLE_UITVOERDER ? names[role] : names[0];
}

/*  The value of n decimal digits at s, or -1 if any is not a digit. */
static int
s_num (const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/*  Strict "YYYY-MM-DD", a real calendar day.  Fills tm (00:00 UTC). */
static bool
s_parse_date (const char *s, struct tm *tm)
{
    if (strlen (s) < 10 || s[4] != '-' || s[7] != '-')
        return false;
    int y = s_num (s, 4), m = s_num (s + 5, 2), d = s_num (s + 8, 2);
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1970 || m < 1 || m > 12 || d < 1)
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > days[m - 1] + (m == 2 && leap))
        return false;
    memset (tm, 0, sizeof *tm);
    tm->tm_year = y - 1900;
    tm->tm_mon = m - 1;
    tm->tm_mday = d;
    return true;
}

bool
roster_text_valid_date (const char *s)
{
    struct tm tm;
    return strlen (s) == 10 && s_parse_date (s, &tm);
}

/*  RFC 3339 UTC as roster_build writes it: "YYYY-MM-DDTHH:MM:SSZ". */
static bool
s_valid_issued (const char *s)
{
    struct tm tm;
    if (strlen (s) != 20 || !s_parse_date (s, &tm) || s[10] != 'T' || s[13] != ':' ||
        s[16] != ':' || s[19] != 'Z')
        return false;
    int h = s_num (s + 11, 2), m = s_num (s + 14, 2), sec = s_num (s + 17, 2);
    return h >= 0 && h < 24 && m >= 0 && m < 60 && sec >= 0 && sec <= 60;
}

/*  Digits only, no overflow past max. */
static int
s_parse_uint (const char *s, uint64_t max, uint64_t *out)
{
    if (!*s)
        return -1;
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (max - (uint64_t) (*s - '0')) / 10)
            return -1;
        v = v * 10 + (uint64_t) (*s - '0');
    }
    *out = v;
    return 0;
}

int
roster_text_collect (zconfig_t *section, const char *where, const char *const *names, size_t n,
                     unsigned sections, zconfig_t **item, kt_reason_t *reason)
{
    for (size_t i = 0; i < n; i++)
        item[i] = NULL;
    for (zconfig_t *c = zconfig_child (section); c; c = zconfig_next (c)) {
        size_t i = 0;
        while (i < n && !streq (zconfig_name (c), names[i]))
            i++;
        if (i == n)
            return kt_fail (reason, "roster: unknown key %s/%.64s", where, zconfig_name (c));
        if (item[i])
            return kt_fail (reason, "roster: %s/%s appears twice", where, names[i]);
        bool is_section = sections & (1u << i);
        if (is_section && *zconfig_value (c))
            return kt_fail (reason, "roster: %s/%s is a section and takes no value", where,
                            names[i]);
        if (!is_section && zconfig_child (c))
            return kt_fail (reason, "roster: %s/%s is a key and takes no nested keys", where,
                            names[i]);
        item[i] = c;
    }
    return 0;
}

static const char *
s_value (zconfig_t *item)
{
    return item ? zconfig_value (item) : NULL;
}

enum {
    M_NAME,
    M_KIND,
    M_ROLE,
    M_TRANSPORT,
    M_SIGNING,
    M_ENCRYPTION,
    M_JOINED,
    M_NOTICE,
    M_LEAVES,
    M_MUNICIPALITY,
    M_PREV_TRANSPORT,
    M_PREV_SIGNING,
    M_PREV_ENCRYPTION,
    M_PREV_UNTIL,
    M_COUNT
};
static const char *const s_member_keys[M_COUNT] = {"name",
                                                   "kind",
                                                   "role",
                                                   "transport",
                                                   "signing",
                                                   "encryption",
                                                   "joined",
                                                   "notice-given",
                                                   "leaves-at",
                                                   "municipality",
                                                   "previous-transport",
                                                   "previous-signing",
                                                   "previous-encryption",
                                                   "previous-until"};

uint64_t
roster_text_day_start_ms (const char *date)
{
    /*  art. 18 and docs/ROSTER.md: the parties' days are Dutch days, on
     *  every node alike, whatever TZ it runs in. */
    uint64_t ms = 0;
    return kt_local_date_start_ms (date, &ms) == 0 ? ms : 0;
}

/*  A roster's issued time, a UTC "YYYY-MM-DDTHH:MM:SSZ" s_valid_issued
 *  let through, as ms since the epoch. */
static uint64_t
s_issued_ms (const char *issued)
{
    int64_t day =
        kt_days_from_civil (s_num (issued, 4), s_num (issued + 5, 2), s_num (issued + 8, 2));
    int64_t s = day * 86400 + s_num (issued + 11, 2) * 3600 + s_num (issued + 14, 2) * 60 +
                s_num (issued + 17, 2);
    return s > 0 ? (uint64_t) s * 1000u : 0;
}

/*  The previous keys of a rotation overlap: all four keys or none. */
static int
s_decode_previous (zconfig_t **item, roster_member_t *m, kt_reason_t *reason)
{
    int present = 0;
    for (int i = M_PREV_TRANSPORT; i <= M_PREV_UNTIL; i++)
        present += item[i] != NULL;
    const char *until = item[M_PREV_UNTIL] ? s_value (item[M_PREV_UNTIL]) : "";
    if (present == 0 || (present == 1 && !*until))
        return 0;
    if (present != 4)
        return kt_fail (reason,
                        "roster: member %s: previous-transport, previous-signing, "
                        "previous-encryption and previous-until go together",
                        m->id);
    if (!roster_text_valid_date (until))
        return kt_fail (reason,
                        "roster: member %s: previous-until = %.16s is not a date "
                        "YYYY-MM-DD",
                        m->id, until);
    if (m->role == ROLE_UITVOERDER)
        return kt_fail (reason,
                        "roster: member %s: the uitvoerder's keys are pinned by every "
                        "node and have no overlap period",
                        m->id);
    uint8_t *out[3] = {m->previous_transport_pk, m->previous_signing_pk, m->previous_encryption_pk};
    for (int i = 0; i < 3; i++)
        if (kt_unhex (out[i], 32, s_value (item[M_PREV_TRANSPORT + i])) != 0)
            return kt_fail (reason, "roster: member %s: %s key must be 64 hex digits", m->id,
                            s_member_keys[M_PREV_TRANSPORT + i]);
    if (!keys_encryption_usable (m->previous_encryption_pk))
        return kt_fail (reason, "roster: member %s: its previous encryption key is of low order",
                        m->id);
    snprintf (m->previous_until, sizeof m->previous_until, "%s", until);
    m->has_previous = true;
    return 0;
}

/*  Name, kind and role of member m (its id set). */
static int
s_decode_identity (zconfig_t **item, roster_member_t *m, kt_reason_t *reason)
{
    const char *name = s_value (item[M_NAME]);
    if (!keys_valid_name (name))
        return kt_fail (reason,
                        "roster: member %s: name must be 1..%d bytes of UTF-8 without "
                        "control characters or '\"'",
                        m->id, KEYS_NAME_MAX);
    snprintf (m->name, sizeof m->name, "%s", name);
    const char *kind = s_value (item[M_KIND]);
    if (!keys_valid_kind (kind))
        return kt_fail (reason,
                        "roster: member %s: kind '%.16s' is not a kind of the "
                        "convenant",
                        m->id, kind);
    snprintf (m->kind, sizeof m->kind, "%s", kind);
    /*  art. 1: the role follows from the kind of organisation; a roster
     *  that says otherwise would give a party rights it does not have. */
    m->role = roster_role_for_kind (kind);
    const char *role = s_value (item[M_ROLE]);
    if (!streq (role, roster_role_name (m->role)))
        return kt_fail (reason,
                        "roster: member %s: role %.16s does not match kind %s (art. 1: "
                        "a %s is a %s)",
                        m->id, role, kind, kind, roster_role_name (m->role));
    return 0;
}

/*  joined, notice-given, leaves-at and (a gemeente's) municipality of
 *  member m (its kind set). */
static int
s_decode_dates (zconfig_t **item, roster_member_t *m, kt_reason_t *reason)
{
    const char *joined = s_value (item[M_JOINED]);
    const char *notice = item[M_NOTICE] ? s_value (item[M_NOTICE]) : "";
    const char *leaves = item[M_LEAVES] ? s_value (item[M_LEAVES]) : "";
    if (!roster_text_valid_date (joined))
        return kt_fail (reason, "roster: member %s: joined = %.16s is not a date YYYY-MM-DD", m->id,
                        joined);
    if (*notice && !roster_text_valid_date (notice))
        return kt_fail (reason,
                        "roster: member %s: notice-given = %.16s is not a date "
                        "YYYY-MM-DD or \"\"",
                        m->id, notice);
    if (*leaves && !roster_text_valid_date (leaves))
        return kt_fail (reason,
                        "roster: member %s: leaves-at = %.16s is not a date YYYY-MM-DD "
                        "or \"\"",
                        m->id, leaves);
    /*  art. 6b / data minimisation: a gemeente sees the weegploeg items of
     *  its own residents, so the roster says which municipality it is. */
    const char *municipality = item[M_MUNICIPALITY] ? s_value (item[M_MUNICIPALITY]) : "";
    bool gemeente = streq (m->kind, "gemeente");
    if (gemeente && !keys_valid_name (municipality))
        return kt_fail (reason,
                        "roster: member %s: a gemeente needs municipality = \"NAME\" "
                        "(1..%d bytes of UTF-8 without control characters or '\"')",
                        m->id, KEYS_NAME_MAX);
    if (!gemeente && *municipality)
        return kt_fail (reason, "roster: member %s: only a gemeente has a municipality", m->id);
    snprintf (m->municipality, sizeof m->municipality, "%s", municipality);
    snprintf (m->joined, sizeof m->joined, "%s", joined);
    snprintf (m->notice_given, sizeof m->notice_given, "%s", notice);
    snprintf (m->leaves_at, sizeof m->leaves_at, "%s", leaves);
    return 0;
}

/*  art. 18.2: opzegging takes effect after 3 months' notice.  (A
 *  revocation without notice, art. 15.2c, has leaves-at only.) */
static int
s_check_notice (const roster_member_t *m, kt_reason_t *reason)
{
    if (!*m->notice_given)
        return 0;
    /*  Three calendar months, the day cut to the month's last: 31 March
     *  gives 30 June (calendar.h). */
    char earliest[11];
    kt_date_months_on (m->notice_given, 3, earliest);
    if (!*m->leaves_at || strcmp (m->leaves_at, earliest) < 0)
        return kt_fail (reason,
                        "roster: member %s: notice given on %s needs leaves-at at "
                        "least 3 months later (art. 18.2)",
                        m->id, m->notice_given);
    return 0;
}

static int
s_decode_member (zconfig_t *node, roster_member_t *m, kt_reason_t *reason)
{
    const char *id = zconfig_name (node);
    if (!kt_valid_node_id (id))
        return kt_fail (reason,
                        "roster: member id '%.64s' must be 1..64 of [a-z0-9-] starting "
                        "with a letter",
                        id);
    if (*zconfig_value (node))
        return kt_fail (reason, "roster: member %s is a section and takes no value", id);
    char where[96];
    snprintf (where, sizeof where, "member/%s", id);
    zconfig_t *item[M_COUNT];
    if (roster_text_collect (node, where, s_member_keys, M_COUNT, 0, item, reason) != 0)
        return -1;
    for (int i = 0; i < M_NOTICE; i++)
        if (!item[i])
            return kt_fail (reason, "roster: member %s has no %s", id, s_member_keys[i]);
    snprintf (m->id, sizeof m->id, "%s", id);
    if (s_decode_identity (item, m, reason) != 0)
        return -1;
    struct {
        int key;
        uint8_t *out;
    } keys[] = {{M_TRANSPORT, m->transport_pk},
                {M_SIGNING, m->signing_pk},
                {M_ENCRYPTION, m->encryption_pk}};
    for (size_t i = 0; i < 3; i++)
        if (kt_unhex (keys[i].out, 32, s_value (item[keys[i].key])) != 0)
            return kt_fail (reason, "roster: member %s: %s key must be 64 hex digits", id,
                            s_member_keys[keys[i].key]);
    /*  One every node refuses when it makes its keyring would make every
     *  node refuse the roster after keeping it (keyring.c). */
    if (!keys_encryption_usable (m->encryption_pk))
        return kt_fail (reason, "roster: member %s: its encryption key is of low order", id);
    if (s_decode_dates (item, m, reason) != 0 || s_decode_previous (item, m, reason) != 0)
        return -1;
    return s_check_notice (m, reason);
}

enum {
    R_FEDERATION,
    R_VERSION,
    R_ISSUED,
    R_REFERENTIEKADER,
    R_KADER_SHA256,
    R_KADER_EXAMPLE,
    R_RETENTION,
    R_MEMBER,
    R_PEERING,
    R_COUNT
};
static const char *const s_roster_keys[R_COUNT] = {"federation",
                                                   "version",
                                                   "issued",
                                                   "referentiekader",
                                                   "referentiekader-sha256",
                                                   "referentiekader-example",
                                                   "retention",
                                                   "member",
                                                   "peering"};
static const char *const s_retention_keys[3] = {"not-agendered-days", "archive-days",
                                                "destroy-days"};

static int
s_decode_retention (zconfig_t *section, roster_t *r, kt_reason_t *reason)
{
    zconfig_t *item[3];
    if (roster_text_collect (section, "retention", s_retention_keys, 3, 0, item, reason) != 0)
        return -1;
    static const uint32_t max[3] = {RETENTION_NOT_AGENDERED_MAX, RETENTION_ARCHIVE_MAX,
                                    RETENTION_DESTROY_MAX};
    static const char *const article[3] = {"13.3", "13.2", "13.1"};
    uint32_t *out[3] = {&r->retention_not_agendered_days, &r->retention_archive_days,
                        &r->retention_destroy_days};
    for (int i = 0; i < 3; i++) {
        uint64_t v;
        if (!item[i])
            return kt_fail (reason, "roster: retention/%s is missing", s_retention_keys[i]);
        if (s_parse_uint (s_value (item[i]), UINT32_MAX, &v) != 0 || v < 1)
            return kt_fail (reason, "roster: retention/%s must be a whole number of days",
                            s_retention_keys[i]);
        if (v > max[i])
            return kt_fail (reason,
                            "roster: retention/%s = %llu exceeds the maximum of %u days "
                            "of art. %s",
                            s_retention_keys[i], (unsigned long long) v, max[i], article[i]);
        *out[i] = (uint32_t) v;
    }
    /*  Data is archived before it is destroyed, never the other way round. */
    if (r->retention_destroy_days < r->retention_archive_days)
        return kt_fail (reason, "roster: retention/destroy-days must not be shorter than "
                                "retention/archive-days");
    return 0;
}

/*  A member's keys of one kind: its current one and, during an overlap,
 *  its previous one.  Returns how many. */
static int
s_member_keys_of (const roster_member_t *m, int k, const uint8_t *out[2])
{
    const uint8_t *cur[3] = {m->transport_pk, m->signing_pk, m->encryption_pk};
    const uint8_t *prev[3] = {m->previous_transport_pk, m->previous_signing_pk,
                              m->previous_encryption_pk};
    out[0] = cur[k];
    out[1] = prev[k];
    return m->has_previous ? 2 : 1;
}

/*  Duplicate ids or keys would let one member be taken for another; a
 *  rotation must bring keys that differ from the ones it replaces. */
static int
s_check_unique (const roster_t *r, kt_reason_t *reason)
{
    static const char *const what[3] = {"transport", "signing", "encryption"};
    for (size_t i = 0; i < r->member_count; i++) {
        const roster_member_t *a = &r->members[i];
        for (int k = 0; k < 3; k++) {
            const uint8_t *ka[2];
            if (s_member_keys_of (a, k, ka) == 2 && memcmp (ka[0], ka[1], 32) == 0)
                return kt_fail (reason, "roster: member %s: previous %s key is its current one",
                                a->id, what[k]);
        }
        for (size_t j = i + 1; j < r->member_count; j++) {
            const roster_member_t *b = &r->members[j];
            if (streq (a->id, b->id))
                return kt_fail (reason, "roster: duplicate member id %s", a->id);
            for (int k = 0; k < 3; k++) {
                const uint8_t *ka[2], *kb[2];
                int na = s_member_keys_of (a, k, ka), nb = s_member_keys_of (b, k, kb);
                for (int x = 0; x < na; x++)
                    for (int y = 0; y < nb; y++)
                        if (memcmp (ka[x], kb[y], 32) == 0)
                            return kt_fail (reason,
                                            "roster: members %s and %s have the same %s key", a->id,
                                            b->id, what[k]);
            }
        }
    }
    return 0;
}

/*  Every member section, into r->members. */
static int
s_decode_members (zconfig_t *section, roster_t *r, kt_reason_t *reason)
{
    size_t count = 0;
    for (zconfig_t *c = zconfig_child (section); c; c = zconfig_next (c))
        if (++count > ROSTER_MAX_MEMBERS)
            return kt_fail (reason, "roster: more than %d members", ROSTER_MAX_MEMBERS);
    if (count == 0)
        return kt_fail (reason, "roster: no members");
    r->members = calloc (count, sizeof *r->members);
    if (!r->members)
        return kt_fail (reason, "out of memory");
    for (zconfig_t *c = zconfig_child (section); c; c = zconfig_next (c))
        if (s_decode_member (c, &r->members[r->member_count++], reason) != 0)
            return -1;
    return 0;
}

/*  A rotation's overlap is bounded: old keys cannot be kept for years by
 *  a hand-made roster. */
static int
s_check_overlaps (const roster_t *r, kt_reason_t *reason)
{
    /*  Counted from the Dutch day it was issued on, as rosterchange.c
     *  writes previous-until: at 00:30 Dutch time the UTC day is still
     *  the one before. */
    char last[11];
    kt_local_date_on (s_issued_ms (r->issued), ROSTER_OVERLAP_MAX_DAYS + 1, last);
    for (size_t i = 0; i < r->member_count; i++)
        if (r->members[i].has_previous && strcmp (r->members[i].previous_until, last) > 0)
            return kt_fail (reason,
                            "roster: member %s: previous-until %s is more than %d days "
                            "after the roster was issued",
                            r->members[i].id, r->members[i].previous_until,
                            ROSTER_OVERLAP_MAX_DAYS);
    return 0;
}

/*  art. 5: one uitvoerder keeps the files and signs the roster; it must be
 *  the very key this node pinned at install time. */
static int
s_check_uitvoerder (const roster_t *r, const char *signer, const uint8_t signer_pk[32],
                    kt_reason_t *reason)
{
    const roster_member_t *uitvoerder = NULL;
    for (size_t i = 0; i < r->member_count; i++)
        if (r->members[i].role == ROLE_UITVOERDER) {
            if (uitvoerder)
                return kt_fail (reason,
                                "roster: two uitvoerders (%s and %s); there must be "
                                "exactly one",
                                uitvoerder->id, r->members[i].id);
            uitvoerder = &r->members[i];
        }
    if (!uitvoerder)
        return kt_fail (reason, "roster: no uitvoerder member");
    if (!streq (uitvoerder->id, signer) ||
        sodium_memcmp (uitvoerder->signing_pk, signer_pk, 32) != 0)
        return kt_fail (reason, "roster: the uitvoerder member %s is not the pinned signer %s",
                        uitvoerder->id, signer);
    return 0;
}

static int
s_decode (zconfig_t *root, roster_t *r, const char *signer, const uint8_t signer_pk[32],
          kt_reason_t *reason)
{
    zconfig_t *top = zconfig_child (root);
    if (!top || !streq (zconfig_name (top), "roster") || zconfig_next (top) || *zconfig_value (top))
        return kt_fail (reason, "roster: the text must be one section named 'roster'");
    zconfig_t *item[R_COUNT];
    if (roster_text_collect (top, "roster", s_roster_keys, R_COUNT,
                             1u << R_RETENTION | 1u << R_MEMBER | 1u << R_PEERING, item,
                             reason) != 0)
        return -1;
    /*  Every key but the peering section, which a federation without
     *  peers leaves out. */
    for (int i = 0; i < R_PEERING; i++)
        if (!item[i])
            return kt_fail (reason, "roster: %s is missing", s_roster_keys[i]);

    const char *federation = s_value (item[R_FEDERATION]);
    if (!kt_valid_node_id (federation))
        return kt_fail (reason,
                        "roster: federation '%.64s' must be 1..64 of [a-z0-9-] starting "
                        "with a letter",
                        federation);
    snprintf (r->federation, sizeof r->federation, "%s", federation);
    if (s_parse_uint (s_value (item[R_VERSION]), UINT64_MAX, &r->version) != 0 || r->version < 1)
        return kt_fail (reason, "roster: version must be a whole number of at least 1");
    if (!s_valid_issued (s_value (item[R_ISSUED])))
        return kt_fail (reason, "roster: issued must be a UTC time YYYY-MM-DDTHH:MM:SSZ");
    snprintf (r->issued, sizeof r->issued, "%s", s_value (item[R_ISSUED]));
    /*  art. 7.3: the referentiekader the weegploeg weighs signals against. */
    const char *kader = s_value (item[R_REFERENTIEKADER]);
    if (!referentiekader_valid_version (kader))
        return kt_fail (reason, "roster: referentiekader must be 1..64 of [A-Za-z0-9._-]");
    snprintf (r->referentiekader, sizeof r->referentiekader, "%s", kader);
    /*  Its exact bytes, so a decision names the criteria it was weighed
     *  against, not only a version a changed file could keep. */
    const char *sha = s_value (item[R_KADER_SHA256]);
    if (strlen (sha) != 64 || strspn (sha, "0123456789abcdef") != 64 ||
        kt_unhex (r->referentiekader_sha256, 32, sha) != 0)
        return kt_fail (reason, "roster: referentiekader-sha256 must be 64 lowercase hex digits");
    const char *example = s_value (item[R_KADER_EXAMPLE]);
    if (!streq (example, "0") && !streq (example, "1"))
        return kt_fail (reason, "roster: referentiekader-example must be 0 or 1");
    r->referentiekader_example = streq (example, "1");
    if (s_decode_retention (item[R_RETENTION], r, reason) != 0)
        return -1;

    if (s_decode_members (item[R_MEMBER], r, reason) != 0 || s_check_unique (r, reason) != 0 ||
        s_check_overlaps (r, reason) != 0)
        return -1;
    if (item[R_PEERING] && roster_peerings_decode (item[R_PEERING], r, reason) != 0)
        return -1;
    return s_check_uitvoerder (r, signer, signer_pk, reason);
}

roster_t *
roster_parse (const char *data, size_t len, const char *pinned_key, kt_reason_t *reason)
{
    char signer[NOTE_NAME_MAX + 1];
    uint8_t pk[32];
    kt_reason_t why;
    if (!pinned_key || note_verifier_parse (pinned_key, signer, pk, &why) != 0) {
        kt_fail (reason, "the pinned uitvoerder key is not a valid verifier key: %s",
                 pinned_key ? why.text : "none given");
        return NULL;
    }
    /*  The signature first: nothing of an unsigned roster is parsed. */
    size_t text_len;
    if (note_verify (data, len, signer, pk, &text_len, &why) != 0) {
        kt_fail (reason, "roster is not signed by the pinned uitvoerder key %s+%08x: %s", signer,
                 note_key_id (signer, NOTE_TYPE_ED25519, pk), why.text);
        return NULL;
    }
    roster_t *r = calloc (1, sizeof *r);
    if (!r || !(r->note = malloc (len + 1))) {
        free (r);
        kt_fail (reason, "out of memory");
        return NULL;
    }
    memcpy (r->note, data, len);
    r->note[len] = '\0';
    r->note_len = len;

    int rc = kt_check_zpl_text (data, text_len, "roster: text", reason);
    zconfig_t *root = NULL;
    if (rc == 0) {
        zchunk_t *chunk = zchunk_new (data, text_len);
        root = chunk ? zconfig_chunk_load (chunk) : NULL;
        zchunk_destroy (&chunk);
        if (!root)
            rc = kt_fail (reason, "roster: the signed text is not valid ZPL");
    }
    if (rc == 0)
        rc = s_decode (root, r, signer, pk, reason);
    zconfig_destroy (&root);
    if (rc != 0)
        roster_destroy (&r);
    return r;
}

roster_t *
roster_load (const char *path, const char *pinned_key, kt_reason_t *reason)
{
    char *data = NULL;
    size_t len = 0;
    if (kt_read_file (path, ROSTER_MAX_BYTES, &data, &len, reason) != 0)
        return NULL;
    kt_reason_t why;
    roster_t *r = roster_parse (data, len, pinned_key, &why);
    if (!r)
        kt_fail (reason, "%s: %s", path, why.text);
    free (data);
    return r;
}

void
roster_destroy (roster_t **self_p)
{
    if (self_p && *self_p) {
        roster_t *self = *self_p;
        free (self->members);
        free (self->peerings);
        free (self->note);
        free (self);
        *self_p = NULL;
    }
}

const roster_member_t *
roster_find (const roster_t *self, const char *id)
{
    for (size_t i = 0; id && i < self->member_count; i++)
        if (streq (self->members[i].id, id))
            return &self->members[i];
    return NULL;
}

const roster_member_t *
roster_find_transport (const roster_t *self, const uint8_t pk[32], uint64_t now_ms)
{
    for (size_t i = 0; i < self->member_count; i++) {
        const roster_member_t *m = &self->members[i];
        if (memcmp (m->transport_pk, pk, 32) == 0 ||
            (roster_member_previous_active (m, now_ms) &&
             memcmp (m->previous_transport_pk, pk, 32) == 0))
            return m;
    }
    return NULL;
}

const roster_member_t *
roster_uitvoerder (const roster_t *self)
{
    for (size_t i = 0; i < self->member_count; i++)
        if (self->members[i].role == ROLE_UITVOERDER)
            return &self->members[i];
    return NULL;
}

bool
roster_member_active (const roster_member_t *member, uint64_t now_ms)
{
    /*  art. 18.2 / 15.2c: from 00:00 Dutch time on leaves-at (23:00 UTC
     *  the day before, 22:00 in summer) the member's keys stop working.
     *  An unreadable date fails closed. */
    if (!*member->leaves_at)
        return true;
    uint64_t start = roster_text_day_start_ms (member->leaves_at);
    return start > 0 && now_ms < start;
}

bool
roster_member_previous_active (const roster_member_t *member, uint64_t now_ms)
{
    if (!member->has_previous || !roster_member_active (member, now_ms))
        return false;
    return now_ms < roster_member_previous_end_ms (member);
}

uint64_t
roster_member_previous_end_ms (const roster_member_t *member)
{
    if (!member->has_previous)
        return 0;
    return roster_text_day_start_ms (member->previous_until);
}

void
roster_default_municipality (const char *id, const char *name, char *out, size_t len)
{
    if (strncasecmp (name, "gemeente ", 9) == 0 && name[9])
        snprintf (out, len, "%s", name + 9);
    else if (strncmp (id, "gemeente-", 9) == 0 && id[9])
        snprintf (out, len, "%s", id + 9);
    else
        snprintf (out, len, "%s", name);
}

/*  One member section.  Previous keys are written while their overlap
 *  lasts at now_ms and dropped once it has ended. */
static void
s_write_member (FILE *f, const roster_member_t *m, uint64_t now_ms)
{
    char tp[65], sp[65], ep[65];
    fprintf (f,
             "        %s\n"
             "            name = \"%s\"\n"
             "            kind = %s\n"
             "            role = %s\n"
             "            transport = %s\n"
             "            signing = %s\n"
             "            encryption = %s\n"
             "            joined = %s\n"
             "            notice-given = \"%s\"\n"
             "            leaves-at = \"%s\"\n",
             m->id, m->name, m->kind, roster_role_name (roster_role_for_kind (m->kind)),
             kt_hex (tp, m->transport_pk, 32), kt_hex (sp, m->signing_pk, 32),
             kt_hex (ep, m->encryption_pk, 32), m->joined, m->notice_given, m->leaves_at);
    if (streq (m->kind, "gemeente")) {
        char municipality[KEYS_NAME_MAX + 1];
        if (*m->municipality)
            snprintf (municipality, sizeof municipality, "%s", m->municipality);
        else
            roster_default_municipality (m->id, m->name, municipality, sizeof municipality);
        fprintf (f, "            municipality = \"%s\"\n", municipality);
    }
    if (roster_member_previous_active (m, now_ms))
        fprintf (f,
                 "            previous-transport = %s\n"
                 "            previous-signing = %s\n"
                 "            previous-encryption = %s\n"
                 "            previous-until = %s\n",
                 kt_hex (tp, m->previous_transport_pk, 32), kt_hex (sp, m->previous_signing_pk, 32),
                 kt_hex (ep, m->previous_encryption_pk, 32), m->previous_until);
}

/*  The ZPL text of r (heap, free()), in the shape s_decode reads. */
static int
s_format (const roster_t *r, uint64_t now_ms, char **text_p, size_t *len_p, kt_reason_t *reason)
{
    FILE *f = open_memstream (text_p, len_p);
    if (!f)
        return kt_fail (reason, "out of memory");
    char sha[65];
    fprintf (f,
             "roster\n"
             "    federation = %s\n"
             "    version = %llu\n"
             "    issued = %s\n"
             "    referentiekader = %s\n"
             "    referentiekader-sha256 = %s\n"
             "    referentiekader-example = %d\n"
             "    retention\n"
             "        not-agendered-days = %u\n"
             "        archive-days = %u\n"
             "        destroy-days = %u\n"
             "    member\n",
             r->federation, (unsigned long long) r->version, r->issued, r->referentiekader,
             kt_hex (sha, r->referentiekader_sha256, 32), r->referentiekader_example ? 1 : 0,
             r->retention_not_agendered_days, r->retention_archive_days, r->retention_destroy_days);
    for (size_t i = 0; i < r->member_count; i++)
        s_write_member (f, &r->members[i], now_ms);
    roster_peerings_write (f, r);
    if (fclose (f) != 0) {
        free (*text_p);
        *text_p = NULL;
        return kt_fail (reason, "out of memory");
    }
    return 0;
}

void
roster_member_from_public (roster_member_t *m, const keys_public_t *pub, const char *joined)
{
    memset (m, 0, sizeof *m);
    snprintf (m->id, sizeof m->id, "%s", pub->id);
    snprintf (m->name, sizeof m->name, "%s", pub->name);
    snprintf (m->kind, sizeof m->kind, "%s", pub->kind);
    m->role = roster_role_for_kind (pub->kind);
    memcpy (m->transport_pk, pub->transport_pk, 32);
    memcpy (m->signing_pk, pub->signing_pk, 32);
    memcpy (m->encryption_pk, pub->encryption_pk, 32);
    snprintf (m->joined, sizeof m->joined, "%s", joined);
}

int
roster_sign (const roster_t *r, const keys_secret_t *signer, const char *refused, char **note_p,
             kt_reason_t *reason)
{
    char *text = NULL;
    size_t text_len = 0;
    if (s_format (r, kt_now_ms (), &text, &text_len, reason) != 0)
        return -1;
    char *note = NULL;
    int rc = note_sign (text, text_len, signer->pub.id, signer->signing_sk, &note, reason);
    free (text);
    if (rc != 0)
        return -1;
    /*  Check the result exactly as every node will: duplicates, a second
     *  uitvoerder and the like are caught here, before anyone sees it. */
    char pinned[NOTE_NAME_MAX + 64];
    kt_reason_t why;
    roster_t *check = NULL;
    if (note_verifier_format (pinned, sizeof pinned, signer->pub.id, signer->pub.signing_pk) != 0)
        rc = kt_fail (reason, "cannot format the verifier key of %s", signer->pub.id);
    else if (!(check = roster_parse (note, strlen (note), pinned, &why)))
        rc = kt_fail (reason, "%s%s", refused, why.text);
    roster_destroy (&check);
    if (rc != 0) {
        free (note);
        return -1;
    }
    *note_p = note;
    return 0;
}

/*  The members of a new roster from their public key files, joined
 *  today; the signer must be among them, as the uitvoerder, with the
 *  public key of its own secret file. */
static int
s_members_from_files (const char *const *pub_files, size_t n_files, const keys_secret_t *signer,
                      const char *today, roster_member_t *members, kt_reason_t *reason)
{
    keys_public_t pub;
    const roster_member_t *me = NULL;
    for (size_t i = 0; i < n_files; i++) {
        if (keys_load_public (pub_files[i], &pub, reason) != 0)
            return -1;
        roster_member_from_public (&members[i], &pub, today);
        if (streq (pub.id, signer->pub.id))
            me = &members[i];
    }
    if (!me)
        return kt_fail (reason, "the signer %s is not among the members", signer->pub.id);
    if (!streq (me->kind, "uitvoerder"))
        return kt_fail (reason, "the signer %s is a %s; only the uitvoerder signs the roster",
                        me->id, me->kind);
    if (sodium_memcmp (me->signing_pk, signer->pub.signing_pk, 32) != 0)
        return kt_fail (reason, "the public key file of %s does not match the signer's secret keys",
                        me->id);
    return 0;
}

/*  Now as a roster's issued time (UTC), and today's date (the Dutch
 *  day, as every date in the roster). */
static void
s_issued_now (char issued[32], char today[11])
{
    uint64_t now_ms = kt_now_ms ();
    time_t now = (time_t) (now_ms / 1000);
    struct tm tm;
    gmtime_r (&now, &tm);
    strftime (issued, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
    kt_local_date (now_ms, today);
}

void
roster_set_referentiekader (roster_t *r, const referentiekader_t *rk)
{
    snprintf (r->referentiekader, sizeof r->referentiekader, "%s", rk->version);
    memcpy (r->referentiekader_sha256, rk->sha256, 32);
    r->referentiekader_example = rk->example;
}

int
roster_build (const char *federation, uint64_t version, const char *const *pub_files,
              size_t n_files, const keys_secret_t *signer, const referentiekader_t *rk,
              char **note_p, kt_reason_t *reason)
{
    if (!signer || !note_p)
        return kt_fail (reason, "roster_build needs the signer's keys");
    if (!rk)
        return kt_fail (reason, "roster_build needs the referentiekader it puts in force");
    if (!kt_valid_node_id (federation))
        return kt_fail (reason,
                        "federation '%.64s' must be 1..64 of [a-z0-9-] starting with a "
                        "letter",
                        federation ? federation : "");
    if (version < 1)
        return kt_fail (reason, "roster version must be at least 1");
    if (n_files < 1 || n_files > ROSTER_MAX_MEMBERS)
        return kt_fail (reason, "a roster has 1..%d members", ROSTER_MAX_MEMBERS);
    roster_t r = {.version = version,
                  .retention_not_agendered_days = RETENTION_NOT_AGENDERED_NEW,
                  .retention_archive_days = RETENTION_ARCHIVE_MAX,
                  .retention_destroy_days = RETENTION_DESTROY_MAX,
                  .member_count = n_files};
    snprintf (r.federation, sizeof r.federation, "%s", federation);
    roster_set_referentiekader (&r, rk);
    char today[11];
    s_issued_now (r.issued, today);
    r.members = calloc (n_files, sizeof *r.members);
    if (!r.members)
        return kt_fail (reason, "out of memory");
    int rc = s_members_from_files (pub_files, n_files, signer, today, r.members, reason);
    if (rc == 0)
        rc = roster_sign (&r, signer, "", note_p, reason);
    free (r.members);
    return rc;
}
