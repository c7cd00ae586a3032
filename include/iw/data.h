/* data.h — the data of a sweep: training and test examples of the two classes, and the probes.
 *
 * Loaded once per sweep (and, under MPI, once per node: see node_data.h), read-only after:
 *
 *   iw_data
 *   ├── train  x (n, C, H, W) float32, normalised; y int32 in {0 = negative, 1 = positive}
 *   ├── test   same, the test examples of the two classes
 *   ├── other  x only: test images of every other class   (n = 0 unless probe other-classes;
 *   │          always 0 for synthetic2d, which has no other class), or with data.other_count = k a
 *   │          fixed random subset of k of them, every k-subset equally likely, drawn from
 *   │          (data.seed, IW_STREAM_OTHER): the same for every run, rank and node of a sweep
 *   └── noise  x only: noise_count images uniform in [0, 255] per pixel before normalisation, drawn
 *              from (data.seed, IW_STREAM_NOISE); for synthetic2d uniform over the training points'
 *              bounding box (n = 0 unless probe noise)
 *
 * Every x is normalised per channel with the training set's mean and std (of the loaded training
 * examples, before any sub-sampling or validation split: the data are shared by every run, the split is
 * drawn per run): x' = (x - mean[c]) / std[c]. Synthetic 2-D data has shape
 * (2, 1, 1) and is normalised the same way (mean/std are recorded so that the decision-boundary
 * grid, given in raw coordinates, can be normalised alike).
 *
 * All arrays live in one contiguous block (`block`), so the whole data set can be copied into an
 * MPI shared window with iw_data_pack and viewed by other ranks with iw_data_view without copying.
 * Which examples: the first train_per_class[k] (test_per_class[k]) examples of class k in file order
 * (training files for train, the test file for test), kept in file order (the probe's subset too);
 * asking for more than the files hold fails with the available count (for data.other_count as
 * "sweep.yaml:9: key 'data.other_count': asked for ...", naming the sweep file's line).
 * Sources (one file each in src/data/):
 *   fashion-mnist, mnist  IDX files in data.path, gzipped or not (idx.c), shape (1, 28, 28)
 *   cifar10               data_batch_1..5.bin + test_batch.bin of the binary version, in data.path
 *                         or data.path/cifar-10-batches-bin, 30730000 bytes each (cifar10.c), (3, 32, 32)
 *   synthetic2d           generated from (data.seed, IW_STREAM_DATA) (synthetic2d.c), (2, 1, 1)
 * Every file error names the file, what was expected and what was found (magic, size, label range,
 * image/label count), and for a missing file where to get the data.
 */
#ifndef IW_DATA_H
#define IW_DATA_H

#include "iw/common.h"
#include "iw/spec.h"

typedef struct iw_split {
    int64_t n;
    const float *x;       /* (n, C, H, W) */
    const int32_t *y;     /* (n) labels 0/1, NULL for probes */
} iw_split;

typedef struct iw_data {
    iw_shape shape;
    iw_split train, test, other, noise;
    float mean[4], std[4]; /* per channel (shape.c <= 4) */
    void *block;          /* everything above points into it */
    size_t block_bytes;
    int owns_block;       /* 1: iw_data_free frees block; 0: a view of someone else's memory */
} iw_data;

/* Loads (or generates, for synthetic2d) according to the spec. Errors name the file, the expected
 * size or magic number, and where users get the data. On failure *data is zeroed (nothing to free).
 * The result owns its block: release it with iw_data_free (which does nothing to a view's memory). */
int iw_data_load(const iw_data_spec *spec, iw_data *data, iw_error *err);
void iw_data_free(iw_data *data);

/* Shape of one example of the spec's source, as iw_data_load will give it, without reading any
 * file: (1, 28, 28) for fashion-mnist and mnist, (3, 32, 32) for cifar10, (2, 1, 1) synthetic2d. */
iw_shape iw_data_example_shape(const iw_data_spec *spec);

/* Flat serialisation for sharing: size in bytes, pack into buf (>= that size), and view (no copy;
 * the view points into buf, owns_block = 0). */
size_t iw_data_packed_size(const iw_data *data);
int iw_data_pack(const iw_data *data, void *buf, size_t bytes, iw_error *err);
int iw_data_view(const void *buf, size_t bytes, iw_data *view, iw_error *err);

/* A run's validation split (data.val_per_class): for each class k, val_per_class[k] of its rows of
 * data->train, chosen by (seed, IW_STREAM_VALIDATION) (the class-0 rows shuffled first, then the
 * class-1 rows, with one stream), are held out into val_idx; every other row goes to pool. Both
 * lists are in training-set order, disjoint, and together hold every row; each array must hold
 * train.n entries. -1 with err when a class has no more than val_per_class[k] rows (none would be
 * left to train on) or on no memory. */
int iw_data_validation_split(const iw_data *data, const int val_per_class[2], uint64_t seed, int32_t *val_idx,
                             int64_t *n_val, int32_t *pool, int64_t *n_pool, iw_error *err);

/* Training examples a run uses, chosen among the rows pool[0..n_pool) of data->train (in
 * training-set order; pool NULL = every row). sampling = weight: every pool row, each with weight
 * importance_weight if positive, 1 if negative. sampling = subsample: weights all 1 and one class
 * is thinned so that n_pos/n_neg matches importance_weight times the pool's ratio (w > 1 keeps a
 * fraction 1/w of the negatives, w < 1 keeps a fraction w of the positives), the kept examples
 * chosen by (seed, IW_STREAM_SUBSAMPLE); the thinned class keeps round(count x fraction) examples,
 * and a weight for which that is 0 is an error (a one-class training set). idx (rows of data->train,
 * in order) and weights must hold n_pool (or train.n) entries; *n_out gets the count kept (>= 1 of
 * each class). */
int iw_data_training_set(const iw_data *data, const int32_t *pool, int64_t n_pool, iw_sampling sampling,
                         double importance_weight, uint64_t seed, int32_t *idx, float *weights, int64_t *n_out,
                         iw_error *err);

#endif
