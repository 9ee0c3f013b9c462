/*  register.show: the federation's entry in the verwerkingsregister (AVG
 *  art. 30; convenant art. 4; docs/REGISTER.md), built from the tables
 *  the code enforces - the roster in force, the legal-basis table
 *  (common/intake_rules.c), the message rules (common/policy.c), the
 *  command table and the access groups of the config - so it cannot
 *  drift from what keten does.  What is not in a table elsewhere (the
 *  purposes, the categories) is a table here.
 */
#include "uitvoerder.h"

#include "intake_rules.h"
#include "policy.h"

#include <string.h>

/*  Convenant art. 3 (the purposes) and art. 2 (the parties' tasks that
 *  make them lawful). */
static const char *const s_purposes[] = {
    "art. 3: reducing the risks to society from radicalisation, extremism, travel to or return "
    "from a conflict zone, and care for subjects",
    "art. 3: reducing the risks to the development of minors from radicalisation, extremism, "
    "travel or return",
    "art. 3a-f, through an integraal plan van aanpak: deradicalisation, change of behaviour, "
    "limiting security risks, preventing travel to a conflict zone, care for subjects, help "
    "for achterblijvers if wanted",
    "art. 7-8: weighing signals in the weegploeg against the referentiekader",
    "art. 9-10: the casusoverleg and its plan van aanpak",
    "art. 11-13: informing the persons concerned, their requests, retention",
    "art. 15.3, 18.4: figures without persons for accountability and evaluation (keten report)",
};

static const struct {
    const char *kind;
    const char *task;
} s_tasks[] = {
    {"gemeente", "art. 2: public order (Gemeentewet art. 172) and its statutory tasks in youth "
                 "care, work and income, schooling, benefits, debt relief"},
    {"politie", "art. 2: upholding the legal order and giving help (Politiewet art. 3)"},
    {"om", "art. 2: criminal enforcement of the legal order (Wet RO art. 124)"},
    {"rvdk", "art. 2: protecting minors (BW Boek 1 art. 238(2))"},
    {"reclassering", "art. 2: reclassering tasks (Reclasseringsregeling 1995)"},
};

static const struct {
    const char *who;
    const char *what;
} s_persons[] = {
    {"subject", "the person a signal is about (art. 1): radicalised or at risk of it"},
    {"melder", "the professional or person who reported the signal (name, contact)"},
    {"achterblijvers", "relatives left behind, when help is offered (art. 3f)"},
    {"social network", "persons named in a signal or contribution as the subject's network"},
};

static const struct {
    const char *category;
    const char *what;
} s_data[] = {
    {"NAW", "name, birth date, address, municipality of residence, BSN if known (Subject)"},
    {"signals", "description, category of the referentiekader, observed on, source, items "
                "(facts, opinions, counter-indications)"},
    {"special categories", "AVG art. 9: health (diagnosis items), religion or belief as far as "
                           "a signal records it; flagged per signal and item"},
    {"criminal data", "AVG art. 10, Wjsg: flagged per signal and item"},
    {"Wpg data", "police data under Wpg art. 16, 18(2), 20 (art. 9/10 Wpg data held until "
                 "released under the machtigingsbesluit)"},
    {"casework", "weegploeg analysis and decisions, plans van aanpak, contributions, "
                 "disclosures, closures"},
};

/*  Which members a rule's "one member" or "one kernpartij" are is not in
 *  the policy table but decided per message, where the code says. */
static const char *const s_routing[] = {
    "weegploeg agendas, decisions and correction notices: politie, OM and the gemeente where "
    "the subject lives (daemon/store/weegploeg.c, weegploeg_kernpartij_sees; art. 6b, 8.4)",
    "casusoverleg agendas, plans, closures: the case's participants, as the casusoverleg file "
    "keeps them (art. 9.2, 10.4)",
    "disclosures: the externe casuspartner the supplying party's consent names (art. 10.5, "
    "daemon/uitvoerder/uitvoerder_disclose.c)",
    "shares inside the casusoverleg: the participants the supplying party names, or the "
    "uitvoerder on the casusoverleg's decision with the supplying party's consent; never an "
    "externe casuspartner, art. 9/10 Wpg data only to the OM and the gemeente concerned "
    "(art. 6b, 9.2, 10.4; daemon/uitvoerder/uitvoerder_disclose.c)",
    "retention notices: every node that received the subject's data, from the relay's record "
    "(daemon/store/lifecycle.c; art. 13)",
    "the incident register: every kernpartij (art. 15.2g); rosters, checkpoints, receipts: "
    "each member for itself",
};

static json_t *
s_roles (unsigned senders)
{
    json_t *a = json_array ();
    for (int r = ROLE_KERNPARTIJ; r <= ROLE_UITVOERDER; r++)
        if (senders & (1u << r))
            json_array_append_new (a, json_string (roster_role_name ((roster_role_t) r)));
    return a;
}

static json_t *
s_message_types (void)
{
    json_t *out = json_array ();
    const ProtobufCEnumDescriptor *e = &keten__message_type__descriptor;
    for (unsigned v = 0; v < e->n_values; v++) {
        if (e->values[v].value == KETEN__MESSAGE_TYPE__MESSAGE_TYPE_UNSPECIFIED)
            continue;
        json_t *rules = json_array ();
        policy_rule_t r;
        for (size_t i = 0; policy_rule (i, &r) == 0; i++)
            if ((int) r.type == e->values[v].value)
                json_array_append_new (rules,
                                       json_pack ("{s:o, s:s, s:s}", "from", s_roles (r.senders),
                                                  "to", r.to, "rule", r.why));
        json_array_append_new (
            out, json_pack ("{s:s, s:o}", "type", e->values[v].name, "recipients", rules));
    }
    return out;
}

