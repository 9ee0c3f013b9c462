/*  keten: the command-line client of a keten node.
 *
 *  Offline commands make keys and rosters; the others talk to the node's
 *  ketend over its local API (docs/API.md).  Exit status: 0 done, 1 failed
 *  (the message says why), 2 wrong command line (nothing was done).
 *
 *  Every command is one row of s_commands (as wireguard-tools' wg.c
 *  `subcommands[]`): main looks it up, and `keten --help` lists the rows.
 *  A command of two words belongs to a row of s_groups, which answers
 *  `keten GROUP`, `keten GROUP --help` and an unknown second word.
 */
#include "cli.h"
#include "keten_version.h" /* KETEN_VERSION, generated at build time */

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/*  `keten --help` starts a command's help text in this column (a group
 *  may set its own). */
#define S_HELP_COLUMN 16

typedef struct {
    const char *name;
    const char *usage;   /* `keten GROUP --help` */
    const char *which;   /* the commands named when none is given */
    const char *unknown; /* the refusal of an unknown command; NULL: "unknown GROUP command 'X'" */
    const char *help;    /* its one entry "GROUP ..." in `keten --help`; NULL: one per command */
    int column;          /* where `keten --help` starts its commands' help; 0: S_HELP_COLUMN */
} s_group_t;

typedef struct {
    const char *name; /* "status" or "GROUP COMMAND" */
    cli_run_fn *run;
    const char *help; /* its lines in `keten --help`, unless its group has one entry */
} s_command_t;

static cli_run_fn s_help;

