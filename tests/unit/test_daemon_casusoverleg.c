/*  The casusoverleg file on real SQLite files: a case opened by a decision
 *  to agenderen with its participants and a sealed copy of the signals
 *  (art. 8.5, 10.1-10.2), contributions and progress reports kept once by
 *  message id, plan versions kept in order (art. 10.2e), disclosures to an
 *  externe casuspartner recorded with the necessity sealed (art. 10.5),
 *  and a closure recorded before it is sent (art. 9.4).  Every person
 *  here is fictional.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include "casework.h"
#include "casusoverleg.h"
#include "disclosed.h"
#include "intake.h"
#include "items.h"
#include "keystore.h"
#include "plan.h"
#include "store.h"
#include "uitvoerder.h"

#include <dirent.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CASE "k-0123456789abcdef"

typedef struct {
    char dir[64];
    uint8_t storage_key[32];
    keystore_t *keystore;
    casusoverleg_t *casus;
    Keten__Signal *signal;             /* of the case's subject */
    weegploeg_case_signal_t copies[2]; /* as weegploeg_read_case gives them */
} fixture_t;

static void
s_open (fixture_t *f)
{
    char path[128];
    kt_reason_t r;
    snprintf (path, sizeof path, "%s/keys.db", f->dir);
    f->keystore = keystore_open (path, f->storage_key, &r);
    if (!f->keystore)
        fail_msg ("keystore_open: %s", r.text);
    snprintf (path, sizeof path, "%s/casusoverleg.db", f->dir);
    f->casus = casusoverleg_open (path, f->keystore, &r);
    if (!f->casus)
        fail_msg ("casusoverleg_open: %s", r.text);
}

static void
s_close (fixture_t *f)
{
    casusoverleg_destroy (&f->casus);
    keystore_destroy (&f->keystore);
}

static int
s_setup (void **state)
{
    fixture_t *f = calloc (1, sizeof *f);
    if (!f || testutil_tmpdir (f->dir, sizeof f->dir, "casusoverleg") != 0)
        return -1;
    randombytes_buf (f->storage_key, sizeof f->storage_key);
    s_open (f);
    static const char *text =
        "{\"subject\": {\"name\": \"Qzxvtest Persoon\", \"birth_date\": \"2001-04-12\","
        " \"municipality\": \"Maastricht\", \"bsn\": \"111222333\"},"
        " \"description\": \"Fictional test signal.\", \"category\": \"uitingen\","
        " \"observed_on\": \"2026-01-10\","
        " \"melder\": {\"name\": \"Agent Test\", \"contact\": \"test@politie.invalid\"},"
        " \"source\": {\"kind\": \"eigen\"}, \"legal_basis\": \"wpg-16\"}";
    kt_reason_t r;
    if (intake_signal_from_json (text, strlen (text), &f->signal, &r) != 0)
        fail_msg ("test signal does not pass the intake: %s", r.text);
    const char *senders[2] = {"politie-test", "om-test"};
    for (int i = 0; i < 2; i++) {
        randombytes_buf (f->copies[i].message_id, KT_ID_LEN);
        snprintf (f->copies[i].sender, sizeof f->copies[i].sender, "%s", senders[i]);
        f->copies[i].received_ms = 1000 + (uint64_t) i;
        f->copies[i].signal = f->signal; /* borrowed by both */
    }
    *state = f;
    return 0;
}

static int
s_teardown (void **state)
{
    fixture_t *f = *state;
    s_close (f);
    intake_signal_destroy (&f->signal);
    int rc = testutil_rmtree (f->dir);
    free (f);
    return rc;
}

/*  Open CASE as the decision to agenderen with parties, copying the first
 *  n_signals signals; 0 or -1 (reason in r). */
static int
s_open_case (fixture_t *f, const char *const *parties, size_t n_parties, size_t n_signals,
             kt_reason_t *r)
{
    Keten__WeegploegDecision d = KETEN__WEEGPLOEG_DECISION__INIT;
    d.decision_id = "d-00000000000000a1";
    d.case_ref = CASE;
    d.outcome = KETEN__DECISION_OUTCOME__AGENDEREN;
    d.referentiekader = "example-2026.1";
    d.analysis = "Fictional analysis.";
    d.parties = (char **) parties;
    d.n_parties = n_parties;
    d.decided_ms = 900;
    return casusoverleg_open_case (f->casus, &d, f->copies, n_signals, 2000, "gemeente-test", NULL,
                                   NULL, NULL, r);
}

static void
s_open_default (fixture_t *f)
{
    const char *parties[] = {"politie-test", "gemeente-test"};
    kt_reason_t r;
    if (s_open_case (f, parties, 2, 2, &r) != 0)
        fail_msg ("casusoverleg_open_case: %s", r.text);
}

static int64_t
s_count (fixture_t *f, const char *sql)
{
    return store_int (casusoverleg_db (f->casus), sql, -1);
}

/*  The case_refs of unsent closures as a JSON array. */
static int
s_unsent_row (void *arg, const char *case_ref, kt_reason_t *reason)
{
    (void) reason;
    json_array_append_new (arg, json_string (case_ref));
    return 0;
}

static json_t *
s_closures_unsent (casusoverleg_t *casus)
{
    json_t *list = json_array ();
    kt_reason_t r;
    assert_int_equal (casusoverleg_each_closure_unsent (casus, s_unsent_row, list, &r), 0);
    return list;
}

static void
test_agenderen_opens_the_case_with_its_participants (void **state)
{
    fixture_t *f = *state;
    s_open_default (f);
    casus_info_t info;
    uint8_t key[KEYSTORE_KEY_LEN];
    kt_reason_t r;
    assert_int_equal (casusoverleg_case (f->casus, CASE, &info, key, &r), 0);
    sodium_memzero (key, sizeof key);
    assert_string_equal (info.case_ref, CASE);
    assert_false (info.closed);
    assert_int_equal (info.n_participants, 2);
    assert_true (casus_info_has (&info, "politie-test"));
    assert_true (casus_info_has (&info, "gemeente-test"));
    assert_false (casus_info_has (&info, "om-test"));
    /*  art. 10.2a-c: both signals, with who brought each in. */
    assert_int_equal (s_count (f, "SELECT count(*) FROM casus_signal"), 2);
    assert_int_equal (s_count (f, "SELECT count(*) FROM casus_signal WHERE sender='om-test'"), 1);
}

static void
test_opening_again_adds_what_is_missing_and_takes_the_new_participants (void **state)
{
    fixture_t *f = *state;
    const char *first[] = {"politie-test"};
    kt_reason_t r;
    assert_int_equal (s_open_case (f, first, 1, 1, &r), 0);
    const char *second[] = {"politie-test", "om-test", "gemeente-test"};
    assert_int_equal (s_open_case (f, second, 3, 2, &r), 0);
    casus_info_t info;
    assert_int_equal (casusoverleg_case (f->casus, CASE, &info, NULL, &r), 0);
    assert_int_equal (info.n_participants, 3);
    assert_true (casus_info_has (&info, "om-test"));
    /*  The signal copied the first time is not copied twice. */
    assert_int_equal (s_count (f, "SELECT count(*) FROM casus_signal"), 2);
    assert_int_equal (s_count (f, "SELECT count(*) FROM casus"), 1);
}

static void
test_an_unknown_case_is_refused (void **state)
{
    fixture_t *f = *state;
    casus_info_t info;
    kt_reason_t r;
    assert_int_equal (casusoverleg_case (f->casus, "k-fedcba9876543210", &info, NULL, &r), -1);
    assert_non_null (strstr (r.text, "no case"));
    Keten__CaseContribution c = KETEN__CASE_CONTRIBUTION__INIT;
    c.case_ref = "k-fedcba9876543210";
    c.kind = "informatie";
    c.legal_basis = "wpg-16";
    uint8_t id[KT_ID_LEN];
    randombytes_buf (id, sizeof id);
    assert_int_equal (casusoverleg_store_contribution (f->casus, id, "politie-test", &c, 7, &r),
                      -1);
    assert_int_equal (s_count (f, "SELECT count(*) FROM contribution"), 0);
}

