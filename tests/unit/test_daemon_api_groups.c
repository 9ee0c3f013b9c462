/*  The local API's rights come from the connection, not the name
 *  service: a caller's groups are those the kernel gives for its socket
 *  (SO_PEERCRED, SO_PEERGROUPS; daemon/core/peercred.c), read once at the
 *  accept, and the config's groups are gids resolved once at the start
 *  (node_rights_resolve).  With LDAP or sssd behind the name service a
 *  lookup may hang, and it ran on the event loop for every command.
 *
 *  Real socketpairs and a real Unix socket with the server's loop in a
 *  thread of its own (apiserver_fixture.h); the name service's functions
 *  are wrapped at link time (tests/CMakeLists.txt) and counted while
 *  callers run commands: the count must stay 0.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "apiserver_fixture.h"
#include "node_core.h"
#include "peercred.h"
#include "testutil.h"

#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- The name service, counted ---------------------------------------- */

static int s_lookups; /* atomic: calls into the name service */

static void
s_count (void)
{
    __atomic_add_fetch (&s_lookups, 1, __ATOMIC_SEQ_CST);
}

int __real_getgrouplist (const char *user, gid_t group, gid_t *groups, int *ngroups);
int __real_getgrnam_r (const char *name, struct group *grp, char *buf, size_t len,
                       struct group **result);
struct group *__real_getgrnam (const char *name);
int __real_getgrgid_r (gid_t gid, struct group *grp, char *buf, size_t len, struct group **result);
struct group *__real_getgrgid (gid_t gid);
int __real_getpwuid_r (uid_t uid, struct passwd *pwd, char *buf, size_t len,
                       struct passwd **result);
struct passwd *__real_getpwuid (uid_t uid);
int __real_getpwnam_r (const char *name, struct passwd *pwd, char *buf, size_t len,
                       struct passwd **result);
struct passwd *__real_getpwnam (const char *name);

int __wrap_getgrouplist (const char *user, gid_t group, gid_t *groups, int *ngroups);
int __wrap_getgrnam_r (const char *name, struct group *grp, char *buf, size_t len,
                       struct group **result);
struct group *__wrap_getgrnam (const char *name);
int __wrap_getgrgid_r (gid_t gid, struct group *grp, char *buf, size_t len, struct group **result);
struct group *__wrap_getgrgid (gid_t gid);
int __wrap_getpwuid_r (uid_t uid, struct passwd *pwd, char *buf, size_t len,
                       struct passwd **result);
struct passwd *__wrap_getpwuid (uid_t uid);
int __wrap_getpwnam_r (const char *name, struct passwd *pwd, char *buf, size_t len,
                       struct passwd **result);
struct passwd *__wrap_getpwnam (const char *name);

int
__wrap_getgrouplist (const char *user, gid_t group, gid_t *groups, int *ngroups)
{
    s_count ();
    return __real_getgrouplist (user, group, groups, ngroups);
}

int
__wrap_getgrnam_r (const char *name, struct group *grp, char *buf, size_t len,
                   struct group **result)
{
    s_count ();
    return __real_getgrnam_r (name, grp, buf, len, result);
}

struct group *
__wrap_getgrnam (const char *name)
{
    s_count ();
    return __real_getgrnam (name);
}

int
__wrap_getgrgid_r (gid_t gid, struct group *grp, char *buf, size_t len, struct group **result)
{
    s_count ();
    return __real_getgrgid_r (gid, grp, buf, len, result);
}

struct group *
__wrap_getgrgid (gid_t gid)
{
    s_count ();
    return __real_getgrgid (gid);
}

int
__wrap_getpwuid_r (uid_t uid, struct passwd *pwd, char *buf, size_t len, struct passwd **result)
{
    s_count ();
    return __real_getpwuid_r (uid, pwd, buf, len, result);
}

struct passwd *
__wrap_getpwuid (uid_t uid)
{
    s_count ();
    return __real_getpwuid (uid);
}

int
__wrap_getpwnam_r (const char *name, struct passwd *pwd, char *buf, size_t len,
                   struct passwd **result)
{
    s_count ();
    return __real_getpwnam_r (name, pwd, buf, len, result);
}

