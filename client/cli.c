/*  cli: helpers shared by the `keten` commands.  */
#include "cli.h"

#include "apiclient.h"
#include "config.h"
#include "util.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*  Errors as JSON (cli_json_errors_on). */
static struct {
    bool on;          /* the command was given --json */
    bool answered;    /* a JSON answer went to stdout */
    char error[1024]; /* the first error message, "" when none */
} s_json;

void
cli_json_errors_on (void)
{
    s_json.on = true;
}

/*  Keep msg when it is the first error. */
static void
s_json_error (const char *msg)
{
    if (s_json.on && !s_json.error[0])
        cli_clean (s_json.error, sizeof s_json.error, msg);
}

int
cli_json_errors_end (int rc)
{
    if (!s_json.on || rc == CLI_OK || s_json.answered)
        return rc;
    json_t *o = json_pack ("{s:s, s:i}", "error",
                           s_json.error[0] ? s_json.error : "the command failed", "exit", rc);
    char *text = o ? json_dumps (o, JSON_INDENT (2)) : NULL;
    if (text)
        printf ("%s\n", text);
    free (text);
    json_decref (o);
    return rc;
}

void
cli_error (const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (msg, sizeof msg, fmt, ap);
    va_end (ap);
    fprintf (stderr, "keten: %s\n", msg);
    s_json_error (msg);
}

int
cli_usage_error (const char *cmd, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (msg, sizeof msg, fmt, ap);
    va_end (ap);
    if (cmd) {
        char both[1100];
        snprintf (both, sizeof both, "%s: %s", cmd, msg);
        s_json_error (both);
        fprintf (stderr, "keten: %s: %s\n", cmd, msg);
        fprintf (stderr, "Try 'keten %s --help'.\n", cmd);
    } else {
        s_json_error (msg);
        fprintf (stderr, "keten: %s\n", msg);
        fprintf (stderr, "Try 'keten --help'.\n");
    }
    return CLI_USAGE;
}

const char *
cli_usage_of (const cli_usage_t *table, const char *cmd, const char *group_usage)
{
    for (; table->name; table++)
        if (strcmp (table->name, cmd) == 0)
            return table->usage;
    return group_usage;
}

void
cli_getopt_reset (void)
{
    /*  glibc: optind = 0 reinitialises getopt completely, including its
     *  hidden position inside a group of short options; optind = 1 alone
     *  would not, and every command parses a different vector.  We print
     *  our own errors. */
    optind = 0;
    opterr = 0;
}

int
cli_options (const char *cmd, int argc, char **argv, const struct option *options,
             const char *usage, cli_option_fn *fn, void *arg)
{
    int c;
    cli_getopt_reset ();
    while ((c = getopt_long (argc, argv, ":h", options, NULL)) != -1) {
        if (c == 'h' || c == CLI_OPT_HELP) {
            fputs (usage, stdout);
            return CLI_HELPED;
        }
        if (c == '?' || c == ':')
            return cli_getopt_error (cmd, c, argv);
        int rc = fn (arg, cmd, c, optarg);
        if (rc)
            return rc;
    }
    return 0;
}

static int
s_json_option (void *arg, const char *cmd, int opt, const char *value)
{
    (void) cmd;
    (void) opt;
    (void) value;
    *(bool *) arg = true;
    return 0;
}

int
cli_options_json (const char *cmd, int argc, char **argv, const char *usage, bool *as_json)
{
    static const struct option options[] = {{"json", no_argument, NULL, CLI_OPT_LONG + 1},
                                            {"help", no_argument, NULL, CLI_OPT_HELP},
                                            {NULL, 0, NULL, 0}};
    return cli_options (cmd, argc, argv, options, usage, s_json_option, as_json);
}

/*  The option as the user typed it ("--name", without any "=value"). */
static void
s_long_name (char *buf, size_t len, const char *arg)
{
    cli_clean (buf, len, arg ? arg : "?");
    char *eq = strchr (buf, '=');
    if (eq)
        *eq = '\0';
}

