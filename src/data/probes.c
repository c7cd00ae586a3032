/* probes.c — the noise probe: images of the input's shape whose values are uniform over the raw
 * input range (0..255 for pixels, the training data's bounding box for 2-D data), drawn from a
 * stream of their own, (data.seed, IW_STREAM_NOISE), so they do not depend on the run seed, the
 * class pair or the counts. They are normalised afterwards like every other split.
 * And which images the out-of-class probe keeps when data.other_count asks for a subset: a fixed
 * random subset from (data.seed, IW_STREAM_OTHER), the same for every run of a sweep (so that runs
 * stay paired) and on every node. (The probe's images are read with the test split, in images.c.)
 */
#include "data_internal.h"

#include "iw/rng.h"

void iw_data_fill_noise(iw_data *data, const double *lo, const double *hi, uint64_t seed)
{
    iw_rng rng;
    iw_rng_seed(&rng, seed, IW_STREAM_NOISE);
    const size_t plane = (size_t)data->shape.h * (size_t)data->shape.w;
    float *x = iw_split_x_mut(&data->noise);
    for (int64_t i = 0; i < data->noise.n; i++)
        for (int c = 0; c < data->shape.c; c++) {
            const double width = hi[c] - lo[c];
            for (size_t k = 0; k < plane; k++) *x++ = (float)(lo[c] + width * (double)iw_rng_uniform(&rng));
        }
}

void iw_data_choose_other(uint8_t *keep, int64_t n, int64_t k, uint64_t seed)
{
    iw_rng rng;
    iw_rng_seed(&rng, seed, IW_STREAM_OTHER);
    int64_t chosen = 0;
    for (int64_t t = 0; t < n; t++) {
        /* keep candidate t with probability (still wanted) / (still left) */
        int take = k >= n || (chosen < k && (int64_t)iw_rng_below(&rng, (uint64_t)(n - t)) < k - chosen);
        keep[t] = (uint8_t)take;
        chosen += take;
    }
}
