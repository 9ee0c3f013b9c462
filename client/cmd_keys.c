/*  keten keygen, keten roster build: the offline commands that make a
 *  node's keys and the uitvoerder's signed roster.  */
#include "cli.h"

#include "keys.h"
#include "note.h"
#include "roster.h"
#include "util.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*  dir/file, without doubling a trailing slash.  Returns 0, or -1 when it
 *  does not fit. */
static int
s_join (char *out, size_t len, const char *dir, const char *id, const char *ext)
{
    size_t dlen = strlen (dir);
    const char *sep = dlen > 0 && dir[dlen - 1] == '/' ? "" : "/";
    int n = snprintf (out, len, "%s%s%s%s", dir, sep, id, ext);
    return n < 0 || (size_t) n >= len ? -1 : 0;
}

/* ---- keten keygen ------------------------------------------------------- */

static const char s_keygen_usage[] =
    "Usage: keten keygen --id ID --kind KIND --out DIR [--name \"Display name\"]\n"
    "\n"
    "Make a node's keys: DIR/ID.secret (mode 0600, stays on the node) and\n"
    "DIR/ID.pub (mode 0644, for the uitvoerder to put in the roster).\n"
    "Existing files are never overwritten.\n"
    "\n"
    "  --id ID       the node's roster id: 1-64 of a-z 0-9 -, starting with a letter\n"
    "  --kind KIND   gemeente, politie, om, rvdk, reclassering, extern or uitvoerder\n"
    "  --out DIR     directory for the two files\n"
    "  --name NAME   display name, e.g. \"Politie eenheid Limburg\" (default: ID)\n"
    "\n"
    "For the uitvoerder it also prints the roster verifier key that every\n"
    "node pins in its config as node/uitvoerder-key.\n";

int
cmd_keygen (cli_t *cli, int argc, char **argv)
{
    (void) cli;
    enum { OPT_ID = CLI_OPT_LONG + 1, OPT_KIND, OPT_OUT, OPT_NAME };
    static const struct option options[] = {
        {"id", required_argument, NULL, OPT_ID},   {"kind", required_argument, NULL, OPT_KIND},
        {"out", required_argument, NULL, OPT_OUT}, {"name", required_argument, NULL, OPT_NAME},
        {"help", no_argument, NULL, CLI_OPT_HELP}, {NULL, 0, NULL, 0}};
    const char *cmd = "keygen";
    const char *id = NULL, *kind = NULL, *dir = NULL, *name = NULL;
    int c;
    cli_getopt_reset ();
    while ((c = getopt_long (argc, argv, ":h", options, NULL)) != -1) {
        int rc = 0;
        switch (c) {
        case OPT_ID:
            rc = cli_opt_string (cmd, "id", optarg, KEYS_ID_MAX, &id);
            break;
        case OPT_KIND:
            rc = cli_opt_string (cmd, "kind", optarg, KEYS_KIND_MAX, &kind);
            break;
        case OPT_OUT:
            rc = cli_opt_string (cmd, "out", optarg, PATH_MAX - 1, &dir);
            break;
        case OPT_NAME:
            rc = cli_opt_string (cmd, "name", optarg, KEYS_NAME_MAX, &name);
            break;
        case 'h':
        case CLI_OPT_HELP:
            fputs (s_keygen_usage, stdout);
            return CLI_OK;
        default:
            return cli_getopt_error (cmd, c, argv);
        }
        if (rc)
            return rc;
    }
    if (optind < argc)
        return cli_usage_error (cmd, "unexpected argument");
    if (!id || !kind || !dir)
        return cli_usage_error (cmd, "--id, --kind and --out are required");
    if (!kt_valid_node_id (id))
        return cli_usage_error (cmd, "--id must be 1-64 of a-z 0-9 -, starting with a letter");
    if (!keys_valid_kind (kind))
        return cli_usage_error (cmd, "--kind must be one of gemeente, politie, om, rvdk, "
                                     "reclassering, extern, uitvoerder");
    char secret_path[PATH_MAX], pub_path[PATH_MAX];
    if (s_join (secret_path, sizeof secret_path, dir, id, ".secret") != 0 ||
        s_join (pub_path, sizeof pub_path, dir, id, ".pub") != 0)
        return cli_usage_error (cmd, "--out is too long");

    kt_reason_t reason;
    if (keys_generate (id, kind, name, dir, &reason) != 0) {
        cli_error ("%s", reason.text);
        return CLI_FAIL;
    }
    printf ("wrote %s (mode 0600: keep it on this node)\n", secret_path);
    printf ("wrote %s (mode 0644: give it to the uitvoerder for the roster)\n", pub_path);
    if (strcmp (kind, "uitvoerder") != 0)
        return CLI_OK;

    /*  Read the key back from the file the daemon will use, so the key we
     *  print is the one that will sign rosters. */
    keys_secret_t *keys = keys_load_secret (secret_path, &reason);
    if (!keys) {
        cli_error ("%s", reason.text);
        return CLI_FAIL;
    }
    char vkey[NOTE_NAME_MAX + 64];
    int rc = note_verifier_format (vkey, sizeof vkey, keys->pub.id, keys->pub.signing_pk);
    keys_secret_destroy (&keys);
    if (rc != 0) {
        cli_error ("cannot format the roster verifier key for %s", id);
        return CLI_FAIL;
    }
    printf ("roster verifier key; pin it in every node's config (node section):\n"
            "    uitvoerder-key = \"%s\"\n",
            vkey);
    return CLI_OK;
}

