/* report_stop.c — `iwreport stop`: what early stopping on the validation split (data.val_per_class)
 * would have given, beside training to the end (include/iw/report.h has the rules). The test
 * metrics at the chosen epoch are what a practitioner who stops early would report; comparing them
 * with the last epoch's says whether the late fading of the weighting effect (Byrd & Lipton) or the
 * remedies' gains survive early stopping.
 */
#include "iw/report.h"

#include "csv_out.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "iw/rng.h"

#define STOP_METRICS 3
static const char *const reported[STOP_METRICS] = {"test_balanced_acc", "test_acc", "test_frac_positive"};
static const char *const short_names[STOP_METRICS] = {"bal.acc", "acc", "frac+"}; /* text column heads */

typedef struct stop_run {
    int stop, last;          /* epoch columns, -1 when the run has no value */
    double criterion;        /* the criterion's value at stop */
    double at_stop[STOP_METRICS], at_last[STOP_METRICS];
} stop_run;


/* The stop column of one run: the best finite criterion over epochs >= 1, the earliest on ties. */
static int pick(const float *criterion, int E1, const int32_t *epoch, iw_stop_by by)
{
    int best = -1;
    for (int e = 0; e < E1; e++) {
        if (epoch[e] < 1 || !isfinite(criterion[e])) continue;
        if (best < 0 || (by == IW_STOP_BY_LOSS ? criterion[e] < criterion[best] : criterion[e] > criterion[best])) best = e;
    }
    return best;
}

static void measure(const iw_store_reader *rd, iw_stop_by by, const float *values, stop_run *runs)
{
    int E1 = rd->epochs + 1;
    size_t per_metric = (size_t)rd->runs * E1;
    for (int64_t r = 0; r < rd->runs; r++) {
        stop_run *s = &runs[r];
        const float *crit = values + (size_t)r * E1; /* values: criterion, then the reported metrics */
        s->stop = iw_report_counts(rd->status[r]) ? pick(crit, E1, rd->epoch, by) : -1;
        s->last = -1;
        const float *test_acc = values + 2 * per_metric + (size_t)r * E1;
        for (int e = E1 - 1; e >= 0 && s->last < 0 && iw_report_counts(rd->status[r]); e--)
            if (isfinite(test_acc[e])) s->last = e;
        s->criterion = s->stop >= 0 ? crit[s->stop] : NAN;
        for (int m = 0; m < STOP_METRICS; m++) {
            const float *v = values + (size_t)(m + 1) * per_metric + (size_t)r * E1;
            s->at_stop[m] = s->stop >= 0 ? v[s->stop] : NAN;
            s->at_last[m] = s->last >= 0 ? v[s->last] : NAN;
        }
    }
}

static void print_csv(const iw_store_reader *rd, const char *criterion, const stop_run *runs, FILE *out)
{
    fputs("run", out);
    for (int a = 0; a < rd->n_axes; a++) fprintf(out, ",%s", rd->axes[a].name);
    fprintf(out, ",status,criterion,stop_epoch,%s_at_stop,last_epoch", criterion);
    for (int m = 0; m < STOP_METRICS; m++) fprintf(out, ",%s_stop,%s_last", reported[m], reported[m]);
    fputc('\n', out);
    for (int64_t r = 0; r < rd->runs; r++) {
        const stop_run *s = &runs[r];
        fprintf(out, "%lld", (long long)r);
        for (int a = 0; a < rd->n_axes; a++) {
            const iw_read_axis *ax = &rd->axes[a];
            fputc(',', out);
            iw_csv_axis_value(out, ax, r);
        }
        fprintf(out, ",%s,%s,", iw_status_name(rd->status[r]), criterion);
        if (s->stop >= 0) fprintf(out, "%d", rd->epoch[s->stop]);
        fputc(',', out);
        iw_csv_number(out, s->criterion, 9);
        fputc(',', out);
        if (s->last >= 0) fprintf(out, "%d", rd->epoch[s->last]);
        for (int m = 0; m < STOP_METRICS; m++) {
            fputc(',', out);
            iw_csv_number(out, s->at_stop[m], 9);
            fputc(',', out);
            iw_csv_number(out, s->at_last[m], 9);
        }
        fputc('\n', out);
    }
}

