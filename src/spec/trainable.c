/* trainable.c — refuses, at parse time, a sweep in which some run could not train: such a run would
 * take no optimiser step (or only steps of size zero) in an epoch and still be stored as done, with
 * the same metrics at every epoch. Each check names the key, its line and what would work:
 *
 *   - batch norm with train.batch_size 1: the batch variance of one example is 0, so every
 *     minibatch is skipped (PyTorch refuses such batches too); batch norm needs >= 2 per batch;
 *   - sampling subsample with a weight so far from 1 that the thinned class keeps
 *     round(train_per_class x fraction) = 0 examples (a one-class training set; the ratio asked
 *     for cannot be made from that many examples);
 *   - an importance weight, lr or lr_dropout that is 0 or infinite once rounded to float32 (the
 *     engine's precision): a zero weight removes the positive class from the loss, a zero rate
 *     makes every step empty, an infinite one diverges at the first step;
 *   - the same for the effective weight w^rho of every weight and grid.weight_exponent rho of the
 *     runs that weight the loss (sampling weight): 1/16 with rho 40 is 0 in float32, 16 with rho
 *     40 is infinite (run_loss.c raises the float32 weight to rho, as iw_weight_effective does).
 * The same sub-sampling rule is applied at run time by iw_data_training_set (src/data/sample.c),
 * and the training loop itself fails a run in which an epoch took no step (src/run/run.c).
 */
#include "spec/spec_internal.h"

#include <float.h>
#include <math.h>
#include <stdio.h>

/* v rounded to float32 is a finite number > 0 */
static int positive_in_float32(double v) { return (float)v > 0.0f && isfinite((float)v); }

static int blame(const spec_ctx *c, spec_key id, spec_key section)
{
    return c->key_line[id] ? c->key_line[id] : c->key_line[section] ? c->key_line[section] : c->top_line;
}

/* Line of grid.<axis>, else of grid, else of the document. */
static int blame_axis(const spec_ctx *c, iw_axis_id id)
{
    return c->axis_line[id] ? c->axis_line[id] : blame(c, SPEC_KEY_GRID, SPEC_KEY_GRID);
}

/* The axis of the grid with this id, or NULL when the grid lacks it (an optional axis). */
static const iw_axis *grid_axis(const iw_spec *s, iw_axis_id id)
{
    int i = iw_spec_axis_index(s, id);
    return i < 0 ? NULL : &s->axes[i];
}

static int check_batchnorm_batch(spec_ctx *c)
{
    const iw_axis *bn = grid_axis(c->spec, IW_AXIS_BATCHNORM);
    int with_bn = 0;
    for (int i = 0; bn && i < bn->count; i++) with_bn |= bn->values[i] != 0.0;
    if (!with_bn || c->spec->train.batch_size >= 2) return 0;
    return spec_fail(c, blame(c, SPEC_KEY_TRAIN_BATCH_SIZE, SPEC_KEY_TRAIN), "train.batch_size",
                     "batch norm needs at least 2 examples per minibatch (grid.batchnorm has true, line %d): with "
                     "%d the batch variance is 0 and no step could be taken; expected a whole number >= 2",
                     blame_axis(c, IW_AXIS_BATCHNORM), c->spec->train.batch_size);
}

/* The thinned class must keep at least one example for every weight (same rule as sample.c). */
static int check_subsample(spec_ctx *c)
{
    const iw_spec *s = c->spec;
    const iw_axis *sampling = grid_axis(s, IW_AXIS_SAMPLING);
    int subsample = 0;
    for (int i = 0; sampling && i < sampling->count; i++) subsample |= sampling->values[i] == IW_SAMPLING_SUBSAMPLE;
    if (!subsample) return 0;
    const iw_axis *w = grid_axis(s, IW_AXIS_IMPORTANCE_WEIGHT);
    for (int i = 0; w && i < w->count; i++) {
        double weight = w->values[i];
        int thin = weight >= 1.0 ? 0 : 1;
        double fraction = weight >= 1.0 ? 1.0 / weight : weight;
        int count = s->data.train_per_class[thin];
        if (llround((double)count * fraction) >= 1) continue;
        long long need = (long long)ceil(0.5 / fraction);
        while (llround((double)need * fraction) < 1) need++;
        char key[64];
        snprintf(key, sizeof key, "grid.importance_weight[%d]", i);
        return spec_fail(c, blame_axis(c, IW_AXIS_IMPORTANCE_WEIGHT), key,
                         "with grid.sampling subsample, weight %g keeps round(%d x %g) = 0 of the %d training "
                         "examples of the %s class: its runs would have one class only; expected "
                         "data.train_per_class >= %lld for that class (line %d), or a weight closer to 1",
                         weight, count, fraction, count, thin ? "positive" : "negative", need,
                         blame(c, SPEC_KEY_DATA_TRAIN_PER_CLASS, SPEC_KEY_DATA));
    }
    return 0;
}

