/* synthetic2d.c — the paper's 2-D data (its first figure): two Gaussian clouds, the second the
 * first rotated and translated.
 *
 *   class 0 (negative):  p = (std_x * z0, std_y * z1),  z ~ N(0, I)
 *   class 1 (positive):  p = R(rotation_deg) (std_x * z0, std_y * z1) + shift
 *
 * Draws come from one stream, (data.seed, IW_STREAM_DATA), in the order: training class 0,
 * training class 1, test class 0, test class 1 (so the training set does not change with the test
 * counts). Examples have shape (2, 1, 1): the two coordinates are two channels, normalised like
 * image channels. The noise probe is uniform over the training points' bounding box; there are no
 * other classes, so the other-classes probe is empty (n = 0) here.
 */
#include "data_internal.h"

#include <math.h>
#include <string.h>

#include "iw/rng.h"

static void draw(iw_rng *rng, const iw_synthetic2d_spec *s, int positive, float *x, int32_t *y, int n)
{
    const double angle = s->rotation_deg * (3.14159265358979323846 / 180.0);
    const double c = cos(angle), sn = sin(angle);
    for (int i = 0; i < n; i++) {
        double u = s->std[0] * iw_rng_normal(rng), v = s->std[1] * iw_rng_normal(rng);
        if (positive) {
            double ru = c * u - sn * v, rv = sn * u + c * v;
            u = ru + s->shift[0];
            v = rv + s->shift[1];
        }
        x[2 * i] = (float)u;
        x[2 * i + 1] = (float)v;
        y[i] = positive;
    }
}

int iw_synthetic2d_generate(const iw_data_spec *spec, iw_data *data, iw_error *err)
{
    static const char *const names[2] = {"class 0", "class 1"};
    const iw_synthetic2d_spec *s = &spec->synthetic;
    memset(data, 0, sizeof *data);
    if (iw_data_check_spec_counts(spec, 2, names, err)) return -1;
    for (int k = 0; k < 2; k++) {
        if (!(s->std[k] > 0) || !isfinite(s->std[k]))
            return iw_error_set(err, "data.synthetic.std: expected two numbers > 0, got [%g, %g]", s->std[0], s->std[1]);
        if (!isfinite(s->shift[k]))
            return iw_error_set(err, "data.synthetic.shift: expected two finite numbers");
    }
    if (!isfinite(s->rotation_deg))
        return iw_error_set(err, "data.synthetic.rotation_deg: expected a finite number of degrees");
    iw_data_counts counts = {
        .train = (int64_t)spec->train_per_class[0] + spec->train_per_class[1],
        .test = (int64_t)spec->test_per_class[0] + spec->test_per_class[1],
        .other = 0,
        .noise = spec->probe_noise ? spec->noise_count : 0,
    };
    if (iw_data_alloc_block(data, (iw_shape){2, 1, 1}, counts, err)) return -1;
    iw_rng rng;
    iw_rng_seed(&rng, spec->data_seed, IW_STREAM_DATA);
    iw_split *splits[2] = {&data->train, &data->test};
    const int *per_class[2] = {spec->train_per_class, spec->test_per_class};
    for (int part = 0; part < 2; part++) {
        float *x = iw_split_x_mut(splits[part]);
        int32_t *y = iw_split_y_mut(splits[part]);
        int n0 = per_class[part][0];
        draw(&rng, s, 0, x, y, n0);
        draw(&rng, s, 1, x + 2 * (size_t)n0, y + n0, per_class[part][1]);
    }
    if (data->noise.n > 0) {
        double lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY};
        for (int64_t i = 0; i < data->train.n; i++)
            for (int c = 0; c < 2; c++) {
                double v = data->train.x[2 * i + c];
                if (v < lo[c]) lo[c] = v;
                if (v > hi[c]) hi[c] = v;
            }
        iw_data_fill_noise(data, lo, hi, spec->data_seed);
    }
    iw_data_normalise(data);
    return 0;
}
