/* conv_direct.c — stride-1 convolution forward by direct summation over the kernel taps, for
 * layers with few input channels (the first layer: 9 or 27 taps per output, where im2col + sgemm
 * spends its time copying). NCHW, weights (Cout, Cin, k, k), zero padding `pad`.
 *
 * AVX-512 version: one output row of 16-column chunks stays in registers while every tap adds
 * w * (input row shifted by kx), the shifted rows read with masked loads (the masks give the zero
 * padding); plain C version otherwise. The taps are summed in the same order in both.
 * For the first layer (no input gradient wanted) the 3x3 weight gradient has a direct AVX-512
 * version too; elsewhere conv2d.c's im2col backward runs.
 */
#include "conv.h"

#include <stdint.h>

static void direct_portable(const iw_conv2d_config *c, iw_shape in, iw_shape out, int batch, const float *Wt,
                            const float *bias, const float *x, float *y)
{
    const int k = c->kernel, pad = c->pad, H = in.h, W = in.w, Ho = out.h, Wo = out.w;
    const size_t in_size = iw_shape_size(in), out_size = iw_shape_size(out), P = (size_t)Ho * Wo;
    for (int j = 0; j < batch; j++)
        for (int co = 0; co < c->out_channels; co++) {
            float *yp = y + j * out_size + co * P;
            for (int oy = 0; oy < Ho; oy++)
                for (int ox = 0; ox < Wo; ox++) {
                    float sum = bias[co];
                    for (int ci = 0; ci < in.c; ci++) {
                        const float *xp = x + j * in_size + (size_t)ci * H * W;
                        const float *w = Wt + ((size_t)co * in.c + ci) * k * k;
                        for (int ky = 0; ky < k; ky++) {
                            int iy = oy + ky - pad;
                            if (iy < 0 || iy >= H) continue;
                            for (int kx = 0; kx < k; kx++) {
                                int ix = ox + kx - pad;
                                if (ix >= 0 && ix < W) sum += w[ky * k + kx] * xp[(size_t)iy * W + ix];
                            }
                        }
                    }
                    yp[(size_t)oy * Wo + ox] = sum;
                }
        }
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define MAX_K 16 /* larger kernels take the plain C path */

/* Lanes l with 0 <= s + l < n. */
static __mmask16 span_mask(int s, int n)
{
    int lo = s < 0 ? -s : 0, hi = n - s < 16 ? n - s : 16;
    if (hi <= lo) return 0;
    return (__mmask16)((((uint32_t)1 << hi) - 1) & ~(((uint32_t)1 << lo) - 1));
}

__attribute__((target("avx512f,fma"))) static void
direct_avx512(const iw_conv2d_config *c, iw_shape in, iw_shape out, int batch, const float *Wt, const float *bias,
              const float *x, float *y)
{
    const int k = c->kernel, pad = c->pad, H = in.h, W = in.w, Ho = out.h, Wo = out.w;
    const size_t in_size = iw_shape_size(in), out_size = iw_shape_size(out), P = (size_t)Ho * Wo;
    for (int ox0 = 0; ox0 < Wo; ox0 += 16) {
        __mmask16 load[MAX_K]; /* per kx: the lanes whose input column lies inside the row */
        for (int kx = 0; kx < k; kx++) load[kx] = span_mask(ox0 + kx - pad, W);
        const __mmask16 store = Wo - ox0 >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (Wo - ox0)) - 1);
        for (int j = 0; j < batch; j++)
            for (int co = 0; co < c->out_channels; co++)
                for (int oy = 0; oy < Ho; oy++) {
                    __m512 acc = _mm512_set1_ps(bias[co]);
                    for (int ci = 0; ci < in.c; ci++) {
                        const float *xp = x + j * in_size + (size_t)ci * H * W;
                        const float *w = Wt + ((size_t)co * in.c + ci) * k * k;
                        for (int ky = 0; ky < k; ky++) {
                            int iy = oy + ky - pad;
                            if (iy < 0 || iy >= H) continue;
                            const float *row = xp + (size_t)iy * W;
                            for (int kx = 0; kx < k; kx++) {
                                intptr_t s = ox0 + kx - pad; /* input column of lane 0 */
                                const float *p = (const float *)((uintptr_t)row + s * (intptr_t)sizeof(float));
                                acc = _mm512_fmadd_ps(_mm512_set1_ps(w[ky * k + kx]), _mm512_maskz_loadu_ps(load[kx], p), acc);
                            }
                        }
                    }
                    _mm512_mask_storeu_ps(y + j * out_size + co * P + (size_t)oy * Wo + ox0, store, acc);
                }
    }
}