static void
test_a_contribution_is_kept_once_and_known_by_its_sender (void **state)
{
    fixture_t *f = *state;
    s_open_default (f);
    Keten__CaseContribution c = KETEN__CASE_CONTRIBUTION__INIT;
    c.case_ref = CASE;
    c.kind = "informatie";
    c.legal_basis = "wpg-16";
    uint8_t id[KT_ID_LEN];
    randombytes_buf (id, sizeof id);
    kt_reason_t r;
    sqlite3 *db = casusoverleg_db (f->casus);
    assert_int_equal (store_begin (db, &r), 0);
    assert_int_equal (casusoverleg_store_contribution (f->casus, id, "politie-test", &c, 7, &r), 0);
    assert_int_equal (store_commit (db, &r), 0);

    uint64_t log_index = 0;
    assert_int_equal (casusoverleg_seen (f->casus, id, "politie-test", &log_index), 1);
    assert_int_equal (log_index, 7);
    /*  The same id from another party: an id reused, not a repeat. */
    assert_int_equal (casusoverleg_seen (f->casus, id, "om-test", &log_index), -1);
    uint8_t other[KT_ID_LEN];
    randombytes_buf (other, sizeof other);
    assert_int_equal (casusoverleg_seen (f->casus, other, "politie-test", &log_index), 0);
    /*  A retried message is stored once. */
    assert_int_equal (casusoverleg_store_contribution (f->casus, id, "politie-test", &c, 8, &r),
                      -1);
    assert_int_equal (s_count (f, "SELECT count(*) FROM contribution"), 1);
}

static void
test_a_progress_report_is_applied_once (void **state)
{
    fixture_t *f = *state;
    s_open_default (f);
    uint8_t id[KT_ID_LEN];
    randombytes_buf (id, sizeof id);
    kt_reason_t r;
    assert_int_equal (casusoverleg_record_progress (f->casus, id, "gemeente-test", CASE, 2, 11, &r),
                      0);
    uint64_t log_index = 0;
    assert_int_equal (casusoverleg_seen (f->casus, id, "gemeente-test", &log_index), 1);
    assert_int_equal (log_index, 11);
    assert_int_equal (casusoverleg_seen (f->casus, id, "politie-test", &log_index), -1);
    assert_int_equal (casusoverleg_record_progress (f->casus, id, "gemeente-test", CASE, 2, 12, &r),
                      -1);
}

/*  Store plan version of CASE under the case key; 0 or -1. */
static int
s_store_plan (fixture_t *f, uint32_t version, const char *what, kt_reason_t *r)
{
    Keten__PlanMeasure m = KETEN__PLAN_MEASURE__INIT;
    m.measure_id = "m-0000000a";
    m.owner = "gemeente-test";
    m.what = (char *) what;
    m.due_on = "2030-01-31";
    Keten__PlanMeasure *measures[] = {&m};
    Keten__CasePlan p = KETEN__CASE_PLAN__INIT;
    p.case_ref = CASE;
    p.version = version;
    p.measures = measures;
    p.n_measures = 1;
    casus_info_t info;
    uint8_t key[KEYSTORE_KEY_LEN];
    if (casusoverleg_case (f->casus, CASE, &info, key, r) != 0)
        return -1;
    int rc = plan_store (casusoverleg_db (f->casus), &p, key, true, r);
    sodium_memzero (key, sizeof key);
    return rc;
}

/*  The measure text of version (0: the newest) of CASE's plan. */
static void
s_plan_what (fixture_t *f, uint32_t version, char *out, size_t len)
{
    casus_info_t info;
    uint8_t key[KEYSTORE_KEY_LEN];
    kt_reason_t r;
    assert_int_equal (casusoverleg_case (f->casus, CASE, &info, key, &r), 0);
    Keten__CasePlan *p = NULL;
    int rc = plan_load (casusoverleg_db (f->casus), CASE, version, key, &p, &r);
    sodium_memzero (key, sizeof key);
    if (rc != 0)
        fail_msg ("plan_load: %s", r.text);
    assert_non_null (p);
    assert_int_equal (p->n_measures, 1);
    snprintf (out, len, "%u:%s", (unsigned) p->version, p->measures[0]->what);
    keten__case_plan__free_unpacked (p, NULL);
}

static void
test_plan_versions_are_kept_in_order (void **state)
{
    fixture_t *f = *state;
    s_open_default (f);
    kt_reason_t r;
    assert_int_equal (s_store_plan (f, 1, "Eerste afspraak", &r), 0);
    /*  art. 10.2e: every version is kept, and the uitvoerder makes them in
     *  order: no gap, no second version 1. */
    assert_int_equal (s_store_plan (f, 3, "Te vroeg", &r), -1);
    assert_non_null (strstr (r.text, "does not follow"));
    assert_int_equal (s_store_plan (f, 1, "Nog eens", &r), -1);
    assert_int_equal (s_store_plan (f, 2, "Tweede afspraak", &r), 0);
    char what[64];
    s_plan_what (f, 0, what, sizeof what);
    assert_string_equal (what, "2:Tweede afspraak");
    s_plan_what (f, 1, what, sizeof what);
    assert_string_equal (what, "1:Eerste afspraak");
    /*  Sealed under the case's key: another key reads nothing. */
    uint8_t wrong[KEYSTORE_KEY_LEN];
    randombytes_buf (wrong, sizeof wrong);
    Keten__CasePlan *p = NULL;
    assert_int_equal (plan_load (casusoverleg_db (f->casus), CASE, 1, wrong, &p, &r), -1);
    assert_null (p);
}

static void
test_a_disclosure_is_recorded_with_its_necessity_sealed (void **state)
{
    fixture_t *f = *state;
    s_open_default (f);
    char *consenting[] = {"politie-test", "gemeente-test"};
    char *kinds[] = {"adres"};
    Keten__DisclosureConsent d = KETEN__DISCLOSURE_CONSENT__INIT;
    d.case_ref = CASE;
    d.consenting = consenting;
    d.n_consenting = 2;
    d.necessity = "Qzxvnecessity for the plan";
    d.data_kinds = kinds;
    d.n_data_kinds = 1;
    d.consented_ms = 3000;
    uint8_t id[KT_ID_LEN];
    randombytes_buf (id, sizeof id);
    kt_reason_t r;
    assert_int_equal (casusoverleg_record_disclosure (f->casus, &d, "extern-test", 1000, id, &r),
                      0);
    assert_int_equal (s_count (f, "SELECT count(*) FROM disclosure WHERE recipient='extern-test'"
                                  " AND consenting='politie-test,gemeente-test'"
                                  " AND data_kinds='adres'"),
                      1);
    /*  To an unknown case nothing is recorded. */
    d.case_ref = "k-fedcba9876543210";
    assert_int_equal (casusoverleg_record_disclosure (f->casus, &d, "extern-test", 1000, id, &r),
                      -1);
    assert_int_equal (s_count (f, "SELECT count(*) FROM disclosure"), 1);
}

static int
s_place_row (void *arg, const disclosed_t *row, kt_reason_t *reason)
{
    (void) reason;
    json_array_append_new (arg, json_pack ("{s:s, s:i, s:i}", "to", row->recipient, "position",
                                           (int) row->position, "item", (int) row->item_index));
    return 0;
}

