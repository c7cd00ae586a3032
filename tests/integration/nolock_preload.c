/* nolock_preload.c — an LD_PRELOAD library that makes this machine look like a file system without
 * working locks (NFS without a lock daemon, Lustre mounted without -o flock, some GPFS and Cray DVS
 * set-ups): flock() fails with ENOLCK, and with IW_NOLOCK=flock,fcntl the fcntl lock commands
 * (F_SETLK, F_SETLKW, F_GETLK and their OFD forms) fail with ENOLCK too. Other fcntl commands pass
 * through. Built by tests/integration/store_lock_fallback.sh:
 *     cc -shared -fPIC -o nolock.so nolock_preload.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>

int flock(int fd, int operation)
{
    (void)fd;
    (void)operation;
    errno = ENOLCK;
    return -1;
}

static int lock_command(int cmd)
{
    const char *what = getenv("IW_NOLOCK");
    if (!what || !strstr(what, "fcntl")) return 0;
    return cmd == F_SETLK || cmd == F_SETLKW || cmd == F_GETLK || cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW ||
           cmd == F_OFD_GETLK;
}

typedef int (*fcntl_fn)(int, int, ...);

static int forward(const char *name, int fd, int cmd, void *arg)
{
    if (lock_command(cmd)) {
        errno = ENOLCK;
        return -1;
    }
    fcntl_fn real = (fcntl_fn)dlsym(RTLD_NEXT, name);
    if (!real) {
        errno = ENOSYS;
        return -1;
    }
    return real(fd, cmd, arg);
}

/* Every fcntl argument is an int or a pointer: passing it on as a pointer-sized value works for
 * both on the x86-64 and AArch64 calling conventions. */
int fcntl(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    return forward("fcntl", fd, cmd, arg);
}

int fcntl64(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    return forward("fcntl64", fd, cmd, arg);
}
