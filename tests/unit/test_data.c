/* test_data.c — the data module on real Fashion-MNIST and on synthetic 2-D data: which examples
 * are picked, label mapping, normalisation statistics, probes (and the out-of-class probe's fixed
 * random subset, data.other_count), separability, reproducibility, sub-sampling, and the pack/view
 * round trip. (Bad files and CIFAR-10: test_data_files.c.)
 */
#include <stdint.h>
#include <string.h>
#include <zlib.h>

#include "data/data_internal.h" /* iw_data_choose_other */
#include "iw/data.h"
#include "test.h"

#define FASHION_DIR "/usr/share/datasets/fashion-mnist"

static iw_data_spec fashion_spec(int negative, int positive, int train0, int train1, int test0, int test1)
{
    iw_data_spec spec;
    memset(&spec, 0, sizeof spec);
    spec.source = IW_SOURCE_FASHION_MNIST;
    snprintf(spec.path, sizeof spec.path, "%s", FASHION_DIR);
    spec.classes[0] = negative;
    spec.classes[1] = positive;
    spec.train_per_class[0] = train0;
    spec.train_per_class[1] = train1;
    spec.test_per_class[0] = test0;
    spec.test_per_class[1] = test1;
    spec.noise_count = 1000;
    return spec;
}

/* Reads a whole gzipped file (the reference reader of these tests, independent of idx.c). */
static unsigned char *read_gz(const char *path, size_t *bytes)
{
    gzFile f = gzopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 20, n = 0;
    unsigned char *buf = malloc(cap);
    int got;
    while (buf && (got = gzread(f, buf + n, (unsigned)(cap - n))) > 0) {
        n += (size_t)got;
        if (n == cap) buf = realloc(buf, cap *= 2);
    }
    gzclose(f);
    *bytes = n;
    return buf;
}

/* Per-channel mean and std of a split's values. */
static void channel_stats(const iw_split *split, iw_shape shape, int c, double *mean, double *std)
{
    size_t plane = (size_t)shape.h * shape.w, example = plane * shape.c;
    double s = 0, q = 0, count = (double)split->n * plane;
    for (int64_t i = 0; i < split->n; i++)
        for (size_t k = 0; k < plane; k++) s += split->x[i * example + c * plane + k];
    *mean = s / count;
    for (int64_t i = 0; i < split->n; i++)
        for (size_t k = 0; k < plane; k++) {
            double d = split->x[i * example + c * plane + k] - *mean;
            q += d * d;
        }
    *std = sqrt(q / count);
}

/* Checks that `split` holds exactly the first want[k] images of class[k] of the file, in file
 * order, with labels 0/1, pixel for pixel after undoing the normalisation. */
static void expect_selection(const iw_data *data, const iw_split *split, const unsigned char *labels,
                             const unsigned char *images, size_t n_file, const int classes[2], const int want[2])
{
    int taken[2] = {0, 0};
    int64_t row = 0;
    int bad_pixels = 0, bad_labels = 0;
    for (size_t i = 0; i < n_file && row < split->n; i++)
        for (int k = 0; k < 2; k++)
            if (labels[i] == classes[k] && taken[k] < want[k]) {
                taken[k]++;
                if (split->y[row] != k) bad_labels++;
                for (int p = 0; p < 784; p++) {
                    float raw = split->x[row * 784 + p] * data->std[0] + data->mean[0];
                    if (fabsf(raw - (float)images[i * 784 + p]) > 1e-3f) bad_pixels++;
                }
                row++;
            }
    EXPECT(row == split->n && taken[0] == want[0] && taken[1] == want[1], "selected %lld of %lld",
           (long long)row, (long long)split->n);
    EXPECT(bad_labels == 0, "%d wrong labels", bad_labels);
    EXPECT(bad_pixels == 0, "%d pixels differ from the file", bad_pixels);
}

