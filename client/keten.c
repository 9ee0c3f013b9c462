/*  keten: the command-line client of a keten node.
 *
 *  Offline commands make keys and rosters; the others talk to the node's
 *  ketend over its local API (docs/API.md).  Exit status: 0 done, 1 failed
 *  (the message says why), 2 wrong command line (nothing was done).
 */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void
s_usage (FILE *out)
{
    fprintf (out, "Usage: keten [-c FILE | -s PATH] COMMAND [OPTIONS]\n"
                  "\n"
                  "Commands:\n"
                  "  keygen          make a node's key files (offline)\n"
                  "  roster build    build and sign the federation roster (uitvoerder, offline)\n"
                  "  signal submit   submit a signal to the node (kernpartijen)\n"
                  "  signal list     list the node's signals (no personal data)\n"
                  "  signal release  release a held art. 9/10 Wpg police signal\n"
                  "  status          show the node's state and its links\n"
                  "  log verify      uitvoerder: recompute the log and its checkpoints;\n"
                  "                  partner: check every kept receipt's proof\n"
                  "  log checkpoints the signed checkpoints and their cosigners (uitvoerder)\n"
                  "  log show        the trail of one subject, --case CASE_REF (uitvoerder)\n"
                  "  weegploeg agenda    plan, change or cancel a weegploeg meeting (uitvoerder)\n"
                  "  weegploeg meetings  list the weegploeg meetings planned (uitvoerder)\n"
                  "  weegploeg decide    record the weegploeg's decision on a subject (uitvoerder)\n"
                  "  weegploeg decisions list the decisions and cases opened (uitvoerder)\n"
                  "  weegploeg subject   show a subject's signals (uitvoerder; recorded access)\n"
                  "  weegploeg matches   possible matches of subjects to decide (uitvoerder)\n"
                  "  weegploeg match     decide one: same person (merge) or different\n"
                  "  casusoverleg agenda    plan, change or cancel a casusoverleg meeting and\n"
                  "                         send it to the cases' participants (uitvoerder)\n"
                  "  casusoverleg meetings  list the casusoverleg meetings planned (uitvoerder)\n"
                  "  agenda list     list the weegploeg and casusoverleg agendas received\n"
                  "  agenda show     show one agenda with its subjects (recorded access)\n"
                  "  decision list   list the weegploeg decisions received (kernpartijen)\n"
                  "  decision show   show one decision with its analysis (recorded access)\n"
                  "  case ...        the casusoverleg: list, show, plan, contribute, disclose,\n"
                  "                  close (art. 9-10; 'keten case --help')\n"
                  "  plan show       a version of the plan van aanpak (recorded access)\n"
                  "  plan progress   report on one of this node's own measures\n"
                  "  member ...      add, change kind, revoke, opzegging, rotate keys, end an\n"
                  "                  overlap: a new roster version, pushed to every node\n"
                  "                  (uitvoerder; art. 15.2c, 18.2; 'keten member --help')\n"
                  "  incident ...    report a data incident (any node); list, show, close the\n"
                  "                  register (uitvoerder; art. 15.2g, AVG art. 33)\n"
                  "  audit access    list the recorded reads of personal data (art. 15.2e)\n"
                  "\n"
                  "Options:\n"
                  "  -c, --config FILE   talk to the ketend whose config is FILE (node/socket)\n"
                  "  -s, --socket PATH   talk to the ketend listening on PATH\n"
                  "  -h, --help          show this help\n"
                  "      --version       show the version\n"
                  "\n"
                  "Without -c or -s the socket is $KETEN_SOCKET, else /run/keten/ketend.sock.\n"
                  "'keten COMMAND --help' describes a command.\n");
}

int
main (int argc, char **argv)
{
    enum { OPT_VERSION = CLI_OPT_LONG + 1 };
    static const struct option options[] = {{"config", required_argument, NULL, 'c'},
                                            {"socket", required_argument, NULL, 's'},
                                            {"help", no_argument, NULL, CLI_OPT_HELP},
                                            {"version", no_argument, NULL, OPT_VERSION},
                                            {NULL, 0, NULL, 0}};
    cli_t cli = {NULL, NULL};
    int c;
    cli_getopt_reset ();
    /*  "+": stop at the command; its options are its own. */
    while ((c = getopt_long (argc, argv, "+:c:s:h", options, NULL)) != -1) {
        switch (c) {
        case 'c':
            if (cli_opt_string (NULL, "config", optarg, 4096, &cli.config_path))
                return CLI_USAGE;
            break;
        case 's':
            if (cli_opt_string (NULL, "socket", optarg, 4096, &cli.socket_path))
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
    if (cli.config_path && cli.socket_path)
        return cli_usage_error (NULL, "give --config or --socket, not both");
    if (optind >= argc) {
        s_usage (stderr);
        return CLI_USAGE;
    }

    const char *command = argv[optind];
    int sub_argc = argc - optind;
    char **sub_argv = argv + optind;
    int rc;
    if (strcmp (command, "keygen") == 0)
        rc = cmd_keygen (&cli, sub_argc, sub_argv);
    else if (strcmp (command, "roster") == 0)
        rc = cmd_roster (&cli, sub_argc, sub_argv);
    else if (strcmp (command, "signal") == 0)
        rc = cmd_signal (&cli, sub_argc, sub_argv);
    else if (strcmp (command, "status") == 0)
        rc = cmd_status (&cli, sub_argc, sub_argv);
    else if (strcmp (command, "log") == 0)
        rc = cmd_log (&cli, sub_argc, sub_argv);
    else if (strcmp (command, "weegploeg") == 0)
        rc = cmd_weegploeg (&cli, sub_argc, sub_argv);
    else if (strcmp (command, "agenda") == 0)
        rc = cmd_agenda (&cli, sub_argc, sub_argv);
    else if (strcmp (command, "casusoverleg") == 0)
        rc = cmd_casusoverleg (&cli, sub_argc, sub_argv);
    else if (strcmp (command, "decision") == 0)
        rc = cmd_decision (&cli, sub_argc, sub_argv);
    else if (strcmp (command, "case") == 0)
        rc = cmd_case (&cli, sub_argc, sub_argv);
    else if (strcmp (command, "plan") == 0)
        rc = cmd_plan (&cli, sub_argc, sub_argv);
    else if (strcmp (command, "member") == 0)
        rc = cmd_member (&cli, sub_argc, sub_argv);
    else if (strcmp (command, "incident") == 0)
        rc = cmd_incident (&cli, sub_argc, sub_argv);
    else if (strcmp (command, "audit") == 0)
        rc = cmd_audit (&cli, sub_argc, sub_argv);
    else {
        char name[65];
        cli_clean (name, sizeof name, command);
        return cli_usage_error (NULL, "unknown command '%s'", name);
    }
    /*  Output that did not reach its destination is a failure too. */
    if (fflush (stdout) != 0 || ferror (stdout)) {
        cli_error ("cannot write the output");
        return CLI_FAIL;
    }
    return rc;
}
