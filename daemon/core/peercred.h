/*  peercred: who is at the other end of a local socket, as the kernel
 *  says, read once when the connection is accepted: the uid, gid and pid
 *  (SO_PEERCRED) and the supplementary groups (SO_PEERGROUPS, Linux 4.13
 *  and later).  A caller's membership of a group is decided from these
 *  alone, never by asking the name service (getgrouplist, getgrnam):
 *  with LDAP or sssd behind it a lookup may take seconds, and it ran on
 *  the event loop for every command.  As with file permissions, the
 *  groups are those of the caller's process when it connected: a user
 *  added to a group has the right from its next login session on.
 *
 *  The group names of the config are made gids once, at the start
 *  (peercred_group_gid); nothing here runs per request but comparisons.
 */
#ifndef KETEN_PEERCRED_H
#define KETEN_PEERCRED_H

#include "util.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*  The most supplementary groups read (Linux's NGROUPS_MAX). */
#define PEERCRED_MAX_GROUPS 65536

/*  Shared by a connection and the callers of its requests (counted:
 *  a caller kept for a later answer keeps them too); one thread only. */
typedef struct {
    uid_t uid;
    gid_t gid; /* the primary group */
    pid_t pid;
    gid_t *groups; /* the supplementary groups (NULL when none) */
    size_t n_groups;
    bool groups_known; /* false: the kernel does not say (before Linux 4.13) */
    unsigned refs;
} peercred_t;

/*  The credentials of fd's peer (one reference); NULL with reason when
 *  the kernel does not give its uid, or its groups cannot be held (more
 *  than PEERCRED_MAX_GROUPS, out of memory).  A kernel without
 *  SO_PEERGROUPS is not an error: groups_known is false, and only the
 *  primary group counts. */
peercred_t *peercred_read (int fd, kt_reason_t *reason);
/*  One more reference to cred (NULL: none); cred itself. */
peercred_t *peercred_ref (peercred_t *cred);
/*  One reference let go, and *cred_p NULL; the last frees it. */
void peercred_unref (peercred_t **cred_p);

/*  Whether cred's primary or one of its supplementary groups is gid
 *  (false when cred is NULL). */
bool peercred_in_group (const peercred_t *cred, gid_t gid);

/*  The gid of the group called name, asking the name service: for the
 *  start only, never per request.  1 when found (*gid set), 0 when the
 *  host has no such group, -1 with reason when the name service fails. */
int peercred_group_gid (const char *name, gid_t *gid, kt_reason_t *reason);

#endif
