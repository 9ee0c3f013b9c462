/*  keten member: membership changes at the uitvoerder (art. 15.2c, 18.2).
 *  Each is the next signed roster version, applied at once and pushed to
 *  every member.  */
#include "cli.h"

#include "util.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char cmd_member_usage[] =
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

/*  Each command's own usage. */
static const cli_usage_t s_usages[] = {
    {"member add", "Usage: keten member add PUB_FILE\n"
                   "\n"
                   "Add a member from its .pub file (at most 8192 bytes; made by keten keygen).\n"
                   "At the uitvoerder: a new roster version, pushed to every member.\n"},
    {"member kind", "Usage: keten member kind ID KIND\n"
                    "\n"
                    "Change member ID's kind, and so its role (art. 1).  At the uitvoerder: a\n"
                    "new roster version, pushed to every member.\n"},
    {"member revoke", "Usage: keten member revoke ID\n"
                      "\n"
                      "Revoke member ID at once (art. 15.2c): its open connection is dropped and\n"
                      "its next one refused.  At the uitvoerder: a new roster version, pushed to\n"
                      "every member.\n"},
    {"member opzegging", "Usage: keten member opzegging ID [DATE]\n"
                         "\n"
                         "Record member ID's opzegging given on DATE (YYYY-MM-DD; default today\n"
                         "on the Dutch calendar); the member leaves 3 calendar months later\n"
                         "(art. 18.2; 31 March: 30 June).  At the uitvoerder: a new\n"
                         "roster version, pushed to every member.\n"},
    {"member rotate",
     "Usage: keten member rotate PUB_FILE [--overlap-days N]\n"
     "\n"
     "Give the member named in PUB_FILE (at most 8192 bytes; made by keten keygen) these\n"
     "new keys.  Install the new .secret file at the member and restart it before the\n"
     "overlap ends.  At the uitvoerder: a new roster version, pushed to every member.\n"
     "Options and PUB_FILE may come in any order.\n"
     "\n"
     "Options:\n"
     "  --overlap-days N   the old keys still work at least N days (0..90, default 7;\n"
     "                     0: they stop at once; 90 given between 00:00 Dutch time and\n"
     "                     00:00 UTC: a day less, so older nodes accept it)\n"},
    {"member end-overlap", "Usage: keten member end-overlap ID\n"
                           "\n"
                           "Member ID's old keys stop at once (it runs its new ones, or the old\n"
                           "ones may have leaked).  At the uitvoerder: a new roster version,\n"
                           "pushed to every member.\n"},
    {NULL, NULL}};

/*  Gather argv's arguments after the command's name into pos (*npos of
 *  them), in any order with the options: --help and -h print the command's
 *  usage (returns CLI_HELPED); --overlap-days N (or =N) is taken when
 *  overlap is not NULL (*overlap stays -1 when not given), any other
 *  option is refused, and so is a count of arguments other than min..max.
 *  "--" ends the options. */
static int
s_arguments (int argc, char **argv, int min, int max, const char **pos, int *npos, long *overlap)
{
    char cmd[40];
    snprintf (cmd, sizeof cmd, "member %s", argv[0]);
    for (int i = 1; i < argc; i++)
        if (strcmp (argv[i], "--") == 0)
            break;
        else if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0) {
            fputs (cli_usage_of (s_usages, cmd, cmd_member_usage), stdout);
            return CLI_HELPED;
        }
    *npos = 0;
    bool options = true;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (options && strcmp (a, "--") == 0) {
            options = false;
            continue;
        }
        if (options && a[0] == '-') {
            const char *value = NULL;
            if (overlap && strcmp (a, "--overlap-days") == 0) {
                if (i + 1 >= argc)
                    return cli_usage_error (cmd, "option --overlap-days needs a value");
                value = argv[++i];
            } else if (overlap && strncmp (a, "--overlap-days=", 15) == 0)
                value = a + 15;
            else {
                char clean[72];
                cli_clean (clean, sizeof clean, a);
                char *eq = strchr (clean, '=');
                if (eq)
                    *eq = '\0';
                return cli_usage_error (cmd, "unknown option %s", clean);
            }
            if (*overlap >= 0)
                return cli_usage_error (cmd, "--overlap-days given twice");
            char *end;
            *overlap = strtol (value, &end, 10);
            if (!*value || *end || value[0] == '-' || value[0] == '+' || *overlap < 0 ||
                *overlap > 90)
                return cli_usage_error (cmd, "--overlap-days takes a whole number 0..90");
            continue;
        }
        if (*npos >= max)
            return cli_usage_error (cmd, "too many arguments");
        pos[(*npos)++] = a;
    }
    if (*npos < min)
        return cli_usage_error (cmd, "missing argument");
    return CLI_OK;
}

