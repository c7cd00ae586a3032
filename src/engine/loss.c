/* loss.c — the loss descriptor (iw_loss: defaults, per-class constants, checks) and the batch
 * loops shared by every loss kind: normalisation, the training-side value and dL/dlogits, and the
 * evaluation-side weighted sum. The per-example formulas live in loss_<kind>.c; engine.h gives
 * them with their papers.
 *
 * Shapes: logits and dlogits (B, K) row-major, labels and weights (B). Each example's share of the
 * batch loss is g_i = w_i / N; its dlogits row is g_i * dl_i/dz. Sums are kept in double.
 */
#include "layer.h"

#include <math.h>

static const iw_loss_example_fn example_fns[IW_LOSS_KIND_COUNT] = {
    [IW_LOSS_CROSS_ENTROPY] = iw_loss_example_cross_entropy,
    [IW_LOSS_POLY] = iw_loss_example_poly,
    [IW_LOSS_LDAM] = iw_loss_example_ldam,
    [IW_LOSS_LOGIT_ADJUSTED] = iw_loss_example_logit_adjusted,
};

static const char *const kind_names[IW_LOSS_KIND_COUNT] = {
    [IW_LOSS_CROSS_ENTROPY] = "cross-entropy",
    [IW_LOSS_POLY] = "poly",
    [IW_LOSS_LDAM] = "ldam",
    [IW_LOSS_LOGIT_ADJUSTED] = "logit-adjusted",
};

const char *iw_loss_kind_name(iw_loss_kind kind)
{
    return (unsigned)kind < IW_LOSS_KIND_COUNT ? kind_names[kind] : NULL;
}

void iw_loss_init(iw_loss *loss, iw_loss_kind kind, iw_normalize normalize)
{
    *loss = (iw_loss){.kind = kind,
                      .normalize = normalize,
                      .weight_mean = 1.0,
                      .poly_alpha = IW_LOSS_DEFAULT_POLY_ALPHA,
                      .ldam_max_margin = IW_LOSS_DEFAULT_LDAM_MAX_MARGIN,
                      .ldam_scale = IW_LOSS_DEFAULT_LDAM_SCALE,
                      .la_tau = IW_LOSS_DEFAULT_LA_TAU,
                      .n_classes = 0};
}

static int needs_class_constants(iw_loss_kind kind)
{
    return kind == IW_LOSS_LDAM || kind == IW_LOSS_LOGIT_ADJUSTED;
}

int iw_loss_set_class_counts(iw_loss *loss, const int64_t *counts, int n_classes, iw_error *err)
{
    const char *name = iw_loss_kind_name(loss->kind) ? iw_loss_kind_name(loss->kind) : "?";
    if (n_classes < 1 || n_classes > IW_LOSS_MAX_CLASSES)
        return iw_error_set(err, "loss %s: %d classes, expected 1 to %d", name, n_classes, IW_LOSS_MAX_CLASSES);
    int64_t total = 0;
    for (int k = 0; k < n_classes; k++) {
        if (counts[k] < 0)
            return iw_error_set(err, "loss %s: class %d has count %lld, expected a count >= 0", name, k,
                                (long long)counts[k]);
        if (counts[k] == 0 && needs_class_constants(loss->kind))
            return iw_error_set(err, "loss %s: class %d has no training examples (its %s would be infinite)",
                                name, k, loss->kind == IW_LOSS_LDAM ? "margin C / n^(1/4)" : "log-prior");
        total += counts[k];
    }
    if (total == 0) return iw_error_set(err, "loss %s: the class counts are all 0", name);
    iw_loss_ldam_margins(counts, n_classes, loss->ldam_relative_margin);
    iw_loss_log_priors(counts, n_classes, loss->log_prior);
    loss->n_classes = n_classes;
    return 0;
}

