/* conv.h — internals shared by the convolution files (conv2d.c, conv_direct*.c, conv_winograd*.c,
 * maxpool.c, resblock.c), their tests and the benchmark; not part of the engine's public interface.
 *
 * Layout (layer.h fixes NCHW): input x (B, Cin, H, W), output y (B, Cout, Ho, Wo), weights
 * W (Cout, Cin, k, k) then bias b (Cout) — PyTorch's nn.Conv2d order, so fixtures copy straight in.
 * Ho = (H + 2*pad - k) / stride + 1 (floor), likewise Wo.
 *
 * Two algorithms, chosen per layer in plan from the shape alone (so results depend only on the
 * inputs and the kernel path, never on timing):
 *   IW_CONV_IM2COL    im2col of a chunk of examples into (Cin*k*k, nb*Ho*Wo) columns and one
 *                     product per chunk; any kernel, stride, padding (the ResNet's stride-2 and
 *                     1x1 convolutions; a 1x1 stride-1 forward multiplies x itself, no unfolding).
 *                     Stride-1 layers with at most 27 taps per output (the first layer) sum
 *                     directly instead (conv_direct*.c), their weight gradient too.
 *   IW_CONV_WINOGRAD  F(2x2, 3x3) for 3x3 stride-1 convolutions with Cin >= 8: per block of 32
 *                     output tiles, 16 products (Cout x Cin) x (Cin x 32) that stay in L2,
 *                     2.25x fewer multiplications; backward through the adjoint transforms
 *                     (conv_winograd*.c). A larger tile, F(4x4, 3x3), measured 10% faster on the
 *                     CNN's evaluation but moved a 10-step batch-norm training of test_conv_torch
 *                     by 5% (its rounding, 30x F(2x2)'s, grows through the chaotic steps): not used.
 *
 * Kernel paths (iw_engine_isa: the CPU's best, or IW_ENGINE_ISA): AVX-512 and AVX2 + FMA kernels
 * (function target attributes, one binary, no -march flag) and plain C / cblas_sgemm (portable).
 * The AVX2 kernels repeat the AVX-512 ones value for value (the same fused multiply-add chain per
 * output in every product, gemm.h; the same transform arithmetic and the same grouping of the sums
 * into dx, db and dW), and some kernels serve both paths (the first layer's forward, narrow
 * products): the two vector paths give the same bits, and the convolutions use no OpenBLAS product,
 * so nodes of either kind agree bit for bit. The portable path rounds differently (within the 1e-4
 * of the tests).
 */
#ifndef IW_ENGINE_CONV_H
#define IW_ENGINE_CONV_H

#include "gemm.h"
#include "layer.h"

typedef enum { IW_CONV_AUTO = 0, IW_CONV_IM2COL, IW_CONV_WINOGRAD } iw_conv_algorithm;

typedef struct iw_conv2d_config {
    int out_channels, kernel, stride, pad;
    iw_conv_algorithm requested; /* AUTO unless a test forces one */
    iw_conv_algorithm algorithm; /* resolved in plan */
    size_t bias_offset;          /* floats from layer->params (and ->grads) to the bias; a
                                    composite layer may move biases after all its weights */
    int chunk;                   /* im2col: examples per sgemm chunk (workspace bound) */
    /* Winograd geometry, set in plan when algorithm == WINOGRAD */
    int tiles_h, tiles_w;        /* ceil(Ho/2), ceil(Wo/2) */
    int backward_blocks;         /* backward takes this many 32-tile blocks at once (1..8): the
                                    weight-gradient product then sums over 32*backward_blocks
                                    tiles per pass over dU, which matters when Cin*Cout is large */
} iw_conv2d_config;