/*  art. 9.2, 10.4-10.5, 12.5: where each item of a disclosure came from
 *  is kept beside it, and a correction makes a place read as the item
 *  does now - archived or not - sealed again; the same change again
 *  writes nothing; the places go with the case (art. 13). */
static void
test_a_disclosed_place_is_found_by_its_source_and_follows_a_correction (void **state)
{
    fixture_t *f = *state;
    s_open_default (f);
    Keten__SignalItem one = KETEN__SIGNAL_ITEM__INIT, two = KETEN__SIGNAL_ITEM__INIT;
    one.kind = two.kind = KETEN__ITEM_KIND__FACT;
    one.text = "Qzxvfirst (fictief).";
    two.text = "Qzxvsecond (fictief).";
    Keten__SignalItem *items[2] = {&one, &two};
    char *consenting[] = {"politie-test"}, *kinds[] = {"adres"};
    Keten__DisclosureConsent d = KETEN__DISCLOSURE_CONSENT__INIT;
    d.case_ref = CASE;
    d.consenting = consenting;
    d.n_consenting = 1;
    d.necessity = "Nodig voor het plan.";
    d.data_kinds = kinds;
    d.n_data_kinds = 1;
    d.items = items;
    d.n_items = 2;
    uint8_t id[KT_ID_LEN];
    randombytes_buf (id, sizeof id);
    const uint8_t *sources[2] = {f->copies[0].message_id, NULL};
    uint32_t indexes[2] = {3, 0};
    kt_reason_t r;
    sqlite3 *db = casusoverleg_db (f->casus);
    assert_int_equal (casusoverleg_record_disclosure (f->casus, &d, "extern-test", 1000, id, &r),
                      0);
    assert_int_equal (disclosed_record (db, CASE, id, "extern-test", 2, sources, indexes, &r), 0);
    /*  Recorded again (a resumed record): the same rows. */
    assert_int_equal (disclosed_record (db, CASE, id, "extern-test", 2, sources, indexes, &r), 0);
    json_t *places = json_array ();
    assert_int_equal (disclosed_each (db, CASE, f->copies[0].message_id, s_place_row, places, &r),
                      0);
    char *got = json_dumps (places, JSON_COMPACT);
    assert_string_equal (got, "[{\"to\":\"extern-test\",\"position\":0,\"item\":3}]");
    free (got);
    json_decref (places);

    /*  Archived (art. 13.2), the file's own upkeep still reaches it. */
    assert_int_equal (casusoverleg_set_archived (f->casus, CASE, true, &r), 0);
    Keten__SignalItem fixed = one, empty;
    fixed.text = "Qzxvfixed (fictief).";
    assert_int_equal (casusoverleg_disclosure_set_item (f->casus, CASE, id, 0, &fixed, &r), 1);
    assert_int_equal (casusoverleg_disclosure_set_item (f->casus, CASE, id, 0, &fixed, &r), 0);
    const Keten__SignalItem *gone =
        items_passed_as (KETEN__CORRECTION_ACTION__DELETE, NULL, &empty);
    assert_int_equal (casusoverleg_disclosure_set_item (f->casus, CASE, id, 1, gone, &r), 1);
    assert_int_equal (casusoverleg_disclosure_set_item (f->casus, CASE, id, 2, gone, &r), -1);
    Keten__DisclosureConsent *back = NULL;
    assert_int_equal (casusoverleg_disclosure_any (f->casus, CASE, id, &back, &r), 0);
    assert_string_equal (back->items[0]->text, "Qzxvfixed (fictief).");
    assert_true (back->items[1]->deleted);
    assert_string_equal (back->items[1]->text, "");
    assert_string_equal (back->necessity, "Nodig voor het plan.");
    keten__disclosure_consent__free_unpacked (back, NULL);
    assert_int_equal (casusoverleg_set_archived (f->casus, CASE, false, &r), 0);

    assert_int_equal (casusoverleg_forget_case (f->casus, CASE, &r), 0);
    assert_int_equal (s_count (f, "SELECT count(*) FROM disclosed_item"), 0);
}

static int
s_disclosure_unsent_row (void *arg, const casusoverleg_disclosure_t *row, kt_reason_t *reason)
{
    (void) reason;
    json_array_append_new (arg, json_pack ("{s:s, s:s, s:i, s:i}", "case_ref", row->case_ref, "to",
                                           row->recipient, "uid", (int) row->uid, "step",
                                           (int) row->step));
    return 0;
}

static int
s_plan_unsent_row (void *arg, const char *case_ref, uint32_t version, kt_reason_t *reason)
{
    (void) reason;
    json_array_append_new (
        arg, json_pack ("{s:s, s:i}", "case_ref", case_ref, "version", (int) version));
    return 0;
}

static void
test_a_disclosure_is_resumed_from_the_step_recorded (void **state)
{
    fixture_t *f = *state;
    s_open_default (f);
    char *consenting[] = {"politie-test"};
    char *kinds[] = {"adres"};
    Keten__DisclosureConsent d = KETEN__DISCLOSURE_CONSENT__INIT;
    d.case_ref = CASE;
    d.consenting = consenting;
    d.n_consenting = 1;
    d.necessity = "Nodig voor het plan.";
    d.data_kinds = kinds;
    d.n_data_kinds = 1;
    d.consented_ms = 3000;
    uint8_t id[KT_ID_LEN];
    randombytes_buf (id, sizeof id);
    kt_reason_t r;
    assert_int_equal (casusoverleg_record_disclosure (f->casus, &d, "extern-test", 1000, id, &r),
                      0);
    /*  art. 10.5: recorded, neither logged nor sent; a restart finds it
     *  at that step, with what it needs to log and send it. */
    s_close (f);
    s_open (f);
    json_t *list = json_array ();
    assert_int_equal (
        casusoverleg_each_disclosure_unsent (f->casus, s_disclosure_unsent_row, list, &r), 0);
    assert_int_equal (json_array_size (list), 1);
    json_t *row = json_array_get (list, 0);
    assert_string_equal (json_string_value (json_object_get (row, "to")), "extern-test");
    assert_int_equal (json_integer_value (json_object_get (row, "uid")), 1000);
    assert_int_equal (json_integer_value (json_object_get (row, "step")), CASUS_STEP_RECORDED);
    json_decref (list);
    Keten__DisclosureConsent *back = NULL;
    assert_int_equal (casusoverleg_disclosure (f->casus, CASE, id, &back, &r), 0);
    assert_string_equal (back->necessity, "Nodig voor het plan.");
    keten__disclosure_consent__free_unpacked (back, NULL);
    /*  Under another id the sealed body does not open. */
    uint8_t other[KT_ID_LEN];
    randombytes_buf (other, sizeof other);
    assert_int_equal (casusoverleg_disclosure (f->casus, CASE, other, &back, &r), -1);
    assert_null (back);

    assert_int_equal (casusoverleg_disclosure_done (f->casus, id, CASUS_STEP_LOGGED, &r), 0);
    list = json_array ();
    assert_int_equal (
        casusoverleg_each_disclosure_unsent (f->casus, s_disclosure_unsent_row, list, &r), 0);
    assert_int_equal (json_integer_value (json_object_get (json_array_get (list, 0), "step")),
                      CASUS_STEP_LOGGED);
    json_decref (list);
    assert_int_equal (casusoverleg_disclosure_done (f->casus, id, CASUS_STEP_SENT, &r), 0);
    list = json_array ();
    assert_int_equal (
        casusoverleg_each_disclosure_unsent (f->casus, s_disclosure_unsent_row, list, &r), 0);
    assert_int_equal (json_array_size (list), 0);
    json_decref (list);
}

