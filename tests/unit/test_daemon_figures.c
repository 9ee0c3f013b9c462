/*  figures: the uitvoerder's counted facts are append-only, dated on the
 *  Dutch calendar, hold no case_ref, and are mapped to the gemeente of
 *  residence by the roster (daemon/store/figures.c, docs/REPORT.md).  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "calendar.h"
#include "figures.h"
#include "incident.h"
#include "request.h"
#include "store.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    size_t n;
    char days[8][11];
    int64_t sum;
} seen_t;

static int
s_row (void *arg, const figures_row_t *row, kt_reason_t *reason)
{
    (void) reason;
    seen_t *s = arg;
    if (s->n < 8)
        snprintf (s->days[s->n], 11, "%s", row->day);
    s->n++;
    s->sum += row->value;
    return 0;
}

/*  A new file with the figure table, at path (a mkstemp template). */
static sqlite3 *
s_figures_db (char *path)
{
    int fd = mkstemp (path);
    assert_true (fd >= 0);
    close (fd);
    kt_reason_t reason;
    sqlite3 *db = store_open (path, &reason);
    assert_non_null (db);
    assert_int_equal (figures_migrate (db, &reason), 0);
    return db;
}

static void
test_rows_are_append_only_and_dated_in_amsterdam (void **state)
{
    (void) state;
    char path[] = "/tmp/keten-figures-XXXXXX";
    sqlite3 *db = s_figures_db (path);
    kt_reason_t reason;
    assert_int_equal (figures_migrate (db, &reason), 0); /* idempotent */
    /*  2026-10-31 23:30 UTC is 2026-11-01 00:30 in Amsterdam (CET). */
    uint64_t late = 1793489400000ULL;
    assert_int_equal (figures_add (db, late, FIGURE_CASE_CLOSED, "gemeente-a", "", 12, &reason), 0);
    /*  2026-06-30 22:30 UTC is 2026-07-01 00:30 in Amsterdam (CEST). */
    uint64_t summer = 1782858600000ULL;
    assert_int_equal (figures_add (db, summer, FIGURE_SIGNAL_SOURCE, NULL, NULL, 1, &reason), 0);
    char label[200];
    memset (label, 'x', sizeof label - 1);
    label[sizeof label - 1] = '\0';
    assert_int_equal (figures_add (db, late, FIGURE_DISCLOSURE, "", label, 0, &reason), 0);

    seen_t s = {0};
    assert_int_equal (figures_each (db, "2026-11-01", "2026-11-30", s_row, &s, &reason), 0);
    assert_int_equal (s.n, 2);
    assert_string_equal (s.days[0], "2026-11-01");
    assert_int_equal (s.sum, 12);
    memset (&s, 0, sizeof s);
    assert_int_equal (figures_each (db, "2026-07-01", "2026-07-01", s_row, &s, &reason), 0);
    assert_int_equal (s.n, 1);
    assert_int_equal (store_int (db, "SELECT max(length(label)) FROM figure", 0),
                      FIGURES_LABEL_MAX);
    /*  No case_ref, no time of day: only these columns (the last, n,
     *  counts facts alike recorded together). */
    assert_int_equal (store_int (db, "SELECT count(*) FROM pragma_table_info('figure')", 0), 7);
    assert_int_equal (
        store_int (db, "SELECT count(*) FROM pragma_table_info('figure') WHERE name='case_ref'", 0),
        0);
    /*  Retention cannot take them: no delete, no update. */
    assert_int_not_equal (store_exec (db, "DELETE FROM figure", &reason), 0);
    assert_non_null (strstr (reason.text, "append-only"));
    assert_int_not_equal (store_exec (db, "UPDATE figure SET value=0", &reason), 0);
    assert_int_equal (store_int (db, "SELECT count(*) FROM figure", 0), 3);
    store_close (&db);
    testutil_remove_db (path);
}

static void
test_gemeente_of_residence (void **state)
{
    (void) state;
    roster_member_t m[3];
    memset (m, 0, sizeof m);
    snprintf (m[0].id, sizeof m[0].id, "politie-x");
    snprintf (m[0].kind, sizeof m[0].kind, "politie");
    m[0].role = ROLE_KERNPARTIJ;
    snprintf (m[1].id, sizeof m[1].id, "gemeente-sg");
    snprintf (m[1].kind, sizeof m[1].kind, "gemeente");
    snprintf (m[1].municipality, sizeof m[1].municipality, "Sittard-Geleen");
    m[1].role = ROLE_KERNPARTIJ;
    snprintf (m[2].id, sizeof m[2].id, "gemeente-m");
    snprintf (m[2].kind, sizeof m[2].kind, "gemeente");
    snprintf (m[2].municipality, sizeof m[2].municipality, "Maastricht");
    m[2].role = ROLE_KERNPARTIJ;
    roster_t r = {.member_count = 3, .members = m};
    char out[KEYS_ID_MAX + 1];
    figures_gemeente (&r, "sittard geleen", out);
    assert_string_equal (out, "gemeente-sg");
    figures_gemeente (&r, "Maastricht", out);
    assert_string_equal (out, "gemeente-m");
    figures_gemeente (&r, "Heerlen", out);
    assert_string_equal (out, "");
    figures_gemeente (&r, "", out);
    assert_string_equal (out, "");
}