static void test_fashion_pair_and_probes(void)
{
    iw_data_spec spec = fashion_spec(0, 6, 300, 120, 40, 25);
    spec.probe_other = spec.probe_noise = 1;
    spec.noise_count = 200;
    spec.data_seed = 7;
    iw_data data;
    iw_error err = {{0}};
    int rc = iw_data_load(&spec, &data, &err);
    EXPECT(rc == 0, "load failed: %s", err.message);
    if (rc) return;
    EXPECT(data.shape.c == 1 && data.shape.h == 28 && data.shape.w == 28, "shape %d %d %d", data.shape.c,
           data.shape.h, data.shape.w);
    EXPECT(data.train.n == 420 && data.test.n == 65, "train %lld test %lld", (long long)data.train.n,
           (long long)data.test.n);
    EXPECT(data.other.n == 8000, "other %lld (8 other classes x 1000 test images)", (long long)data.other.n);
    EXPECT(data.noise.n == 200, "noise %lld", (long long)data.noise.n);
    EXPECT(data.other.y == NULL && data.noise.y == NULL, "probes carry no labels");
    double mean, std;
    channel_stats(&data.train, data.shape, 0, &mean, &std);
    EXPECT(fabs(mean) < 1e-4, "train mean after normalisation %g", mean);
    EXPECT(fabs(std - 1.0) < 1e-4, "train std after normalisation %g", std);
    EXPECT(data.mean[0] > 20 && data.mean[0] < 150 && data.std[0] > 30 && data.std[0] < 130,
           "raw stats mean %g std %g look like pixel values", data.mean[0], data.std[0]);

    /* against an independent reading of the files */
    size_t nl, ni, tl, ti;
    unsigned char *labels = read_gz(FASHION_DIR "/train-labels-idx1-ubyte.gz", &nl);
    unsigned char *images = read_gz(FASHION_DIR "/train-images-idx3-ubyte.gz", &ni);
    unsigned char *tlabels = read_gz(FASHION_DIR "/t10k-labels-idx1-ubyte.gz", &tl);
    unsigned char *timages = read_gz(FASHION_DIR "/t10k-images-idx3-ubyte.gz", &ti);
    EXPECT(labels && images && tlabels && timages && nl == 60008 && ni == 16 + 60000 * 784ul, "reference read");
    if (labels && images && tlabels && timages) {
        expect_selection(&data, &data.train, labels + 8, images + 16, 60000, spec.classes, spec.train_per_class);
        expect_selection(&data, &data.test, tlabels + 8, timages + 16, 10000, spec.classes, spec.test_per_class);
        /* other-classes: every test image of classes 1-5, 7-9, in file order */
        int64_t row = 0, bad = 0;
        for (size_t i = 0; i < 10000; i++) {
            if (tlabels[8 + i] == 0 || tlabels[8 + i] == 6) continue;
            for (int p = 0; p < 784; p += 13)
                if (fabsf(data.other.x[row * 784 + p] * data.std[0] + data.mean[0] - timages[16 + i * 784 + p]) > 1e-3f)
                    bad++;
            row++;
        }
        EXPECT(row == data.other.n && bad == 0, "other-classes probe: %lld rows, %lld pixels differ", (long long)row,
               (long long)bad);
    }
    free(labels);
    free(images);
    free(tlabels);
    free(timages);

    /* noise: uniform in [0, 255] before normalisation, mean about 127.5 */
    double lo = 1e9, hi = -1e9, sum = 0;
    for (int64_t i = 0; i < data.noise.n * 784; i++) {
        double raw = data.noise.x[i] * data.std[0] + data.mean[0];
        lo = raw < lo ? raw : lo;
        hi = raw > hi ? raw : hi;
        sum += raw;
    }
    EXPECT(lo >= -1e-3 && lo < 1 && hi <= 255.001 && hi > 254, "noise range [%g, %g]", lo, hi);
    EXPECT(fabs(sum / (double)(data.noise.n * 784) - 127.5) < 1.0, "noise mean %g", sum / (double)(data.noise.n * 784));
    iw_data_free(&data);
}

