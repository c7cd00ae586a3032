/* test_store.c — the HDF5 store writer on one MPI rank: create, write, read back, resume, and
 * every refusal (another sweep file, another shape, a second sweep holding the lock, a file that
 * is not a store, a damaged store, a missing folder), plus a leftover "<store>.creating".
 *
 * With IW_STORE_OUT=PATH it also leaves a store of fixture_write_pattern() (synthetic sweep with
 * sampling axis and boundary) at PATH for tests/integration/check_store.py.
 */
#include <errno.h>
#include <fcntl.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iw/store.h"
#include "iw/store_read.h"
#include "store_fixture.h"
#include "test.h"

static char dir[256];

static void path_in_dir(char *out, size_t n, const char *name) { snprintf(out, n, "%s/%s", dir, name); }

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* The whole file, for "left untouched" checks. Caller frees. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    *len = buf ? fread(buf, 1, (size_t)n, f) : 0;
    fclose(f);
    return buf;
}

static void write_file(const char *path, const char *bytes, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(bytes, 1, n, f);
        fclose(f);
    }
}

/* Opens expecting refusal; checks the message has `a` and `b` and the file did not change. */
static void expect_refused(const char *path, const iw_spec *spec, const char *a, const char *b)
{
    size_t before_len = 0, after_len = 0;
    char *before = slurp(path, &before_len);
    iw_store *store = (iw_store *)1;
    iw_error err = {""};
    int created = -1;
    int rc = iw_store_open(MPI_COMM_WORLD, path, spec, NULL, &store, &created, &err);
    EXPECT(rc == -1, "open of %s returned %d", path, rc);
    EXPECT(store == NULL, "no store handle on refusal");
    EXPECT(strstr(err.message, a) != NULL, "message has '%s': %s", a, err.message);
    EXPECT(strstr(err.message, b) != NULL, "message has '%s': %s", b, err.message);
    EXPECT(!strstr(err.message, "keep it") || !strstr(err.message, "remove"),
           "advises removing a store that holds finished runs: %s", err.message);
    char *after = slurp(path, &after_len);
    EXPECT(before && after && before_len == after_len && memcmp(before, after, before_len) == 0,
           "%s left untouched", path);
    free(before);
    free(after);
}

