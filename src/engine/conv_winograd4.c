/* conv_winograd4.c — Winograd F(4x4, 3x3) for 3x3 stride-1 convolutions (Lavin & Gray, "Fast
 * Algorithms for Convolutional Neural Networks", CVPR 2016), with the interpolation points
 * 0, 1, -1, 1/2, -2 (and infinity) that Barabasz, Anderson, Soodhalter & Gregg ("Error analysis and
 * improving the accuracy of Winograd convolution for deep neural networks", ACM TOMS 46(4), 2020)
 * found among the most accurate in float32; measured by bench/winograd_points.py on a 64-channel
 * layer: largest error 2.8e-6 of the largest output instead of 7.7e-6 with Lavin's 0, ±1, ±2, root
 * mean square 1.1e-6, 4x F(2x2, 3x3)'s.
 *
 * Each output is cut into 4x4 tiles (conv_winograd4.h), tile t reading a 6x6 input patch d. With
 * the matrices below (derived from the points by bench/winograd_points.py, which checks them in
 * exact rational arithmetic) the output tile is  Y = A^T [ sum_ci (G g G^T) ⊙ (B^T d B) ] A; the
 * 36 positions p of the 6x6 transformed domain are independent products
 *   U[p] (Cout, Cin) = (G g G^T)[p],   V[p] (Cin, K) = (B^T d B)[p],   M[p] (Cout, K) = U[p] V[p].
 * Backward applies the adjoints of the same linear maps (exact, not a second approximation):
 *   dM[p] = (A dY A^T)[p];  dU[p] += dM[p] V[p]^T -> dW = G^T dU G;  dV[p] = U[p]^T dM[p] -> dx += B dV B^T.
 * Multiplications per output: 36*Cin/16 = 2.25*Cin instead of 9*Cin (4x fewer; F(2x2) 4*Cin).
 * A tile that overhangs the output (Ho or Wo not a multiple of 4) computes the overhanging
 * outputs as if the input went on with zeros; the forward drops them and the backward gives them
 * a zero gradient, so they change nothing.
 *
 * Work per block of 32 tiles: the input transform, 36 products (iw_gemm: the engine's own kernels
 * on the vector paths, cblas_sgemm on the portable one) and the output transform, the block's
 * arrays staying in L2. The weight transform and its adjoint run once per call, in double (one
 * rounding per value). Backward takes backward_blocks blocks per pass (K = 32..256 tiles):
 *   dU^T[p] (Cin, Cout) += V[p] (Cin, K) dM^T[p] (K, Cout)     (dM transposed once per pass)
 *   dV[p] (Cin, K) = U[p]^T (Cin, Cout) dM[p] (Cout, K)        (U read as a transposed A)
 * Workspace: U and dU^T (36 x Cout*Cin each), V (Cin x 36K, then dV), dM (Cout x 36K), dM^T
 * (36 x K*Cout). The transforms have vector versions (conv_winograd4_avx2.c, for the AVX2 and
 * AVX-512 paths alike) and plain C ones here (portable); nothing is allocated after plan.
 */
#include "conv.h"
#include "conv_winograd4.h"

#include <string.h>

#define TB IW_WINO4_TB
#define SKEW IW_WINO4_SKEW
#define MAX_BACKWARD_BLOCKS 8

typedef iw_wino4_geom geom;
typedef iw_wino4_tile tile;

/* Points 0, 1, -1, 1/2, -2, infinity:
 *   B^T = [1 -3/2 -2 3/2 1 0; 0 -1 1/2 5/2 1 0; 0 1 -5/2 1/2 1 0; 0 -2 -1 2 1 0; 0 1/2 -1 -1/2 1 0;
 *          0 1 -3/2 -2 3/2 1]
 *   G   = [1 0 0; 1/3 1/3 1/3; -1/3 1/3 -1/3; -16/15 -8/15 -4/15; 1/15 -2/15 4/15; 0 0 1]
 *   A^T = [1 1 1 1 1 0; 0 1 -1 1/2 -2 0; 0 1 1 1/4 4 0; 0 1 -1 1/8 -8 1] */
static const double G_[6][3] = {{1.0, 0.0, 0.0},
                                {1.0 / 3, 1.0 / 3, 1.0 / 3},
                                {-1.0 / 3, 1.0 / 3, -1.0 / 3},
                                {-16.0 / 15, -8.0 / 15, -4.0 / 15},
                                {1.0 / 15, -2.0 / 15, 4.0 / 15},
                                {0.0, 0.0, 1.0}};

