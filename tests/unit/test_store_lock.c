/* test_store_lock.c — the store lock follows the store file's identity, whatever path names it.
 * In a scratch folder: real/s.h5 locked, then the same store reached through a dangling symlink
 * (alias.h5 -> real/s.h5), '..', a relative path after chdir, a symlinked folder, and (once the
 * store file exists) a hard link in another folder and a hard link made after the store: every
 * second lock is refused with "store in use by host H pid P"; one lock file only
 * (real/s.h5.lock); the symlink's store is opened where it points. The Slurm job id is named when
 * the holder has one; a different store is not refused; unlock removes the lock file.
 * (Two locks in one process conflict like locks of two processes: flock and OFD fcntl locks
 * belong to the open file, not to the process.)
 */
#include "iw/store_lock.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"

static char dir[256], who[512];

static void at(char *out, size_t n, const char *name) { snprintf(out, n, "%s/%s", dir, name); }
static int exists(const char *path) { struct stat st; return lstat(path, &st) == 0; }
static void make_file(const char *path)
{
    FILE *f = fopen(path, "w");
    if (f) { fputs("store\n", f); fclose(f); }
}

/* A second lock through `other` is refused, naming this process. */
static void expect_refused(const char *other, const char *label)
{
    iw_lock second;
    iw_error err = {{0}};
    int rc = iw_store_lock(other, &second, &err);
    EXPECT(rc == -1, "%s: %s was not refused", label, other);
    if (rc == 0) iw_store_unlock(&second);
    else EXPECT(strstr(err.message, who) != NULL, "%s: expected '%s' in '%s'", label, who, err.message);
}

static void test_same_store_through_other_paths(void)
{
    char real[PATH_MAX], alias[PATH_MAX], dotdot[PATH_MAX], linkdir[PATH_MAX], lockfile[PATH_MAX + 8], path[PATH_MAX];
    at(path, sizeof path, "real");
    mkdir(path, 0755);
    at(real, sizeof real, "real/s.h5");
    at(alias, sizeof alias, "alias.h5");
    symlink("real/s.h5", alias); /* dangling: the store does not exist yet */
    at(dotdot, sizeof dotdot, "real/../real/s.h5");
    at(linkdir, sizeof linkdir, "linkdir");
    symlink("real", linkdir);
    iw_lock lock;
    iw_error err = {{0}};
    EXPECT(iw_store_lock(real, &lock, &err) == 0, "lock real/s.h5: %s", err.message);
    expect_refused(alias, "dangling symlink");
    expect_refused(dotdot, "'..'");
    at(path, sizeof path, "linkdir/s.h5");
    expect_refused(path, "symlinked folder");
    char cwd[PATH_MAX];
    if (getcwd(cwd, sizeof cwd) && chdir(dir) == 0) {
        expect_refused("real/s.h5", "relative path");
        expect_refused("./alias.h5", "relative symlink");
        EXPECT(chdir(cwd) == 0, "back to %s", cwd);
    }
    snprintf(lockfile, sizeof lockfile, "%s.lock", real);
    EXPECT(exists(lockfile), "lock file %s", lockfile);
    at(path, sizeof path, "alias.h5.lock");
    EXPECT(!exists(path), "no second lock file beside the symlink");
    at(path, sizeof path, "other.h5");
    iw_lock other;
    EXPECT(iw_store_lock(path, &other, &err) == 0, "another store is not refused: %s", err.message);
    iw_store_unlock(&other);
    iw_store_unlock(&lock);
    EXPECT(!exists(lockfile), "unlock removes the lock file");

    iw_lock via_alias;
    EXPECT(iw_store_lock(alias, &via_alias, &err) == 0, "lock through the symlink: %s", err.message);
    EXPECT(strcmp(via_alias.store, real) == 0, "the store is opened where the symlink points: %s", via_alias.store);
    EXPECT(exists(lockfile), "the symlink's lock file is real/s.h5.lock");
    expect_refused(real, "the real path while the symlink holds it");
    iw_store_unlock(&via_alias);
}

static void test_hard_links(void)
{
    char store[PATH_MAX], other_dir[PATH_MAX], hard[PATH_MAX], later[PATH_MAX], hard_later[PATH_MAX];
    at(store, sizeof store, "real/h.h5");
    make_file(store);
    at(other_dir, sizeof other_dir, "elsewhere");
    mkdir(other_dir, 0755);
    at(hard, sizeof hard, "elsewhere/h2.h5");
    EXPECT(link(store, hard) == 0, "hard link");
    iw_lock lock;
    iw_error err = {{0}};
    EXPECT(iw_store_lock(store, &lock, &err) == 0, "lock: %s", err.message);
    expect_refused(hard, "hard link in another folder");
    iw_store_unlock(&lock);
    EXPECT(iw_store_lock(hard, &lock, &err) == 0, "the hard link alone can be locked after unlock: %s", err.message);
    expect_refused(store, "the first name while the hard link holds it");
    iw_store_unlock(&lock);

    /* a store made after the lock was taken: iw_store_lock_file adds the identity lock */
    at(later, sizeof later, "real/later.h5");
    EXPECT(iw_store_lock(later, &lock, &err) == 0, "lock before the store exists: %s", err.message);
    make_file(later);
    EXPECT(iw_store_lock_file(&lock, &err) == 0, "identity lock once made: %s", err.message);
    at(hard_later, sizeof hard_later, "elsewhere/later2.h5");
    EXPECT(link(later, hard_later) == 0, "hard link");
    expect_refused(hard_later, "hard link made after the store");
    iw_store_unlock(&lock);
}

static void test_slurm_job_named(void)
{
    char store[PATH_MAX];
    at(store, sizeof store, "job.h5");
    setenv("SLURM_JOB_ID", "4242", 1);
    iw_lock lock, second;
    iw_error err = {{0}};
    EXPECT(iw_store_lock(store, &lock, &err) == 0, "lock: %s", err.message);
    unsetenv("SLURM_JOB_ID");
    EXPECT(iw_store_lock(store, &second, &err) == -1, "second lock refused");
    char want[PATH_MAX + 600];
    snprintf(want, sizeof want, "%s (Slurm job 4242): another sweep is using %s", who, store);
    EXPECT(strstr(err.message, want) != NULL, "expected '%s' in '%s'", want, err.message);
    EXPECT(lock.kind == IW_LOCK_FLOCK && strcmp(iw_lock_kind_name(lock.kind), "flock") == 0,
           "flock works here, kind %s", iw_lock_kind_name(lock.kind));
    iw_store_unlock(&lock);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/iwlock.XXXXXX");
    if (!mkdtemp(dir)) {
        printf("not ok - mkdtemp\n");
        return 1;
    }
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    snprintf(who, sizeof who, "store in use by host %s pid %ld", host, (long)getpid());
    RUN_TEST(test_same_store_through_other_paths);
    RUN_TEST(test_hard_links);
    RUN_TEST(test_slurm_job_named);
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) printf("# could not remove %s\n", dir);
    return test_exit_code();
}
