/* test_data_files.c — the loaders on files written by the tests in the exact distributed formats:
 * CIFAR-10 binary batches (full size, 6 x 30730000 bytes in a scratch folder under /tmp) and IDX
 * sets (plain and gzipped), then every bad-file case for its message: missing file, bad magic,
 * truncated file, trailing bytes, label out of range, image/label count mismatch, too many
 * examples asked for.
 */
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data_test_files.h"
#include "iw/data.h"
#include "test.h"

static char scratch[256];

static iw_data_spec file_spec(iw_source source, const char *dir, int negative, int positive, int train, int test)
{
    iw_data_spec spec;
    memset(&spec, 0, sizeof spec);
    spec.source = source;
    snprintf(spec.path, sizeof spec.path, "%s", dir);
    spec.classes[0] = negative;
    spec.classes[1] = positive;
    spec.train_per_class[0] = spec.train_per_class[1] = train;
    spec.test_per_class[0] = spec.test_per_class[1] = test;
    spec.noise_count = 10;
    return spec;
}

/* Loads `spec`, expecting failure with every one of the given fragments in the message. */
static void expect_load_error(const iw_data_spec *spec, const char *what, const char *f1, const char *f2,
                              const char *f3)
{
    iw_data data;
    iw_error err = {{0}};
    int rc = iw_data_load(spec, &data, &err);
    EXPECT(rc == -1, "%s: load should fail", what);
    if (rc == 0) {
        iw_data_free(&data);
        return;
    }
    const char *frags[3] = {f1, f2, f3};
    for (int i = 0; i < 3; i++)
        EXPECT(!frags[i] || strstr(err.message, frags[i]), "%s: message lacks '%s': %s", what, frags[i], err.message);
}

static void path_of(char *out, size_t size, const char *dir, const char *name)
{
    snprintf(out, size, "%s/%s", dir, name);
}

/* ---- CIFAR-10 ---- */

