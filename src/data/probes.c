/* probes.c — the noise probe: images of the input's shape whose values are uniform over the raw
 * input range (0..255 for pixels, the training data's bounding box for 2-D data), drawn from a
 * stream of their own, (data.seed, IW_STREAM_NOISE), so they do not depend on the run seed, the
 * class pair or the counts. They are normalised afterwards like every other split.
 * (The out-of-class probe is picked with the test split, in images.c.)
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
