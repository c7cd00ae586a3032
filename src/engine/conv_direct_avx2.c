/* conv_direct_avx2.c — the AVX2 kernels of conv_direct.c (which has the contract): the stride-1
 * forward by direct summation and the first layer's 3x3 weight gradient.
 *
 * Bit for bit the AVX-512 kernels (conv_direct_avx512.c): the forward adds the taps of each output
 * in the same order (ci, ky, kx) as one fused multiply-add chain from the bias, 8 columns per
 * register instead of 16; the weight gradient keeps the AVX-512 kernel's 16 lane accumulators per
 * tap (column l of every 16-column chunk goes to lane l), as two passes of 8 lanes (nine
 * accumulators and the bias sum fit the 16 ymm registers; eighteen would not), then sums the 16
 * lanes with the same tree (iw_reduce16_avx2). Compiled for avx2 + fma through function
 * attributes; called only when iw_engine_isa() is IW_ISA_AVX2 or higher.
 */
#include "conv.h"

#include <stdint.h>

#ifdef IW_X86_KERNELS
#include <immintrin.h>

#include "simd_avx2.h"

/* 8 floats at row + s under mask m; masked lanes are never read (s may be negative). */
AVX2 static inline __m256 load_at(const float *row, intptr_t s, __m256i m)
{
    return _mm256_maskload_ps((const float *)((uintptr_t)row + s * (intptr_t)sizeof(float)), m);
}

/* max(v, 0) as the ReLU layer computes it (NaN -> 0). */
AVX2 static inline __m256 relu8(__m256 v) { return _mm256_and_ps(v, _mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_GT_OQ)); }

/* Output rows of CO_BLOCK channels at once for one 8-column chunk: the shifted input rows (taps) are
 * loaded once and serve every channel of the block, and the block's chains run side by side (one
 * chain alone waits on the FMA latency at every tap; six keep both FMA pipes busier than three
 * did: the CNN's first layer 1.5-2x faster on Zen 4). */
#define CO_BLOCK 6
#define MAX_TAPS 27 /* conv_direct.c sends at most 27 taps per output here */

