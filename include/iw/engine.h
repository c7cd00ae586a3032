/* engine.h — the training engine: networks as a sequence of layers over one arena, weighted
 * softmax cross-entropy, SGD. Knows nothing of MPI, HDF5 or the sweep file's text.
 *
 *   x (B, C, H, W) ──► layer 0 ──► layer 1 ──► ... ──► logits (B, K) ──► weighted CE
 *                                                                  ◄── dlogits
 *   all trainable floats:  params [P]   grads [P]   velocity [P]   (one contiguous vector each)
 *   non-trainable state:   buffers [N]  (batch-norm running mean/var)
 *
 * Memory: iw_net_create sizes and allocates everything once for `max_batch` examples; forward,
 * backward and the SGD step allocate nothing. The optimiser sees only the flat vectors: L2 applies
 * to the ranges of conv/linear weights (never biases or batch-norm affine parameters), with
 * PyTorch's semantics: g' = g + l2*w; v = momentum*v + g'; w -= lr*v  (v = g' when momentum = 0).
 *
 * Loss (per example i with label y_i in {0, 1} and weight w_i; p = softmax(logits)):
 *   l_i = -log p_i[y_i];  normalize=weights: L = sum w_i l_i / sum w_i;  batch: L = sum w_i l_i / B.
 * Matrix products: the engine's own kernels on CPUs with AVX2 + FMA or AVX-512 (see iw_isa below),
 * except dense layers at more than 64 examples per batch (OpenBLAS is faster there); OpenBLAS on
 * the portable path. The caller sets OpenBLAS to one thread (iw_engine_init_threads).
 */
#ifndef IW_ENGINE_H
#define IW_ENGINE_H

#include "iw/common.h"
#include "iw/rng.h"
#include "iw/spec.h"

#define IW_MAX_LAYERS 64

typedef struct iw_net_config {
    iw_model_kind kind;
    iw_shape input;           /* per-example input shape */
    int n_classes;            /* 2 in every sweep */
    int hidden[IW_MAX_HIDDEN];/* mlp hidden widths */
    int n_hidden;
    int channels[IW_MAX_CHANNELS]; /* cnn/resnet widths, see iw_model_spec; n_channels 0 = defaults */
    int n_channels;
    int fc[4];                /* cnn hidden fully connected widths */
    int n_fc;
    int batchnorm;            /* 0/1: after each conv / hidden linear layer, before ReLU */
    float dropout;            /* drop probability on hidden fully connected layers, 0 = none */
    iw_init init;
    int max_batch;            /* largest batch forward/backward will see (train and evaluation) */
} iw_net_config;

/* Fills a config from the sweep's model spec and one grid point. */
void iw_net_config_from_spec(iw_net_config *cfg, const iw_model_spec *model, iw_shape input,
                             int batchnorm, double dropout, int max_batch);

typedef struct iw_net iw_net;

/* Builds the network (shapes, arena). Returns NULL with err set on a bad config or no memory. */
iw_net *iw_net_create(const iw_net_config *cfg, iw_error *err);
void iw_net_free(iw_net *net);

/* Initialises parameters (He or PyTorch default, per cfg->init) from `rng` (the init stream),
 * batch-norm running statistics to mean 0 / var 1, and zeroes the velocity. */
void iw_net_init(iw_net *net, iw_rng *rng);

/* Forward pass of `batch` examples x (batch, C, H, W). training = 1 uses batch statistics and
 * dropout (masks from dropout_rng; NULL = no dropout), and updates batch-norm running statistics
 * (momentum 0.1, as PyTorch); training = 0 uses running statistics and no dropout. Returns the
 * logits (batch, K), owned by the net and valid until the next forward; NULL when batch is not in
 * 1..max_batch. The net keeps a pointer to x for the first layer's backward: x must stay valid and
 * unchanged until iw_net_backward has returned. */
const float *iw_net_forward(iw_net *net, const float *x, int batch, int training, iw_rng *dropout_rng);

