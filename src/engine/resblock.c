/* resblock.c — the ResNet basic block as one composite layer (He et al. 2016, CIFAR variant):
 *
 *   x ──► conv3x3(stride s) ─► [bn] ─► relu ─► conv3x3 ─► [bn] ──►(+)─► relu ─► y
 *   └────────── shortcut: identity, or conv1x1(stride s) ─► [bn] ──┘
 *
 * The shortcut is a projection when the shape changes (stride != 1 or Cin != Cout); [bn] only
 * when the block is built with batch norm. The block owns its sub-layers (conv2d, batchnorm) and
 * gives them slices of its own arenas, so the net sees one layer with one params range:
 *   params  [W_a | W_b | W_s]  then  [b_a | bn_a | b_b | bn_b | b_s | bn_s]
 * (all conv weights first, so L2 covers exactly them; each conv's bias is moved behind with
 * iw_conv2d_set_bias_offset). Same layout for grads; buffers are the batch norms' running stats.
 *   saved   a1, n1, r1, a2, n2, s, ns (max_batch x out each; n = a when no bn; s, ns only with a
 *           projection), then the sub-layers' own saved memory
 *   workspace  g_sum, g_b, g_c (max_batch x out each), dx_s (max_batch x in, projection only),
 *           then the largest sub-layer workspace (sub-layers run one at a time)
 */
#include "conv.h"

#include <stdlib.h>
#include <string.h>

enum { SUB_CONV_A, SUB_BN_A, SUB_CONV_B, SUB_BN_B, SUB_CONV_S, SUB_BN_S, SUB_COUNT };

typedef struct resblock_config {
    int out_channels, stride, batchnorm, projection;
    iw_layer *sub[SUB_COUNT];           /* NULL where absent */
    iw_layer_sizes sz[SUB_COUNT];
    size_t param_off[SUB_COUNT];        /* where each sub-layer's params start */
    size_t bias_pos[SUB_COUNT];         /* convs: where their bias sits in the block's params */
    size_t buffer_off[SUB_COUNT], saved_off[SUB_COUNT];
    size_t act;                         /* max_batch * out floats: one saved activation */
    size_t temps;                       /* workspace floats used by the block itself */
} resblock_config;

static void resblock_destroy(iw_layer *layer)
{
    resblock_config *c = layer->config;
    if (c)
        for (int i = 0; i < SUB_COUNT; i++) iw_layer_free(c->sub[i]);
    free(c);
}

static int plan_sub(resblock_config *c, int i, iw_shape in, int max_batch, iw_error *err)
{
    iw_layer *l = c->sub[i];
    if (l->ops->plan(l, in, max_batch, &c->sz[i], err) != 0)
        return iw_error_prefix(err, "residual block %s", l->ops->kind);
    l->in = in;
    l->out = c->sz[i].out;
    l->max_batch = max_batch;
    l->n_params = c->sz[i].params;
    l->n_weights = c->sz[i].weights;
    l->n_buffers = c->sz[i].buffers;
    return 0;
}

