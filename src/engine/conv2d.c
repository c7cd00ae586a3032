/* conv2d.c — 2-D convolution layer (stride, zero padding), NCHW, weights (Cout, Cin, k, k) + bias.
 *
 * The im2col path handles every shape: a chunk of nb examples is unfolded into columns
 *   cols (K = Cin*k*k, N = nb*Ho*Wo),  cols[(ci*k + ky)*k + kx][j*P + p] = x[j][ci][oy*s+ky-pad][ox*s+kx-pad]
 * then one product  Y (Cout, N) = W (Cout, K) x cols  per chunk, scattered back to NCHW with the bias.
 * Backward per chunk: dW += dY cols^T, dcols = W^T dY, col2im adds dcols into dx.
 * The products are the engine's own on the AVX2 and AVX-512 paths (gemm.h; dW after transposing
 * cols, since both of its operands run along N), cblas_sgemm on the portable path. A 1x1 stride-1
 * convolution needs no unfolding: its forward is one product per example on x itself.
 * 3x3 stride-1 convolutions with enough input channels go through Winograd instead (conv.h:
 * F(2x2) for training, F(4x4) for the evaluation forward where it saves work); the forward of a
 * stride-1 layer with at most 27 taps per output (the first layer) sums directly (conv_direct.c).
 * A fused ReLU (iw_layer_conv2d_relu_new) is applied by the Winograd kernels themselves, and by a
 * pass over y (forward) and over dy into the workspace (backward) on the other algorithms.
 * Workspace is sized in plan for the largest chunk (cols, Y, and cols^T for the vector paths) and
 * for both algorithms of the layer; nothing is allocated per step.
 */
#include "conv.h"

#include <cblas.h>
#include <string.h>

#define CONV_WORKSPACE_FLOATS ((size_t)1 << 22) /* per-chunk budget: 16 MB */
#define DIRECT_MAX_TAPS 27 /* stride-1 forward with Cin*k*k <= this sums taps directly */

static int conv_out_size(int n, int k, int s, int pad) { return (n + 2 * pad - k) / s + 1; }

/* The convolution's own output shape (the layer's output is its pooling when c->pool). */
static iw_shape conv_shape(const iw_layer *layer)
{
    const iw_conv2d_config *c = layer->config;
    return (iw_shape){c->out_channels, c->conv_h, c->conv_w};
}

/* x (nb, Cin, H, W) -> cols (Cin*k*k, nb*P); zeros where the window leaves the padded image. */
static void im2col(const iw_conv2d_config *c, iw_shape in, iw_shape out, int nb, const float *x,
                   float *cols)
{
    const int k = c->kernel, s = c->stride, pad = c->pad, H = in.h, W = in.w;
    const int Ho = out.h, Wo = out.w, P = Ho * Wo;
    const size_t N = (size_t)nb * P, in_size = iw_shape_size(in);
    for (int ci = 0; ci < in.c; ci++)
        for (int ky = 0; ky < k; ky++)
            for (int kx = 0; kx < k; kx++) {
                float *row = cols + ((size_t)(ci * k + ky) * k + kx) * N;
                for (int j = 0; j < nb; j++) {
                    const float *plane = x + j * in_size + (size_t)ci * H * W;
                    float *dst = row + (size_t)j * P;
                    for (int oy = 0; oy < Ho; oy++) {
                        int iy = oy * s + ky - pad;
                        float *d = dst + oy * Wo;
                        if (iy < 0 || iy >= H) {
                            memset(d, 0, sizeof(float) * Wo);
                            continue;
                        }
                        const float *src = plane + iy * W;
                        if (s == 1) {
                            int ox0 = pad - kx > 0 ? pad - kx : 0;           /* first ix >= 0 */
                            int ox1 = W + pad - kx < Wo ? W + pad - kx : Wo; /* first ix >= W */
                            if (ox1 < ox0) ox1 = ox0;
                            for (int ox = 0; ox < ox0; ox++) d[ox] = 0.0f;
                            memcpy(d + ox0, src + ox0 + kx - pad, sizeof(float) * (ox1 - ox0));
                            for (int ox = ox1; ox < Wo; ox++) d[ox] = 0.0f;
                        } else {
                            for (int ox = 0; ox < Wo; ox++) {
                                int ix = ox * s + kx - pad;
                                d[ox] = (ix >= 0 && ix < W) ? src[ix] : 0.0f;
                            }
                        }
                    }
                }
            }
}

