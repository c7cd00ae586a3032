/* report_table.c — `iwreport summary` and `iwreport table`, and the grouping of runs that the
 * table and the plots share (see include/iw/report.h). No HDF5 here: the store comes through
 * store_read.h.
 */
#include "iw/report.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- grouping ---- */
static int is_grouping_axis(const iw_report_grouping *g, int a) { return a != g->weight_axis && a != g->seed_axis; }

int iw_report_grouping_make(const iw_store_reader *rd, iw_report_grouping *g, iw_error *err)
{
    memset(g, 0, sizeof *g);
    g->weight_axis = iw_store_reader_axis_index(rd, "importance_weight");
    g->seed_axis = iw_store_reader_axis_index(rd, "seed");
    if (g->weight_axis < 0) return iw_error_set(err, "%s: no importance_weight axis", rd->path);
    g->n_weights = rd->axes[g->weight_axis].n_distinct;
    g->group_of_run = malloc((size_t)rd->runs * sizeof *g->group_of_run);
    if (!g->group_of_run) return iw_error_set(err, "out of memory");
    g->n_groups = 1;
    for (int a = 0; a < rd->n_axes; a++)
        if (is_grouping_axis(g, a)) g->n_groups *= rd->axes[a].n_distinct;
    for (int64_t r = 0; r < rd->runs; r++) {
        int id = 0;
        for (int a = 0; a < rd->n_axes; a++)
            if (is_grouping_axis(g, a)) id = id * rd->axes[a].n_distinct + rd->axes[a].index[r];
        g->group_of_run[r] = id;
    }
    return 0;
}

void iw_report_grouping_free(iw_report_grouping *g)
{
    free(g->group_of_run);
    g->group_of_run = NULL;
}

void iw_report_group_label(const iw_store_reader *rd, const iw_report_grouping *g, int group, char *out, size_t size)
{
    /* decode the mixed-radix group number, last axis fastest */
    int digit[IW_READ_MAX_AXES] = {0};
    for (int a = rd->n_axes - 1; a >= 0; a--) {
        if (!is_grouping_axis(g, a)) continue;
        digit[a] = group % rd->axes[a].n_distinct;
        group /= rd->axes[a].n_distinct;
    }
    size_t len = 0;
    out[0] = '\0';
    for (int a = 0; a < rd->n_axes; a++) {
        if (!is_grouping_axis(g, a) || rd->axes[a].n_distinct < 2 || len >= size) continue;
        len += (size_t)snprintf(out + len, size - len, "%s%s=%s", len ? " " : "", rd->axes[a].name,
                                rd->axes[a].labels[digit[a]]);
    }
    if (out[0] == '\0') snprintf(out, size, "all runs");
}

int iw_report_counts(int status) { return status == IW_STATUS_DONE || status == IW_STATUS_DIVERGED; }

int iw_report_run_in_cell(const iw_store_reader *rd, const iw_report_grouping *g, int64_t r, int group, int weight)
{
    return g->group_of_run[r] == group && rd->axes[g->weight_axis].index[r] == weight && iw_report_counts(rd->status[r]);
}

iw_report_cell iw_report_cell_at(const iw_store_reader *rd, const iw_report_grouping *g, const float *metric,
                                 int group, int weight, int e)
{
    double sum = 0, sum2 = 0;
    int n = 0;
    for (int64_t r = 0; r < rd->runs; r++) {
        if (!iw_report_run_in_cell(rd, g, r, group, weight)) continue;
        float v = metric[r * (rd->epochs + 1) + e];
        if (!isfinite(v)) continue;
        sum += v;
        n++;
    }
    iw_report_cell c = {NAN, NAN, n};
    if (n == 0) return c;
    c.mean = sum / n;
    for (int64_t r = 0; r < rd->runs; r++) {   /* second pass: no cancellation in the variance */
        if (!iw_report_run_in_cell(rd, g, r, group, weight)) continue;
        float v = metric[r * (rd->epochs + 1) + e];
        if (isfinite(v)) sum2 += (v - c.mean) * (v - c.mean);
    }
    c.std = n > 1 ? sqrt(sum2 / (n - 1)) : 0.0;
    return c;
}