static const s_group_t s_groups[] = {
    {"roster",
     "Usage: keten roster COMMAND ...\n"
     "\n"
     "  build        build and sign the federation roster (uitvoerder, offline)\n"
     "  clear-alarm  end a roster_conflict (partner) or a member's\n"
     "               roster_refused (uitvoerder) alarm\n"
     "\n"
     "'keten roster COMMAND --help' describes a command.\n",
     "build, clear-alarm", NULL, NULL, 20},
    {"signal",
     "Usage: keten signal COMMAND ...\n"
     "\n"
     "  submit    submit a signal to the node (kernpartijen)\n"
     "  list      list the node's signals (no personal data)\n"
     "  release   release a held art. 9/10 Wpg police signal\n"
     "  confirm   confirm spool signals as the police representative (art. 7.2a)\n"
     "  withdraw  withdraw one of this node's own signals (art. 12.5)\n"
     "  correct   correct an item of one of this node's own signals (art. 12.5)\n"
     "\n"
     "'keten signal COMMAND --help' describes a command.\n",
     "submit, list, release, confirm, withdraw, correct", NULL, NULL, 17},
    {"log",
     "Usage: keten log COMMAND ...\n"
     "\n"
     "  verify       uitvoerder: recompute the log and its checkpoints; partner:\n"
     "               check every kept receipt's proof (exit 1 on failure or alarm)\n"
     "  checkpoints  the signed checkpoints and their witness cosigners (uitvoerder)\n"
     "  show         the trail of one subject (--case CASE_REF), or the entries\n"
     "               of one event in a time window (--type EVENT) (uitvoerder)\n"
     "  proof        one entry with its inclusion proof in the signed checkpoint,\n"
     "               checked here (uitvoerder)\n"
     "  reanchor     follow the log again from a named tree, after an alarm\n"
     "               whose cause is known (member)\n"
     "\n"
     "'keten log COMMAND --help' describes a command.\n",
     "verify", NULL, NULL, 0},
    {"weegploeg",
     "Usage: keten weegploeg COMMAND ...   (uitvoerder)\n"
     "\n"
     "  agenda     plan, change or cancel a meeting and send its agenda\n"
     "  meetings   list the meetings planned\n"
     "  decide     record the decision on a subject and send it\n"
     "  decisions  list the decisions and the cases opened\n"
     "  subject    show a subject's signals (recorded access)\n"
     "  matches    possible matches to decide (same person or not)\n"
     "  match      decide one: --same (merge) or --different\n"
     "\n"
     "'keten weegploeg COMMAND --help' describes a command.\n",
     "agenda, meetings, decide, decisions, subject, matches, match", NULL, NULL, 20},
    {"casusoverleg",
     "Usage: keten casusoverleg COMMAND ...   (uitvoerder)\n"
     "\n"
     "  agenda     plan, change or cancel a meeting and send its agenda to the\n"
     "             participants of its cases\n"
     "  meetings   list the casusoverleg meetings planned\n"
     "\n"
     "The cases themselves: 'keten case --help'.\n"
     "'keten casusoverleg COMMAND --help' describes a command.\n",
     "agenda, meetings", NULL, NULL, 23},
    {"agenda",
     "Usage: keten agenda COMMAND ...   (partner nodes)\n"
     "\n"
     "  list   the weegploeg and casusoverleg agendas received (no personal data)\n"
     "  show   one agenda with its subjects (recorded as an access)\n"
     "\n"
     "'keten agenda COMMAND --help' describes a command.\n",
     "list, show", NULL, NULL, 0},
    {"decision",
     "Usage: keten decision COMMAND ...   (kernpartij nodes)\n"
     "\n"
     "  list      the weegploeg decisions received (no personal data)\n"
     "  show      one decision with its analysis (recorded as an access)\n"
     "  answer    answer the weegploeg's question to this node (art. 7.4 sub 1)\n"
     "  transfer  decide that a subject moves to a peered federation (art. 4)\n"
     "\n"
     "'keten decision COMMAND --help' describes a command.\n",
     "list, show, answer, transfer", NULL, NULL, 0},
    {"case", cmd_case_usage,
     "list, show, plan, contribute, consent, disclose, share, advise, close", NULL,
     "the casusoverleg: list, show, plan, contribute, consent,\n"
     "disclose, share, advise, close (art. 9-10; 'keten case --help')",
     0},
    {"plan", cmd_plan_usage, "show, progress", NULL, NULL, 0},
    {"member", cmd_member_usage, "add, kind, revoke, opzegging, rotate, end-overlap",
     "see keten member --help",
     "add, change kind, revoke, opzegging, rotate keys, end an\n"
     "overlap: a new roster version, pushed to every node\n"
     "(uitvoerder; art. 15.2c, 18.2; 'keten member --help')",
     0},
    {"peering", cmd_peering_usage, "add, end, list", "see keten peering --help",
     "add, end a peering with another federation's\n"
     "uitvoerder: a new roster version (uitvoerder); list\n"
     "the peerings ('keten peering --help')",
     0},
    {"incident", cmd_incident_usage, "report, list, show, update, close",
     "see keten incident --help",
     "report a data incident (any node); list, show the\n"
     "register (uitvoerder, kernpartij); update, close it\n"
     "(uitvoerder; art. 15.2g, AVG art. 33, 34)",
     0},
    {"audit", cmd_audit_usage, "access, review, reviews, export, grants", "see keten audit --help",
     "the access log: list, review, export; who holds which\n"
     "right (art. 15.2e-f; 'keten audit --help')",
     0},
    {"retention", cmd_retention_usage, "status, run, reopen, read", "see keten retention --help",
     "status, run the schedule; reopen, read archived data\n"
     "(kernpartijen) (art. 13; 'keten retention --help')",
     0},
    {"clock", cmd_clock_usage, "confirm", NULL, NULL, 0},
    {"request", cmd_request_usage, "open, find, link, list, show, decide, answer, grounds",
     "see keten request --help",
     "a person's requests about their own data: open, find,\n"
     "link, list, show, answer, grounds (uitvoerder); decide\n"
     "(kernpartij) (art. 4, 12; 'keten request --help')",
     0},
    {"informatieplicht", cmd_informatieplicht_usage, "list, consult, decide, inform, letter",
     "see keten informatieplicht --help",
     "list, consult, inform the tasks to inform the\n"
     "person, write the letter (uitvoerder); decide to\n"
     "inform or defer (kernpartij) (art. 4, 11.2-11.5)",
     21},
    {"review", cmd_review_usage, "list, record", "see keten review --help",
     "the accuracy review worklist; record a review\n"
     "(uitvoerder; art. 8.3, 10.3)",
     0},
    {"correction", cmd_correction_usage, "decide, list", "see keten correction --help",
     "decide a correction, addition, deletion or block of a\n"
     "signal's data; list them with each party's confirmation\n"
     "(uitvoerder; art. 12.5-12.6; 'keten correction --help')",
     0},
    {"referentiekader", cmd_referentiekader_usage, "adopt, show",
     "see keten referentiekader --help",
     "adopt: put the region's referentiekader in force\n"
     "as the next roster version (uitvoerder); show: the\n"
     "one in force (art. 7.3)",
     23},
};