int
cli_getopt_error (const char *cmd, int c, char **argv)
{
    /*  glibc sets optopt to 0 for an unknown long option and to the
     *  option's val for a long option misused; our long-only options have
     *  vals >= CLI_OPT_LONG, so a val below that is a short option. */
    const char *arg = optind > 0 ? argv[optind - 1] : NULL;
    bool is_long = arg && strncmp (arg, "--", 2) == 0;
    char opt[72];
    if (c == ':') {
        if (is_long)
            s_long_name (opt, sizeof opt, arg);
        else
            snprintf (opt, sizeof opt, "-%c", optopt > ' ' && optopt < 127 ? optopt : '?');
        return cli_usage_error (cmd, "option %s needs a value", opt);
    }
    if (optopt > 0 && optopt < CLI_OPT_LONG) {
        snprintf (opt, sizeof opt, "-%c", optopt > ' ' && optopt < 127 ? optopt : '?');
        return cli_usage_error (cmd, "unknown option %s", opt);
    }
    s_long_name (opt, sizeof opt, arg);
    if (optopt >= CLI_OPT_LONG)
        return cli_usage_error (cmd, "option %s does not take a value", opt);
    return cli_usage_error (cmd, "unknown option %s", opt);
}

int
cli_opt_string (const char *cmd, const char *opt, const char *value, size_t max, const char **slot)
{
    if (*slot)
        return cli_usage_error (cmd, "--%s given twice", opt);
    if (!value || !*value)
        return cli_usage_error (cmd, "--%s must not be empty", opt);
    if (strnlen (value, max + 1) > max)
        return cli_usage_error (cmd, "--%s is longer than %zu bytes", opt, max);
    *slot = value;
    return 0;
}

int
cli_opt_uint (const char *cmd, const char *opt, const char *value, uint64_t min, uint64_t max,
              uint64_t *out)
{
    uint64_t v = 0;
    size_t i = 0;
    for (; value[i]; i++) {
        unsigned d = (unsigned) (unsigned char) value[i] - '0';
        if (d > 9 || v > (UINT64_MAX - d) / 10)
            break;
        v = v * 10 + d;
    }
    if (i == 0 || value[i] || v < min || v > max)
        return cli_usage_error (cmd, "--%s must be a whole number from %llu to %llu", opt,
                                (unsigned long long) min, (unsigned long long) max);
    *out = v;
    return 0;
}

/*  Where is ketend?  --socket, else the config's node/socket, else
 *  $KETEN_SOCKET, else the packaged default. */
static int
s_socket_path (cli_t *cli, char *path, size_t len)
{
    if (cli->socket_path) {
        snprintf (path, len, "%s", cli->socket_path);
        return 0;
    }
    if (cli->config_path) {
        config_t *config = calloc (1, sizeof *config);
        kt_reason_t reason;
        if (!config) {
            cli_error ("out of memory");
            return -1;
        }
        if (config_load (cli->config_path, config, &reason) != 0) {
            cli_error ("%s", reason.text);
            free (config);
            return -1;
        }
        snprintf (path, len, "%s", config->socket_path);
        free (config);
        return 0;
    }
    const char *env = getenv ("KETEN_SOCKET");
    snprintf (path, len, "%s", env && *env ? env : APICLIENT_DEFAULT_SOCKET);
    return 0;
}

json_t *
cli_call (cli_t *cli, const char *cmd, json_t *args, int timeout_ms, bool *unanswered)
{
    if (unanswered)
        *unanswered = false;
    /*  Longer than any valid path: apiclient_connect says it is too long. */
    char path[512];
    if (s_socket_path (cli, path, sizeof path) != 0) {
        json_decref (args);
        return NULL;
    }
    kt_reason_t reason;
    apiclient_t *client = apiclient_connect (path, &reason);
    if (!client) {
        json_decref (args);
        cli_error ("%s", reason.text);
        return NULL;
    }
    json_t *result = apiclient_call (client, cmd, args, timeout_ms, &reason);
    if (!result) {
        cli_error ("%s", reason.text);
        if (unanswered)
            *unanswered = apiclient_call_unanswered (client);
    }
    apiclient_destroy (&client);
    return result;
}

