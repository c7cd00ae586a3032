/* test_mpi_util.c — mpi_util.h at any rank count (alone: 1 rank; tests/integration/mpi_util.sh:
 * 3 ranks): agreement on an error (every rank gets the lowest failing rank's message, "rank r: "
 * in front unless r is 0), broadcast and reduction, and waits that do not spin: a rank waiting
 * 0.4 s in a barrier for a sleeping rank uses a small fraction of that in CPU time (a spinning
 * wait would use all of it). Every rank prints its own result lines.
 */
#include <mpi.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "iw/mpi_util.h"
#include "test.h"

static int rank, size;

/* Every rank: rc of iw_mpi_agree when the ranks in `failing` (a bit set) fail with their own text. */
static int agree_with(unsigned failing, iw_error *err)
{
    int rc = 0;
    snprintf(err->message, sizeof err->message, "fine on %d", rank);
    if (failing >> rank & 1u) rc = iw_error_set(err, "broken on %d", rank);
    return iw_mpi_agree(MPI_COMM_WORLD, rc, err);
}

static void test_agree_all_ok(void)
{
    iw_error err;
    EXPECT(agree_with(0, &err) == 0, "rank %d: %s", rank, err.message);
    char mine[64];
    snprintf(mine, sizeof mine, "fine on %d", rank);
    EXPECT(strcmp(err.message, mine) == 0, "message left alone: %s", err.message);
}

static void test_agree_names_the_failing_rank(void)
{
    iw_error err;
    int last = size - 1;
    EXPECT(agree_with(1u << last, &err) == -1, "rank %d agreed on success", rank);
    char want[64];
    if (last == 0) snprintf(want, sizeof want, "broken on 0");
    else snprintf(want, sizeof want, "rank %d: broken on %d", last, last);
    EXPECT(strcmp(err.message, want) == 0, "rank %d got '%s', expected '%s'", rank, err.message, want);
}

static void test_agree_lowest_failing_rank_wins(void)
{
    iw_error err;
    unsigned failing = size >= 3 ? (1u << 1 | 1u << 2) : 1u << (size - 1);
    int first = size >= 3 ? 1 : size - 1;
    EXPECT(agree_with(failing, &err) == -1, "rank %d agreed on success", rank);
    char want[64];
    if (first == 0) snprintf(want, sizeof want, "broken on 0");
    else snprintf(want, sizeof want, "rank %d: broken on %d", first, first);
    EXPECT(strcmp(err.message, want) == 0, "rank %d got '%s', expected '%s'", rank, err.message, want);
    /* rank 0's own message is passed as is */
    EXPECT(agree_with(1u, &err) == -1 && strcmp(err.message, "broken on 0") == 0, "rank %d got '%s'", rank, err.message);
}

static void test_bcast_and_allreduce(void)
{
    iw_error err = {{0}};
    int root = size - 1;
    char text[32];
    snprintf(text, sizeof text, "from %d", rank);
    EXPECT(iw_mpi_bcast(MPI_COMM_WORLD, text, (int)sizeof text, root, &err) == 0, "%s", err.message);
    char want[32];
    snprintf(want, sizeof want, "from %d", root);
    EXPECT(strcmp(text, want) == 0, "rank %d got '%s'", rank, text);
    int v[2] = {rank, rank};
    EXPECT(iw_mpi_allreduce_int(MPI_COMM_WORLD, v, 1, MPI_MAX, &err) == 0 &&
               iw_mpi_allreduce_int(MPI_COMM_WORLD, v + 1, 1, MPI_SUM, &err) == 0,
           "%s", err.message);
    EXPECT(v[0] == size - 1 && v[1] == size * (size - 1) / 2, "max %d sum %d", v[0], v[1]);
}

/* Rank 0 waits in a barrier while the last rank sleeps 0.4 s first. */
static void test_wait_does_not_spin(void)
{
    if (size < 2) {
        TEST_SKIP("needs 2 ranks (tests/integration/mpi_util.sh runs 3)");
        return;
    }
    iw_error err = {{0}};
    iw_mpi_barrier(MPI_COMM_WORLD, NULL);
    double wall0 = iw_wall_seconds(), cpu0 = iw_cpu_seconds();
    if (rank == size - 1) nanosleep(&(struct timespec){0, 400000000L}, NULL);
    EXPECT(iw_mpi_barrier(MPI_COMM_WORLD, &err) == 0, "%s", err.message);
    double wall = iw_wall_seconds() - wall0, cpu = iw_cpu_seconds() - cpu0;
    if (rank == 0) {
        printf("# rank 0 waited %.3f s in the barrier using %.4f s of CPU\n", wall, cpu);
        EXPECT(wall >= 0.35, "the barrier waited %.3f s for a rank sleeping 0.4 s", wall);
        EXPECT(cpu < 0.25 * wall, "waiting %.3f s used %.3f s of CPU: it spins", wall, cpu);
    }
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    RUN_TEST(test_agree_all_ok);
    RUN_TEST(test_agree_names_the_failing_rank);
    RUN_TEST(test_agree_lowest_failing_rank_wins);
    RUN_TEST(test_bcast_and_allreduce);
    RUN_TEST(test_wait_does_not_spin);
    MPI_Finalize();
    return test_exit_code();
}
