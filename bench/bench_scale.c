/* bench_scale.c — the store and the scheduler at cluster scale (issue 12, item 3). Prints figures;
 * asserts nothing. Every figure is labelled with the CPU model, the OpenBLAS kernel and the
 * thread count; times are best-of-N where they are repeated, and process CPU time is shown next
 * to wall time (the machine is shared: wall time measures the load as much as the code).
 *
 *   build/bench/bench_scale [FOLDER]      (FOLDER for the big files, default a mktemp folder in /tmp)
 *
 * Parts (IW_BENCH_SCALE_PARTS, default "sched create write open"):
 *   sched   scheduler throughput: rank 0 hands out near-empty runs to 31, 63 and 127 workers
 *           (IW_BENCH_SCALE_RANKS, default "32 64 128", oversubscribed under mpirun): runs handed out
 *           and recorded per second, and rank 0's CPU share; once with empty runs, once with each
 *           run writing its row (10 epochs) into a real store (iw_store_write_run).
 *   create  store creation for 100,000 runs x 1,000 epochs (IW_BENCH_SCALE_RUNS / _EPOCHS): the
 *           store as iwsweep makes it (iw_store_open: contiguous, allocated early, filled with NaN),
 *           time and file size; then the /metrics part alone in other layouts made with HDF5
 *           directly: chunked (64 runs x E+1 per chunk) filled early, chunked allocated on first
 *           write, contiguous never filled (sparse); and whether independent parallel writers
 *           (2 ranks, MPI-IO) can write into the chunked-on-first-write layout at all.
 *   write   the time to store one run's results (iw_store_write_run: IW_METRIC_COUNT metric rows,
 *           provenance, status) for E = 100 and 1,000 epochs; then, per run kind (2-D MLP, the interruption
 *           tests' MLP, the default Fashion-MNIST MLP, a small CNN), one real run timed and its
 *           trajectory written 200 times: the store's share of the run. Run from the repository
 *           (the sweep files are found relative to it; bench/run_bench.sh does).
 *   open    opening a store on 32 and 128 ranks with and without HDF5's collective metadata
 *           options (H5Pset_all_coll_metadata_ops, H5Pset_coll_metadata_write on the file access
 *           list), best of 3.
 * Sub-modes run under mpirun by the driver: "sched N_RUNS STORE|-", "open STORE COLL", "pchunk FILE".
 */
#include <errno.h>
#include <hdf5.h>
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iw/engine.h"
#include "iw/mpi_util.h"
#include "iw/run.h"
#include "iw/sched.h"
#include "iw/spec.h"
#include "iw/store.h"

static char cpu_model[128] = "?";
static const char *kernel = "?";

static void read_cpu_model(void)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[256];
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "model name", 10) == 0) {
            char *p = strchr(line, ':');
            if (p) snprintf(cpu_model, sizeof cpu_model, "%s", p + 2);
            cpu_model[strcspn(cpu_model, "\n")] = '\0';
            break;
        }
    if (f) fclose(f);
}

/* A sweep file with `runs` runs (seeds 0..runs-1) and `epochs` epochs; returns 0 or -1. */
static int make_spec(int64_t runs, int epochs, iw_spec *spec)
{
    size_t cap = 512 + 12 * (size_t)runs;
    char *text = malloc(cap);
    if (!text) return -1;
    size_t k = (size_t)snprintf(text, cap,
                                "name: bench-scale\ndata:\n  source: synthetic2d\n  train_per_class: 10\n  test_per_class: 10\n"
                                "model:\n  kind: linear\ntrain:\n  epochs: %d\n  batch_size: 16\n  lr: 0.1\ngrid:\n  seed: [",
                                epochs);
    /* an axis holds at most 4096 values: above that, seeds x l2 values (runs must be a multiple of 1000) */
    int64_t seeds = runs <= 4096 ? runs : 1000, l2s = runs <= 4096 ? 1 : runs / 1000;
    for (int64_t r = 0; r < seeds; r++) k += (size_t)snprintf(text + k, cap - k, "%s%lld", r ? ", " : "", (long long)r);
    k += (size_t)snprintf(text + k, cap - k, "]\n  l2: [");
    for (int64_t r = 0; r < l2s; r++) k += (size_t)snprintf(text + k, cap - k, "%s%g", r ? ", " : "", 1e-6 * (double)r);
    snprintf(text + k, cap - k, "]\n");
    iw_error err = {{0}};
    memset(spec, 0, sizeof *spec);
    int rc = iw_spec_parse(text, strlen(text), "bench-scale.yaml", spec, &err);
    if (rc) fprintf(stderr, "bench_scale: %s\n", err.message);
    free(text);
    return rc;
}

