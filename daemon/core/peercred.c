/*  peercred: a local caller's credentials, from its socket (peercred.h). */
#include "peercred.h"

#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59 /* Linux 4.13; older headers lack the name */
#endif

/*  How many times a larger buffer is tried: the peer's groups are fixed
 *  when it connected, so the size the kernel names fits at the next try;
 *  bounded all the same. */
#define GROUPS_TRIES 4

/*  cred's supplementary groups from fd (SO_PEERGROUPS): 0, or -1 with
 *  reason. */
static int
s_groups (int fd, peercred_t *cred, kt_reason_t *reason)
{
    size_t cap = 64;
    for (int i = 0; i < GROUPS_TRIES; i++) {
        gid_t *groups = malloc (cap * sizeof *groups);
        if (!groups)
            return kt_fail (reason, "out of memory for the caller's %zu groups", cap);
        socklen_t len = (socklen_t) (cap * sizeof *groups);
        if (getsockopt (fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == 0) {
            cred->n_groups = len / sizeof *groups;
            cred->groups_known = true;
            if (cred->n_groups == 0)
                free (groups);
            else
                cred->groups = groups;
            return 0;
        }
        int err = errno;
        free (groups);
        if (err == ENOPROTOOPT || err == EINVAL)
            return 0; /* the kernel does not say: the primary group alone */
        if (err != ERANGE)
            return kt_fail (reason, "the kernel does not give the caller's groups: %s",
                            strerror (err));
        size_t need = len / sizeof *groups;
        if (need > PEERCRED_MAX_GROUPS)
            return kt_fail (reason, "the caller has %zu groups; at most %d are read", need,
                            PEERCRED_MAX_GROUPS);
        cap = need > cap ? need : 2 * cap;
    }
    return kt_fail (reason, "the caller's groups did not fit in %zu places", cap);
}

peercred_t *
peercred_read (int fd, kt_reason_t *reason)
{
    struct ucred uc;
    socklen_t len = sizeof uc;
    if (getsockopt (fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) != 0) {
        kt_fail (reason, "the kernel does not give the caller's uid: %s", strerror (errno));
        return NULL;
    }
    peercred_t *self = calloc (1, sizeof *self);
    if (!self) {
        kt_fail (reason, "out of memory for the caller's credentials");
        return NULL;
    }
    self->uid = uc.uid;
    self->gid = uc.gid;
    self->pid = uc.pid;
    self->refs = 1;
    if (s_groups (fd, self, reason) != 0)
        peercred_unref (&self);
    return self;
}

peercred_t *
peercred_ref (peercred_t *cred)
{
    if (cred)
        cred->refs++;
    return cred;
}

void
peercred_unref (peercred_t **cred_p)
{
    peercred_t *cred = *cred_p;
    *cred_p = NULL;
    if (!cred || --cred->refs > 0)
        return;
    free (cred->groups);
    free (cred);
}

bool
peercred_in_group (const peercred_t *cred, gid_t gid)
{
    if (!cred)
        return false;
    if (cred->gid == gid)
        return true;
    for (size_t i = 0; i < cred->n_groups; i++)
        if (cred->groups[i] == gid)
            return true;
    return false;
}

int
peercred_group_gid (const char *name, gid_t *gid, kt_reason_t *reason)
{
    size_t cap = 4096;
    /*  A group with very many members is a long entry: up to 1 MiB. */
    while (cap <= 1024 * 1024) {
        char *buf = malloc (cap);
        if (!buf)
            return kt_fail (reason, "out of memory looking up group %s", name);
        struct group gr, *found = NULL;
        int rc = getgrnam_r (name, &gr, buf, cap, &found);
        if (rc == 0 && found)
            *gid = found->gr_gid;
        free (buf);
        if (rc == 0 || rc == ENOENT)
            return rc == 0 && found ? 1 : 0;
        if (rc != ERANGE)
            return kt_fail (reason, "the name service cannot look up group %s: %s", name,
                            strerror (rc));
        cap *= 2;
    }
    return kt_fail (reason, "group %s's entry is over 1 MiB", name);
}
