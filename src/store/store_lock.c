/* store_lock.c — one sweep at a time per store (include/iw/store_lock.h has the design): a lock
 * file named after the store's canonical path (flock, else fcntl, else the file itself made with
 * O_EXCL), plus a shared fcntl lock on a byte of the store file far beyond its data, which follows
 * the file's identity through hard links. Rank 0 only; no HDF5, no MPI here.
 */
#define _GNU_SOURCE /* F_OFD_SETLK / F_OFD_GETLK (Linux >= 3.15) */
#include "iw/store_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define IDENTITY_BASE ((off_t)1 << 62) /* lock 2: byte IDENTITY_BASE + pid of the store file */
#define IDENTITY_SPAN ((off_t)1 << 22) /* pids are below 2^22 on Linux (pid_max) */
#define ENOTSUPP_KERNEL 524            /* leaks out of Lustre and NFS as "Unknown error 524" */

const char *iw_lock_kind_name(iw_lock_kind kind)
{
    switch (kind) {
    case IW_LOCK_FLOCK: return "flock";
    case IW_LOCK_FCNTL: return "fcntl";
    case IW_LOCK_EXCLUSIVE_FILE: return "exclusive-file";
    default: return "none";
    }
}

/* errno values that mean "this file system does not do this kind of lock" */
static int unsupported(int e)
{
    return e == ENOLCK || e == ENOSYS || e == EOPNOTSUPP || e == ENOTSUP || e == EINVAL || e == ENOTSUPP_KERNEL;
}

/* ---- paths ---- */

/* out = path with its trailing symlinks followed (a dangling last one too: the store is made where
 * it points); a relative target is taken relative to the link's folder. */
static int follow_links(const char *path, char *out, size_t size, iw_error *err)
{
    if (snprintf(out, size, "%s", path) >= (int)size) return iw_error_set(err, "store path too long: %.200s...", path);
    for (int hops = 0; hops < 40; hops++) {
        struct stat st;
        if (lstat(out, &st) != 0 || !S_ISLNK(st.st_mode)) return 0;
        char target[IW_LOCK_PATH_MAX], dir[IW_LOCK_PATH_MAX];
        ssize_t n = readlink(out, target, sizeof target - 1);
        if (n < 0) return iw_error_set(err, "cannot read the symlink %s: %s", out, strerror(errno));
        target[n] = '\0';
        snprintf(dir, sizeof dir, "%s", out);
        char *d = dirname(dir);
        int len = target[0] == '/' || strcmp(d, ".") == 0 ? snprintf(out, size, "%s", target)
                                                           : snprintf(out, size, "%s/%s", d, target);
        if (len >= (int)size) return iw_error_set(err, "store path too long after following %s", path);
    }
    return iw_error_set(err, "%s: too many levels of symbolic links", path);
}

/* canonical = realpath(folder of `store`) + "/" + its last component. */
static int canonical_path(const char *store, char *canonical, size_t size, iw_error *err)
{
    char dir_copy[IW_LOCK_PATH_MAX], base_copy[IW_LOCK_PATH_MAX], real[PATH_MAX];
    snprintf(dir_copy, sizeof dir_copy, "%s", store);
    snprintf(base_copy, sizeof base_copy, "%s", store);
    const char *dir = dirname(dir_copy), *base = basename(base_copy);
    if (!realpath(dir, real))
        return iw_error_set(err, "cannot resolve the folder '%s' of the store %s: %s", dir, store, strerror(errno));
    if (strcmp(base, "..") == 0 || strcmp(base, ".") == 0 || strcmp(base, "/") == 0)
        return iw_error_set(err, "%s names a folder, not a store file", store);
    if (snprintf(canonical, size, "%s/%s", strcmp(real, "/") == 0 ? "" : real, base) >= (int)size)
        return iw_error_set(err, "store path too long: %.200s...", store);
    return 0;
}

/* ---- who holds it ---- */

/* "host H pid P (Slurm job J)" from a lock file's "pid P host H job J kind K" line. */
static int describe_holder(const char *line, char *out, size_t size, long *pid_out, char *host_out, size_t host_size)
{
    long pid = 0;
    char host[256] = "", job[64] = "-";
    if (sscanf(line, "pid %ld host %255s job %63s", &pid, host, job) < 2) return -1;
    if (strcmp(job, "-") != 0) snprintf(out, size, "host %s pid %ld (Slurm job %s)", host, pid, job);
    else snprintf(out, size, "host %s pid %ld", host, pid);
    if (pid_out) *pid_out = pid;
    if (host_out) snprintf(host_out, host_size, "%s", host);
    return 0;
}

