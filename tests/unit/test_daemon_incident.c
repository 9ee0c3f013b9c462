/*  The incident register (art. 15.2g) on a real SQLite file: no BSN in
 *  any of its texts, whether the persons concerned were informed (AVG
 *  art. 34) and how it was handled recorded before it closes, a version
 *  per change; and the kernpartij's copy (art. 4), which keeps only the
 *  newest version however late or often one arrives.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include "incident.h"
#include "incidentbox.h"
#include "policy.h"
#include "render.h"
#include "store.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    char dir[64];
    sqlite3 *db;
    incident_t *reg;
    incidentbox_t *box;
} fixture_t;

static int
s_setup (void **state)
{
    fixture_t *f = calloc (1, sizeof *f);
    char path[128];
    kt_reason_t r;
    if (!f || testutil_tmpdir (f->dir, sizeof f->dir, "incident") != 0)
        return -1;
    snprintf (path, sizeof path, "%s/node.db", f->dir);
    f->db = store_open (path, &r);
    f->reg = f->db ? incident_new (f->db, &r) : NULL;
    f->box = f->db ? incidentbox_new (f->db, &r) : NULL;
    *state = f;
    return f->reg && f->box ? 0 : -1;
}

static int
s_teardown (void **state)
{
    fixture_t *f = *state;
    incident_destroy (&f->reg);
    incidentbox_destroy (&f->box);
    store_close (&f->db);
    testutil_rmtree (f->dir);
    free (f);
    return 0;
}

/*  A report found an hour ago. */
static void
s_register (fixture_t *f, const char *what, char id[19])
{
    char *kinds[2] = {"naw", "signalen"};
    Keten__Incident in = KETEN__INCIDENT__INIT;
    in.what = (char *) what;
    in.found_ms = kt_now_ms () - 3600 * 1000;
    in.data_kinds = kinds;
    in.n_data_kinds = 2;
    in.subjects = 3;
    kt_reason_t r;
    assert_int_equal (incident_check (&in, kt_now_ms (), &r), 0);
    assert_int_equal (incident_register (f->reg, &in, "politie-test", 1000, NULL, NULL, 7, id, &r),
                      0);
}

typedef struct {
    char text[1024];
    int n;
} rows_t;

static int
s_collect (void *arg, const incident_row_t *row, kt_reason_t *reason)
{
    (void) reason;
    rows_t *rows = arg;
    size_t used = strlen (rows->text);
    snprintf (rows->text + used, sizeof rows->text - used, "%s v%u %s %s %s|%s|%s\n", row->id,
              row->version, row->closed ? "closed" : "open",
              *row->persons_informed ? row->persons_informed : "-", row->data_kinds,
              row->persons_informed_note, row->handling);
    rows->n++;
    return 0;
}

