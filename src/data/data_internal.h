/* data_internal.h — what the files of src/data share with each other (not a public header).
 *
 * Loading goes in three steps, whatever the source:
 *   1. the source decides the counts (train, test, other, noise) and the per-example shape;
 *   2. iw_data_alloc_block lays every array out in one zeroed block (see data.c);
 *   3. the source writes raw values (pixels 0..255, or 2-D coordinates) and labels into the
 *      block, the noise probe is drawn in raw units, then iw_data_normalise computes the training
 *      set's per-channel mean/std and applies x' = (x - mean) / std to every split.
 * Image sources (IDX, CIFAR-10) share steps 1 and 3 through iw_image_source and
 * iw_data_load_images: a source only knows how to read the labels and the pixels of its files.
 */
#ifndef IW_DATA_INTERNAL_H
#define IW_DATA_INTERNAL_H

#include "iw/data.h"

typedef struct iw_data_counts {
    int64_t train, test, other, noise; /* examples per split */
} iw_data_counts;

/* Allocates data->block for `counts` examples of `shape` (zeroed), points every split into it and
 * sets the n's; owns_block = 1. shape.c must be 1..4. */
int iw_data_alloc_block(iw_data *data, iw_shape shape, iw_data_counts counts, iw_error *err);

/* Writable views of the arrays the loader fills (the public struct holds const pointers). */
static inline float *iw_split_x_mut(const iw_split *split) { return (float *)(uintptr_t)split->x; }
static inline int32_t *iw_split_y_mut(const iw_split *split) { return (int32_t *)(uintptr_t)split->y; }

/* Computes mean/std per channel over data->train (raw values) and normalises all four splits. */
void iw_data_normalise(iw_data *data);

/* Fills data->noise with values uniform in [lo[c], hi[c]) per channel c, drawn from
 * (seed, IW_STREAM_NOISE) in the order example, channel, pixel. */
void iw_data_fill_noise(iw_data *data, const double *lo, const double *hi, uint64_t seed);

/* Chooses the images the out-of-class probe keeps with data.other_count = k: keep[i] = 1 for k of
 * the n candidates (in file order), every k-subset equally likely (selection sampling: Knuth, The
 * Art of Computer Programming vol. 2, 3.4.2, Algorithm S), drawn from (seed, IW_STREAM_OTHER); the
 * rest 0. k >= n keeps all. The choice depends on (seed, n, k) only. */
void iw_data_choose_other(uint8_t *keep, int64_t n, int64_t k, uint64_t seed);

/* A message about a key of the sweep file, from the loader: "file:line: key 'key': <what>" (as the
 * sweep-file parser writes them) when spec->spec_file is set, "key 'key': <what>" otherwise. -1. */
int iw_data_key_error(const iw_data_spec *spec, int line, const char *key, iw_error *err, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Checks data.classes and the per-class counts against `n_classes` classes. */
int iw_data_check_spec_counts(const iw_data_spec *spec, int n_classes, const char *const *class_names,
                              iw_error *err);

/* An image data set on disk: two labelled splits (0 = training files, 1 = test file). */
typedef struct iw_image_source {
    const char *name;                  /* "Fashion-MNIST", for messages */
    const char *const *class_names;    /* n_classes names, for messages */
    int n_classes;
    /* Reads every label of `split` (0..n_classes-1, checked) into *labels (malloc'd, n entries),
     * the example shape, and a short description of the files for messages ("train-...gz"). */
    int (*read_labels)(const iw_data_spec *spec, int split, uint8_t **labels, int64_t *n,
                       iw_shape *shape, char *files, size_t files_size, iw_error *err);
    /* Reads every image of `split` (n of them, as read_labels said) and writes image i as raw
     * pixel values 0..255 (C, H, W) into dest[i] when dest[i] != NULL. */
    int (*read_images)(const iw_data_spec *spec, int split, float *const *dest, int64_t n, iw_error *err);
} iw_image_source;

/* Loads the class pair, the probes and the normalisation from an image source (steps 1-3). */
int iw_data_load_images(const iw_data_spec *spec, const iw_image_source *source, iw_data *data, iw_error *err);

extern const iw_image_source iw_source_fashion_mnist;
extern const iw_image_source iw_source_mnist;
extern const iw_image_source iw_source_cifar10;

/* Generates the 2-D synthetic data (steps 1-3 for synthetic2d). */
int iw_synthetic2d_generate(const iw_data_spec *spec, iw_data *data, iw_error *err);

#endif
