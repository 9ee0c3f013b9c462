/*  policy: who may send what to whom, row by row.  The expectations are
 *  written out here from the convenant, not derived from the table, so a
 *  changed row shows up as a failing rule.  The roster is built in memory:
 *  policy_check reads ids, roles and leave dates only.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "intake_rules.h"
#include "merkle.h"
#include "policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { UITV, POLITIE, GEMEENTE, RVDK, NCTV, GONE, N_MEMBERS };

static roster_member_t s_members[N_MEMBERS];
static roster_t s_roster;

static void
s_member (int i, const char *id, roster_role_t role)
{
    snprintf (s_members[i].id, sizeof s_members[i].id, "%s", id);
    s_members[i].role = role;
}

static int
s_setup (void **state)
{
    (void) state;
    memset (s_members, 0, sizeof s_members);
    s_member (UITV, "uitvoerder-limburg", ROLE_UITVOERDER);
    s_member (POLITIE, "politie-limburg", ROLE_KERNPARTIJ);
    s_member (GEMEENTE, "gemeente-maastricht", ROLE_KERNPARTIJ);
    s_member (RVDK, "rvdk-limburg", ROLE_CASUSPARTIJ);
    s_member (NCTV, "nctv", ROLE_EXTERN);
    /*  art. 18.2: left the federation on 2020-01-01. */
    s_member (GONE, "reclassering-oud", ROLE_CASUSPARTIJ);
    snprintf (s_members[GONE].leaves_at, sizeof s_members[GONE].leaves_at, "2020-01-01");
    memset (&s_roster, 0, sizeof s_roster);
    snprintf (s_roster.federation, sizeof s_roster.federation, "pga-limburg");
    s_roster.version = 1;
    s_roster.members = s_members;
    s_roster.member_count = N_MEMBERS;
    return 0;
}

/*  2026-01-01: after GONE left. */
#define NOW_MS 1767225600000ull

static bool
s_may (Keten__MessageType type, int from, int to)
{
    char *recipients[1] = {s_members[to].id};
    kt_reason_t reason;
    return policy_check (&s_roster, type, &s_members[from], recipients, 1, NOW_MS, &reason) == 0;
}

/*  The rule a refusal quotes. */
static const char *
s_why (Keten__MessageType type, int from, int to)
{
    static kt_reason_t reason;
    char *recipients[1] = {s_members[to].id};
    assert_int_equal (
        policy_check (&s_roster, type, &s_members[from], recipients, 1, NOW_MS, &reason), -1);
    return reason.text;
}

/*  From the uitvoerder to exactly one of every kind of member; never from
 *  a member, nor between members. */
static void
s_from_uitvoerder_to_any_member (Keten__MessageType type)
{
    assert_true (s_may (type, UITV, POLITIE));
    assert_true (s_may (type, UITV, GEMEENTE));
    assert_true (s_may (type, UITV, RVDK));
    assert_true (s_may (type, UITV, NCTV));
    assert_false (s_may (type, POLITIE, UITV));
    assert_false (s_may (type, RVDK, UITV));
    assert_false (s_may (type, NCTV, UITV));
    assert_false (s_may (type, POLITIE, GEMEENTE));
    assert_false (s_may (type, RVDK, NCTV));
}

/*  From every member to the uitvoerder; never from the uitvoerder, nor
 *  between members. */
static void
s_from_any_member_to_uitvoerder (Keten__MessageType type)
{
    assert_true (s_may (type, POLITIE, UITV));
    assert_true (s_may (type, GEMEENTE, UITV));
    assert_true (s_may (type, RVDK, UITV));
    assert_true (s_may (type, NCTV, UITV));
    assert_false (s_may (type, UITV, POLITIE));
    assert_false (s_may (type, UITV, RVDK));
    assert_false (s_may (type, POLITIE, GEMEENTE));
    assert_false (s_may (type, POLITIE, RVDK));
    assert_false (s_may (type, RVDK, NCTV));
}

/*  art. 7.1-7.2 */
static void
test_signal_only_from_a_kernpartij_to_the_uitvoerder (void **state)
{
    (void) state;
    assert_true (s_may (KETEN__MESSAGE_TYPE__SIGNAL, POLITIE, UITV));
    assert_true (s_may (KETEN__MESSAGE_TYPE__SIGNAL, GEMEENTE, UITV));
    assert_false (s_may (KETEN__MESSAGE_TYPE__SIGNAL, RVDK, UITV));
    assert_false (s_may (KETEN__MESSAGE_TYPE__SIGNAL, NCTV, UITV));
    assert_false (s_may (KETEN__MESSAGE_TYPE__SIGNAL, UITV, POLITIE));
    assert_false (s_may (KETEN__MESSAGE_TYPE__SIGNAL, POLITIE, GEMEENTE));
    assert_false (s_may (KETEN__MESSAGE_TYPE__SIGNAL, POLITIE, RVDK));
    assert_non_null (strstr (s_why (KETEN__MESSAGE_TYPE__SIGNAL, RVDK, UITV), "art. 7.1-7.2"));
    assert_non_null (
        strstr (s_why (KETEN__MESSAGE_TYPE__SIGNAL, POLITIE, GEMEENTE), "art. 7.1-7.2"));
}

static void
test_receipts_go_between_the_uitvoerder_and_one_member (void **state)
{
    (void) state;
    assert_true (s_may (KETEN__MESSAGE_TYPE__RECEIPT, UITV, POLITIE));
    assert_true (s_may (KETEN__MESSAGE_TYPE__RECEIPT, UITV, RVDK));
    assert_true (s_may (KETEN__MESSAGE_TYPE__RECEIPT, UITV, NCTV));
    assert_true (s_may (KETEN__MESSAGE_TYPE__RECEIPT, POLITIE, UITV));
    assert_true (s_may (KETEN__MESSAGE_TYPE__RECEIPT, RVDK, UITV));
    assert_true (s_may (KETEN__MESSAGE_TYPE__RECEIPT, NCTV, UITV));
    assert_false (s_may (KETEN__MESSAGE_TYPE__RECEIPT, POLITIE, GEMEENTE));
    assert_false (s_may (KETEN__MESSAGE_TYPE__RECEIPT, RVDK, POLITIE));
    /*  Several at once: only from the uitvoerder (docs/PROTOCOL.md,
     *  "Receipts"). */
    assert_true (s_may (KETEN__MESSAGE_TYPE__RECEIPTS, UITV, POLITIE));
    assert_true (s_may (KETEN__MESSAGE_TYPE__RECEIPTS, UITV, NCTV));
    assert_false (s_may (KETEN__MESSAGE_TYPE__RECEIPTS, POLITIE, UITV));
    assert_false (s_may (KETEN__MESSAGE_TYPE__RECEIPTS, POLITIE, GEMEENTE));
}

