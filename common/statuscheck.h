/*  statuscheck: every alarm and warning a node's status carries, each
 *  named once (docs/OPERATIONS.md, "Alarms").  `keten status --check`
 *  turns them into the monitoring-plugin verdict, the metrics endpoint
 *  serves each as keten_check{check=NAME,severity=...}, and the shipped
 *  Prometheus rules alert on each by its name: one list, three readers.
 */
#ifndef KETEN_STATUSCHECK_H
#define KETEN_STATUSCHECK_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    STATUSCHECK_WARNING = 1,
    STATUSCHECK_CRITICAL = 2,
} statuscheck_level_t;

typedef struct {
    const char *name; /* stable: the metric label and the alert's key */
    statuscheck_level_t level;
    const char *what; /* one line for operators, the docs' wording */
} statuscheck_t;

/*  Every check there is, in the order the verdict names them. */
const statuscheck_t *statuscheck_all (size_t *count_p);
const char *statuscheck_level_name (statuscheck_level_t level);

/*  Each check against the status answer r (the `status` command's
 *  result): fn gets every check with its count, 0 when it is not raised,
 *  and, when raised, a summary for the verdict line. */
typedef void (statuscheck_fn) (void *arg, const statuscheck_t *check, uint64_t count,
                               const char *summary);
void statuscheck_run (json_t *r, statuscheck_fn *fn, void *arg);

#endif