static void cell_text(iw_report_cell c, const char *fmt_mean, char *buf, size_t size)
{
    char mean[24], sd[24];
    if (c.n == 0) { snprintf(buf, size, "-"); return; }
    snprintf(mean, sizeof mean, fmt_mean, c.mean);
    snprintf(sd, sizeof sd, fmt_mean, c.std);
    snprintf(buf, size, "%s ± %s", mean, sd);
}

/* "0.1234 [0.1200, 0.1300]": the mean over the seeds of (group, w) with a value, and its percentile
 * bootstrap interval (stream: iw_report_stop's contract in report.h). means: scratch of B. */
static void cell_interval(const iw_store_reader *rd, const iw_report_grouping *g, const double *value, int group,
                          int w, int column, const iw_stop_options *o, double *x, double *means, char *buf, size_t size)
{
    int n = 0;
    double sum = 0;
    for (int64_t r = 0; r < rd->runs; r++)
        if (iw_report_run_in_cell(rd, g, r, group, w) && isfinite(value[r]))
            x[n++] = value[r], sum += value[r];
    if (n == 0) { snprintf(buf, size, "-"); return; }
    double lo, hi;
    uint64_t cell = ((uint64_t)group * (uint64_t)g->n_weights + (uint64_t)w) * 2 * STOP_METRICS + (uint64_t)column;
    iw_bootstrap_mean_interval(x, n, o->resamples, o->seed, IW_STREAM_BOOTSTRAP + 256 * cell, o->level, means, &lo, &hi);
    snprintf(buf, size, "%.4f [%.4f, %.4f]", sum / n, lo, hi);
}

/* "0.1234 ± 0.0012" is 15 display columns; "±" is two bytes. */
static void put_cell(FILE *out, const char *text, int width)
{
    int cols = (int)strlen(text) - (strstr(text, "±") ? 1 : 0);
    fprintf(out, "  %s%*s", text, width - cols > 0 ? width - cols : 0, "");
}

static int print_text(const iw_store_reader *rd, const char *criterion, const stop_run *runs, const iw_stop_options *o,
                      FILE *out, iw_error *err)
{
    iw_report_grouping g;
    if (iw_report_grouping_make(rd, &g, err) < 0) return -1;
    const int width = o->resamples > 0 ? 24 : 17; /* "0.1234 [0.1200, 0.1300]" or "0.1234 ± 0.0012" */
    double *value = malloc((size_t)rd->runs * sizeof *value);
    double *x = malloc((size_t)rd->runs * sizeof *x);
    double *means = malloc((size_t)(o->resamples > 0 ? o->resamples : 1) * sizeof *means);
    if (!value || !x || !means) {
        free(value), free(x), free(means);
        iw_report_grouping_free(&g);
        return iw_error_set(err, "out of memory");
    }
    fprintf(out, "store %s: the epoch early stopping picks by %s (%s), over epochs 1..%d,\n", rd->path,
            strcmp(criterion, "val_loss") == 0 ? "the lowest weighted validation loss" : "the highest balanced validation accuracy",
            criterion, rd->epoch[rd->epochs]);
    fprintf(out, "and the test metrics there (@stop) and at the last epoch (@last): bal.acc = test_balanced_acc, acc = test_acc,\n"
                 "frac+ = test_frac_positive; ");
    if (o->resamples > 0)
        fprintf(out, "stop epoch: mean ± std over seeds; the metrics: mean over seeds [%g%% percentile bootstrap\n"
                     "interval of that mean, %d resamples, seed %llu]; n: runs counted\n",
                100 * o->level, o->resamples, (unsigned long long)o->seed);
    else
        fprintf(out, "mean ± std over seeds (n: runs counted)\n");
    const iw_read_axis *wax = &rd->axes[g.weight_axis];
    for (int group = 0; group < g.n_groups; group++) {
        char label[512];
        iw_report_group_label(rd, &g, group, label, sizeof label);
        fprintf(out, "\n== %s ==\n%-16s  %-3s  %-17s", label, "", "n", "stop epoch");
        for (int m = 0; m < STOP_METRICS; m++)
            for (int at_last = 0; at_last < 2; at_last++) {
                char head[64];
                snprintf(head, sizeof head, "%s@%s", short_names[m], at_last ? "last" : "stop");
                fprintf(out, "  %-*s", width, head);
            }
        fputc('\n', out);
        for (int w = 0; w < g.n_weights; w++) {
            char text[96], wl[IW_READ_NAME + 8];
            snprintf(wl, sizeof wl, "weight %s", wax->labels[w]);
            for (int64_t r = 0; r < rd->runs; r++) value[r] = runs[r].stop >= 0 ? rd->epoch[runs[r].stop] : NAN;
            iw_report_cell c = iw_report_cell_of(rd, &g, value, group, w);
            fprintf(out, "%-16s  %-3d", wl, c.n);
            cell_text(c, "%.1f", text, sizeof text);
            put_cell(out, text, 17);
            for (int m = 0; m < STOP_METRICS; m++)
                for (int at_last = 0; at_last < 2; at_last++) {
                    for (int64_t r = 0; r < rd->runs; r++) value[r] = at_last ? runs[r].at_last[m] : runs[r].at_stop[m];
                    if (o->resamples > 0)
                        cell_interval(rd, &g, value, group, w, 2 * m + at_last, o, x, means, text, sizeof text);
                    else
                        cell_text(iw_report_cell_of(rd, &g, value, group, w), "%.4f", text, sizeof text);
                    put_cell(out, text, width);
                }
            fputc('\n', out);
        }
    }
    fprintf(out, "\nper run (stop epoch, %s there; %s, %s, %s at stop / at the last epoch):\n", criterion, reported[0],
            reported[1], reported[2]);
    for (int64_t r = 0; r < rd->runs; r++) {
        const stop_run *s = &runs[r];
        if (!iw_report_counts(rd->status[r])) continue;
        fprintf(out, "run %-5lld", (long long)r);
        for (int a = 0; a < rd->n_axes; a++)
            if (rd->axes[a].n_distinct > 1) fprintf(out, " %s=%s", rd->axes[a].name, rd->axes[a].labels[rd->axes[a].index[r]]);
        if (s->stop < 0) {
            fprintf(out, ": no finite %s\n", criterion);
            continue;
        }
        fprintf(out, ": stop %d (%.4f)", rd->epoch[s->stop], s->criterion);
        for (int m = 0; m < STOP_METRICS; m++) fprintf(out, " %.4f/%.4f", s->at_stop[m], s->at_last[m]);
        fprintf(out, " (last epoch %d)\n", s->last >= 0 ? rd->epoch[s->last] : -1);
    }
    free(value);
    free(x);
    free(means);
    iw_report_grouping_free(&g);
    return 0;
}

