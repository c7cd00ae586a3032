/* data_test_files.h — writes data files in the exact formats the loaders read, for the data tests.
 *
 *   CIFAR-10 binary: data_batch_1..5.bin and test_batch.bin, each 10000 records of
 *     label byte | red 32x32 | green 32x32 | blue 32x32   (30730000 bytes, as distributed)
 *   IDX (MNIST / Fashion-MNIST): big-endian header (magic, count[, rows, cols]) then bytes,
 *     written plain or gzipped.
 * Contents are a pure function of position, so the tests can recompute any pixel they check.
 */
#ifndef IW_DATA_TEST_FILES_H
#define IW_DATA_TEST_FILES_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define TEST_CIFAR_RECORDS 10000
#define TEST_CIFAR_PIXELS 3072

/* Label of record r of file f (f = 0..4 training batches, 5 = test batch). */
static inline int test_cifar_label(int f, int r) { return (r * 7 + f * 3 + r / 13) % 10; }

/* Pixel byte of channel c (0 R, 1 G, 2 B) at position p (row * 32 + col): each channel has its own
 * range (R 0..79, G 80..159, B 160..239) so per-channel normalisation shows. */
static inline unsigned char test_cifar_pixel(int f, int r, int c, int p)
{
    return (unsigned char)(80 * c + (f * 31 + r * 17 + p * 5 + (p / 32) * 3) % 80);
}

static inline const char *test_cifar_name(int f, char *buf, size_t size)
{
    if (f < 5) snprintf(buf, size, "data_batch_%d.bin", f + 1);
    else snprintf(buf, size, "test_batch.bin");
    return buf;
}

/* Writes file f (0..4 data_batch_<f+1>.bin, 5 test_batch.bin) into dir. Returns 0 or -1. */
static inline int test_write_cifar_file(const char *dir, int f)
{
    size_t bytes = (size_t)TEST_CIFAR_RECORDS * (1 + TEST_CIFAR_PIXELS);
    unsigned char *buf = malloc(bytes);
    if (!buf) return -1;
    for (int r = 0; r < TEST_CIFAR_RECORDS; r++) {
        unsigned char *rec = buf + (size_t)r * (1 + TEST_CIFAR_PIXELS);
        rec[0] = (unsigned char)test_cifar_label(f, r);
        for (int c = 0; c < 3; c++)
            for (int p = 0; p < 1024; p++) rec[1 + c * 1024 + p] = test_cifar_pixel(f, r, c, p);
    }
    char name[64], path[1200];
    snprintf(path, sizeof path, "%s/%s", dir, test_cifar_name(f, name, sizeof name));
    FILE *out = fopen(path, "wb");
    int bad = !out || fwrite(buf, 1, bytes, out) != bytes;
    if (out && fclose(out)) bad = 1;
    free(buf);
    return bad ? -1 : 0;
}

/* Writes the six files into dir. Returns 0 or -1. */
static inline int test_write_cifar(const char *dir)
{
    for (int f = 0; f < 6; f++)
        if (test_write_cifar_file(dir, f)) return -1;
    return 0;
}

/* Writes `bytes` bytes to path, gzipped when gz. */
static inline int test_write_bytes(const char *path, const void *data, size_t bytes, int gz)
{
    if (gz) {
        gzFile f = gzopen(path, "wb1");
        if (!f) return -1;
        int bad = bytes && gzwrite(f, data, (unsigned)bytes) != (int)bytes;
        return gzclose(f) != Z_OK || bad ? -1 : 0;
    }
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    int bad = fwrite(data, 1, bytes, f) != bytes;
    return fclose(f) || bad ? -1 : 0;
}

static inline void test_put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* IDX test set: label of image i in split s (0 train, 1 t10k), and its pixel at p (0..783). */
static inline int test_idx_label(int s, int i) { return (i * 3 + s + i / 7) % 10; }
static inline unsigned char test_idx_pixel(int s, int i, int p) { return (unsigned char)((i * 11 + p * 7 + s * 5) % 256); }

/* Writes a consistent IDX set (n_train and n_test images of 28x28) into dir, plain or gzipped
 * (file names get ".gz" then). Returns 0 or -1. */
static inline int test_write_idx(const char *dir, int n_train, int n_test, int gz)
{
    for (int s = 0; s < 2; s++) {
        int n = s == 0 ? n_train : n_test;
        const char *prefix = s == 0 ? "train" : "t10k";
        size_t img_bytes = 16 + (size_t)n * 784, lab_bytes = 8 + (size_t)n;
        unsigned char *img = malloc(img_bytes), *lab = malloc(lab_bytes);
        if (!img || !lab) {
            free(img);
            free(lab);
            return -1;
        }
        test_put_be32(img, 0x803);
        test_put_be32(img + 4, (uint32_t)n);
        test_put_be32(img + 8, 28);
        test_put_be32(img + 12, 28);
        test_put_be32(lab, 0x801);
        test_put_be32(lab + 4, (uint32_t)n);
        for (int i = 0; i < n; i++) {
            lab[8 + i] = (unsigned char)test_idx_label(s, i);
            for (int p = 0; p < 784; p++) img[16 + (size_t)i * 784 + p] = test_idx_pixel(s, i, p);
        }
        char path[1200];
        snprintf(path, sizeof path, "%s/%s-images-idx3-ubyte%s", dir, prefix, gz ? ".gz" : "");
        int bad = test_write_bytes(path, img, img_bytes, gz);
        snprintf(path, sizeof path, "%s/%s-labels-idx1-ubyte%s", dir, prefix, gz ? ".gz" : "");
        bad |= test_write_bytes(path, lab, lab_bytes, gz);
        free(img);
        free(lab);
        if (bad) return -1;
    }
    return 0;
}

#endif
