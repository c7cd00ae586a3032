/* maxpool.c — max pooling, NCHW, square kernel and stride, no padding, floor output size
 * (Ho = (H - k) / s + 1), as PyTorch's nn.MaxPool2d(k, s).
 *
 * saved: for every output value, the index (within its input plane) of the maximum, stored as
 * int32 in the float arena by a training forward (evaluation does not need it); ties go to the first
 * maximum in row-major order (PyTorch's CPU rule).
 * Backward scatters dy to those positions; dx is zero elsewhere. 2x2 windows of stride 2 (the
 * CNN's) have AVX-512 and AVX2 forwards, chosen by iw_engine_isa(); a maximum is exact, so every
 * path gives the same values and indices.
 */
#include "conv.h"

#include <string.h>

#ifdef IW_X86_KERNELS
#include <immintrin.h>

#include "simd_avx2.h"

/* 2x2 windows, stride 2, 16 outputs at a time: the even and odd columns of the two input rows
 * come from two-source permutes; the same scan order and tie rule as the plain loop. */
__attribute__((target("avx512f"))) static void
maxpool2_avx512(size_t planes, int H, int W, int Ho, int Wo, const float *x, float *y, int32_t *arg)
{
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    const __m512i lane2 = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    for (size_t pl = 0; pl < planes; pl++) {
        const float *xp = x + pl * H * W;
        for (int oy = 0; oy < Ho; oy++) {
            const float *r0 = xp + (size_t)(2 * oy) * W, *r1 = r0 + W;
            for (int ox = 0; ox < Wo; ox += 16) {
                int n = Wo - ox < 16 ? Wo - ox : 16, cols = 2 * n; /* input columns used: 2ox .. 2ox+cols */
                __mmask16 m0 = cols >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << cols) - 1);
                __mmask16 m1 = cols > 16 ? (__mmask16)((1u << (cols - 16)) - 1) : 0;
                __m512 a0 = _mm512_maskz_loadu_ps(m0, r0 + 2 * ox), a1 = _mm512_maskz_loadu_ps(m1, r0 + 2 * ox + 16);
                __m512 b0 = _mm512_maskz_loadu_ps(m0, r1 + 2 * ox), b1 = _mm512_maskz_loadu_ps(m1, r1 + 2 * ox + 16);
                __m512 v[4] = {_mm512_permutex2var_ps(a0, even, a1), _mm512_permutex2var_ps(a0, odd, a1),
                               _mm512_permutex2var_ps(b0, even, b1), _mm512_permutex2var_ps(b0, odd, b1)};
                __m512i base = _mm512_add_epi32(lane2, _mm512_set1_epi32(2 * oy * W + 2 * ox));
                int off[4] = {0, 1, W, W + 1};
                __m512 m = v[0];
                __m512i idx = base;
                for (int q = 1; q < 4; q++) {
                    __mmask16 take = _mm512_cmp_ps_mask(v[q], m, _CMP_GT_OQ) |
                                     (_mm512_cmp_ps_mask(v[q], v[q], _CMP_UNORD_Q) & _mm512_cmp_ps_mask(m, m, _CMP_ORD_Q));
                    m = _mm512_mask_blend_ps(take, m, v[q]);
                    if (arg) idx = _mm512_mask_blend_epi32(take, idx, _mm512_add_epi32(base, _mm512_set1_epi32(off[q])));
                }
                __mmask16 st = (__mmask16)((1u << n) - 1);
                size_t o = pl * Ho * Wo + (size_t)oy * Wo + ox;
                _mm512_mask_storeu_ps(y + o, st, m);
                if (arg) _mm512_mask_storeu_epi32(arg + o, st, idx);
            }
        }
    }
}

/* The same with AVX2, 8 outputs at a time (maskload for the ragged end of a row, 4/2/1-lane
 * stores from registers: store_first8 of simd_avx2.h). */
AVX2 static inline __m256 even8(__m256 x, __m256 y)
{
    __m256 t = _mm256_shuffle_ps(x, y, _MM_SHUFFLE(2, 0, 2, 0));
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(t), _MM_SHUFFLE(3, 1, 2, 0)));
}
AVX2 static inline __m256 odd8(__m256 x, __m256 y)
{
    __m256 t = _mm256_shuffle_ps(x, y, _MM_SHUFFLE(3, 1, 3, 1));
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(t), _MM_SHUFFLE(3, 1, 2, 0)));
}

AVX2 static void
maxpool2_avx2(size_t planes, int H, int W, int Ho, int Wo, const float *x, float *y, int32_t *arg)
{
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), lane2 = _mm256_add_epi32(lane, lane);
    for (size_t pl = 0; pl < planes; pl++) {
        const float *xp = x + pl * H * W;
        for (int oy = 0; oy < Ho; oy++) {
            const float *r0 = xp + (size_t)(2 * oy) * W, *r1 = r0 + W;
            for (int ox = 0; ox < Wo; ox += 8) {
                int n = Wo - ox < 8 ? Wo - ox : 8, cols = 2 * n; /* input columns used: 2ox .. 2ox+cols */
                const __m256i m0 = lanes_between(0, cols), m1 = lanes_between(0, cols - 8);
                __m256 a0 = _mm256_maskload_ps(r0 + 2 * ox, m0), a1 = _mm256_maskload_ps(r0 + 2 * ox + 8, m1);
                __m256 b0 = _mm256_maskload_ps(r1 + 2 * ox, m0), b1 = _mm256_maskload_ps(r1 + 2 * ox + 8, m1);
                __m256 v[4] = {even8(a0, a1), odd8(a0, a1), even8(b0, b1), odd8(b0, b1)};
                __m256i base = _mm256_add_epi32(lane2, _mm256_set1_epi32(2 * oy * W + 2 * ox));
                int off[4] = {0, 1, W, W + 1};
                __m256 m = v[0];
                __m256i idx = base;
                for (int q = 1; q < 4; q++) {
                    __m256 take = _mm256_or_ps(_mm256_cmp_ps(v[q], m, _CMP_GT_OQ),
                                               _mm256_and_ps(_mm256_cmp_ps(v[q], v[q], _CMP_UNORD_Q),
                                                             _mm256_cmp_ps(m, m, _CMP_ORD_Q)));
                    m = _mm256_blendv_ps(m, v[q], take);
                    if (arg)
                        idx = _mm256_castps_si256(_mm256_blendv_ps(
                            _mm256_castsi256_ps(idx),
                            _mm256_castsi256_ps(_mm256_add_epi32(base, _mm256_set1_epi32(off[q]))), take));
                }
                size_t o = pl * Ho * Wo + (size_t)oy * Wo + ox;
                store_first8(y + o, m, n);
                if (arg) store_first8((float *)(arg + o), _mm256_castsi256_ps(idx), n);
            }
        }
    }
}
#define HAVE_MAXPOOL2_X86 1
#endif