int iw_report_stop(const iw_store_reader *rd, const iw_stop_options *o, FILE *out, iw_error *err)
{
    const iw_stop_by by = o->by;
    const char *criterion = by == IW_STOP_BY_LOSS ? "val_loss" : "val_balanced_acc";
    if (iw_store_reader_metric_index(rd, criterion) < 0)
        return iw_error_set(err, "%s: no validation metrics (%s): the store was made without data.val_per_class, or by an "
                                 "iwsweep that predates it",
                            rd->path, criterion);
    for (int m = 0; m < STOP_METRICS; m++)
        if (iw_store_reader_metric_index(rd, reported[m]) < 0)
            return iw_error_set(err, "%s: no metric %s", rd->path, reported[m]);
    size_t per_metric = (size_t)rd->runs * (rd->epochs + 1);
    float *values = malloc((STOP_METRICS + 1) * per_metric * sizeof *values);
    stop_run *runs = malloc((size_t)rd->runs * sizeof *runs);
    int rc = values && runs ? 0 : iw_error_set(err, "out of memory");
    if (rc == 0) rc = iw_store_reader_metric(rd, criterion, 0, rd->runs, values, err);
    for (int m = 0; m < STOP_METRICS && rc == 0; m++)
        rc = iw_store_reader_metric(rd, reported[m], 0, rd->runs, values + (m + 1) * per_metric, err);
    if (rc == 0) {
        int any = 0;
        for (size_t i = 0; i < per_metric && !any; i++) any = isfinite(values[i]);
        if (!any)
            rc = iw_error_set(err, "%s: %s has no value in any run: the sweep had no validation split (data.val_per_class) "
                                   "or no run is done",
                              rd->path, criterion);
    }
    if (rc == 0) {
        measure(rd, by, values, runs);
        if (o->csv) print_csv(rd, criterion, runs, out);
        else rc = print_text(rd, criterion, runs, o, out, err);
        if (rc == 0 && ferror(out)) rc = iw_error_set(err, "write error on the output");
    }
    free(values);
    free(runs);
    return rc;
}