static const s_command_t s_commands[] = {
    {"keygen", cmd_keygen, "make a node's key files (offline)"},
    {"roster build", cmd_roster_build,
     "build and sign the federation roster (uitvoerder, offline)"},
    {"roster clear-alarm", cmd_roster_clear_alarm,
     "end a roster_conflict or a member's roster_refused alarm\n"
     "(after seeing to its cause; docs/ROSTER.md)"},
    {"signal submit", cmd_signal_submit, "submit a signal to the node (kernpartijen)"},
    {"signal list", cmd_signal_list, "list the node's signals (no personal data)"},
    {"signal release", cmd_signal_release, "release a held art. 9/10 Wpg police signal"},
    {"signal confirm", cmd_signal_confirm,
     "confirm spool signals as the police representative (art. 7.2a)"},
    {"signal withdraw", cmd_signal_withdraw, "withdraw one of this node's own signals (art. 12.5)"},
    {"signal correct", cmd_signal_correct, "correct an item of one of this node's own signals"},
    {"status", cmd_status, "show the node's state and its links"},
    {"transfer", cmd_transfer,
     "hand a subject over to a peered federation, on the\n"
     "kernpartijen's decision (uitvoerder; docs/FEDERATIONS.md)"},
    {"transfers", cmd_transfers, "the subjects handed over and taken in (uitvoerder)"},
    {"help", s_help, "describe a command, the same as 'keten CMD... --help'"},
    {"log verify", cmd_log_verify,
     "uitvoerder: recompute the log and its checkpoints;\n"
     "partner: check every kept receipt's proof"},
    {"log checkpoints", cmd_log_checkpoints,
     "the signed checkpoints and their cosigners (uitvoerder)"},
    {"log show", cmd_log_show,
     "the trail of one subject (--case CASE_REF), or entries\n"
     "by event and time (--type EVENT) (uitvoerder)"},
    {"log proof", cmd_log_proof,
     "one entry, its inclusion proof and the signed checkpoint,\n"
     "checked here (uitvoerder)"},
    {"log reanchor", cmd_log_reanchor,
     "after a log alarm whose cause is known, follow the log again\n"
     "from the tree the uitvoerder's operator names (member)"},
    {"weegploeg agenda", cmd_weegploeg_agenda,
     "plan, change or cancel a weegploeg meeting (uitvoerder)"},
    {"weegploeg meetings", cmd_weegploeg_meetings,
     "list the weegploeg meetings planned (uitvoerder)"},
    {"weegploeg decide", cmd_weegploeg_decide,
     "record the weegploeg's decision on a subject (uitvoerder)"},
    {"weegploeg decisions", cmd_weegploeg_decisions,
     "list the decisions and cases opened (uitvoerder)"},
    {"weegploeg subject", cmd_weegploeg_subject,
     "show a subject's signals (uitvoerder; recorded access)"},
    {"weegploeg matches", cmd_weegploeg_matches,
     "possible matches of subjects to decide (uitvoerder)"},
    {"weegploeg match", cmd_weegploeg_match, "decide one: same person (merge) or different"},
    {"casusoverleg agenda", cmd_casusoverleg_agenda,
     "plan, change or cancel a casusoverleg meeting and\n"
     "send it to the cases' participants (uitvoerder)"},
    {"casusoverleg meetings", cmd_casusoverleg_meetings,
     "list the casusoverleg meetings planned (uitvoerder)"},
    {"agenda list", cmd_agenda_list, "list the weegploeg and casusoverleg agendas received"},
    {"agenda show", cmd_agenda_show, "show one agenda with its subjects (recorded access)"},
    {"decision list", cmd_decision_list, "list the weegploeg decisions received (kernpartijen)"},
    {"decision show", cmd_decision_show, "show one decision with its analysis (recorded access)"},
    {"decision transfer", cmd_decision_transfer,
     "decide that a subject moves to a peered federation\n"
     "(kernpartijen)"},
    {"decision answer", cmd_decision_answer,
     "answer the weegploeg's question to this node (kernpartijen)"},
    {"case list", cmd_case_list, NULL},
    {"case show", cmd_case_on_ref, NULL},
    {"case plan", cmd_case_on_ref, NULL},
    {"case contribute", cmd_case_on_ref, NULL},
    {"case consent", cmd_case_on_ref, NULL},
    {"case disclose", cmd_case_on_ref, NULL},
    {"case share", cmd_case_on_ref, NULL},
    {"case advise", cmd_case_on_ref, NULL},
    {"case close", cmd_case_on_ref, NULL},
    {"plan show", cmd_plan_show, "a version of the plan van aanpak (recorded access)"},
    {"plan progress", cmd_plan_progress, "report on one of this node's own measures"},
    {"member add", cmd_member_add, NULL},
    {"member kind", cmd_member_kind, NULL},
    {"member revoke", cmd_member_on_id, NULL},
    {"member opzegging", cmd_member_opzegging, NULL},
    {"member rotate", cmd_member_rotate, NULL},
    {"member end-overlap", cmd_member_on_id, NULL},
    {"peering add", cmd_peering_add, NULL},
    {"peering end", cmd_peering_end, NULL},
    {"peering list", cmd_peering_list, NULL},
    {"incident report", cmd_incident_report, NULL},
    {"incident list", cmd_incident_list, NULL},
    {"incident show", cmd_incident_show, NULL},
    {"incident update", cmd_incident_update, NULL},
    {"incident close", cmd_incident_close, NULL},
    {"audit access", cmd_audit_access, NULL},
    {"audit review", cmd_audit_review, NULL},
    {"audit reviews", cmd_audit_reviews, NULL},
    {"audit export", cmd_audit_export, NULL},
    {"audit grants", cmd_audit_grants, NULL},
    {"retention status", cmd_retention_status, NULL},
    {"retention run", cmd_retention_run, NULL},
    {"retention reopen", cmd_retention_reopen, NULL},
    {"retention read", cmd_retention_read, NULL},
    {"clock confirm", cmd_clock_confirm,
     "you checked this node's clock: what waits for a clock\n"
     "the federation confirms runs for up to 24 h (admin)"},
    {"request open", cmd_request_open, NULL},
    {"request find", cmd_request_find, NULL},
    {"request link", cmd_request_link, NULL},
    {"request list", cmd_request_list, NULL},
    {"request show", cmd_request_show, NULL},
    {"request answer", cmd_request_answer, NULL},
    {"request decide", cmd_request_decide, NULL},
    {"request grounds", cmd_request_grounds, NULL},
    {"informatieplicht list", cmd_informatieplicht_list, NULL},
    {"informatieplicht consult", cmd_informatieplicht_consult, NULL},
    {"informatieplicht inform", cmd_informatieplicht_inform, NULL},
    {"informatieplicht decide", cmd_informatieplicht_decide, NULL},
    {"informatieplicht letter", cmd_informatieplicht_letter, NULL},
    {"review list", cmd_review_list, NULL},
    {"review record", cmd_review_record, NULL},
    {"correction decide", cmd_correction_decide, NULL},
    {"correction list", cmd_correction_list, NULL},
    {"referentiekader adopt", cmd_referentiekader_adopt, NULL},
    {"referentiekader show", cmd_referentiekader_show, NULL},
    {"report", cmd_report, "figures without persons for a period (art. 15.3, 18.4)"},
    {"register", cmd_register, "the federation's verwerkingsregister entry (AVG art. 30)"},
    {"backup", cmd_backup, "a consistent copy of the running node's databases"},
    {"restore", cmd_restore, "put a backup back into the stopped node (keten -c CONFIG)"},
};

