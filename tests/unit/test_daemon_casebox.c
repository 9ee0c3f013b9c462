/*  The cases a partner takes part in (casebox.c) on real SQLite files: a
 *  case closed here that the weegploeg put on the agenda again is open
 *  again when a plan version or an advice made after its closure arrives
 *  (art. 8.5, 9.4), without the closure or the closed round's advice; a
 *  copy of that closure arriving late, or an advice of the closed round,
 *  changes nothing.  Every time is on the uitvoerder's clock, as the
 *  messages carry it.  A place of a share or disclosure kept here follows
 *  a correction (art. 12.5-12.6).  Every person here is fictional.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include "casebox.h"
#include "items.h"
#include "keystore.h"
#include "store.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SELF "politie-test"
#define CASE "k-0123456789abcdef"

typedef struct {
    char dir[64];
    uint8_t storage_key[32];
    keystore_t *keystore;
    sqlite3 *db;
    casebox_t *casebox;
} fixture_t;

static void
s_open (fixture_t *f)
{
    char path[128];
    kt_reason_t r;
    snprintf (path, sizeof path, "%s/keys.db", f->dir);
    if (!(f->keystore = keystore_open (path, f->storage_key, &r)))
        fail_msg ("keystore_open: %s", r.text);
    snprintf (path, sizeof path, "%s/node.db", f->dir);
    if (!(f->db = store_open (path, &r)))
        fail_msg ("store_open: %s", r.text);
    if (!(f->casebox = casebox_new (f->db, f->keystore, SELF, &r)))
        fail_msg ("casebox_new: %s", r.text);
}

static void
s_close (fixture_t *f)
{
    casebox_destroy (&f->casebox);
    store_close (&f->db);
    keystore_destroy (&f->keystore);
}

static int
s_setup (void **state)
{
    fixture_t *f = calloc (1, sizeof *f);
    if (!f || testutil_tmpdir (f->dir, sizeof f->dir, "casebox") != 0)
        return -1;
    randombytes_buf (f->storage_key, sizeof f->storage_key);
    s_open (f);
    *state = f;
    return 0;
}

static int
s_teardown (void **state)
{
    fixture_t *f = *state;
    s_close (f);
    int rc = testutil_rmtree (f->dir);
    free (f);
    return rc;
}

/*  Plan version of CASE issued at issued_ms, naming this node. */
static int
s_plan (fixture_t *f, uint32_t version, uint64_t issued_ms)
{
    char *parts[2] = {SELF, "gemeente-test"};
    Keten__PlanGoal goal = KETEN__PLAN_GOAL__INIT;
    Keten__PlanGoal *goals[1] = {&goal};
    goal.kind = KETEN__GOAL_KIND__ZORG;
    goal.text = "Fictional goal.";
    Keten__CasePlan plan = KETEN__CASE_PLAN__INIT;
    plan.case_ref = CASE;
    plan.version = version;
    plan.participants = parts;
    plan.n_participants = 2;
    plan.goals = goals;
    plan.n_goals = 1;
    plan.issued_ms = issued_ms;
    kt_reason_t r;
    return casebox_store_plan (f->casebox, &plan, &r);
}

/*  The casusoverleg's advice recorded at advised_ms. */
static int
s_advise (fixture_t *f, const char *text, uint64_t advised_ms)
{
    char *to[2] = {SELF, "gemeente-test"};
    Keten__CaseClosure a = KETEN__CASE_CLOSURE__INIT;
    a.case_ref = CASE;
    a.advice = (char *) text;
    a.advised_ms = advised_ms;
    a.to_decide = to;
    a.n_to_decide = 2;
    kt_reason_t r;
    return casebox_advise (f->casebox, &a, &r);
}

