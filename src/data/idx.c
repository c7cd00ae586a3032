/* idx.c — MNIST and Fashion-MNIST from their IDX files, gzipped or not.
 *
 * Files in data.path (each may also carry a .gz suffix; zlib's gzread reads plain files too):
 *   train-images-idx3-ubyte  train-labels-idx1-ubyte  t10k-images-idx3-ubyte  t10k-labels-idx1-ubyte
 * IDX format, big-endian 32-bit header words:
 *   images: magic 0x00000803, count N, rows 28, cols 28, then N*28*28 bytes (row-major, 0..255)
 *   labels: magic 0x00000801, count N, then N bytes (0..9)
 * Every check (missing file, magic, dimensions, count mismatch, truncation, trailing bytes, label
 * range) fails with a message naming the file, what was expected and what was found.
 */
#include "data_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#define IDX_MAGIC_IMAGES 0x00000803u
#define IDX_MAGIC_LABELS 0x00000801u
#define IDX_SIDE 28
#define IDX_CHUNK (1 << 20)

static const char *const fashion_names[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                              "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};
static const char *const digit_names[10] = {"digit 0", "digit 1", "digit 2", "digit 3", "digit 4",
                                            "digit 5", "digit 6", "digit 7", "digit 8", "digit 9"};

static const char *where_to_get(iw_source source)
{
    return source == IW_SOURCE_FASHION_MNIST
               ? "Fashion-MNIST is Debian's package dataset-fashion-mnist: `apt-get install "
                 "dataset-fashion-mnist` puts the files in /usr/share/datasets/fashion-mnist"
               : "MNIST is the four IDX files of the MNIST database (train-images-idx3-ubyte.gz, "
                 "train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz, from "
                 "http://yann.lecun.com/exdb/mnist/ or a mirror); put them in the folder data.path names";
}

static const char *source_name(iw_source source)
{
    return source == IW_SOURCE_FASHION_MNIST ? "Fashion-MNIST" : "MNIST";
}

/* Opens data.path/<base>, else data.path/<base>.gz; `path` gets the name opened (or the first
 * tried, for messages). */
static gzFile open_idx(const iw_data_spec *spec, const char *base, char *path, size_t path_size, iw_error *err)
{
    struct stat st;
    char gz[1100];
    snprintf(path, path_size, "%s/%s", spec->path, base);
    snprintf(gz, sizeof gz, "%s/%s.gz", spec->path, base);
    const char *name = stat(path, &st) == 0 ? path : stat(gz, &st) == 0 ? gz : NULL;
    if (!name) {
        iw_error_set(err, "%s file not found: neither %s nor %s exists (data.path = '%s'). %s",
                     source_name(spec->source), path, gz, spec->path, where_to_get(spec->source));
        return NULL;
    }
    if (name == gz) snprintf(path, path_size, "%s", gz);
    gzFile f = gzopen(path, "rb");
    if (!f) {
        iw_error_set(err, "%s: cannot open: %s", path, errno ? strerror(errno) : "out of memory");
        return NULL;
    }
    gzbuffer(f, 256 * 1024);
    return f;
}

/* Reads exactly `bytes` (uncompressed) bytes; returns how many were read (< bytes at the end of
 * the file), or -1 with err set on a read or decompression error. */
static int64_t read_fully(gzFile f, const char *path, void *buf, size_t bytes, iw_error *err)
{
    size_t done = 0;
    while (done < bytes) {
        size_t chunk = bytes - done < IDX_CHUNK ? bytes - done : IDX_CHUNK;
        int got = gzread(f, (char *)buf + done, (unsigned)chunk);
        if (got < 0) {
            int code;
            const char *msg = gzerror(f, &code);
            return iw_error_set(err, "%s: read error: %s", path, code == Z_ERRNO ? strerror(errno) : msg);
        }
        if (got == 0) break;
        done += (size_t)got;
    }
    return (int64_t)done;
}

static uint32_t big_endian(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Reads and checks an IDX header: magic, then `words` dimension words into dims. */
static int read_header(gzFile f, const char *path, uint32_t magic, int words, uint32_t *dims, iw_error *err)
{
    unsigned char head[16];
    size_t want = 4 * (size_t)(1 + words);
    int64_t got = read_fully(f, path, head, want, err);
    if (got < 0) return -1;
    if ((size_t)got < want)
        return iw_error_set(err, "%s: truncated header: expected %zu bytes, found %lld", path, want, (long long)got);
    uint32_t found = big_endian(head);
    if (found != magic)
        return iw_error_set(err, "%s: bad magic number 0x%08x, expected 0x%08x (an IDX %s file)%s", path, found,
                            magic, magic == IDX_MAGIC_IMAGES ? "image" : "label",
                            found == IDX_MAGIC_IMAGES || found == IDX_MAGIC_LABELS
                                ? "; images and labels files swapped?" : "");
    for (int i = 0; i < words; i++) dims[i] = big_endian(head + 4 * (1 + i));
    return 0;
}

/* Checks that nothing follows the `expected` bytes just read. */
static int check_end(gzFile f, const char *path, uint64_t expected, iw_error *err)
{
    char extra[4096];
    int64_t got = read_fully(f, path, extra, sizeof extra, err);
    if (got < 0) return -1;
    if (got > 0)
        return iw_error_set(err, "%s: longer than its header says: expected %llu bytes (uncompressed), found more",
                            path, (unsigned long long)expected);
    return 0;
}

static void split_bases(int split, const char **images, const char **labels)
{
    *images = split == 0 ? "train-images-idx3-ubyte" : "t10k-images-idx3-ubyte";
    *labels = split == 0 ? "train-labels-idx1-ubyte" : "t10k-labels-idx1-ubyte";
}

/* Opens the images file of `split` and checks its header: count in *n. */
static gzFile open_images(const iw_data_spec *spec, int split, char *path, size_t path_size, int64_t *n,
                          iw_error *err)
{
    const char *images, *labels;
    split_bases(split, &images, &labels);
    gzFile f = open_idx(spec, images, path, path_size, err);
    if (!f) return NULL;
    uint32_t dims[3];
    if (read_header(f, path, IDX_MAGIC_IMAGES, 3, dims, err)) goto fail;
    if (dims[1] != IDX_SIDE || dims[2] != IDX_SIDE) {
        iw_error_set(err, "%s: images are %ux%u, expected %dx%d (%s)", path, dims[1], dims[2], IDX_SIDE, IDX_SIDE,
                     source_name(spec->source));
        goto fail;
    }
    if (dims[0] == 0 || dims[0] > 100000000u) {
        iw_error_set(err, "%s: header says %u images, expected 1 to 100000000", path, dims[0]);
        goto fail;
    }
    *n = dims[0];
    return f;
fail:
    gzclose(f);
    return NULL;
}

static int idx_read_labels(const iw_data_spec *spec, int split, uint8_t **labels_out, int64_t *n_out,
                           iw_shape *shape, char *files, size_t files_size, iw_error *err)
{
    char image_path[1100], label_path[1100];
    const char *images, *labels;
    int64_t n_images = 0;
    uint8_t *labels_buf = NULL;
    split_bases(split, &images, &labels);
    gzFile f = open_images(spec, split, image_path, sizeof image_path, &n_images, err);
    if (!f) return -1;
    gzclose(f);
    f = open_idx(spec, labels, label_path, sizeof label_path, err);
    if (!f) return -1;
    uint32_t count;
    if (read_header(f, label_path, IDX_MAGIC_LABELS, 1, &count, err)) goto fail;
    if ((int64_t)count != n_images) {
        iw_error_set(err, "%s: holds %u labels but %s holds %lld images; the two files must match", label_path,
                     count, image_path, (long long)n_images);
        goto fail;
    }
    labels_buf = malloc(count ? count : 1);
    if (!labels_buf) {
        iw_error_set(err, "%s: out of memory", label_path);
        goto fail;
    }
    int64_t got = read_fully(f, label_path, labels_buf, count, err);
    if (got < 0) goto fail;
    if (got < (int64_t)count) {
        iw_error_set(err, "%s: truncated: expected %llu bytes (8-byte header + %u labels), found %lld", label_path,
                     8ull + count, count, 8ll + got);
        goto fail;
    }
    if (check_end(f, label_path, 8ull + count, err)) goto fail;
    for (uint32_t i = 0; i < count; i++)
        if (labels_buf[i] > 9) {
            iw_error_set(err, "%s: label of example %u is %u, expected 0..9", label_path, i, labels_buf[i]);
            goto fail;
        }
    gzclose(f);
    *labels_out = labels_buf;
    *n_out = count;
    *shape = (iw_shape){1, IDX_SIDE, IDX_SIDE};
    snprintf(files, files_size, "%s", label_path);
    return 0;
fail:
    free(labels_buf);
    gzclose(f);
    return -1;
}

static int idx_read_images(const iw_data_spec *spec, int split, float *const *dest, int64_t n, iw_error *err)
{
    char path[1100];
    int64_t n_file = 0;
    gzFile f = open_images(spec, split, path, sizeof path, &n_file, err);
    if (!f) return -1;
    if (n_file != n) { /* the file changed since its labels were read */
        gzclose(f);
        return iw_error_set(err, "%s: now holds %lld images, %lld expected", path, (long long)n_file, (long long)n);
    }
    const size_t pixels = IDX_SIDE * IDX_SIDE;
    const size_t per_chunk = 1024; /* images per read */
    const uint64_t expected = 16 + (uint64_t)n * pixels;
    unsigned char *buf = malloc(per_chunk * pixels);
    if (!buf) {
        gzclose(f);
        return iw_error_set(err, "%s: out of memory", path);
    }
    int rc = -1;
    for (int64_t start = 0; start < n; start += (int64_t)per_chunk) {
        size_t count = (size_t)(n - start) < per_chunk ? (size_t)(n - start) : per_chunk;
        int64_t got = read_fully(f, path, buf, count * pixels, err);
        if (got < 0) goto done;
        if ((size_t)got < count * pixels) {
            iw_error_set(err, "%s: truncated: expected %llu bytes (16-byte header + %lld images of %dx%d), found %llu",
                         path, (unsigned long long)expected, (long long)n, IDX_SIDE, IDX_SIDE,
                         (unsigned long long)(16 + (uint64_t)start * pixels + (uint64_t)got));
            goto done;
        }
        for (size_t j = 0; j < count; j++) {
            float *out = dest[start + (int64_t)j];
            if (!out) continue;
            const unsigned char *in = buf + j * pixels;
            for (size_t k = 0; k < pixels; k++) out[k] = (float)in[k];
        }
    }
    if (check_end(f, path, expected, err)) goto done;
    rc = 0;
done:
    free(buf);
    gzclose(f);
    return rc;
}

const iw_image_source iw_source_fashion_mnist = {
    .name = "Fashion-MNIST",
    .class_names = fashion_names,
    .n_classes = 10,
    .read_labels = idx_read_labels,
    .read_images = idx_read_images,
};

const iw_image_source iw_source_mnist = {
    .name = "MNIST",
    .class_names = digit_names,
    .n_classes = 10,
    .read_labels = idx_read_labels,
    .read_images = idx_read_images,
};
