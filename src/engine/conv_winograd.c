/* conv_winograd.c — Winograd F(2x2, 3x3) for 3x3 stride-1 convolutions (Lavin & Gray, "Fast
 * Algorithms for Convolutional Neural Networks", CVPR 2016): the training passes of the engine's
 * 3x3 layers (conv.h says why training keeps this tile and evaluation may take F(4x4)).
 *
 * Each output is cut into 2x2 tiles; tile t = (j*tiles_h + ty)*tiles_w + tx of example j reads the
 * 4x4 input patch at (2ty - pad, 2tx - pad) (zeros outside the image). With
 *   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1],  G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1],
 *   A^T = [1 1 1 0; 0 1 -1 -1]
 * the output tile is  Y = A^T [ sum_ci (G g G^T) ⊙ (B^T d B) ] A.  The 16 positions p of the 4x4
 * transformed domain are independent matrix products (layouts in conv_winograd.h):
 *   UT[p] (Cin, Cout) = (G g G^T)[p]^T,  VT[p] (K, Cin) = (B^T d B)[p],  MT[p] (K, Cout) = VT[p] UT[p].
 * Backward applies the adjoints of the same linear maps (exact, not a second approximation):
 *   dM[p] (Cout, K) = (A dY A^T)[p];  dU[p] (Cout, Cin) += dM[p] VT[p] -> dW += G^T dU G;
 *   dV[p] (Cin, K) = UT[p] dM[p] -> dx += B dV B^T.
 * Multiplications per output: 16*Cin/4 = 4*Cin instead of 9*Cin (2.25x fewer).
 * Every product is one iw_gemm per position (its kernels sum each output as one chain of fused
 * multiply-adds in order, gemm.h), the same chains in any layout: dU[co][ci] and dV[ci][k] are the
 * sums over k and co that the earlier layouts (U^T, dM^T) summed.
 *
 * Blocking: the forward takes the batch's tiles TB_FWD = 48 at a time (rows of its products, a
 * multiple of the 6-row kernel), the backward 32 at a time, backward_blocks blocks (K = 32..256
 * tiles) per pass, so that the read-modify-write of all of dU per pass is paid less often when
 * Cin*Cout is large. A block's transformed arrays stay in L2 between the transform, the products
 * and the inverse transform, so the only large arrays touched are x, y and their gradients. The
 * forward leaves UT in the layer's saved memory for the backward (the weights do not change in
 * between). Workspace: VT and MT (forward), or dU, dM, VT and dV (backward); nothing is allocated
 * after plan. The vector transforms are conv_winograd_avx2.c's on the AVX2 and the AVX-512 paths;
 * the plain C ones here serve the portable path.
 */
#include "conv.h"
#include "conv_winograd.h"

#include <string.h>

#define TB IW_WINO_TB
#define TB_FWD IW_WINO_TB_FWD
#define SKEW IW_WINO_SKEW
#define MAX_BACKWARD_BLOCKS 8

typedef iw_wino_geom geom;
typedef iw_wino_tile tile;

static geom geom_of(const iw_conv2d_config *c, iw_shape in, iw_shape out)
{
    geom g = {in.c, c->out_channels, in.h, in.w, out.h, out.w, c->pad, c->tiles_w,
              c->tiles_h * c->tiles_w, iw_shape_size(in), iw_shape_size(out)};
    return g;
}

static void block_tiles(const geom *g, int t0, int nt, tile *tl)
{
    for (int k = 0; k < nt; k++) {
        int t = t0 + k, r = t % g->tiles;
        tile *q = &tl[k];
        q->j = t / g->tiles;
        q->oy = 2 * (r / g->tw);
        q->ox = 2 * (r % g->tw);
        q->iy = q->oy - g->pad;
        q->ix = q->ox - g->pad;
        q->inside = q->iy >= 0 && q->ix >= 0 && q->iy + 4 <= g->H && q->ix + 4 <= g->W;
    }
}

/* Floats between the 16 matrices of each array; K tiles per block or pass. */
static size_t u_stride(size_t cin, size_t cout) { return cin * cout + SKEW; }
static size_t tile_stride(size_t K, size_t channels) { return K * channels + SKEW; }

