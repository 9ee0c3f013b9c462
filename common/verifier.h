/*  verifier: one Ed25519 verification on a thread of its own while the
 *  caller's thread goes on with other work, and its outcome waited for
 *  before anything depends on it (issue #17: a receipt's envelope and its
 *  checkpoint note are verified at the same time, on two cores; see
 *  docs/PERFORMANCE.md).
 *
 *  One verification at a time in the process: the loop's.  The thread is
 *  made at the first one and kept; when it cannot be made, the
 *  verification runs in verifier_start, and verifier_wait tells its
 *  outcome as before.
 */
#ifndef KETEN_VERIFIER_H
#define KETEN_VERIFIER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*  Verify sig over m (mlen bytes) under pk.  The verifier takes m (heap;
 *  it is freed at verifier_wait); sig and pk are copied.  False when one
 *  is running already (nothing taken: the caller verifies on its own
 *  thread). */
bool verifier_start (const uint8_t sig[64], uint8_t *m, size_t mlen, const uint8_t pk[32]);
/*  The started verification's outcome: true when the signature is good.
 *  Always called once after a verifier_start that returned true. */
bool verifier_wait (void);

#endif