int
cli_print_json (json_t *value)
{
    char *text = json_dumps (value, JSON_INDENT (2) | JSON_ENCODE_ANY);
    if (!text) {
        cli_error ("cannot encode the result as JSON");
        return CLI_FAIL;
    }
    printf ("%s\n", text);
    free (text);
    s_json.answered = true;
    return CLI_OK;
}

int
cli_request (cli_t *cli, const char *cmd, json_t *args, int timeout_ms, bool as_json,
             cli_print_fn *print, const void *arg)
{
    json_t *result = cli_call (cli, cmd, args, timeout_ms, NULL);
    if (!result)
        return CLI_FAIL;
    int rc = as_json ? cli_print_json (result) : print (result, arg);
    json_decref (result);
    return rc;
}

int
cli_roster_warnings (json_t *result, uint64_t version)
{
    json_t *warnings = json_object_get (result, "warnings");
    for (size_t i = 0; i < json_array_size (warnings); i++) {
        char line[512];
        const char *w = json_string_value (json_array_get (warnings, i));
        cli_clean (line, sizeof line, w ? w : "");
        cli_error ("version %llu: %s", (unsigned long long) version, line);
    }
    return json_array_size (warnings) ? CLI_FAIL : CLI_OK;
}

void
cli_clean (char *dst, size_t dstlen, const char *src)
{
    if (dstlen == 0)
        return;
    size_t len = strnlen (src, dstlen);
    if (len > dstlen - 1) {
        len = dstlen - 1;
        while (len > 0 && ((unsigned char) src[len] & 0xC0) == 0x80)
            len--;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) src[i];
        dst[i] = c < 0x20 || c == 0x7F ? '?' : (char) c;
    }
    dst[len] = '\0';
}

const char *
cli_json_str (json_t *obj, const char *key, char *buf, size_t len)
{
    json_t *v = json_object_get (obj, key);
    /*  buf always holds the answer, "-" included: callers that ignore the
     *  return value must not print what the stack held before. */
    const char *text =
        json_is_string (v) && json_string_length (v) > 0 ? json_string_value (v) : "-";
    cli_clean (buf, len, text);
    return len > 1 ? buf : "-";
}

bool
cli_json_uint (json_t *obj, const char *key, uint64_t *out)
{
    json_t *v = json_object_get (obj, key);
    if (!json_is_integer (v) || json_integer_value (v) < 0)
        return false;
    *out = (uint64_t) json_integer_value (v);
    return true;
}

/*  DATE (YYYY-MM-DD, 00:00 UTC, or YYYY-MM-DDTHH:MM:SSZ) as ms since the
 *  epoch; -1 when it is not a date we take.  Seconds are 00..59: UTC as
 *  keten keeps it (POSIX time) has no leap second, and strptime's :60 and
 *  :61 would roll over into the next minute. */
int64_t
cli_parse_utc_date (const char *text)
{
    struct tm tm = {0};
    const char *end = strptime (text, "%Y-%m-%d", &tm);
    if (end && *end == 'T')
        end = strptime (end, "T%H:%M:%SZ", &tm);
    if (!end || *end || tm.tm_sec > 59)
        return -1;
    struct tm check = tm;
    time_t t = timegm (&check);
    if (t < 0 || check.tm_mday != tm.tm_mday || check.tm_mon != tm.tm_mon)
        return -1;
    return (int64_t) t * 1000;
}