static int resblock_plan(iw_layer *layer, iw_shape in, int max_batch, iw_layer_sizes *sizes, iw_error *err)
{
    resblock_config *c = layer->config;
    if (c->out_channels < 1 || c->stride < 1)
        return iw_error_set(err, "residual block: need channels >= 1 and stride >= 1, got %d and %d",
                            c->out_channels, c->stride);
    c->projection = c->stride != 1 || in.c != c->out_channels;
    if (c->projection && !c->sub[SUB_CONV_S]) {
        c->sub[SUB_CONV_S] = iw_layer_conv2d_new(c->out_channels, 1, c->stride, 0);
        if (!c->sub[SUB_CONV_S]) return iw_error_set(err, "residual block: out of memory");
        if (c->batchnorm && !(c->sub[SUB_BN_S] = iw_layer_batchnorm_new()))
            return iw_error_set(err, "residual block: out of memory");
    }
    if (plan_sub(c, SUB_CONV_A, in, max_batch, err)) return -1;
    iw_shape mid = c->sz[SUB_CONV_A].out;
    if (c->batchnorm && plan_sub(c, SUB_BN_A, mid, max_batch, err)) return -1;
    if (plan_sub(c, SUB_CONV_B, mid, max_batch, err)) return -1;
    if (c->batchnorm && plan_sub(c, SUB_BN_B, mid, max_batch, err)) return -1;
    if (c->projection) {
        if (plan_sub(c, SUB_CONV_S, in, max_batch, err)) return -1;
        if (c->batchnorm && plan_sub(c, SUB_BN_S, mid, max_batch, err)) return -1;
    }

    /* params: conv weights first, then every conv bias and batch-norm affine pair */
    size_t p = 0, buf = 0, sav = 0, ws = 0;
    for (int i = SUB_CONV_A; i < SUB_COUNT; i += 2)
        if (c->sub[i]) {
            c->param_off[i] = p;
            p += c->sz[i].weights;
        }
    size_t n_weights = p;
    c->act = (size_t)max_batch * iw_shape_size(mid);
    sav = c->act * (c->batchnorm ? 5 : 3) + (c->projection ? c->act * (c->batchnorm ? 2 : 1) : 0);
    for (int i = 0; i < SUB_COUNT; i++) {
        if (!c->sub[i]) continue;
        if (i % 2 == 0) { /* conv: its bias goes into the tail */
            c->bias_pos[i] = p;
            p += c->sz[i].params - c->sz[i].weights;
        } else {
            c->param_off[i] = p;
            p += c->sz[i].params;
        }
        c->buffer_off[i] = buf;
        buf += c->sz[i].buffers;
        c->saved_off[i] = sav;
        sav += c->sz[i].saved;
        if (c->sz[i].workspace > ws) ws = c->sz[i].workspace;
    }
    c->temps = 3 * c->act + (c->projection ? (size_t)max_batch * iw_shape_size(in) : 0);
    memset(sizes, 0, sizeof *sizes);
    sizes->out = mid;
    sizes->params = p;
    sizes->weights = n_weights;
    sizes->buffers = buf;
    sizes->saved = sav;
    sizes->workspace = c->temps + ws;
    return 0;
}

/* Points every sub-layer at its slices of the block's arenas (cheap; done before each use so the
 * block works whether a net or a harness set its pointers). */
static void bind(iw_layer *layer)
{
    resblock_config *c = layer->config;
    for (int i = 0; i < SUB_COUNT; i++) {
        iw_layer *l = c->sub[i];
        if (!l) continue;
        l->params = layer->params ? layer->params + c->param_off[i] : NULL;
        l->grads = layer->grads ? layer->grads + c->param_off[i] : NULL;
        l->buffers = layer->buffers ? layer->buffers + c->buffer_off[i] : NULL;
        l->saved = layer->saved ? layer->saved + c->saved_off[i] : NULL;
        if (i % 2 == 0) iw_conv2d_set_bias_offset(l, c->bias_pos[i] - c->param_off[i]);
    }
}

static void resblock_init(iw_layer *layer, iw_init init, iw_rng *rng)
{
    resblock_config *c = layer->config;
    bind(layer);
    for (int i = 0; i < SUB_COUNT; i++)
        if (c->sub[i] && c->sub[i]->ops->init) c->sub[i]->ops->init(c->sub[i], init, rng);
}

typedef struct acts {
    float *a1, *n1, *r1, *a2, *n2, *s, *ns;
} acts;

static acts saved_acts(const resblock_config *c, float *saved)
{
    acts a;
    float *p = saved;
    a.a1 = p; p += c->act;
    a.n1 = a.a1;
    if (c->batchnorm) { a.n1 = p; p += c->act; }
    a.r1 = p; p += c->act;
    a.a2 = p; p += c->act;
    a.n2 = a.a2;
    if (c->batchnorm) { a.n2 = p; p += c->act; }
    a.s = a.ns = NULL;
    if (c->projection) {
        a.s = a.ns = p; p += c->act;
        if (c->batchnorm) { a.ns = p; p += c->act; }
    }
    return a;
}

static void run_forward(iw_layer *l, const iw_layer_ctx *ctx, const float *in, float *out)
{
    l->ops->forward(l, ctx, in, out);
}

static void resblock_forward(iw_layer *layer, const iw_layer_ctx *ctx, const float *x, float *y)
{
    resblock_config *c = layer->config;
    bind(layer);
    iw_layer_ctx sub = *ctx;
    sub.workspace = ctx->workspace + c->temps;
    acts a = saved_acts(c, layer->saved);
    const size_t n = (size_t)ctx->batch * iw_shape_size(layer->out);
    run_forward(c->sub[SUB_CONV_A], &sub, x, a.a1);
    if (c->batchnorm) run_forward(c->sub[SUB_BN_A], &sub, a.a1, a.n1);
    for (size_t i = 0; i < n; i++) a.r1[i] = a.n1[i] > 0.0f ? a.n1[i] : 0.0f;
    run_forward(c->sub[SUB_CONV_B], &sub, a.r1, a.a2);
    if (c->batchnorm) run_forward(c->sub[SUB_BN_B], &sub, a.a2, a.n2);
    const float *shortcut = x;
    if (c->projection) {
        run_forward(c->sub[SUB_CONV_S], &sub, x, a.s);
        if (c->batchnorm) run_forward(c->sub[SUB_BN_S], &sub, a.s, a.ns);
        shortcut = a.ns;
    }
    for (size_t i = 0; i < n; i++) {
        float v = a.n2[i] + shortcut[i];
        y[i] = v > 0.0f ? v : 0.0f;
    }
}