static void test_fashion_too_many(void)
{
    iw_data_spec spec = fashion_spec(2, 4, 10, 6001, 10, 10);
    iw_data data;
    iw_error err = {{0}};
    EXPECT(iw_data_load(&spec, &data, &err) == -1, "load should fail");
    EXPECT(strstr(err.message, "train_per_class") && strstr(err.message, "6001") && strstr(err.message, "only 6000") &&
               strstr(err.message, "Coat"),
           "message: %s", err.message);
    spec = fashion_spec(2, 4, 10, 10, 1001, 10);
    EXPECT(iw_data_load(&spec, &data, &err) == -1, "load should fail");
    EXPECT(strstr(err.message, "test_per_class") && strstr(err.message, "only 1000") && strstr(err.message, "t10k"),
           "message: %s", err.message);
    spec = fashion_spec(3, 3, 10, 10, 10, 10);
    EXPECT(iw_data_load(&spec, &data, &err) == -1 && strstr(err.message, "data.classes"), "message: %s", err.message);
}

/* data.other_count: a fixed random subset of the out-of-class probe. Checked against the whole
 * probe (every kept image is one of it, in file order, none twice), the test file's labels (every
 * other class about equally kept: a subset of the first images would not be), reloads (the same
 * subset), data.seed (another subset), and what must not move (train, test, noise, normalisation). */
static void test_other_subset(void)
{
    iw_data_spec spec = fashion_spec(0, 6, 50, 50, 20, 20);
    spec.probe_other = spec.probe_noise = 1;
    spec.noise_count = 30;
    iw_data full, sub, again, reseeded;
    iw_error err = {{0}};
    if (iw_data_load(&spec, &full, &err) != 0) {
        EXPECT(0, "whole probe: %s", err.message);
        return;
    }
    spec.other_count = 1000;
    int rc = iw_data_load(&spec, &sub, &err);
    EXPECT(rc == 0, "subset: %s", err.message);
    if (rc) {
        iw_data_free(&full);
        return;
    }
    size_t example = 784 * sizeof(float);
    EXPECT(full.other.n == 8000 && sub.other.n == 1000, "probe sizes %lld and %lld", (long long)full.other.n,
           (long long)sub.other.n);
    EXPECT(sub.block_bytes <= full.block_bytes - 7000 * example, "the subset shrinks the data block: %zu vs %zu bytes",
           sub.block_bytes, full.block_bytes);
    /* each kept image is the next matching one of the whole probe: in file order, none twice */
    int64_t *row_of = malloc((size_t)sub.other.n * sizeof *row_of), j = 0;
    for (int64_t i = 0; row_of && i < sub.other.n; i++) {
        while (j < full.other.n && memcmp(sub.other.x + i * 784, full.other.x + j * 784, example) != 0) j++;
        row_of[i] = j < full.other.n ? j++ : -1;
    }
    int64_t missing = 0;
    for (int64_t i = 0; row_of && i < sub.other.n; i++) missing += row_of[i] < 0;
    EXPECT(row_of && missing == 0, "%lld kept images are not images of the probe in file order", (long long)missing);
    /* every other class kept about 1000/8 = 125 times (binomial sd about 10: 75..175 is 5 sd) */
    size_t tl;
    unsigned char *tlabels = read_gz(FASHION_DIR "/t10k-labels-idx1-ubyte.gz", &tl);
    int klass_of_row[8000], kept[10] = {0};
    int64_t row = 0;
    for (size_t i = 0; tlabels && i < 10000 && row < 8000; i++)
        if (tlabels[8 + i] != 0 && tlabels[8 + i] != 6) klass_of_row[row++] = tlabels[8 + i];
    EXPECT(row == 8000, "reference labels: %lld other-class images", (long long)row);
    for (int64_t i = 0; row_of && missing == 0 && row == 8000 && i < sub.other.n; i++) kept[klass_of_row[row_of[i]]]++;
    for (int k = 1; k < 10; k++)
        if (k != 6) EXPECT(kept[k] >= 75 && kept[k] <= 175, "class %d kept %d times of 1000", k, kept[k]);
    free(tlabels);
    free(row_of);
    /* the rest of the data does not move */
    EXPECT(sub.train.n == full.train.n && !memcmp(sub.train.x, full.train.x, (size_t)full.train.n * example) &&
               !memcmp(sub.test.x, full.test.x, (size_t)full.test.n * example) &&
               !memcmp(sub.noise.x, full.noise.x, (size_t)full.noise.n * example) && sub.mean[0] == full.mean[0] &&
               sub.std[0] == full.std[0],
           "train, test, noise and normalisation are those of the whole probe's load");
    /* a reload: the same subset; another data.seed: another one */
    rc = iw_data_load(&spec, &again, &err);
    EXPECT(rc == 0 && again.other.n == 1000 && !memcmp(again.other.x, sub.other.x, 1000 * example), "reload: the same subset %s",
           err.message);
    if (rc == 0) iw_data_free(&again);
    spec.data_seed = 1;
    rc = iw_data_load(&spec, &reseeded, &err);
    EXPECT(rc == 0 && reseeded.other.n == 1000 && memcmp(reseeded.other.x, sub.other.x, 1000 * example) != 0,
           "data.seed 1: another subset %s", err.message);
    if (rc == 0) iw_data_free(&reseeded);
    /* all 8000 asked for: the whole probe */
    spec.other_count = 8000;
    rc = iw_data_load(&spec, &again, &err);
    EXPECT(rc == 0 && again.other.n == 8000 && !memcmp(again.other.x, full.other.x, 8000 * example), "8000 of 8000: %s",
           err.message);
    if (rc == 0) iw_data_free(&again);
    iw_data_free(&sub);
    iw_data_free(&full);

    /* more than the probe holds: file:line: key message */
    spec.other_count = 8001;
    snprintf(spec.spec_file, sizeof spec.spec_file, "sweep.yaml");
    spec.other_count_line = 9;
    EXPECT(iw_data_load(&spec, &again, &err) == -1, "8001 of 8000 refused");
    EXPECT(!strncmp(err.message, "sweep.yaml:9: key 'data.other_count': asked for 8001 images", 58) &&
               strstr(err.message, "only 8000 test images outside classes 0 and 6") && strstr(err.message, "t10k"),
           "message: %s", err.message);
}

