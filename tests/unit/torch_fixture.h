/* torch_fixture.h — the one reader of the PyTorch reference fixtures that the engine tests compare
 * against (tests/fixtures/mlp_torch.bin and conv_torch.bin, written by gen_mlp_fixture.py and
 * gen_conv_fixture.py in the same folder with Debian's PyTorch 1.13). A fixture is a list of named
 * float32 arrays; two layouts exist, both little-endian:
 *
 *   IWFX v1      "IWFX"     u32 version u32 count, then per record:
 *                           u32 name length, name, u32 n, f32[n]                     (1-D arrays)
 *   IWCONVFX v1  "IWCONVFX" u32 version u32 count, then per record:
 *                           u32 name length, name, u32 ndim, u32 dims[ndim], f32[prod dims]
 *
 * (mlp_torch.bin is IWFX, conv_torch.bin IWCONVFX; each generator's docstring lists its records.)
 * Records of an IWFX file have ndim 1. Everything is read at once and freed with
 * torch_fixture_free.
 */
#ifndef IW_TORCH_FIXTURE_H
#define IW_TORCH_FIXTURE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct torch_record {
    char name[128];
    int ndim;
    uint32_t dims[8];
    size_t n;             /* values: the product of dims */
    float *data;
} torch_record;

typedef struct torch_fixture {
    torch_record *records;
    int n;
} torch_fixture;

static inline int torch_fixture_u32(FILE *f, uint32_t *v)
{
    unsigned char b[4];
    if (fread(b, 1, 4, f) != 4) return -1;
    *v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    return 0;
}

static inline void torch_fixture_free(torch_fixture *fx)
{
    for (int i = 0; i < fx->n; i++) free(fx->records[i].data);
    free(fx->records);
    fx->records = NULL;
    fx->n = 0;
}

/* Loads the fixture at path. 0, or -1 after printing "# <path>: <why>" (a TAP comment). */
static inline int torch_fixture_load(const char *path, torch_fixture *fx)
{
    memset(fx, 0, sizeof *fx);
    FILE *f = fopen(path, "rb");
    if (!f) {
        printf("# cannot open %s (run from the repository root)\n", path);
        return -1;
    }
    char magic[8];
    int shaped = -1; /* 1: IWCONVFX (records carry their shape), 0: IWFX */
    if (fread(magic, 1, 4, f) == 4 && memcmp(magic, "IWFX", 4) == 0) shaped = 0;
    else if (fread(magic + 4, 1, 4, f) == 4 && memcmp(magic, "IWCONVFX", 8) == 0) shaped = 1;
    uint32_t version = 0, count = 0;
    if (shaped < 0 || torch_fixture_u32(f, &version) || version != 1 || torch_fixture_u32(f, &count) || count > 100000) {
        printf("# %s: not a version-1 IWFX or IWCONVFX fixture\n", path);
        fclose(f);
        return -1;
    }
    fx->records = calloc(count, sizeof *fx->records);
    int ok = fx->records != NULL;
    for (uint32_t i = 0; ok && i < count; i++) {
        torch_record *r = &fx->records[i];
        uint32_t len, ndim = 1;
        ok = !torch_fixture_u32(f, &len) && len < sizeof r->name && fread(r->name, 1, len, f) == len &&
             (!shaped || (!torch_fixture_u32(f, &ndim) && ndim <= 8));
        r->ndim = (int)ndim;
        r->n = 1;
        for (uint32_t d = 0; ok && d < ndim; d++) {
            ok = !torch_fixture_u32(f, &r->dims[d]);
            r->n *= r->dims[d];
        }
        ok = ok && r->n <= (1u << 26);
        r->data = ok ? malloc(sizeof(float) * (r->n ? r->n : 1)) : NULL;
        for (size_t k = 0; ok && k < r->n; k++) {
            uint32_t u;
            ok = r->data && !torch_fixture_u32(f, &u);
            if (ok) memcpy(&r->data[k], &u, 4);
        }
        fx->n = (int)i + 1;
    }
    fclose(f);
    if (!ok) {
        printf("# %s: truncated or malformed (record %d)\n", path, fx->n - 1);
        torch_fixture_free(fx);
        return -1;
    }
    return 0;
}

/* The record called `name`, or NULL. */
static inline const torch_record *torch_fixture_find(const torch_fixture *fx, const char *name)
{
    for (int i = 0; i < fx->n; i++)
        if (strcmp(fx->records[i].name, name) == 0) return &fx->records[i];
    return NULL;
}

#ifdef IW_TEST_H
#include <stdarg.h>
/* For tests (test.h included first): the record named by a printf-style format; a missing one is
 * a failed expectation naming it, and NULL. */
static inline const torch_record *torch_fixture_expect(const torch_fixture *fx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline const torch_record *torch_fixture_expect(const torch_fixture *fx, const char *fmt, ...)
{
    char name[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    const torch_record *r = torch_fixture_find(fx, name);
    EXPECT(r != NULL, "fixture has no record '%s'", name);
    return r;
}
#endif

#endif