/* dx (nb, Cin, H, W) += fold(dcols); the adjoint of im2col. */
static void col2im_add(const iw_conv2d_config *c, iw_shape in, iw_shape out, int nb,
                       const float *cols, float *dx)
{
    const int k = c->kernel, s = c->stride, pad = c->pad, H = in.h, W = in.w;
    const int Ho = out.h, Wo = out.w, P = Ho * Wo;
    const size_t N = (size_t)nb * P, in_size = iw_shape_size(in);
    for (int ci = 0; ci < in.c; ci++)
        for (int ky = 0; ky < k; ky++)
            for (int kx = 0; kx < k; kx++) {
                const float *row = cols + ((size_t)(ci * k + ky) * k + kx) * N;
                for (int j = 0; j < nb; j++) {
                    float *plane = dx + j * in_size + (size_t)ci * H * W;
                    const float *src = row + (size_t)j * P;
                    for (int oy = 0; oy < Ho; oy++) {
                        int iy = oy * s + ky - pad;
                        if (iy < 0 || iy >= H) continue;
                        float *d = plane + iy * W;
                        const float *sr = src + oy * Wo;
                        for (int ox = 0; ox < Wo; ox++) {
                            int ix = ox * s + kx - pad;
                            if (ix >= 0 && ix < W) d[ix] += sr[ox];
                        }
                    }
                }
            }
}

/* The Winograd tile for a 3x3 stride-1 layer: F(4x4) when its products take fewer multiplications
 * than F(2x2)'s (36 per 4x4 tile against 16 per 2x2 tile, counting the tiles that overhang the
 * output), F(2x2) otherwise, e.g. for a 6x6 output, where the two tie. From the shape alone. */
static iw_conv_algorithm winograd_tile_choice(iw_shape out)
{
    long f2 = 16L * ((out.h + 1) / 2) * ((out.w + 1) / 2), f4 = 36L * ((out.h + 3) / 4) * ((out.w + 3) / 4);
    return f4 < f2 ? IW_CONV_WINOGRAD4 : IW_CONV_WINOGRAD;
}

