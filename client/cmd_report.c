/*  keten report: figures without persons for a period (convenant art.
 *  15.3, 18.4; docs/REPORT.md), as the uitvoerder answers them.  The
 *  counts arrive suppressed already
 *  (common/report.c); this file only lays them out: text, CSV, or one
 *  self-contained HTML page (inline CSS and SVG, no script, a
 *  Content-Security-Policy that forbids scripts).
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char s_report_usage[] =
    "Usage: keten report --period PERIOD [--format text|csv|html] [--out FILE]\n"
    "\n"
    "Figures without persons for a period, from the uitvoerder's figure table\n"
    "(art. 15.3, 18.4; docs/REPORT.md): signals by source kind and category,\n"
    "weegploeg decisions, cases opened and closed with their durations, plan\n"
    "versions, disclosures, requests answered in time, incidents reported to the\n"
    "AP within 72 hours, subjects archived and destroyed.  Per gemeente a count\n"
    "below 5 shows as \"< 5\" (the report states the rule).  Needs the audit group.\n"
    "\n"
    "  --period PERIOD  a quarter (2026Q4), a year (2026) or a month (2026-11), on\n"
    "                   the Europe/Amsterdam calendar\n"
    "  --format FORMAT  text (default), csv (section,measure,gemeente,value) or\n"
    "                   html (one self-contained page, printable)\n"
    "  --out FILE       write to FILE instead of standard output\n";

enum { O_PERIOD = CLI_OPT_LONG + 1, O_FORMAT, O_OUT };

typedef struct {
    const char *period, *format, *out;
} s_args_t;

static int
s_option (void *arg, const char *cmd, int opt, const char *value)
{
    s_args_t *a = arg;
    switch (opt) {
    case O_PERIOD:
        return cli_opt_string (cmd, "period", value, 16, &a->period);
    case O_OUT:
        return cli_opt_string (cmd, "out", value, 4096, &a->out);
    default: /* O_FORMAT */
        return cli_opt_string (cmd, "format", value, 16, &a->format);
    }
}

/* ---- the report's lines ------------------------------------------------------ */

#define MAX_COLS 260

/*  One measure: its section, its value per column (the gemeenten, then
 *  "other"), and its region total; per_gemeente when it has columns. */
typedef struct {
    char section[64], measure[CLI_CELL_MAX + 1];
    char total[24];
    char (*cells)[24];
    bool per_gemeente;
} s_line_t;

typedef struct {
    const char *cols[MAX_COLS];
    size_t n_cols;
    s_line_t *lines;
    size_t n_lines;
} s_report_t;

static void
s_report_free (s_report_t *r)
{
    for (size_t i = 0; i < r->n_lines; i++)
        free (r->lines[i].cells);
    free (r->lines);
}

static void
s_value (json_t *v, char out[24])
{
    if (json_is_integer (v))
        snprintf (out, 24, "%lld", (long long) json_integer_value (v));
    else if (json_is_string (v))
        cli_clean (out, 24, json_string_value (v));
    else
        snprintf (out, 24, "-");
}

/*  The answer's figures as lines, in the order they came. */
static int
s_collect (json_t *result, s_report_t *r)
{
    json_t *g;
    size_t i;
    json_array_foreach (json_object_get (result, "gemeenten"), i, g)
    {
        if (r->n_cols + 1 >= MAX_COLS || !json_is_string (g))
            break;
        r->cols[r->n_cols++] = json_string_value (g);
    }
    r->cols[r->n_cols++] = "other";
    json_t *figures = json_object_get (result, "figures");
    r->lines = calloc (json_array_size (figures) + 1, sizeof *r->lines);
    if (!r->lines)
        return -1;
    json_t *f;
    json_array_foreach (figures, i, f)
    {
        char section[64], measure[CLI_CELL_MAX + 1], gemeente[CLI_CELL_MAX + 1];
        cli_json_str (f, "section", section, sizeof section);
        cli_json_str (f, "measure", measure, sizeof measure);
        cli_json_str (f, "gemeente", gemeente, sizeof gemeente);
        s_line_t *l = r->n_lines ? &r->lines[r->n_lines - 1] : NULL;
        if (!l || strcmp (l->section, section) || strcmp (l->measure, measure)) {
            l = &r->lines[r->n_lines++];
            snprintf (l->section, sizeof l->section, "%s", section);
            snprintf (l->measure, sizeof l->measure, "%s", measure);
            snprintf (l->total, sizeof l->total, "-");
            if (!(l->cells = calloc (r->n_cols, sizeof *l->cells)))
                return -1;
            for (size_t c = 0; c < r->n_cols; c++)
                snprintf (l->cells[c], 24, "-");
        }
        json_t *v = json_object_get (f, "value");
        if (strcmp (gemeente, "total") == 0) {
            s_value (v, l->total);
            continue;
        }
        for (size_t c = 0; c < r->n_cols; c++)
            if (strcmp (r->cols[c], gemeente) == 0) {
                s_value (v, l->cells[c]);
                l->per_gemeente = true;
            }
    }
    return 0;
}

