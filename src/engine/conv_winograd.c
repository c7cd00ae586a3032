/* conv_winograd.c — Winograd F(2x2, 3x3) for 3x3 stride-1 convolutions (Lavin & Gray 2016).
 *
 * Each output is cut into 2x2 tiles; tile t = (j*tiles_h + ty)*tiles_w + tx of example j reads the
 * 4x4 input patch at (2ty - pad, 2tx - pad) (zeros outside the image). With
 *   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1],  G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1],
 *   A^T = [1 1 1 0; 0 1 -1 -1]
 * the output tile is  Y = A^T [ sum_ci (G g G^T) ⊙ (B^T d B) ] A.  The 16 positions p of the 4x4
 * transformed domain are independent matrix products:
 *   U[p] (Cout, Cin) = (G g G^T)[p],   V[p] (Cin, TB) = (B^T d B)[p],   M[p] (Cout, TB) = U[p] V[p].
 * Backward applies the adjoints of the same linear maps (exact, not a second approximation):
 *   dM[p] = (A dY A^T)[p];  dU[p] += dM[p] V[p]^T -> dW = G^T dU G;  dV[p] = U[p]^T dM[p] -> dx += B dV B^T.
 * Multiplications per output: 16*Cin/4 = 4*Cin instead of 9*Cin (2.25x fewer).
 *
 * Blocking: the batch's tiles are taken TB = 32 at a time; a block's transformed arrays (16 x C x
 * 32 floats each, layouts in conv_winograd.h) stay in L2 between the transform, the products
 * (iw_gemm) and the inverse transform, so the only large arrays touched are x, y and their
 * gradients. Backward takes backward_blocks blocks (K = 32..256 tiles) per pass, so that the
 * read-modify-write of all of dU per pass is paid less often when Cin*Cout is large, and keeps
 * the output gradients as dMT[p][k][co] so that both of its products take U and V in their
 * forward layouts:
 *   dU^T[p] (Cin, Cout) += V[p] (Cin, K) dMT[p] (K, Cout);   dVT[p] (K, Cin) = dMT[p] (K, Cout) U[p] (Cout, Cin).
 * Workspace: U and dU^T (16 x Cout*Cin each), V (16 x Cin*K, then dVT), M (16 x Cout*K, or dMT),
 * dV (16 x Cin*K: dVT transposed for the AVX-512 inverse transform).
 * The transforms have AVX-512 versions (conv_winograd_avx512.c) and plain C ones here; nothing
 * is allocated after plan.
 */
#include "conv.h"
#include "conv_winograd.h"

#include <limits.h>
#include <string.h>

#define TB IW_WINO_TB
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

/* Strides (floats) between the 16 matrices of U/dU, V and M. */
/* Strides (floats) between the 16 matrices of U/dU, V and M; V and M hold up to `blocks` blocks. */
static size_t u_stride(const geom *g) { return (size_t)g->Cout * g->Cin + SKEW; }
static size_t v_stride(const geom *g, int blocks) { return (size_t)g->Cin * TB * blocks + SKEW; }
static size_t m_stride(const geom *g, int blocks) { return (size_t)g->Cout * TB * blocks + SKEW; }

size_t iw_winograd_plan(iw_conv2d_config *c, iw_shape in, int max_batch)
{
    size_t co = (size_t)c->out_channels, ci = (size_t)in.c;
    /* Backward reads and writes all of dU (16 x Cin x Cout) once per pass; a pass over b blocks
     * also writes and reads V and dM (16 x 32b x (Cin + Cout)). b ~ Cin*Cout / (32 (Cin + Cout))
     * balances the two: 1 for 64 channels, 2 for 128, 4 for 256. */
    size_t b = (ci * co + TB * (ci + co) - 1) / (TB * (ci + co));
    size_t max_blocks = ((size_t)max_batch * c->tiles_h * c->tiles_w + TB - 1) / TB;
    if (b > MAX_BACKWARD_BLOCKS) b = MAX_BACKWARD_BLOCKS;
    if (b > max_blocks) b = max_blocks;
    if (b < 1) b = 1;
    c->backward_blocks = (int)b;
    /* U, dU^T; V (then dV^T); M (or dM^T); dV (the AVX-512 backward's transposed dV^T) */
    return 2 * 16 * (co * ci + SKEW) + 2 * 16 * (ci * TB * b + SKEW) + 16 * (co * TB * b + SKEW);
}

/* U[p][co][ci] = (G g G^T)[p] for every filter g = W[co][ci]. */
static void transform_weights(int Cout, int Cin, const float *Wt, float *U, size_t stride)
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
            float *u = U + (size_t)co * Cin + ci;
            for (int r = 0; r < 4; r++) {
                u[(r * 4 + 0) * stride] = t[r][0];
                u[(r * 4 + 1) * stride] = 0.5f * (t[r][0] + t[r][1] + t[r][2]);
                u[(r * 4 + 2) * stride] = 0.5f * (t[r][0] - t[r][1] + t[r][2]);
                u[(r * 4 + 3) * stride] = t[r][2];
            }
        }
}

