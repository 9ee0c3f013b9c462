/*  report: the period a person names and the suppression of small counts
 *  (common/report.c, docs/REPORT.md).  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "report.h"

#include <stdlib.h>
#include <string.h>

static void
s_period (const char *text, const char *from, const char *to)
{
    char f[11], t[11];
    kt_reason_t reason;
    assert_int_equal (report_period (text, f, t, &reason), 0);
    assert_string_equal (f, from);
    assert_string_equal (t, to);
}

static void
test_periods_are_quarters_years_and_months (void **state)
{
    (void) state;
    s_period ("2026Q4", "2026-10-01", "2026-12-31");
    s_period ("2026Q1", "2026-01-01", "2026-03-31");
    s_period ("2026q2", "2026-04-01", "2026-06-30");
    s_period ("2026", "2026-01-01", "2026-12-31");
    s_period ("2024-02", "2024-02-01", "2024-02-29");
    s_period ("2026-11", "2026-11-01", "2026-11-30");
    static const char *const bad[] = {"2026Q5",  "2026Q0", "2026-00", "2026-13", "26Q1", "abcd",
                                      "2026 Q1", "2026-1", "2026Q41", "",        "1999", NULL};
    char f[11], t[11];
    kt_reason_t reason;
    for (size_t i = 0; bad[i]; i++) {
        reason.text[0] = '\0';
        assert_int_equal (report_period (bad[i], f, t, &reason), -1);
        assert_true (strlen (reason.text) > 0);
    }
    assert_int_equal (report_period (NULL, f, t, &reason), -1);
}

static void
test_small_counts_are_hidden (void **state)
{
    (void) state;
    /*  Two gemeenten and "other": 6, 2, 0; two hidden, nothing to give away. */
    int64_t v[] = {6, 2, 0};
    bool h[3], row;
    report_suppress (1, 3, v, h, &row, NULL);
    assert_false (h[0]);
    assert_true (h[1]);
    assert_true (h[2]);
    assert_false (row);
    /*  5 is shown, 4 is not. */
    int64_t w[] = {5, 4, 4};
    report_suppress (1, 3, w, h, &row, NULL);
    assert_false (h[0]);
    assert_true (h[1] && h[2]);
}

static void
test_one_hidden_cell_takes_another (void **state)
{
    (void) state;
    /*  7 + 2 + 6 = 15 is published: the 2 alone would be 15 - 7 - 6, so
     *  the smallest other (6) goes too. */
    int64_t v[] = {7, 2, 6};
    bool h[3], row;
    report_suppress (1, 3, v, h, &row, NULL);
    assert_false (h[0]);
    assert_true (h[1]);
    assert_true (h[2]);
    assert_false (row);
    /*  A line whose one cell is hidden hides its total. */
    int64_t one[] = {3};
    bool h1, r1, c1;
    report_suppress (1, 1, one, &h1, &r1, &c1);
    assert_true (h1);
    assert_true (r1);
    assert_true (c1);
}

static void
test_secondary_runs_through_rows_and_columns (void **state)
{
    (void) state;
    /*  [6 2]   the 2 takes the 6 (row); then column 0 has the 6 alone and
     *  [7 8]   takes the 7, column 1 the 2 alone and takes the 8. */
    int64_t v[] = {6, 2, 7, 8};
    bool h[4], rows[2], cols[2];
    report_suppress (2, 2, v, h, rows, cols);
    for (size_t i = 0; i < 4; i++)
        assert_true (h[i]);
    assert_false (rows[0] || rows[1] || cols[0] || cols[1]);
    /*  Nothing small: nothing hidden. */
    int64_t big[] = {5, 9, 12, 40};
    report_suppress (2, 2, big, h, rows, cols);
    for (size_t i = 0; i < 4; i++)
        assert_false (h[i]);
}

/*  Whatever the counts, no row or column is left with exactly one hidden
 *  cell unless its total is hidden, and every count below 5 is hidden. */
static void
test_no_line_gives_a_hidden_cell_away (void **state)
{
    (void) state;
    srand (20261204);
    for (int round = 0; round < 2000; round++) {
        size_t rows = 1 + (size_t) (rand () % 5), cols = 1 + (size_t) (rand () % 6);
        int64_t v[30];
        bool h[30], rh[5], ch[6];
        for (size_t i = 0; i < rows * cols; i++)
            v[i] = rand () % 3 ? rand () % 20 : rand () % 5;
        report_suppress (rows, cols, v, h, rh, ch);
        for (size_t i = 0; i < rows * cols; i++)
            if (v[i] < REPORT_MIN_COUNT)
                assert_true (h[i]);
        for (size_t r = 0; r < rows; r++) {
            size_t n = 0;
            for (size_t c = 0; c < cols; c++)
                n += h[r * cols + c];
            assert_true (n != 1 || rh[r]);
        }
        for (size_t c = 0; c < cols; c++) {
            size_t n = 0;
            for (size_t r = 0; r < rows; r++)
                n += h[r * cols + c];
            assert_true (n != 1 || ch[c]);
        }
    }
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_periods_are_quarters_years_and_months),
        cmocka_unit_test (test_small_counts_are_hidden),
        cmocka_unit_test (test_one_hidden_cell_takes_another),
        cmocka_unit_test (test_secondary_runs_through_rows_and_columns),
        cmocka_unit_test (test_no_line_gives_a_hidden_cell_away),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
