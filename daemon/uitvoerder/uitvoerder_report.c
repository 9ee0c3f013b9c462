/*  Figures without persons (art. 15.3, 18.4; docs/REPORT.md): the rows
 *  each counted fact leaves in the figure table (figures.h), in the
 *  commit of the fact, and report.figures, the counts of a period with
 *  the small ones suppressed (common/report.c) before they leave ketend.
 */
#include "uitvoerder.h"

#include "calendar.h"
#include "figures.h"
#include "report.h"
#include "store.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
uitvoerder_figure_gemeente (node_t *self, const Keten__Subject *subject, char out[KEYS_ID_MAX + 1])
{
    figures_gemeente (keyring_roster (self->keyring), subject ? subject->municipality : "", out);
}

/*  The gemeente of case_ref's subject: where its newest signal says it
 *  lives (as the decision is routed, uitvoerder_decision.c). */
static int
s_case_gemeente (node_t *self, const char *case_ref, char out[KEYS_ID_MAX + 1], kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    weegploeg_case_signal_t *signals = NULL;
    size_t n = 0;
    *out = '\0';
    if (weegploeg_read_case_archived (u->weegploeg, case_ref, false, &signals, &n, reason) != 0)
        return -1;
    if (n > 0)
        uitvoerder_figure_gemeente (self, signals[n - 1].signal->subject, out);
    weegploeg_case_free (signals, n);
    return 0;
}

int
uitvoerder_figure (node_t *self, sqlite3 *db, const char *kind, const char *case_ref,
                   const char *label, int64_t value, kt_reason_t *reason)
{
    char gemeente[KEYS_ID_MAX + 1] = "";
    if (case_ref && s_case_gemeente (self, case_ref, gemeente, reason) != 0)
        return -1;
    return figures_add (db, kt_now_ms (), kind, gemeente, label, value, reason);
}

int
uitvoerder_figure_decision (node_t *self, const char *decision_id, kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    Keten__WeegploegDecision *d = NULL;
    if (decision_get (u->decision, decision_id, &d, reason) != 0)
        return -1;
    /*  The outcome by its enum name (agenderen, niet-agenderen,
     *  meer-informatie), so every outcome proto knows is counted. */
    const ProtobufCEnumValue *ev =
        protobuf_c_enum_descriptor_get_value (&keten__decision_outcome__descriptor, d->outcome);
    char label[FIGURES_LABEL_MAX + 1] = "unknown";
    if (ev) {
        snprintf (label, sizeof label, "%s", ev->name);
        for (char *p = label; *p; p++)
            *p = *p == '_' ? '-' : (char) tolower ((unsigned char) *p);
    }
    /*  Cases opened are counted where the case opens (art. 8.5), by
     *  casusoverleg_open_case: not here, where a decision whose send
     *  fails before the case opens would count, and the next agenderen
     *  on the subject again. */
    char gemeente[KEYS_ID_MAX + 1];
    int rc = s_case_gemeente (self, d->case_ref, gemeente, reason);
    if (rc == 0)
        rc = figures_add (weegploeg_db (u->weegploeg), kt_now_ms (), FIGURE_DECISION, gemeente,
                          label, 1, reason);
    keten__weegploeg_decision__free_unpacked (d, NULL);
    return rc;
}

static int
s_opened_row (void *arg, const casusoverleg_row_t *row, kt_reason_t *reason)
{
    (void) reason;
    *(uint64_t *) arg = row->opened_ms;
    return 0;
}

