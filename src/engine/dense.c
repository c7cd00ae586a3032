/* dense.c — fully connected layer, PyTorch's nn.Linear: y = x W^T + b.
 *
 *   x  (B, in)   the input of any shape (c, h, w), flattened per example (in = c*h*w)
 *   W  (out, in) row-major, as PyTorch stores Linear.weight     params[0 .. out*in)   (L2 applies)
 *   b  (out)                                                     params[out*in .. +out)
 *   y  (B, out)  per-example shape (out, 1, 1)
 *
 * Backward OVERWRITES its grads (dW with beta = 0, db by assignment), which saves the net a pass
 * zeroing them (see iw_layer_overwrites_grads):
 *   dW = dy^T x   (out, in)     db = sum_b dy   (out)     dx = dy W   (B, in)
 *
 * Products: up to OWN_MAX_BATCH examples on the AVX2 and AVX-512 paths, the engine's own kernels
 * (gemm.h: no packing, which at training batch sizes costs OpenBLAS more than the product; the
 * same bits on both paths and whatever OpenBLAS kernel a node runs): the forward as
 * y^T (out, B) = W x^T with x transposed into the workspace, dW with dy^T read in place (a strided
 * A), dx directly. Otherwise (the portable path, and larger batches such as the MLP's evaluation
 * batches of 256, where OpenBLAS's packed kernels measured 7-10% faster on Zen 4) one cblas_sgemm
 * each, the transposes folded into the call (for small batches the forward product is computed
 * transposed, see SMALL_BATCH).
 */
#include "gemm.h"
#include "layer.h"

#include <cblas.h>
#include <string.h>

/* Up to this batch the forward product is computed as y^T = W x^T and transposed: OpenBLAS 0.3.21
 * is faster in that orientation for few rows (measured for 784 -> 512: 13-30% at B = 8..16 with the
 * Haswell and SkylakeX kernels, about even at 32, 40% slower at 64, transpose included). */
#define SMALL_BATCH 32
/* Up to this batch the vector paths use the engine's own products (see above). */
#define OWN_MAX_BATCH 64

typedef struct dense_config {
    int out_features;
    int in_features; /* from plan */
} dense_config;

/* y[j] += b[j] over n values, in blocks of 16 so that GCC's -O2 vectoriser
 * takes them (no alias checks or unknown trip counts in its cheap cost model). */
static void add_vector(size_t n, float *restrict y, const float *restrict b)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (int k = 0; k < 16; k++) y[i + k] += b[i + k];
    for (; i < n; i++) y[i] += b[i];
}

static int dense_plan(iw_layer *layer, iw_shape in, int max_batch, iw_layer_sizes *sizes, iw_error *err)
{
    dense_config *cfg = layer->config;
    if (cfg->out_features < 1)
        return iw_error_set(err, "dense: output width must be >= 1, got %d", cfg->out_features);
    size_t n_in = iw_shape_size(in);
    if (n_in < 1 || n_in > (size_t)1 << 30)
        return iw_error_set(err, "dense: input of %zu features is out of range", n_in);
    cfg->in_features = (int)n_in;
    sizes->out = (iw_shape){cfg->out_features, 1, 1};
    sizes->weights = (size_t)cfg->out_features * n_in;
    sizes->params = sizes->weights + (size_t)cfg->out_features;
    sizes->buffers = 0;
    sizes->saved = 0;
    /* x^T (in, B) and y^T (out, B) for the own products, which also covers the portable path's
     * y^T at small batches */
    size_t b = (size_t)(max_batch < OWN_MAX_BATCH ? max_batch : OWN_MAX_BATCH);
    sizes->workspace = b * (n_in + (size_t)cfg->out_features);
    return 0;
}

static void dense_init(iw_layer *layer, iw_init init, iw_rng *rng)
{
    const dense_config *cfg = layer->config;
    size_t nw = (size_t)cfg->out_features * (size_t)cfg->in_features;
    iw_init_weights(layer->params, nw, cfg->in_features, init, rng);
    iw_init_biases(layer->params + nw, (size_t)cfg->out_features, cfg->in_features, init, rng);
}

