/*  cli: what the `keten` commands share - global options, exit codes,
 *  strict argument parsing, the call to ketend, and plain-text output.
 *
 *  Command-line arguments are untrusted input (docs/ARCHITECTURE.md,
 *  "Conventions", rule 4): each command checks its own arguments with these
 *  helpers before acting on them.  Strings that come back from the daemon
 *  are cleaned of control characters before they reach the terminal.
 */
#ifndef KETEN_CLI_H
#define KETEN_CLI_H

#include "config.h"

#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*  Exit codes. */
#define CLI_OK 0
#define CLI_FAIL 1  /* the command ran and failed, or the daemon refused */
#define CLI_USAGE 2 /* the command line is wrong; nothing was done */

/*  Timeouts for calls to ketend. */
#define CLI_TIMEOUT_MS 10000
#define CLI_SUBMIT_TIMEOUT_MS 30000
#define CLI_WAIT_TIMEOUT_MS 120000

/*  Global options, given before the command. */
typedef struct {
    const char *config_path; /* -c/--config: take node/socket from the config */
    const char *socket_path; /* -s/--socket */
} cli_t;

/*  A command: argv[0] is its last word ("submit" for `keten signal
 *  submit`, "status" for `keten status`); returns an exit code.  Each
 *  answers --help and -h with its usage and CLI_OK.  keten.c's table
 *  names them all; nothing else dispatches on a command's name. */
typedef int (cli_run_fn) (cli_t *cli, int argc, char **argv);

cli_run_fn cmd_keygen, cmd_roster_build, cmd_roster_clear_alarm, cmd_status;
cli_run_fn cmd_signal_submit, cmd_signal_list, cmd_signal_release, cmd_signal_withdraw,
    cmd_signal_correct, cmd_signal_confirm;
cli_run_fn cmd_transfer, cmd_transfers, cmd_decision_transfer;
cli_run_fn cmd_log_verify, cmd_log_checkpoints, cmd_log_show, cmd_log_proof, cmd_log_reanchor;
cli_run_fn cmd_weegploeg_agenda, cmd_weegploeg_meetings, cmd_weegploeg_decide,
    cmd_weegploeg_decisions, cmd_weegploeg_subject, cmd_weegploeg_matches, cmd_weegploeg_match;
cli_run_fn cmd_casusoverleg_agenda, cmd_casusoverleg_meetings;
cli_run_fn cmd_agenda_list, cmd_agenda_show;
cli_run_fn cmd_decision_list, cmd_decision_show;
cli_run_fn cmd_decision_answer;
cli_run_fn cmd_case_list, cmd_case_on_ref;
cli_run_fn cmd_plan_show, cmd_plan_progress;
cli_run_fn cmd_member_add, cmd_member_kind, cmd_member_on_id, cmd_member_opzegging,
    cmd_member_rotate;
cli_run_fn cmd_peering_add, cmd_peering_end, cmd_peering_list;
cli_run_fn cmd_incident_report, cmd_incident_list, cmd_incident_show, cmd_incident_update,
    cmd_incident_close;
cli_run_fn cmd_audit_access, cmd_audit_review, cmd_audit_reviews, cmd_audit_export,
    cmd_audit_grants;
cli_run_fn cmd_retention_status, cmd_retention_run, cmd_retention_reopen, cmd_retention_read;
cli_run_fn cmd_clock_confirm;
cli_run_fn cmd_request_open, cmd_request_find, cmd_request_link, cmd_request_list, cmd_request_show,
    cmd_request_answer, cmd_request_decide, cmd_request_grounds;
cli_run_fn cmd_informatieplicht_list, cmd_informatieplicht_consult, cmd_informatieplicht_inform,
    cmd_informatieplicht_decide, cmd_informatieplicht_letter;
cli_run_fn cmd_review_list, cmd_review_record;
cli_run_fn cmd_correction_decide, cmd_correction_list;
cli_run_fn cmd_referentiekader_adopt, cmd_referentiekader_show;
cli_run_fn cmd_report, cmd_register;
cli_run_fn cmd_backup, cmd_restore;