static void test_cifar_load(void)
{
    char dir[300];
    snprintf(dir, sizeof dir, "%s/cifar", scratch);
    mkdir(dir, 0700);
    EXPECT(test_write_cifar(dir) == 0, "writing the CIFAR-10 files into %s", dir);
    iw_data_spec spec = file_spec(IW_SOURCE_CIFAR10, dir, 3, 5, 0, 0);
    spec.train_per_class[0] = 1200; /* more than one batch holds: crosses into data_batch_2 */
    spec.train_per_class[1] = 40;
    spec.test_per_class[0] = 15;
    spec.test_per_class[1] = 9;
    spec.probe_other = 1;
    iw_data data;
    iw_error err = {{0}};
    int rc = iw_data_load(&spec, &data, &err);
    EXPECT(rc == 0, "%s", err.message);
    if (rc) return;
    EXPECT(data.shape.c == 3 && data.shape.h == 32 && data.shape.w == 32, "shape");
    EXPECT(data.train.n == 1240 && data.test.n == 24, "counts %lld %lld", (long long)data.train.n,
           (long long)data.test.n);
    int64_t other = 0;
    for (int r = 0; r < TEST_CIFAR_RECORDS; r++) other += test_cifar_label(5, r) != 3 && test_cifar_label(5, r) != 5;
    EXPECT(data.other.n == other, "other %lld, expected %lld", (long long)data.other.n, (long long)other);

    /* each channel normalised by its own statistics, which the raw pixels give */
    for (int c = 0; c < 3; c++) {
        double s = 0, q = 0, rs = 0;
        for (int64_t i = 0; i < data.train.n; i++)
            for (int p = 0; p < 1024; p++) {
                double v = data.train.x[i * 3072 + c * 1024 + p];
                s += v;
                q += v * v;
                rs += v * data.std[c] + data.mean[c];
            }
        double n = (double)data.train.n * 1024;
        EXPECT(fabs(s / n) < 1e-4 && fabs(sqrt(q / n) - 1) < 1e-4, "channel %d: mean %g rms %g", c, s / n, sqrt(q / n));
        EXPECT(data.mean[c] >= 80 * c && data.mean[c] < 80 * c + 80, "channel %d raw mean %g in its range", c,
               data.mean[c]);
        EXPECT(fabs(rs / n - data.mean[c]) < 1e-2, "channel %d mean recovered", c);
    }

    /* channel-major decoding and the selection: the first N of each class across the batches */
    int taken[2] = {0, 0}, bad_pixels = 0, bad_labels = 0;
    int64_t row = 0;
    for (int f = 0; f < 5 && row < data.train.n; f++)
        for (int r = 0; r < TEST_CIFAR_RECORDS && row < data.train.n; r++)
            for (int k = 0; k < 2; k++)
                if (test_cifar_label(f, r) == spec.classes[k] && taken[k] < spec.train_per_class[k]) {
                    taken[k]++;
                    bad_labels += data.train.y[row] != k;
                    for (int c = 0; c < 3; c++)
                        for (int p = 0; p < 1024; p++) {
                            float raw = data.train.x[row * 3072 + c * 1024 + p] * data.std[c] + data.mean[c];
                            bad_pixels += fabsf(raw - test_cifar_pixel(f, r, c, p)) > 1e-3f;
                        }
                    row++;
                }
    EXPECT(row == data.train.n && bad_labels == 0 && bad_pixels == 0, "train: %lld rows, %d labels, %d pixels wrong",
           (long long)row, bad_labels, bad_pixels);
    /* the last test example and the last other-classes image, pixel (channel 2, row 31, col 31) */
    int last_test = -1, last_other = -1;
    for (int r = 0, seen[2] = {0, 0}; r < TEST_CIFAR_RECORDS; r++) {
        int l = test_cifar_label(5, r);
        if (l == 3 && seen[0] < 15) seen[0]++, last_test = r;
        else if (l == 5 && seen[1] < 9) seen[1]++, last_test = r;
        if (l != 3 && l != 5) last_other = r;
    }
    float t = data.test.x[23 * 3072 + 3071] * data.std[2] + data.mean[2];
    float o = data.other.x[(data.other.n - 1) * 3072 + 3071] * data.std[2] + data.mean[2];
    EXPECT(fabsf(t - test_cifar_pixel(5, last_test, 2, 1023)) < 1e-3f, "test pixel %g", t);
    EXPECT(fabsf(o - test_cifar_pixel(5, last_other, 2, 1023)) < 1e-3f, "other pixel %g", o);
    iw_data_free(&data);

    int available = 0;
    for (int fi = 0; fi < 5; fi++)
        for (int r = 0; r < TEST_CIFAR_RECORDS; r++) available += test_cifar_label(fi, r) == 5;
    char asked[64], only[64];
    snprintf(asked, sizeof asked, "asked for %d", available + 1);
    snprintf(only, sizeof only, "has only %d", available);
    spec.train_per_class[1] = available + 1;
    expect_load_error(&spec, "too many", asked, only, "(dog)");
    spec.train_per_class[1] = 40;

    /* truncated training batch, by one byte */
    char path[600], saved[600];
    path_of(path, sizeof path, dir, "data_batch_3.bin");
    EXPECT(truncate(path, 30730000 - 1) == 0, "truncate");
    expect_load_error(&spec, "truncated", "data_batch_3.bin", "30729999", "expected exactly 30730000");
    expect_load_error(&spec, "truncated", "truncated", "cifar-10-binary.tar.gz", NULL);
    EXPECT(test_write_cifar_file(dir, 2) == 0, "rewrite");
    /* a label byte out of range in record 5 of data_batch_2.bin */
    path_of(path, sizeof path, dir, "data_batch_2.bin");
    FILE *f = fopen(path, "r+b");
    EXPECT(f && fseek(f, 5L * 3073, SEEK_SET) == 0 && fputc(10, f) == 10 && fclose(f) == 0, "patch label");
    expect_load_error(&spec, "label", "data_batch_2.bin", "record 5", "is 10, expected 0..9");
    /* missing files: a training batch, then the test batch */
    unlink(path);
    expect_load_error(&spec, "missing", "data_batch_2.bin", "not found", "cifar-10-binary.tar.gz");
    EXPECT(test_write_cifar_file(dir, 1) == 0, "rewrite");
    path_of(path, sizeof path, dir, "test_batch.bin");
    path_of(saved, sizeof saved, dir, "test_batch.moved");
    EXPECT(rename(path, saved) == 0, "rename");
    expect_load_error(&spec, "missing", "test_batch.bin", "not found", "https://www.cs.toronto.edu/~kriz/cifar.html");
    EXPECT(rename(saved, path) == 0, "rename back");
    /* the folder the archive unpacks to is found inside data.path */
    char nested[500];
    snprintf(nested, sizeof nested, "%s/cifar-10-batches-bin", dir);
    mkdir(nested, 0700);
    for (int i = 0; i < 6; i++) {
        char name[64], moved[600];
        path_of(path, sizeof path, dir, test_cifar_name(i, name, sizeof name));
        path_of(moved, sizeof moved, nested, name);
        EXPECT(rename(path, moved) == 0, "move %s", name);
    }
    EXPECT(iw_data_load(&spec, &data, &err) == 0, "data.path/cifar-10-batches-bin: %s", err.message);
    EXPECT(data.train.n == 1240 && data.other.n == other, "same counts from the nested folder");
    iw_data_free(&data);
    for (int i = 0; i < 6; i++) {
        char name[64];
        path_of(path, sizeof path, nested, test_cifar_name(i, name, sizeof name));
        unlink(path);
    }
    rmdir(nested);
    rmdir(dir);
}