static void
test_a_plan_version_stays_unsent_until_marked_sent (void **state)
{
    fixture_t *f = *state;
    s_open_default (f);
    kt_reason_t r;
    sqlite3 *db = casusoverleg_db (f->casus);
    /*  Marked in the transaction that stores the version: a rollback
     *  leaves neither. */
    assert_int_equal (store_begin (db, &r), 0);
    assert_int_equal (casusoverleg_plan_unsent (f->casus, CASE, 1, &r), 0);
    store_rollback (db);
    assert_int_equal (casusoverleg_plan_unsent (f->casus, CASE, 1, &r), 0);
    assert_int_equal (casusoverleg_plan_unsent (f->casus, CASE, 2, &r), 0);
    s_close (f);
    s_open (f);
    json_t *list = json_array ();
    assert_int_equal (casusoverleg_each_plan_unsent (f->casus, s_plan_unsent_row, list, &r), 0);
    assert_int_equal (json_array_size (list), 2);
    assert_int_equal (json_integer_value (json_object_get (json_array_get (list, 0), "version")),
                      1);
    json_decref (list);
    assert_int_equal (casusoverleg_plan_sent (f->casus, CASE, 1, &r), 0);
    list = json_array ();
    assert_int_equal (casusoverleg_each_plan_unsent (f->casus, s_plan_unsent_row, list, &r), 0);
    assert_int_equal (json_array_size (list), 1);
    assert_int_equal (json_integer_value (json_object_get (json_array_get (list, 0), "version")),
                      2);
    json_decref (list);
}

static void
test_closing_records_the_decision_before_it_is_sent (void **state)
{
    fixture_t *f = *state;
    s_open_default (f);
    char *decided_by[] = {"politie-test", "gemeente-test"};
    Keten__CaseClosure c = KETEN__CASE_CLOSURE__INIT;
    c.case_ref = CASE;
    c.advice = "Doelen bereikt.";
    c.decided_by = decided_by;
    c.n_decided_by = 2;
    c.closed_ms = 4000;
    kt_reason_t r;
    assert_int_equal (casusoverleg_close (f->casus, &c, &r), 0);

    casus_info_t info;
    assert_int_equal (casusoverleg_case (f->casus, CASE, &info, NULL, &r), 0);
    assert_true (info.closed);
    Keten__CaseClosure *back = NULL;
    casus_step_t step = CASUS_STEP_SENT;
    assert_int_equal (casusoverleg_closure (f->casus, CASE, &back, &step, &r), 0);
    assert_string_equal (back->advice, "Doelen bereikt.");
    assert_int_equal (back->n_decided_by, 2);
    assert_int_equal (back->closed_ms, 4000);
    keten__case_closure__free_unpacked (back, NULL);
    /*  art. 9.4: recorded, not yet told - a restart resumes it. */
    assert_int_equal (step, CASUS_STEP_RECORDED);
    json_t *unsent = s_closures_unsent (f->casus);
    assert_int_equal (json_array_size (unsent), 1);
    assert_string_equal (json_string_value (json_array_get (unsent, 0)), CASE);
    json_decref (unsent);

    assert_int_equal (casusoverleg_closure_done (f->casus, CASE, CASUS_STEP_LOGGED, &r), 0);
    assert_int_equal (casusoverleg_closure (f->casus, CASE, &back, &step, &r), 0);
    keten__case_closure__free_unpacked (back, NULL);
    assert_int_equal (step, CASUS_STEP_LOGGED);
    assert_int_equal (casusoverleg_closure_done (f->casus, CASE, CASUS_STEP_SENT, &r), 0);
    unsent = s_closures_unsent (f->casus);
    assert_int_equal (json_array_size (unsent), 0);
    json_decref (unsent);
}

static void
test_only_an_open_case_is_closed (void **state)
{
    fixture_t *f = *state;
    s_open_default (f);
    kt_reason_t r;
    Keten__CaseClosure *back = NULL;
    /*  Open: there is no closure to read. */
    assert_int_equal (casusoverleg_closure (f->casus, CASE, &back, NULL, &r), -1);
    assert_null (back);
    assert_non_null (strstr (r.text, "not closed"));
    Keten__CaseClosure c = KETEN__CASE_CLOSURE__INIT;
    c.case_ref = CASE;
    c.advice = "Eerste besluit.";
    c.closed_ms = 4000;
    assert_int_equal (casusoverleg_close (f->casus, &c, &r), 0);
    /*  Closed: a second closure does not replace the first. */
    c.advice = "Tweede besluit.";
    assert_int_equal (casusoverleg_close (f->casus, &c, &r), -1);
    assert_non_null (strstr (r.text, "not open"));
    assert_int_equal (casusoverleg_closure (f->casus, CASE, &back, NULL, &r), 0);
    assert_string_equal (back->advice, "Eerste besluit.");
    keten__case_closure__free_unpacked (back, NULL);
    /*  Unknown: refused. */
    c.case_ref = "k-fedcba9876543210";
    assert_int_equal (casusoverleg_close (f->casus, &c, &r), -1);
}

/*  art. 10.5: the supplying party and its items are found by message id;
 *  a consent covers exactly the items it names, for its recipient only,
 *  with the necessity sealed. */
static void
test_a_consent_covers_its_items_for_its_recipient_only (void **state)
{
    fixture_t *f = *state;
    s_open_default (f);
    casus_info_t info;
    uint8_t key[KEYSTORE_KEY_LEN];
    kt_reason_t r;
    assert_int_equal (casusoverleg_case (f->casus, CASE, &info, key, &r), 0);
    casusoverleg_supplied_t s;
    assert_int_equal (casusoverleg_supplied (f->casus, CASE, f->copies[0].message_id, key, &s, &r),
                      1);
    assert_string_equal (s.sender, "politie-test");
    assert_non_null (s.signal);
    assert_null (s.contribution);
    casusoverleg_supplied_free (&s);
    uint8_t unknown[KT_ID_LEN] = {0};
    assert_int_equal (casusoverleg_supplied (f->casus, CASE, unknown, key, &s, &r), 0);

    Keten__ItemRef ref = KETEN__ITEM_REF__INIT, *refs[1] = {&ref};
    ref.message_id.data = f->copies[0].message_id;
    ref.message_id.len = KT_ID_LEN;
    ref.index = 1;
    char *kinds[1] = {"gezinssituatie"};
    Keten__ConsentDecision c = KETEN__CONSENT_DECISION__INIT;
    c.to = "nctv-test";
    c.items = refs;
    c.n_items = 1;
    c.necessity = "Qzxv noodzaak.";
    c.data_kinds = kinds;
    c.n_data_kinds = 1;
    Keten__CaseDecision d = KETEN__CASE_DECISION__INIT;
    d.case_ref = CASE;
    d.consent = &c;
    casework_item_t item;
    memcpy (item.source_id, f->copies[0].message_id, KT_ID_LEN);
    item.index = 1;
    uint8_t id[KT_ID_LEN];
    randombytes_buf (id, sizeof id);
    sqlite3 *db = casusoverleg_db (f->casus);
    assert_int_equal (store_begin (db, &r), 0);
    assert_int_equal (casework_store_consent (db, key, id, "politie-test", &d, &item, 1, 5, &r), 0);
    assert_int_equal (store_commit (db, &r), 0);

    uint8_t found[KT_ID_LEN];
    assert_int_equal (
        casework_consent_for (db, CASE, "nctv-test", f->copies[0].message_id, 1, found, &r), 1);
    assert_memory_equal (found, id, KT_ID_LEN);
    /*  Another item of the same message, another recipient: no consent. */
    assert_int_equal (
        casework_consent_for (db, CASE, "nctv-test", f->copies[0].message_id, 0, found, &r), 0);
    assert_int_equal (
        casework_consent_for (db, CASE, "extern2-test", f->copies[0].message_id, 1, found, &r), 0);
    Keten__CaseDecision *back = NULL;
    char sender[65];
    assert_int_equal (casework_consent (db, key, id, &back, sender, &r), 0);
    assert_string_equal (sender, "politie-test");
    assert_string_equal (back->consent->necessity, "Qzxv noodzaak.");
    keten__case_decision__free_unpacked (back, NULL);
    uint64_t log_index = 0;
    assert_int_equal (casework_seen (db, id, "politie-test", &log_index), 1);
    assert_int_equal (log_index, 5);
    assert_int_equal (casework_seen (db, id, "gemeente-test", &log_index), 2);
    sodium_memzero (key, sizeof key);
    /*  The necessity is sealed; the case's destruction takes the consent. */
    assert_int_equal (s_count (f, "SELECT count(*) FROM consent WHERE instr(body, 'Qzxv') > 0"), 0);
    assert_int_equal (casusoverleg_forget_case (f->casus, CASE, &r), 0);
    assert_int_equal (s_count (f, "SELECT count(*) FROM consent") +
                          s_count (f, "SELECT count(*) FROM consent_item"),
                      0);
}

