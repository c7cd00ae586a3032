/* test_store_mpi.c — the store under several MPI ranks writing independently. Runs alone (1 rank,
 * as a unit test) or under mpirun -np N (tests/integration/store_mpi.sh runs it with 4 ranks).
 *
 *   (no IW_STORE_MODE)       each rank writes the runs r with r % N == rank (fixture pattern of
 *                            store_fixture.h, synthetic sweep with a boundary), the store is
 *                            closed and reopened, and every rank checks every run's status and
 *                            the rows another rank wrote. IW_STORE_PATH=P keeps the store at P.
 *   IW_STORE_MODE=loop       with IW_STORE_PATH=P: a 2,400-run sweep; each rank writes its runs
 *                            not yet done: rows, a pause of IW_STORE_SLEEP_MS (default 0), status; rank 0 prints
 *                            "written K" after its K-th run for K = 50 (the kill test waits for
 *                            it), then "finished". Rerunning it resumes the store.
 *   IW_STORE_MODE=create-big with IW_STORE_PATH=P: only creates a 94 MB store (slow enough to be
 *                            killed during creation), then closes it.
 * Rank 0 prints the store's notice (e.g. a removed "<store>.creating") as "notice: ...".
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "iw/mpi_util.h"
#include "iw/store.h"
#include "store_fixture.h"
#include "test.h"

static int rank, size;

/* Quiet barrier-like agreement: 1 when every rank passes ok = 1. */
static int all_ok(int ok)
{
    iw_mpi_allreduce_int(MPI_COMM_WORLD, &ok, 1, MPI_MIN, NULL);
    return ok;
}

static void report(const char *name)
{
    int ok = all_ok(!test_case_failed_);
    if (rank == 0) printf("%s - %s (%d ranks)\n", ok ? "ok" : "not ok", name, size);
    fflush(stdout);
    test_cases_failed_ += !ok;
    test_cases_run_++;
    test_case_failed_ = 0;
}

static int open_store(const char *path, const iw_spec *spec, iw_store **store, int *created)
{
    iw_error err = {""};
    iw_store_info info = {IW_VERSION, "test", "test"};
    if (iw_store_open(MPI_COMM_WORLD, path, spec, &info, store, created, &err) < 0) {
        if (rank == 0) fprintf(stderr, "test_store_mpi: %s\n", err.message);
        return -1;
    }
    if (rank == 0 && iw_store_notice(*store)[0]) printf("notice: %s\n", iw_store_notice(*store));
    fflush(stdout);
    return 0;
}

static void pattern(const char *path)
{
    iw_spec spec;
    fixture_spec(&spec, 1, 'm');
    int64_t R = fixture_runs(&spec);
    iw_store *store = NULL;
    iw_error err = {""};
    int created = 0;
    EXPECT(open_store(path, &spec, &store, &created) == 0, "store opens");
    if (all_ok(store != NULL)) {
        EXPECT(created == 1, "the store is new");
        EXPECT(fixture_write_pattern(store, &spec, rank, size, &err) == 0, "rank %d writes: %s", rank, err.message);
        EXPECT(iw_store_close(store, &err) == 0, "%s", err.message);
    }
    report("mpi_independent_writes");

    store = NULL;
    EXPECT(open_store(path, &spec, &store, &created) == 0, "store reopens");
    if (!all_ok(store != NULL)) {
        report("mpi_reopen_and_read");
        return;
    }
    EXPECT(created == 0, "reopening does not create");
    int8_t status[64];
    int32_t attempt[64];
    EXPECT(iw_store_read_status(store, status, attempt, &err) == 0, "%s", err.message);
    int statuses = 1, attempts = 1;
    for (int64_t r = 0; r < R; r++) {
        statuses &= status[r] == fixture_pattern_status(r);
        attempts &= attempt[r] == (fixture_pattern_status(r) == IW_STATUS_PENDING ? 0 : 1);
    }
    EXPECT(statuses && attempts, "rank %d sees every rank's statuses and attempts", rank);
    /* rows written by the next rank */
    iw_trajectory t, want;
    fixture_traj_alloc(&t, &spec);
    fixture_traj_alloc(&want, &spec);
    int same = 1;
    for (int64_t r = (rank + 1) % size; r < R; r += size) {
        int st = fixture_pattern_status(r);
        if (st != IW_STATUS_DONE && st != IW_STATUS_DIVERGED) continue;
        fixture_traj_fill(&want, r, st);
        EXPECT(iw_store_read_run(store, r, &t, &err) == 0, "%s", err.message);
        int E = spec.train.epochs;
        for (int i = 0; i < IW_METRIC_COUNT * (E + 1); i++)
            same &= t.metrics[i] == want.metrics[i] || (isnan(t.metrics[i]) && isnan(want.metrics[i]));
        for (int i = 0; i < want.n_boundary * want.grid * want.grid; i++) same &= t.boundary[i] == want.boundary[i];
    }
    EXPECT(same, "rank %d reads rank %d's rows back equal", rank, (rank + 1) % size);
    fixture_traj_free(&t);
    fixture_traj_free(&want);
    EXPECT(iw_store_close(store, &err) == 0, "%s", err.message);
    report("mpi_reopen_and_read");
}