/*  The case closed at closed_ms on advice text. */
static int
s_close_case (fixture_t *f, const char *text, uint64_t closed_ms)
{
    char *by[2] = {SELF, "gemeente-test"};
    Keten__CaseClosure c = KETEN__CASE_CLOSURE__INIT;
    c.case_ref = CASE;
    c.advice = (char *) text;
    c.decided_by = by;
    c.n_decided_by = 2;
    c.closed_ms = closed_ms;
    kt_reason_t r;
    return casebox_close (f->casebox, &c, &r);
}

/*  The advice kept for CASE, or "" when there is none. */
static const char *
s_advice (fixture_t *f, char *buf, size_t len)
{
    Keten__CaseClosure *a = NULL;
    kt_reason_t r;
    assert_true (casebox_advice (f->casebox, CASE, &a, &r) >= 0);
    snprintf (buf, len, "%s", a ? a->advice : "");
    if (a)
        keten__case_closure__free_unpacked (a, NULL);
    return buf;
}

/*  The closure kept for CASE, or "" when there is none. */
static const char *
s_closure (fixture_t *f, char *buf, size_t len)
{
    Keten__CaseClosure *c = NULL;
    kt_reason_t r;
    assert_true (casebox_get_closure (f->casebox, CASE, &c, &r) >= 0);
    snprintf (buf, len, "%s", c ? c->advice : "");
    if (c)
        keten__case_closure__free_unpacked (c, NULL);
    return buf;
}

/*  Texts joined into buf (s_disclosed). */
typedef struct {
    char *buf;
    size_t len;
} out_t;

static int
s_disclosed_row (void *arg, const Keten__DisclosureConsent *d, uint64_t received_ms,
                 kt_reason_t *reason)
{
    (void) received_ms;
    (void) reason;
    out_t *out = arg;
    for (size_t i = 0; i < d->n_items; i++) {
        const Keten__SignalItem *it = d->items[i];
        size_t at = strlen (out->buf);
        snprintf (out->buf + at, out->len - at, "%s%s", i ? "|" : "",
                  it->deleted || it->blocked ? "-" : it->text);
    }
    return 0;
}

/*  The first round: plan 1 at 1000, advice at 2000, closed at 3000. */
static void
s_first_round (fixture_t *f)
{
    char buf[64];
    assert_int_equal (s_plan (f, 1, 1000), 0);
    assert_int_equal (s_advise (f, "Eerste advies.", 2000), 0);
    assert_string_equal (s_advice (f, buf, sizeof buf), "Eerste advies.");
    assert_int_equal (s_close_case (f, "Eerste advies.", 3000), 0);
    assert_true (casebox_closed (f->casebox, CASE));
    assert_string_equal (s_closure (f, buf, sizeof buf), "Eerste advies.");
}

static void
test_a_plan_issued_after_the_closure_opens_the_case_again (void **state)
{
    fixture_t *f = *state;
    char buf[64];
    s_first_round (f);
    /*  A version of before the closure, late: the case stays closed. */
    assert_int_equal (s_plan (f, 1, 1000), 0);
    assert_true (casebox_closed (f->casebox, CASE));
    /*  The version the reopening made: open, no closure, no advice. */
    assert_int_equal (s_plan (f, 2, 4000), 0);
    assert_false (casebox_closed (f->casebox, CASE));
    assert_string_equal (s_closure (f, buf, sizeof buf), "");
    assert_string_equal (s_advice (f, buf, sizeof buf), "");
    /*  An advice of the closed round, arriving late, is not taken. */
    assert_int_equal (s_advise (f, "Eerste advies.", 2000), 0);
    assert_string_equal (s_advice (f, buf, sizeof buf), "");
    /*  The second round closes it again. */
    assert_int_equal (s_advise (f, "Tweede advies.", 5000), 0);
    assert_string_equal (s_advice (f, buf, sizeof buf), "Tweede advies.");
    assert_int_equal (s_close_case (f, "Tweede advies.", 6000), 0);
    assert_true (casebox_closed (f->casebox, CASE));
    assert_string_equal (s_closure (f, buf, sizeof buf), "Tweede advies.");
    /*  Across a restart too. */
    s_close (f);
    s_open (f);
    assert_true (casebox_closed (f->casebox, CASE));
    assert_string_equal (s_closure (f, buf, sizeof buf), "Tweede advies.");
}

