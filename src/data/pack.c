/* pack.c — a data set as one flat buffer, for sharing (an MPI shared window, see node_data.c).
 *
 *   offset 0     header (below; 256 bytes reserved): magic "IWDATA\0\0", version, shape, counts,
 *                mean/std, and the offset of every array from the buffer's start
 *   then         train.x | test.x | other.x | noise.x | train.y | test.y, each 64-byte aligned
 *
 * A view points into the buffer (no copy), so the buffer must outlive the view and stay
 * read-only. The header is checked before anything is trusted: magic, version, shape, and that
 * every array lies inside the buffer.
 */
#include "iw/data.h"

#include <math.h>
#include <string.h>

#define PACK_MAGIC "IWDATA\0\0"
#define PACK_VERSION 1u
#define PACK_HEADER_BYTES 256u
#define PACK_ALIGN 64u

typedef struct pack_header {
    char magic[8];
    uint32_t version, header_bytes;
    int32_t c, h, w, reserved;
    int64_t n[4];          /* train, test, other, noise */
    uint64_t x_offset[4];  /* same order */
    uint64_t y_offset[2];  /* train, test */
    float mean[4], std[4];
    uint64_t total_bytes;
} pack_header;

_Static_assert(sizeof(pack_header) <= PACK_HEADER_BYTES, "pack header must fit its reserved space");

static uint64_t align_up(uint64_t n) { return (n + PACK_ALIGN - 1) / PACK_ALIGN * PACK_ALIGN; }

/* Fills the header's counts and offsets for `data`; returns the total size. */
static uint64_t layout(const iw_data *data, pack_header *h)
{
    const iw_split *splits[4] = {&data->train, &data->test, &data->other, &data->noise};
    const uint64_t example = (uint64_t)iw_shape_size(data->shape) * sizeof(float);
    uint64_t total = PACK_HEADER_BYTES;
    memset(h, 0, sizeof *h);
    memcpy(h->magic, PACK_MAGIC, 8);
    h->version = PACK_VERSION;
    h->header_bytes = PACK_HEADER_BYTES;
    h->c = data->shape.c;
    h->h = data->shape.h;
    h->w = data->shape.w;
    for (int s = 0; s < 4; s++) {
        h->n[s] = splits[s]->n;
        h->x_offset[s] = total;
        total = align_up(total + (uint64_t)splits[s]->n * example);
    }
    for (int s = 0; s < 2; s++) {
        h->y_offset[s] = total;
        total = align_up(total + (uint64_t)splits[s]->n * sizeof(int32_t));
    }
    for (int c = 0; c < 4; c++) {
        h->mean[c] = data->mean[c];
        h->std[c] = data->std[c];
    }
    h->total_bytes = total;
    return total;
}

size_t iw_data_packed_size(const iw_data *data)
{
    pack_header h;
    return (size_t)layout(data, &h);
}

int iw_data_pack(const iw_data *data, void *buf, size_t bytes, iw_error *err)
{
    pack_header h;
    uint64_t total = layout(data, &h);
    if (bytes < total)
        return iw_error_set(err, "data pack: buffer of %zu bytes, %llu needed", bytes, (unsigned long long)total);
    char *out = buf;
    memset(out, 0, PACK_HEADER_BYTES);
    memcpy(out, &h, sizeof h);
    const iw_split *splits[4] = {&data->train, &data->test, &data->other, &data->noise};
    const size_t example = iw_shape_size(data->shape) * sizeof(float);
    for (int s = 0; s < 4; s++)
        if (splits[s]->n > 0) memcpy(out + h.x_offset[s], splits[s]->x, (size_t)splits[s]->n * example);
    for (int s = 0; s < 2; s++)
        if (splits[s]->n > 0) memcpy(out + h.y_offset[s], splits[s]->y, (size_t)splits[s]->n * sizeof(int32_t));
    return 0;
}

int iw_data_view(const void *buf, size_t bytes, iw_data *view, iw_error *err)
{
    pack_header h;
    memset(view, 0, sizeof *view);
    if (!buf || bytes < PACK_HEADER_BYTES)
        return iw_error_set(err, "data view: buffer of %zu bytes is smaller than the %u-byte header", bytes,
                            PACK_HEADER_BYTES);
    if ((uintptr_t)buf % sizeof(float) != 0)
        return iw_error_set(err, "data view: buffer is not aligned to %zu bytes", sizeof(float));
    memcpy(&h, buf, sizeof h);
    if (memcmp(h.magic, PACK_MAGIC, 8) != 0)
        return iw_error_set(err, "data view: bad magic (not a packed iwsweep data set)");
    if (h.version != PACK_VERSION || h.header_bytes != PACK_HEADER_BYTES)
        return iw_error_set(err, "data view: version %u (header %u bytes), expected version %u (%u bytes)",
                            h.version, h.header_bytes, PACK_VERSION, PACK_HEADER_BYTES);
    if (h.c < 1 || h.c > 4 || h.h < 1 || h.w < 1 || h.h > 65536 || h.w > 65536)
        return iw_error_set(err, "data view: bad example shape (%d, %d, %d)", h.c, h.h, h.w);
    if (h.total_bytes > bytes)
        return iw_error_set(err, "data view: header says %llu bytes, buffer has %zu", (unsigned long long)h.total_bytes,
                            bytes);
    const uint64_t example = (uint64_t)h.c * (uint64_t)h.h * (uint64_t)h.w * sizeof(float);
    for (int s = 0; s < 4; s++) {
        if (h.n[s] < 0 || (uint64_t)h.n[s] > h.total_bytes / example || h.x_offset[s] % sizeof(float) ||
            h.x_offset[s] < PACK_HEADER_BYTES || h.x_offset[s] > h.total_bytes ||
            (uint64_t)h.n[s] * example > h.total_bytes - h.x_offset[s])
            return iw_error_set(err, "data view: array %d lies outside the buffer", s);
    }
    for (int s = 0; s < 2; s++) {
        if (h.y_offset[s] % sizeof(int32_t) || h.y_offset[s] < PACK_HEADER_BYTES || h.y_offset[s] > h.total_bytes ||
            (uint64_t)h.n[s] * sizeof(int32_t) > h.total_bytes - h.y_offset[s])
            return iw_error_set(err, "data view: label array %d lies outside the buffer", s);
    }
    for (int c = 0; c < h.c; c++)
        if (!isfinite(h.mean[c]) || !(h.std[c] > 0) || !isfinite(h.std[c]))
            return iw_error_set(err, "data view: bad normalisation of channel %d (mean %g, std %g)", c, h.mean[c],
                                h.std[c]);
    const char *base = buf;
    iw_split *splits[4] = {&view->train, &view->test, &view->other, &view->noise};
    view->shape = (iw_shape){h.c, h.h, h.w};
    for (int s = 0; s < 4; s++) {
        splits[s]->n = h.n[s];
        splits[s]->x = (const float *)(base + h.x_offset[s]);
        splits[s]->y = NULL;
    }
    view->train.y = (const int32_t *)(base + h.y_offset[0]);
    view->test.y = (const int32_t *)(base + h.y_offset[1]);
    for (int c = 0; c < 4; c++) {
        view->mean[c] = h.mean[c];
        view->std[c] = h.std[c];
    }
    view->block = (void *)(uintptr_t)buf;
    view->block_bytes = (size_t)h.total_bytes;
    view->owns_block = 0;
    return 0;
}