static int conv_plan(iw_layer *layer, iw_shape in, int max_batch, iw_layer_sizes *sizes, iw_error *err)
{
    iw_conv2d_config *c = layer->config;
    const int k = c->kernel;
    if (c->out_channels < 1 || k < 1 || c->stride < 1 || c->pad < 0)
        return iw_error_set(err, "conv2d: need out_channels, kernel, stride >= 1 and padding >= 0, "
                            "got %d, %d, %d, %d", c->out_channels, k, c->stride, c->pad);
    if (in.c < 1 || in.h < 1 || in.w < 1)
        return iw_error_set(err, "conv2d: bad input shape (%d, %d, %d)", in.c, in.h, in.w);
    if (in.h + 2 * c->pad < k || in.w + 2 * c->pad < k)
        return iw_error_set(err, "conv2d: %dx%d kernel does not fit the %dx%d input (padding %d)",
                            k, k, in.h, in.w, c->pad);
    iw_shape out = {c->out_channels, conv_out_size(in.h, k, c->stride, c->pad),
                    conv_out_size(in.w, k, c->stride, c->pad)};
    if (c->pool && (out.h < 2 || out.w < 2))
        return iw_error_set(err, "conv2d: a %dx%d output has no 2x2 window to pool", out.h, out.w);
    size_t nw = (size_t)c->out_channels * in.c * k * k;
    memset(sizes, 0, sizeof *sizes);
    c->conv_h = out.h;
    c->conv_w = out.w;
    sizes->out = c->pool ? (iw_shape){out.c, out.h / 2, out.w / 2} : out;
    sizes->positions = (size_t)out.h * out.w;
    sizes->params = nw + (size_t)c->out_channels;
    sizes->weights = nw;
    c->bias_offset = nw;

    int wino_ok = k == 3 && c->stride == 1 && c->pad <= 2;
    c->algorithm = c->eval_algorithm = c->requested;
    if (c->requested == IW_CONV_AUTO) {
        c->algorithm = wino_ok && in.c >= 8 ? IW_CONV_WINOGRAD : IW_CONV_IM2COL;
        c->eval_algorithm = c->algorithm == IW_CONV_WINOGRAD ? winograd_tile_choice(out) : c->algorithm;
    }
    if ((c->requested == IW_CONV_WINOGRAD || c->requested == IW_CONV_WINOGRAD4) && !wino_ok)
        return iw_error_set(err, "conv2d: Winograd needs a 3x3 stride-1 kernel with padding <= 2");

    sizes->workspace = 0;
    c->chunk = 0;
    if (c->algorithm == IW_CONV_WINOGRAD || c->eval_algorithm == IW_CONV_WINOGRAD) {
        c->tiles_h = (out.h + 1) / 2;
        c->tiles_w = (out.w + 1) / 2;
        sizes->workspace = iw_winograd_plan(c, in, max_batch, &sizes->saved);
    }
    if (c->algorithm == IW_CONV_WINOGRAD4 || c->eval_algorithm == IW_CONV_WINOGRAD4) {
        size_t ws = iw_winograd4_plan(c, in, out, max_batch);
        if (ws > sizes->workspace) sizes->workspace = ws;
    }
    if (c->algorithm == IW_CONV_IM2COL) { /* cols, Y and (vector paths, whichever path runs later) cols^T */
        size_t per_example = (size_t)(2 * in.c * k * k + c->out_channels) * out.h * out.w;
        size_t nb = CONV_WORKSPACE_FLOATS / per_example;
        if (nb < 1) nb = 1;
        if (nb > (size_t)max_batch) nb = (size_t)max_batch;
        c->chunk = (int)nb;
        if (per_example * nb > sizes->workspace) sizes->workspace = per_example * nb;
    }
    /* a fused ReLU whose backward is not fused: the masked output gradient after the rest */
    c->mask_offset = sizes->workspace;
    if (c->relu && c->algorithm == IW_CONV_IM2COL) sizes->workspace += iw_shape_size(out) * (size_t)max_batch;
    /* a fused pooling: the Winograd kernels pool as they write (even outputs); the other passes
     * write the whole output, or its gradient, after the rest and pool from there */
    const int even = out.h % 2 == 0 && out.w % 2 == 0;
    c->pool_fused_train = c->pool && even && c->algorithm == IW_CONV_WINOGRAD;
    c->pool_fused_eval = c->pool && even && (c->eval_algorithm == IW_CONV_WINOGRAD || c->eval_algorithm == IW_CONV_WINOGRAD4);
    c->full_offset = sizes->workspace;
    if (c->pool && !(c->pool_fused_train && c->pool_fused_eval))
        sizes->workspace += iw_shape_size(out) * (size_t)max_batch;
    c->arg_offset = sizes->saved;
    if (c->pool) sizes->saved += iw_shape_size(sizes->out) * (size_t)max_batch; /* int32 argmax indices */
    return 0;
}

static void conv_init(iw_layer *layer, iw_init init, iw_rng *rng)
{
    iw_conv2d_config *c = layer->config;
    int fan_in = layer->in.c * c->kernel * c->kernel;
    iw_init_weights(layer->params, layer->n_weights, fan_in, init, rng);
    iw_init_biases(layer->params + c->bias_offset, (size_t)c->out_channels, fan_in, init, rng);
}