size_t iw_winograd_plan(iw_conv2d_config *c, iw_shape in, int max_batch, size_t *saved)
{
    size_t co = (size_t)c->out_channels, ci = (size_t)in.c;
    /* Backward reads and writes all of dU (16 x Cin x Cout) once per pass; a pass over b blocks
     * also writes and reads VT, dM and dV (16 x 32b x (2 Cin + Cout)). b ~ Cin*Cout / (32 (Cin +
     * Cout)) balances the two: 1 for 64 channels, 2 for 128, 4 for 256. */
    size_t b = (ci * co + TB * (ci + co) - 1) / (TB * (ci + co));
    size_t max_blocks = ((size_t)max_batch * c->tiles_h * c->tiles_w + TB - 1) / TB;
    if (b > MAX_BACKWARD_BLOCKS) b = MAX_BACKWARD_BLOCKS;
    if (b > max_blocks) b = max_blocks;
    if (b < 1) b = 1;
    c->backward_blocks = (int)b;
    *saved = 16 * u_stride(ci, co); /* UT, from the forward to the backward */
    size_t K = TB * b, forward = 16 * (tile_stride(TB_FWD, ci) + tile_stride(TB_FWD, co));
    size_t backward = 16 * (u_stride(ci, co) + tile_stride(K, co) + 2 * tile_stride(K, ci));
    return forward > backward ? forward : backward;
}

/* UT[p][ci][co] = (G g G^T)[p] for every filter g = W[co][ci]. */
static void transform_weights(int Cout, int Cin, const float *Wt, float *UT, size_t us)
{
    for (int co = 0; co < Cout; co++)
        for (int ci = 0; ci < Cin; ci++) {
            const float *g = Wt + ((size_t)co * Cin + ci) * 9;
            float t[4][3]; /* G g */
            for (int c = 0; c < 3; c++) {
                t[0][c] = g[c];
                t[1][c] = 0.5f * (g[c] + g[3 + c] + g[6 + c]);
                t[2][c] = 0.5f * (g[c] - g[3 + c] + g[6 + c]);
                t[3][c] = g[6 + c];
            }
            float *u = UT + (size_t)ci * Cout + co;
            for (int r = 0; r < 4; r++) {
                u[(r * 4 + 0) * us] = t[r][0];
                u[(r * 4 + 1) * us] = 0.5f * (t[r][0] + t[r][1] + t[r][2]);
                u[(r * 4 + 2) * us] = 0.5f * (t[r][0] - t[r][1] + t[r][2]);
                u[(r * 4 + 3) * us] = t[r][2];
            }
        }
}

/* dW[co][ci] += G^T dU G, the adjoint of transform_weights (dU[p][co][ci]). */
static void transform_weights_adjoint(int Cout, int Cin, const float *dU, size_t us, float *dW)
{
    for (int co = 0; co < Cout; co++)
        for (int ci = 0; ci < Cin; ci++) {
            const float *u = dU + (size_t)co * Cin + ci;
            float t[4][3]; /* dU G */
            for (int r = 0; r < 4; r++) {
                float a = u[(r * 4 + 0) * us], b = u[(r * 4 + 1) * us];
                float c = u[(r * 4 + 2) * us], d = u[(r * 4 + 3) * us];
                t[r][0] = a + 0.5f * (b + c);
                t[r][1] = 0.5f * (b - c);
                t[r][2] = 0.5f * (b + c) + d;
            }
            float *w = dW + ((size_t)co * Cin + ci) * 9;
            for (int c = 0; c < 3; c++) {
                w[c] += t[0][c] + 0.5f * (t[1][c] + t[2][c]);
                w[3 + c] += 0.5f * (t[1][c] - t[2][c]);
                w[6 + c] += 0.5f * (t[1][c] + t[2][c]) + t[3][c];
            }
        }
}

