/* layer.h — the layer interface inside the engine (not public): every layer kind is a
 * plan/init/forward/backward table that can be built and tested alone (tests include this file).
 *
 * Life of a layer:
 *   iw_layer_<kind>_new(...)        config only, no arrays yet
 *   ops->plan(layer, in, max_batch)  output shape and how many floats it needs of each kind
 *   (the net carves params/grads/buffers/saved out of its arena and sets the pointers)
 *   ops->init(layer, init, rng)      parameters and buffers
 *   ops->forward / ops->backward     per step, no allocation
 *
 * Conventions (llm.c style):
 *   - activations are NCHW: a batch of B examples of shape (c, h, w) is B*c*h*w floats;
 *   - backward WRITES din (B, in) (skipped when din == NULL, i.e. first layer) and ADDS into the
 *     layer's param grads (the net zeroes all grads before a backward pass);
 *   - params start with the `weights` floats L2 applies to (conv/linear weights), then the rest
 *     (biases, batch-norm gamma/beta);
 *   - `saved` is this layer's private memory kept from forward to backward (masks, normalised
 *     activations, argmax indices), sized for max_batch; `ctx->workspace` is transient memory
 *     shared by all layers (im2col columns), valid only within one forward or backward call.
 */
#ifndef IW_ENGINE_LAYER_H
#define IW_ENGINE_LAYER_H

#include "iw/engine.h"

typedef struct iw_layer iw_layer;

typedef struct iw_layer_ctx {
    int batch;            /* B, 1 <= B <= max_batch */
    int training;         /* 1: batch statistics, dropout on, running stats updated */
    iw_rng *dropout_rng;  /* dropout masks in training */
    float *workspace;     /* transient floats, at least the max of every layer's sizes.workspace */
} iw_layer_ctx;

typedef struct iw_layer_sizes {
    iw_shape out;         /* per-example output shape */
    size_t params;        /* trainable floats */
    size_t weights;       /* of which the first `weights` get L2 */
    size_t buffers;       /* non-trainable persistent floats (running statistics) */
    size_t saved;         /* floats kept from forward to backward, for max_batch examples */
    size_t workspace;     /* transient floats needed during forward or backward */
} iw_layer_sizes;

typedef struct iw_layer_ops {
    const char *kind;     /* "dense", "relu", "batchnorm", "dropout", "conv2d", "maxpool", ... */
    int (*plan)(iw_layer *layer, iw_shape in, int max_batch, iw_layer_sizes *sizes, iw_error *err);
    void (*init)(iw_layer *layer, iw_init init, iw_rng *rng);
    void (*forward)(iw_layer *layer, const iw_layer_ctx *ctx, const float *in, float *out);
    void (*backward)(iw_layer *layer, const iw_layer_ctx *ctx, const float *in, const float *out,
                     const float *dout, float *din);
    void (*destroy)(iw_layer *layer); /* frees what *_new allocated (config, sub-layers); may be NULL */
} iw_layer_ops;

struct iw_layer {
    const iw_layer_ops *ops;
    iw_shape in, out;     /* set by the net after plan */
    int max_batch;
    float *params, *grads;    /* n_params floats each, slices of the net's vectors */
    size_t n_params, n_weights;
    float *buffers;           /* n_buffers */
    size_t n_buffers;
    float *saved;             /* sizes.saved floats */
    void *config;             /* kind-specific, allocated by *_new, freed by destroy */
};

/* Constructors (NULL on allocation failure). Shapes come from plan. */
iw_layer *iw_layer_dense_new(int out_features);      /* in: any (c,h,w) flattened, out: (n,1,1) */
iw_layer *iw_layer_relu_new(void);
iw_layer *iw_layer_batchnorm_new(void);              /* per channel c over B*h*w values; eps 1e-5 */
iw_layer *iw_layer_dropout_new(float p);             /* inverted dropout: keep with 1-p, scale 1/(1-p) */
iw_layer *iw_layer_conv2d_new(int out_channels, int kernel, int stride, int pad);
iw_layer *iw_layer_maxpool_new(int kernel, int stride);
iw_layer *iw_layer_global_avgpool_new(void);
iw_layer *iw_layer_resblock_new(int out_channels, int stride, int batchnorm); /* basic block */
void iw_layer_free(iw_layer *layer);

/* Helpers for layer implementations: a plan + arena for a standalone layer, used by tests and by
 * composite layers (resblock). */
typedef struct iw_layer_harness {
    iw_layer *layer;
    iw_layer_sizes sizes;
    float *params, *grads, *buffers, *saved, *workspace; /* owned by the harness */
} iw_layer_harness;
int iw_layer_harness_create(iw_layer_harness *h, iw_layer *layer, iw_shape in, int max_batch, iw_error *err);
void iw_layer_harness_free(iw_layer_harness *h); /* also frees the layer */

/* Network building, used by the model builders (model_mlp.c, model_cnn.c, model_resnet.c):
 * append layers in order; iw_net_create then plans and allocates. */
int iw_net_append(iw_net *net, iw_layer *layer, iw_error *err);
int iw_model_build_mlp(iw_net *net, const iw_net_config *cfg, iw_error *err);    /* linear + mlp */
int iw_model_build_cnn(iw_net *net, const iw_net_config *cfg, iw_error *err);
int iw_model_build_resnet(iw_net *net, const iw_net_config *cfg, iw_error *err);

#endif