/* y = conv(x) + bias by im2col (a 1x1 stride-1 layer without unfolding). */
static void conv_forward_linear(iw_layer *layer, const iw_layer_ctx *ctx, const float *x, float *y)
{
    const iw_conv2d_config *c = layer->config;
    const iw_shape in = layer->in, out = conv_shape(layer);
    const float *Wt = layer->params, *bias = layer->params + c->bias_offset;
    const int Cout = c->out_channels, K = in.c * c->kernel * c->kernel, P = out.h * out.w;
    const size_t in_size = iw_shape_size(in), out_size = iw_shape_size(out);
    const int vector = iw_engine_isa() != IW_ISA_PORTABLE;
    if (vector && c->kernel == 1 && c->stride == 1 && c->pad == 0) { /* y_j (Cout, P) = W (Cout, Cin) x_j (Cin, P) */
        for (int j = 0; j < ctx->batch; j++) {
            float *yj = y + (size_t)j * out_size;
            iw_gemm(Cout, P, in.c, Wt, in.c, 1, x + (size_t)j * in_size, P, yj, P, 0);
            for (int co = 0; co < Cout; co++) {
                float *d = yj + (size_t)co * P;
                const float bc = bias[co];
                for (int p = 0; p < P; p++) d[p] += bc;
            }
        }
        return;
    }
    for (int b0 = 0; b0 < ctx->batch; b0 += c->chunk) {
        int nb = ctx->batch - b0 < c->chunk ? ctx->batch - b0 : c->chunk;
        int N = nb * P;
        float *cols = ctx->workspace, *tmp = cols + (size_t)K * N;
        im2col(c, in, out, nb, x + b0 * in_size, cols);
        if (vector)
            iw_gemm(Cout, N, K, Wt, K, 1, cols, N, tmp, N, 0);
        else
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Cout, N, K, 1.0f, Wt, K, cols, N, 0.0f, tmp, N);
        for (int j = 0; j < nb; j++)
            for (int co = 0; co < Cout; co++) {
                float *d = y + (b0 + j) * out_size + (size_t)co * P;
                const float *s = tmp + (size_t)co * N + (size_t)j * P;
                const float bc = bias[co];
                for (int p = 0; p < P; p++) d[p] = s[p] + bc;
            }
    }
}

/* y = conv(x) + bias, max(., 0) when the layer has a ReLU, by `alg`: the convolution's whole output
 * (no pooling). */
static void conv_forward_full(iw_layer *layer, const iw_layer_ctx *ctx, iw_conv_algorithm alg, const float *x,
                              float *y)
{
    const iw_conv2d_config *c = layer->config;
    const iw_shape in = layer->in, out = conv_shape(layer);
    const int relu = c->relu || c->pool;
    const float *Wt = layer->params, *bias = layer->params + c->bias_offset;
    if (alg == IW_CONV_WINOGRAD4) {
        iw_winograd4_forward(c, in, out, ctx->batch, Wt, bias, relu, 0, x, y, ctx->workspace);
        return;
    }
    if (alg == IW_CONV_WINOGRAD) {
        iw_winograd_forward(c, in, out, ctx->batch, Wt, bias, relu, 0, x, y, NULL, layer->saved, ctx->workspace);
        return;
    }
    if (c->stride == 1 && in.c * c->kernel * c->kernel <= DIRECT_MAX_TAPS) { /* applies the ReLU itself */
        iw_conv_direct_forward(c, in, out, ctx->batch, Wt, bias, x, y);
        return;
    }
    conv_forward_linear(layer, ctx, x, y);
    if (relu) iw_relu_inplace((size_t)ctx->batch * iw_shape_size(out), y);
}

static void conv_forward(iw_layer *layer, const iw_layer_ctx *ctx, const float *x, float *y)
{
    const iw_conv2d_config *c = layer->config;
    const iw_conv_algorithm alg = ctx->training ? c->algorithm : c->eval_algorithm;
    if (!c->pool) {
        conv_forward_full(layer, ctx, alg, x, y);
        return;
    }
    /* the pooling's argmax, for the backward of a training forward */
    int32_t *arg = ctx->training ? (int32_t *)(layer->saved + c->arg_offset) : NULL;
    const iw_shape out = conv_shape(layer);
    const float *Wt = layer->params, *bias = layer->params + c->bias_offset;
    if ((ctx->training ? c->pool_fused_train : c->pool_fused_eval) && alg == IW_CONV_WINOGRAD) {
        iw_winograd_forward(c, layer->in, out, ctx->batch, Wt, bias, 1, 1, x, y, arg, layer->saved, ctx->workspace);
        return;
    }
    if ((ctx->training ? c->pool_fused_train : c->pool_fused_eval) && alg == IW_CONV_WINOGRAD4 && !arg) {
        iw_winograd4_forward(c, layer->in, out, ctx->batch, Wt, bias, 1, 1, x, y, ctx->workspace);
        return;
    }
    float *full = ctx->workspace + c->full_offset;
    conv_forward_full(layer, ctx, alg, x, full);
    iw_maxpool2x2((size_t)ctx->batch * out.c, out.h, out.w, full, y, arg);
}