/* VT[p][k][ci] = (B^T d B)[p] for the block's tiles. */
static void input_transform(const geom *g, const tile *tl, int nt, const float *x, float *VT, size_t vs)
{
    const size_t plane = (size_t)g->H * g->W;
    for (int k = 0; k < nt; k++)
        for (int ci = 0; ci < g->Cin; ci++) {
            const tile *q = &tl[k];
            const float *src = x + q->j * g->in_size + ci * plane;
            float d[4][4];
            for (int i = 0; i < 4; i++)
                for (int jj = 0; jj < 4; jj++) {
                    int yy = q->iy + i, xx = q->ix + jj;
                    d[i][jj] = yy >= 0 && yy < g->H && xx >= 0 && xx < g->W ? src[(size_t)yy * g->W + xx] : 0.0f;
                }
            float c[4][4]; /* B^T d */
            for (int jj = 0; jj < 4; jj++) {
                c[0][jj] = d[0][jj] - d[2][jj];
                c[1][jj] = d[1][jj] + d[2][jj];
                c[2][jj] = d[2][jj] - d[1][jj];
                c[3][jj] = d[1][jj] - d[3][jj];
            }
            float *v = VT + (size_t)k * g->Cin + ci;
            for (int i = 0; i < 4; i++) {
                v[(i * 4 + 0) * vs] = c[i][0] - c[i][2];
                v[(i * 4 + 1) * vs] = c[i][1] + c[i][2];
                v[(i * 4 + 2) * vs] = c[i][2] - c[i][1];
                v[(i * 4 + 3) * vs] = c[i][1] - c[i][3];
            }
        }
}

/* y = A^T m A + bias (max(., 0) when relu) from MT[p][k][co]; only inside Ho x Wo. */
static void output_transform(const geom *g, const tile *tl, int nt, const float *MT, size_t ms, const float *bias,
                             int relu, float *y)
{
    const size_t plane = (size_t)g->Ho * g->Wo;
    for (int k = 0; k < nt; k++)
        for (int co = 0; co < g->Cout; co++) {
            const float bc = bias[co];
            const float *m = MT + (size_t)k * g->Cout + co;
            const tile *q = &tl[k];
            float t[2][4];
            for (int i = 0; i < 4; i++) {
                float m0 = m[(0 + i) * ms], m1 = m[(4 + i) * ms], m2 = m[(8 + i) * ms], m3 = m[(12 + i) * ms];
                t[0][i] = m0 + m1 + m2;
                t[1][i] = m1 - m2 - m3;
            }
            float o[2][2] = {{t[0][0] + t[0][1] + t[0][2] + bc, t[0][1] - t[0][2] - t[0][3] + bc},
                             {t[1][0] + t[1][1] + t[1][2] + bc, t[1][1] - t[1][2] - t[1][3] + bc}};
            float *dst = y + q->j * g->out_size + co * plane + (size_t)q->oy * g->Wo + q->ox;
            for (int r = 0; r < 2 && q->oy + r < g->Ho; r++)
                for (int c = 0; c < 2 && q->ox + c < g->Wo; c++)
                    dst[(size_t)r * g->Wo + c] = relu && !(o[r][c] > 0.0f) ? 0.0f : o[r][c];
        }
}

/* One output-gradient tile g (2x2) into the 4x4 Winograd domain, A g A^T with
 * A = [1 0; 1 1; 1 -1; 0 -1], written to m[(4 i + j) ms]; returns the tile's sum (its share of the
 * bias gradient). Shared by the plain and the pooling backward passes. */
static float grad_tile(const float gt[2][2], float *m, size_t ms)
{
    float g00 = gt[0][0], g01 = gt[0][1], g10 = gt[1][0], g11 = gt[1][1];
    /* rows of A g */
    float r[4][2] = {{g00, g01}, {g00 + g10, g01 + g11}, {g00 - g10, g01 - g11}, {-g10, -g11}};
    for (int i = 0; i < 4; i++) {
        m[(i * 4 + 0) * ms] = r[i][0];
        m[(i * 4 + 1) * ms] = r[i][0] + r[i][1];
        m[(i * 4 + 2) * ms] = r[i][0] - r[i][1];
        m[(i * 4 + 3) * ms] = -r[i][1];
    }
    return g00 + g01 + g10 + g11;
}

