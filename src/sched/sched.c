/* sched.c — rank 0 hands out runs one at a time to worker ranks that ask for them (sched.h).
 *
 * Messages (tags below), all small:
 *   worker -> 0  REPORT  {last run or -1, its status, fatal flag, times, error text}
 *   0 -> worker  ASSIGN  int64 run, or -1 = stop
 * Every wait goes through mpi_util.h (MPI_Test + a sleep of 1 ms growing to 16 ms): Open MPI's
 * blocking calls busy-poll a whole core, and rank 0 shares the machine with the workers.
 */
#include "iw/sched.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "iw/mpi_util.h"

enum { TAG_REPORT = 4101, TAG_ASSIGN = 4102 };

typedef struct sched_report {
    int64_t run;          /* -1 on the first request */
    int32_t status;       /* enum iw_status of `run` */
    int32_t fatal;        /* the run function returned -1: the job is meaningless now */
    double wall_seconds, cpu_seconds;
    char error[sizeof(((iw_error *)0)->message)];
} sched_report;

static void format_duration(double s, char *buf, size_t n)
{
    if (s < 0 || s != s) s = 0;
    long t = (long)(s + 0.5);
    if (t >= 3600) snprintf(buf, n, "%ldh%02ldm", t / 3600, (t % 3600) / 60);
    else if (t >= 60) snprintf(buf, n, "%ldm%02lds", t / 60, t % 60);
    else snprintf(buf, n, "%lds", t);
}

/* Rank 0's view of the sweep's progress. */
typedef struct progress {
    const iw_sched_config *cfg;
    double start, total_cost, finished_cost;
    int64_t finished;
    int live;             /* progress goes to a terminal: one line rewritten in place */
} progress;

static const char *status_word(int status)
{
    switch (status) {
    case IW_STATUS_DONE: return "done";
    case IW_STATUS_DIVERGED: return "diverged";
    case IW_STATUS_FAILED: return "FAILED";
    default: return "abandoned";
    }
}

static void progress_report(progress *p, int64_t slot, int64_t run, const iw_sched_outcome *o)
{
    const iw_sched_config *cfg = p->cfg;
    double cost = cfg->cost ? cfg->cost[slot] : 1.0;
    if (o->status != IW_STATUS_PENDING) {
        p->finished++;
        p->finished_cost += cost;
    }
    if (!cfg->progress) return;
    char label[256] = "", eta[32] = "?";
    if (cfg->describe) cfg->describe(run, cfg->ctx, label, sizeof label);
    double elapsed = iw_wall_seconds() - p->start;
    if (p->finished_cost > 0) format_duration(elapsed * (p->total_cost - p->finished_cost) / p->finished_cost, eta, sizeof eta);
    fprintf(cfg->progress, "%s[%lld/%lld] run %lld %s in %.*f s%s%s%s  ETA %s%s", p->live ? "\r\033[K" : "",
            (long long)(cfg->n_done_before + p->finished), (long long)cfg->n_total, (long long)run,
            status_word(o->status), o->wall_seconds < 1 ? 2 : 1, o->wall_seconds, label[0] ? " (" : "", label, label[0] ? ")" : "", eta,
            p->live ? "" : "\n");
    fflush(cfg->progress);
}

static void record(const iw_sched_config *cfg, iw_sched_summary *sum, int64_t slot, int status)
{
    if (cfg->result) cfg->result[slot] = (int8_t)status;
    switch (status) {
    case IW_STATUS_DONE: sum->done++; break;
    case IW_STATUS_DIVERGED: sum->diverged++; break;
    case IW_STATUS_FAILED: sum->failed++; break;
    default: sum->abandoned++; break;
    }
}

