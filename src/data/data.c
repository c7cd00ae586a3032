/* data.c — the data module's common part: iw_data_load (dispatch on data.source), the one-block
 * layout every source fills, per-channel normalisation, and the checks of the class pair and counts.
 *
 * Block layout (offsets from block, each array starting on a 64-byte boundary):
 *   train.x (n_train, C, H, W) | test.x | other.x | noise.x | train.y (n_train) | test.y
 * iw_data_pack (pack.c) writes the same arrays behind a small header for sharing.
 */
#include "data_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK_ALIGN 64

static size_t align_up(size_t n) { return (n + BLOCK_ALIGN - 1) / BLOCK_ALIGN * BLOCK_ALIGN; }

iw_shape iw_data_example_shape(const iw_data_spec *spec)
{
    switch (spec->source) {
    case IW_SOURCE_SYNTHETIC2D: return (iw_shape){2, 1, 1};
    case IW_SOURCE_CIFAR10: return (iw_shape){3, 32, 32};
    default: return (iw_shape){1, 28, 28}; /* fashion-mnist, mnist */
    }
}

int iw_data_alloc_block(iw_data *data, iw_shape shape, iw_data_counts counts, iw_error *err)
{
    memset(data, 0, sizeof *data);
    if (shape.c < 1 || shape.c > 4 || shape.h < 1 || shape.w < 1)
        return iw_error_set(err, "data: unsupported example shape (%d, %d, %d): 1 to 4 channels expected",
                            shape.c, shape.h, shape.w);
    const int64_t n[4] = {counts.train, counts.test, counts.other, counts.noise};
    size_t per_example = iw_shape_size(shape) * sizeof(float);
    size_t offset[6], total = 0;
    for (int s = 0; s < 4; s++) {
        if (n[s] < 0 || (uint64_t)n[s] > SIZE_MAX / 2 / per_example)
            return iw_error_set(err, "data: example count %lld out of range", (long long)n[s]);
        offset[s] = total;
        total = align_up(total + (size_t)n[s] * per_example);
    }
    for (int s = 0; s < 2; s++) {
        offset[4 + s] = total;
        total = align_up(total + (size_t)n[s] * sizeof(int32_t));
    }
    if (total == 0) total = BLOCK_ALIGN;
    char *block = aligned_alloc(BLOCK_ALIGN, total);
    if (!block)
        return iw_error_set(err, "data: out of memory allocating %.1f MiB for the data set",
                            (double)total / 1048576.0);
    memset(block, 0, total);
    data->shape = shape;
    iw_split *splits[4] = {&data->train, &data->test, &data->other, &data->noise};
    for (int s = 0; s < 4; s++) {
        splits[s]->n = n[s];
        splits[s]->x = (const float *)(block + offset[s]);
    }
    data->train.y = (const int32_t *)(block + offset[4]);
    data->test.y = (const int32_t *)(block + offset[5]);
    for (int c = 0; c < 4; c++) {
        data->mean[c] = 0.0f;
        data->std[c] = 1.0f;
    }
    data->block = block;
    data->block_bytes = total;
    data->owns_block = 1;
    return 0;
}

void iw_data_free(iw_data *data)
{
    if (!data) return;
    if (data->owns_block) free(data->block);
    memset(data, 0, sizeof *data);
}

/* Mean and (population) standard deviation per channel over the training examples, in double;
 * a constant channel gets std 1 so that it maps to 0 instead of dividing by zero. */
void iw_data_normalise(iw_data *data)
{
    const int channels = data->shape.c;
    const size_t plane = (size_t)data->shape.h * (size_t)data->shape.w;
    const size_t example = plane * (size_t)channels;
    const float *train = data->train.x;
    const int64_t n = data->train.n;
    for (int c = 0; c < channels; c++) {
        double sum = 0.0, squares = 0.0;
        for (int64_t i = 0; i < n; i++) {
            const float *p = train + (size_t)i * example + (size_t)c * plane;
            for (size_t k = 0; k < plane; k++) sum += p[k];
        }
        double count = (double)n * (double)plane;
        double mean = count > 0 ? sum / count : 0.0;
        for (int64_t i = 0; i < n; i++) {
            const float *p = train + (size_t)i * example + (size_t)c * plane;
            for (size_t k = 0; k < plane; k++) squares += ((double)p[k] - mean) * ((double)p[k] - mean);
        }
        double std = count > 0 ? sqrt(squares / count) : 1.0;
        if (!(std > 1e-12) || !isfinite(std)) std = 1.0;
        data->mean[c] = (float)mean;
        data->std[c] = (float)std;
    }
    iw_split *splits[4] = {&data->train, &data->test, &data->other, &data->noise};
    for (int s = 0; s < 4; s++) {
        float *x = iw_split_x_mut(splits[s]);
        for (int64_t i = 0; i < splits[s]->n; i++)
            for (int c = 0; c < channels; c++) {
                float *p = x + (size_t)i * example + (size_t)c * plane;
                const double mean = data->mean[c], inv = 1.0 / (double)data->std[c];
                for (size_t k = 0; k < plane; k++) p[k] = (float)(((double)p[k] - mean) * inv);
            }
    }
}

int iw_data_key_error(const iw_data_spec *spec, int line, const char *key, iw_error *err, const char *fmt, ...)
{
    char what[768], where[1100] = "";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (spec->spec_file[0] && line > 0) snprintf(where, sizeof where, "%s:%d: ", spec->spec_file, line);
    else if (spec->spec_file[0]) snprintf(where, sizeof where, "%s: ", spec->spec_file);
    return iw_error_set(err, "%skey '%s': %s", where, key, what);
}

int iw_data_check_spec_counts(const iw_data_spec *spec, int n_classes, const char *const *class_names,
                              iw_error *err)
{
    for (int k = 0; k < 2; k++) {
        if (spec->classes[k] < 0 || spec->classes[k] >= n_classes)
            return iw_error_set(err, "data.classes: class %d is out of range, expected 0..%d",
                                spec->classes[k], n_classes - 1);
    }
    if (spec->classes[0] == spec->classes[1])
        return iw_error_set(err, "data.classes: the two classes must differ, got [%d, %d] (%s twice)",
                            spec->classes[0], spec->classes[1], class_names[spec->classes[0]]);
    for (int k = 0; k < 2; k++) {
        if (spec->train_per_class[k] < 1)
            return iw_error_set(err, "data.train_per_class: expected at least 1 example of each class, got %d",
                                spec->train_per_class[k]);
        if (spec->test_per_class[k] < 0)
            return iw_error_set(err, "data.test_per_class: expected a count >= 0, got %d",
                                spec->test_per_class[k]);
    }
    if (spec->probe_noise && spec->noise_count < 1)
        return iw_error_set(err, "data.noise_count: expected at least 1 noise image, got %d", spec->noise_count);
    return 0;
}

int iw_data_load(const iw_data_spec *spec, iw_data *data, iw_error *err)
{
    memset(data, 0, sizeof *data);
    switch (spec->source) {
    case IW_SOURCE_SYNTHETIC2D: return iw_synthetic2d_generate(spec, data, err);
    case IW_SOURCE_FASHION_MNIST: return iw_data_load_images(spec, &iw_source_fashion_mnist, data, err);
    case IW_SOURCE_MNIST: return iw_data_load_images(spec, &iw_source_mnist, data, err);
    case IW_SOURCE_CIFAR10: return iw_data_load_images(spec, &iw_source_cifar10, data, err);
    }
    return iw_error_set(err, "data.source: unknown source %d", (int)spec->source);
}