/* The 1-D maps, each the vector kernels' sequence of operations written without fused
 * multiply-adds (the portable path rounds differently anyway). */
static inline void bt6(const float d[6], float t[6]) /* t = B^T d */
{
    float a = d[4] - d[2], b = d[3] - d[1];
    t[0] = (d[0] + d[4]) + -2.0f * d[2] + 1.5f * b;
    t[1] = (d[4] - d[1]) + 0.5f * d[2] + 2.5f * d[3];
    t[2] = (d[4] + d[1]) + -2.5f * d[2] + 0.5f * d[3];
    t[3] = a + 2.0f * b;
    t[4] = a + -0.5f * b;
    t[5] = (d[1] + d[5]) + -2.0f * d[3] + 1.5f * a;
}

static inline void at6(const float m[6], float o[4]) /* o = A^T m */
{
    float s = m[1] + m[2], d = m[1] - m[2];
    o[0] = (m[0] + s) + (m[3] + m[4]);
    o[1] = (d + 0.5f * m[3]) + -2.0f * m[4];
    o[2] = (s + 0.25f * m[3]) + 4.0f * m[4];
    o[3] = ((d + m[5]) + 0.125f * m[3]) + -8.0f * m[4];
}

static inline void a6(const float g[4], float m[6]) /* m = A g */
{
    float e = g[0] + g[2], o = g[1] + g[3];
    m[0] = g[0];
    m[1] = e + o;
    m[2] = e - o;
    m[3] = g[0] + 0.5f * (g[1] + 0.5f * (g[2] + 0.5f * g[3]));
    m[4] = g[0] + -2.0f * (g[1] + -2.0f * (g[2] + -2.0f * g[3]));
    m[5] = g[3];
}

static inline void b6(const float v[6], float d[6]) /* d = B v */
{
    d[0] = v[0];
    d[1] = ((v[5] - v[1]) + (v[2] + -1.5f * v[0])) + (-2.0f * v[3] + 0.5f * v[4]);
    d[2] = ((-2.0f * v[0] + 0.5f * v[1]) + (-2.5f * v[2] - v[3])) + (-1.5f * v[5] - v[4]);
    d[3] = ((1.5f * v[0] + 2.5f * v[1]) + (0.5f * v[2] + 2.0f * v[3])) + (-0.5f * v[4] + -2.0f * v[5]);
    d[4] = ((v[0] + v[1]) + (v[2] + v[3])) + (v[4] + 1.5f * v[5]);
    d[5] = v[5];
}

static geom geom_of(const iw_conv2d_config *c, iw_shape in, iw_shape out)
{
    const int th = (out.h + 3) / 4, tw = (out.w + 3) / 4;
    geom g = {in.c, c->out_channels, in.h, in.w, out.h, out.w, c->pad, th, tw, th * tw, iw_shape_size(in),
              iw_shape_size(out)};
    return g;
}

/* Floats between channels of a transformed array of ld positions; between the 36 matrices of U. */
static size_t chan_stride(size_t ld) { return 36 * ld + SKEW; }
static size_t u_stride(const geom *g) { return (size_t)g->Cout * g->Cin + SKEW; }

size_t iw_winograd4_plan(iw_conv2d_config *c, iw_shape in, iw_shape out, int max_batch)
{
    size_t co = (size_t)c->out_channels, ci = (size_t)in.c, tiles = (size_t)((out.h + 3) / 4) * ((out.w + 3) / 4);
    /* as F(2x2) (conv_winograd.c): a pass over b blocks rereads all of dU; b ~ Cin*Cout / (32 (Cin + Cout)) */
    size_t b = (ci * co + TB * (ci + co) - 1) / (TB * (ci + co));
    size_t max_blocks = ((size_t)max_batch * tiles + TB - 1) / TB;
    if (b > MAX_BACKWARD_BLOCKS) b = MAX_BACKWARD_BLOCKS;
    if (b > max_blocks) b = max_blocks;
    if (b < 1) b = 1;
    c->backward_blocks4 = (int)b;
    size_t ld = TB * b, us = co * ci + SKEW;
    /* backward: U, dU^T, V (then dV), dM, dM^T; the forward needs less (U, V, M at ld = TB) */
    return 2 * 36 * us + (ci + co) * chan_stride(ld) + 36 * (ld * co + SKEW);
}