/* dW[co][ci] += G^T dU G, the adjoint of transform_weights (dU^T given, in [p][ci][co]). */
static void transform_weights_adjoint(int Cout, int Cin, const float *dUT, size_t stride, float *dW)
{
    for (int co = 0; co < Cout; co++)
        for (int ci = 0; ci < Cin; ci++) {
            const float *u = dUT + (size_t)ci * Cout + co;
            float t[4][3]; /* dU G */
            for (int r = 0; r < 4; r++) {
                float a = u[(r * 4 + 0) * stride], b = u[(r * 4 + 1) * stride];
                float c = u[(r * 4 + 2) * stride], d = u[(r * 4 + 3) * stride];
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

/* V[p*ps + ci*cs + k*ks] = (B^T d B)[p] for the block's tiles; columns nt..TB zero. */
static void input_transform(const geom *g, const tile *tl, int nt, const float *x, float *V, size_t ps,
                            size_t cs, size_t ks)
{
    const size_t plane = (size_t)g->H * g->W;
    for (int ci = 0; ci < g->Cin; ci++)
        for (int k = 0; k < TB; k++) {
            float *v = V + ci * cs + k * ks;
            if (k >= nt) {
                for (int p = 0; p < 16; p++) v[p * ps] = 0.0f;
                continue;
            }
            const tile *q = &tl[k];
            const float *src = x + q->j * g->in_size + ci * plane;
            float d[4][4];
            if (q->inside) {
                const float *s = src + (size_t)q->iy * g->W + q->ix;
                for (int i = 0; i < 4; i++)
                    for (int jj = 0; jj < 4; jj++) d[i][jj] = s[(size_t)i * g->W + jj];
            } else {
                for (int i = 0; i < 4; i++)
                    for (int jj = 0; jj < 4; jj++) {
                        int yy = q->iy + i, xx = q->ix + jj;
                        d[i][jj] = yy >= 0 && yy < g->H && xx >= 0 && xx < g->W ? src[(size_t)yy * g->W + xx] : 0.0f;
                    }
            }
            float c[4][4]; /* B^T d */
            for (int jj = 0; jj < 4; jj++) {
                c[0][jj] = d[0][jj] - d[2][jj];
                c[1][jj] = d[1][jj] + d[2][jj];
                c[2][jj] = d[2][jj] - d[1][jj];
                c[3][jj] = d[1][jj] - d[3][jj];
            }
            for (int i = 0; i < 4; i++) {
                v[(i * 4 + 0) * ps] = c[i][0] - c[i][2];
                v[(i * 4 + 1) * ps] = c[i][1] + c[i][2];
                v[(i * 4 + 2) * ps] = c[i][2] - c[i][1];
                v[(i * 4 + 3) * ps] = c[i][1] - c[i][3];
            }
        }
}

/* y = A^T m A + bias for the block's tiles, from M[p][co][k] (p stride ps, rows ld); only inside
 * Ho x Wo. */
static void output_transform(const geom *g, const tile *tl, int nt, const float *M, size_t ps, size_t ld,
                             const float *bias, float *y)
{
    const size_t plane = (size_t)g->Ho * g->Wo;
    for (int co = 0; co < g->Cout; co++) {
        const float bc = bias[co];
        for (int k = 0; k < nt; k++) {
            const float *m = M + (size_t)co * ld + k;
            const tile *q = &tl[k];
            float t[2][4];
            for (int i = 0; i < 4; i++) {
                float m0 = m[(0 + i) * ps], m1 = m[(4 + i) * ps], m2 = m[(8 + i) * ps], m3 = m[(12 + i) * ps];
                t[0][i] = m0 + m1 + m2;
                t[1][i] = m1 - m2 - m3;
            }
            float *o = y + q->j * g->out_size + co * plane + (size_t)q->oy * g->Wo + q->ox;
            int has_x = q->ox + 1 < g->Wo, has_y = q->oy + 1 < g->Ho;
            o[0] = t[0][0] + t[0][1] + t[0][2] + bc;
            if (has_x) o[1] = t[0][1] - t[0][2] - t[0][3] + bc;
            if (has_y) {
                o[g->Wo] = t[1][0] + t[1][1] + t[1][2] + bc;
                if (has_x) o[g->Wo + 1] = t[1][1] - t[1][2] - t[1][3] + bc;
            }
        }
    }
}

/* dMT[p][k][co] = (A dY A^T)[p] (dY zero outside Ho x Wo), rows nt..TB zero; db += sum of dY. */
static void grad_output_transform(const geom *g, const tile *tl, int nt, const float *dy, float *dMT, size_t ps,
                                  float *db)
{
    const size_t plane = (size_t)g->Ho * g->Wo;
    for (int co = 0; co < g->Cout; co++) {
        float sum = 0.0f;
        for (int k = 0; k < TB; k++) {
            float *m = dMT + (size_t)k * g->Cout + co;
            if (k >= nt) {
                for (int p = 0; p < 16; p++) m[p * ps] = 0.0f;
                continue;
            }
            const tile *q = &tl[k];
            const float *o = dy + q->j * g->out_size + co * plane + (size_t)q->oy * g->Wo + q->ox;
            int has_x = q->ox + 1 < g->Wo, has_y = q->oy + 1 < g->Ho;
            float g00 = o[0], g01 = has_x ? o[1] : 0.0f;
            float g10 = has_y ? o[g->Wo] : 0.0f, g11 = has_x && has_y ? o[g->Wo + 1] : 0.0f;
            sum += g00 + g01 + g10 + g11;
            /* rows of A g with A = [1 0; 1 1; 1 -1; 0 -1] */
            float r[4][2] = {{g00, g01}, {g00 + g10, g01 + g11}, {g00 - g10, g01 - g11}, {-g10, -g11}};
            for (int i = 0; i < 4; i++) {
                m[(i * 4 + 0) * ps] = r[i][0];
                m[(i * 4 + 1) * ps] = r[i][0] + r[i][1];
                m[(i * 4 + 2) * ps] = r[i][0] - r[i][1];
                m[(i * 4 + 3) * ps] = -r[i][1];
            }
        }
        db[co] += sum;
    }
}

/* dx += B dV B^T for the block's tiles, from dVT[p][k][ci]; only inside the image. */
static void grad_input_transform(const geom *g, const tile *tl, int nt, const float *dVT, size_t ps, float *dx)
{
    const size_t plane = (size_t)g->H * g->W;
    for (int k = 0; k < nt; k++)
        for (int ci = 0; ci < g->Cin; ci++) {
            const float *v = dVT + (size_t)k * g->Cin + ci;
            const tile *q = &tl[k];
            float r[4][4]; /* dV B^T */
            for (int i = 0; i < 4; i++) {
                float a = v[(i * 4 + 0) * ps], b = v[(i * 4 + 1) * ps];
                float c = v[(i * 4 + 2) * ps], d = v[(i * 4 + 3) * ps];
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
            if (q->inside) {
                float *s = dst + (size_t)q->iy * g->W + q->ix;
                for (int i = 0; i < 4; i++)
                    for (int jj = 0; jj < 4; jj++) s[(size_t)i * g->W + jj] += e[i][jj];
            } else {
                for (int i = 0; i < 4; i++)
                    for (int jj = 0; jj < 4; jj++) {
                        int yy = q->iy + i, xx = q->ix + jj;
                        if (yy >= 0 && yy < g->H && xx >= 0 && xx < g->W) dst[(size_t)yy * g->W + xx] += e[i][jj];
                    }
            }
        }
}

/* The vector transforms a batch can take: the engine's path, except that the AVX-512 ones
 * address the batch through int32 gather lanes (and the AVX2 ones keep them bit-identical), so a
 * batch whose offsets do not fit takes the plain C ones. */
static iw_isa transform_isa(const geom *g, int batch)
{
    iw_isa isa = iw_engine_isa();
    if ((size_t)batch * (g->in_size > g->out_size ? g->in_size : g->out_size) >= INT_MAX / 2) return IW_ISA_PORTABLE;
    return isa;
}

static void input_transform_isa(iw_isa isa, const geom *g, const tile *tl, int nt, const float *x, float *V,
                                size_t vs, size_t ld)
{
    if (isa == IW_ISA_AVX512)
        iw_wino_input_transform_avx512(g, tl, nt, x, V, vs, ld);
    else if (isa == IW_ISA_AVX2)
        iw_wino_input_transform_avx2(g, tl, nt, x, V, vs, ld);
    else
        input_transform(g, tl, nt, x, V, vs, ld, 1);
}

void iw_winograd_forward(const iw_conv2d_config *c, iw_shape in, iw_shape out, int batch,
                         const float *Wt, const float *bias, const float *x, float *y, float *ws)
{
    const geom g = geom_of(c, in, out);
    const int Cin = g.Cin, Cout = g.Cout, T = batch * g.tiles;
    const iw_isa isa = transform_isa(&g, batch);
    const size_t us = u_stride(&g);
    /* V and M channel-major (conv_winograd.h): matrix p at p*TB, rows 16*TB apart */
    const size_t vs = TB, ms = TB, ld = 16 * TB;
    float *U = ws, *V = U + 2 * 16 * us, *M = V + (size_t)Cin * ld;
    tile tl[TB];
    transform_weights(Cout, Cin, Wt, U, us);
    for (int t0 = 0; t0 < T; t0 += TB) {
        int nt = T - t0 < TB ? T - t0 : TB;
        block_tiles(&g, t0, nt, tl);
        input_transform_isa(isa, &g, tl, nt, x, V, vs, ld);
        for (int p = 0; p < 16; p++)
            iw_gemm(Cout, TB, Cin, U + p * us, Cin, 1, V + p * vs, (int)ld, M + p * ms, (int)ld, 0);
        if (isa == IW_ISA_AVX512)
            iw_wino_output_transform_avx512(&g, tl, nt, M, ms, ld, bias, y);
        else if (isa == IW_ISA_AVX2)
            iw_wino_output_transform_avx2(&g, tl, nt, M, ms, ld, bias, y);
        else
            output_transform(&g, tl, nt, M, ms, ld, bias, y);
    }
}

void iw_winograd_backward(const iw_conv2d_config *c, iw_shape in, iw_shape out, int batch,
                          const float *Wt, const float *x, const float *dy, float *dW, float *db,
                          float *dx, float *ws)
{
    const geom g = geom_of(c, in, out);
    const int Cin = g.Cin, Cout = g.Cout, T = batch * g.tiles;
    const iw_isa isa = transform_isa(&g, batch);
    const int nb = c->backward_blocks, LD = nb * TB; /* a pass takes up to LD tiles */
    const size_t us = u_stride(&g), vs = v_stride(&g, nb), ms = m_stride(&g, nb);
    float *U = ws, *dUT = U + 16 * us, *V = dUT + 16 * us, *M = V + 16 * vs, *dV = M + 16 * ms;
    tile tl[MAX_BACKWARD_BLOCKS][TB];
    int nts[MAX_BACKWARD_BLOCKS];
    if (dx) {
        transform_weights(Cout, Cin, Wt, U, us);
        memset(dx, 0, sizeof(float) * g.in_size * batch);
    }
    for (int t0 = 0; t0 < T; t0 += LD) {
        int blocks = 0;
        /* transforms of up to nb blocks side by side: V[p][ci][0..LD), dMT[p][0..LD)[co] */
        for (int s = 0; s < nb && t0 + s * TB < T; s++, blocks++) {
            int ts = t0 + s * TB, nt = T - ts < TB ? T - ts : TB;
            nts[s] = nt;
            block_tiles(&g, ts, nt, tl[s]);
            float *dMs = M + (size_t)s * TB * Cout, *Vs = V + (size_t)s * TB;
            if (isa == IW_ISA_AVX512)
                iw_wino_grad_output_transform_avx512(&g, tl[s], nt, dy, dMs, ms, db);
            else if (isa == IW_ISA_AVX2)
                iw_wino_grad_output_transform_avx2(&g, tl[s], nt, dy, dMs, ms, db);
            else
                grad_output_transform(&g, tl[s], nt, dy, dMs, ms, db);
            input_transform_isa(isa, &g, tl[s], nt, x, Vs, vs, LD);
        }
        const int K = blocks * TB; /* tiles past T are zero columns */
        /* dU^T[p] (Cin, Cout) += V[p] (Cin, K) dMT[p] (K, Cout) */
        for (int p = 0; p < 16; p++)
            iw_gemm(Cin, Cout, K, V + p * vs, LD, 1, M + p * ms, Cout, dUT + p * us, Cout, t0 > 0);
        if (!dx) continue;
        /* dVT[p] (K, Cin) = dMT[p] (K, Cout) U[p] (Cout, Cin) */
        for (int p = 0; p < 16; p++)
            iw_gemm(K, Cin, Cout, M + p * ms, Cout, 1, U + p * us, Cin, V + p * vs, Cin, 0);
        if (isa == IW_ISA_AVX512) {
            for (int p = 0; p < 16; p++) iw_transpose(V + p * vs, K, Cin, Cin, dV + p * vs, LD);
            for (int s = 0; s < blocks; s++)
                iw_wino_grad_input_transform_avx512(&g, tl[s], nts[s], dV + (size_t)s * TB, vs, LD, dx);
        } else if (isa == IW_ISA_AVX2) {
            for (int p = 0; p < 16; p++) iw_transpose(V + p * vs, K, Cin, Cin, dV + p * vs, LD);
            for (int s = 0; s < blocks; s++)
                iw_wino_grad_input_transform_avx2(&g, tl[s], nts[s], dV + (size_t)s * TB, vs, LD, dx);
        } else {
            for (int s = 0; s < blocks; s++)
                grad_input_transform(&g, tl[s], nts[s], V + (size_t)s * TB * Cin, vs, dx);
        }
    }
    transform_weights_adjoint(Cout, Cin, dUT, us, dW);
}