static void
test_heartbeats_go_between_the_uitvoerder_and_one_member (void **state)
{
    (void) state;
    assert_true (s_may (KETEN__MESSAGE_TYPE__HEARTBEAT, POLITIE, UITV));
    assert_true (s_may (KETEN__MESSAGE_TYPE__HEARTBEAT, RVDK, UITV));
    assert_true (s_may (KETEN__MESSAGE_TYPE__HEARTBEAT, NCTV, UITV));
    assert_true (s_may (KETEN__MESSAGE_TYPE__HEARTBEAT, UITV, POLITIE));
    assert_true (s_may (KETEN__MESSAGE_TYPE__HEARTBEAT, UITV, NCTV));
    assert_false (s_may (KETEN__MESSAGE_TYPE__HEARTBEAT, POLITIE, GEMEENTE));
    assert_false (s_may (KETEN__MESSAGE_TYPE__HEARTBEAT, NCTV, RVDK));
}

/*  art. 8.4 */
static void
test_weegploeg_agendas_only_from_the_uitvoerder_to_a_kernpartij (void **state)
{
    (void) state;
    assert_true (s_may (KETEN__MESSAGE_TYPE__WEEGPLOEG_AGENDA, UITV, POLITIE));
    assert_true (s_may (KETEN__MESSAGE_TYPE__WEEGPLOEG_AGENDA, UITV, GEMEENTE));
    assert_false (s_may (KETEN__MESSAGE_TYPE__WEEGPLOEG_AGENDA, UITV, RVDK));
    assert_false (s_may (KETEN__MESSAGE_TYPE__WEEGPLOEG_AGENDA, UITV, NCTV));
    assert_false (s_may (KETEN__MESSAGE_TYPE__WEEGPLOEG_AGENDA, POLITIE, UITV));
    assert_false (s_may (KETEN__MESSAGE_TYPE__WEEGPLOEG_AGENDA, POLITIE, GEMEENTE));
    assert_non_null (
        strstr (s_why (KETEN__MESSAGE_TYPE__WEEGPLOEG_AGENDA, UITV, RVDK), "art. 8.4"));
}

/*  art. 8.2-8.4 */
static void
test_weegploeg_decisions_only_from_the_uitvoerder_to_a_kernpartij (void **state)
{
    (void) state;
    assert_true (s_may (KETEN__MESSAGE_TYPE__WEEGPLOEG_DECISION, UITV, POLITIE));
    assert_true (s_may (KETEN__MESSAGE_TYPE__WEEGPLOEG_DECISION, UITV, GEMEENTE));
    assert_false (s_may (KETEN__MESSAGE_TYPE__WEEGPLOEG_DECISION, UITV, RVDK));
    assert_false (s_may (KETEN__MESSAGE_TYPE__WEEGPLOEG_DECISION, UITV, NCTV));
    assert_false (s_may (KETEN__MESSAGE_TYPE__WEEGPLOEG_DECISION, POLITIE, UITV));
    assert_false (s_may (KETEN__MESSAGE_TYPE__WEEGPLOEG_DECISION, GEMEENTE, POLITIE));
}

/*  art. 9-10: whether the member takes part in the case is the
 *  casusoverleg file's to say, not the table's. */
static void
test_casusoverleg_agendas_come_from_the_uitvoerder (void **state)
{
    (void) state;
    s_from_uitvoerder_to_any_member (KETEN__MESSAGE_TYPE__CASUS_AGENDA);
}

/*  art. 10.5 */
static void
test_plans_come_from_the_uitvoerder (void **state)
{
    (void) state;
    s_from_uitvoerder_to_any_member (KETEN__MESSAGE_TYPE__PLAN);
}

/*  art. 9.4 */
static void
test_closures_come_from_the_uitvoerder (void **state)
{
    (void) state;
    s_from_uitvoerder_to_any_member (KETEN__MESSAGE_TYPE__CLOSURE);
}

/*  art. 10.5 */
static void
test_disclosures_come_from_the_uitvoerder (void **state)
{
    (void) state;
    s_from_uitvoerder_to_any_member (KETEN__MESSAGE_TYPE__DISCLOSURE_CONSENT);
}

/*  art. 15.2c */
static void
test_rosters_come_from_the_uitvoerder (void **state)
{
    (void) state;
    s_from_uitvoerder_to_any_member (KETEN__MESSAGE_TYPE__ROSTER);
}

/*  art. 9.2 */
static void
test_contributions_go_to_the_uitvoerder (void **state)
{
    (void) state;
    s_from_any_member_to_uitvoerder (KETEN__MESSAGE_TYPE__CASE_CONTRIBUTION);
}

static void
test_plan_progress_goes_to_the_uitvoerder (void **state)
{
    (void) state;
    s_from_any_member_to_uitvoerder (KETEN__MESSAGE_TYPE__PLAN_PROGRESS);
}

/*  art. 15.2e */
static void
test_access_notices_go_to_the_uitvoerder (void **state)
{
    (void) state;
    s_from_any_member_to_uitvoerder (KETEN__MESSAGE_TYPE__ACCESS_NOTICE);
}

/*  art. 15.2g */
static void
test_incidents_go_to_the_uitvoerder (void **state)
{
    (void) state;
    s_from_any_member_to_uitvoerder (KETEN__MESSAGE_TYPE__INCIDENT);
}

/*  Checkpoints from the log to every member; requests and cosignatures
 *  back; never between members. */
static void
test_checkpoints_go_between_the_uitvoerder_and_one_member (void **state)
{
    (void) state;
    assert_true (s_may (KETEN__MESSAGE_TYPE__CHECKPOINT, UITV, POLITIE));
    assert_true (s_may (KETEN__MESSAGE_TYPE__CHECKPOINT, UITV, NCTV));
    assert_true (s_may (KETEN__MESSAGE_TYPE__CHECKPOINT, POLITIE, UITV));
    assert_true (s_may (KETEN__MESSAGE_TYPE__CHECKPOINT, RVDK, UITV));
    assert_false (s_may (KETEN__MESSAGE_TYPE__CHECKPOINT, POLITIE, GEMEENTE));
    assert_false (s_may (KETEN__MESSAGE_TYPE__CHECKPOINT, NCTV, RVDK));
}

