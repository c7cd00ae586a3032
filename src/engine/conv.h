/* conv.h — internals shared by the convolution files (conv2d.c, conv_direct*.c, conv_winograd*.c,
 * maxpool.c, resblock.c), their tests and the benchmark; not part of the engine's public interface.
 *
 * Layout (layer.h fixes NCHW): input x (B, Cin, H, W), output y (B, Cout, Ho, Wo), weights
 * W (Cout, Cin, k, k) then bias b (Cout) — PyTorch's nn.Conv2d order, so fixtures copy straight in.
 * Ho = (H + 2*pad - k) / stride + 1 (floor), likewise Wo.
 *
 * Three algorithms, chosen per layer in plan from the shape alone (so results depend only on the
 * inputs and the kernel path, never on timing), one for the training passes (forward + backward)
 * and one for the forward of evaluation (training = 0, no backward follows):
 *   IW_CONV_IM2COL     im2col of a chunk of examples into (Cin*k*k, nb*Ho*Wo) columns and one
 *                      product per chunk; any kernel, stride, padding (the ResNet's stride-2 and
 *                      1x1 convolutions; a 1x1 stride-1 forward multiplies x itself, no unfolding).
 *                      Stride-1 layers with at most 27 taps per output (the first layer) sum
 *                      directly instead (conv_direct*.c), their weight gradient too.
 *   IW_CONV_WINOGRAD   F(2x2, 3x3) (conv_winograd*.c) for the training passes of 3x3 stride-1
 *                      layers with Cin >= 8: 16 products per block of tiles that stay in L2,
 *                      2.25x fewer multiplications; backward through the adjoint transforms.
 *   IW_CONV_WINOGRAD4  F(4x4, 3x3) (conv_winograd4*.c) for the evaluation forward of those layers
 *                      where its products take fewer multiplications than F(2x2)'s (36 per 4x4
 *                      tile against 16 per 2x2 tile, overhanging tiles counted: every 3x3 layer of
 *                      the CNN but its last, 6x6 one), 4x fewer than direct convolution. Its error
 *                      is 4-8x F(2x2)'s (1e-6 to 3e-6 of the largest output against a double
 *                      oracle, test_engine_isa), harmless for evaluation. It does not train: on
 *                      the batch-norm CNN cases of test_conv_torch (10 steps against PyTorch,
 *                      bound 1e-4) one ReLU input within 1e-4 of zero (a batch-norm output over 8
 *                      examples) changes sign at step 8 or 9 and the final parameters move by 8e-4
 *                      to 2e-3. That is chaos, not a fault of the tile: im2col, exact, moves the same
 *                      case by 5% through one ReLU input at 1.6e-5 flipped at step 5, and F(4x4)
 *                      agrees with the double oracle on every shape, overhanging tiles included.
 *                      So training keeps F(2x2), whose trajectory the fixtures were made against.
 * A layer with a fused ReLU (iw_layer_conv2d_relu_new) applies it in the output transform and
 * masks the gradient in the output-gradient transform (Winograd), or in a pass of its own (im2col).
 *
 * Kernel paths (iw_engine_isa: the CPU's best, or IW_ENGINE_ISA): AVX-512 and AVX2 + FMA kernels
 * (function target attributes, one binary, no -march flag) and plain C / cblas_sgemm (portable).
 * Every product sums each output as one chain of fused multiply-adds in order (gemm.h: the same
 * chain on the 8x32 AVX-512 and the 6x16 AVX2 tiles), and the transforms, the first layer's
 * kernels and narrow products are the same AVX2 code on both paths (on Zen 4, whose AVX-512 is
 * double-pumped, the AVX2 transforms were the faster): the two vector paths give the same bits,
 * and the convolutions use no OpenBLAS product, so nodes of either kind agree bit for bit. The
 * portable path rounds differently (within the 1e-4 of the tests).
 */
#ifndef IW_ENGINE_CONV_H
#define IW_ENGINE_CONV_H

#include "gemm.h"
#include "layer.h"

/* IW_CONV_WINOGRAD is F(2x2, 3x3) (conv_winograd.c), IW_CONV_WINOGRAD4 F(4x4, 3x3) (conv_winograd4.c). */
typedef enum { IW_CONV_AUTO = 0, IW_CONV_IM2COL, IW_CONV_WINOGRAD, IW_CONV_WINOGRAD4 } iw_conv_algorithm;

typedef struct iw_conv2d_config {
    int out_channels, kernel, stride, pad;
    iw_conv_algorithm requested; /* AUTO unless a test forces one (then for every pass) */
    iw_conv_algorithm algorithm; /* resolved in plan: the training forward and the backward */
    iw_conv_algorithm eval_algorithm; /* resolved in plan: the forward of evaluation (no backward
                                         follows; may be WINOGRAD4 where algorithm is WINOGRAD) */
    size_t bias_offset;          /* floats from layer->params (and ->grads) to the bias; a
                                    composite layer may move biases after all its weights */
    int relu;                    /* 1: the layer outputs max(conv + bias, 0) (a ReLU fused in) */
    int pool;                    /* 1: and then its 2x2 max pooling with stride 2 (relu is 1 too) */
    int conv_h, conv_w;          /* the convolution's output (before a pooling), from plan */
    size_t mask_offset;          /* relu without a fused backward: floats of workspace before the
                                    masked output gradient (B x out) */
    int pool_fused_train, pool_fused_eval; /* the Winograd kernels pool (even outputs) */
    size_t full_offset;          /* pool otherwise: floats of workspace before the whole output */
    size_t arg_offset;           /* pool: floats of saved before the argmax indices (int32) */
    int chunk;                   /* im2col: examples per sgemm chunk (workspace bound) */
    /* Winograd geometry, set in plan */
    int tiles_h, tiles_w;        /* F(2x2): ceil(Ho/2), ceil(Wo/2) */
    int backward_blocks;         /* F(2x2) backward takes this many 32-tile blocks at once (1..8): the
                                    weight-gradient product then sums over 32*backward_blocks
                                    tiles per pass over dU, which matters when Cin*Cout is large */
    int backward_blocks4;        /* the same for F(4x4) */
} iw_conv2d_config;