static void read_holder(int fd, char *line, size_t size)
{
    ssize_t n = pread(fd, line, size - 1, 0);
    line[n > 0 ? n : 0] = '\0';
    line[strcspn(line, "\n")] = '\0';
}

static void this_host(char *host, size_t size)
{
    if (gethostname(host, size - 1) != 0) snprintf(host, size, "unknown");
    host[size - 1] = '\0';
}

static int write_holder(int fd, iw_lock_kind kind, const char *file, iw_error *err)
{
    char host[256], line[512];
    this_host(host, sizeof host);
    const char *job = getenv("SLURM_JOB_ID");
    int len = snprintf(line, sizeof line, "pid %ld host %s job %s kind %s\n", (long)getpid(), host,
                       job && *job ? job : "-", iw_lock_kind_name(kind));
    if (ftruncate(fd, 0) != 0 || pwrite(fd, line, (size_t)len, 0) != len)
        return iw_error_set(err, "cannot write the lock file %s: %s", file, strerror(errno));
    return 0;
}

static int refuse(iw_error *err, const char *holder_line, const char *shown, const char *file, const char *advice)
{
    char who[512];
    if (describe_holder(holder_line, who, sizeof who, NULL, NULL, 0) != 0) snprintf(who, sizeof who, "another sweep");
    return iw_error_set(err, "store in use by %s: another sweep is using %s (lock file %s)%s", who, shown, file, advice);
}

/* ---- lock 1: the lock file ---- */

/* 0 locked (kind set), 1 held by someone else, -1 no lock of either kind works here (e_flock and
 * e_fcntl say why). */
static int lock_descriptor(int fd, iw_lock_kind *kind, int *e_flock, int *e_fcntl)
{
    *e_flock = *e_fcntl = 0;
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
        *kind = IW_LOCK_FLOCK;
        return 0;
    }
    *e_flock = errno;
    if (errno == EWOULDBLOCK) return 1;
    if (!unsupported(errno)) return -1;
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    int rc = fcntl(fd, F_OFD_SETLK, &fl);
    if (rc != 0 && errno == EINVAL) rc = fcntl(fd, F_SETLK, &fl); /* a kernel without OFD locks */
    if (rc == 0) {
        *kind = IW_LOCK_FCNTL;
        return 0;
    }
    *e_fcntl = errno;
    if (errno == EAGAIN || errno == EACCES) return 1;
    return -1;
}

/* 1 when the lock file at `file` is still the file open as fd. */
static int still_ours(int fd, const char *file)
{
    struct stat by_fd, by_path;
    return fstat(fd, &by_fd) == 0 && stat(file, &by_path) == 0 && by_fd.st_ino == by_path.st_ino &&
           by_fd.st_dev == by_path.st_dev;
}

static void add_notice(iw_lock *lock, const char *text)
{
    size_t n = strlen(lock->notice);
    snprintf(lock->notice + n, sizeof lock->notice - n, "%s%s", n ? "; " : "", text);
}

/* Exclusive-file kind, the file existed: 0 when it was stale (its holder no longer runs on this
 * host) and has been removed; else -1 with the refusal. */
static int existing_exclusive_file(iw_lock *lock, int fd, const char *shown, iw_error *err)
{
    char line[512], who[512], host[256], me[256];
    long pid = 0;
    read_holder(fd, line, sizeof line);
    close(fd);
    this_host(me, sizeof me);
    if (describe_holder(line, who, sizeof who, &pid, host, sizeof host) == 0 && strcmp(host, me) == 0 && pid > 0 &&
        kill((pid_t)pid, 0) != 0 && errno == ESRCH) {
        if (unlink(lock->file) != 0 && errno != ENOENT)
            return iw_error_set(err, "cannot remove the stale lock file %s: %s", lock->file, strerror(errno));
        char text[IW_LOCK_PATH_MAX + 128];
        snprintf(text, sizeof text, "removed the stale lock file %s: its holder, pid %ld on this host, no longer runs",
                 lock->file, pid);
        add_notice(lock, text);
        return 0;
    }
    char advice[IW_LOCK_PATH_MAX + 320];
    snprintf(advice, sizeof advice, "; this file system has no working file locks, so that file itself is the lock: "
             "if no sweep is running on the store any more, remove %s", lock->file);
    return refuse(err, line, shown, lock->file, advice);
}