AVX2 void iw_conv_direct_forward_avx2(const iw_conv2d_config *c, iw_shape in, iw_shape out, int batch,
                                      const float *Wt, const float *bias, const float *x, float *y)
{
    const int k = c->kernel, pad = c->pad, H = in.h, W = in.w, Ho = out.h, Wo = out.w, Cout = c->out_channels;
    const int kk = k * k, taps_all = in.c * kk;
    const size_t in_size = iw_shape_size(in), out_size = iw_shape_size(out), P = (size_t)Ho * Wo;
    if (taps_all > MAX_TAPS) { /* not sent here by conv_direct.c; kept correct anyway: one chain at a time */
        for (int ox0 = 0; ox0 < Wo; ox0 += 8) {
            const int n = Wo - ox0 < 8 ? Wo - ox0 : 8;
            for (int j = 0; j < batch; j++)
                for (int co = 0; co < Cout; co++)
                    for (int oy = 0; oy < Ho; oy++) {
                        __m256 acc = _mm256_set1_ps(bias[co]);
                        for (int ci = 0; ci < in.c; ci++)
                            for (int ky = 0; ky < k; ky++) {
                                int iy = oy + ky - pad;
                                if (iy < 0 || iy >= H) continue;
                                const float *row = x + j * in_size + (size_t)ci * H * W + (size_t)iy * W;
                                const float *w = Wt + ((size_t)co * in.c + ci) * kk + ky * k;
                                for (int kx = 0; kx < k; kx++)
                                    acc = _mm256_fmadd_ps(_mm256_set1_ps(w[kx]),
                                                          load_at(row, ox0 + kx - pad, span_mask8(ox0 + kx - pad, W)), acc);
                            }
                        if (c->relu) acc = relu8(acc);
                        float t[8];
                        _mm256_storeu_ps(t, acc);
                        for (int l = 0; l < n; l++) y[j * out_size + co * P + (size_t)oy * Wo + ox0 + l] = t[l];
                    }
        }
        return;
    }
    for (int j = 0; j < batch; j++)
        for (int oy = 0; oy < Ho; oy++)
            for (int ox0 = 0; ox0 < Wo; ox0 += 8) {
                const int n = Wo - ox0 < 8 ? Wo - ox0 : 8;
                /* the taps inside the image, in the order (ci, ky, kx) of every output's chain */
                __m256 in_tap[MAX_TAPS];
                int tap_index[MAX_TAPS], taps = 0;
                for (int ci = 0; ci < in.c; ci++)
                    for (int ky = 0; ky < k; ky++) {
                        int iy = oy + ky - pad;
                        if (iy < 0 || iy >= H) continue;
                        const float *row = x + j * in_size + (size_t)ci * H * W + (size_t)iy * W;
                        for (int kx = 0; kx < k; kx++) {
                            in_tap[taps] = load_at(row, ox0 + kx - pad, span_mask8(ox0 + kx - pad, W));
                            tap_index[taps++] = ci * kk + ky * k + kx;
                        }
                    }
                float *yo = y + j * out_size + (size_t)oy * Wo + ox0;
                int co = 0;
                for (; co + CO_BLOCK <= Cout; co += CO_BLOCK) {
                    const float *w0 = Wt + (size_t)co * taps_all;
                    __m256 a0 = _mm256_set1_ps(bias[co]), a1 = _mm256_set1_ps(bias[co + 1]);
                    __m256 a2 = _mm256_set1_ps(bias[co + 2]), a3 = _mm256_set1_ps(bias[co + 3]);
                    __m256 a4 = _mm256_set1_ps(bias[co + 4]), a5 = _mm256_set1_ps(bias[co + 5]);
                    for (int t = 0; t < taps; t++) {
                        const float *w = w0 + tap_index[t];
                        const __m256 v = in_tap[t];
                        a0 = _mm256_fmadd_ps(_mm256_broadcast_ss(w), v, a0);
                        a1 = _mm256_fmadd_ps(_mm256_broadcast_ss(w + taps_all), v, a1);
                        a2 = _mm256_fmadd_ps(_mm256_broadcast_ss(w + 2 * taps_all), v, a2);
                        a3 = _mm256_fmadd_ps(_mm256_broadcast_ss(w + 3 * taps_all), v, a3);
                        a4 = _mm256_fmadd_ps(_mm256_broadcast_ss(w + 4 * taps_all), v, a4);
                        a5 = _mm256_fmadd_ps(_mm256_broadcast_ss(w + 5 * taps_all), v, a5);
                    }
                    __m256 a[CO_BLOCK] = {a0, a1, a2, a3, a4, a5};
#pragma GCC unroll 6
                    for (int b = 0; b < CO_BLOCK; b++) store_first8(yo + (size_t)(co + b) * P, c->relu ? relu8(a[b]) : a[b], n);
                }
                for (; co < Cout; co++) {
                    const float *w0 = Wt + (size_t)co * taps_all;
                    __m256 a0 = _mm256_set1_ps(bias[co]);
                    for (int t = 0; t < taps; t++) a0 = _mm256_fmadd_ps(_mm256_broadcast_ss(w0 + tap_index[t]), in_tap[t], a0);
                    store_first8(yo + (size_t)co * P, c->relu ? relu8(a0) : a0, n);
                }
            }
}

/* One 8-lane half (h = 0: columns ox0 .. ox0+7 of each 16-column chunk; h = 1: ox0+8 ..) of the
 * AVX-512 kernel's accumulators for one (co, ci): a[t] += dy * x shifted by tap t over every chunk,
 * example and output row, in that order; when `bias`, *bsum gets the same sums of dy. */
