/*  keten audit: the reads of personal data and the refusals recorded at
 *  this node, their periodic review (art. 15.2e), an export in the shape
 *  of the Logboek Dataverwerkingen standard, and who holds which right
 *  (art. 15.2f).  */
#include "cli.h"
#include "keten_version.h" /* KETEN_VERSION, generated at build time */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sodium.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char cmd_audit_usage[] =
    "Usage: keten audit access [--since DATE] [--limit N] [--json]\n"
    "       keten audit review --period FROM..TO --finding TEXT [--json]\n"
    "       keten audit reviews [--limit N] [--json]\n"
    "       keten audit export --format logboek [--since DATE] [--out FILE]\n"
    "       keten audit grants [--json]\n"
    "\n"
    "Every audit command needs access/audit-group.  DATE is YYYY-MM-DD (00:00\n"
    "UTC) or YYYY-MM-DDTHH:MM:SSZ; N is 1..10000 (default 100); --json prints\n"
    "the daemon's answer as JSON.\n"
    "\n"
    "access   every recorded read of personal data at this node (when, which\n"
    "         OS user, the command, about whom: the case_ref) and every command\n"
    "         refused to a caller outside its group (what: refused:COMMAND),\n"
    "         and each keten clock confirm (what: clock.confirm:HOURSh);\n"
    "         --since DATE: from then on, --limit N: at most N records\n"
    "review   record that the access records of the period FROM..TO (dates\n"
    "         YYYY-MM-DD, FROM <= TO <= today) were reviewed, with the finding\n"
    "         (--finding, 1..2000 bytes; art. 15.2e); keten status says when\n"
    "         the next one is due\n"
    "reviews  the reviews recorded, newest first (--limit N)\n"
    "export   the access records as JSON lines in the shape of the Logboek\n"
    "         Dataverwerkingen standard (--format logboek; docs/API.md), to\n"
    "         stdout or to a new --out FILE (mode 0600, never overwritten);\n"
    "         --since DATE: from then on\n"
    "grants   for each right: its setting, its group, whether the group exists\n"
    "         and the OS users in it; each roster member with its role (art. 15.2f)\n";

/*  Each command's own usage. */
#define S_NEEDS "Needs access/audit-group.\n"
#define S_DATE_HELP                                                                                \
    "  --since DATE     from then on: YYYY-MM-DD (00:00 UTC) or YYYY-MM-DDTHH:MM:SSZ\n"
#define S_LIMIT_HELP "  --limit N        at most N records (1..10000, default 100)\n"
#define S_JSON_HELP "  --json           print the daemon's answer as JSON\n"
static const cli_usage_t s_usages[] = {
    {"audit access", "Usage: keten audit access [--since DATE] [--limit N] [--json]\n"
                     "\n"
                     "Every recorded read of personal data at this node (when, which OS user,\n"
                     "the command, about whom: the case_ref) and every command refused to a\n"
                     "caller outside its group (what: refused:COMMAND).  " S_NEEDS "\n"
                     "Options:\n" S_DATE_HELP S_LIMIT_HELP S_JSON_HELP},
    {"audit review",
     "Usage: keten audit review --period FROM..TO --finding TEXT [--json]\n"
     "\n"
     "Record that the access records of the period FROM..TO were reviewed, with\n"
     "the finding (art. 15.2e); keten status says when the next review is due.\n" S_NEEDS "\n"
     "Options:\n"
     "  --period FROM..TO  dates YYYY-MM-DD, FROM <= TO <= today (Dutch calendar)\n"
     "  --finding TEXT   what the review found (1..2000 bytes)\n" S_JSON_HELP},
    {"audit reviews", "Usage: keten audit reviews [--limit N] [--json]\n"
                      "\n"
                      "The access reviews recorded, newest first.  " S_NEEDS "\n"
                      "Options:\n" S_LIMIT_HELP S_JSON_HELP},
    {"audit export",
     "Usage: keten audit export --format logboek [--since DATE] [--out FILE]\n"
     "\n"
     "The access records as JSON lines in the shape of the Logboek Dataverwerkingen\n"
     "standard (docs/API.md), to stdout or to a new file.  " S_NEEDS "\n"
     "Options:\n"
     "  --format logboek the format (the only one)\n" S_DATE_HELP
     "  --out FILE       write to FILE, made new with mode 0600, never overwritten\n"
     "                   (a path of at most 4000 bytes)\n"},
    {"audit grants", "Usage: keten audit grants [--json]\n"
                     "\n"
                     "For each right: its setting, its group, whether the group exists and the\n"
                     "OS users in it; each roster member with its role (art. 15.2f).  " S_NEEDS "\n"
                     "Options:\n" S_JSON_HELP},
    {NULL, NULL}};

