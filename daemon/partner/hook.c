/*  hook: a configured command run on arrival.  */
#include "hook.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct {
    pid_t pid;
    uint64_t started_ms;
    bool killed;
} running_t;

struct _hook_t {
    char path[PATH_MAX];
    running_t running[HOOK_MAX_RUNNING];
};

int
hook_check (const char *path, kt_reason_t *reason)
{
    struct stat st;
    if (path[0] != '/')
        return kt_fail (reason, "agenda/hook %s must be an absolute path", path);
    if (stat (path, &st) != 0)
        return kt_fail (reason, "agenda/hook %s: %s", path, strerror (errno));
    if (!S_ISREG (st.st_mode) || access (path, X_OK) != 0)
        return kt_fail (reason, "agenda/hook %s is not an executable file", path);
    /*  A hook others can rewrite would run their code as this node. */
    if (st.st_mode & (S_IWGRP | S_IWOTH))
        return kt_fail (reason, "agenda/hook %s is writable by group or others; chmod go-w it",
                        path);
    return 0;
}

hook_t *
hook_new (const char *path, kt_reason_t *reason)
{
    if (hook_check (path, reason) != 0)
        return NULL;
    hook_t *self = calloc (1, sizeof *self);
    if (!self)
        return kt_fail (reason, "out of memory"), NULL;
    snprintf (self->path, sizeof self->path, "%s", path);
    return self;
}

void
hook_destroy (hook_t **self_p)
{
    hook_t *self = *self_p;
    if (!self)
        return;
    /*  Do not leave children behind: give running hooks a last chance. */
    for (int i = 0; i < HOOK_MAX_RUNNING; i++)
        if (self->running[i].pid > 0) {
            kill (self->running[i].pid, SIGTERM);
            waitpid (self->running[i].pid, NULL, 0);
        }
    free (self);
    *self_p = NULL;
}

int
hook_run (hook_t *self, const char *event, const char *id, const char *file, kt_reason_t *reason)
{
    hook_reap (self);
    int slot = -1;
    for (int i = 0; i < HOOK_MAX_RUNNING && slot < 0; i++)
        if (self->running[i].pid == 0)
            slot = i;
    if (slot < 0)
        return kt_fail (reason, "%d hooks still running; not starting another", HOOK_MAX_RUNNING);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init (&fa);
    posix_spawn_file_actions_addopen (&fa, 0, "/dev/null", O_RDONLY, 0);
    char *argv[] = {self->path, (char *) event, (char *) id, (char *) file, NULL};
    char *envp[] = {"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8", NULL};
    pid_t pid;
    int rc = posix_spawn (&pid, self->path, &fa, NULL, argv, envp);
    posix_spawn_file_actions_destroy (&fa);
    if (rc != 0)
        return kt_fail (reason, "cannot start agenda/hook %s: %s", self->path, strerror (rc));
    self->running[slot].pid = pid;
    self->running[slot].started_ms = kt_mono_us () / 1000;
    self->running[slot].killed = false;
    kt_log (KT_LOG_INFO, "hook started event=%s id=%s pid=%d", event, id, (int) pid);
    return 0;
}

void
hook_reap (hook_t *self)
{
    uint64_t now = kt_mono_us () / 1000;
    for (int i = 0; i < HOOK_MAX_RUNNING; i++) {
        running_t *r = &self->running[i];
        if (r->pid <= 0)
            continue;
        int status;
        pid_t got = waitpid (r->pid, &status, WNOHANG);
        if (got == r->pid) {
            if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
                kt_log (KT_LOG_INFO, "hook finished pid=%d", (int) r->pid);
            else
                kt_log (KT_LOG_WARN, "hook failed pid=%d status=%d%s", (int) r->pid,
                        WIFEXITED (status) ? WEXITSTATUS (status) : -1,
                        WIFSIGNALED (status) ? " signalled=yes" : "");
            r->pid = 0;
        } else if (got < 0 && errno == ECHILD) {
            r->pid = 0;
        } else if (!r->killed && now - r->started_ms > HOOK_TIMEOUT_MS) {
            kt_log (KT_LOG_WARN, "hook timeout pid=%d killed=yes", (int) r->pid);
            kill (r->pid, SIGKILL);
            r->killed = true;
        }
    }
}