#define S_COUNT(a) (sizeof (a) / sizeof (a)[0])

static const s_group_t *
s_group_find (const char *name, size_t len)
{
    for (size_t i = 0; i < S_COUNT (s_groups); i++)
        if (strlen (s_groups[i].name) == len && strncmp (s_groups[i].name, name, len) == 0)
            return &s_groups[i];
    return NULL;
}

/*  The group of a command of two words; NULL for a command of one. */
static const s_group_t *
s_group_of (const s_command_t *command)
{
    const char *space = strchr (command->name, ' ');
    return space ? s_group_find (command->name, (size_t) (space - command->name)) : NULL;
}

/*  One entry of `keten --help`: the name, then the help text from column
 *  on, its further lines indented to the same column. */
static void
s_help_entry (FILE *out, const char *name, const char *help, int column)
{
    fprintf (out, "  %-*s", column, name);
    for (const char *line = help; *line;) {
        const char *nl = strchr (line, '\n');
        int len = nl ? (int) (nl - line) : (int) strlen (line);
        fprintf (out, "%.*s\n", len, line);
        line += len + (nl ? 1 : 0);
        if (*line)
            fprintf (out, "  %*s", column, "");
    }
}

/*  The column where the help of command (and of the rest of its group,
 *  which share it) starts in `keten --help`: the group's own, or the
 *  default, moved right where a name would run into its help. */