/* dW, db (added) and dx (written, when non-NULL) from dy, the gradient of conv(x) + bias. */
static void conv_backward_linear(iw_layer *layer, const iw_layer_ctx *ctx, const float *x, const float *dy,
                                 float *dx)
{
    const iw_conv2d_config *c = layer->config;
    const iw_shape in = layer->in, out = conv_shape(layer);
    const float *Wt = layer->params;
    float *dW = layer->grads, *db = layer->grads + c->bias_offset;
    const int Cout = c->out_channels, K = in.c * c->kernel * c->kernel, P = out.h * out.w;
    const size_t in_size = iw_shape_size(in), out_size = iw_shape_size(out);
    if (dx) memset(dx, 0, sizeof(float) * in_size * ctx->batch);
    const int vector = iw_engine_isa() != IW_ISA_PORTABLE;
    for (int b0 = 0; b0 < ctx->batch; b0 += c->chunk) {
        int nb = ctx->batch - b0 < c->chunk ? ctx->batch - b0 : c->chunk;
        int N = nb * P;
        float *cols = ctx->workspace, *dtmp = cols + (size_t)K * N;
        /* dY (Cout, N) gathered from NCHW; the bias gradient on the way */
        for (int j = 0; j < nb; j++)
            for (int co = 0; co < Cout; co++) {
                const float *s = dy + (b0 + j) * out_size + (size_t)co * P;
                float *d = dtmp + (size_t)co * N + (size_t)j * P;
                float sum = 0.0f;
                for (int p = 0; p < P; p++) {
                    d[p] = s[p];
                    sum += s[p];
                }
                db[co] += sum;
            }
        im2col(c, in, out, nb, x + b0 * in_size, cols);
        if (vector) {
            /* dW (Cout, K) += dY (Cout, N) cols^T (N, K), with cols^T laid out after dY */
            float *cols_t = dtmp + (size_t)Cout * N;
            iw_transpose(cols, K, N, (size_t)N, cols_t, (size_t)K);
            iw_gemm(Cout, K, N, dtmp, N, 1, cols_t, K, dW, K, 1);
            if (dx) { /* dcols (K, N) = W^T (K, Cout) dY (Cout, N): W read as a transposed A */
                iw_gemm(K, N, Cout, Wt, 1, K, dtmp, N, cols, N, 0);
                col2im_add(c, in, out, nb, cols, dx + b0 * in_size);
            }
            continue;
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Cout, K, N, 1.0f, dtmp, N, cols, N,
                    1.0f, dW, K);
        if (dx) {
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, N, Cout, 1.0f, Wt, K, dtmp, N,
                        0.0f, cols, N);
            col2im_add(c, in, out, nb, cols, dx + b0 * in_size);
        }
    }
}

/* The backward of conv(x) + bias from dy, the gradient of the convolution's whole output, masked
 * by ymask > 0 when ymask is non-NULL (a fused ReLU; ymask the whole output). */
static void conv_backward_full(iw_layer *layer, const iw_layer_ctx *ctx, const float *x, const float *ymask,
                               const float *dy, float *dx)
{
    const iw_conv2d_config *c = layer->config;
    const iw_shape in = layer->in, out = conv_shape(layer);
    float *dW = layer->grads, *db = layer->grads + c->bias_offset;
    if (c->algorithm == IW_CONV_WINOGRAD4) {
        iw_winograd4_backward(c, in, out, ctx->batch, layer->params, x, ymask, dy, dW, db, dx, ctx->workspace);
        return;
    }
    if (c->algorithm == IW_CONV_WINOGRAD) {
        iw_winograd_backward(c, in, out, ctx->batch, layer->saved, x, ymask, NULL, dy, dW, db, dx, ctx->workspace);
        return;
    }
    if (!dx && c->stride == 1 && in.c * c->kernel * c->kernel <= DIRECT_MAX_TAPS &&
        iw_conv_direct_backward_weights(c, in, out, ctx->batch, x, ymask, dy, dW, db))
        return;
    if (ymask) { /* the ReLU's gradient first, into the workspace's tail */
        float *masked = ctx->workspace + c->mask_offset;
        iw_relu_grad((size_t)ctx->batch * iw_shape_size(out), ymask, dy, masked);
        dy = masked;
    }
    conv_backward_linear(layer, ctx, x, dy, dx);
}

