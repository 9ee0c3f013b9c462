/*  keten correction decide / list (uitvoerder) and keten signal withdraw /
 *  correct (a signal's sender): correction of the files, art. 12.5-12.6
 *  (docs/RIGHTS.md, "Correctie").
 *
 *  An item file is personal data: it is checked here with the intake's
 *  rules on items, and an error names the field, never the value.
 */
#include "cli.h"

#include "intake.h"
#include "items.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char cmd_correction_usage[] =
    "Usage: keten correction decide CASE_REF --signal MESSAGE_ID [--item N]\n"
    "           (--correct-file ITEM.json | --add-file ITEM.json | --delete | --block |\n"
    "            --unblock) [--request ID] [--reason TEXT] [--json]       (uitvoerder)\n"
    "       keten correction list [--json]                                (uitvoerder)\n"
    "\n"
    "decide  carry out a decision to correct, add to, delete or block (afschermen)\n"
    "        data of a signal (art. 12.5-12.6): the weegploeg file changes at once,\n"
    "        and every kernpartij that holds the signal gets a signed notice, applies\n"
    "        it to its copy and confirms.  --item N names the item (its number as\n"
    "        'keten weegploeg subject' shows it, from 0); --delete without --item\n"
    "        deletes the whole signal; --add-file adds an item after the others.\n"
    "        A blocked item stays in the files but is shown to nobody until\n"
    "        --unblock.  ITEM.json is one item as in a signal's \"items\"\n"
    "        (docs/SIGNAL-FORMAT.md).  --request names the request it answers.\n"
    "        Due within 4 weeks of the decision (art. 12.6) and, with --request,\n"
    "        of the request's receipt (art. 12.5), whichever ends first.\n"
    "list    every decision, with each party's confirmation and its time; one not\n"
    "        carried out within 4 weeks is marked overdue.\n"
    "\n"
    "A signal's own sender corrects or withdraws it: 'keten signal withdraw --help'.\n";

/*  Each command's own usage; the limits are s_option's and s_load_item's. */
#define S_ITEM_FILE                                                                                \
    "ITEM.json is one item as in a signal's \"items\" (docs/SIGNAL-FORMAT.md; at most\n64 KiB).\n"
static const cli_usage_t s_usages[] = {
    {"correction decide",
     "Usage: keten correction decide CASE_REF --signal MESSAGE_ID [--item N]\n"
     "           (--correct-file ITEM.json | --add-file ITEM.json | --delete | --block |\n"
     "            --unblock) [--request ID] [--reason TEXT] [--json]       (uitvoerder)\n"
     "\n"
     "Carry out a decision to correct, add to, delete or block (afschermen) data of a\n"
     "signal (art. 12.5-12.6): the weegploeg file changes at once, and every kernpartij\n"
     "that holds the signal gets a signed notice, applies it to its copy and confirms.\n"
     "Due within 4 weeks of the decision (art. 12.6) and, with --request, of the\n"
     "request's receipt (art. 12.5), whichever ends first.  " S_ITEM_FILE "\n"
     "Options:\n"
     "  --signal MESSAGE_ID   the signal (at most 64 bytes)\n"
     "  --item N              the item, its number as weegploeg subject shows it (0..31)\n"
     "  --correct-file FILE   replace item N with the item in FILE\n"
     "  --add-file FILE       add the item in FILE after the others\n"
     "  --delete              delete item N, or without --item the whole signal\n"
     "  --block               block item N: it stays in the files, shown to nobody\n"
     "  --unblock             show a blocked item again\n"
     "  --request ID          the request it answers (at most 64 bytes)\n"
     "  --reason TEXT         why (at most 1000 bytes)\n"
     "  --json                print the daemon's answer as JSON\n"
     "A FILE path is at most 4096 bytes.\n"},
    {"correction list",
     "Usage: keten correction list [--json]   (uitvoerder)\n"
     "\n"
     "Every correction decision, with each party's confirmation and its time; one not\n"
     "carried out within 4 weeks is marked overdue.  DUE is \"(request)\" when the\n"
     "request's 4 weeks (art. 12.5) end before the decision's own.\n"
     "\n"
     "Options:\n"
     "  --json                print the daemon's answer as JSON\n"},
    {"signal withdraw",
     "Usage: keten signal withdraw MESSAGE_ID --reason TEXT [--wait]\n"
     "\n"
     "A signal's own sender (a kernpartij) withdraws it (art. 12.5).  The uitvoerder\n"
     "checks that the signal is this node's, decides it in this node's name and tells\n"
     "every node that holds it, this one too.  MESSAGE_ID is 32 hex digits.\n"
     "\n"
     "Options:\n"
     "  --reason TEXT         why (at most 1000 bytes)\n"
     "  --wait                wait up to 120 s (not 10 s) for the uitvoerder's receipt\n"},
    {"signal correct",
     "Usage: keten signal correct MESSAGE_ID --item N --file ITEM.json [--reason TEXT]\n"
     "           [--opsporingsbelang-checked --om-consulted NAME\n"
     "            --bevoegd-functionaris NAME] [--wait]\n"
     "\n"
     "A signal's own sender (a kernpartij) corrects item N of it (art. 12.5).  The\n"
     "uitvoerder checks that the signal is this node's, decides it in this node's name\n"
     "and tells every node that holds it, this one too.  MESSAGE_ID is 32 hex digits.\n" S_ITEM_FILE
     "A new text for a released art. 9/10 Wpg signal is art. 9/10 data: it leaves\n"
     "only as a release does (Wpg machtigingsbesluit art. 2), by a member of\n"
     "intake/release-group, with the three release options.\n"
     "\n"
     "Options:\n"
     "  --item N              the item to correct (0..31)\n"
     "  --file ITEM.json      the corrected item (a path of at most 4096 bytes)\n"
     "  --reason TEXT         why (at most 1000 bytes)\n"
     "  --opsporingsbelang-checked   art. 9/10 Wpg: the investigation interest does not\n"
     "                        object\n"
     "  --om-consulted NAME   art. 9/10 Wpg: the OM officer consulted (1..200 bytes)\n"
     "  --bevoegd-functionaris NAME  art. 9/10 Wpg: the bevoegd functionaris (art.\n"
     "                        2:10 Bpg) consulted (1..200 bytes)\n"
     "  --wait                wait up to 120 s (not 10 s) for the uitvoerder's receipt\n"},
    {NULL, NULL}};