static int take_lock_file(iw_lock *lock, const char *shown, iw_error *err)
{
    int busy = 0; /* held: looked again a few times, since a dry run's probe holds a shared flock for
                     a moment (iw_store_lock_probe) */
    for (int tries = 0; tries < 10; tries++) {
        int created = 1;
        int fd = open(lock->file, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0 && errno == EEXIST) {
            created = 0;
            fd = open(lock->file, O_RDWR | O_CLOEXEC);
            if (fd < 0 && errno == ENOENT) continue; /* removed in between by an unlock */
        }
        if (fd < 0) return iw_error_set(err, "cannot create the lock file %s: %s", lock->file, strerror(errno));
        int e_flock, e_fcntl;
        int rc = lock_descriptor(fd, &lock->kind, &e_flock, &e_fcntl);
        if (rc == 1) {
            char line[512];
            read_holder(fd, line, sizeof line);
            close(fd);
            if (busy++ < 3) {
                struct timespec pause = {0, 20000000L};
                nanosleep(&pause, NULL);
                tries--;
                continue;
            }
            return refuse(err, line, shown, lock->file, "");
        }
        if (rc == 0) {
            if (!still_ours(fd, lock->file)) { /* removed or replaced by an unlock in between */
                close(fd);
                continue;
            }
            if (lock->kind == IW_LOCK_FCNTL) {
                char text[IW_LOCK_PATH_MAX + 128];
                snprintf(text, sizeof text, "flock() does not work on the file system of %s (%s): using fcntl locks "
                         "instead", lock->file, strerror(e_flock));
                add_notice(lock, text);
            }
        } else if (e_fcntl == 0) { /* flock failed for another reason than lack of support */
            close(fd);
            if (created) unlink(lock->file);
            return iw_error_set(err, "cannot lock %s: %s", lock->file, strerror(e_flock));
        } else if (!created) {
            if (existing_exclusive_file(lock, fd, shown, err) != 0) return -1;
            continue; /* a stale file was removed: make ours */
        } else {
            lock->kind = IW_LOCK_EXCLUSIVE_FILE;
            char text[IW_LOCK_PATH_MAX + 400];
            snprintf(text, sizeof text, "the file system of %s has no working file locks (flock: %s; fcntl: %s): the "
                     "lock file itself is the lock; if this sweep is killed, remove it by hand once no sweep runs (on "
                     "this host a dead holder is detected)", lock->file, strerror(e_flock), strerror(e_fcntl));
            add_notice(lock, text);
        }
        if (write_holder(fd, lock->kind, lock->file, err) != 0) {
            close(fd);
            unlink(lock->file);
            return -1;
        }
        lock->fd = fd;
        return 0;
    }
    return iw_error_set(err, "cannot lock %s: the lock file keeps being replaced", lock->file);
}

/* ---- lock 2: the store file's identity ---- */

/* The lock file of process pid (on this host), read through /proc/pid/fd: "" when not found. */
static void holder_by_pid(long pid, char *line, size_t size)
{
    line[0] = '\0';
    char dir[64];
    snprintf(dir, sizeof dir, "/proc/%ld/fd", pid);
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && !line[0]) {
        char link[64 + sizeof e->d_name], target[IW_LOCK_PATH_MAX];
        snprintf(link, sizeof link, "%s/%s", dir, e->d_name);
        ssize_t n = readlink(link, target, sizeof target - 1);
        if (n < 6) continue;
        target[n] = '\0';
        if (strcmp(target + n - 5, ".lock") != 0) continue;
        int fd = open(target, O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        read_holder(fd, line, size);
        close(fd);
        if (strncmp(line, "pid ", 4) != 0) line[0] = '\0';
    }
    closedir(d);
}

/* -1 with "store in use by ..." when another process holds lock 2 on the store file open as fd
 * (a lock of our own open file description never conflicts); else 0. */
static int identity_in_use(int fd, const char *store, iw_error *err)
{
    struct flock probe = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = IDENTITY_BASE, .l_len = IDENTITY_SPAN};
    if (fcntl(fd, F_OFD_GETLK, &probe) != 0 || probe.l_type == F_UNLCK || probe.l_len != 1 ||
        probe.l_start < IDENTITY_BASE || probe.l_start >= IDENTITY_BASE + IDENTITY_SPAN)
        return 0;
    long pid = (long)(probe.l_start - IDENTITY_BASE);
    char line[512], who[512];
    holder_by_pid(pid, line, sizeof line);
    if (line[0] && describe_holder(line, who, sizeof who, NULL, NULL, 0) == 0)
        return iw_error_set(err, "store in use by %s: another sweep is using the same file as %s through another "
                            "of its names (a hard link or another mount)", who, store);
    return iw_error_set(err, "store in use by pid %ld (not on this host, or gone since): another sweep is using the "
                        "same file as %s through another of its names (a hard link or another mount)", pid, store);
}