static void test_create_write_resume(void)
{
    iw_spec spec;
    fixture_spec(&spec, 0, 'a');
    int64_t R = fixture_runs(&spec);
    char path[512], creating[600];
    path_in_dir(path, sizeof path, "resume.h5");
    snprintf(creating, sizeof creating, "%s.creating", path);
    iw_error err = {""};
    iw_store *store = NULL;
    int created = -1;
    iw_store_info info = {"9.9.9", "Haswell", "Open MPI test"};
    EXPECT(iw_store_open(MPI_COMM_WORLD, path, &spec, &info, &store, &created, &err) == 0, "%s", err.message);
    if (!store) return;
    EXPECT(created == 1, "a new store is reported as created");
    EXPECT(strcmp(iw_store_notice(store), "") == 0, "no notice: %s", iw_store_notice(store));
    EXPECT(exists(path) && !exists(creating), "the store has its name, no .creating remains");
    int8_t status[64];
    int32_t attempt[64];
    memset(status, 9, sizeof status);
    memset(attempt, 9, sizeof attempt);
    EXPECT(iw_store_read_status(store, status, attempt, &err) == 0, "%s", err.message);
    int all_pending = 1;
    for (int64_t r = 0; r < R; r++) all_pending &= status[r] == 0 && attempt[r] == 0;
    EXPECT(all_pending, "a new store has every run pending, attempt 0");

    iw_trajectory t, back;
    fixture_traj_alloc(&t, &spec);
    fixture_traj_alloc(&back, &spec);
    /* a host name longer than /runs/host holds (64 bytes) is stored cut; bytes that are not printable
     * ASCII (UTF-8 'ö', a tab) become '?', as /runs/host's _Encoding "ascii" promises */
    static const char long_host[] = "node-0123456789-0123456789-0123456789-0123456789-0123456789-0123456789.cluster";
    static const char odd_host[] = "n\xc3\xb6" "de\t1";
    iw_run_provenance prov = {1.5, 1.25, 0, 1, 0, 0, "iwnode2"};
    fixture_traj_fill(&t, 3, IW_STATUS_DONE);
    EXPECT(iw_store_write_run(store, 3, &t, &prov, &err) == 0, "%s", err.message);
    fixture_traj_fill(&t, 7, IW_STATUS_DIVERGED);
    prov.attempt = 2;
    prov.host = long_host;
    EXPECT(iw_store_write_run(store, 7, &t, &prov, &err) == 0, "%s", err.message);
    prov.host = odd_host;
    EXPECT(iw_store_write_status(store, 9, IW_STATUS_FAILED, &prov, &err) == 0, "%s", err.message);
    EXPECT(iw_store_write_run(store, R, &t, &prov, &err) == -1 && strstr(err.message, "outside"),
           "run R is refused: %s", err.message);
    EXPECT(iw_store_write_status(store, 1, 7, &prov, &err) == -1, "status 7 is refused");
    t.epochs = 4;
    EXPECT(iw_store_write_run(store, 1, &t, &prov, &err) == -1 && strstr(err.message, "epochs"),
           "a trajectory of another length is refused: %s", err.message);
    t.epochs = spec.train.epochs;
    EXPECT(iw_store_close(store, &err) == 0, "%s", err.message);

    store = NULL;
    EXPECT(iw_store_open(MPI_COMM_WORLD, path, &spec, &info, &store, &created, &err) == 0, "%s", err.message);
    if (store) {
        EXPECT(created == 0, "reopening resumes, does not create");
        EXPECT(iw_store_read_status(store, status, attempt, &err) == 0, "%s", err.message);
        int others_pending = 1;
        for (int64_t r = 0; r < R; r++)
            if (r != 3 && r != 7 && r != 9) others_pending &= status[r] == 0;
        EXPECT(status[3] == 1 && status[7] == 2 && status[9] == 3, "statuses %d %d %d", status[3], status[7], status[9]);
        EXPECT(attempt[3] == 1 && attempt[7] == 2 && attempt[9] == 2, "attempts %d %d %d", attempt[3], attempt[7], attempt[9]);
        EXPECT(others_pending, "runs never written stay pending");
        int E = spec.train.epochs, same = 1, nan_after = 1, pending_nan = 1;
        EXPECT(iw_store_read_run(store, 3, &back, &err) == 0 && back.status == 1, "%s", err.message);
        for (int m = 0; m < IW_METRIC_COUNT; m++)
            for (int e = 0; e <= E; e++) same &= back.metrics[m * (E + 1) + e] == fixture_metric(3, m, e, 1);
        EXPECT(same, "run 3's metrics read back equal");
        EXPECT(iw_store_read_run(store, 7, &back, &err) == 0 && back.status == 2, "%s", err.message);
        for (int m = 0; m < IW_METRIC_COUNT; m++)
            for (int e = 0; e <= E; e++) {
                float v = back.metrics[m * (E + 1) + e];
                if (e < FIXTURE_DIVERGED_EPOCH) same &= v == fixture_metric(7, m, e, 2);
                else nan_after &= isnan(v);
            }
        EXPECT(same && nan_after, "the diverged run reads back, NaN from its divergence on");
        EXPECT(iw_store_read_run(store, 5, &back, &err) == 0 && back.status == 0, "%s", err.message);
        for (int i = 0; i < IW_METRIC_COUNT * (E + 1); i++) pending_nan &= isnan(back.metrics[i]);
        EXPECT(pending_nan, "a pending run's metrics are NaN");
        EXPECT(iw_store_close(store, &err) == 0, "%s", err.message);
        iw_store_reader *rd = NULL;
        EXPECT(iw_store_reader_open(path, &rd, &err) == 0, "%s", err.message);
        if (rd) {
            EXPECT(strcmp(rd->host[3], "iwnode2") == 0, "/runs/host of run 3: '%s'", rd->host[3]);
            EXPECT(strlen(rd->host[7]) == IW_STORE_HOST_LEN && strncmp(rd->host[7], long_host, IW_STORE_HOST_LEN) == 0,
                   "a long host name is kept to %d bytes: '%s'", IW_STORE_HOST_LEN, rd->host[7]);
            EXPECT(strcmp(rd->host[9], "n??de?1") == 0, "non-ASCII bytes become '?': '%s'", rd->host[9]);
            EXPECT(rd->host[5][0] == '\0', "a pending run has no host: '%s'", rd->host[5]);
            iw_store_reader_close(rd);
        }
    }
    fixture_traj_free(&t);
    fixture_traj_free(&back);
}