/*  Send a roster change and say what became of it; args is stolen. */
static int
s_change (cli_t *cli, const char *op, json_t *args)
{
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
    int rc = cli_roster_warnings (result, version);
    json_decref (result);
    return rc;
}

/*  add PUB_FILE, rotate PUB_FILE: the member's .pub file, read here;
 *  overlap_days < 0 when not given. */
static int
s_with_pub (cli_t *cli, const char *op, const char *file, long overlap_days)
{
    char *text = NULL;
    size_t len = 0;
    kt_reason_t reason;
    if (kt_read_file (file, 8192, &text, &len, &reason) != 0) {
        cli_error ("%s", reason.text);
        return CLI_FAIL;
    }
    json_t *args = json_pack ("{s:s, s:s}", "op", op, "pub", text);
    free (text);
    if (!args) {
        cli_error ("%s is not text", file);
        return CLI_FAIL;
    }
    if (overlap_days >= 0)
        json_object_set_new (args, "overlap_days", json_integer (overlap_days));
    return s_change (cli, op, args);
}

int
cmd_member_add (cli_t *cli, int argc, char **argv)
{
    const char *pos[1];
    int n;
    int rc = s_arguments (argc, argv, 1, 1, pos, &n, NULL);
    if (rc)
        return CLI_DONE (rc);
    return s_with_pub (cli, "add", pos[0], -1);
}

int
cmd_member_rotate (cli_t *cli, int argc, char **argv)
{
    const char *pos[1];
    int n;
    long overlap = -1;
    int rc = s_arguments (argc, argv, 1, 1, pos, &n, &overlap);
    if (rc)
        return CLI_DONE (rc);
    return s_with_pub (cli, "rotate", pos[0], overlap);
}

int
cmd_member_kind (cli_t *cli, int argc, char **argv)
{
    const char *pos[2];
    int n;
    int rc = s_arguments (argc, argv, 2, 2, pos, &n, NULL);
    if (rc)
        return CLI_DONE (rc);
    return s_change (cli, "kind",
                     json_pack ("{s:s, s:s, s:s}", "op", "kind", "id", pos[0], "kind", pos[1]));
}

/*  revoke ID, end-overlap ID: the operation is the command's name. */
int
cmd_member_on_id (cli_t *cli, int argc, char **argv)
{
    const char *pos[1];
    int n;
    int rc = s_arguments (argc, argv, 1, 1, pos, &n, NULL);
    if (rc)
        return CLI_DONE (rc);
    return s_change (cli, argv[0], json_pack ("{s:s, s:s}", "op", argv[0], "id", pos[0]));
}

int
cmd_member_opzegging (cli_t *cli, int argc, char **argv)
{
    const char *pos[2];
    int n;
    int rc = s_arguments (argc, argv, 1, 2, pos, &n, NULL);
    if (rc)
        return CLI_DONE (rc);
    return s_change (cli, "opzegging",
                     json_pack ("{s:s, s:s, s:s}", "op", "opzegging", "id", pos[0], "date",
                                n == 2 ? pos[1] : ""));
}