iw_report_cell iw_report_cell_of(const iw_store_reader *rd, const iw_report_grouping *g, const double *value,
                                 int group, int weight)
{
    double sum = 0, sum2 = 0;
    int n = 0;
    for (int pass = 0; pass < 2; pass++) /* the mean, then the squares about it (no cancellation) */
        for (int64_t r = 0; r < rd->runs; r++) {
            if (!iw_report_run_in_cell(rd, g, r, group, weight) || !isfinite(value[r])) continue;
            if (pass == 0) sum += value[r], n++;
            else sum2 += (value[r] - sum / n) * (value[r] - sum / n);
        }
    iw_report_cell c = {NAN, NAN, n};
    if (n == 0) return c;
    c.mean = sum / n;
    c.std = n > 1 ? sqrt(sum2 / (n - 1)) : 0.0;
    return c;
}

/* ---- evaluated epochs ---- */
void iw_report_format_evaluated(const iw_store_reader *rd, char *out, size_t size)
{
    int *v = malloc(((size_t)rd->epochs + 1) * sizeof *v), n = 0;
    out[0] = '\0';
    if (!v) return;
    for (int e = 0; e <= rd->epochs; e++)
        if (rd->evaluated[e]) v[n++] = rd->epoch[e];
    size_t len = 0;
    for (int i = 0; i < n && len < size;) {
        /* the longest run from v[i] with one step: "a-b" (step 1, 2+ values) or "a-b every d" (3+) */
        int j = i;
        if (i + 1 < n) {
            int d = v[i + 1] - v[i];
            j = i + 1;
            while (j + 1 < n && v[j + 1] - v[j] == d) j++;
            if (!(d == 1 || j - i >= 2)) j = i;
        }
        const char *sep = i ? ", " : "";
        int w;
        if (j == i) w = snprintf(out + len, size - len, "%s%d", sep, v[i]);
        else if (v[i + 1] - v[i] == 1) w = snprintf(out + len, size - len, "%s%d-%d", sep, v[i], v[j]);
        else w = snprintf(out + len, size - len, "%s%d-%d every %d", sep, v[i], v[j], v[i + 1] - v[i]);
        if (w < 0 || (size_t)w >= size - len) { /* cut: say so rather than end mid-number */
            if (size > 4) snprintf(out + (len + 4 < size ? len : size - 4), 4, "...");
            break;
        }
        len += (size_t)w;
        i = j + 1;
    }
    free(v);
}

/* ---- summary ---- */

/* "hosts:" line: runs finished per host (/runs/host), in order of first appearance; nothing when
 * the store records no host (one made before /runs/host, or nothing finished yet). */
static void report_hosts(const iw_store_reader *rd, FILE *out)
{
    enum { SHOWN = 16 };
    const char *name[SHOWN];
    int64_t count[SHOWN], more = 0;
    int n = 0;
    for (int64_t r = 0; r < rd->runs; r++) {
        if (rd->status[r] == IW_STATUS_PENDING || !rd->host[r][0]) continue;
        int k = 0;
        while (k < n && strcmp(name[k], rd->host[r]) != 0) k++;
        if (k == n && n == SHOWN) { more++; continue; }
        if (k == n) { name[n] = rd->host[r]; count[n++] = 0; }
        count[k]++;
    }
    if (n == 0) return;
    fprintf(out, "hosts:   ");
    for (int k = 0; k < n; k++) fprintf(out, " %s: %lld runs;", name[k], (long long)count[k]);
    if (more) fprintf(out, " %lld runs on other hosts", (long long)more);
    fprintf(out, "\n");
}