static const char s_own_usage[] =
    "Usage: keten signal withdraw MESSAGE_ID --reason TEXT [--wait]\n"
    "       keten signal correct MESSAGE_ID --item N --file ITEM.json [--reason TEXT]\n"
    "           [--wait]\n"
    "\n"
    "A signal's own sender (a kernpartij) withdraws it or corrects item N (from 0)\n"
    "of it (art. 12.5).  The uitvoerder checks that the signal is this node's,\n"
    "decides it in this node's name and tells every node that holds it, this one\n"
    "too.  ITEM.json is one item as in a signal's \"items\"\n"
    "(docs/SIGNAL-FORMAT.md).  --wait waits (up to 120 s) for the uitvoerder's\n"
    "receipt.\n";

enum {
    O_SIGNAL = CLI_OPT_LONG + 1,
    O_ITEM,
    O_CORRECT_FILE,
    O_ADD_FILE,
    O_DELETE,
    O_BLOCK,
    O_UNBLOCK,
    O_REQUEST,
    O_REASON,
    O_JSON,
    O_FILE,
    O_WAIT,
    O_CHECKED,
    O_OM,
    O_FUNCTIONARIS
};

typedef struct {
    const char *signal, *request, *reason, *file, *action;
    const char *om, *functionaris; /* an art. 9/10 Wpg signal's new text: its release */
    bool has_item, as_json, wait, checked;
    uint64_t item;
} s_request_t;

static int
s_set_action (const char *cmd, s_request_t *r, const char *action)
{
    if (r->action)
        return cli_usage_error (cmd, "give one of --correct-file, --add-file, --delete, "
                                     "--block, --unblock");
    r->action = action;
    return 0;
}

static int
s_option (void *arg, const char *cmd, int opt, const char *value)
{
    s_request_t *r = arg;
    switch (opt) {
    case O_SIGNAL:
        return cli_opt_string (cmd, "signal", value, 64, &r->signal);
    case O_ITEM:
        if (r->has_item)
            return cli_usage_error (cmd, "--item is given twice");
        r->has_item = true;
        return cli_opt_uint (cmd, "item", value, 0, 31, &r->item);
    case O_CORRECT_FILE:
    case O_ADD_FILE:
    case O_FILE:
        if (opt != O_FILE && s_set_action (cmd, r, opt == O_ADD_FILE ? "add" : "correct"))
            return CLI_USAGE;
        return cli_opt_string (cmd, "file", value, 4096, &r->file);
    case O_DELETE:
        return s_set_action (cmd, r, "delete");
    case O_BLOCK:
        return s_set_action (cmd, r, "block");
    case O_UNBLOCK:
        return s_set_action (cmd, r, "unblock");
    case O_REQUEST:
        return cli_opt_string (cmd, "request", value, 64, &r->request);
    case O_REASON:
        return cli_opt_string (cmd, "reason", value, 1000, &r->reason);
    case O_WAIT:
        r->wait = true;
        return 0;
    case O_CHECKED:
        if (r->checked)
            return cli_usage_error (cmd, "--opsporingsbelang-checked given twice");
        r->checked = true;
        return 0;
    case O_OM:
        return cli_opt_string (cmd, "om-consulted", value, 200, &r->om);
    case O_FUNCTIONARIS:
        return cli_opt_string (cmd, "bevoegd-functionaris", value, 200, &r->functionaris);
    default: /* O_JSON */
        r->as_json = true;
        return 0;
    }
}