struct passwd *
__wrap_getpwnam (const char *name)
{
    s_count ();
    return __real_getpwnam (name);
}

/* ---- Helpers ------------------------------------------------------------ */

/*  Whether gid is this process's primary or one of its supplementary
 *  groups. */
static bool
s_mine (gid_t gid)
{
    if (gid == getgid ())
        return true;
    gid_t groups[1024];
    int n = getgroups (1024, groups);
    for (int i = 0; i < n; i++)
        if (groups[i] == gid)
            return true;
    return false;
}

/*  A gid this process does not have. */
static gid_t
s_not_mine (void)
{
    gid_t g = 54321;
    while (s_mine (g))
        g++;
    return g;
}

/*  The name of gid in the group database, in out; false when it has none. */
static bool
s_group_name (gid_t gid, char *out, size_t len)
{
    struct group *gr = getgrgid (gid);
    if (!gr || strlen (gr->gr_name) >= len)
        return false;
    snprintf (out, len, "%s", gr->gr_name);
    return true;
}

/*  Two groups of the database other than root's and 65534: *a, *b. */
static bool
s_two_groups (gid_t *a, gid_t *b)
{
    int found = 0;
    setgrent ();
    for (struct group *gr; found < 2 && (gr = getgrent ());)
        if (gr->gr_gid != 0 && gr->gr_gid != 65534 && strlen (gr->gr_name) < 33)
            *(found++ ? b : a) = gr->gr_gid;
    endgrent ();
    return found == 2;
}

/* ---- 1. The credentials of a socket ------------------------------------- */

/*  A socketpair's peer is this process: its uid, its primary gid and
 *  every supplementary gid are its groups, a gid it does not have is
 *  not. */