/*  art. 6b, 9.2, 10.4, 10.5: whether an item may go somewhere depends on
 *  the recipient.  Art. 9/10 Wpg data reaches the gemeente concerned and
 *  the OM only; a legal basis reaches the roles its row names for the
 *  casusoverleg (wpg-16 never an externe casuspartner, wpg-18-2 nobody);
 *  a blocked item nothing.
 *  The reason names the item and the recipient. */
static void
test_an_item_goes_only_to_a_recipient_its_data_may_reach (void **state)
{
    (void) state;
    Keten__SignalItem it0 = KETEN__SIGNAL_ITEM__INIT, it1 = KETEN__SIGNAL_ITEM__INIT;
    it0.kind = KETEN__ITEM_KIND__FACT;
    it0.text = "Qzxv feit (fictief).";
    it1 = it0;
    it1.blocked = true;
    Keten__SignalItem *items[2] = {&it0, &it1};
    Keten__Signal sig = KETEN__SIGNAL__INIT;
    sig.legal_basis = "wpg-16";
    sig.items = items;
    sig.n_items = 2;
    casusoverleg_supplied_t s = {"politie-test", &sig, NULL};
    roster_member_t gemeente = {.id = "gemeente-maastricht", .kind = "gemeente",
                                .municipality = "Maastricht", .role = ROLE_KERNPARTIJ};
    roster_member_t heerlen = {.id = "gemeente-heerlen", .kind = "gemeente",
                               .municipality = "Heerlen", .role = ROLE_KERNPARTIJ};
    roster_member_t om = {.id = "om-test", .kind = "om", .role = ROLE_KERNPARTIJ};
    Keten__Subject subject = KETEN__SUBJECT__INIT;
    subject.municipality = "Maastricht";
    sig.subject = &subject;
    roster_member_t rvdk = {.id = "rvdk-test", .role = ROLE_CASUSPARTIJ};
    roster_member_t nctv = {.id = "nctv-test", .role = ROLE_EXTERN};
    uint8_t id[KT_ID_LEN];
    memset (id, 0xab, sizeof id);
    kt_reason_t r;
    /*  wpg-16: the weegploeg and the casusoverleg, never an extern. */
    assert_int_equal (uitvoerder_casework_item_ok (&s, id, 0, &gemeente, &r), 0);
    assert_int_equal (uitvoerder_casework_item_ok (&s, id, 0, &rvdk, &r), 0);
    assert_int_equal (uitvoerder_casework_item_ok (&s, id, 0, &nctv, &r), -1);
    assert_non_null (strstr (r.text, "held under wpg-16, which does not allow sharing with an "
                                     "externe casuspartner (nctv-test)"));
    /*  art. 18.2 Wpg data is the weegploeg's only: passed on in the
     *  casusoverleg to nobody, a kernpartij included. */
    it0.legal_basis = "wpg-18-2";
    assert_int_equal (uitvoerder_casework_item_ok (&s, id, 0, &gemeente, &r), -1);
    assert_non_null (strstr (r.text, "held under wpg-18-2"));
    assert_int_equal (uitvoerder_casework_item_ok (&s, id, 0, &rvdk, &r), -1);
    assert_non_null (strstr (r.text, "a casuspartij (rvdk-test)"));
    it0.legal_basis = "";
    /*  art. 6b: art. 9/10 Wpg data to the gemeente concerned and the OM
     *  only: not another gemeente, no casuspartij, no extern. */
    sig.wpg_basis = KETEN__WPG_BASIS__WPG_ART_9_10;
    assert_int_equal (uitvoerder_casework_item_ok (&s, id, 0, &gemeente, &r), 0);
    assert_int_equal (uitvoerder_casework_item_ok (&s, id, 0, &om, &r), 0);
    assert_int_equal (uitvoerder_casework_item_ok (&s, id, 0, &heerlen, &r), -1);
    assert_non_null (strstr (r.text, "never to gemeente-heerlen, another gemeente"));
    assert_int_equal (uitvoerder_casework_item_ok (&s, id, 0, &rvdk, &r), -1);
    assert_non_null (strstr (r.text, ":0 is art. 9/10 Wpg data"));
    assert_non_null (strstr (r.text, "never to rvdk-test, a casuspartij"));
    assert_int_equal (uitvoerder_casework_item_ok (&s, id, 0, &nctv, &r), -1);
    assert_non_null (strstr (r.text, "never to nctv-test, an externe casuspartner"));
    /*  art. 12.5: a blocked item goes nowhere; an index past the end is
     *  no item.  No reason carries the data. */
    assert_int_equal (uitvoerder_casework_item_ok (&s, id, 1, &gemeente, &r), -1);
    assert_non_null (strstr (r.text, "blocked or deleted"));
    assert_int_equal (uitvoerder_casework_item_ok (&s, id, 2, &gemeente, &r), -1);
    assert_null (strstr (r.text, "Qzxv"));
}

/*  art. 9.2, 10.4: a consent or share goes to a participant of the case
 *  that is an active member, not back to the party that supplied the
 *  items and not to the uitvoerder; a share never to an externe
 *  casuspartner (art. 10.5: consent and disclose), a consent may. */
static void
test_a_share_goes_to_other_active_participants_only (void **state)
{
    (void) state;
    roster_member_t m[] = {
        {.id = "uitvoerder-test", .role = ROLE_UITVOERDER},
        {.id = "politie-test", .role = ROLE_KERNPARTIJ},
        {.id = "gemeente-test", .role = ROLE_KERNPARTIJ},
        {.id = "rvdk-test", .role = ROLE_CASUSPARTIJ},
        {.id = "nctv-test", .role = ROLE_EXTERN},
        {.id = "heerlen-test", .role = ROLE_KERNPARTIJ},
        {.id = "gone-test", .role = ROLE_KERNPARTIJ, .leaves_at = "2020-01-01"},
    };
    roster_t roster = {.member_count = sizeof m / sizeof m[0], .members = m};
    casus_info_t info = {.case_ref = CASE};
    const char *parts[] = {"politie-test", "gemeente-test", "rvdk-test",
                           "nctv-test",    "gone-test",     "uitvoerder-test"};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        snprintf (info.participants[info.n_participants++], 65, "%s", parts[i]);
    uint64_t now = kt_now_ms ();
    const roster_member_t *to = NULL;
    kt_reason_t r;
    assert_int_equal (uitvoerder_casework_recipient_of (&roster, &info, "politie-test",
                                                        "gemeente-test", false, now, &to, &r),
                      0);
    assert_string_equal (to->id, "gemeente-test");
    assert_int_equal (uitvoerder_casework_recipient_of (&roster, &info, "politie-test", "rvdk-test",
                                                        false, now, &to, &r),
                      0);
    assert_int_equal (uitvoerder_casework_recipient_of (&roster, &info, "politie-test",
                                                        "politie-test", false, now, &to, &r),
                      -1);
    assert_non_null (strstr (r.text, "supplied the items itself"));
    static const char *const outsiders[] = {"heerlen-test", "nobody-test", "uitvoerder-test"};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal (uitvoerder_casework_recipient_of (&roster, &info, "politie-test",
                                                            outsiders[i], false, now, &to, &r),
                          -1);
        assert_non_null (strstr (r.text, "is not a participant of case " CASE));
    }
    assert_int_equal (uitvoerder_casework_recipient_of (&roster, &info, "politie-test", "gone-test",
                                                        false, now, &to, &r),
                      -1);
    assert_non_null (strstr (r.text, "no longer an active member"));
    /*  An externe casuspartner: by consent (and disclose), not by share. */
    assert_int_equal (uitvoerder_casework_recipient_of (&roster, &info, "politie-test", "nctv-test",
                                                        false, now, &to, &r),
                      -1);
    assert_non_null (strstr (r.text, "keten case disclose"));
    assert_int_equal (uitvoerder_casework_recipient_of (&roster, &info, "politie-test", "nctv-test",
                                                        true, now, &to, &r),
                      0);
}

