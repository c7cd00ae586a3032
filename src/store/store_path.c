/* store_path.c — can a store be made at this path? Checked by rank 0 before the lock is taken or
 * anything is written (a dry run makes the same checks without making folders). No HDF5 here.
 */
#include "iw/store.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* mkdir -p of `dir`. */
static int make_folders(const char *dir)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", dir);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    return mkdir(buf, 0777) != 0 && errno != EEXIST ? -1 : 0;
}

int iw_store_check_path(const char *path, int create, iw_error *err)
{
    char copy[4096], dir[4096];
    snprintf(copy, sizeof copy, "%s", path);
    snprintf(dir, sizeof dir, "%s", dirname(copy));
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return iw_error_set(err, "cannot write the store %s: it is a folder; give a file name such as %s/sweep.h5", path, path);
    if (create && make_folders(dir) != 0)
        return iw_error_set(err, "cannot write the store %s: cannot create the folder '%s': %s", path, dir, strerror(errno));
    while (stat(dir, &st) != 0) { /* dry run: the folders would be made; check the first that exists */
        if (errno != ENOENT) break;
        snprintf(copy, sizeof copy, "%s", dir);
        snprintf(dir, sizeof dir, "%s", dirname(copy));
    }
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return iw_error_set(err, "cannot write the store %s: '%s' is not a folder", path, dir);
    /* tried for real: root passes any permission test, a read-only file system does not */
    char probe[4200];
    snprintf(probe, sizeof probe, "%s/.iwsweep-probe-%ld", dir, (long)getpid());
    int fd = open(probe, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0)
        return iw_error_set(err, "cannot write the store %s: the folder '%s' is not writable (%s); choose another with -o",
                            path, dir, strerror(errno));
    close(fd);
    unlink(probe);
    if (stat(path, &st) == 0 && access(path, R_OK | W_OK) != 0)
        return iw_error_set(err, "cannot write the store %s: %s", path, strerror(errno));
    return 0;
}