int iw_loss_check(const iw_loss *loss, int n_classes, iw_error *err)
{
    const char *name = iw_loss_kind_name(loss->kind);
    if (!name) return iw_error_set(err, "unknown loss kind %d", (int)loss->kind);
    switch (loss->normalize) {
    case IW_NORMALIZE_WEIGHTS:
    case IW_NORMALIZE_BATCH: break;
    case IW_NORMALIZE_DATASET:
        if (!(loss->weight_mean > 0.0) || !isfinite(loss->weight_mean))
            return iw_error_set(err, "loss %s: normalize=dataset needs the training set's mean weight > 0, got %g",
                                name, loss->weight_mean);
        break;
    default: return iw_error_set(err, "loss %s: unknown normalize %d", name, (int)loss->normalize);
    }
    if (n_classes < 1) return iw_error_set(err, "loss %s: %d classes, expected >= 1", name, n_classes);
    switch (loss->kind) {
    case IW_LOSS_CROSS_ENTROPY: break;
    case IW_LOSS_POLY:
        if (n_classes != 2)
            return iw_error_set(err, "loss poly: defined for 2 classes (a binary margin), got %d", n_classes);
        if (!(loss->poly_alpha > 0.0) || !isfinite(loss->poly_alpha))
            return iw_error_set(err, "loss poly: alpha must be > 0 and finite, got %g", loss->poly_alpha);
        break;
    case IW_LOSS_LDAM:
        if (!(loss->ldam_scale > 0.0) || !isfinite(loss->ldam_scale))
            return iw_error_set(err, "loss ldam: scale s must be > 0 and finite, got %g", loss->ldam_scale);
        if (!(loss->ldam_max_margin >= 0.0) || !isfinite(loss->ldam_max_margin))
            return iw_error_set(err, "loss ldam: max_margin must be >= 0 and finite, got %g", loss->ldam_max_margin);
        break;
    case IW_LOSS_LOGIT_ADJUSTED:
        if (!isfinite(loss->la_tau))
            return iw_error_set(err, "loss logit-adjusted: tau must be finite, got %g", loss->la_tau);
        break;
    }
    if (needs_class_constants(loss->kind) && loss->n_classes != n_classes)
        return iw_error_set(err, "loss %s: per-class constants are set for %d classes, the logits have %d "
                                 "(call iw_loss_set_class_counts with the training counts)",
                            name, loss->n_classes, n_classes);
    return 0;
}

double iw_loss_normalizer(const iw_loss *loss, double weight_sum, int64_t count)
{
    switch (loss->normalize) {
    case IW_NORMALIZE_BATCH: return (double)count;
    case IW_NORMALIZE_DATASET: return (double)count * loss->weight_mean;
    case IW_NORMALIZE_WEIGHTS:
    default: return weight_sum;
    }
}

/* 0 when every label is in [0, K) and the descriptor passes iw_loss_check. */
static int batch_valid(const iw_loss *loss, int batch, int n_classes, const int32_t *labels)
{
    if (iw_loss_check(loss, n_classes, NULL) != 0) return -1;
    for (int i = 0; i < batch; i++)
        if (labels[i] < 0 || labels[i] >= n_classes) return -1;
    return 0;
}

double iw_loss_weighted_sum(const iw_loss *loss, const float *logits, int batch, int n_classes,
                            const int32_t *labels, const float *weights)
{
    if (batch_valid(loss, batch, n_classes, labels) != 0) return NAN;
    iw_loss_example_fn example = example_fns[loss->kind];
    double total = 0.0;
    for (int i = 0; i < batch; i++) {
        double w = weights ? weights[i] : 1.0;
        total += w * example(loss, logits + (size_t)i * n_classes, n_classes, labels[i], 0.0, NULL);
    }
    return total;
}

double iw_loss_compute(const iw_loss *loss, const float *logits, int batch, int n_classes,
                       const int32_t *labels, const float *weights, float *dlogits)
{
    if (batch_valid(loss, batch, n_classes, labels) != 0) return NAN;
    double weight_sum = 0.0;
    if (loss->normalize == IW_NORMALIZE_WEIGHTS)
        for (int i = 0; i < batch; i++) weight_sum += weights ? weights[i] : 1.0;
    double norm = iw_loss_normalizer(loss, weight_sum, batch);
    iw_loss_example_fn example = example_fns[loss->kind];
    double total = 0.0;
    for (int i = 0; i < batch; i++) {
        double w = weights ? weights[i] : 1.0;
        double g = norm != 0.0 ? w / norm : 0.0; /* a batch whose weights sum to 0: no gradient */
        float *dz = dlogits ? dlogits + (size_t)i * n_classes : NULL;
        total += w * example(loss, logits + (size_t)i * n_classes, n_classes, labels[i], g, dz);
    }
    return norm != 0.0 ? total / norm : 0.0;
}
