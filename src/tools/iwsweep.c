/* iwsweep.c — main() of the sweep command: one sweep file in, one HDF5 store out.
 *
 *   iwsweep [-o STORE] [--dry-run] [--retry-failed] SWEEP_FILE     (under mpirun / srun, or alone)
 *
 * Wiring (every step is collective unless it says rank 0; errors are agreed over all ranks, so a
 * bad input stops every rank cleanly, never with a hang or MPI_Abort):
 *   sweep file (rank 0 reads, all parse) -> output folder writable? (rank 0) -> lock (rank 0)
 *   -> store open/create -> status -> todo (not done, heaviest first) -> node-shared data
 *   -> scheduler: each worker trains a run (src/run) and writes it (src/store) -> close -> summary.
 *
 * Exit status: 0 every run of the grid is done or diverged; 1 error, or failed runs remain;
 * 2 bad command line, sweep file, output path, or a store that belongs to another sweep;
 * 3 interrupted by SIGTERM/SIGINT (the summary says how to resume).
 *
 * Test hook: IW_TEST_FAIL_RUN=<run>[,<run>...] makes those runs fail with "injected failure"
 * instead of training (tests/integration/sweep_failures.sh uses it to check that a failed run is
 * recorded as status 3 and the sweep goes on).
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <mpi.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iw/data.h"
#include "iw/engine.h"
#include "iw/node_data.h"
#include "iw/run.h"
#include "iw/sched.h"
#include "iw/spec.h"
#include "iw/store.h"

enum { EXIT_COMPLETE = 0, EXIT_ERROR = 1, EXIT_BAD_INPUT = 2, EXIT_INTERRUPTED = 3 };

static volatile sig_atomic_t stop_requested = 0;
static void on_signal(int sig) { (void)sig; stop_requested = 1; }

static const char usage[] =
    "usage: iwsweep [-o STORE] [--dry-run] [--retry-failed] SWEEP_FILE\n"
    "\n"
    "Runs every point of the sweep's grid and writes the trajectories into one HDF5 store.\n"
    "Start it under mpirun or srun: rank 0 schedules, every other rank trains one run at a time\n"
    "(with one rank, rank 0 trains everything itself). Re-running the same command resumes.\n"
    "\n"
    "  -o STORE        the store (default results/<name>.h5, name from the sweep file)\n"
    "  --dry-run       list the runs and check the output folder; train nothing, touch no store\n"
    "  --retry-failed  also rerun the runs recorded as failed (status 3)\n"
    "  -h, --help      this text\n"
    "\n"
    "SIGTERM, SIGINT or SIGUSR1: no more runs are handed out, runs in flight are abandoned (they continue\n"
    "from their checkpoint when the sweep enables train.checkpoint_every/checkpoint_minutes), the\n"
    "store is closed and the command to resume is printed.\n"
    "Exit status: 0 all runs done or diverged; 1 error or failed runs remain; 2 bad input;\n"
    "3 interrupted.\n";

typedef struct options {
    const char *store, *sweep;
    int dry_run, retry_failed, help;
} options;

static int parse_args(int argc, char **argv, options *o, iw_error *err)
{
    memset(o, 0, sizeof *o);
    int only_files = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!only_files && (!strcmp(a, "-h") || !strcmp(a, "--help"))) o->help = 1;
        else if (!only_files && !strcmp(a, "--dry-run")) o->dry_run = 1;
        else if (!only_files && !strcmp(a, "--retry-failed")) o->retry_failed = 1;
        else if (!only_files && !strcmp(a, "-o")) {
            if (i + 1 >= argc) return iw_error_set(err, "-o needs a store path");
            o->store = argv[++i];
        } else if (!only_files && !strcmp(a, "--")) only_files = 1;
        else if (!only_files && a[0] == '-' && a[1]) return iw_error_set(err, "unknown option '%s'", a);
        else if (o->sweep) return iw_error_set(err, "one sweep file expected, got '%s' and '%s'", o->sweep, a);
        else o->sweep = a;
    }
    if (!o->help && !o->sweep) return iw_error_set(err, "no sweep file given");
    return 0;
}

/* 1 on every rank when `ok` is 1 on every rank; waits without spinning. */
static int all_ok(int ok)
{
    int all = 0;
    MPI_Request req;
    MPI_Iallreduce(&ok, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD, &req);
    iw_mpi_wait_quietly(&req, MPI_STATUS_IGNORE);
    return all;
}