static void
test_a_bsn_in_the_register_is_refused (void **state)
{
    (void) state;
    assert_true (incident_text_ok ("Een USB-stick met 3 exports is kwijt.", 1));
    assert_true (incident_text_ok ("Dossier 123456789 (geen BSN: faalt de elfproef).", 1));
    assert_false (incident_text_ok ("Lijst met BSN 111222333 gemaild.", 1));
    assert_false (incident_text_ok ("111222333", 1));
    assert_false (incident_text_ok ("", 1));
    /*  Ten digits are not a BSN. */
    assert_true (incident_text_ok ("Telefoon 0111222333 in de mail.", 1));
    /*  Written with separators it is one still. */
    assert_false (incident_text_ok ("BSN 111.222.333 gemaild.", 1));
    assert_false (incident_text_ok ("BSN 1112 22 333 gemaild.", 1));
    assert_false (incident_text_ok ("BSN 111-222-333 gemaild.", 1));
    assert_true (incident_text_ok ("Om 11.22 uur, 333 regels.", 1));
    /*  A run of nine, whatever follows it; honest numbers are no BSN. */
    assert_false (incident_text_ok ("BSN 123456782 2 keer gemaild.", 1));
    assert_true (incident_text_ok ("Op 07-12-2026 123 dossiers gemaild.", 1));
    assert_true (incident_text_ok ("Melder bereikbaar op +31 6 1234 0004.", 1));
    assert_true (incident_text_ok ("Inlog vanaf 192.168.178.102.", 1));
    assert_true (incident_text_ok ("Op 2026-12-07 18 bestanden.", 1));
    Keten__Incident in = KETEN__INCIDENT__INIT;
    char *kinds[1] = {"bsn"};
    in.what = "Lijst met BSN 111222333 gemaild.";
    in.found_ms = kt_now_ms ();
    in.data_kinds = kinds;
    in.n_data_kinds = 1;
    kt_reason_t r;
    assert_int_equal (incident_check (&in, kt_now_ms (), &r), -1);
    assert_non_null (strstr (r.text, "no BSN"));
    /*  Nor in a kind of data, which goes to every kernpartij too: a
     *  kind is a word of letters, - and _ (the rule of a consent's), so
     *  no BSN, date or name with initials fits; the refusal names the
     *  field, never the value. */
    in.what = "Een lijst gemaild.";
    static const char *not_words[] = {"Jan Jansen 111222333", "bsn:999993653",
                                      "J.deVries-2004-03-17", "naw,adres", "dossier42"};
    for (size_t i = 0; i < sizeof not_words / sizeof not_words[0]; i++) {
        kinds[0] = (char *) not_words[i];
        assert_int_equal (incident_check (&in, kt_now_ms (), &r), -1);
        assert_non_null (strstr (r.text, "data kind 1 must be a word of"));
        assert_null (strstr (r.text, not_words[i]));
    }
    kinds[0] = "bsn";
    assert_int_equal (incident_check (&in, kt_now_ms (), &r), 0);
    kinds[0] = "medische-gegevens";
    assert_int_equal (incident_check (&in, kt_now_ms (), &r), 0);
}

static void
test_an_incident_closes_only_once_handled (void **state)
{
    fixture_t *f = *state;
    char id[19];
    kt_reason_t r;
    uint64_t now = kt_now_ms ();
    s_register (f, "Mail verkeerd geadresseerd.", id);
    assert_int_equal (incident_close (f->reg, id, 0, "Versleuteld.", 1000, &r), -1);
    assert_non_null (strstr (r.text, "AVG art. 34"));
    /*  Not yet informed is not handled: informing later could not be put
     *  on record once it is closed. */
    assert_int_equal (incident_update (f->reg, id, "no", "Nog niet bereikt.", NULL, 1000, now, &r),
                      0);
    assert_int_equal (incident_close (f->reg, id, 0, "Versleuteld.", 1000, &r), -1);
    assert_non_null (strstr (r.text, "'no' is not yet"));
    /*  AVG art. 34.3: not informing says why. */
    assert_int_equal (incident_update (f->reg, id, "not-required", NULL, NULL, 1000, now, &r), -1);
    assert_int_equal (incident_update (f->reg, id, "maybe", "x", NULL, 1000, now, &r), -1);
    assert_int_equal (incident_update (f->reg, id, NULL, NULL, NULL, 1000, now, &r), -1);
    assert_int_equal (
        incident_update (f->reg, id, NULL, NULL, "Ontvanger: 111222333.", 1000, now, &r), -1);
    assert_int_equal (incident_update (f->reg, id, "not-required", "Versleuteld (art. 34.3a).",
                                       NULL, 1000, now, &r),
                      0);
    assert_int_equal (incident_close (f->reg, id, 0, "Versleuteld.", 1000, &r), -1);
    assert_int_equal (incident_update (f->reg, id, NULL, NULL, "Mail teruggehaald.", 1000, now, &r),
                      0);
    assert_int_equal (incident_close (f->reg, id, 0, "Versleuteld.", 1000, &r), 0);
    assert_int_equal (incident_close (f->reg, id, 0, "Versleuteld.", 1000, &r), -1);
    rows_t rows = {"", 0};
    assert_int_equal (incident_each (f->reg, false, s_collect, &rows, &r), 0);
    char want[256];
    snprintf (want, sizeof want,
              "%s v5 closed not-required naw,signalen|Versleuteld (art. 34.3a).|Mail "
              "teruggehaald.\n",
              id);
    assert_string_equal (rows.text, want);
    assert_int_equal (
        incident_update (f->reg, "i-0000000000000000", "yes", NULL, NULL, 1000, now, &r), -1);
    /*  Closed, its record stays as it was closed. */
    assert_int_equal (incident_update (f->reg, id, "no", "Toch niet.", "Anders.", 1000, now, &r),
                      -1);
    assert_non_null (strstr (r.text, "is closed"));
}