/* dM[p][co][k] = (A g A^T)[p] with g = dY (zero outside Ho x Wo, and where y <= 0 when y is given:
 * the fused ReLU); db[co] += the sum of g. */
static void grad_output_transform(const geom *g, const tile *tl, int nt, const float *dy, const float *y, float *dM,
                                  size_t ms, size_t ld, float *db)
{
    const size_t plane = (size_t)g->Ho * g->Wo;
    for (int co = 0; co < g->Cout; co++) {
        float sum = 0.0f;
        for (int k = 0; k < nt; k++) {
            const tile *q = &tl[k];
            size_t o = q->j * g->out_size + co * plane + (size_t)q->oy * g->Wo + q->ox;
            float gt[2][2] = {{0.0f, 0.0f}, {0.0f, 0.0f}};
            for (int r = 0; r < 2 && q->oy + r < g->Ho; r++)
                for (int c = 0; c < 2 && q->ox + c < g->Wo; c++) {
                    size_t i = o + (size_t)r * g->Wo + c;
                    gt[r][c] = y && !(y[i] > 0.0f) ? 0.0f : dy[i];
                }
            sum += grad_tile(gt, dM + (size_t)co * ld + k, ms);
        }
        db[co] += sum;
    }
}

/* dx += B dV B^T for the block's tiles, from dV[p][ci][k]; only inside the image. */
static void grad_input_transform(const geom *g, const tile *tl, int nt, const float *dV, size_t vs, size_t ld,
                                 float *dx)
{
    const size_t plane = (size_t)g->H * g->W;
    for (int k = 0; k < nt; k++)
        for (int ci = 0; ci < g->Cin; ci++) {
            const float *v = dV + (size_t)ci * ld + k;
            const tile *q = &tl[k];
            float r[4][4]; /* dV B^T */
            for (int i = 0; i < 4; i++) {
                float a = v[(i * 4 + 0) * vs], b = v[(i * 4 + 1) * vs];
                float c = v[(i * 4 + 2) * vs], d = v[(i * 4 + 3) * vs];
                r[i][0] = a;
                r[i][1] = b - c + d;
                r[i][2] = -a + b + c;
                r[i][3] = -d;
            }
            float e[4][4]; /* B (dV B^T) */
            for (int jj = 0; jj < 4; jj++) {
                e[0][jj] = r[0][jj];
                e[1][jj] = r[1][jj] - r[2][jj] + r[3][jj];
                e[2][jj] = -r[0][jj] + r[1][jj] + r[2][jj];
                e[3][jj] = -r[3][jj];
            }
            float *dst = dx + q->j * g->in_size + ci * plane;
            for (int i = 0; i < 4; i++)
                for (int jj = 0; jj < 4; jj++) {
                    int yy = q->iy + i, xx = q->ix + jj;
                    if (yy >= 0 && yy < g->H && xx >= 0 && xx < g->W) dst[(size_t)yy * g->W + xx] += e[i][jj];
                }
        }
}

/* The output transform with the 2x2 max pooling fused (Ho, Wo even; each tile one window): y (B,
 * Cout, Ho/2, Wo/2), argmax indices into arg when non-NULL. */
