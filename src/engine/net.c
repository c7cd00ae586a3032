/* net.c — a network: a sequence of layers planned once over one arena, with the forward pass,
 * the backward pass (loss gradient, then every layer in reverse) and the flat views the optimiser
 * and the tests use.
 *
 * Arena layout (one aligned allocation, each slice rounded up to 64 bytes):
 *   params [P] | grads [P] | velocity [P] | buffers [N] | dlogits [max_batch*K]
 *   | act[0] | act[1] | ... (each layer's output, max_batch * out floats)
 *   | saved[0] | saved[1] | ... | workspace [max over layers] | dx[0] | dx[1]
 * Layer i's params are the slice params[offset_i .. offset_i + n_params_i), in layer order, each
 * starting with its `n_weights` L2-regularised weights. dx[0]/dx[1] are the ping-pong buffers for
 * the gradient with respect to each layer's input, sized for the largest layer input.
 *
 * The forward pass keeps a pointer to the caller's x for the first layer's backward: x must stay
 * valid and unchanged until iw_net_backward returns.
 */
#include "layer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct iw_net {
    iw_net_config cfg;
    iw_layer *layers[IW_MAX_LAYERS];
    int n_layers;
    unsigned char zero_grads[IW_MAX_LAYERS]; /* 0: backward overwrites this layer's grads */
    size_t param_offset[IW_MAX_LAYERS + 1];
    size_t n_params, n_buffers;
    void *arena;
    float *params, *grads, *velocity, *buffers, *dlogits;
    float *act[IW_MAX_LAYERS];
    float *workspace;
    float *dx[2];
    const float *x;     /* input of the last forward (the caller's memory) */
    int batch;          /* batch of the last forward */
    int trained;        /* 1 when the last forward was a training forward (backward allowed) */
};

int iw_net_append(iw_net *net, iw_layer *layer, iw_error *err)
{
    if (!layer) return iw_error_set(err, "out of memory creating layer %d", net->n_layers);
    if (net->n_layers >= IW_MAX_LAYERS) {
        iw_layer_free(layer);
        return iw_error_set(err, "too many layers (at most %d)", IW_MAX_LAYERS);
    }
    net->layers[net->n_layers++] = layer;
    return 0;
}

static size_t round64(size_t n_floats) { return (n_floats + 15) & ~(size_t)15; }