static int check_float32(spec_ctx *c)
{
    const iw_spec *s = c->spec;
    const iw_axis *w = grid_axis(s, IW_AXIS_IMPORTANCE_WEIGHT);
    for (int i = 0; w && i < w->count; i++) {
        if (positive_in_float32(w->values[i])) continue;
        char key[64];
        snprintf(key, sizeof key, "grid.importance_weight[%d]", i);
        return spec_fail(c, blame_axis(c, IW_AXIS_IMPORTANCE_WEIGHT), key,
                         "weight %g is %s in float32, the precision of the loss; expected %.3g <= w <= %.3g",
                         w->values[i], (float)w->values[i] > 0.0f ? "infinite" : "0", (double)FLT_TRUE_MIN,
                         (double)FLT_MAX);
    }
    const iw_axis *dropout = grid_axis(s, IW_AXIS_DROPOUT);
    int with_dropout = 0; /* lr_dropout is used only by runs with dropout > 0 */
    for (int i = 0; dropout && i < dropout->count; i++) with_dropout |= dropout->values[i] > 0.0;
    const struct { spec_key id; double v; } rates[] = {{SPEC_KEY_TRAIN_LR, s->train.lr},
                                                        {SPEC_KEY_TRAIN_LR_DROPOUT, s->train.lr_dropout}};
    for (int i = 0; i < 1 + with_dropout; i++)
        if (!positive_in_float32(rates[i].v))
            return spec_fail(c, blame(c, rates[i].id, SPEC_KEY_TRAIN), spec_key_names[rates[i].id],
                             "%g is %s in float32, the precision of the SGD step: no step could change the "
                             "network; expected %.3g <= lr <= %.3g",
                             rates[i].v, (float)rates[i].v > 0.0f ? "infinite" : "0", (double)FLT_TRUE_MIN,
                             (double)FLT_MAX);
    return 0;
}

/* w^rho for every weight and exponent of the grid, when some run weights the loss. */
static int check_effective_weights(spec_ctx *c)
{
    const iw_spec *s = c->spec;
    const iw_axis *rho = grid_axis(s, IW_AXIS_WEIGHT_EXPONENT), *w = grid_axis(s, IW_AXIS_IMPORTANCE_WEIGHT);
    const iw_axis *sampling = grid_axis(s, IW_AXIS_SAMPLING);
    int weighted = !sampling;
    for (int i = 0; sampling && i < sampling->count; i++) weighted |= sampling->values[i] == IW_SAMPLING_WEIGHT;
    if (!rho || !w || !weighted) return 0;
    for (int j = 0; j < rho->count; j++)
        for (int i = 0; i < w->count; i++) {
            /* iw_weight_effective's rule (engine.h), written here: the parser uses the engine's
             * header only */
            double base = (float)w->values[i];
            float effective = (float)(rho->values[j] == 1.0 ? base : pow(base, rho->values[j]));
            if (effective > 0.0f && isfinite(effective)) continue;
            char key[64];
            snprintf(key, sizeof key, "grid.weight_exponent[%d]", j);
            return spec_fail(c, blame_axis(c, IW_AXIS_WEIGHT_EXPONENT), key,
                             "weight %g (grid.importance_weight, line %d) raised to rho %g is %s in float32, the "
                             "precision of the loss: %s; expected an exponent with %.3g <= w^rho <= %.3g for every weight",
                             w->values[i], blame_axis(c, IW_AXIS_IMPORTANCE_WEIGHT), rho->values[j],
                             effective > 0.0f ? "infinite" : "0",
                             effective > 0.0f ? "the first step would diverge" : "the positive class would leave the loss",
                             (double)FLT_TRUE_MIN, (double)FLT_MAX);
        }
    return 0;
}

int spec_check_trainable(spec_ctx *c)
{
    if (check_batchnorm_batch(c) || check_subsample(c) || check_float32(c) || check_effective_weights(c)) return -1;
    return 0;
}