int
uitvoerder_figure_closed (node_t *self, const char *case_ref, uint64_t closed_ms,
                          kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    uint64_t opened_ms = closed_ms;
    if (casusoverleg_case_row (u->casus, case_ref, s_opened_row, &opened_ms, reason) < 0)
        return -1;
    /*  Whole days open, on the Dutch calendar. */
    char a[11], b[11];
    kt_local_date (opened_ms, a);
    kt_local_date (closed_ms, b);
    int y1, m1, d1, y2, m2, d2;
    int64_t days = 0;
    if (sscanf (a, "%d-%d-%d", &y1, &m1, &d1) == 3 && sscanf (b, "%d-%d-%d", &y2, &m2, &d2) == 3)
        days = kt_days_from_civil (y2, m2, d2) - kt_days_from_civil (y1, m1, d1);
    return uitvoerder_figure (self, casusoverleg_db (u->casus), FIGURE_CASE_CLOSED, case_ref, "",
                              days < 0 ? 0 : days, reason);
}

/* ---- report.figures --------------------------------------------------------- */

#define MAX_COLS 260 /* roster gemeenten, "other" */
#define MAX_LABELS 64

/*  The counts of one kind of fact: per label, per column. */
typedef struct {
    char labels[MAX_LABELS][FIGURES_LABEL_MAX + 1];
    size_t n_labels;
    int64_t *count; /* [MAX_LABELS][cols] */
    int64_t met[MAX_LABELS];
    int64_t *values; /* case-closed: the days, for median and max */
    size_t n_values, cap_values;
} tally_t;

typedef struct {
    const char *kind;
    tally_t t;
} kind_t;

static const char *const s_kinds[] = {
    FIGURE_SIGNAL_SOURCE,   FIGURE_SIGNAL_CATEGORY, FIGURE_DECISION,
    FIGURE_CASE_OPENED,     FIGURE_CASE_CLOSED,     FIGURE_PLAN,
    FIGURE_DISCLOSURE,      FIGURE_SHARE,           FIGURE_REQUEST,         FIGURE_INCIDENT,
    FIGURE_INCIDENT_CLOSED, FIGURE_RETENTION,
};
#define N_KINDS (sizeof s_kinds / sizeof s_kinds[0])

typedef struct {
    node_t *node;
    const char *cols[MAX_COLS];
    size_t n_cols; /* the last is "other" */
    kind_t kinds[N_KINDS];
    bool overflow;
} tallies_t;

static tally_t *
s_tally (tallies_t *all, const char *kind)
{
    for (size_t i = 0; i < N_KINDS; i++)
        if (strcmp (all->kinds[i].kind, kind) == 0)
            return &all->kinds[i].t;
    return NULL;
}

static size_t
s_label (tally_t *t, const char *label)
{
    for (size_t i = 0; i < t->n_labels; i++)
        if (strcmp (t->labels[i], label) == 0)
            return i;
    /*  The last slot is kept for "(other labels)", where the rest go. */
    if (t->n_labels == MAX_LABELS || (t->n_labels == MAX_LABELS - 1 &&
                                      strcmp (label, "(other labels)") != 0))
        return MAX_LABELS;
    snprintf (t->labels[t->n_labels], sizeof t->labels[0], "%s", label);
    return t->n_labels++;
}

static int
s_take (void *arg, const figures_row_t *row, kt_reason_t *reason)
{
    tallies_t *all = arg;
    tally_t *t = s_tally (all, row->kind);
    if (!t)
        return 0; /* a kind of a newer version: not reported here */
    size_t l = s_label (t, row->label);
    if (l == MAX_LABELS) {
        all->overflow = true;
        l = s_label (t, "(other labels)");
    }
    size_t c = all->n_cols - 1;
    for (size_t i = 0; i + 1 < all->n_cols; i++)
        if (strcmp (all->cols[i], row->gemeente) == 0)
            c = i;
    /*  A row stands for n facts alike (figures.h). */
    int64_t n = row->n > 0 ? row->n : 1;
    t->count[l * all->n_cols + c] += n;
    if (row->value != 0)
        t->met[l] += n;
    for (int64_t k = 0; k < n && strcmp (row->kind, FIGURE_CASE_CLOSED) == 0; k++) {
        if (t->n_values == t->cap_values) {
            size_t cap = t->cap_values ? 2 * t->cap_values : 64;
            int64_t *v = realloc (t->values, cap * sizeof *v);
            if (!v)
                return kt_fail (reason, "out of memory");
            t->values = v;
            t->cap_values = cap;
        }
        t->values[t->n_values++] = row->value;
    }
    return 0;
}

