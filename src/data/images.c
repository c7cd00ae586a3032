/* images.c — the class pair and the out-of-class probe from any labelled image source.
 *
 * Which examples (data.h): the first train_per_class[k] examples of class classes[k] in the
 * training files' order, the first test_per_class[k] of the test file, and, for the probe
 * other-classes, every test image whose class is neither of the pair, or with data.other_count a
 * fixed random subset of them (probes.c). Selected examples keep the file order within each split
 * (classes interleaved as in the file). Labels become 0 = classes[0] (negative), 1 = classes[1]
 * (positive).
 */
#include "data_internal.h"

#include <stdlib.h>
#include <string.h>

/* Marks the first want[k] examples of class classes[k] in labels[0..n); dest[i] gets the row of
 * example i in the split (or NULL). Fails naming the file when a class has too few examples. */
static int select_pair(const iw_data_spec *spec, const iw_image_source *source, const char *files,
                       const char *key, const int want[2], const uint8_t *labels, int64_t n,
                       const iw_split *split, size_t example, float **dest, iw_error *err)
{
    int64_t available[2] = {0, 0}, taken[2] = {0, 0}, row = 0;
    for (int64_t i = 0; i < n; i++)
        for (int k = 0; k < 2; k++)
            if (labels[i] == spec->classes[k]) available[k]++;
    for (int k = 0; k < 2; k++)
        if (available[k] < want[k])
            return iw_error_set(err, "data.%s: asked for %d examples of class %d (%s), but %s has only %lld",
                                key, want[k], spec->classes[k], source->class_names[spec->classes[k]], files,
                                (long long)available[k]);
    int32_t *y = iw_split_y_mut(split);
    float *x = iw_split_x_mut(split);
    for (int64_t i = 0; i < n; i++)
        for (int k = 0; k < 2; k++)
            if (labels[i] == spec->classes[k] && taken[k] < want[k]) {
                taken[k]++;
                dest[i] = x + (size_t)row * example;
                y[row++] = k;
            }
    return 0;
}

int iw_data_load_images(const iw_data_spec *spec, const iw_image_source *source, iw_data *data, iw_error *err)
{
    uint8_t *labels[2] = {NULL, NULL};
    int64_t n[2] = {0, 0};
    iw_shape shape[2];
    char files[2][1200];
    float **dest = NULL;
    uint8_t *keep = NULL;  /* [candidates of the out-of-class probe] 1 = in the probe */
    int rc = -1;
    memset(data, 0, sizeof *data);
    if (iw_data_check_spec_counts(spec, source->n_classes, source->class_names, err)) return -1;
    for (int s = 0; s < 2; s++)
        if (source->read_labels(spec, s, &labels[s], &n[s], &shape[s], files[s], sizeof files[s], err))
            goto done;
    if (shape[0].c != shape[1].c || shape[0].h != shape[1].h || shape[0].w != shape[1].w) {
        iw_error_set(err, "%s: test images are %dx%dx%d but training images are %dx%dx%d", files[1],
                     shape[1].c, shape[1].h, shape[1].w, shape[0].c, shape[0].h, shape[0].w);
        goto done;
    }
    int64_t n_other = 0, n_candidates = 0; /* kept, and test images outside the pair */
    if (spec->probe_other) {
        for (int64_t i = 0; i < n[1]; i++)
            if (labels[1][i] != spec->classes[0] && labels[1][i] != spec->classes[1]) n_candidates++;
        if (spec->other_count > n_candidates) {
            iw_data_key_error(spec, spec->other_count_line, "data.other_count", err,
                              "asked for %d images of the out-of-class probe, but %s has only %lld test images outside "
                              "classes %d and %d: expected at most %lld, or all",
                              spec->other_count, files[1], (long long)n_candidates, spec->classes[0], spec->classes[1],
                              (long long)n_candidates);
            goto done;
        }
        n_other = spec->other_count > 0 ? spec->other_count : n_candidates;
        keep = malloc((size_t)n_candidates + 1);
        if (!keep) {
            iw_error_set(err, "data: out of memory");
            goto done;
        }
        iw_data_choose_other(keep, n_candidates, n_other, spec->data_seed);
    }
    iw_data_counts counts = {
        .train = (int64_t)spec->train_per_class[0] + spec->train_per_class[1],
        .test = (int64_t)spec->test_per_class[0] + spec->test_per_class[1],
        .other = n_other,
        .noise = spec->probe_noise ? spec->noise_count : 0,
    };
    if (iw_data_alloc_block(data, shape[0], counts, err)) goto done;
    const size_t example = iw_shape_size(shape[0]);

    /* training files */
    dest = calloc((size_t)(n[0] > n[1] ? n[0] : n[1]) + 1, sizeof *dest);
    if (!dest) {
        iw_error_set(err, "data: out of memory");
        goto done;
    }
    if (select_pair(spec, source, files[0], "train_per_class", spec->train_per_class, labels[0], n[0],
                    &data->train, example, dest, err))
        goto done;
    if (source->read_images(spec, 0, dest, n[0], err)) goto done;

    /* test file: the pair's test examples and the other classes, in one pass */
    memset(dest, 0, (size_t)n[1] * sizeof *dest);
    if (select_pair(spec, source, files[1], "test_per_class", spec->test_per_class, labels[1], n[1],
                    &data->test, example, dest, err))
        goto done;
    if (spec->probe_other) {
        float *other = iw_split_x_mut(&data->other);
        int64_t row = 0, candidate = 0;
        for (int64_t i = 0; i < n[1]; i++)
            if (labels[1][i] != spec->classes[0] && labels[1][i] != spec->classes[1] && keep[candidate++])
                dest[i] = other + (size_t)(row++) * example;
    }
    if (source->read_images(spec, 1, dest, n[1], err)) goto done;

    if (data->noise.n > 0) {
        const double lo[4] = {0, 0, 0, 0}, hi[4] = {255, 255, 255, 255};
        iw_data_fill_noise(data, lo, hi, spec->data_seed);
    }
    iw_data_normalise(data);
    rc = 0;
done:
    free(keep);
    free(dest);
    free(labels[0]);
    free(labels[1]);
    if (rc) iw_data_free(data);
    return rc;
}
