/* bench_data_share.c — what one copy of the data per node saves, in proportional set size (Pss).
 *
 *   mpirun -np 4 build/bench/bench_data_share [FASHION_MNIST_DIR]
 *   build/bench/bench_data_share [FASHION_MNIST_DIR]     (not under mpirun: relaunches itself as
 *                                                         mpirun --oversubscribe -np $IW_BENCH_RANKS, default 4)
 *
 * Issue 4, item 6: with 4 ranks, a sweep whose data is large (a Fashion-MNIST pair at 6000 training
 * images per class, 1000 test images per class, the out-of-class probe (8000 images) and 1000 noise
 * images) should cost at most 1.5x one copy of that data more than the same sweep on a tiny subset
 * (10 images per class, 10 noise images, no out-of-class probe). Each rank loads, touches every
 * value (a sum, so every page is mapped), then reads its Pss from /proc/self/smaps_rollup; rank 0
 * prints the sums (after a barrier: a shared page's share depends on how many ranks map it
 * at the time of reading). Pss splits a shared page among the processes that map it, so the sum over the
 * ranks counts the node's shared copy once. The naive way — every rank loading its own copy with
 * iw_data_load — is measured too, for contrast. Memory, not time: the figures do not depend on load.
 */
#include <errno.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "iw/data.h"
#include "iw/node_data.h"

static int64_t large_other; /* size of the out-of-class probe, for the printout */

/* Reads every value so that every page is mapped into this process. */
static double touch(const iw_data *data)
{
    const iw_split *splits[4] = {&data->train, &data->test, &data->other, &data->noise};
    const size_t example = iw_shape_size(data->shape);
    double sum = 0;
    for (int s = 0; s < 4; s++) {
        for (size_t i = 0; i < (size_t)splits[s]->n * example; i++) sum += splits[s]->x[i];
        if (splits[s]->y)
            for (int64_t i = 0; i < splits[s]->n; i++) sum += splits[s]->y[i];
    }
    return sum;
}

static iw_data_spec fashion_spec(const char *dir, int large)
{
    iw_data_spec spec;
    memset(&spec, 0, sizeof spec);
    spec.source = IW_SOURCE_FASHION_MNIST;
    snprintf(spec.path, sizeof spec.path, "%s", dir);
    spec.classes[0] = 0;
    spec.classes[1] = 6;
    spec.train_per_class[0] = spec.train_per_class[1] = large ? 6000 : 10;
    spec.test_per_class[0] = spec.test_per_class[1] = large ? 1000 : 10;
    spec.probe_other = large;
    spec.probe_noise = 1;
    spec.noise_count = large ? 1000 : 10;
    spec.data_seed = 1;
    return spec;
}

/* Loads (shared or private), touches, returns the Pss summed over the ranks (valid on rank 0) and
 * the data's packed size. Returns -1 when loading failed (message printed by rank 0). */
