/* dropout.c — inverted dropout (PyTorch's nn.Dropout): in training each value is kept with
 * probability 1-p and scaled by 1/(1-p), else zeroed; in evaluation the layer is the identity.
 * The mask comes from ctx->dropout_rng (iw_rng_uniform < p drops), one draw per value in memory
 * order, and is kept in `saved` as the multiplier (0 or 1/(1-p)) for backward: din = dout * mask.
 * Tests can impose a mask for the next forward (iw_layer_dropout_use_mask). */
#include "layer.h"

#include <string.h>

typedef struct dropout_config {
    float p;
    const float *forced_keep; /* mask for the next training forward, or NULL */
} dropout_config;

static int dropout_plan(iw_layer *layer, iw_shape in, int max_batch, iw_layer_sizes *sizes, iw_error *err)
{
    const dropout_config *cfg = layer->config;
    if (!(cfg->p >= 0.0f && cfg->p < 1.0f))
        return iw_error_set(err, "dropout: probability %g, expected a value in [0, 1)", (double)cfg->p);
    sizes->out = in;
    sizes->saved = (size_t)max_batch * iw_shape_size(in);
    return 0;
}

static void dropout_forward(iw_layer *layer, const iw_layer_ctx *ctx, const float *in, float *out)
{
    dropout_config *cfg = layer->config;
    size_t n = (size_t)ctx->batch * iw_shape_size(layer->in);
    float *mask = layer->saved, p = cfg->p, scale = 1.0f / (1.0f - cfg->p);
    if (!ctx->training) {
        if (out != in) memcpy(out, in, n * sizeof *out);
        return;
    }
    if (cfg->forced_keep) {
        for (size_t i = 0; i < n; i++) mask[i] = cfg->forced_keep[i] != 0.0f ? scale : 0.0f;
        cfg->forced_keep = NULL;
    } else if (p > 0.0f && ctx->dropout_rng) {
        for (size_t i = 0; i < n; i++) mask[i] = iw_rng_uniform(ctx->dropout_rng) < p ? 0.0f : scale;
    } else {
        for (size_t i = 0; i < n; i++) mask[i] = 1.0f;
    }
    for (size_t i = 0; i < n; i++) out[i] = in[i] * mask[i];
}

static void dropout_backward(iw_layer *layer, const iw_layer_ctx *ctx, const float *in, const float *out,
                             const float *dout, float *din)
{
    (void)in; (void)out;
    if (!din) return;
    size_t n = (size_t)ctx->batch * iw_shape_size(layer->in);
    const float *mask = layer->saved;
    for (size_t i = 0; i < n; i++) din[i] = dout[i] * mask[i];
}

static const iw_layer_ops dropout_ops = {
    .kind = "dropout",
    .plan = dropout_plan,
    .init = NULL,
    .forward = dropout_forward,
    .backward = dropout_backward,
    .destroy = NULL,
};

iw_layer *iw_layer_dropout_new(float p)
{
    iw_layer *layer = iw_layer_alloc(&dropout_ops, sizeof(dropout_config));
    if (layer) ((dropout_config *)layer->config)->p = p;
    return layer;
}

void iw_layer_dropout_use_mask(iw_layer *layer, const float *keep)
{
    if (layer && layer->ops == &dropout_ops) ((dropout_config *)layer->config)->forced_keep = keep;
}
