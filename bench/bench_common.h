/* bench_common.h — what the engine benchmarks share: a set of random minibatches with importance
 * weights, made once before timing so that the timed loop allocates nothing. */
#ifndef IW_BENCH_COMMON_H
#define IW_BENCH_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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

#endif
