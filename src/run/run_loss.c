/* run_loss.c — what a grid point asks of the loss: its kind and parameters (the loss axis, the
 * poly_alpha axis or train.poly_alpha, train.ldam_*, train.la_tau), its normalisation (the normalize
 * axis or train.normalize), the per-class constants from the run's own training counts, and the
 * weights of each epoch (the weight exponent rho of Wang et al., ICLR 2022, and deferred
 * re-weighting, Cao et al., NeurIPS 2019; engine.h, "Weighting variants").
 */
#include "run_internal.h"

#include <math.h>

int iw_run_loss(const iw_spec *spec, const iw_point *point, const int64_t class_counts[2], iw_loss *loss,
                iw_error *err)
{
    const double *v = point->value;
    iw_loss_init(loss, (iw_loss_kind)v[IW_AXIS_LOSS], (iw_normalize)v[IW_AXIS_NORMALIZE]);
    loss->poly_alpha = v[IW_AXIS_POLY_ALPHA];
    loss->ldam_max_margin = spec->train.ldam_max_margin;
    loss->ldam_scale = spec->train.ldam_scale;
    loss->la_tau = spec->train.la_tau;
    if (iw_loss_set_class_counts(loss, class_counts, 2, err) != 0) return -1;
    return iw_loss_check(loss, 2, err);
}

/* out[i] = base[i]^rho when the weights apply, 1 before; returns their sum (in double, in order). */
static double epoch_weights(const float *base, int64_t n, double rho, int epoch, int from, float *out)
{
    double sum = 0.0;
    if (n > 0) iw_weights_for_epoch(base, n, rho, epoch, from, out);
    for (int64_t i = 0; i < n; i++) sum += out[i];
    return sum;
}

void run_set_epoch_weights(run_ctx *c, int epoch)
{
    const double *v = c->point->value;
    int from = (int)v[IW_AXIS_REWEIGHT_FROM];
    int apply = iw_weights_apply(epoch, from);
    if (apply == c->weights_applied) return;
    double rho = v[IW_AXIS_WEIGHT_EXPONENT];
    c->weight_sum = epoch_weights(c->base_weights, c->n_train, rho, epoch, from, c->weights);
    c->loss.weight_mean = c->weight_sum / (double)c->n_train; /* normalize=dataset: the mean over the training set */
    epoch_weights(c->val_base_weights, c->n_val, rho, epoch, from, c->val_weights);
    c->weights_applied = apply;
}
