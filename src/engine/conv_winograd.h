/* conv_winograd.h — what conv_winograd.c (Winograd F(2x2, 3x3): maths, plain C transforms,
 * blocking) shares with its vector transforms (conv_winograd_avx2.c): the geometry, the tiles of
 * a block and the layouts of the transformed arrays.
 *
 * Tiles: tile t = (j*tiles_h + ty)*tiles_w + tx of example j covers output rows 2ty, 2ty+1 and
 * columns 2tx, 2tx+1 (cut at Ho x Wo) and reads the 4x4 input patch at (2ty - pad, 2tx - pad).
 * A block is up to `TB` consecutive tiles of the batch at positions k = 0 .. nt-1.
 *
 * Layouts (16 matrices p = 4*row + column, `stride` floats apart; rows as given):
 *   VT[p][k][ci]   input transform (B^T d B)[p], a row of Cin per tile      (forward and backward)
 *   MT[p][k][co]   forward products, a row of Cout per tile; then y = A^T m A + bias
 *   dM[p][co][k]   transformed output gradients (A dY A^T)[p], rows of `ld` tiles
 *   dV[p][ci][k]   input-gradient products U^T dM, rows of `ld` tiles; then dx += B dV B^T
 * Products (conv_winograd.c):  MT = VT UT,  dU += dM VT,  dV = UT dM,  with the transformed
 * weights UT[p] (Cin, Cout) and their gradients dU[p] (Cout, Cin).
 * A tile's values for 8 channels are one vector in VT and MT; 8 tiles' values for one channel
 * are one vector in dM and dV.
 */
#ifndef IW_ENGINE_CONV_WINOGRAD_H
#define IW_ENGINE_CONV_WINOGRAD_H

#include <stddef.h>
#include <stdint.h>

#define IW_WINO_TB 32      /* tiles per backward block: the runs of the input-gradient transform */
#define IW_WINO_TB_FWD 48  /* tiles per forward block: rows of the products, a multiple of 6 */
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
 * input-gradient transform takes at once): a run covers tile columns c0 .. c0+n-1 of row ty of
 * example j and sits at block positions kpos .. kpos+n-1. */
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

/* The vector transforms (conv_winograd_avx2.c, AVX2 + FMA: the AVX2 and the AVX-512 paths both
 * take them, so the two give the same bits). Arguments as the plain C ones in conv_winograd.c:
 *   input:        VT[p][k][ci] (matrices vs apart) for the block's tiles
 *   output:       y = A^T m A + bias, max(., 0) when relu, from MT[p][k][co] (ms apart)
 *   grad output:  dM[p][co][k] (ms apart, rows ld) from dY, times [y > 0] when y is given (a fused
 *                 ReLU: y is the layer's output); db[co] += the tiles' sums of dY, in tile order
 *   grad input:   dx += B dV B^T from dV[p][ci][k] (vs apart, rows ld), inside the image
 * The vector kernels address the batch through int32 lanes and offsets; conv_winograd.c gives
 * them only batches whose offsets fit. */
void iw_wino_input_transform_avx2(const iw_wino_geom *g, const iw_wino_tile *tl, int nt, const float *x, float *VT,
                                  size_t vs);
void iw_wino_output_transform_avx2(const iw_wino_geom *g, const iw_wino_tile *tl, int nt, const float *MT, size_t ms,
                                   const float *bias, int relu, float *y);
void iw_wino_grad_output_transform_avx2(const iw_wino_geom *g, const iw_wino_tile *tl, int nt, const float *dy,
                                        const float *y, float *dM, size_t ms, size_t ld, float *db);
void iw_wino_grad_input_transform_avx2(const iw_wino_geom *g, const iw_wino_tile *tl, int nt, const float *dV,
                                       size_t vs, size_t ld, float *dx);
/* With a fused 2x2 max pooling after the ReLU (Ho and Wo even; each tile is one pooling window):
 *   output:       y (B, Cout, Ho/2, Wo/2) = the windows' maxima of max(A^T m A + bias, 0); their
 *                 argmax indices (in a convolution output plane, as the maxpool layer) into arg
 *                 when non-NULL
 *   grad output:  from the pooled dy and y and arg: the gradient at the argmax where y > 0 */
void iw_wino_output_transform_pool_avx2(const iw_wino_geom *g, const iw_wino_tile *tl, int nt, const float *MT,
                                        size_t ms, const float *bias, float *y, int32_t *arg);
void iw_wino_grad_output_transform_pool_avx2(const iw_wino_geom *g, const iw_wino_tile *tl, int nt, const float *dy,
                                             const float *y, const int32_t *arg, float *dM, size_t ms, size_t ld,
                                             float *db);
/* conv_winograd_weights_avx2.c: the weight transform UT[p][ci][co] = (G g G^T)[p] and its adjoint
 * dW[co][ci] += G^T dU[p][co][ci] G (Cout*Cin filters, matrices us apart), value for value the
 * plain C ones' arithmetic. */
void iw_wino_transform_weights_avx2(int Cout, int Cin, const float *Wt, float *UT, size_t us);
void iw_wino_transform_weights_adjoint_avx2(int Cout, int Cin, const float *dU, size_t us, float *dW);

#endif