static bool
s_hex_id (const char *s)
{
    if (!s || strlen (s) != 32)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

/*  The item in file, checked as an item of a signal is; NULL after
 *  printing why. */
static json_t *
s_load_item (const char *cmd, const char *path)
{
    char *text = NULL;
    size_t len = 0;
    kt_reason_t reason;
    if (kt_read_file (path, 64 * 1024, &text, &len, &reason) != 0) {
        cli_error ("%s: %s", cmd, reason.text);
        return NULL;
    }
    json_error_t err;
    json_t *item = json_loadb (text, len, JSON_REJECT_DUPLICATES, &err);
    free (text);
    if (!item) {
        cli_error ("%s: the item file: %s at line %d, column %d", cmd, intake_json_error (&err),
                   err.line, err.column);
        return NULL;
    }
    if (!json_is_object (item)) {
        cli_error ("%s: the item file is not a JSON object", cmd);
        json_decref (item);
        return NULL;
    }
    json_t *one = json_pack ("[O]", item);
    Keten__SignalItem **items = NULL;
    size_t n = 0;
    int rc = one ? items_decode (one, &items, &n, &reason) : -1;
    items_free (items, n);
    json_decref (one);
    if (rc != 0) {
        cli_error ("%s: the item: %s", cmd, one ? reason.text : "out of memory");
        json_decref (item);
        return NULL;
    }
    return item;
}

static int
s_print_decided (json_t *result, const void *arg)
{
    (void) arg;
    char id[CLI_CELL_MAX + 1], ref[CLI_CELL_MAX + 1], action[CLI_CELL_MAX + 1], due[32];
    uint64_t v = 0;
    cli_json_uint (result, "due_ms", &v);
    cli_fmt_time (due, sizeof due, v);
    /*  art. 12.5: on a request, due_ms is the earlier of the request's
     *  4 weeks and the decision's (12.6); both are shown. */
    char both[128] = "";
    uint64_t req = 0, own = 0;
    if (cli_json_uint (result, "request_due_ms", &req) &&
        cli_json_uint (result, "decision_due_ms", &own)) {
        char req_t[32], own_t[32];
        cli_fmt_time (req_t, sizeof req_t, req);
        cli_fmt_time (own_t, sizeof own_t, own);
        snprintf (both, sizeof both, " (the request's 4 weeks %s, the decision's %s)", req_t,
                  own_t);
    }
    /*  cli_fmt_time is UTC, as the list's "DUE (UTC)": say so. */
    printf ("correction %s %s %s decided; due %s UTC%s\n",
            cli_json_str (result, "correction_id", id, sizeof id),
            cli_json_str (result, "case_ref", ref, sizeof ref),
            cli_json_str (result, "action", action, sizeof action), due, both);
    return CLI_OK;
}

int
cmd_correction_decide (cli_t *cli, int argc, char **argv)
{
    const char *cmd = "correction decide";
    static const struct option options[] = {
        {"signal", required_argument, NULL, O_SIGNAL},
        {"item", required_argument, NULL, O_ITEM},
        {"correct-file", required_argument, NULL, O_CORRECT_FILE},
        {"add-file", required_argument, NULL, O_ADD_FILE},
        {"delete", no_argument, NULL, O_DELETE},
        {"block", no_argument, NULL, O_BLOCK},
        {"unblock", no_argument, NULL, O_UNBLOCK},
        {"request", required_argument, NULL, O_REQUEST},
        {"reason", required_argument, NULL, O_REASON},
        {"json", no_argument, NULL, O_JSON},
        {"help", no_argument, NULL, CLI_OPT_HELP},
        {NULL, 0, NULL, 0}};
    s_request_t r = {0};
    int rc = cli_options (cmd, argc, argv, options,
                          cli_usage_of (s_usages, cmd, cmd_correction_usage), s_option, &r);
    if (rc)
        return CLI_DONE (rc);
    if (argc - optind != 1)
        return cli_usage_error (cmd, "give exactly one CASE_REF");
    const char *ref = argv[optind];
    bool ok = strlen (ref) == 18 && strncmp (ref, "k-", 2) == 0;
    for (const char *p = ref + 2; ok && *p; p++)
        ok = (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f');
    if (!ok)
        return cli_usage_error (cmd, "CASE_REF must be k- and 16 hex digits");
    if (!s_hex_id (r.signal))
        return cli_usage_error (cmd, "--signal MESSAGE_ID is required (32 hex digits)");
    if (!r.action)
        return cli_usage_error (cmd, "give one of --correct-file, --add-file, --delete, --block, "
                                     "--unblock");
    bool add = strcmp (r.action, "add") == 0, del = strcmp (r.action, "delete") == 0;
    if (add && r.has_item)
        return cli_usage_error (cmd, "--add-file adds an item after the others; no --item");
    if (!add && !del && !r.has_item)
        return cli_usage_error (cmd, "--item N names the item to %s", r.action);
    json_t *args =
        json_pack ("{s:s, s:s, s:s}", "case_ref", ref, "signal_id", r.signal, "action", r.action);
    if (r.has_item)
        json_object_set_new (args, "item_index", json_integer ((json_int_t) r.item));
    if (r.file) {
        json_t *item = s_load_item (cmd, r.file);
        if (!item) {
            json_decref (args);
            return CLI_FAIL;
        }
        json_object_set_new (args, "item", item);
    }
    if (r.request)
        json_object_set_new (args, "request_id", json_string (r.request));
    if (r.reason)
        json_object_set_new (args, "reason", json_string (r.reason));
    return cli_request (cli, "correction.decide", args, CLI_TIMEOUT_MS, r.as_json, s_print_decided,
                        NULL);
}

static int
s_print_list (json_t *result, const void *arg)
{
    (void) arg;
    static const char *const header[] = {"CORRECTION",    "CASE_REF",  "ACTION", "ITEM",
                                         "DECIDED (UTC)", "DUE (UTC)", "PARTY",  "CONFIRMED (UTC)"};
    cli_table_t *t = cli_table_new (8, header);
    json_t *c;
    size_t i;
    json_t *list = json_object_get (result, "corrections");
    json_array_foreach (list, i, c)
    {
        char id[CLI_CELL_MAX + 1], ref[CLI_CELL_MAX + 1], action[CLI_CELL_MAX + 1], item[16],
            decided[32], due[40];
        uint64_t v = 0;
        cli_json_uint (c, "decided_ms", &v);
        cli_fmt_time (decided, sizeof decided, v);
        v = 0;
        cli_json_uint (c, "due_ms", &v);
        cli_fmt_time (due, sizeof due, v);
        /*  art. 12.5: the request's 4 weeks end first. */
        uint64_t own = 0;
        if (json_object_get (c, "request_due_ms") && cli_json_uint (c, "decision_due_ms", &own) &&
            v < own)
            strncat (due, " (request)", sizeof due - strlen (due) - 1);
        if (json_is_true (json_object_get (c, "overdue")))
            strncat (due, " OVERDUE", sizeof due - strlen (due) - 1);
        v = 0;
        if (cli_json_uint (c, "item", &v))
            snprintf (item, sizeof item, "%llu", (unsigned long long) v);
        else
            snprintf (item, sizeof item, "signal");
        json_t *parties = json_object_get (c, "parties");
        size_t k;
        json_t *p;
        if (json_array_size (parties) == 0) {
            const char *cells[8] = {cli_json_str (c, "correction_id", id, sizeof id),
                                    cli_json_str (c, "case_ref", ref, sizeof ref),
                                    cli_json_str (c, "action", action, sizeof action),
                                    item,
                                    decided,
                                    due,
                                    "-",
                                    "-"};
            cli_table_add (t, cells);
        }
        json_array_foreach (parties, k, p)
        {
            char node[CLI_CELL_MAX + 1], state[CLI_CELL_MAX + 1], when[48];
            v = 0;
            if (cli_json_uint (p, "confirmed_ms", &v))
                cli_fmt_time (when, sizeof when, v);
            else
                snprintf (when, sizeof when, "%s", cli_json_str (p, "state", state, sizeof state));
            const char *cells[8] = {k ? "" : cli_json_str (c, "correction_id", id, sizeof id),
                                    k ? "" : cli_json_str (c, "case_ref", ref, sizeof ref),
                                    k ? "" : cli_json_str (c, "action", action, sizeof action),
                                    k ? "" : item,
                                    k ? "" : decided,
                                    k ? "" : due,
                                    cli_json_str (p, "node", node, sizeof node),
                                    when};
            cli_table_add (t, cells);
        }
    }
    if (json_array_size (list))
        cli_table_print (t);
    else
        printf ("no corrections decided\n");
    cli_table_destroy (&t);
    return CLI_OK;
}

int
cmd_correction_list (cli_t *cli, int argc, char **argv)
{
    bool as_json = false;
    int rc = cli_options_json ("correction list", argc, argv,
                               cli_usage_of (s_usages, "correction list", cmd_correction_usage),
                               &as_json);
    if (rc)
        return CLI_DONE (rc);
    return cli_request (cli, "correction.list", json_object (), CLI_TIMEOUT_MS, as_json,
                        s_print_list, NULL);
}

/* ---- a signal's own sender ------------------------------------------------ */

static int
s_print_sent (json_t *result, const void *arg)
{
    char id[CLI_CELL_MAX + 1], b[CLI_CELL_MAX + 1], why[512];
    const char *state = cli_json_str (result, "state", b, sizeof b);
    json_t *reason = json_object_get (result, "reason");
    cli_clean (why, sizeof why, json_is_string (reason) ? json_string_value (reason) : "");
    printf ("%s %s %s%s%s\n", (const char *) arg,
            cli_json_str (result, "message_id", id, sizeof id), state, *why ? ": " : "", why);
    return strcmp (state, "refused") == 0 ? CLI_FAIL : CLI_OK;
}

/*  keten signal withdraw and keten signal correct. */
static int
s_own (cli_t *cli, int argc, char **argv, bool withdraw)
{
    const char *cmd = withdraw ? "signal withdraw" : "signal correct";
    static const struct option with_release[] = {
        {"item", required_argument, NULL, O_ITEM},
        {"file", required_argument, NULL, O_FILE},
        {"reason", required_argument, NULL, O_REASON},
        {"wait", no_argument, NULL, O_WAIT},
        {"opsporingsbelang-checked", no_argument, NULL, O_CHECKED},
        {"om-consulted", required_argument, NULL, O_OM},
        {"bevoegd-functionaris", required_argument, NULL, O_FUNCTIONARIS},
        {"help", no_argument, NULL, CLI_OPT_HELP},
        {NULL, 0, NULL, 0}};
    /*  A withdrawal sends no data: it takes no release. */
    static const struct option plain[] = {
        {"item", required_argument, NULL, O_ITEM},     {"file", required_argument, NULL, O_FILE},
        {"reason", required_argument, NULL, O_REASON}, {"wait", no_argument, NULL, O_WAIT},
        {"help", no_argument, NULL, CLI_OPT_HELP},     {NULL, 0, NULL, 0}};
    const struct option *options = withdraw ? plain : with_release;
    s_request_t r = {0};
    int rc = cli_options (cmd, argc, argv, options, cli_usage_of (s_usages, cmd, s_own_usage),
                          s_option, &r);
    if (rc)
        return CLI_DONE (rc);
    if (argc - optind != 1 || !s_hex_id (argv[optind]))
        return cli_usage_error (cmd, "give exactly one MESSAGE_ID (32 hex digits)");
    if (withdraw && (!r.reason || r.has_item || r.file))
        return cli_usage_error (cmd, "give --reason TEXT (and no --item or --file)");
    if (!withdraw && (!r.has_item || !r.file))
        return cli_usage_error (cmd, "give --item N and --file ITEM.json");
    json_t *args = json_pack ("{s:s, s:b}", "message_id", argv[optind], "wait", r.wait);
    if (r.reason)
        json_object_set_new (args, "reason", json_string (r.reason));
    if (!withdraw) {
        json_t *item = s_load_item (cmd, r.file);
        if (!item) {
            json_decref (args);
            return CLI_FAIL;
        }
        json_object_set_new (args, "item", item);
        json_object_set_new (args, "item_index", json_integer ((json_int_t) r.item));
        if (r.checked)
            json_object_set_new (args, "opsporingsbelang_checked", json_true ());
        if (r.om)
            json_object_set_new (args, "om_consulted", json_string (r.om));
        if (r.functionaris)
            json_object_set_new (args, "bevoegd_functionaris", json_string (r.functionaris));
    }
    return cli_request (cli, withdraw ? "signal.withdraw" : "signal.correct", args,
                        r.wait ? CLI_WAIT_TIMEOUT_MS : CLI_TIMEOUT_MS, false, s_print_sent,
                        withdraw ? "withdrawal" : "correction");
}

int
cmd_signal_withdraw (cli_t *cli, int argc, char **argv)
{
    return s_own (cli, argc, argv, true);
}

int
cmd_signal_correct (cli_t *cli, int argc, char **argv)
{
    return s_own (cli, argc, argv, false);
}