/* ---- sched: under mpirun ---- */
typedef struct sched_ctx {
    iw_store *store;
    iw_trajectory traj;
    char host[64];
    int rank;
} sched_ctx;

static int near_empty_run(int64_t run, void *arg, iw_sched_outcome *o, iw_error *err)
{
    sched_ctx *c = arg;
    o->status = IW_STATUS_DONE;
    o->wall_seconds = o->cpu_seconds = 0;
    if (!c->store) return 0;
    c->traj.status = IW_STATUS_DONE;
    iw_run_provenance prov = {0, 0, c->rank, 1, 0, 0, c->host};
    return iw_store_write_run(c->store, run, &c->traj, &prov, err);
}

static int mode_sched(int64_t runs, const char *store_path)
{
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    iw_spec spec;
    if (make_spec(runs, 10, &spec)) return 1;
    sched_ctx c = {.rank = rank};
    gethostname(c.host, sizeof c.host - 1);
    iw_error err = {{0}};
    double open_s = 0;
    if (strcmp(store_path, "-") != 0) {
        double t0 = MPI_Wtime();
        if (iw_store_open(MPI_COMM_WORLD, store_path, &spec, NULL, &c.store, NULL, &err) != 0 ||
            iw_trajectory_alloc(&c.traj, &spec, &err) != 0) {
            fprintf(stderr, "bench_scale: rank %d: %s\n", rank, err.message);
            return 1;
        }
        for (int i = 0; i < IW_METRIC_COUNT * (spec.train.epochs + 1); i++) c.traj.metrics[i] = 0.5f;
        open_s = MPI_Wtime() - t0;
    }
    int64_t *todo = malloc(sizeof(int64_t) * (size_t)runs);
    for (int64_t r = 0; r < runs; r++) todo[r] = r;
    volatile sig_atomic_t stop = 0;
    iw_sched_config cfg = {.todo = todo, .n_todo = runs, .n_total = runs, .run = near_empty_run, .ctx = &c, .stop = &stop};
    iw_sched_summary sum;
    iw_mpi_barrier(MPI_COMM_WORLD, NULL);
    double cpu0 = iw_cpu_seconds();
    int rc = iw_sched_execute(MPI_COMM_WORLD, &cfg, &sum, &err);
    double cpu = iw_cpu_seconds() - cpu0;
    if (rc) fprintf(stderr, "bench_scale: rank %d: %s\n", rank, err.message);
    if (rank == 0)
        printf("sched %d ranks (%d workers), %s: %lld runs in %.2f s wall = %.0f runs/s; rank 0 CPU %.2f s = %.1f%% of a core%s\n",
               size, size - 1, c.store ? "each run writes its row (10 epochs) into the store" : "empty runs",
               (long long)sum.done, sum.wall_seconds, (double)sum.done / sum.wall_seconds, cpu,
               100.0 * cpu / sum.wall_seconds, c.store ? "" : "");
    if (rank == 0 && c.store) printf("  store open on %d ranks: %.2f s\n", size, open_s);
    if (c.store) {
        iw_trajectory_free(&c.traj);
        iw_store_close(c.store, &err);
    }
    free(todo);
    iw_spec_free(&spec);
    return rc ? 1 : 0;
}

