/* cost.c — the relative cost of each run, for the scheduler's heaviest-first order and its ETA
 * (run.h). Only ratios between runs of one sweep matter; the model is
 *
 *   (epochs x 3 x n_train + evaluated epochs x n_eval + boundary points) x forward MACs x (1 + extras)
 *
 * where a training step costs about three forward passes (forward, backward through activations
 * and weights), n_train is what remains after the validation split, n_eval counts every example
 * evaluated at an evaluated epoch (the training set, the validation split, the test set, the
 * probes: data.other_count images of the out-of-class probe, or eight test-sized classes),
 * evaluated epochs are those of record.eval_epochs (iw_spec_evaluated_epoch_count), the forward
 * multiply-adds come from the engine (iw_net_forward_macs on the
 * sweep's network), and an axis may add a fraction when its value is not 0 (its cost_when_set in
 * the axis table: batch norm +25%, dropout +5%). Sub-sampling
 * trains on fewer examples: w > 1 keeps 1/w of the negatives, w < 1 keeps w of the positives.
 */
#include "iw/run.h"

#include <stdlib.h>

/* Multiply-adds of one forward pass of the sweep's network (without batch norm or dropout). */
static int forward_macs(const iw_spec *spec, double *macs, iw_error *err)
{
    iw_point plain;
    iw_spec_point(spec, 0, &plain);
    plain.value[IW_AXIS_BATCHNORM] = 0;
    plain.value[IW_AXIS_DROPOUT] = 0;
    iw_net_config cfg;
    iw_run_net_config(spec, &plain, iw_data_example_shape(&spec->data), 1, &cfg);
    iw_net *net = iw_net_create(&cfg, err);
    if (!net) return iw_error_prefix(err, "the cost model's network");
    *macs = iw_net_forward_macs(net);
    iw_net_free(net);
    if (!(*macs > 0)) *macs = 1.0;
    return 0;
}

static double run_cost(const iw_spec *spec, const iw_point *point, double macs, int evaluated_epochs)
{
    const iw_data_spec *d = &spec->data;
    double n_neg = d->train_per_class[0] - d->val_per_class[0], n_pos = d->train_per_class[1] - d->val_per_class[1];
    double weight = point->value[IW_AXIS_IMPORTANCE_WEIGHT];
    if (point->value[IW_AXIS_SAMPLING] == IW_SAMPLING_SUBSAMPLE && weight > 0) {
        if (weight > 1) n_neg /= weight;
        else n_pos *= weight;
        if (n_neg < 1) n_neg = 1;
        if (n_pos < 1) n_pos = 1;
    }
    double n_train = n_neg + n_pos;
    double n_eval = n_train + d->val_per_class[0] + d->val_per_class[1] + d->test_per_class[0] + d->test_per_class[1];
    if (d->probe_other) /* a subset, or eight other classes, test-sized */
        n_eval += d->other_count > 0 ? (double)d->other_count : 8.0 * d->test_per_class[0];
    if (d->probe_noise) n_eval += d->noise_count;
    double epochs = spec->train.epochs > 0 ? spec->train.epochs : 1;
    double examples = epochs * 3.0 * n_train + (double)evaluated_epochs * n_eval;
    if (spec->record.n_boundary_epochs > 0)
        examples += (double)spec->record.boundary_grid * spec->record.boundary_grid * spec->record.n_boundary_epochs;
    double extra = 1.0; /* each axis's extra cost when its value is not 0: batch norm, dropout */
    for (int a = 0; a < IW_AXIS_COUNT; a++)
        if (point->value[a] != 0.0) extra += iw_axis_defs[a].cost_when_set;
    return examples * macs * extra;
}

int iw_run_costs(const iw_spec *spec, const int64_t *runs, int64_t n, double *cost, iw_error *err)
{
    double macs = 1.0;
    if (n > 0 && forward_macs(spec, &macs, err) != 0) return -1;
    int evaluated_epochs = n > 0 ? iw_spec_evaluated_epoch_count(spec) : 0;
    for (int64_t i = 0; i < n; i++) {
        iw_point p;
        iw_spec_point(spec, runs[i], &p);
        cost[i] = run_cost(spec, &p, macs, evaluated_epochs);
    }
    return 0;
}
