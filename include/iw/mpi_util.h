/* mpi_util.h — waiting, broadcasting and agreeing across MPI ranks without spinning.
 *
 * Why: Open MPI's blocking calls (MPI_Recv, MPI_Barrier, MPI_Bcast, MPI_Finalize, ...) busy-poll a
 * whole core while they wait (docs/MACHINE-NOTES.md: 5.0 s of CPU in 5 s of waiting), and rank 0
 * shares its node with the workers. Every wait here is a non-blocking call completed by MPI_Test
 * with a sleep between tests: 1 ms, doubling up to 16 ms while nothing arrives. A long wait then
 * costs about nothing (measured 1.4% of a core at 1 ms), and a message arriving waits at most
 * 16 ms more, nothing next to runs of seconds.
 *
 * Agreement: a collective step (open the store, load the node's data, ...) can fail on some ranks
 * only. Each rank passes its own result to iw_mpi_agree, and every rank leaves with the same
 * verdict and the same message, the failing rank named:
 *
 *   rank 0: ok          rank 1: ok          rank 3: -1 "data.bin: truncated"
 *          └─────────── iw_mpi_agree ───────────┘
 *   every rank: -1, "rank 3: data.bin: truncated"      (rank 0 then prints it once)
 *
 * so that no rank is left waiting in a later collective and rank 0 can say what happened.
 *
 * Errors: every function returns 0, or -1 with err set ("MPI_Ibcast: <MPI's error string>") when
 * MPI reports an error (only possible on a communicator whose error handler returns errors; the
 * default handler aborts the job).
 */
#ifndef IW_MPI_UTIL_H
#define IW_MPI_UTIL_H

#include <mpi.h>
#include "iw/common.h"

/* One step of a wait the caller interleaves with its own checks (e.g. a stop flag): tests req;
 * returns 1 when it completed (status filled; *pause_ns reset), 0 when not after sleeping *pause_ns
 * (0 on the first call means 1 ms) and doubling it up to 16 ms, -1 on an MPI error (err set). */
int iw_mpi_test(MPI_Request *req, MPI_Status *status, long *pause_ns, iw_error *err);

/* Waits for req to complete (status may be MPI_STATUS_IGNORE). */
int iw_mpi_wait(MPI_Request *req, MPI_Status *status, iw_error *err);

/* Collective over comm: a barrier. */
int iw_mpi_barrier(MPI_Comm comm, iw_error *err);

/* Collective over comm: `bytes` bytes of buf from rank `root` to every rank. */
int iw_mpi_bcast(MPI_Comm comm, void *buf, int bytes, int root, iw_error *err);

/* Collective over comm: values[0..n) on every rank become their reduction with op (MPI_MIN,
 * MPI_MAX, MPI_SUM, ...) over all ranks. */
int iw_mpi_allreduce_int(MPI_Comm comm, int *values, int n, MPI_Op op, iw_error *err);

/* Collective over comm: every rank passes rc, the result of its part of a step (0 or -1, with its
 * message in err). Returns 0 on every rank when every rc was 0. Otherwise returns -1 on every rank
 * with err holding the message of the lowest failing rank r: as is when r is 0 (so a one-rank
 * run's messages read the same as without MPI), else "rank r: <message>". err may be NULL on any
 * rank (its message is then "unknown error"). */
int iw_mpi_agree(MPI_Comm comm, int rc, iw_error *err);

#endif
