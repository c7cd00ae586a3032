/* iwsweep.c — main() of the sweep command: one sweep file in, one HDF5 store out.
 *
 *   iwsweep [-o STORE] [--dry-run] [--retry-failed] SWEEP_FILE     (under mpirun / srun, or alone)
 *
 * main() is a list of steps (the step_* functions, in this order); each is collective unless it
 * says rank 0, and errors are agreed over all ranks (iw_mpi_agree), so a bad input stops every
 * rank cleanly, never with a hang or MPI_Abort:
 *   load_spec        the sweep file: rank 0 reads it, every rank parses the same bytes
 *   check_inputs     rank 0: data folder there? output folder writable? then --dry-run's listing,
 *                    or the store's lock
 *   open_store       open or create the store
 *   plan             statuses -> runs to do; rank 0 orders them heaviest first (src/run's costs)
 *   prepare_workers  node-shared data, checkpoint folder, a trajectory buffer per rank
 *   schedule         rank 0 hands out runs; each worker trains one (src/run), writes it (src/store)
 *   close            close the store, free the data, drop the lock
 *   summarize        rank 0: the store's counts, this invocation's, and the exit status
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
#include "iw/mpi_util.h"
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

/* After a collective step: 1 when it succeeded on every rank. Otherwise rank 0 prints the agreed
 * reason (the lowest failing rank's message, "rank r: ..." when r is not 0) and 0 is returned. */
static int agree(int rank, int ok, iw_error *err)
{
    if (iw_mpi_agree(MPI_COMM_WORLD, ok ? 0 : -1, err) == 0) return 1;
    if (rank == 0) fprintf(stderr, "iwsweep: %s\n", err->message);
    return 0;
}

static int finish(int code)
{
    iw_mpi_barrier(MPI_COMM_WORLD, NULL); /* MPI_Finalize would spin while others finish */
    MPI_Finalize();
    return code;
}

/* Rank 0's int, on every rank. */
static int from_rank0(int value)
{
    iw_mpi_bcast(MPI_COMM_WORLD, &value, (int)sizeof value, 0, NULL);
    return value;
}

