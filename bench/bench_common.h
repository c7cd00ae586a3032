/* bench_common.h — what the engine benchmarks share:
 *   - random minibatches with importance weights, made once before timing (the timed loops
 *     allocate nothing);
 *   - the machine line every benchmark prints first: the CPU model (/proc/cpuinfo), the OpenBLAS
 *     kernel (openblas_get_corename) and thread count, the engine's kernel path (iw_engine_isa:
 *     IW_ENGINE_ISA selects it) and one thread's sgemm peak measured in the same process (best
 *     of five cblas_sgemm calls at 1024^3, and at 64 x 9216 x 576, the shape of an im2col product
 *     of the CNN's second layer), against which each figure is given as a fraction;
 *   - process CPU time, which a machine shared with other work inflates less than wall time.
 */
#ifndef IW_BENCH_COMMON_H
#define IW_BENCH_COMMON_H

#include <cblas.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iw/common.h"
#include "iw/engine.h"
#include "iw/rng.h"

/* n_batches minibatches of `batch` examples of d floats: x (n_batches*batch, d) uniform in [0, 1),
 * labels y in {0, 1}, weight 4 on the positive class and 1 on the negative. Exits on no memory
 * (a benchmark's main() decides that). */
static inline void bench_make_batches(const char *who, iw_rng *rng, int n_batches, int batch, size_t d,
                                      float **x, int32_t **y, float **w)
{
    size_t n = (size_t)n_batches * (size_t)batch;
    *x = malloc(sizeof(float) * n * d);
    *w = malloc(sizeof(float) * n);
    *y = malloc(sizeof(int32_t) * n);
    if (!*x || !*w || !*y) {
        fprintf(stderr, "%s: out of memory\n", who);
        exit(1);
    }
    for (size_t i = 0; i < n * d; i++) (*x)[i] = iw_rng_uniform(rng);
    for (size_t i = 0; i < n; i++) {
        (*y)[i] = (int32_t)iw_rng_below(rng, 2);
        (*w)[i] = (*y)[i] ? 4.0f : 1.0f;
    }
}

typedef struct bench_machine {
    char cpu[160];       /* "model name" of /proc/cpuinfo */
    const char *core;    /* OpenBLAS kernel */
    const char *path;    /* engine kernel path: portable, avx2, avx512 */
    double peak;         /* GFLOP/s of one thread's cblas_sgemm at 1024^3 (best of 5, CPU time) */
    double peak_conv;    /* the same at 64 x 9216 x 576 */
} bench_machine;

/* GFLOP/s of the best of five cblas_sgemm (M x N) = (M x K)(K x N), by process CPU time. */
static inline double bench_sgemm_gflops(int M, int N, int K)
{
    float *a = malloc(sizeof(float) * (size_t)M * K), *b = malloc(sizeof(float) * (size_t)K * N);
    float *c = malloc(sizeof(float) * (size_t)M * N);
    if (!a || !b || !c) {
        fprintf(stderr, "bench: out of memory\n");
        exit(1);
    }
    for (size_t i = 0; i < (size_t)M * K; i++) a[i] = (float)(i % 7) * 0.1f;
    for (size_t i = 0; i < (size_t)K * N; i++) b[i] = (float)(i % 5) * 0.1f;
    double best = 1e30;
    for (int r = 0; r < 6; r++) { /* the first is a warm-up */
        double t0 = iw_cpu_seconds();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, a, K, b, N, 0.0f, c, N);
        double t = iw_cpu_seconds() - t0;
        if (r > 0 && t < best) best = t;
    }
    free(a); free(b); free(c);
    return 2.0 * M * N * K / best * 1e-9;
}

/* Sets OpenBLAS to one thread, measures the sgemm peaks and prints the machine line. */
static inline void bench_machine_line(const char *who, bench_machine *m)
{
    memset(m, 0, sizeof *m);
    m->core = iw_engine_init_threads();
    m->path = iw_engine_isa_name(iw_engine_isa());
    snprintf(m->cpu, sizeof m->cpu, "unknown CPU");
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "model name", 10) == 0) {
            const char *v = strchr(line, ':');
            if (v) snprintf(m->cpu, sizeof m->cpu, "%s", v + 2);
            m->cpu[strcspn(m->cpu, "\n")] = '\0';
            break;
        }
    if (f) fclose(f);
    m->peak = bench_sgemm_gflops(1024, 1024, 1024);
    m->peak_conv = bench_sgemm_gflops(64, 9216, 576);
    printf("%s: CPU %s; OpenBLAS %s, %d thread; engine path %s; one-thread sgemm peak %.1f GFLOP/s at 1024^3, "
           "%.1f at 64x9216x576\n", who, m->cpu, m->core, openblas_get_num_threads(), m->path, m->peak,
           m->peak_conv);
    const char *warning = iw_engine_kernel_warning();
    if (warning) printf("  warning: %s\n", warning);
}

#endif