/* Forces an algorithm before plan (tests compare Winograd with im2col); AUTO restores the choice. */
void iw_conv2d_set_algorithm(iw_layer *conv, iw_conv_algorithm algorithm);
/* After plan: the algorithm in use. */
iw_conv_algorithm iw_conv2d_algorithm(const iw_layer *conv);
/* For composite layers: the conv's bias lives at layer->params + offset instead of right after
 * its weights (set after the composite has set params/grads). */
void iw_conv2d_set_bias_offset(iw_layer *conv, size_t offset);

/* Winograd F(2x2,3x3) (conv_winograd.c). iw_winograd_plan sets cfg->backward_blocks (tiles_h/w
 * set) and returns the workspace in floats. */
size_t iw_winograd_plan(iw_conv2d_config *cfg, iw_shape in, int max_batch);
void iw_winograd_forward(const iw_conv2d_config *cfg, iw_shape in, iw_shape out, int batch,
                         const float *weights, const float *bias, const float *x, float *y,
                         float *workspace);
/* Adds dW, db into dweights/dbias; writes dx when non-NULL. */
void iw_winograd_backward(const iw_conv2d_config *cfg, iw_shape in, iw_shape out, int batch,
                          const float *weights, const float *x, const float *dy, float *dweights,
                          float *dbias, float *dx, float *workspace);

/* Stride-1 forward by direct summation over the taps (conv_direct.c): for layers with few input
 * channels, where im2col + sgemm would mostly copy. Any kernel size and padding. */
void iw_conv_direct_forward(const iw_conv2d_config *cfg, iw_shape in, iw_shape out, int batch,
                            const float *weights, const float *bias, const float *x, float *y);
/* dW += and db += of a stride-1 3x3 layer by direct sums on the AVX2 and AVX-512 paths: returns 1
 * if it did the work, 0 if the caller must (other kernels, or the portable path). */
int iw_conv_direct_backward_weights(const iw_conv2d_config *cfg, iw_shape in, iw_shape out, int batch,
                                    const float *x, const float *dy, float *dweights, float *dbias);
/* Their vector kernels (conv_direct_avx2.c for the forward of both vector paths, kernel <= 16;
 * conv_direct_avx512.c and conv_direct_avx2.c for the 3x3 stride-1 weights: same bits). */
void iw_conv_direct_forward_avx2(const iw_conv2d_config *cfg, iw_shape in, iw_shape out, int batch,
                                 const float *weights, const float *bias, const float *x, float *y);
void iw_conv_direct_weights3_avx512(const iw_conv2d_config *cfg, iw_shape in, iw_shape out, int batch,
                                    const float *x, const float *dy, float *dweights, float *dbias);
void iw_conv_direct_weights3_avx2(const iw_conv2d_config *cfg, iw_shape in, iw_shape out, int batch,
                                  const float *x, const float *dy, float *dweights, float *dbias);

#ifdef IW_X86_KERNELS
#include <immintrin.h>
/* The sum of 16 lanes lo (0..7) | hi (8..15) in one fixed order, shared by the AVX2 and AVX-512
 * kernels so that their reductions agree: ((hi + lo) halves added, then pairs) — the order of
 * GCC 12's _mm512_reduce_add_ps, written out so that it cannot change with the compiler. */
__attribute__((target("avx2"))) static inline float iw_reduce16_avx2(__m256 lo, __m256 hi)
{
    __m256 t3 = _mm256_add_ps(hi, lo);
    __m128 t6 = _mm_add_ps(_mm256_extractf128_ps(t3, 1), _mm256_castps256_ps128(t3));
    __m128 t8 = _mm_add_ps(t6, _mm_shuffle_ps(t6, t6, _MM_SHUFFLE(1, 0, 3, 2)));
    return _mm_cvtss_f32(_mm_add_ss(t8, _mm_shuffle_ps(t8, t8, _MM_SHUFFLE(1, 1, 1, 1))));
}
#endif

/* What the convolution kernels run now, e.g. "AVX2+FMA (6x16 products, AVX2 transforms)" (benchmarks). */
const char *iw_conv_kernels(void);

#endif
