/* pmix_fence_probe.c — does MPI_Finalize wait for every rank of the job? Built and run by
 * cluster_pmix_fence.sh under srun --mpi=pmix on several nodes. Open MPI 4.1 begins MPI_Finalize
 * with a PMIx fence that collects no data (as it ends MPI_Init with one): a barrier over the job
 * when the resource manager's collective spans the nodes. The last rank sleeps SECONDS (default 3)
 * before entering; every rank prints, after MPI_Finalize, when it entered and left (CLOCK_REALTIME,
 * seconds; the test's nodes share one kernel and so one clock):
 *     probe rank R of N on HOST: entered T_in, left T_out
 * With a real barrier no rank leaves before the last one entered. Arguments after SECONDS are
 * ignored (the batch scripts pass the sweep file and store).
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, size;
    char host[256] = "";
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    gethostname(host, sizeof host - 1);
    unsigned seconds = argc > 1 && atoi(argv[1]) > 0 ? (unsigned)atoi(argv[1]) : 3;
    if (rank == size - 1) sleep(seconds);
    double entered = now();
    MPI_Finalize();
    printf("probe rank %d of %d on %s: entered %.6f, left %.6f\n", rank, size, host, entered, now());
    return 0;
}