int iw_report_summary(const iw_store_reader *rd, FILE *out, iw_error *err)
{
    int64_t count[IW_STATUS_COUNT] = {0}, other = 0;
    double wall = 0, cpu = 0;
    int max_rank = -1;
    for (int64_t r = 0; r < rd->runs; r++) {
        if (rd->status[r] >= 0 && rd->status[r] < IW_STATUS_COUNT) count[rd->status[r]]++;
        else other++;
        if (rd->status[r] != IW_STATUS_PENDING) {
            if (isfinite(rd->wall_seconds[r])) wall += rd->wall_seconds[r];
            if (isfinite(rd->cpu_seconds[r])) cpu += rd->cpu_seconds[r];
            if (rd->worker_rank[r] > max_rank) max_rank = rd->worker_rank[r];
        }
    }
    fprintf(out, "store:    %s\n", rd->path);
    fprintf(out, "name:     %s\n", rd->name);
    fprintf(out, "schema:   %s (written by iwsweep %s)\n", rd->schema, rd->version[0] ? rd->version : "?");
    fprintf(out, "created:  %s\n", rd->created);
    fprintf(out, "spec:     sha256 %s (%zu bytes in /spec)\n", rd->spec_sha256, strlen(rd->spec_text));
    fprintf(out, "kernel:   OpenBLAS %s; %s\n", rd->openblas_core[0] ? rd->openblas_core : "?",
            rd->mpi_library[0] ? rd->mpi_library : "MPI ?");
    fprintf(out, "grid:     %lld runs x %d epochs (+ epoch 0, before training)\n", (long long)rd->runs, rd->epochs);
    if (rd->n_evaluated == rd->epochs + 1) {
        fprintf(out, "evaluated: every epoch\n");
    } else {
        char list[1024];
        iw_report_format_evaluated(rd, list, sizeof list);
        fprintf(out, "evaluated: epochs %s (%d of %d; record.eval_epochs: the others are NaN)\n", list, rd->n_evaluated,
                rd->epochs + 1);
    }
    for (int a = 0; a < rd->n_axes; a++) {
        const iw_read_axis *ax = &rd->axes[a];
        fprintf(out, "  %-18s %3d:", ax->name, ax->n_distinct);
        for (int k = 0; k < ax->n_distinct && k < 24; k++) fprintf(out, " %s", ax->labels[k]);
        fprintf(out, "%s\n", ax->n_distinct > 24 ? " ..." : "");
    }
    fprintf(out, "runs:     %lld done, %lld diverged, %lld failed, %lld pending", (long long)count[IW_STATUS_DONE],
            (long long)count[IW_STATUS_DIVERGED], (long long)count[IW_STATUS_FAILED], (long long)count[IW_STATUS_PENDING]);
    if (other) fprintf(out, ", %lld with an unknown status", (long long)other);
    fprintf(out, " (of %lld)\n", (long long)rd->runs);
    int64_t finished = count[IW_STATUS_DONE] + count[IW_STATUS_DIVERGED] + count[IW_STATUS_FAILED];
    fprintf(out, "time:     %.1f s wall, %.1f s cpu over %lld finished runs (%.2f h wall", wall, cpu,
            (long long)finished, wall / 3600.0);
    if (finished) fprintf(out, ", %.1f s per run", wall / (double)finished);
    fprintf(out, ")\n");
    if (max_rank >= 0) {
        fprintf(out, "ranks:   ");
        for (int k = 0; k <= max_rank; k++) {
            int64_t n = 0;
            double w = 0;
            for (int64_t r = 0; r < rd->runs; r++)
                if (rd->status[r] != IW_STATUS_PENDING && rd->worker_rank[r] == k) {
                    n++;
                    if (isfinite(rd->wall_seconds[r])) w += rd->wall_seconds[r];
                }
            if (n) fprintf(out, " rank %d: %lld runs %.1f s;", k, (long long)n, w);
        }
        fprintf(out, "\n");
    }
    report_hosts(rd, out);
    int64_t retried = 0;
    for (int64_t r = 0; r < rd->runs; r++) retried += rd->attempt[r] > 1;
    if (retried) fprintf(out, "retried:  %lld runs needed more than one attempt\n", (long long)retried);
    fprintf(out, "metrics: ");
    for (int m = 0; m < rd->n_metrics; m++) fprintf(out, " %s", rd->metric_names[m]);
    fprintf(out, "\n");
    if (rd->logit_count) {
        fprintf(out, "logits:   %d epochs (", rd->logit_count);
        for (int s = 0; s < rd->logit_count; s++) fprintf(out, "%s%d", s ? " " : "", rd->logit_epoch[s]);
        fprintf(out, ") of %lld test examples\n", (long long)rd->n_test);
    }
    if (rd->boundary_count) {
        fprintf(out, "boundary: %d epochs (", rd->boundary_count);
        for (int s = 0; s < rd->boundary_count; s++) fprintf(out, "%s%d", s ? " " : "", rd->boundary_epoch[s]);
        fprintf(out, ") on a %dx%d grid\n", rd->boundary_grid, rd->boundary_grid);
    }
    (void)err;
    return 0;
}

/* ---- table ---- */
int iw_report_epoch_column(const iw_store_reader *rd, int epoch)
{
    for (int e = 0; e <= rd->epochs; e++)
        if (rd->epoch[e] == epoch) return e;
    return -1;
}

void iw_report_default_epochs(const iw_store_reader *rd, iw_table_options *o)
{
    o->n_epochs = 0;
    int E = rd->epoch[rd->epochs];
    o->epochs[o->n_epochs++] = rd->epoch[0];
    /* 1, 10, 100, ...: each the first evaluated epoch at or after it, before the last */
    int e = 0;
    for (long p = 1; p < E && o->n_epochs < IW_REPORT_MAX_EPOCHS - 1; p *= 10) {
        while (e < rd->epochs && (rd->epoch[e] < p || !rd->evaluated[e])) e++;
        if (e < rd->epochs && rd->epoch[e] != o->epochs[o->n_epochs - 1]) o->epochs[o->n_epochs++] = rd->epoch[e];
    }
    if (E > 0) o->epochs[o->n_epochs++] = E;
}