static void output_transform_pool(const geom *g, const tile *tl, int nt, const float *MT, size_t ms, const float *bias,
                                  float *y, int32_t *arg)
{
    const int Hp = g->Ho / 2, Wp = g->Wo / 2;
    const size_t pplane = (size_t)Hp * Wp, psize = (size_t)g->Cout * pplane;
    for (int k = 0; k < nt; k++)
        for (int co = 0; co < g->Cout; co++) {
            const float bc = bias[co];
            const float *m = MT + (size_t)k * g->Cout + co;
            const tile *q = &tl[k];
            float t[2][4];
            for (int i = 0; i < 4; i++) {
                float m0 = m[(0 + i) * ms], m1 = m[(4 + i) * ms], m2 = m[(8 + i) * ms], m3 = m[(12 + i) * ms];
                t[0][i] = m0 + m1 + m2;
                t[1][i] = m1 - m2 - m3;
            }
            float o[4] = {t[0][0] + t[0][1] + t[0][2] + bc, t[0][1] - t[0][2] - t[0][3] + bc,
                          t[1][0] + t[1][1] + t[1][2] + bc, t[1][1] - t[1][2] - t[1][3] + bc};
            int best = 0;
            for (int r = 0; r < 4; r++) o[r] = o[r] > 0.0f ? o[r] : 0.0f;
            for (int r = 1; r < 4; r++)
                if (o[r] > o[best]) best = r;
            size_t p = q->j * psize + co * pplane + (size_t)(q->oy / 2) * Wp + q->ox / 2;
            y[p] = o[best];
            if (arg) arg[p] = (q->oy + best / 2) * g->Wo + q->ox + best % 2;
        }
}

/* The output-gradient transform of a layer with its pooling fused: the tile's gradient is the
 * pooled dy (0 + dy, as the maxpool layer's scatter into zeros) at the window's argmax where the
 * pooled y > 0, zero elsewhere. */
static void grad_output_transform_pool(const geom *g, const tile *tl, int nt, const float *dy, const float *y,
                                       const int32_t *arg, float *dM, size_t ms, size_t ld, float *db)
{
    const int Hp = g->Ho / 2, Wp = g->Wo / 2;
    const size_t pplane = (size_t)Hp * Wp, psize = (size_t)g->Cout * pplane;
    for (int co = 0; co < g->Cout; co++) {
        float sum = 0.0f;
        for (int k = 0; k < nt; k++) {
            const tile *q = &tl[k];
            size_t p = q->j * psize + co * pplane + (size_t)(q->oy / 2) * Wp + q->ox / 2;
            float gt[2][2] = {{0.0f, 0.0f}, {0.0f, 0.0f}};
            int a = arg[p] - (q->oy * g->Wo + q->ox);
            gt[a >= g->Wo][a >= g->Wo ? a - g->Wo : a] = y[p] > 0.0f ? 0.0f + dy[p] : 0.0f;
            sum += grad_tile(gt, dM + (size_t)co * ld + k, ms);
        }
        db[co] += sum;
    }
}

/* The vector kernels on both vector paths (same bits), the plain C ones on the portable path. */
static int vector_kernels(void) { return iw_engine_isa() != IW_ISA_PORTABLE; }

static void input_transform_any(const geom *g, const tile *tl, int nt, const float *x, float *VT, size_t vs)
{
    if (vector_kernels())
        iw_wino_input_transform_avx2(g, tl, nt, x, VT, vs);
    else
        input_transform(g, tl, nt, x, VT, vs);
}

void iw_winograd_forward(const iw_conv2d_config *c, iw_shape in, iw_shape out, int batch, const float *Wt,
                         const float *bias, int relu, int pool, const float *x, float *y, int32_t *arg, float *UT,
                         float *ws)
{
    const geom g = geom_of(c, in, out);
    const int Cin = g.Cin, Cout = g.Cout, T = batch * g.tiles;
    const size_t us = u_stride((size_t)Cin, (size_t)Cout), vs = tile_stride(TB_FWD, (size_t)Cin);
    const size_t ms = tile_stride(TB_FWD, (size_t)Cout);
    float *VT = ws, *MT = VT + 16 * vs;
    tile tl[TB_FWD];
    if (vector_kernels())
        iw_wino_transform_weights_avx2(Cout, Cin, Wt, UT, us);
    else
        transform_weights(Cout, Cin, Wt, UT, us);
    for (int t0 = 0; t0 < T; t0 += TB_FWD) {
        int nt = T - t0 < TB_FWD ? T - t0 : TB_FWD;
        block_tiles(&g, t0, nt, tl);
        input_transform_any(&g, tl, nt, x, VT, vs);
        /* MT[p] (nt, Cout) = VT[p] (nt, Cin) UT[p] (Cin, Cout) */
        for (int p = 0; p < 16; p++) iw_gemm(nt, Cout, Cin, VT + p * vs, Cin, 1, UT + p * us, Cout, MT + p * ms, Cout, 0);
        if (pool && vector_kernels())
            iw_wino_output_transform_pool_avx2(&g, tl, nt, MT, ms, bias, y, arg);
        else if (pool)
            output_transform_pool(&g, tl, nt, MT, ms, bias, y, arg);
        else if (vector_kernels())
            iw_wino_output_transform_avx2(&g, tl, nt, MT, ms, bias, relu, y);
        else
            output_transform(&g, tl, nt, MT, ms, bias, relu, y);
    }
}