static json_t *
s_legal_bases (void)
{
    static const char *const purposes[] = {"weegploeg", "casusoverleg", "externe casuspartner"};
    json_t *out = json_array ();
    const char *code, *law;
    unsigned p;
    for (size_t i = 0; intake_legal_basis (i, &code, &law, &p) == 0; i++) {
        json_t *for_ = json_array ();
        for (size_t k = 0; k < sizeof purposes / sizeof purposes[0]; k++)
            if (p & (1u << k))
                json_array_append_new (for_, json_string (purposes[k]));
        json_array_append_new (
            out, json_pack ("{s:s, s:s, s:o}", "code", code, "law", law, "shared_for", for_));
    }
    return out;
}

static json_t *
s_access (node_t *self)
{
    json_t *out = json_array ();
    const node_role_t *role = self->role;
    /*  The core's commands (backup, the access log) first, as the
     *  dispatcher finds them first; then the role's. */
    size_t n_core;
    const node_command_t *core = node_core_commands (&n_core);
    for (size_t i = 0; i < n_core + role->n_commands; i++) {
        const node_command_t *c = i < n_core ? &core[i] : &role->commands[i - n_core];
        if (!c->handler || c->right == NODE_RIGHT_NONE)
            continue;
        const char *group = node_right_group (&self->config, c->right);
        json_array_append_new (out, json_pack ("{s:s, s:s, s:s}", "command", c->name, "setting",
                                               node_right_setting (c->right), "group",
                                               group && *group ? group : "(nobody)"));
    }
    return out;
}

void
uitvoerder_register_show (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    (void) args;
    const roster_t *roster = keyring_roster (self->keyring);
    const roster_member_t *uitv = roster_uitvoerder (roster);
    json_t *controllers = json_array (), *members = json_array (), *bases = json_array ();
    for (size_t i = 0; i < roster->member_count; i++) {
        const roster_member_t *m = &roster->members[i];
        json_array_append_new (members, json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s}", "id", m->id,
                                                   "name", m->name, "kind", m->kind, "role",
                                                   roster_role_name (m->role), "joined", m->joined,
                                                   "leaves_at", m->leaves_at));
        if (m->role == ROLE_KERNPARTIJ)
            json_array_append_new (controllers, json_pack ("{s:s, s:s, s:s}", "id", m->id, "name",
                                                           m->name, "kind", m->kind));
    }
    for (size_t i = 0; i < sizeof s_tasks / sizeof s_tasks[0]; i++)
        json_array_append_new (
            bases, json_pack ("{s:s, s:s}", "kind", s_tasks[i].kind, "task", s_tasks[i].task));
    json_t *purposes = json_array (), *persons = json_array (), *data = json_array (),
           *routing = json_array ();
    for (size_t i = 0; i < sizeof s_routing / sizeof s_routing[0]; i++)
        json_array_append_new (routing, json_string (s_routing[i]));
    for (size_t i = 0; i < sizeof s_purposes / sizeof s_purposes[0]; i++)
        json_array_append_new (purposes, json_string (s_purposes[i]));
    for (size_t i = 0; i < sizeof s_persons / sizeof s_persons[0]; i++)
        json_array_append_new (persons, json_pack ("{s:s, s:s}", "category", s_persons[i].who,
                                                   "what", s_persons[i].what));
    for (size_t i = 0; i < sizeof s_data / sizeof s_data[0]; i++)
        json_array_append_new (
            data, json_pack ("{s:s, s:s}", "category", s_data[i].category, "what", s_data[i].what));
    json_t *security = json_pack (
        "[s, s, s, s, s, s]",
        "transport: CurveZMQ (CURVE) with a ZAP allow-list of the roster's keys, checked on "
        "every message",
        "messages: end to end, XChaCha20-Poly1305 under a fresh content key, wrapped per "
        "recipient with X25519 (crypto_box), header fields as associated data",
        "signatures: Ed25519 over every header (batches over an RFC 9162 Merkle root)",
        "provenance log: append-only Merkle log of every message and event (no personal "
        "data), checkpoints cosigned by politie and OM witnesses (art. 15.2)",
        "storage: personal data sealed per subject and case under its own data key; "
        "destruction shreds the key (art. 13)",
        "access: every local command needs the group of its right (below); every read of "
        "personal data is recorded (art. 15.2e)");
    json_t *retention = json_pack ("{s:i, s:i, s:i}", "not_agendered_days",
                                   (int) roster->retention_not_agendered_days, "archive_days",
                                   (int) roster->retention_archive_days, "destroy_days",
                                   (int) roster->retention_destroy_days);
    json_t *result = json_pack (
        "{s:s, s:I, s:s, s:{s:s, s:o, s:{s:s, s:s}}, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, "
        "s:o, s:o, s:o}",
        "federation", roster->federation, "roster_version", (json_int_t) roster->version,
        "referentiekader", roster->referentiekader, "controller", "joint",
        "the kernpartijen, jointly (convenant art. 4)", "kernpartijen", controllers, "keeper", "id",
        uitv ? uitv->id : "", "name", uitv ? uitv->name : "", "purposes", purposes, "tasks", bases,
        "persons", persons, "data", data, "legal_bases", s_legal_bases (), "message_types",
        s_message_types (), "routing", routing, "retention", retention, "members", members,
        "security", security, "access", s_access (self));
    if (!result) {
        apiserver_reply_error (self->api, caller, "out of memory");
        return;
    }
    apiserver_reply_ok (self->api, caller, result);
}