/* After a collective step: 1 when it succeeded on every rank. Otherwise the reason is printed
 * once (rank 0's message, or each failing rank's own when rank 0 succeeded) and 0 returned. */
static int agree(int rank, int ok, const iw_error *err)
{
    if (all_ok(ok)) return 1;
    int root_ok = ok;
    MPI_Bcast(&root_ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (!ok && rank == 0) fprintf(stderr, "iwsweep: %s\n", err->message);
    else if (!ok && root_ok) fprintf(stderr, "iwsweep: rank %d: %s\n", rank, err->message);
    return 0;
}

static int finish(int code)
{
    iw_mpi_barrier_quietly(MPI_COMM_WORLD); /* MPI_Finalize would spin while others finish */
    MPI_Finalize();
    return code;
}

/* Sweep file: rank 0 reads it, every rank parses the same bytes. */
static int load_spec(int rank, const char *path, iw_spec *spec, iw_error *err)
{
    int64_t len = -1;
    if (rank == 0 && iw_spec_load(path, spec, err) == 0) len = (int64_t)spec->text_len;
    MPI_Bcast(&len, 1, MPI_INT64_T, 0, MPI_COMM_WORLD);
    if (len < 0) return -1;
    if (rank == 0) {
        MPI_Bcast(spec->text, (int)len, MPI_CHAR, 0, MPI_COMM_WORLD);
        return all_ok(1) ? 0 : iw_error_set(err, "another rank could not parse %s", path);
    }
    char *text = malloc((size_t)len + 1);
    if (!text) return iw_error_set(err, "out of memory");
    MPI_Bcast(text, (int)len, MPI_CHAR, 0, MPI_COMM_WORLD);
    text[len] = '\0';
    int ok = iw_spec_parse(text, (size_t)len, path, spec, err) == 0;
    free(text);
    return all_ok(ok) ? 0 : -1;
}

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

/* Checks, before anything is written, that the store can be made at `path`: its folder exists
 * (made when `create`, else the nearest existing ancestor is checked) and a file can be created in
 * it (tried for real: root passes any permission test, a read-only file system does not). */
static int check_output(const char *path, int create, iw_error *err)
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

/* Shell-quoted command line that resumes this sweep (IW_RESUME_COMMAND from run_sweep.sh wins). */
static void resume_command(int argc, char **argv, int size, int add_retry, char *out, size_t n)
{
    const char *given = getenv("IW_RESUME_COMMAND");
    if (given && *given && !add_retry) {
        snprintf(out, n, "%s", given);
        return;
    }
    size_t k = 0;
    out[0] = '\0';
    if (size > 1)
        k += (size_t)snprintf(out + k, n - k, getenv("SLURM_JOB_ID") ? "srun --mpi=pmix " : "mpirun -np %d ", size);
    for (int i = 0; i < argc && k < n; i++) {
        const char *a = argv[i];
        int plain = a[0] != '\0' && strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=+,:@") == strlen(a);
        if (plain) k += (size_t)snprintf(out + k, n - k, "%s%s", i ? " " : "", a);
        else {
            k += (size_t)snprintf(out + k, n - k, "%s'", i ? " " : "");
            for (const char *p = a; *p && k < n; p++)
                k += (size_t)(*p == '\'' ? snprintf(out + k, n - k, "'\\''") : snprintf(out + k, n - k, "%c", *p));
            if (k < n) k += (size_t)snprintf(out + k, n - k, "'");
        }
        if (i == 0 && add_retry && k < n) k += (size_t)snprintf(out + k, n - k, " --retry-failed");
    }
}

/* Removes the checkpoints of runs already done or diverged (a kill between storing a run and
 * removing its checkpoint leaves one behind). Rank 0, before any run is handed out. */
static void remove_stale_checkpoints(const char *dir, const int8_t *status, int64_t R)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        long long run;
        char tail[8];
        if (sscanf(e->d_name, "run-%lld.%7s", &run, tail) != 2 || strcmp(tail, "ckpt") != 0) continue;
        if (run < 0 || run >= R || (status[run] != IW_STATUS_DONE && status[run] != IW_STATUS_DIVERGED)) continue;
        char path[4200 + sizeof e->d_name];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
}

