/*  keten roster clear-alarm [MEMBER]: end a roster alarm after seeing to
 *  its cause (docs/ROSTER.md, "A replayed roster").  At a partner it ends
 *  roster_conflict; at the uitvoerder MEMBER's roster_refused, on record
 *  in the provenance log.  A later refusal raises either again.  */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const char s_usage[] =
    "Usage: keten roster clear-alarm            (a partner: its roster_conflict)\n"
    "       keten roster clear-alarm MEMBER     (the uitvoerder: MEMBER's roster_refused)\n"
    "\n"
    "End a roster alarm once its cause is dealt with: a roster older than, or\n"
    "different from, the one the node holds was pushed - the uitvoerder's\n"
    "roster history went back, e.g. a restored backup.  The next strictly\n"
    "newer roster ends both alarms by itself.  At the uitvoerder the clearing\n"
    "is written to the provenance log (ROSTER_ALARM_CLEARED, with your OS\n"
    "user); at a partner to its journal.  Needs the admin right.\n";

int
cmd_roster_clear_alarm (cli_t *cli, int argc, char **argv)
{
    const char *cmd = "roster clear-alarm";
    const char *member = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp (argv[i], "--help") || !strcmp (argv[i], "-h")) {
            fputs (s_usage, stdout);
            return CLI_OK;
        }
        if (argv[i][0] == '-' || member)
            return cli_usage_error (cmd, "see keten roster clear-alarm --help");
        member = argv[i];
    }
    if (member && (!*member || strlen (member) > 64))
        return cli_usage_error (cmd, "MEMBER is a node id (1..64 characters)");
    json_t *args = member ? json_pack ("{s:s}", "member", member) : json_object ();
    json_t *r = cli_call (cli, "roster.clear-alarm", args, CLI_TIMEOUT_MS, NULL);
    if (!r)
        return CLI_FAIL;
    char what[CLI_CELL_MAX + 1], who[CLI_CELL_MAX + 1];
    cli_json_str (r, "cleared", what, sizeof what);
    if (member)
        printf ("%s cleared for %s (log index %lld)\n", what,
                cli_json_str (r, "member", who, sizeof who),
                (long long) json_integer_value (json_object_get (r, "log_index")));
    else
        printf ("%s cleared (it was raised for roster version %lld)\n", what,
                (long long) json_integer_value (json_object_get (r, "version")));
    json_decref (r);
    return CLI_OK;
}
