/* iwsweep.c — main() of the sweep command: one sweep file in, one HDF5 store out.
 *
 *   iwsweep [-o STORE] [--dry-run] [--retry-failed] SWEEP_FILE     (under mpirun / srun, or alone)
 *   iwsweep --print-store [-o STORE] SWEEP_FILE                    (the store path, for scripts)
 *
 * main() is a list of steps (the step_* functions, in this order); each is collective unless it
 * says rank 0, and ends in an agreement (iw_mpi_agree): every rank makes the same collective calls
 * in the same order, and a failure on any rank is agreed before anyone enters the next collective
 * call, so that every rank stops together, cleanly, never with a hang or MPI_Abort:
 *   check_launch     a one-rank world under an srun of several tasks is refused (launch.h)
 *   load_spec        the sweep file: rank 0 reads it, every rank parses the same bytes
 *   check_inputs     rank 0: data folder, output folder, the store's lock (store_lock.h: follows
 *                    the store file whatever path names it; flock, else fcntl, else an exclusive
 *                    lock file), an existing store's compatibility (iw_store_check); --dry-run
 *                    makes the same checks in the same order, changing nothing, and stops here
 *   load_data        the data, once per node (node_data.h; private copies when shared memory has
 *                    no room), before any store is made: bad data files leave no store behind
 *   open_store       open or create the store where the lock says it is; lock the file made
 *   plan             statuses -> runs to do; rank 0 orders them heaviest first (src/run's costs)
 *   prepare_workers  checkpoint folder, a trajectory buffer per rank
 *   schedule         rank 0 hands out runs; each worker trains one (src/run), writes it (src/store)
 *   close            the barrier, close the store, free the data, drop the lock
 *   summarize        rank 0: the store's counts, this invocation's, and the exit status
 * and finally the last barrier and MPI_Finalize.
 *
 * Exit status: 0 every run of the grid is done or diverged; 1 error, or failed runs remain;
 * 2 bad command line, sweep file, data files, output path, a store that belongs to another sweep
 *   or is in use, or a start under srun where Open MPI made each task a world of its own;
 * 3 interrupted by SIGTERM/SIGINT (the summary says how to resume).
 *
 * Test hooks (fault.h): IW_TEST_FAIL_RUN=<run>,... fails those runs (recorded as failed, the sweep
 * goes on); IW_TEST_FAIL_STEP=<step>:<rank> fails one rank at one step (tests/integration/
 * sweep_collective_faults.sh); at "barrier" (before close) and "finalize" the rank exits at once.
 */
#include <mpi.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "iw/data.h"
#include "iw/engine.h"
#include "iw/fault.h"
#include "iw/launch.h"
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
    "       iwsweep --print-store [-o STORE] SWEEP_FILE\n"
    "\n"
    "Runs every point of the sweep's grid and writes the trajectories into one HDF5 store.\n"
    "Start it under mpirun or srun: rank 0 schedules, every other rank trains one run at a time\n"
    "(with one rank, rank 0 trains everything itself). Re-running the same command resumes.\n"
    "\n"
    "  -o STORE        the store (default results/<name>.h5, name from the sweep file)\n"
    "  --dry-run       list the runs and make every check a real run makes (sweep file, data, output\n"
    "                  folder, lock, an existing store's sweep), with the same verdict and exit\n"
    "                  status; train nothing, create or change nothing\n"
    "  --retry-failed  also rerun the runs recorded as failed (status 3)\n"
    "  --print-store   print the store path this command would use (STORE, or results/<name>.h5\n"
    "                  with the name read from the sweep file) and exit; no MPI, nothing written\n"
    "  -h, --help      this text\n"
    "\n"
    "SIGTERM, SIGINT or SIGUSR1: no more runs are handed out, runs in flight are abandoned (they continue\n"
    "from their checkpoint when the sweep enables train.checkpoint_every/checkpoint_minutes), the\n"
    "store is closed and the command to resume is printed.\n"
    "Exit status: 0 all runs done or diverged; 1 error or failed runs remain; 2 bad input;\n"
    "3 interrupted.\n";