AVX2 static void weights3_half(const iw_conv2d_config *c, iw_shape in, iw_shape out, int batch, const float *x,
                               const float *y, const float *dy, int co, int ci, int h, int bias, __m256 a[9],
                               __m256 *bsum)
{
    const int pad = c->pad, H = in.h, W = in.w, Ho = out.h, Wo = out.w;
    const size_t in_size = iw_shape_size(in), out_size = iw_shape_size(out), P = (size_t)Ho * Wo;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, bs = a0;
    for (int ox0 = 0; ox0 < Wo; ox0 += 16) {
        const int c0 = ox0 + 8 * h; /* first column of this half */
        const __m256i lanes = span_mask8(c0, Wo);
        const __m256i m0 = span_mask8(c0 - pad, W), m1 = span_mask8(c0 + 1 - pad, W), m2 = span_mask8(c0 + 2 - pad, W);
        for (int j = 0; j < batch; j++) {
            const float *xp = x + j * in_size + (size_t)ci * H * W;
            const float *gp = dy + j * out_size + co * P, *yp = y ? y + j * out_size + co * P : NULL;
            for (int oy = 0; oy < Ho; oy++) {
                __m256 g = load_at(gp + (size_t)oy * Wo, c0, lanes);
                if (yp) /* the fused ReLU's mask */
                    g = _mm256_and_ps(g, _mm256_cmp_ps(load_at(yp + (size_t)oy * Wo, c0, lanes), _mm256_setzero_ps(), _CMP_GT_OQ));
                if (bias) bs = _mm256_add_ps(bs, g);
#define TAP_ROW(ky, t0, t1, t2)                                                                          \
                {                                                                                        \
                    int iy = oy + (ky) - pad;                                                            \
                    if (iy >= 0 && iy < H) {                                                             \
                        const float *row = xp + (size_t)iy * W;                                          \
                        t0 = _mm256_fmadd_ps(g, load_at(row, c0 - pad, m0), t0);                         \
                        t1 = _mm256_fmadd_ps(g, load_at(row, c0 + 1 - pad, m1), t1);                     \
                        t2 = _mm256_fmadd_ps(g, load_at(row, c0 + 2 - pad, m2), t2);                     \
                    }                                                                                    \
                }
                TAP_ROW(0, a0, a1, a2)
                TAP_ROW(1, a3, a4, a5)
                TAP_ROW(2, a6, a7, a8)
#undef TAP_ROW
            }
        }
    }
    a[0] = a0; a[1] = a1; a[2] = a2; a[3] = a3; a[4] = a4; a[5] = a5; a[6] = a6; a[7] = a7; a[8] = a8;
    if (bias) *bsum = bs;
}

AVX2 void iw_conv_direct_weights3_avx2(const iw_conv2d_config *c, iw_shape in, iw_shape out, int batch,
                                       const float *x, const float *y, const float *dy, float *dW, float *db)
{
    for (int co = 0; co < c->out_channels; co++) {
        __m256 blo = _mm256_setzero_ps(), bhi = blo;
        for (int ci = 0; ci < in.c; ci++) {
            __m256 lo[9], hi[9];
            weights3_half(c, in, out, batch, x, y, dy, co, ci, 0, ci == 0, lo, &blo);
            weights3_half(c, in, out, batch, x, y, dy, co, ci, 1, ci == 0, hi, &bhi);
            float *w = dW + ((size_t)co * in.c + ci) * 9;
            for (int t = 0; t < 9; t++) w[t] += iw_reduce16_avx2(lo[t], hi[t]);
        }
        db[co] += iw_reduce16_avx2(blo, bhi);
    }
}

#else
void iw_conv_direct_forward_avx2(const iw_conv2d_config *c, iw_shape in, iw_shape out, int batch, const float *Wt,
                                 const float *bias, const float *x, float *y)
{
    (void)c; (void)in; (void)out; (void)batch; (void)Wt; (void)bias; (void)x; (void)y;
}
void iw_conv_direct_weights3_avx2(const iw_conv2d_config *c, iw_shape in, iw_shape out, int batch, const float *x,
                                  const float *y, const float *dy, float *dW, float *db)
{
    (void)c; (void)in; (void)out; (void)batch; (void)x; (void)y; (void)dy; (void)dW; (void)db;
}
#endif