/* A store whose /spec parses to another sweep is refused with the keys that differ; the advice
 * keeps a store that holds finished runs (runs 3 and 7 are done / diverged here). */
static void test_refuse_other_sweep(void)
{
    iw_spec spec, other;
    char path[512], text[sizeof fixture_text];
    path_in_dir(path, sizeof path, "resume.h5");
    fixture_spec(&spec, 0, 'f'); /* the stored text with epochs 6: one key differs */
    const char *at = strstr(fixture_text, "epochs: 5");
    EXPECT(at != NULL, "fixture text has epochs: 5");
    if (!at) return;
    snprintf(text, sizeof text, "%.*sepochs: 6%s", (int)(at - fixture_text), fixture_text, at + strlen("epochs: 5"));
    iw_error err = {""};
    EXPECT(iw_spec_parse(text, strlen(text), "other.yaml", &other, &err) == 0, "%s", err.message);
    expect_refused(path, &other, "was made from a different sweep: 1 key differs (stored vs other.yaml):\n"
                   "  train.epochs: stored 5, file 6\n",
                   "use another -o path (this store holds 2 finished runs: keep it)");
    iw_spec_free(&other);
    fixture_spec(&spec, 0, 'a'); /* same sha, other epochs */
    spec.train.epochs = 7;
    expect_refused(path, &spec, "7 epochs", "use another -o path (this store holds 2 finished runs: keep it)");
}

static void test_lock(void)
{
    char path[512], lock_file[600], who[320], host[256] = "";
    path_in_dir(path, sizeof path, "locked.h5");
    snprintf(lock_file, sizeof lock_file, "%s.lock", path);
    gethostname(host, sizeof host - 1);
    snprintf(who, sizeof who, "store in use by host %s pid %ld", host, (long)getpid());
    iw_error err = {""};
    iw_lock first, second;
    EXPECT(iw_store_lock(path, &first, &err) == 0, "first lock: %s", err.message);
    EXPECT(exists(lock_file), "the lock file exists while held");
    EXPECT(iw_store_lock(path, &second, &err) == -1, "a second lock is refused");
    EXPECT(strstr(err.message, who) && strstr(err.message, path), "message names host, pid and store: %s", err.message);
    iw_store_unlock(&first);
    EXPECT(!exists(lock_file), "unlock removes the lock file");
    EXPECT(iw_store_lock(path, &first, &err) == 0, "the lock can be taken again after unlock: %s", err.message);
    iw_store_unlock(&first);
}

static void test_leftover_creating(void)
{
    iw_spec spec;
    fixture_spec(&spec, 0, 'a');
    char path[512], creating[600];
    path_in_dir(path, sizeof path, "killed.h5");
    snprintf(creating, sizeof creating, "%s.creating", path);
    write_file(creating, "\x89HDF\r\n\x1a\n half a store", 21); /* as a kill during creation leaves it */
    iw_error err = {""};
    iw_store *store = NULL;
    int created = 0;
    EXPECT(iw_store_open(MPI_COMM_WORLD, path, &spec, NULL, &store, &created, &err) == 0, "%s", err.message);
    EXPECT(created == 1, "the store is created anew");
    EXPECT(store && strstr(iw_store_notice(store), ".creating") && strstr(iw_store_notice(store), "no results"),
           "the notice says what was removed: %s", store ? iw_store_notice(store) : "");
    EXPECT(!exists(creating) && exists(path), "the leftover is gone, the store exists");
    if (store) EXPECT(iw_store_close(store, &err) == 0, "%s", err.message);
}