/*  A refusal has no case_ref: shown as "-". */
static void
s_print (json_t *records)
{
    static const char *const header[] = {"WHEN (UTC)", "USER", "UID", "WHAT", "CASE_REF"};
    cli_table_t *t = cli_table_new (5, header);
    json_t *r;
    size_t i;
    json_array_foreach (records, i, r)
    {
        char when[32], user[CLI_CELL_MAX + 1], uid[24], what[CLI_CELL_MAX + 1],
            ref[CLI_CELL_MAX + 1];
        uint64_t v = 0;
        cli_json_uint (r, "at_ms", &v);
        cli_fmt_time (when, sizeof when, v);
        v = 0;
        cli_json_uint (r, "uid", &v);
        snprintf (uid, sizeof uid, "%llu", (unsigned long long) v);
        const char *cells[5] = {when, cli_json_str (r, "user", user, sizeof user), uid,
                                cli_json_str (r, "what", what, sizeof what),
                                cli_json_str (r, "case_ref", ref, sizeof ref)};
        cli_table_add (t, cells);
    }
    cli_table_print (t);
    cli_table_destroy (&t);
}

enum { O_SINCE = CLI_OPT_LONG + 1, O_LIMIT, O_JSON };

typedef struct {
    const char *since_text, *limit_text;
    uint64_t limit;
    bool as_json;
} s_access_t;

static int
s_access_option (void *arg, const char *cmd, int opt, const char *value)
{
    s_access_t *a = arg;
    switch (opt) {
    case O_SINCE:
        return cli_opt_string (cmd, "since", value, 20, &a->since_text);
    case O_LIMIT:
        if (cli_opt_string (cmd, "limit", value, 5, &a->limit_text))
            return CLI_USAGE;
        return cli_opt_uint (cmd, "limit", value, 1, 10000, &a->limit);
    default: /* O_JSON */
        a->as_json = true;
        return 0;
    }
}

static int
s_access_print (json_t *result, const void *arg)
{
    (void) arg;
    s_print (json_object_get (result, "access"));
    return CLI_OK;
}