const char *
cli_fmt_time (char *buf, size_t len, uint64_t ms)
{
    struct tm tm;
    time_t t = (time_t) (ms / 1000);
    if (ms == 0 || !gmtime_r (&t, &tm) || strftime (buf, len, "%Y-%m-%d %H:%M:%S", &tm) == 0)
        snprintf (buf, len, "-");
    return buf;
}

const char *
cli_fmt_duration (char *buf, size_t len, uint64_t ms)
{
    uint64_t s = ms / 1000;
    if (s < 10)
        snprintf (buf, len, "%llu.%llu s", (unsigned long long) s,
                  (unsigned long long) (ms % 1000 / 100));
    else if (s < 60)
        snprintf (buf, len, "%llu s", (unsigned long long) s);
    else if (s < 3600)
        snprintf (buf, len, "%llu min %llu s", (unsigned long long) (s / 60),
                  (unsigned long long) (s % 60));
    else if (s < 86400)
        snprintf (buf, len, "%llu h %llu min", (unsigned long long) (s / 3600),
                  (unsigned long long) (s % 3600 / 60));
    else
        snprintf (buf, len, "%llu d %llu h", (unsigned long long) (s / 86400),
                  (unsigned long long) (s % 86400 / 3600));
    return buf;
}

/* ---- tables ------------------------------------------------------------- */

struct _cli_table_t {
    size_t cols;
    size_t rows; /* including the header */
    size_t cap;
    char **cells; /* rows x cols, row-major */
};

cli_table_t *
cli_table_new (size_t cols, const char *const *header)
{
    cli_table_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->cols = cols;
    cli_table_add (self, header);
    return self;
}

void
cli_table_add (cli_table_t *self, const char *const *cells)
{
    if (!self)
        return;
    if (self->rows == self->cap) {
        size_t cap = self->cap ? self->cap * 2 : 16;
        char **more = realloc (self->cells, cap * self->cols * sizeof *more);
        if (!more)
            return;
        self->cells = more;
        self->cap = cap;
    }
    for (size_t c = 0; c < self->cols; c++) {
        char cell[CLI_CELL_MAX + 1];
        cli_clean (cell, sizeof cell, cells[c] ? cells[c] : "-");
        self->cells[self->rows * self->cols + c] = strdup (cell);
    }
    self->rows++;
}

/*  Width on the terminal: count characters, not UTF-8 continuation bytes. */
static size_t
s_width (const char *s)
{
    size_t w = 0;
    for (; s && *s; s++)
        if (((unsigned char) *s & 0xC0) != 0x80)
            w++;
    return w;
}

void
cli_table_print (cli_table_t *self)
{
    if (!self)
        return;
    size_t width[16] = {0};
    size_t cols = self->cols < 16 ? self->cols : 16;
    for (size_t r = 0; r < self->rows; r++)
        for (size_t c = 0; c < cols; c++) {
            size_t w = s_width (self->cells[r * self->cols + c]);
            if (w > width[c])
                width[c] = w;
        }
    for (size_t r = 0; r < self->rows; r++) {
        for (size_t c = 0; c < cols; c++) {
            const char *cell = self->cells[r * self->cols + c];
            cell = cell ? cell : "-";
            fputs (cell, stdout);
            if (c + 1 < cols)
                printf ("%*s", (int) (width[c] - s_width (cell) + 2), "");
        }
        putchar ('\n');
    }
}

void
cli_table_destroy (cli_table_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cli_table_t *self = *self_p;
    for (size_t i = 0; i < self->rows * self->cols; i++)
        free (self->cells[i]);
    free (self->cells);
    free (self);
    *self_p = NULL;
}

void
cli_html_text (FILE *out, const char *s)
{
    for (; *s; s++)
        switch (*s) {
        case '&':
            fputs ("&amp;", out);
            break;
        case '<':
            fputs ("&lt;", out);
            break;
        case '>':
            fputs ("&gt;", out);
            break;
        case '"':
            fputs ("&quot;", out);
            break;
        default:
            fputc (*s, out);
        }
}
