/* conv_direct_avx512.c — the AVX-512 kernel of conv_direct.c (which has the contract) for the
 * first layer's 3x3 weight gradient (the forward of both vector paths is conv_direct_avx2.c's).
 *
 * Nine accumulators, one per tap, over 16-column chunks of each output row, for every example;
 * summed across lanes at the end of each (co, ci) by iw_reduce16_avx2's tree. The AVX2 kernel
 * (conv_direct_avx2.c) repeats the chains lane for lane: the same bits.
 * Compiled for avx512f through function attributes; called only when iw_engine_isa() is
 * IW_ISA_AVX512.
 */
#include "conv.h"

#include <stdint.h>

#ifdef IW_X86_KERNELS
#include <immintrin.h>


/* Lanes l with 0 <= s + l < n. */
static __mmask16 span_mask(int s, int n)
{
    int lo = s < 0 ? -s : 0, hi = n - s < 16 ? n - s : 16;
    if (hi <= lo) return 0;
    return (__mmask16)((((uint32_t)1 << hi) - 1) & ~(((uint32_t)1 << lo) - 1));
}

/* The sum of the 16 lanes in a fixed order (GCC 12's _mm512_reduce_add_ps, written out so that it
 * cannot change with the compiler, and so that the AVX2 kernel can repeat it: conv.h). */
__attribute__((target("avx512f"))) static inline float reduce16(__m512 v)
{
    return iw_reduce16_avx2(_mm512_castps512_ps256(v), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
}

/* dW (Cout, Cin, 3, 3) += sum over examples and outputs of dy (x) shifted input; db += sum dy.
 * Nine accumulators, one per tap, over 16-column chunks of each output row; summed across
 * lanes at the end of each (co, ci). */
__attribute__((target("avx512f,fma"))) void
iw_conv_direct_weights3_avx512(const iw_conv2d_config *c, iw_shape in, iw_shape out, int batch, const float *x,
                       const float *y, const float *dy, float *dW, float *db)
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
                    const float *yp = y ? y + j * out_size + co * P + ox0 : NULL;
                    for (int oy = 0; oy < Ho; oy++) {
                        __m512 g = _mm512_maskz_loadu_ps(lanes, gp + (size_t)oy * Wo);
                        if (yp) /* the fused ReLU's mask: lanes where y > 0 keep g, the others +0 */
                            g = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(_mm512_maskz_loadu_ps(lanes, yp + (size_t)oy * Wo),
                                                                       _mm512_setzero_ps(), _CMP_GT_OQ), g);
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
            w[0] += reduce16(a0);
            w[1] += reduce16(a1);
            w[2] += reduce16(a2);
            w[3] += reduce16(a3);
            w[4] += reduce16(a4);
            w[5] += reduce16(a5);
            w[6] += reduce16(a6);
            w[7] += reduce16(a7);
            w[8] += reduce16(a8);
        }
        db[co] += reduce16(bsum);
    }
}
#else
void iw_conv_direct_weights3_avx512(const iw_conv2d_config *c, iw_shape in, iw_shape out, int batch, const float *x,
                                    const float *y, const float *dy, float *dW, float *db)
{
    (void)c; (void)in; (void)out; (void)batch; (void)x; (void)y; (void)dy; (void)dW; (void)db;
}
#endif
