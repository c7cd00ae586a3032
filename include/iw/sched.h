/* sched.h — the rank-0 scheduler and the worker loop (MPI). Knows MPI and run indices only: it
 * calls the run function it is given without knowing what a layer is. The protocol is in
 * docs/DESIGN.md ("The scheduler").
 *
 *   rank 0                                   rank k > 0
 *   ──────                                   ──────────
 *   todo = runs not done, heaviest first     loop: send REQUEST(last result) ──►
 *   on REQUEST: reply RUN(i) or STOP    ◄──  on RUN(i): fn(i) ; on STOP: leave
 *   progress + ETA on stderr
 * With one rank, rank 0 calls fn itself. No rank busy-polls: every wait goes through mpi_util.h
 * (MPI_Test + a sleep of 1 ms growing to 16 ms; Open MPI's blocking calls spin a whole core).
 * On *stop (SIGTERM/SIGINT) rank 0 hands out no more work and tells workers to stop; a worker
 * abandons its run in flight (the run function sees the same flag, which mpirun and srun deliver
 * to every rank) and reports back.
 */
#ifndef IW_SCHED_H
#define IW_SCHED_H

#include <mpi.h>
#include <signal.h>
#include <stdio.h>
#include "iw/common.h"

/* Result of one run as the worker reports it. */
typedef struct iw_sched_outcome {
    int status;           /* enum iw_status; IW_STATUS_PENDING = abandoned (interrupted) */
    double wall_seconds;
    double cpu_seconds;
} iw_sched_outcome;

/* Runs grid point `run` on the calling rank. Returns 0 (outcome filled, including failed runs
 * that were recorded) or -1 for an error that makes the whole job meaningless (err set). */
typedef int (*iw_sched_run_fn)(int64_t run, void *ctx, iw_sched_outcome *outcome, iw_error *err);

typedef struct iw_sched_config {
    const int64_t *todo;  /* runs to do, in hand-out order (rank 0 only) */
    const double *cost;   /* relative cost of each todo entry, for the ETA; NULL = all equal */
    int8_t *result;       /* rank 0, may be NULL: n_todo statuses, set as runs come back
                             (IW_STATUS_PENDING for runs not handed out or abandoned) */
    int64_t n_todo;
    int64_t n_total;      /* grid size R, for progress */
    int64_t n_done_before;/* runs already done in the store, for progress */
    iw_sched_run_fn run;
    void *ctx;
    volatile sig_atomic_t *stop;
    FILE *progress;       /* stderr; a line per finished run, or a live line on a terminal */
    /* Rank 0, may be NULL: a short label of a run for the progress line ("weight=4 l2=0 ..."). */
    void (*describe)(int64_t run, void *ctx, char *buf, size_t size);
} iw_sched_config;

typedef struct iw_sched_summary {
    int64_t done, diverged, failed, abandoned; /* this invocation */
    double rank0_cpu_seconds, wall_seconds;
    int interrupted;      /* stopped by *stop */
} iw_sched_summary;

/* Rank 0, before iw_sched_execute: orders todo[0..n) and cost[0..n) together, heaviest first
 * (equal costs keep increasing run order), so that the longest runs do not start last. */
void iw_sched_order_heaviest_first(int64_t *todo, double *cost, int64_t n);

/* Collective over comm. Returns 0 or -1 (err) when a run function reported a fatal error; then
 * rank 0 hands out nothing more, and every rank returns -1 with the same message: the failing
 * rank's, prefixed "rank k: " when k is not 0 (iw_mpi_agree). */
int iw_sched_execute(MPI_Comm comm, const iw_sched_config *cfg, iw_sched_summary *summary, iw_error *err);

#endif