/* What a worker needs to train and store one run. */
typedef struct sweep_ctx {
    const iw_spec *spec;
    const iw_data *data;
    iw_store *store;
    const int32_t *attempt;  /* [R] from the store at start */
    iw_trajectory traj;      /* reused by every run of this rank */
    const char *ckpt_dir;    /* NULL: checkpoints off */
    int rank;
    int64_t slurm_job_id;
    int slurm_restart_count;
    char host[256];          /* this rank's host name, recorded per run in /runs/host */
    const char *fail_runs;   /* IW_TEST_FAIL_RUN */
} sweep_ctx;

static int injected_failure(const char *list, int64_t run)
{
    for (const char *p = list; p && *p;) {
        char *end;
        long long v = strtoll(p, &end, 10);
        if (end == p) break;
        if (v == run) return 1;
        p = *end == ',' ? end + 1 : end;
    }
    return 0;
}

static int run_one(int64_t run, void *arg, iw_sched_outcome *out, iw_error *err)
{
    sweep_ctx *c = arg;
    iw_point point;
    iw_spec_point(c->spec, run, &point);
    char ckpt[4200];
    if (c->ckpt_dir) snprintf(ckpt, sizeof ckpt, "%s/run-%lld.ckpt", c->ckpt_dir, (long long)run);
    iw_run_hooks hooks = {&stop_requested, c->ckpt_dir ? ckpt : NULL, NULL, NULL};
    iw_run_provenance prov = {0, 0, c->rank, c->attempt[run] + 1, c->slurm_job_id, c->slurm_restart_count, c->host};
    iw_error rerr = {{0}};
    int rc;
    if (injected_failure(c->fail_runs, run)) {
        rc = iw_error_set(&rerr, "run %lld: injected failure (IW_TEST_FAIL_RUN test hook)", (long long)run);
        c->traj.wall_seconds = c->traj.cpu_seconds = 0;
    } else {
        rc = iw_run_execute(c->spec, c->data, &point, &hooks, &c->traj, &rerr);
    }
    out->wall_seconds = prov.wall_seconds = c->traj.wall_seconds;
    out->cpu_seconds = prov.cpu_seconds = c->traj.cpu_seconds;
    if (rc == IW_RUN_INTERRUPTED) {
        out->status = IW_STATUS_PENDING;
        return 0;
    }
    if (rc == 0) {
        if (c->traj.resumed_epoch >= 0)
            fprintf(stderr, "iwsweep: run %lld resumed from its checkpoint at epoch %d\n", (long long)run,
                    c->traj.resumed_epoch);
        if (iw_store_write_run(c->store, run, &c->traj, &prov, err) != 0)
            return iw_error_prefix(err, "run %lld: cannot write it to the store", (long long)run);
        if (c->ckpt_dir && iw_run_checkpoint_remove(ckpt, &rerr) != 0)
            fprintf(stderr, "iwsweep: warning: %s\n", rerr.message);
        out->status = c->traj.status;
        return 0;
    }
    fprintf(stderr, "iwsweep: run %lld failed on rank %d: %s\n", (long long)run, c->rank, rerr.message);
    if (iw_store_write_status(c->store, run, IW_STATUS_FAILED, &prov, err) != 0)
        return iw_error_prefix(err, "run %lld: cannot record its failure in the store", (long long)run);
    out->status = IW_STATUS_FAILED;
    return 0;
}