/* Selection sampling keeps exactly k of n, each candidate with probability k/n (counts over 20,000
 * seeds within 5 binomial sd of the expectation) and the same choice for the same seed. */
static void test_choose_other_uniform(void)
{
    enum { N = 20, K = 5, SEEDS = 20000 };
    int hits[N] = {0}, wrong_size = 0;
    uint8_t keep[N], again[N];
    for (uint64_t seed = 0; seed < SEEDS; seed++) {
        iw_data_choose_other(keep, N, K, seed);
        int n = 0;
        for (int i = 0; i < N; i++) n += keep[i], hits[i] += keep[i];
        wrong_size += n != K;
    }
    EXPECT(wrong_size == 0, "%d draws did not keep exactly %d", wrong_size, K);
    double expect = (double)SEEDS * K / N, sd = sqrt(expect * (1.0 - (double)K / N));
    for (int i = 0; i < N; i++) EXPECT(fabs(hits[i] - expect) < 5 * sd, "candidate %d kept %d times, expected %.0f", i, hits[i], expect);
    iw_data_choose_other(keep, N, K, 42);
    iw_data_choose_other(again, N, K, 42);
    EXPECT(!memcmp(keep, again, N), "same seed, same choice");
    iw_data_choose_other(keep, N, N + 3, 42);
    int all = 1;
    for (int i = 0; i < N; i++) all &= keep[i];
    EXPECT(all, "k >= n keeps every candidate");
}

static iw_data_spec synthetic_spec(int train_per_class, int test_per_class, uint64_t seed)
{
    iw_data_spec spec;
    memset(&spec, 0, sizeof spec);
    spec.source = IW_SOURCE_SYNTHETIC2D;
    spec.classes[1] = 1;
    spec.train_per_class[0] = spec.train_per_class[1] = train_per_class;
    spec.test_per_class[0] = spec.test_per_class[1] = test_per_class;
    spec.data_seed = seed;
    /* the defaults of spec.h */
    spec.synthetic = (iw_synthetic2d_spec){.std = {0.5, 0.125}, .rotation_deg = 90, .shift = {3.0, 0.0}};
    return spec;
}

