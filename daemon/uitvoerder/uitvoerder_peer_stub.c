/*  uitvoerder_peer_stub: a stand-in for the links to peer federations'
 *  uitvoerders, so that the roster side of peering (the peering section,
 *  roster.change's peering-add and peering-end) builds and runs on its
 *  own.  The peer link is being written separately; it replaces this
 *  file with its own uitvoerder_peers_apply.
 */
#include "uitvoerder.h"

void
uitvoerder_peers_apply (node_t *self)
{
    (void) self; /* no peer links yet: nothing to follow */
}