int iw_report_parse_epochs(const iw_store_reader *rd, const char *list, iw_table_options *o, iw_error *err)
{
    o->n_epochs = 0;
    const char *p = list;
    while (*p) {
        size_t len = strcspn(p, ",");
        char item[32];
        if (len == 0 || len >= sizeof item)
            return iw_error_set(err, "--epochs '%s': expected a comma-separated list of epochs or 'last'", list);
        memcpy(item, p, len);
        item[len] = '\0';
        long v;
        if (strcmp(item, "last") == 0) {
            v = rd->epoch[rd->epochs];
        } else {
            char *end;
            errno = 0;
            v = strtol(item, &end, 10);
            if (errno || *end || v < 0)
                return iw_error_set(err, "--epochs: '%s' is not an epoch number (expected 0..%d or 'last')", item,
                                    rd->epoch[rd->epochs]);
        }
        if (v > INT32_MAX || iw_report_epoch_column(rd, (int)v) < 0)
            return iw_error_set(err, "--epochs: epoch %s is not in the store (epochs 0..%d)", item, rd->epoch[rd->epochs]);
        if (!rd->evaluated[iw_report_epoch_column(rd, (int)v)]) {
            char evaluated[512];
            iw_report_format_evaluated(rd, evaluated, sizeof evaluated);
            return iw_error_set(err, "--epochs: epoch %ld was not evaluated (the sweep's record.eval_epochs; its metrics are NaN); "
                                "evaluated epochs: %s", v, evaluated);
        }
        if (o->n_epochs == IW_REPORT_MAX_EPOCHS)
            return iw_error_set(err, "--epochs: at most %d epochs", IW_REPORT_MAX_EPOCHS);
        o->epochs[o->n_epochs++] = (int)v;
        p += len;
        if (*p == ',') p++;
    }
    if (o->n_epochs == 0) return iw_error_set(err, "--epochs: empty list");
    return 0;
}

/* Field widths: a cell is "0.1234 ± 0.0123" (15 columns, ± is one column) plus an optional "[n]".
 * The std is shown only where there are at least two values: a cell of one value shows it alone
 * ("0.1234", or "0.1234 [1]" when other cells have more seeds), never "± 0.0000". */
#define CELL_WIDTH 20

static void print_cell(FILE *out, iw_report_cell c, int full_n)
{
    char buf[64];
    if (c.n == 0) snprintf(buf, sizeof buf, "%15s", "-");
    else if (c.n == 1 && full_n > 1) snprintf(buf, sizeof buf, "%6.4f [1]", c.mean);
    else if (c.n == 1) snprintf(buf, sizeof buf, "%6.4f", c.mean);
    else if (c.n < full_n) snprintf(buf, sizeof buf, "%6.4f ± %6.4f [%d]", c.mean, c.std, c.n);
    else snprintf(buf, sizeof buf, "%6.4f ± %6.4f", c.mean, c.std);
    /* pad by display columns: "±" is two bytes in UTF-8 */
    int cols = (int)strlen(buf) - (strstr(buf, "±") ? 1 : 0);
    fprintf(out, "  %s%*s", buf, CELL_WIDTH - cols, "");
}