/* Plans every layer in order and carves the arena. */
static int net_plan(iw_net *net, iw_error *err)
{
    const iw_net_config *cfg = &net->cfg;
    if (net->n_layers == 0) return iw_error_set(err, "network has no layers");
    if (cfg->max_batch < 1) return iw_error_set(err, "max_batch must be >= 1, got %d", cfg->max_batch);
    if (cfg->n_classes < 1) return iw_error_set(err, "n_classes must be >= 1, got %d", cfg->n_classes);
    if (cfg->input.c < 1 || cfg->input.h < 1 || cfg->input.w < 1)
        return iw_error_set(err, "input shape (%d, %d, %d) must be positive", cfg->input.c,
                            cfg->input.h, cfg->input.w);
    size_t mb = (size_t)cfg->max_batch;
    iw_layer_sizes sizes[IW_MAX_LAYERS];
    iw_shape shape = cfg->input;
    size_t max_in = 0, saved_total = 0, act_total = 0, workspace = 0;
    net->n_params = net->n_buffers = 0;
    for (int i = 0; i < net->n_layers; i++) {
        iw_layer *l = net->layers[i];
        memset(&sizes[i], 0, sizeof sizes[i]);
        if (l->ops->plan(l, shape, cfg->max_batch, &sizes[i], err) != 0)
            return iw_error_prefix(err, "layer %d (%s)", i, l->ops->kind);
        if (sizes[i].weights > sizes[i].params)
            return iw_error_set(err, "layer %d (%s): more weights than params", i, l->ops->kind);
        l->in = shape;
        l->out = sizes[i].out;
        l->max_batch = cfg->max_batch;
        l->n_params = sizes[i].params;
        l->n_weights = sizes[i].weights;
        l->positions = sizes[i].positions ? sizes[i].positions : (size_t)sizes[i].out.h * sizes[i].out.w;
        l->n_buffers = sizes[i].buffers;
        net->param_offset[i] = net->n_params;
        net->n_params += sizes[i].params;
        net->n_buffers += sizes[i].buffers;
        if (i > 0 && iw_shape_size(shape) > max_in) max_in = iw_shape_size(shape);
        act_total += round64(mb * iw_shape_size(sizes[i].out));
        saved_total += round64(sizes[i].saved);
        if (sizes[i].workspace > workspace) workspace = sizes[i].workspace;
        net->zero_grads[i] = !iw_layer_overwrites_grads(l);
        shape = sizes[i].out;
    }
    net->param_offset[net->n_layers] = net->n_params;
    if (iw_shape_size(shape) != (size_t)cfg->n_classes)
        return iw_error_set(err, "the last layer gives %zu outputs per example, expected n_classes = %d",
                            iw_shape_size(shape), cfg->n_classes);

    size_t total = 3 * round64(net->n_params) + round64(net->n_buffers) +
                   round64(mb * (size_t)cfg->n_classes) + act_total + saved_total +
                   round64(workspace) + 2 * round64(mb * max_in);
    net->arena = aligned_alloc(64, total * sizeof(float));
    if (!net->arena)
        return iw_error_set(err, "out of memory allocating the network (%zu MiB)",
                            total * sizeof(float) >> 20);
    memset(net->arena, 0, total * sizeof(float));
    float *p = net->arena;
#define CARVE(dst, n) do { dst = p; p += round64(n); } while (0)
    CARVE(net->params, net->n_params);
    CARVE(net->grads, net->n_params);
    CARVE(net->velocity, net->n_params);
    CARVE(net->buffers, net->n_buffers);
    CARVE(net->dlogits, mb * (size_t)cfg->n_classes);
    float *buf = net->buffers;
    for (int i = 0; i < net->n_layers; i++) {
        iw_layer *l = net->layers[i];
        CARVE(net->act[i], mb * iw_shape_size(sizes[i].out));
        l->params = net->params + net->param_offset[i];
        l->grads = net->grads + net->param_offset[i];
        l->buffers = buf;
        buf += sizes[i].buffers;
    }
    for (int i = 0; i < net->n_layers; i++) CARVE(net->layers[i]->saved, sizes[i].saved);
    CARVE(net->workspace, workspace);
    CARVE(net->dx[0], mb * max_in);
    CARVE(net->dx[1], mb * max_in);
#undef CARVE
    /* Layers with an empty slice get NULL rather than a pointer to a neighbour. */
    for (int i = 0; i < net->n_layers; i++) {
        iw_layer *l = net->layers[i];
        if (!l->n_params) l->params = l->grads = NULL;
        if (!l->n_buffers) l->buffers = NULL;
        if (!sizes[i].saved) l->saved = NULL;
    }
    return 0;
}

static iw_net *net_new(const iw_net_config *cfg)
{
    iw_net *net = calloc(1, sizeof *net);
    if (net) net->cfg = *cfg;
    return net;
}

iw_net *iw_net_create(const iw_net_config *cfg, iw_error *err)
{
    iw_net *net = net_new(cfg);
    if (!net) {
        iw_error_set(err, "out of memory creating the network");
        return NULL;
    }
    int rc;
    switch (cfg->kind) {
    case IW_MODEL_LINEAR:
    case IW_MODEL_MLP: rc = iw_model_build_mlp(net, cfg, err); break;
    case IW_MODEL_CNN: rc = iw_model_build_cnn(net, cfg, err); break;
    case IW_MODEL_RESNET: rc = iw_model_build_resnet(net, cfg, err); break;
    default: rc = iw_error_set(err, "unknown model kind %d", (int)cfg->kind); break;
    }
    if (rc != 0 || net_plan(net, err) != 0) {
        iw_net_free(net);
        return NULL;
    }
    return net;
}

iw_net *iw_net_create_from_layers(const iw_net_config *cfg, iw_layer **layers, int n, iw_error *err)
{
    iw_net *net = net_new(cfg);
    int rc = net ? 0 : iw_error_set(err, "out of memory creating the network");
    for (int i = 0; i < n; i++) {
        if (rc == 0)
            rc = iw_net_append(net, layers[i], err);
        else
            iw_layer_free(layers[i]);
    }
    if (rc != 0 || net_plan(net, err) != 0) {
        iw_net_free(net);
        return NULL;
    }
    return net;
}