/* ---- IDX ---- */

static void test_idx_plain_and_gz(void)
{
    for (int gz = 0; gz < 2; gz++) {
        char dir[300];
        snprintf(dir, sizeof dir, "%s/idx%d", scratch, gz);
        mkdir(dir, 0700);
        EXPECT(test_write_idx(dir, 500, 120, gz) == 0, "writing IDX files");
        iw_data_spec spec = file_spec(IW_SOURCE_MNIST, dir, 7, 2, 20, 5);
        spec.probe_other = spec.probe_noise = 1;
        iw_data data;
        iw_error err = {{0}};
        int rc = iw_data_load(&spec, &data, &err);
        EXPECT(rc == 0, "gz %d: %s", gz, err.message);
        if (rc) continue;
        int taken[2] = {0, 0}, bad = 0;
        int64_t row = 0;
        for (int i = 0; i < 500 && row < data.train.n; i++)
            for (int k = 0; k < 2; k++)
                if (test_idx_label(0, i) == spec.classes[k] && taken[k] < 20) {
                    taken[k]++;
                    bad += data.train.y[row] != k;
                    for (int p = 0; p < 784; p++)
                        bad += fabsf(data.train.x[row * 784 + p] * data.std[0] + data.mean[0] - test_idx_pixel(0, i, p)) > 1e-3f;
                    row++;
                }
        EXPECT(row == 40 && bad == 0, "gz %d: %lld rows, %d wrong values", gz, (long long)row, bad);
        int64_t other = 0;
        for (int i = 0; i < 120; i++) other += test_idx_label(1, i) != 7 && test_idx_label(1, i) != 2;
        EXPECT(data.test.n == 10 && data.other.n == other && data.noise.n == 10, "gz %d: counts", gz);
        iw_data_free(&data);
    }
}

static void write_be32_at(const char *path, long offset, uint32_t value)
{
    FILE *f = fopen(path, "r+b");
    unsigned char b[4];
    test_put_be32(b, value);
    EXPECT(f && fseek(f, offset, SEEK_SET) == 0 && fwrite(b, 1, 4, f) == 4, "patch %s", path);
    if (f) fclose(f);
}