/*  art. 12.5-12.6: correction notices from the uitvoerder to every party
 *  that holds the signal - a kernpartij (weegploeg data, art. 8.4), and a
 *  casuspartij or externe casuspartner an item was shared with or
 *  disclosed to (art. 9.2, 10.4-10.5); a signal's own sender, a
 *  kernpartij, to the uitvoerder. */
static void
test_correction_notices_go_from_the_uitvoerder_to_every_holder (void **state)
{
    (void) state;
    Keten__MessageType t = KETEN__MESSAGE_TYPE__CORRECTION_NOTICE;
    assert_true (s_may (t, UITV, POLITIE));
    assert_true (s_may (t, UITV, GEMEENTE));
    assert_true (s_may (t, UITV, RVDK));
    assert_true (s_may (t, UITV, NCTV));
    assert_true (s_may (t, POLITIE, UITV));
    assert_true (s_may (t, GEMEENTE, UITV));
    assert_false (s_may (t, RVDK, UITV));
    assert_false (s_may (t, NCTV, UITV));
    assert_false (s_may (t, POLITIE, GEMEENTE));
    assert_false (s_may (t, NCTV, RVDK));
    assert_non_null (strstr (s_why (t, POLITIE, GEMEENTE), "art. 12.5"));
    assert_non_null (strstr (s_why (t, RVDK, UITV), "art. 12.5"));
}

/*  A correction notice carries an item exactly when its action needs
 *  one, never one marked blocked or deleted, and names one whole signal. */
static void
test_a_correction_notice_out_of_bounds_is_refused (void **state)
{
    (void) state;
    const policy_body_t *b = policy_body (KETEN__MESSAGE_TYPE__CORRECTION_NOTICE);
    assert_non_null (b);
    assert_true (b->receipted);
    assert_non_null (b->check);
    kt_reason_t reason;
    uint8_t id[KT_ID_LEN] = {1};
    Keten__SignalItem item = KETEN__SIGNAL_ITEM__INIT;
    item.kind = KETEN__ITEM_KIND__FACT;
    item.text = "Fictief.";
    Keten__CorrectionNotice n = KETEN__CORRECTION_NOTICE__INIT;
    n.case_ref = "k-0123456789abcdef";
    n.correction_id = "c-0123456789abcdef";
    n.action = KETEN__CORRECTION_ACTION__CORRECT;
    n.signal_id = (ProtobufCBinaryData){KT_ID_LEN, id};
    n.item = &item;
    assert_int_equal (b->check (&n.base, &reason), 0);
    n.item = NULL; /* correct without the item */
    assert_int_equal (b->check (&n.base, &reason), -1);
    n.action = KETEN__CORRECTION_ACTION__BLOCK;
    assert_int_equal (b->check (&n.base, &reason), 0);
    n.item = &item; /* block with an item */
    assert_int_equal (b->check (&n.base, &reason), -1);
    n.item = NULL;
    n.whole_signal = true; /* a whole signal only for a deletion */
    assert_int_equal (b->check (&n.base, &reason), -1);
    n.action = KETEN__CORRECTION_ACTION__DELETE;
    assert_int_equal (b->check (&n.base, &reason), 0);
    n.action = KETEN__CORRECTION_ACTION__ADD;
    n.whole_signal = false;
    n.item = &item;
    item.blocked = true;
    assert_int_equal (b->check (&n.base, &reason), -1);
    item.blocked = false;
    item.text = "";
    assert_int_equal (b->check (&n.base, &reason), -1);
    item.text = "Fictief.";
    n.signal_id.len = KT_ID_LEN - 1;
    assert_int_equal (b->check (&n.base, &reason), -1);
    n.signal_id.len = KT_ID_LEN;
    n.case_ref = "case 17";
    assert_int_equal (b->check (&n.base, &reason), -1);
    n.case_ref = ""; /* from a signal's sender */
    n.correction_id = "";
    assert_int_equal (b->check (&n.base, &reason), 0);
    /*  Who asked, and an art. 9/10 text's release: a sender's own
     *  correction only, bounded names. */
    n.action = KETEN__CORRECTION_ACTION__CORRECT;
    n.os_user = "jansen";
    n.opsporingsbelang_checked = true;
    n.om_officer = "Officier (fictief)";
    n.bevoegd_functionaris = "Functionaris (fictief)";
    assert_int_equal (b->check (&n.base, &reason), 0);
    n.os_user = "jan sen\n";
    assert_int_equal (b->check (&n.base, &reason), -1);
    n.os_user = "jansen";
    n.om_officer = " ";
    assert_int_equal (b->check (&n.base, &reason), -1);
    n.om_officer = "Officier (fictief)";
    n.action = KETEN__CORRECTION_ACTION__DELETE; /* a withdrawal takes no release */
    n.item = NULL;
    assert_int_equal (b->check (&n.base, &reason), -1);
    n.action = KETEN__CORRECTION_ACTION__CORRECT;
    n.item = &item;
    n.correction_id = "c-0123456789abcdef"; /* never in the uitvoerder's notice */
    n.case_ref = "k-0123456789abcdef";
    assert_int_equal (b->check (&n.base, &reason), -1);
    n.opsporingsbelang_checked = false;
    n.om_officer = "";
    n.bevoegd_functionaris = "";
    assert_int_equal (b->check (&n.base, &reason), -1); /* os_user still set */
    n.os_user = "";
    assert_int_equal (b->check (&n.base, &reason), 0);
    n.action = (Keten__CorrectionAction) 99;
    assert_int_equal (b->check (&n.base, &reason), -1);
}

/*  art. 9.2, 10.4-10.5: the uitvoerder's notice names the places of the
 *  signal's items in the recipient's shared or disclosed copies: each a
 *  message id and an item's place; never in a sender's own notice, nor
 *  for an item added (no copy holds it). */
