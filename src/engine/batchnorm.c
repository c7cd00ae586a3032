/* batchnorm.c — batch normalisation per channel, PyTorch's BatchNorm1d (input (B, c, 1, 1)) and
 * BatchNorm2d (input (B, c, h, w)) in one layer: each channel c is normalised over its B*h*w values.
 *
 *   params  [gamma (c), beta (c)]            no L2 (n_weights 0); init gamma 1, beta 0
 *   buffers [running_mean (c), running_var (c)]   init 0 and 1
 *   saved   [xhat (B, c, h, w), inv_std (c)]  from the training forward, for backward
 *
 * Training: mean and biased variance of the batch, y = gamma * (x - mean) / sqrt(var + eps) + beta;
 * running stats r = (1 - 0.1) r + 0.1 s, with the UNBIASED variance n/(n-1) var for running_var (as
 * PyTorch). Evaluation: the running statistics instead. eps = 1e-5. Sums are in double.
 * Backward (N = B*h*w values per channel; dbeta = sum dy, dgamma = sum dy*xhat):
 *   dx = gamma * inv_std / N * (N*dy - dbeta - xhat*dgamma)
 */
#include "layer.h"

#include <math.h>

#define BN_EPS 1e-5
#define BN_MOMENTUM 0.1

static int bn_plan(iw_layer *layer, iw_shape in, int max_batch, iw_layer_sizes *sizes, iw_error *err)
{
    (void)layer; (void)err;
    size_t c = (size_t)in.c;
    sizes->out = in;
    sizes->params = 2 * c;
    sizes->weights = 0;
    sizes->buffers = 2 * c;
    sizes->saved = (size_t)max_batch * iw_shape_size(in) + c;
    sizes->workspace = 0;
    return 0;
}

static void bn_init(iw_layer *layer, iw_init init, iw_rng *rng)
{
    (void)init; (void)rng;
    int c = layer->in.c;
    for (int i = 0; i < c; i++) {
        layer->params[i] = 1.0f;
        layer->params[c + i] = 0.0f;
        layer->buffers[i] = 0.0f;
        layer->buffers[c + i] = 1.0f;
    }
}

static void bn_forward(iw_layer *layer, const iw_layer_ctx *ctx, const float *in, float *out)
{
    const int B = ctx->batch, C = layer->in.c;
    const size_t hw = (size_t)layer->in.h * layer->in.w, cs = (size_t)C * hw; /* cs: example stride */
    const float *gamma = layer->params, *beta = layer->params + C;
    float *rmean = layer->buffers, *rvar = layer->buffers + C;
    if (!ctx->training) {
        for (int c = 0; c < C; c++) {
            float scale = gamma[c] / sqrtf(rvar[c] + (float)BN_EPS);
            float shift = beta[c] - rmean[c] * scale;
            for (int b = 0; b < B; b++) {
                const float *x = in + b * cs + c * hw;
                float *y = out + b * cs + c * hw;
                for (size_t i = 0; i < hw; i++) y[i] = x[i] * scale + shift;
            }
        }
        return;
    }
    float *xhat = layer->saved, *inv_std = layer->saved + (size_t)layer->max_batch * cs;
    const double n = (double)B * (double)hw;
    for (int c = 0; c < C; c++) {
        double sum = 0.0;
        for (int b = 0; b < B; b++) {
            const float *x = in + b * cs + c * hw;
            for (size_t i = 0; i < hw; i++) sum += x[i];
        }
        double mean = sum / n, ss = 0.0;
        for (int b = 0; b < B; b++) {
            const float *x = in + b * cs + c * hw;
            for (size_t i = 0; i < hw; i++) {
                double d = x[i] - mean;
                ss += d * d;
            }
        }
        double var = ss / n;
        float is = (float)(1.0 / sqrt(var + BN_EPS)), m = (float)mean;
        inv_std[c] = is;
        for (int b = 0; b < B; b++) {
            const float *x = in + b * cs + c * hw;
            float *xh = xhat + b * cs + c * hw, *y = out + b * cs + c * hw;
            for (size_t i = 0; i < hw; i++) {
                xh[i] = (x[i] - m) * is;
                y[i] = gamma[c] * xh[i] + beta[c];
            }
        }
        double unbiased = n > 1.0 ? var * n / (n - 1.0) : var;
        rmean[c] = (float)((1.0 - BN_MOMENTUM) * rmean[c] + BN_MOMENTUM * mean);
        rvar[c] = (float)((1.0 - BN_MOMENTUM) * rvar[c] + BN_MOMENTUM * unbiased);
    }
}

static void bn_backward(iw_layer *layer, const iw_layer_ctx *ctx, const float *in, const float *out,
                        const float *dout, float *din)
{
    (void)in; (void)out;
    const int B = ctx->batch, C = layer->in.c;
    const size_t hw = (size_t)layer->in.h * layer->in.w, cs = (size_t)C * hw;
    const float *gamma = layer->params;
    float *dgamma = layer->grads, *dbeta = layer->grads + C;
    const float *xhat = layer->saved, *inv_std = layer->saved + (size_t)layer->max_batch * cs;
    const double n = (double)B * (double)hw;
    for (int c = 0; c < C; c++) {
        double sdy = 0.0, sdyx = 0.0;
        for (int b = 0; b < B; b++) {
            const float *dy = dout + b * cs + c * hw, *xh = xhat + b * cs + c * hw;
            for (size_t i = 0; i < hw; i++) {
                sdy += dy[i];
                sdyx += (double)dy[i] * xh[i];
            }
        }
        dgamma[c] += (float)sdyx;
        dbeta[c] += (float)sdy;
        if (!din) continue;
        float k = (float)(gamma[c] * inv_std[c] / n), mdy = (float)sdy, mdyx = (float)sdyx, fn = (float)n;
        for (int b = 0; b < B; b++) {
            const float *dy = dout + b * cs + c * hw, *xh = xhat + b * cs + c * hw;
            float *dx = din + b * cs + c * hw;
            for (size_t i = 0; i < hw; i++) dx[i] = k * (fn * dy[i] - mdy - xh[i] * mdyx);
        }
    }
}

static const iw_layer_ops batchnorm_ops = {
    .kind = "batchnorm",
    .plan = bn_plan,
    .init = bn_init,
    .forward = bn_forward,
    .backward = bn_backward,
    .destroy = NULL,
};

iw_layer *iw_layer_batchnorm_new(void) { return iw_layer_alloc(&batchnorm_ops, 0); }