void iw_winograd_backward(const iw_conv2d_config *c, iw_shape in, iw_shape out, int batch, const float *UT,
                          const float *x, const float *y, const int32_t *arg, const float *dy, float *dW, float *db,
                          float *dx, float *ws)
{
    const geom g = geom_of(c, in, out);
    const int Cin = g.Cin, Cout = g.Cout, T = batch * g.tiles;
    const int nb = c->backward_blocks, LD = nb * TB; /* a pass takes up to LD tiles */
    const size_t us = u_stride((size_t)Cin, (size_t)Cout), ms = tile_stride((size_t)LD, (size_t)Cout);
    const size_t vs = tile_stride((size_t)LD, (size_t)Cin);
    float *dU = ws, *dM = dU + 16 * us, *VT = dM + 16 * ms, *dV = VT + 16 * vs;
    tile tl[MAX_BACKWARD_BLOCKS][TB];
    int nts[MAX_BACKWARD_BLOCKS];
    if (dx) memset(dx, 0, sizeof(float) * g.in_size * batch);
    for (int t0 = 0; t0 < T; t0 += LD) {
        int blocks = 0, K = 0;
        for (int s = 0; s < nb && t0 + s * TB < T; s++, blocks++) {
            int ts = t0 + s * TB, nt = T - ts < TB ? T - ts : TB;
            nts[s] = nt;
            K += nt;
            block_tiles(&g, ts, nt, tl[s]);
            float *dMs = dM + (size_t)s * TB;
            if (arg && vector_kernels())
                iw_wino_grad_output_transform_pool_avx2(&g, tl[s], nt, dy, y, arg, dMs, ms, (size_t)LD, db);
            else if (arg)
                grad_output_transform_pool(&g, tl[s], nt, dy, y, arg, dMs, ms, (size_t)LD, db);
            else if (vector_kernels())
                iw_wino_grad_output_transform_avx2(&g, tl[s], nt, dy, y, dMs, ms, (size_t)LD, db);
            else
                grad_output_transform(&g, tl[s], nt, dy, y, dMs, ms, (size_t)LD, db);
            input_transform_any(&g, tl[s], nt, x, VT + (size_t)s * TB * Cin, vs);
        }
        /* dU[p] (Cout, Cin) += dM[p] (Cout, K) VT[p] (K, Cin) */
        for (int p = 0; p < 16; p++)
            iw_gemm(Cout, Cin, K, dM + p * ms, LD, 1, VT + p * vs, Cin, dU + p * us, Cin, t0 > 0);
        if (!dx) continue;
        /* dV[p] (Cin, K) = UT[p] (Cin, Cout) dM[p] (Cout, K) */
        for (int p = 0; p < 16; p++) iw_gemm(Cin, K, Cout, UT + p * us, Cout, 1, dM + p * ms, LD, dV + p * vs, LD, 0);
        for (int s = 0; s < blocks; s++) {
            if (vector_kernels())
                iw_wino_grad_input_transform_avx2(&g, tl[s], nts[s], dV + (size_t)s * TB, vs, (size_t)LD, dx);
            else
                grad_input_transform(&g, tl[s], nts[s], dV + (size_t)s * TB, vs, (size_t)LD, dx);
        }
    }
    if (vector_kernels())
        iw_wino_transform_weights_adjoint_avx2(Cout, Cin, dU, us, dW);
    else
        transform_weights_adjoint(Cout, Cin, dU, us, dW);
}
