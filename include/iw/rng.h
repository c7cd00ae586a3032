/* rng.h — seeded random numbers with independent streams (xoshiro256** seeded by splitmix64).
 *
 * Determinism (docs/DESIGN.md): the run seed alone picks the initialisation, the minibatch order and
 * the dropout masks, each from its own stream, so runs that differ only in importance weight or
 * regulariser start from the same network and see the same batches. A stream is identified by
 * (seed, stream id); the state is a plain struct, copied into checkpoints as is.
 */
#ifndef IW_RNG_H
#define IW_RNG_H

#include <stddef.h>
#include <stdint.h>

enum iw_rng_stream {
    IW_STREAM_INIT = 1,      /* network initialisation */
    IW_STREAM_BATCH = 2,     /* minibatch order (one shuffle per epoch) */
    IW_STREAM_DROPOUT = 3,   /* dropout masks */
    IW_STREAM_SUBSAMPLE = 4, /* which examples a subsample run keeps */
    IW_STREAM_DATA = 5,      /* synthetic data draws (data.seed) */
    IW_STREAM_NOISE = 6,     /* noise-probe images (data.seed) */
    IW_STREAM_OTHER = 7,     /* which images the out-of-class probe keeps with data.other_count (data.seed) */
    IW_STREAM_VALIDATION = 8,/* which training examples a run holds out for validation */
    IW_STREAM_BOOTSTRAP = 9  /* iwreport effect's resampling of seeds (its --seed; one stream per
                                cell: stream id 9 + 256 x cell, see src/report/report_effect.c) */
};

typedef struct iw_rng {
    uint64_t s[4];
} iw_rng;

void iw_rng_seed(iw_rng *rng, uint64_t seed, uint64_t stream);
uint64_t iw_rng_next(iw_rng *rng);
/* Uniform float in [0, 1) with 24 random bits. */
float iw_rng_uniform(iw_rng *rng);
/* Standard normal (Box-Muller, double internally). */
double iw_rng_normal(iw_rng *rng);
/* Uniform integer in [0, n), n > 0, without modulo bias. */
uint64_t iw_rng_below(iw_rng *rng, uint64_t n);
/* Fisher-Yates shuffle of a[0..n). */
void iw_rng_shuffle(iw_rng *rng, int32_t *a, size_t n);

#endif