static void
test_a_closure_the_case_reopened_after_is_overtaken (void **state)
{
    fixture_t *f = *state;
    char buf[64];
    /*  This node missed the closure at 3000: the reopening's version
     *  comes first, the closure's copy after it. */
    assert_int_equal (s_plan (f, 1, 1000), 0);
    assert_int_equal (s_advise (f, "Eerste advies.", 2000), 0);
    assert_int_equal (s_plan (f, 2, 4000), 0);
    assert_int_equal (s_close_case (f, "Eerste advies.", 3000), 0);
    assert_false (casebox_closed (f->casebox, CASE));
    assert_string_equal (s_closure (f, buf, sizeof buf), "");
    /*  A closure of a plan made the same moment is taken (ms are
     *  coarse); a later one always. */
    assert_int_equal (s_close_case (f, "Eerste advies.", 4000), 0);
    assert_true (casebox_closed (f->casebox, CASE));
}

/*  The reopening never reached this node (its plan version unsent when
 *  the case was closed again): the second closure replaces the first,
 *  and the reopening plan issued before it, arriving late, does not open
 *  the case again. */
static void
test_a_newer_closure_replaces_an_older_one (void **state)
{
    fixture_t *f = *state;
    assert_int_equal (s_plan (f, 1, 1000), 0);
    assert_int_equal (s_close_case (f, "Eerste advies.", 3000), 0);
    assert_int_equal (s_close_case (f, "Tweede advies.", 6000), 0);
    assert_true (casebox_closed (f->casebox, CASE));
    assert_int_equal (s_plan (f, 2, 4000), 0);
    assert_true (casebox_closed (f->casebox, CASE));
    /*  The first closure offered again changes nothing either. */
    assert_int_equal (s_close_case (f, "Eerste advies.", 3000), 0);
    assert_true (casebox_closed (f->casebox, CASE));
}

static void
test_an_advice_made_after_the_closure_opens_the_case_again (void **state)
{
    fixture_t *f = *state;
    char buf[64];
    s_first_round (f);
    /*  The advice of the new round before the version that reopened the
     *  case: taken, and the case is open. */
    assert_int_equal (s_advise (f, "Tweede advies.", 5000), 0);
    assert_false (casebox_closed (f->casebox, CASE));
    assert_string_equal (s_advice (f, buf, sizeof buf), "Tweede advies.");
    assert_string_equal (s_closure (f, buf, sizeof buf), "");
    /*  The version that follows keeps it open and the advice with it. */
    assert_int_equal (s_plan (f, 2, 4000), 0);
    assert_false (casebox_closed (f->casebox, CASE));
    assert_string_equal (s_advice (f, buf, sizeof buf), "Tweede advies.");
}

/*  The items of the disclosures of CASE kept here, their texts ("-" for
 *  one deleted or blocked) joined by "|". */
static const char *
s_disclosed (fixture_t *f, char *buf, size_t len)
{
    buf[0] = '\0';
    out_t out = {buf, len};
    kt_reason_t r;
    assert_int_equal (casebox_each_disclosure (f->casebox, CASE, s_disclosed_row, &out, &r), 0);
    return buf;
}

/*  art. 12.5-12.6 with art. 9.2, 10.4-10.5: a correction notice makes a
 *  place of a disclosure kept here read as the item does now, or empty
 *  (deleted, blocked), sealed again; the same change again changes
 *  nothing; a position the copy does not have is an error; a copy not
 *  kept here is said to be so. */
