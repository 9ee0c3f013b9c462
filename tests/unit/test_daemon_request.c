/*  The request register (art. 12) on real SQLite files, its deadlines on
 *  the Europe/Amsterdam calendar across the changes of the clocks and the
 *  ends of months and years, and finding a person through the weegploeg
 *  file's blind indexes: archived subjects too, uncertain matches shown as
 *  such.  Every person here is fictional.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"
#include "calendar.h"

#include "intake.h"
#include "keystore.h"
#include "request.h"
#include "store.h"
#include "weegploeg.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*  ms since the epoch of a UTC time. */
static uint64_t
s_utc (int y, int mo, int d, int h, int mi)
{
    struct tm tm = {
        .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi};
    return (uint64_t) timegm (&tm) * 1000;
}

/* ---- the calendar ------------------------------------------------------ */

static void
test_summer_time_starts_and_ends_at_one_utc_on_the_last_sundays (void **state)
{
    (void) state;
    /*  2026: 29 March and 25 October; 2027: 28 March and 31 October. */
    assert_int_equal (kt_amsterdam_offset ((int64_t) (s_utc (2026, 3, 29, 0, 59) / 1000)), 3600);
    assert_int_equal (kt_amsterdam_offset ((int64_t) (s_utc (2026, 3, 29, 1, 0) / 1000)), 7200);
    assert_int_equal (kt_amsterdam_offset ((int64_t) (s_utc (2026, 10, 25, 0, 59) / 1000)), 7200);
    assert_int_equal (kt_amsterdam_offset ((int64_t) (s_utc (2026, 10, 25, 1, 0) / 1000)), 3600);
    assert_int_equal (kt_amsterdam_offset ((int64_t) (s_utc (2027, 3, 28, 1, 0) / 1000)), 7200);
    assert_int_equal (kt_amsterdam_offset ((int64_t) (s_utc (2027, 10, 31, 0, 30) / 1000)), 7200);
    assert_int_equal (kt_amsterdam_offset ((int64_t) (s_utc (2027, 1, 1, 12, 0) / 1000)), 3600);
    char t[17];
    kt_local_time (s_utc (2026, 10, 25, 0, 30), t);
    assert_string_equal (t, "2026-10-25 02:30");
    kt_local_time (s_utc (2026, 10, 25, 1, 30), t);
    assert_string_equal (t, "2026-10-25 02:30"); /* the hour that comes twice */
    kt_local_time (s_utc (2026, 3, 29, 1, 0), t);
    assert_string_equal (t, "2026-03-29 03:00"); /* 02:00 local never happens */
    char d[11];
    kt_local_date (s_utc (2026, 12, 31, 23, 30), d);
    assert_string_equal (d, "2027-01-01");
    /*  The day written last is kept: each new day is written anew, and
     *  the one before it again when it comes back. */
    kt_local_date (s_utc (2026, 12, 31, 22, 59), d);
    assert_string_equal (d, "2026-12-31");
    kt_local_date (s_utc (2026, 12, 31, 23, 0), d);
    assert_string_equal (d, "2027-01-01");
    kt_local_date (s_utc (2026, 3, 28, 23, 0), d);
    assert_string_equal (d, "2026-03-29");
    kt_local_date (s_utc (2026, 3, 28, 22, 59), d);
    assert_string_equal (d, "2026-03-28");
}

/*  What a person types, on the Dutch calendar, whatever the process's TZ
 *  (an incident's --found sets its AVG art. 33 deadline). */
