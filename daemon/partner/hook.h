/*  hook: run a configured command when something arrives (an agenda at a
 *  gemeente), so the dossierhouder is told in the mailbox or system they
 *  already use.  The command runs without a shell, with stdin from
 *  /dev/null, a minimal environment and arguments that carry ids and file
 *  paths only, never personal data:
 *
 *      HOOK EVENT MEETING_ID ICS_PATH
 *
 *  It must finish within HOOK_TIMEOUT_MS or it is killed; its exit status
 *  is logged.  hook_reap is called from the event loop.
 */
#ifndef KETEN_HOOK_H
#define KETEN_HOOK_H

#include "util.h"

#define HOOK_TIMEOUT_MS 60000
#define HOOK_MAX_RUNNING 16

typedef struct _hook_t hook_t;

/*  Whether path may be the hook (ketend --check, and the role's check
 *  before a start opens anything): an absolute path to an executable
 *  file that neither group nor others can write.  0, or -1 with reason. */
int hook_check (const char *path, kt_reason_t *reason);
/*  path: checked again here (hook_check). */
hook_t *hook_new (const char *path, kt_reason_t *reason);
void hook_destroy (hook_t **self_p);

/*  Start the command; -1 with reason when it cannot be started or too many
 *  are still running. */
int hook_run (hook_t *self, const char *event, const char *id, const char *file,
              kt_reason_t *reason);

/*  Collect finished commands and kill those past their time. */
void hook_reap (hook_t *self);

#endif