/* ---- open: under mpirun; the parallel open of iwsweep's store (store.c open_parallel) done
 * with HDF5 directly, with or without the collective metadata options ---- */
static int mode_open(const char *path, int coll)
{
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    static const char *const names[] = {"/runs/status", "/runs/wall_seconds", "/runs/cpu_seconds", "/runs/worker_rank",
                                        "/runs/attempt", "/runs/slurm_job_id", "/runs/slurm_restart_count", "/runs/host",
                                        "/metrics/train_loss", "/metrics/train_acc", "/metrics/train_frac_positive",
                                        "/metrics/test_acc", "/metrics/test_frac_positive", "/metrics/other_frac_positive",
                                        "/metrics/noise_frac_positive", "/metrics/weight_norm"};
    double best = 1e30, best_close = 1e30;
    for (int rep = 0; rep < 3; rep++) {
        iw_mpi_barrier(MPI_COMM_WORLD, NULL);
        double t0 = MPI_Wtime();
        hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
        H5Pset_fapl_mpio(fapl, MPI_COMM_WORLD, MPI_INFO_NULL);
        if (coll) {
            H5Pset_all_coll_metadata_ops(fapl, 1);
            H5Pset_coll_metadata_write(fapl, 1);
        }
        hid_t file = H5Fopen(path, H5F_ACC_RDWR, fapl);
        H5Pclose(fapl);
        if (file < 0) return 1;
        hid_t d[16];
        for (int i = 0; i < 16; i++) d[i] = H5Dopen2(file, names[i], H5P_DEFAULT);
        iw_mpi_barrier(MPI_COMM_WORLD, NULL);
        double t1 = MPI_Wtime();
        for (int i = 0; i < 16; i++)
            if (d[i] >= 0) H5Dclose(d[i]);
        H5Fclose(file);
        iw_mpi_barrier(MPI_COMM_WORLD, NULL);
        double t2 = MPI_Wtime();
        if (t1 - t0 < best) best = t1 - t0;
        if (t2 - t1 < best_close) best_close = t2 - t1;
    }
    if (rank == 0)
        printf("open %d ranks, collective metadata %s: open + 16 dataset opens %.3f s, close %.3f s (best of 3)\n", size,
               coll ? "on " : "off", best, best_close);
    return 0;
}

/* ---- pchunk: under mpirun -np 2: independent writes into a chunked dataset allocated on first
 * write (the store's writers write independently) ---- */
static int mode_pchunk(const char *path)
{
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_fapl_mpio(fapl, MPI_COMM_WORLD, MPI_INFO_NULL);
    hid_t file = H5Fopen(path, H5F_ACC_RDWR, fapl);
    H5Pclose(fapl);
    hid_t d = file >= 0 ? H5Dopen2(file, "/metrics/m0", H5P_DEFAULT) : -1;
    hid_t fs = d >= 0 ? H5Dget_space(d) : -1;
    hsize_t dims[2] = {0, 0};
    if (fs >= 0) H5Sget_simple_extent_dims(fs, dims, NULL);
    hsize_t start[2] = {(hsize_t)rank * 1000, 0}, count[2] = {1, dims[1]};
    float *row = calloc(dims[1] ? dims[1] : 1, sizeof *row);
    hid_t ms = H5Screate_simple(2, count, NULL);
    int ok = fs >= 0 && H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL) >= 0 &&
             H5Dwrite(d, H5T_NATIVE_FLOAT, ms, fs, H5P_DEFAULT, row) >= 0;
    int all_ok = ok;
    iw_mpi_allreduce_int(MPI_COMM_WORLD, &all_ok, 1, MPI_MIN, NULL);
    if (file >= 0) H5Fflush(file, H5F_SCOPE_GLOBAL);
    struct stat st;
    double mib = stat(path, &st) == 0 ? (double)st.st_blocks * 512.0 / 1048576.0 : -1;
    if (rank == 0)
        printf("  chunked, allocated on first write, then opened by 2 ranks (MPI-IO), one row written by each: %s; "
               "%.0f MiB on disk after the parallel open (parallel HDF5 allocates every chunk of a dataset it opens for writing: here the one dataset opened)\n",
               all_ok ? "works" : "refused by HDF5", mib);
    H5Sclose(ms);
    free(row);
    if (fs >= 0) H5Sclose(fs);
    if (d >= 0) H5Dclose(d);
    if (file >= 0) H5Fclose(file);
    return 0;
}