/* y[b][o] = yt[o][b] + bias[o]: (out, B) -> (B, out) with the bias added in the same pass. */
static void transpose_add_bias(int B, int n_out, const float *restrict yt, const float *restrict bias,
                               float *restrict y)
{
    for (int b = 0; b < B; b++) {
        float *row = y + (size_t)b * n_out;
        for (int o = 0; o < n_out; o++) row[o] = yt[(size_t)o * B + b] + bias[o];
    }
}

static void dense_forward(iw_layer *layer, const iw_layer_ctx *ctx, const float *in, float *out)
{
    const dense_config *cfg = layer->config;
    const int B = ctx->batch, n_in = cfg->in_features, n_out = cfg->out_features;
    const float *W = layer->params, *bias = layer->params + (size_t)n_out * n_in;
    if (iw_engine_isa() != IW_ISA_PORTABLE && B <= OWN_MAX_BATCH) {
        float *xt = ctx->workspace, *yt = xt + (size_t)B * n_in;
        iw_transpose(in, B, n_in, (size_t)n_in, xt, (size_t)B);
        iw_gemm(n_out, B, n_in, W, n_in, 1, xt, B, yt, B, 0);
        iw_transpose(yt, n_out, B, (size_t)B, out, (size_t)n_out);
        for (int b = 0; b < B; b++) add_vector((size_t)n_out, out + (size_t)b * n_out, bias);
        return;
    }
    if (B <= SMALL_BATCH) {
        /* y^T (out, B) = W (out, in) · x^T into the workspace, then transpose + bias */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n_out, B, n_in, 1.0f, W, n_in, in, n_in,
                    0.0f, ctx->workspace, B);
        transpose_add_bias(B, n_out, ctx->workspace, bias, out);
        return;
    }
    /* y (B, out) = x (B, in) · W^T */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, n_out, n_in, 1.0f, in, n_in, W, n_in,
                0.0f, out, n_out);
    for (int b = 0; b < B; b++) add_vector((size_t)n_out, out + (size_t)b * n_out, bias);
}

static void dense_backward(iw_layer *layer, const iw_layer_ctx *ctx, const float *in, const float *out,
                           const float *dout, float *din)
{
    const dense_config *cfg = layer->config;
    const int B = ctx->batch, n_in = cfg->in_features, n_out = cfg->out_features;
    const float *W = layer->params;
    float *dW = layer->grads, *db = layer->grads + (size_t)n_out * n_in;
    (void)out;
    const int vector = iw_engine_isa() != IW_ISA_PORTABLE && B <= OWN_MAX_BATCH;
    /* dW (out, in) = dy^T (out, B) · x (B, in) */
    if (vector)
        iw_gemm(n_out, n_in, B, dout, 1, n_out, in, n_in, dW, n_in, 0);
    else
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n_out, n_in, B, 1.0f, dout, n_out, in, n_in,
                0.0f, dW, n_in);
    memcpy(db, dout, (size_t)n_out * sizeof *db);
    for (int b = 1; b < B; b++) add_vector((size_t)n_out, db, dout + (size_t)b * n_out);
    /* dx (B, in) = dy (B, out) · W (out, in) */
    if (din && vector)
        iw_gemm(B, n_in, n_out, dout, n_out, 1, W, n_in, din, n_in, 0);
    else if (din)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, n_in, n_out, 1.0f, dout, n_out, W,
                    n_in, 0.0f, din, n_in);
}

static const iw_layer_ops dense_ops = {
    .kind = "dense",
    .plan = dense_plan,
    .init = dense_init,
    .forward = dense_forward,
    .backward = dense_backward,
    .destroy = NULL,
};

iw_layer *iw_layer_dense_new(int out_features)
{
    iw_layer *layer = iw_layer_alloc(&dense_ops, sizeof(dense_config));
    if (layer) ((dense_config *)layer->config)->out_features = out_features;
    return layer;
}

int iw_layer_overwrites_grads(const iw_layer *layer) { return layer->ops == &dense_ops; }
