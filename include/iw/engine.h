/* engine.h — the training engine: networks as a sequence of layers over one arena, weighted
 * losses (cross-entropy and three later remedies for weighting and imbalance), SGD. Knows nothing
 * of MPI, HDF5 or the sweep file: src/run translates a grid point into an iw_net_config.
 *
 *   x (B, C, H, W) ──► layer 0 ──► layer 1 ──► ... ──► logits (B, K) ──► weighted loss (iw_loss)
 *                                                                  ◄── dlogits
 *   all trainable floats:  params [P]   grads [P]   velocity [P]   (one contiguous vector each)
 *   non-trainable state:   buffers [N]  (batch-norm running mean/var)
 *
 * Memory: iw_net_create sizes and allocates everything once for `max_batch` examples; forward,
 * backward and the SGD step allocate nothing. The optimiser sees only the flat vectors: L2 applies
 * to the ranges of conv/linear weights (never biases or batch-norm affine parameters), with
 * PyTorch's semantics: g' = g + l2*w; v = momentum*v + g'; w -= lr*v  (v = g' when momentum = 0).
 *
 * Losses: see "Losses" below (iw_loss: kind, parameters, normalisation, per-class constants).
 * Matrix products: the engine's own kernels on CPUs with AVX2 + FMA or AVX-512 (see iw_isa below),
 * except dense layers at more than 64 examples per batch (OpenBLAS is faster there); OpenBLAS on
 * the portable path. The caller sets OpenBLAS to one thread (iw_engine_init_threads).
 */
#ifndef IW_ENGINE_H
#define IW_ENGINE_H

#include "iw/common.h"
#include "iw/rng.h"

#define IW_MAX_LAYERS 64
#define IW_MAX_HIDDEN 16   /* mlp hidden layers */
#define IW_MAX_CHANNELS 8  /* cnn / resnet widths */

/* Network architectures (model_mlp.c, model_cnn.c, model_resnet.c). */
typedef enum { IW_MODEL_LINEAR, IW_MODEL_MLP, IW_MODEL_CNN, IW_MODEL_RESNET } iw_model_kind;

/* Initialisation of conv and linear layers:
 *   IW_INIT_HE       weights ~ N(0, 2/fan_in) (He et al. 2015, ReLU gain), biases 0;
 *   IW_INIT_PYTORCH  weights and biases ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), PyTorch's default. */
typedef enum { IW_INIT_HE, IW_INIT_PYTORCH } iw_init;

/* Normalisation of the weighted loss of a batch (see "Losses" below): by the sum of the batch's
 * weights, by the batch size B, or by B times the training set's mean weight. */
typedef enum { IW_NORMALIZE_WEIGHTS, IW_NORMALIZE_BATCH, IW_NORMALIZE_DATASET } iw_normalize;

typedef struct iw_net_config {
    iw_model_kind kind;
    iw_shape input;           /* per-example input shape */
    int n_classes;            /* 2 in every sweep */
    int hidden[IW_MAX_HIDDEN];/* mlp hidden widths */
    int n_hidden;
    int channels[IW_MAX_CHANNELS]; /* cnn: 5 conv widths; resnet: stem + 3 stages; n_channels 0 = defaults
                                      (cnn 64,64,128,128,128; resnet 64,64,128,256) */
    int n_channels;
    int fc[4];                /* cnn hidden fully connected widths; n_fc 0 = default [512, 128] */
    int n_fc;
    int batchnorm;            /* 0/1: after each conv / hidden linear layer, before ReLU */
    float dropout;            /* drop probability on hidden fully connected layers, 0 = none */
    iw_init init;
    int max_batch;            /* largest batch forward/backward will see (train and evaluation) */
} iw_net_config;

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