static int
s_help_column (const s_command_t *command, const s_group_t *group)
{
    int column = group && group->column ? group->column : S_HELP_COLUMN;
    int width = 0;
    if (group && group->help) /* one entry, "GROUP ..." */
        width = (int) strlen (group->name) + 4;
    else
        for (size_t i = 0; i < S_COUNT (s_commands); i++) {
            const s_command_t *other = &s_commands[i];
            if (other == command || (group && s_group_of (other) == group))
                width = (int) strlen (other->name) > width ? (int) strlen (other->name) : width;
        }
    /*  At least two spaces between a name and its help. */
    return width + 2 > column ? width + 2 : column;
}

static void
s_usage (FILE *out)
{
    fprintf (out, "Usage: keten [-c FILE | -s PATH | -f NAME] COMMAND [OPTIONS]\n"
                  "\n"
                  "Commands:\n");
    const s_group_t *listed = NULL;
    for (size_t i = 0; i < S_COUNT (s_commands); i++) {
        const s_command_t *command = &s_commands[i];
        const s_group_t *group = s_group_of (command);
        int column = s_help_column (command, group);
        if (!group || !group->help)
            s_help_entry (out, command->name, command->help, column);
        else if (group != listed) {
            char name[64];
            snprintf (name, sizeof name, "%s ...", group->name);
            s_help_entry (out, name, group->help, column);
        }
        listed = group;
    }
    fprintf (out, "\n"
                  "Options:\n"
                  "  -c, --config FILE   talk to the ketend whose config is FILE (node/socket)\n"
                  "  -s, --socket PATH   talk to the ketend listening on PATH\n"
                  "  -f, --federation NAME\n"
                  "                      talk to this machine's node in federation NAME: the\n"
                  "                      NODE.cfg in $KETEN_CONFIG_DIR (else /etc/keten) whose\n"
                  "                      roster is NAME's\n"
                  "  -h, --help          show this help\n"
                  "      --version       show the version\n"
                  "\n"
                  "Without -c, -s or -f the socket is $KETEN_SOCKET, else /run/keten/ketend.sock.\n"
                  "'keten COMMAND --help' (or 'keten help COMMAND') describes a command.\n");
}