void iw_net_free(iw_net *net)
{
    if (!net) return;
    for (int i = 0; i < net->n_layers; i++) iw_layer_free(net->layers[i]);
    free(net->arena);
    free(net);
}

void iw_net_init(iw_net *net, iw_rng *rng)
{
    for (int i = 0; i < net->n_layers; i++) {
        iw_layer *l = net->layers[i];
        if (l->ops->init) l->ops->init(l, net->cfg.init, rng);
    }
    memset(net->velocity, 0, net->n_params * sizeof(float));
}

const float *iw_net_forward(iw_net *net, const float *x, int batch, int training, iw_rng *dropout_rng)
{
    if (batch < 1 || batch > net->cfg.max_batch) return NULL;
    iw_layer_ctx ctx = {.batch = batch, .training = training, .dropout_rng = dropout_rng,
                        .workspace = net->workspace};
    const float *in = x;
    for (int i = 0; i < net->n_layers; i++) {
        iw_layer *l = net->layers[i];
        l->ops->forward(l, &ctx, in, net->act[i]);
        in = net->act[i];
    }
    net->x = x;
    net->batch = batch;
    net->trained = training ? 1 : 0;
    return in;
}

double iw_net_backward(iw_net *net, const int32_t *labels, const float *weights, const iw_loss *loss)
{
    if (!net->trained || !loss) return NAN;
    int n = net->n_layers, batch = net->batch;
    iw_layer_ctx ctx = {.batch = batch, .training = 1, .dropout_rng = NULL, .workspace = net->workspace};
    double L = iw_loss_compute(loss, net->act[n - 1], batch, net->cfg.n_classes, labels, weights,
                               net->dlogits);
    for (int i = 0; i < n; i++)
        if (net->zero_grads[i] && net->layers[i]->n_params)
            memset(net->layers[i]->grads, 0, net->layers[i]->n_params * sizeof(float));
    const float *dout = net->dlogits;
    int which = 0;
    for (int i = n - 1; i >= 0; i--) {
        iw_layer *l = net->layers[i];
        const float *in = i > 0 ? net->act[i - 1] : net->x;
        float *din = i > 0 ? net->dx[which] : NULL;
        l->ops->backward(l, &ctx, in, net->act[i], dout, din);
        dout = din;
        which ^= 1;
    }
    return L;
}

void iw_net_sgd_step(iw_net *net, float lr, float momentum, float l2)
{
    for (int i = 0; i < net->n_layers; i++) {
        const iw_layer *l = net->layers[i];
        size_t off = net->param_offset[i];
        if (!l->n_params) continue;
        iw_sgd_update(net->params + off, net->grads + off, net->velocity + off, l->n_weights, lr,
                      momentum, l2);
        iw_sgd_update(net->params + off + l->n_weights, net->grads + off + l->n_weights,
                      net->velocity + off + l->n_weights, l->n_params - l->n_weights, lr, momentum, 0.0f);
    }
}

double iw_net_weight_norm(const iw_net *net)
{
    double s = 0.0;
    for (int i = 0; i < net->n_layers; i++) {
        const float *w = net->params + net->param_offset[i];
        for (size_t j = 0; j < net->layers[i]->n_weights; j++) s += (double)w[j] * w[j];
    }
    return sqrt(s);
}

double iw_net_forward_macs(const iw_net *net)
{
    double macs = 0.0;
    for (int i = 0; i < net->n_layers; i++) {
        const iw_layer *l = net->layers[i];
        macs += (double)l->n_weights * (double)l->positions;
    }
    return macs;
}

const float *iw_net_activation(const iw_net *net, int i)
{
    return i >= 0 && i < net->n_layers ? net->act[i] : NULL;
}

size_t iw_net_param_count(const iw_net *net) { return net->n_params; }
float *iw_net_params(iw_net *net) { return net->params; }
float *iw_net_grads(iw_net *net) { return net->grads; }
float *iw_net_velocity(iw_net *net) { return net->velocity; }
size_t iw_net_buffer_count(const iw_net *net) { return net->n_buffers; }
float *iw_net_buffers(iw_net *net) { return net->buffers; }
int iw_net_layer_count(const iw_net *net) { return net->n_layers; }
struct iw_layer *iw_net_layer(iw_net *net, int i) { return i >= 0 && i < net->n_layers ? net->layers[i] : NULL; }