/* After a training forward of the same batch: weighted softmax cross-entropy on labels y (0/1)
 * with per-example weights w (NULL = all 1), backward through every layer. Overwrites grads (no
 * accumulation across calls). Returns the loss L (without the L2 term); NaN when the last forward
 * was not a training forward or a label is outside [0, K). Under normalize=weights a batch whose
 * weights sum to 0 has loss 0 and zero gradient. */
double iw_net_backward(iw_net *net, const int32_t *labels, const float *weights, iw_normalize normalize);

/* Loss only, for evaluation: sum_i w_i * l_i over `batch` logits (the caller normalises). */
double iw_loss_weighted_sum(const float *logits, int batch, int n_classes, const int32_t *labels,
                            const float *weights);

/* One SGD step on params from grads, with L2 on conv/linear weights and optional momentum. */
void iw_net_sgd_step(iw_net *net, float lr, float momentum, float l2);

/* sqrt of the sum of squared conv/linear weights. */
double iw_net_weight_norm(const iw_net *net);

/* Flat views (for tests, checkpoints, fixtures). Counts in floats. */
size_t iw_net_param_count(const iw_net *net);
float *iw_net_params(iw_net *net);
float *iw_net_grads(iw_net *net);
float *iw_net_velocity(iw_net *net);
size_t iw_net_buffer_count(const iw_net *net);
float *iw_net_buffers(iw_net *net);
int iw_net_layer_count(const iw_net *net);
struct iw_layer *iw_net_layer(iw_net *net, int i);
const iw_net_config *iw_net_get_config(const iw_net *net);

/* Instruction-set paths of the engine's own kernels (convolution, pooling, small dense products;
 * engine.h's OpenBLAS calls are OpenBLAS's business). One binary carries all three, compiled
 * through function target attributes (no -march flag), and the path is chosen once at run time
 * from the CPU (__builtin_cpu_supports: avx512f for AVX-512, avx2 + fma for AVX2), never from
 * timing. The environment variable IW_ENGINE_ISA=portable|avx2|avx512, read on first use, asks
 * for a lower path (tests, benchmarks, or matching results across a mixed cluster); a path the
 * CPU lacks is clamped to the best it has, and an unknown name is ignored, both with a message
 * in iw_engine_kernel_warning(). The AVX2 and AVX-512 paths give bit-identical results (the same
 * multiply-add chain per output), and without OpenBLAS products (batches of up to 64 examples in
 * dense layers, any batch elsewhere) nodes of either kind agree whatever their OpenBLAS kernel;
 * the portable path rounds differently (cblas_sgemm, and by OpenBLAS's kernel). */
typedef enum iw_isa { IW_ISA_PORTABLE = 0, IW_ISA_AVX2 = 1, IW_ISA_AVX512 = 2 } iw_isa;
iw_isa iw_engine_isa(void);            /* the path the kernels take now */
iw_isa iw_engine_isa_best(void);       /* the best path this CPU can run */
/* Tests and benchmarks: selects `isa`, clamped to iw_engine_isa_best(); returns the path now in
 * use. Not thread-safe (the engine runs one thread per process). */
iw_isa iw_engine_set_isa(iw_isa isa);
const char *iw_engine_isa_name(iw_isa isa); /* "portable", "avx2", "avx512" */
/* "avx2" etc. (case-insensitive) -> *isa; 0, or -1 for an unknown name. */
int iw_engine_isa_parse(const char *name, iw_isa *isa);

/* Sets OpenBLAS to one thread (DESIGN: one thread per rank) and returns its kernel name
 * (openblas_get_corename()). */
const char *iw_engine_init_threads(void);
/* Non-NULL message when OpenBLAS runs a generic kernel on a CPU with AVX2/AVX-512, saying how to
 * fix it (OPENBLAS_CORETYPE=...), and/or when IW_ENGINE_ISA could not be honoured (unknown name,
 * or a path the CPU lacks); NULL when all is fine. */
const char *iw_engine_kernel_warning(void);

#endif