/* ---- keten roster build ------------------------------------------------- */

static const char s_roster_usage[] =
    "Usage: keten roster build --federation NAME --version N --signer UITVOERDER.secret\n"
    "                          --out FILE PUBFILE...\n"
    "\n"
    "Build the federation roster (the convenant as data) from the members'\n"
    "ID.pub files, sign it with the uitvoerder's key and write it to FILE\n"
    "(mode 0644).  The uitvoerder's own ID.pub must be among the PUBFILEs.\n"
    "\n"
    "  --federation NAME   the federation, e.g. pga-limburg\n"
    "  --version N         roster version; nodes refuse a lower one than they hold\n"
    "  --signer FILE       the uitvoerder's ID.secret\n"
    "  --out FILE          where to write the signed roster\n";

int
cmd_roster_build (cli_t *cli, int argc, char **argv)
{
    (void) cli;
    enum { OPT_FEDERATION = CLI_OPT_LONG + 1, OPT_VERSION, OPT_SIGNER, OPT_OUT };
    static const struct option options[] = {{"federation", required_argument, NULL, OPT_FEDERATION},
                                            {"version", required_argument, NULL, OPT_VERSION},
                                            {"signer", required_argument, NULL, OPT_SIGNER},
                                            {"out", required_argument, NULL, OPT_OUT},
                                            {"help", no_argument, NULL, CLI_OPT_HELP},
                                            {NULL, 0, NULL, 0}};
    const char *cmd = "roster build";
    const char *federation = NULL, *version_text = NULL, *signer_path = NULL, *out = NULL;
    uint64_t version = 0;
    int c;
    cli_getopt_reset ();
    while ((c = getopt_long (argc, argv, ":h", options, NULL)) != -1) {
        int rc = 0;
        switch (c) {
        case OPT_FEDERATION:
            rc = cli_opt_string (cmd, "federation", optarg, 64, &federation);
            break;
        case OPT_VERSION:
            rc = cli_opt_string (cmd, "version", optarg, 20, &version_text);
            if (rc == 0)
                rc = cli_opt_uint (cmd, "version", optarg, 1, INT64_MAX, &version);
            break;
        case OPT_SIGNER:
            rc = cli_opt_string (cmd, "signer", optarg, PATH_MAX - 1, &signer_path);
            break;
        case OPT_OUT:
            rc = cli_opt_string (cmd, "out", optarg, PATH_MAX - 1, &out);
            break;
        case 'h':
        case CLI_OPT_HELP:
            fputs (s_roster_usage, stdout);
            return CLI_OK;
        default:
            return cli_getopt_error (cmd, c, argv);
        }
        if (rc)
            return rc;
    }
    if (!federation || !version_text || !signer_path || !out)
        return cli_usage_error (cmd, "--federation, --version, --signer and --out are required");
    size_t n_files = (size_t) (argc - optind);
    if (n_files == 0)
        return cli_usage_error (cmd, "give the members' PUBFILEs");
    if (n_files > ROSTER_MAX_MEMBERS)
        return cli_usage_error (cmd, "at most %d members", ROSTER_MAX_MEMBERS);
    for (int i = optind; i < argc; i++)
        if (!*argv[i] || strnlen (argv[i], PATH_MAX) >= PATH_MAX)
            return cli_usage_error (cmd, "PUBFILE %d is empty or too long", i - optind + 1);

    kt_reason_t reason;
    keys_secret_t *signer = keys_load_secret (signer_path, &reason);
    if (!signer) {
        cli_error ("%s", reason.text);
        return CLI_FAIL;
    }
    char *note = NULL;
    roster_t *roster = NULL;
    int rc = CLI_FAIL;
    if (roster_build (federation, version, (const char *const *) (argv + optind), n_files, signer,
                      &note, &reason) != 0) {
        cli_error ("%s", reason.text);
        goto done;
    }
    /*  Check the result the way every node will (signature, pinned key,
     *  contents) before anyone else sees it. */
    char vkey[NOTE_NAME_MAX + 64];
    if (note_verifier_format (vkey, sizeof vkey, signer->pub.id, signer->pub.signing_pk) != 0) {
        cli_error ("cannot format the verifier key of %s", signer->pub.id);
        goto done;
    }
    roster = roster_parse (note, strlen (note), vkey, &reason);
    if (!roster) {
        cli_error ("the built roster does not verify: %s", reason.text);
        goto done;
    }
    if (kt_write_file (out, note, strlen (note), 0644, &reason) != 0) {
        cli_error ("%s", reason.text);
        goto done;
    }
    printf ("roster %s version %llu with %zu members written to %s\n", roster->federation,
            (unsigned long long) roster->version, roster->member_count, out);
    rc = CLI_OK;
done:
    roster_destroy (&roster);
    free (note);
    keys_secret_destroy (&signer);
    return rc;
}
