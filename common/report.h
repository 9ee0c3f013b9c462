/*  report: the rules of `keten report` that the uitvoerder applies and a
 *  test can check without a daemon (docs/REPORT.md): the period a person
 *  names, and the suppression of small counts.
 */
#ifndef KETEN_REPORT_H
#define KETEN_REPORT_H

#include "util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*  A count per gemeente below this is not shown. */
#define REPORT_MIN_COUNT 5
/*  How a suppressed count is shown. */
#define REPORT_SUPPRESSED "< 5"
/*  The rule, as the report states it. */
extern const char report_rule[];

/*  A period on the Europe/Amsterdam calendar: a quarter "2026Q4", a year
 *  "2026" or a month "2026-11", into its first and last day (YYYY-MM-DD,
 *  both included).  0, or -1 with a reason naming what is wrong. */
int report_period (const char *text, char from[11], char to[11], kt_reason_t *reason);

/*  The suppression of one table of counts: rows x cols cells v (row
 *  major) whose row and column totals are published.  hidden[i] is set
 *  for a cell below REPORT_MIN_COUNT (primary) and, while some row or
 *  column has exactly one hidden cell (which its total would give away),
 *  for the smallest other cell of that line (secondary).  A line with
 *  one hidden cell and no other cell to hide hides its total instead:
 *  row_total_hidden[r], col_total_hidden[c] (either may be NULL when the
 *  table has one row or one column, which then always hides its total
 *  if its one cell is hidden: the caller passes them). */
void report_suppress (size_t rows, size_t cols, const int64_t *v, bool *hidden,
                      bool *row_total_hidden, bool *col_total_hidden);

#endif