/*  The nodes this machine runs (client/federation.c): the config
 *  directory ($KETEN_CONFIG_DIR, else /etc/keten), and each NODE.cfg in it
 *  to fn with its federation; config NULL when the file cannot be used
 *  (federation then says why).  Returns how many could, or -1. */
const char *cli_config_dir (void);
typedef void (cli_node_fn) (void *arg, const char *path, const config_t *config,
                            const char *federation);
int cli_each_node (cli_node_fn *fn, void *arg);
/*  --federation NAME: the config of this machine's one node in it. */
int cli_federation_config (const char *name, char *path, size_t len);

/*  Usages a whole group shares with each of its commands (`keten case
 *  --help` and `keten case show --help` print the same text). */
extern const char cmd_case_usage[], cmd_plan_usage[], cmd_member_usage[], cmd_incident_usage[],
    cmd_audit_usage[], cmd_retention_usage[], cmd_clock_usage[], cmd_request_usage[],
    cmd_informatieplicht_usage[], cmd_review_usage[], cmd_correction_usage[];
extern const char cmd_referentiekader_usage[], cmd_peering_usage[];

/*  Text for HTML: & < > " escaped. */
void cli_html_text (FILE *out, const char *s);

/*  One command's own usage, in a group's table that ends with {NULL,
 *  NULL}: `keten case show --help` prints the row "case show"'s. */
typedef struct {
    const char *name; /* "case show" */
    const char *usage;
} cli_usage_t;
/*  The usage of cmd in table; group_usage when cmd has no row. */
const char *cli_usage_of (const cli_usage_t *table, const char *cmd, const char *group_usage);

/*  Errors as JSON: once on (a command given --json), the first error
 *  message printed is kept, and cli_json_errors_end prints it on stdout
 *  as {"error": "...", "exit": N} when the command failed without
 *  printing a JSON answer (the human line still goes to stderr).  Returns
 *  rc. */
void cli_json_errors_on (void);
int cli_json_errors_end (int rc);