typedef struct {
    size_t rows;
    int64_t facts;
} counted_t;

static int
s_count (void *arg, const figures_row_t *row, kt_reason_t *reason)
{
    (void) reason;
    counted_t *c = arg;
    c->rows++;
    c->facts += row->n;
    return 0;
}

/*  A batch's facts as one row per kind with its count: alike only when
 *  day, kind, gemeente, label and value all match; the rows carry n, and
 *  every fact is counted once. */
static void
test_a_tally_records_one_row_per_kind_of_fact (void **state)
{
    (void) state;
    char path[] = "/tmp/keten-figures-XXXXXX";
    sqlite3 *db = s_figures_db (path);
    kt_reason_t reason;
    /*  2026-11-01 12:00 and 2026-11-02 12:00 UTC. */
    uint64_t day1 = 1793534400000ULL, day2 = day1 + 86400000ULL;
    figures_tally_t t = {0};
    for (int i = 0; i < 5; i++)
        assert_int_equal (
            figures_tally_add (&t, day1, FIGURE_SIGNAL_SOURCE, "gemeente-a", "eigen", 1), 0);
    assert_int_equal (figures_tally_add (&t, day1, FIGURE_SIGNAL_SOURCE, "gemeente-b", "eigen", 1),
                      0);
    assert_int_equal (figures_tally_add (&t, day1, FIGURE_SIGNAL_SOURCE, "gemeente-a", "school", 1),
                      0);
    assert_int_equal (
        figures_tally_add (&t, day1, FIGURE_SIGNAL_CATEGORY, "gemeente-a", "eigen", 1), 0);
    assert_int_equal (figures_tally_add (&t, day2, FIGURE_SIGNAL_SOURCE, "gemeente-a", "eigen", 1),
                      0);
    assert_int_equal (figures_tally_add (&t, day1, FIGURE_SIGNAL_SOURCE, "gemeente-a", "eigen", 0),
                      0);
    /*  A label past FIGURES_LABEL_MAX is cut, and alike after the cut. */
    char a[100], b[100];
    memset (a, 'x', sizeof a - 1);
    a[sizeof a - 1] = '\0';
    memcpy (b, a, sizeof b);
    b[sizeof b - 2] = 'y';
    assert_int_equal (figures_tally_add (&t, day1, FIGURE_DISCLOSURE, NULL, a, 0), 0);
    assert_int_equal (figures_tally_add (&t, day1, FIGURE_DISCLOSURE, "", b, 0), 0);
    assert_int_equal (t.n, 7);
    assert_int_equal (t.rows[0].n, 5);
    assert_int_equal (t.rows[6].n, 2);
    assert_int_equal (store_begin (db, &reason), 0);
    assert_int_equal (figures_tally_store (&t, db, &reason), 0);
    assert_int_equal (store_commit (db, &reason), 0);
    figures_tally_clear (&t);
    assert_null (t.rows);
    counted_t c = {0};
    assert_int_equal (figures_each (db, "2026-11-01", "2026-11-01", s_count, &c, &reason), 0);
    assert_int_equal (c.rows, 6);
    assert_int_equal (c.facts, 11);
    memset (&c, 0, sizeof c);
    assert_int_equal (figures_each (db, "2026-11-02", "2026-11-02", s_count, &c, &reason), 0);
    assert_int_equal (c.rows, 1);
    assert_int_equal (c.facts, 1);
    assert_int_equal (
        store_int (db,
                   "SELECT n FROM figure WHERE gemeente='gemeente-a' AND label='eigen'"
                   " AND kind='signal-source' AND value=1 AND day='2026-11-01'",
                   0),
        5);
    /*  A single fact's row counts one; n is never below one. */
    assert_int_equal (figures_add (db, day1, FIGURE_CASE_OPENED, "", "", 1, &reason), 0);
    assert_int_equal (store_int (db, "SELECT n FROM figure WHERE kind='case-opened'", 0), 1);
    assert_int_not_equal (store_exec (db,
                                      "INSERT INTO figure (day, kind, gemeente, label, value, n)"
                                      " VALUES ('2026-11-01', 'decision', '', '', 0, 0)",
                                      &reason),
                          0);
    store_close (&db);
    testutil_remove_db (path);
}

