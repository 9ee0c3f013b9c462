/*  command: the local API's lookup - the core's own commands, then the
 *  role's - and the answers a node gives to a command that belongs to the
 *  other role.  The refusal texts are written out: callers and scripts
 *  read them.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "partner.h"
#include "uitvoerder.h"

#include <stdio.h>
#include <string.h>

static const char *
s_refusal (const node_role_t *role, const char *cmd)
{
    const node_command_t *c = node_command_find (role, cmd);
    assert_non_null (c);
    assert_null (c->handler);
    assert_non_null (c->refusal);
    return c->refusal;
}

static void
s_served (const node_role_t *role, const char *cmd)
{
    const node_command_t *c = node_command_find (role, cmd);
    assert_non_null (c);
    assert_non_null (c->handler);
}

static void
test_status_and_the_access_audit_are_the_cores_at_every_node (void **state)
{
    (void) state;
    const node_command_t *u = node_command_find (&uitvoerder_role, "status");
    const node_command_t *p = node_command_find (&partner_role, "status");
    assert_non_null (u);
    assert_ptr_equal (u, p);
    u = node_command_find (&uitvoerder_role, "audit.access");
    p = node_command_find (&partner_role, "audit.access");
    assert_non_null (u);
    assert_ptr_equal (u, p);
    s_served (&uitvoerder_role, "signal.list");
    s_served (&partner_role, "signal.list");
}

/*  art. 7.1: signals enter through a kernpartij, never at the uitvoerder. */
static void
test_a_partners_command_at_the_uitvoerder_is_refused_with_the_rule (void **state)
{
    (void) state;
    assert_string_equal (s_refusal (&uitvoerder_role, "signal.submit"),
                         "the uitvoerder does not submit signals; a kernpartij does (art. 7.1)");
    assert_string_equal (s_refusal (&uitvoerder_role, "signal.release"),
                         "only the node that holds a signal releases it");
    assert_string_equal (s_refusal (&uitvoerder_role, "agenda.list"),
                         "the uitvoerder sends agendas; `keten weegploeg meetings` and `keten "
                         "casusoverleg meetings` list them");
    assert_string_equal (s_refusal (&uitvoerder_role, "agenda.show"),
                         "the uitvoerder sends agendas; `keten weegploeg meetings` and `keten "
                         "casusoverleg meetings` list them");
    assert_string_equal (s_refusal (&uitvoerder_role, "decision.list"),
                         "only kernpartij nodes receive weegploeg decisions (art. 8.4)");
    assert_string_equal (s_refusal (&uitvoerder_role, "decision.show"),
                         "only kernpartij nodes receive weegploeg decisions (art. 8.4)");
}

static void
test_the_uitvoerders_command_at_a_partner_is_refused_with_the_rule (void **state)
{
    (void) state;
    assert_string_equal (s_refusal (&partner_role, "weegploeg.agenda"),
                         "the uitvoerder keeps the weegploeg file; this node is a partner");
    assert_string_equal (s_refusal (&partner_role, "weegploeg.anything"),
                         "the uitvoerder keeps the weegploeg file; this node is a partner");
    assert_string_equal (s_refusal (&partner_role, "casusoverleg.agenda"),
                         "the uitvoerder keeps the casusoverleg file; this node is a partner");
    assert_string_equal (s_refusal (&partner_role, "log.trail"),
                         "the provenance log is kept by the uitvoerder");
    assert_string_equal (s_refusal (&partner_role, "roster.change"),
                         "the uitvoerder changes the roster (art. 15.2c)");
    assert_string_equal (s_refusal (&partner_role, "incident.close"),
                         "the incident register is kept by the uitvoerder (art. 15.2g); a "
                         "kernpartij node shows it with keten incident list");
    /*  art. 4, 15.2g: the kernpartijen see the register at their nodes. */
    s_served (&partner_role, "incident.list");
    /*  Any node reports an incident (art. 15.2g). */
    s_served (&partner_role, "incident.report");
    s_served (&uitvoerder_role, "incident.report");
}

