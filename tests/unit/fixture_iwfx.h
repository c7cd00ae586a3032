/* fixture_iwfx.h — the reader of the IWFX reference files that PyTorch scripts write
 * (tests/fixtures/gen_mlp_fixture.py gives the format; gen_loss_fixture.py writes the same). A test
 * includes it after test.h, calls load_fixture(path) once, looks records up by name with find()
 * (a missing record is a failed expectation) and calls free_fixture() at the end.
 * Little-endian float32 assumed for the values (x86/ARM).
 */
#ifndef IW_TEST_FIXTURE_IWFX_H
#define IW_TEST_FIXTURE_IWFX_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct record {
    char name[64];
    uint32_t count;
    float *values;
} record;

static record *records;
static int n_records;

static const record *find(const char *fmt, ...) __attribute__((format(printf, 1, 2), unused));
static const record *find(const char *fmt, ...)
{
    char name[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    for (int i = 0; i < n_records; i++)
        if (strcmp(records[i].name, name) == 0) return &records[i];
    EXPECT(0, "fixture has no record '%s'", name);
    return NULL;
}

static uint32_t read_u32(FILE *f, int *ok)
{
    unsigned char b[4];
    if (fread(b, 1, 4, f) != 4) {
        *ok = 0;
        return 0;
    }
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* Loads the fixture; 0 on success. Little-endian float32 assumed for the values (x86/ARM). */
__attribute__((unused)) static int load_fixture(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        printf("# cannot open %s\n", path);
        return -1;
    }
    char magic[4];
    int ok = fread(magic, 1, 4, f) == 4 && memcmp(magic, "IWFX", 4) == 0;
    uint32_t version = read_u32(f, &ok), n = read_u32(f, &ok);
    if (!ok || version != 1 || n > 100000) {
        printf("# %s: not an IWFX version 1 fixture\n", path);
        fclose(f);
        return -1;
    }
    records = calloc(n, sizeof *records);
    for (uint32_t i = 0; i < n && ok; i++) {
        uint32_t len = read_u32(f, &ok);
        if (!ok || len >= sizeof records[i].name || fread(records[i].name, 1, len, f) != len) {
            ok = 0;
            break;
        }
        records[i].count = read_u32(f, &ok);
        if (!ok || records[i].count > (1u << 24)) {
            ok = 0;
            break;
        }
        records[i].values = malloc(((size_t)records[i].count + 1) * sizeof(float));
        if (fread(records[i].values, sizeof(float), records[i].count, f) != records[i].count) ok = 0;
        n_records = (int)i + 1;
    }
    fclose(f);
    if (!ok) printf("# %s: truncated or malformed\n", path);
    return ok ? 0 : -1;
}

__attribute__((unused)) static void free_fixture(void)
{
    for (int i = 0; i < n_records; i++) free(records[i].values);
    free(records);
}

#endif