/*  A fault in the figure table: every insert into it fails. */
static void
s_break_figures (sqlite3 *db)
{
    kt_reason_t r;
    assert_int_equal (store_exec (db,
                                  "CREATE TRIGGER figure_fault BEFORE INSERT ON figure"
                                  " BEGIN SELECT RAISE (ABORT, 'injected fault'); END;",
                                  &r),
                      0);
}

/*  The fact and its figure commit together: when the figure cannot be
 *  written, the incident is not registered, and with it the incident is
 *  registered and counted once. */
static void
test_an_incident_is_counted_in_its_own_commit (void **state)
{
    (void) state;
    char path[] = "/tmp/keten-figures-XXXXXX";
    int fd = mkstemp (path);
    assert_true (fd >= 0);
    close (fd);
    kt_reason_t r;
    sqlite3 *db = store_open (path, &r);
    assert_non_null (db);
    incident_t *reg = incident_new (db, &r);
    assert_non_null (reg);
    char *kinds[1] = {"naw"};
    Keten__Incident in = KETEN__INCIDENT__INIT;
    in.what = "Een stick is kwijt.";
    in.found_ms = kt_now_ms () - 3600 * 1000;
    in.data_kinds = kinds;
    in.n_data_kinds = 1;
    in.subjects = 1;
    char id[19];
    s_break_figures (db);
    assert_int_equal (incident_register (reg, &in, "politie-test", 1000, NULL, NULL, 7, id, &r),
                      -1);
    assert_non_null (strstr (r.text, "injected fault"));
    assert_int_equal (store_int (db, "SELECT count(*) FROM incident", -1), 0);
    assert_int_equal (store_exec (db, "DROP TRIGGER figure_fault", &r), 0);
    assert_int_equal (incident_register (reg, &in, "politie-test", 1000, NULL, NULL, 7, id, &r), 0);
    assert_int_equal (store_int (db, "SELECT count(*) FROM incident", -1), 1);
    assert_int_equal (
        store_int (db, "SELECT count(*) FROM figure WHERE kind='incident-reported'", -1), 1);
    incident_destroy (&reg);
    store_close (&db);
    testutil_remove_db (path);
}

/*  The same for a request answered: not closed without its figure;
 *  closed within its deadline, counted as such. */
static void
test_a_request_is_counted_when_answered (void **state)
{
    (void) state;
    char path[] = "/tmp/keten-figures-XXXXXX";
    int fd = mkstemp (path);
    assert_true (fd >= 0);
    close (fd);
    kt_reason_t r;
    request_t *reg = request_open (path, &r);
    assert_non_null (reg);
    uint64_t now = kt_now_ms ();
    char received[11];
    kt_local_date (now, received);
    request_new_t in = {"inzage", received, "betrokkene", NULL, "Baliemedewerker", "paspoort"};
    char id[REQUEST_ID_LEN];
    assert_int_equal (request_register (reg, &in, 1000, now, id, &r), 0);
    assert_int_equal (request_link (reg, id, "k-0123456789abcdef", 1000, now, &r), 0);
    sqlite3 *db = request_db (reg);
    s_break_figures (db);
    assert_int_equal (
        request_close (reg, id, NULL, NULL, false, REQUEST_HELD, "politie-test", 1000, now, &r),
        -1);
    assert_int_equal (store_int (db, "SELECT count(*) FROM request WHERE state='open'", -1), 1);
    assert_int_equal (store_exec (db, "DROP TRIGGER figure_fault", &r), 0);
    assert_int_equal (
        request_close (reg, id, NULL, NULL, false, REQUEST_HELD, "politie-test", 1000, now, &r), 0);
    assert_int_equal (store_int (db, "SELECT count(*) FROM request WHERE state='open'", -1), 0);
    assert_int_equal (store_int (db,
                                 "SELECT count(*) FROM figure WHERE kind='request-answered'"
                                 " AND label='inzage' AND value=1",
                                 -1),
                      1);
    request_destroy (&reg);
    testutil_remove_db (path);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_rows_are_append_only_and_dated_in_amsterdam),
        cmocka_unit_test (test_a_tally_records_one_row_per_kind_of_fact),
        cmocka_unit_test (test_gemeente_of_residence),
        cmocka_unit_test (test_an_incident_is_counted_in_its_own_commit),
        cmocka_unit_test (test_a_request_is_counted_when_answered),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