typedef struct options {
    const char *store, *sweep;
    int dry_run, retry_failed, help, print_store;
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
        else if (!only_files && !strcmp(a, "--print-store")) o->print_store = 1;
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

/* IW_TEST_FAIL_STEP at a barrier: this rank never arrives, as if it had crashed. */
static void crash_if_injected(const char *step, int rank)
{
    iw_error err;
    if (!iw_fault_at(step, rank, &err)) return;
    fprintf(stderr, "iwsweep: rank %d: %s: exiting at once, as a crashed rank would\n", rank, err.message);
    fflush(NULL);
    _exit(EXIT_ERROR);
}

static int finish(int code)
{
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    crash_if_injected("finalize", rank);
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
    if (rc == 0 && iw_fault_at("load_spec", rank, err)) rc = -1;
    if (rank != 0) free(text);
    return iw_mpi_agree(MPI_COMM_WORLD, rc, err);
}

/* What a worker needs to train and store one run. */
typedef struct sweep_ctx {
    const iw_spec *spec;
    const iw_data *data;
    iw_store *store;
    const int32_t *attempt;  /* [R] from the store at start */
    iw_trajectory traj;      /* reused by every run of this rank */
    const char *store_path;  /* where the store is (the lock's resolved path): checkpoints beside it */
    int checkpoints;         /* the sweep asks for checkpoints and their folder could be made */
    int rank;
    int64_t slurm_job_id;
    int slurm_restart_count;
    char host[256];          /* this rank's host name, recorded per run in /runs/host */
} sweep_ctx;

static void run_warning(void *ctx, int64_t run, const char *message)
{
    (void)ctx;
    fprintf(stderr, "iwsweep: warning: run %lld: %s\n", (long long)run, message);
}

static int run_one(int64_t run, void *arg, iw_sched_outcome *out, iw_error *err)
{
    sweep_ctx *c = arg;
    iw_point point;
    iw_spec_point(c->spec, run, &point);
    char ckpt[4200];
    if (c->checkpoints && iw_run_checkpoint_path(c->store_path, run, ckpt, sizeof ckpt, err) != 0) return -1;
    iw_run_hooks hooks = {&stop_requested, c->checkpoints ? ckpt : NULL, NULL, NULL, run_warning};
    iw_run_provenance prov = {0, 0, c->rank, c->attempt[run] + 1, c->slurm_job_id, c->slurm_restart_count, c->host};
    iw_error rerr = {{0}};
    int rc;
    if (iw_fault_run(run)) {
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
        if (iw_store_write_run(c->store, run, &c->traj, &prov, err) != 0) /* the job is meaningless now */
            return iw_error_prefix(err, "run %lld: cannot write it to the store (its status there is unchanged: a "
                                   "resume reruns it)", (long long)run);
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
    char store_path[4096];    /* as given (-o) or results/<name>.h5: for messages */
    char open_path[IW_LOCK_PATH_MAX]; /* where the store is: store_path with trailing symlinks followed */
    iw_lock lock;             /* rank 0: the store's lock (fd -1 when not held) */
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
    iw_store_state found;     /* rank 0: the store at the path before opening (iw_store_check) */
    iw_data data;
    iw_node_data *shared;
    sweep_ctx ctx;
    iw_sched_summary summary;
    int scheduled_ok;         /* the scheduler returned without a fatal error */
} sweep;

/* The store path: -o, else results/<name>.h5. */
static void store_path_of(const options *opt, const iw_spec *spec, char *out, size_t size)
{
    if (opt->store) snprintf(out, size, "%s", opt->store);
    else snprintf(out, size, "results/%s.h5", spec->name);
}

/* --print-store, before MPI_Init (scripts call it without mpirun): the path on stdout, exit 0; a bad
 * command line or sweep file: the message on stderr, exit 2. */
static int print_store(int argc, char **argv)
{
    options opt;
    iw_error err = {{0}};
    iw_spec spec;
    if (parse_args(argc, argv, &opt, &err) != 0 || (!opt.help && iw_spec_load(opt.sweep, &spec, &err) != 0)) {
        fprintf(stderr, "iwsweep: %s\n", err.message);
        return EXIT_BAD_INPUT;
    }
    if (opt.help) {
        fputs(usage, stdout);
        return EXIT_COMPLETE;
    }
    char path[4096];
    store_path_of(&opt, &spec, path, sizeof path);
    printf("%s\n", path);
    iw_spec_free(&spec);
    return EXIT_COMPLETE;
}

/* Step: under srun with a PMI flavour this Open MPI does not speak, each task starts as a world of
 * one and would run the whole sweep alone: refused, said once. Every rank decides alone (a world
 * of one has nobody to agree with). */
static int step_check_launch(sweep *w)
{
    char message[1024];
    if (!iw_launch_singleton_under_srun(w->size, message, sizeof message)) return 0;
    if (iw_launch_first_task()) fprintf(stderr, "iwsweep: %s\n", message);
    return -1;
}

/* Step: the sweep file, read by rank 0 and parsed by every rank. */
static int step_load_spec(sweep *w)
{
    if (load_spec(w->rank, w->opt.sweep, &w->spec, &w->err) != 0) {
        if (w->rank == 0) fprintf(stderr, "iwsweep: %s\n", w->err.message);
        return -1;
    }
    w->runs = iw_spec_run_count(&w->spec);
    store_path_of(&w->opt, &w->spec, w->store_path, sizeof w->store_path);
    return 0;
}

/* --dry-run, rank 0, after every check passed: the runs, then what a real run would do. */
static void print_dry_run(const sweep *w)
{
    iw_spec_print_runs(&w->spec, stdout);
    const iw_store_state *f = &w->found;
    if (!f->exists) {
        printf("store: %s (would be created)\n", w->store_path);
    } else {
        int64_t finished = f->count[IW_STATUS_DONE] + f->count[IW_STATUS_DIVERGED];
        int64_t todo = f->count[IW_STATUS_PENDING] + (w->opt.retry_failed ? f->count[IW_STATUS_FAILED] : 0);
        printf("store: %s (exists: a real run resumes it: %lld of %lld runs finished, %lld failed, %lld to do)\n",
               w->store_path, (long long)finished, (long long)f->runs, (long long)f->count[IW_STATUS_FAILED],
               (long long)todo);
        if (!f->same_text)
            printf("store: its /spec is the same sweep written differently (line endings, comments, key order or "
                   "style); it keeps its own text\n");
    }
    if (w->lock.notice[0]) printf("store: %s\n", w->lock.notice);
    if (f->notice[0]) printf("store: %s\n", f->notice);
}

/* Rank 0: the data files, as the real run's load_data step reads them (once, privately). */
static int check_data_files(const iw_spec *spec, iw_error *err)
{
    iw_data data;
    int rc = iw_data_load(&spec->data, &data, err);
    iw_data_free(&data);
    return rc;
}

/* Step (rank 0 checks; any rank's failure is agreed): the data folder, the output folder, the
 * store's lock, and an existing store's sweep — in that order, in a real run and a dry run alike,
 * so that both stop at the same check with the same message. A dry run takes no lock (it tests
 * one), reads the data files and stops here; a real run keeps the lock, and removes a leftover
 * STORE.creating here, announcing it at once. */
static int step_check_inputs(sweep *w)
{
    int ok = 1;
    iw_error *e = &w->err;
    if (w->rank == 0) {
        ok = iw_spec_check_data_path(&w->spec, e) == 0 && iw_store_check_path(w->store_path, !w->opt.dry_run, e) == 0;
        if (ok && w->opt.dry_run) ok = iw_store_lock_probe(w->store_path, &w->lock, e) == 0;
        else if (ok) ok = iw_store_lock(w->store_path, &w->lock, e) == 0;
        if (ok) snprintf(w->open_path, sizeof w->open_path, "%s", w->lock.store);
        if (ok) ok = iw_store_check(w->open_path, &w->spec, w->opt.dry_run, &w->found, e) == 0;
        if (ok && w->opt.dry_run) ok = check_data_files(&w->spec, e) == 0;
        if (ok && w->opt.dry_run) {
            print_dry_run(w);
        } else if (ok) {
            if (w->lock.notice[0]) fprintf(stderr, "iwsweep: note: %s\n", w->lock.notice);
            if (w->found.notice[0]) fprintf(stderr, "iwsweep: %s\n", w->found.notice); /* a leftover just removed */
        }
    }
    if (ok && iw_fault_at("check_inputs", w->rank, e)) ok = 0;
    if (!agree(w->rank, ok, e)) return -1;
    /* every rank opens the store where the lock says it is, so all names lead to one file */
    return iw_mpi_bcast(MPI_COMM_WORLD, w->open_path, (int)sizeof w->open_path, 0, e);
}

/* Step: the data, once per node, before a store is made. Returns 0, -2 when the data files are
 * bad (bad input), -1 otherwise. */
static int step_load_data(sweep *w)
{
    int rc = iw_node_data_load(MPI_COMM_WORLD, &w->spec.data, &w->data, &w->shared, &w->err);
    if (rc != 0) {
        if (w->rank == 0) fprintf(stderr, "iwsweep: %s\n", w->err.message); /* the same message on every rank */
        return rc;
    }
    const char *notice = iw_node_data_notice(w->shared);
    if (w->rank == 0 && notice[0]) fprintf(stderr, "iwsweep: warning: %s\n", notice);
    return 0;
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
    int ok = iw_store_open(MPI_COMM_WORLD, w->open_path, &w->spec, &info, &w->store, &w->created, &w->err) == 0;
    if (!agree(w->rank, ok, &w->err)) return -1;
    ok = w->rank != 0 || iw_store_lock_file(&w->lock, &w->err) == 0; /* a store just made: lock its identity too */
    if (w->rank == 0 && ok && !w->found.same_text && !w->created)
        fprintf(stderr, "iwsweep: note: the sweep file is the store's sweep written differently (line endings, "
                        "comments, key order or style); the store keeps its own /spec\n");
    if (!agree(w->rank, ok, &w->err)) {
        iw_error cerr = {{0}};
        iw_store_close(w->store, &cerr);
        w->store = NULL;
        return -1;
    }
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
    int ok = w->status && w->attempt && w->todo && w->cost && w->result;
    if (!ok) iw_error_set(&w->err, "out of memory for %lld runs", (long long)R);
    else ok = iw_store_read_status(w->store, w->status, w->attempt, &w->err) == 0;
    for (int64_t r = 0; ok && r < R; r++) {
        int s = w->status[r] >= 0 && w->status[r] < IW_STATUS_COUNT ? w->status[r] : IW_STATUS_PENDING;
        w->before[s]++;
        if (s == IW_STATUS_PENDING || (w->opt.retry_failed && s == IW_STATUS_FAILED)) w->todo[w->n_todo++] = r;
    }
    if (ok && w->rank == 0) ok = iw_run_costs(&w->spec, w->todo, w->n_todo, w->cost, &w->err) == 0;
    if (ok && w->rank == 0) iw_sched_order_heaviest_first(w->todo, w->cost, w->n_todo);
    if (ok && iw_fault_at("plan", w->rank, &w->err)) ok = 0;
    return agree(w->rank, ok, &w->err) ? 0 : -1;
}

/* Step: what the workers need to train: the checkpoint folder and a trajectory buffer. */
static int step_prepare_workers(sweep *w)
{
    const char *job = getenv("SLURM_JOB_ID"), *restarts = getenv("SLURM_RESTART_COUNT");
    w->ctx = (sweep_ctx){.spec = &w->spec, .data = &w->data, .store = w->store, .attempt = w->attempt,
                         .store_path = w->open_path, .checkpoints = iw_run_checkpoints_enabled(&w->spec),
                         .rank = w->rank, .slurm_job_id = job ? strtoll(job, NULL, 10) : 0,
                         .slurm_restart_count = restarts ? atoi(restarts) : 0};
    /* Checkpoints are insurance: a folder that cannot be made turns them off, with a warning. */
    iw_error cerr = {{0}};
    if (w->ctx.checkpoints && w->rank == 0 &&
        iw_run_checkpoints_prepare(w->open_path, w->status, w->runs, w->n_todo > 0, &cerr) != 0) {
        fprintf(stderr, "iwsweep: warning: %s; the sweep goes on without mid-run checkpoints\n", cerr.message);
        w->ctx.checkpoints = 0;
    }
    w->ctx.checkpoints = from_rank0(w->ctx.checkpoints);
    if (gethostname(w->ctx.host, sizeof w->ctx.host - 1) != 0) snprintf(w->ctx.host, sizeof w->ctx.host, "?");
    int ok = 1;
    if (w->n_todo > 0) ok = iw_trajectory_alloc(&w->ctx.traj, &w->spec, &w->err) == 0;
    if (ok && iw_fault_at("prepare_workers", w->rank, &w->err)) ok = 0;
    return agree(w->rank, ok, &w->err) ? 0 : -1;
}

/* Step: the runs, handed out by rank 0 to the workers. */
static void step_schedule(sweep *w)
{
    if (w->rank == 0) {
        const char *warning = iw_engine_kernel_warning();
        if (warning) fprintf(stderr, "iwsweep: warning: %s\n", warning);
        fprintf(stderr, "iwsweep: sweep '%s': %lld runs, %lld to do; %d rank%s (%s); OpenBLAS %s; store %s (%s; lock: %s)\n",
                w->spec.name, (long long)w->runs, (long long)w->n_todo, w->size, w->size > 1 ? "s" : "",
                w->size > 1 ? "rank 0 schedules" : "rank 0 trains", w->kernel, w->store_path, w->created ? "new" : "resumed",
                iw_lock_kind_name(w->lock.kind));
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
    crash_if_injected("barrier", w->rank);
    iw_mpi_barrier(MPI_COMM_WORLD, NULL);
    iw_trajectory_free(&w->ctx.traj);
    if (w->shared) iw_node_data_free(w->shared, &w->data);
    w->shared = NULL;
    iw_error cerr = {{0}};
    int closed = 1;
    if (w->store) closed = iw_store_close(w->store, &cerr) == 0;
    w->store = NULL;
    if (!closed && w->rank == 0) fprintf(stderr, "iwsweep: closing the store: %s\n", cerr.message); /* agreed */
    if (w->rank == 0) {
        iw_store_unlock(&w->lock);
        if (w->ctx.checkpoints) iw_run_checkpoints_finish(w->open_path);
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
    iw_format_seconds(wall, wall_text, sizeof wall_text);
    const iw_sched_summary *sum = &w->summary;
    printf("iwsweep: '%s': %lld runs: %lld done, %lld diverged, %lld failed, %lld pending; store %s\n", w->spec.name,
           (long long)w->runs, (long long)now[IW_STATUS_DONE], (long long)now[IW_STATUS_DIVERGED],
           (long long)now[IW_STATUS_FAILED], (long long)now[IW_STATUS_PENDING], w->store_path);
    if (w->size > 1)
        printf("iwsweep: this invocation: %lld runs finished in %s on %d worker%s; rank 0 CPU %.2f s (%.1f%% of a core; "
               "%.2f s in the scheduler)\n",
               (long long)(sum->done + sum->diverged + sum->failed), wall_text, w->size - 1, w->size > 2 ? "s" : "", cpu,
               wall > 0 ? 100.0 * cpu / wall : 0.0, sum->rank0_cpu_seconds);
    else /* one rank schedules and trains: its CPU time is the runs' */
        printf("iwsweep: this invocation: %lld runs finished in %s on 1 rank (it schedules and trains); CPU %.2f s\n",
               (long long)(sum->done + sum->diverged + sum->failed), wall_text, cpu);
    fflush(stdout);
    char cmd[8192];
    int64_t unfinished = now[IW_STATUS_PENDING] + now[IW_STATUS_FAILED];
    if (!went_well) { /* the sweep stopped: how to go on once the cause is fixed */
        if (unfinished > 0 && w->scheduled_ok >= 0) {
            iw_launch_resume_command(w->argc, w->argv, w->size, now[IW_STATUS_FAILED] > 0 && !w->opt.retry_failed, cmd,
                                     sizeof cmd);
            fprintf(stderr, "iwsweep: %lld runs not finished; once the cause above is fixed, resume with: %s\n",
                    (long long)unfinished, cmd);
        }
        return EXIT_ERROR;
    }
    if (sum->interrupted || (stop_requested && now[IW_STATUS_PENDING] > 0)) {
        iw_launch_resume_command(w->argc, w->argv, w->size, 0, cmd, sizeof cmd);
        fprintf(stderr, "iwsweep: interrupted: %lld of %lld runs done; resume with: %s\n",
                (long long)(now[IW_STATUS_DONE] + now[IW_STATUS_DIVERGED]), (long long)w->runs, cmd);
        return EXIT_INTERRUPTED;
    }
    if (now[IW_STATUS_FAILED] > 0) {
        int64_t n = now[IW_STATUS_FAILED];
        iw_launch_resume_command(w->argc, w->argv, w->size, !w->opt.retry_failed, cmd, sizeof cmd);
        fprintf(stderr, "iwsweep: %lld run%s failed (%s); rerun %s with: %s\n", (long long)n, n > 1 ? "s" : "",
                sum->failed > 0 ? "messages above" : "in an earlier start: its output has the messages",
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
    for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
        if (!strcmp(argv[i], "--print-store")) return print_store(argc, argv);
    MPI_Init(&argc, &argv);
    sweep w = {.argc = argc, .argv = argv, .lock = {.fd = -1, .store_fd = -1}, .wall0 = iw_wall_seconds(),
               .cpu0 = iw_cpu_seconds()};
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

    if (step_check_launch(&w) != 0) return finish(EXIT_BAD_INPUT);
    if (parse_args(argc, argv, &w.opt, &w.err) != 0) {
        if (w.rank == 0) fprintf(stderr, "iwsweep: %s\n%s", w.err.message, usage);
        return finish(EXIT_BAD_INPUT);
    }
    if (w.opt.help) {
        if (w.rank == 0) fputs(usage, stdout);
        return finish(EXIT_COMPLETE);
    }
    if (step_load_spec(&w) != 0 || step_check_inputs(&w) != 0) {
        if (w.rank == 0) iw_store_unlock(&w.lock);
        return finish_sweep(&w, EXIT_BAD_INPUT);
    }
    if (w.opt.dry_run) return finish_sweep(&w, EXIT_COMPLETE);
    int loaded = step_load_data(&w);
    if (loaded != 0 || step_open_store(&w) != 0) {
        if (w.shared) iw_node_data_free(w.shared, &w.data);
        if (w.rank == 0) iw_store_unlock(&w.lock);
        return finish_sweep(&w, loaded == -1 ? EXIT_ERROR : EXIT_BAD_INPUT);
    }
    int went_well = step_plan(&w) == 0 && step_prepare_workers(&w) == 0;
    if (went_well) step_schedule(&w);
    else w.scheduled_ok = -1; /* nothing was handed out */
    went_well = step_close(&w) && went_well && w.scheduled_ok == 1;
    int code = from_rank0(step_summarize(&w, went_well));
    return finish_sweep(&w, code);
}
