/* mpi_util.c — MPI waits that do not spin, and agreement on an error across ranks (mpi_util.h).
 * The sleep between tests starts at 1 ms and doubles to 16 ms: docs/MACHINE-NOTES.md measured 1.4% of a
 * core for a 1 ms sleep, and the longer pauses make an idle rank's wait cheaper still.
 */
#include "iw/mpi_util.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define PAUSE_MIN_NS 1000000L  /* 1 ms */
#define PAUSE_MAX_NS 16000000L /* 16 ms */

/* "MPI_Ibcast: <MPI's text for code>". Returns -1. */
static int mpi_fail(iw_error *err, const char *call, int code)
{
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(code, text, &len) != MPI_SUCCESS) snprintf(text, sizeof text, "error %d", code);
    return iw_error_set(err, "%s: %s", call, text);
}

int iw_mpi_test(MPI_Request *req, MPI_Status *status, long *pause_ns, iw_error *err)
{
    int done = 0;
    int rc = MPI_Test(req, &done, status);
    if (rc != MPI_SUCCESS) return mpi_fail(err, "MPI_Test", rc);
    if (done) {
        *pause_ns = 0;
        return 1;
    }
    if (*pause_ns < PAUSE_MIN_NS) *pause_ns = PAUSE_MIN_NS;
    struct timespec pause = {0, *pause_ns};
    nanosleep(&pause, NULL);
    if (*pause_ns < PAUSE_MAX_NS) *pause_ns *= 2;
    return 0;
}

int iw_mpi_wait(MPI_Request *req, MPI_Status *status, iw_error *err)
{
    long pause = 0;
    for (;;) {
        int rc = iw_mpi_test(req, status, &pause, err);
        if (rc != 0) return rc < 0 ? -1 : 0;
    }
}

int iw_mpi_barrier(MPI_Comm comm, iw_error *err)
{
    MPI_Request req;
    int rc = MPI_Ibarrier(comm, &req);
    if (rc != MPI_SUCCESS) return mpi_fail(err, "MPI_Ibarrier", rc);
    return iw_mpi_wait(&req, MPI_STATUS_IGNORE, err);
}

int iw_mpi_bcast(MPI_Comm comm, void *buf, int bytes, int root, iw_error *err)
{
    MPI_Request req;
    int rc = MPI_Ibcast(buf, bytes, MPI_BYTE, root, comm, &req);
    if (rc != MPI_SUCCESS) return mpi_fail(err, "MPI_Ibcast", rc);
    return iw_mpi_wait(&req, MPI_STATUS_IGNORE, err);
}

int iw_mpi_allreduce_int(MPI_Comm comm, int *values, int n, MPI_Op op, iw_error *err)
{
    MPI_Request req;
    int rc = MPI_Iallreduce(MPI_IN_PLACE, values, n, MPI_INT, op, comm, &req);
    if (rc != MPI_SUCCESS) return mpi_fail(err, "MPI_Iallreduce", rc);
    return iw_mpi_wait(&req, MPI_STATUS_IGNORE, err);
}

int iw_mpi_agree(MPI_Comm comm, int rc, iw_error *err)
{
    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    int first = rc == 0 ? size : rank; /* after the reduction: the lowest failing rank, or size */
    iw_error mpi_err;
    if (iw_mpi_allreduce_int(comm, &first, 1, MPI_MIN, &mpi_err) != 0) return iw_error_set(err, "%s", mpi_err.message);
    if (first == size) return 0;
    char message[sizeof mpi_err.message];
    if (rank == first) snprintf(message, sizeof message, "%s", err ? err->message : "unknown error");
    if (iw_mpi_bcast(comm, message, (int)sizeof message, first, &mpi_err) != 0)
        return iw_error_set(err, "%s", mpi_err.message);
    message[sizeof message - 1] = '\0';
    if (first == 0) return iw_error_set(err, "%s", message);
    return iw_error_set(err, "rank %d: %.2000s", first, message);
}