static void
test_a_peer_is_in_its_own_groups_and_no_other (void **state)
{
    (void) state;
    int sv[2];
    assert_int_equal (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    kt_reason_t why;
    peercred_t *cred = peercred_read (sv[0], &why);
    assert_non_null (cred);
    assert_int_equal (cred->uid, getuid ());
    assert_int_equal (cred->gid, getgid ());
    assert_int_equal (cred->pid, getpid ());
    assert_true (cred->groups_known); /* Linux 4.13 and later */
    assert_true (peercred_in_group (cred, getgid ()));
    gid_t groups[1024];
    int n = getgroups (1024, groups);
    assert_true (n >= 0);
    assert_int_equal (cred->n_groups, (size_t) n);
    for (int i = 0; i < n; i++)
        assert_true (peercred_in_group (cred, groups[i]));
    assert_false (peercred_in_group (cred, s_not_mine ()));
    assert_false (peercred_in_group (NULL, getgid ()));
    /*  Shared with the callers of its requests: counted. */
    peercred_t *ref = peercred_ref (cred);
    assert_ptr_equal (ref, cred);
    peercred_unref (&ref);
    assert_null (ref);
    assert_true (peercred_in_group (cred, getgid ()));
    peercred_unref (&cred);
    close (sv[0]);
    close (sv[1]);
}

/*  The credentials of a child connected as uid 65534 with primary gid
 *  gid and the n supplementary groups sup, as the server's side reads
 *  them (peercred_read at the accept). */
static peercred_t *
s_child_cred (gid_t gid, const gid_t *sup, size_t n)
{
    char dir[64], path[96];
    assert_int_equal (testutil_tmpdir (dir, sizeof dir, "peercred"), 0);
    snprintf (path, sizeof path, "%s/s", dir);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf (addr.sun_path, sizeof addr.sun_path, "%s", path);
    int lfd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true (lfd >= 0);
    assert_int_equal (bind (lfd, (struct sockaddr *) &addr, sizeof addr), 0);
    assert_int_equal (chmod (dir, 0755), 0);
    assert_int_equal (chmod (path, 0666), 0);
    assert_int_equal (listen (lfd, 1), 0);
    pid_t child = fork ();
    assert_true (child >= 0);
    if (child == 0) {
        int fd = -1;
        if (setgroups (n, sup) == 0 && setgid (gid) == 0 && setuid (65534) == 0 &&
            (fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) >= 0 &&
            connect (fd, (struct sockaddr *) &addr, sizeof addr) == 0) {
            char c;
            (void) !read (fd, &c, 1); /* until the parent has read */
        }
        _exit (0);
    }
    int fd = accept (lfd, NULL, NULL);
    assert_true (fd >= 0);
    kt_reason_t why;
    peercred_t *cred = peercred_read (fd, &why);
    close (fd);
    waitpid (child, NULL, 0);
    close (lfd);
    testutil_rmtree (dir);
    assert_non_null (cred);
    return cred;
}

/*  Connected with groups the name service does not give its user (uid
 *  65534, primary gid b, supplementary only a): the server's side sees
 *  exactly those, as the kernel recorded them at connect().  Root only. */
static void
test_the_groups_are_those_of_the_connection_not_the_users (void **state)
{
    (void) state;
    gid_t a = 0, b = 0;
    if (geteuid () != 0 || !s_two_groups (&a, &b))
        skip ();
    peercred_t *cred = s_child_cred (b, &a, 1);
    assert_int_equal (cred->uid, 65534);
    assert_int_equal (cred->gid, b);
    assert_int_equal (cred->n_groups, 1);
    assert_int_equal (cred->groups[0], a);
    assert_true (peercred_in_group (cred, a));
    assert_true (peercred_in_group (cred, b));
    assert_false (peercred_in_group (cred, 0));
    assert_false (peercred_in_group (cred, 65534));
    peercred_unref (&cred);
}

/*  More groups than the first read has room for (64): the kernel says
 *  how many, and the read is made again with room for them all. */
static void
test_many_groups_are_all_read (void **state)
{
    (void) state;
    if (geteuid () != 0)
        skip ();
    enum { MANY = 1000 };
    gid_t sup[MANY];
    for (int i = 0; i < MANY; i++)
        sup[i] = (gid_t) (70000 + i);
    peercred_t *cred = s_child_cred (69999, sup, MANY);
    assert_int_equal (cred->n_groups, MANY);
    for (int i = 0; i < MANY; i++)
        assert_true (peercred_in_group (cred, sup[i]));
    assert_true (peercred_in_group (cred, 69999));
    assert_false (peercred_in_group (cred, 70000 + MANY));
    peercred_unref (&cred);
}

/* ---- 2. No name service on the loop ------------------------------------- */

/*  A node as far as the rights check needs one: its config's groups,
 *  resolved as a start does. */
static node_t *s_node;

/*  "right" {right, may}: whether the caller holds the right (and, when
 *  it does, whether node_caller_may lets it run a command). */
static bool
s_hook (apifix_t *f, const api_caller_t *caller, const char *cmd, json_t *args)
{
    if (strcmp (cmd, "right") != 0)
        return false;
    node_right_t right = (node_right_t) json_integer_value (json_object_get (args, "right"));
    bool holds = node_caller_holds (s_node, caller, right);
    char why[320] = "";
    bool may = holds && node_caller_may (s_node, caller, "test.right", right, why, sizeof why);
    apiserver_reply_ok (f->server, caller, json_pack ("{s:b, s:b}", "holds", holds, "may", may));
    return true;
}

static int
s_node_setup (void **state)
{
    s_node = calloc (1, sizeof *s_node);
    if (!s_node || apifix_setup (state) != 0)
        return -1;
    ((apifix_t *) *state)->hook = s_hook;
    return 0;
}

static int
s_node_teardown (void **state)
{
    apifix_teardown (state);
    free (s_node);
    s_node = NULL;
    return 0;
}

/*  Whether fd's caller holds right, asked over fd: 1, 0, or -1 when no
 *  answer came; *may whether it may run a command needing it. */
static int
s_holds (int fd, long id, node_right_t right, bool *may)
{
    char args[64];
    snprintf (args, sizeof args, "{\"right\":%d}", (int) right);
    uint8_t req[256];
    apifix_send_all (fd, req, apifix_frame_args (req, id, "right", args));
    json_t *j = apifix_answer (fd);
    json_t *r = j ? json_object_get (j, "result") : NULL;
    int holds = r ? json_is_true (json_object_get (r, "holds")) : -1;
    if (may)
        *may = r && json_is_true (json_object_get (r, "may"));
    json_decref (j);
    return holds;
}

enum { CONNS = 32, ASKS = 4 };

/*  read-group is this process's own primary group, audit-group one it
 *  does not have: 32 connections each ask 4 times, and each is allowed
 *  the one and refused the other without a single name service call
 *  (before, every request asked getpwuid_r, getgrnam_r and getgrouplist,
 *  kept a second). */
static void
test_callers_rights_ask_no_name_service (void **state)
{
    apifix_t *f = *state;
    gid_t other = 0;
    char mine[33], theirs[33];
    /*  A group of the database this process is not in. */
    setgrent ();
    for (struct group *gr; (gr = getgrent ());)
        if (!s_mine (gr->gr_gid) && strlen (gr->gr_name) < sizeof theirs) {
            other = gr->gr_gid;
            break;
        }
    endgrent ();
    if (!s_group_name (getgid (), mine, sizeof mine) || !other ||
        !s_group_name (other, theirs, sizeof theirs))
        skip ();
    snprintf (s_node->config.read_group, sizeof s_node->config.read_group, "%s", mine);
    snprintf (s_node->config.audit_group, sizeof s_node->config.audit_group, "%s", theirs);
    node_rights_resolve (s_node); /* the start: asks, once per group */
    assert_true (s_node->right_known[NODE_RIGHT_READ]);
    assert_int_equal (s_node->right_gid[NODE_RIGHT_READ], getgid ());
    assert_true (s_node->right_known[NODE_RIGHT_AUDIT]);
    assert_false (s_node->right_known[NODE_RIGHT_ADMIN]); /* not set */

    __atomic_store_n (&s_lookups, 0, __ATOMIC_SEQ_CST);
    int fds[CONNS];
    for (int i = 0; i < CONNS; i++)
        fds[i] = apifix_connect (f);
    for (int k = 0; k < ASKS; k++)
        for (int i = 0; i < CONNS; i++) {
            bool may = false;
            assert_int_equal (s_holds (fds[i], k, NODE_RIGHT_READ, &may), 1);
            assert_true (may);
            assert_int_equal (s_holds (fds[i], k, NODE_RIGHT_AUDIT, NULL), 0);
            assert_int_equal (s_holds (fds[i], k, NODE_RIGHT_ADMIN, NULL), 0);
            assert_int_equal (s_holds (fds[i], k, NODE_RIGHT_NONE, NULL), 1);
        }
    assert_int_equal (__atomic_load_n (&s_lookups, __ATOMIC_SEQ_CST), 0);
}

/*  What a child connected as uid 65534 with primary gid gid and the one
 *  supplementary group sup is answered: one char per right of rights
 *  ('1' held, '0' not, 'x' no answer; 'f' when the API refused it as
 *  full), through a pipe. */
static void
s_child_asks (apifix_t *f, gid_t gid, gid_t sup, const node_right_t *rights, size_t n, char *out)
{
    int said[2];
    assert_int_equal (pipe (said), 0);
    pid_t child = fork ();
    assert_true (child >= 0);
    if (child == 0) {
        close (said[0]);
        char what[16];
        memset (what, 'x', sizeof what);
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        snprintf (a.sun_path, sizeof a.sun_path, "%s", f->path);
        int fd = -1;
        if (setgroups (1, &sup) == 0 && setgid (gid) == 0 && setuid (65534) == 0 &&
            (fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) >= 0 &&
            connect (fd, (struct sockaddr *) &a, sizeof a) == 0)
            for (size_t i = 0; i < n && i < sizeof what; i++) {
                char args[64];
                snprintf (args, sizeof args, "{\"right\":%d}", (int) rights[i]);
                uint8_t req[256];
                size_t len = apifix_frame_args (req, (long) i, "right", args);
                /*  Refused as full, the answer is there all the same. */
                (void) !send (fd, req, len, MSG_NOSIGNAL);
                json_t *j = apifix_answer (fd);
                json_t *r = j ? json_object_get (j, "result") : NULL;
                const char *e = j ? json_string_value (json_object_get (j, "error")) : NULL;
                what[i] = r ? (json_is_true (json_object_get (r, "holds")) ? '1' : '0')
                          : e && strstr (e, "local API is full") ? 'f'
                                                                 : 'x';
                json_decref (j);
            }
        (void) !write (said[1], what, n);
        _exit (0);
    }
    f->child = child;
    close (said[1]);
    ssize_t got = 0;
    for (ssize_t r; got < (ssize_t) n && (r = read (said[0], out + got, n - (size_t) got)) > 0;)
        got += r;
    close (said[0]);
    waitpid (child, NULL, 0);
    f->child = 0;
    assert_int_equal (got, (ssize_t) n);
}

/*  Another user (uid 65534), in read-group by a supplementary group and
 *  in admin-group by its primary one, neither of which the name service
 *  gives it: it holds both, and with 240 slots taken it gets a reserved
 *  slot as a member of the admin group - with no name service call on
 *  the loop for either.  Root only. */
static void
test_another_users_groups_and_reserved_slot_ask_no_name_service (void **state)
{
    apifix_t *f = *state;
    gid_t a = 0, b = 0;
    if (geteuid () != 0 || !s_two_groups (&a, &b))
        skip ();
    assert_true (s_group_name (a, s_node->config.read_group, sizeof s_node->config.read_group));
    assert_true (s_group_name (b, s_node->config.admin_group, sizeof s_node->config.admin_group));
    node_rights_resolve (s_node);
    assert_true (s_node->right_known[NODE_RIGHT_READ] && s_node->right_known[NODE_RIGHT_ADMIN]);
    assert_int_equal (chmod (f->dir, 0755), 0);
    assert_int_equal (chmod (f->path, 0666), 0);
    char args[64];
    snprintf (args, sizeof args, "{\"gid\":%u}", (unsigned) b);
    uint8_t req[256];
    int fd = apifix_connect (f);
    apifix_send_all (fd, req, apifix_frame_args (req, 1, "admin-group", args));
    char error[512];
    assert_string_equal (apifix_error_of (apifix_answer (fd), error, sizeof error), "");
    apifix_close (f, fd);

    __atomic_store_n (&s_lookups, 0, __ATOMIC_SEQ_CST);
    const node_right_t rights[] = {NODE_RIGHT_READ, NODE_RIGHT_ADMIN, NODE_RIGHT_AUDIT};
    char got[4] = "";
    s_child_asks (f, b, a, rights, 3, got);
    assert_memory_equal (got, "110", 3);
    /*  Every slot but the reserved ones taken: the admin group's member
     *  gets one of those. */
    for (int i = 0; i < API_MAX_CONNS - 16; i++)
        apifix_ask (apifix_connect (f), i, "hold");
    assert_true (apifix_held (f, API_MAX_CONNS - 16));
    s_child_asks (f, b, a, rights, 1, got);
    assert_memory_equal (got, "1", 1);
    /*  One outside it (primary gid a) does not. */
    s_child_asks (f, a, a, rights, 1, got);
    assert_memory_equal (got, "f", 1);
    assert_int_equal (__atomic_load_n (&s_lookups, __ATOMIC_SEQ_CST), 0);
}

int
main (void)
{
    kt_log_set_level (KT_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_a_peer_is_in_its_own_groups_and_no_other),
        cmocka_unit_test (test_the_groups_are_those_of_the_connection_not_the_users),
        cmocka_unit_test (test_many_groups_are_all_read),
        cmocka_unit_test_setup_teardown (test_callers_rights_ask_no_name_service, s_node_setup,
                                         s_node_teardown),
        cmocka_unit_test_setup_teardown (
            test_another_users_groups_and_reserved_slot_ask_no_name_service, s_node_setup,
            s_node_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
