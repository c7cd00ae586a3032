/* grid.c — the grid of a parsed sweep: run r <-> grid point (mixed radix over the axes in canonical
 * order, last axis fastest), a relative cost per run for heaviest-first scheduling, the --dry-run
 * listing, and the names of enum values as the file writes them.
 */
#include "spec/spec_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

const char *iw_source_name(iw_source s) { return (unsigned)s < 4 ? spec_source_names[s] : "?"; }
const char *iw_model_kind_name(iw_model_kind k) { return (unsigned)k < 4 ? spec_model_names[k] : "?"; }
const char *iw_sampling_name(iw_sampling s) { return (unsigned)s < 2 ? spec_sampling_names[s] : "?"; }

int64_t iw_spec_run_count(const iw_spec *spec)
{
    int64_t runs = 1;
    for (int i = 0; i < spec->n_axes; i++) runs *= spec->axes[i].count; /* <= IW_MAX_RUNS after validation */
    return runs;
}

int iw_spec_axis_index(const iw_spec *spec, iw_axis_id id)
{
    for (int i = 0; i < spec->n_axes; i++)
        if (spec->axes[i].id == id) return i;
    return -1;
}

/* `run` is taken modulo R, so every index maps to some point. */
void iw_spec_point(const iw_spec *spec, int64_t run, iw_point *point)
{
    int64_t runs = iw_spec_run_count(spec);
    int64_t rest = runs > 0 ? ((run % runs) + runs) % runs : 0;
    point->run = rest;
    point->importance_weight = 1.0;
    point->l2 = 0.0;
    point->dropout = 0.0;
    point->batchnorm = 0;
    point->seed = 0;
    point->sampling = IW_SAMPLING_WEIGHT;
    for (int i = spec->n_axes - 1; i >= 0; i--) {
        const iw_axis *a = &spec->axes[i];
        double v = a->values[rest % a->count];
        rest /= a->count;
        switch (a->id) {
        case IW_AXIS_IMPORTANCE_WEIGHT: point->importance_weight = v; break;
        case IW_AXIS_L2: point->l2 = v; break;
        case IW_AXIS_DROPOUT: point->dropout = v; break;
        case IW_AXIS_BATCHNORM: point->batchnorm = v != 0.0; break;
        case IW_AXIS_SEED: point->seed = (int64_t)v; break;
        case IW_AXIS_SAMPLING_ID: point->sampling = v != 0.0 ? IW_SAMPLING_SUBSAMPLE : IW_SAMPLING_WEIGHT; break;
        default: break;
        }
    }
}

/* Multiply-adds of one forward pass for one example. Exact for linear/mlp; for cnn/resnet the
 * convolutions dominate and are counted (3x3, no padding for cnn; same padding, two basic blocks
 * of two convolutions per stage with stride 2 between stages for resnet). */
static double forward_macs(const iw_spec *spec)
{
    const iw_model_spec *m = &spec->model;
    int c_in = spec->data.source == IW_SOURCE_CIFAR10 ? 3 : 1;
    int side = spec->data.source == IW_SOURCE_CIFAR10 ? 32 : 28;
    double in = spec->data.source == IW_SOURCE_SYNTHETIC2D ? 2.0 : (double)c_in * side * side;
    double macs = 0, width = in;
    switch (m->kind) {
    case IW_MODEL_LINEAR: return in * 2;
    case IW_MODEL_MLP:
        for (int i = 0; i < m->n_hidden; i++) macs += width * m->hidden[i], width = m->hidden[i];
        return macs + width * 2;
    case IW_MODEL_CNN: {
        double s = side, c = c_in;
        for (int i = 0; i < m->n_channels; i++) {
            s -= 2;
            if (s < 1) s = 1;
            macs += s * s * m->channels[i] * c * 9;
            c = m->channels[i];
            if (i == 1 || i == 4) s = s / 2 >= 1 ? (double)((int)s / 2) : 1; /* max-pool 2x2 */
        }
        width = s * s * c;
        for (int i = 0; i < m->n_fc; i++) macs += width * m->fc[i], width = m->fc[i];
        return macs + width * 2;
    }
    case IW_MODEL_RESNET: {
        double s = side, c = m->n_channels > 0 ? m->channels[0] : 64;
        macs += s * s * c * c_in * 9;
        for (int stage = 1; stage < m->n_channels; stage++) {
            double w = m->channels[stage];
            if (stage > 1) s = s / 2 >= 1 ? s / 2 : 1;
            macs += s * s * 9 * (c * w + 3 * w * w) + (c != w ? s * s * c * w : 0);
            c = w;
        }
        return macs + c * 2;
    }
    }
    return in * 2;
}