/* ---- Losses -----------------------------------------------------------------------------------
 * Per example i: logits z (K floats), label y in [0, K), weight w_i >= 0 (NULL weights = all 1).
 *   cross-entropy   l = -log softmax(z)_y
 *   poly            K = 2 only. Binary margin v = (z_1 - z_0) * (+1 if y = 1, -1 if y = 0):
 *                   l = log(1 + e^-v) / log(1 + e^-1) for v <= 1,  l = v^-alpha for v > 1
 *                   (continuous at v = 1, with a kink there: slope -1/((1 + e) log(1 + e^-1)) =
 *                   -0.858 on the left, -alpha on the right). Wang, Chatterji, Haque & Hashimoto,
 *                   "Is importance weighting incompatible with interpolating classifiers?", ICLR
 *                   2022: their polynomially-tailed loss with beta = 1 and the normalised logistic
 *                   loss as its left part (the "logit" variant of the authors' code).
 *   ldam            l = -log softmax(s * (z - Delta_y e_y))_y,  Delta_k = C / n_k^(1/4), C such that
 *                   max_k Delta_k = max_margin. Cao, Wei, Gaidon, Arechiga & Ma, "Learning
 *                   imbalanced datasets with label-distribution-aware margin loss", NeurIPS 2019,
 *                   Eq. 13; the scale s is that of their released code (30).
 *   logit-adjusted  l = -log softmax(z + tau * log pi)_y,  pi_k = n_k / sum_j n_j. Menon, Jayasumana,
 *                   Rawat, Jain, Veit & Kumar, "Long-tail learning via logit adjustment", ICLR 2021,
 *                   Eq. 10.
 * n_k are the training counts per class (iw_loss_set_class_counts). The batch loss is
 *   L = sum_i w_i l_i / N,  N by `normalize`:
 *     weights  N = sum_i w_i in the batch (L = 0 and zero gradient when that sum is 0)
 *     batch    N = B
 *     dataset  N = B * weight_mean, weight_mean = mean of w over the training set (so the weights
 *              are rescaled to mean 1 over the training set: L = sum_i (w_i / weight_mean) l_i / B)
 * Values and gradients are computed in double from the float logits (log-sum-exp for the softmax
 * losses, so LDAM's scaled logits cannot overflow); the gradient is stored as float. */
typedef enum { IW_LOSS_CROSS_ENTROPY, IW_LOSS_POLY, IW_LOSS_LDAM, IW_LOSS_LOGIT_ADJUSTED } iw_loss_kind;
#define IW_LOSS_KIND_COUNT 4
/* The parameters' defaults (iw_loss_init; the sweep file's train.* defaults). */
#define IW_LOSS_DEFAULT_POLY_ALPHA 1.0
#define IW_LOSS_DEFAULT_LDAM_MAX_MARGIN 0.5
#define IW_LOSS_DEFAULT_LDAM_SCALE 30.0
#define IW_LOSS_DEFAULT_LA_TAU 1.0
#define IW_LOSS_MAX_CLASSES 64 /* classes with per-class constants (ldam, logit-adjusted) */

typedef struct iw_loss {
    iw_loss_kind kind;
    iw_normalize normalize;
    double weight_mean;       /* normalize=dataset: mean weight over the training set, > 0 */
    double poly_alpha;        /* poly: tail exponent alpha > 0; default 1 */
    double ldam_max_margin;   /* ldam: the largest margin, >= 0; default 0.5 */
    double ldam_scale;        /* ldam: s > 0, applied to the margin-shifted logits; default 30 */
    double la_tau;            /* logit-adjusted: tau (finite); default 1 */
    /* Per-class constants, filled by iw_loss_set_class_counts for n_classes classes (0: not yet).
     * They depend on the counts only, so the parameters above may be set before or after. */
    int n_classes;
    double ldam_relative_margin[IW_LOSS_MAX_CLASSES]; /* (min_j n_j / n_k)^(1/4) in (0, 1]:
                                                         Delta_k = ldam_max_margin * this (+inf: n_k = 0) */
    double log_prior[IW_LOSS_MAX_CLASSES];            /* log pi_k (-inf for a class with no examples) */
} iw_loss;

/* A descriptor of `kind` with the defaults above, normalize as given, weight_mean 1 and no
 * per-class constants. */
void iw_loss_init(iw_loss *loss, iw_loss_kind kind, iw_normalize normalize);

/* Fills the per-class constants from the training counts n_k (counts[0..n_classes)):
 * ldam_relative_margin and log_prior, and sets loss->n_classes. Returns 0, or -1
 * with err set when n_classes is not in 1..IW_LOSS_MAX_CLASSES, a count is negative, all counts
 * are 0, or (ldam, logit-adjusted) a class has no examples: its margin or log-prior would be
 * infinite. */
int iw_loss_set_class_counts(iw_loss *loss, const int64_t *counts, int n_classes, iw_error *err);

/* 0 when the descriptor can be used with n_classes logits per example; -1 with err saying what is
 * wrong (unknown kind or normalize, poly with K != 2, alpha <= 0, scale <= 0, a negative margin, a
 * non-finite parameter, weight_mean <= 0 under normalize=dataset, ldam/logit-adjusted without
 * constants for K classes). The loss functions return NaN for a descriptor that fails this. */
