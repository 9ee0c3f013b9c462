/*  keten member: membership changes at the uitvoerder (art. 15.2c, 18.2).
 *  Each is the next signed roster version, applied at once and pushed to
 *  every member.  */
#include "cli.h"

#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char s_usage[] =
    "Usage: keten member add PUB_FILE          add a member from its .pub file\n"
    "       keten member kind ID KIND          change a member's kind, and so its role (art. 1)\n"
    "       keten member revoke ID             revoke a member at once (art. 15.2c)\n"
    "       keten member opzegging ID [DATE]   record an opzegging given on DATE (default\n"
    "                                          today); the member leaves 3 months later (art. "
    "18.2)\n"
    "       keten member rotate PUB_FILE [--overlap-days N]\n"
    "                                          give the member named in PUB_FILE these new keys;\n"
    "                                          its old ones still work at least N days\n"
    "                                          (default 7, 0..90; 0 = they stop at once)\n"
    "       keten member end-overlap ID        the member's old keys stop at once (it runs its\n"
    "                                          new ones, or the old ones may have leaked)\n"
    "\n"
    "At the uitvoerder.  Every change is a new roster version, signed with the uitvoerder's\n"
    "key, applied without a restart, written to the provenance log and pushed to every\n"
    "member.  A revoked member's open connection is dropped and its next one refused; a\n"
    "node that receives a roster without itself stops sending and says so.  After a\n"
    "rotation, install the new .secret file at the member and restart it before the\n"
    "overlap ends.\n";

int
cmd_member (cli_t *cli, int argc, char **argv)
{
    if (argc < 2 || strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0) {
        if (argc < 2)
            return cli_usage_error ("member", "which member command? (add, kind, revoke, "
                                              "opzegging, rotate, end-overlap)");
        fputs (s_usage, stdout);
        return CLI_OK;
    }
    const char *op = argv[1];
    json_t *args = NULL;
    long overlap = -1;
    if (strcmp (op, "rotate") == 0 && argc == 5 && strcmp (argv[3], "--overlap-days") == 0) {
        char *end;
        overlap = strtol (argv[4], &end, 10);
        if (!*argv[4] || *end || overlap < 0 || overlap > 90)
            return cli_usage_error ("member", "--overlap-days takes a whole number 0..90");
        argc = 3;
    }
    for (int i = 2; i < argc; i++)
        if (argv[i][0] == '-')
            return cli_usage_error ("member", "unknown option (see keten member --help)");
    if ((strcmp (op, "add") == 0 || strcmp (op, "rotate") == 0) && argc == 3) {
        char *text = NULL;
        size_t len = 0;
        kt_reason_t reason;
        if (kt_read_file (argv[2], 8192, &text, &len, &reason) != 0) {
            cli_error ("%s", reason.text);
            return CLI_FAIL;
        }
        args = json_pack ("{s:s, s:s}", "op", op, "pub", text);
        free (text);
        if (!args) {
            cli_error ("%s is not text", argv[2]);
            return CLI_FAIL;
        }
        if (overlap >= 0)
            json_object_set_new (args, "overlap_days", json_integer (overlap));
    } else if (strcmp (op, "kind") == 0 && argc == 4)
        args = json_pack ("{s:s, s:s, s:s}", "op", "kind", "id", argv[2], "kind", argv[3]);
    else if ((strcmp (op, "revoke") == 0 || strcmp (op, "end-overlap") == 0) && argc == 3)
        args = json_pack ("{s:s, s:s}", "op", op, "id", argv[2]);
    else if (strcmp (op, "opzegging") == 0 && (argc == 3 || argc == 4))
        args = json_pack ("{s:s, s:s, s:s}", "op", "opzegging", "id", argv[2], "date",
                          argc == 4 ? argv[3] : "");
    else
        return cli_usage_error ("member", "see keten member --help");
    if (!args)
        return cli_usage_error ("member", "arguments must be text");
    json_t *result = cli_call (cli, "roster.change", args, CLI_TIMEOUT_MS, NULL);
    if (!result)
        return CLI_FAIL;
    uint64_t version = 0;
    char who[CLI_CELL_MAX + 1];
    cli_json_uint (result, "version", &version);
    printf ("roster version %llu: %s %s; pushed to %zu member(s)\n", (unsigned long long) version,
            op, cli_json_str (result, "member", who, sizeof who),
            json_array_size (json_object_get (result, "sent_to")));
    /*  The version is in force; a step after that failed and is made good
     *  later.  Said, and a non-zero exit, so scripts notice. */
    json_t *warnings = json_object_get (result, "warnings");
    for (size_t i = 0; i < json_array_size (warnings); i++) {
        char line[512];
        const char *w = json_string_value (json_array_get (warnings, i));
        cli_clean (line, sizeof line, w ? w : "");
        cli_error ("version %llu: %s", (unsigned long long) version, line);
    }
    int rc = json_array_size (warnings) ? CLI_FAIL : CLI_OK;
    json_decref (result);
    return rc;
}