/* Relative cost: epochs x (training passes, about 3 forwards each, + evaluation forwards) x
 * multiply-adds per example, with batch norm and dropout adding a little per layer. The only
 * differences between runs of one sweep are batch norm, dropout and sub-sampling (fewer examples:
 * w > 1 keeps 1/w of the negatives, w < 1 keeps w of the positives). */
double iw_spec_run_cost(const iw_spec *spec, const iw_point *point)
{
    const iw_data_spec *d = &spec->data;
    double n_neg = d->train_per_class[0], n_pos = d->train_per_class[1];
    if (point->sampling == IW_SAMPLING_SUBSAMPLE && point->importance_weight > 0) {
        if (point->importance_weight > 1) n_neg /= point->importance_weight;
        else n_pos *= point->importance_weight;
        if (n_neg < 1) n_neg = 1;
        if (n_pos < 1) n_pos = 1;
    }
    double n_train = n_neg + n_pos;
    double n_eval = n_train + d->test_per_class[0] + d->test_per_class[1];
    if (d->probe_other) n_eval += 8.0 * d->test_per_class[0];
    if (d->probe_noise) n_eval += d->noise_count;
    double per_epoch = 3.0 * n_train + n_eval;
    if (spec->record.n_boundary_epochs > 0)
        per_epoch += (double)spec->record.boundary_grid * spec->record.boundary_grid * spec->record.n_boundary_epochs /
                     (spec->train.epochs > 0 ? spec->train.epochs : 1);
    double extra = 1.0 + (point->batchnorm ? 0.25 : 0.0) + (point->dropout > 0 ? 0.05 : 0.0);
    double epochs = spec->train.epochs > 0 ? spec->train.epochs : 1;
    return epochs * per_epoch * forward_macs(spec) * extra;
}

static int format_value(const iw_axis *a, double v, char *buf, size_t size)
{
    switch (a->type) {
    case IW_AXIS_BOOL: return snprintf(buf, size, "%s", v != 0.0 ? "true" : "false");
    case IW_AXIS_INT: return snprintf(buf, size, "%" PRId64, (int64_t)v);
    case IW_AXIS_SAMPLING: return snprintf(buf, size, "%s", iw_sampling_name(v != 0.0 ? IW_SAMPLING_SUBSAMPLE : IW_SAMPLING_WEIGHT));
    default: return snprintf(buf, size, "%g", v);
    }
}

void iw_spec_print_runs(const iw_spec *spec, FILE *out)
{
    int64_t runs = iw_spec_run_count(spec);
    char buf[64];
    int run_width = snprintf(buf, sizeof buf, "%" PRId64, runs - 1);
    if (run_width < 3) run_width = 3;
    int width[IW_MAX_AXES];
    fprintf(out, "%*s", run_width, "run");
    for (int i = 0; i < spec->n_axes; i++) {
        const iw_axis *a = &spec->axes[i];
        width[i] = (int)strlen(a->name);
        for (int k = 0; k < a->count; k++) {
            int w = format_value(a, a->values[k], buf, sizeof buf);
            if (w > width[i]) width[i] = w;
        }
        fprintf(out, "  %*s", width[i], a->name);
    }
    fputc('\n', out);
    for (int64_t r = 0; r < runs; r++) {
        fprintf(out, "%*" PRId64, run_width, r);
        int64_t rest = r, digit[IW_MAX_AXES];
        for (int i = spec->n_axes - 1; i >= 0; i--) digit[i] = rest % spec->axes[i].count, rest /= spec->axes[i].count;
        for (int i = 0; i < spec->n_axes; i++) {
            format_value(&spec->axes[i], spec->axes[i].values[digit[i]], buf, sizeof buf);
            fprintf(out, "  %*s", width[i], buf);
        }
        fputc('\n', out);
    }
    fprintf(out, "%" PRId64 " run%s (", runs, runs == 1 ? "" : "s");
    for (int i = 0; i < spec->n_axes; i++) fprintf(out, "%s%d", i ? " x " : "", spec->axes[i].count);
    fprintf(out, ")\n");
}
