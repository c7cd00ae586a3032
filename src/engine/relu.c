/* relu.c — y = max(x, 0) elementwise, any shape. Backward uses the output as the mask
 * (y > 0 exactly where x > 0), so it needs no saved memory: din = dout * [y > 0]. */
#include "layer.h"

static int relu_plan(iw_layer *layer, iw_shape in, int max_batch, iw_layer_sizes *sizes, iw_error *err)
{
    (void)layer; (void)max_batch; (void)err;
    sizes->out = in;
    return 0;
}

/* Blocks of 16 with restrict let GCC's -O2 vectoriser (cheap cost model: no alias checks, no
 * unknown trip counts) turn these into branch-free max/select instructions; a branchy scalar loop
 * mispredicts on every other value of a random-sign activation. */
void iw_relu_inplace(size_t n, float *y)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (int k = 0; k < 16; k++) y[i + k] = y[i + k] > 0.0f ? y[i + k] : 0.0f;
    for (; i < n; i++) y[i] = y[i] > 0.0f ? y[i] : 0.0f;
}

static void relu_values(size_t n, const float *restrict x, float *restrict y)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (int k = 0; k < 16; k++) y[i + k] = x[i + k] > 0.0f ? x[i + k] : 0.0f;
    for (; i < n; i++) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

void iw_relu_grad(size_t n, const float *restrict y, const float *restrict dy, float *restrict dx)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (int k = 0; k < 16; k++) {
            float d = dy[i + k]; /* loaded unconditionally, so the select needs no branch */
            dx[i + k] = y[i + k] > 0.0f ? d : 0.0f;
        }
    for (; i < n; i++) dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

static void relu_forward(iw_layer *layer, const iw_layer_ctx *ctx, const float *in, float *out)
{
    relu_values((size_t)ctx->batch * iw_shape_size(layer->in), in, out);
}

static void relu_backward(iw_layer *layer, const iw_layer_ctx *ctx, const float *in, const float *out,
                          const float *dout, float *din)
{
    (void)in;
    if (!din) return;
    iw_relu_grad((size_t)ctx->batch * iw_shape_size(layer->in), out, dout, din);
}

static const iw_layer_ops relu_ops = {
    .kind = "relu",
    .plan = relu_plan,
    .init = NULL,
    .forward = relu_forward,
    .backward = relu_backward,
    .destroy = NULL,
};

iw_layer *iw_layer_relu_new(void) { return iw_layer_alloc(&relu_ops, 0); }
