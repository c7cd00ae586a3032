/* store_lock.c — "<store>.lock": one sweep at a time per store. Rank 0 holds an flock on it for
 * the whole sweep; the file says who holds it ("pid N host H") so that a second sweep can name
 * the holder. The lock dies with the process (kill -9 included), so a stale file never blocks.
 * The file is removed on unlock; a locker checks after flock that the path still names the file
 * it locked (another sweep may have just removed it) and retries otherwise.
 */
#include "store_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int iw_store_lock(const char *path, iw_error *err)
{
    char lock[IW_STORE_PATH_MAX + 8];
    if (snprintf(lock, sizeof lock, "%s.lock", path) >= (int)sizeof lock)
        return iw_error_set(err, "store path too long: %.200s...", path);
    for (int tries = 0; tries < 10; tries++) {
        int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) return iw_error_set(err, "cannot create the lock file %s: %s", lock, strerror(errno));
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            int e = errno;
            char holder[256] = "";
            ssize_t n = pread(fd, holder, sizeof holder - 1, 0);
            close(fd);
            if (e != EWOULDBLOCK)
                return iw_error_set(err, "cannot lock %s: %s", lock, strerror(e));
            holder[n > 0 ? n : 0] = '\0';
            holder[strcspn(holder, "\n")] = '\0';
            long pid = 0;
            char host[200] = "?";
            if (sscanf(holder, "pid %ld host %199s", &pid, host) == 2)
                return iw_error_set(err, "another sweep is using %s (lock held by pid %ld on host %s)", path, pid, host);
            return iw_error_set(err, "another sweep is using %s (lock file %s is held)", path, lock);
        }
        struct stat by_fd, by_path;
        if (fstat(fd, &by_fd) != 0 || stat(lock, &by_path) != 0 || by_fd.st_ino != by_path.st_ino ||
            by_fd.st_dev != by_path.st_dev) {
            close(fd); /* removed or replaced by an unlock in between: lock the current file */
            continue;
        }
        char host[256] = "unknown", line[320];
        gethostname(host, sizeof host - 1);
        host[sizeof host - 1] = '\0';
        int len = snprintf(line, sizeof line, "pid %ld host %s\n", (long)getpid(), host);
        if (ftruncate(fd, 0) != 0 || pwrite(fd, line, (size_t)len, 0) != len) {
            int e = errno;
            close(fd);
            return iw_error_set(err, "cannot write the lock file %s: %s", lock, strerror(e));
        }
        return fd;
    }
    return iw_error_set(err, "cannot lock %s: the lock file keeps being replaced", lock);
}

void iw_store_unlock(int fd)
{
    if (fd < 0) return;
    /* Remove the file only if it is still the one we hold. */
    char link[64], lock[IW_STORE_PATH_MAX + 8];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, lock, sizeof lock - 1);
    if (n > 0) {
        lock[n] = '\0';
        struct stat by_fd, by_path;
        if (fstat(fd, &by_fd) == 0 && stat(lock, &by_path) == 0 && by_fd.st_ino == by_path.st_ino &&
            by_fd.st_dev == by_path.st_dev)
            unlink(lock);
    }
    flock(fd, LOCK_UN);
    close(fd);
}
