/*  The relay's withdrawals on a real node.db (docs/ROSTER.md, "A member's
 *  kind changes"): a pending copy the member's kind or role no longer
 *  takes is settled as withdrawn with its own text, owes its
 *  MESSAGE_REFUSED entry, and loses its sealed bytes only once that is
 *  paid (Crash reasoning 12); a late receipt does not make it delivered;
 *  the status does not count it as expired; a correction notice withdrawn
 *  as composed for the member's former kind is a family to make again;
 *  a withdrawn, expired or refused agenda copy makes no holder of its
 *  subject for a correction's notices, unless the member's receipt for
 *  the withdrawn copy came all the same (it took it).  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include "relay.h"
#include "store.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    char dir[64];
    sqlite3 *db;
    relay_t *relay;
} fixture_t;

static int
s_setup (void **state)
{
    fixture_t *f = calloc (1, sizeof *f);
    kt_reason_t r;
    char path[128];
    if (!f || testutil_tmpdir (f->dir, sizeof f->dir, "relay") != 0)
        return -1;
    snprintf (path, sizeof path, "%s/node.db", f->dir);
    if (!(f->db = store_open (path, &r)) || !(f->relay = relay_new (f->db, &r))) {
        fprintf (stderr, "open: %s\n", r.text);
        return -1;
    }
    *state = f;
    return 0;
}

static int
s_teardown (void **state)
{
    fixture_t *f = *state;
    relay_destroy (&f->relay);
    store_close (&f->db);
    testutil_rmtree (f->dir);
    free (f);
    return 0;
}

/*  One copy kept for recipient and its MESSAGE_SENT paid: pending. */
static void
s_kept (fixture_t *f, uint8_t id[KT_ID_LEN], const char *recipient, Keten__MessageType type,
        const char *origin, const char *made_for)
{
    kt_reason_t r;
    randombytes_buf (id, KT_ID_LEN);
    if (relay_insert (f->relay, id, recipient, type, (const uint8_t *) "sealed", 6, 1000, origin,
                      "k-0123456789abcdef", "test", made_for, &r) != 0 ||
        relay_owed_paid (f->relay, id, &r) != 0)
        fail_msg ("relay: %s", r.text);
}

static int64_t
s_count (fixture_t *f, const char *where)
{
    char sql[256];
    snprintf (sql, sizeof sql, "SELECT count(*) FROM relay WHERE %s", where);
    return store_int (f->db, sql, -1);
}

/*  The judge of a member that became reclassering: weegploeg types are
 *  not its role's; a copy composed for "om" is not for it either. */
static const char *
s_judge (void *arg, Keten__MessageType type, const char *made_for)
{
    (void) arg;
    if (type == KETEN__MESSAGE_TYPE__WEEGPLOEG_AGENDA)
        return RELAY_WITHDRAWN_PREFIX " the member's role no longer receives WEEGPLOEG_AGENDA";
    if (type != KETEN__MESSAGE_TYPE__ROSTER && *made_for && strcmp (made_for, "reclassering") != 0)
        return RELAY_WITHDRAWN_KIND;
    return NULL;
}