int iw_loss_check(const iw_loss *loss, int n_classes, iw_error *err);

/* The divisor N of the batch loss for `count` examples whose weights sum to weight_sum (see
 * above): weight_sum, count, or count * weight_mean. The evaluation side divides the
 * iw_loss_weighted_sum of a whole split by it. */
double iw_loss_normalizer(const iw_loss *loss, double weight_sum, int64_t count);

/* Evaluation: sum_i w_i l_i over `batch` logits (batch, n_classes) (the caller normalises, e.g.
 * with iw_loss_normalizer). NaN on a label outside [0, n_classes) or a descriptor that fails
 * iw_loss_check. */
double iw_loss_weighted_sum(const iw_loss *loss, const float *logits, int batch, int n_classes,
                            const int32_t *labels, const float *weights);

/* The loss's name as a sweep file would write it: "cross-entropy", "poly", "ldam",
 * "logit-adjusted"; NULL for an unknown kind. */
const char *iw_loss_kind_name(iw_loss_kind kind);

/* Weighting variants (src/run applies them: the weight_exponent and reweight_from axes).
 * Effective weight w^rho: the "exponentiated" importance weights of Wang et al. (ICLR 2022, see
 * poly above), rho = weight_exponent >= 0 (1: the weight itself, 0: no weighting; 0^rho = 0 for
 * rho > 0). Deferred re-weighting (Cao et al., NeurIPS 2019, "DRW"): the weights apply from
 * training epoch reweight_from on (epochs count from 1; reweight_from <= 1: from the start) and
 * every weight is 1 before it. */
double iw_weight_effective(double weight, double rho);
int iw_weights_apply(int epoch, int reweight_from); /* 1 when epoch >= reweight_from */
/* out[i] = the weight example i carries in training epoch `epoch`: weights[i]^rho when the weights
 * apply, 1 before. n >= 1; out may equal weights. Returns the mean of out[0..n), the weight_mean
 * that normalize=dataset needs for that epoch (NaN when n < 1). */
double iw_weights_for_epoch(const float *weights, int64_t n, double rho, int epoch, int reweight_from,
                            float *out);

/* After a training forward of the same batch: the weighted loss of `loss` on labels (in [0, K))
 * with per-example weights (NULL = all 1), then backward through every layer. Overwrites grads (no
 * accumulation across calls). Returns the loss L (without the L2 term); NaN when the last forward
 * was not a training forward, a label is outside [0, K), loss is NULL (e.g. a stray 0 passed for
 * the old normalisation argument) or the descriptor fails iw_loss_check
 * (grads are then not meaningful). */
double iw_net_backward(iw_net *net, const int32_t *labels, const float *weights, const iw_loss *loss);

/* One SGD step on params from grads, with L2 on conv/linear weights and optional momentum. */
void iw_net_sgd_step(iw_net *net, float lr, float momentum, float l2);

/* sqrt of the sum of squared conv/linear weights. */
double iw_net_weight_norm(const iw_net *net);

/* Multiply-adds of one forward pass for one example, counted from the planned layers: each conv or
 * linear weight is used once per output position of its layer (a dense layer has one position;
 * the convolutions of a residual block all produce the block's output resolution), so the count
 * is sum over layers of n_weights x out.h x out.w. Batch norm, ReLU, pooling and the loss are not
 * counted (they are small next to the products). For the relative cost of runs (src/run). */
double iw_net_forward_macs(const iw_net *net);

/* Flat views (for tests, checkpoints, fixtures). Counts in floats. */
size_t iw_net_param_count(const iw_net *net);
float *iw_net_params(iw_net *net);
float *iw_net_grads(iw_net *net);
float *iw_net_velocity(iw_net *net);
size_t iw_net_buffer_count(const iw_net *net);
float *iw_net_buffers(iw_net *net);
int iw_net_layer_count(const iw_net *net);
struct iw_layer *iw_net_layer(iw_net *net, int i);

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

/* Sets OpenBLAS to one thread (docs/DESIGN.md: one thread per rank) and returns its kernel name
 * (openblas_get_corename()). */
const char *iw_engine_init_threads(void);
/* Non-NULL message when OpenBLAS runs a generic kernel on a CPU with AVX2/AVX-512, saying how to
 * fix it (OPENBLAS_CORETYPE=...), and/or when IW_ENGINE_ISA could not be honoured (unknown name,
 * or a path the CPU lacks); NULL when all is fine. */
const char *iw_engine_kernel_warning(void);

#endif
