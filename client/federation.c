/*  The nodes this machine runs, one per federation (docs/OPERATIONS.md,
 *  "A party in several federations"): every NODE.cfg in the config
 *  directory, each with the federation its roster names.
 */
#include "cli.h"

#include "config.h"
#include "roster.h"

#include <dirent.h>
#include <stdbool.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *
cli_config_dir (void)
{
    const char *dir = getenv ("KETEN_CONFIG_DIR");
    return dir && *dir ? dir : "/etc/keten";
}

static int
s_cmp (const void *a, const void *b)
{
    return strcmp (*(char *const *) a, *(char *const *) b);
}

/*  The federation of config: its roster's name, from the roster file it
 *  names or else the newest one ketend kept. */
static int
s_federation (const config_t *config, char *out, size_t len)
{
    char kept[PATH_MAX + 16];
    snprintf (kept, sizeof kept, "%s/roster.txt", config->state_dir);
    const char *paths[] = {config->roster_file, kept};
    for (size_t i = 0; i < 2; i++) {
        kt_reason_t reason;
        roster_t *r = *paths[i] ? roster_load (paths[i], config->uitvoerder_key, &reason) : NULL;
        if (r) {
            snprintf (out, len, "%s", r->federation);
            roster_destroy (&r);
            return 0;
        }
    }
    return -1;
}

int
cli_each_node (cli_node_fn *fn, void *arg)
{
    const char *dir = cli_config_dir ();
    DIR *d = opendir (dir);
    if (!d) {
        cli_error ("cannot read the config directory %s (KETEN_CONFIG_DIR): %m", dir);
        return -1;
    }
    /*  A machine runs a few nodes; more files than this is not a keten
     *  config directory, and is said rather than half read. */
    enum { MAX_FILES = 1024 };
    char **names = calloc (MAX_FILES, sizeof *names);
    size_t n = 0;
    struct dirent *e;
    int rc = names ? 0 : -1;
    while (rc == 0 && (e = readdir (d))) {
        size_t len = strlen (e->d_name);
        if (len <= 4 || strcmp (e->d_name + len - 4, ".cfg") != 0 || e->d_name[0] == '.')
            continue;
        if (n == MAX_FILES) {
            cli_error ("more than %d *.cfg files in %s", MAX_FILES, dir);
            rc = -1;
        } else if (!(names[n++] = strdup (e->d_name)))
            rc = -1;
    }
    closedir (d);
    if (rc == 0)
        qsort (names, n, sizeof names[0], s_cmp);
    config_t *config = calloc (1, sizeof *config);
    /*  A file reached twice (a hard link) is one node. */
    dev_t *devs = calloc (n + 1, sizeof *devs);
    ino_t *inos = calloc (n + 1, sizeof *inos);
    size_t seen = 0;
    int count = 0;
    if (!config || !devs || !inos)
        rc = -1;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char path[PATH_MAX];
        struct stat st;
        if ((size_t) snprintf (path, sizeof path, "%s/%s", dir, names[i]) >= sizeof path) {
            fn (arg, names[i], NULL, "its path is too long");
            continue;
        }
        /*  ketend reads no config through a symbolic link (O_NOFOLLOW):
         *  a link is no node's config, and is passed over. */
        if (lstat (path, &st) != 0 || S_ISLNK (st.st_mode))
            continue;
        if (!S_ISREG (st.st_mode)) {
            fn (arg, path, NULL, "not a regular file");
            continue;
        }
        bool twice = false;
        for (size_t k = 0; k < seen; k++)
            twice |= devs[k] == st.st_dev && inos[k] == st.st_ino;
        if (twice)
            continue;
        devs[seen] = st.st_dev;
        inos[seen++] = st.st_ino;
        kt_reason_t reason;
        char federation[80] = "";
        if (config_load (path, config, &reason) != 0) {
            fn (arg, path, NULL, reason.text);
            continue;
        }
        if (s_federation (config, federation, sizeof federation) != 0) {
            fn (arg, path, NULL, "its roster cannot be read or does not verify");
            continue;
        }
        fn (arg, path, config, federation);
        count++;
    }
    for (size_t i = 0; names && i < n; i++)
        free (names[i]);
    free (names);
    free (devs);
    free (inos);
    free (config);
    if (rc != 0 && !names)
        cli_error ("out of memory");
    return rc == 0 ? count : -1;
}

typedef struct {
    const char *name;
    char path[PATH_MAX], found[1024], unusable[1024];
    int matches;
} s_find_t;

static void
s_find (void *arg, const char *path, const config_t *config, const char *federation)
{
    s_find_t *f = arg;
    if (!config) {
        size_t used = strlen (f->unusable);
        snprintf (f->unusable + used, sizeof f->unusable - used, "%s%s (%s)", used ? "; " : "",
                  path, federation);
        return;
    }
    size_t used = strlen (f->found);
    snprintf (f->found + used, sizeof f->found - used, "%s%s (%s)", used ? ", " : "", federation,
              path);
    if (strcmp (federation, f->name) == 0 && f->matches++ == 0)
        snprintf (f->path, sizeof f->path, "%s", path);
}

int
cli_federation_config (const char *name, char *path, size_t len)
{
    s_find_t f = {.name = name};
    if (cli_each_node (s_find, &f) < 0)
        return -1;
    if (f.matches == 0) {
        cli_error ("no node of federation %s in %s; found: %s%s%s", name, cli_config_dir (),
                   *f.found ? f.found : "none", *f.unusable ? "; not usable: " : "", f.unusable);
        return -1;
    }
    if (f.matches > 1) {
        cli_error ("more than one node of federation %s in %s (%s): name one with -c", name,
                   cli_config_dir (), f.found);
        return -1;
    }
    snprintf (path, len, "%s", f.path);
    return 0;
}
