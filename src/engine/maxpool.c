/* maxpool.c — max pooling, NCHW, square kernel and stride, no padding, floor output size
 * (Ho = (H - k) / s + 1), as PyTorch's nn.MaxPool2d(k, s).
 *
 * saved: for every output value, the index (within its input plane) of the maximum, stored as
 * int32 in the float arena; ties go to the first maximum in row-major order (PyTorch's CPU rule).
 * Backward scatters dy to those positions; dx is zero elsewhere.
 */
#include "layer.h"

#include <string.h>

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

static void maxpool_forward(iw_layer *layer, const iw_layer_ctx *ctx, const float *x, float *y)
{
    const maxpool_config *c = layer->config;
    const int k = c->kernel, s = c->stride, H = layer->in.h, W = layer->in.w;
    const int Ho = layer->out.h, Wo = layer->out.w;
    int32_t *arg = (int32_t *)layer->saved;
    const size_t planes = (size_t)ctx->batch * layer->in.c;
    for (size_t pl = 0; pl < planes; pl++) {
        const float *xp = x + pl * H * W;
        float *yp = y + pl * Ho * Wo;
        int32_t *ap = arg + pl * Ho * Wo;
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
                ap[oy * Wo + ox] = best;
            }
    }
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