/* U[p][co][ci] = (G g G^T)[p] for every filter g = W[co][ci], in double. */
static void transform_weights(const geom *g, const float *Wt, float *U, size_t us)
{
    for (int co = 0; co < g->Cout; co++)
        for (int ci = 0; ci < g->Cin; ci++) {
            const float *w = Wt + ((size_t)co * g->Cin + ci) * 9;
            double t[6][3]; /* G g */
            for (int i = 0; i < 6; i++)
                for (int c = 0; c < 3; c++) t[i][c] = G_[i][0] * w[c] + G_[i][1] * w[3 + c] + G_[i][2] * w[6 + c];
            float *u = U + (size_t)co * g->Cin + ci;
            for (int i = 0; i < 6; i++)
                for (int jj = 0; jj < 6; jj++)
                    u[(size_t)(6 * i + jj) * us] = (float)(t[i][0] * G_[jj][0] + t[i][1] * G_[jj][1] + t[i][2] * G_[jj][2]);
        }
}

/* dW[co][ci] += G^T dU G, the adjoint of transform_weights (dU^T given, [p][ci][co]), in double. */
static void transform_weights_adjoint(const geom *g, const float *dUT, size_t us, float *dW)
{
    for (int co = 0; co < g->Cout; co++)
        for (int ci = 0; ci < g->Cin; ci++) {
            const float *u = dUT + (size_t)ci * g->Cout + co;
            double t[6][3]; /* dU G */
            for (int i = 0; i < 6; i++)
                for (int c = 0; c < 3; c++) {
                    double s = 0.0;
                    for (int jj = 0; jj < 6; jj++) s += (double)u[(size_t)(6 * i + jj) * us] * G_[jj][c];
                    t[i][c] = s;
                }
            float *w = dW + ((size_t)co * g->Cin + ci) * 9;
            for (int r = 0; r < 3; r++)
                for (int c = 0; c < 3; c++) {
                    double s = 0.0;
                    for (int i = 0; i < 6; i++) s += G_[i][r] * t[i][c];
                    w[3 * r + c] += (float)s;
                }
        }
}

/* V[ci][p][k] = (B^T d B)[p] (zeros outside the image). */
static void input_transform(const geom *g, const tile *tl, int nt, const float *x, float *V, size_t cs, size_t ld)
{
    const size_t plane = (size_t)g->H * g->W;
    for (int ci = 0; ci < g->Cin; ci++)
        for (int k = 0; k < nt; k++) {
            const tile *q = &tl[k];
            const float *src = x + q->j * g->in_size + ci * plane;
            float d[6][6], c[6][6], col[6], t[6];
            for (int i = 0; i < 6; i++)
                for (int jj = 0; jj < 6; jj++) {
                    int yy = q->iy + i, xx = q->ix + jj;
                    d[i][jj] = yy >= 0 && yy < g->H && xx >= 0 && xx < g->W ? src[(size_t)yy * g->W + xx] : 0.0f;
                }
            for (int jj = 0; jj < 6; jj++) { /* B^T d, column by column */
                for (int i = 0; i < 6; i++) col[i] = d[i][jj];
                bt6(col, t);
                for (int i = 0; i < 6; i++) c[i][jj] = t[i];
            }
            float *v = V + ci * cs + k;
            for (int i = 0; i < 6; i++) { /* (B^T d) B, row by row */
                bt6(c[i], t);
                for (int jj = 0; jj < 6; jj++) v[(size_t)(6 * i + jj) * ld] = t[jj];
            }
        }
}

/* y = A^T m A + bias (max(., 0) when relu), inside Ho x Wo, from M[co][p][k]; with pool (Ho, Wo
 * even) the 2x2 max pooling of max(., 0) instead, y (B, Cout, Ho/2, Wo/2). */
