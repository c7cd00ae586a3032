/* batchnorm.c — batch normalisation per channel, PyTorch's BatchNorm1d (input (B, c, 1, 1)) and
 * BatchNorm2d (input (B, c, h, w)) in one layer: each channel c is normalised over its B*h*w values.
 *
 *   params  [gamma (c), beta (c)]            no L2 (n_weights 0); init gamma 1, beta 0
 *   buffers [running_mean (c), running_var (c)]   init 0 and 1
 *   saved   [mean (c), inv_std (c)]           from the training forward; backward recomputes
 *                                              xhat from its input x (unchanged until then), which
 *                                              saves writing and keeping B*c*h*w floats
 *
 * Training: mean and biased variance of the batch, y = gamma * (x - mean) / sqrt(var + eps) + beta;
 * running stats r = (1 - 0.1) r + 0.1 s, with the UNBIASED variance n/(n-1) var for running_var (as
 * PyTorch). Evaluation: the running statistics instead. eps = 1e-5. Sums end in double (see sums()).
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
    sizes->saved = 2 * c;
    (void)max_batch;
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

/* Over n values: *s1 += sum (a - ka), *s2 += sum (a - ka) * (b - kb). Sixteen float lanes (GCC's
 * -O2 vectoriser takes the fixed-size inner loop) over one row of at most h*w values, then added
 * into double: the rows are short, so float lanes lose nothing that matters, and the shift k keeps
 * the variance free of cancellation. */
static void sums(size_t n, const float *restrict a, float ka, const float *restrict b, float kb,
                 double *s1, double *s2)
{
    float l1[16] = {0}, l2[16] = {0};
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (int k = 0; k < 16; k++) {
            float u = a[i + k] - ka, v = b[i + k] - kb;
            l1[k] += u;
            l2[k] += u * v;
        }
    double d1 = 0.0, d2 = 0.0;
    for (int k = 0; k < 16; k++) {
        d1 += l1[k];
        d2 += l2[k];
    }
    for (; i < n; i++) {
        double u = a[i] - ka, v = b[i] - kb;
        d1 += u;
        d2 += u * v;
    }
    *s1 += d1;
    *s2 += d2;
}

/* The elementwise passes below run in blocks of 16 for the same vectoriser.
 * y = gamma * xhat + beta with xhat = (x - mean) * inv_std, over n values. */
static void normalise(size_t n, const float *restrict x, float mean, float inv_std, float gamma,
                      float beta, float *restrict y)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (int k = 0; k < 16; k++) y[i + k] = gamma * ((x[i + k] - mean) * inv_std) + beta;
    for (; i < n; i++) y[i] = gamma * ((x[i] - mean) * inv_std) + beta;
}

/* y = x * scale + shift over n values (evaluation). */
static void affine(size_t n, const float *restrict x, float scale, float shift, float *restrict y)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (int k = 0; k < 16; k++) y[i + k] = x[i + k] * scale + shift;
    for (; i < n; i++) y[i] = x[i] * scale + shift;
}

/* dx = k * (n * dy - sdy - xhat * sdyx) with xhat = (x - mean) * inv_std, over n values. */
static void input_grad(size_t n, const float *restrict dy, const float *restrict x, float mean,
                       float inv_std, float k, float fn, float sdy, float sdyx, float *restrict dx)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (int j = 0; j < 16; j++)
            dx[i + j] = k * (fn * dy[i + j] - sdy - ((x[i + j] - mean) * inv_std) * sdyx);
    for (; i < n; i++) dx[i] = k * (fn * dy[i] - sdy - ((x[i] - mean) * inv_std) * sdyx);
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
            for (int b = 0; b < B; b++) affine(hw, in + b * cs + c * hw, scale, shift, out + b * cs + c * hw);
        }
        return;
    }
    float *mean_c = layer->saved, *inv_std = layer->saved + C;
    const double n = (double)B * (double)hw;
    for (int c = 0; c < C; c++) {
        float k = in[c * hw]; /* a value of the channel: shifts the sums near the mean */
        double s1 = 0.0, s2 = 0.0;
        for (int b = 0; b < B; b++) {
            const float *x = in + b * cs + c * hw;
            sums(hw, x, k, x, k, &s1, &s2);
        }
        double d = s1 / n, mean = k + d, var = fmax(s2 / n - d * d, 0.0);
        float is = (float)(1.0 / sqrt(var + BN_EPS)), m = (float)mean;
        mean_c[c] = m;
        inv_std[c] = is;
        for (int b = 0; b < B; b++) normalise(hw, in + b * cs + c * hw, m, is, gamma[c], beta[c], out + b * cs + c * hw);
        double unbiased = n > 1.0 ? var * n / (n - 1.0) : var;
        rmean[c] = (float)((1.0 - BN_MOMENTUM) * rmean[c] + BN_MOMENTUM * mean);
        rvar[c] = (float)((1.0 - BN_MOMENTUM) * rvar[c] + BN_MOMENTUM * unbiased);
    }
}

static void bn_backward(iw_layer *layer, const iw_layer_ctx *ctx, const float *in, const float *out,
                        const float *dout, float *din)
{
    (void)out;
    const int B = ctx->batch, C = layer->in.c;
    const size_t hw = (size_t)layer->in.h * layer->in.w, cs = (size_t)C * hw;
    const float *gamma = layer->params;
    float *dgamma = layer->grads, *dbeta = layer->grads + C;
    const float *mean = layer->saved, *inv_std = layer->saved + C;
    const double n = (double)B * (double)hw;
    for (int c = 0; c < C; c++) {
        /* sdy = sum dy; sdyx = sum dy * xhat = inv_std * sum dy * (x - mean) */
        double sdy = 0.0, s2 = 0.0;
        for (int b = 0; b < B; b++) sums(hw, dout + b * cs + c * hw, 0.0f, in + b * cs + c * hw, mean[c], &sdy, &s2);
        double sdyx = s2 * inv_std[c];
        dgamma[c] += (float)sdyx;
        dbeta[c] += (float)sdy;
        if (!din) continue;
        float k = (float)(gamma[c] * inv_std[c] / n);
        for (int b = 0; b < B; b++)
            input_grad(hw, dout + b * cs + c * hw, in + b * cs + c * hw, mean[c], inv_std[c], k, (float)n,
                       (float)sdy, (float)sdyx, din + b * cs + c * hw);
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