static void
s_head (FILE *out, json_t *result, char *federation, size_t flen, char *period, size_t plen)
{
    char from[16], to[16];
    uint64_t version = 0;
    cli_json_str (result, "federation", federation, flen);
    cli_json_str (result, "period", period, plen);
    cli_json_str (result, "from", from, sizeof from);
    cli_json_str (result, "to", to, sizeof to);
    cli_json_uint (result, "roster_version", &version);
    fprintf (
        out,
        "Figures of federation %s, period %s (%s .. %s, Europe/Amsterdam), roster version %llu\n",
        federation, period, from, to, (unsigned long long) version);
}

static void
s_text (FILE *out, json_t *result, const s_report_t *r)
{
    char federation[80], period[24], rule[1024];
    s_head (out, result, federation, sizeof federation, period, sizeof period);
    cli_json_str (result, "rule", rule, sizeof rule);
    fprintf (out, "Suppression: %s\n", rule);
    for (size_t i = 0; i < r->n_lines;) {
        const char *section = r->lines[i].section;
        fprintf (out, "\n%s\n", section);
        const char *header[MAX_COLS + 2] = {"MEASURE", "TOTAL"};
        for (size_t c = 0; c < r->n_cols; c++)
            header[c + 2] = r->cols[c];
        cli_table_t *t = cli_table_new (r->n_cols + 2, header);
        size_t rows = 0;
        size_t j = i;
        for (; j < r->n_lines && strcmp (r->lines[j].section, section) == 0; j++) {
            if (!r->lines[j].per_gemeente)
                continue;
            const char *cells[MAX_COLS + 2] = {r->lines[j].measure, r->lines[j].total};
            for (size_t c = 0; c < r->n_cols; c++)
                cells[c + 2] = r->lines[j].cells[c];
            cli_table_add (t, cells);
            rows++;
        }
        if (rows)
            cli_table_print (t);
        cli_table_destroy (&t);
        for (size_t k = i; k < j; k++)
            if (!r->lines[k].per_gemeente)
                fprintf (out, "  %s: %s\n", r->lines[k].measure, r->lines[k].total);
        i = j;
    }
}

/*  A CSV field: quoted when it holds a comma, quote or line break. */
static void
s_csv_field (FILE *out, const char *s, bool last)
{
    if (strpbrk (s, ",\"\r\n")) {
        fputc ('"', out);
        for (; *s; s++) {
            if (*s == '"')
                fputc ('"', out);
            fputc (*s, out);
        }
        fputc ('"', out);
    } else
        fputs (s, out);
    fputs (last ? "\r\n" : ",", out);
}

static void
s_csv (FILE *out, const s_report_t *r)
{
    fputs ("section,measure,gemeente,value\r\n", out);
    for (size_t i = 0; i < r->n_lines; i++) {
        const s_line_t *l = &r->lines[i];
        for (size_t c = 0; l->per_gemeente && c < r->n_cols; c++) {
            s_csv_field (out, l->section, false);
            s_csv_field (out, l->measure, false);
            s_csv_field (out, r->cols[c], false);
            s_csv_field (out, l->cells[c], true);
        }
        s_csv_field (out, l->section, false);
        s_csv_field (out, l->measure, false);
        s_csv_field (out, "total", false);
        s_csv_field (out, l->total, true);
    }
}

/*  A horizontal bar per column of line l; a suppressed count gets no bar,
 *  only its "< 5". */