/* dW (Cout, Cin, 3, 3) += sum over examples and outputs of dy (x) shifted input; db += sum dy.
 * Nine accumulators, one per tap, over 16-column chunks of each output row; summed across
 * lanes at the end of each (co, ci). */
__attribute__((target("avx512f,fma"))) static void
direct_weights3_avx512(const iw_conv2d_config *c, iw_shape in, iw_shape out, int batch, const float *x,
                       const float *dy, float *dW, float *db)
{
    const int pad = c->pad, H = in.h, W = in.w, Ho = out.h, Wo = out.w;
    const size_t in_size = iw_shape_size(in), out_size = iw_shape_size(out), P = (size_t)Ho * Wo;
    for (int co = 0; co < c->out_channels; co++) {
        __m512 bsum = _mm512_setzero_ps();
        for (int ci = 0; ci < in.c; ci++) {
            __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0;
            for (int ox0 = 0; ox0 < Wo; ox0 += 16) {
                const __mmask16 lanes = Wo - ox0 >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (Wo - ox0)) - 1);
                const __mmask16 m0 = span_mask(ox0 - pad, W), m1 = span_mask(ox0 + 1 - pad, W), m2 = span_mask(ox0 + 2 - pad, W);
                for (int j = 0; j < batch; j++) {
                    const float *xp = x + j * in_size + (size_t)ci * H * W;
                    const float *gp = dy + j * out_size + co * P + ox0;
                    for (int oy = 0; oy < Ho; oy++) {
                        __m512 g = _mm512_maskz_loadu_ps(lanes, gp + (size_t)oy * Wo);
                        if (ci == 0) bsum = _mm512_add_ps(bsum, g);
#define TAP_ROW(ky, t0, t1, t2)                                                                          \
                        {                                                                                \
                            int iy = oy + (ky) - pad;                                                    \
                            if (iy >= 0 && iy < H) {                                                     \
                                const float *row = xp + (size_t)iy * W;                                  \
                                intptr_t s = ox0 - pad;                                                  \
                                const float *p = (const float *)((uintptr_t)row + s * (intptr_t)sizeof(float)); \
                                t0 = _mm512_fmadd_ps(g, _mm512_maskz_loadu_ps(m0, p), t0);               \
                                t1 = _mm512_fmadd_ps(g, _mm512_maskz_loadu_ps(m1, p + 1), t1);           \
                                t2 = _mm512_fmadd_ps(g, _mm512_maskz_loadu_ps(m2, p + 2), t2);           \
                            }                                                                            \
                        }
                        TAP_ROW(0, a0, a1, a2)
                        TAP_ROW(1, a3, a4, a5)
                        TAP_ROW(2, a6, a7, a8)
#undef TAP_ROW
                    }
                }
            }
            float *w = dW + ((size_t)co * in.c + ci) * 9;
            w[0] += _mm512_reduce_add_ps(a0);
            w[1] += _mm512_reduce_add_ps(a1);
            w[2] += _mm512_reduce_add_ps(a2);
            w[3] += _mm512_reduce_add_ps(a3);
            w[4] += _mm512_reduce_add_ps(a4);
            w[5] += _mm512_reduce_add_ps(a5);
            w[6] += _mm512_reduce_add_ps(a6);
            w[7] += _mm512_reduce_add_ps(a7);
            w[8] += _mm512_reduce_add_ps(a8);
        }
        db[co] += _mm512_reduce_add_ps(bsum);
    }
}
#endif

int iw_conv_direct_backward_weights(const iw_conv2d_config *c, iw_shape in, iw_shape out, int batch,
                                    const float *x, const float *dy, float *dW, float *db)
{
#if defined(__x86_64__) && defined(__GNUC__)
    if (iw_conv_use_avx512() && c->kernel == 3 && c->stride == 1) {
        direct_weights3_avx512(c, in, out, batch, x, dy, dW, db);
        return 1;
    }
#endif
    (void)c; (void)in; (void)out; (void)batch; (void)x; (void)dy; (void)dW; (void)db;
    return 0;
}

void iw_conv_direct_forward(const iw_conv2d_config *c, iw_shape in, iw_shape out, int batch, const float *Wt,
                            const float *bias, const float *x, float *y)
{
#if defined(__x86_64__) && defined(__GNUC__)
    if (iw_conv_use_avx512() && c->kernel <= MAX_K) {
        direct_avx512(c, in, out, batch, Wt, bias, x, y);
        return;
    }
#endif
    direct_portable(c, in, out, batch, Wt, bias, x, y);
}