int
cmd_audit_access (cli_t *cli, int argc, char **argv)
{
    const char *cmd = "audit access";
    static const struct option options[] = {{"since", required_argument, NULL, O_SINCE},
                                            {"limit", required_argument, NULL, O_LIMIT},
                                            {"json", no_argument, NULL, O_JSON},
                                            {"help", no_argument, NULL, CLI_OPT_HELP},
                                            {NULL, 0, NULL, 0}};
    s_access_t a = {NULL, NULL, 100, false};
    int rc = cli_options (cmd, argc, argv, options, cli_usage_of (s_usages, cmd, cmd_audit_usage),
                          s_access_option, &a);
    if (rc)
        return CLI_DONE (rc);
    if (optind < argc)
        return cli_usage_error (cmd, "unexpected argument");
    int64_t since = 0;
    if (a.since_text && (since = cli_parse_utc_date (a.since_text)) < 0)
        return cli_usage_error (cmd, "--since must be YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
    json_t *args =
        json_pack ("{s:I, s:I}", "since_ms", (json_int_t) since, "limit", (json_int_t) a.limit);
    return cli_request (cli, "audit.access", args, CLI_TIMEOUT_MS, a.as_json, s_access_print, NULL);
}

/* ---- audit review, audit reviews --------------------------------------- */

enum { O_PERIOD = CLI_OPT_LONG + 10, O_FINDING, O_FORMAT, O_OUT };

typedef struct {
    const char *period, *finding;
    bool as_json;
} s_review_args_t;

static int
s_review_option (void *arg, const char *cmd, int opt, const char *value)
{
    s_review_args_t *a = arg;
    switch (opt) {
    case O_PERIOD:
        return cli_opt_string (cmd, "period", value, 22, &a->period);
    case O_FINDING:
        return cli_opt_string (cmd, "finding", value, 2000, &a->finding);
    default: /* O_JSON */
        a->as_json = true;
        return 0;
    }
}

static int
s_review_print (json_t *result, const void *arg)
{
    (void) arg;
    char user[CLI_CELL_MAX + 1], from[16], to[16], when[32];
    uint64_t at = 0;
    cli_json_uint (result, "at_ms", &at);
    printf ("access review of %s..%s recorded at %s by %s\n",
            cli_json_str (result, "from", from, sizeof from),
            cli_json_str (result, "to", to, sizeof to), cli_fmt_time (when, sizeof when, at),
            cli_json_str (result, "user", user, sizeof user));
    return CLI_OK;
}

int
cmd_audit_review (cli_t *cli, int argc, char **argv)
{
    const char *cmd = "audit review";
    static const struct option options[] = {{"period", required_argument, NULL, O_PERIOD},
                                            {"finding", required_argument, NULL, O_FINDING},
                                            {"json", no_argument, NULL, O_JSON},
                                            {"help", no_argument, NULL, CLI_OPT_HELP},
                                            {NULL, 0, NULL, 0}};
    s_review_args_t a = {NULL, NULL, false};
    int rc = cli_options (cmd, argc, argv, options, cli_usage_of (s_usages, cmd, cmd_audit_usage),
                          s_review_option, &a);
    if (rc)
        return CLI_DONE (rc);
    if (optind < argc)
        return cli_usage_error (cmd, "unexpected argument");
    if (!a.period || !a.finding)
        return cli_usage_error (cmd, "--period and --finding are required");
    /*  FROM..TO: two dates of 10 characters; the daemon checks them as
     *  dates, this only splits them. */
    const char *dots = strstr (a.period, "..");
    if (!dots || dots - a.period != 10 || strlen (dots + 2) != 10)
        return cli_usage_error (cmd, "--period must be FROM..TO, dates YYYY-MM-DD");
    char from[11], to[11];
    memcpy (from, a.period, 10);
    from[10] = '\0';
    memcpy (to, dots + 2, 11);
    json_t *args = json_pack ("{s:s, s:s, s:s}", "from", from, "to", to, "finding", a.finding);
    if (!args)
        return cli_usage_error (cmd, "--finding must be UTF-8 text");
    return cli_request (cli, "audit.review", args, CLI_TIMEOUT_MS, a.as_json, s_review_print, NULL);
}

static int
s_reviews_print (json_t *result, const void *arg)
{
    (void) arg;
    static const char *const header[] = {"RECORDED (UTC)", "USER", "PERIOD", "FINDING"};
    cli_table_t *t = cli_table_new (4, header);
    json_t *r;
    size_t i;
    json_array_foreach (json_object_get (result, "reviews"), i, r)
    {
        char when[32], user[CLI_CELL_MAX + 1], from[16], to[16], period[40],
            finding[CLI_CELL_MAX + 1];
        uint64_t v = 0;
        cli_json_uint (r, "at_ms", &v);
        cli_fmt_time (when, sizeof when, v);
        snprintf (period, sizeof period, "%s..%s", cli_json_str (r, "from", from, sizeof from),
                  cli_json_str (r, "to", to, sizeof to));
        const char *cells[4] = {when, cli_json_str (r, "user", user, sizeof user), period,
                                cli_json_str (r, "finding", finding, sizeof finding)};
        cli_table_add (t, cells);
    }
    cli_table_print (t);
    cli_table_destroy (&t);
    return CLI_OK;
}

int
cmd_audit_reviews (cli_t *cli, int argc, char **argv)
{
    const char *cmd = "audit reviews";
    static const struct option options[] = {{"limit", required_argument, NULL, O_LIMIT},
                                            {"json", no_argument, NULL, O_JSON},
                                            {"help", no_argument, NULL, CLI_OPT_HELP},
                                            {NULL, 0, NULL, 0}};
    s_access_t a = {NULL, NULL, 100, false};
    int rc = cli_options (cmd, argc, argv, options, cli_usage_of (s_usages, cmd, cmd_audit_usage),
                          s_access_option, &a);
    if (rc)
        return CLI_DONE (rc);
    if (optind < argc)
        return cli_usage_error (cmd, "unexpected argument");
    return cli_request (cli, "audit.reviews", json_pack ("{s:I}", "limit", (json_int_t) a.limit),
                        CLI_TIMEOUT_MS, a.as_json, s_reviews_print, NULL);
}

/* ---- audit export --format logboek ------------------------------------- */

/*  The purpose (doelbinding) a command's read served, by the convenant's
 *  parts; the first matching prefix wins. */
static const struct {
    const char *prefix;
    const char *purpose;
} s_purposes[] = {
    {"refused:", "none: refused (art. 15.2e)"},
    {"clock.", "none: the operator confirmed the node's clock (art. 13)"},
    {"signal.", "weegploeg: signalen wegen (art. 7-8)"},
    {"weegploeg.", "weegploeg: signalen wegen (art. 7-8)"},
    {"agenda.", "weegploeg en casusoverleg: agendering (art. 8-9)"},
    {"decision.", "weegploeg: besluit (art. 8.4)"},
    {"case.", "casusoverleg: plan van aanpak (art. 9-10)"},
    {"plan.", "casusoverleg: plan van aanpak (art. 9-10)"},
    {"informatieplicht.", "informatieplicht (art. 11)"},
    {"request.", "inzage en correctie (art. 12)"},
    {"inzage", "inzage en correctie (art. 12)"},
    {"correction.", "inzage en correctie (art. 12)"},
    {"retention.", "bewaartermijnen (art. 13)"},
    {"log.", "verantwoording: het logboek (art. 15.2e)"},
};

static const char *
s_purpose (const char *what)
{
    for (size_t i = 0; i < sizeof s_purposes / sizeof s_purposes[0]; i++)
        if (strncmp (what, s_purposes[i].prefix, strlen (s_purposes[i].prefix)) == 0)
            return s_purposes[i].purpose;
    return "convenant persoonsgerichte aanpak radicalisering";
}

/*  Lowercase hex of n bytes into out (2n + 1). */
static void
s_hex (char *out, const uint8_t *bytes, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * n] = '\0';
}