static void
test_a_dutch_time_typed_reads_the_same_in_any_tz (void **state)
{
    (void) state;
    uint64_t ms = 0;
    kt_reason_t r;
    assert_int_equal (kt_local_parse ("2026-07-01T12:00", &ms, &r), 0);
    assert_true (ms == s_utc (2026, 7, 1, 10, 0)); /* CEST */
    assert_int_equal (kt_local_parse ("2026-01-15T12:00", &ms, &r), 0);
    assert_true (ms == s_utc (2026, 1, 15, 11, 0)); /* CET */
    assert_int_equal (kt_local_parse ("2026-10-25T03:00", &ms, &r), 0);
    assert_true (ms == s_utc (2026, 10, 25, 2, 0));
    assert_int_equal (kt_local_parse ("2026-10-25T01:59", &ms, &r), 0);
    assert_true (ms == s_utc (2026, 10, 24, 23, 59));
    assert_int_equal (kt_local_parse ("2026-03-29T03:30", &ms, &r), 0);
    assert_true (ms == s_utc (2026, 3, 29, 1, 30));
    assert_int_equal (kt_local_parse ("2026-03-29T01:59", &ms, &r), 0);
    assert_true (ms == s_utc (2026, 3, 29, 0, 59));
    setenv ("TZ", "America/New_York", 1);
    tzset ();
    assert_int_equal (kt_local_parse ("2026-07-01T12:00", &ms, &r), 0);
    assert_true (ms == s_utc (2026, 7, 1, 10, 0));
    unsetenv ("TZ");
    tzset ();
    const char *bad[] = {"2026-02-30T10:00",      "2026-07-01 12:00",
                         "2026-07-01T24:00",      "2026-07-01T12:60",
                         "2026-07-01T12:00Z",     "1969-12-31T23:00",
                         "2026-7-01T12:00",       "",
                         "2026-07-01T1a:00",      "2026-07-01T12:00+03:00",
                         "2026-07-01T12:00+0200", "2026-07-01T12:00-01:00"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal (kt_local_parse (bad[i], &ms, NULL), -1);
    assert_int_equal (kt_local_parse (NULL, &ms, NULL), -1);
}

/*  The clock changes: a time the spring change skips does not exist and
 *  is refused (not moved an hour); one the autumn change repeats needs
 *  its offset, and then both readings are taken - so a real sequence in
 *  that hour (found at the second 02:10, notified at the second 02:40)
 *  can be typed. */
static void
test_a_time_at_a_clock_change_is_refused_or_needs_its_offset (void **state)
{
    (void) state;
    uint64_t ms = 0;
    kt_reason_t r;
    assert_int_equal (kt_local_parse ("2027-03-28T02:30", &ms, &r), -1);
    assert_non_null (strstr (r.text, "2027-03-28T02:30 does not exist in Dutch time"));
    assert_int_equal (kt_local_parse ("2027-03-28T02:00", &ms, &r), -1);
    assert_int_equal (kt_local_parse ("2027-10-31T02:10", &ms, &r), -1);
    assert_non_null (strstr (r.text, "comes twice"));
    assert_non_null (strstr (r.text, "+02:00"));
    assert_non_null (strstr (r.text, "+01:00"));
    assert_int_equal (kt_local_parse ("2027-10-31T02:10+02:00", &ms, &r), 0);
    assert_true (ms == s_utc (2027, 10, 31, 0, 10));
    assert_int_equal (kt_local_parse ("2027-10-31T02:10+01:00", &ms, &r), 0);
    assert_true (ms == s_utc (2027, 10, 31, 1, 10));
    assert_int_equal (kt_local_parse ("2027-10-31T02:59+01:00", &ms, &r), 0);
    assert_true (ms == s_utc (2027, 10, 31, 1, 59));
    /*  An offset is taken on any time, when it is the one in force. */
    assert_int_equal (kt_local_parse ("2027-07-01T12:00+02:00", &ms, &r), 0);
    assert_true (ms == s_utc (2027, 7, 1, 10, 0));
    assert_int_equal (kt_local_parse ("2027-07-01T12:00+01:00", &ms, &r), -1);
    assert_non_null (strstr (r.text, "not a Dutch time"));
    assert_int_equal (kt_local_parse ("2027-01-15T12:00+02:00", &ms, &r), -1);
    assert_int_equal (kt_local_parse ("2027-03-28T02:30+01:00", &ms, &r), -1);
    assert_int_equal (kt_local_parse ("2027-03-28T02:30+02:00", &ms, &r), -1);
}

/*  The fixed rule agrees with the tz database (when the machine has it)
 *  every hour from 2000 to 2037. */
static void
test_the_fixed_rule_agrees_with_the_tz_database (void **state)
{
    (void) state;
    FILE *zone = fopen ("/usr/share/zoneinfo/Europe/Amsterdam", "r");
    if (!zone)
        skip ();
    fclose (zone);
    char *old = getenv ("TZ") ? strdup (getenv ("TZ")) : NULL;
    setenv ("TZ", "Europe/Amsterdam", 1);
    tzset ();
    for (time_t t = (time_t) (s_utc (2000, 1, 1, 0, 0) / 1000);
         t < (time_t) (s_utc (2037, 12, 31, 0, 0) / 1000); t += 3600) {
        struct tm tm;
        localtime_r (&t, &tm);
        if (kt_amsterdam_offset ((int64_t) t) != tm.tm_gmtoff)
            fail_msg ("offset differs at %lld", (long long) t);
    }
    if (old)
        setenv ("TZ", old, 1);
    else
        unsetenv ("TZ");
    tzset ();
    free (old);
}

static void
s_due_is (const char *received, const char *day, uint64_t end_utc_ms)
{
    uint64_t due;
    char due_day[11];
    kt_reason_t r;
    assert_int_equal (request_due (received, &due, due_day, &r), 0);
    assert_string_equal (due_day, day);
    assert_int_equal (due, end_utc_ms - 1);
}

static void
test_the_answer_is_due_at_the_end_of_the_day_four_weeks_after_receipt (void **state)
{
    (void) state;
    /*  Winter: the day ends at 23:00 UTC. */
    s_due_is ("2026-01-05", "2026-02-02", s_utc (2026, 2, 2, 23, 0));
    /*  Due on the day summer time starts (29 March 2026): still CET at
     *  midnight before it, so that day ends at 22:00 UTC (CEST). */
    s_due_is ("2026-03-01", "2026-03-29", s_utc (2026, 3, 29, 22, 0));
    /*  Due the day before: it ends at local midnight, CET. */
    s_due_is ("2026-02-28", "2026-03-28", s_utc (2026, 3, 28, 23, 0));
    /*  Due on the day summer time ends (25 October 2026): ends in CET. */
    s_due_is ("2026-09-27", "2026-10-25", s_utc (2026, 10, 25, 23, 0));
    s_due_is ("2026-09-26", "2026-10-24", s_utc (2026, 10, 24, 22, 0));
    /*  Month, leap year and year ends. */
    s_due_is ("2026-01-31", "2026-02-28", s_utc (2026, 2, 28, 23, 0));
    s_due_is ("2028-02-01", "2028-02-29", s_utc (2028, 2, 29, 23, 0));
    s_due_is ("2026-12-15", "2027-01-12", s_utc (2027, 1, 12, 23, 0));
    uint64_t due;
    char day[11];
    kt_reason_t r;
    assert_int_equal (request_due ("2026-02-30", &due, day, &r), -1);
    assert_int_equal (request_due ("2026-1-5", &due, day, &r), -1);
    assert_int_equal (request_due ("", &due, day, &r), -1);
}

static void
test_status_warns_a_week_ahead_and_alarms_once_overdue (void **state)
{
    (void) state;
    uint64_t due = s_utc (2026, 2, 2, 23, 0) - 1;
    assert_string_equal (request_deadline_state (due, due - 8ull * 86400000), "ok");
    assert_string_equal (request_deadline_state (due, due - 6ull * 86400000), "warning");
    assert_string_equal (request_deadline_state (due, due), "warning");
    assert_string_equal (request_deadline_state (due, due + 1), "overdue");
}

/* ---- the register ------------------------------------------------------ */

typedef struct {
    char dir[64];
    request_t *reg;
} reg_fixture_t;

static int
s_reg_setup (void **state)
{
    reg_fixture_t *f = calloc (1, sizeof *f);
    if (!f || testutil_tmpdir (f->dir, sizeof f->dir, "request") != 0)
        return -1;
    char path[128];
    kt_reason_t r;
    snprintf (path, sizeof path, "%s/requests.db", f->dir);
    if (!(f->reg = request_open (path, &r)))
        return -1;
    *state = f;
    return 0;
}

static int
s_reg_teardown (void **state)
{
    reg_fixture_t *f = *state;
    request_destroy (&f->reg);
    int rc = testutil_rmtree (f->dir);
    free (f);
    return rc;
}

typedef struct {
    char id[8][REQUEST_ID_LEN];
    char state[8][24];
    char case_ref[8][24];
    char repr[8][24];
    size_t n;
} rows_t;

static int
s_take (void *arg, const request_row_t *row, kt_reason_t *reason)
{
    (void) reason;
    rows_t *rows = arg;
    if (rows->n < 8) {
        snprintf (rows->id[rows->n], REQUEST_ID_LEN, "%s", row->id);
        snprintf (rows->state[rows->n], 24, "%s", row->state);
        snprintf (rows->case_ref[rows->n], 24, "%s", row->case_ref);
        snprintf (rows->repr[rows->n], 24, "%s", row->representation);
        rows->n++;
    }
    return 0;
}

static void
test_a_request_is_registered_linked_and_closed_once (void **state)
{
    reg_fixture_t *f = *state;
    uint64_t now = s_utc (2026, 12, 3, 12, 0);
    request_new_t in = {"inzage", "2026-12-01",      "betrokkene",
                        NULL,     "Baliemedewerker", "paspoort ingezien, niet gekopieerd"};
    char id[REQUEST_ID_LEN], id2[REQUEST_ID_LEN];
    kt_reason_t r;
    assert_int_equal (request_register (f->reg, &in, 1000, now, id, &r), 0);
    assert_int_equal (strncmp (id, "r-", 2), 0);
    request_new_t rep = in;
    rep.from = "vertegenwoordiger";
    rep.representation = "minderjarige";
    assert_int_equal (request_register (f->reg, &rep, 1000, now, id2, &r), 0);
    /*  Not linked yet: no answer. */
    assert_int_equal (
        request_close (f->reg, id, NULL, NULL, false, REQUEST_HELD, "politie-test", 1000, now, &r),
        -1);
    assert_int_equal (request_link (f->reg, id, "k-0123456789abcdef", 1000, now, &r), 0);
    /*  An uncertain request closes only as "nothing found" when unlinked. */
    assert_int_equal (request_close (f->reg, id, NULL, NULL, false, REQUEST_NOTHING_FOUND,
                                     "politie-test", 1000, now, &r),
                      -1);
    assert_int_equal (
        request_close (f->reg, id, NULL, NULL, false, REQUEST_HELD, "politie-test", 1000, now, &r),
        0);
    assert_int_equal (
        request_close (f->reg, id, NULL, NULL, false, REQUEST_HELD, "politie-test", 1000, now, &r),
        -1);
    assert_int_equal (request_link (f->reg, id, "k-0000000000000000", 1000, now, &r), -1);
    /*  A refusal needs its motivation. */
    assert_int_equal (request_link (f->reg, id2, "k-0123456789abcdef", 1000, now, &r), 0);
    assert_int_equal (request_close (f->reg, id2, "41-1-d", "", false, REQUEST_HELD, "politie-test",
                                     1000, now, &r),
                      -1);
    assert_int_equal (request_close (f->reg, id2, "41-1-d", "Lopend onderzoek.", true, REQUEST_HELD,
                                     "politie-test", 1000, now, &r),
                      0);

    rows_t rows = {0};
    assert_int_equal (request_each (f->reg, false, s_take, &rows, &r), 0);
    assert_int_equal (rows.n, 2);
    rows_t open = {0};
    assert_int_equal (request_each (f->reg, true, s_take, &open, &r), 0);
    assert_int_equal (open.n, 0);
    rows_t one = {0};
    assert_int_equal (request_get (f->reg, id2, s_take, &one, &r), 1);
    assert_string_equal (one.state[0], "partly-refused");
    assert_string_equal (one.repr[0], "minderjarige");
    assert_int_equal (request_get (f->reg, "r-0000000000000000", s_take, &one, &r), 0);
}

static void
test_a_request_is_refused_when_its_fields_are_not_right (void **state)
{
    reg_fixture_t *f = *state;
    uint64_t now = s_utc (2026, 12, 3, 12, 0);
    kt_reason_t r;
    char id[REQUEST_ID_LEN];
    const request_new_t bad[] = {
        {"inkijk", "2026-12-01", "betrokkene", NULL, "A", "B"},
        {"inzage", "2026-12-04", "betrokkene", NULL, "A", "B"}, /* after today */
        {"inzage", "2025-10-01", "betrokkene", NULL, "A", "B"}, /* over a year ago */
        {"inzage", "2026-12-01", "buurman", NULL, "A", "B"},
        {"inzage", "2026-12-01", "vertegenwoordiger", NULL, "A", "B"},
        {"inzage", "2026-12-01", "vertegenwoordiger", "oom", "A", "B"},
        {"inzage", "2026-12-01", "betrokkene", "curatele", "A", "B"},
        {"inzage", "2026-12-01", "betrokkene", NULL, "", "B"},
        {"inzage", "2026-12-01", "betrokkene", NULL, "A", "regel\x01"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (request_register (f->reg, &bad[i], 0, now, id, &r) == 0)
            fail_msg ("bad request %zu was registered", i);
    /*  The local day: 23:30 UTC on 3 December is already 4 December. */
    request_new_t late = {"verzet", "2026-12-04", "betrokkene", NULL, "A", "B"};
    assert_int_equal (request_register (f->reg, &late, 0, s_utc (2026, 12, 3, 23, 30), id, &r), 0);
    rows_t rows = {0};
    assert_int_equal (request_each (f->reg, false, s_take, &rows, &r), 0);
    assert_int_equal (rows.n, 1);
}

/*  docs/RIGHTS.md: a date of receipt more than a year old is refused - a
 *  calendar year on the Dutch calendar, not a year after its deadline. */
static void
test_a_receipt_more_than_a_year_old_is_refused (void **state)
{
    (void) state;
    static const struct {
        uint64_t now;
        const char *received;
        bool taken;
    } cases[] = {
        {0, "2025-12-07", true},  {0, "2025-12-06", false}, {0, "2025-11-20", false},
        {0, "2025-11-08", false}, {1, "2027-02-28", true},  {1, "2027-02-27", false},
        {2, "2025-12-08", true},  {2, "2025-12-07", false},
    };
    /*  2026-12-07 12:00 UTC; 2028-02-29 12:00 UTC; 2026-12-07 23:30 UTC,
     *  already 8 December on the Dutch calendar. */
    const uint64_t nows[] = {s_utc (2026, 12, 7, 12, 0), s_utc (2028, 2, 29, 12, 0),
                             s_utc (2026, 12, 7, 23, 30)};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        request_new_t r = {"inzage", cases[i].received, "betrokkene", NULL, "A", "B"};
        kt_reason_t why = {""};
        int rc = request_check (&r, nows[cases[i].now], &why);
        if ((rc == 0) != cases[i].taken)
            fail_msg ("received %s, case %zu: %s (%s)", cases[i].received, i,
                      rc == 0 ? "taken" : "refused", why.text);
        if (rc != 0 && !strstr (why.text, "more than a year old"))
            fail_msg ("received %s: %s", cases[i].received, why.text);
    }
}

/* ---- finding the person ------------------------------------------------ */

typedef struct {
    char dir[64];
    uint8_t storage_key[32];
    keystore_t *keystore;
    weegploeg_t *weegploeg;
} wp_fixture_t;

static int
s_wp_setup (void **state)
{
    wp_fixture_t *f = calloc (1, sizeof *f);
    if (!f || testutil_tmpdir (f->dir, sizeof f->dir, "reqfind") != 0)
        return -1;
    randombytes_buf (f->storage_key, sizeof f->storage_key);
    char path[128];
    kt_reason_t r;
    snprintf (path, sizeof path, "%s/keys.db", f->dir);
    f->keystore = keystore_open (path, f->storage_key, &r);
    snprintf (path, sizeof path, "%s/weegploeg.db", f->dir);
    f->weegploeg = f->keystore ? weegploeg_open (path, f->keystore, f->storage_key, &r) : NULL;
    if (!f->weegploeg)
        return -1;
    *state = f;
    return 0;
}

static int
s_wp_teardown (void **state)
{
    wp_fixture_t *f = *state;
    weegploeg_destroy (&f->weegploeg);
    keystore_destroy (&f->keystore);
    int rc = testutil_rmtree (f->dir);
    free (f);
    return rc;
}

/*  Store a signal about name/birth/bsn; case_ref receives its subject. */
static void
s_store (wp_fixture_t *f, const char *name, const char *birth, const char *bsn, char case_ref[40])
{
    char bsn_field[64] = "", text[1024];
    if (bsn)
        snprintf (bsn_field, sizeof bsn_field, ", \"bsn\": \"%s\"", bsn);
    snprintf (text, sizeof text,
              "{\"subject\": {\"name\": \"%s\", \"birth_date\": \"%s\","
              " \"municipality\": \"Maastricht\"%s}, \"description\": \"Fictief.\","
              " \"category\": \"uitingen\", \"observed_on\": \"2026-01-10\","
              " \"melder\": {\"name\": \"Agent Test\", \"contact\": \"t@politie.invalid\"},"
              " \"source\": {\"kind\": \"eigen\"}, \"legal_basis\": \"wpg-16\"}",
              name, birth, bsn_field);
    Keten__Signal *signal = NULL;
    kt_reason_t r;
    if (intake_signal_from_json (text, strlen (text), &signal, &r) != 0)
        fail_msg ("intake: %s", r.text);
    uint8_t id[KT_ID_LEN], commitment[32];
    randombytes_buf (id, sizeof id);
    randombytes_buf (commitment, sizeof commitment);
    weegploeg_signal_t w = {
        id, "politie-test", kt_now_ms (), kt_now_ms (), 1, commitment, signal, "", "", NULL, 0};
    if (weegploeg_store_signals (f->weegploeg, &w, 1, &r) != 0)
        fail_msg ("store: %s", r.text);
    intake_signal_destroy (&signal);
    snprintf (case_ref, 40, "%s", w.case_ref);
}

typedef struct {
    char line[8][128];
    size_t n;
} hits_t;

static int
s_hit (void *arg, const weegploeg_found_t *found, kt_reason_t *reason)
{
    (void) reason;
    hits_t *h = arg;
    if (h->n < 8)
        snprintf (h->line[h->n++], 128, "%s %s %s%s", found->case_ref,
                  found->certain ? "certain" : "uncertain", found->by,
                  found->archived ? " archived" : "");
    return 0;
}

static void
s_expect (hits_t *h, size_t i, const char *ref, const char *rest)
{
    char want[128];
    snprintf (want, sizeof want, "%s %s", ref, rest);
    assert_true (i < h->n);
    assert_string_equal (h->line[i], want);
}

static void
test_a_person_is_found_by_bsn_or_name_and_birth_date_archived_too (void **state)
{
    wp_fixture_t *f = *state;
    char a[40], b[40], c[40];
    s_store (f, "Test Persoon", "2001-04-12", "111222333", a);
    s_store (f, "Ander Persoon", "1999-02-03", NULL, b);
    kt_reason_t r;
    hits_t h = {0};
    assert_int_equal (weegploeg_find_person (f->weegploeg, "111222333", NULL, NULL, s_hit, &h, &r),
                      0);
    assert_int_equal (h.n, 1);
    s_expect (&h, 0, a, "certain bsn");
    /*  Name normalised as at intake. */
    h = (hits_t){0};
    assert_int_equal (
        weegploeg_find_person (f->weegploeg, NULL, "test-PERSOON", "2001-04-12", s_hit, &h, &r), 0);
    assert_int_equal (h.n, 1);
    s_expect (&h, 0, a, "certain name+birth");
    h = (hits_t){0};
    assert_int_equal (
        weegploeg_find_person (f->weegploeg, NULL, "Test Persoon", "2001-04-13", s_hit, &h, &r), 0);
    assert_int_equal (h.n, 0);
    assert_int_equal (weegploeg_find_person (f->weegploeg, NULL, NULL, NULL, s_hit, &h, &r), -1);

    /*  Archived (art. 13.2): still found, and shown as archived. */
    assert_int_equal (store_begin (weegploeg_db (f->weegploeg), &r), 0);
    assert_int_equal (weegploeg_set_archived (f->weegploeg, a, true, &r), 0);
    assert_int_equal (store_commit (weegploeg_db (f->weegploeg), &r), 0);
    h = (hits_t){0};
    assert_int_equal (weegploeg_find_person (f->weegploeg, "111222333", NULL, NULL, s_hit, &h, &r),
                      0);
    s_expect (&h, 0, a, "certain bsn archived");
    /*  Every read refuses the archive; the desk's read, for the person's
     *  own inzage, decrypts it. */
    weegploeg_case_signal_t *signals = NULL;
    size_t n = 0;
    assert_int_equal (weegploeg_read_case (f->weegploeg, a, &signals, &n, &r), -1);
    assert_non_null (strstr (r.text, "archived"));
    assert_int_equal (weegploeg_read_case_archived (f->weegploeg, a, true, &signals, &n, &r), 0);
    assert_int_equal (n, 1);
    assert_string_equal (signals[0].signal->subject->bsn, "111222333");
    assert_string_equal (signals[0].sender, "politie-test");
    weegploeg_case_free (signals, n);
    assert_int_equal (
        weegploeg_read_case_archived (f->weegploeg, "k-00000000000000ff", true, &signals, &n, &r),
        -1);

    /*  A new signal with the same name and birth date but another BSN is
     *  another subject: asked by name, both are uncertain; asked by BSN
     *  with the name, the other one is uncertain. */
    s_store (f, "Test Persoon", "2001-04-12", "123456782", c);
    assert_string_not_equal (a, c);
    h = (hits_t){0};
    assert_int_equal (
        weegploeg_find_person (f->weegploeg, NULL, "Test Persoon", "2001-04-12", s_hit, &h, &r), 0);
    assert_int_equal (h.n, 2);
    s_expect (&h, 0, a, "uncertain name+birth archived");
    s_expect (&h, 1, c, "uncertain name+birth");
    h = (hits_t){0};
    assert_int_equal (weegploeg_find_person (f->weegploeg, "123456782", "Test Persoon",
                                             "2001-04-12", s_hit, &h, &r),
                      0);
    assert_int_equal (h.n, 2);
    s_expect (&h, 0, c, "certain bsn");
    s_expect (&h, 1, a, "uncertain name+birth archived");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_summer_time_starts_and_ends_at_one_utc_on_the_last_sundays),
        cmocka_unit_test (test_the_fixed_rule_agrees_with_the_tz_database),
        cmocka_unit_test (test_a_dutch_time_typed_reads_the_same_in_any_tz),
        cmocka_unit_test (test_a_time_at_a_clock_change_is_refused_or_needs_its_offset),
        cmocka_unit_test (test_the_answer_is_due_at_the_end_of_the_day_four_weeks_after_receipt),
        cmocka_unit_test (test_status_warns_a_week_ahead_and_alarms_once_overdue),
        cmocka_unit_test (test_a_receipt_more_than_a_year_old_is_refused),
        cmocka_unit_test_setup_teardown (test_a_request_is_registered_linked_and_closed_once,
                                         s_reg_setup, s_reg_teardown),
        cmocka_unit_test_setup_teardown (test_a_request_is_refused_when_its_fields_are_not_right,
                                         s_reg_setup, s_reg_teardown),
        cmocka_unit_test_setup_teardown (
            test_a_person_is_found_by_bsn_or_name_and_birth_date_archived_too, s_wp_setup,
            s_wp_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
