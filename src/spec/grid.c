/* grid.c — the grid of a parsed sweep: run r <-> grid point (mixed radix over the axes in canonical
 * order, last axis fastest), the --dry-run listing and the progress label of a point.
 */
#include "spec/spec_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

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
    for (int a = 0; a < IW_AXIS_COUNT; a++) point->value[a] = spec->axis_default[a];
    for (int i = spec->n_axes - 1; i >= 0; i--) {
        const iw_axis *a = &spec->axes[i];
        point->value[a->id] = a->values[rest % a->count];
        rest /= a->count;
    }
}

void iw_spec_describe_point(const iw_spec *spec, const iw_point *point, char *buf, size_t size)
{
    size_t k = 0;
    buf[0] = '\0';
    for (int i = 0; i < spec->n_axes && k < size; i++) {
        const iw_axis_def *def = spec->axes[i].def;
        double v = point->value[spec->axes[i].id];
        char value[64];
        if (def->type == IW_AXIS_FLAG) snprintf(value, sizeof value, "%d", v != 0.0);
        else iw_axis_format(def, v, value, sizeof value);
        int n = snprintf(buf + k, size - k, "%s%s=%s", i ? " " : "", def->progress_label ? def->progress_label : def->name, value);
        if (n < 0) break;
        k += (size_t)n;
    }
}

void iw_spec_print_runs(const iw_spec *spec, FILE *out)
{
    int64_t runs = iw_spec_run_count(spec);
    char buf[64];
    int run_width = snprintf(buf, sizeof buf, "%" PRId64, runs - 1);
    if (run_width < 3) run_width = 3;
    int width[IW_AXIS_COUNT];
    fprintf(out, "%*s", run_width, "run");
    for (int i = 0; i < spec->n_axes; i++) {
        const iw_axis *a = &spec->axes[i];
        width[i] = (int)strlen(a->def->name);
        for (int k = 0; k < a->count; k++) {
            int w = iw_axis_format(a->def, a->values[k], buf, sizeof buf);
            if (w > width[i]) width[i] = w;
        }
        fprintf(out, "  %*s", width[i], a->def->name);
    }
    fputc('\n', out);
    for (int64_t r = 0; r < runs; r++) {
        fprintf(out, "%*" PRId64, run_width, r);
        int64_t rest = r, digit[IW_AXIS_COUNT];
        for (int i = spec->n_axes - 1; i >= 0; i--) digit[i] = rest % spec->axes[i].count, rest /= spec->axes[i].count;
        for (int i = 0; i < spec->n_axes; i++) {
            iw_axis_format(spec->axes[i].def, spec->axes[i].values[digit[i]], buf, sizeof buf);
            fprintf(out, "  %*s", width[i], buf);
        }
        fputc('\n', out);
    }
    fprintf(out, "%" PRId64 " run%s (", runs, runs == 1 ? "" : "s");
    for (int i = 0; i < spec->n_axes; i++) fprintf(out, "%s%d", i ? " x " : "", spec->axes[i].count);
    fprintf(out, ")\n");
}