static void
test_a_correction_notice_names_disclosed_copies_within_bounds (void **state)
{
    (void) state;
    const policy_body_t *b = policy_body (KETEN__MESSAGE_TYPE__CORRECTION_NOTICE);
    kt_reason_t reason;
    uint8_t id[KT_ID_LEN] = {1}, copy_id[KT_ID_LEN] = {2};
    Keten__DisclosedItem at = KETEN__DISCLOSED_ITEM__INIT;
    at.disclosure_id = (ProtobufCBinaryData){KT_ID_LEN, copy_id};
    at.position = 3;
    Keten__DisclosedItem *list[1] = {&at};
    Keten__CorrectionNotice n = KETEN__CORRECTION_NOTICE__INIT;
    n.case_ref = "k-0123456789abcdef";
    n.correction_id = "c-0123456789abcdef";
    n.action = KETEN__CORRECTION_ACTION__DELETE;
    n.whole_signal = true;
    n.signal_id = (ProtobufCBinaryData){KT_ID_LEN, id};
    n.disclosed = list;
    n.n_disclosed = 1;
    assert_int_equal (b->check (&n.base, &reason), 0);
    at.position = POLICY_MAX_ITEMS; /* no copy holds that many */
    assert_int_equal (b->check (&n.base, &reason), -1);
    at.position = 0;
    at.disclosure_id.len = KT_ID_LEN - 1;
    assert_int_equal (b->check (&n.base, &reason), -1);
    at.disclosure_id.len = KT_ID_LEN;
    n.case_ref = ""; /* a sender's own notice names none */
    n.correction_id = "";
    assert_int_equal (b->check (&n.base, &reason), -1);
    n.case_ref = "k-0123456789abcdef";
    n.correction_id = "c-0123456789abcdef";
    Keten__SignalItem item = KETEN__SIGNAL_ITEM__INIT;
    item.kind = KETEN__ITEM_KIND__FACT;
    item.text = "Fictief.";
    n.whole_signal = false;
    n.action = KETEN__CORRECTION_ACTION__ADD;
    n.item = &item;
    assert_int_equal (b->check (&n.base, &reason), -1);
    n.action = KETEN__CORRECTION_ACTION__CORRECT;
    assert_int_equal (b->check (&n.base, &reason), 0);
}

static void
test_a_type_not_in_the_table_is_refused (void **state)
{
    (void) state;
    assert_false (s_may ((Keten__MessageType) 9999, POLITIE, UITV));
    assert_non_null (strstr (s_why ((Keten__MessageType) 9999, UITV, POLITIE),
                             "not accepted by this federation"));
}

/*  art. 18.2: a member that left receives nothing more. */
static void
test_a_member_that_left_is_no_recipient (void **state)
{
    (void) state;
    assert_false (s_may (KETEN__MESSAGE_TYPE__PLAN, UITV, GONE));
    assert_non_null (strstr (s_why (KETEN__MESSAGE_TYPE__PLAN, UITV, GONE), "no longer"));
}

static void
test_exactly_one_known_recipient_and_never_oneself (void **state)
{
    (void) state;
    kt_reason_t reason;
    char *two[2] = {s_members[POLITIE].id, s_members[GEMEENTE].id};
    assert_int_equal (policy_check (&s_roster, KETEN__MESSAGE_TYPE__WEEGPLOEG_AGENDA,
                                    &s_members[UITV], two, 2, NOW_MS, &reason),
                      -1);
    char *twice[2] = {s_members[POLITIE].id, s_members[POLITIE].id};
    assert_int_equal (policy_check (&s_roster, KETEN__MESSAGE_TYPE__WEEGPLOEG_AGENDA,
                                    &s_members[UITV], twice, 2, NOW_MS, &reason),
                      -1);
    assert_int_equal (policy_check (&s_roster, KETEN__MESSAGE_TYPE__SIGNAL, &s_members[POLITIE],
                                    NULL, 0, NOW_MS, &reason),
                      -1);
    char *stranger[1] = {"politie-elders"};
    assert_int_equal (policy_check (&s_roster, KETEN__MESSAGE_TYPE__SIGNAL, &s_members[POLITIE],
                                    stranger, 1, NOW_MS, &reason),
                      -1);
    assert_false (s_may (KETEN__MESSAGE_TYPE__CHECKPOINT, UITV, UITV));
    assert_false (s_may (KETEN__MESSAGE_TYPE__RECEIPT, POLITIE, POLITIE));
}

/*  Each type's body: the descriptor it is decoded with, and whether the
 *  recipient answers it with a receipt. */
static void
test_every_type_names_its_body (void **state)
{
    (void) state;
    struct {
        Keten__MessageType type;
        const ProtobufCMessageDescriptor *descriptor;
        bool receipted;
    } expect[] = {
        {KETEN__MESSAGE_TYPE__SIGNAL, &keten__signal__descriptor, true},
        {KETEN__MESSAGE_TYPE__RECEIPT, &keten__receipt__descriptor, false},
        {KETEN__MESSAGE_TYPE__RECEIPTS, &keten__receipts__descriptor, false},
        {KETEN__MESSAGE_TYPE__HEARTBEAT, &keten__heartbeat__descriptor, false},
        {KETEN__MESSAGE_TYPE__WEEGPLOEG_AGENDA, &keten__weegploeg_agenda__descriptor, true},
        {KETEN__MESSAGE_TYPE__WEEGPLOEG_DECISION, &keten__weegploeg_decision__descriptor, true},
        {KETEN__MESSAGE_TYPE__CASUS_AGENDA, &keten__weegploeg_agenda__descriptor, true},
        {KETEN__MESSAGE_TYPE__PLAN, &keten__case_plan__descriptor, true},
        {KETEN__MESSAGE_TYPE__CLOSURE, &keten__case_closure__descriptor, true},
        {KETEN__MESSAGE_TYPE__DISCLOSURE_CONSENT, &keten__disclosure_consent__descriptor, true},
        {KETEN__MESSAGE_TYPE__CASE_CONTRIBUTION, &keten__case_contribution__descriptor, true},
        {KETEN__MESSAGE_TYPE__PLAN_PROGRESS, &keten__plan_progress__descriptor, true},
        {KETEN__MESSAGE_TYPE__CHECKPOINT, &keten__checkpoint_message__descriptor, false},
        {KETEN__MESSAGE_TYPE__ROSTER, &keten__roster_update__descriptor, true},
        {KETEN__MESSAGE_TYPE__ACCESS_NOTICE, &keten__access_notice__descriptor, true},
        {KETEN__MESSAGE_TYPE__INCIDENT, &keten__incident__descriptor, true},
        {KETEN__MESSAGE_TYPE__CORRECTION_NOTICE, &keten__correction_notice__descriptor, true},
        {KETEN__MESSAGE_TYPE__CASE_DECISION, &keten__case_decision__descriptor, true},
        {KETEN__MESSAGE_TYPE__RIGHTS_DECISION, &keten__rights_decision__descriptor, true},
        {KETEN__MESSAGE_TYPE__INCIDENT_REGISTER, &keten__incident_register_entry__descriptor, true},
    };
    for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++) {
        const policy_body_t *b = policy_body (expect[i].type);
        assert_non_null (b);
        assert_ptr_equal (b->descriptor, expect[i].descriptor);
        assert_int_equal (b->receipted, expect[i].receipted);
    }
    assert_null (policy_body ((Keten__MessageType) 9999));
}