/*  AVG art. 33 and 34 take their own times: the AP outcome is recorded
 *  on an open incident, which then no longer awaits the AP (status), and
 *  the close takes it as recorded; a time outside the finding and now is
 *  refused as at the close, and a closed incident takes none. */
static void
test_the_ap_outcome_is_recorded_before_the_close (void **state)
{
    fixture_t *f = *state;
    char id[19];
    kt_reason_t r;
    uint64_t now = kt_now_ms ();
    s_register (f, "Mail verkeerd geadresseerd.", id);
    json_t *sum = render_incident_summary (f->reg, now, &r);
    assert_int_equal (json_array_size (json_object_get (sum, "ap_pending")), 1);
    json_decref (sum);
    /*  Outside the finding and now, both or neither: refused. */
    assert_int_equal (incident_record_ap (f->reg, id, now - 2 * 3600 * 1000, NULL, now, &r), -1);
    assert_non_null (strstr (r.text, "before the incident was found"));
    assert_int_equal (incident_record_ap (f->reg, id, now + 3600 * 1000, NULL, now, &r), -1);
    assert_int_equal (incident_record_ap (f->reg, id, now, "Versleuteld.", now, &r), -1);
    assert_int_equal (incident_record_ap (f->reg, id, 0, NULL, now, &r), -1);
    assert_int_equal (incident_record_ap (f->reg, "i-0000000000000000", now, NULL, now, &r), -1);
    assert_non_null (strstr (r.text, "no incident"));
    /*  Nothing was closed without the AP outcome. */
    assert_int_equal (incident_update (f->reg, id, "no", "Brieven gaan uit.", "Mail teruggehaald.",
                                       1000, now, &r),
                      0);
    assert_int_equal (incident_close (f->reg, id, 0, NULL, 1000, &r), -1);
    assert_non_null (strstr (r.text, "AVG art. 33"));
    assert_int_equal (incident_record_ap (f->reg, id, now - 1000, NULL, now, &r), 0);
    sum = render_incident_summary (f->reg, now, &r);
    assert_int_equal (json_integer_value (json_object_get (sum, "open")), 1);
    assert_int_equal (json_array_size (json_object_get (sum, "ap_pending")), 0);
    json_decref (sum);
    /*  Still open, until the persons are informed. */
    assert_int_equal (incident_close (f->reg, id, 0, NULL, 1000, &r), -1);
    assert_non_null (strstr (r.text, "'no' is not yet"));
    assert_int_equal (incident_update (f->reg, id, "yes", NULL, NULL, 1000, now, &r), 0);
    assert_int_equal (incident_close (f->reg, id, 0, NULL, 1000, &r), 0);
    assert_int_equal (incident_record_ap (f->reg, id, now, NULL, now, &r), -1);
    assert_non_null (strstr (r.text, "is closed"));
    /*  Counted once, on time, as it was recorded. */
    assert_int_equal (store_int (f->db,
                                 "SELECT sum(value) FROM figure WHERE kind='incident-closed'"
                                 " AND label='ap-notified'",
                                 -1),
                      1);
}

