/*  rosterchange: the next roster version (art. 15.2c, 18.2).  */
#include "rosterchange.h"

#include "note.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*  One member section, as roster.c writes and reads it. */
static void
s_write (FILE *f, const char *id, const char *name, const char *kind, const uint8_t tpk[32],
         const uint8_t spk[32], const uint8_t epk[32], const char *joined, const char *notice,
         const char *leaves, const char *municipality)
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
             id, name, kind, roster_role_name (roster_role_for_kind (kind)), kt_hex (tp, tpk, 32),
             kt_hex (sp, spk, 32), kt_hex (ep, epk, 32), joined, notice, leaves);
    if (strcmp (kind, "gemeente") == 0) {
        char m[KEYS_NAME_MAX + 1];
        if (municipality && *municipality)
            snprintf (m, sizeof m, "%s", municipality);
        else
            roster_default_municipality (id, name, m, sizeof m);
        fprintf (f, "            municipality = \"%s\"\n", m);
    }
}

/*  YYYY-MM-DD of t, and of t plus months calendar months. */
static void
s_date (char out[11], time_t t, int months)
{
    struct tm tm;
    gmtime_r (&t, &tm);
    tm.tm_mon += months;
    time_t moved = timegm (&tm);
    gmtime_r (&moved, &tm);
    strftime (out, 11, "%Y-%m-%d", &tm);
}

static int
s_check_change (const roster_t *old, const roster_change_t *c, const roster_member_t **target,
                kt_reason_t *reason)
{
    *target = NULL;
    if (c->op == ROSTER_CHANGE_ADD) {
        if (!c->pub)
            return kt_fail (reason, "adding a member needs its public key file");
        if (roster_find (old, c->pub->id))
            return kt_fail (reason, "%s is a member already", c->pub->id);
        if (roster_role_for_kind (c->pub->kind) == ROLE_UITVOERDER)
            return kt_fail (reason, "a federation has one uitvoerder");
        return 0;
    }
    if (!c->id || !(*target = roster_find (old, c->id)))
        return kt_fail (reason, "%.64s is not a member", c->id ? c->id : "");
    if ((*target)->role == ROLE_UITVOERDER)
        return kt_fail (reason, "the uitvoerder's own membership is not changed this way");
    if (*(*target)->leaves_at && c->op != ROSTER_CHANGE_REVOKE)
        return kt_fail (reason, "%s is leaving already (leaves-at %s)", c->id,
                        (*target)->leaves_at);
    if (c->op == ROSTER_CHANGE_KIND && (!c->kind || !keys_valid_kind (c->kind) ||
                                        roster_role_for_kind (c->kind) == ROLE_UITVOERDER))
        return kt_fail (reason, "kind must be politie, om, gemeente, rvdk, reclassering or extern");
    if (c->op == ROSTER_CHANGE_OPZEGGING && c->date && *c->date) {
        struct tm tm = {0};
        const char *end = strptime (c->date, "%Y-%m-%d", &tm);
        if (!end || *end)
            return kt_fail (reason, "the notice date must be YYYY-MM-DD");
    }
    return 0;
}

int
roster_change (const roster_t *old, const roster_change_t *c, const keys_secret_t *signer,
               char **note_p, kt_reason_t *reason)
{
    const roster_member_t *target;
    if (s_check_change (old, c, &target, reason) != 0)
        return -1;
    time_t now = time (NULL);
    char issued[32], today[11], notice[11] = "", leaves[11] = "";
    struct tm tm;
    gmtime_r (&now, &tm);
    strftime (issued, sizeof issued, "%Y-%m-%dT%H:%M:%SZ", &tm);
    strftime (today, sizeof today, "%Y-%m-%d", &tm);
    if (c->op == ROSTER_CHANGE_REVOKE)
        /*  art. 15.2c: at once - from 00:00 UTC today its keys are refused. */
        snprintf (leaves, sizeof leaves, "%s", today);
    if (c->op == ROSTER_CHANGE_OPZEGGING) {
        /*  art. 18.2: the member leaves three months after the notice. */
        struct tm n = {0};
        if (c->date && *c->date)
            strptime (c->date, "%Y-%m-%d", &n);
        time_t given = c->date && *c->date ? timegm (&n) : now;
        s_date (notice, given, 0);
        s_date (leaves, given, 3);
    }
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream (&text, &len);
    if (!f)
        return kt_fail (reason, "out of memory");
    fprintf (f,
             "roster\n"
             "    federation = %s\n"
             "    version = %llu\n"
             "    issued = %s\n"
             "    referentiekader = %s\n"
             "    retention\n"
             "        not-agendered-days = %u\n"
             "        archive-days = %u\n"
             "        destroy-days = %u\n"
             "    member\n",
             old->federation, (unsigned long long) old->version + 1, issued, old->referentiekader,
             old->retention_not_agendered_days, old->retention_archive_days,
             old->retention_destroy_days);
    for (size_t i = 0; i < old->member_count; i++) {
        const roster_member_t *m = &old->members[i];
        bool t = m == target;
        const char *kind = t && c->op == ROSTER_CHANGE_KIND ? c->kind : m->kind;
        bool keeps_municipality = strcmp (kind, m->kind) == 0;
        s_write (
            f, m->id, m->name, kind, m->transport_pk, m->signing_pk, m->encryption_pk, m->joined,
            t && c->op == ROSTER_CHANGE_OPZEGGING ? notice
            : t && c->op == ROSTER_CHANGE_REVOKE  ? ""
                                                  : m->notice_given,
            t && (c->op == ROSTER_CHANGE_OPZEGGING || c->op == ROSTER_CHANGE_REVOKE) ? leaves
                                                                                     : m->leaves_at,
            keeps_municipality ? m->municipality : NULL);
    }
    if (c->op == ROSTER_CHANGE_ADD)
        s_write (f, c->pub->id, c->pub->name, c->pub->kind, c->pub->transport_pk,
                 c->pub->signing_pk, c->pub->encryption_pk, today, "", "", NULL);
    if (fclose (f) != 0) {
        free (text);
        return kt_fail (reason, "out of memory");
    }
    char *note = NULL;
    int rc = note_sign (text, len, signer->pub.id, signer->signing_sk, &note, reason);
    free (text);
    if (rc != 0)
        return -1;
    /*  Check it as every node will, before anyone sees it. */
    char pinned[NOTE_NAME_MAX + 64];
    kt_reason_t why;
    roster_t *check = NULL;
    if (note_verifier_format (pinned, sizeof pinned, signer->pub.id, signer->pub.signing_pk) != 0)
        rc = kt_fail (reason, "cannot format the verifier key of %s", signer->pub.id);
    else if (!(check = roster_parse (note, strlen (note), pinned, &why)))
        rc = kt_fail (reason, "the new roster would be refused: %s", why.text);
    roster_destroy (&check);
    if (rc != 0) {
        free (note);
        return -1;
    }
    *note_p = note;
    return 0;
}