static void
s_svg_bars (FILE *out, const s_report_t *r, const s_line_t *l)
{
    long long max = 1;
    for (size_t c = 0; c < r->n_cols; c++) {
        char *end;
        long long v = strtoll (l->cells[c], &end, 10);
        if (*end == '\0' && end != l->cells[c] && v > max)
            max = v;
    }
    const int row_h = 22, label_w = 200, bar_w = 440, width = 720;
    int height = (int) r->n_cols * row_h + 8;
    fprintf (out,
             "<svg class=\"chart\" role=\"img\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\""
             " xmlns=\"http://www.w3.org/2000/svg\"><title>",
             width, height, width, height);
    cli_html_text (out, l->measure);
    fputs (" per gemeente</title>", out);
    for (size_t c = 0; c < r->n_cols; c++) {
        int y = 4 + (int) c * row_h;
        fprintf (out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", label_w - 8, y + 15);
        cli_html_text (out, r->cols[c]);
        fputs ("</text>", out);
        char *end;
        long long v = strtoll (l->cells[c], &end, 10);
        bool number = *end == '\0' && end != l->cells[c];
        int w = number ? (int) (v * bar_w / max) : 0;
        if (number && v > 0)
            fprintf (out, "<rect class=\"bar\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\"/>",
                     label_w, y + 2, w < 2 ? 2 : w, row_h - 6);
        fprintf (out, "<text x=\"%d\" y=\"%d\">", label_w + w + 6, y + 15);
        cli_html_text (out, l->cells[c]);
        fputs ("</text>", out);
    }
    fputs ("</svg>\n", out);
}

static void
s_html (FILE *out, json_t *result, const s_report_t *r)
{
    char federation[80], period[24], from[16], to[16], rule[1024];
    uint64_t version = 0;
    cli_json_str (result, "federation", federation, sizeof federation);
    cli_json_str (result, "period", period, sizeof period);
    cli_json_str (result, "from", from, sizeof from);
    cli_json_str (result, "to", to, sizeof to);
    cli_json_str (result, "rule", rule, sizeof rule);
    cli_json_uint (result, "roster_version", &version);
    fputs ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
           "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
           "style-src 'unsafe-inline'; script-src 'none'; img-src 'none'; font-src 'none'; "
           "base-uri 'none'; form-action 'none'\">\n"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
           out);
    cli_html_text (out, federation);
    fputs (" figures ", out);
    cli_html_text (out, period);
    fputs ("</title>\n<style>\n"
           "body{font:14px/1.4 sans-serif;color:#111;background:#fff;max-width:58rem;"
           "margin:1rem auto;padding:0 1rem}\n"
           "h1{font-size:1.4rem}h2{font-size:1.15rem;margin-top:1.5rem;border-bottom:1px solid "
           "#888}\n"
           "table{border-collapse:collapse;width:100%;table-layout:fixed;margin:.4rem 0 1rem}\n"
           "th,td{border:1px solid #999;padding:.15rem .35rem;text-align:right;"
           "overflow-wrap:anywhere}\n"
           "th:first-child,td:first-child{text-align:left;width:30%}\n"
           "td.s{color:#555;font-style:italic}\n"
           ".rule{border-left:4px solid #777;padding:.3rem .6rem;background:#eef3fa}\n"
           "svg.chart{display:block;max-width:100%;height:auto;font:12px sans-serif}\n"
           "svg .bar{fill:#1f5fa8}\n"
           "@media print{body{max-width:none;margin:0;font-size:11px}section{break-inside:"
           "avoid}.rule{background:none}}\n"
           "@page{size:A4;margin:15mm}\n"
           "</style></head><body>\n<h1>Figures of federation ",
           out);
    cli_html_text (out, federation);
    fputs (", period ", out);
    cli_html_text (out, period);
    fprintf (out,
             "</h1>\n<p>From %s to %s (Europe/Amsterdam calendar), roster version %llu. "
             "Counts of facts, without persons (convenant art. 15.3, 18.4).</p>\n"
             "<p class=\"rule\"><strong>Suppression:</strong> ",
             from, to, (unsigned long long) version);
    cli_html_text (out, rule);
    fputs ("</p>\n", out);
    for (size_t i = 0; i < r->n_lines;) {
        const char *section = r->lines[i].section;
        size_t j = i;
        while (j < r->n_lines && strcmp (r->lines[j].section, section) == 0)
            j++;
        fputs ("<section><h2>", out);
        cli_html_text (out, section);
        fputs ("</h2>\n", out);
        /*  The section's first measure per gemeente as a chart. */
        for (size_t k = i; k < j; k++)
            if (r->lines[k].per_gemeente) {
                s_svg_bars (out, r, &r->lines[k]);
                break;
            }
        fputs ("<table><thead><tr><th>measure</th><th>total</th>", out);
        bool any = false;
        for (size_t k = i; k < j; k++)
            any |= r->lines[k].per_gemeente;
        for (size_t c = 0; any && c < r->n_cols; c++) {
            fputs ("<th>", out);
            cli_html_text (out, r->cols[c]);
            fputs ("</th>", out);
        }
        fputs ("</tr></thead><tbody>\n", out);
        for (size_t k = i; k < j; k++) {
            const s_line_t *l = &r->lines[k];
            fputs ("<tr><td>", out);
            cli_html_text (out, l->measure);
            fputs ("</td><td>", out);
            cli_html_text (out, l->total);
            fputs ("</td>", out);
            for (size_t c = 0; any && c < r->n_cols; c++) {
                bool hidden = strcmp (l->cells[c], "< 5") == 0;
                fputs (hidden ? "<td class=\"s\">" : "<td>", out);
                cli_html_text (out, l->per_gemeente ? l->cells[c] : "");
                fputs ("</td>", out);
            }
            fputs ("</tr>\n", out);
        }
        fputs ("</tbody></table></section>\n", out);
        i = j;
    }
    fputs ("</body></html>\n", out);
}