static void output_transform(const geom *g, const tile *tl, int nt, const float *M, size_t cs, size_t ld,
                             const float *bias, int relu, int pool, float *y)
{
    const size_t plane = (size_t)g->Ho * g->Wo, pplane = (size_t)(g->Ho / 2) * (g->Wo / 2);
    for (int co = 0; co < g->Cout; co++)
        for (int k = 0; k < nt; k++) {
            const tile *q = &tl[k];
            const float *m = M + co * cs + k;
            float s[4][6], col[6], o[4];
            for (int jj = 0; jj < 6; jj++) { /* A^T m, column by column */
                for (int i = 0; i < 6; i++) col[i] = m[(size_t)(6 * i + jj) * ld];
                at6(col, o);
                for (int r = 0; r < 4; r++) s[r][jj] = o[r];
            }
            float out[4][4];
            for (int r = 0; r < 4; r++) {
                at6(s[r], o);
                for (int c = 0; c < 4; c++) {
                    float v = o[c] + bias[co];
                    out[r][c] = (relu || pool) && !(v > 0.0f) ? 0.0f : v;
                }
            }
            if (pool) {
                const int Wp = g->Wo / 2;
                float *dst = y + q->j * (g->Cout * pplane) + co * pplane + (size_t)(q->oy / 2) * Wp + q->ox / 2;
                for (int pr = 0; pr < q->rows / 2; pr++)
                    for (int pc = 0; pc < q->cols / 2; pc++) {
                        float best = out[2 * pr][2 * pc];
                        for (int r = 0; r < 2; r++)
                            for (int c = 0; c < 2; c++)
                                if (out[2 * pr + r][2 * pc + c] > best) best = out[2 * pr + r][2 * pc + c];
                        dst[(size_t)pr * Wp + pc] = best;
                    }
                continue;
            }
            float *dst = y + q->j * g->out_size + co * plane + (size_t)q->oy * g->Wo + q->ox;
            for (int r = 0; r < q->rows; r++)
                for (int c = 0; c < q->cols; c++) dst[(size_t)r * g->Wo + c] = out[r][c];
        }
}

/* dM[co][p][k] = (A g A^T)[p] with g = dY of the tile (zero outside Ho x Wo, and where y <= 0 when
 * y is given: the fused ReLU); db[co] += sum of g. */
static void grad_output_transform(const geom *g, const tile *tl, int nt, const float *dy, const float *y, float *dM,
                                  size_t cs, size_t ld, float *db)
{
    const size_t plane = (size_t)g->Ho * g->Wo;
    for (int co = 0; co < g->Cout; co++) {
        float sum = 0.0f;
        for (int k = 0; k < nt; k++) {
            const tile *q = &tl[k];
            size_t base = q->j * g->out_size + co * plane + (size_t)q->oy * g->Wo + q->ox;
            float gt[4][4] = {{0}}, c[6][4], col[4], t[6];
            for (int r = 0; r < q->rows; r++)
                for (int cc = 0; cc < q->cols; cc++) {
                    size_t o = base + (size_t)r * g->Wo + cc;
                    gt[r][cc] = y && !(y[o] > 0.0f) ? 0.0f : dy[o];
                    sum += gt[r][cc];
                }
            for (int cc = 0; cc < 4; cc++) { /* A g, column by column */
                for (int r = 0; r < 4; r++) col[r] = gt[r][cc];
                a6(col, t);
                for (int i = 0; i < 6; i++) c[i][cc] = t[i];
            }
            float *m = dM + co * cs + k;
            for (int i = 0; i < 6; i++) { /* (A g) A^T, row by row */
                a6(c[i], t);
                for (int jj = 0; jj < 6; jj++) m[(size_t)(6 * i + jj) * ld] = t[jj];
            }
        }
        db[co] += sum;
    }
}

/* dx += B dV B^T for the block's tiles, from dV[ci][p][k]; only inside the image. */
static void grad_input_transform(const geom *g, const tile *tl, int nt, const float *dV, size_t cs, size_t ld,
                                 float *dx)
{
    const size_t plane = (size_t)g->H * g->W;
    for (int k = 0; k < nt; k++)
        for (int ci = 0; ci < g->Cin; ci++) {
            const tile *q = &tl[k];
            const float *v = dV + ci * cs + k;
            float c[6][6], col[6], t[6];
            for (int jj = 0; jj < 6; jj++) { /* B dV, column by column */
                for (int i = 0; i < 6; i++) col[i] = v[(size_t)(6 * i + jj) * ld];
                b6(col, t);
                for (int i = 0; i < 6; i++) c[i][jj] = t[i];
            }
            float *dst = dx + q->j * g->in_size + ci * plane;
            for (int i = 0; i < 6; i++) { /* (B dV) B^T, row by row */
                int yy = q->iy + i;
                b6(c[i], t);
                if (yy < 0 || yy >= g->H) continue;
                for (int jj = 0; jj < 6; jj++) {
                    int xx = q->ix + jj;
                    if (xx >= 0 && xx < g->W) dst[(size_t)yy * g->W + xx] += t[jj];
                }
            }
        }
}

/* The vector transforms, on both vector paths (same bits); plain C on the portable path. */
static int vector_transforms(void) { return iw_engine_isa() != IW_ISA_PORTABLE; }

static void input_transform_any(const geom *g, const tile *tl, int nt, const float *x, float *V, size_t cs,
                                size_t ld)
{
    if (vector_transforms())
        iw_wino4_input_transform_avx2(g, tl, nt, x, V, cs, ld);
    else
        input_transform(g, tl, nt, x, V, cs, ld);
}