static void
test_withdraw_if (void **state)
{
    fixture_t *f = *state;
    kt_reason_t r;
    uint8_t agenda[KT_ID_LEN], plan[KT_ID_LEN], roster[KT_ID_LEN], other[KT_ID_LEN], old[KT_ID_LEN];
    s_kept (f, agenda, "om-x", KETEN__MESSAGE_TYPE__WEEGPLOEG_AGENDA, "meeting/w-1/0", "om");
    s_kept (f, plan, "om-x", KETEN__MESSAGE_TYPE__PLAN, "plan/k-0123456789abcdef/1", "om");
    s_kept (f, roster, "om-x", KETEN__MESSAGE_TYPE__ROSTER, NULL, "om");
    s_kept (f, other, "politie-x", KETEN__MESSAGE_TYPE__WEEGPLOEG_AGENDA, "meeting/w-1/0",
            "politie");
    /*  Kept before copies said whom they were composed for: judged by
     *  type only. */
    s_kept (f, old, "om-x", KETEN__MESSAGE_TYPE__CLOSURE, "closure/k-0123456789abcdef/1", "");
    assert_int_equal (relay_withdraw_if (f->relay, "om-x", s_judge, NULL, 5000, &r), 2);
    assert_int_equal (s_count (f, "state=4 AND refusal GLOB 'withdrawn:*' AND log_owed=1"), 2);
    assert_int_equal (s_count (f, "state=0"), 3); /* the roster, politie's, the old closure */
    int st = -1;
    assert_int_equal (relay_state (f->relay, roster, &st, &r), 1);
    assert_int_equal (st, 0);
    assert_int_equal (relay_state (f->relay, other, &st, &r), 1);
    assert_int_equal (st, 0);
    assert_int_equal (relay_pending (f->relay, "om-x"), 2);

    /*  Each owes its MESSAGE_REFUSED with its own text; the bytes stay
     *  until that is paid. */
    relay_owed_t *rows = NULL;
    size_t n = 0;
    assert_int_equal (relay_owed (f->relay, &rows, &n, &r), 0);
    assert_int_equal (n, 2);
    for (size_t i = 0; i < n; i++) {
        assert_true (rows[i].expired && rows[i].withdrawn);
        assert_true (memcmp (rows[i].id, agenda, KT_ID_LEN) == 0
                         ? strstr (rows[i].refusal, "no longer receives WEEGPLOEG_AGENDA") != NULL
                         : strcmp (rows[i].refusal, RELAY_WITHDRAWN_KIND) == 0);
    }
    relay_owed_free (rows, n);
    assert_int_equal (s_count (f, "state=4 AND length(header)>0"), 2);
    /*  A receipt that comes after (the node took it before it changed)
     *  does not turn a withdrawal into a delivery. */
    assert_int_equal (relay_settle (f->relay, agenda, "om-x", true, NULL, 6000, &r), 0);
    assert_int_equal (relay_owed_paid (f->relay, agenda, &r), 0);
    assert_int_equal (relay_owed_paid (f->relay, plan, &r), 0);
    assert_int_equal (s_count (f, "state=4 AND (length(header)>0 OR log_owed=1)"), 0);
    /*  Not what the member missed by being away. */
    assert_int_equal (relay_expired (f->relay, "om-x", 0, NULL, NULL, &r), 0);
}

static void
test_withdraw_one (void **state)
{
    fixture_t *f = *state;
    kt_reason_t r;
    uint8_t id[KT_ID_LEN], held[KT_ID_LEN];
    s_kept (f, id, "om-x", KETEN__MESSAGE_TYPE__INCIDENT_REGISTER, NULL, "om");
    assert_int_equal (relay_withdraw_one (f->relay, id, RELAY_WITHDRAWN_KIND, 5000, &r), 1);
    /*  Once only: it is no longer pending. */
    assert_int_equal (relay_withdraw_one (f->relay, id, RELAY_WITHDRAWN_KIND, 5000, &r), 0);
    /*  A held copy (its MESSAGE_SENT not yet written) is not withdrawn:
     *  it is judged once it is released and offered. */
    randombytes_buf (held, sizeof held);
    assert_int_equal (relay_insert (f->relay, held, "om-x", KETEN__MESSAGE_TYPE__INCIDENT_REGISTER,
                                    (const uint8_t *) "sealed", 6, 1000, NULL, "", "test", "om",
                                    &r),
                      0);
    assert_int_equal (relay_withdraw_one (f->relay, held, RELAY_WITHDRAWN_KIND, 5000, &r), 0);
    assert_true (relay_is_withdrawn (RELAY_WITHDRAWN));
    assert_true (relay_is_withdrawn (RELAY_WITHDRAWN_KIND));
    assert_false (relay_is_withdrawn ("expired: not receipted within delivery/max-age-s"));
    assert_false (relay_is_withdrawn (NULL));
}

typedef struct {
    char base[64];
    int64_t n;
    int calls;
} family_t;

static int
s_family (void *arg, const char *base, int64_t n, kt_reason_t *reason)
{
    (void) reason;
    family_t *fa = arg;
    snprintf (fa->base, sizeof fa->base, "%s", base);
    fa->n = n;
    fa->calls++;
    return 0;
}

static void
test_kind_family (void **state)
{
    fixture_t *f = *state;
    kt_reason_t r;
    uint8_t notice[KT_ID_LEN], gone[KT_ID_LEN];
    const char *origin = "correction/c-0123456789abcdef";
    s_kept (f, notice, "om-x", KETEN__MESSAGE_TYPE__CORRECTION_NOTICE, origin, "om");
    assert_int_equal (relay_withdraw_one (f->relay, notice, RELAY_WITHDRAWN_KIND, 5000, &r), 1);
    /*  Composed for the member's former kind: made again for it as it is. */
    family_t fa = {"", 0, 0};
    assert_int_equal (relay_each_expired_family (f->relay, "om-x", "correction/", strlen (origin),
                                                 s_family, &fa, &r),
                      0);
    assert_int_equal (fa.calls, 1);
    assert_string_equal (fa.base, origin);
    assert_int_equal (fa.n, 1);
    /*  One withdrawn because its member left is not. */
    s_kept (f, gone, "gemeente-x", KETEN__MESSAGE_TYPE__CORRECTION_NOTICE, origin, "gemeente/X");
    assert_true (relay_withdraw (f->relay, "gemeente-x", 5000, &r) == 1);
    fa = (family_t){"", 0, 0};
    assert_int_equal (relay_each_expired_family (f->relay, "gemeente-x", "correction/",
                                                 strlen (origin), s_family, &fa, &r),
                      0);
    assert_int_equal (fa.calls, 0);
}