/*  Print "keten: <message>" to stderr. */
void cli_error (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
/*  Print "keten: <cmd>: <message>" and a pointer to --help to stderr;
 *  returns CLI_USAGE. */
int cli_usage_error (const char *cmd, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/*  getopt_long vals for options that have no short form start here, so an
 *  error report can tell them from short options; -h/--help is the only
 *  short option of a command. */
#define CLI_OPT_LONG 256
#define CLI_OPT_HELP CLI_OPT_LONG /* commands number theirs from CLI_OPT_LONG + 1 */

/*  Start parsing a new argument vector with getopt_long. */
void cli_getopt_reset (void);

/*  What cli_options returns after printing a command's usage for --help
 *  or -h: the command is done, and exits CLI_OK. */
#define CLI_HELPED (-1)

/*  One option given to a command: opt is the option's val in the
 *  command's struct option table, value its argument (NULL when none).
 *  Returns 0 to go on, or an exit code (after printing why). */
typedef int (cli_option_fn) (void *arg, const char *cmd, int opt, const char *value);

/*  Parse argv's options with getopt_long (options as in getopt_long;
 *  "--help" must have val CLI_OPT_HELP) and call fn for each but --help
 *  and -h, which print usage and return CLI_HELPED.  An unknown or
 *  misused option is refused for cmd.  Returns 0 with optind at the first
 *  argument that is not an option, CLI_HELPED, or an exit code. */
int cli_options (const char *cmd, int argc, char **argv, const struct option *options,
                 const char *usage, cli_option_fn *fn, void *arg);
/*  The exit code of a command whose options returned rc (not 0). */
#define CLI_DONE(rc) ((rc) == CLI_HELPED ? CLI_OK : (rc))

/*  --json and --help only, for the commands that list: *as_json is set
 *  when --json is given.  Returns as cli_options. */
int cli_options_json (const char *cmd, int argc, char **argv, const char *usage, bool *as_json);
/*  Report what getopt_long refused (its '?' or ':' return c) for cmd;
 *  returns CLI_USAGE. */
int cli_getopt_error (const char *cmd, int c, char **argv);

/*  Store an option's value in *slot: refuses a repeated option, an empty
 *  value and one longer than max bytes.  Returns 0 or CLI_USAGE (after
 *  printing why; the value itself is never printed, it may be personal
 *  data). */
int cli_opt_string (const char *cmd, const char *opt, const char *value, size_t max,
                    const char **slot);
/*  Parse a whole decimal number in [min, max]: digits only, no sign, no
 *  spaces.  Returns 0 or CLI_USAGE (after printing why). */
int cli_opt_uint (const char *cmd, const char *opt, const char *value, uint64_t min, uint64_t max,
                  uint64_t *out);

/*  Connect to the node's ketend (socket from --socket, the config's
 *  node/socket, $KETEN_SOCKET, or the default), call cmd and return its
 *  result (new reference).  args is stolen.  On failure prints the reason
 *  and returns NULL; *unanswered (if not NULL) then tells whether the
 *  request reached the daemon without an answer coming back. */
json_t *cli_call (cli_t *cli, const char *cmd, json_t *args, int timeout_ms, bool *unanswered);

/*  Print a JSON value indented by 2, then a newline.  Returns an exit code. */
int cli_print_json (json_t *value);

/*  Print a command's answer in words; returns the command's exit code
 *  (CLI_FAIL when the answer says it failed). */
typedef int (cli_print_fn) (json_t *result, const void *arg);

/*  The shape of most commands: call cmd (args stolen) and print the
 *  answer, as JSON when as_json, else with print (arg passed on).
 *  Returns the exit code. */
int cli_request (cli_t *cli, const char *cmd, json_t *args, int timeout_ms, bool as_json,
                 cli_print_fn *print, const void *arg);

/*  The warnings of a new roster version's answer (steps after it was kept
 *  that failed and are made good later), each said on stderr.  The
 *  version is in force all the same; CLI_FAIL when there were any, so
 *  that scripts notice, else CLI_OK. */
int cli_roster_warnings (json_t *result, uint64_t version);

/*  Copy untrusted text for the terminal: at most dstlen - 1 bytes, control
 *  characters replaced by '?', not cut inside a UTF-8 sequence. */
void cli_clean (char *dst, size_t dstlen, const char *src);
/*  A member's string, cleaned, or "-" when absent, empty or not a string;
 *  the answer is also written to buf (when len > 1), so buf may be used
 *  instead of the return value. */
const char *cli_json_str (json_t *obj, const char *key, char *buf, size_t len);
/*  A member's non-negative integer, or false when absent or negative. */
bool cli_json_uint (json_t *obj, const char *key, uint64_t *out);
/*  UTC "YYYY-MM-DD HH:MM:SS" for ms since the epoch; "-" for 0. */
const char *cli_fmt_time (char *buf, size_t len, uint64_t ms);
/*  DATE (YYYY-MM-DD, 00:00 UTC, or YYYY-MM-DDTHH:MM:SSZ) as ms since the
 *  epoch; -1 when it is not a date we take. */
int64_t cli_parse_utc_date (const char *text);
/*  A duration in words: "0.4 s", "12 s", "3 min 2 s", "2 h 5 min", "4 d 1 h". */
const char *cli_fmt_duration (char *buf, size_t len, uint64_t ms);

/*  A plain text table: a header line, then rows, columns padded to the
 *  widest cell and separated by two spaces. */
typedef struct _cli_table_t cli_table_t;
cli_table_t *cli_table_new (size_t cols, const char *const *header);
/*  Add a row of cols cells (copied, cleaned, cut at CLI_CELL_MAX bytes). */
#define CLI_CELL_MAX 64
void cli_table_add (cli_table_t *self, const char *const *cells);
void cli_table_print (cli_table_t *self);
void cli_table_destroy (cli_table_t **self_p);

#endif