static int measure(const iw_data_spec *spec, int shared, double *pss_sum, double *copy_bytes, double *checksum)
{
    iw_data data;
    iw_node_data *handle = NULL;
    iw_error err = {{0}};
    int rank, rc;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    rc = shared ? iw_node_data_load(MPI_COMM_WORLD, spec, &data, &handle, &err) : iw_data_load(spec, &data, &err);
    int failed = rc != 0, any_failed;
    MPI_Allreduce(&failed, &any_failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (any_failed) {
        if (failed) fprintf(stderr, "bench_data_share: rank %d: %s\n", rank, err.message);
        if (!failed && !shared) iw_data_free(&data);
        if (!failed && shared) iw_node_data_free(handle, &data);
        return -1;
    }
    *checksum = touch(&data);
    if (spec->probe_other) large_other = data.other.n;
    *copy_bytes = (double)iw_data_packed_size(&data);
    MPI_Barrier(MPI_COMM_WORLD); /* every rank has mapped the shared pages before anyone counts */
    double mine = iw_pss_bytes();
    MPI_Reduce(&mine, pss_sum, 1, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);
    if (shared) iw_node_data_free(handle, &data);
    else iw_data_free(&data);
    MPI_Barrier(MPI_COMM_WORLD);
    return 0;
}

/* Started by hand or by bench/run_bench.sh (no mpirun): run again under mpirun with N ranks, as the
 * measurement needs several ranks on one node. Returns only if that cannot be done. */
static void relaunch_under_mpirun(int argc, char **argv)
{
    if (getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("SLURM_PROCID")) return;
    const char *ranks = getenv("IW_BENCH_RANKS") ? getenv("IW_BENCH_RANKS") : "4";
    if (geteuid() == 0) { /* Open MPI refuses root without these (tests/integration/lib.sh sets them too) */
        setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 0);
        setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 0);
    }
    setenv("OMPI_MCA_btl_vader_single_copy_mechanism", "none", 0);
    char *args[64];
    int n = 0;
    args[n++] = "mpirun";
    args[n++] = "--oversubscribe";
    args[n++] = "-np";
    args[n++] = (char *)ranks;
    for (int i = 0; i < argc && n < 63; i++) args[n++] = argv[i];
    args[n] = NULL;
    fflush(stdout);
    execvp("mpirun", args);
    fprintf(stderr, "bench_data_share: cannot run mpirun (%s); measuring with 1 rank\n", strerror(errno));
}

int main(int argc, char **argv)
{
    relaunch_under_mpirun(argc, argv);
    MPI_Init(&argc, &argv);
    int rank, size, node_size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Comm node;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
    MPI_Comm_size(node, &node_size);
    MPI_Comm_free(&node);
    const char *dir = argc > 1 ? argv[1] : "/usr/share/datasets/fashion-mnist";
    iw_data_spec tiny = fashion_spec(dir, 0), large = fashion_spec(dir, 1);

    double base_mine = iw_pss_bytes(), base = 0;
    MPI_Reduce(&base_mine, &base, 1, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);
    double pss[3] = {0}, copy[3] = {0}, check[3] = {0};
    int failed = measure(&tiny, 1, &pss[0], &copy[0], &check[0]) || measure(&large, 1, &pss[1], &copy[1], &check[1]) ||
                 measure(&large, 0, &pss[2], &copy[2], &check[2]);
    if (rank == 0 && !failed) {
        const double mib = 1048576.0;
        printf("bench_data_share: %d ranks, %d on rank 0's node; Fashion-MNIST %s, classes 0 vs 6\n", size, node_size, dir);
        printf("large: 6000/class train, 1000/class test, other-classes probe (%lld images), 1000 noise images\n",
               (long long)large_other);
        printf("tiny:  10/class train, 10/class test, 10 noise images\n");
        printf("one copy of the large data: %.1f MiB (packed block)\n", copy[1] / mib);
        printf("%-38s %14s %14s\n", "phase", "Pss sum (MiB)", "per rank (MiB)");
        printf("%-38s %14.1f %14.1f\n", "baseline (MPI up, no data)", base / mib, base / mib / size);
        printf("%-38s %14.1f %14.1f\n", "tiny subset, node-shared", pss[0] / mib, pss[0] / mib / size);
        printf("%-38s %14.1f %14.1f\n", "large, node-shared (one copy/node)", pss[1] / mib, pss[1] / mib / size);
        printf("%-38s %14.1f %14.1f\n", "large, private (iw_data_load per rank)", pss[2] / mib, pss[2] / mib / size);
        double extra_shared = pss[1] - pss[0], extra_private = pss[2] - pss[0];
        printf("extra cost of large over tiny, node-shared: %.1f MiB = %.2fx one copy (target <= 1.5x)\n",
               extra_shared / mib, extra_shared / copy[1]);
        printf("extra cost of large over tiny, private:     %.1f MiB = %.2fx one copy\n", extra_private / mib,
               extra_private / copy[1]);
        printf("checksums (shared = private): %.6g %.6g\n", check[1], check[2]);
    }
    MPI_Finalize();
    return failed ? 1 : 0;
}
