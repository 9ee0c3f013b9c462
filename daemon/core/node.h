/*  node: one ketend - its keys, roster, stores, transport and local API,
 *  driven by one zloop (docs/ARCHITECTURE.md, "Conventions", rule 6).  The
 *  roles (the uitvoerder, a partner) share this core and differ in a small
 *  policy layer each, handed to node_new as a node_role_t (node_core.h).
 */
#ifndef KETEN_NODE_H
#define KETEN_NODE_H

#include "config.h"
#include "roster.h"
#include "util.h"

typedef struct _node_t node_t;
typedef struct _node_role_t node_role_t;

/*  Load keys and roster, open the stores, start the one of roles (n of
 *  them, borrowed, must outlive the node) that serves this node's roster
 *  role - it binds or connects - and listen on the local API.  The reason
 *  says what is wrong (which file, which key).  On failure *misconfigured
 *  says that it failed before any store was opened, in what the operator
 *  configured (key file, roster, membership, the role's config check);
 *  false for a failure a retry may cure (a port in use, a database that
 *  cannot be opened now, out of memory). */
node_t *node_new (const config_t *config, const node_role_t *const *roles, size_t n_roles,
                  bool *misconfigured, kt_reason_t *reason);
/*  Run until SIGINT/SIGTERM. */
int node_run (node_t *self);
void node_destroy (node_t **self_p);

/*  The roster a node starts from: the configured one, or the newer one
 *  kept in its state directory. */
roster_t *node_newest_roster (const config_t *config, kt_reason_t *reason);
/*  art. 7.3: a roster that names an example referentiekader (the
 *  illustration in configs/) is refused unless config says this is a test
 *  or demo federation (node/test-federation = 1).  -1 with the reason an
 *  operator needs (at start: a configuration problem). */
int node_roster_example_check (const config_t *config, const roster_t *roster, kt_reason_t *reason);
/*  The config's sections that only some members read, against this
 *  member's place in the roster (ketend --check, and every start before
 *  the role's check): an intake section at a node that is no kernpartij
 *  (the uitvoerder, a casuspartij, an extern) would be read by nobody,
 *  its spool never emptied.  0, or -1 with the reason (a configuration
 *  problem, exit 78). */
int node_config_member_check (const config_t *config, const roster_member_t *me,
                              kt_reason_t *reason);

#endif
