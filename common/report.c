/*  report: periods and small-count suppression (report.h, docs/REPORT.md). */
#include "report.h"

#include "calendar.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

const char report_rule[] =
    "A count per gemeente below 5 is shown as \"< 5\" (0 included). Where one hidden count of "
    "a row or column could be worked out from its total, the smallest other count of that row "
    "or column is hidden as well (secondary suppression), or the total when there is none. "
    "Region totals are shown as counted; breakdowns (source kind, category, outcome, "
    "recipient) for the region only, and categories counted fewer than 5 times as one line; "
    "the median duration only from 5 cases on.";

static bool
s_digits (const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isdigit ((unsigned char) s[i]))
            return false;
    return true;
}

int
report_period (const char *text, char from[11], char to[11], kt_reason_t *reason)
{
    size_t len = text ? strnlen (text, 16) : 0;
    if (len < 4 || !s_digits (text, 4))
        return kt_fail (reason, "the period is a quarter (2026Q4), a year (2026) or a month "
                                "(2026-11)");
    int y = (text[0] - '0') * 1000 + (text[1] - '0') * 100 + (text[2] - '0') * 10 + text[3] - '0';
    int m1, m2;
    if (y < 2000 || y > 9998)
        return kt_fail (reason, "the period's year must be 2000..9998");
    if (len == 4) {
        m1 = 1;
        m2 = 12;
    } else if (len == 6 && (text[4] == 'Q' || text[4] == 'q') && text[5] >= '1' && text[5] <= '4') {
        m1 = (text[5] - '1') * 3 + 1;
        m2 = m1 + 2;
    } else if (len == 7 && text[4] == '-' && s_digits (text + 5, 2)) {
        m1 = m2 = (text[5] - '0') * 10 + text[6] - '0';
        if (m1 < 1 || m1 > 12)
            return kt_fail (reason, "the period's month must be 01..12");
    } else
        return kt_fail (reason, "the period is a quarter (2026Q4), a year (2026) or a month "
                                "(2026-11)");
    int yy, mm, dd;
    /*  The last day: the day before the first of the next month. */
    kt_civil_from_days (kt_days_from_civil (y, m2 + 1, 1) - 1, &yy, &mm, &dd);
    if (m2 == 12)
        kt_civil_from_days (kt_days_from_civil (y + 1, 1, 1) - 1, &yy, &mm, &dd);
    char buf[32];
    snprintf (buf, sizeof buf, "%04d-%02d-01", y, m1);
    memcpy (from, buf, 11);
    snprintf (buf, sizeof buf, "%04d-%02d-%02d", yy, mm, dd);
    memcpy (to, buf, 11);
    return 0;
}

/*  Lines of the table: a row (is_row) or a column, by index. */
static size_t
s_cell (size_t cols, bool is_row, size_t line, size_t k)
{
    return is_row ? line * cols + k : k * cols + line;
}

/*  One pass over every row or every column: true when it hid something. */
static bool
s_pass (size_t rows, size_t cols, const int64_t *v, bool *hidden, bool *totals, bool is_row)
{
    bool changed = false;
    size_t lines = is_row ? rows : cols, len = is_row ? cols : rows;
    for (size_t l = 0; l < lines; l++) {
        if (totals && totals[l])
            continue;
        size_t n_hidden = 0, best = len;
        for (size_t k = 0; k < len; k++) {
            size_t i = s_cell (cols, is_row, l, k);
            if (hidden[i])
                n_hidden++;
            else if (best == len || v[i] < v[s_cell (cols, is_row, l, best)])
                best = k;
        }
        if (n_hidden != 1)
            continue;
        if (best < len)
            hidden[s_cell (cols, is_row, l, best)] = true;
        else if (totals)
            totals[l] = true;
        else
            continue;
        changed = true;
    }
    return changed;
}

void
report_suppress (size_t rows, size_t cols, const int64_t *v, bool *hidden, bool *row_total_hidden,
                 bool *col_total_hidden)
{
    for (size_t i = 0; i < rows * cols; i++)
        hidden[i] = v[i] < REPORT_MIN_COUNT;
    for (size_t r = 0; row_total_hidden && r < rows; r++)
        row_total_hidden[r] = false;
    for (size_t c = 0; col_total_hidden && c < cols; c++)
        col_total_hidden[c] = false;
    /*  Each pass hides at least one more cell or total, so this ends. */
    for (bool changed = true; changed;) {
        /*  Both passes every time: no short-circuit. */
        bool by_row = s_pass (rows, cols, v, hidden, row_total_hidden, true);
        bool by_col = s_pass (rows, cols, v, hidden, col_total_hidden, false);
        changed = by_row || by_col;
    }
}