/*  art. 9.2, 10.4: a participant's share decision is kept once by message
 *  id and known by its sender; what went to a recipient is a disclosure
 *  record with shared set, the necessity sealed; the case's destruction
 *  takes both. */
static void
test_a_share_is_kept_sealed_and_recorded_per_recipient (void **state)
{
    fixture_t *f = *state;
    s_open_default (f);
    casus_info_t info;
    uint8_t key[KEYSTORE_KEY_LEN];
    kt_reason_t r;
    assert_int_equal (casusoverleg_case (f->casus, CASE, &info, key, &r), 0);
    Keten__ItemRef ref = KETEN__ITEM_REF__INIT, *refs[1] = {&ref};
    ref.message_id.data = f->copies[0].message_id;
    ref.message_id.len = KT_ID_LEN;
    char *kinds[1] = {"netwerk"}, *to[1] = {"gemeente-test"};
    Keten__ShareDecision sd = KETEN__SHARE_DECISION__INIT;
    sd.to = to;
    sd.n_to = 1;
    sd.items = refs;
    sd.n_items = 1;
    sd.necessity = "Qzxv noodzaak om te delen.";
    sd.data_kinds = kinds;
    sd.n_data_kinds = 1;
    Keten__CaseDecision d = KETEN__CASE_DECISION__INIT;
    d.case_ref = CASE;
    d.share = &sd;
    uint8_t id[KT_ID_LEN], copy_id[KT_ID_LEN];
    randombytes_buf (id, sizeof id);
    randombytes_buf (copy_id, sizeof copy_id);
    char *consenting[1] = {"politie-test"};
    Keten__DisclosureConsent dc = KETEN__DISCLOSURE_CONSENT__INIT;
    dc.case_ref = CASE;
    dc.consenting = consenting;
    dc.n_consenting = 1;
    dc.necessity = sd.necessity;
    dc.data_kinds = kinds;
    dc.n_data_kinds = 1;
    dc.consented_ms = 3000;
    dc.shared = true;
    dc.source = "politie-test";
    sqlite3 *db = casusoverleg_db (f->casus);
    assert_int_equal (store_begin (db, &r), 0);
    assert_int_equal (casework_store_share (db, key, id, "politie-test", &d, 7, &r), 0);
    assert_int_equal (
        casusoverleg_record_disclosure (f->casus, &dc, "gemeente-test", 0, copy_id, &r), 0);
    assert_int_equal (store_commit (db, &r), 0);
    sodium_memzero (key, sizeof key);
    uint64_t log_index = 0;
    assert_int_equal (casework_seen (db, id, "politie-test", &log_index), 1);
    assert_int_equal (log_index, 7);
    assert_int_equal (casework_seen (db, id, "gemeente-test", &log_index), 2);
    assert_int_equal (s_count (f, "SELECT count(*) FROM share WHERE recipients='gemeente-test'"
                                  " AND sender='politie-test'"),
                      1);
    assert_int_equal (s_count (f, "SELECT count(*) FROM disclosure WHERE shared=1 AND"
                                  " recipient='gemeente-test' AND consenting='politie-test'"
                                  " AND step=1"),
                      1);
    /*  Not in the clear; read back, it is a share with its source. */
    assert_int_equal (
        s_count (f, "SELECT count(*) FROM share WHERE instr(body, 'Qzxv') > 0") +
            s_count (f, "SELECT count(*) FROM disclosure WHERE instr(body, 'Qzxv') > 0"),
        0);
    Keten__DisclosureConsent *back = NULL;
    assert_int_equal (casusoverleg_disclosure (f->casus, CASE, copy_id, &back, &r), 0);
    assert_true (back->shared);
    assert_string_equal (back->source, "politie-test");
    assert_string_equal (back->necessity, "Qzxv noodzaak om te delen.");
    keten__disclosure_consent__free_unpacked (back, NULL);
    assert_int_equal (casusoverleg_forget_case (f->casus, CASE, &r), 0);
    assert_int_equal (s_count (f, "SELECT count(*) FROM share") +
                          s_count (f, "SELECT count(*) FROM disclosure"),
                      0);
}

static int
s_vote_row (void *arg, const casework_vote_t *vote, kt_reason_t *reason)
{
    (void) reason;
    char *out = arg;
    size_t len = strlen (out);
    snprintf (out + len, 256 - len, "%s%s=%s", len ? "," : "", vote->sender,
              vote->close ? "close" : "continue");
    return 0;
}

/*  art. 9.4: a kernpartij's newest decision on the current advice counts;
 *  decisions on an advice replaced no longer do. */
static void
test_the_newest_decision_on_the_current_advice_counts (void **state)
{
    fixture_t *f = *state;
    s_open_default (f);
    casus_info_t info;
    uint8_t key[KEYSTORE_KEY_LEN];
    kt_reason_t r;
    assert_int_equal (casusoverleg_case (f->casus, CASE, &info, key, &r), 0);
    sqlite3 *db = casusoverleg_db (f->casus);
    char *to[2] = {"politie-test", "gemeente-test"};
    Keten__CaseClosure a = KETEN__CASE_CLOSURE__INIT;
    a.case_ref = CASE;
    a.advice = "Qzxv advies.";
    a.advised_ms = 5000;
    a.to_decide = to;
    a.n_to_decide = 2;
    assert_int_equal (casework_record_advice (db, key, &a, 0, &r), 0);
    Keten__ClosureDecision v = KETEN__CLOSURE_DECISION__INIT;
    Keten__CaseDecision d = KETEN__CASE_DECISION__INIT;
    d.case_ref = CASE;
    d.closure = &v;
    v.advised_ms = 5000;
    const struct {
        const char *who;
        Keten__ClosureChoice choice;
    } votes[] = {{"politie-test", KETEN__CLOSURE_CHOICE__CLOSURE_CONTINUE},
                 {"gemeente-test", KETEN__CLOSURE_CHOICE__CLOSURE_CLOSE},
                 {"politie-test", KETEN__CLOSURE_CHOICE__CLOSURE_CLOSE}};
    for (size_t i = 0; i < 3; i++) {
        uint8_t id[KT_ID_LEN];
        randombytes_buf (id, sizeof id);
        v.choice = votes[i].choice;
        v.reason = "Qzxv reden.";
        assert_int_equal (casework_store_vote (db, key, id, votes[i].who, &d, i, &r), 0);
    }
    char seen[256] = "";
    assert_int_equal (casework_each_vote (db, CASE, 5000, s_vote_row, seen, &r), 0);
    assert_string_equal (seen, "gemeente-test=close,politie-test=close");
    Keten__CaseClosure *back = NULL;
    casus_step_t step;
    assert_int_equal (casework_advice (db, key, CASE, &back, &step, &r), 1);
    assert_int_equal (step, CASUS_STEP_RECORDED);
    assert_int_equal (back->n_to_decide, 2);
    keten__case_closure__free_unpacked (back, NULL);
    /*  A new advice: the decisions on the old one no longer count. */
    a.advised_ms = 6000;
    assert_int_equal (casework_record_advice (db, key, &a, 0, &r), 0);
    seen[0] = '\0';
    assert_int_equal (casework_each_vote (db, CASE, 6000, s_vote_row, seen, &r), 0);
    assert_string_equal (seen, "");
    assert_int_equal (s_count (f, "SELECT count(*) FROM closure_advice"), 1);
    assert_int_equal (
        s_count (f, "SELECT count(*) FROM closure_vote WHERE instr(body, 'Qzxv') > 0"), 0);
    assert_int_equal (casework_advice_done (db, CASE, CASUS_STEP_SENT, &r), 0);
    assert_int_equal (s_count (f, "SELECT count(*) FROM closure_advice WHERE step<>0"), 0);
    sodium_memzero (key, sizeof key);
}

