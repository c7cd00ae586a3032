/* axis.c — the table of grid axes (include/iw/axis.h says what each field means and who reads
 * it). The order of the rows is the canonical order of the axes, the order of iw_axis_id.
 *
 * The axes are the factors of Byrd & Lipton (ICML 2019): the importance weight on the positive
 * class (the paper runs 1/256 .. 256), L2, dropout and batch norm (its second finding), the seed
 * (repeats), and sampling, sub-sampling the training data instead of weighting the loss (its third
 * finding). Then the remedies of later work, so that they can be compared on the same data, seeds
 * and budget: the loss (polynomially-tailed: Wang, Chatterji, Haque & Hashimoto, ICLR 2022; LDAM:
 * Cao, Wei, Gaidon, Arechiga & Ma, NeurIPS 2019; logit-adjusted: Menon, Jayasumana, Rawat, Jain,
 * Veit & Kumar, ICLR 2021) and the poly loss's tail exponent; the weight exponent rho of Wang et
 * al.'s exponentiated weights; deferred re-weighting (Cao et al.'s DRW); and the normalisation of
 * the weighted loss. The enum names of loss and normalize are the engine's (engine.h), in its
 * order: the value is the iw_loss_kind / iw_normalize.
 */
#include "iw/axis.h"
#include "iw/engine.h" /* the loss kinds and normalisations the loss and normalize axes name */

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define MAX_EXACT_SEED 9007199254740992.0 /* 2^53: seeds travel as doubles */

const iw_axis_def iw_axis_defs[IW_AXIS_COUNT] = {
    [IW_AXIS_IMPORTANCE_WEIGHT] = {
        .name = "importance_weight", .type = IW_AXIS_REAL,
        .lo = 0, .lo_open = 1, .hi = INFINITY, .default_value = 1.0,
        .example = "[0.25, 1, 4]",
        .description = "grid axis: weight on the loss of the positive class (data.classes[1]); the negative class has weight 1",
        .progress_label = "weight", .reciprocal_labels = 1,
    },
    [IW_AXIS_L2] = {
        .name = "l2", .type = IW_AXIS_REAL,
        .lo = 0, .hi = INFINITY, .default_value = 0.0,
        .example = "[0, 0.001]",
        .description = "grid axis: L2 strength; the objective adds (l2/2) * sum of squared conv/linear weights",
    },
    [IW_AXIS_DROPOUT] = {
        .name = "dropout", .type = IW_AXIS_REAL,
        .lo = 0, .hi = 1, .hi_open = 1, .default_value = 0.0,
        .example = "[0, 0.5]",
        .description = "grid axis: drop probability on hidden fully connected layers",
        .cost_when_set = 0.05,
    },
    [IW_AXIS_BATCHNORM] = {
        .name = "batchnorm", .type = IW_AXIS_FLAG, .names = {"false", "true"}, .n_names = 2,
        .default_value = 0,
        .example = "[false, true]",
        .description = "grid axis: batch normalisation after each conv / hidden linear layer (0 = false, 1 = true)",
        .cost_when_set = 0.25,
    },
    [IW_AXIS_SEED] = {
        .name = "seed", .type = IW_AXIS_INT,
        .lo = 0, .hi = MAX_EXACT_SEED, .default_value = 0,
        .example = "[0, 1, 2]",
        .description = "grid axis: seed of the initialisation, minibatch order and dropout masks",
    },
    [IW_AXIS_SAMPLING] = {
        .name = "sampling", .type = IW_AXIS_ENUM, .names = {"weight", "subsample"}, .n_names = 2,
        .default_value = 0, .optional = 1,
        .example = "[weight, subsample]",
        .description = "grid axis: how the positive class is emphasised (0 = weight: importance weight on the loss; 1 = subsample: the training data are sub-sampled instead)",
    },
    [IW_AXIS_LOSS] = {
        .name = "loss", .type = IW_AXIS_ENUM, .names = {"cross-entropy", "poly", "ldam", "logit-adjusted"}, .n_names = 4,
        .default_value = 0, .optional = 1,
        .example = "[cross-entropy, poly]",
        .description = "grid axis: the training loss (0 = cross-entropy; 1 = poly, polynomially-tailed, Wang et al. ICLR 2022; "
                       "2 = ldam, label-distribution-aware margin, Cao et al. NeurIPS 2019; 3 = logit-adjusted, Menon et al. "
                       "ICLR 2021); its parameters are train.poly_alpha (or the poly_alpha axis), ldam_max_margin, ldam_scale, la_tau in /spec",
    },
    [IW_AXIS_POLY_ALPHA] = {
        .name = "poly_alpha", .type = IW_AXIS_REAL,
        .lo = 0, .lo_open = 1, .hi = INFINITY, .default_value = 1.0, .optional = 1,
        .example = "[1, 2]",
        .description = "grid axis: tail exponent alpha of the poly loss, l = z^-alpha for margins z > 1 (used by runs with loss poly only)",
        .progress_label = "alpha", .used_with = "loss", .used_with_value = IW_LOSS_POLY,
    },
    [IW_AXIS_WEIGHT_EXPONENT] = {
        .name = "weight_exponent", .type = IW_AXIS_REAL,
        .lo = 0, .hi = INFINITY, .default_value = 1.0, .optional = 1,
        .example = "[1, 2]",
        .description = "grid axis: exponent rho of the effective weight w^rho on the positive class (the exponentiated weights of Wang et al. ICLR 2022; 1 = the weight itself, 0 = no weighting)",
        .progress_label = "rho",
    },
    [IW_AXIS_REWEIGHT_FROM] = {
        .name = "reweight_from", .type = IW_AXIS_INT,
        .lo = 1, .hi = INFINITY, .default_value = 1.0, .optional = 1,
        .example = "[1, 3]",
        .description = "grid axis: training epoch from which the weights apply (deferred re-weighting, Cao et al. NeurIPS 2019); every weight is 1 before it; 1 = from the start",
    },
    [IW_AXIS_NORMALIZE] = {
        .name = "normalize", .type = IW_AXIS_ENUM, .names = {"weights", "batch", "dataset"}, .n_names = 3,
        .default_value = 0, .optional = 1,
        .example = "[weights, dataset]",
        .description = "grid axis: divisor of a batch's weighted loss sum (0 = weights: the batch's weight sum; 1 = batch: the batch size B; "
                       "2 = dataset: B times the mean weight over the run's training set)",
    },
};

const iw_axis_def *iw_axis_find(const char *name)
{
    for (int a = 0; a < IW_AXIS_COUNT; a++)
        if (strcmp(iw_axis_defs[a].name, name) == 0) return &iw_axis_defs[a];
    return NULL;
}

int iw_axis_format(const iw_axis_def *def, double value, char *buf, size_t size)
{
    switch (def->type) {
    case IW_AXIS_INT: return snprintf(buf, size, "%" PRId64, (int64_t)value);
    case IW_AXIS_FLAG: return snprintf(buf, size, "%s", value != 0.0 ? "true" : "false");
    case IW_AXIS_ENUM: {
        int k = (int)value;
        return snprintf(buf, size, "%s", k >= 0 && k < def->n_names && k == value ? def->names[k] : "?");
    }
    default: return snprintf(buf, size, "%g", value);
    }
}