static int
s_holder (void *arg, const char *text, kt_reason_t *reason)
{
    (void) reason;
    char *list = arg;
    strcat (list, text);
    strcat (list, " ");
    return 0;
}

/*  Who holds a subject's weegploeg agenda, for a correction's notices
 *  (art. 12.6): a copy accepted, pending or held - never one withdrawn
 *  (the member's kind changed: it may not have the subject), expired or
 *  refused, which the member does not keep. */
static void
test_case_holder (void **state)
{
    fixture_t *f = *state;
    kt_reason_t r;
    uint8_t id[KT_ID_LEN];
    const Keten__MessageType agenda = KETEN__MESSAGE_TYPE__WEEGPLOEG_AGENDA;
    s_kept (f, id, "a-pending", agenda, "meeting/w-1/0", "om");
    randombytes_buf (id, KT_ID_LEN);
    assert_int_equal (relay_insert (f->relay, id, "b-held", agenda, (const uint8_t *) "sealed", 6,
                                    1000, "meeting/w-1/0", "k-0123456789abcdef", "test", "om", &r),
                      0);
    s_kept (f, id, "c-accepted", agenda, "meeting/w-1/0", "om");
    assert_int_equal (relay_settle (f->relay, id, "c-accepted", true, NULL, 2000, &r), 1);
    s_kept (f, id, "d-withdrawn", agenda, "meeting/w-1/0", "om");
    assert_int_equal (relay_withdraw_one (f->relay, id, RELAY_WITHDRAWN_KIND, 2000, &r), 1);
    s_kept (f, id, "e-expired", agenda, "meeting/w-1/0", "om");
    assert_int_equal (relay_expire (f->relay, "e-expired", 2000, 3000, &r), 1);
    s_kept (f, id, "f-refused", agenda, "meeting/w-1/0", "om");
    assert_int_equal (
        relay_settle (f->relay, id, "f-refused", false, RELAY_DESTROYED_HERE, 2000, &r), 1);
    /*  Not an agenda: a notice is no agenda copy. */
    s_kept (f, id, "g-notice", KETEN__MESSAGE_TYPE__CORRECTION_NOTICE, "correction/c-1", "om");
    char list[256] = "";
    assert_int_equal (
        relay_each_case_holder (f->relay, "k-0123456789abcdef", "meeting/", s_holder, list, &r), 0);
    assert_string_equal (list, "a-pending b-held c-accepted ");
    /*  An expired copy a late receipt accepted after all is held. */
    s_kept (f, id, "h-late", agenda, "meeting/w-1/0", "om");
    assert_int_equal (relay_expire (f->relay, "h-late", 2000, 3000, &r), 1);
    assert_int_equal (relay_settle (f->relay, id, "h-late", true, NULL, 4000, &r), 1);
    *list = '\0';
    assert_int_equal (
        relay_each_case_holder (f->relay, "k-0123456789abcdef", "meeting/", s_holder, list, &r), 0);
    assert_string_equal (list, "a-pending b-held c-accepted h-late ");
    /*  A withdrawn copy the member took all the same (its receipt came
     *  after the withdrawal) is held. */
    s_kept (f, id, "i-taken", agenda, "meeting/w-1/0", "om");
    assert_int_equal (relay_withdraw_one (f->relay, id, RELAY_WITHDRAWN_KIND, 2000, &r), 1);
    assert_int_equal (relay_taken_late (f->relay, id, "i-taken", 3000, &r), 1);
    *list = '\0';
    assert_int_equal (
        relay_each_case_holder (f->relay, "k-0123456789abcdef", "meeting/", s_holder, list, &r), 0);
    assert_string_equal (list, "a-pending b-held c-accepted h-late i-taken ");
    /*  Every recipient still, for a destruction's notices. */
    *list = '\0';
    assert_int_equal (
        relay_each_case_recipient (f->relay, "k-0123456789abcdef", "meeting/", s_holder, list, &r),
        0);
    assert_string_equal (
        list, "a-pending b-held c-accepted d-withdrawn e-expired f-refused h-late i-taken ");
}