/*  A reopening callback that counts its calls and fails when told. */
typedef struct {
    int calls;
    bool fail;
} reopen_t;

static int
s_on_reopen (void *arg, const char *case_ref, const uint8_t key[KEYSTORE_KEY_LEN],
             kt_reason_t *reason)
{
    (void) key;
    reopen_t *o = arg;
    assert_string_equal (case_ref, CASE);
    o->calls++;
    return o->fail ? kt_fail (reason, "the plan version could not be made") : 0;
}

/*  CASE agendered again by a decision taken at decided_ms. */
static int
s_agenderen_again (fixture_t *f, uint64_t decided_ms, reopen_t *o, bool *reopened, kt_reason_t *r)
{
    const char *parties[] = {"politie-test", "gemeente-test", "om-test"};
    Keten__WeegploegDecision d = KETEN__WEEGPLOEG_DECISION__INIT;
    d.decision_id = "d-00000000000000a2";
    d.case_ref = CASE;
    d.outcome = KETEN__DECISION_OUTCOME__AGENDEREN;
    d.referentiekader = "example-2026.1";
    d.analysis = "Fictional analysis, again.";
    d.parties = (char **) parties;
    d.n_parties = 3;
    d.decided_ms = decided_ms;
    return casusoverleg_open_case (f->casus, &d, f->copies, 2, 9000, "gemeente-test", s_on_reopen,
                                   o, reopened, r);
}

/*  CASE with an advice at 3000, both kernpartijen's close on it, closed
 *  at 4000 and, with sent, logged and sent too. */
static void
s_closed_case (fixture_t *f, bool sent)
{
    s_open_default (f);
    casus_info_t info;
    uint8_t key[KEYSTORE_KEY_LEN];
    kt_reason_t r;
    assert_int_equal (casusoverleg_case (f->casus, CASE, &info, key, &r), 0);
    sqlite3 *db = casusoverleg_db (f->casus);
    char *to[2] = {"politie-test", "gemeente-test"};
    Keten__CaseClosure a = KETEN__CASE_CLOSURE__INIT;
    a.case_ref = CASE;
    a.advice = "Doelen bereikt.";
    a.advised_ms = 3000;
    a.to_decide = to;
    a.n_to_decide = 2;
    assert_int_equal (casework_record_advice (db, key, &a, 0, &r), 0);
    Keten__ClosureDecision v = KETEN__CLOSURE_DECISION__INIT;
    Keten__CaseDecision d = KETEN__CASE_DECISION__INIT;
    d.case_ref = CASE;
    d.closure = &v;
    v.advised_ms = 3000;
    v.choice = KETEN__CLOSURE_CHOICE__CLOSURE_CLOSE;
    for (size_t i = 0; i < 2; i++) {
        uint8_t id[KT_ID_LEN];
        randombytes_buf (id, sizeof id);
        assert_int_equal (casework_store_vote (db, key, id, to[i], &d, i, &r), 0);
    }
    sodium_memzero (key, sizeof key);
    Keten__CaseClosure c = KETEN__CASE_CLOSURE__INIT;
    c.case_ref = CASE;
    c.advice = a.advice;
    c.decided_by = to;
    c.n_decided_by = 2;
    c.closed_ms = 4000;
    c.advised_ms = 3000;
    assert_int_equal (casusoverleg_close (f->casus, &c, &r), 0);
    if (sent)
        assert_int_equal (casusoverleg_closure_done (f->casus, CASE, CASUS_STEP_SENT, &r), 0);
}

/*  art. 8.5, 9.4: the weegploeg puts a closed case on the agenda again. */
static void
test_agenderen_again_reopens_a_closed_case_afresh (void **state)
{
    fixture_t *f = *state;
    s_closed_case (f, true);
    kt_reason_t r;
    reopen_t o = {0, false};
    bool reopened = false;
    assert_int_equal (casusoverleg_closure_owed (f->casus, CASE, &r), 0);
    assert_int_equal (s_agenderen_again (f, 5000, &o, &reopened, &r), 0);
    assert_true (reopened);
    assert_int_equal (o.calls, 1);
    casus_info_t info;
    assert_int_equal (casusoverleg_case (f->casus, CASE, &info, NULL, &r), 0);
    assert_false (info.closed);
    assert_true (casus_info_has (&info, "om-test"));
    /*  The closure and the closed round's advice are gone; the case is
     *  open from the reopening. */
    assert_int_equal (s_count (f, "SELECT count(*) FROM casus WHERE closed_ms IS NULL AND closure"
                                  " IS NULL AND closure_step=0 AND opened_ms=9000"),
                      1);
    assert_int_equal (s_count (f, "SELECT count(*) FROM closure_advice"), 0);
    Keten__CaseClosure *back = NULL;
    assert_int_equal (casusoverleg_closure (f->casus, CASE, &back, NULL, &r), -1);
    /*  The decisions stay on record, but name the old advice: none
     *  counts, and the next advice is later than all of them. */
    assert_int_equal (s_count (f, "SELECT count(*) FROM closure_vote"), 2);
    uint64_t last = 0;
    assert_int_equal (casework_advised_last (casusoverleg_db (f->casus), CASE, &last, &r), 0);
    assert_int_equal (last, 3000);
    /*  The same decision again (a resumed send): nothing reopens twice. */
    assert_int_equal (s_agenderen_again (f, 5000, &o, &reopened, &r), 0);
    assert_false (reopened);
    assert_int_equal (o.calls, 1);
    /*  It closes again, and is reopened again by a later decision. */
    Keten__CaseClosure c = KETEN__CASE_CLOSURE__INIT;
    c.case_ref = CASE;
    c.advice = "Weer bereikt.";
    c.closed_ms = 10000;
    assert_int_equal (casusoverleg_close (f->casus, &c, &r), 0);
    assert_int_equal (casusoverleg_closure_done (f->casus, CASE, CASUS_STEP_SENT, &r), 0);
    assert_int_equal (s_agenderen_again (f, 11000, &o, &reopened, &r), 0);
    assert_true (reopened);
    assert_int_equal (o.calls, 2);
}

/*  A closure whose CASE_CLOSED entry or copies are owed is finished
 *  before the case opens again: once open, nothing would finish it. */