/* One rank: rank 0 runs everything itself. */
static int execute_alone(const iw_sched_config *cfg, progress *p, iw_sched_summary *sum, iw_error *err)
{
    for (int64_t i = 0; i < cfg->n_todo; i++) {
        if (cfg->stop && *cfg->stop) return 0;
        iw_sched_outcome o = {IW_STATUS_PENDING, 0, 0};
        if (cfg->run(cfg->todo[i], cfg->ctx, &o, err) != 0) return -1;
        record(cfg, sum, i, o.status);
        progress_report(p, i, cfg->todo[i], &o);
    }
    return 0;
}

/* Rank 0 with workers: answer each REPORT with the next run or a stop. */
static int execute_rank0(MPI_Comm comm, int size, const iw_sched_config *cfg, progress *p,
                         iw_sched_summary *sum, int *fatal, iw_error *err)
{
    int64_t next = 0;
    int active = size - 1, told_stop = 0;
    int64_t *slot_of_rank = calloc((size_t)size, sizeof(int64_t)); /* todo slot in flight per rank */
    if (!slot_of_rank) return iw_error_set(err, "out of memory in the scheduler");
    for (int r = 0; r < size; r++) slot_of_rank[r] = -1;
    sched_report rep;
    MPI_Request req;
    MPI_Irecv(&rep, (int)sizeof rep, MPI_BYTE, MPI_ANY_SOURCE, TAG_REPORT, comm, &req);
    long pause = 0;
    while (active > 0) {
        MPI_Status st;
        int arrived = iw_mpi_test(&req, &st, &pause, err);
        if (arrived < 0) {
            free(slot_of_rank);
            return -1;
        }
        if (!arrived) {
            if (cfg->stop && *cfg->stop && !told_stop && cfg->progress) {
                told_stop = 1;
                fprintf(cfg->progress, "%siwsweep: stop requested: no more runs handed out, abandoning the runs in flight\n",
                        p->live ? "\n" : "");
                fflush(cfg->progress);
            }
            continue;
        }
        int src = st.MPI_SOURCE;
        if (rep.run >= 0 && slot_of_rank[src] >= 0) {
            int64_t slot = slot_of_rank[src];
            slot_of_rank[src] = -1;
            iw_sched_outcome o = {rep.status, rep.wall_seconds, rep.cpu_seconds};
            if (!rep.fatal) {
                record(cfg, sum, slot, rep.status);
                progress_report(p, slot, rep.run, &o);
            }
        }
        if (rep.fatal && !*fatal) {
            *fatal = 1;
            rep.error[sizeof rep.error - 1] = '\0';
            iw_error_set(err, "rank %d: %s", src, rep.error);
        }
        int64_t assign = -1;
        if (!*fatal && !(cfg->stop && *cfg->stop) && next < cfg->n_todo) {
            slot_of_rank[src] = next;
            assign = cfg->todo[next++];
        }
        MPI_Send(&assign, 1, MPI_INT64_T, src, TAG_ASSIGN, comm);
        if (assign < 0) active--;
        if (active > 0) MPI_Irecv(&rep, (int)sizeof rep, MPI_BYTE, MPI_ANY_SOURCE, TAG_REPORT, comm, &req);
    }
    free(slot_of_rank);
    sum->abandoned += cfg->n_todo - next; /* never handed out: still pending */
    return 0;
}

/* A worker: ask, run, report, until told to stop. */
static int execute_worker(MPI_Comm comm, const iw_sched_config *cfg, iw_sched_summary *sum, int *fatal, iw_error *err)
{
    sched_report rep;
    memset(&rep, 0, sizeof rep);
    rep.run = -1;
    for (;;) {
        MPI_Send(&rep, (int)sizeof rep, MPI_BYTE, 0, TAG_REPORT, comm);
        int64_t run = -1;
        MPI_Request req;
        MPI_Irecv(&run, 1, MPI_INT64_T, 0, TAG_ASSIGN, comm, &req);
        if (iw_mpi_wait(&req, MPI_STATUS_IGNORE, err) != 0) {
            *fatal = 1;
            return -1;
        }
        if (run < 0) return 0;
        iw_sched_outcome o = {IW_STATUS_PENDING, 0, 0};
        memset(&rep, 0, sizeof rep);
        rep.run = run;
        if (cfg->run(run, cfg->ctx, &o, err) != 0) {
            *fatal = 1;
            rep.fatal = 1;
            if (err) memcpy(rep.error, err->message, sizeof rep.error);
            else snprintf(rep.error, sizeof rep.error, "fatal error");
            rep.error[sizeof rep.error - 1] = '\0';
        }
        rep.status = o.status;
        rep.wall_seconds = o.wall_seconds;
        rep.cpu_seconds = o.cpu_seconds;
        if (!rep.fatal) record(cfg, sum, 0, o.status) /* counts only; result[] is rank 0's */;
    }
}

