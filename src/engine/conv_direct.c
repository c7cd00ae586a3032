/* conv_direct.c — stride-1 convolution forward by direct summation over the kernel taps, for
 * layers with few input channels (the first layer: 9 or 27 taps per output, where im2col + sgemm
 * spends its time copying). NCHW, weights (Cout, Cin, k, k), zero padding `pad`.
 *
 * AVX-512 version: one output row of 16-column chunks stays in registers while every tap adds
 * w * (input row shifted by kx), the shifted rows read with masked loads (the masks give the zero
 * padding); plain C version otherwise. The taps are summed in the same order in both.
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
#endif

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