/*  A name the exact rows do not know falls to its prefix row. */
static void
test_an_exact_row_wins_over_its_prefix_row (void **state)
{
    (void) state;
    s_served (&uitvoerder_role, "weegploeg.agenda");
    s_served (&uitvoerder_role, "weegploeg.decisions");
    assert_string_equal (s_refusal (&uitvoerder_role, "weegploeg.nope"),
                         "unknown weegploeg command");
    s_served (&uitvoerder_role, "casusoverleg.meetings");
    assert_string_equal (s_refusal (&uitvoerder_role, "casusoverleg.nope"),
                         "unknown casusoverleg command");
    s_served (&uitvoerder_role, "incident.close");
    assert_string_equal (s_refusal (&uitvoerder_role, "incident.nope"), "unknown incident command");
    /*  Each case command has a row of its own (so each can get its own
     *  group); what neither names falls to the prefix row. */
    s_served (&uitvoerder_role, "case.disclose");
    s_served (&uitvoerder_role, "plan.show");
    assert_string_equal (s_refusal (&uitvoerder_role, "case.show"), "unknown case command");
    s_served (&partner_role, "plan.show");
    s_served (&partner_role, "case.contribute");
    assert_ptr_equal (node_command_find (&partner_role, "case.plan")->handler,
                      partner_case_elsewhere);
    /*  art. 9.4, 10.5: a party's own decisions are served at its node and
     *  refused at the uitvoerder, saying where they belong. */
    s_served (&partner_role, "case.close");
    s_served (&partner_role, "case.consent");
    s_served (&uitvoerder_role, "case.advise");
    /*  art. 9.2, 10.4: a participant shares its own items at its node;
     *  the uitvoerder shares consented items on the casusoverleg's say. */
    s_served (&partner_role, "case.share");
    s_served (&uitvoerder_role, "case.share");
    assert_non_null (strstr (s_refusal (&uitvoerder_role, "case.close"), "at its own node"));
    assert_non_null (strstr (s_refusal (&uitvoerder_role, "case.consent"), "at its own node"));
}

static void
test_an_unknown_command_has_no_row (void **state)
{
    (void) state;
    assert_null (node_command_find (&uitvoerder_role, "nonsense"));
    assert_null (node_command_find (&partner_role, "nonsense"));
    /*  A prefix row needs its dot. */
    assert_null (node_command_find (&partner_role, "weegploegx"));
    assert_null (node_command_find (&uitvoerder_role, "status.more"));
    assert_null (node_command_find (&uitvoerder_role, ""));
}

/*  Whatever one role serves, the other answers too - with its own handler
 *  or with the rule that sends the caller elsewhere - never with
 *  "unknown command". */
static void
s_answered_by (const node_role_t *serving, const node_role_t *other)
{
    for (size_t i = 0; i < serving->n_commands; i++) {
        const char *name = serving->commands[i].name;
        size_t len = strlen (name);
        char probe[96];
        /*  A prefix row stands for any name under it. */
        if (len >= 2 && strcmp (name + len - 2, ".*") == 0)
            snprintf (probe, sizeof probe, "%.*sprobe", (int) (len - 1), name);
        else
            snprintf (probe, sizeof probe, "%s", name);
        if (!node_command_find (other, probe))
            fail_msg ("%s answers %s, %s does not", serving->name, probe, other->name);
    }
}

static void
test_every_command_of_one_role_is_answered_by_the_other (void **state)
{
    (void) state;
    s_answered_by (&uitvoerder_role, &partner_role);
    s_answered_by (&partner_role, &uitvoerder_role);
}

/*  docs/API.md, "Arguments": every served row says which keys it takes,
 *  as well-formed "key:t" words of a known type. */