/* Perceptron on the raw points of train + test: it converges only if a separating line exists. */
static int perceptron_separates(const iw_data *data)
{
    double w[3] = {0, 0, 0};
    const iw_split *splits[2] = {&data->train, &data->test};
    for (int epoch = 0; epoch < 2000; epoch++) {
        int mistakes = 0;
        for (int s = 0; s < 2; s++)
            for (int64_t i = 0; i < splits[s]->n; i++) {
                double x0 = splits[s]->x[2 * i] * data->std[0] + data->mean[0];
                double x1 = splits[s]->x[2 * i + 1] * data->std[1] + data->mean[1];
                double t = splits[s]->y[i] ? 1 : -1;
                if (t * (w[0] * x0 + w[1] * x1 + w[2]) <= 0) {
                    w[0] += t * x0;
                    w[1] += t * x1;
                    w[2] += t;
                    mistakes++;
                }
            }
        if (!mistakes) return 1;
    }
    return 0;
}

static void test_synthetic_separable_and_reproducible(void)
{
    for (uint64_t seed = 0; seed < 4; seed++) {
        iw_data_spec spec = synthetic_spec(1000, 1000, seed);
        iw_data data;
        iw_error err = {{0}};
        EXPECT(iw_data_load(&spec, &data, &err) == 0, "%s", err.message);
        EXPECT(data.shape.c == 2 && data.shape.h == 1 && data.shape.w == 1, "shape");
        EXPECT(perceptron_separates(&data), "seed %llu: default clouds are not linearly separable",
               (unsigned long long)seed);
        double mean, std;
        for (int c = 0; c < 2; c++) {
            channel_stats(&data.train, data.shape, c, &mean, &std);
            EXPECT(fabs(mean) < 1e-4 && fabs(std - 1) < 1e-4, "channel %d normalised to %g, %g", c, mean, std);
        }
        /* class 0 ~ N(0, diag(0.25, 0.015625)); class 1 centred on the shift, axes swapped */
        double m[2][2] = {{0}}, v[2][2] = {{0}};
        for (int64_t i = 0; i < data.train.n; i++)
            for (int c = 0; c < 2; c++) m[data.train.y[i]][c] += data.train.x[2 * i + c] * data.std[c] + data.mean[c];
        for (int k = 0; k < 2; k++)
            for (int c = 0; c < 2; c++) m[k][c] /= 1000;
        for (int64_t i = 0; i < data.train.n; i++)
            for (int c = 0; c < 2; c++) {
                double d = data.train.x[2 * i + c] * data.std[c] + data.mean[c] - m[data.train.y[i]][c];
                v[data.train.y[i]][c] += d * d / 1000;
            }
        EXPECT(fabs(m[0][0]) < 0.1 && fabs(m[0][1]) < 0.05 && fabs(m[1][0] - 3) < 0.05 && fabs(m[1][1]) < 0.1,
               "class means (%g, %g) (%g, %g)", m[0][0], m[0][1], m[1][0], m[1][1]);
        EXPECT(fabs(sqrt(v[0][0]) - 0.5) < 0.05 && fabs(sqrt(v[0][1]) - 0.125) < 0.015 &&
                   fabs(sqrt(v[1][0]) - 0.125) < 0.015 && fabs(sqrt(v[1][1]) - 0.5) < 0.05,
               "class stds (%g, %g) (%g, %g)", sqrt(v[0][0]), sqrt(v[0][1]), sqrt(v[1][0]), sqrt(v[1][1]));
        iw_data again;
        EXPECT(iw_data_load(&spec, &again, &err) == 0, "%s", err.message);
        EXPECT(again.block_bytes == data.block_bytes && memcmp(again.block, data.block, data.block_bytes) == 0,
               "same spec, same data");
        iw_data_free(&again);
        spec.data_seed = seed + 100;
        EXPECT(iw_data_load(&spec, &again, &err) == 0, "%s", err.message);
        EXPECT(memcmp(again.train.x, data.train.x, 2 * sizeof(float)) != 0, "another seed, other draws");
        iw_data_free(&again);
        iw_data_free(&data);
    }
}

