/* avgpool.c — global average pooling, NCHW: y (B, C, 1, 1) = mean of x (B, C, H, W) over H*W,
 * as PyTorch's nn.AdaptiveAvgPool2d(1). Backward spreads dy / (H*W) evenly over the plane.
 */
#include "layer.h"

#include <string.h>

static int avgpool_plan(iw_layer *layer, iw_shape in, int max_batch, iw_layer_sizes *sizes, iw_error *err)
{
    (void)layer; (void)max_batch;
    if (in.c < 1 || in.h < 1 || in.w < 1)
        return iw_error_set(err, "global average pool: bad input shape (%d, %d, %d)", in.c, in.h, in.w);
    memset(sizes, 0, sizeof *sizes);
    sizes->out = (iw_shape){in.c, 1, 1};
    return 0;
}

static void avgpool_forward(iw_layer *layer, const iw_layer_ctx *ctx, const float *x, float *y)
{
    const size_t plane = (size_t)layer->in.h * layer->in.w, planes = (size_t)ctx->batch * layer->in.c;
    const float scale = 1.0f / (float)plane;
    for (size_t pl = 0; pl < planes; pl++) {
        const float *xp = x + pl * plane;
        float sum = 0.0f;
        for (size_t i = 0; i < plane; i++) sum += xp[i];
        y[pl] = sum * scale;
    }
}

static void avgpool_backward(iw_layer *layer, const iw_layer_ctx *ctx, const float *x, const float *y,
                             const float *dy, float *dx)
{
    (void)x; (void)y;
    if (!dx) return;
    const size_t plane = (size_t)layer->in.h * layer->in.w, planes = (size_t)ctx->batch * layer->in.c;
    const float scale = 1.0f / (float)plane;
    for (size_t pl = 0; pl < planes; pl++) {
        float g = dy[pl] * scale;
        float *dp = dx + pl * plane;
        for (size_t i = 0; i < plane; i++) dp[i] = g;
    }
}

static const iw_layer_ops avgpool_ops = {
    .kind = "global_avgpool",
    .plan = avgpool_plan,
    .init = NULL,
    .forward = avgpool_forward,
    .backward = avgpool_backward,
    .destroy = NULL,
};

iw_layer *iw_layer_global_avgpool_new(void) { return iw_layer_alloc(&avgpool_ops, 0); }