int iw_sched_execute(MPI_Comm comm, const iw_sched_config *cfg, iw_sched_summary *summary, iw_error *err)
{
    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    memset(summary, 0, sizeof *summary);
    double wall0 = iw_wall_seconds(), cpu0 = iw_cpu_seconds();
    iw_sched_config local = *cfg;
    if (rank != 0) local.result = NULL; /* workers count their own runs only */
    if (rank == 0 && local.result)
        for (int64_t i = 0; i < local.n_todo; i++) local.result[i] = IW_STATUS_PENDING;

    progress p = {.cfg = &local, .start = wall0};
    if (rank == 0) {
        for (int64_t i = 0; i < local.n_todo; i++) p.total_cost += local.cost ? local.cost[i] : 1.0;
        p.live = local.progress && isatty(fileno(local.progress));
    }

    int fatal = 0, rc = 0;
    if (size == 1) {
        rc = execute_alone(&local, &p, summary, err);
        if (rc != 0) fatal = 1;
        int64_t finished = summary->done + summary->diverged + summary->failed;
        summary->abandoned = local.n_todo - finished;
    } else if (rank == 0) {
        rc = execute_rank0(comm, size, &local, &p, summary, &fatal, err);
        if (rc != 0) fatal = 1;
    } else {
        execute_worker(comm, &local, summary, &fatal, err);
    }
    if (rank == 0 && p.live) {
        fputc('\n', local.progress);
        fflush(local.progress);
    }

    /* Agree on the outcome: whether rank 0 saw a stop, and the first fatal error (rank 0 holds a
     * worker's as "rank k: ...", so every rank leaves with the same message). */
    int stop_seen = rank == 0 && local.stop && *local.stop;
    iw_error mpi_err;
    if (iw_mpi_allreduce_int(comm, &stop_seen, 1, MPI_MAX, &mpi_err) != 0) {
        if (!fatal) *err = mpi_err;
        fatal = 1;
    }
    int agreed = iw_mpi_agree(comm, fatal ? -1 : 0, err);
    summary->interrupted = stop_seen && agreed == 0 && (rank != 0 || summary->abandoned > 0);
    summary->wall_seconds = iw_wall_seconds() - wall0;
    summary->rank0_cpu_seconds = rank == 0 ? iw_cpu_seconds() - cpu0 : 0;
    return agreed;
}

typedef struct todo_item { int64_t run; double cost; } todo_item;

static int heavier_first(const void *a, const void *b)
{
    const todo_item *x = a, *y = b;
    if (x->cost != y->cost) return x->cost > y->cost ? -1 : 1;
    return (x->run > y->run) - (x->run < y->run);
}

void iw_sched_order_heaviest_first(int64_t *todo, double *cost, int64_t n)
{
    if (n < 2) return;
    todo_item *items = malloc(sizeof *items * (size_t)n);
    if (!items) return; /* out of memory: grid order, still correct */
    for (int64_t i = 0; i < n; i++) items[i] = (todo_item){todo[i], cost[i]};
    qsort(items, (size_t)n, sizeof *items, heavier_first);
    for (int64_t i = 0; i < n; i++) {
        todo[i] = items[i].run;
        cost[i] = items[i].cost;
    }
    free(items);
}