/*  art. 15.2e: what a member's notice puts in the log is bounded. */
static void
test_an_access_notice_out_of_bounds_is_refused (void **state)
{
    (void) state;
    const policy_body_t *b = policy_body (KETEN__MESSAGE_TYPE__ACCESS_NOTICE);
    assert_non_null (b->check);
    kt_reason_t reason;
    char *refs[1] = {"k-0123456789abcdef"};
    Keten__AccessNotice a = KETEN__ACCESS_NOTICE__INIT;
    a.case_refs = refs;
    a.n_case_refs = 1;
    a.what = "plan.show";
    a.os_user = "jansen";
    assert_int_equal (b->check (&a.base, &reason), 0);
    a.n_case_refs = 0;
    assert_int_equal (b->check (&a.base, &reason), -1);
    assert_string_equal (reason.text, "access notice malformed");
    a.n_case_refs = 1;
    char *bad_ref[1] = {"case 17; DROP"};
    a.case_refs = bad_ref;
    assert_int_equal (b->check (&a.base, &reason), -1);
    a.case_refs = refs;
    a.os_user = "jan sen";
    assert_int_equal (b->check (&a.base, &reason), -1);
    a.os_user = "jansen";
    a.what = "";
    assert_int_equal (b->check (&a.base, &reason), -1);
}

/*  art. 4, 10.5, 9.4: a convenant party decides its casework at its own
 *  node, to the uitvoerder only; an externe casuspartner decides nothing. */
static void
test_case_decisions_go_from_a_convenant_party_to_the_uitvoerder (void **state)
{
    (void) state;
    Keten__MessageType t = KETEN__MESSAGE_TYPE__CASE_DECISION;
    assert_true (s_may (t, POLITIE, UITV));
    assert_true (s_may (t, GEMEENTE, UITV));
    assert_true (s_may (t, RVDK, UITV));
    assert_false (s_may (t, NCTV, UITV));
    assert_false (s_may (t, UITV, POLITIE));
    assert_false (s_may (t, POLITIE, GEMEENTE));
    assert_false (s_may (t, RVDK, NCTV));
    const policy_body_t *b = policy_body (t);
    assert_non_null (b);
    assert_ptr_equal (b->descriptor, &keten__case_decision__descriptor);
    assert_true (b->receipted);
}

/*  Every field of a casework decision is bounded before anyone sees it. */
static void
test_a_case_decision_out_of_bounds_is_refused (void **state)
{
    (void) state;
    const policy_body_t *b = policy_body (KETEN__MESSAGE_TYPE__CASE_DECISION);
    kt_reason_t r;
    uint8_t id[KT_ID_LEN] = {1};
    Keten__ItemRef ref = KETEN__ITEM_REF__INIT, *refs[1] = {&ref};
    ref.message_id.data = id;
    ref.message_id.len = KT_ID_LEN;
    char *kinds[1] = {"gezinssituatie"};
    Keten__ConsentDecision c = KETEN__CONSENT_DECISION__INIT;
    c.to = "nctv";
    c.items = refs;
    c.n_items = 1;
    c.necessity = "Nodig voor het plan.";
    c.data_kinds = kinds;
    c.n_data_kinds = 1;
    Keten__ClosureDecision v = KETEN__CLOSURE_DECISION__INIT;
    v.choice = KETEN__CLOSURE_CHOICE__CLOSURE_CLOSE;
    v.advised_ms = NOW_MS;
    Keten__CaseDecision d = KETEN__CASE_DECISION__INIT;
    d.case_ref = "k-0123456789abcdef";
    d.consent = &c;
    assert_int_equal (b->check (&d.base, &r), 0);
    d.closure = &v; /* both */
    assert_int_equal (b->check (&d.base, &r), -1);
    d.consent = NULL; /* a closure decision alone */
    assert_int_equal (b->check (&d.base, &r), 0);
    v.choice = KETEN__CLOSURE_CHOICE__CLOSURE_CONTINUE; /* without a reason */
    assert_int_equal (b->check (&d.base, &r), -1);
    v.reason = "Nog niet alle doelen bereikt.";
    assert_int_equal (b->check (&d.base, &r), 0);
    v.advised_ms = 0; /* names no advice */
    assert_int_equal (b->check (&d.base, &r), -1);
    v.advised_ms = NOW_MS;
    d.closure = NULL;
    d.consent = &c;
    d.case_ref = "Jansen"; /* the sender's own text */
    assert_int_equal (b->check (&d.base, &r), -1);
    d.case_ref = "k-0123456789abcdef";
    ref.message_id.len = 15;
    assert_int_equal (b->check (&d.base, &r), -1);
    ref.message_id.len = KT_ID_LEN;
    ref.index = POLICY_MAX_ITEMS;
    assert_int_equal (b->check (&d.base, &r), -1);
    ref.index = 0;
    c.necessity = "";
    assert_int_equal (b->check (&d.base, &r), -1);
    c.necessity = "Nodig.";
    c.n_data_kinds = 0;
    assert_int_equal (b->check (&d.base, &r), -1);
    c.n_data_kinds = 1;
    /*  A kind is named in the provenance log: a word, not free text. */
    kinds[0] = "Piet Jansen";
    assert_int_equal (b->check (&d.base, &r), -1);
    kinds[0] = "gezinssituatie";
    c.to = "not a member id";
    assert_int_equal (b->check (&d.base, &r), -1);
}

/*  A consent's or share's kinds of data go into the provenance log
 *  (DISCLOSED), which keeps them for good: a kind is a word of letters,
 *  - and _, so no BSN, date, number or name with initials fits, and the
 *  refusal names the field, never the value. */