int iw_report_table(const iw_store_reader *rd, const iw_table_options *o, FILE *out, iw_error *err)
{
    for (int k = 0; k < o->n_metrics; k++)
        if (iw_store_reader_metric_index(rd, o->metrics[k]) < 0)
            return iw_store_reader_metric(rd, o->metrics[k], 0, 0, NULL, err); /* builds the message */
    iw_report_grouping g;
    if (iw_report_grouping_make(rd, &g, err) < 0) return -1;
    size_t row = (size_t)rd->epochs + 1;
    float *values = malloc((size_t)o->n_metrics * (size_t)rd->runs * row * sizeof *values);
    if (!values) { iw_report_grouping_free(&g); return iw_error_set(err, "out of memory"); }
    for (int k = 0; k < o->n_metrics; k++)
        if (iw_store_reader_metric(rd, o->metrics[k], 0, rd->runs, values + (size_t)k * (size_t)rd->runs * row, err) < 0) {
            free(values);
            iw_report_grouping_free(&g);
            return -1;
        }
    int64_t count[IW_STATUS_COUNT] = {0};
    for (int64_t r = 0; r < rd->runs; r++)
        if (rd->status[r] >= 0 && rd->status[r] < IW_STATUS_COUNT) count[rd->status[r]]++;
    int seeds = g.seed_axis >= 0 ? rd->axes[g.seed_axis].n_distinct : 1;
    if (seeds == 1)
        fprintf(out, "store %s: each metric per importance weight, one seed (n=1: one value per cell, no std)\n", rd->path);
    else
        fprintf(out, "store %s: mean ± std over %d seeds of each metric per importance weight\n", rd->path, seeds);
    fprintf(out, "runs counted: %lld done, %lld diverged (values up to divergence); left out: %lld pending, %lld failed\n",
            (long long)count[IW_STATUS_DONE], (long long)count[IW_STATUS_DIVERGED], (long long)count[IW_STATUS_PENDING],
            (long long)count[IW_STATUS_FAILED]);
    if (seeds > 1)
        fprintf(out, "[n] after a cell: only n seeds had a value there (one value: shown without a std); "
                     "'-': none (a spread needs two weights)\n");
    const iw_read_axis *wax = &rd->axes[g.weight_axis];
    /* the label column fits the longest weight label ("weight 0.3333333333"), at least 22 wide */
    int label_width = 22;
    for (int w = 0; w < g.n_weights; w++) {
        int len = (int)strlen(wax->labels[w]) + 8;
        if (len > label_width) label_width = len;
    }
    int has_values[IW_REPORT_MAX_METRICS];  /* a probe the sweep did not ask for has none: say so once */
    for (int k = 0; k < o->n_metrics; k++) {
        const float *metric = values + (size_t)k * (size_t)rd->runs * row;
        has_values[k] = 0;
        for (size_t i = 0; i < (size_t)rd->runs * row && !has_values[k]; i++)
            has_values[k] = iw_report_counts(rd->status[i / row]) && isfinite(metric[i]);
        if (!has_values[k]) fprintf(out, "%s: no values in this store (a probe the sweep file does not ask for, or no finished run)\n",
                                    o->metrics[k]);
    }
    for (int group = 0; group < g.n_groups; group++) {
        char label[512];
        iw_report_group_label(rd, &g, group, label, sizeof label);
        fprintf(out, "\n== %s ==\n", label);
        for (int k = 0; k < o->n_metrics; k++) {
            const float *metric = values + (size_t)k * (size_t)rd->runs * row;
            if (!has_values[k]) continue;
            fprintf(out, "%-*s", label_width, o->metrics[k]);
            for (int i = 0; i < o->n_epochs; i++) {
                char head[32];
                snprintf(head, sizeof head, "epoch %d", o->epochs[i]);
                fprintf(out, "  %-*s", CELL_WIDTH, head);
            }
            fprintf(out, "\n");
            double lo[IW_REPORT_MAX_EPOCHS], hi[IW_REPORT_MAX_EPOCHS];
            int with_data[IW_REPORT_MAX_EPOCHS]; /* weights with a mean: a spread needs two */
            for (int i = 0; i < o->n_epochs; i++) { lo[i] = INFINITY; hi[i] = -INFINITY; with_data[i] = 0; }
            for (int w = 0; w < g.n_weights; w++) {
                char wl[IW_READ_NAME + 8];
                snprintf(wl, sizeof wl, "weight %s", wax->labels[w]);
                fprintf(out, "%-*s", label_width, wl);
                for (int i = 0; i < o->n_epochs; i++) {
                    iw_report_cell c = iw_report_cell_at(rd, &g, metric, group, w, iw_report_epoch_column(rd, o->epochs[i]));
                    print_cell(out, c, seeds);
                    if (c.n > 0) {
                        with_data[i]++;
                        if (c.mean < lo[i]) lo[i] = c.mean;
                        if (c.mean > hi[i]) hi[i] = c.mean;
                    }
                }
                fprintf(out, "\n");
            }
            fprintf(out, "%-*s", label_width, "spread across weights");
            for (int i = 0; i < o->n_epochs; i++) {
                char buf[32];
                if (with_data[i] >= 2) snprintf(buf, sizeof buf, "%6.4f", hi[i] - lo[i]);
                else snprintf(buf, sizeof buf, "-");
                fprintf(out, "  %-*s", CELL_WIDTH, buf);
            }
            fprintf(out, "\n");
        }
    }
    free(values);
    iw_report_grouping_free(&g);
    return 0;
}