/* Sweep file: rank 0 reads it, every rank parses the same bytes. */
static int load_spec(int rank, const char *path, iw_spec *spec, iw_error *err)
{
    int64_t len = -1;
    if (rank == 0 && iw_spec_load(path, spec, err) == 0) len = (int64_t)spec->text_len;
    if (iw_mpi_bcast(MPI_COMM_WORLD, &len, (int)sizeof len, 0, err) != 0 || len < 0) return -1;
    char *text = rank == 0 ? spec->text : malloc((size_t)len + 1);
    if (iw_mpi_agree(MPI_COMM_WORLD, text ? 0 : iw_error_set(err, "out of memory"), err) != 0) {
        if (rank != 0) free(text);
        return -1;
    }
    int rc = iw_mpi_bcast(MPI_COMM_WORLD, text, (int)len, 0, err);
    if (rc == 0 && rank != 0) {
        text[len] = '\0';
        rc = iw_spec_parse(text, (size_t)len, path, spec, err);
    }
    if (rank != 0) free(text);
    return iw_mpi_agree(MPI_COMM_WORLD, rc, err);
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

/* What a worker needs to train and store one run. */
typedef struct sweep_ctx {
    const iw_spec *spec;
    const iw_data *data;
    iw_store *store;
    const int32_t *attempt;  /* [R] from the store at start */
    iw_trajectory traj;      /* reused by every run of this rank */
    const char *store_path;
    int checkpoints;         /* the sweep asks for checkpoints */
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
    if (c->checkpoints && iw_run_checkpoint_path(c->store_path, run, ckpt, sizeof ckpt, err) != 0) return -1;
    iw_run_hooks hooks = {&stop_requested, c->checkpoints ? ckpt : NULL, NULL, NULL};
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
        if (c->checkpoints && iw_run_checkpoint_remove(ckpt, &rerr) != 0)
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
    iw_spec_describe_point(c->spec, &p, buf, n);
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

/* Everything main's steps share. Arrays of R are on every rank; todo, cost and result matter on
 * rank 0 only (the scheduler hands out the runs). */
typedef struct sweep {
    int argc;
    char **argv;
    int rank, size;
    double wall0, cpu0;       /* rank 0's share of the work is measured from MPI_Init on */
    options opt;
    iw_error err;
    iw_spec spec;
    char store_path[4096];
    int lock_fd;              /* rank 0: the store's lock file, -1 when not held */
    const char *kernel;       /* OpenBLAS kernel name */
    iw_store *store;
    int created;              /* the store was made by this invocation */
    int64_t runs;             /* R */
    int8_t *status;           /* [R] in the store at start */
    int32_t *attempt;         /* [R] */
    int64_t before[IW_STATUS_COUNT]; /* runs of each status at start */
    int64_t *todo;            /* [n_todo] runs to do, heaviest first (grid order on ranks > 0) */
    double *cost;             /* [n_todo] their relative costs */
    int8_t *result;           /* [n_todo] status each run came back with (rank 0) */
    int64_t n_todo;
    iw_data data;
    iw_node_data *shared;
    sweep_ctx ctx;
    iw_sched_summary summary;
    int scheduled_ok;         /* the scheduler returned without a fatal error */
} sweep;

/* Step: the sweep file, read by rank 0 and parsed by every rank. */
static int step_load_spec(sweep *w)
{
    if (load_spec(w->rank, w->opt.sweep, &w->spec, &w->err) != 0) {
        if (w->rank == 0) fprintf(stderr, "iwsweep: %s\n", w->err.message);
        return -1;
    }
    w->runs = iw_spec_run_count(&w->spec);
    if (w->opt.store) snprintf(w->store_path, sizeof w->store_path, "%s", w->opt.store);
    else snprintf(w->store_path, sizeof w->store_path, "results/%s.h5", w->spec.name);
    return 0;
}

/* Step (rank 0 checks, every rank learns the verdict): the data folder, the output folder, then
 * --dry-run's listing or the store's lock. */
static int step_check_inputs(sweep *w)
{
    int ok = 1;
    if (w->rank == 0) {
        ok = iw_spec_check_data_path(&w->spec, &w->err) == 0 && check_output(w->store_path, !w->opt.dry_run, &w->err) == 0;
        if (ok && w->opt.dry_run) {
            iw_spec_print_runs(&w->spec, stdout);
            struct stat st;
            printf("store: %s (%s)\n", w->store_path,
                   stat(w->store_path, &st) == 0 ? "exists: a real run resumes it" : "would be created");
        } else if (ok) {
            w->lock_fd = iw_store_lock(w->store_path, &w->err);
            ok = w->lock_fd >= 0;
        }
        if (!ok) fprintf(stderr, "iwsweep: %s\n", w->err.message);
    }
    return from_rank0(ok) ? 0 : -1;
}

/* Step: open the store (or create it), collectively. */
static int step_open_store(sweep *w)
{
    w->kernel = iw_engine_init_threads();
    char mpi_lib[MPI_MAX_LIBRARY_VERSION_STRING];
    int mpi_len = 0;
    MPI_Get_library_version(mpi_lib, &mpi_len);
    mpi_lib[strcspn(mpi_lib, "\n")] = '\0';
    iw_store_info info = {IW_VERSION, w->kernel, mpi_lib};
    int ok = iw_store_open(MPI_COMM_WORLD, w->store_path, &w->spec, &info, &w->store, &w->created, &w->err) == 0;
    if (!agree(w->rank, ok, &w->err)) return -1;
    const char *notice = iw_store_notice(w->store); /* e.g. a half-created store was removed */
    if (w->rank == 0 && notice && *notice) fprintf(stderr, "iwsweep: %s\n", notice);
    return 0;
}

/* Step: what is left to do (runs pending, and failed ones with --retry-failed), heaviest first. */
static int step_plan(sweep *w)
{
    int64_t R = w->runs;
    w->status = malloc((size_t)R);
    w->attempt = malloc(sizeof(int32_t) * (size_t)R);
    w->todo = malloc(sizeof(int64_t) * (size_t)R);
    w->cost = malloc(sizeof(double) * (size_t)R);
    w->result = malloc((size_t)R);
    todo_item *items = malloc(sizeof(todo_item) * (size_t)R);
    int ok = w->status && w->attempt && w->todo && w->cost && w->result && items;
    if (!ok) iw_error_set(&w->err, "out of memory for %lld runs", (long long)R);
    else ok = iw_store_read_status(w->store, w->status, w->attempt, &w->err) == 0;
    for (int64_t r = 0; ok && r < R; r++) {
        int s = w->status[r] >= 0 && w->status[r] < IW_STATUS_COUNT ? w->status[r] : IW_STATUS_PENDING;
        w->before[s]++;
        if (s == IW_STATUS_PENDING || (w->opt.retry_failed && s == IW_STATUS_FAILED)) w->todo[w->n_todo++] = r;
    }
    if (ok && w->rank == 0) {
        ok = iw_run_costs(&w->spec, w->todo, w->n_todo, w->cost, &w->err) == 0;
        for (int64_t i = 0; ok && i < w->n_todo; i++) items[i] = (todo_item){w->todo[i], w->cost[i]};
        if (ok) qsort(items, (size_t)w->n_todo, sizeof *items, heavier_first);
        for (int64_t i = 0; ok && i < w->n_todo; i++) {
            w->todo[i] = items[i].run;
            w->cost[i] = items[i].cost;
        }
    }
    free(items);
    return agree(w->rank, ok, &w->err) ? 0 : -1;
}

/* Step: the data, once per node; then what the workers need to train: the checkpoint folder and a
 * trajectory buffer. Nothing to do: nothing loaded. */
static int step_prepare_workers(sweep *w)
{
    if (w->n_todo > 0 && iw_node_data_load(MPI_COMM_WORLD, &w->spec.data, &w->data, &w->shared, &w->err) != 0) {
        if (w->rank == 0) fprintf(stderr, "iwsweep: %s\n", w->err.message); /* the same message on every rank */
        return -1;
    }
    const char *job = getenv("SLURM_JOB_ID"), *restarts = getenv("SLURM_RESTART_COUNT");
    w->ctx = (sweep_ctx){.spec = &w->spec, .data = &w->data, .store = w->store, .attempt = w->attempt,
                         .store_path = w->store_path, .checkpoints = iw_run_checkpoints_enabled(&w->spec),
                         .rank = w->rank, .slurm_job_id = job ? strtoll(job, NULL, 10) : 0,
                         .slurm_restart_count = restarts ? atoi(restarts) : 0, .fail_runs = getenv("IW_TEST_FAIL_RUN")};
    if (gethostname(w->ctx.host, sizeof w->ctx.host - 1) != 0) snprintf(w->ctx.host, sizeof w->ctx.host, "?");
    int ok = 1;
    if (w->ctx.checkpoints && w->rank == 0)
        ok = iw_run_checkpoints_prepare(w->store_path, w->status, w->runs, w->n_todo > 0, &w->err) == 0;
    if (ok && w->n_todo > 0) ok = iw_trajectory_alloc(&w->ctx.traj, &w->spec, &w->err) == 0;
    return agree(w->rank, ok, &w->err) ? 0 : -1;
}

/* Step: the runs, handed out by rank 0 to the workers. */
static void step_schedule(sweep *w)
{
    if (w->rank == 0) {
        const char *warning = iw_engine_kernel_warning();
        if (warning) fprintf(stderr, "iwsweep: warning: %s\n", warning);
        fprintf(stderr, "iwsweep: sweep '%s': %lld runs, %lld to do; %d rank%s (%s); OpenBLAS %s; store %s (%s)\n",
                w->spec.name, (long long)w->runs, (long long)w->n_todo, w->size, w->size > 1 ? "s" : "",
                w->size > 1 ? "rank 0 schedules" : "rank 0 trains", w->kernel, w->store_path, w->created ? "new" : "resumed");
    }
    w->scheduled_ok = 1;
    if (w->n_todo == 0) return;
    int64_t done_before = w->before[IW_STATUS_DONE] + w->before[IW_STATUS_DIVERGED] +
                          (w->opt.retry_failed ? 0 : w->before[IW_STATUS_FAILED]);
    iw_sched_config cfg = {.todo = w->todo, .cost = w->cost, .result = w->result, .n_todo = w->n_todo,
                           .n_total = w->runs, .n_done_before = done_before, .run = run_one, .ctx = &w->ctx,
                           .stop = &stop_requested, .progress = stderr, .describe = describe_run};
    w->scheduled_ok = iw_sched_execute(MPI_COMM_WORLD, &cfg, &w->summary, &w->err) == 0;
    if (!w->scheduled_ok && w->rank == 0) fprintf(stderr, "iwsweep: stopping the sweep: %s\n", w->err.message);
}

/* Step: close the store (collective) and let go of the data, the lock and an empty checkpoint
 * folder. Returns 1 when the store closed cleanly. */
static int step_close(sweep *w)
{
    iw_mpi_barrier(MPI_COMM_WORLD, NULL);
    iw_trajectory_free(&w->ctx.traj);
    if (w->shared) iw_node_data_free(w->shared, &w->data);
    w->shared = NULL;
    iw_error cerr = {{0}};
    int closed = 1;
    if (w->store) closed = iw_store_close(w->store, &cerr) == 0;
    w->store = NULL;
    if (!closed) fprintf(stderr, "iwsweep: closing the store: %s\n", cerr.message);
    if (w->rank == 0) {
        iw_store_unlock(w->lock_fd);
        w->lock_fd = -1;
        if (iw_run_checkpoints_enabled(&w->spec)) iw_run_checkpoints_finish(w->store_path);
    }
    return closed;
}

/* Step (rank 0): what the store holds now, what this invocation did, and the exit status. */
static int step_summarize(sweep *w, int went_well)
{
    if (w->rank != 0) return EXIT_COMPLETE;
    int64_t now[IW_STATUS_COUNT];
    memcpy(now, w->before, sizeof now);
    for (int64_t i = 0; i < w->n_todo && w->scheduled_ok >= 0; i++) {
        int was = w->status[w->todo[i]] >= 0 && w->status[w->todo[i]] < IW_STATUS_COUNT ? w->status[w->todo[i]]
                                                                                          : IW_STATUS_PENDING;
        if (w->result[i] == IW_STATUS_PENDING) continue;
        now[was]--;
        now[w->result[i]]++;
    }
    double wall = iw_wall_seconds() - w->wall0, cpu = iw_cpu_seconds() - w->cpu0;
    char wall_text[32];
    format_time(wall, wall_text, sizeof wall_text);
    const iw_sched_summary *sum = &w->summary;
    printf("iwsweep: '%s': %lld runs: %lld done, %lld diverged, %lld failed, %lld pending; store %s\n", w->spec.name,
           (long long)w->runs, (long long)now[IW_STATUS_DONE], (long long)now[IW_STATUS_DIVERGED],
           (long long)now[IW_STATUS_FAILED], (long long)now[IW_STATUS_PENDING], w->store_path);
    printf("iwsweep: this invocation: %lld runs finished in %s on %d worker%s; rank 0 CPU %.2f s (%.1f%% of a core; "
           "%.2f s in the scheduler)\n",
           (long long)(sum->done + sum->diverged + sum->failed), wall_text, w->size > 1 ? w->size - 1 : 1,
           w->size > 2 ? "s" : "", cpu, wall > 0 ? 100.0 * cpu / wall : 0.0, sum->rank0_cpu_seconds);
    fflush(stdout);
    char cmd[8192];
    if (!went_well) return EXIT_ERROR;
    if (sum->interrupted || (stop_requested && now[IW_STATUS_PENDING] > 0)) {
        resume_command(w->argc, w->argv, w->size, 0, cmd, sizeof cmd);
        fprintf(stderr, "iwsweep: interrupted: %lld of %lld runs done; resume with: %s\n",
                (long long)(now[IW_STATUS_DONE] + now[IW_STATUS_DIVERGED]), (long long)w->runs, cmd);
        return EXIT_INTERRUPTED;
    }
    if (now[IW_STATUS_FAILED] > 0) {
        int64_t n = now[IW_STATUS_FAILED];
        resume_command(w->argc, w->argv, w->size, !w->opt.retry_failed, cmd, sizeof cmd);
        fprintf(stderr, "iwsweep: %lld run%s failed (messages above); rerun %s with: %s\n", (long long)n, n > 1 ? "s" : "",
                n > 1 ? "them" : "it", cmd);
        return EXIT_ERROR;
    }
    if (now[IW_STATUS_PENDING] > 0) {
        fprintf(stderr, "iwsweep: %lld runs still pending\n", (long long)now[IW_STATUS_PENDING]);
        return EXIT_ERROR;
    }
    return EXIT_COMPLETE;
}

static int finish_sweep(sweep *w, int code)
{
    free(w->status);
    free(w->attempt);
    free(w->todo);
    free(w->cost);
    free(w->result);
    iw_spec_free(&w->spec);
    return finish(code);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    sweep w = {.argc = argc, .argv = argv, .lock_fd = -1, .wall0 = iw_wall_seconds(), .cpu0 = iw_cpu_seconds()};
    MPI_Comm_rank(MPI_COMM_WORLD, &w.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &w.size);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART; /* file and MPI-IO calls in flight carry on; the flag is polled */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL); /* Slurm --signal=B:USR1 (time limit near), forwarded by the batch scripts */

    if (parse_args(argc, argv, &w.opt, &w.err) != 0) {
        if (w.rank == 0) fprintf(stderr, "iwsweep: %s\n%s", w.err.message, usage);
        return finish(EXIT_BAD_INPUT);
    }
    if (w.opt.help) {
        if (w.rank == 0) fputs(usage, stdout);
        return finish(EXIT_COMPLETE);
    }
    if (step_load_spec(&w) != 0 || step_check_inputs(&w) != 0) return finish_sweep(&w, EXIT_BAD_INPUT);
    if (w.opt.dry_run) return finish_sweep(&w, EXIT_COMPLETE);
    if (step_open_store(&w) != 0) {
        if (w.rank == 0) iw_store_unlock(w.lock_fd);
        return finish_sweep(&w, EXIT_BAD_INPUT);
    }
    int went_well = step_plan(&w) == 0 && step_prepare_workers(&w) == 0;
    if (went_well) step_schedule(&w);
    else w.scheduled_ok = -1; /* nothing was handed out */
    went_well = step_close(&w) && went_well && w.scheduled_ok == 1;
    int code = from_rank0(step_summarize(&w, went_well));
    return finish_sweep(&w, code);
}