static void test_synthetic_noise_probe(void)
{
    iw_data_spec spec = synthetic_spec(50, 10, 3);
    spec.probe_noise = spec.probe_other = 1;
    spec.noise_count = 500;
    iw_data data;
    iw_error err = {{0}};
    EXPECT(iw_data_load(&spec, &data, &err) == 0, "%s", err.message);
    EXPECT(data.noise.n == 500 && data.other.n == 0, "noise %lld other %lld", (long long)data.noise.n,
           (long long)data.other.n);
    float lo[2] = {1e9f, 1e9f}, hi[2] = {-1e9f, -1e9f};
    for (int64_t i = 0; i < data.train.n; i++)
        for (int c = 0; c < 2; c++) {
            lo[c] = fminf(lo[c], data.train.x[2 * i + c]);
            hi[c] = fmaxf(hi[c], data.train.x[2 * i + c]);
        }
    int outside = 0;
    for (int64_t i = 0; i < data.noise.n; i++)
        for (int c = 0; c < 2; c++)
            outside += data.noise.x[2 * i + c] < lo[c] - 1e-5f || data.noise.x[2 * i + c] > hi[c] + 1e-5f;
    EXPECT(outside == 0, "%d noise coordinates outside the training box", outside);
    iw_data_free(&data);
}

static void test_training_set(void)
{
    iw_data_spec spec = synthetic_spec(400, 10, 1);
    spec.train_per_class[1] = 200;
    iw_data data;
    iw_error err = {{0}};
    EXPECT(iw_data_load(&spec, &data, &err) == 0, "%s", err.message);
    int32_t idx[600], idx2[600];
    float w[600];
    int64_t n;
    EXPECT(iw_data_training_set(&data, NULL, 0, IW_SAMPLING_WEIGHT, 16, 0, idx, w, &n, &err) == 0, "%s", err.message);
    int bad = 0;
    for (int64_t i = 0; i < n; i++) bad += idx[i] != i || w[i] != (data.train.y[i] ? 16.0f : 1.0f);
    EXPECT(n == 600 && bad == 0, "weight sampling: n %lld, %d wrong", (long long)n, bad);

    /* 400 negatives, 200 positives: w 400 keeps round(400/400) = 1 negative, w 1/200 one positive */
    const double weights[] = {4, 0.25, 8, 1, 400, 1.0 / 200};
    const int64_t expect_neg[] = {100, 400, 50, 400, 1, 400}, expect_pos[] = {200, 50, 200, 200, 200, 1};
    for (int t = 0; t < 6; t++) {
        EXPECT(iw_data_training_set(&data, NULL, 0, IW_SAMPLING_SUBSAMPLE, weights[t], 5, idx, w, &n, &err) == 0, "%s",
               err.message);
        int64_t count[2] = {0, 0};
        int order = 0, ones = 0;
        for (int64_t i = 0; i < n; i++) {
            count[data.train.y[idx[i]]]++;
            order += i > 0 && idx[i] <= idx[i - 1];
            ones += w[i] == 1.0f;
        }
        EXPECT(count[0] == expect_neg[t] && count[1] == expect_pos[t] && order == 0 && ones == n,
               "w %g: kept %lld neg %lld pos, %d out of order, %d weights 1", weights[t], (long long)count[0],
               (long long)count[1], order, ones);
    }
    /* same seed: same choice; smaller fraction keeps a subset; another seed: another choice */
    int64_t n4, n8, n4b;
    iw_data_training_set(&data, NULL, 0, IW_SAMPLING_SUBSAMPLE, 4, 5, idx, w, &n4, &err);
    iw_data_training_set(&data, NULL, 0, IW_SAMPLING_SUBSAMPLE, 4, 5, idx2, w, &n4b, &err);
    EXPECT(n4 == n4b && memcmp(idx, idx2, (size_t)n4 * sizeof *idx) == 0, "reproducible");
    iw_data_training_set(&data, NULL, 0, IW_SAMPLING_SUBSAMPLE, 8, 5, idx2, w, &n8, &err);
    int missing = 0;
    for (int64_t i = 0, j = 0; i < n8; i++) {
        while (j < n4 && idx[j] < idx2[i]) j++;
        missing += j == n4 || idx[j] != idx2[i];
    }
    EXPECT(missing == 0, "w 8 kept %d examples that w 4 dropped", missing);
    iw_data_training_set(&data, NULL, 0, IW_SAMPLING_SUBSAMPLE, 4, 6, idx2, w, &n4b, &err);
    EXPECT(n4b == n4 && memcmp(idx, idx2, (size_t)n4 * sizeof *idx) != 0, "another seed keeps other examples");
    /* a weight that would keep round(400 x 1e-6) = 0 negatives (or 0 positives) is an error, not 1 */
    EXPECT(iw_data_training_set(&data, NULL, 0, IW_SAMPLING_SUBSAMPLE, 1e6, 5, idx, w, &n, &err) == -1 &&
               strstr(err.message, "= 0 negative"),
           "w 1e6 on 400 negatives refused: %s", err.message);
    EXPECT(iw_data_training_set(&data, NULL, 0, IW_SAMPLING_SUBSAMPLE, 1e-6, 5, idx, w, &n, &err) == -1 &&
               strstr(err.message, "= 0 positive"),
           "w 1e-6 on 200 positives refused: %s", err.message);
    EXPECT(iw_data_training_set(&data, NULL, 0, IW_SAMPLING_SUBSAMPLE, 0, 5, idx, w, &n, &err) == -1 &&
               strstr(err.message, "importance_weight"),
           "weight 0 refused: %s", err.message);
    iw_data_free(&data);
}

