/* conv_winograd4.h — what conv_winograd4.c (the Winograd F(4x4, 3x3) layer: maths, plain C
 * transforms, blocking) shares with its vector transforms (conv_winograd4_avx2.c): the geometry,
 * the tiles of a block and the layout of the transformed arrays.
 *
 * Tiles: output tile t = (j*tiles_h + ty)*tiles_w + tx of example j covers output rows 4ty .. 4ty+3
 * and columns 4tx .. 4tx+3 (cut at Ho x Wo: the last tile of a row or column may overhang), and
 * reads the 6x6 input patch whose corner is (4ty - pad, 4tx - pad) (zeros outside the image).
 * A block is up to IW_WINO4_TB consecutive tiles of the batch, at positions k = 0 .. nt-1.
 *
 * Transformed arrays are channel-major: the 36 values p = 6*row + column of channel c for the
 * block positions k sit at c*cs + p*ld + k, ld floats per position (IW_WINO4_TB, or a multiple in
 * the backward's passes), cs = 36*ld + IW_WINO4_SKEW (the skew keeps the rows of a product's
 * panel, cs apart, in different L1 sets). So matrix p of a product, e.g. V[p] (Cin x ld), starts
 * at p*ld with rows cs apart, and one channel's whole block is one contiguous stretch for the
 * transforms. Position k of a block may hold garbage beyond nt; the products are given the true
 * tile count, so it is never read.
 */
#ifndef IW_ENGINE_CONV_WINOGRAD4_H
#define IW_ENGINE_CONV_WINOGRAD4_H

#include <stddef.h>

#define IW_WINO4_TB 32   /* tiles per block (four groups of 8, the vector transforms' lanes) */
#define IW_WINO4_SKEW 16 /* floats: one cache line */

typedef struct iw_wino4_geom {
    int Cin, Cout, H, W, Ho, Wo, pad;
    int tiles_h, tiles_w, tiles; /* tiles per example: tiles_h * tiles_w */
    size_t in_size, out_size;    /* floats per example */
} iw_wino4_geom;

typedef struct iw_wino4_tile {
    int j;           /* example */
    int oy, ox;      /* output corner (multiples of 4) */
    int iy, ix;      /* input corner: oy - pad, ox - pad (may be < 0) */
    int rows, cols;  /* output rows and columns inside Ho x Wo (1..4) */
} iw_wino4_tile;

/* The tiles t0 .. t0+nt-1 of the batch. */
static inline void iw_wino4_block_tiles(const iw_wino4_geom *g, int t0, int nt, iw_wino4_tile *tl)
{
    for (int k = 0; k < nt; k++) {
        int t = t0 + k, r = t % g->tiles;
        iw_wino4_tile *q = &tl[k];
        q->j = t / g->tiles;
        q->oy = 4 * (r / g->tiles_w);
        q->ox = 4 * (r % g->tiles_w);
        q->iy = q->oy - g->pad;
        q->ix = q->ox - g->pad;
        q->rows = g->Ho - q->oy < 4 ? g->Ho - q->oy : 4;
        q->cols = g->Wo - q->ox < 4 ? g->Wo - q->ox : 4;
    }
}

/* The vector transforms of the forward (conv_winograd4_avx2.c; AVX2 + FMA, used on the AVX2 and
 * the AVX-512 paths, so both give the same bits), with the plain C ones' arguments:
 *   input:   V[c][p][k] = (B^T d B)[p] of channel c's patch of tile k          (Cin channels)
 *   output:  y = A^T m A + bias (then max(., 0) when relu) from M[c][p][k]     (Cout channels);
 *            with pool (Ho, Wo even), the 2x2 max pooling of max(., 0): y (B, Cout, Ho/2, Wo/2)
 * cs and ld as above. The backward's transforms are plain C on every path: the networks train
 * with F(2x2) (conv.h says why), so F(4x4)'s backward runs only where a test asks for it. */
void iw_wino4_input_transform_avx2(const iw_wino4_geom *g, const iw_wino4_tile *tl, int nt, const float *x,
                                   float *V, size_t cs, size_t ld);
void iw_wino4_output_transform_avx2(const iw_wino4_geom *g, const iw_wino4_tile *tl, int nt, const float *M,
                                    size_t cs, size_t ld, const float *bias, int relu, int pool, float *y);
/* The weight transform U[p][co][ci] = (G g G^T)[p] (matrices us apart, rows of Cin), in double as
 * the plain C one, value for value. */
void iw_wino4_transform_weights_avx2(const iw_wino4_geom *g, const double G[6][3], const float *Wt, float *U,
                                     size_t us);

#endif
