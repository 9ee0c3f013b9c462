/*  node: one ketend - its keys, roster, stores, transport and local API,
 *  driven by one zloop (STYLE 6).  The uitvoerder and partner roles share
 *  this core and differ in a small policy layer (uitvoerder.c,
 *  partner.c).
 */
#ifndef KETEN_NODE_H
#define KETEN_NODE_H

#include "config.h"
#include "roster.h"
#include "util.h"

typedef struct _node_t node_t;

/*  Load keys and roster, open the stores, bind or connect, listen on the
 *  local API.  The reason says what is wrong (which file, which key). */
node_t *node_new (const config_t *config, kt_reason_t *reason);
/*  Run until SIGINT/SIGTERM. */
int node_run (node_t *self);
void node_destroy (node_t **self_p);

/*  The roster a node starts from: the configured one, or the newer one
 *  kept in its state directory. */
roster_t *node_newest_roster (const config_t *config, kt_reason_t *reason);

#endif
