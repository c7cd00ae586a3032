/* axis.c — the table of grid axes (include/iw/axis.h says what each field means and who reads
 * it). The order of the rows is the canonical order of the axes, the order of iw_axis_id.
 *
 * The axes are the factors of Byrd & Lipton (ICML 2019): the importance weight on the positive
 * class (the paper runs 1/256 .. 256), L2, dropout and batch norm (its second finding), the seed
 * (repeats), and sampling, sub-sampling the training data instead of weighting the loss (its third
 * finding).
 */
#include "iw/axis.h"

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