static void test_idx_bad_files(void)
{
    char dir[300], path[400];
    snprintf(dir, sizeof dir, "%s/bad", scratch);
    mkdir(dir, 0700);
    iw_data_spec spec = file_spec(IW_SOURCE_FASHION_MNIST, dir, 0, 1, 5, 2);

    /* missing files: both names tried, and where the data comes from */
    expect_load_error(&spec, "missing", "train-images-idx3-ubyte.gz", "not found", "apt-get install dataset-fashion-mnist");
    spec.source = IW_SOURCE_MNIST;
    expect_load_error(&spec, "missing mnist", "MNIST file not found", "train-images-idx3-ubyte", "MNIST database");

    /* bad magic on the images file */
    test_write_idx(dir, 100, 50, 0);
    path_of(path, sizeof path, dir, "train-images-idx3-ubyte");
    write_be32_at(path, 0, 0x00000801);
    expect_load_error(&spec, "magic", "train-images-idx3-ubyte", "bad magic number 0x00000801", "expected 0x00000803");
    write_be32_at(path, 0, 0x12345678);
    expect_load_error(&spec, "magic", "bad magic number 0x12345678", NULL, NULL);
    /* labels file with the image magic */
    test_write_idx(dir, 100, 50, 0);
    path_of(path, sizeof path, dir, "t10k-labels-idx1-ubyte");
    write_be32_at(path, 0, 0x00000803);
    expect_load_error(&spec, "label magic", "t10k-labels-idx1-ubyte", "expected 0x00000801", NULL);
    /* wrong dimensions */
    test_write_idx(dir, 100, 50, 0);
    path_of(path, sizeof path, dir, "train-images-idx3-ubyte");
    write_be32_at(path, 8, 32);
    expect_load_error(&spec, "dims", "images are 32x28", "expected 28x28", NULL);
    /* count mismatch between images and labels */
    test_write_idx(dir, 100, 50, 0);
    path_of(path, sizeof path, dir, "train-labels-idx1-ubyte");
    write_be32_at(path, 4, 99);
    expect_load_error(&spec, "count", "holds 99 labels", "holds 100 images", NULL);
    /* label out of range */
    test_write_idx(dir, 100, 50, 0);
    FILE *f = fopen(path, "r+b");
    EXPECT(f && fseek(f, 8 + 42, SEEK_SET) == 0 && fputc(12, f) == 12 && fclose(f) == 0, "patch label");
    expect_load_error(&spec, "label range", "train-labels-idx1-ubyte", "example 42 is 12", "expected 0..9");
    /* truncated images file, plain */
    test_write_idx(dir, 100, 50, 0);
    path_of(path, sizeof path, dir, "t10k-images-idx3-ubyte");
    EXPECT(truncate(path, 16 + 50 * 784 - 100) == 0, "truncate");
    expect_load_error(&spec, "truncated", "t10k-images-idx3-ubyte: truncated", "expected 39216 bytes", "found 39116");
    /* trailing bytes after the last image */
    EXPECT(truncate(path, 16 + 50 * 784 + 3) == 0, "extend");
    expect_load_error(&spec, "longer", "longer than its header says", NULL, NULL);
    /* truncated labels file */
    test_write_idx(dir, 100, 50, 0);
    path_of(path, sizeof path, dir, "train-labels-idx1-ubyte");
    EXPECT(truncate(path, 8 + 60) == 0, "truncate");
    expect_load_error(&spec, "labels truncated", "train-labels-idx1-ubyte: truncated", "expected 108 bytes", "found 68");
    /* truncated gzip stream */
    for (int i = 0; i < 2; i++) {
        const char *n = i ? "t10k" : "train";
        char name[64];
        snprintf(name, sizeof name, "%s-images-idx3-ubyte", n);
        path_of(path, sizeof path, dir, name);
        unlink(path);
        snprintf(name, sizeof name, "%s-labels-idx1-ubyte", n);
        path_of(path, sizeof path, dir, name);
        unlink(path);
    }
    test_write_idx(dir, 100, 50, 1);
    path_of(path, sizeof path, dir, "train-images-idx3-ubyte.gz");
    struct stat st;
    stat(path, &st);
    EXPECT(truncate(path, st.st_size / 2) == 0, "truncate gz");
    expect_load_error(&spec, "gz truncated", "train-images-idx3-ubyte.gz", "truncated", "expected 78416 bytes");
    /* too many examples of a class */
    test_write_idx(dir, 100, 50, 1);
    int available = 0;
    for (int i = 0; i < 100; i++) available += test_idx_label(0, i) == 1;
    char only[64];
    snprintf(only, sizeof only, "only %d", available);
    spec.train_per_class[1] = available + 1;
    expect_load_error(&spec, "too many", "data.train_per_class", only, "digit 1");
    spec.train_per_class[1] = available;
    iw_data data;
    iw_error err = {{0}};
    EXPECT(iw_data_load(&spec, &data, &err) == 0, "exactly the available count loads: %s", err.message);
    iw_data_free(&data);
    const char *names[] = {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
                           "t10k-labels-idx1-ubyte.gz"};
    for (int i = 0; i < 4; i++) {
        path_of(path, sizeof path, dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

int main(void)
{
    snprintf(scratch, sizeof scratch, "/tmp/iw_test_data.XXXXXX");
    if (!mkdtemp(scratch)) {
        printf("not ok - cannot create a scratch folder under /tmp\n");
        return 1;
    }
    RUN_TEST(test_idx_plain_and_gz);
    RUN_TEST(test_idx_bad_files);
    RUN_TEST(test_cifar_load);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", scratch);
    if (system(cmd) != 0) printf("# could not remove %s\n", scratch);
    return test_exit_code();
}
