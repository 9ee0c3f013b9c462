/*  rosterchange: the next roster version (art. 15.2c, 18.2), and
 *  peerings with other federations.  */
#include "rosterchange.h"

#include "calendar.h"
#include "intake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*  A rotation's previous-until: at least overlap_days full days, until
 *  00:00 Dutch time on the day after the Dutch today + overlap_days.  But
 *  never past the UTC day of issue + ROSTER_OVERLAP_MAX_DAYS + 1: nodes
 *  that still count the bound from the UTC day (roster.c's
 *  s_check_overlaps did until the roster's days became Dutch) would
 *  refuse the roster.  Only from 00:00 Dutch time to 00:00 UTC is the
 *  Dutch day ahead, and only a longest overlap is then one day shorter. */
static void
s_previous_until (uint64_t now_ms, unsigned overlap_days, char out[11])
{
    kt_local_date_on (now_ms, (int64_t) overlap_days + 1, out);
    int y, m, d;
    kt_civil_from_days ((int64_t) (now_ms / 86400000u) + ROSTER_OVERLAP_MAX_DAYS + 1, &y, &m, &d);
    char utc_last[16];
    snprintf (utc_last, sizeof utc_last, "%04d-%02d-%02d", y, m, d);
    if (strcmp (out, utc_last) > 0)
        memcpy (out, utc_last, 11);
}

/*  The change as it applies to its target member m. */
static void
s_apply (roster_member_t *m, const roster_change_t *c, const char *notice, const char *leaves,
         uint64_t now_ms)
{
    switch (c->op) {
    case ROSTER_CHANGE_KIND:
        if (strcmp (c->kind, m->kind) != 0)
            *m->municipality = '\0'; /* a new gemeente gets its default */
        snprintf (m->kind, sizeof m->kind, "%s", c->kind);
        break;
    case ROSTER_CHANGE_REVOKE:
        *m->notice_given = '\0';
        snprintf (m->leaves_at, sizeof m->leaves_at, "%s", leaves);
        break;
    case ROSTER_CHANGE_OPZEGGING:
        snprintf (m->notice_given, sizeof m->notice_given, "%s", notice);
        snprintf (m->leaves_at, sizeof m->leaves_at, "%s", leaves);
        break;
    case ROSTER_CHANGE_ROTATE:
        /*  The keys in use become the previous ones for the overlap; a
         *  previous set of an earlier rotation is dropped.  No overlap:
         *  the old keys stop at once. */
        m->has_previous = c->overlap_days > 0;
        memcpy (m->previous_transport_pk, m->transport_pk, 32);
        memcpy (m->previous_signing_pk, m->signing_pk, 32);
        memcpy (m->previous_encryption_pk, m->encryption_pk, 32);
        s_previous_until (now_ms, c->overlap_days, m->previous_until);
        memcpy (m->transport_pk, c->pub->transport_pk, 32);
        memcpy (m->signing_pk, c->pub->signing_pk, 32);
        memcpy (m->encryption_pk, c->pub->encryption_pk, 32);
        break;
    case ROSTER_CHANGE_END_OVERLAP:
        /*  Seen on its new keys, or the old ones may have leaked. */
        m->has_previous = false;
        *m->previous_until = '\0';
        break;
    case ROSTER_CHANGE_ADD:
    case ROSTER_CHANGE_REFERENTIEKADER:
    case ROSTER_CHANGE_PEER_ADD:
    case ROSTER_CHANGE_PEER_END:
        break;
    }
}

/*  A peering pins another federation's uitvoerder (docs/ROSTER.md,
 *  "Peering with another federation"); one in force is not pinned twice,
 *  and only one in force can end. */
static int
s_check_peering (const roster_t *old, const roster_change_t *c, uint64_t now_ms,
                 kt_reason_t *reason)
{
    if (!c->federation || !kt_valid_node_id (c->federation))
        return kt_fail (reason,
                        "the peer federation '%.64s' must be 1..64 of [a-z0-9-] starting with a "
                        "letter",
                        c->federation ? c->federation : "");
    const roster_peering_t *p = roster_peering (old, c->federation);
    bool active = p && roster_peering_active (p, now_ms);
    if (c->op == ROSTER_CHANGE_PEER_END) {
        if (!p)
            return kt_fail (reason, "%s is not a peer federation", c->federation);
        if (!active)
            return kt_fail (reason, "the peering with %s has ended already (ended %s)",
                            c->federation, p->ended);
        return 0;
    }
    if (strcmp (c->federation, old->federation) == 0)
        return kt_fail (reason, "%s is this federation; a federation does not peer with itself",
                        c->federation);
    if (!c->pub)
        return kt_fail (reason, "a peering needs the peer uitvoerder's public key file");
    if (strcmp (c->pub->kind, "uitvoerder") != 0)
        return kt_fail (reason,
                        "a peering pins another federation's uitvoerder; %s's key file says "
                        "kind %s",
                        c->pub->id, c->pub->kind);
    if (active)
        return kt_fail (reason, "already peered with %s (since %s)", c->federation, p->since);
    if (!c->endpoint)
        return kt_fail (reason, "a peering needs the endpoint where the peer uitvoerder listens");
    /*  Cut to size it could pass; the parser checks the rest. */
    if (strlen (c->endpoint) > ROSTER_ENDPOINT_MAX)
        return kt_fail (reason, "the endpoint is longer than %d bytes", ROSTER_ENDPOINT_MAX);
    if (!p && old->peering_count >= ROSTER_MAX_PEERINGS)
        return kt_fail (reason, "a roster has at most %d peerings", ROSTER_MAX_PEERINGS);
    return 0;
}

static int
s_check_change (const roster_t *old, const roster_change_t *c, uint64_t now_ms,
                const roster_member_t **target, kt_reason_t *reason)
{
    *target = NULL;
    if (c->op == ROSTER_CHANGE_PEER_ADD || c->op == ROSTER_CHANGE_PEER_END)
        return s_check_peering (old, c, now_ms, reason);
    if (c->op == ROSTER_CHANGE_REFERENTIEKADER) {
        /*  art. 7.3: which versions may follow which is the uitvoerder's
         *  history (uitvoerder_referentiekader.c); here only that it
         *  changes something. */
        if (!c->rk)
            return kt_fail (reason, "a referentiekader change needs the referentiekader");
        if (strcmp (c->rk->version, old->referentiekader) == 0 &&
            memcmp (c->rk->sha256, old->referentiekader_sha256, 32) == 0)
            return kt_fail (reason, "referentiekader %s is in force already", c->rk->version);
        return 0;
    }
    if (c->op == ROSTER_CHANGE_ROTATE) {
        if (!c->pub)
            return kt_fail (reason, "rotating keys needs the member's new public key file");
        if (!(*target = roster_find (old, c->pub->id)))
            return kt_fail (reason, "%s is not a member", c->pub->id);
        if ((*target)->role == ROLE_UITVOERDER)
            return kt_fail (reason, "the uitvoerder's key is pinned by every node; it is not "
                                    "rotated this way");
        if (!roster_member_active (*target, now_ms))
            return kt_fail (reason, "%s has left the federation", c->pub->id);
        if (strcmp (c->pub->kind, (*target)->kind) != 0)
            return kt_fail (reason,
                            "the new key file says kind %s, the roster %s; change the "
                            "kind separately",
                            c->pub->kind, (*target)->kind);
        if (memcmp (c->pub->signing_pk, (*target)->signing_pk, 32) == 0 ||
            memcmp (c->pub->transport_pk, (*target)->transport_pk, 32) == 0 ||
            memcmp (c->pub->encryption_pk, (*target)->encryption_pk, 32) == 0)
            return kt_fail (reason,
                            "the key file holds keys %s uses already; make new ones "
                            "with keten keygen",
                            c->pub->id);
        if (roster_member_previous_active (*target, now_ms))
            return kt_fail (reason,
                            "%s is still in the overlap of its last rotation (old keys "
                            "until %s); end it first: keten member end-overlap %s",
                            c->pub->id, (*target)->previous_until, c->pub->id);
        if (c->overlap_days > ROSTER_OVERLAP_MAX_DAYS)
            return kt_fail (reason, "the overlap is at most %d days", ROSTER_OVERLAP_MAX_DAYS);
        return 0;
    }
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
    if (*(*target)->leaves_at && c->op != ROSTER_CHANGE_REVOKE &&
        c->op != ROSTER_CHANGE_END_OVERLAP)
        return kt_fail (reason, "%s is leaving already (leaves-at %s)", c->id,
                        (*target)->leaves_at);
    /*  The Dutch today: a roster date takes effect at 00:00 Dutch time
     *  (roster.h), so a leaves-at of today has come. */
    char today[11];
    kt_local_date (now_ms, today);
    /*  A member that left keeps the record of how and when it left. */
    if (c->op == ROSTER_CHANGE_REVOKE && *(*target)->leaves_at &&
        strcmp ((*target)->leaves_at, today) <= 0)
        return kt_fail (reason, "%s has left already (leaves-at %s): nothing to revoke", c->id,
                        (*target)->leaves_at);
    if (c->op == ROSTER_CHANGE_KIND && c->kind && strcmp (c->kind, (*target)->kind) == 0)
        return kt_fail (reason, "%s is of kind %s already", c->id, c->kind);
    if (c->op == ROSTER_CHANGE_END_OVERLAP && !roster_member_previous_active (*target, now_ms))
        return kt_fail (reason, "%s has no key rotation overlap to end", c->id);
    if (c->op == ROSTER_CHANGE_KIND && (!c->kind || !keys_valid_kind (c->kind) ||
                                        roster_role_for_kind (c->kind) == ROLE_UITVOERDER))
        return kt_fail (reason, "kind must be politie, om, gemeente, rvdk, reclassering or extern");
    if (c->op == ROSTER_CHANGE_OPZEGGING && c->date && *c->date) {
        struct tm tm = {0};
        const char *end = strptime (c->date, "%Y-%m-%d", &tm);
        /*  A day that exists (2027-02-31 is no date), not in the future,
         *  and one whose three months have not run out: a notice that
         *  ends membership at once is a revocation, said as one. */
        if (!end || *end || !intake_valid_date (c->date))
            return kt_fail (reason, "the notice date must be a date YYYY-MM-DD");
        if (strcmp (c->date, today) > 0)
            return kt_fail (reason, "the notice date %s is in the future (today is %s)", c->date,
                            today);
        char leaves[11];
        kt_date_months_on (c->date, 3, leaves);
        if (strcmp (leaves, today) <= 0)
            return kt_fail (reason,
                            "a notice given on %s ended the membership on %s, which is past: to "
                            "end it at once, revoke it (keten member revoke %s)",
                            c->date, leaves, c->id);
    }
    return 0;
}

/*  The dates a revocation or an opzegging writes, from now. */
static void
s_leaving_dates (const roster_change_t *c, const char *today, char notice[11], char leaves[11])
{
    if (c->op == ROSTER_CHANGE_REVOKE)
        /*  art. 15.2c: at once - from 00:00 Dutch time today (the Dutch
         *  today) its keys are refused. */
        snprintf (leaves, 11, "%s", today);
    if (c->op == ROSTER_CHANGE_OPZEGGING) {
        /*  art. 18.2: the member leaves three calendar months after the
         *  notice (31 March: 30 June).  Without a date the notice is of
         *  the Dutch today. */
        snprintf (notice, 11, "%s", c->date && *c->date ? c->date : today);
        kt_date_months_on (notice, 3, leaves);
    }
}

/*  The peering change in next's own copy of the peerings (room for one
 *  more): a new one since today, in the place of an ended one with its
 *  federation; or one ended today. */
static void
s_apply_peering (roster_t *next, const roster_change_t *c, const char *today)
{
    size_t i = 0;
    while (i < next->peering_count && strcmp (next->peerings[i].federation, c->federation) != 0)
        i++;
    roster_peering_t *p = &next->peerings[i];
    if (c->op == ROSTER_CHANGE_PEER_END) {
        /*  As a revocation: from 00:00 Dutch time today, so at once. */
        snprintf (p->ended, sizeof p->ended, "%s", today);
        return;
    }
    if (i == next->peering_count)
        next->peering_count++;
    memset (p, 0, sizeof *p);
    snprintf (p->federation, sizeof p->federation, "%s", c->federation);
    snprintf (p->uitvoerder, sizeof p->uitvoerder, "%s", c->pub->id);
    snprintf (p->name, sizeof p->name, "%s", c->pub->name);
    memcpy (p->transport_pk, c->pub->transport_pk, 32);
    memcpy (p->signing_pk, c->pub->signing_pk, 32);
    memcpy (p->encryption_pk, c->pub->encryption_pk, 32);
    snprintf (p->endpoint, sizeof p->endpoint, "%s", c->endpoint);
    snprintf (p->since, sizeof p->since, "%s", today);
    p->wpg_entitled = c->wpg_entitled;
}

int
roster_change (const roster_t *old, const roster_change_t *c, const keys_secret_t *signer,
               char **note_p, kt_reason_t *reason)
{
    return roster_change_at (old, c, signer, kt_now_ms (), note_p, reason);
}

int
roster_change_at (const roster_t *old, const roster_change_t *c, const keys_secret_t *signer,
                  uint64_t now_ms, char **note_p, kt_reason_t *reason)
{
    const roster_member_t *target;
    if (s_check_change (old, c, now_ms, &target, reason) != 0)
        return -1;
    /*  issued is a UTC instant; every date in the roster is a Dutch day
     *  (roster.h), today included. */
    time_t now = (time_t) (now_ms / 1000);
    char today[11], notice[11] = "", leaves[11] = "";
    struct tm tm;
    gmtime_r (&now, &tm);
    /*  The head, then the members of the new version; the peerings are
     *  old's unless the change is to them (then next has its own copy). */
    roster_t next = *old;
    next.version = old->version + 1;
    next.note = NULL;
    next.note_len = 0;
    strftime (next.issued, sizeof next.issued, "%Y-%m-%dT%H:%M:%SZ", &tm);
    kt_local_date (now_ms, today);
    s_leaving_dates (c, today, notice, leaves);
    next.members = calloc (old->member_count + 1, sizeof *next.members);
    if (!next.members)
        return kt_fail (reason, "out of memory");
    for (size_t i = 0; i < old->member_count; i++) {
        next.members[i] = old->members[i];
        if (&old->members[i] == target)
            s_apply (&next.members[i], c, notice, leaves, now_ms);
    }
    if (c->op == ROSTER_CHANGE_ADD)
        roster_member_from_public (&next.members[next.member_count++], c->pub, today);
    if (c->op == ROSTER_CHANGE_REFERENTIEKADER)
        roster_set_referentiekader (&next, c->rk);
    roster_peering_t *peerings = NULL;
    if (c->op == ROSTER_CHANGE_PEER_ADD || c->op == ROSTER_CHANGE_PEER_END) {
        if (!(peerings = calloc (old->peering_count + 1, sizeof *peerings))) {
            free (next.members);
            return kt_fail (reason, "out of memory");
        }
        if (old->peering_count)
            memcpy (peerings, old->peerings, old->peering_count * sizeof *peerings);
        next.peerings = peerings;
        s_apply_peering (&next, c, today);
    }
    int rc = roster_sign (&next, signer, "the new roster would be refused: ", note_p, reason);
    free (next.members);
    free (peerings);
    return rc;
}
