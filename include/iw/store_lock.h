/* store_lock.h — one sweep at a time per store, whatever path names it and whatever locking the
 * file system offers. Rank 0 takes the lock before the store is opened or made and holds it for
 * the whole sweep; a second sweep is refused with who holds it:
 *
 *     store in use by host node7 pid 41235 (Slurm job 1234): another sweep is using results/x.h5
 *
 * Two locks, because a store can be named by many paths:
 *   1. the lock file "<canonical store path>.lock". The canonical path follows symlinks (also a
 *      dangling last one: the store is created where it points), '..' and relative paths, so
 *      `-o real/s.h5`, `-o alias.h5 -> real/s.h5` and `-o /abs/real/../real/s.h5` share one lock
 *      file. It holds the holder's "pid P host H job J kind K". Kinds, the first that works:
 *        flock            flock(LOCK_EX) on the lock file; dies with the process (kill -9 too),
 *                         so a file left behind by a killed sweep never blocks;
 *        fcntl            where flock() fails (ENOLCK, ENOSYS, EOPNOTSUPP, Lustre's 524: NFS
 *                         without flock emulation, Lustre mounted without -o flock, some GPFS and
 *                         Cray DVS set-ups): an fcntl write lock on the whole file (OFD lock, or a
 *                         POSIX one on kernels without OFD locks); also dies with the process;
 *        exclusive-file   where neither works: the lock file made with O_CREAT|O_EXCL is the lock
 *                         itself. A killed sweep leaves it behind: on the same host a holder pid
 *                         that no longer runs is detected and the file removed (with a notice);
 *                         otherwise the refusal says to remove the file once no sweep runs.
 *   2. once the store file exists, a shared fcntl lock on one byte of the store file itself, at
 *      offset 2^62 + pid (far beyond any data: HDF5 and MPI-IO never touch it), and a test for
 *      any other holder over 2^62 .. 2^62 + 2^22: this follows the file's identity (device, inode),
 *      so a hard link or a bind mount is caught too, and the holder's pid is read back from the
 *      conflicting lock's offset. Skipped where fcntl locks do not work. (On NFS, flock() is
 *      emulated with whole-file fcntl locks; since this lock is shared, readers' shared flock
 *      locks, e.g. h5py's, do not conflict with it.)
 * iw_store_unlock removes the lock file (if it is still the one taken) and releases both.
 */
#ifndef IW_STORE_LOCK_H
#define IW_STORE_LOCK_H

#include "iw/common.h"

#define IW_LOCK_PATH_MAX 4096

typedef enum { IW_LOCK_NONE = 0, IW_LOCK_FLOCK, IW_LOCK_FCNTL, IW_LOCK_EXCLUSIVE_FILE } iw_lock_kind;

typedef struct iw_lock {
    int fd;                          /* the lock file, -1 when not held */
    int store_fd;                    /* the store file carrying lock 2, -1 when none */
    iw_lock_kind kind;
    char store[IW_LOCK_PATH_MAX];    /* where the store is: the given path with its trailing symlinks
                                        followed (relative stays relative); open and create it there */
    char canonical[IW_LOCK_PATH_MAX];/* absolute, every symlink and '..' resolved */
    char file[IW_LOCK_PATH_MAX + 8]; /* canonical + ".lock" */
    char notice[1024];               /* for the user (a fallback kind, a stale file removed), or "" */
} iw_lock;

/* Takes the lock for the store at `path` (its folder must exist). Fills *lock; returns 0, or -1
 * with err: "store in use by host H pid P [(Slurm job J)]: another sweep is using PATH (...)", or
 * why the lock file cannot be made. When the store file already exists, lock 2 is taken too. */
int iw_store_lock(const char *path, iw_lock *lock, iw_error *err);
/* Lock 2 on a store file made after iw_store_lock (call once the store exists). 0, or -1 with
 * "store in use by ..." when another sweep holds the same file through another name. */
int iw_store_lock_file(iw_lock *lock, iw_error *err);
/* --dry-run: would iw_store_lock succeed now? Takes nothing and changes nothing (a shared flock
 * is held for a moment to test for an exclusive holder; iw_store_lock looks again before it
 * refuses). Fills the paths of *lock (fd and store_fd stay -1) and a notice when a real run would
 * remove a stale exclusive lock file; returns 0, or -1 with the refusal iw_store_lock would give. */
int iw_store_lock_probe(const char *path, iw_lock *lock, iw_error *err);
/* Releases both locks and removes the lock file if it is still ours. Safe on a lock not held. */
void iw_store_unlock(iw_lock *lock);
/* "flock", "fcntl", "exclusive-file" (or "none"). */
const char *iw_lock_kind_name(iw_lock_kind kind);

#endif