static void
s_tallies_free (tallies_t *all)
{
    for (size_t i = 0; i < N_KINDS; i++) {
        free (all->kinds[i].t.count);
        free (all->kinds[i].t.values);
    }
}

/*  One figure of the answer: value, or REPORT_SUPPRESSED when hidden. */
static void
s_figure (json_t *out, const char *section, const char *measure, const char *gemeente,
          int64_t value, bool hidden)
{
    json_array_append_new (out, json_pack ("{s:s, s:s, s:s, s:o}", "section", section, "measure",
                                           measure, "gemeente", gemeente, "value",
                                           hidden ? json_string (REPORT_SUPPRESSED)
                                                  : json_integer ((json_int_t) value)));
}

/*  The total of row r over every column. */
static int64_t
s_row_total (const tally_t *t, size_t n_cols, size_t r)
{
    int64_t sum = 0;
    for (size_t c = 0; c < n_cols; c++)
        sum += t->count[r * n_cols + c];
    return sum;
}

/*  A row of counts per gemeente as one table line: measure, its cells
 *  (hidden as given), its region total. */
static void
s_line (json_t *out, const tallies_t *all, const char *section, const char *measure,
        const int64_t *cells, const bool *hidden, bool total_hidden)
{
    int64_t total = 0;
    for (size_t c = 0; c < all->n_cols; c++) {
        s_figure (out, section, measure, all->cols[c], cells[c], hidden[c]);
        total += cells[c];
    }
    s_figure (out, section, measure, "total", total, total_hidden);
}

/*  A region-wide count. */
static void
s_region (json_t *out, const char *section, const char *measure, int64_t value)
{
    s_figure (out, section, measure, "total", value, false);
}

/*  A kind of fact: the line of all its facts per gemeente (measure
 *  all_name; NULL: not shown), suppressed per gemeente; then, when prefix
 *  is set, one region-wide count per label, the labels given first.
 *  Labels are never split per gemeente: a label table and its line of all
 *  are two tables over the same facts, and suppressed apart each gives the
 *  other's hidden cells away (the column totals of the one are the cells
 *  of the other).  With rare set, labels counted fewer than
 *  REPORT_MIN_COUNT times in the region are added up as one line: such a
 *  label (a signal's category) is the sender's own word and might be
 *  anything. */
static void
s_table (json_t *out, tallies_t *all, const char *section, const char *kind, const char *all_name,
         const char *prefix, const char *const *labels, bool rare)
{
    tally_t *t = s_tally (all, kind);
    size_t cols = all->n_cols;
    for (size_t i = 0; labels && labels[i]; i++)
        s_label (t, labels[i]);
    if (all_name) {
        int64_t sum[MAX_COLS] = {0};
        for (size_t r = 0; r < t->n_labels; r++)
            for (size_t c = 0; c < cols; c++)
                sum[c] += t->count[r * cols + c];
        bool hid[MAX_COLS], total_hidden = false;
        report_suppress (1, cols, sum, hid, &total_hidden, NULL);
        s_line (out, all, section, all_name, sum, hid, total_hidden);
    }
    if (!prefix)
        return;
    int64_t folded = 0;
    for (size_t r = 0; r < t->n_labels; r++) {
        int64_t total = s_row_total (t, cols, r);
        if (rare && total < REPORT_MIN_COUNT) {
            folded += total;
            continue;
        }
        char measure[FIGURES_LABEL_MAX + 32];
        snprintf (measure, sizeof measure, "%s%s", prefix, t->labels[r]);
        s_region (out, section, measure, total);
    }
    if (rare && folded) {
        char measure[96];
        snprintf (measure, sizeof measure, "%s(others, each fewer than %d)", prefix,
                  REPORT_MIN_COUNT);
        s_region (out, section, measure, folded);
    }
}