static void
test_a_data_kind_is_a_word_of_letters (void **state)
{
    (void) state;
    const policy_body_t *b = policy_body (KETEN__MESSAGE_TYPE__CASE_DECISION);
    kt_reason_t r;
    uint8_t id[KT_ID_LEN] = {1};
    Keten__ItemRef ref = KETEN__ITEM_REF__INIT, *refs[1] = {&ref};
    ref.message_id.data = id;
    ref.message_id.len = KT_ID_LEN;
    char *kinds[2] = {"naw", NULL};
    char *to[1] = {"gemeente-test"};
    Keten__ConsentDecision c = KETEN__CONSENT_DECISION__INIT;
    c.to = "nctv";
    c.items = refs;
    c.n_items = 1;
    c.necessity = "Nodig voor het plan.";
    c.data_kinds = kinds;
    c.n_data_kinds = 2;
    Keten__ShareDecision s = KETEN__SHARE_DECISION__INIT;
    s.to = to;
    s.n_to = 1;
    s.items = refs;
    s.n_items = 1;
    s.necessity = "Nodig voor de afstemming.";
    s.data_kinds = kinds;
    s.n_data_kinds = 2;
    Keten__CaseDecision consent = KETEN__CASE_DECISION__INIT, share = KETEN__CASE_DECISION__INIT;
    consent.case_ref = share.case_ref = "k-0123456789abcdef";
    consent.consent = &c;
    share.share = &s;
    static const char *words[] = {"gezinssituatie", "medische-gegevens", "school_verzuim", "NAW",
                                  "x"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        kinds[1] = (char *) words[i];
        assert_true (intake_data_kind_ok (words[i]));
        assert_int_equal (b->check (&consent.base, &r), 0);
        assert_int_equal (b->check (&share.base, &r), 0);
    }
    static const char *not_words[] = {
        "bsn:999993653",
        "J.deVries-2004-03-17",
        "999993653",
        "2004-03-17",
        "naw2",
        "naw adres",
        "naw,adres",
        "-naw",
        "_naw",
        "",
        "cli\xc3\xabnt",
        "naw\n",
        "J.de_Vries",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}; /* 65 */
    for (size_t i = 0; i < sizeof not_words / sizeof not_words[0]; i++) {
        kinds[1] = (char *) not_words[i];
        assert_false (intake_data_kind_ok (not_words[i]));
        assert_int_equal (b->check (&consent.base, &r), -1);
        assert_non_null (strstr (r.text, "consent: data kind 2 must be a word of"));
        if (*not_words[i])
            assert_null (strstr (r.text, not_words[i]));
        assert_int_equal (b->check (&share.base, &r), -1);
        assert_non_null (strstr (r.text, "share: data kind 2 must be a word of"));
        if (*not_words[i])
            assert_null (strstr (r.text, not_words[i]));
    }
}

/*  art. 9.2, 10.4: a share names 1..POLICY_MAX_SHARE_TO recipients, each
 *  once, and is bounded like a consent; it is never a consent or a
 *  closure decision at the same time. */
static void
test_a_share_decision_out_of_bounds_is_refused (void **state)
{
    (void) state;
    const policy_body_t *b = policy_body (KETEN__MESSAGE_TYPE__CASE_DECISION);
    kt_reason_t r;
    uint8_t id[KT_ID_LEN] = {1};
    Keten__ItemRef ref = KETEN__ITEM_REF__INIT, *refs[1] = {&ref};
    ref.message_id.data = id;
    ref.message_id.len = KT_ID_LEN;
    char *kinds[1] = {"gezinssituatie"};
    char *to[POLICY_MAX_SHARE_TO + 1];
    char names[POLICY_MAX_SHARE_TO + 1][16];
    for (size_t i = 0; i <= POLICY_MAX_SHARE_TO; i++) {
        snprintf (names[i], sizeof names[i], "gemeente-%zu", i);
        to[i] = names[i];
    }
    Keten__ShareDecision s = KETEN__SHARE_DECISION__INIT;
    s.to = to;
    s.n_to = 2;
    s.items = refs;
    s.n_items = 1;
    s.necessity = "Nodig voor de afstemming in het casusoverleg.";
    s.data_kinds = kinds;
    s.n_data_kinds = 1;
    Keten__ConsentDecision c = KETEN__CONSENT_DECISION__INIT;
    Keten__CaseDecision d = KETEN__CASE_DECISION__INIT;
    d.case_ref = "k-0123456789abcdef";
    d.share = &s;
    assert_int_equal (b->check (&d.base, &r), 0);
    d.consent = &c; /* a share and a consent at once */
    assert_int_equal (b->check (&d.base, &r), -1);
    d.consent = NULL;
    s.n_to = 0;
    assert_int_equal (b->check (&d.base, &r), -1);
    s.n_to = POLICY_MAX_SHARE_TO + 1;
    assert_int_equal (b->check (&d.base, &r), -1);
    assert_non_null (strstr (r.text, "recipients"));
    s.n_to = POLICY_MAX_SHARE_TO;
    assert_int_equal (b->check (&d.base, &r), 0);
    to[1] = to[0]; /* one recipient twice */
    assert_int_equal (b->check (&d.base, &r), -1);
    assert_non_null (strstr (r.text, "named twice"));
    to[1] = "not a member id";
    assert_int_equal (b->check (&d.base, &r), -1);
    to[1] = names[1];
    s.necessity = "";
    assert_int_equal (b->check (&d.base, &r), -1);
    s.necessity = "Nodig.";
    kinds[0] = "Piet Jansen"; /* free text, where the log names kinds */
    assert_int_equal (b->check (&d.base, &r), -1);
    kinds[0] = "gezinssituatie";
    s.n_items = 0;
    assert_int_equal (b->check (&d.base, &r), -1);
}

static void
test_a_receipt_names_a_whole_message_id (void **state)
{
    (void) state;
    const policy_body_t *b = policy_body (KETEN__MESSAGE_TYPE__RECEIPT);
    assert_non_null (b->check);
    kt_reason_t reason;
    uint8_t id[KT_ID_LEN] = {1};
    Keten__Receipt r = KETEN__RECEIPT__INIT;
    r.message_id.data = id;
    r.message_id.len = KT_ID_LEN;
    assert_int_equal (b->check (&r.base, &reason), 0);
    r.message_id.len = KT_ID_LEN - 1;
    assert_int_equal (b->check (&r.base, &reason), -1);
    r.message_id.len = 0;
    assert_int_equal (b->check (&r.base, &reason), -1);
}

/*  RECEIPTS: each receipt checked as a RECEIPT's, 1..POLICY_MAX_RECEIPTS
 *  of them, and its checkpoint bounded. */
