/*  store_vfs: SQLite's own file layer with a write-ahead log's frames
 *  handed to the kernel in two writes per commit instead of two per page
 *  (docs/PERFORMANCE.md, "2026-12-06, sixth session"; the crash reasoning
 *  is in store_vfs.c).
 */
#ifndef KETEN_STORE_VFS_H
#define KETEN_STORE_VFS_H

/*  The name to pass to sqlite3_open_v2, registered at the first call;
 *  NULL (SQLite's default) if it could not be. */
const char *store_vfs_name (void);

#endif