static const s_command_t *
s_command_find (const char *group, const char *name)
{
    char full[128];
    if (group)
        snprintf (full, sizeof full, "%s %s", group, name);
    if (!group && strchr (name, ' '))
        return NULL; /* "signal list" as one argument is not a command */
    for (size_t i = 0; i < S_COUNT (s_commands); i++)
        if (strcmp (s_commands[i].name, group ? full : name) == 0)
            return &s_commands[i];
    return NULL;
}

/*  The edit distance of a and b (insertions, deletions, substitutions),
 *  counted up to S_NEAR + 1: only "near or not" matters. */
#define S_NEAR 2
static size_t
s_distance (const char *a, const char *b)
{
    size_t la = strlen (a), lb = strlen (b);
    if (la > 64 || lb > 64 || (la > lb ? la - lb : lb - la) > S_NEAR)
        return S_NEAR + 1;
    size_t row[65];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            if (up + 1 < best)
                best = up + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/*  The nearest command or group to what argv names, within S_NEAR of
 *  each word that is wrong, into buf; false when none is.  group is the
 *  group argv[0] named, or NULL when argv[0] is unknown. */
static bool
s_near (const s_group_t *group, int argc, char **argv, char *buf, size_t len)
{
    size_t best = S_NEAR + 1;
    *buf = '\0';
    if (!group) {
        /*  The first word: a group or a command of one word. */
        const char *name = NULL;
        for (size_t i = 0; i < S_COUNT (s_groups); i++) {
            size_t d = s_distance (argv[0], s_groups[i].name);
            if (d < best)
                best = d, name = s_groups[i].name, group = &s_groups[i];
        }
        for (size_t i = 0; i < S_COUNT (s_commands); i++) {
            size_t d = strchr (s_commands[i].name, ' ') ? S_NEAR + 1
                                                        : s_distance (argv[0], s_commands[i].name);
            if (d < best)
                best = d, name = s_commands[i].name, group = NULL;
        }
        if (!name)
            return false;
        snprintf (buf, len, "%s", name);
        if (!group || argc < 2 || argv[1][0] == '-')
            return true;
        if (s_command_find (group->name, argv[1])) {
            snprintf (buf, len, "%s %s", group->name, argv[1]);
            return true;
        }
    }
    /*  The second word, in group. */
    size_t glen = strlen (group->name);
    const char *name = NULL;
    best = S_NEAR + 1;
    for (size_t i = 0; i < S_COUNT (s_commands); i++) {
        const char *c = s_commands[i].name;
        if (strncmp (c, group->name, glen) != 0 || c[glen] != ' ')
            continue;
        size_t d = s_distance (argv[1], c + glen + 1);
        if (d < best)
            best = d, name = c;
    }
    if (name)
        snprintf (buf, len, "%s", name);
    return *buf != '\0';
}

/*  Refuse what argv names as unknown (exit 2), with the nearest known
 *  name if one is near. */
static int
s_unknown (const s_group_t *group, int argc, char **argv)
{
    char clean[65], near[160];
    int rc;
    if (!group) {
        cli_clean (clean, sizeof clean, argv[0]);
        rc = cli_usage_error (NULL, "unknown command '%s'", clean);
    } else if (group->unknown)
        rc = cli_usage_error (group->name, "%s", group->unknown);
    else {
        cli_clean (clean, sizeof clean, argv[1]);
        rc = cli_usage_error (group->name, "unknown %s command '%s'", group->name, clean);
    }
    if (s_near (group, argc, argv, near, sizeof near))
        cli_error ("did you mean '%s'?", near);
    return rc;
}

/*  Run the command argv names (argv[0], and argv[1] in a group). */
static int
s_dispatch (cli_t *cli, int argc, char **argv)
{
    const s_group_t *group = s_group_find (argv[0], strlen (argv[0]));
    const s_command_t *command = group ? NULL : s_command_find (NULL, argv[0]);
    if (command)
        return command->run (cli, argc, argv);
    if (!group)
        return s_unknown (NULL, argc, argv);
    if (argc < 2)
        return cli_usage_error (group->name, "which %s command? (%s)", group->name, group->which);
    if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0) {
        fputs (group->usage, stdout);
        return CLI_OK;
    }
    if ((command = s_command_find (group->name, argv[1])))
        return command->run (cli, argc - 1, argv + 1);
    return s_unknown (group, argc, argv);
}