/* Forces an algorithm before plan (tests compare Winograd with im2col); AUTO restores the choice. */
void iw_conv2d_set_algorithm(iw_layer *conv, iw_conv_algorithm algorithm);
/* After plan: the algorithm of the training passes, and of the evaluation forward. */
iw_conv_algorithm iw_conv2d_algorithm(const iw_layer *conv);
iw_conv_algorithm iw_conv2d_eval_algorithm(const iw_layer *conv);
/* For composite layers: the conv's bias lives at layer->params + offset instead of right after
 * its weights (set after the composite has set params/grads). */
void iw_conv2d_set_bias_offset(iw_layer *conv, size_t offset);

/* Winograd F(4x4,3x3) (conv_winograd4.c): plan sets cfg->backward_blocks4 and returns the
 * workspace in floats; `out` is the convolution's output shape; forward writes max(y, 0) when
 * relu, or with pool (Ho, Wo even) the 2x2 max pooling of that, y (B, Cout, Ho/2, Wo/2) (the
 * evaluation forward: no argmax); backward takes the layer's output y when a ReLU is fused (its
 * gradient is masked by y > 0), NULL otherwise. */
size_t iw_winograd4_plan(iw_conv2d_config *cfg, iw_shape in, iw_shape out, int max_batch);
void iw_winograd4_forward(const iw_conv2d_config *cfg, iw_shape in, iw_shape out, int batch,
                          const float *weights, const float *bias, int relu, int pool, const float *x, float *y,
                          float *workspace);
void iw_winograd4_backward(const iw_conv2d_config *cfg, iw_shape in, iw_shape out, int batch,
                           const float *weights, const float *x, const float *y, const float *dy,
                           float *dweights, float *dbias, float *dx, float *workspace);

/* Winograd F(2x2,3x3) (conv_winograd.c). iw_winograd_plan sets cfg->backward_blocks (tiles_h/w
 * set), returns the workspace in floats and sets *saved to the floats the layer keeps from the
 * forward to the backward (the transformed weights UT). `out` is the convolution's output shape.
 * Forward writes max(y, 0) when relu; with pool (relu implied, Ho and Wo even) it writes the 2x2
 * max pooling of that instead, y (B, Cout, Ho/2, Wo/2), and the argmax indices into arg when
 * non-NULL. Backward takes the layer's output y when a ReLU is fused (its gradient is masked by
 * y > 0), NULL otherwise, and with a fused pooling the pooled y and dy and the forward's arg; it
 * adds dW, db into dweights/dbias and writes dx when non-NULL. */
size_t iw_winograd_plan(iw_conv2d_config *cfg, iw_shape in, int max_batch, size_t *saved);
void iw_winograd_forward(const iw_conv2d_config *cfg, iw_shape in, iw_shape out, int batch,
                         const float *weights, const float *bias, int relu, int pool, const float *x, float *y,
                         int32_t *arg, float *saved, float *workspace);
void iw_winograd_backward(const iw_conv2d_config *cfg, iw_shape in, iw_shape out, int batch,
                          const float *saved, const float *x, const float *y, const int32_t *arg,
                          const float *dy, float *dweights, float *dbias, float *dx, float *workspace);

/* Stride-1 forward by direct summation over the taps (conv_direct.c): for layers with few input
 * channels, where im2col + sgemm would mostly copy. Any kernel size and padding; max(y, 0) when
 * cfg->relu. */
void iw_conv_direct_forward(const iw_conv2d_config *cfg, iw_shape in, iw_shape out, int batch,
                            const float *weights, const float *bias, const float *x, float *y);
/* dW += and db += of a stride-1 3x3 layer by direct sums on the AVX2 and AVX-512 paths, from dy
 * times [y > 0] when y is given (a fused ReLU; y the layer's output): returns 1 if it did the
 * work, 0 if the caller must (other kernels, or the portable path). */
int iw_conv_direct_backward_weights(const iw_conv2d_config *cfg, iw_shape in, iw_shape out, int batch,
                                    const float *x, const float *y, const float *dy, float *dweights, float *dbias);
/* Their vector kernels (conv_direct_avx2.c for the forward of both vector paths, kernel <= 16;
 * conv_direct_avx512.c and conv_direct_avx2.c for the 3x3 stride-1 weights: same bits). */
void iw_conv_direct_forward_avx2(const iw_conv2d_config *cfg, iw_shape in, iw_shape out, int batch,
                                 const float *weights, const float *bias, const float *x, float *y);
void iw_conv_direct_weights3_avx512(const iw_conv2d_config *cfg, iw_shape in, iw_shape out, int batch,
                                    const float *x, const float *y, const float *dy, float *dweights, float *dbias);
void iw_conv_direct_weights3_avx2(const iw_conv2d_config *cfg, iw_shape in, iw_shape out, int batch,
                                  const float *x, const float *y, const float *dy, float *dweights, float *dbias);

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