/*  Whether a copy of an origin counts as sent (the incident register,
 *  uitvoerder_incident.c): not when each one was withdrawn or refused. */
static void
test_origin_kept (void **state)
{
    fixture_t *f = *state;
    kt_reason_t r;
    uint8_t id[KT_ID_LEN];
    const Keten__MessageType reg = KETEN__MESSAGE_TYPE__INCIDENT_REGISTER;
    assert_int_equal (relay_has_origin_kept (f->relay, "i/a", &r), 0);
    s_kept (f, id, "om-x", reg, "i/a", "om");
    assert_int_equal (relay_withdraw_one (f->relay, id, RELAY_WITHDRAWN_KIND, 2000, &r), 1);
    s_kept (f, id, "om-x", reg, "i/b", "om");
    assert_int_equal (relay_settle (f->relay, id, "om-x", false, "not a kernpartij", 2000, &r), 1);
    assert_int_equal (relay_has_origin_kept (f->relay, "i/a", &r), 0);
    assert_int_equal (relay_has_origin_kept (f->relay, "i/b", &r), 0);
    assert_int_equal (relay_has_origin (f->relay, "i/a", &r), 1);
    /*  Pending, held, accepted or expired: sent. */
    s_kept (f, id, "om-x", reg, "i/c", "om");
    assert_int_equal (relay_has_origin_kept (f->relay, "i/c", &r), 1);
    randombytes_buf (id, KT_ID_LEN);
    assert_int_equal (relay_insert (f->relay, id, "om-x", reg, (const uint8_t *) "sealed", 6, 1000,
                                    "i/d", "", "test", "om", &r),
                      0);
    assert_int_equal (relay_has_origin_kept (f->relay, "i/d", &r), 1);
    s_kept (f, id, "om-y", reg, "i/e", "om");
    assert_int_equal (relay_expire (f->relay, "om-y", 2000, 3000, &r), 1);
    assert_int_equal (relay_has_origin_kept (f->relay, "i/e", &r), 1);
    /*  A second copy of an origin whose first was refused. */
    s_kept (f, id, "om-x", reg, "i/b", "om");
    assert_int_equal (relay_has_origin_kept (f->relay, "i/b", &r), 1);
}

/*  A fill that takes om-x's copies kept before 1500 as composed for a
 *  former kind, every other one of om-x's as composed for "om", and
 *  leaves om-z's (a member that left). */
static const char *
s_fill (void *arg, const char *recipient, Keten__MessageType type, uint64_t created_ms, char *out,
        size_t len)
{
    (void) type;
    int *calls = arg;
    (*calls)++;
    if (strcmp (recipient, "om-z") == 0)
        return NULL;
    if (strcmp (recipient, "om-x") == 0 && created_ms <= 1500)
        return RELAY_MADE_FOR_FORMER;
    snprintf (out, len, "%s", "om");
    return out;
}

/*  Copies kept before made_for was recorded: those still waiting are
 *  noted as fn says, in one pass; settled ones, and ones that say whom
 *  they were composed for, are not asked about. */
static void
test_fill_made_for (void **state)
{
    fixture_t *f = *state;
    kt_reason_t r;
    uint8_t id[KT_ID_LEN], gone[KT_ID_LEN];
    const Keten__MessageType agenda = KETEN__MESSAGE_TYPE__WEEGPLOEG_AGENDA;
    s_kept (f, id, "om-x", agenda, "meeting/w-1/0", ""); /* kept at 1000 */
    randombytes_buf (id, KT_ID_LEN);
    assert_int_equal (relay_insert (f->relay, id, "om-x", agenda, (const uint8_t *) "sealed", 6,
                                    2000, "meeting/w-2/0", "", "test", NULL, &r),
                      0);
    s_kept (f, id, "om-x", agenda, "meeting/w-3/0", "gemeente/X");
    s_kept (f, gone, "om-x", agenda, "meeting/w-4/0", "");
    assert_int_equal (relay_settle (f->relay, gone, "om-x", true, NULL, 2000, &r), 1);
    s_kept (f, id, "om-y", agenda, "meeting/w-1/0", "");
    s_kept (f, id, "om-z", agenda, "meeting/w-1/0", "");
    int calls = 0;
    assert_int_equal (relay_fill_made_for (f->relay, s_fill, &calls, &r), 3);
    assert_int_equal (calls, 4);
    assert_int_equal (s_count (f, "recipient='om-x' AND made_for='" RELAY_MADE_FOR_FORMER "'"), 1);
    assert_int_equal (s_count (f, "recipient='om-x' AND state=3 AND made_for='om'"), 1);
    assert_int_equal (s_count (f, "recipient='om-y' AND made_for='om'"), 1);
    assert_int_equal (s_count (f, "made_for=''"), 2); /* om-x's settled one, om-z's */
    calls = 0;
    assert_int_equal (relay_fill_made_for (f->relay, s_fill, &calls, &r), 0);
    assert_int_equal (calls, 1); /* om-z's, left as it was */
}