static int
s_entry (void *arg, const incident_row_t *row, kt_reason_t *reason)
{
    (void) reason;
    Keten__IncidentRegisterEntry *e = arg;
    static char id[19], what[256], handling[256];
    snprintf (id, sizeof id, "%s", row->id);
    snprintf (what, sizeof what, "%s", row->what);
    snprintf (handling, sizeof handling, "%s", row->handling);
    e->incident_id = id;
    e->version = row->version;
    e->what = what;
    e->handling = handling;
    return 0;
}

/*  An incident reported before kinds were words of letters stays what it
 *  was: it is handled and closed, and every version still reaches the
 *  kernpartijen (the rule is for new reports only). */
static void
test_an_incident_from_before_the_kind_rule_is_still_handled (void **state)
{
    fixture_t *f = *state;
    char *kinds[1] = {"naw 2024"};
    Keten__Incident in = KETEN__INCIDENT__INIT;
    in.what = "Een lijst gemaild.";
    in.found_ms = kt_now_ms () - 3600 * 1000;
    in.data_kinds = kinds;
    in.n_data_kinds = 1;
    in.subjects = 1;
    kt_reason_t r;
    char id[19];
    uint64_t now = kt_now_ms ();
    assert_int_equal (incident_check (&in, now, &r), -1);
    /*  As the register of a release before the rule took it. */
    assert_int_equal (incident_register (f->reg, &in, "politie-test", 1000, NULL, NULL, 7, id, &r),
                      0);
    assert_int_equal (
        incident_update (f->reg, id, "yes", NULL, "Mail teruggehaald.", 1000, now, &r), 0);
    assert_int_equal (incident_close (f->reg, id, 0, "Intern gebleven.", 1000, &r), 0);
    rows_t rows = {"", 0};
    assert_int_equal (incident_each (f->reg, false, s_collect, &rows, &r), 0);
    assert_non_null (strstr (rows.text, " closed yes naw 2024|"));
    Keten__IncidentRegisterEntry e = KETEN__INCIDENT_REGISTER_ENTRY__INIT;
    e.incident_id = id;
    e.version = 3;
    e.reporter = "politie-test";
    e.found_ms = in.found_ms;
    e.registered_ms = now;
    e.what = in.what;
    e.data_kinds = kinds;
    e.n_data_kinds = 1;
    e.closed = true;
    assert_int_equal (policy_body (KETEN__MESSAGE_TYPE__INCIDENT_REGISTER)->check (&e.base, &r), 0);
}

static void
test_a_kernpartij_keeps_the_newest_version_only (void **state)
{
    fixture_t *f = *state;
    char id[19];
    kt_reason_t r;
    s_register (f, "Laptop kwijt.", id);
    Keten__IncidentRegisterEntry e = KETEN__INCIDENT_REGISTER_ENTRY__INIT;
    assert_int_equal (incident_one (f->reg, id, s_entry, &e, &r), 1);
    char *kinds[2] = {"naw", "signalen"};
    e.reporter = "politie-test";
    e.found_ms = 1;
    e.registered_ms = 2;
    e.data_kinds = kinds;
    e.n_data_kinds = 2;
    e.subjects = 3;
    e.persons_informed = KETEN__PERSONS_INFORMED__PERSONS_INFORMED_YES;
    e.version = 2;
    e.handling = "Op afstand gewist.";
    assert_int_equal (incidentbox_store (f->box, &e, 10, &r), 1);
    /*  Version 1, late: changes nothing; version 2 again: nothing. */
    e.version = 1;
    e.handling = "";
    e.persons_informed = KETEN__PERSONS_INFORMED__PERSONS_INFORMED_UNSPECIFIED;
    assert_int_equal (incidentbox_store (f->box, &e, 11, &r), 0);
    e.version = 2;
    assert_int_equal (incidentbox_store (f->box, &e, 12, &r), 0);
    rows_t rows = {"", 0};
    assert_int_equal (incidentbox_each (f->box, s_collect, &rows, &r), 0);
    char want[256];
    snprintf (want, sizeof want, "%s v2 open yes naw,signalen||Op afstand gewist.\n", id);
    assert_string_equal (rows.text, want);
    e.version = 3;
    e.closed = true;
    e.handling = "Gewist en gemeld.";
    assert_int_equal (incidentbox_store (f->box, &e, 13, &r), 1);
    rows = (rows_t){"", 0};
    assert_int_equal (incidentbox_each (f->box, s_collect, &rows, &r), 0);
    assert_int_equal (rows.n, 1);
    assert_non_null (strstr (rows.text, " v3 closed - naw,signalen||Gewist en gemeld."));
}