static void describe_run(int64_t run, void *arg, char *buf, size_t n)
{
    const sweep_ctx *c = arg;
    iw_point p;
    iw_spec_point(c->spec, run, &p);
    int k = snprintf(buf, n, "weight=%g l2=%g dropout=%g batchnorm=%d seed=%lld", p.importance_weight, p.l2,
                     p.dropout, p.batchnorm, (long long)p.seed);
    if (iw_spec_axis_index(c->spec, IW_AXIS_SAMPLING_ID) >= 0 && k > 0 && (size_t)k < n)
        snprintf(buf + k, n - (size_t)k, " sampling=%s", iw_sampling_name(p.sampling));
}

/* Heaviest first; equal costs keep grid order. */
typedef struct todo_item { int64_t run; double cost; } todo_item;
static int heavier_first(const void *a, const void *b)
{
    const todo_item *x = a, *y = b;
    if (x->cost != y->cost) return x->cost > y->cost ? -1 : 1;
    return (x->run > y->run) - (x->run < y->run);
}

static void format_time(double s, char *buf, size_t n)
{
    long t = (long)(s + 0.5);
    if (t >= 3600) snprintf(buf, n, "%ldh%02ldm%02lds", t / 3600, (t % 3600) / 60, t % 60);
    else if (t >= 60) snprintf(buf, n, "%ldm%02lds", t / 60, t % 60);
    else snprintf(buf, n, "%.1fs", s);
}