/*  At the upgrade every waiting correction notice of a member whose kind
 *  changed is noted as composed for its former kind, whatever made_for
 *  said; another type, another member, a settled copy stay as they are. */
static void
test_note_former (void **state)
{
    fixture_t *f = *state;
    kt_reason_t r;
    uint8_t id[KT_ID_LEN], done[KT_ID_LEN];
    const Keten__MessageType notice = KETEN__MESSAGE_TYPE__CORRECTION_NOTICE,
                             agenda = KETEN__MESSAGE_TYPE__WEEGPLOEG_AGENDA;
    s_kept (f, id, "om-x", notice, "correction/c-1/om-x", "gemeente/X");
    s_kept (f, id, "om-x", notice, "correction/c-2/om-x", "");
    s_kept (f, done, "om-x", notice, "correction/c-3/om-x", "gemeente/X");
    assert_int_equal (relay_settle (f->relay, done, "om-x", true, NULL, 2000, &r), 1);
    s_kept (f, id, "om-x", agenda, "meeting/w-1/0", "gemeente/X");
    s_kept (f, id, "om-y", notice, "correction/c-1/om-y", "om");
    assert_int_equal (relay_note_former (f->relay, "om-x", notice, &r), 2);
    assert_int_equal (
        s_count (f, "recipient='om-x' AND made_for='" RELAY_MADE_FOR_FORMER "' AND state=0"), 2);
    assert_int_equal (s_count (f, "recipient='om-x' AND made_for='gemeente/X'"), 2);
    assert_int_equal (s_count (f, "recipient='om-y' AND made_for='om'"), 1);
    assert_int_equal (relay_note_former (f->relay, "om-x", notice, &r), 0);
}

/*  A receipt relay_settle does not take: for a copy withdrawn from its
 *  sender, noted once as taken (the copy stays withdrawn, and now makes
 *  its member a holder); for another member's, or an expired copy, not. */
static void
test_taken_late (void **state)
{
    fixture_t *f = *state;
    kt_reason_t r;
    uint8_t id[KT_ID_LEN], expired[KT_ID_LEN], pending[KT_ID_LEN];
    bool holds = false;
    const Keten__MessageType agenda = KETEN__MESSAGE_TYPE__WEEGPLOEG_AGENDA;
    s_kept (f, id, "om-x", agenda, "meeting/w-1/0", "om");
    assert_int_equal (relay_taken_late (f->relay, id, "om-x", 1500, &r), 0); /* pending */
    assert_int_equal (relay_holds (f->relay, id, &holds, &r), 1);
    assert_true (holds);
    assert_int_equal (relay_withdraw_one (f->relay, id, RELAY_WITHDRAWN_KIND, 2000, &r), 1);
    assert_int_equal (relay_holds (f->relay, id, &holds, &r), 1);
    assert_false (holds);
    assert_int_equal (relay_settle (f->relay, id, "om-x", true, NULL, 3000, &r), 0);
    assert_int_equal (relay_taken_late (f->relay, id, "om-y", 3000, &r), 0);
    assert_int_equal (relay_taken_late (f->relay, id, "om-x", 3000, &r), 1);
    assert_int_equal (relay_taken_late (f->relay, id, "om-x", 3500, &r), 0); /* a repeat */
    assert_int_equal (s_count (f, "state=4 AND taken_ms=3000"), 1);
    assert_int_equal (relay_holds (f->relay, id, &holds, &r), 1);
    assert_true (holds);
    /*  An expired copy is settled by a late receipt instead. */
    s_kept (f, expired, "om-y", agenda, "meeting/w-1/0", "om");
    assert_int_equal (relay_expire (f->relay, "om-y", 2000, 3000, &r), 1);
    assert_int_equal (relay_taken_late (f->relay, expired, "om-y", 3000, &r), 0);
    assert_int_equal (relay_holds (f->relay, expired, &holds, &r), 1);
    assert_false (holds);
    randombytes_buf (pending, KT_ID_LEN);
    assert_int_equal (relay_holds (f->relay, pending, &holds, &r), 0); /* not kept */
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_withdraw_if, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_withdraw_one, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_kind_family, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_case_holder, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_origin_kept, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_fill_made_for, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_note_former, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_taken_late, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