/*  One access record as one Logboek Dataverwerkingen record (new
 *  reference; NULL when the record is not one the daemon sends).  The
 *  ids are derived from the node and the record's number, so exporting
 *  twice gives the same ids. */
static json_t *
s_logboek_record (json_t *r)
{
    uint64_t id = 0, at = 0, uid = 0;
    json_t *node = json_object_get (r, "node"), *user = json_object_get (r, "user"),
           *what = json_object_get (r, "what"), *ref = json_object_get (r, "case_ref");
    if (!cli_json_uint (r, "id", &id) || !cli_json_uint (r, "at_ms", &at) ||
        !cli_json_uint (r, "uid", &uid) || !json_is_string (node) || !json_is_string (user) ||
        !json_is_string (what) || !json_is_string (ref))
        return NULL;
    uint8_t trace[16], span[8], in[8];
    for (int i = 0; i < 8; i++)
        in[i] = (uint8_t) (id >> (56 - 8 * i));
    crypto_generichash_state st;
    crypto_generichash_init (&st, (const uint8_t *) "keten/logboek", 13, sizeof trace);
    crypto_generichash_update (&st, (const uint8_t *) json_string_value (node),
                               json_string_length (node) + 1);
    crypto_generichash_update (&st, in, sizeof in);
    crypto_generichash_final (&st, trace, sizeof trace);
    memcpy (span, in, sizeof span);
    char trace_hex[33], span_hex[17], activity[160], time_text[48];
    s_hex (trace_hex, trace, sizeof trace);
    s_hex (span_hex, span, sizeof span);
    bool refused = strncmp (json_string_value (what), "refused:", 8) == 0;
    snprintf (activity, sizeof activity, "urn:keten:activity:%s", json_string_value (what));
    time_t t = (time_t) (at / 1000);
    struct tm tm;
    gmtime_r (&t, &tm);
    char seconds[24];
    strftime (seconds, sizeof seconds, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf (time_text, sizeof time_text, "%.19s.%03uZ", seconds, (unsigned) (at % 1000));
    json_t *attributes =
        json_pack ("{s:s, s:s, s:s, s:s, s:O, s:I}", "dpl.core.processing_activity_id", activity,
                   "dpl.keten.purpose", s_purpose (json_string_value (what)), "dpl.keten.time",
                   time_text, "dpl.keten.node", json_string_value (node), "dpl.keten.actor", user,
                   "dpl.keten.actor_uid", (json_int_t) uid);
    if (attributes && json_string_length (ref) > 0)
        json_object_set (attributes, "dpl.core.data_subject_id", ref);
    return json_pack ("{s:s, s:s, s:s, s:O, s:I, s:I, s:{s:{s:s, s:s, s:O}}, s:o}", "trace_id",
                      trace_hex, "operation_id", span_hex, "status_code",
                      refused ? "STATUS_CODE_ERROR" : "STATUS_CODE_OK", "name", what, "start_time",
                      (json_int_t) at, "end_time", (json_int_t) at, "resource", "attributes",
                      "service.name", "keten", "service.version", KETEN_VERSION, "keten.node", node,
                      "attributes", attributes);
}

/*  Write all of text to fd; -1 with errno on failure. */
static int
s_write_all (int fd, const char *text, size_t len)
{
    while (len > 0) {
        ssize_t n = write (fd, text, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        text += n;
        len -= (size_t) n;
    }
    return 0;
}

typedef struct {
    const char *since_text, *format, *out;
} s_export_args_t;

static int
s_export_option (void *arg, const char *cmd, int opt, const char *value)
{
    s_export_args_t *a = arg;
    switch (opt) {
    case O_SINCE:
        return cli_opt_string (cmd, "since", value, 20, &a->since_text);
    case O_FORMAT:
        return cli_opt_string (cmd, "format", value, 16, &a->format);
    default: /* O_OUT */
        return cli_opt_string (cmd, "out", value, 4000, &a->out);
    }
}

/*  Page through audit.access (10000 records a call, by record number) and
 *  write each record to fd.  Returns an exit code. */
static int
s_export_to (cli_t *cli, int fd, int64_t since, size_t *count)
{
    int64_t after = 0;
    for (;;) {
        json_t *args = json_pack ("{s:I, s:I, s:I}", "since_ms", (json_int_t) since, "after_id",
                                  (json_int_t) after, "limit", (json_int_t) 10000);
        json_t *result = cli_call (cli, "audit.access", args, CLI_TIMEOUT_MS, NULL);
        if (!result)
            return CLI_FAIL;
        json_t *list = json_object_get (result, "access"), *r;
        size_t i, n = json_array_size (list);
        json_array_foreach (list, i, r)
        {
            uint64_t id = 0;
            json_t *rec = s_logboek_record (r);
            char *line = rec ? json_dumps (rec, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
            json_decref (rec);
            if (!line || !cli_json_uint (r, "id", &id) || (int64_t) id <= after) {
                free (line);
                json_decref (result);
                cli_error ("audit export: the daemon sent a record that is not one");
                return CLI_FAIL;
            }
            after = (int64_t) id;
            int wrc = s_write_all (fd, line, strlen (line));
            free (line);
            if (wrc != 0 || s_write_all (fd, "\n", 1) != 0) {
                json_decref (result);
                cli_error ("audit export: cannot write: %s", strerror (errno));
                return CLI_FAIL;
            }
            (*count)++;
        }
        json_decref (result);
        if (n < 10000)
            return CLI_OK;
    }
}

int
cmd_audit_export (cli_t *cli, int argc, char **argv)
{
    const char *cmd = "audit export";
    static const struct option options[] = {{"format", required_argument, NULL, O_FORMAT},
                                            {"since", required_argument, NULL, O_SINCE},
                                            {"out", required_argument, NULL, O_OUT},
                                            {"help", no_argument, NULL, CLI_OPT_HELP},
                                            {NULL, 0, NULL, 0}};
    s_export_args_t a = {NULL, NULL, NULL};
    int rc = cli_options (cmd, argc, argv, options, cli_usage_of (s_usages, cmd, cmd_audit_usage),
                          s_export_option, &a);
    if (rc)
        return CLI_DONE (rc);
    if (optind < argc)
        return cli_usage_error (cmd, "unexpected argument");
    if (!a.format || strcmp (a.format, "logboek") != 0)
        return cli_usage_error (cmd, "--format logboek is required (the only format)");
    int64_t since = 0;
    if (a.since_text && (since = cli_parse_utc_date (a.since_text)) < 0)
        return cli_usage_error (cmd, "--since must be YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
    if (sodium_init () < 0) {
        cli_error ("libsodium cannot initialise");
        return CLI_FAIL;
    }
    size_t count = 0;
    if (!a.out) {
        rc = s_export_to (cli, STDOUT_FILENO, since, &count);
        return rc;
    }
    /*  The records name OS users and case_refs: a new file only its
     *  owner reads, never one already there. */
    int fd = open (a.out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        cli_error ("audit export: cannot create %s: %s", a.out, strerror (errno));
        return CLI_FAIL;
    }
    rc = s_export_to (cli, fd, since, &count);
    if (rc == CLI_OK && fsync (fd) != 0) {
        cli_error ("audit export: cannot write %s: %s", a.out, strerror (errno));
        rc = CLI_FAIL;
    }
    if (close (fd) != 0 && rc == CLI_OK) {
        cli_error ("audit export: cannot write %s: %s", a.out, strerror (errno));
        rc = CLI_FAIL;
    }
    if (rc != CLI_OK)
        unlink (a.out); /* nothing half-written is left */
    else
        printf ("%zu record(s) written to %s\n", count, a.out);
    return rc;
}

/* ---- audit grants -------------------------------------------------------- */

static int
s_grants_print (json_t *result, const void *arg)
{
    (void) arg;
    static const char *const header[] = {"SETTING", "GROUP", "EXISTS", "USERS"};
    cli_table_t *t = cli_table_new (4, header);
    json_t *r;
    size_t i;
    json_array_foreach (json_object_get (result, "rights"), i, r)
    {
        char setting[CLI_CELL_MAX + 1], group[CLI_CELL_MAX + 1], users[CLI_CELL_MAX + 1] = "";
        size_t used = 0, j;
        json_t *u;
        json_array_foreach (json_object_get (r, "users"), j, u)
        {
            int n = snprintf (users + used, sizeof users - used, "%s%s", used ? "," : "",
                              json_is_string (u) ? json_string_value (u) : "?");
            if (n < 0 || (size_t) n >= sizeof users - used) {
                snprintf (users + (used < sizeof users - 4 ? used : sizeof users - 4),
                          sizeof users - (used < sizeof users - 4 ? used : sizeof users - 4),
                          "...");
                break;
            }
            used += (size_t) n;
        }
        bool set = json_string_length (json_object_get (r, "group")) > 0;
        bool exists = json_is_true (json_object_get (r, "exists"));
        const char *cells[4] = {cli_json_str (r, "setting", setting, sizeof setting),
                                set ? cli_json_str (r, "group", group, sizeof group) : "(not set)",
                                !set     ? "-"
                                : exists ? "yes"
                                         : "NO",
                                *users ? users : "-"};
        cli_table_add (t, cells);
    }
    cli_table_print (t);
    cli_table_destroy (&t);
    uint64_t version = 0;
    cli_json_uint (result, "roster_version", &version);
    printf ("\nroster version %llu:\n", (unsigned long long) version);
    static const char *const mheader[] = {"MEMBER", "KIND", "ROLE", "ACTIVE"};
    t = cli_table_new (4, mheader);
    json_array_foreach (json_object_get (result, "members"), i, r)
    {
        char id[CLI_CELL_MAX + 1], kind[CLI_CELL_MAX + 1], role[CLI_CELL_MAX + 1];
        const char *cells[4] = {cli_json_str (r, "id", id, sizeof id),
                                cli_json_str (r, "kind", kind, sizeof kind),
                                cli_json_str (r, "role", role, sizeof role),
                                json_is_true (json_object_get (r, "active")) ? "yes" : "no"};
        cli_table_add (t, cells);
    }
    cli_table_print (t);
    cli_table_destroy (&t);
    return CLI_OK;
}

int
cmd_audit_grants (cli_t *cli, int argc, char **argv)
{
    const char *cmd = "audit grants";
    bool as_json = false;
    int rc =
        cli_options_json (cmd, argc, argv, cli_usage_of (s_usages, cmd, cmd_audit_usage), &as_json);
    if (rc)
        return CLI_DONE (rc);
    if (optind < argc)
        return cli_usage_error (cmd, "unexpected argument");
    return cli_request (cli, "audit.grants", NULL, CLI_TIMEOUT_MS, as_json, s_grants_print, NULL);
}