/* ---- driver (not under mpirun) ---- */

static int run_under_mpirun(const char *self, int ranks, const char *args)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "mpirun --oversubscribe -np %d %s %s 2>&1", ranks, self, args);
    fflush(stdout);
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    char line[1024];
    while (fgets(line, sizeof line, p)) fputs(line, stdout);
    fflush(stdout);
    return pclose(p);
}

static double file_mib(const char *path, double *allocated_mib)
{
    struct stat st;
    if (stat(path, &st) != 0) return -1;
    *allocated_mib = (double)st.st_blocks * 512.0 / 1048576.0;
    return (double)st.st_size / 1048576.0;
}

/* The /metrics part of a store (IW_METRIC_COUNT float32 datasets [R, E+1]) in one layout; returns seconds. */
static double create_metrics_file(const char *path, int64_t runs, int epochs, int chunked, H5D_alloc_time_t alloc,
                                  H5D_fill_time_t fill_time)
{
    double t0 = iw_wall_seconds();
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_file_locking(fapl, 0, 1);
    hid_t file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    H5Pclose(fapl);
    if (file < 0) return -1;
    hid_t g = H5Gcreate2(file, "/metrics", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t dims[2] = {(hsize_t)runs, (hsize_t)epochs + 1}, chunk[2] = {64, (hsize_t)epochs + 1};
    const float nan = (float)NAN;
    for (int m = 0; m < IW_METRIC_COUNT; m++) {
        hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
        if (chunked) H5Pset_chunk(dcpl, 2, chunk);
        else H5Pset_layout(dcpl, H5D_CONTIGUOUS);
        H5Pset_alloc_time(dcpl, alloc);
        H5Pset_fill_time(dcpl, fill_time);
        H5Pset_fill_value(dcpl, H5T_NATIVE_FLOAT, &nan);
        hid_t space = H5Screate_simple(2, dims, NULL);
        char name[32];
        snprintf(name, sizeof name, "/metrics/m%d", m);
        hid_t d = H5Dcreate2(file, name, H5T_IEEE_F32LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
        if (d >= 0) H5Dclose(d);
        H5Sclose(space);
        H5Pclose(dcpl);
    }
    H5Gclose(g);
    H5Fclose(file);
    return iw_wall_seconds() - t0;
}

static void part_create(const char *dir)
{
    int64_t runs = getenv("IW_BENCH_SCALE_RUNS") ? atoll(getenv("IW_BENCH_SCALE_RUNS")) : 100000;
    int epochs = getenv("IW_BENCH_SCALE_EPOCHS") ? atoi(getenv("IW_BENCH_SCALE_EPOCHS")) : 1000;
    printf("== create: a store of %lld runs x %d epochs (/metrics alone: %.1f GiB of float32)\n", (long long)runs, epochs,
           (double)IW_METRIC_COUNT * (double)runs * (epochs + 1) * 4 / 1073741824.0);
    iw_spec spec;
    if (make_spec(runs, epochs, &spec)) return;
    char path[1024];
    snprintf(path, sizeof path, "%s/store.h5", dir);
    iw_error err = {{0}};
    iw_store *store = NULL;
    double t0 = iw_wall_seconds(), c0 = iw_cpu_seconds();
    int rc = iw_store_open(MPI_COMM_SELF, path, &spec, NULL, &store, NULL, &err);
    double t = iw_wall_seconds() - t0, c = iw_cpu_seconds() - c0;
    if (rc == 0) iw_store_close(store, &err);
    double alloc = 0, size = rc == 0 ? file_mib(path, &alloc) : -1;
    if (rc) printf("  iwsweep's store: %s\n", err.message);
    else
        printf("  iwsweep's store (contiguous, allocated early, NaN fill, fsync): %.1f s wall, %.1f s CPU; file %.0f MiB, %.0f MiB on disk\n",
               t, c, size, alloc);
    unlink(path);
    struct { const char *label; int chunked; H5D_alloc_time_t alloc; H5D_fill_time_t fill; } layouts[] = {
        {"contiguous, early, NaN fill (as iwsweep)", 0, H5D_ALLOC_TIME_EARLY, H5D_FILL_TIME_ALLOC},
        {"chunked 64 runs, early, NaN fill", 1, H5D_ALLOC_TIME_EARLY, H5D_FILL_TIME_ALLOC},
        {"chunked 64 runs, allocated on first write", 1, H5D_ALLOC_TIME_INCR, H5D_FILL_TIME_IFSET},
        {"contiguous, early, never filled (sparse)", 0, H5D_ALLOC_TIME_EARLY, H5D_FILL_TIME_NEVER},
    };
    for (size_t i = 0; i < sizeof layouts / sizeof *layouts; i++) {
        char p[1100];
        snprintf(p, sizeof p, "%s/layout%zu.h5", dir, i);
        double s = create_metrics_file(p, runs, epochs, layouts[i].chunked, layouts[i].alloc, layouts[i].fill);
        double a = 0, sz = file_mib(p, &a);
        printf("  /metrics only, %-44s %6.1f s; file %.0f MiB, %.0f MiB on disk\n", layouts[i].label, s, sz, a);
        if (i != 2) unlink(p); /* the driver tries parallel writes into this one, then removes it */
    }
    iw_spec_free(&spec);
}

/* One real run of a sweep file's first grid point (run 0), then its trajectory written into a
 * store of that sweep 200 times: the store's share of the run's time. */
static void write_fraction(const char *dir, const char *sweep_file)
{
    iw_spec spec;
    iw_error err = {{0}};
    iw_data data;
    iw_trajectory t;
    memset(&data, 0, sizeof data);
    if (iw_spec_load(sweep_file, &spec, &err) != 0 || iw_data_load(&spec.data, &data, &err) != 0 ||
        iw_trajectory_alloc(&t, &spec, &err) != 0) {
        printf("  %s: %s\n", sweep_file, err.message);
        return;
    }
    iw_point point;
    iw_spec_point(&spec, 0, &point);
    iw_run_hooks hooks = {0};
    if (iw_run_execute(&spec, &data, &point, &hooks, &t, &err) != 0) {
        printf("  %s: %s\n", sweep_file, err.message);
        return;
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/fraction.h5", dir);
    iw_store *store = NULL;
    int64_t R = iw_spec_run_count(&spec), n = R < 200 ? R : 200;
    if (iw_store_open(MPI_COMM_SELF, path, &spec, NULL, &store, NULL, &err) != 0) {
        printf("  %s: %s\n", sweep_file, err.message);
        return;
    }
    iw_run_provenance prov = {t.wall_seconds, t.cpu_seconds, 0, 1, 0, 0, "node"};
    double t0 = iw_wall_seconds();
    for (int64_t r = 0; r < n; r++) iw_store_write_run(store, r, &t, &prov, &err);
    double write = (iw_wall_seconds() - t0) / (double)n;
    iw_store_close(store, &err);
    unlink(path);
    printf("  %-34s %-14s E=%4d: run %8.3f s wall (%.3f s CPU); store write %.3f ms = %.2g of the run\n", sweep_file,
           spec.model.kind == IW_MODEL_CNN ? "cnn" : spec.model.kind == IW_MODEL_MLP ? "mlp" : "other", spec.train.epochs,
           t.wall_seconds, t.cpu_seconds, 1e3 * write, write / t.wall_seconds);
    iw_trajectory_free(&t);
    iw_data_free(&data);
    iw_spec_free(&spec);
}

/* Best-of time to write one run (iw_store_write_run) into a store of `runs` x `epochs`, 1 rank. */
static void part_write(const char *dir)
{
    printf("== write: storing one run's results (%d metric rows of E+1 floats, provenance, status), 1 rank, MPI-IO\n",
           IW_METRIC_COUNT);
    const int epochs_list[2] = {100, 1000};
    for (int k = 0; k < 2; k++) {
        int epochs = epochs_list[k];
        iw_spec spec;
        if (make_spec(2000, epochs, &spec)) return;
        char path[1024];
        snprintf(path, sizeof path, "%s/write.h5", dir);
        iw_error err = {{0}};
        iw_store *store = NULL;
        iw_trajectory t;
        if (iw_store_open(MPI_COMM_SELF, path, &spec, NULL, &store, NULL, &err) || iw_trajectory_alloc(&t, &spec, &err)) {
            printf("  %s\n", err.message);
            return;
        }
        for (int i = 0; i < IW_METRIC_COUNT * (epochs + 1); i++) t.metrics[i] = 0.25f;
        t.status = IW_STATUS_DONE;
        iw_run_provenance prov = {1, 1, 0, 1, 0, 0, "node"};
        double best = 1e30, sum = 0;
        const int n = 1000;
        for (int r = 0; r < n; r++) {
            double t0 = iw_wall_seconds();
            iw_store_write_run(store, r, &t, &prov, &err);
            double dt = iw_wall_seconds() - t0;
            sum += dt;
            if (dt < best) best = dt;
        }
        printf("  E = %4d: %.3f ms per run (mean of %d), best %.3f ms\n", epochs, 1e3 * sum / n, n, 1e3 * best);
        iw_trajectory_free(&t);
        iw_store_close(store, &err);
        unlink(path);
        iw_spec_free(&spec);
    }
    printf("== write: the store's share of a run, per run kind (one real run of each sweep's run 0; the paper's\n"
           "   CIFAR-10 CNN runs take hours: bench_paper_cost)\n");
    static const char *const kinds[] = {"tests/sweeps/ranks2d.yaml", "tests/sweeps/resume2d.yaml", "sweeps/default.yaml",
                                        "tests/sweeps/cnn_tiny.yaml"};
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) write_fraction(dir, kinds[k]);
}

/* Makes a store of `runs` x `epochs` at path (serially, as iwsweep's rank 0 does). */
static int mode_mkstore(const char *path, int64_t runs, int epochs)
{
    iw_spec spec;
    iw_error err = {{0}};
    iw_store *store = NULL;
    if (make_spec(runs, epochs, &spec)) return 1;
    int rc = iw_store_open(MPI_COMM_SELF, path, &spec, NULL, &store, NULL, &err);
    if (rc == 0) rc = iw_store_close(store, &err);
    if (rc) fprintf(stderr, "bench_scale: %s\n", err.message);
    iw_spec_free(&spec);
    return rc ? 1 : 0;
}

/* The driver: no MPI itself (an MPI process starting mpirun is fragile); every part runs under
 * mpirun as a sub-mode of this binary. */
static int driver(int argc, char **argv)
{
    read_cpu_model();
    char dir[1024];
    if (argc > 1) snprintf(dir, sizeof dir, "%s", argv[1]);
    else {
        snprintf(dir, sizeof dir, "/tmp/iwbench-scale.XXXXXX");
        if (!mkdtemp(dir)) {
            fprintf(stderr, "bench_scale: mkdtemp: %s\n", strerror(errno));
            return 1;
        }
    }
    if (geteuid() == 0) {
        setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 0);
        setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 0);
    }
    setenv("OMPI_MCA_btl_vader_single_copy_mechanism", "none", 0);
    setenv("HDF5_USE_FILE_LOCKING", "FALSE", 0);
    setenv("OPENBLAS_NUM_THREADS", "1", 0);
    printf("bench_scale: CPU %s, %ld cores; OpenBLAS kernel %s, 1 thread per rank; %s\n", cpu_model,
           sysconf(_SC_NPROCESSORS_ONLN), kernel, H5_VERS_INFO);
    const char *parts = getenv("IW_BENCH_SCALE_PARTS") ? getenv("IW_BENCH_SCALE_PARTS") : "sched create write open";
    const char *ranks = getenv("IW_BENCH_SCALE_RANKS") ? getenv("IW_BENCH_SCALE_RANKS") : "32 64 128";
    char self[1024], args[1200], path[1100], list[256];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = '\0';
    if (strstr(parts, "sched")) {
        printf("== sched: 20,000 near-empty runs, ranks oversubscribed on %ld cores (wall-clock figures: other load counts)\n",
               sysconf(_SC_NPROCESSORS_ONLN));
        snprintf(list, sizeof list, "%s", ranks);
        for (char *tok = strtok(list, " "); tok; tok = strtok(NULL, " ")) {
            run_under_mpirun(self, atoi(tok), "sched 20000 -");
            snprintf(path, sizeof path, "%s/sched.h5", dir);
            snprintf(args, sizeof args, "sched 20000 %s", path);
            run_under_mpirun(self, atoi(tok), args);
            unlink(path);
            snprintf(path, sizeof path, "%s/sched.h5.lock", dir);
            unlink(path);
        }
    }
    if (strstr(parts, "create")) {
        snprintf(args, sizeof args, "create %s", dir);
        run_under_mpirun(self, 1, args);
        snprintf(path, sizeof path, "%s/layout2.h5", dir);
        snprintf(args, sizeof args, "pchunk %s", path);
        run_under_mpirun(self, 2, args);
        unlink(path);
    }
    if (strstr(parts, "write")) {
        snprintf(args, sizeof args, "write %s", dir);
        run_under_mpirun(self, 1, args);
    }
    if (strstr(parts, "open")) {
        printf("== open: HDF5 collective metadata options on the parallel open of a 100,000-run store\n");
        snprintf(path, sizeof path, "%s/open.h5", dir);
        snprintf(args, sizeof args, "mkstore %s 100000 10", path);
        if (run_under_mpirun(self, 1, args) == 0) {
            snprintf(list, sizeof list, "%s", ranks);
            for (char *tok = strtok(list, " "); tok; tok = strtok(NULL, " "))
                for (int coll = 0; coll < 2; coll++) {
                    snprintf(args, sizeof args, "open %s %d", path, coll);
                    run_under_mpirun(self, atoi(tok), args);
                }
        }
        unlink(path);
    }
    if (argc <= 1) rmdir(dir);
    return 0;
}