static void test_refuse_unusable_file(void)
{
    iw_spec spec;
    fixture_spec(&spec, 0, 'a');
    char path[512], good[512];
    path_in_dir(path, sizeof path, "notes.h5");
    write_file(path, "my thesis notes\n", 16);
    expect_refused(path, &spec, "is not an HDF5 file", "move it away or use another -o path");

    /* a store cut short (e.g. by a full disk while copying it) */
    path_in_dir(good, sizeof good, "resume.h5");
    size_t n = 0;
    char *bytes = slurp(good, &n);
    path_in_dir(path, sizeof path, "cut.h5");
    if (bytes) write_file(path, bytes, n > 3000 ? 3000 : n / 2);
    free(bytes);
    expect_refused(path, &spec, "cut.h5", "move it away or use another -o path");

    path_in_dir(path, sizeof path, "no-such-folder/x.h5");
    iw_store *store = NULL;
    iw_error err = {""};
    EXPECT(iw_store_open(MPI_COMM_WORLD, path, &spec, NULL, &store, NULL, &err) == -1 &&
               strstr(err.message, "does not exist"),
           "a missing folder is named: %s", err.message);
}

static void test_boundary_roundtrip(void)
{
    iw_spec spec;
    fixture_spec(&spec, 1, 'b');
    char path[512];
    path_in_dir(path, sizeof path, "boundary.h5");
    iw_error err = {""};
    iw_store *store = NULL;
    EXPECT(iw_store_open(MPI_COMM_WORLD, path, &spec, NULL, &store, NULL, &err) == 0, "%s", err.message);
    if (!store) return;
    iw_trajectory t, back;
    fixture_traj_alloc(&t, &spec);
    fixture_traj_alloc(&back, &spec);
    iw_run_provenance prov = {1, 1, 0, 1, 0, 0, NULL};
    fixture_traj_fill(&t, 11, IW_STATUS_DONE);
    EXPECT(iw_store_write_run(store, 11, &t, &prov, &err) == 0, "%s", err.message);
    EXPECT(iw_store_read_run(store, 11, &back, &err) == 0, "%s", err.message);
    int n = t.n_boundary * t.grid * t.grid, same = 1;
    for (int i = 0; i < n; i++) same &= back.boundary[i] == t.boundary[i];
    EXPECT(same && n == 2 * 8 * 8, "the boundary reads back equal (%d values)", n);
    EXPECT(iw_store_read_run(store, 12, &back, &err) == 0 && isnan(back.boundary[0]) && isnan(back.boundary[n - 1]),
           "a pending run's boundary is NaN");
    t.grid = 4;
    EXPECT(iw_store_write_run(store, 12, &t, &prov, &err) == -1 && strstr(err.message, "boundary"),
           "a boundary of another size is refused: %s", err.message);
    EXPECT(iw_store_close(store, &err) == 0, "%s", err.message);
    fixture_traj_free(&t);
    fixture_traj_free(&back);
}

static int write_checker_store(const char *path)
{
    iw_spec spec;
    fixture_spec(&spec, 1, 'c');
    iw_error err = {""};
    iw_store *store = NULL;
    iw_store_info info = {IW_VERSION, "Haswell", "Open MPI (test)"};
    unlink(path);
    if (iw_store_open(MPI_COMM_WORLD, path, &spec, &info, &store, NULL, &err) < 0 ||
        fixture_write_pattern(store, &spec, 0, 1, &err) < 0 || iw_store_close(store, &err) < 0) {
        fprintf(stderr, "test_store: %s\n", err.message);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    snprintf(dir, sizeof dir, "/tmp/iw-test-store.XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        MPI_Finalize();
        return 1;
    }
    RUN_TEST(test_create_write_resume);
    RUN_TEST(test_refuse_other_sweep);
    RUN_TEST(test_lock);
    RUN_TEST(test_leftover_creating);
    RUN_TEST(test_refuse_unusable_file);
    RUN_TEST(test_boundary_roundtrip);
    int rc = test_exit_code();
    const char *out = getenv("IW_STORE_OUT");
    if (out && write_checker_store(out) != 0) rc = 1;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    MPI_Finalize();
    return rc;
}