static void
test_a_closure_still_owed_keeps_the_case_from_reopening (void **state)
{
    fixture_t *f = *state;
    s_closed_case (f, false);
    kt_reason_t r;
    reopen_t o = {0, false};
    bool reopened = true;
    assert_int_equal (casusoverleg_closure_owed (f->casus, CASE, &r), 1);
    assert_int_equal (s_agenderen_again (f, 5000, &o, &reopened, &r), -1);
    assert_non_null (strstr (r.text, "not logged and sent yet"));
    assert_false (reopened);
    assert_int_equal (o.calls, 0);
    casus_info_t info;
    assert_int_equal (casusoverleg_case (f->casus, CASE, &info, NULL, &r), 0);
    assert_true (info.closed);
    assert_int_equal (s_count (f, "SELECT count(*) FROM closure_advice"), 1);
    /*  Finished, it reopens. */
    assert_int_equal (casusoverleg_closure_done (f->casus, CASE, CASUS_STEP_SENT, &r), 0);
    assert_int_equal (s_agenderen_again (f, 5000, &o, &reopened, &r), 0);
    assert_true (reopened);
}

/*  What must commit with the reopening (the plan version) commits with it
 *  or not at all; a decision taken before the closure (its send resumed
 *  only now) leaves the case closed. */
static void
test_a_reopening_commits_whole_and_only_after_the_closure (void **state)
{
    fixture_t *f = *state;
    s_closed_case (f, true);
    kt_reason_t r;
    reopen_t o = {0, true};
    bool reopened = true;
    assert_int_equal (s_agenderen_again (f, 5000, &o, &reopened, &r), -1);
    assert_false (reopened);
    casus_info_t info;
    assert_int_equal (casusoverleg_case (f->casus, CASE, &info, NULL, &r), 0);
    assert_true (info.closed);
    assert_false (casus_info_has (&info, "om-test"));
    assert_int_equal (s_count (f, "SELECT count(*) FROM closure_advice"), 1);
    assert_int_equal (s_count (f, "SELECT count(*) FROM casus_analysis"), 1);
    o.fail = false;
    assert_int_equal (s_agenderen_again (f, 4000, &o, &reopened, &r), 0);
    assert_false (reopened);
    assert_int_equal (casusoverleg_case (f->casus, CASE, &info, NULL, &r), 0);
    assert_true (info.closed);
    assert_false (casus_info_has (&info, "om-test"));
}

/*  CASE closed at closed_ms, its closure logged and sent. */
static void
s_close_now (fixture_t *f, uint64_t closed_ms)
{
    Keten__CaseClosure c = KETEN__CASE_CLOSURE__INIT;
    c.case_ref = CASE;
    c.advice = "Doelen bereikt.";
    c.closed_ms = closed_ms;
    kt_reason_t r;
    assert_int_equal (casusoverleg_close (f->casus, &c, &r), 0);
    assert_int_equal (casusoverleg_closure_done (f->casus, CASE, CASUS_STEP_SENT, &r), 0);
}

/*  docs/REPORT.md, "cases opened": counted in the commit that opens the
 *  case, once per opening, under the gemeente given: an agenderen on an
 *  open case, the same decision resumed, one the closure overtook or a
 *  reopening rolled back count nothing; a reopening counts again. */
static void
test_a_case_counts_as_opened_once_per_opening (void **state)
{
    fixture_t *f = *state;
    const char *opened = "SELECT coalesce(sum(n), 0) FROM figure WHERE kind='case-opened'";
    assert_int_equal (s_count (f, opened), 0);
    s_open_default (f);
    assert_int_equal (s_count (f, opened), 1);
    assert_int_equal (s_count (f, "SELECT count(*) FROM figure WHERE kind='case-opened' AND"
                                  " gemeente='gemeente-test' AND label='' AND value=1 AND n=1"),
                      1);
    /*  Open already: a second agenderen, and the first resumed. */
    kt_reason_t r;
    reopen_t o = {0, false};
    bool reopened = false;
    assert_int_equal (s_agenderen_again (f, 1500, &o, &reopened, &r), 0);
    s_open_default (f);
    assert_int_equal (s_count (f, opened), 1);
    /*  Closed: a reopening that fails counts nothing, a decision the
     *  closure overtook neither; the reopening does. */
    s_close_now (f, 4000);
    o.fail = true;
    assert_int_equal (s_agenderen_again (f, 5000, &o, &reopened, &r), -1);
    o.fail = false;
    assert_int_equal (s_agenderen_again (f, 3500, &o, &reopened, &r), 0);
    assert_false (reopened);
    assert_int_equal (s_count (f, opened), 1);
    assert_int_equal (s_agenderen_again (f, 5000, &o, &reopened, &r), 0);
    assert_true (reopened);
    assert_int_equal (s_count (f, opened), 2);
    assert_int_equal (s_agenderen_again (f, 5000, &o, &reopened, &r), 0);
    assert_int_equal (s_count (f, opened), 2);
}

static void
test_the_case_copy_is_sealed_and_survives_a_restart (void **state)
{
    fixture_t *f = *state;
    s_open_default (f);
    char *kinds[] = {"adres"};
    char *consenting[] = {"politie-test"};
    Keten__DisclosureConsent d = KETEN__DISCLOSURE_CONSENT__INIT;
    d.case_ref = CASE;
    d.consenting = consenting;
    d.n_consenting = 1;
    d.necessity = "Qzxvnecessity for the plan";
    d.data_kinds = kinds;
    d.n_data_kinds = 1;
    uint8_t id[KT_ID_LEN];
    randombytes_buf (id, sizeof id);
    kt_reason_t r;
    assert_int_equal (casusoverleg_record_disclosure (f->casus, &d, "extern-test", 1000, id, &r),
                      0);
    /*  Who took part is in the clear; the person and the necessity not. */
    assert_int_equal (testutil_files_hold (f->dir, "casusoverleg.db", "gemeente-test"), 1);
    assert_int_equal (testutil_files_hold (f->dir, "casusoverleg.db", "Qzxvtest"), 0);
    assert_int_equal (testutil_files_hold (f->dir, "casusoverleg.db", "111222333"), 0);
    assert_int_equal (testutil_files_hold (f->dir, "casusoverleg.db", "Qzxvnecessity"), 0);
    s_close (f);
    s_open (f);
    casus_info_t info;
    uint8_t key[KEYSTORE_KEY_LEN];
    assert_int_equal (casusoverleg_case (f->casus, CASE, &info, key, &r), 0);
    sodium_memzero (key, sizeof key);
    assert_int_equal (info.n_participants, 2);
    assert_int_equal (s_count (f, "SELECT count(*) FROM casus_signal"), 2);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_agenderen_opens_the_case_with_its_participants,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_opening_again_adds_what_is_missing_and_takes_the_new_participants, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (test_an_unknown_case_is_refused, s_setup, s_teardown),
        cmocka_unit_test (test_an_item_goes_only_to_a_recipient_its_data_may_reach),
        cmocka_unit_test (test_a_share_goes_to_other_active_participants_only),
        cmocka_unit_test_setup_teardown (test_a_share_is_kept_sealed_and_recorded_per_recipient,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_consent_covers_its_items_for_its_recipient_only,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_the_newest_decision_on_the_current_advice_counts,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_contribution_is_kept_once_and_known_by_its_sender,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_progress_report_is_applied_once, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_plan_versions_are_kept_in_order, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_disclosure_is_recorded_with_its_necessity_sealed,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_a_disclosed_place_is_found_by_its_source_and_follows_a_correction, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (test_a_disclosure_is_resumed_from_the_step_recorded,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_plan_version_stays_unsent_until_marked_sent,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_closing_records_the_decision_before_it_is_sent,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_only_an_open_case_is_closed, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_agenderen_again_reopens_a_closed_case_afresh, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_a_closure_still_owed_keeps_the_case_from_reopening,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_reopening_commits_whole_and_only_after_the_closure,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_case_counts_as_opened_once_per_opening, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_the_case_copy_is_sealed_and_survives_a_restart,
                                         s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