/*  `keten help CMD...` is `keten CMD... --help`; `keten help` is `keten
 *  --help`. */
static const char s_help_usage[] = "Usage: keten help [COMMAND ...]\n"
                                   "\n"
                                   "Print the help of COMMAND, the same as 'keten COMMAND --help'\n"
                                   "('keten help signal list' is 'keten signal list --help');\n"
                                   "without COMMAND the help of keten itself.\n";

static int
s_help (cli_t *cli, int argc, char **argv)
{
    if (argc < 2) {
        s_usage (stdout);
        return CLI_OK;
    }
    if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0) {
        fputs (s_help_usage, stdout);
        return CLI_OK;
    }
    if (argv[1][0] == '-')
        return cli_usage_error ("help", "give a command, not an option");
    if (argc > 8)
        return cli_usage_error ("help", "give at most a command's words");
    /*  argv[1..] and "--help", NULL-terminated as getopt expects. */
    char *words[9];
    for (int i = 1; i < argc; i++)
        words[i - 1] = argv[i];
    words[argc - 1] = (char *) "--help";
    words[argc] = NULL;
    return s_dispatch (cli, argc, words);
}

int
main (int argc, char **argv)
{
    enum { OPT_VERSION = CLI_OPT_LONG + 1 };
    static const struct option options[] = {
        {"config", required_argument, NULL, 'c'},     {"socket", required_argument, NULL, 's'},
        {"federation", required_argument, NULL, 'f'}, {"help", no_argument, NULL, CLI_OPT_HELP},
        {"version", no_argument, NULL, OPT_VERSION},  {NULL, 0, NULL, 0}};
    cli_t cli = {NULL, NULL};
    const char *federation = NULL;
    static char federation_config[4096];
    int c;
    cli_getopt_reset ();
    /*  "+": stop at the command; its options are its own. */
    while ((c = getopt_long (argc, argv, "+:c:s:f:h", options, NULL)) != -1) {
        switch (c) {
        case 'c':
            if (cli_opt_string (NULL, "config", optarg, 4096, &cli.config_path))
                return CLI_USAGE;
            break;
        case 's':
            if (cli_opt_string (NULL, "socket", optarg, 4096, &cli.socket_path))
                return CLI_USAGE;
            break;
        case 'f':
            if (cli_opt_string (NULL, "federation", optarg, 64, &federation))
                return CLI_USAGE;
            break;
        case 'h':
        case CLI_OPT_HELP:
            s_usage (stdout);
            return CLI_OK;
        case OPT_VERSION:
            printf ("keten %s\n", KETEN_VERSION);
            return CLI_OK;
        default:
            return cli_getopt_error (NULL, c, argv);
        }
    }
    if (!!cli.config_path + !!cli.socket_path + !!federation > 1)
        return cli_usage_error (NULL, "give one of --config, --socket and --federation");
    /*  One organisation, several federations: one node (ketend@NODE) for
     *  each, its config in the config directory. */
    if (federation) {
        if (cli_federation_config (federation, federation_config, sizeof federation_config) != 0)
            return CLI_FAIL;
        cli.config_path = federation_config;
    }
    if (optind >= argc) {
        s_usage (stderr);
        return CLI_USAGE;
    }
    /*  --json among the command's arguments: errors as JSON too. */
    for (int i = optind + 1; i < argc && strcmp (argv[i], "--") != 0; i++)
        if (strcmp (argv[i], "--json") == 0)
            cli_json_errors_on ();
    int rc = s_dispatch (&cli, argc - optind, argv + optind);
    /*  Output that did not reach its destination is a failure too. */
    if (fflush (stdout) != 0 || ferror (stdout)) {
        cli_error ("cannot write the output");
        return CLI_FAIL;
    }
    rc = cli_json_errors_end (rc);
    if (fflush (stdout) != 0 || ferror (stdout)) {
        cli_error ("cannot write the output");
        return CLI_FAIL;
    }
    return rc;
}