void iw_winograd4_forward(const iw_conv2d_config *c, iw_shape in, iw_shape out, int batch, const float *Wt,
                          const float *bias, int relu, int pool, const float *x, float *y, float *ws)
{
    const geom g = geom_of(c, in, out);
    const int Cin = g.Cin, Cout = g.Cout, T = batch * g.tiles;
    const size_t us = u_stride(&g), cs = chan_stride(TB);
    float *U = ws, *V = U + 36 * us, *M = V + (size_t)Cin * cs;
    tile tl[TB];
    if (vector_transforms())
        iw_wino4_transform_weights_avx2(&g, G_, Wt, U, us);
    else
        transform_weights(&g, Wt, U, us);
    for (int t0 = 0; t0 < T; t0 += TB) {
        int nt = T - t0 < TB ? T - t0 : TB;
        iw_wino4_block_tiles(&g, t0, nt, tl);
        input_transform_any(&g, tl, nt, x, V, cs, TB);
        for (int p = 0; p < 36; p++)
            iw_gemm(Cout, nt, Cin, U + p * us, Cin, 1, V + (size_t)p * TB, (int)cs, M + (size_t)p * TB, (int)cs, 0);
        if (vector_transforms())
            iw_wino4_output_transform_avx2(&g, tl, nt, M, cs, TB, bias, relu, pool, y);
        else
            output_transform(&g, tl, nt, M, cs, TB, bias, relu, pool, y);
    }
}

void iw_winograd4_backward(const iw_conv2d_config *c, iw_shape in, iw_shape out, int batch, const float *Wt,
                           const float *x, const float *y, const float *dy, float *dW, float *db, float *dx,
                           float *ws)
{
    const geom g = geom_of(c, in, out);
    const int Cin = g.Cin, Cout = g.Cout, T = batch * g.tiles;
    const int nb = c->backward_blocks4, LD = nb * TB; /* a pass takes up to LD tiles */
    const size_t us = u_stride(&g), cs = chan_stride((size_t)LD), ts = (size_t)LD * Cout + SKEW;
    float *U = ws, *dUT = U + 36 * us, *V = dUT + 36 * us, *dM = V + (size_t)Cin * cs, *dMT = dM + (size_t)Cout * cs;
    tile tl[MAX_BACKWARD_BLOCKS][TB];
    int nts[MAX_BACKWARD_BLOCKS];
    if (dx) {
        transform_weights(&g, Wt, U, us);
        memset(dx, 0, sizeof(float) * g.in_size * batch);
    }
    for (int t0 = 0; t0 < T; t0 += LD) {
        int blocks = 0, K = 0;
        for (int s = 0; s < nb && t0 + s * TB < T; s++, blocks++) {
            int ts0 = t0 + s * TB, nt = T - ts0 < TB ? T - ts0 : TB;
            nts[s] = nt;
            K += nt;
            iw_wino4_block_tiles(&g, ts0, nt, tl[s]);
            float *dMs = dM + (size_t)s * TB, *Vs = V + (size_t)s * TB;
            grad_output_transform(&g, tl[s], nt, dy, y, dMs, cs, LD, db);
            input_transform_any(&g, tl[s], nt, x, Vs, cs, LD);
        }
        /* dU^T[p] (Cin, Cout) += V[p] (Cin, K) dM^T[p] (K, Cout) */
        for (int p = 0; p < 36; p++) {
            iw_transpose(dM + (size_t)p * LD, Cout, K, cs, dMT + p * ts, (size_t)Cout);
            iw_gemm(Cin, Cout, K, V + (size_t)p * LD, (ptrdiff_t)cs, 1, dMT + p * ts, Cout, dUT + p * us, Cout, t0 > 0);
        }
        if (!dx) continue;
        /* dV[p] (Cin, K) = U[p]^T (Cin, Cout) dM[p] (Cout, K), into V's place */
        for (int p = 0; p < 36; p++)
            iw_gemm(Cin, K, Cout, U + p * us, 1, Cin, dM + (size_t)p * LD, (int)cs, V + (size_t)p * LD, (int)cs, 0);
        for (int s = 0; s < blocks; s++) {
            const float *dVs = V + (size_t)s * TB;
            grad_input_transform(&g, tl[s], nts[s], dVs, cs, LD, dx);
        }
    }
    transform_weights_adjoint(&g, dUT, us, dW);
}