static void
test_a_place_of_a_disclosure_follows_a_correction (void **state)
{
    fixture_t *f = *state;
    char buf[256];
    kt_reason_t r;
    assert_int_equal (s_plan (f, 1, 1000), 0);
    Keten__SignalItem one = KETEN__SIGNAL_ITEM__INIT, two = KETEN__SIGNAL_ITEM__INIT;
    one.kind = two.kind = KETEN__ITEM_KIND__FACT;
    one.text = "Eerste (fictief).";
    two.text = "Tweede (fictief).";
    one.legal_basis = two.legal_basis = "avg-6-1-e";
    Keten__SignalItem *items[2] = {&one, &two};
    char *kinds[1] = {"netwerk"}, *by[1] = {"gemeente-test"};
    Keten__DisclosureConsent d = KETEN__DISCLOSURE_CONSENT__INIT;
    d.case_ref = CASE;
    d.consenting = by;
    d.n_consenting = 1;
    d.necessity = "Nodig (fictief).";
    d.data_kinds = kinds;
    d.n_data_kinds = 1;
    d.items = items;
    d.n_items = 2;
    d.shared = true;
    d.source = "gemeente-test";
    uint8_t id[KT_ID_LEN] = {7}, other[KT_ID_LEN] = {8};
    assert_int_equal (casebox_store_disclosure (f->casebox, id, &d, &r), 0);
    size_t n_items = 9;
    assert_int_equal (casebox_disclosure_size (f->casebox, CASE, id, &n_items, &r), 1);
    assert_int_equal (n_items, 2);
    assert_int_equal (casebox_disclosure_size (f->casebox, CASE, other, &n_items, &r), 0);
    assert_int_equal (n_items, 0);
    assert_string_equal (s_disclosed (f, buf, sizeof buf), "Eerste (fictief).|Tweede (fictief).");

    Keten__SignalItem fixed = one, empty;
    fixed.text = "Verbeterd (fictief).";
    assert_int_equal (casebox_disclosure_set_item (f->casebox, CASE, id, 0, &fixed, &r), 1);
    assert_string_equal (s_disclosed (f, buf, sizeof buf),
                         "Verbeterd (fictief).|Tweede (fictief).");
    /*  A notice repeated (its receipt lost) changes nothing. */
    assert_int_equal (casebox_disclosure_set_item (f->casebox, CASE, id, 0, &fixed, &r), 0);
    const Keten__SignalItem *blocked =
        items_passed_as (KETEN__CORRECTION_ACTION__BLOCK, NULL, &empty);
    assert_int_equal (casebox_disclosure_set_item (f->casebox, CASE, id, 1, blocked, &r), 1);
    assert_string_equal (s_disclosed (f, buf, sizeof buf), "Verbeterd (fictief).|-");
    const Keten__SignalItem *deleted =
        items_passed_as (KETEN__CORRECTION_ACTION__DELETE, NULL, &empty);
    assert_int_equal (casebox_disclosure_set_item (f->casebox, CASE, id, 0, deleted, &r), 1);
    assert_string_equal (s_disclosed (f, buf, sizeof buf), "-|-");
    /*  The copy's record stays, so a late repeat of it is not taken
     *  again: its items as the correction left them. */
    assert_int_equal (casebox_store_disclosure (f->casebox, id, &d, &r), 0);
    assert_string_equal (s_disclosed (f, buf, sizeof buf), "-|-");
    assert_int_equal (casebox_disclosure_set_item (f->casebox, CASE, id, 2, deleted, &r), -1);
    assert_int_equal (casebox_disclosure_set_item (f->casebox, CASE, other, 0, deleted, &r), 2);
    assert_int_equal (
        casebox_disclosure_set_item (f->casebox, "k-fedcba9876543210", id, 0, deleted, &r), 2);
}

int
main (void)
{
    if (sodium_init () < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_a_plan_issued_after_the_closure_opens_the_case_again,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_closure_the_case_reopened_after_is_overtaken,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_newer_closure_replaces_an_older_one, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_an_advice_made_after_the_closure_opens_the_case_again,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_place_of_a_disclosure_follows_a_correction, s_setup,
                                         s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