int iw_store_lock_file(iw_lock *lock, iw_error *err)
{
    if (lock->store_fd >= 0 || lock->kind == IW_LOCK_EXCLUSIVE_FILE) return 0; /* held, or no fcntl here */
    int fd = open(lock->store, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0; /* no store file yet: lock 1 covers it until it is made */
    struct flock mine = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = IDENTITY_BASE + getpid(), .l_len = 1};
    if (fcntl(fd, F_OFD_SETLK, &mine) != 0) { /* no OFD fcntl locks on this file system: lock 1 alone */
        close(fd);
        return 0;
    }
    if (identity_in_use(fd, lock->store, err) != 0) {
        close(fd);
        return -1;
    }
    lock->store_fd = fd;
    return 0;
}

/* Fills the paths of *lock for the store at `path`. */
static int lock_paths(const char *path, iw_lock *lock, iw_error *err)
{
    memset(lock, 0, sizeof *lock);
    lock->fd = lock->store_fd = -1;
    if (follow_links(path, lock->store, sizeof lock->store, err) != 0 ||
        canonical_path(lock->store, lock->canonical, sizeof lock->canonical, err) != 0)
        return -1;
    snprintf(lock->file, sizeof lock->file, "%s.lock", lock->canonical);
    return 0;
}

int iw_store_lock_probe(const char *path, iw_lock *lock, iw_error *err)
{
    memset(lock, 0, sizeof *lock);
    lock->fd = lock->store_fd = -1;
    if (follow_links(path, lock->store, sizeof lock->store, err) != 0) return -1;
    char dir[IW_LOCK_PATH_MAX];
    struct stat st;
    snprintf(dir, sizeof dir, "%s", lock->store);
    if (stat(dirname(dir), &st) != 0 && errno == ENOENT) return 0; /* no folder yet: no store, no lock file */
    if (lock_paths(path, lock, err) != 0) return -1;
    int fd = open(lock->file, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno != ENOENT) return iw_error_set(err, "cannot create the lock file %s: %s", lock->file, strerror(errno));
    if (fd >= 0) {
        char line[512];
        read_holder(fd, line, sizeof line);
        if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
            flock(fd, LOCK_UN);
            lock->kind = IW_LOCK_FLOCK;
        } else if (errno == EWOULDBLOCK) {
            close(fd);
            return refuse(err, line, path, lock->file, "");
        } else if (unsupported(errno)) {
            struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
            int rc = fcntl(fd, F_OFD_GETLK, &fl);
            if (rc != 0 && errno == EINVAL) rc = fcntl(fd, F_GETLK, &fl);
            if (rc == 0 && fl.l_type != F_UNLCK) {
                close(fd);
                return refuse(err, line, path, lock->file, "");
            }
            if (rc == 0) {
                lock->kind = IW_LOCK_FCNTL;
            } else { /* no locks work here: the file itself is the lock, unless its holder is gone */
                char who[512], host[256], me[256];
                long pid = 0;
                this_host(me, sizeof me);
                if (describe_holder(line, who, sizeof who, &pid, host, sizeof host) == 0 && strcmp(host, me) == 0 &&
                    pid > 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH) {
                    snprintf(lock->notice, sizeof lock->notice, "a real run removes the stale lock file %.900s: its holder, "
                             "pid %ld on this host, no longer runs", lock->file, pid);
                } else {
                    char advice[IW_LOCK_PATH_MAX + 320];
                    snprintf(advice, sizeof advice, "; this file system has no working file locks, so that file itself "
                             "is the lock: if no sweep is running on the store any more, remove %s", lock->file);
                    close(fd);
                    return refuse(err, line, path, lock->file, advice);
                }
                lock->kind = IW_LOCK_EXCLUSIVE_FILE;
            }
        }
        close(fd);
    }
    int store_fd = open(lock->store, O_RDONLY | O_CLOEXEC);
    if (store_fd >= 0) {
        int rc = identity_in_use(store_fd, lock->store, err);
        close(store_fd);
        if (rc != 0) return -1;
    }
    return 0;
}

int iw_store_lock(const char *path, iw_lock *lock, iw_error *err)
{
    if (lock_paths(path, lock, err) != 0) return -1;
    if (take_lock_file(lock, path, err) != 0) return -1;
    if (iw_store_lock_file(lock, err) != 0) {
        iw_store_unlock(lock);
        return -1;
    }
    return 0;
}

void iw_store_unlock(iw_lock *lock)
{
    if (!lock) return;
    if (lock->store_fd >= 0) close(lock->store_fd); /* releases lock 2 (an OFD lock) */
    lock->store_fd = -1;
    if (lock->fd < 0) return;
    if (still_ours(lock->fd, lock->file)) unlink(lock->file); /* before releasing: no one else's file */
    if (lock->kind == IW_LOCK_FLOCK) flock(lock->fd, LOCK_UN);
    close(lock->fd); /* releases an fcntl lock too */
    lock->fd = -1;
    lock->kind = IW_LOCK_NONE;
}
