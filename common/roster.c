/*  roster: the signed membership list.  */
#include "roster.h"

#include "note.h"

#include <czmq.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

roster_role_t
roster_role_for_kind (const char *kind)
{
    /*  art. 1: kernpartijen are politie, OM and the gemeenten; RvdK and
     *  Reclassering are casuspartijen; bijlage 1 names the externe
     *  casuspartners. */
    if (!strcmp (kind, "politie") || !strcmp (kind, "om") || !strcmp (kind, "gemeente"))
        return ROLE_KERNPARTIJ;
    if (!strcmp (kind, "rvdk") || !strcmp (kind, "reclassering"))
        return ROLE_CASUSPARTIJ;
    if (!strcmp (kind, "extern"))
        return ROLE_EXTERN;
    if (!strcmp (kind, "uitvoerder"))
        return ROLE_UITVOERDER;
    return 0;
}

const char *
roster_role_name (roster_role_t role)
{
    switch (role) {
    case ROLE_KERNPARTIJ:
        return "kernpartij";
    case ROLE_CASUSPARTIJ:
        return "casuspartij";
    case ROLE_EXTERN:
        return "extern";
    case ROLE_UITVOERDER:
        return "uitvoerder";
    }
    return "unknown";
}

static bool
s_valid_date (const char *s)
{
    int y, m, d;
    char tail;
    if (strlen (s) != 10 || sscanf (s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || s[4] != '-'
        || s[7] != '-')
        return false;
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 2000 || y > 9999 || m < 1 || m > 12 || d < 1)
        return false;
    int max = days[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
    return d <= max;
}

static uint64_t
s_date_ms (const char *s)
{
    struct tm tm = {0};
    sscanf (s, "%4d-%2d-%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (uint64_t) timegm (&tm) * 1000u;
}

bool
roster_member_active (const roster_member_t *member, uint64_t now_ms)
{
    /*  art. 18.2: after the notice period the member's keys stop working. */
    return !*member->leaves_at || now_ms < s_date_ms (member->leaves_at);
}

static int
s_uint (const char *s, uint64_t max, uint64_t *out)
{
    if (!s || !*s || strlen (s) > 19)
        return -1;
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (uint64_t) (*s - '0');
    }
    if (v > max)
        return -1;
    *out = v;
    return 0;
}

static int
s_copy (char *dst, size_t size, const char *v, const char *what, kt_reason_t *reason)
{
    if (!v || strlen (v) >= size)
        return kt_fail (reason, "roster: %s is missing or longer than %zu bytes", what, size - 1);
    memcpy (dst, v, strlen (v) + 1);
    return 0;
}

static int
s_parse_member (zconfig_t *node, roster_member_t *m, kt_reason_t *reason)
{
    const char *id = zconfig_name (node);
    if (!kt_valid_node_id (id))
        return kt_fail (reason, "roster: member id '%.64s' is invalid", id);
    snprintf (m->id, sizeof m->id, "%s", id);
    const char *kind = zconfig_get (node, "kind", NULL);
    const char *role = zconfig_get (node, "role", NULL);
    if (!kind || !keys_valid_kind (kind))
        return kt_fail (reason, "roster: member %s has no valid kind", id);
    snprintf (m->kind, sizeof m->kind, "%s", kind);
    m->role = roster_role_for_kind (kind);
    if (!role || strcmp (role, roster_role_name (m->role)) != 0)
        return kt_fail (reason, "roster: member %s of kind %s must have role %s", id, kind,
                        roster_role_name (m->role));
    if (s_copy (m->name, sizeof m->name, zconfig_get (node, "name", NULL), "member name", reason))
        return -1;
    struct {
        const char *key;
        uint8_t *out;
    } keys[] = {{"transport", m->transport_pk},
                {"signing", m->signing_pk},
                {"encryption", m->encryption_pk}};
    for (int i = 0; i < 3; i++)
        if (kt_unhex (keys[i].out, 32, zconfig_get (node, keys[i].key, "")) != 0)
            return kt_fail (reason, "roster: member %s: %s key is not 64 hex digits", id,
                            keys[i].key);
    const char *joined = zconfig_get (node, "joined", "");
    const char *notice = zconfig_get (node, "notice-given", "");
    const char *leaves = zconfig_get (node, "leaves-at", "");
    if (!s_valid_date (joined))
        return kt_fail (reason, "roster: member %s: joined is not a date YYYY-MM-DD", id);
    if ((*notice && !s_valid_date (notice)) || (*leaves && !s_valid_date (leaves)))
        return kt_fail (reason, "roster: member %s: notice-given/leaves-at must be YYYY-MM-DD", id);
    snprintf (m->joined, sizeof m->joined, "%s", joined);
    snprintf (m->notice_given, sizeof m->notice_given, "%s", notice);
    snprintf (m->leaves_at, sizeof m->leaves_at, "%s", leaves);
    return 0;
}

static int
s_parse_text (roster_t *r, const char *text, size_t len, const char *signer,
              const uint8_t signer_pk[32], kt_reason_t *reason)
{
    char *copy = malloc (len + 1);
    if (!copy)
        return kt_fail (reason, "out of memory");
    memcpy (copy, text, len);
    copy[len] = '\0';
    zconfig_t *root = zconfig_str_load (copy);
    free (copy);
    if (!root)
        return kt_fail (reason, "roster: text is not valid ZPL");
    int rc = -1;
    uint64_t v;
    zconfig_t *members = zconfig_locate (root, "roster/member");
    if (!zconfig_locate (root, "roster"))
        kt_fail (reason, "roster: no roster section");
    else if (s_copy (r->federation, sizeof r->federation, zconfig_get (root, "roster/federation", NULL), "federation", reason)
             || !kt_valid_node_id (r->federation))
        kt_fail (reason, "roster: federation is missing or not a valid name");
    else if (s_uint (zconfig_get (root, "roster/version", NULL), UINT64_MAX / 2, &r->version) || r->version < 1)
        kt_fail (reason, "roster: version must be a whole number >= 1");
    else if (s_copy (r->issued, sizeof r->issued, zconfig_get (root, "roster/issued", NULL), "issued", reason)
             || s_copy (r->referentiekader, sizeof r->referentiekader, zconfig_get (root, "roster/referentiekader", NULL), "referentiekader", reason))
        ;
    /*  art. 13: at most 6 months, 1 year and 5 years. */
    else if (s_uint (zconfig_get (root, "roster/retention/not-agendered-days", NULL), 183, &v))
        kt_fail (reason, "roster: retention/not-agendered-days must be 0..183 (art. 13.3)");
    else if ((r->retention_not_agendered_days = (uint32_t) v, 0)
             || s_uint (zconfig_get (root, "roster/retention/archive-days", NULL), 365, &v))
        kt_fail (reason, "roster: retention/archive-days must be 0..365 (art. 13.2)");
    else if ((r->retention_archive_days = (uint32_t) v, 0)
             || s_uint (zconfig_get (root, "roster/retention/destroy-days", NULL), 1826, &v))
        kt_fail (reason, "roster: retention/destroy-days must be 0..1826 (art. 13.1)");
    else if (!members || !zconfig_child (members))
        kt_fail (reason, "roster: no members");
    else {
        r->retention_destroy_days = (uint32_t) v;
        size_t n = 0;
        for (zconfig_t *m = zconfig_child (members); m; m = zconfig_next (m))
            n++;
        if (n > ROSTER_MAX_MEMBERS)
            kt_fail (reason, "roster: %zu members, at most %d", n, ROSTER_MAX_MEMBERS);
        else if (!(r->members = calloc (n, sizeof *r->members)))
            kt_fail (reason, "out of memory");
        else {
            rc = 0;
            size_t uitvoerders = 0;
            for (zconfig_t *m = zconfig_child (members); m && rc == 0; m = zconfig_next (m)) {
                roster_member_t *mm = &r->members[r->member_count];
                if (s_parse_member (m, mm, reason) != 0) {
                    rc = -1;
                    break;
                }
                for (size_t j = 0; j < r->member_count && rc == 0; j++) {
                    const roster_member_t *o = &r->members[j];
                    if (!strcmp (o->id, mm->id))
                        rc = kt_fail (reason, "roster: member %s is listed twice", mm->id);
                    else if (!memcmp (o->transport_pk, mm->transport_pk, 32)
                             || !memcmp (o->signing_pk, mm->signing_pk, 32)
                             || !memcmp (o->encryption_pk, mm->encryption_pk, 32))
                        rc = kt_fail (reason, "roster: members %s and %s share a key", o->id,
                                      mm->id);
                }
                if (mm->role == ROLE_UITVOERDER)
                    uitvoerders++;
                r->member_count++;
            }
            if (rc == 0 && uitvoerders != 1)
                rc = kt_fail (reason, "roster: %zu uitvoerders; exactly one is required",
                              uitvoerders);
            const roster_member_t *u = rc == 0 ? roster_uitvoerder (r) : NULL;
            if (u && (strcmp (u->id, signer) != 0 || memcmp (u->signing_pk, signer_pk, 32) != 0))
                rc = kt_fail (reason,
                              "roster: its uitvoerder %s is not the pinned signer %s", u->id,
                              signer);
        }
    }
    zconfig_destroy (&root);
    return rc;
}

roster_t *
roster_parse (const char *data, size_t len, const char *pinned_key, kt_reason_t *reason)
{
    char name[NOTE_NAME_MAX + 1];
    uint8_t pk[32];
    if (note_verifier_parse (pinned_key, name, pk, reason) != 0)
        return NULL;
    size_t text_len;
    if (len > ROSTER_MAX_BYTES) {
        kt_fail (reason, "roster is larger than %d bytes", ROSTER_MAX_BYTES);
        return NULL;
    }
    kt_reason_t why;
    if (note_verify (data, len, name, pk, &text_len, &why) != 0) {
        kt_fail (reason, "roster is not signed by the pinned uitvoerder key %.64s: %s", name,
                 why.text);
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
    if (s_parse_text (r, data, text_len, name, pk, reason) != 0) {
        roster_destroy (&r);
        return NULL;
    }
    return r;
}

roster_t *
roster_load (const char *path, const char *pinned_key, kt_reason_t *reason)
{
    char *data;
    size_t len;
    if (kt_read_file (path, ROSTER_MAX_BYTES, &data, &len, reason) != 0)
        return NULL;
    kt_reason_t why;
    roster_t *r = roster_parse (data, len, pinned_key, &why);
    free (data);
    if (!r)
        kt_fail (reason, "%s: %s", path, why.text);
    return r;
}

void
roster_destroy (roster_t **self_p)
{
    roster_t *r = *self_p;
    if (!r)
        return;
    free (r->members);
    free (r->note);
    free (r);
    *self_p = NULL;
}

const roster_member_t *
roster_find (const roster_t *self, const char *id)
{
    for (size_t i = 0; i < self->member_count; i++)
        if (strcmp (self->members[i].id, id) == 0)
            return &self->members[i];
    return NULL;
}

const roster_member_t *
roster_find_transport (const roster_t *self, const uint8_t pk[32])
{
    for (size_t i = 0; i < self->member_count; i++)
        if (memcmp (self->members[i].transport_pk, pk, 32) == 0)
            return &self->members[i];
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

int
roster_build (const char *federation, uint64_t version, const char *const *pub_files,
              size_t n_files, const keys_secret_t *signer, char **note_p, kt_reason_t *reason)
{
    if (!kt_valid_node_id (federation))
        return kt_fail (reason, "federation name must be 1-64 of a-z, 0-9 and '-'");
    if (version < 1)
        return kt_fail (reason, "roster version must be at least 1");
    if (n_files == 0 || n_files > ROSTER_MAX_MEMBERS)
        return kt_fail (reason, "a roster has 1..%d members", ROSTER_MAX_MEMBERS);
    time_t now = time (NULL);
    struct tm tm;
    gmtime_r (&now, &tm);
    char issued[32], today[11];
    strftime (issued, sizeof issued, "%Y-%m-%dT%H:%M:%SZ", &tm);
    strftime (today, sizeof today, "%Y-%m-%d", &tm);
    size_t cap = 1024 + n_files * 600;
    char *text = malloc (cap);
    if (!text)
        return kt_fail (reason, "out of memory");
    size_t len = (size_t) snprintf (text, cap,
                                    "roster\n"
                                    "    federation = %s\n"
                                    "    version = %llu\n"
                                    "    issued = %s\n"
                                    "    referentiekader = example-2026.1\n"
                                    "    retention\n"
                                    "        not-agendered-days = 183\n"
                                    "        archive-days = 365\n"
                                    "        destroy-days = 1826\n"
                                    "    member\n",
                                    federation, (unsigned long long) version, issued);
    bool signer_found = false;
    for (size_t i = 0; i < n_files; i++) {
        keys_public_t p;
        if (keys_load_public (pub_files[i], &p, reason) != 0) {
            free (text);
            return -1;
        }
        if (!strcmp (p.id, signer->pub.id)) {
            if (memcmp (p.signing_pk, signer->pub.signing_pk, 32) || strcmp (p.kind, "uitvoerder")) {
                free (text);
                return kt_fail (reason, "%s does not match the signer's keys or is not the "
                                        "uitvoerder",
                                pub_files[i]);
            }
            signer_found = true;
        }
        char tp[65], sp[65], ep[65];
        len += (size_t) snprintf (text + len, cap - len,
                                  "        %s\n"
                                  "            name = \"%s\"\n"
                                  "            kind = %s\n"
                                  "            role = %s\n"
                                  "            transport = %s\n"
                                  "            signing = %s\n"
                                  "            encryption = %s\n"
                                  "            joined = %s\n"
                                  "            notice-given = \"\"\n"
                                  "            leaves-at = \"\"\n",
                                  p.id, p.name, p.kind,
                                  roster_role_name (roster_role_for_kind (p.kind)),
                                  kt_hex (tp, p.transport_pk, 32), kt_hex (sp, p.signing_pk, 32),
                                  kt_hex (ep, p.encryption_pk, 32), today);
    }
    if (!signer_found) {
        free (text);
        return kt_fail (reason, "the signer %s must be one of the roster's members",
                        signer->pub.id);
    }
    int rc = note_sign (text, len, signer->pub.id, signer->signing_sk, note_p, reason);
    /*  Check what we made the way every node will. */
    if (rc == 0) {
        char pinned[NOTE_NAME_MAX + 64];
        note_verifier_format (pinned, sizeof pinned, signer->pub.id, signer->pub.signing_pk);
        roster_t *check = roster_parse (*note_p, strlen (*note_p), pinned, reason);
        if (!check) {
            free (*note_p);
            *note_p = NULL;
            rc = -1;
        }
        roster_destroy (&check);
    }
    free (text);
    return rc;
}