int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    double wall0 = iw_wall_seconds(), cpu0 = iw_cpu_seconds(); /* rank 0's share is measured from here */
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART; /* file and MPI-IO calls in flight carry on; the flag is polled */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL); /* Slurm --signal=B:USR1 (time limit near), forwarded by the batch scripts */

    iw_error err = {{0}};
    options opt;
    if (parse_args(argc, argv, &opt, &err) != 0) {
        if (rank == 0) fprintf(stderr, "iwsweep: %s\n%s", err.message, usage);
        return finish(EXIT_BAD_INPUT);
    }
    if (opt.help) {
        if (rank == 0) fputs(usage, stdout);
        return finish(EXIT_COMPLETE);
    }

    iw_spec spec;
    memset(&spec, 0, sizeof spec);
    if (load_spec(rank, opt.sweep, &spec, &err) != 0) {
        if (rank == 0) fprintf(stderr, "iwsweep: %s\n", err.message);
        iw_spec_free(&spec);
        return finish(EXIT_BAD_INPUT);
    }
    int64_t R = iw_spec_run_count(&spec);
    char store_path[4096];
    snprintf(store_path, sizeof store_path, "%s", opt.store ? opt.store : "");
    if (!opt.store) snprintf(store_path, sizeof store_path, "results/%s.h5", spec.name);

    /* Output folder, then the lock: rank 0 checks, everyone learns the verdict. */
    int lock_fd = -1, ok = 1;
    if (rank == 0) {
        ok = check_output(store_path, !opt.dry_run, &err) == 0;
        if (ok && opt.dry_run) {
            iw_spec_print_runs(&spec, stdout);
            struct stat st;
            printf("store: %s (%s)\n", store_path, stat(store_path, &st) == 0 ? "exists: a real run resumes it" : "would be created");
        } else if (ok) {
            lock_fd = iw_store_lock(store_path, &err);
            ok = lock_fd >= 0;
        }
        if (!ok) fprintf(stderr, "iwsweep: %s\n", err.message);
    }
    MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (!ok || opt.dry_run) {
        iw_spec_free(&spec);
        return finish(ok ? EXIT_COMPLETE : EXIT_BAD_INPUT);
    }

    const char *kernel = iw_engine_init_threads();
    char mpi_lib[MPI_MAX_LIBRARY_VERSION_STRING];
    int mpi_len = 0;
    MPI_Get_library_version(mpi_lib, &mpi_len);
    mpi_lib[strcspn(mpi_lib, "\n")] = '\0';
    iw_store_info info = {IW_VERSION, kernel, mpi_lib};
    iw_store *store = NULL;
    int created = 0;
    ok = iw_store_open(MPI_COMM_WORLD, store_path, &spec, &info, &store, &created, &err) == 0;
    if (!agree(rank, ok, &err)) {
        if (rank == 0) iw_store_unlock(lock_fd);
        iw_spec_free(&spec);
        return finish(EXIT_BAD_INPUT);
    }
    if (rank == 0) {
        const char *notice = iw_store_notice(store); /* e.g. a half-created store was removed */
        if (notice && *notice) fprintf(stderr, "iwsweep: %s\n", notice);
    }

    /* What is left to do, heaviest first. */
    int8_t *status = malloc((size_t)R);
    int32_t *attempt = malloc(sizeof(int32_t) * (size_t)R);
    todo_item *items = malloc(sizeof(todo_item) * (size_t)R);
    int64_t *todo = malloc(sizeof(int64_t) * (size_t)R);
    double *cost = malloc(sizeof(double) * (size_t)R);
    int8_t *result = malloc((size_t)R);
    ok = status && attempt && items && todo && cost && result;
    if (!ok) iw_error_set(&err, "out of memory for %lld runs", (long long)R);
    else ok = iw_store_read_status(store, status, attempt, &err) == 0;
    int64_t n_todo = 0, before[4] = {0, 0, 0, 0};
    if (ok) {
        for (int64_t r = 0; r < R; r++) {
            int s = status[r] >= 0 && status[r] <= 3 ? status[r] : IW_STATUS_PENDING;
            before[s]++;
            if (s == IW_STATUS_PENDING || (opt.retry_failed && s == IW_STATUS_FAILED)) {
                iw_point p;
                iw_spec_point(&spec, r, &p);
                items[n_todo].run = r;
                items[n_todo++].cost = iw_spec_run_cost(&spec, &p);
            }
        }
        qsort(items, (size_t)n_todo, sizeof *items, heavier_first);
        for (int64_t i = 0; i < n_todo; i++) {
            todo[i] = items[i].run;
            cost[i] = items[i].cost;
        }
    }

    /* The data, once per node. */
    iw_data data;
    memset(&data, 0, sizeof data);
    iw_node_data *shared = NULL;
    int go = agree(rank, ok, &err);
    if (go && n_todo > 0) {
        ok = iw_node_data_load(MPI_COMM_WORLD, &spec.data, &data, &shared, &err) == 0;
        if (!ok && rank == 0) fprintf(stderr, "iwsweep: %s\n", err.message); /* same message on every rank */
        go = ok;
    }

    sweep_ctx ctx = {.spec = &spec, .data = &data, .store = store, .attempt = attempt, .rank = rank,
                     .fail_runs = getenv("IW_TEST_FAIL_RUN")};
    const char *job = getenv("SLURM_JOB_ID"), *restarts = getenv("SLURM_RESTART_COUNT");
    ctx.slurm_job_id = job ? strtoll(job, NULL, 10) : 0;
    ctx.slurm_restart_count = restarts ? atoi(restarts) : 0;
    if (gethostname(ctx.host, sizeof ctx.host - 1) != 0) snprintf(ctx.host, sizeof ctx.host, "?");
    char ckpt_dir[4200];
    snprintf(ckpt_dir, sizeof ckpt_dir, "%s.ckpt", store_path);
    if (iw_run_checkpoints_enabled(&spec)) {
        ctx.ckpt_dir = ckpt_dir;
        if (rank == 0 && ok) remove_stale_checkpoints(ckpt_dir, status, R);
        if (rank == 0 && ok && n_todo > 0 && mkdir(ckpt_dir, 0777) != 0 && errno != EEXIST) {
            iw_error_set(&err, "cannot create the checkpoint folder %s: %s", ckpt_dir, strerror(errno));
            ok = 0;
        }
    }
    if (go && ok && n_todo > 0 && iw_trajectory_alloc(&ctx.traj, &spec, &err) != 0) ok = 0;
    if (go) go = agree(rank, ok, &err);

    if (rank == 0 && go) {
        const char *warning = iw_engine_kernel_warning();
        if (warning) fprintf(stderr, "iwsweep: warning: %s\n", warning);
        fprintf(stderr, "iwsweep: sweep '%s': %lld runs, %lld to do; %d rank%s (%s); OpenBLAS %s; store %s (%s)\n",
                spec.name, (long long)R, (long long)n_todo, size, size > 1 ? "s" : "",
                size > 1 ? "rank 0 schedules" : "rank 0 trains", kernel, store_path, created ? "new" : "resumed");
    }

    iw_sched_summary sum;
    memset(&sum, 0, sizeof sum);
    int sched_ok = 1;
    if (go && n_todo > 0) {
        iw_sched_config cfg = {.todo = todo, .cost = cost, .result = result, .n_todo = n_todo, .n_total = R,
                               .n_done_before = before[IW_STATUS_DONE] + before[IW_STATUS_DIVERGED] +
                                                (opt.retry_failed ? 0 : before[IW_STATUS_FAILED]),
                               .run = run_one, .ctx = &ctx, .stop = &stop_requested, .progress = stderr,
                               .describe = describe_run};
        sched_ok = iw_sched_execute(MPI_COMM_WORLD, &cfg, &sum, &err) == 0;
        if (!sched_ok && rank == 0) fprintf(stderr, "iwsweep: stopping the sweep: %s\n", err.message);
    }

    iw_mpi_barrier_quietly(MPI_COMM_WORLD);
    iw_trajectory_free(&ctx.traj);
    if (shared) iw_node_data_free(shared, &data);
    iw_error cerr = {{0}};
    int closed = iw_store_close(store, &cerr) == 0;
    if (!closed) fprintf(stderr, "iwsweep: closing the store: %s\n", cerr.message);

    int code = EXIT_COMPLETE;
    if (rank == 0) {
        iw_store_unlock(lock_fd);
        if (ctx.ckpt_dir) rmdir(ckpt_dir); /* only when empty: no run left a checkpoint */
        int64_t now[4] = {before[0], before[1], before[2], before[3]};
        for (int64_t i = 0; go && i < n_todo; i++) {
            int s = status[todo[i]] >= 0 && status[todo[i]] <= 3 ? status[todo[i]] : 0;
            if (result[i] != IW_STATUS_PENDING) {
                now[s]--;
                now[result[i]]++;
            }
        }
        double wall = iw_wall_seconds() - wall0, cpu = iw_cpu_seconds() - cpu0;
        char wall_text[32];
        format_time(wall, wall_text, sizeof wall_text);
        printf("iwsweep: '%s': %lld runs: %lld done, %lld diverged, %lld failed, %lld pending; store %s\n", spec.name,
               (long long)R, (long long)now[1], (long long)now[2], (long long)now[3], (long long)now[0], store_path);
        printf("iwsweep: this invocation: %lld runs finished in %s on %d worker%s; rank 0 CPU %.2f s (%.1f%% of a core; "
               "%.2f s in the scheduler)\n",
               (long long)(sum.done + sum.diverged + sum.failed), wall_text, size > 1 ? size - 1 : 1,
               size > 2 ? "s" : "", cpu, wall > 0 ? 100.0 * cpu / wall : 0.0, sum.rank0_cpu_seconds);
        fflush(stdout);
        char cmd[8192];
        if (!go || !sched_ok || !closed) {
            code = EXIT_ERROR;
        } else if (sum.interrupted || (stop_requested && now[0] > 0)) {
            resume_command(argc, argv, size, 0, cmd, sizeof cmd);
            fprintf(stderr, "iwsweep: interrupted: %lld of %lld runs done; resume with: %s\n",
                    (long long)(now[1] + now[2]), (long long)R, cmd);
            code = EXIT_INTERRUPTED;
        } else if (now[3] > 0) {
            resume_command(argc, argv, size, !opt.retry_failed, cmd, sizeof cmd);
            fprintf(stderr, "iwsweep: %lld run%s failed (messages above); rerun %s with: %s\n", (long long)now[3],
                    now[3] > 1 ? "s" : "", now[3] > 1 ? "them" : "it", cmd);
            code = EXIT_ERROR;
        } else if (now[0] > 0) {
            fprintf(stderr, "iwsweep: %lld runs still pending\n", (long long)now[0]);
            code = EXIT_ERROR;
        }
    }
    MPI_Bcast(&code, 1, MPI_INT, 0, MPI_COMM_WORLD);
    free(status); free(attempt); free(items); free(todo); free(cost); free(result);
    iw_spec_free(&spec);
    return finish(code);
}
