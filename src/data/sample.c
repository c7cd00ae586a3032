/* sample.c — the examples one run uses: its validation split, then its training set (importance
 * weights on the loss, or sub-sampling).
 *
 * The validation split (data.val_per_class) comes first and is drawn from a stream of its own,
 * (seed, IW_STREAM_VALIDATION): for each class, its loaded training rows are shuffled and the first
 * val_per_class[k] are held out. It depends on the seed and the counts only, so every run of one
 * seed, whatever its weight, sampling or loss, is evaluated on the same examples and never trains
 * on them. The rest (the pool) is what the training set is chosen from.
 *
 * The paper's third finding compares the two ways of expressing a class weight w on the positive
 * class: weight the loss (sampling = weight), or change the class ratio instead (sampling =
 * subsample): with w > 1 keep a fraction 1/w of the negatives, with w < 1 keep a fraction w of the
 * positives, every kept example with weight 1. The kept examples are the first k of a shuffle
 * drawn from (seed, IW_STREAM_SUBSAMPLE), so for one seed a smaller fraction keeps a subset of a
 * larger one, and runs differing only in other axes keep the same examples. idx lists the kept
 * examples in training-set order.
 */
#include "iw/data.h"

#include <math.h>
#include <stdlib.h>

#include "iw/rng.h"

static int compare_index(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

int iw_data_validation_split(const iw_data *data, const int val_per_class[2], uint64_t seed, int32_t *val_idx,
                             int64_t *n_val, int32_t *pool, int64_t *n_pool, iw_error *err)
{
    const int64_t n = data->train.n;
    const int32_t *y = data->train.y;
    *n_val = *n_pool = 0;
    if (n > INT32_MAX) return iw_error_set(err, "data: %lld training examples, at most %d supported", (long long)n, INT32_MAX);
    int64_t count[2] = {0, 0};
    for (int64_t i = 0; i < n; i++) count[y[i] != 0]++;
    for (int k = 0; k < 2; k++)
        if (val_per_class[k] < 0 || val_per_class[k] >= count[k])
            return iw_error_set(err, "data.val_per_class: %d of class %s held out of %lld training examples; expected 0 to %lld",
                                val_per_class[k], k ? "positive" : "negative", (long long)count[k], (long long)count[k] - 1);
    /* held[i] = 1 for the held-out rows; the rows of each class, shuffled, in `rows` */
    unsigned char *held = calloc((size_t)(n > 0 ? n : 1), 1);
    int32_t *rows = malloc((size_t)(n > 0 ? n : 1) * sizeof *rows);
    if (!held || !rows) {
        free(held);
        free(rows);
        return iw_error_set(err, "data: out of memory choosing the validation split");
    }
    iw_rng rng;
    iw_rng_seed(&rng, seed, IW_STREAM_VALIDATION);
    for (int k = 0; k < 2; k++) {
        int64_t m = 0;
        for (int64_t i = 0; i < n; i++)
            if ((y[i] != 0) == k) rows[m++] = (int32_t)i;
        iw_rng_shuffle(&rng, rows, (size_t)m);
        for (int64_t j = 0; j < val_per_class[k]; j++) held[rows[j]] = 1;
    }
    for (int64_t i = 0; i < n; i++) {
        if (held[i]) val_idx[(*n_val)++] = (int32_t)i;
        else pool[(*n_pool)++] = (int32_t)i;
    }
    free(held);
    free(rows);
    return 0;
}

int iw_data_training_set(const iw_data *data, const int32_t *pool, int64_t n_pool, iw_sampling sampling,
                         double importance_weight, uint64_t seed, int32_t *idx, float *weights, int64_t *n_out,
                         iw_error *err)
{
    const int64_t n = pool ? n_pool : data->train.n;
    const int32_t *y = data->train.y;
    *n_out = 0;
    if (!(importance_weight > 0) || !isfinite(importance_weight))
        return iw_error_set(err, "importance_weight: expected a finite number > 0, got %g", importance_weight);
    if (data->train.n > INT32_MAX)
        return iw_error_set(err, "data: %lld training examples, at most %d supported", (long long)data->train.n, INT32_MAX);
#define ROW(i) (pool ? pool[i] : (int32_t)(i)) /* the i-th row of the pool, in training-set order */
    int64_t count[2] = {0, 0};
    for (int64_t i = 0; i < n; i++) count[y[ROW(i)] != 0]++;
    if (count[0] < 1 || count[1] < 1)
        return iw_error_set(err, "data: the training set needs examples of both classes (has %lld negative, %lld positive)",
                            (long long)count[0], (long long)count[1]);
    if (sampling == IW_SAMPLING_WEIGHT) {
        for (int64_t i = 0; i < n; i++) {
            idx[i] = ROW(i);
            weights[i] = y[idx[i]] ? (float)importance_weight : 1.0f;
        }
        *n_out = n;
        return 0;
    }
    if (sampling != IW_SAMPLING_SUBSAMPLE) return iw_error_set(err, "sampling: unknown value %d", (int)sampling);

    /* thin = the class to thin, keep = how many of it stay */
    int thin = importance_weight >= 1.0 ? 0 : 1;
    double fraction = importance_weight >= 1.0 ? 1.0 / importance_weight : importance_weight;
    int64_t keep = (int64_t)llround((double)count[thin] * fraction);
    if (keep < 1) /* one class only: not the ratio asked for, and not a classification (the parser refuses it too) */
        return iw_error_set(err, "sampling subsample: weight %g keeps round(%lld x %g) = 0 %s training examples; "
                                 "more examples of that class are needed", importance_weight, (long long)count[thin],
                            fraction, thin ? "positive" : "negative");
    if (keep > count[thin]) keep = count[thin];

    /* candidates of the thinned class, shuffled; the first `keep` stay */
    int32_t *candidates = malloc((size_t)count[thin] * sizeof *candidates);
    if (!candidates) return iw_error_set(err, "data: out of memory choosing the sub-sample");
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++)
        if ((y[ROW(i)] != 0) == thin) candidates[m++] = ROW(i);
    iw_rng rng;
    iw_rng_seed(&rng, seed, IW_STREAM_SUBSAMPLE);
    iw_rng_shuffle(&rng, candidates, (size_t)m);
    qsort(candidates, (size_t)keep, sizeof *candidates, compare_index);

    /* merge: every example of the other class, plus the kept ones, in training-set order */
    int64_t out = 0, next = 0;
    for (int64_t i = 0; i < n; i++) {
        int32_t row = ROW(i);
        int take = (y[row] != 0) != thin;
        if (!take && next < keep && candidates[next] == row) {
            take = 1;
            next++;
        }
        if (take) {
            idx[out] = row;
            weights[out] = 1.0f;
            out++;
        }
    }
#undef ROW
    free(candidates);
    *n_out = out;
    return 0;
}
