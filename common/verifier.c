/*  verifier: one Ed25519 verification on a thread of its own (see
 *  verifier.h).  libsodium's verification is safe to call from any
 *  thread once sodium_init has run.
 */
#include "verifier.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

enum { IDLE, ASKED, RUNNING, DONE };

static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pthread_t thread;
    bool started, failed, quit;
    int state;
    /*  The job: the thread's while RUNNING, the caller's otherwise (the
     *  lock orders the hand-overs). */
    uint8_t sig[crypto_sign_BYTES];
    uint8_t pk[crypto_sign_PUBLICKEYBYTES];
    uint8_t *m;
    size_t mlen;
    bool good;
} s_v = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

static void *
s_loop (void *arg)
{
    (void) arg;
    pthread_mutex_lock (&s_v.lock);
    for (;;) {
        while (!s_v.quit && s_v.state != ASKED)
            pthread_cond_wait (&s_v.cond, &s_v.lock);
        if (s_v.quit)
            break;
        s_v.state = RUNNING;
        pthread_mutex_unlock (&s_v.lock);
        bool good = crypto_sign_verify_detached (s_v.sig, s_v.m, s_v.mlen, s_v.pk) == 0;
        pthread_mutex_lock (&s_v.lock);
        s_v.good = good;
        s_v.state = DONE;
        pthread_cond_broadcast (&s_v.cond);
    }
    pthread_mutex_unlock (&s_v.lock);
    return NULL;
}

__attribute__ ((destructor)) static void
s_stop (void)
{
    pthread_mutex_lock (&s_v.lock);
    bool started = s_v.started;
    s_v.quit = true;
    pthread_cond_broadcast (&s_v.cond);
    pthread_mutex_unlock (&s_v.lock);
    if (started)
        pthread_join (s_v.thread, NULL);
    free (s_v.m);
    s_v.m = NULL;
}

bool
verifier_start (const uint8_t sig[64], uint8_t *m, size_t mlen, const uint8_t pk[32])
{
    pthread_mutex_lock (&s_v.lock);
    if (s_v.state != IDLE) {
        pthread_mutex_unlock (&s_v.lock);
        return false;
    }
    memcpy (s_v.sig, sig, sizeof s_v.sig);
    memcpy (s_v.pk, pk, sizeof s_v.pk);
    s_v.m = m;
    s_v.mlen = mlen;
    /*  No thread (it could not be made, now or before): verified here,
     *  its outcome kept for verifier_wait. */
    if (!s_v.started && !s_v.failed) {
        if (pthread_create (&s_v.thread, NULL, s_loop, NULL) == 0)
            s_v.started = true;
        else
            s_v.failed = true;
    }
    if (!s_v.started) {
        s_v.good = crypto_sign_verify_detached (s_v.sig, s_v.m, s_v.mlen, s_v.pk) == 0;
        s_v.state = DONE;
    } else {
        s_v.state = ASKED;
        pthread_cond_broadcast (&s_v.cond);
    }
    pthread_mutex_unlock (&s_v.lock);
    return true;
}

bool
verifier_wait (void)
{
    pthread_mutex_lock (&s_v.lock);
    /*  Not taken up yet (the other cores busy): taken back and verified
     *  here rather than waited for. */
    if (s_v.state == ASKED) {
        uint8_t sig[crypto_sign_BYTES], pk[crypto_sign_PUBLICKEYBYTES];
        memcpy (sig, s_v.sig, sizeof sig);
        memcpy (pk, s_v.pk, sizeof pk);
        uint8_t *m = s_v.m;
        size_t mlen = s_v.mlen;
        s_v.m = NULL;
        s_v.mlen = 0;
        s_v.state = IDLE;
        pthread_mutex_unlock (&s_v.lock);
        bool good = crypto_sign_verify_detached (sig, m, mlen, pk) == 0;
        free (m);
        return good;
    }
    while (s_v.state == RUNNING)
        pthread_cond_wait (&s_v.cond, &s_v.lock);
    /*  Never started (a caller's mistake): not good. */
    bool good = s_v.state == DONE && s_v.good;
    s_v.state = IDLE;
    free (s_v.m);
    s_v.m = NULL;
    s_v.mlen = 0;
    pthread_mutex_unlock (&s_v.lock);
    return good;
}