static int
s_cmp (const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return x < y ? -1 : x > y;
}

static json_t *
s_report (node_t *self, const char *from, const char *to, kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    const roster_t *roster = keyring_roster (self->keyring);
    tallies_t all = {.node = self};
    json_t *gemeenten = json_array ();
    for (size_t i = 0; i < roster->member_count && all.n_cols + 1 < MAX_COLS; i++)
        if (strcmp (roster->members[i].kind, "gemeente") == 0) {
            all.cols[all.n_cols++] = roster->members[i].id;
            json_array_append_new (gemeenten, json_string (roster->members[i].id));
        }
    all.cols[all.n_cols++] = "other";
    json_t *out = json_array ();
    int rc = 0;
    for (size_t i = 0; i < N_KINDS; i++) {
        all.kinds[i].kind = s_kinds[i];
        if (!(all.kinds[i].t.count = calloc (MAX_LABELS * all.n_cols, sizeof (int64_t))))
            rc = kt_fail (reason, "out of memory");
    }
    /*  The lines every report has, in this order, also when 0. */
    static const char *const outcomes[] = {"agenderen", "niet-agenderen", "meer-informatie", NULL};
    static const char *const requests[] = {"inzage", "correctie", NULL};
    for (size_t i = 0; rc == 0 && outcomes[i]; i++)
        s_label (s_tally (&all, FIGURE_DECISION), outcomes[i]);
    for (size_t i = 0; rc == 0 && requests[i]; i++)
        s_label (s_tally (&all, FIGURE_REQUEST), requests[i]);
    sqlite3 *dbs[] = {weegploeg_db (u->weegploeg), casusoverleg_db (u->casus),
                      request_db (u->requests), self->db};
    for (size_t i = 0; rc == 0 && i < sizeof dbs / sizeof dbs[0]; i++)
        rc = figures_each (dbs[i], from, to, s_take, &all, reason);
    if (rc == 0)
        s_table (out, &all, "signals", FIGURE_SIGNAL_SOURCE, "signals received", "source kind: ",
                 NULL, false);
    if (rc == 0)
        s_table (out, &all, "signals", FIGURE_SIGNAL_CATEGORY, NULL, "category: ", NULL, true);
    if (rc == 0)
        s_table (out, &all, "weegploeg", FIGURE_DECISION, "decisions", "outcome: ", outcomes,
                 false);
    if (rc == 0)
        s_table (out, &all, "casusoverleg", FIGURE_CASE_OPENED, "cases opened", NULL, NULL, false);
    if (rc == 0)
        s_table (out, &all, "casusoverleg", FIGURE_CASE_CLOSED, "cases closed", NULL, NULL, false);
    if (rc == 0)
        s_table (out, &all, "casusoverleg", FIGURE_PLAN, "plan versions issued", NULL, NULL,
                 false);
    if (rc == 0)
        s_table (out, &all, "casusoverleg", FIGURE_DISCLOSURE, "disclosures", "disclosures to: ",
                 NULL, false);
    if (rc == 0)
        s_table (out, &all, "casusoverleg", FIGURE_SHARE, "shares between participants",
                 "shared with: ", NULL, false);
    if (rc == 0) {
        /*  Durations: only from REPORT_MIN_COUNT closed cases on, region
         *  wide (one case's duration would be that case). */
        tally_t *t = s_tally (&all, FIGURE_CASE_CLOSED);
        bool few = t->n_values < REPORT_MIN_COUNT;
        int64_t median = 0;
        if (!few) {
            qsort (t->values, t->n_values, sizeof *t->values, s_cmp);
            size_t n = t->n_values;
            median = n % 2 ? t->values[n / 2] : (t->values[n / 2 - 1] + t->values[n / 2]) / 2;
        }
        /*  Overdue measures are a state of the plans in force, not an
         *  event of a day: a snapshot at the time of the report, region
         *  wide, named as such. */
        int64_t overdue = 0, overdue_cases = 0;
        if ((rc = uitvoerder_casus_overdue_now (self, &overdue, &overdue_cases, reason)) == 0) {
            s_region (out, "casusoverleg", "measures overdue at the time of this report (open plans)",
                      overdue);
            s_region (out, "casusoverleg",
                      "open cases with an overdue measure at the time of this report",
                      overdue_cases);
        }
        /*  (No maximum: that is one case's duration.) */
        s_figure (out, "casusoverleg", "days open, median (closed cases)", "total", median, few);

        t = s_tally (&all, FIGURE_REQUEST);
        for (size_t i = 0; requests[i]; i++)
            s_label (t, requests[i]);
        for (size_t l = 0; l < t->n_labels; l++) {
            char m[FIGURES_LABEL_MAX + 64];
            snprintf (m, sizeof m, "%s requests answered", t->labels[l]);
            s_region (out, "rights", m, s_row_total (t, all.n_cols, l));
            snprintf (m, sizeof m, "%s requests answered within their deadline", t->labels[l]);
            s_region (out, "rights", m, t->met[l]);
        }
        t = s_tally (&all, FIGURE_INCIDENT);
        int64_t reported = 0;
        for (size_t l = 0; l < t->n_labels; l++)
            reported += s_row_total (t, all.n_cols, l);
        s_region (out, "incidents", "incidents reported", reported);
        t = s_tally (&all, FIGURE_INCIDENT_CLOSED);
        size_t notified = s_label (t, "ap-notified"), not_req = s_label (t, "ap-not-required");
        s_region (out, "incidents", "closed, AP notified",
                  notified < MAX_LABELS ? s_row_total (t, all.n_cols, notified) : 0);
        s_region (out, "incidents", "AP notified within 72 hours (AVG art. 33)",
                  notified < MAX_LABELS ? t->met[notified] : 0);
        s_region (out, "incidents", "closed, AP notification not required",
                  not_req < MAX_LABELS ? s_row_total (t, all.n_cols, not_req) : 0);
        t = s_tally (&all, FIGURE_RETENTION);
        size_t archived = s_label (t, "archived"), destroyed = s_label (t, "destroyed");
        s_region (out, "retention", "subjects archived (art. 13.2)",
                  archived < MAX_LABELS ? s_row_total (t, all.n_cols, archived) : 0);
        s_region (out, "retention", "subjects destroyed (art. 13)",
                  destroyed < MAX_LABELS ? s_row_total (t, all.n_cols, destroyed) : 0);
    }
    s_tallies_free (&all);
    if (rc != 0) {
        json_decref (out);
        json_decref (gemeenten);
        return NULL;
    }
    if (all.overflow)
        kt_log (KT_LOG_WARN, "report labels_cut max=%d", MAX_LABELS);
    return json_pack ("{s:s, s:s, s:s, s:I, s:i, s:s, s:o, s:o}", "from", from, "to", to,
                      "federation", roster->federation, "roster_version",
                      (json_int_t) roster->version, "threshold", REPORT_MIN_COUNT, "rule",
                      report_rule, "gemeenten", gemeenten, "figures", out);
}

void
uitvoerder_report_figures (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    kt_reason_t reason;
    char from[11], to[11];
    const char *period = json_string_value (json_object_get (args, "period"));
    if (report_period (period, from, to, &reason) != 0) {
        apiserver_reply_error (self->api, caller, reason.text);
        return;
    }
    json_t *result = s_report (self, from, to, &reason);
    if (!result) {
        apiserver_reply_error (self->api, caller, reason.text);
        return;
    }
    json_object_set_new (result, "period", json_string (period));
    apiserver_reply_ok (self->api, caller, result);
}