/*  A report sent again under its message id is the same one only from
 *  its reporter with its body commitment (finding 6 of the hostile-member
 *  hunt): anything else under that id is another report. */
static void
test_a_message_id_is_bound_to_its_reporter_and_body (void **state)
{
    fixture_t *f = *state;
    char *kinds[1] = {"naw"};
    Keten__Incident in = KETEN__INCIDENT__INIT;
    in.what = "Laptop kwijt.";
    in.found_ms = kt_now_ms () - 1000;
    in.data_kinds = kinds;
    in.n_data_kinds = 1;
    uint8_t mid[KT_ID_LEN], body[32], other[32];
    memset (mid, 7, sizeof mid);
    memset (body, 1, sizeof body);
    memset (other, 2, sizeof other);
    char id[19], found[19];
    uint64_t index = 0;
    kt_reason_t r;
    assert_int_equal (incident_find_message (f->reg, mid, "gemeente-test", body, found, &index), 0);
    assert_int_equal (incident_register (f->reg, &in, "gemeente-test", 0, mid, body, 42, id, &r),
                      0);
    assert_int_equal (incident_find_message (f->reg, mid, "gemeente-test", body, found, &index), 1);
    assert_string_equal (found, id);
    assert_int_equal (index, 42);
    assert_int_equal (incident_find_message (f->reg, mid, "gemeente-test", other, found, &index),
                      2);
    assert_int_equal (incident_find_message (f->reg, mid, "politie-test", body, found, &index), 2);
    assert_int_equal (incident_find_message (f->reg, mid, "gemeente-test", NULL, found, &index), 2);
}

/*  The status summary counts every open incident awaiting the AP and
 *  lists only the soonest RENDER_INCIDENTS_PENDING_MAX; a page of the
 *  list holds the newest. */
static void
test_the_summary_counts_and_lists_a_few (void **state)
{
    fixture_t *f = *state;
    char id[19];
    for (int i = 0; i < RENDER_INCIDENTS_PENDING_MAX + 5; i++)
        s_register (f, "Laptop kwijt.", id);
    kt_reason_t r;
    json_t *sum = render_incident_summary (f->reg, kt_now_ms (), &r);
    assert_non_null (sum);
    assert_int_equal (json_integer_value (json_object_get (sum, "open")),
                      RENDER_INCIDENTS_PENDING_MAX + 5);
    assert_int_equal (json_integer_value (json_object_get (sum, "ap_pending_count")),
                      RENDER_INCIDENTS_PENDING_MAX + 5);
    assert_int_equal (json_integer_value (json_object_get (sum, "ap_overdue_count")), 0);
    assert_int_equal (json_array_size (json_object_get (sum, "ap_pending")),
                      RENDER_INCIDENTS_PENDING_MAX);
    json_decref (sum);
    rows_t rows = {"", 0};
    assert_int_equal (incident_page (f->reg, 3, s_collect, &rows, &r), 0);
    assert_int_equal (rows.n, 3);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_a_bsn_in_the_register_is_refused),
        cmocka_unit_test_setup_teardown (test_the_ap_outcome_is_recorded_before_the_close, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_an_incident_closes_only_once_handled, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (
            test_an_incident_from_before_the_kind_rule_is_still_handled, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_kernpartij_keeps_the_newest_version_only, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_a_message_id_is_bound_to_its_reporter_and_body,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_the_summary_counts_and_lists_a_few, s_setup,
                                         s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
