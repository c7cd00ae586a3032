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
 *     layer's param grads (the net zeroes all grads before a backward pass; the one exception is
 *     dense, whose backward overwrites its grads and is not zeroed: iw_layer_overwrites_grads);
 *   - backward receives the same `in` and `out` arrays as the forward of that batch, unchanged
 *     (batch norm recomputes its normalised values from `in`; relu masks with `out`);
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
    iw_rng *dropout_rng;  /* dropout masks in training; NULL = no dropout */
    float *workspace;     /* transient floats, at least the max of every layer's sizes.workspace */
} iw_layer_ctx;

typedef struct iw_layer_sizes {
    iw_shape out;         /* per-example output shape */
    size_t params;        /* trainable floats */
    size_t weights;       /* of which the first `weights` get L2 */
    size_t buffers;       /* non-trainable persistent floats (running statistics) */
    size_t saved;         /* floats kept from forward to backward, for max_batch examples */
    size_t workspace;     /* transient floats needed during forward or backward */
    size_t positions;     /* output positions per example at which each weight is applied (the
                             multiply-add count is weights x positions); 0: out.h * out.w */
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
    size_t positions;         /* from sizes.positions (out.h * out.w when that was 0) */
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
/* A conv2d followed by a ReLU, in one layer: y = max(conv(x) + b, 0), the same values and
 * gradients as the two layers, with fewer passes over the output (the F(4x4) Winograd kernels
 * apply the ReLU in their output transform and its mask in their output-gradient transform). */
iw_layer *iw_layer_conv2d_relu_new(int out_channels, int kernel, int stride, int pad);
/* The same followed by a 2x2 max pooling with stride 2 (nn.MaxPool2d(2)): output (out_channels,
 * Ho/2, Wo/2). The Winograd kernels pool as they write the output (even Ho, Wo), so the whole
 * convolution output is never stored, and build the gradient of the window's maximum directly. */
iw_layer *iw_layer_conv2d_relu_pool_new(int out_channels, int kernel, int stride, int pad);
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
/* Plans `layer` for input shape `in` and up to max_batch examples, allocates zeroed params, grads,
 * buffers, saved and workspace (NULL where a size is 0) and sets the layer's in/out/max_batch and
 * pointers. Does not call init. Takes ownership of `layer` (freed on failure too; a NULL layer
 * is reported as out of memory, so `iw_layer_harness_create(&h, iw_layer_relu_new(), ...)` is
 * safe). Returns 0, or -1 with err set. */
int iw_layer_harness_create(iw_layer_harness *h, iw_layer *layer, iw_shape in, int max_batch, iw_error *err);
void iw_layer_harness_free(iw_layer_harness *h); /* also frees the layer */

/* For *_new constructors: a zeroed layer with `ops` and a zeroed config of config_size bytes
 * (none when 0). NULL on allocation failure. iw_layer_free frees both (after ops->destroy, which
 * is then only needed for what the config itself points to; if ops->destroy is non-NULL it must
 * free the config too). */
iw_layer *iw_layer_alloc(const iw_layer_ops *ops, size_t config_size);

/* Parameter initialisation shared by conv and linear layers (init.c). fan_in = inputs per output
 * (in_features for linear, in_channels * k * k for conv).
 *   IW_INIT_HE:      weights ~ N(0, 2/fan_in) (Kaiming normal, ReLU gain), biases 0;
 *   IW_INIT_PYTORCH: weights and biases ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (what PyTorch's
 *                    Linear/Conv2d reset_parameters amounts to: kaiming_uniform with a = sqrt(5)). */
void iw_init_weights(float *w, size_t n, int fan_in, iw_init init, iw_rng *rng);
void iw_init_biases(float *b, size_t n, int fan_in, iw_init init, iw_rng *rng);

/* Dropout, for tests comparing with PyTorch: the next training forward of this dropout layer uses
 * keep[0 .. batch*features) (1 keep, 0 drop; values are scaled by 1/(1-p) as usual) instead of
 * drawing from ctx->dropout_rng. The array must stay valid until that forward; used once. */
void iw_layer_dropout_use_mask(iw_layer *layer, const float *keep);

/* A net from an explicit list of layers instead of cfg->kind (tests, custom models): takes
 * ownership of layers[0..n) (freed on failure too). cfg supplies input, n_classes (the last
 * layer's output size must equal it), init and max_batch. */
iw_net *iw_net_create_from_layers(const iw_net_config *cfg, iw_layer **layers, int n, iw_error *err);

/* The output of layer i (0 <= i < layer count) of the last forward, (batch, out) floats, valid until
 * the next forward (tools that look inside a network, e.g. bench/trajectory_flips.c). */
const float *iw_net_activation(const iw_net *net, int i);

/* Network building, used by the model builders (model_mlp.c, model_cnn.c, model_resnet.c):
 * append layers in order; iw_net_create then plans and allocates. */
/* iw_net_append takes ownership of `layer` in every case: on failure (NULL layer = out of memory,
 * too many layers) it frees it and returns -1, so builders can write
 * `if (iw_net_append(net, iw_layer_relu_new(), err)) return -1;`. */
int iw_net_append(iw_net *net, iw_layer *layer, iw_error *err);
int iw_model_build_mlp(iw_net *net, const iw_net_config *cfg, iw_error *err);    /* linear + mlp */
int iw_model_build_cnn(iw_net *net, const iw_net_config *cfg, iw_error *err);
int iw_model_build_resnet(iw_net *net, const iw_net_config *cfg, iw_error *err);

/* Engine internals shared by net.c and the layer files. */

/* Losses (engine.h gives the formulas, the papers and the normalisations).
 *
 * iw_loss_compute: the batch loss L of `loss` on logits (batch, K), labels in [0, K) and weights
 * (NULL = all 1); writes dL/dlogits (batch, K) when dlogits != NULL. Returns NaN, with dlogits
 * not written, on a label outside [0, K) or a descriptor that fails iw_loss_check. */
double iw_loss_compute(const iw_loss *loss, const float *logits, int batch, int n_classes,
                       const int32_t *labels, const float *weights, float *dlogits);

/* One example of each kind (one file each: loss_<kind>.c): returns l for logits z[0..K) and label
 * y (both already checked), and when dz != NULL writes g * dl/dz_k into dz[0..K), g = w_i / N being
 * the example's share of the batch loss. */
typedef double (*iw_loss_example_fn)(const iw_loss *loss, const float *z, int K, int y, double g, float *dz);
double iw_loss_example_cross_entropy(const iw_loss *loss, const float *z, int K, int y, double g, float *dz);
double iw_loss_example_poly(const iw_loss *loss, const float *z, int K, int y, double g, float *dz);
double iw_loss_example_ldam(const iw_loss *loss, const float *z, int K, int y, double g, float *dz);
double iw_loss_example_logit_adjusted(const iw_loss *loss, const float *z, int K, int y, double g, float *dz);

/* Softmax cross-entropy on affinely transformed logits, the core of three kinds:
 *   u_k = scale * (z_k + shift_k + [k = y] true_shift),  l = logsumexp(u) - u_y,
 *   dl/dz_k = scale * (softmax(u)_k - [k = y]);
 * shift NULL = all 0. Log-sum-exp around max_k u_k, in double. Writes g * dl/dz into dz when
 * dz != NULL. */
double iw_loss_softmax_affine(const float *z, int K, int y, double scale, const double *shift,
                              double true_shift, double g, float *dz);

/* Per-class constants from training counts n[0..K) (>= 0, at least one > 0; the caller checks):
 * LDAM's relative margins (min_j n_j / n_k)^(1/4) over the classes that have examples (+inf for
 * n_k = 0), so that Delta_k = max_margin * relative_k = C / n_k^(1/4) with the largest 1 *
 * max_margin (loss_ldam.c), and the log class priors log(n_k / sum_j n_j) (-inf for n_k = 0)
 * (loss_logit_adjusted.c). */
void iw_loss_ldam_margins(const int64_t *counts, int K, double *relative_margin);
void iw_loss_log_priors(const int64_t *counts, int K, double *log_prior);

/* 2x2 max pooling with stride 2 of `planes` planes H x W into (H/2) x (W/2) (maxpool.c, the maxpool
 * layer's kernels): argmax indices within each input plane into arg when non-NULL (the first
 * maximum in row-major order; NaN propagates). */
void iw_maxpool2x2(size_t planes, int H, int W, const float *x, float *y, int32_t *arg);

/* ReLU on n floats (relu.c), also for layers that fuse one: y = max(y, 0) in place (NaN -> 0, as
 * the relu layer), and dx = dy * [y > 0] with y the ReLU's output. */
void iw_relu_inplace(size_t n, float *y);
void iw_relu_grad(size_t n, const float *restrict y, const float *restrict dy, float *restrict dx);

/* SGD on n floats with PyTorch's semantics: g' = g + l2*p; v = momentum*v + g'; p -= lr*v
 * (momentum 0: p -= lr*g', v untouched). */
void iw_sgd_update(float *p, const float *g, float *v, size_t n, float lr, float momentum, float l2);

/* The engine's x86-64 kernels (AVX2 + FMA, AVX-512) are compiled through function target
 * attributes (GCC, Clang), so one binary carries them all; elsewhere only the portable path exists
 * and iw_engine_isa() is IW_ISA_PORTABLE. */
#if defined(__x86_64__) && defined(__GNUC__)
#define IW_X86_KERNELS 1
#endif

/* The message about IW_ENGINE_ISA (unknown name, or a path the CPU lacks), or NULL (isa.c; part
 * of iw_engine_kernel_warning). */
const char *iw_engine_isa_warning(void);

/* 1 when this layer's backward overwrites (rather than adds into) all of its param grads, so the
 * net need not zero them first (dense: its sgemm writes dW with beta = 0). Unknown kinds: 0. */
int iw_layer_overwrites_grads(const iw_layer *layer);

#endif
