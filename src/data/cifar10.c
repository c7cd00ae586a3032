/* cifar10.c — CIFAR-10 from its binary distribution (cifar-10-binary.tar.gz, unpacked).
 *
 * Files in data.path (or in data.path/cifar-10-batches-bin, the folder the archive unpacks to):
 *   data_batch_1.bin .. data_batch_5.bin   training set, in this order
 *   test_batch.bin                         test set
 * Each file is exactly 10000 records of 3073 bytes = 30730000 bytes:
 *   record = label (1 byte, 0..9) | red plane 32x32 | green plane | blue plane   (row-major planes)
 * i.e. the pixels are already in (C, H, W) order and are copied as is.
 */
#include "data_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CIFAR_SIDE 32
#define CIFAR_PIXELS (3 * CIFAR_SIDE * CIFAR_SIDE)
#define CIFAR_RECORD (1 + CIFAR_PIXELS)
#define CIFAR_RECORDS 10000
#define CIFAR_FILE_BYTES ((long long)CIFAR_RECORDS * CIFAR_RECORD) /* 30730000 */
#define CIFAR_TRAIN_FILES 5

static const char *const cifar_names[10] = {"airplane", "automobile", "bird", "cat", "deer",
                                            "dog", "frog", "horse", "ship", "truck"};

static const char *const where_to_get =
    "CIFAR-10 cannot be installed by package: download the binary version, cifar-10-binary.tar.gz, "
    "from https://www.cs.toronto.edu/~kriz/cifar.html, unpack it, and set data.path to the folder "
    "cifar-10-batches-bin it creates";

static int file_count(int split) { return split == 0 ? CIFAR_TRAIN_FILES : 1; }

/* Path of file `i` of `split`: data.path/<name>, else data.path/cifar-10-batches-bin/<name>. */
static int file_path(const iw_data_spec *spec, int split, int i, char *path, size_t size, iw_error *err)
{
    char name[32], nested[1200];
    struct stat st;
    if (split == 0) snprintf(name, sizeof name, "data_batch_%d.bin", i + 1);
    else snprintf(name, sizeof name, "test_batch.bin");
    snprintf(path, size, "%s/%s", spec->path, name);
    snprintf(nested, sizeof nested, "%s/cifar-10-batches-bin/%s", spec->path, name);
    if (stat(path, &st) != 0 && stat(nested, &st) == 0) snprintf(path, size, "%s", nested);
    if (stat(path, &st) != 0)
        return iw_error_set(err, "CIFAR-10 file not found: %s (%s; data.path = '%s'). %s", path,
                            strerror(errno), spec->path, where_to_get);
    if ((long long)st.st_size != CIFAR_FILE_BYTES)
        return iw_error_set(err, "%s: %lld bytes, expected exactly %lld (10000 records of 1 label byte + 3072 pixel "
                            "bytes): the file is %s. %s", path, (long long)st.st_size, CIFAR_FILE_BYTES,
                            (long long)st.st_size < CIFAR_FILE_BYTES ? "truncated" : "not a CIFAR-10 binary batch",
                            where_to_get);
    return 0;
}

/* Streams every record of `split`; for each, label (checked) into labels[i] if labels, pixels into
 * dest[i] if dest && dest[i]. */
static int scan(const iw_data_spec *spec, int split, uint8_t *labels, float *const *dest, iw_error *err)
{
    unsigned char *record = malloc(CIFAR_RECORD);
    if (!record) return iw_error_set(err, "CIFAR-10: out of memory");
    int rc = -1;
    for (int file = 0; file < file_count(split); file++) {
        char path[1200];
        if (file_path(spec, split, file, path, sizeof path, err)) goto done;
        FILE *f = fopen(path, "rb");
        if (!f) {
            iw_error_set(err, "%s: cannot open: %s", path, strerror(errno));
            goto done;
        }
        setvbuf(f, NULL, _IOFBF, 1 << 20);
        for (int r = 0; r < CIFAR_RECORDS; r++) {
            int64_t i = (int64_t)file * CIFAR_RECORDS + r;
            if (fread(record, 1, CIFAR_RECORD, f) != CIFAR_RECORD) {
                iw_error_set(err, "%s: %s after %d records (expected %d)", path,
                             ferror(f) ? strerror(errno) : "truncated", r, CIFAR_RECORDS);
                fclose(f);
                goto done;
            }
            if (record[0] > 9) {
                iw_error_set(err, "%s: label of record %d (byte offset %lld) is %u, expected 0..9", path, r,
                             (long long)r * CIFAR_RECORD, record[0]);
                fclose(f);
                goto done;
            }
            if (labels) labels[i] = record[0];
            if (dest && dest[i])
                for (int k = 0; k < CIFAR_PIXELS; k++) dest[i][k] = (float)record[1 + k];
        }
        fclose(f);
    }
    rc = 0;
done:
    free(record);
    return rc;
}

static int cifar_read_labels(const iw_data_spec *spec, int split, uint8_t **labels, int64_t *n, iw_shape *shape,
                             char *files, size_t files_size, iw_error *err)
{
    const int64_t count = (int64_t)file_count(split) * CIFAR_RECORDS;
    uint8_t *buf = malloc((size_t)count);
    if (!buf) return iw_error_set(err, "CIFAR-10: out of memory");
    if (scan(spec, split, buf, NULL, err)) {
        free(buf);
        return -1;
    }
    char first[1200];
    file_path(spec, split, 0, first, sizeof first, NULL);
    if (split == 0) {
        char *slash = strrchr(first, '/');
        if (slash) slash[1] = '\0';
        snprintf(files, files_size, "%sdata_batch_1..5.bin", first);
    } else {
        snprintf(files, files_size, "%s", first);
    }
    *labels = buf;
    *n = count;
    *shape = (iw_shape){3, CIFAR_SIDE, CIFAR_SIDE};
    return 0;
}

static int cifar_read_images(const iw_data_spec *spec, int split, float *const *dest, int64_t n, iw_error *err)
{
    if (n != (int64_t)file_count(split) * CIFAR_RECORDS)
        return iw_error_set(err, "CIFAR-10: internal error: %lld examples asked of split %d", (long long)n, split);
    return scan(spec, split, NULL, dest, err);
}

const iw_image_source iw_source_cifar10 = {
    .name = "CIFAR-10",
    .class_names = cifar_names,
    .n_classes = 10,
    .read_labels = cifar_read_labels,
    .read_images = cifar_read_images,
};