static void resblock_backward(iw_layer *layer, const iw_layer_ctx *ctx, const float *x, const float *y,
                              const float *dy, float *dx)
{
    resblock_config *c = layer->config;
    bind(layer);
    iw_layer_ctx sub = *ctx;
    sub.workspace = ctx->workspace + c->temps;
    acts a = saved_acts(c, layer->saved);
    const size_t n = (size_t)ctx->batch * iw_shape_size(layer->out);
    float *g_sum = ctx->workspace, *g_b = g_sum + c->act, *g_c = g_b + c->act;
    float *dx_s = g_c + c->act;
    iw_layer *const *s = c->sub;

    for (size_t i = 0; i < n; i++) g_sum[i] = y[i] > 0.0f ? dy[i] : 0.0f;
    /* main path, back to front */
    const float *g_a2 = g_sum;
    if (c->batchnorm) {
        s[SUB_BN_B]->ops->backward(s[SUB_BN_B], &sub, a.a2, a.n2, g_sum, g_b);
        g_a2 = g_b;
    }
    s[SUB_CONV_B]->ops->backward(s[SUB_CONV_B], &sub, a.r1, a.a2, g_a2, g_c); /* g_c = d r1 */
    for (size_t i = 0; i < n; i++) g_b[i] = a.r1[i] > 0.0f ? g_c[i] : 0.0f;   /* g_b = d n1 */
    const float *g_a1 = g_b;
    if (c->batchnorm) {
        s[SUB_BN_A]->ops->backward(s[SUB_BN_A], &sub, a.a1, a.n1, g_b, g_c);
        g_a1 = g_c;
    }
    s[SUB_CONV_A]->ops->backward(s[SUB_CONV_A], &sub, x, a.a1, g_a1, dx);
    /* shortcut */
    if (c->projection) {
        const float *g_s = g_sum;
        if (c->batchnorm) {
            s[SUB_BN_S]->ops->backward(s[SUB_BN_S], &sub, a.s, a.ns, g_sum, g_b);
            g_s = g_b;
        }
        s[SUB_CONV_S]->ops->backward(s[SUB_CONV_S], &sub, x, a.s, g_s, dx ? dx_s : NULL);
        if (dx) {
            const size_t m = (size_t)ctx->batch * iw_shape_size(layer->in);
            for (size_t i = 0; i < m; i++) dx[i] += dx_s[i];
        }
    } else if (dx) {
        for (size_t i = 0; i < n; i++) dx[i] += g_sum[i];
    }
}

static const iw_layer_ops resblock_ops = {
    .kind = "resblock",
    .plan = resblock_plan,
    .init = resblock_init,
    .forward = resblock_forward,
    .backward = resblock_backward,
    .destroy = resblock_destroy,
};

iw_layer *iw_layer_resblock_new(int out_channels, int stride, int batchnorm)
{
    iw_layer *layer = iw_layer_alloc(&resblock_ops, sizeof(resblock_config));
    if (!layer) return NULL;
    resblock_config *c = layer->config;
    c->out_channels = out_channels;
    c->stride = stride;
    c->batchnorm = batchnorm != 0;
    c->sub[SUB_CONV_A] = iw_layer_conv2d_new(out_channels, 3, stride, 1);
    c->sub[SUB_CONV_B] = iw_layer_conv2d_new(out_channels, 3, 1, 1);
    int ok = c->sub[SUB_CONV_A] && c->sub[SUB_CONV_B];
    if (c->batchnorm) {
        c->sub[SUB_BN_A] = iw_layer_batchnorm_new();
        c->sub[SUB_BN_B] = iw_layer_batchnorm_new();
        ok = ok && c->sub[SUB_BN_A] && c->sub[SUB_BN_B];
    }
    if (!ok) {
        iw_layer_free(layer);
        return NULL;
    }
    return layer;
}