static void
s_args_declared (const node_command_t *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const node_command_t *c = &rows[i];
        if (!c->handler)
            continue;
        if (!c->args)
            fail_msg ("%s declares no arguments (\"\" for none)", c->name);
        if (strcmp (c->args, "*") == 0)
            continue;
        char copy[512];
        snprintf (copy, sizeof copy, "%s", c->args);
        char *save = NULL;
        for (char *w = strtok_r (copy, " ", &save); w; w = strtok_r (NULL, " ", &save)) {
            char *colon = strchr (w, ':');
            if (!colon || colon == w || strlen (colon) != 2 || !strchr ("sbiloa*", colon[1]))
                fail_msg ("%s: argument word \"%s\" is not key:TYPE", c->name, w);
        }
    }
}

static void
test_every_served_command_declares_its_arguments (void **state)
{
    (void) state;
    size_t n;
    const node_command_t *core = node_core_commands (&n);
    s_args_declared (core, n);
    s_args_declared (uitvoerder_role.commands, uitvoerder_role.n_commands);
    s_args_declared (partner_role.commands, partner_role.n_commands);
}

/*  The dispatcher's check: what it refuses, and the error naming it. */
static const char *
s_check (const node_role_t *role, const char *cmd, const char *args_json)
{
    static char why[320];
    const node_command_t *c = node_command_find (role, cmd);
    assert_non_null (c);
    json_t *args = json_loads (args_json, JSON_DECODE_ANY, NULL);
    assert_non_null (args);
    bool ok = node_args_valid (c, cmd, args, why, sizeof why);
    json_decref (args);
    return ok ? NULL : why;
}

static void
test_an_unknown_key_or_a_wrong_type_is_refused_by_name (void **state)
{
    (void) state;
    assert_string_equal (s_check (&partner_role, "retention.run", "{\"dry-run\": true}"),
                         "retention.run takes no argument \"dry-run\" (its arguments: dry_run)");
    assert_string_equal (s_check (&uitvoerder_role, "retention.run", "{\"dry_run\": \"yes\"}"),
                         "argument dry_run of retention.run must be true or false");
    assert_null (s_check (&uitvoerder_role, "retention.run", "{\"dry_run\": true}"));
    assert_null (s_check (&uitvoerder_role, "retention.run", "{}"));
    const char *bad[] = {"\"5\"", "-1", "0", "10001", "1e308", "1.0", "null"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char args[64];
        snprintf (args, sizeof args, "{\"limit\": %s}", bad[i]);
        assert_string_equal (s_check (&partner_role, "signal.list", args),
                             "argument limit of signal.list must be an integer from 1 to 10000");
    }
    assert_null (s_check (&partner_role, "signal.list", "{\"limit\": 10000}"));
    assert_string_equal (s_check (&uitvoerder_role, "status", "{\"x\": 1}"),
                         "status takes no argument \"x\" (its arguments: none)");
    assert_string_equal (s_check (&partner_role, "signal.submit", "{\"signal\": []}"),
                         "argument signal of signal.submit must be an object");
    /*  A prefix row that answers every call with its refusal reads none. */
    assert_null (s_check (&partner_role, "case.anything", "{\"x\": 1}"));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_status_and_the_access_audit_are_the_cores_at_every_node),
        cmocka_unit_test (test_a_partners_command_at_the_uitvoerder_is_refused_with_the_rule),
        cmocka_unit_test (test_the_uitvoerders_command_at_a_partner_is_refused_with_the_rule),
        cmocka_unit_test (test_an_exact_row_wins_over_its_prefix_row),
        cmocka_unit_test (test_an_unknown_command_has_no_row),
        cmocka_unit_test (test_every_command_of_one_role_is_answered_by_the_other),
        cmocka_unit_test (test_every_served_command_declares_its_arguments),
        cmocka_unit_test (test_an_unknown_key_or_a_wrong_type_is_refused_by_name),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