static int loop(const char *path, int sleep_ms)
{
    iw_spec spec;
    fixture_spec_sized(&spec, 0, 'k', 200, 5);
    int64_t R = fixture_runs(&spec);
    iw_store *store = NULL;
    iw_error err = {""};
    if (open_store(path, &spec, &store, NULL) < 0) return 1;
    int8_t *status = malloc((size_t)R);
    iw_trajectory t;
    fixture_traj_alloc(&t, &spec);
    int rc = iw_store_read_status(store, status, NULL, &err);
    int written = 0;
    for (int64_t r = rank; r < R && rc == 0; r += size) {
        if (status[r] == IW_STATUS_DONE) continue;
        char host[48];
        snprintf(host, sizeof host, "fixture-host-%lld", (long long)r);
        iw_run_provenance prov = {r + 0.5, r + 0.25, rank, 1, 1000 + r, (int)(r % 3), host};
        /* rows first (status still pending), a pause, then the status: a kill often lands
         * between the two, as it would while a real run writes its boundary or provenance */
        fixture_traj_fill(&t, r, IW_STATUS_DONE);
        t.status = IW_STATUS_PENDING;
        rc = iw_store_write_run(store, r, &t, &prov, &err);
        if (sleep_ms > 0) nanosleep(&(struct timespec){sleep_ms / 1000, (sleep_ms % 1000) * 1000000L}, NULL);
        if (rc == 0) rc = iw_store_write_status(store, r, IW_STATUS_DONE, &prov, &err);
        if (++written == 50 && rank == 0) {
            printf("written %d\n", written);
            fflush(stdout);
        }
    }
    if (rc < 0) fprintf(stderr, "test_store_mpi rank %d: %s\n", rank, err.message);
    fixture_traj_free(&t);
    free(status);
    if (iw_store_close(store, &err) < 0) {
        fprintf(stderr, "test_store_mpi: %s\n", err.message);
        rc = -1;
    }
    if (rank == 0 && rc == 0) printf("finished\n");
    return rc == 0 ? 0 : 1;
}

static int create_big(const char *path)
{
    iw_spec spec;
    fixture_spec_sized(&spec, 0, 'g', 4000, 60); /* 48,000 runs x 61 epochs x 8 metrics: 94 MB */
    iw_store *store = NULL;
    iw_error err = {""};
    if (open_store(path, &spec, &store, NULL) < 0) return 1;
    return iw_store_close(store, &err) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    const char *mode = getenv("IW_STORE_MODE"), *keep = getenv("IW_STORE_PATH");
    int rc;
    if (mode && !keep) {
        if (rank == 0) fprintf(stderr, "test_store_mpi: IW_STORE_MODE=%s needs IW_STORE_PATH\n", mode);
        rc = 2;
    } else if (mode && strcmp(mode, "loop") == 0) {
        const char *ms = getenv("IW_STORE_SLEEP_MS");
        rc = loop(keep, ms ? atoi(ms) : 0);
    } else if (mode && strcmp(mode, "create-big") == 0) {
        rc = create_big(keep);
    } else if (mode) {
        if (rank == 0) fprintf(stderr, "test_store_mpi: unknown IW_STORE_MODE '%s'\n", mode);
        rc = 2;
    } else {
        char dir[64] = "/tmp/iw-test-store-mpi.XXXXXX", path[600];
        if (rank == 0 && !keep && !mkdtemp(dir)) dir[0] = '\0';
        MPI_Bcast(dir, sizeof dir, MPI_CHAR, 0, MPI_COMM_WORLD);
        snprintf(path, sizeof path, "%s/pattern.h5", dir);
        if (keep) snprintf(path, sizeof path, "%s", keep);
        if (rank == 0) unlink(path);
        pattern(path);
        rc = test_exit_code();
        if (rank == 0 && !keep) {
            unlink(path);
            rmdir(dir);
        }
    }
    MPI_Finalize();
    return rc;
}