typedef struct maxpool_config {
    int kernel, stride;
} maxpool_config;

static int maxpool_plan(iw_layer *layer, iw_shape in, int max_batch, iw_layer_sizes *sizes, iw_error *err)
{
    const maxpool_config *c = layer->config;
    if (c->kernel < 1 || c->stride < 1)
        return iw_error_set(err, "maxpool: kernel and stride must be >= 1, got %d and %d", c->kernel, c->stride);
    if (in.h < c->kernel || in.w < c->kernel)
        return iw_error_set(err, "maxpool: %dx%d window does not fit the %dx%d input", c->kernel,
                            c->kernel, in.h, in.w);
    memset(sizes, 0, sizeof *sizes);
    sizes->out = (iw_shape){in.c, (in.h - c->kernel) / c->stride + 1, (in.w - c->kernel) / c->stride + 1};
    sizes->saved = iw_shape_size(sizes->out) * (size_t)max_batch;
    return 0;
}

/* Max pooling of `planes` planes H x W (k x k windows, stride s) into Ho x Wo, with the argmax
 * indices when arg is non-NULL. */
static void maxpool_planes(size_t planes, int k, int s, int H, int W, int Ho, int Wo, const float *x, float *y,
                           int32_t *arg)
{
#ifdef HAVE_MAXPOOL2_X86
    if (k == 2 && s == 2 && iw_engine_isa() == IW_ISA_AVX512) {
        maxpool2_avx512(planes, H, W, Ho, Wo, x, y, arg);
        return;
    }
    if (k == 2 && s == 2 && iw_engine_isa() == IW_ISA_AVX2) {
        maxpool2_avx2(planes, H, W, Ho, Wo, x, y, arg);
        return;
    }
#endif
    for (size_t pl = 0; pl < planes; pl++) {
        const float *xp = x + pl * H * W;
        float *yp = y + pl * Ho * Wo;
        int32_t *ap = arg ? arg + pl * Ho * Wo : NULL;
        for (int oy = 0; oy < Ho; oy++)
            for (int ox = 0; ox < Wo; ox++) {
                int best = oy * s * W + ox * s;
                float m = xp[best];
                for (int ky = 0; ky < k; ky++)
                    for (int kx = 0; kx < k; kx++) {
                        int i = (oy * s + ky) * W + ox * s + kx;
                        if (xp[i] > m || (xp[i] != xp[i] && m == m)) { /* NaN propagates */
                            m = xp[i];
                            best = i;
                        }
                    }
                yp[oy * Wo + ox] = m;
                if (ap) ap[oy * Wo + ox] = best;
            }
    }
}

void iw_maxpool2x2(size_t planes, int H, int W, const float *x, float *y, int32_t *arg)
{
    maxpool_planes(planes, 2, 2, H, W, H / 2, W / 2, x, y, arg);
}

static void maxpool_forward(iw_layer *layer, const iw_layer_ctx *ctx, const float *x, float *y)
{
    const maxpool_config *c = layer->config;
    /* backward needs the argmax only after a training forward; evaluation skips it */
    int32_t *arg = ctx->training ? (int32_t *)layer->saved : NULL;
    maxpool_planes((size_t)ctx->batch * layer->in.c, c->kernel, c->stride, layer->in.h, layer->in.w, layer->out.h,
                   layer->out.w, x, y, arg);
}

static void maxpool_backward(iw_layer *layer, const iw_layer_ctx *ctx, const float *x, const float *y,
                             const float *dy, float *dx)
{
    (void)x; (void)y;
    if (!dx) return;
    const size_t in_plane = (size_t)layer->in.h * layer->in.w, out_plane = (size_t)layer->out.h * layer->out.w;
    const size_t planes = (size_t)ctx->batch * layer->in.c;
    const int32_t *arg = (const int32_t *)layer->saved;
    memset(dx, 0, sizeof(float) * planes * in_plane);
    for (size_t pl = 0; pl < planes; pl++)
        for (size_t o = 0; o < out_plane; o++) dx[pl * in_plane + arg[pl * out_plane + o]] += dy[pl * out_plane + o];
}

static const iw_layer_ops maxpool_ops = {
    .kind = "maxpool",
    .plan = maxpool_plan,
    .init = NULL,
    .forward = maxpool_forward,
    .backward = maxpool_backward,
    .destroy = NULL,
};

iw_layer *iw_layer_maxpool_new(int kernel, int stride)
{
    iw_layer *layer = iw_layer_alloc(&maxpool_ops, sizeof(maxpool_config));
    if (!layer) return NULL;
    maxpool_config *c = layer->config;
    c->kernel = kernel;
    c->stride = stride;
    return layer;
}
