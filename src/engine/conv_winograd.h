/* conv_winograd.h — what conv_winograd.c shares with its AVX-512 transforms
 * (conv_winograd_avx512.c): block geometry and the layouts of the transformed blocks.
 *
 * A block is TB consecutive tiles k = 0..TB-1 of the batch (tile t = (j*tiles_h + ty)*tiles_w + tx).
 * Each array is 16 matrices p, `stride` floats apart, of rows `ld` floats apart (the transforms
 * and products take both). The backward lays them out p-major (stride = size + SKEW, so that the 16
 * accesses of one tile transform do not all fall into one L1 set; ld = TB times its blocks); the
 * forward channel-major (stride TB, ld 16*TB: one tile row of a channel writes, and one of an
 * output channel reads, 2 KB of contiguous memory instead of 16 lines 8 KB apart):
 *   V[p][ci][k]   input transform           (B^T d B)[p]
 *   M[p][co][k]   forward products          then y = A^T m A + bias
 *   dMT[p][k][co] transformed output grads  (A dY A^T)[p]
 *   dVT[p][k][ci] input-gradient products   then dx += B dv B^T (the AVX-512 path first
 *                                           transposes it to dV[p][ci][k])
 */
#ifndef IW_ENGINE_CONV_WINOGRAD_H
#define IW_ENGINE_CONV_WINOGRAD_H

#include <stddef.h>

#define IW_WINO_TB 32  /* tiles per block: two AVX-512 vectors */
#define IW_WINO_SKEW 16

typedef struct iw_wino_geom {
    int Cin, Cout, H, W, Ho, Wo, pad, tw;
    int tiles;             /* per example */
    size_t in_size, out_size;
} iw_wino_geom;

typedef struct iw_wino_tile {
    int j, iy, ix;         /* example; input row/column of the patch's corner (may be < 0) */
    int oy, ox;            /* output row/column of the tile's corner */
    int inside;            /* the 4x4 patch lies inside the image */
} iw_wino_tile;

/* A block's tiles, walked as runs of up to 16 consecutive tiles of one tile row (what the vector
 * transforms take at once): a run covers tile columns c0 .. c0+n-1 of row ty of example j and sits
 * at block positions kpos .. kpos+n-1. */
typedef struct iw_wino_run {
    int j, ty, c0, n, kpos;
} iw_wino_run;

/* Cuts the block's nt tiles into runs (at most nt of them); returns the count. */
static inline int iw_wino_block_runs(const iw_wino_geom *g, const iw_wino_tile *tl, int nt, iw_wino_run *runs)
{
    int count = 0;
    for (int k = 0; k < nt;) {
        const iw_wino_tile *q = &tl[k];
        int tx = q->ox / 2, n = g->tw - tx;
        if (n > 16) n = 16;
        if (n > nt - k) n = nt - k;
        runs[count++] = (iw_wino_run){q->j, q->oy / 2, tx, n, k};
        k += n;
    }
    return count;
}

/* AVX-512 versions of the transforms (same results up to float rounding order; only called
 * when the CPU has AVX-512 and the batch's offsets fit in int32). */
void iw_wino_input_transform_avx512(const iw_wino_geom *g, const iw_wino_tile *tl, int nt, const float *x,
                                    float *V, size_t vs, size_t ld);
void iw_wino_output_transform_avx512(const iw_wino_geom *g, const iw_wino_tile *tl, int nt, const float *M,
                                     size_t ms, size_t ld, const float *bias, float *y);
void iw_wino_grad_output_transform_avx512(const iw_wino_geom *g, const iw_wino_tile *tl, int nt,
                                          const float *dy, float *dMT, size_t ms, float *db);
/* dx += B dv B^T for the block's tiles, from dV[p][ci][k] (rows ld floats apart). */
void iw_wino_grad_input_transform_avx512(const iw_wino_geom *g, const iw_wino_tile *tl, int nt, const float *dV,
                                        size_t vs, size_t ld, float *dx);

/* AVX2 versions (conv_winograd_avx2.c): the same arguments and bit-identical results. */
void iw_wino_input_transform_avx2(const iw_wino_geom *g, const iw_wino_tile *tl, int nt, const float *x, float *V,
                                  size_t vs, size_t ld);
void iw_wino_output_transform_avx2(const iw_wino_geom *g, const iw_wino_tile *tl, int nt, const float *M, size_t ms,
                                   size_t ld,
                                   const float *bias, float *y);
void iw_wino_grad_output_transform_avx2(const iw_wino_geom *g, const iw_wino_tile *tl, int nt, const float *dy,
                                        float *dMT, size_t ms, float *db);
void iw_wino_grad_input_transform_avx2(const iw_wino_geom *g, const iw_wino_tile *tl, int nt, const float *dV,
                                       size_t vs, size_t ld, float *dx);

#endif