static void
test_receipts_are_bounded_and_each_checked (void **state)
{
    (void) state;
    const policy_body_t *b = policy_body (KETEN__MESSAGE_TYPE__RECEIPTS);
    assert_non_null (b->check);
    kt_reason_t reason;
    uint8_t id[KT_ID_LEN] = {1};
    Keten__Receipt one = KETEN__RECEIPT__INIT, bad = KETEN__RECEIPT__INIT;
    one.message_id.data = bad.message_id.data = id;
    one.message_id.len = KT_ID_LEN;
    bad.message_id.len = KT_ID_LEN - 1;
    Keten__Receipt *list[POLICY_MAX_RECEIPTS + 1];
    for (size_t i = 0; i <= POLICY_MAX_RECEIPTS; i++)
        list[i] = &one;
    Keten__Receipts rs = KETEN__RECEIPTS__INIT;
    rs.receipts = list;
    rs.n_receipts = POLICY_MAX_RECEIPTS;
    assert_int_equal (b->check (&rs.base, &reason), 0);
    rs.n_receipts = POLICY_MAX_RECEIPTS + 1;
    assert_int_equal (b->check (&rs.base, &reason), -1);
    assert_non_null (strstr (reason.text, "1..4096 receipts"));
    rs.n_receipts = 0;
    assert_int_equal (b->check (&rs.base, &reason), -1);
    rs.n_receipts = 3;
    list[2] = &bad;
    assert_int_equal (b->check (&rs.base, &reason), -1);
    assert_string_equal (reason.text, "receipt malformed");
    list[2] = &one;
    static uint8_t note[POLICY_MAX_RECEIPTS_NOTE + 1];
    rs.checkpoint.data = note;
    rs.checkpoint.len = sizeof note;
    assert_int_equal (b->check (&rs.base, &reason), -1);
    rs.checkpoint.len = sizeof note - 1;
    assert_int_equal (b->check (&rs.base, &reason), 0);
    /*  A path shares hashes only with the receipt before it: not the
     *  first's, nor a RECEIPT's; and no path is longer than a tree's. */
    Keten__Receipt sharing = one;
    sharing.inclusion_shared = 3;
    list[1] = &sharing;
    assert_int_equal (b->check (&rs.base, &reason), 0);
    list[0] = &sharing;
    assert_int_equal (b->check (&rs.base, &reason), -1);
    assert_string_equal (reason.text, "receipt: inclusion path malformed");
    list[0] = &one;
    sharing.inclusion_shared = MERKLE_MAX_PATH + 1;
    assert_int_equal (b->check (&rs.base, &reason), -1);
    sharing.inclusion_shared = 3;
    assert_int_equal (policy_body (KETEN__MESSAGE_TYPE__RECEIPT)->check (&sharing.base, &reason),
                      -1);
}

/*  The uitvoerder packs each receipt once, when it is made, and sends the
 *  packed ones as ReceiptsPacked: the same bytes as Receipts, which the
 *  member decodes. */
static void
test_packed_receipts_decode_as_receipts (void **state)
{
    (void) state;
    uint8_t id[2][KT_ID_LEN] = {{1}, {2}}, leaf[32] = {7};
    ProtobufCBinaryData packed[2];
    for (int i = 0; i < 2; i++) {
        Keten__Receipt r = KETEN__RECEIPT__INIT;
        r.message_id.data = id[i];
        r.message_id.len = KT_ID_LEN;
        r.log_index = 40 + (uint64_t) i;
        r.leaf_hash.data = leaf;
        r.leaf_hash.len = i ? sizeof leaf : 0;
        packed[i].len = keten__receipt__get_packed_size (&r);
        packed[i].data = malloc (packed[i].len);
        assert_non_null (packed[i].data);
        keten__receipt__pack (&r, packed[i].data);
    }
    Keten__ReceiptsPacked rp = KETEN__RECEIPTS_PACKED__INIT;
    rp.receipts = packed;
    rp.n_receipts = 2;
    rp.checkpoint.data = (uint8_t *) "note";
    rp.checkpoint.len = 4;
    uint8_t wire[256];
    size_t len = keten__receipts_packed__get_packed_size (&rp);
    assert_true (len <= sizeof wire);
    keten__receipts_packed__pack (&rp, wire);
    Keten__Receipts *rs = keten__receipts__unpack (NULL, len, wire);
    assert_non_null (rs);
    assert_int_equal (rs->n_receipts, 2);
    assert_memory_equal (rs->receipts[1]->message_id.data, id[1], KT_ID_LEN);
    assert_int_equal (rs->receipts[1]->log_index, 41);
    assert_int_equal (rs->receipts[0]->leaf_hash.len, 0);
    assert_int_equal (rs->receipts[1]->leaf_hash.len, 32);
    assert_int_equal (rs->checkpoint.len, 4);
    assert_memory_equal (rs->checkpoint.data, "note", 4);
    keten__receipts__free_unpacked (rs, NULL);
    free (packed[0].data);
    free (packed[1].data);
}

/*  A signal's body is checked like any intake, whoever sent it. */
static void
test_a_signal_body_is_checked_like_intake (void **state)
{
    (void) state;
    const policy_body_t *b = policy_body (KETEN__MESSAGE_TYPE__SIGNAL);
    assert_non_null (b->check);
    kt_reason_t reason;
    Keten__Signal s = KETEN__SIGNAL__INIT;
    assert_int_equal (b->check (&s.base, &reason), -1);
}

/*  art. 4, 11.3, 12.4: a rights decision comes from a kernpartij, to the
 *  uitvoerder; a casuspartij, an externe casuspartner or the uitvoerder
 *  itself cannot send one. */
static void
test_rights_decisions_only_from_a_kernpartij_to_the_uitvoerder (void **state)
{
    (void) state;
    Keten__MessageType t = KETEN__MESSAGE_TYPE__RIGHTS_DECISION;
    assert_true (s_may (t, POLITIE, UITV));
    assert_true (s_may (t, GEMEENTE, UITV));
    assert_false (s_may (t, RVDK, UITV));
    assert_false (s_may (t, NCTV, UITV));
    assert_false (s_may (t, UITV, POLITIE));
    assert_false (s_may (t, POLITIE, GEMEENTE));
    assert_non_null (strstr (s_why (t, RVDK, UITV), "art. 4, 11.3, 12.4"));
    assert_non_null (strstr (s_why (t, NCTV, UITV), "kernpartij"));
}

/*  art. 15.2g: the register goes from the uitvoerder to kernpartijen. */
static void
test_the_incident_register_goes_to_kernpartijen_only (void **state)
{
    (void) state;
    Keten__MessageType t = KETEN__MESSAGE_TYPE__INCIDENT_REGISTER;
    assert_true (s_may (t, UITV, POLITIE));
    assert_true (s_may (t, UITV, GEMEENTE));
    assert_false (s_may (t, UITV, RVDK));
    assert_false (s_may (t, UITV, NCTV));
    assert_false (s_may (t, POLITIE, UITV));
    assert_non_null (strstr (s_why (t, UITV, RVDK), "art. 15.2g"));
}