/*  Lays the report out in format on out. */
typedef void (s_write_fn) (FILE *out, json_t *result, const s_report_t *r, const char *format);

static void
s_write_report (FILE *out, json_t *result, const s_report_t *r, const char *format)
{
    if (strcmp (format, "csv") == 0)
        s_csv (out, r);
    else if (strcmp (format, "html") == 0)
        s_html (out, result, r);
    else
        s_text (out, result, r);
}

/*  Write what fn lays out to path, or to stdout when path is NULL; a file
 *  goes through PATH.tmp (made new, never overwritten) and a rename, so a
 *  failed run leaves no half report under the name asked for. */
static int
s_output (const char *path, s_write_fn *fn, json_t *result, const s_report_t *r, const char *format)
{
    if (!path) {
        fn (stdout, result, r, format);
        return fflush (stdout) == 0 ? CLI_OK : CLI_FAIL;
    }
    char tmp[4200];
    snprintf (tmp, sizeof tmp, "%s.tmp", path);
    FILE *out = fopen (tmp, "wx");
    if (!out) {
        cli_error ("cannot write %s: %s", tmp, strerror (errno));
        return CLI_FAIL;
    }
    fn (out, result, r, format);
    bool ok = !ferror (out);
    ok = fclose (out) == 0 && ok;
    if (!ok || rename (tmp, path) != 0) {
        cli_error ("cannot write %s: %s", path, strerror (errno));
        remove (tmp);
        return CLI_FAIL;
    }
    return CLI_OK;
}

int
cmd_report (cli_t *cli, int argc, char **argv)
{
    static const struct option options[] = {{"period", required_argument, NULL, O_PERIOD},
                                            {"format", required_argument, NULL, O_FORMAT},
                                            {"out", required_argument, NULL, O_OUT},
                                            {"help", no_argument, NULL, CLI_OPT_HELP},
                                            {NULL, 0, NULL, 0}};
    s_args_t a = {0};
    int rc = cli_options ("report", argc, argv, options, s_report_usage, s_option, &a);
    if (rc)
        return CLI_DONE (rc);
    if (optind != argc)
        return cli_usage_error ("report", "unexpected argument");
    if (!a.period)
        return cli_usage_error ("report", "--period is required");
    const char *format = a.format ? a.format : "text";
    if (strcmp (format, "text") && strcmp (format, "csv") && strcmp (format, "html"))
        return cli_usage_error ("report", "--format must be text, csv or html");
    json_t *result = cli_call (cli, "report.figures", json_pack ("{s:s}", "period", a.period),
                               CLI_TIMEOUT_MS * 3, NULL);
    if (!result)
        return CLI_FAIL;
    s_report_t r = {0};
    if (s_collect (result, &r) != 0) {
        cli_error ("out of memory");
        rc = CLI_FAIL;
    } else
        rc = s_output (a.out, s_write_report, result, &r, format);
    s_report_free (&r);
    json_decref (result);
    return rc;
}