int main(int argc, char **argv)
{
    static const char *const modes[] = {"sched", "open", "pchunk", "create", "write", "mkstore"};
    int is_mode = 0;
    for (size_t i = 0; argc > 1 && i < sizeof modes / sizeof *modes; i++) is_mode |= strcmp(argv[1], modes[i]) == 0;
    kernel = iw_engine_init_threads();
    if (!is_mode) return driver(argc, argv);
    MPI_Init(&argc, &argv);
    int rc = 1;
    if (strcmp(argv[1], "sched") == 0 && argc > 3) rc = mode_sched(atoll(argv[2]), argv[3]);
    else if (strcmp(argv[1], "open") == 0 && argc > 3) rc = mode_open(argv[2], atoi(argv[3]));
    else if (strcmp(argv[1], "pchunk") == 0 && argc > 2) rc = mode_pchunk(argv[2]);
    else if (strcmp(argv[1], "create") == 0 && argc > 2) { part_create(argv[2]); rc = 0; }
    else if (strcmp(argv[1], "write") == 0 && argc > 2) { part_write(argv[2]); rc = 0; }
    else if (strcmp(argv[1], "mkstore") == 0 && argc > 4) rc = mode_mkstore(argv[2], atoll(argv[3]), atoi(argv[4]));
    MPI_Finalize();
    return rc;
}
