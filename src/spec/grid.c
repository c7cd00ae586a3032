/* grid.c — the grid of a parsed sweep: run r <-> grid point (mixed radix over the axes in canonical
 * order, last axis fastest), the --dry-run listing, and the names of enum values as the file
 * writes them.
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