static void
test_a_rights_decision_out_of_bounds_is_refused (void **state)
{
    (void) state;
    const policy_body_t *b = policy_body (KETEN__MESSAGE_TYPE__RIGHTS_DECISION);
    assert_non_null (b->check);
    assert_true (b->receipted);
    kt_reason_t reason;
    Keten__RightsDecision d = KETEN__RIGHTS_DECISION__INIT;
    d.task_id = "t-0123456789abcdef";
    d.outcome = KETEN__RIGHTS_OUTCOME__RIGHTS_INFORM;
    d.os_user = "jansen";
    assert_int_equal (b->check (&d.base, &reason), 0);
    /*  A deferral: its ground in the informatieplicht's form, a note, a
     *  review date. */
    d.outcome = KETEN__RIGHTS_OUTCOME__RIGHTS_DEFER;
    assert_int_equal (b->check (&d.base, &reason), -1);
    d.ground = "uavg-41-1-d";
    d.motivation = "Lopend onderzoek.";
    d.review_on = "2027-01-10";
    assert_int_equal (b->check (&d.base, &reason), 0);
    d.ground = "41-1-d";
    assert_int_equal (b->check (&d.base, &reason), -1);
    d.ground = "uavg-41-1-k";
    assert_int_equal (b->check (&d.base, &reason), -1);
    d.ground = "uavg-41-1-d";
    d.review_on = "10-01-2027";
    assert_int_equal (b->check (&d.base, &reason), -1);
    /*  A request's outcome on a task is refused, and the other way. */
    d.review_on = "2027-01-10";
    d.outcome = KETEN__RIGHTS_OUTCOME__RIGHTS_REFUSE;
    assert_int_equal (b->check (&d.base, &reason), -1);
    d.task_id = "";
    d.request_id = "r-0123456789abcdef";
    d.ground = "41-1-d";
    d.review_on = "";
    assert_int_equal (b->check (&d.base, &reason), 0);
    d.motivation = "";
    assert_int_equal (b->check (&d.base, &reason), -1);
    d.motivation = "Lopend onderzoek.";
    /*  A partial refusal names whole message ids, and only it does. */
    d.outcome = KETEN__RIGHTS_OUTCOME__RIGHTS_PARTIAL;
    assert_int_equal (b->check (&d.base, &reason), -1);
    uint8_t id[KT_ID_LEN] = {1};
    ProtobufCBinaryData w[1] = {{KT_ID_LEN, id}};
    d.withhold = w;
    d.n_withhold = 1;
    assert_int_equal (b->check (&d.base, &reason), 0);
    w[0].len = 3;
    assert_int_equal (b->check (&d.base, &reason), -1);
    w[0].len = KT_ID_LEN;
    d.outcome = KETEN__RIGHTS_OUTCOME__RIGHTS_REFUSE;
    assert_int_equal (b->check (&d.base, &reason), -1);
    d.n_withhold = 0;
    d.outcome = KETEN__RIGHTS_OUTCOME__RIGHTS_GRANT;
    assert_int_equal (b->check (&d.base, &reason), -1); /* a grant has no ground */
    d.ground = "";
    d.motivation = "";
    assert_int_equal (b->check (&d.base, &reason), 0);
    d.request_id = "r-0123";
    assert_int_equal (b->check (&d.base, &reason), -1);
    d.request_id = "r-0123456789abcdef";
    d.os_user = "jan sen";
    assert_int_equal (b->check (&d.base, &reason), -1);
    d.os_user = "jansen";
    d.outcome = (Keten__RightsOutcome) 99;
    assert_int_equal (b->check (&d.base, &reason), -1);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup (test_signal_only_from_a_kernpartij_to_the_uitvoerder, s_setup),
        cmocka_unit_test_setup (test_receipts_go_between_the_uitvoerder_and_one_member, s_setup),
        cmocka_unit_test_setup (test_heartbeats_go_between_the_uitvoerder_and_one_member, s_setup),
        cmocka_unit_test_setup (test_weegploeg_agendas_only_from_the_uitvoerder_to_a_kernpartij,
                                s_setup),
        cmocka_unit_test_setup (test_weegploeg_decisions_only_from_the_uitvoerder_to_a_kernpartij,
                                s_setup),
        cmocka_unit_test_setup (test_casusoverleg_agendas_come_from_the_uitvoerder, s_setup),
        cmocka_unit_test_setup (test_plans_come_from_the_uitvoerder, s_setup),
        cmocka_unit_test_setup (test_closures_come_from_the_uitvoerder, s_setup),
        cmocka_unit_test_setup (test_disclosures_come_from_the_uitvoerder, s_setup),
        cmocka_unit_test_setup (test_rosters_come_from_the_uitvoerder, s_setup),
        cmocka_unit_test_setup (test_contributions_go_to_the_uitvoerder, s_setup),
        cmocka_unit_test_setup (test_case_decisions_go_from_a_convenant_party_to_the_uitvoerder,
                                s_setup),
        cmocka_unit_test (test_a_case_decision_out_of_bounds_is_refused),
        cmocka_unit_test_setup (test_plan_progress_goes_to_the_uitvoerder, s_setup),
        cmocka_unit_test_setup (test_access_notices_go_to_the_uitvoerder, s_setup),
        cmocka_unit_test_setup (test_incidents_go_to_the_uitvoerder, s_setup),
        cmocka_unit_test_setup (test_checkpoints_go_between_the_uitvoerder_and_one_member, s_setup),
        cmocka_unit_test_setup (test_correction_notices_go_from_the_uitvoerder_to_every_holder,
                                s_setup),
        cmocka_unit_test (test_a_correction_notice_out_of_bounds_is_refused),
        cmocka_unit_test (test_a_correction_notice_names_disclosed_copies_within_bounds),
        cmocka_unit_test_setup (test_a_type_not_in_the_table_is_refused, s_setup),
        cmocka_unit_test_setup (test_a_member_that_left_is_no_recipient, s_setup),
        cmocka_unit_test_setup (test_exactly_one_known_recipient_and_never_oneself, s_setup),
        cmocka_unit_test (test_every_type_names_its_body),
        cmocka_unit_test (test_an_access_notice_out_of_bounds_is_refused),
        cmocka_unit_test (test_a_share_decision_out_of_bounds_is_refused),
        cmocka_unit_test (test_a_data_kind_is_a_word_of_letters),
        cmocka_unit_test (test_a_receipt_names_a_whole_message_id),
        cmocka_unit_test (test_receipts_are_bounded_and_each_checked),
        cmocka_unit_test (test_packed_receipts_decode_as_receipts),
        cmocka_unit_test (test_a_signal_body_is_checked_like_intake),
        cmocka_unit_test_setup (test_rights_decisions_only_from_a_kernpartij_to_the_uitvoerder,
                                s_setup),
        cmocka_unit_test_setup (test_the_incident_register_goes_to_kernpartijen_only, s_setup),
        cmocka_unit_test (test_a_rights_decision_out_of_bounds_is_refused),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