static void conv_backward(iw_layer *layer, const iw_layer_ctx *ctx, const float *x, const float *y,
                          const float *dy, float *dx)
{
    const iw_conv2d_config *c = layer->config;
    if (!c->pool) {
        conv_backward_full(layer, ctx, x, c->relu ? y : NULL, dy, dx);
        return;
    }
    const int32_t *arg = (const int32_t *)(layer->saved + c->arg_offset);
    const iw_shape out = conv_shape(layer);
    if (c->pool_fused_train) {
        iw_winograd_backward(c, layer->in, out, ctx->batch, layer->saved, x, y, arg, dy, layer->grads,
                             layer->grads + c->bias_offset, dx, ctx->workspace);
        return;
    }
    /* the maxpool layer's backward (0 + dy at each window's argmax, zeros elsewhere) with the
     * ReLU's mask (the pooled y is the ReLU's output at the argmax) */
    float *full = ctx->workspace + c->full_offset;
    const size_t pooled = iw_shape_size(layer->out), planes = (size_t)ctx->batch * out.c;
    const size_t in_plane = (size_t)out.h * out.w, out_plane = pooled / out.c;
    memset(full, 0, sizeof(float) * planes * in_plane);
    for (size_t pl = 0; pl < planes; pl++)
        for (size_t o = 0; o < out_plane; o++) {
            const size_t i = pl * out_plane + o;
            full[pl * in_plane + arg[i]] += y[i] > 0.0f ? dy[i] : 0.0f;
        }
    conv_backward_full(layer, ctx, x, NULL, full, dx);
}

static const iw_layer_ops conv2d_ops = {
    .kind = "conv2d",
    .plan = conv_plan,
    .init = conv_init,
    .forward = conv_forward,
    .backward = conv_backward,
    .destroy = NULL,
};

iw_layer *iw_layer_conv2d_new(int out_channels, int kernel, int stride, int pad)
{
    iw_layer *layer = iw_layer_alloc(&conv2d_ops, sizeof(iw_conv2d_config));
    if (!layer) return NULL;
    iw_conv2d_config *c = layer->config;
    c->out_channels = out_channels;
    c->kernel = kernel;
    c->stride = stride;
    c->pad = pad;
    c->requested = IW_CONV_AUTO;
    return layer;
}

iw_layer *iw_layer_conv2d_relu_new(int out_channels, int kernel, int stride, int pad)
{
    iw_layer *layer = iw_layer_conv2d_new(out_channels, kernel, stride, pad);
    if (layer) ((iw_conv2d_config *)layer->config)->relu = 1;
    return layer;
}

iw_layer *iw_layer_conv2d_relu_pool_new(int out_channels, int kernel, int stride, int pad)
{
    iw_layer *layer = iw_layer_conv2d_relu_new(out_channels, kernel, stride, pad);
    if (layer) ((iw_conv2d_config *)layer->config)->pool = 1;
    return layer;
}

void iw_conv2d_set_algorithm(iw_layer *conv, iw_conv_algorithm algorithm)
{
    ((iw_conv2d_config *)conv->config)->requested = algorithm;
}

iw_conv_algorithm iw_conv2d_algorithm(const iw_layer *conv)
{
    return ((const iw_conv2d_config *)conv->config)->algorithm;
}

iw_conv_algorithm iw_conv2d_eval_algorithm(const iw_layer *conv)
{
    return ((const iw_conv2d_config *)conv->config)->eval_algorithm;
}

void iw_conv2d_set_bias_offset(iw_layer *conv, size_t offset)
{
    ((iw_conv2d_config *)conv->config)->bias_offset = offset;
}

const char *iw_conv_kernels(void)
{
    switch (iw_engine_isa()) {
    case IW_ISA_AVX512: return "AVX-512 (8x32 products, AVX2 transforms)";
    case IW_ISA_AVX2: return "AVX2+FMA (6x16 products, AVX2 transforms)";
    default: return "portable (cblas_sgemm products, plain C transforms)";
    }
}