/* The validation split: per-class counts, disjoint from the pool and together every row, in
 * training-set order, the same for the same seed, another for another seed; the training set then
 * comes from the pool only (weights and sub-sampling). */
static void test_validation_split(void)
{
    iw_data_spec spec = synthetic_spec(400, 10, 1);
    spec.train_per_class[1] = 100;
    iw_data data;
    iw_error err = {{0}};
    EXPECT(iw_data_load(&spec, &data, &err) == 0, "%s", err.message);
    enum { N = 500 };
    int32_t val[N], pool[N], val2[N], pool2[N], idx[N];
    float w[N];
    int64_t n_val, n_pool, n_val2, n_pool2, n;
    const int per_class[2] = {40, 7};
    EXPECT(iw_data_validation_split(&data, per_class, 3, val, &n_val, pool, &n_pool, &err) == 0, "%s", err.message);
    int64_t count[2] = {0, 0};
    unsigned char seen[N] = {0};
    int order = 0, twice = 0;
    for (int64_t i = 0; i < n_val; i++) count[data.train.y[val[i]]]++, order += i && val[i] <= val[i - 1], twice += seen[val[i]]++;
    for (int64_t i = 0; i < n_pool; i++) order += i && pool[i] <= pool[i - 1], twice += seen[pool[i]]++;
    int missing = 0;
    for (int i = 0; i < N; i++) missing += !seen[i];
    EXPECT(n_val == 47 && count[0] == 40 && count[1] == 7 && n_pool == N - 47, "held out %lld (%lld neg, %lld pos), pool %lld",
           (long long)n_val, (long long)count[0], (long long)count[1], (long long)n_pool);
    EXPECT(order == 0 && twice == 0 && missing == 0, "%d out of order, %d rows twice, %d rows in neither", order, twice, missing);
    iw_data_validation_split(&data, per_class, 3, val2, &n_val2, pool2, &n_pool2, &err);
    EXPECT(n_val2 == n_val && !memcmp(val, val2, sizeof(int32_t) * (size_t)n_val), "same seed, same split");
    iw_data_validation_split(&data, per_class, 4, val2, &n_val2, pool2, &n_pool2, &err);
    EXPECT(n_val2 == n_val && memcmp(val, val2, sizeof(int32_t) * (size_t)n_val) != 0, "another seed, another split");

    /* the training set from the pool: weights keep every pool row, sub-sampling thins within it */
    EXPECT(iw_data_training_set(&data, pool, n_pool, IW_SAMPLING_WEIGHT, 4, 3, idx, w, &n, &err) == 0, "%s", err.message);
    EXPECT(n == n_pool && !memcmp(idx, pool, sizeof(int32_t) * (size_t)n), "weights: the pool itself");
    EXPECT(iw_data_training_set(&data, pool, n_pool, IW_SAMPLING_SUBSAMPLE, 4, 3, idx, w, &n, &err) == 0, "%s", err.message);
    int in_val = 0;
    count[0] = count[1] = 0;
    for (int64_t i = 0; i < n; i++) {
        count[data.train.y[idx[i]]]++;
        for (int64_t j = 0; j < n_val; j++) in_val += idx[i] == val[j];
    }
    EXPECT(in_val == 0 && count[1] == 93 && count[0] == 90, "subsample w 4 of a pool of 360 neg, 93 pos: kept %lld neg %lld pos, "
           "%d held-out rows", (long long)count[0], (long long)count[1], in_val);
    const int too_many[2] = {400, 0};
    EXPECT(iw_data_validation_split(&data, too_many, 3, val, &n_val, pool, &n_pool, &err) == -1 &&
               strstr(err.message, "data.val_per_class"),
           "holding out a whole class is refused: %s", err.message);
    iw_data_free(&data);
}

static void test_pack_view(void)
{
    iw_data_spec spec = synthetic_spec(30, 7, 2);
    spec.probe_noise = 1;
    spec.noise_count = 11;
    iw_data data, view;
    iw_error err = {{0}};
    EXPECT(iw_data_load(&spec, &data, &err) == 0, "%s", err.message);
    size_t bytes = iw_data_packed_size(&data);
    char *buf = aligned_alloc(64, (bytes + 63) / 64 * 64);
    EXPECT(iw_data_pack(&data, buf, bytes - 1, &err) == -1, "short buffer refused");
    EXPECT(iw_data_pack(&data, buf, bytes, &err) == 0, "%s", err.message);
    EXPECT(iw_data_view(buf, bytes, &view, &err) == 0, "%s", err.message);
    EXPECT(view.owns_block == 0 && view.block == buf && view.block_bytes == bytes, "view points into the buffer");
    EXPECT((const char *)view.train.x > buf && (const char *)view.train.x < buf + bytes, "no copy");
    const iw_split *a[4] = {&data.train, &data.test, &data.other, &data.noise};
    const iw_split *b[4] = {&view.train, &view.test, &view.other, &view.noise};
    for (int s = 0; s < 4; s++) {
        EXPECT(a[s]->n == b[s]->n, "split %d count", s);
        EXPECT(memcmp(a[s]->x, b[s]->x, (size_t)a[s]->n * 2 * sizeof(float)) == 0, "split %d x", s);
        if (s < 2) EXPECT(memcmp(a[s]->y, b[s]->y, (size_t)a[s]->n * sizeof(int32_t)) == 0, "split %d y", s);
    }
    EXPECT(memcmp(data.mean, view.mean, sizeof data.mean) == 0 && memcmp(data.std, view.std, sizeof data.std) == 0,
           "normalisation kept");
    EXPECT(view.shape.c == 2 && view.shape.h == 1 && view.shape.w == 1, "shape kept");
    iw_data_free(&view); /* a view frees nothing */
    EXPECT(iw_data_view(buf, bytes / 2, &view, &err) == -1, "truncated buffer refused");
    buf[0] ^= 1;
    EXPECT(iw_data_view(buf, bytes, &view, &err) == -1 && strstr(err.message, "magic"), "bad magic: %s", err.message);
    free(buf);
    iw_data_free(&data);
}

int main(void)
{
    RUN_TEST(test_fashion_pair_and_probes);
    RUN_TEST(test_fashion_too_many);
    RUN_TEST(test_other_subset);
    RUN_TEST(test_choose_other_uniform);
    RUN_TEST(test_synthetic_separable_and_reproducible);
    RUN_TEST(test_synthetic_noise_probe);
    RUN_TEST(test_training_set);
    RUN_TEST(test_validation_split);
    RUN_TEST(test_pack_view);
    return test_exit_code();
}
